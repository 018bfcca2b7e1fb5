/** Digests of a whole file, computed on the hash pool's worker threads (never on the event loop). */
import { hashPool, type FileDigests, type HashUse } from './pool.js';

/** md5 only when asked (the Osprey manifest); null otherwise. Rejects with the errno code of a failed read (ENOENT, EIO, …). */
export function digestsOfFile(file: string, signal?: AbortSignal, opts: { md5?: boolean } = {}): Promise<FileDigests> {
  return hashPool().digests(file, { ...opts, ...(signal ? { signal } : {}) });
}

/** The SHA-256 (hex) of a file; rejects with the read's errno code (ENOENT, EIO, …). */
export async function sha256OfFile(file: string, use: HashUse = 'background'): Promise<string> {
  return (await hashPool(use).digests(file)).sha256;
}
