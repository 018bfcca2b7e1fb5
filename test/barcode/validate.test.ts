import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { barcodeRulesSchema, defaultControlCodes, type BarcodeRulesInput } from '../../src/barcode/rules.js';
import { classifyScan, quotedScan, validateBarcode } from '../../src/barcode/validate.js';

const rules = (input: BarcodeRulesInput = {}) => barcodeRulesSchema.parse(input);

describe('barcode validation', () => {
  const nmnh = rules({ pattern: String.raw`NMNH-\d{8}` });

  it('accepts a code that matches the project pattern', () => {
    expect(validateBarcode('NMNH-00012345', nmnh)).toEqual({ ok: true, code: 'NMNH-00012345' });
  });

  it('names the pattern, anchored, when a code does not match it', () => {
    expect(validateBarcode('NMNH-0001234', nmnh)).toEqual({
      ok: false,
      problem: 'pattern',
      reason: String.raw`does not match the project's pattern ^NMNH-\d{8}$`,
    });
    // Anchoring: a valid code inside a longer scan is still refused.
    expect(validateBarcode('XNMNH-00012345', nmnh).ok).toBe(false);
    expect(validateBarcode('NMNH-000123456', nmnh).ok).toBe(false);
    // An alternation is anchored on both branches.
    expect(validateBarcode('X', rules({ pattern: String.raw`^US\d{6}$` }))).toMatchObject({ reason: String.raw`does not match the project's pattern ^US\d{6}$` });
    expect(validateBarcode('X', rules({ pattern: String.raw`\d+\$` }))).toMatchObject({ reason: String.raw`does not match the project's pattern ^\d+\$$` });
    const either = rules({ pattern: String.raw`US\d{6}|BM\d{9}` });
    expect(validateBarcode('US123456', either).ok).toBe(true);
    expect(validateBarcode('US123456X', either).ok).toBe(false);
    expect(validateBarcode('xBM000000001', either).ok).toBe(false);
  });

  it('says which check digit was expected', () => {
    const ean = rules({ pattern: String.raw`\d{13}`, checkDigit: 'gs1-mod10' });
    expect(validateBarcode('4006381333931', ean).ok).toBe(true);
    expect(validateBarcode('4006381333933', ean)).toEqual({
      ok: false,
      problem: 'check-digit',
      reason: 'ends in the check digit 3, but the GS1 mod 10 check digit of the rest is 1',
    });
    const c39 = rules({ checkDigit: 'code39-mod43' });
    expect(validateBarcode('123XYZM', c39).ok).toBe(true);
    expect(validateBarcode('123XYZA', c39)).toMatchObject({ reason: 'ends in the check character A, but the Code 39 mod 43 check character of the rest is M' });
  });

  it('computes the check digit over the named group "checked" when the pattern has one', () => {
    const prefixed = rules({ pattern: String.raw`ZMB-(?<checked>\d{10,11})`, checkDigit: 'luhn' });
    expect(validateBarcode('ZMB-79927398713', prefixed).ok).toBe(true);
    expect(validateBarcode('ZMB-79927398714', prefixed)).toMatchObject({ reason: 'ends in the check digit 4, but the Luhn check digit of the rest is 3' });
    // Without the group the whole code is checked, and a prefix cannot carry a Luhn digit (a config
    // with such rules does not load: pattern-alphabet.test.ts).
    const whole = { ...rules({ pattern: String.raw`ZMB-\d{11}` }), checkDigit: 'luhn' as const };
    expect(validateBarcode('ZMB-79927398713', whole)).toMatchObject({ problem: 'check-digit', reason: expect.stringMatching(/^cannot carry a Luhn check digit/) });
  });

  it('refuses empty, control characters and over-long codes before looking at the pattern', () => {
    const open = rules();
    expect(validateBarcode('', open)).toEqual({ ok: false, problem: 'empty', reason: 'is empty' });
    // Without a pattern these would each open an object filed in a folder named "_".
    for (const code of ['   ', '..', '.', '-_-', '/']) expect(validateBarcode(code, open), code).toMatchObject({ ok: false, problem: 'no-letter-or-digit' });
    expect(validateBarcode('NMNH-1\n', open)).toEqual({
      ok: false,
      problem: 'control-character',
      reason: "contains the control character U+000A (line feed) at position 7 — check the scanner's prefix/suffix settings",
    });
    expect(validateBarcode('\u001d0104006381333931', open)).toMatchObject({ problem: 'control-character', reason: expect.stringContaining('U+001D (group separator (GS1 FNC1))') });
    expect(validateBarcode('A\u0085B', open)).toMatchObject({ problem: 'control-character', reason: expect.stringContaining('U+0085') });
    // Invisible format characters would make the object's name read otherwise than its label.
    expect(validateBarcode('ab\u202ecd', open)).toEqual({
      ok: false,
      problem: 'control-character',
      reason: "contains the invisible formatting character U+202E (right-to-left override) at position 3, which no barcode carries — check the scanner's settings, or what was pasted",
    });
    for (const ch of ['\u200b', '\u200d', '\u00ad', '\ufeff', '\u2066']) expect(validateBarcode(`NMNH${ch}12`, open), ch).toMatchObject({ ok: false, problem: 'control-character' });
    expect(validateBarcode('x'.repeat(128), open).ok).toBe(true);
    expect(validateBarcode('x'.repeat(129), open)).toEqual({ ok: false, problem: 'too-long', reason: 'is 129 characters long; at most 128 are accepted' });
    expect(validateBarcode('x'.repeat(20), rules({ maxLength: 16 }))).toMatchObject({ problem: 'too-long' });
  });

  it('quotes a code for a message, cutting one far longer than a label', () => {
    expect(quotedScan('NMNH-12')).toBe('"NMNH-12"');
    expect(quotedScan('x'.repeat(1000))).toBe(`"${'x'.repeat(40)}…" (1000 characters)`);
  });

  it('quotes every control, format, bidi or separator character as a visible escape, keeping printable text and the cut', () => {
    expect(quotedScan('NMNH\u202e21-1')).toBe('"NMNH⟨U+202E⟩21-1"');
    expect(quotedScan('A\u0007B\u001b[2JC\u200bD')).toBe('"A⟨U+0007⟩B⟨U+001B⟩[2JC⟨U+200B⟩D"');
    expect(quotedScan('\u2066x\u2069\u061c\u0085\u2028y\u00ad')).toBe('"⟨U+2066⟩x⟨U+2069⟩⟨U+061C⟩⟨U+0085⟩⟨U+2028⟩y⟨U+00AD⟩"');
    expect(quotedScan('Müller 標本 😀-1')).toBe('"Müller 標本 😀-1"');
    // The cut counts the scan's own characters, and a pair it splits shows its half escaped.
    expect(quotedScan(`\u202e${'x'.repeat(99)}`)).toBe(`"⟨U+202E⟩${'x'.repeat(39)}…" (100 characters)`);
    expect(quotedScan(`${'x'.repeat(39)}😀${'y'.repeat(30)}`)).toBe(`"${'x'.repeat(39)}⟨U+D83D⟩…" (71 characters)`);
  });

  it('accepts any printable code when the project sets no pattern and no check digit', () => {
    const open = rules();
    for (const code of ['A', 'Müller 12', '標本-1', 'https://n2t.net/ark:/65665/3a1b2c']) expect(validateBarcode(code, open).ok, code).toBe(true);
  });

  it('keeps a code in Unicode NFC, so one label sent composed or decomposed is one object', () => {
    const composed = 'Musée-12';
    const decomposed = 'Musée-12';
    expect(validateBarcode(decomposed, rules())).toEqual({ ok: true, code: composed });
    expect(classifyScan(decomposed, rules())).toEqual({ kind: 'object', code: composed });
  });

  it("takes the README's example barcode rules as documented: GS1 check digit over the digits after NMNH-", () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /\n {2}barcode:\n {4}pattern: "(?<pattern>[^"]+)"[^\n]*\n {4}checkDigit: (?<checkDigit>[\w-]+)/.exec(readme)?.groups;
    expect(example, "README's linking example").toBeDefined();
    const documented = rules({ pattern: JSON.parse(`"${example!.pattern}"`) as string, checkDigit: example!.checkDigit as 'gs1-mod10' });
    expect(validateBarcode('NMNH-00123457', documented)).toEqual({ ok: true, code: 'NMNH-00123457' });
    expect(validateBarcode('NMNH-00123456', documented)).toMatchObject({ ok: false, problem: 'check-digit' });
  });

  it('shows an alternation inside the group it is applied in', () => {
    const either = rules({ pattern: String.raw`US\d{6}|BM\d{9}` });
    expect(validateBarcode('X1', either)).toMatchObject({ reason: String.raw`does not match the project's pattern ^(?:US\d{6}|BM\d{9})$` });
  });
});

describe('classifyScan', () => {
  const project = rules({ pattern: String.raw`NMNH-\d{8}` });

  it('recognises the control codes before validation, even though they do not match the pattern', () => {
    expect(classifyScan(defaultControlCodes.end, project)).toEqual({ kind: 'control', action: 'end', code: '%%END%%' });
    expect(classifyScan('%%UNDO%%', project)).toMatchObject({ kind: 'control', action: 'undo' });
    expect(classifyScan('%%REJECT%%', project)).toMatchObject({ kind: 'control', action: 'reject' });
    // Exact match only: a near miss is an ordinary (refused) scan, never a control.
    expect(classifyScan('%%END%% ', project)).toMatchObject({ kind: 'refused', problem: 'pattern' });
    expect(classifyScan('%%end%%', project)).toMatchObject({ kind: 'refused' });
  });

  it('uses configured control codes', () => {
    const custom = rules({ pattern: String.raw`NMNH-\d{8}`, controlCodes: { end: 'CTRL-END', undo: 'CTRL-UNDO' } });
    expect(classifyScan('CTRL-END', custom)).toMatchObject({ kind: 'control', action: 'end' });
    expect(classifyScan('CTRL-UNDO', custom)).toMatchObject({ kind: 'control', action: 'undo' });
    expect(classifyScan('%%REJECT%%', custom)).toMatchObject({ kind: 'control', action: 'reject' });
    expect(classifyScan('%%END%%', custom)).toMatchObject({ kind: 'refused' });
  });

  it('classifies valid codes as objects and invalid ones as refused with the reason', () => {
    expect(classifyScan('NMNH-00012345', project)).toEqual({ kind: 'object', code: 'NMNH-00012345' });
    expect(classifyScan('NMNH-12', project)).toEqual({
      kind: 'refused',
      code: 'NMNH-12',
      problem: 'pattern',
      reason: String.raw`does not match the project's pattern ^NMNH-\d{8}$`,
    });
  });
});

describe('barcode rules schema', () => {
  it('fills defaults', () => {
    expect(rules()).toEqual({ maxLength: 128, controlCodes: { end: '%%END%%', undo: '%%UNDO%%', reject: '%%REJECT%%' } });
  });

  it('names what is wrong', () => {
    const problems = (input: unknown) => {
      const parsed = barcodeRulesSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ pattern: 'NMNH-(\\d{8}' })).toEqual(['pattern: not a valid regular expression']);
    expect(problems({ checkDigit: 'mod11' })[0]).toMatch(/^checkDigit: /);
    expect(problems({ controlCodes: { end: 'X', undo: 'X' } })).toEqual(['controlCodes: the END, UNDO and REJECT control codes must differ from each other']);
    expect(problems({ controlCodes: { end: 'A\tB' } })).toEqual(['controlCodes.end: a control code cannot contain control characters']);
    expect(problems({ patern: 'x' })[0]).toMatch(/patern/);
  });
});
