/**
 * Keyboard layouts for decoding HID keyboard usages (USB HID Usage Tables, Keyboard/Keypad page
 * 0x07) into characters, the way the host's layout would. A keyboard-wedge scanner is set to the
 * host's layout and sends the keys that type each character on it; reading its reports directly,
 * the station has to apply the same layout, or a German rig reads "Z" where the label says "Y".
 *
 * Each entry gives the characters for: no modifier, Shift, AltGr (and Shift+AltGr where one exists).
 * Named keys use KeyboardEvent.key names ("Enter", "Tab", "Backspace", "Escape", "Delete").
 * Dead keys (the German ^ ´ `) are listed in `deadKeys`: they type nothing by themselves and
 * combine with the next key (see boot-keyboard.ts).
 */

export const keyboardLayoutIds = ['us', 'de'] as const;
export type KeyboardLayoutId = (typeof keyboardLayoutIds)[number];

/** [plain, shift, altGr?, shift+altGr?]; '' where the combination types nothing. */
export type KeyLevels = readonly [string, string, string?, string?];

export interface KeyboardLayout {
  readonly id: KeyboardLayoutId;
  readonly keys: ReadonlyMap<number, KeyLevels>;
  /** Characters that are typed by a dead key on this layout. */
  readonly deadKeys: ReadonlySet<string>;
}

/** Keys that are the same on both layouts: named keys and the keypad (NumLock assumed on, as scanners do). */
function commonKeys(decimal: string): Array<[number, KeyLevels]> {
  const keys: Array<[number, KeyLevels]> = [
    [0x28, ['Enter', 'Enter']],
    [0x29, ['Escape', 'Escape']],
    [0x2a, ['Backspace', 'Backspace']],
    [0x2b, ['Tab', 'Tab']],
    [0x2c, [' ', ' ']],
    [0x4c, ['Delete', 'Delete']],
    [0x54, ['/', '/']],
    [0x55, ['*', '*']],
    [0x56, ['-', '-']],
    [0x57, ['+', '+']],
    [0x58, ['Enter', 'Enter']],
    [0x62, ['0', '0']],
    [0x63, [decimal, decimal]],
  ];
  for (let d = 1; d <= 9; d++) keys.push([0x58 + d, [String(d), String(d)]]);
  return keys;
}

function letters(order: string): Array<[number, KeyLevels]> {
  // Usages 0x04–0x1D are the letter keys in US (ANSI) key-cap order a…z.
  return [...order].map((ch, i) => [0x04 + i, [ch, ch.toUpperCase()]] as [number, KeyLevels]);
}

const usKeys: Array<[number, KeyLevels]> = [
  ...letters('abcdefghijklmnopqrstuvwxyz'),
  ...[...'1234567890'].map((d, i) => [0x1e + i, [d, '!@#$%^&*()'.charAt(i)]] as [number, KeyLevels]),
  [0x2d, ['-', '_']],
  [0x2e, ['=', '+']],
  [0x2f, ['[', '{']],
  [0x30, [']', '}']],
  [0x31, ['\\', '|']],
  // Non-US # (0x32) and Non-US \ (0x64) do not exist on ANSI keyboards; Windows' US layout types \ | on both.
  [0x32, ['\\', '|']],
  [0x33, [';', ':']],
  [0x34, ["'", '"']],
  [0x35, ['`', '~']],
  [0x36, [',', '<']],
  [0x37, ['.', '>']],
  [0x38, ['/', '?']],
  [0x64, ['\\', '|']],
  ...commonKeys('.'),
];

/** German T1 (DIN 2137) QWERTZ as Windows, macOS and xkb "de" map it. */
const deKeys: Array<[number, KeyLevels]> = [
  // y and z trade places; AltGr gives @ on q, € on e, µ on m.
  ...letters('abcdefghijklmnopqrstuvwxzy').map(([code, levels]): [number, KeyLevels] => {
    const altGr: Record<string, string> = { q: '@', e: '€', m: 'µ' };
    const extra = altGr[levels[0]];
    return [code, extra ? [levels[0], levels[1], extra] : levels];
  }),
  [0x1e, ['1', '!']],
  [0x1f, ['2', '"', '²']],
  [0x20, ['3', '§', '³']],
  [0x21, ['4', '$']],
  [0x22, ['5', '%']],
  [0x23, ['6', '&']],
  [0x24, ['7', '/', '{']],
  [0x25, ['8', '(', '[']],
  [0x26, ['9', ')', ']']],
  [0x27, ['0', '=', '}']],
  [0x2d, ['ß', '?', '\\']],
  [0x2e, ['´', '`']],
  [0x2f, ['ü', 'Ü']],
  [0x30, ['+', '*', '~']],
  // The key left of Enter is Non-US # (0x32) on ISO keyboards; some scanners send 0x31 for it.
  [0x31, ['#', "'"]],
  [0x32, ['#', "'"]],
  [0x33, ['ö', 'Ö']],
  [0x34, ['ä', 'Ä']],
  [0x35, ['^', '°']],
  [0x36, [',', ';']],
  [0x37, ['.', ':']],
  [0x38, ['-', '_']],
  [0x64, ['<', '>', '|']],
  // The German keypad's decimal key types a comma.
  ...commonKeys(','),
];

export const keyboardLayouts: Readonly<Record<KeyboardLayoutId, KeyboardLayout>> = {
  us: { id: 'us', keys: new Map(usKeys), deadKeys: new Set() },
  de: { id: 'de', keys: new Map(deKeys), deadKeys: new Set(['^', '´', '`']) },
};
