/**
 * Remote keys: where a capture goes at a target. The key is derived from the capture alone and is
 * the same on every attempt, which is what makes a re-sent upload land on the same object instead
 * of a second copy. It is stored on the job at its first lease and kept from then on, so changing
 * the naming later (barcode-based names, issue "barcode linking") never moves a job that has started.
 * This is the one place to replace when object names come from barcodes.
 *
 * Every key starts with the station id: several stations writing one share all use the default
 * source id "inbox" and camera names like IMG_0001, and must never meet under one name.
 *
 * A file re-shot under the same name is a new capture version (captures.version). Version 1 keeps
 * the plain name; version N > 1 gets `__vN` before the extension (`IMG_0001__v2.tif`), so the
 * re-shoot is uploaded next to the first one instead of conflicting with it. The suffix is derived
 * from the stored version, so it is stable across attempts and restarts.
 */
import path from 'node:path';
import { pairRole } from '../station/pairs.js';
import { UploadError } from './target.js';

export interface KeySource {
  sourceId: string;
  /** POSIX-style path inside the source's hot folder. */
  relPath: string;
  /** The capture's version (1 for the first file under this name). */
  version: number;
  /** The local file; a capture filed into the library is named at the target as in the library. */
  path?: string;
}

/**
 * `<stationId>/<path in the library>` for a capture that barcode linking filed (its name is already
 * unique there: the template's, made free of collisions), else `<stationId>/<sourceId>/<relPath>`:
 * the hot folder's structure, one folder per station and source.
 */
export function mirrorKey(stationId: string, c: KeySource, library?: string): string {
  return `${keySegment(stationId, 'station id')}/${localName(c, library)}`;
}

/** The key below the station: the library-relative name of a filed capture, or source + versioned hot-folder path. */
function localName(c: KeySource, library: string | undefined): string {
  if (library && c.path) {
    const rel = path.relative(library, c.path);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return safeRelPath(rel.split(path.sep).join('/'));
  }
  return `${keySegment(c.sourceId, 'source id')}/${versioned(safeRelPath(c.relPath), c.version)}`;
}

/**
 * Osprey hand-off layout: `<stationId>/<sourceId>/<folder>/tif/<name>` for processed images and
 * `<stationId>/<sourceId>/<folder>/raw/<name>` for camera RAW files.
 */
export function ospreyKey(stationId: string, c: KeySource, library?: string): string {
  const rel = localName(c, library);
  const dir = path.posix.dirname(rel);
  const sub = pairRole(rel) === 'raw' ? 'raw' : 'tif';
  return [keySegment(stationId, 'station id'), ...(dir === '.' ? [] : [dir]), sub, path.posix.basename(rel)].join('/');
}

/** `a/IMG_1.tif`, 2 → `a/IMG_1__v2.tif`; version 1 unchanged. */
export function versioned(rel: string, version: number): string {
  if (!(version > 1)) return rel;
  const dir = path.posix.dirname(rel);
  const base = path.posix.basename(rel);
  const dot = base.lastIndexOf('.');
  const name = dot > 0 ? `${base.slice(0, dot)}__v${version}${base.slice(dot)}` : `${base}__v${version}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

/**
 * Relative paths come from the watcher and are never absolute or climbing. Anything else is refused
 * (never silently rewritten: a rewritten key could land on another capture's file).
 */
export function safeRelPath(relPath: string): string {
  const refuse = (why: string) =>
    new UploadError(
      'permanent',
      `Cannot upload "${relPath}": ${why}. Remote names are built from the file's path inside its hot folder, so this file cannot be placed safely. Move the file to a plain sub-folder of the hot folder (it is then checked and uploaded as a new capture).`,
    );
  if (relPath === '' || relPath.startsWith('/') || relPath.startsWith('\\') || /^[A-Za-z]:/.test(relPath)) throw refuse('its path is absolute, not a path inside the hot folder');
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw refuse('its path names no file');
  if (parts.includes('..')) throw refuse('its path climbs out of the hot folder ("..")');
  return parts.join('/');
}

function keySegment(value: string, what: string): string {
  if (value === '' || value === '.' || value === '..' || /[\\/]/.test(value)) {
    throw new UploadError('permanent', `The ${what} "${value}" cannot be a folder name at a target. Set a plain ${what} (letters, digits, - and _) in the station config.`);
  }
  return value;
}
