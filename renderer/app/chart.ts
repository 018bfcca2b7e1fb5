/** Bar-chart geometry for the dashboard's SVG charts: nice axis maxima and stacked bars. Pure. */
import type { Verdict } from '../contract.js';

export type Stack = Record<Verdict, number>;
export const stackOrder: readonly Verdict[] = ['pass', 'warn', 'fail'];

/** The smallest "nice" number (1, 2, 2.5, 5 × 10^n) at or above n; at least 1. */
export function niceMax(n: number): number {
  if (!(n > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** A bar's number in the space above it: 1.4k, 14k. */
export function compactNumber(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1e6).toFixed(1).replace(/\.0$/, '')}M`;
}

/**
 * Evenly spaced axis ticks from 0 to a niceMax: five steps when it starts with 5 or 2.5, four
 * otherwise, so every tick is a round number that its compact label shows exactly (50k in
 * quarters would read 13k, 38k).
 */
export function ticks(max: number): number[] {
  const leading = max / 10 ** Math.floor(Math.log10(max));
  const count = leading === 5 || leading === 2.5 ? 5 : 4;
  return Array.from({ length: count + 1 }, (_, i) => Math.round(((i * max) / count) * 100) / 100);
}

export interface BarSegment {
  verdict: Verdict;
  value: number;
  y: number;
  height: number;
}

export interface Bar {
  x: number;
  width: number;
  total: number;
  segments: BarSegment[];
}

/** Stacked bars (pass at the bottom, fail on top) for `stacks` in a plot of width × height. */
export function stackedBars(stacks: readonly Stack[], width: number, height: number, max: number, gapRatio = 0.25): Bar[] {
  const slot = stacks.length > 0 ? width / stacks.length : 0;
  const barWidth = slot * (1 - gapRatio);
  return stacks.map((s, i) => {
    let y = height;
    const segments: BarSegment[] = [];
    for (const verdict of stackOrder) {
      const value = s[verdict];
      if (value <= 0) continue;
      const h = (value / max) * height;
      y -= h;
      segments.push({ verdict, value, y, height: h });
    }
    return { x: i * slot + (slot - barWidth) / 2, width: barWidth, total: stackOrder.reduce((t, v) => t + s[v], 0), segments };
  });
}
