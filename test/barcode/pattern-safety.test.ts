import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { backtrackingProblem } from '../../src/barcode/pattern-safety.js';
import { barcodeRulesSchema, compileBarcodeRules, type BarcodeRulesInput } from '../../src/barcode/rules.js';
import { validateBarcode } from '../../src/barcode/validate.js';
import { loadConfig } from '../../src/config/load.js';
import { makeHome } from '../helpers/station-home.js';

const rules = (input: BarcodeRulesInput = {}) => barcodeRulesSchema.parse(input);

describe('barcode patterns that can backtrack catastrophically', () => {
  it('refuses a repetition inside an unbounded repetition, and an unbounded choice whose alternatives begin alike', () => {
    const nested = ['(a+)+', String.raw`(\w*)*`, '(a+){10}', String.raw`(\d{1,3})+`, '(x+x+)+y', String.raw`^(NMNH-\d+)+$`, String.raw`[A-Z]{2}(?:-(\d+))*`, String.raw`(?:(?:\d+)-)+`];
    const choice = ['(a|a)*', String.raw`(\w|\d)+`, '(ab|ac)*', '(?:a|(?:a))*', String.raw`(a)(\1|b)*`, '(?:x|[a-z])+'];
    for (const p of nested) expect(backtrackingProblem(p), p).toMatch(/^it repeats a part that itself repeats, .*catastrophic backtracking.*Repeat only once/);
    for (const p of choice) expect(backtrackingProblem(p), p).toMatch(/^it repeats a choice whose alternatives can begin with the same character, .*Make the alternatives begin differently/);
    // Each is a valid expression, and on a short input it even works: refused for what a long near-miss would cost.
    for (const p of [...nested, ...choice]) expect(() => new RegExp(`^(?:${p})$`).test('aaaa!'), p).not.toThrow();
  });

  it('accepts the patterns museums write, bounded nesting, fixed counts inside, and distinct alternatives', () => {
    const fine = [
      String.raw`NMNH-(?<checked>\d{8})`,
      String.raw`US\d{6}|BM\d{9}`,
      String.raw`(BR|BM)\d{9}`,
      String.raw`(?:[A-Z]{2,4}-)?\d+`,
      String.raw`[A-Z]+\d+`,
      String.raw`(\d{1,4}-){3}\d{4}`,
      String.raw`(\d{2})+`,
      '(a|b)*c',
      String.raw`E\d{7}(?:\.\d)?`,
      String.raw`(?<n>a)\k<n>`,
      String.raw`\u0041[]x[^]`,
      'a{',
    ];
    for (const p of fine) expect(backtrackingProblem(p), p).toBeNull();
  });

  it('a config with such a pattern does not load, and the message names the field and the fix', () => {
    const home = makeHome({ linking: { enabled: true, barcode: { pattern: String.raw`(NMNH-\d+)+` } } });
    try {
      expect(() => loadConfig({ home })).toThrow(/linking\.barcode\.pattern: refused: it repeats a part that itself repeats, \(NMNH-\\d\+\)\+.*NMNH-\\d\+ rather than \(NMNH-\\d\+\)\+/);
    } finally {
      fs.rmSync(path.resolve(home), { recursive: true, force: true });
    }
    expect(barcodeRulesSchema.safeParse({ pattern: '(a|a)*' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['pattern']);
  });
});

describe('the length of text a barcode pattern runs on', () => {
  it('is capped by maxLength: a longer code is refused with a message before the pattern runs', () => {
    const r = rules({ pattern: '[A-Z0-9]+', maxLength: 1000 });
    const exec = vi.spyOn(compileBarcodeRules(r).pattern!, 'exec');
    expect(validateBarcode('A'.repeat(1001), r)).toEqual({ ok: false, problem: 'too-long', reason: 'is 1001 characters long; at most 1000 are accepted' });
    expect(exec).not.toHaveBeenCalled();
    // A 1,000-character code is still handled.
    expect(validateBarcode('A'.repeat(1000), r).ok).toBe(true);
    expect(exec).toHaveBeenCalledTimes(1);
    expect(rules().maxLength).toBe(128);
    expect(barcodeRulesSchema.safeParse({ maxLength: 4097 }).success).toBe(false);
  });
});
