/** Messages between the hash pool (hash-pool.ts) and its worker threads (hash-worker.ts). */

export interface HashRequest {
  id: number;
  file: string;
  md5: boolean;
}

/** Stops request `id`; its reply is an error with code 'ABORT_ERR'. */
export interface HashCancel {
  cancel: number;
}

export interface FileDigests {
  sha256: string;
  /** Only when asked for (the Osprey manifest); null otherwise. */
  md5: string | null;
  size: number;
}

/** Errors travel as data: the errno code (ENOENT, EIO, …) survives, so callers classify them like local ones. */
export type HashReply = ({ id: number; ok: true } & FileDigests) | { id: number; ok: false; code: string | null; message: string };
