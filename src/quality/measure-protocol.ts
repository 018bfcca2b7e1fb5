/** Messages between the measuring pool (measure-pool.ts) and its worker (measure-worker.ts). */
import type { SampleLayout } from './measure.js';
import type { Measurements } from './types.js';

export interface MeasureRequest {
  id: number;
  /** The working copy's samples (a copy: the worker owns it). */
  data: Uint8Array;
  layout: SampleLayout;
}

export type MeasureReply = { id: number; ok: true; measurements: Measurements } | { id: number; ok: false; message: string };
