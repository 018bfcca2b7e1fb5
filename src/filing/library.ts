/**
 * Whether the library can take files now. Checked when the station starts (a problem is an alarm,
 * not a refusal to start: captures wait in the hot folder and filing is retried), and, with
 * linking.libraryMountCheck, before every move into it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { rootUnavailable, type MountRole } from '../upload/fs-errors.js';

export const libraryMarkerName = '.capture-station-library';

const libraryMountRole: MountRole = { marker: libraryMarkerName, harm: 'filing would fill the local disk', meantAs: 'the library', off: '"linking.libraryMountCheck": false' };

/** Null when the library looks mounted (always, without `mountCheck`); otherwise why not and what to do. */
export async function libraryUnmounted(library: string, mountCheck: boolean): Promise<string | null> {
  if (!mountCheck) return null;
  const problem = await rootUnavailable(library, { mountCheck: true }, libraryMountRole);
  return problem && `the library ${library} looks unmounted: ${problem}${/[.?!]$/.test(problem) ? '' : '.'}`;
}

/** Null when files can be filed into `library` now; otherwise what is wrong and what to do. */
export async function libraryProblem(library: string, mountCheck: boolean): Promise<string | null> {
  return (await libraryUnmounted(library, mountCheck)) ?? (await libraryUnwritable(library));
}

/**
 * Null when files can be written into `library`; otherwise what is wrong and what to do. A missing
 * library is created by the first filing, so then the nearest existing folder above it must be writable.
 */
export async function libraryUnwritable(library: string): Promise<string | null> {
  let dir = library;
  for (;;) {
    const st = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err));
    if (st instanceof Error) return `the library ${library} cannot be reached (${st.message}).`;
    if (st) {
      if (!st.isDirectory()) return `the library ${library} cannot be used: ${dir} is not a folder. Move that file away or set paths.library to a folder.`;
      break;
    }
    if (path.dirname(dir) === dir) return `the library ${library} cannot be created: no folder above it exists.`;
    dir = path.dirname(dir);
  }
  // Creating and removing a file is the only test that also catches a read-only mount and ACLs.
  const probe = path.join(dir, `.capture-station-probe.${process.pid}.${randomUUID().slice(0, 8)}`);
  try {
    await (await fs.open(probe, 'wx')).close();
    await fs.rm(probe, { force: true });
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return `the station may not write to the library ${dir === library ? library : `${library} (nor create it in ${dir})`} (${code || (err as Error).message}) — give the user the station runs as write permission there, or fix the mount; captures stay in the hot folder until then.`;
  }
}

/**
 * Removes the folders a move out of `dir` left empty (a barcode folder, then its date folder),
 * from `dir` up to the library root, which stays: only empty ones (rmdir refuses any other), and
 * nothing outside the library. Returns the folders removed; a folder that cannot be removed is
 * left as it is (it is only tidiness).
 */
export async function removeEmptiedFolders(library: string, dir: string): Promise<string[]> {
  const root = path.resolve(library);
  const removed: string[] = [];
  for (let d = path.resolve(dir); isBelow(root, d); d = path.dirname(d)) {
    try {
      await fs.rmdir(d);
    } catch {
      break;
    }
    removed.push(d);
  }
  return removed;
}

/** True when `dir` is strictly inside `root`. */
function isBelow(root: string, dir: string): boolean {
  const rel = path.relative(root, dir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
