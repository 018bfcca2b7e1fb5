/**
 * Moving a capture from its hot folder into the library without ever losing or overwriting a file.
 *
 * Invariants, at every instant (so a power cut at any point is recoverable by running the same
 * move again):
 *  - the bytes exist in full under the source name, or under the destination name verified
 *    against the capture's sha256, or both;
 *  - an existing file at the destination is never replaced: the final name is always made with
 *    link(2), which fails when the name exists, never with rename(2), which would replace it;
 *  - the source is removed only after the destination is durable (fsynced file and folder) and,
 *    when the bytes were copied, re-read and verified;
 *  - the destination keeps the source's mtime (a copy is given it before it is fsynced), so a later
 *    move of the filed file (an edit's rename) still recognises the version QC checked — up to the
 *    destination's mtime granularity (FAT: 2 s, exFAT: 10 ms), within which the bytes decide.
 * A move is therefore idempotent: `moveVerified` run again after a crash finishes the job.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { StationError } from '../errors.js';
import { sha256OfFile } from '../hashing/file.js';
import { createLogger } from '../log/logger.js';
import { collisionSuffixBytes } from './sanitize.js';

const log = createLogger('filing.move');

/** The file-system calls a move makes, replaceable in tests to simulate crashes and other devices. */
export interface MoveFs {
  link(existing: string, created: string): Promise<void>;
  copyFile(from: string, to: string, mode: number): Promise<void>;
  unlink(file: string): Promise<void>;
  /** Sets a file's access and modification times (seconds since the epoch). */
  utimes(file: string, atime: number, mtime: number): Promise<void>;
  /** fsync of a file or, where the platform allows it, a folder. */
  fsync(target: string): Promise<void>;
}

export const nodeMoveFs: MoveFs = {
  link: (a, b) => fs.link(a, b),
  copyFile: (a, b, mode) => fs.copyFile(a, b, mode),
  unlink: (f) => fs.unlink(f),
  utimes: (f, a, m) => fs.utimes(f, a, m),
  fsync: async (target) => {
    const handle = await fs.open(target, 'r');
    try {
      await handle.sync();
    } catch (err) {
      // Windows cannot fsync a folder; its metadata is journaled by NTFS instead.
      if ((err as NodeJS.ErrnoException).code !== 'EPERM' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
    } finally {
      await handle.close();
    }
  },
};

export type MoveOutcome = 'linked' | 'copied' | 'already-done';

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}

/** Errors for which a hard link is impossible here and a verified copy is the way instead. */
const linkUnsupported = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** The file version QC checked: the move refuses to carry anything else. */
export interface CheckedVersion {
  sha256: string;
  size: number;
  mtimeMs: number;
}

/** The coarsest mtime step of the file systems a library may be on: FAT's 2 s (exFAT's is 10 ms). */
export const coarsestMtimeStepMs = 2000;

/**
 * Whether `file`, of size and mtime `st`, is still the version QC checked. A different size is
 * always a change. An mtime within 1 ms is the same version (the size and mtime QC hashed). An mtime
 * within the coarsest file-system step may be the checked mtime rounded by the file system (a filed
 * copy on a FAT/exFAT library): then only the sha256 of the bytes can say, and it is read. Further
 * off, the file was changed (or touched) after it was checked.
 */
export async function isCheckedVersion(file: string, st: { size: number; mtimeMs: number }, version: CheckedVersion): Promise<boolean> {
  if (st.size !== version.size) return false;
  const drift = Math.abs(st.mtimeMs - version.mtimeMs);
  if (drift <= 1) return true;
  return drift <= coarsestMtimeStepMs && (await sha256OfFile(file)) === version.sha256;
}

/**
 * Moves `from` to `to` (which the caller chose and journaled before calling), verifying the bytes
 * against the version QC checked. Throws, leaving both names as they were or recoverable, when the
 * destination holds other content or the source is no longer the version QC checked.
 */
export async function moveVerified(from: string, to: string, version: CheckedVersion, mfs: MoveFs = nodeMoveFs): Promise<MoveOutcome> {
  const { sha256 } = version;
  const dir = path.dirname(to);
  const temp = path.join(dir, `.${path.basename(to)}.moving`);

  if ((await exists(to)) && (await sha256OfFile(to)) !== sha256 && (await exists(temp)) && (await sha256OfFile(temp)) === sha256) {
    // Our own copy from the verified temp was cut short (file systems without hard links): the
    // temp is only removed once that copy is complete, so the torn file is ours to redo.
    await mfs.unlink(to);
  }
  if (await exists(to)) {
    // A move interrupted after the destination was made: finish it, but only for the same bytes.
    if ((await sha256OfFile(to)) !== sha256) {
      throw new StationError('FILE_UNREADABLE', `${to} already exists with other content; the capture stays at ${from}. Choose another name or move the other file away.`);
    }
    await removeIfPresent(mfs, temp);
    // The source name may meanwhile hold a new file (a re-shoot under the same name): only the
    // bytes that were moved may go.
    const source = await fs.stat(from).catch(() => null);
    const target = await fs.stat(to);
    // A copy cut short before its mtime was set (the bytes are verified equal above).
    if (Math.abs(target.mtimeMs - version.mtimeMs) > 1) await mfs.utimes(to, target.atimeMs / 1000, version.mtimeMs / 1000);
    if (source && (source.ino === target.ino || (source.size === version.size && (await sha256OfFile(from)) === sha256))) await removeIfPresent(mfs, from);
    return 'already-done';
  }
  // link(2) would file the link itself, not the image: the library must only ever hold real files.
  if ((await fs.lstat(from).catch(() => null))?.isSymbolicLink()) {
    throw new StationError('INVALID_ARGUMENT', `${from} is a symbolic link: the station files only real files. Copy the file itself into the hot folder.`);
  }
  const source = await fs.stat(from).catch(() => null);
  if (!source) throw new StationError('NOT_FOUND', `${from} is gone and ${to} does not exist: the file was moved or deleted outside the station.`);
  if (!(await isCheckedVersion(from, source, version))) {
    throw new StationError('FILE_UNREADABLE', `${from} changed after it was checked; it stays where it is and will be checked again.`);
  }
  // Only now: a move whose source is missing (a library share that is not mounted) makes no folders.
  await fs.mkdir(dir, { recursive: true });

  try {
    await mfs.link(from, to);
    await mfs.fsync(dir);
    // Same inode, and the version QC hashed (by size and mtime, or by its bytes when the mtime was rounded).
    await mfs.unlink(from);
    await mfs.fsync(path.dirname(from));
    return 'linked';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!linkUnsupported.has(code)) throw err;
    log.debug('hard link not possible, copying', { from, to, code });
  }

  // Another device or a file system without hard links: copy beside the destination, make it
  // durable, verify, then give it its final name with link (never replacing anything).
  await removeIfPresent(mfs, temp);
  await mfs.copyFile(from, temp, fs.constants.COPYFILE_EXCL);
  await mfs.utimes(temp, source.atimeMs / 1000, version.mtimeMs / 1000);
  await mfs.fsync(temp);
  const copied = await sha256OfFile(temp);
  if (copied !== sha256) {
    await removeIfPresent(mfs, temp);
    const original = await sha256OfFile(from);
    throw new StationError(
      'FILE_UNREADABLE',
      original === sha256 ? `The copy of ${from} at ${dir} did not match the original (bad disk or share?); the original is kept. Try again.` : `${from} changed after it was checked; it stays where it is and will be checked again.`,
    );
  }
  try {
    await mfs.link(temp, to);
    await mfs.unlink(temp);
  } catch (err) {
    if (!linkUnsupported.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    // No hard links at all on the destination (FAT, some shares): an exclusive copy of the
    // verified temp still never replaces an existing file.
    await mfs.copyFile(temp, to, fs.constants.COPYFILE_EXCL);
    await mfs.utimes(to, source.atimeMs / 1000, version.mtimeMs / 1000);
    await mfs.fsync(to);
    await mfs.unlink(temp);
  }
  await mfs.fsync(dir);
  await mfs.unlink(from);
  await mfs.fsync(path.dirname(from));
  return 'copied';
}

async function removeIfPresent(mfs: MoveFs, file: string): Promise<void> {
  try {
    await mfs.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * `to`, or the first of `stem_2.ext`, `stem_3.ext`… that no file takes, so a collision gets a new
 * name instead of replacing a file. The caller journals the name it gets before moving.
 */
export async function freeName(to: string, taken: (file: string) => Promise<boolean> = exists): Promise<string> {
  const ext = path.extname(to);
  const stem = to.slice(0, to.length - ext.length);
  // Names the template makes leave collisionSuffixBytes free for the longest suffix tried here.
  for (let n = 1; n < 10 ** (collisionSuffixBytes - 1); n++) {
    const candidate = n === 1 ? to : `${stem}_${n}${ext}`;
    if (!(await taken(candidate))) return candidate;
  }
  throw new StationError('INVALID_ARGUMENT', `Over 10,000 files are already named like ${to}; check the naming template.`);
}
