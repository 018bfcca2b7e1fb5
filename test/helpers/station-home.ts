/** A throw-away station home with its own config, and polling helpers for asynchronous outcomes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StationConfigInput } from '../../src/config/schema.js';

export function makeHome(config?: StationConfigInput): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-home-'));
  if (config) fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify(config, null, 2));
  return home;
}

/** Resolves once `condition` is true; rejects with `what` after `timeoutMs` (a hang guard, not a timing assertion). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const corpus = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/corpus');

/** Every file below `dir` (relative, sorted); [] when `dir` does not exist. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}
