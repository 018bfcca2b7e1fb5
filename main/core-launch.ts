/**
 * What the main process hands the core process as its one argument: the load options, and whether
 * it restarts the core after a crash (the core says so in the station log, so a crash loop shows
 * there). Kept free of the core's modules: the main process imports it.
 */
import type { LoadOptions } from '../src/config/load.js';

/** The core before this one ended without being asked to (a crash), and the main process started it again. */
export interface CoreCrash {
  exitCode: number;
  /** Restarts after a crash since the app started, this one included. */
  restart: number;
}

export interface CoreLaunch {
  options: LoadOptions;
  afterCrash: CoreCrash | null;
}

export function coreArgs(launch: CoreLaunch): string[] {
  return [JSON.stringify(launch)];
}

/** The launch from the core process's argv (the main process wrote it, with coreArgs). */
export function parseCoreArgs(argv: string[]): CoreLaunch {
  const launch = JSON.parse(argv[2] ?? '{}') as Partial<CoreLaunch>;
  return { options: launch.options ?? {}, afterCrash: launch.afterCrash ?? null };
}

export function crashRestartMessage(crash: CoreCrash): string {
  return `the station core started after a crash (exit code ${crash.exitCode}, restart #${crash.restart})`;
}
