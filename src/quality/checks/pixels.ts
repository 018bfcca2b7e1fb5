/** Checks of the decoded pixels (the working copy): exposure, blank frames, focus. */
import type { Profile } from '../profile.js';
import type { Analysis, Measurements } from '../types.js';
import { skip, type Outcome } from './outcome.js';

function measured(a: Analysis): Measurements | Outcome {
  if (a.measurements) return a.measurements;
  if (a.facts?.format === 'raw') return skip('Not checked: RAW pixels are not decoded (the partner TIFF/JPEG is where exposure and focus are checked).');
  return skip('Not checked: the pixels could not be decoded.');
}

const isOutcome = (x: Measurements | Outcome): x is Outcome => 'status' in x;

export function exposure(a: Analysis, p: Profile): Outcome {
  const m = measured(a);
  if (isOutcome(m)) return m;
  const { warnClippedPct, failClippedPct } = p.exposure;
  const threshold = { warnClippedPct, failClippedPct };
  if (m.clippedWhitePct.length === 0) {
    const why = a.facts?.bitDepth === 1 ? 'a 1-bit image is all black and white by nature' : 'floating-point and 32-bit samples have no fixed black and white code values';
    return skip(`Clipping not judged: ${why}.`, null, threshold);
  }
  const white = worst(m.clippedWhitePct);
  const black = worst(m.clippedBlackPct);
  const value = { clippedWhitePct: m.clippedWhitePct, clippedBlackPct: m.clippedBlackPct };
  const over = [
    { ...white, at: 'white', remedy: 'reduce exposure or light' },
    { ...black, at: 'black', remedy: 'increase exposure or light' },
  ]
    .filter((c) => c.pct > warnClippedPct)
    .sort((x, y) => y.pct - x.pct);
  if (over.length === 0) return { status: 'pass', value, threshold, message: `Exposure is fine: at most ${pct(white.pct)} clipped at white and ${pct(black.pct)} at black (warning above ${pct(warnClippedPct)}).` };
  const status = over[0]!.pct > failClippedPct ? 'fail' : 'warn';
  const limit = status === 'fail' ? failClippedPct : warnClippedPct;
  const channels = m.clippedWhitePct.length;
  const parts = over.map((c) => `${channelName(c.channel, channels)}: ${pct(c.pct)} of pixels clipped at ${c.at}`);
  return { status, value, threshold, message: `${parts.join('; ')} (limit ${pct(limit)}): ${over.map((c) => c.remedy).join(', and ')}.` };
}

export function blank(a: Analysis, p: Profile): Outcome {
  const m = measured(a);
  if (isOutcome(m)) return m;
  const min = p.blank.minStdDev;
  const std = m.lumaStdDev;
  return std < min
    ? { status: 'fail', value: std, threshold: min, message: `The frame is nearly uniform (luminance spread ${std.toFixed(2)} on 0–255, minimum ${min}): check the lens cap, the lights and that the object is in view.` }
    : { status: 'pass', value: std, threshold: min, message: `The frame has content (luminance spread ${std.toFixed(1)} on 0–255).` };
}

export function sharpness(a: Analysis, p: Profile): Outcome {
  const m = measured(a);
  if (isOutcome(m)) return m;
  const { warnBelow, failBelow } = p.sharpness;
  const status = m.focus < failBelow ? 'fail' : m.focus < warnBelow ? 'warn' : 'pass';
  const measure = `Focus measure ${m.focus} at the ${m.workingWidth} × ${m.workingHeight} working size`;
  return {
    status,
    value: m.focus,
    threshold: { warnBelow, failBelow },
    message: status === 'pass' ? `${measure} (warning below ${warnBelow}).` : `${measure} is below ${status === 'fail' ? failBelow : warnBelow}: check focus and camera shake, and re-shoot.`,
  };
}

function worst(values: number[]): { channel: number; pct: number } {
  return values.reduce((best, pct, channel) => (pct > best.pct ? { channel, pct } : best), { channel: 0, pct: values[0] ?? 0 });
}

function channelName(index: number, channels: number): string {
  const name = channels === 1 ? 'Grey' : (['Red', 'Green', 'Blue'][index] ?? `Channel ${index + 1}`);
  return `${name} channel`;
}

function pct(value: number): string {
  return `${Number(value.toFixed(2))} %`;
}
