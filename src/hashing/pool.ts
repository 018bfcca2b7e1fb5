/**
 * Hashing on worker threads (worker.ts). Read-back verification of a 1 GB file at a share
 * costs seconds of CPU, and the digests of the bytes being sent (sha256 against QC's, md5 for the
 * Osprey manifest, SHA-256 and MD5 per S3 part) cost 2–4 ms per MiB each; on the event loop that
 * would keep QC's bookkeeping, IPC and every other upload waiting. Three kinds of work:
 * - `digests(file)`: a file path in, its digests out;
 * - `md5Of(bytes)`: the MD5 of bytes in (shared) memory, e.g. an S3 part while it is sent;
 * - `stream()`: chunks handed over as they are read, digests at the end. Chunks in shared memory
 *   (source-read.ts reads into SharedArrayBuffers) are shared with the worker, not copied: a copy
 *   costs the event loop about as much as SHA-256 itself on a CPU with SHA extensions. At most
 *   `maxInFlightBytes` wait unhashed per stream, so a read faster than hashing waits.
 * Work goes to the least busy of up to `size` workers (spawned on demand); a failure is an error
 * reply (with the errno code); a worker that dies fails only its own work and is replaced by the
 * next request. Idle workers do not keep the process alive.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../log/logger.js';
import { startModuleWorker } from '../threads/start-worker.js';
import type { FileDigests, HashCancel, HashReply, HashRequest, Md5Reply, Md5Request, StreamMessage, StreamReply } from './protocol.js';

export type { FileDigests } from './protocol.js';

const log = createLogger('hashing.pool');

interface Pending {
  resolve: (d: FileDigests) => void;
  reject: (e: Error) => void;
}

/** Bytes of one stream handed to its worker but not yet hashed, before `update` waits. */
const maxInFlightBytes = 8 * 1024 * 1024;

interface StreamState {
  inFlight: number;
  /** Updates waiting for the worker to catch up. */
  waiters: (() => void)[];
  ending: Pending | null;
  failed: Error | null;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  streams: Map<number, StreamState>;
  md5s: Map<number, { resolve: (md5: string) => void; reject: (e: Error) => void }>;
}

/** Digests of bytes fed in order; see HashPool.stream. */
export interface StreamHash {
  /**
   * Hands `chunk` to the worker (shared when it lives in a SharedArrayBuffer, which must then not
   * change until digest(); else a copy); waits only while the worker is `maxInFlightBytes` behind.
   */
  update(chunk: Uint8Array): Promise<void>;
  /** Resolves once every chunk updated so far is hashed (their memory may then change), or the stream failed. */
  settled(): Promise<void>;
  /** The digests of everything updated; ends the stream. */
  digest(): Promise<FileDigests>;
  /** Abandons the stream (a read that failed or stopped); nothing to do after digest(). */
  drop(): void;
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number) {}

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

  /**
   * The MD5 (hex) of bytes in memory: shared with the worker when they live in a SharedArrayBuffer
   * (they must not change until this resolves), else copied.
   */
  md5Of(bytes: Uint8Array): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the hashing pool is closed'));
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      slot.md5s.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ md5Of: id, bytes } satisfies Md5Request);
    });
  }

  /** Digests of bytes fed chunk by chunk, in order (sha256; md5 too when asked). */
  stream(opts: { md5?: boolean } = {}): StreamHash {
    if (this.closed) throw new Error('the hashing pool is closed');
    const slot = this.pick();
    const id = this.nextId++;
    const state: StreamState = { inFlight: 0, waiters: [], ending: null, failed: null };
    slot.streams.set(id, state);
    slot.worker.ref();
    const post = (msg: StreamMessage, transfer: ArrayBuffer[] = []) => slot.worker.postMessage(msg, transfer);
    post({ stream: id, op: 'start', md5: opts.md5 ?? false });
    return {
      update: async (chunk) => {
        if (state.failed) throw state.failed;
        if (!slot.streams.has(id)) throw new Error('this hash stream has ended');
        // Shared memory is posted as is; anything else as a copy of just these bytes, moved (not cloned again).
        const shared = chunk.buffer instanceof SharedArrayBuffer;
        const bytes = shared ? chunk : new Uint8Array(chunk);
        state.inFlight += bytes.byteLength;
        post({ stream: id, op: 'update', bytes }, shared ? [] : [bytes.buffer as ArrayBuffer]);
        while (state.inFlight > maxInFlightBytes && !state.failed) await new Promise<void>((resolve) => state.waiters.push(resolve));
        if (state.failed) throw state.failed;
      },
      settled: async () => {
        while (state.inFlight > 0 && !state.failed) await new Promise<void>((resolve) => state.waiters.push(resolve));
      },
      digest: () =>
        new Promise<FileDigests>((resolve, reject) => {
          if (state.failed) return reject(state.failed);
          if (!slot.streams.has(id) || state.ending) return reject(new Error('this hash stream has ended'));
          state.ending = { resolve, reject };
          post({ stream: id, op: 'end' });
        }),
      drop: () => {
        if (!slot.streams.delete(id)) return;
        post({ stream: id, op: 'drop' });
        this.idleCheck(slot);
        // An update still waiting for the worker would wait for ever: the acknowledgements of a dropped stream are ignored.
        state.failed = new Error('this hash stream was dropped');
        for (const wake of state.waiters.splice(0)) wake();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const s of slots) this.failAll(s, new Error('the hashing pool was closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** An idle worker, else a new one while under `size`, else the one with the least work. */
  private pick(): Slot {
    const load = (s: Slot) => s.pending.size + s.streams.size + s.md5s.size;
    const idle = this.slots.find((s) => load(s) === 0);
    if (idle) return idle;
    if (this.slots.length < this.size) return this.spawn();
    return this.slots.reduce((a, b) => (load(b) < load(a) ? b : a));
  }

  private spawn(): Slot {
    const worker = startModuleWorker(import.meta.url, './worker.js');
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), streams: new Map(), md5s: new Map() };
    worker.on('message', (reply: HashReply | StreamReply | Md5Reply) => {
      if ('stream' in reply) return this.onStreamReply(slot, reply);
      if ('md5Of' in reply) {
        const p = slot.md5s.get(reply.md5Of);
        slot.md5s.delete(reply.md5Of);
        this.idleCheck(slot);
        return p?.resolve(reply.md5);
      }
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
      this.failAll(slot, new Error(`the hashing worker stopped unexpectedly (exit code ${code}); the file was not verified`));
    });
    this.slots.push(slot);
    return slot;
  }

  private onStreamReply(slot: Slot, reply: StreamReply): void {
    const state = slot.streams.get(reply.stream);
    if (!state) return; // dropped
    if ('hashed' in reply) {
      state.inFlight -= reply.hashed;
      for (const wake of state.waiters.splice(0)) wake();
      return;
    }
    slot.streams.delete(reply.stream);
    this.idleCheck(slot);
    state.ending?.resolve(reply.digests);
  }

  private failAll(slot: Slot, error: Error): void {
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    for (const p of slot.md5s.values()) p.reject(error);
    slot.md5s.clear();
    for (const s of slot.streams.values()) {
      s.failed = error;
      for (const wake of s.waiters.splice(0)) wake();
      s.ending?.reject(error);
    }
    slot.streams.clear();
  }

  private idleCheck(slot: Slot): void {
    if (slot.pending.size === 0 && slot.streams.size === 0 && slot.md5s.size === 0) slot.worker.unref();
  }
}

/**
 * Who the hashing is for. New captures' QC has workers of its own, so a verdict never waits behind
 * a gigabyte read-back at a share; uploads and filing (background work) share the other pool.
 */
export type HashUse = 'qc' | 'background';

/**
 * Workers of each pool on a machine with `cores` cores. The station's CPU is shared with libvips'
 * threads (decoding and previews), the QC measure worker, the zxing worker and the event loop,
 * and the pools only help while a core is free for them: more hashing threads than cores make
 * them take turns (and take cores from QC) without finishing sooner. So:
 * - qc: one worker per two cores (QC's decode and measures need the other), at least 1, at most 2;
 * - background: every core but one (kept for QC, which the operator waits on), at least 1, at most
 *   2 — one worker hashes SHA-256 and MD5 together at about 330 MiB/s (SHA-256 alone ~990 MiB/s;
 *   measured on the 2-core test machine), well above a share's or a 1 Gbit link's ~110 MiB/s.
 * On the rig's 2 cores that is 1 + 1 hashing threads (before: 2 + 2), on 4 cores 2 + 2. On a single
 * core each pool still has its one worker (2 threads on 1 core): hashing must never run on the event loop.
 */
export function hashPoolSizes(cores: number): Record<HashUse, number> {
  return {
    qc: Math.max(1, Math.min(2, Math.floor(cores / 2))),
    background: Math.max(1, Math.min(2, cores - 1)),
  };
}

const pools = new Map<HashUse, HashPool>();

/** The process's pool for `use`, created on first use. */
export function hashPool(use: HashUse = 'background'): HashPool {
  let pool = pools.get(use);
  if (!pool) pools.set(use, (pool = new HashPool(hashPoolSizes(os.availableParallelism())[use])));
  return pool;
}
