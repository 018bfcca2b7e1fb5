/**
 * The wedge detector against generated keyboard timelines (models in key-sequences.ts): 21,000
 * sequences from a fixed seed, the reviewer's two uneven scanner rhythms among them. Scanner bursts must be detected (≥ 99.9 %), human typing must never
 * be taken as a scan, and every human keystroke must come out again, unchanged and in order.
 * The measured rates are in the test names.
 */
import { describe, expect, it } from 'vitest';
import { WedgeDetector, type WedgeDetectorOptionsInput, type WedgeOutput } from '../../src/barcode/wedge-detector.js';
import { bluetoothPairGap, browserStampedGap, humanTyping, pick, prng, randomCode, scannerBurst, unevenBurst, uniform, type Rand, type ScanSample, type ScanSuffix, type TimedKey } from './key-sequences.js';

const seed = 0x5ca11ab1;
const perConfig = 2000;
const mixedCount = 1000;

interface Config {
  name: string;
  options: WedgeDetectorOptionsInput;
  prefix: string;
  suffixes: ScanSuffix[];
  /** Bursts of another rhythm than `scannerBurst`'s (the reviewer's rigs). */
  burst?: (rand: Rand, code: string) => ScanSample;
}

const configs: Config[] = [
  { name: 'defaults (Enter/Tab)', options: {}, prefix: '', suffixes: ['Enter', 'Tab', 'Enter Enter'] },
  { name: 'no terminator, idle timeout', options: { terminators: [] }, prefix: '', suffixes: ['none'] },
  { name: 'prefix "#!" + Enter', options: { prefix: '#!', terminators: ['Enter'] }, prefix: '#!', suffixes: ['Enter'] },
  {
    name: 'a 12 ms scanner as a busy browser stamps it (gaps 15–32 ms)',
    options: {},
    prefix: '',
    suffixes: ['Enter'],
    burst: (rand, code) => unevenBurst(rand, code, { startMs: 1000, suffix: pick(rand, ['Enter', 'Tab'] as const), gap: browserStampedGap(rand) }),
  },
  {
    name: 'a Bluetooth scanner sending keys in pairs (1 ms, then 22 ms)',
    options: {},
    prefix: '',
    suffixes: ['Enter'],
    burst: (rand, code) => unevenBurst(rand, code, { startMs: 1000, suffix: 'Enter', gap: bluetoothPairGap(rand) }),
  },
];

const minLength = 6; // the default; generated codes are at least this long

function feed(detector: WedgeDetector, timeline: TimedKey[]): WedgeOutput[] {
  const out = timeline.flatMap((k) => detector.push(k));
  const end = timeline[timeline.length - 1]?.timeMs ?? 0;
  return [...out, ...detector.tick(end + 60_000)];
}

const isModifier = (key: string) => key === 'Shift';
const typedKeys = (out: WedgeOutput[]) => out.flatMap((o) => (o.kind === 'key' ? [o.key] : []));
const scanCodes = (out: WedgeOutput[]) => out.flatMap((o) => (o.kind === 'scan' ? [o.code] : []));

interface Tally {
  scans: number;
  detected: number;
  humans: number;
  humanTakenAsScan: number;
  humanKeysAltered: number;
  missed: string[];
  falseScans: string[];
}

function simulate(rand: Rand, config: Config): Tally {
  const tally: Tally = { scans: 0, detected: 0, humans: 0, humanTakenAsScan: 0, humanKeysAltered: 0, missed: [], falseScans: [] };
  for (let i = 0; i < perConfig; i++) {
    const code = randomCode(rand, minLength);
    const sample = config.burst ? config.burst(rand, code) : scannerBurst(rand, code, { startMs: 1000, prefix: config.prefix, suffix: pick(rand, config.suffixes) });
    const out = feed(new WedgeDetector(config.options), sample.keys);
    tally.scans++;
    // Detected means: exactly this code, and not one of its keys leaked into the focused field.
    if (out.length === 1 && scanCodes(out)[0] === sample.code) tally.detected++;
    else if (tally.missed.length < 5) tally.missed.push(`${sample.code} @${sample.rateMs.toFixed(0)}ms/char → ${JSON.stringify(out.slice(0, 3))}`);

    const human = humanTyping(rand, 1000);
    const hout = feed(new WedgeDetector(config.options), human);
    tally.humans++;
    const falseScans = scanCodes(hout);
    if (falseScans.length > 0) {
      tally.humanTakenAsScan++;
      if (tally.falseScans.length < 5) tally.falseScans.push(falseScans.join(','));
    }
    const expected = human.map((k) => k.key).filter((k) => !isModifier(k));
    if (typedKeys(hout).join('\u0000') !== expected.join('\u0000')) tally.humanKeysAltered++;
  }
  return tally;
}

/** Typing, a pause to pick up the scanner, a scan (sometimes two in a row), a pause, more typing. */
function simulateMixed(rand: Rand): Tally {
  const tally: Tally = { scans: 0, detected: 0, humans: 0, humanTakenAsScan: 0, humanKeysAltered: 0, missed: [], falseScans: [] };
  for (let i = 0; i < mixedCount; i++) {
    const before = humanTyping(rand, 1000);
    let t = (before[before.length - 1]?.timeMs ?? 1000) + uniform(rand, 600, 4000);
    const codes: string[] = [];
    const bursts: TimedKey[] = [];
    const count = rand() < 0.3 ? 2 : 1;
    for (let n = 0; n < count; n++) {
      const burst = scannerBurst(rand, randomCode(rand, minLength), { startMs: t, prefix: '', suffix: pick(rand, ['Enter', 'Tab'] as const) });
      codes.push(burst.code);
      bursts.push(...burst.keys);
      // A second label on the same object, scanned straight after the first.
      t = (burst.keys[burst.keys.length - 1]?.timeMs ?? t) + uniform(rand, 120, 600);
    }
    const after = humanTyping(rand, t + uniform(rand, 300, 3000));
    const out = feed(new WedgeDetector(), [...before, ...bursts, ...after]);
    tally.scans += count;
    tally.humans++;
    const found = scanCodes(out);
    tally.detected += codes.filter((c) => found.includes(c)).length;
    const extra = found.filter((c) => !codes.includes(c));
    if (extra.length > 0) {
      tally.humanTakenAsScan++;
      tally.falseScans.push(extra.join(','));
    }
    const expected = [...before, ...after].map((k) => k.key).filter((k) => !isModifier(k));
    if (typedKeys(out).join('\u0000') !== expected.join('\u0000')) tally.humanKeysAltered++;
  }
  return tally;
}

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(2)} %`;

describe('wedge detector on generated key sequences', () => {
  const rand = prng(seed);
  const results = configs.map((config) => ({ config, tally: simulate(rand, config) }));
  const mixed = simulateMixed(rand);
  const all = [...results.map((r) => r.tally), mixed];
  const total = (f: (t: Tally) => number) => all.reduce((sum, t) => sum + f(t), 0);
  const sequences = total((t) => t.scans) + total((t) => t.humans) - mixed.scans;

  it(`generates at least 10,000 sequences (${sequences})`, () => {
    expect(sequences).toBeGreaterThanOrEqual(10_000);
  });

  for (const { config, tally } of results) {
    it(`${config.name}: ${pct(tally.detected, tally.scans)} of ${tally.scans} scans detected, ${tally.humanTakenAsScan} of ${tally.humans} typing sequences taken as a scan`, () => {
      expect(tally.detected / tally.scans, `missed: ${tally.missed.join(' | ')}`).toBeGreaterThanOrEqual(0.999);
      expect(tally.humanTakenAsScan, `typing taken as a scan: ${tally.falseScans.join(' | ')}`).toBe(0);
      expect(tally.humanKeysAltered, 'every typed key comes out unchanged and in order').toBe(0);
    });
  }

  it(`typing, scan(s), typing: ${pct(mixed.detected, mixed.scans)} of ${mixed.scans} scans detected, ${mixed.humanTakenAsScan} false scans in ${mixedCount} sessions`, () => {
    expect(mixed.detected / mixed.scans).toBeGreaterThanOrEqual(0.999);
    expect(mixed.humanTakenAsScan, mixed.falseScans.join(' | ')).toBe(0);
    expect(mixed.humanKeysAltered).toBe(0);
  });

  it(`overall: ${pct(total((t) => t.detected), total((t) => t.scans))} of scans detected, ${total((t) => t.humanTakenAsScan)} typing sequences taken as scans`, () => {
    expect(total((t) => t.detected) / total((t) => t.scans)).toBeGreaterThanOrEqual(0.999);
    expect(total((t) => t.humanTakenAsScan)).toBe(0);
  });

  // Guards the test itself: 0 false scans proves nothing if the typing model never looks like a
  // scanner. With only the timing window (every gap ≤ 75 ms, at least 4 characters, Enter/Tab) and
  // the regularity and quiet-before rules switched off, the same kind of typing does produce scans.
  const bare = new WedgeDetector({ minLength: 4, quietBeforeMs: 0, maxJitterMs: 1000 }).options;
  const r = prng(seed + 1);
  let bareFalse = 0;
  for (let i = 0; i < 6000; i++) if (scanCodes(feed(new WedgeDetector(bare), humanTyping(r, 1000))).length > 0) bareFalse++;
  it(`the typing model is hard: a bare timing window takes ${bareFalse} of 6000 typing sequences as scans`, () => {
    expect(bareFalse).toBeGreaterThanOrEqual(5);
  });
});
