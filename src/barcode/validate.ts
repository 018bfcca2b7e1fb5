/**
 * Whether a scanned code may become an object, and what a scan means. Every refusal carries a
 * sentence for the technician saying why, so a misread or a wrong label is caught on the rig
 * rather than filed.
 *
 * Order of decisions in classifyScan (each one is final):
 *   1. an exact control code (END, UNDO, REJECT) is a control, whatever the pattern says;
 *   2. empty, control characters, over-long, no letter or digit at all: refused (these are reader
 *      or wedge faults, and a code of only spaces or dots would name no folder);
 *   3. the project's pattern, then its check digit: refused when they fail;
 *   4. otherwise an object barcode.
 */
import { checkDigitSchemes } from './check-digits.js';
import { checkedGroupName, compileBarcodeRules, controlCharacter, type BarcodeRules, type ControlAction } from './rules.js';

export type RefusalProblem = 'empty' | 'control-character' | 'too-long' | 'no-letter-or-digit' | 'pattern' | 'check-digit';

export type BarcodeValidation = { ok: true; code: string } | { ok: false; problem: RefusalProblem; reason: string };

export type ScanClass =
  | { kind: 'control'; action: ControlAction; code: string }
  | { kind: 'object'; code: string }
  | { kind: 'refused'; code: string; problem: RefusalProblem; reason: string };

/** "U+000A": how a character that cannot be shown as itself is named. */
function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** "U+000A (line feed)" for the characters a misconfigured scanner suffix most often leaves in. */
function describeControl(ch: string): string {
  const names: Record<number, string> = { 0: 'NUL', 9: 'tab', 10: 'line feed', 13: 'carriage return', 27: 'escape', 29: 'group separator (GS1 FNC1)' };
  const name = names[ch.codePointAt(0) ?? 0];
  return name ? `${codePoint(ch)} (${name})` : codePoint(ch);
}

/**
 * Unicode format characters (category Cf): right-to-left overrides, zero-width spaces and joiners,
 * soft hyphens. Invisible, they would make an object's name read differently in the log and on
 * screen than the label does (a file name is cleaned of them, the barcode would not be).
 */
const formatCharacter = /\p{Cf}/u;

function describeFormat(ch: string): string {
  const names: Record<number, string> = { 0xad: 'soft hyphen', 0x200b: 'zero-width space', 0x200d: 'zero-width joiner', 0x200e: 'left-to-right mark', 0x200f: 'right-to-left mark', 0x202e: 'right-to-left override', 0xfeff: 'byte order mark' };
  const name = names[ch.codePointAt(0) ?? 0];
  return name ? `${codePoint(ch)} (${name})` : codePoint(ch);
}

/**
 * Characters that must not reach a message raw: controls (a BEL rings, an ESC starts a terminal
 * sequence), format characters (a right-to-left override reverses the rest of the sentence, a
 * zero-width space hides), line and paragraph separators, and a surrogate left alone by the cut.
 */
const unshowable = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * A scanned code quoted for a message, as the console, station.log, alarms and the screens show it:
 * a character that cannot be shown as itself as ⟨U+202E⟩; one far longer than any label (a wedge
 * fault, a paste) is cut, with its length.
 */
export function quotedScan(code: string): string {
  const shown = (text: string) => text.replace(unshowable, (ch) => `⟨${codePoint(ch)}⟩`);
  return code.length <= 64 ? `"${shown(code)}"` : `"${shown(code.slice(0, 40))}…" (${code.length} characters)`;
}

/**
 * `code` as the station keeps it: in Unicode NFC, so an "é" typed as one character and as "e" plus
 * a combining accent is one barcode (one object, one folder), whichever way the scanner or keyboard
 * layout sent it.
 */
export function validateBarcode(raw: string, rules: BarcodeRules): BarcodeValidation {
  const code = raw.normalize('NFC');
  const { pattern } = compileBarcodeRules(rules);
  if (code.length === 0) return { ok: false, problem: 'empty', reason: 'is empty' };
  const control = controlCharacter.exec(code);
  if (control) {
    return {
      ok: false,
      problem: 'control-character',
      reason: `contains the control character ${describeControl(control[0])} at position ${control.index + 1} — check the scanner's prefix/suffix settings`,
    };
  }
  const format = formatCharacter.exec(code);
  if (format) {
    return {
      ok: false,
      problem: 'control-character',
      reason: `contains the invisible formatting character ${describeFormat(format[0])} at position ${format.index + 1}, which no barcode carries — check the scanner's settings, or what was pasted`,
    };
  }
  if (code.length > rules.maxLength) {
    return { ok: false, problem: 'too-long', reason: `is ${code.length} characters long; at most ${rules.maxLength} are accepted` };
  }
  if (!/[\p{L}\p{N}]/u.test(code)) {
    return { ok: false, problem: 'no-letter-or-digit', reason: 'has no letter or digit, so it cannot name an object (a misread, or a key pressed by accident?)' };
  }
  let checked = code;
  if (pattern) {
    const match = pattern.exec(code);
    if (!match) return { ok: false, problem: 'pattern', reason: `does not match the project's pattern ${displayPattern(rules.pattern ?? '')}` };
    const group = match.groups?.[checkedGroupName];
    if (group !== undefined) checked = group;
  }
  if (rules.checkDigit) {
    const scheme = checkDigitSchemes[rules.checkDigit];
    const result = scheme.validate(checked);
    if (!result.ok) {
      const what = rules.checkDigit === 'code39-mod43' ? 'check character' : 'check digit';
      const reason =
        result.problem === 'mismatch'
          ? `ends in the ${what} ${result.found}, but the ${scheme.label} ${what} of the rest is ${result.expected}`
          : `cannot carry a ${scheme.label} ${what}: ${result.message}`;
      return { ok: false, problem: 'check-digit', reason };
    }
  }
  return { ok: true, code };
}

/**
 * The pattern as the technician will recognise it: anchored, the way it is applied. An alternation
 * is shown in its group, as compileBarcodeRules applies it: `^A\d+|B\d+$` would read as "starts
 * with A… or ends with B…".
 */
function displayPattern(pattern: string): string {
  if (pattern.includes('|')) return `^(?:${pattern})$`;
  const anchoredEnd = pattern.endsWith('$') && !pattern.endsWith('\\$');
  return `${pattern.startsWith('^') ? '' : '^'}${pattern}${anchoredEnd ? '' : '$'}`;
}

export function classifyScan(raw: string, rules: BarcodeRules): ScanClass {
  const code = raw.normalize('NFC');
  const action = compileBarcodeRules(rules).controls.get(code);
  if (action) return { kind: 'control', action, code };
  const validation = validateBarcode(code, rules);
  return validation.ok ? { kind: 'object', code } : { kind: 'refused', code, problem: validation.problem, reason: validation.reason };
}
