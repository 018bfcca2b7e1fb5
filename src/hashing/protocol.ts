/** Messages between the hash pool (pool.ts) and its worker threads (worker.ts). */

/** Hash a whole file. */
export interface HashRequest {
  id: number;
  file: string;
  md5: boolean;
}

/** Stops request `id`; its reply is an error with code 'ABORT_ERR'. */
export interface HashCancel {
  cancel: number;
}

/** A digest fed chunk by chunk (bytes being sent): start, updates (each acknowledged once hashed), end or drop. */
export type StreamMessage =
  | { stream: number; op: 'start'; md5: boolean }
  | { stream: number; op: 'update'; bytes: Uint8Array }
  | { stream: number; op: 'end' }
  | { stream: number; op: 'drop' };

/** The MD5 of bytes already in memory (shared with the worker, not copied). */
export interface Md5Request {
  md5Of: number;
  bytes: Uint8Array;
}

export interface Md5Reply {
  md5Of: number;
  md5: string;
}

export interface FileDigests {
  sha256: string;
  /** Only when asked for (the Osprey manifest, S3 parts); null otherwise. */
  md5: string | null;
  size: number;
}

/** Errors travel as data: the errno code (ENOENT, EIO, …) survives, so callers classify them like local ones. */
export type HashReply = ({ id: number; ok: true } & FileDigests) | { id: number; ok: false; code: string | null; message: string };

export type StreamReply = { stream: number; hashed: number } | { stream: number; digests: FileDigests };
