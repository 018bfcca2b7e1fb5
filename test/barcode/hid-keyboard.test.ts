/**
 * Keyboard boot reports as a scanner in USB keyboard mode sends them: per character a key-down
 * report (modifier byte, reserved byte, six usage slots) and then an all-zero release report.
 * Usages are from the HID Usage Tables, Keyboard/Keypad page (0x07), written out by hand here —
 * not derived from the decoder's layout tables — so a wrong table entry fails these tests.
 */
import { describe, expect, it } from 'vitest';
import { BootKeyboardDecoder } from '../../src/barcode/hid/boot-keyboard.js';
import type { KeyboardLayoutId } from '../../src/barcode/hid/keyboard-layouts.js';
import { KeyboardScanReader } from '../../src/barcode/hid/keyboard-scans.js';
import { deBootZmb, hex, UP, usBootNmnh as usNmnh } from './usb/recorded-reports.js';

/**
 * German layout, "ZMB_Mam_0815" + Tab: Z is on the key US calls Y (0x1C), "_" is Shift + the key
 * US calls "/" (0x38). Some scanners press Shift in a report of its own before the key.
 */
const deZmb = [hex('02 00 00 00 00 00 00 00'), ...deBootZmb];

/** German punctuation and letters: y z ß ä ö ü # - @ (AltGr = Right Alt 0x40, or Ctrl+Alt 0x05) € / ^ (dead key + space). */
const deSpecial = [
  '00 00 1d 00 00 00 00 00', UP, // y
  '00 00 1c 00 00 00 00 00', UP, // z
  '00 00 2d 00 00 00 00 00', UP, // ß
  '00 00 34 00 00 00 00 00', UP, // ä
  '00 00 33 00 00 00 00 00', UP, // ö
  '02 00 2f 00 00 00 00 00', UP, // Ü
  '00 00 32 00 00 00 00 00', UP, // #
  '00 00 38 00 00 00 00 00', UP, // -
  '40 00 14 00 00 00 00 00', UP, // @ (AltGr+Q)
  '05 00 08 00 00 00 00 00', UP, // € (Ctrl+Alt+E, which Windows treats as AltGr)
  '02 00 24 00 00 00 00 00', UP, // /
  '00 00 35 00 00 00 00 00', UP, // ^ is a dead key on German keyboards …
  '00 00 2c 00 00 00 00 00', UP, // … and a scanner follows it with a space to type "^" itself
  '00 00 2e 00 00 00 00 00', UP, // ´ (dead) …
  '00 00 08 00 00 00 00 00', UP, // … + e = é
  '00 00 28 00 00 00 00 00', UP, // Enter
].map(hex);

function decodeAll(reports: Uint8Array[], layout: KeyboardLayoutId): string[] {
  const decoder = new BootKeyboardDecoder({ layout });
  return reports.flatMap((r) => decoder.push(r)).map((k) => k.key);
}

describe('HID boot keyboard reports', () => {
  it('decodes a recorded US scan, including repeated characters released in between', () => {
    expect(decodeAll(usNmnh, 'us')).toEqual([...'NMNH-00012345', 'Enter']);
  });

  it('decodes a recorded German scan: QWERTZ letters, shifted punctuation, Shift in its own report', () => {
    expect(decodeAll(deZmb, 'de')).toEqual([...'ZMB_Mam_0815', 'Tab']);
    // The same bytes read with the wrong layout give a different code: the layout setting matters.
    expect(decodeAll(deZmb, 'us').join('')).toBe('YMB?Mam?0815Tab');
  });

  it('decodes German special characters, AltGr and dead keys', () => {
    expect(decodeAll(deSpecial, 'de')).toEqual([...'yzßäöÜ#-@€/^é', 'Enter']);
  });

  it('decodes the US punctuation row and shifted digits', () => {
    const usages = [0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38];
    const plain = usages.flatMap((u) => [hex(`00 00 ${u.toString(16)} 00 00 00 00 00`), hex(UP)]);
    const shifted = usages.flatMap((u) => [hex(`20 00 ${u.toString(16)} 00 00 00 00 00`), hex(UP)]); // Right Shift
    expect(decodeAll(plain, 'us').join('')).toBe("-=[]\\;'`,./");
    expect(decodeAll(shifted, 'us').join('')).toBe('_+{}|:"~<>?');
    const digits = Array.from({ length: 10 }, (_, i) => [hex(`02 00 ${(0x1e + i).toString(16)} 00 00 00 00 00`), hex(UP)]).flat();
    expect(decodeAll(digits, 'us').join('')).toBe('!@#$%^&*()');
    expect(decodeAll(digits, 'de').join('')).toBe('!"§$%&/()=');
  });

  it('a key held across reports is one press; two new keys in one report come in slot order', () => {
    const held = ['00 00 04 00 00 00 00 00', '00 00 04 00 00 00 00 00', '00 00 04 05 00 00 00 00', UP].map(hex);
    expect(decodeAll(held, 'us')).toEqual(['a', 'b']);
    const both = ['00 00 06 07 00 00 00 00', UP].map(hex);
    expect(decodeAll(both, 'us')).toEqual(['c', 'd']);
  });

  it('ignores ErrorRollOver reports and keys with GUI or a lone Alt', () => {
    const reports = ['00 00 01 01 01 01 01 01', '08 00 04 00 00 00 00 00', UP, '04 00 05 00 00 00 00 00', UP, '00 00 06 00 00 00 00 00', UP].map(hex);
    expect(decodeAll(reports, 'us')).toEqual(['c']);
  });

  it('Ctrl + key types the ASCII control character (how a wedge sends GS / FNC1)', () => {
    const reports = ['01 00 30 00 00 00 00 00', UP, '10 00 10 00 00 00 00 00', UP].map(hex); // Ctrl+], Right Ctrl+M
    expect(decodeAll(reports, 'us')).toEqual(['\u001d', '\r']);
  });

  it('tracks Caps Lock: it inverts Shift for letters (umlauts too), not for digits or ß', () => {
    const reports = ['00 00 39 00 00 00 00 00', UP, '00 00 04 00 00 00 00 00', UP, '02 00 05 00 00 00 00 00', UP, '00 00 34 00 00 00 00 00', UP, '00 00 1e 00 00 00 00 00', UP, '00 00 2d 00 00 00 00 00', UP].map(hex);
    expect(decodeAll(reports, 'de').join('')).toBe('AbÄ1ß');
  });

  it('uses the keypad (with the German decimal comma)', () => {
    const reports = [0x59, 0x62, 0x63, 0x56, 0x55].flatMap((u) => [hex(`00 00 ${u.toString(16)} 00 00 00 00 00`), hex(UP)]);
    expect(decodeAll(reports, 'us').join('')).toBe('10.-*');
    expect(decodeAll(reports, 'de').join('')).toBe('10,-*');
  });

  it('drops a leading report ID when told to, and counts reports too short to use', () => {
    const decoder = new BootKeyboardDecoder({ layout: 'us', includesReportId: true });
    expect(decoder.push(hex('01 02 00 04 00 00 00 00 00')).map((k) => k.key)).toEqual(['A']);
    expect(decoder.push(hex('01 00 00'))).toEqual([]);
    expect(decoder.malformedReports).toBe(1);
  });
});

describe('keyboard scan reader (a scanner claimed over USB)', () => {
  it('assembles scans up to the terminator', () => {
    const reader = new KeyboardScanReader({ layout: 'us' });
    expect([...usNmnh, ...usNmnh].flatMap((r) => reader.push(r))).toEqual(['NMNH-00012345', 'NMNH-00012345']);
    const de = new KeyboardScanReader({ layout: 'de', terminators: ['Tab'] });
    expect(deZmb.flatMap((r) => de.push(r))).toEqual(['ZMB_Mam_0815']);
  });

  it('with no terminator, ends a scan after the device has been quiet', () => {
    const reader = new KeyboardScanReader({ layout: 'us', terminators: [], idleTimeoutMs: 200 });
    const withoutEnter = usNmnh.slice(0, -2);
    let t = 0;
    for (const r of withoutEnter) expect(reader.push(r, (t += 4))).toEqual([]);
    // Quiet is counted from the last key-down ("5"), not from its release report 4 ms later.
    const lastKeyMs = t - 4;
    expect(reader.tick(lastKeyMs + 200)).toEqual([]);
    expect(reader.tick(lastKeyMs + 201)).toEqual(['NMNH-00012345']);
    expect(reader.tick(t + 5000)).toEqual([]);
  });
});
