/**
 * Whole-file hashing on worker threads (hash-worker.ts): a file path in, its digests out. Read-back
 * verification of a 1 GB file at a share costs seconds of CPU; on the event loop that would stall
 * QC, IPC and every other upload. Requests go to the least busy of up to `size` workers (spawned on
 * demand); a worker's failure is an error reply (with the errno code), a worker that dies fails
 * only its own requests and is replaced by the next request. Idle workers do not keep the process alive.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../log/logger.js';
import { startModuleWorker } from '../threads/start-worker.js';
import type { FileDigests, HashCancel, HashReply, HashRequest } from './hash-protocol.js';

export type { FileDigests } from './hash-protocol.js';

const log = createLogger('upload.hash');

interface Pending {
  resolve: (d: FileDigests) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  /** Default 2 workers: the rig's QC needs the rest of a small machine's cores. */
  constructor(private readonly size = Math.min(2, os.availableParallelism())) {}

  digests(file: string, opts: { md5?: boolean; signal?: AbortSignal } = {}): Promise<FileDigests> {
    if (this.closed) return Promise.reject(new Error('the hashing pool is closed'));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<FileDigests>((resolve, reject) => {
      const onAbort = () => {
        if (!slot.pending.delete(id)) return;
        this.idleCheck(slot);
        slot.worker.postMessage({ cancel: id } satisfies HashCancel);
        reject(signal!.reason as Error);
      };
      slot.pending.set(id, {
        resolve: (d) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(d);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.worker.ref();
      slot.worker.postMessage({ id, file, md5: opts.md5 ?? false } satisfies HashRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const s of slots) for (const p of s.pending.values()) p.reject(new Error('the hashing pool was closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** An idle worker, else a new one while under `size`, else the one with the fewest requests. */
  private pick(): Slot {
    const idle = this.slots.find((s) => s.pending.size === 0);
    if (idle) return idle;
    if (this.slots.length < this.size) return this.spawn();
    return this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): Slot {
    const worker = startModuleWorker(new URL('./hash-worker.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (reply: HashReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return; // cancelled
      slot.pending.delete(reply.id);
      this.idleCheck(slot);
      if (reply.ok) p.resolve({ sha256: reply.sha256, md5: reply.md5, size: reply.size });
      else p.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    });
    worker.on('error', (err) => log.error('a hashing worker failed', { error: err.message }));
    worker.on('exit', (code) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const error = new Error(`the hashing worker stopped unexpectedly (exit code ${code}); the file was not verified`);
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
    });
    this.slots.push(slot);
    return slot;
  }

  private idleCheck(slot: Slot): void {
    if (slot.pending.size === 0) slot.worker.unref();
  }
}

let shared: HashPool | null = null;

/** The process's pool, created on first use. */
export function hashPool(): HashPool {
  shared ??= new HashPool();
  return shared;
}
