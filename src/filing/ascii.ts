/**
 * ASCII-only names (linking.charset "ascii") for libraries kept on or copied to systems that
 * mangle anything else: old DAMS, FTP servers, Windows shares with a legacy code page, collection
 * databases. Latin letters keep their base letter, so "Ørsted Blüte" is still readable as
 * "Orsted Blute"; other scripts and symbols cannot be spelled in ASCII and become the replacement.
 */

/**
 * Latin letters (and the typographic marks common in names) that NFKD does not split into a base
 * letter and combining marks, so dropping the marks alone would lose them.
 */
const latinLetters: Readonly<Record<string, string>> = {
  Æ: 'AE',
  æ: 'ae',
  Ø: 'O',
  ø: 'o',
  Œ: 'OE',
  œ: 'oe',
  ß: 'ss',
  ẞ: 'SS',
  Ð: 'D',
  ð: 'd',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ł: 'L',
  ł: 'l',
  Ŋ: 'N',
  ŋ: 'n',
  Þ: 'Th',
  þ: 'th',
  Ŧ: 'T',
  ŧ: 't',
  ƒ: 'f',
  // "O’Brien" keeps its apostrophe; a curly double quote becomes '"', which the sanitiser then replaces like any other.
  '‘': "'",
  '’': "'",
  '‚': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '‐': '-',
  '‑': '-',
  '‒': '-',
  '–': '-',
  '—': '-',
};

const tableKeys = new RegExp(`[${Object.keys(latinLetters).join('')}]`, 'gu');
const combiningMark = /\p{M}/gu;
const nonAscii = /\P{ASCII}+/gu;

/**
 * `text` in ASCII: compatibility forms unfolded and diacritics dropped ("é" → "e", "ﬁ" → "fi",
 * full-width "Ａ" → "A"), the letters of `latinLetters` spelled out, and each run of what is left
 * (another script, an emoji with its modifiers) one `replacement`. What the unfolding yields (a
 * full-width "／" becomes "/", "‥" becomes "..") is for the sanitiser's later rules to deal with.
 */
export function toAscii(text: string, replacement: string): string {
  return text
    .normalize('NFKD')
    .replace(combiningMark, '')
    .replace(tableKeys, (ch) => latinLetters[ch]!)
    .replace(nonAscii, replacement);
}
