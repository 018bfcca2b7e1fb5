/**
 * HID POS scanned-data reports (usage page 0x8C) as Honeywell / Access-IS style scanners send
 * them: 64 bytes — report ID 0x02, byte count, three AIM symbology bytes, 56 data bytes, two vendor
 * bytes, and a flags byte whose bit 0 says the code continues in the next report.
 */
import { describe, expect, it } from 'vitest';
import { PosScannerDecoder, aimSymbologyName } from '../../src/barcode/hid/pos-scanner.js';

const hex = (text: string): number[] => text.trim().split(/\s+/).map((h) => Number.parseInt(h, 16));
const ascii = (text: string): number[] => [...Buffer.from(text, 'utf8')];

/** One report laid out byte by byte: the test's own statement of the format, not the decoder's. */
function report(options: { data: number[]; aim?: string; continued?: boolean; vendor?: [number, number]; count?: number }): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes[0] = 0x02;
  bytes[1] = options.count ?? options.data.length;
  ascii(options.aim ?? '\0\0\0').forEach((b, i) => (bytes[2 + i] = b));
  bytes.set(options.data.slice(0, 56), 5);
  bytes[61] = options.vendor?.[0] ?? 0;
  bytes[62] = options.vendor?.[1] ?? 0;
  bytes[63] = options.continued ? 0x01 : 0x00;
  return bytes;
}

/** Splits a code into reports of at most 56 data bytes, as the scanner firmware does. */
function reportsFor(text: string, aim: string): Uint8Array[] {
  const data = ascii(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += 56) {
    const part = data.slice(i, i + 56);
    out.push(report({ data: part, aim, continued: i + 56 < data.length }));
  }
  return out;
}

describe('HID POS scanned-data reports', () => {
  it('decodes a recorded single report: Code 128 "NMNH-00012345"', () => {
    // 02 | 0d = 13 bytes | "]C0" | N M N H - 0 0 0 1 2 3 4 5 | zero padding … | 6a 00 (Honeywell code ID "j") | 00
    const recorded = new Uint8Array([
      ...hex('02 0d 5d 43 30 4e 4d 4e 48 2d 30 30 30 31 32 33 34 35'),
      ...new Array<number>(61 - 18).fill(0),
      ...hex('6a 00 00'),
    ]);
    expect(recorded).toHaveLength(64);
    const scan = new PosScannerDecoder().push(recorded);
    expect(scan).toEqual({
      kind: 'scan',
      code: 'NMNH-00012345',
      bytes: new Uint8Array(ascii('NMNH-00012345')),
      aim: ']C0',
      symbology: 'Code 128',
      reports: 1,
    });
  });

  it('joins a 60-byte code sent as 56 + 4 bytes (the layout in the Access-IS manuals)', () => {
    const code = 'https://collections.nmnh.si.edu/search/botany/?ark=3c1d7f9a0';
    expect(code).toHaveLength(60);
    const [first, second] = reportsFor(code, ']Q1');
    if (!first || !second) throw new Error('two reports expected');
    expect(first[1]).toBe(56);
    expect(first[63]).toBe(1);
    expect(second[1]).toBe(4);
    const decoder = new PosScannerDecoder();
    expect(decoder.push(first, 0)).toEqual({ kind: 'continued', bytesSoFar: 56 });
    expect(decoder.pending).toBe(true);
    expect(decoder.push(second, 5)).toMatchObject({ kind: 'scan', code, aim: ']Q1', symbology: 'QR Code', reports: 2 });
    expect(decoder.pending).toBe(false);
  });

  it('joins a Data Matrix code of 200 bytes sent in four reports, and the next scan stands alone', () => {
    const code = Array.from({ length: 20 }, (_, i) => `ZMB_${String(i).padStart(5, '0')};`).join('');
    expect(code).toHaveLength(200);
    const decoder = new PosScannerDecoder();
    const results = [...reportsFor(code, ']d2'), ...reportsFor('NMNH-00012345', ']C0')].map((r, i) => decoder.push(r, i * 8));
    expect(results.map((r) => r.kind)).toEqual(['continued', 'continued', 'continued', 'scan', 'scan']);
    expect(results[3]).toMatchObject({ code, symbology: 'Data Matrix', reports: 4 });
    expect(results[4]).toMatchObject({ code: 'NMNH-00012345', reports: 1 });
  });

  it('reads reports without the report-ID byte (WebHID strips it)', () => {
    const decoder = new PosScannerDecoder({ includesReportId: false });
    const parts = reportsFor('x'.repeat(70), ']A0').map((r) => r.subarray(1));
    expect(parts[0]).toHaveLength(63);
    expect(parts.map((p) => decoder.push(p))).toMatchObject([{ kind: 'continued' }, { kind: 'scan', code: 'x'.repeat(70), symbology: 'Code 39' }]);
  });

  it('drops a continued code whose next part never comes, instead of gluing it to the next scan', () => {
    const decoder = new PosScannerDecoder({ continuationTimeoutMs: 500 });
    const [first] = reportsFor('A'.repeat(80), ']C0');
    if (!first) throw new Error('a report expected');
    expect(decoder.push(first, 1000).kind).toBe('continued');
    expect(decoder.push(report({ data: ascii('NMNH-00000001'), aim: ']C0' }), 1600)).toMatchObject({ kind: 'scan', code: 'NMNH-00000001', reports: 1 });
    expect(decoder.stalledCodes).toBe(1);
  });

  it('ignores other reports and impossible ones, with a reason', () => {
    const decoder = new PosScannerDecoder();
    const other = report({ data: ascii('X') });
    other[0] = 0x04; // a trigger report
    expect(decoder.push(other)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('report ID 4') });
    expect(decoder.push(new Uint8Array(20).fill(2))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('64 bytes') });
    expect(decoder.push(report({ data: ascii('X'), count: 57 }))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('57') });
    expect(decoder.push(report({ data: [] }))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('empty') });
  });

  it('refuses a runaway chain of continued reports', () => {
    const decoder = new PosScannerDecoder({ maxCodeBytes: 100 });
    const part = report({ data: ascii('y'.repeat(56)), continued: true });
    expect(decoder.push(part).kind).toBe('continued');
    expect(decoder.push(part)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('100 bytes') });
    expect(decoder.pending).toBe(false);
  });

  it('decodes UTF-8, and falls back to ISO-8859-1 for a single-byte code page', () => {
    const decoder = new PosScannerDecoder();
    expect(decoder.push(report({ data: hex('4d c3 bc 6c 6c 65 72') }))).toMatchObject({ code: 'Müller' });
    expect(decoder.push(report({ data: hex('4d fc 6c 6c 65 72') }))).toMatchObject({ code: 'Müller' });
    expect(new PosScannerDecoder({ encoding: 'latin1' }).push(report({ data: hex('4d c3 bc') }))).toMatchObject({ code: 'MÃ¼' });
  });

  it('reports no AIM identifier when the scanner sends none', () => {
    expect(new PosScannerDecoder().push(report({ data: ascii('123456') }))).toMatchObject({ aim: null, symbology: null });
    expect(aimSymbologyName(']E0')).toBe('EAN/UPC');
    expect(aimSymbologyName(']X0')).toBeNull();
    expect(aimSymbologyName('C0')).toBeNull();
  });
});
