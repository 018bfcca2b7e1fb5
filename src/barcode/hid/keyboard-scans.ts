/**
 * Turns the keys of a scanner read directly over USB in keyboard mode into scans. Unlike the
 * keyboard-wedge detector, no timing is needed to tell scanner from person: every report on this
 * device comes from the scanner. A scan is the characters up to a terminator (Enter and/or Tab),
 * or — for a scanner set to send no suffix — up to a pause of `idleTimeoutMs`.
 */
import { BootKeyboardDecoder, type BootKeyboardDecoderOptions } from './boot-keyboard.js';

export interface KeyboardScanReaderOptions extends BootKeyboardDecoderOptions {
  /** Keys that end a scan; empty: a scan ends when the device has been quiet for idleTimeoutMs. */
  terminators?: ReadonlyArray<'Enter' | 'Tab'>;
  idleTimeoutMs?: number;
}

export class KeyboardScanReader {
  private readonly decoder: BootKeyboardDecoder;
  private readonly terminators: ReadonlySet<string>;
  private readonly idleTimeoutMs: number;
  private line = '';
  private lastKeyMs = 0;

  constructor(options: KeyboardScanReaderOptions) {
    this.decoder = new BootKeyboardDecoder(options);
    this.terminators = new Set(options.terminators ?? ['Enter', 'Tab']);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 300;
  }

  /** Feeds one report received at `timeMs`; returns the scans it completed (usually none or one). */
  push(report: Uint8Array, timeMs = 0): string[] {
    const scans = this.tick(timeMs);
    for (const { key } of this.decoder.push(report)) {
      this.lastKeyMs = timeMs;
      if (this.terminators.has(key)) {
        // A second terminator of a CR LF style suffix finds an empty line and yields nothing.
        if (this.line !== '') scans.push(this.line);
        this.line = '';
      } else if (key === 'Escape') {
        this.line = '';
      } else if ([...key].length === 1) {
        this.line += key;
      }
      // Other named keys (Backspace, Delete, a Tab that is not a terminator) are not part of a code.
    }
    return scans;
  }

  /** With no terminators: the line held since the last key, once the device has been quiet long enough. */
  tick(nowMs: number): string[] {
    if (this.terminators.size > 0 || this.line === '' || nowMs - this.lastKeyMs <= this.idleTimeoutMs) return [];
    const line = this.line;
    this.line = '';
    return [line];
  }

  get malformedReports(): number {
    return this.decoder.malformedReports;
  }
}
