/**
 * Generated keyboard timelines for the wedge detector: scanner bursts and human typing, from a
 * seeded PRNG so every run sees the same sequences.
 *
 * Scanner model: a per-scan rate of 5–60 ms/char; each gap is rate × (1 ± 15 %) ± 3 ms (the
 * configured inter-character delay varies a little; USB polling and event timestamps add a few
 * ms). Shift is pressed before every capital (a modifier key event just before the character).
 * The code is 4–32 characters, after an optional prefix, ending in Enter, Tab, Enter Enter (CR LF
 * mapped to two Enters) or nothing.
 *
 * Human model: a typist with a mean speed of 80–200 ms/char; each gap is that mean × a log-normal
 * factor (σ 0.25, so fast typists often dip below 80 ms), with 10 % "roll-over" gaps of 20–70 ms
 * (two keys struck almost together), 3 % pauses of 0.3–1.5 s, 4 % typos fixed with Backspace,
 * words and barcode-like codes typed by hand (e.g. NMNH-00012345) that end with Enter or Tab.
 */

/** mulberry32: small, fast, good enough for test data, and reproducible from a 32-bit seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;

export const uniform = (rand: Rand, lo: number, hi: number): number => lo + (hi - lo) * rand();
export const intBetween = (rand: Rand, lo: number, hi: number): number => Math.floor(uniform(rand, lo, hi + 1));
export const pick = <T>(rand: Rand, items: readonly T[]): T => {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};

/** Standard normal by Box–Muller. */
function normal(rand: Rand): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface TimedKey {
  key: string;
  timeMs: number;
}

export type ScanSuffix = 'Enter' | 'Tab' | 'Enter Enter' | 'none';

export interface ScanSample {
  code: string;
  rateMs: number;
  keys: TimedKey[];
}

const codeAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./';

/** A code of `minLength`–32 characters: museum catalogue style, EAN-13 style, or random. */
export function randomCode(rand: Rand, minLength = 4): string {
  const style = rand();
  if (style < 0.3 && minLength <= 13) return `NMNH-${String(intBetween(rand, 0, 99_999_999)).padStart(8, '0')}`;
  if (style < 0.5 && minLength <= 13) return String(intBetween(rand, 0, 9_999_999_999_999)).padStart(13, '0');
  const length = intBetween(rand, minLength, 32);
  let code = '';
  for (let i = 0; i < length; i++) code += rand() < 0.05 ? pick(rand, [...'abcdefghijklmnopqrstuvwxyz']) : pick(rand, [...codeAlphabet]);
  return code;
}

const isCapital = (ch: string): boolean => ch !== ch.toLowerCase();

/** One scanner burst starting at `startMs`. */
export function scannerBurst(rand: Rand, code: string, options: { startMs: number; prefix: string; suffix: ScanSuffix }): ScanSample {
  const rateMs = uniform(rand, 5, 60);
  const gap = () => Math.max(0, rateMs * (1 + uniform(rand, -0.15, 0.15)) + uniform(rand, -3, 3));
  const keys: TimedKey[] = [];
  let t = options.startMs;
  const type = (key: string, first: boolean) => {
    if (!first) t += gap();
    // The scanner presses Shift in the same report interval as the capital: a modifier event just before it.
    if (isCapital(key)) keys.push({ key: 'Shift', timeMs: Math.max(options.startMs, t - 1) });
    keys.push({ key, timeMs: t });
  };
  [...options.prefix, ...code].forEach((ch, i) => type(ch, i === 0));
  if (options.suffix === 'Enter' || options.suffix === 'Enter Enter') type('Enter', false);
  if (options.suffix === 'Enter Enter') type('Enter', false);
  if (options.suffix === 'Tab') type('Tab', false);
  return { code, rateMs, keys };
}

/**
 * Bursts as a reviewer's rigs delivered them, each gap from `gap`: a 12 ms scanner as a busy
 * browser stamps it (Playwright's keyboard.type with delay 12: 15–32 ms), and a Bluetooth scanner
 * that sends keys in pairs (1 ms, then 22 ms). Shift before capitals as in `scannerBurst`.
 */
export function unevenBurst(rand: Rand, code: string, options: { startMs: number; suffix: 'Enter' | 'Tab'; gap: (index: number) => number }): ScanSample {
  const keys: TimedKey[] = [];
  let t = options.startMs;
  [...code, options.suffix].forEach((key, i) => {
    if (i > 0) t += options.gap(i);
    if (key.length === 1 && isCapital(key)) keys.push({ key: 'Shift', timeMs: Math.max(options.startMs, t - 0.5) });
    keys.push({ key, timeMs: t });
  });
  return { code, rateMs: (t - options.startMs) / code.length, keys };
}

/** Playwright keyboard.type(…, { delay: 12 }) as Chromium stamped it: every gap 15–32 ms. */
export const browserStampedGap = (rand: Rand) => () => uniform(rand, 15, 32);
/** A Bluetooth HID scanner: keys in pairs, 1 ms apart, pairs 22 ms apart (± 1 ms). */
export const bluetoothPairGap = (rand: Rand) => (index: number) => (index % 2 === 1 ? uniform(rand, 0.5, 1.5) : uniform(rand, 21, 23));

const words = [
  'front', 'back', 'label', 'sheet', 'specimen', 'type', 'holotype', 'Quercus', 'robur', 'Carex', 'the', 'and', 'of',
  'folder', 'damaged', 'ok', 'redo', 'blurred', 'note', 'see', 'Smith', 'Müller', '1887', '42', 'box', 'drawer', 'tray',
  'pinned', 'insect', 'Coleoptera', 'verso', 'recto', 'colour', 'chart', 'missing', 'yes', 'no', 'skip', 'a', 'to',
];

/** A typed code as a person would copy it from a label. */
function handTypedCode(rand: Rand): string {
  return rand() < 0.6 ? `NMNH-${String(intBetween(rand, 0, 99_999_999)).padStart(8, '0')}` : randomCode(rand);
}

/**
 * A person typing one to four lines (words, or a code copied by hand) into a field, each ending
 * with Enter or Tab, starting at `startMs`. Returns the key events in time order.
 */
export function humanTyping(rand: Rand, startMs: number): TimedKey[] {
  const meanMs = uniform(rand, 80, 200);
  const keys: TimedKey[] = [];
  let t = startMs;
  let first = true;
  const gap = (): number => {
    const r = rand();
    if (r < 0.1) return uniform(rand, 20, 70);
    if (r < 0.13) return uniform(rand, 300, 1500);
    return meanMs * Math.exp(0.25 * normal(rand));
  };
  const press = (key: string) => {
    if (!first) t += gap();
    first = false;
    if (key.length === 1 && isCapital(key)) keys.push({ key: 'Shift', timeMs: t - uniform(rand, 30, 120) });
    keys.push({ key, timeMs: t });
  };
  const lines = intBetween(rand, 1, 4);
  for (let line = 0; line < lines; line++) {
    const text =
      rand() < 0.35 ? handTypedCode(rand) : Array.from({ length: intBetween(rand, 1, 5) }, () => pick(rand, words)).join(' ');
    for (const ch of text) {
      if (rand() < 0.04) {
        press(pick(rand, [...'qwertyuiopasdfghjkl']));
        press('Backspace');
      }
      press(ch);
    }
    press(rand() < 0.75 ? 'Enter' : 'Tab');
    if (line < lines - 1) t += uniform(rand, 200, 3000);
  }
  // Shift events were put before their characters: keep the timeline ordered.
  return keys.sort((a, b) => a.timeMs - b.timeMs);
}
