/** Messages between the measuring pool (measure-pool.ts) and its worker (measure-worker.ts). */
import type { Rgb8 } from './halve.js';
import type { SampleLayout } from './measure.js';
import type { Measurements } from './types.js';

export type MeasureRequest =
  | {
      id: number;
      kind: 'measure';
      /** The working copy's samples (a copy: the worker owns it). */
      data: Uint8Array;
      layout: SampleLayout;
    }
  /** A decode to halve in 2 × 2 means (halve.ts); `data` a copy, as the barcode search still reads the original. */
  | { id: number; kind: 'halve'; data: Uint8Array; width: number; height: number };

export type MeasureReply = { id: number; ok: true; measurements: Measurements } | { id: number; ok: true; halved: Rgb8 } | { id: number; ok: false; message: string };
