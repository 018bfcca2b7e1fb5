/**
 * Report sequences as scanners send them, written out byte by byte from the HID specs (not from
 * the decoders' tables), so a wrong decoder or a wrong wiring fails the tests.
 */
const hexBytes = (line: string): number[] => line.trim().split(/\s+/).map((h) => Number.parseInt(h, 16));
export const hex = (line: string): Uint8Array => Uint8Array.from(hexBytes(line));
/** The all-zero report: every key released. */
export const UP = '00 00 00 00 00 00 00 00';

/** Honeywell Voyager-style boot keyboard, US layout: "NMNH-00012345" + Enter (02 = Left Shift). */
export const usBootNmnh = [
  '02 00 11 00 00 00 00 00', UP, // N
  '02 00 10 00 00 00 00 00', UP, // M
  '02 00 11 00 00 00 00 00', UP, // N
  '02 00 0b 00 00 00 00 00', UP, // H
  '00 00 2d 00 00 00 00 00', UP, // -
  '00 00 27 00 00 00 00 00', UP, // 0
  '00 00 27 00 00 00 00 00', UP, // 0
  '00 00 27 00 00 00 00 00', UP, // 0
  '00 00 1e 00 00 00 00 00', UP, // 1
  '00 00 1f 00 00 00 00 00', UP, // 2
  '00 00 20 00 00 00 00 00', UP, // 3
  '00 00 21 00 00 00 00 00', UP, // 4
  '00 00 22 00 00 00 00 00', UP, // 5
  '00 00 28 00 00 00 00 00', UP, // Enter
].map(hex);

/** The same scanner set to German: "ZMB_Mam_0815" + Tab — Z is the key US calls Y (0x1c), "_" is Shift + US "/" (0x38). */
export const deBootZmb = [
  '02 00 1c 00 00 00 00 00', UP, // Z
  '02 00 10 00 00 00 00 00', UP, // M
  '02 00 05 00 00 00 00 00', UP, // B
  '02 00 38 00 00 00 00 00', UP, // _
  '02 00 10 00 00 00 00 00', UP, // M
  '00 00 04 00 00 00 00 00', UP, // a
  '00 00 10 00 00 00 00 00', UP, // m
  '02 00 38 00 00 00 00 00', UP, // _
  '00 00 27 00 00 00 00 00', UP, // 0
  '00 00 25 00 00 00 00 00', UP, // 8
  '00 00 1e 00 00 00 00 00', UP, // 1
  '00 00 22 00 00 00 00 00', UP, // 5
  '00 00 2b 00 00 00 00 00', UP, // Tab
].map(hex);

/** "B-17" without a suffix (a scanner set to send none). */
export const usBootNoSuffix = [
  '02 00 05 00 00 00 00 00', UP, // B
  '00 00 2d 00 00 00 00 00', UP, // -
  '00 00 1e 00 00 00 00 00', UP, // 1
  '00 00 24 00 00 00 00 00', UP, // 7
].map(hex);

/** The boot keyboard report descriptor of HID 1.11 Appendix E.6 (what boot-keyboard scanners ship). */
export const bootKeyboardDescriptor = hexBytes(`
  05 01 09 06 a1 01 05 07 19 e0 29 e7 15 00 25 01 75 01 95 08 81 02 95 01 75 08 81 01
  95 05 75 01 05 08 19 01 29 05 91 02 95 01 75 03 91 01 95 06 75 08 15 00 25 65 05 07
  19 00 29 65 81 00 c0`);

/**
 * A HID POS scanner's descriptor (usage page 0x8C): Application "Bar Code Badge Reader", one
 * Scanned Data Report with ID 2 — byte count, three symbology-identifier bytes, 56 decoded-data
 * bytes, two vendor bytes, the Decode Data Continued bit and padding: 64 bytes with the ID.
 */
export const posDescriptor = hexBytes(`
  05 8c 09 02 a1 01
    09 12 a1 02 85 02
      15 00 26 ff 00 75 08 95 01 05 01 09 3b 81 02
      95 03 05 8c 09 fb 09 fc 09 fd 81 02
      95 38 09 fe 82 02 01
      95 02 06 66 ff 09 01 09 02 81 02
      25 01 75 01 95 01 05 8c 09 ff 81 02
      95 07 81 03
    c0
  c0`);

/** A mouse-like vendor interface nobody should read as a scanner. */
export const consumerControlDescriptor = hexBytes('05 0c 09 01 a1 01 85 03 15 00 25 01 75 01 95 08 09 e9 09 ea 81 02 c0');

/** One 64-byte scanned-data report: ID 2, count, AIM id, data, vendor bytes, continued flag. */
export function posReport(data: string, aim: string, continued: boolean): Uint8Array {
  const bytes = new Uint8Array(64);
  const payload = Buffer.from(data, 'latin1');
  bytes[0] = 0x02;
  bytes[1] = payload.length;
  bytes.set(Buffer.from(aim, 'latin1'), 2);
  bytes.set(payload, 5);
  bytes[63] = continued ? 1 : 0;
  return bytes;
}
