/**
 * SHA-256 of a file, streamed in 1 MiB chunks: hashing a 500 MB master never holds the event loop
 * for more than one chunk's worth of work, and it runs alongside the libvips decode of the same
 * file, which then finds the bytes in the page cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
