import { describe, expect, it } from 'vitest';
import {
  checkDigitSchemes,
  code39Alphabet,
  code39Mod43,
  computeCode39Mod43,
  computeGs1Mod10,
  computeLuhn,
  gs1Mod10,
  luhn,
  type CheckDigitScheme,
} from '../../src/barcode/check-digits.js';

/** Published numbers that carry a correct check digit, with where they come from. */
const gs1Valid: Array<[string, string]> = [
  ['4006381333931', 'EAN-13 on a Stabilo pen, the Wikipedia EAN-13 example'],
  ['036000291452', 'UPC-A, the Wikipedia UPC example'],
  ['96385074', 'EAN-8, the Wikipedia EAN-8 example'],
  ['6291041500213', "GS1's own check digit calculator example (629104150021 → 3)"],
  ['9780306406157', 'ISBN-13 978-0-306-40615-7, the Wikipedia ISBN example'],
  ['376104250021234569', 'SSCC (00) 3 7610425 002123456 9, the GS1 General Specifications example'],
  ['04006381333931', 'the EAN-13 above as a GTIN-14 (a leading zero never changes a GS1 check digit)'],
];

const luhnValid: Array<[string, string]> = [
  ['79927398713', 'the Luhn example in ISO/IEC 7812 write-ups and Wikipedia'],
  ['4111111111111111', 'Visa test card number'],
  ['4242424242424242', 'Stripe test card number'],
  ['5555555555554444', 'Mastercard test card number'],
  ['378282246310005', 'American Express test card number'],
];

const code39Valid: Array<[string, string]> = [
  ['123XYZM', 'Worth Data scanner manual, "Mod 43 Check Character": 123XYZ → M'],
  ['258-416J', 'Sysmex SF-3000 manual, "Modulus 43": 258-416 → J'],
];

describe('check digits on published examples', () => {
  const cases: Array<[CheckDigitScheme, Array<[string, string]>]> = [
    [gs1Mod10, gs1Valid],
    [luhn, luhnValid],
    [code39Mod43, code39Valid],
  ];
  for (const [scheme, examples] of cases) {
    for (const [code, source] of examples) {
      it(`${scheme.label}: ${code} is valid (${source})`, () => {
        expect(scheme.validate(code)).toEqual({ ok: true });
        expect(scheme.compute(code.slice(0, -1))).toBe(code.slice(-1));
      });
    }
  }

  it('says which check digit was expected when one digit is wrong', () => {
    expect(gs1Mod10.validate('4006381333932')).toEqual({ ok: false, problem: 'mismatch', expected: '1', found: '2' });
    expect(luhn.validate('79927398710')).toEqual({ ok: false, problem: 'mismatch', expected: '3', found: '0' });
    expect(code39Mod43.validate('123XYZN')).toEqual({ ok: false, problem: 'mismatch', expected: 'M', found: 'N' });
  });

  it('refuses codes that cannot carry the scheme instead of throwing', () => {
    expect(gs1Mod10.validate('NMNH-00012345')).toMatchObject({ ok: false, problem: 'malformed' });
    expect(gs1Mod10.validate('400638133393X')).toMatchObject({ ok: false, problem: 'malformed' });
    expect(luhn.validate('7')).toMatchObject({ ok: false, problem: 'malformed' });
    expect(code39Mod43.validate('abc')).toMatchObject({ ok: false, problem: 'malformed' });
    expect(code39Mod43.validate('')).toMatchObject({ ok: false, problem: 'malformed' });
    expect(() => computeGs1Mod10('12a')).toThrow(RangeError);
    expect(() => computeLuhn('')).toThrow(RangeError);
    expect(() => computeCode39Mod43('')).toThrow(RangeError);
    expect(() => computeCode39Mod43('a')).toThrow(/not a standard Code 39 character/);
  });
});

describe('check digits catch the errors they are meant to catch', () => {
  const digits = '0123456789';

  it('GS1 mod 10 and Luhn detect every single-digit substitution in the published examples', () => {
    for (const [scheme, examples] of [
      [gs1Mod10, gs1Valid],
      [luhn, luhnValid],
    ] as const) {
      for (const [code] of examples) {
        for (let i = 0; i < code.length; i++) {
          for (const d of digits) {
            if (d === code[i]) continue;
            const wrong = code.slice(0, i) + d + code.slice(i + 1);
            expect(scheme.validate(wrong).ok, `${scheme.label} ${wrong}`).toBe(false);
          }
        }
      }
    }
  });

  it('Luhn detects every adjacent transposition except 09/90, as the algorithm promises', () => {
    const code = '79927398713';
    for (let i = 0; i + 1 < code.length; i++) {
      const a = code[i] ?? '';
      const b = code[i + 1] ?? '';
      if (a === b) continue;
      const swapped = code.slice(0, i) + b + a + code.slice(i + 2);
      const undetectable = (a === '0' && b === '9') || (a === '9' && b === '0');
      expect(luhn.validate(swapped).ok, swapped).toBe(undetectable);
    }
  });

  it('Code 39 mod 43 values follow the standard table (A=10, Z=35, - . space $ / + % = 36–42)', () => {
    expect(code39Alphabet).toHaveLength(43);
    expect(code39Alphabet.indexOf('A')).toBe(10);
    expect(code39Alphabet.indexOf('Z')).toBe(35);
    expect([...'-. $/+%'].map((c) => code39Alphabet.indexOf(c))).toEqual([36, 37, 38, 39, 40, 41, 42]);
    // A single character is its own check character (its value mod 43).
    for (const ch of code39Alphabet) expect(computeCode39Mod43(ch)).toBe(ch);
  });

  it('every computed check digit validates, for every scheme, on a spread of payloads', () => {
    for (const scheme of Object.values(checkDigitSchemes)) {
      for (let n = 1; n < 3000; n += 7) {
        const payload = scheme.id === 'code39-mod43' ? `NMNH ${n}-${code39Alphabet.charAt(n % 43)}` : String(n * 7919);
        const code = payload + scheme.compute(payload);
        expect(scheme.validate(code), code).toEqual({ ok: true });
      }
    }
  });
});
