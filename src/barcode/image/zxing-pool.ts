/**
 * A small pool of zxing worker threads with a queue and a time limit per job. A worker that dies
 * or runs past the limit is terminated and replaced (a pathological image can keep zxing busy for
 * a long time, and a WebAssembly loop cannot be interrupted any other way); its job fails with a
 * reason, the others go on. Idle workers do not keep the process alive.
 */
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../../log/logger.js';
import { startModuleWorker } from '../../threads/start-worker.js';
import type { DecodeReply, DecodeRequest, FoundCode, ReadyMessage } from './protocol.js';
import type { TextureMap } from './texture.js';

const log = createLogger('barcode.image');

export interface PoolOptions {
  /** Worker threads; each holds its own zxing module (~20 MB). Default 1: libvips and QC use the other core. */
  size?: number;
  /** Default time limit per job, in milliseconds. */
  timeLimitMs?: number;
}

export interface PoolResult {
  codes: FoundCode[];
  regionsTried: number;
  /** Time zxing spent in the worker. */
  ms: number;
  /** When asked for and no valid code was found. */
  texture: TextureMap | null;
  /** The job's pixels, when asked for. */
  grey: ArrayBuffer | null;
}

export class DecodeTimeout extends Error {
  constructor(ms: number) {
    super(`barcode decoding took longer than ${ms} ms and was stopped`);
    this.name = 'DecodeTimeout';
  }
}

type Job = Omit<DecodeRequest, 'id'>;

interface Pending {
  id: number;
  job: Job;
  timeLimitMs: number;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current: Pending | null;
  timer: NodeJS.Timeout | null;
}

export class ZxingPool {
  private readonly size: number;
  private readonly timeLimitMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Consecutive workers that died before becoming ready: a broken install, not a bad image. */
  private startFailures = 0;

  constructor(opts: PoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? 1);
    this.timeLimitMs = opts.timeLimitMs ?? 10_000;
  }

  decode(job: Job, timeLimitMs = this.timeLimitMs): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new Error('the barcode decoder pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, timeLimitMs, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the barcode decoder pool was closed'));
    await Promise.all(this.slots.splice(0).map((s) => this.retire(s, new Error('the barcode decoder pool was closed'))));
  }

  private pump(): void {
    while (this.slots.length < this.size && this.queue.length > this.slots.filter((s) => !s.current).length) this.slots.push(this.spawn());
    for (const slot of this.slots) {
      if (!slot.ready || slot.current || this.queue.length === 0) continue;
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private dispatch(slot: Slot, p: Pending): void {
    slot.current = p;
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      log.warn('barcode decoding ran past its time limit; restarting the decoder', { ms: p.timeLimitMs });
      void this.retire(slot, new DecodeTimeout(p.timeLimitMs)).then(() => this.pump());
    }, p.timeLimitMs);
    const request: DecodeRequest = { id: p.id, ...p.job };
    slot.worker.postMessage(request, [p.job.grey]);
  }

  private spawn(): Slot {
    const worker = startModuleWorker(import.meta.url, './zxing-worker.js');
    worker.unref();
    const slot: Slot = { worker, ready: false, current: null, timer: null };
    worker.on('message', (msg: DecodeReply | ReadyMessage) => {
      if ('ready' in msg) {
        slot.ready = true;
        this.startFailures = 0;
        this.pump();
        return;
      }
      const p = slot.current;
      if (!p || p.id !== msg.id) return;
      this.settle(slot);
      if (msg.ok) p.resolve({ codes: msg.codes, regionsTried: msg.regionsTried, ms: msg.ms, texture: msg.texture, grey: msg.grey });
      else p.reject(new Error(`barcode decoder: ${msg.error}`));
      this.pump();
    });
    worker.on('error', (err) => {
      log.error('barcode decoder worker failed; restarting it', { error: err.message });
    });
    worker.on('exit', (code) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return; // retired on purpose
      this.slots.splice(i, 1);
      const p = slot.current;
      this.settle(slot);
      if (!slot.ready) this.startFailures++;
      const error = new Error(`the barcode decoder stopped unexpectedly (exit code ${code})`);
      p?.reject(error);
      if (this.startFailures >= 3) {
        // Respawning would fail the same way for ever: fail what waits, and let the next call try again.
        for (const q of this.queue.splice(0)) q.reject(new Error(`the barcode decoder cannot start (${this.startFailures} attempts); check that zxing-wasm is installed`));
        this.startFailures = 0;
        return;
      }
      this.pump();
    });
    return slot;
  }

  private settle(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.current = null;
    slot.worker.unref();
  }

  private async retire(slot: Slot, reason: Error): Promise<void> {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const p = slot.current;
    this.settle(slot);
    p?.reject(reason);
    await slot.worker.terminate();
  }
}
