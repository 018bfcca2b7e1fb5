/**
 * File-system errors at a folder target, sorted by what the uploader should do about them:
 * - an unreachable or unmounted share makes the target offline (jobs wait, no attempts spent);
 * - a full, read-only or unwritable target root pauses the target (jobs wait, no attempts spent,
 *   the probe tells when it can take files again) — a share full for an hour must not send the
 *   backlog to the dead letter;
 * - a file standing where the key needs a folder cannot be fixed by retrying: permanent;
 * - anything else is a transient failure (counts as an attempt).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../shared/bytes.js';
import { UploadError } from './target.js';

/** The file an operator creates in a target folder that is not a mount point of its own (see rootUnavailable). */
export const targetMarkerName = '.capture-station-target';

const fullCodes = new Set(['ENOSPC', 'EDQUOT']);
const notWritableCodes = new Set(['EROFS', 'EACCES', 'EPERM']);
/** Errors a disconnected, unmounted or hung network share gives. */
const unreachableCodes = new Set(['EIO', 'ETIMEDOUT', 'EHOSTDOWN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENETRESET', 'ENOTCONN', 'ESTALE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ENXIO', 'ENODEV', 'EREMOTEIO', 'ESHUTDOWN', 'EBUSY']);

/** Room kept free at a target on top of the file being sent (file systems misbehave when filled to the last block). */
const headroomBytes = 16 * 1024 * 1024;

export interface RootChecks {
  /** Require the root to be a mount point of its own or to hold the marker file. */
  mountCheck: boolean;
  /** Free bytes at the root (a seam for tests; statfs otherwise). */
  freeBytes?: (root: string) => Promise<number>;
}

/** What a mount check guards, for its message: an upload target, or the library (src/filing/library.ts). */
export interface MountRole {
  /** The file an operator creates in a folder that is meant to be used though it is not a mount point. */
  marker: string;
  /** What writing into the unmounted folder would do, and what the folder is meant to be. */
  harm: string;
  meantAs: string;
  /** How to turn the check off. */
  off: string;
}

export const targetMountRole: MountRole = { marker: targetMarkerName, harm: 'uploads would fill the local disk', meantAs: 'the target', off: '"mountCheck: false" for this target' };

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Converts an error from writing under `root` into an UploadError (UploadErrors pass through). */
export async function classifyFsError(err: unknown, targetId: string, root: string, checks: RootChecks): Promise<UploadError> {
  if (err instanceof UploadError) return err;
  const code = errnoOf(err);
  const message = (err as Error)?.message ?? String(err);
  if (code && fullCodes.has(code)) return full(targetId, root, await freeBytesOf(root, checks).catch(() => null), code, err);
  if (code && unreachableCodes.has(code)) return offline(targetId, root, message, err);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    // A vanished parent usually means the share itself went away mid-copy.
    const rootProblem = await rootUnavailable(root, checks);
    if (rootProblem) return offline(targetId, root, rootProblem, err);
    if (code === 'ENOTDIR') {
      const where = await fileAncestorOf((err as NodeJS.ErrnoException).path ?? root, root);
      return new UploadError(
        'permanent',
        `Target "${targetId}": ${where} is a file where a folder is needed (${code}). Move or rename that file at the target, then retry this job (capture-station queue shows it; capture-station queue --retry TARGET retries it).`,
        { cause: err },
      );
    }
  }
  if (code && notWritableCodes.has(code)) {
    // The root itself refusing writes is a target-level pause; a refusal deeper down (one sub-folder's
    // permissions) is this job's problem and counts as an attempt.
    const paused = await rootCannotTake(targetId, root, checks, 0);
    if (paused) return paused;
    return new UploadError('transient', `Target "${targetId}": not allowed to write under ${root} (${code}: ${message}). Check the permissions of the folders there; the upload is retried.`, { cause: err });
  }
  return new UploadError('transient', `Target "${targetId}": ${message}`, { cause: err });
}

/**
 * The ancestor of `target` (below `root`) that is not a folder — what an ENOTDIR is about; the
 * error itself names the whole path. `target` when none is found (it changed meanwhile).
 */
async function fileAncestorOf(target: string, root: string): Promise<string> {
  for (let d = target; d.startsWith(root + path.sep); d = path.dirname(d)) {
    const st = await fs.lstat(d).catch(() => null);
    if (st && !st.isDirectory()) return d;
  }
  return target;
}

export function offline(targetId: string, root: string, why: string, cause?: unknown): UploadError {
  return new UploadError('offline', `Target "${targetId}" is unreachable (${root}: ${why}). Uploads wait and resume by themselves when it is back.`, { cause });
}

function full(targetId: string, root: string, free: number | null, code: string, cause?: unknown): UploadError {
  const freeText = free === null ? 'no space left' : `${formatBytes(free)} free`;
  const quota = code === 'EDQUOT' ? ' (the station user\'s disk quota there is used up)' : '';
  return new UploadError('paused', `Target "${targetId}" is full (${freeText} at ${root})${quota} — free space there; uploads resume by themselves.`, { cause });
}

/**
 * Null when `root` is a folder that can be the target; otherwise why not, saying what to do.
 * An unmounted share is usually an empty local folder (the mount point), so existing is not enough:
 * with `mountCheck` the root must be on another device than its parent folder (a mount point), or
 * hold the marker file the operator creates to say "this local folder is the target".
 */
export async function rootUnavailable(root: string, checks: RootChecks, role: MountRole = targetMountRole): Promise<string | null> {
  try {
    const st = await fs.stat(root);
    if (!st.isDirectory()) return 'not a folder';
    if (!checks.mountCheck) return null;
    const parent = path.dirname(root);
    if (parent !== root && (await fs.stat(parent)).dev !== st.dev) return null;
    try {
      await fs.stat(path.join(root, role.marker));
      return null;
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    return `it is an ordinary folder on the same disk as ${parent} and holds no ${role.marker} file, so the share looks unmounted and ${role.harm}. Mount the share there; if this folder itself is meant to be ${role.meantAs} (a local or USB disk), create an empty file named ${role.marker} in it, or set ${role.off}`;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return 'the folder does not exist; is the share mounted?';
    return (err as Error).message;
  }
}

/**
 * A paused UploadError when the (reachable) root cannot take `needBytes` now: full, read-only, or
 * not writable by the station; null when it can. Creating and removing a small file is the only
 * test that also catches a read-only mount and missing permissions on every platform.
 */
export async function rootCannotTake(targetId: string, root: string, checks: RootChecks, needBytes: number): Promise<UploadError | null> {
  const probe = path.join(root, `.capture-station-probe.${process.pid}.${randomUUID().slice(0, 8)}`);
  try {
    const handle = await fs.open(probe, 'wx');
    await handle.close();
    await fs.rm(probe, { force: true });
  } catch (err) {
    const code = errnoOf(err) ?? '';
    if (fullCodes.has(code)) return full(targetId, root, await freeBytesOf(root, checks).catch(() => null), code, err);
    if (code === 'EROFS') return new UploadError('paused', `Target "${targetId}" is read-only (${root}: ${code}) — remount it writable; uploads resume by themselves.`, { cause: err });
    if (notWritableCodes.has(code)) {
      return new UploadError('paused', `Target "${targetId}": the station may not write to ${root} (${code}) — give the user the station runs as write permission there; uploads resume by themselves.`, { cause: err });
    }
    if (unreachableCodes.has(code)) return offline(targetId, root, (err as Error).message, err);
    throw err;
  }
  if (needBytes > 0) {
    const free = await freeBytesOf(root, checks).catch(() => null);
    if (free !== null && free < needBytes + headroomBytes) return full(targetId, root, free, 'ENOSPC');
  }
  return null;
}

async function freeBytesOf(root: string, checks: RootChecks): Promise<number> {
  if (checks.freeBytes) return checks.freeBytes(root);
  const st = await fs.statfs(root);
  return Number(st.bavail) * Number(st.bsize);
}
