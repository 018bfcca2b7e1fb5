/**
 * Tells a keyboard-wedge scanner's burst from a person typing, from key events alone. Pure: time
 * comes in with each event (`KeyboardEvent.timeStamp` in the UI), and `tick(now)` lets the caller
 * resolve what silence decides — so it runs the same in a browser, in Node and in tests.
 *
 * A burst is a scan when all of these hold:
 *   - it starts on a quiet line: no key for more than `quietBeforeMs` after typing (a technician
 *     takes longer than that to pick up the scanner), or `maxGapMs` after a scan (two labels in a row);
 *   - it starts with `prefix` (when set), and has at least `minLength` and at most `maxLength`
 *     characters after the prefix;
 *   - every gap between its keys (and before its terminator) is at most `maxGapMs`, and its whole
 *     duration at most `maxTotalMs`;
 *   - its gaps are machine-regular: largest minus smallest gap at most `maxJitterMs` plus
 *     `jitterRatio` × the median gap (a person's key intervals vary far more than a scanner's) —
 *     unless it ends in a terminator and every gap is at most `anyRhythmGapMs`: no person keeps
 *     that pace for `minLength` keys, while a Bluetooth scanner sends keys in pairs (1 ms, then
 *     20 ms) and a busy browser stamps an even burst unevenly (15–32 ms for a 12 ms scanner);
 *   - it ends with one of `terminators` (Enter, Tab) — or, with no terminators, with the line going
 *     quiet for `idleTimeoutMs`.
 * Anything else is human input: its keys come back out as `key` outputs in their original order so
 * the UI can deliver them to the focused field. Keys are held only while they may still be a scan,
 * at most `maxGapMs` after the last one (or not at all when a prefix is set and the key does not
 * start it). Human typing is never taken as a scan: when in doubt, keys are released as typing.
 *
 * Dependency-free (no Node, no packages) so the browser UI runs the very same detector on page keys;
 * the core validates options from the config with its zod schema (src/barcode/wedge-detector.ts).
 *
 * Modifier keys (Shift, Control, AltGraph, …) carry no text and are ignored: a scanner presses
 * Shift for every capital, and the character event that follows already carries the capital.
 */
export const wedgeTerminators = ['Enter', 'Tab'] as const;
export type WedgeTerminator = (typeof wedgeTerminators)[number];

/** What each option means is documented on the core's schema (src/barcode/wedge-detector.ts). */
export interface WedgeDetectorOptions {
  maxGapMs: number;
  maxTotalMs: number;
  quietBeforeMs: number;
  minLength: number;
  maxLength: number;
  terminators: WedgeTerminator[];
  idleTimeoutMs: number;
  prefix: string;
  maxJitterMs: number;
  jitterRatio: number;
  anyRhythmGapMs: number;
}

export const wedgeDefaults: Readonly<WedgeDetectorOptions> = {
  maxGapMs: 75,
  maxTotalMs: 4000,
  quietBeforeMs: 500,
  minLength: 6,
  maxLength: 256,
  terminators: ['Enter', 'Tab'],
  idleTimeoutMs: 300,
  prefix: '',
  maxJitterMs: 8,
  jitterRatio: 0.3,
  anyRhythmGapMs: 35,
};

/** One keydown: `key` as in `KeyboardEvent.key` (a character, or a name such as "Enter"). */
export interface KeyInput {
  key: string;
  timeMs: number;
}

export type WedgeOutput =
  | { kind: 'scan'; code: string; startMs: number; endMs: number }
  /** A human keystroke, released for delivery to the focused field. */
  | { kind: 'key'; key: string; timeMs: number };

const modifierKeys = new Set([
  'Shift',
  'Control',
  'Alt',
  'AltGraph',
  'Meta',
  'OS',
  'Super',
  'Hyper',
  'CapsLock',
  'NumLock',
  'ScrollLock',
  'Fn',
  'FnLock',
  'Symbol',
  'SymbolLock',
]);

/** A key that types one character (including one astral character made of two UTF-16 units). */
export function isCharacterKey(key: string): boolean {
  if (key.length === 0 || key.length > 2) return false;
  const cp = key.codePointAt(0) ?? 0;
  return (key.length === 1 || cp > 0xffff) && cp >= 0x20 && cp !== 0x7f;
}

type Mode =
  /** Nothing held: a key starts a burst if the line was quiet, else it is typing and passes through. */
  | 'idle'
  /** Keys held that may still be a scan. */
  | 'candidate';

export class WedgeDetector {
  readonly options: WedgeDetectorOptions;
  /** The prefix as keys: one per code point, as key events deliver them. */
  private readonly prefix: readonly string[];
  private mode: Mode = 'idle';
  private held: KeyInput[] = [];
  /** Time of the last non-modifier key, whatever happened to it. */
  private lastMs: number | null = null;
  /** A scan just ended: further terminators of the same burst (CR LF, Tab Enter suffixes) are swallowed. */
  private afterScan = false;
  /** The last thing on the line was a scan (not typing): the next burst needs only maxGapMs of quiet. */
  private lastWasScan = false;

  /** Options are taken as given (the core validates config input with its schema first). */
  constructor(options: Partial<WedgeDetectorOptions> = {}) {
    this.options = { ...wedgeDefaults, ...options, terminators: [...(options.terminators ?? wedgeDefaults.terminators)] };
    this.prefix = [...this.options.prefix];
  }

  /**
   * When the caller should call `tick` if no key arrives before then; null when nothing is pending.
   * Keys are held (and a terminator-less scan is waiting) only until this time.
   */
  get deadlineMs(): number | null {
    if (this.mode !== 'candidate' || this.lastMs === null) return null;
    const wait = this.options.terminators.length === 0 ? this.options.idleTimeoutMs : this.options.maxGapMs;
    // Strictly after: a gap of exactly maxGapMs still belongs to the burst.
    return this.lastMs + wait + 1;
  }

  /** True while keys are held back because they may still be a scan. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  push(input: KeyInput): WedgeOutput[] {
    // Silence up to now is resolved first, even by a modifier key, so nothing is held past its deadline.
    const out = this.tick(input.timeMs);
    if (modifierKeys.has(input.key)) return out;
    const { options } = this;
    const quiet = this.lastMs === null || input.timeMs - this.lastMs > options.maxGapMs;
    const quietEnough =
      this.lastMs === null || input.timeMs - this.lastMs > (this.lastWasScan ? options.maxGapMs : Math.max(options.maxGapMs, options.quietBeforeMs));
    this.lastMs = input.timeMs;
    const isTerminator = (options.terminators as readonly string[]).includes(input.key);

    if (this.mode === 'candidate') {
      // tick() has already ended a burst whose silence was long enough; a gap above maxGapMs that
      // is still inside idleTimeoutMs is too slow for a scan and too short to have ended one.
      if (quiet) {
        this.release(out);
        this.mode = 'idle';
        this.pass(out, input);
        return out;
      }
      if (isTerminator) {
        const scan = this.evaluate(this.held, input.timeMs, true);
        if (scan !== null) {
          out.push(scan);
          this.held = [];
          this.mode = 'idle';
          this.afterScan = true;
          this.lastWasScan = true;
        } else {
          this.release(out);
          this.pass(out, input);
          this.mode = 'idle';
        }
        return out;
      }
      if (isCharacterKey(input.key) && this.fits(input)) {
        this.held.push(input);
        return out;
      }
      // A named key (Backspace, arrows, Escape…) or a burst that can no longer be a scan: typing.
      this.release(out);
      this.pass(out, input);
      this.mode = 'idle';
      return out;
    }

    // Trailing suffix characters of a scan just emitted (CR LF, Tab Enter) belong to that burst.
    if (this.afterScan && !quiet && isTerminator) return out;
    this.afterScan = false;
    // A burst starts on a quiet line only: keys that follow other keys closely are typing.
    if (quietEnough && isCharacterKey(input.key) && (this.prefix.length === 0 || input.key === this.prefix[0])) {
      this.held = [input];
      this.mode = 'candidate';
      return out;
    }
    this.pass(out, input);
    return out;
  }

  /** Resolves what silence up to `nowMs` decides: held keys released, or a terminator-less scan emitted. */
  tick(nowMs: number): WedgeOutput[] {
    const out: WedgeOutput[] = [];
    if (this.lastMs === null) return out;
    const silence = nowMs - this.lastMs;
    if (this.mode === 'candidate') {
      if (this.options.terminators.length === 0) {
        if (silence > this.options.idleTimeoutMs) {
          const last = this.held[this.held.length - 1];
          const scan = last ? this.evaluate(this.held, last.timeMs, false) : null;
          if (scan) {
            out.push(scan);
            this.held = [];
            this.lastWasScan = true;
          } else {
            this.release(out);
          }
          this.mode = 'idle';
        }
      } else if (silence > this.options.maxGapMs) {
        this.release(out);
        this.mode = 'idle';
      }
    }
    if (silence > this.options.maxGapMs) this.afterScan = false;
    return out;
  }

  /** Releases every held key as typing (e.g. when the window loses focus). */
  flush(): WedgeOutput[] {
    const out: WedgeOutput[] = [];
    this.release(out);
    this.mode = 'idle';
    return out;
  }

  private release(out: WedgeOutput[]): void {
    for (const key of this.held) this.pass(out, key);
    this.held = [];
  }

  private pass(out: WedgeOutput[], key: KeyInput): void {
    out.push({ kind: 'key', key: key.key, timeMs: key.timeMs });
    this.lastWasScan = false;
  }

  /** Whether `next` can extend the held burst and still leave a possible scan. */
  private fits(next: KeyInput): boolean {
    const { maxLength, maxTotalMs } = this.options;
    const { prefix } = this;
    const first = this.held[0];
    if (!first) return false;
    const index = this.held.length;
    if (index < prefix.length && next.key !== prefix[index]) return false;
    if (index + 1 - prefix.length > maxLength) return false;
    return next.timeMs - first.timeMs <= maxTotalMs;
  }

  /** The scan these keys make when the burst ends at `endMs` (its terminator when `terminated`, else its last key), or null. */
  private evaluate(keys: readonly KeyInput[], endMs: number, terminated: boolean): WedgeOutput | null {
    const { minLength, maxLength, maxTotalMs, maxGapMs, maxJitterMs, jitterRatio, anyRhythmGapMs } = this.options;
    const { prefix } = this;
    const first = keys[0];
    if (!first || keys.length < prefix.length) return null;
    if (prefix.some((ch, i) => keys[i]?.key !== ch)) return null;
    const code = keys
      .slice(prefix.length)
      .map((k) => k.key)
      .join('');
    const length = keys.length - prefix.length;
    if (length < minLength || length > maxLength) return null;
    if (endMs - first.timeMs > maxTotalMs) return null;
    const times = keys.map((k) => k.timeMs);
    if (endMs !== times[times.length - 1]) times.push(endMs);
    const gaps: number[] = [];
    for (let i = 1; i < times.length; i++) gaps.push((times[i] ?? 0) - (times[i - 1] ?? 0));
    if (gaps.some((g) => g > maxGapMs || g < 0)) return null;
    if (gaps.length > 1 && !(terminated && gaps.every((g) => g <= anyRhythmGapMs))) {
      const sorted = [...gaps].sort((a, b) => a - b);
      const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
      const spread = (sorted[sorted.length - 1] ?? 0) - (sorted[0] ?? 0);
      if (spread > maxJitterMs + jitterRatio * median) return null;
    }
    return { kind: 'scan', code, startMs: first.timeMs, endMs };
  }
}
