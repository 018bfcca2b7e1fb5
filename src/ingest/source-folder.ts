/**
 * Whether a hot folder can be watched, and if not, what the technician should do about it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StationLocations } from '../config/paths.js';
import type { SourceConfig } from '../config/schema.js';

/**
 * The built-in inbox is the station's own folder: the station makes it with its parents when it
 * starts (~/CaptureStation/Inbox on a fresh machine). Any other hot folder may be a share, and is
 * made only when its parent exists (prepareSourceFolder).
 */
export function isStationInbox(source: Pick<SourceConfig, 'path'>, locations: Pick<StationLocations, 'inbox'>): boolean {
  return source.path === locations.inbox;
}

/**
 * Null when the source folder is ready to watch; otherwise a message for the technician. A missing
 * local inbox whose parent exists is created. A missing share is never created: its parent is
 * usually the empty mount point, and a folder made there would hide the share once it is mounted.
 */
export async function prepareSourceFolder(source: Pick<SourceConfig, 'path' | 'polling'>): Promise<string | null> {
  const root = source.path;
  const st = await fs.stat(root).catch((err: NodeJS.ErrnoException) => err);
  if (!(st instanceof Error)) return st.isDirectory() ? null : `Hot folder ${root} is a file, not a folder — check the source path in the station config`;
  if (st.code !== 'ENOENT') return unreachable(root, st);
  const parentExists = await fs.stat(path.dirname(root)).then(
    (p) => p.isDirectory(),
    () => false,
  );
  if (!parentExists || source.polling) return `Hot folder ${root} is missing (it does not exist or is not reachable) — check the path or that the share is mounted; it will be watched as soon as it appears`;
  try {
    await fs.mkdir(root, { recursive: true });
    return null;
  } catch (err) {
    return `Hot folder ${root} does not exist and could not be created (${(err as NodeJS.ErrnoException).code ?? String(err)}) — create it or check the source path`;
  }
}

/** The message for a source folder that was there but cannot be read now. */
export function unreachable(root: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `Hot folder ${root} has disappeared — check that the share is mounted and the folder exists; it will be watched again as soon as it is back`;
  if (err.code === 'EACCES' || err.code === 'EPERM') return `Hot folder ${root} cannot be read (permission denied) — check the folder's permissions for the station's user`;
  return `Hot folder ${root} is not reachable (${err.code ?? err.message}) — check the disk or network share`;
}
