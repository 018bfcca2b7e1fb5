/**
 * Electron-only facts become plain config for the core: the shell resolves them and the core never
 * imports Electron. Pure, so it is tested in Node.
 */
import type { LoadOptions } from '../src/config/load.js';

export interface ShellFacts {
  /** app.getPath('userData') */
  userData: string;
  /** app.getVersion(): the desktop app's version, reported by the core's status. */
  version: string;
  /** CAPTURE_STATION_HOME, or --home=DIR from the command line, if given. */
  env: Record<string, string | undefined>;
  argv: string[];
}

export function stationLoadOptions(facts: ShellFacts): LoadOptions {
  const homeArg = facts.argv.find((a) => a.startsWith('--home='));
  const home = homeArg ? homeArg.slice('--home='.length) : facts.env['CAPTURE_STATION_HOME'];
  return { home: home || undefined, dataDir: facts.userData, version: facts.version };
}
