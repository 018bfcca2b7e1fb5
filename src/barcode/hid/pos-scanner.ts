/**
 * Decodes HID Point-of-Sale barcode scanner input reports (usage page 0x8C, "Bar Code Scanner")
 * into scans. In this mode a scanner is not a keyboard: the code arrives as bytes, independent of
 * any keyboard layout, and reaches the station even while another program has keyboard focus.
 *
 * What this follows. The HID Point of Sale Usage Tables 1.02 (USB-IF, 2001) define the Scanned
 * Data Report (usage 0x12) with Symbology Identifier 1–3 (0xFB–0xFD), Decoded Data (0xFE) and the
 * Decode Data Continued flag (0xFF), but leave the byte layout to the device's report descriptor.
 * The layout that Honeywell, Access-IS, Zebra-compatible and other scanners actually ship (seen in
 * Honeywell's own firmware descriptor, Access-IS's LSR/ATR product manuals "HID reports – Receive
 * data", and open-source readers such as @point-of-sale/webhid-barcode-scanner) is one 64-byte
 * input report:
 *
 *   byte 0      report ID (0x02)
 *   byte 1      number of valid data bytes in this report (0–56) — Generic Desktop "Byte Count"
 *   bytes 2–4   AIM symbology identifier (ISO/IEC 15424), e.g. "]C0" = Code 128; 0 when disabled
 *   bytes 5–60  decoded data, 56 bytes, zero-padded
 *   bytes 61–62 vendor bytes (Honeywell: its own code ID; Access-IS: "further symbology identifier")
 *   byte 63     bit 0: Decode Data Continued — more of this code follows in the next report
 *
 * A code longer than 56 bytes comes as several reports, all but the last with the continued bit
 * set; the pieces are joined in order. When reports are read with the report ID stripped (WebHID,
 * or some hidraw paths), set `includesReportId: false` and every offset moves down by one.
 */

export interface PosScannerDecoderOptions {
  /** The input report ID of the scanned-data report. */
  reportId?: number;
  /** Whether each report starts with its report-ID byte (libusb and node-hid: yes; WebHID: no). */
  includesReportId?: boolean;
  /**
   * How the data bytes become text: UTF-8 (falling back to ISO-8859-1 when the bytes are not valid
   * UTF-8), or ISO-8859-1 always. Both are identical for ASCII, which is what object barcodes hold.
   */
  encoding?: 'utf8' | 'latin1';
  /** A continued code whose next part does not arrive within this long is dropped. */
  continuationTimeoutMs?: number;
  /** Largest code assembled from continued reports; a longer chain is dropped (a runaway device). */
  maxCodeBytes?: number;
}

export interface PosScan {
  kind: 'scan';
  code: string;
  bytes: Uint8Array;
  /** The AIM identifier as sent ("]C0"), or null when the scanner sends none. */
  aim: string | null;
  /** A readable name for the AIM code character ("Code 128"), or null when unknown or absent. */
  symbology: string | null;
  /** How many reports the code came in. */
  reports: number;
}

export type PosReportResult =
  | PosScan
  /** Part of a longer code; the rest follows. */
  | { kind: 'continued'; bytesSoFar: number }
  /** Not a scanned-data report, or one that cannot be used; `reason` is for the log. */
  | { kind: 'ignored'; reason: string };

export const posDataOffset = 5;
export const posDataCapacity = 56;
const continuedByte = 63;

/** AIM code characters (ISO/IEC 15424) for the symbologies a museum rig meets. */
const aimSymbologies: Readonly<Record<string, string>> = {
  A: 'Code 39',
  C: 'Code 128',
  d: 'Data Matrix',
  E: 'EAN/UPC',
  e: 'GS1 DataBar',
  F: 'Codabar',
  G: 'Code 93',
  H: 'Code 11',
  I: 'Interleaved 2 of 5',
  L: 'PDF417',
  M: 'MSI',
  Q: 'QR Code',
  z: 'Aztec',
};

export function aimSymbologyName(aim: string | null): string | null {
  if (aim === null || aim.length < 2 || aim[0] !== ']') return null;
  return aimSymbologies[aim.charAt(1)] ?? null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function decodeText(bytes: Uint8Array, encoding: 'utf8' | 'latin1'): string {
  if (encoding === 'utf8') {
    try {
      return utf8.decode(bytes);
    } catch {
      // Not UTF-8: a scanner set to a single-byte code page. ISO-8859-1 keeps every byte visible.
    }
  }
  return latin1.decode(bytes);
}

export class PosScannerDecoder {
  private readonly reportId: number;
  private readonly offset: number;
  private readonly encoding: 'utf8' | 'latin1';
  private readonly continuationTimeoutMs: number;
  private readonly maxCodeBytes: number;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private lastPartMs = 0;
  /** Continued codes dropped because their next part never came, for the adapter's diagnostics. */
  stalledCodes = 0;

  constructor(options: PosScannerDecoderOptions = {}) {
    this.reportId = options.reportId ?? 0x02;
    this.offset = (options.includesReportId ?? true) ? 0 : -1;
    this.encoding = options.encoding ?? 'utf8';
    this.continuationTimeoutMs = options.continuationTimeoutMs ?? 1000;
    this.maxCodeBytes = options.maxCodeBytes ?? 8192;
  }

  /** True while a continued code waits for its next part. */
  get pending(): boolean {
    return this.parts.length > 0;
  }

  /** Feeds one input report; `timeMs` (any monotonic clock) lets a stalled continuation be dropped. */
  push(report: Uint8Array, timeMs = 0): PosReportResult {
    const at = (index: number): number => report[index + this.offset] ?? 0;
    if (this.offset === 0 && report[0] !== this.reportId) {
      return { kind: 'ignored', reason: `report ID ${report[0] ?? 'none'} is not the scanned-data report ${this.reportId}` };
    }
    if (report.length <= continuedByte + this.offset) {
      return { kind: 'ignored', reason: `a scanned-data report has ${continuedByte + 1 + this.offset} bytes here, this one ${report.length}` };
    }
    if (this.parts.length > 0 && timeMs - this.lastPartMs > this.continuationTimeoutMs) {
      // The device lost the rest (unplugged mid-code, a dropped transfer): never glue two codes together.
      this.stalledCodes++;
      this.clear();
    }
    const count = at(1);
    if (count > posDataCapacity) {
      this.clear();
      return { kind: 'ignored', reason: `byte count ${count} exceeds the ${posDataCapacity} data bytes of a report` };
    }
    const start = posDataOffset + this.offset;
    this.parts.push(report.slice(start, start + count));
    this.partBytes += count;
    this.lastPartMs = timeMs;
    if (this.partBytes > this.maxCodeBytes) {
      const size = this.partBytes;
      this.clear();
      return { kind: 'ignored', reason: `a continued code grew past ${this.maxCodeBytes} bytes (${size}); dropped` };
    }
    if ((at(continuedByte) & 0x01) !== 0) return { kind: 'continued', bytesSoFar: this.partBytes };

    const bytes = new Uint8Array(this.partBytes);
    let pos = 0;
    for (const part of this.parts) {
      bytes.set(part, pos);
      pos += part.length;
    }
    const reports = this.parts.length;
    this.clear();
    if (bytes.length === 0) return { kind: 'ignored', reason: 'an empty scanned-data report (no decoded data)' };
    // The AIM identifier is taken from the last report; every part of one code carries the same.
    const aim = at(2) === 0x5d ? String.fromCharCode(at(2), at(3), at(4)) : null;
    return { kind: 'scan', code: decodeText(bytes, this.encoding), bytes, aim, symbology: aimSymbologyName(aim), reports };
  }

  /** Drops a half-assembled code (e.g. when the device is detached). */
  clear(): void {
    this.parts = [];
    this.partBytes = 0;
  }
}
