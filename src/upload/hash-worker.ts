/**
 * A worker thread that hashes whole files for the hash pool (hash-pool.ts), so a 1 GB read-back
 * never occupies the station's event loop. Reads are async (libuv's thread pool), so the worker
 * stays responsive to cancellation between chunks and several requests interleave.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type { HashCancel, HashReply, HashRequest } from './hash-protocol.js';

const port = parentPort;
if (!port) throw new Error('hash-worker must run in a worker thread');

const chunkSize = 1024 * 1024;
const cancelled = new Set<number>();

port.on('message', (msg: HashRequest | HashCancel) => {
  if ('cancel' in msg) {
    cancelled.add(msg.cancel);
    return;
  }
  void hash(msg).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, code: (err as NodeJS.ErrnoException).code ?? null, message: err instanceof Error ? err.message : String(err) } satisfies HashReply),
  ).finally(() => cancelled.delete(msg.id));
});

async function hash(req: HashRequest): Promise<HashReply> {
  const sha = createHash('sha256');
  const md5 = req.md5 ? createHash('md5') : null;
  const buffer = Buffer.allocUnsafe(chunkSize);
  let size = 0;
  const handle = await fs.open(req.file, 'r');
  try {
    for (;;) {
      if (cancelled.has(req.id)) return { id: req.id, ok: false, code: 'ABORT_ERR', message: `hashing ${req.file} was cancelled` };
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      sha.update(chunk);
      md5?.update(chunk);
      size += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { id: req.id, ok: true, sha256: sha.digest('hex'), md5: md5 ? md5.digest('hex') : null, size };
}
