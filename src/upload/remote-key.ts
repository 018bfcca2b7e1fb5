/**
 * Remote keys: where a capture goes at a target. The key is derived from the capture alone and is
 * the same on every attempt, which is what makes a re-sent upload land on the same object instead
 * of a second copy. It is stored on the job at its first lease and kept from then on, so changing
 * the naming later (barcode-based names, issue "barcode linking") never moves a job that has started.
 * This is the one place to replace when object names come from barcodes.
 */
import path from 'node:path';
import { pairRole } from '../station/pairs.js';

export interface KeySource {
  sourceId: string;
  /** POSIX-style path inside the source's hot folder. */
  relPath: string;
}

/** `<sourceId>/<relPath>`: the hot folder's structure, one folder per source. */
export function mirrorKey(c: KeySource): string {
  return `${c.sourceId}/${safeRelPath(c.relPath)}`;
}

/**
 * Osprey hand-off layout: `<sourceId>/<folder>/tif/<name>` for processed images and
 * `<sourceId>/<folder>/raw/<name>` for camera RAW files.
 */
export function ospreyKey(c: KeySource): string {
  const rel = safeRelPath(c.relPath);
  const dir = path.posix.dirname(rel);
  const sub = pairRole(rel) === 'raw' ? 'raw' : 'tif';
  return [c.sourceId, ...(dir === '.' ? [] : [dir]), sub, path.posix.basename(rel)].join('/');
}

/** Relative paths come from the watcher and are never absolute or climbing; refuse them anyway. */
function safeRelPath(relPath: string): string {
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new Error(`not a relative file path inside a hot folder: ${relPath}`);
  return parts.join('/');
}
