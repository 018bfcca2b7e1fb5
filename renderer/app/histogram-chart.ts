/** The histogram as drawn: SVG paths and the clipping figures beside it. Pure. */
import type { PreviewResult } from './use-preview.js';

export type HistogramData = PreviewResult['histogram'];

/**
 * Bar heights for one channel's 256 bins in a box `height` high, on a square-root scale so that
 * thin tails stay visible. The end bins (0 and 255: clipped pixels) do not set the scale — a frame
 * with a large burnt-out area would otherwise flatten everything else — and are capped at full height.
 */
export function binHeights(bins: readonly number[], scaleMax: number, height: number): number[] {
  const top = Math.sqrt(Math.max(1, scaleMax));
  return bins.map((n) => Math.min(height, (Math.sqrt(n) / top) * height));
}

/** The largest inner bin (1…254) over every channel: the scale shared by all four curves. */
export function innerMax(h: HistogramData): number {
  let max = 0;
  for (const ch of [h.r, h.g, h.b, h.luma]) for (let i = 1; i < 255; i++) max = Math.max(max, ch[i] ?? 0);
  return max;
}

/** A closed area under the bars (x: bin index, 0…256; y: 0 at the top). */
export function areaPath(heights: readonly number[], height: number): string {
  const parts = [`M0 ${height}`];
  heights.forEach((h, i) => parts.push(`L${i} ${round(height - h)}`, `L${i + 1} ${round(height - h)}`));
  parts.push(`L${heights.length} ${height}`, 'Z');
  return parts.join(' ');
}

/** The outline of the bars alone (for the R, G and B curves drawn over the luminance area). */
export function linePath(heights: readonly number[], height: number): string {
  return heights.map((h, i) => `${i === 0 ? 'M' : 'L'}${i + 0.5} ${round(height - h)}`).join(' ');
}

export interface ClipFigures {
  /** Worst channel's share of pixels at black / at white, in percent. */
  blackPct: number;
  whitePct: number;
  /** 'qc': measured by QC at the file's own bit depth; 'preview': counted on the 8-bit preview. */
  source: 'qc' | 'preview';
}

/** QC's clipping figures when QC judged clipping; otherwise the preview's end bins. */
export function clipFigures(p: Pick<PreviewResult, 'clipping' | 'histogram'>): ClipFigures {
  if (p.clipping) return { blackPct: Math.max(0, ...p.clipping.blackPct), whitePct: Math.max(0, ...p.clipping.whitePct), source: 'qc' };
  const h = p.histogram;
  const share = (bin: number) => (h.pixels === 0 ? 0 : (100 * Math.max(h.r[bin] ?? 0, h.g[bin] ?? 0, h.b[bin] ?? 0)) / h.pixels);
  return { blackPct: share(0), whitePct: share(255), source: 'preview' };
}

/** "0.42 %", "< 0.01 %", "none". */
export function formatPct(pct: number): string {
  if (pct <= 0) return 'none';
  if (pct < 0.01) return '< 0.01 %';
  return `${pct >= 10 ? pct.toFixed(1) : pct.toFixed(2)} %`;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
