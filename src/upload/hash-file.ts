/** Streamed digests of a file (1 MiB chunks): no whole-file hashing on the event loop. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** md5 only when asked (the Osprey manifest); null otherwise. */
export async function digestsOfFile(file: string, signal?: AbortSignal, opts: { md5?: boolean } = {}): Promise<{ sha256: string; md5: string | null; size: number }> {
  const sha = createHash('sha256');
  const md5 = opts.md5 ? createHash('md5') : null;
  let size = 0;
  for await (const raw of createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) })) {
    const chunk = raw as Buffer;
    sha.update(chunk);
    md5?.update(chunk);
    size += chunk.length;
  }
  return { sha256: sha.digest('hex'), md5: md5 ? md5.digest('hex') : null, size };
}
