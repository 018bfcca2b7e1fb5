/**
 * The keyboard-wedge detector's options as the core takes them from a config: validated with zod.
 * The detector itself is pure and lives in src/shared/wedge-detector.ts, where the UI imports it too.
 */
import { z } from 'zod';
import { WedgeDetector as PlainWedgeDetector, wedgeDefaults, wedgeTerminators, type WedgeDetectorOptions } from '../shared/wedge-detector.js';

export { isCharacterKey, wedgeDefaults, wedgeTerminators, type KeyInput, type WedgeDetectorOptions, type WedgeOutput, type WedgeTerminator } from '../shared/wedge-detector.js';

export const wedgeDetectorOptionsSchema = z
  .strictObject({
    /** Longest gap between two keys of one burst. Scanners send 5–60 ms/char; people rarely stay this fast for long. */
    maxGapMs: z.number().min(1).max(1000).default(wedgeDefaults.maxGapMs),
    /** Longest a whole burst may take, first key to terminator. */
    maxTotalMs: z.number().min(1).max(60_000).default(wedgeDefaults.maxTotalMs),
    /**
     * After typing, a burst starts only once the line has been quiet this long: a technician needs
     * longer than this to pick up the scanner, while a typist's short pause followed by a fast word
     * is the commonest look-alike of a scan. Right after a scan, `maxGapMs` of quiet is enough
     * (consecutive scans).
     */
    quietBeforeMs: z.number().min(0).max(60_000).default(wedgeDefaults.quietBeforeMs),
    /** Fewest characters (after the prefix) a scan has. */
    minLength: z.number().int().min(1).max(4096).default(wedgeDefaults.minLength),
    /** Most characters (after the prefix) a scan has; longer bursts are released as typing. */
    maxLength: z.number().int().min(1).max(4096).default(wedgeDefaults.maxLength),
    /** Keys that end a scan (consumed, not part of the code). Empty: a scan ends when the line goes quiet. */
    terminators: z.array(z.enum(wedgeTerminators)).max(2).default(() => [...wedgeDefaults.terminators]),
    /** With no terminators: how long the line must stay quiet before a burst counts as complete (≥ maxGapMs). */
    idleTimeoutMs: z.number().min(1).max(5000).default(wedgeDefaults.idleTimeoutMs),
    /** Characters the scanner is set to send before every code (removed from the code). */
    prefix: z.string().max(16).default(wedgeDefaults.prefix),
    /** Regularity: the spread of a burst's gaps may be this many ms … */
    maxJitterMs: z.number().min(0).max(1000).default(wedgeDefaults.maxJitterMs),
    /** … plus this fraction of its median gap. */
    jitterRatio: z.number().min(0).max(10).default(wedgeDefaults.jitterRatio),
    /**
     * A burst ending in a terminator whose every gap is at most this is a scan whatever its rhythm
     * (a Bluetooth scanner's keys in pairs, a busy browser's uneven timestamps): no person types
     * `minLength` keys that fast. 0 turns this off.
     */
    anyRhythmGapMs: z.number().min(0).max(1000).default(wedgeDefaults.anyRhythmGapMs),
  })
  .refine((o) => o.minLength <= o.maxLength, { message: 'minLength must not exceed maxLength', path: ['minLength'] })
  .refine((o) => o.terminators.length > 0 || o.idleTimeoutMs >= o.maxGapMs, {
    message: 'without terminators, idleTimeoutMs must be at least maxGapMs (a slow scanner would otherwise be cut off)',
    path: ['idleTimeoutMs'],
  });

export type WedgeDetectorOptionsInput = z.input<typeof wedgeDetectorOptionsSchema>;

/** The shared detector, with its options checked (a bad option throws, naming it). */
export class WedgeDetector extends PlainWedgeDetector {
  constructor(options: WedgeDetectorOptionsInput = {}) {
    super(wedgeDetectorOptionsSchema.parse(options) satisfies WedgeDetectorOptions);
  }
}
