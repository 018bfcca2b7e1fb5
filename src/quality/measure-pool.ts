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

type Done = Exclude<MeasureReply, { ok: false }>;

interface Pending {
  resolve: (reply: Done) => void;
  reject: (e: Error) => void;
}

let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 1;

export async function measureOffThread(data: Buffer, layout: SampleLayout): Promise<Measurements> {
  const reply = await send((id) => ({ id, kind: 'measure', data, layout }));
  if (!('measurements' in reply)) throw new Error('the measuring worker answered a measure with something else');
  return reply.measurements;
}

/** `p` halved in 2 × 2 means (halve.ts) off the event loop; `p` itself is copied, not moved. */
export async function halveOffThread(p: { data: Uint8Array; width: number; height: number }): Promise<{ data: Buffer; width: number; height: number }> {
  const reply = await send((id) => ({ id, kind: 'halve', data: p.data, width: p.width, height: p.height }));
  if (!('halved' in reply)) throw new Error('the measuring worker answered a halving with something else');
  const { data, width, height } = reply.halved;
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

function send(request: (id: number) => MeasureRequest): Promise<Done> {
  const w = worker ?? start();
  const id = nextId++;
  return new Promise<Done>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage(request(id));
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
    if (reply.ok) p.resolve(reply);
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
