/**
 * A worker thread that hashes for the hash pool (pool.ts), so neither a 1 GB read-back nor
 * the digests of bytes being sent occupy the station's event loop: whole files (reads are async,
 * through libuv's thread pool, so the worker stays responsive to cancellation between chunks and
 * requests interleave) and streams fed chunk by chunk (each chunk acknowledged once hashed).
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type { HashCancel, HashReply, HashRequest, Md5Reply, Md5Request, StreamMessage, StreamReply } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('the hashing worker must run in a worker thread');

const chunkSize = 1024 * 1024;
/** Requests being hashed, and those of them cancelled (a cancel for a finished request is ignored). */
const running = new Set<number>();
const cancelled = new Set<number>();
const streams = new Map<number, { sha: Hash; md5: Hash | null; size: number }>();

port.on('message', (msg: HashRequest | HashCancel | StreamMessage | Md5Request) => {
  if ('md5Of' in msg) {
    port.postMessage({ md5Of: msg.md5Of, md5: createHash('md5').update(msg.bytes).digest('hex') } satisfies Md5Reply);
    return;
  }
  if ('cancel' in msg) {
    if (running.has(msg.cancel)) cancelled.add(msg.cancel);
    return;
  }
  if ('stream' in msg) {
    onStream(msg);
    return;
  }
  running.add(msg.id);
  void hash(msg).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, code: (err as NodeJS.ErrnoException).code ?? null, message: err instanceof Error ? err.message : String(err) } satisfies HashReply),
  ).finally(() => {
    running.delete(msg.id);
    cancelled.delete(msg.id);
  });
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

function onStream(msg: StreamMessage): void {
  switch (msg.op) {
    case 'start':
      streams.set(msg.stream, { sha: createHash('sha256'), md5: msg.md5 ? createHash('md5') : null, size: 0 });
      return;
    case 'update': {
      const s = streams.get(msg.stream);
      if (!s) return;
      s.sha.update(msg.bytes);
      s.md5?.update(msg.bytes);
      s.size += msg.bytes.byteLength;
      port!.postMessage({ stream: msg.stream, hashed: msg.bytes.byteLength } satisfies StreamReply);
      return;
    }
    case 'end': {
      const s = streams.get(msg.stream);
      if (!s) return;
      streams.delete(msg.stream);
      port!.postMessage({ stream: msg.stream, digests: { sha256: s.sha.digest('hex'), md5: s.md5 ? s.md5.digest('hex') : null, size: s.size } } satisfies StreamReply);
      return;
    }
    case 'drop':
      streams.delete(msg.stream);
      return;
  }
}
