/**
 * File-system errors at a folder target, sorted by what the uploader should do about them:
 * a full disk is retried later (it counts as an attempt), an unreachable share makes the target
 * offline (jobs wait without spending attempts), anything else is a transient failure.
 */
import fs from 'node:fs/promises';
import { UploadError } from './target.js';

const fullCodes = new Set(['ENOSPC', 'EDQUOT']);
/** Errors a disconnected, unmounted or hung network share gives. */
const unreachableCodes = new Set(['EIO', 'ETIMEDOUT', 'EHOSTDOWN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENETRESET', 'ENOTCONN', 'ESTALE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ENXIO', 'ENODEV', 'EREMOTEIO', 'ESHUTDOWN', 'EBUSY']);

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Converts an error from writing under `root` into an UploadError (UploadErrors pass through). */
export async function classifyFsError(err: unknown, targetId: string, root: string): Promise<UploadError> {
  if (err instanceof UploadError) return err;
  const code = errnoOf(err);
  const message = (err as Error)?.message ?? String(err);
  if (code && fullCodes.has(code)) {
    return new UploadError('transient', `Target "${targetId}" is full: no space left at ${root} (${code}). Free space there; the upload is retried automatically.`, { cause: err });
  }
  if (code && unreachableCodes.has(code)) return offline(targetId, root, `${message}`, err);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    // A vanished parent usually means the share itself went away mid-copy.
    const rootProblem = await rootUnavailable(root);
    if (rootProblem) return offline(targetId, root, rootProblem, err);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UploadError('transient', `Target "${targetId}": not allowed to write under ${root} (${code}: ${message}). Check the share's permissions; the upload is retried.`, { cause: err });
  }
  return new UploadError('transient', `Target "${targetId}": ${message}`, { cause: err });
}

export function offline(targetId: string, root: string, why: string, cause?: unknown): UploadError {
  return new UploadError('offline', `Target "${targetId}" is unreachable (${root}: ${why}). Uploads wait and resume when it is back.`, { cause });
}

/** Null when `root` is a writable folder; otherwise why not. */
export async function rootUnavailable(root: string): Promise<string | null> {
  try {
    const st = await fs.stat(root);
    if (!st.isDirectory()) return 'not a folder';
    await fs.access(root, fs.constants.W_OK);
    return null;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return 'the folder does not exist (is the share mounted?)';
    return (err as Error).message;
  }
}
