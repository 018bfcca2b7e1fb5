/**
 * A check digit the pattern leaves no room for (GS1 mod 10 or Luhn over a pattern with letters and
 * no checked group) would refuse every scan as a label problem: refused when the config loads, and
 * by `doctor`, naming the field and the fix.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { computeCode39Mod43, computeGs1Mod10, computeLuhn, type CheckDigitSchemeId } from '../../src/barcode/check-digits.js';
import { checkDigitPatternProblem } from '../../src/barcode/pattern-alphabet.js';
import { barcodeRulesSchema } from '../../src/barcode/rules.js';
import { validateBarcode } from '../../src/barcode/validate.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

const compute: Record<CheckDigitSchemeId, (payload: string) => string> = { 'gs1-mod10': computeGs1Mod10, luhn: computeLuhn, 'code39-mod43': computeCode39Mod43 };

describe('a check digit the barcode pattern leaves no room for', () => {
  // Each with a code the pattern matches: what the station would have done with it.
  const refused: [string, CheckDigitSchemeId, string][] = [
    [String.raw`BR\d{13}`, 'gs1-mod10', 'BR0000000000017'],
    [String.raw`[A-Z]{2}\d+`, 'luhn', 'AB79927398713'],
    [String.raw`NMNH-\d{8}|US\d{6}`, 'gs1-mod10', 'US123457'],
    [String.raw`nmnh\d{4}`, 'code39-mod43', 'nmnh1234'],
    [String.raw`BR(?<checked>[A-Z]\d+)`, 'gs1-mod10', 'BRA12'],
  ];

  it('is refused, and every code the pattern matches would indeed have been refused for its check digit', () => {
    for (const [pattern, checkDigit, code] of refused) {
      expect(checkDigitPatternProblem(pattern, checkDigit), pattern).not.toBeNull();
      const r = barcodeRulesSchema.safeParse({ pattern, checkDigit });
      expect(r.error?.issues.map((i) => i.path.join('.')), pattern).toEqual(['checkDigit']);
      const unchecked = barcodeRulesSchema.parse({ pattern });
      expect(validateBarcode(code, unchecked).ok, `${code} matches ${pattern}`).toBe(true);
      expect(validateBarcode(code, { ...unchecked, checkDigit }), code).toMatchObject({ ok: false, problem: 'check-digit' });
    }
  });

  it('names the part that cannot carry it and proposes the checked group', () => {
    expect(checkDigitPatternProblem(String.raw`BR\d{13}`, 'gs1-mod10')).toBe(
      String.raw`gs1-mod10 (GS1 mod 10) needs digits only, but linking.barcode.pattern BR\d{13} can never match such a code: B matches none of those characters, so every scan would be refused. Put the part the check digit is computed over in a (?<checked>…) group, e.g. BR(?<checked>\d{13}), or choose another checkDigit`,
    );
    expect(checkDigitPatternProblem(String.raw`NMNH-\d{8}`, 'luhn')).toMatch(/: N matches none of those characters, .*e\.g\. NMNH-\(\?<checked>\\d\{8\}\),/);
    expect(checkDigitPatternProblem(String.raw`NMNH-\d{8}|US\d{6}`, 'luhn')).toMatch(/: N, U match none of those characters, .*e\.g\. NMNH-\(\?<checked>\\d\{8\}\),/);
    expect(checkDigitPatternProblem(String.raw`BR(?<checked>[A-Z]\d+)`, 'gs1-mod10')).toMatch(/the \(\?<checked>…\) group of linking\.barcode\.pattern, which needs digits only, but that group \(\?<checked>\[A-Z\]\\d\+\) can never match such a text/);
  });

  it('accepts every pattern that leaves room for it, and each has a code that passes', () => {
    // [pattern, scheme, the code's part before the checked text, the checked text less its check character]
    const fine: [string, CheckDigitSchemeId, string, string][] = [
      [String.raw`BR(?<checked>\d{13})`, 'gs1-mod10', 'BR', '000000000001'],
      [String.raw`NMNH-(?<checked>\d{8})`, 'luhn', 'NMNH-', '1234567'],
      [String.raw`\d{12}`, 'gs1-mod10', '', '00000000001'],
      [String.raw`(?:BR)?\d{8}`, 'luhn', '', '7992739'],
      [String.raw`[A-Z]*\d+`, 'gs1-mod10', '', '1234'],
      [String.raw`.+`, 'gs1-mod10', '', '9'],
      [String.raw`\w+`, 'luhn', '', '7992739871'],
      [String.raw`NMNH-\d{6}`, 'code39-mod43', '', 'NMNH-12345'],
      [String.raw`(?=\d)\d+`, 'luhn', '', '12'],
    ];
    for (const [pattern, checkDigit, prefix, payload] of fine) {
      expect(checkDigitPatternProblem(pattern, checkDigit), pattern).toBeNull();
      const code = `${prefix}${payload}${compute[checkDigit](payload)}`;
      expect(validateBarcode(code, barcodeRulesSchema.parse({ pattern, checkDigit })), `${code} under ${pattern}`).toEqual({ ok: true, code });
    }
  });

  it('a config with it does not load, and doctor says so naming the field', async () => {
    const home = makeHome({ linking: { enabled: true, barcode: { pattern: String.raw`BR\d{13}`, checkDigit: 'gs1-mod10' } } });
    homes.push(home);
    expect(() => loadConfig({ home })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/linking\.barcode\.checkDigit: gs1-mod10 \(GS1 mod 10\) needs digits only, but linking\.barcode\.pattern BR\\d\{13\} can never match/) }));
    const out = capture();
    expect(await main(['doctor', '--home', home], out)).toBe(1);
    expect(out.stdout).toMatch(/\[FAIL\] config: [^]*linking\.barcode\.checkDigit: .*e\.g\. BR\(\?<checked>\\d\{13\}\)/);
  });
});
