/**
 * The working copy's measures, off the event loop: one worker thread, started on first use, never
 * keeping the process alive while idle, replaced when it dies (failing only the requests it held).
 * One is enough: a capture's measures take tens of milliseconds against the seconds of its decode.
 */
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../log/logger.js';
import { startModuleWorker } from '../threads/start-worker.js';
import type { SampleLayout } from './measure.js';
import type { MeasureReply, MeasureRequest } from './measure-protocol.js';
import type { Measurements } from './types.js';

const log = createLogger('quality.measure');

interface Pending {
  resolve: (m: Measurements) => void;
  reject: (e: Error) => void;
}

let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 1;

export function measureOffThread(data: Buffer, layout: SampleLayout): Promise<Measurements> {
  const w = worker ?? start();
  const id = nextId++;
  return new Promise<Measurements>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, data, layout } satisfies MeasureRequest);
  });
}

function start(): Worker {
  const w = startModuleWorker(import.meta.url, './measure-worker.js');
  w.unref();
  w.on('message', (reply: MeasureReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    if (reply.ok) p.resolve(reply.measurements);
    else p.reject(new Error(reply.message));
  });
  w.on('error', (err) => log.error('the measuring worker failed', { error: err.message }));
  w.on('exit', (code) => {
    if (worker === w) worker = null;
    const failed = [...pending.values()];
    pending.clear();
    for (const p of failed) p.reject(new Error(`the measuring worker stopped unexpectedly (exit code ${code})`));
  });
  worker = w;
  return w;
}
