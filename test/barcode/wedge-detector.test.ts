import { describe, expect, it } from 'vitest';
import { WedgeDetector, wedgeDetectorOptionsSchema, type KeyInput, type WedgeDetectorOptionsInput, type WedgeOutput } from '../../src/barcode/wedge-detector.js';

/** Keys typed `gapMs` apart from `startMs`; a string is split into characters, named keys go in arrays. */
function keys(text: string | string[], startMs: number, gapMs: number | number[]): KeyInput[] {
  const list = Array.isArray(text) ? text : [...text];
  let t = startMs;
  return list.map((key, i) => {
    if (i > 0) t += Array.isArray(gapMs) ? (gapMs[(i - 1) % gapMs.length] ?? 0) : gapMs;
    return { key, timeMs: t };
  });
}

/** Feeds every key, then lets a long silence pass. */
function run(input: KeyInput[], options: WedgeDetectorOptionsInput = {}, detector = new WedgeDetector(options)): WedgeOutput[] {
  const out = input.flatMap((k) => detector.push(k));
  const last = input[input.length - 1]?.timeMs ?? 0;
  return [...out, ...detector.tick(last + 10_000)];
}

const scans = (out: WedgeOutput[]) => out.filter((o) => o.kind === 'scan').map((o) => (o.kind === 'scan' ? o.code : ''));
const typed = (out: WedgeOutput[]) => out.filter((o) => o.kind === 'key').map((o) => o.key);

describe('wedge detector: scanner bursts', () => {
  it('takes a fast burst ending in Enter as one scan, and passes none of its keys to the field', () => {
    const out = run(keys([...'NMNH-00012345', 'Enter'], 1000, 12));
    expect(out).toEqual([{ kind: 'scan', code: 'NMNH-00012345', startMs: 1000, endMs: 1000 + 13 * 12 }]);
  });

  it('ends a scan with Tab, and swallows the second key of an Enter Enter (CR LF) suffix', () => {
    expect(scans(run(keys([...'ABC123', 'Tab'], 1000, 20)))).toEqual(['ABC123']);
    const crlf = run(keys([...'ABC123', 'Enter', 'Enter'], 1000, 20));
    expect(crlf).toHaveLength(1);
    expect(scans(crlf)).toEqual(['ABC123']);
  });

  it('only takes the configured terminators', () => {
    const out = run(keys([...'ABC123', 'Tab'], 1000, 20), { terminators: ['Enter'] });
    expect(scans(out)).toEqual([]);
    expect(typed(out)).toEqual([...'ABC123', 'Tab']);
  });

  it('ignores modifier keys: Shift before each capital does not break or lengthen the burst', () => {
    const input = keys([...'AbCdEf', 'Enter'], 1000, 10).flatMap((k) =>
      k.key !== k.key.toLowerCase() ? [{ key: 'Shift', timeMs: k.timeMs - 0.5 }, k] : [k],
    );
    expect(scans(run(input))).toEqual(['AbCdEf']);
  });

  it('strips a configured prefix, and a burst without it is not a scan', () => {
    expect(scans(run(keys([...'#!NMNH-00012345', 'Enter'], 1000, 8), { prefix: '#!' }))).toEqual(['NMNH-00012345']);
    const without = run(keys([...'NMNH-00012345', 'Enter'], 1000, 8), { prefix: '#!' });
    expect(scans(without)).toEqual([]);
    expect(typed(without).join('')).toBe('NMNH-00012345Enter');
  });

  it('takes a prefix of non-ASCII characters, one key per character', () => {
    expect(scans(run(keys([...'§🔖ABC-123', 'Enter'], 1000, 8), { prefix: '§🔖' }))).toEqual(['ABC-123']);
  });

  it('without terminators, emits the scan once the line has been quiet for idleTimeoutMs — not before', () => {
    const detector = new WedgeDetector({ terminators: [], idleTimeoutMs: 200 });
    const input = keys('NMNH-00012345', 1000, 15);
    expect(input.flatMap((k) => detector.push(k))).toEqual([]);
    const last = 1000 + 12 * 15;
    expect(detector.tick(last + 200)).toEqual([]);
    expect(detector.deadlineMs).toBe(last + 201);
    expect(detector.tick(last + 201)).toEqual([{ kind: 'scan', code: 'NMNH-00012345', startMs: 1000, endMs: last }]);
  });

  it('takes back-to-back scans when the second follows the first closely', () => {
    const first = keys([...'OBJ-000001', 'Enter'], 1000, 10);
    const second = keys([...'OBJ-000002', 'Enter'], 1000 + 10 * 10 + 150, 10);
    expect(scans(run([...first, ...second]))).toEqual(['OBJ-000001', 'OBJ-000002']);
  });
});

describe('wedge detector: typing is never a scan', () => {
  it('passes slow typing through unchanged and in order', () => {
    const input = keys([...'Quercus robur', 'Enter'], 1000, 140);
    const out = run(input);
    expect(scans(out)).toEqual([]);
    expect(typed(out)).toEqual([...'Quercus robur', 'Enter']);
  });

  it('holds a key at most maxGapMs, then releases it on tick', () => {
    const detector = new WedgeDetector({ maxGapMs: 50, quietBeforeMs: 0 });
    expect(detector.push({ key: 'a', timeMs: 1000 })).toEqual([]);
    expect(detector.holding).toBe(true);
    expect(detector.deadlineMs).toBe(1051);
    expect(detector.tick(1050)).toEqual([]);
    expect(detector.tick(1051)).toEqual([{ kind: 'key', key: 'a', timeMs: 1000 }]);
    expect(detector.holding).toBe(false);
  });

  it('does not hold keys that cannot start a scan: a non-prefix key passes at once', () => {
    const detector = new WedgeDetector({ prefix: '#!' });
    expect(detector.push({ key: 'a', timeMs: 1000 })).toEqual([{ kind: 'key', key: 'a', timeMs: 1000 }]);
    expect(detector.push({ key: 'Enter', timeMs: 5000 })).toEqual([{ kind: 'key', key: 'Enter', timeMs: 5000 }]);
  });

  it('refuses a burst shorter than minLength, one gap too slow, one too long in total', () => {
    expect(typed(run(keys([...'ABCDE', 'Enter'], 1000, 10)))).toEqual([...'ABCDE', 'Enter']);
    const slowGap = run(keys([...'NMNH-00012345', 'Enter'], 1000, [10, 10, 10, 10, 90, 10, 10, 10, 10, 10, 10, 10, 10]));
    expect(scans(slowGap)).toEqual([]);
    expect(typed(slowGap).join('')).toBe('NMNH-00012345Enter');
    const long = run(keys([...'X'.repeat(100), 'Enter'], 1000, 50), { maxTotalMs: 3000 });
    expect(scans(long)).toEqual([]);
    expect(typed(long)).toHaveLength(101);
  });

  it('refuses an irregular burst: a person at 45–75 ms per key is not a machine', () => {
    const human = run(keys([...'folder', 'Enter'], 1000, [45, 75, 50, 72, 48, 70]));
    expect(scans(human)).toEqual([]);
    // The same spread of gaps a slow scanner shows (60 ms ± 15 %) is accepted.
    expect(scans(run(keys([...'folder', 'Enter'], 1000, [55, 66, 60, 52, 68, 61])))).toEqual(['folder']);
  });

  it('Backspace (or any named key) inside a burst makes it typing', () => {
    const out = run(keys([...'ABCDEF', 'Backspace', 'G', 'Enter'], 1000, 10));
    expect(scans(out)).toEqual([]);
    expect(typed(out)).toEqual([...'ABCDEF', 'Backspace', 'G', 'Enter']);
  });

  it('a fast word right after typing is not a scan: the line must be quiet for quietBeforeMs first', () => {
    const before = keys('note ', 1000, 150);
    const lastTyped = 1000 + 4 * 150;
    const fast = keys([...'insect', 'Enter'], lastTyped + 300, 20);
    expect(scans(run([...before, ...fast]))).toEqual([]);
    const later = keys([...'insect', 'Enter'], lastTyped + 600, 20);
    expect(scans(run([...before, ...later]))).toEqual(['insect']);
  });

  it('without terminators, a pause too short to end a burst and too long to be inside one makes it typing', () => {
    const input = [...keys('ABCDEFG', 1000, 10), { key: 'H', timeMs: 1060 + 150 }];
    const out = run(input, { terminators: [], idleTimeoutMs: 300 });
    expect(scans(out)).toEqual([]);
    expect(typed(out).join('')).toBe('ABCDEFGH');
  });

  it('flush releases held keys (the window lost focus)', () => {
    const detector = new WedgeDetector();
    keys('NMNH-0', 1000, 10).forEach((k) => detector.push(k));
    expect(detector.flush().map((o) => (o.kind === 'key' ? o.key : '')).join('')).toBe('NMNH-0');
    expect(detector.holding).toBe(false);
  });
});

describe('wedge detector options', () => {
  it('has defaults that suit a scanner sending 5–60 ms/char', () => {
    const d = wedgeDetectorOptionsSchema.parse({});
    // The slowest scanner (60 ms/char) fits between keys; the fastest typist (80 ms/char) does not.
    expect(d.maxGapMs).toBeGreaterThanOrEqual(60);
    expect(d.maxGapMs).toBeLessThan(80);
    // A 256-character code at 60 ms/char would take 15 s: the whole-burst limit is what ends such a run.
    expect(d.maxTotalMs).toBeLessThan(d.maxLength * 60);
    expect(d.terminators).toEqual(['Enter', 'Tab']);
    expect(d.prefix).toBe('');
  });

  it('refuses inconsistent or unknown fields with a message', () => {
    const issues = (input: unknown) => {
      const parsed = wedgeDetectorOptionsSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ minLength: 10, maxLength: 5 })).toEqual(['minLength: minLength must not exceed maxLength']);
    expect(issues({ terminators: [], idleTimeoutMs: 50 })[0]).toMatch(/^idleTimeoutMs: without terminators/);
    expect(issues({ terminators: ['Escape'] })[0]).toMatch(/^terminators\.0/);
    expect(issues({ maxGap: 10 })[0]).toMatch(/maxGap/);
    expect(() => new WedgeDetector({ maxGapMs: -1 })).toThrow();
  });
});

describe('wedge detector invariants on random key streams', () => {
  it('never loses, duplicates or reorders a key, and never holds one past its deadline', async () => {
    const { prng, pick, uniform } = await import('./key-sequences.js');
    const rand = prng(0xf00d);
    const alphabet = [...'AB01-x ', 'Enter', 'Tab', 'Backspace', 'Shift', 'Escape'];
    const configs: WedgeDetectorOptionsInput[] = [{}, { terminators: [] }, { prefix: 'A0', minLength: 1 }, { minLength: 1, quietBeforeMs: 0 }];
    for (let round = 0; round < 2000; round++) {
      const detector = new WedgeDetector(pick(rand, configs));
      const input: KeyInput[] = [];
      let t = 0;
      for (let i = 0; i < 40; i++) {
        t += pick(rand, [0, 3, 10, 40, 74, 75, 76, 200, 600]) + uniform(rand, 0, 2);
        input.push({ key: pick(rand, alphabet), timeMs: t });
      }
      const out: WedgeOutput[] = [];
      for (const k of input) {
        out.push(...detector.push(k));
        const deadline = detector.deadlineMs;
        if (deadline !== null) expect(deadline).toBeGreaterThan(k.timeMs);
      }
      const deadline = detector.deadlineMs;
      out.push(...detector.tick(deadline ?? t));
      expect(detector.holding).toBe(false);

      const typedKeys = input.filter((k) => k.key !== 'Shift');
      const passed = out.filter((o) => o.kind === 'key');
      // Passed keys are the input keys, in order, with each scan's characters and terminators taken out.
      let cursor = 0;
      let consumed = 0;
      for (const o of out) {
        if (o.kind === 'scan') continue;
        while (cursor < typedKeys.length && (typedKeys[cursor]?.timeMs !== o.timeMs || typedKeys[cursor]?.key !== o.key)) {
          cursor++;
          consumed++;
        }
        expect(cursor, 'a passed key that is not next in the input').toBeLessThan(typedKeys.length);
        cursor++;
      }
      consumed += typedKeys.length - cursor;
      const scanned = out.filter((o) => o.kind === 'scan');
      const scannedChars = scanned.reduce((n, s) => n + (s.kind === 'scan' ? [...s.code].length : 0), 0);
      expect(passed.length + consumed).toBe(typedKeys.length);
      // Each scan consumes its code, any prefix, and at most two terminators (Enter Enter).
      expect(consumed).toBeGreaterThanOrEqual(scannedChars);
      expect(consumed).toBeLessThanOrEqual(scannedChars + scanned.length * (2 + 2));
    }
  });
});
