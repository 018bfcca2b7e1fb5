import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultNamePolicy, nameCharsets, sanitizeSegment, truncateUtf8 } from '../../src/filing/sanitize.js';
import { parseTemplate, renderTemplate, resolveInside, type TemplateValues } from '../../src/filing/template.js';

describe('sanitizeSegment', () => {
  it.each([
    ['..', '_'],
    ['.', '_'],
    ['.hidden', '_hidden'],
    ['a.', 'a'],
    ['a. . ', 'a'],
    ['CON', '_CON'],
    ['con.tif', '_con.tif'],
    ['LPT9.txt', '_LPT9.txt'],
    ['COM¹', '_COM¹'],
    ['CONSOLE', 'CONSOLE'],
    ['a\u0000b', 'ab'],
    ['a\u202Eb.fit', 'ab.fit'],
    ['two  spaces', 'two_spaces'],
    ['<>:"|?*', '_______'],
    ['', '_'],
    ['e\u0301', 'é'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeSegment(input)).toBe(expected);
  });

  it('keeps spaces when the policy allows them (one space per run)', () => {
    expect(sanitizeSegment('Box  12\tfront', { ...defaultNamePolicy, allowSpaces: true })).toBe('Box 12 front');
  });

  it('truncates to the byte limit between whole characters and keeps the extension', () => {
    const long = `${'é'.repeat(300)}.tif`;
    const cut = truncateUtf8(long, 255);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(255);
    expect(cut.endsWith('.tif')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
    // A base letter is never separated from its combining mark.
    const combining = truncateUtf8(`${'e\u0301'.repeat(200)}.tif`, 101);
    expect(combining.normalize('NFD').replace('.tif', '').length % 2).toBe(0);
    // Emoji (surrogate pairs) are never cut in half.
    expect(truncateUtf8('😀'.repeat(100), 10)).toBe('😀😀');
  });
});

describe('sanitizeSegment with the ascii charset', () => {
  const ascii = { ...defaultNamePolicy, charset: 'ascii' } as const;

  it.each([
    ['é', 'e'],
    ['Ørsted Blüte Straße', 'Orsted_Blute_Strasse'],
    ['Æbleskiver œuvre Łódź', 'AEbleskiver_oeuvre_Lodz'],
    ['Þórður', 'Thordur'],
    // A run of another script becomes one replacement: "אב" is one "_", beside the literal "_".
    ['éאב_x', 'e__x'],
    ['😀👍🏽 x', '__x'],
    ['👨‍👩‍👧.jpg', '_.jpg'],
    // Combining marks go with NFKD, a stray one with no letter too.
    ['e\u0301\u0301x', 'ex'],
    ['\u0301x', 'x'],
    ['a\u202Eb.tif', 'ab.tif'],
    ['O’Brien – front', "O'Brien_-_front"],
    // What unfolding yields still meets the other rules: a full-width "／" is no separator, "ＣＯＮ" is a device name, "‥" is dots.
    ['a／b', 'a_b'],
    ['ＣＯＮ.tif', '_CON.tif'],
    ['COM¹', '_COM1'],
    ['‥x', '_x'],
    ['x‥', 'x'],
    ['日本語.tif', '_.tif'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeSegment(input, ascii)).toBe(expected);
  });

  it('a name only of characters ASCII cannot spell is replacement characters, never empty', () => {
    expect(sanitizeSegment('אב גד', ascii)).toBe('___');
    expect(sanitizeSegment('אב גד', { ...ascii, allowSpaces: true })).toBe('_ _');
    expect(sanitizeSegment('\u202E😀', ascii)).toBe('_');
  });

  it('keeps the byte limit after letters are spelled out longer ("ß" → "ss"), and the extension', () => {
    const cut = sanitizeSegment(`${'ß'.repeat(200)}.tif`, ascii);
    expect(cut).toBe(`${'s'.repeat(251)}.tif`);
    expect(sanitizeSegment(`${'Æ'.repeat(10)}.tif`, { ...ascii, maxSegmentBytes: 12 })).toBe('AEAEAEAE.tif');
  });

  it('the unicode charset (the default) keeps the letters', () => {
    expect(sanitizeSegment('éאב_x')).toBe('éאב_x');
    expect(sanitizeSegment('Straße', { ...ascii, charset: 'unicode' })).toBe('Straße');
  });
});

/** A small seeded PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nasty = ['../', '..', '/', '\\', '.', 'C:', '/etc/passwd', '\\\\server\\share', 'CON', 'nul', 'Com1.tif', 'lpt1', '\u0000', '\u001f', '\u007f', '\u0085', '\u202E', '\u2066', '\u200F', '\uFEFF', 'e\u0301', '\u0301', 'ß', 'Ω', '😀', '\uD800', ' ', '\t', '\n', '~', '$', '%2e%2e%2f', '*', '?', '"', '<', '>', '|', ':', 'A', '7', '-'];

describe('fuzz: barcodes and templates never write outside the library', () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fuzz-'));
  afterAll(() => fs.rmSync(top, { recursive: true, force: true }));

  it.each(nameCharsets)('files 3,000 random names inside the library, each segment within the limits (charset %s)', (charset) => {
    const library = path.join(top, charset, 'library');
    fs.mkdirSync(library, { recursive: true });
    const policy = { ...defaultNamePolicy, charset };
    const random = prng(20261125);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const junk = (): string => {
      const n = random() < 0.05 ? 1000 : Math.floor(random() * 12);
      let s = '';
      for (let i = 0; i < n; i++) s += random() < 0.6 ? pick(nasty) : String.fromCharCode(32 + Math.floor(random() * 0x2fff));
      return s;
    };
    const templates = ['{barcode}{ext}', '{project}/{date}/{barcode}/{barcode}_{seq:03}{ext}', '{operator}/{original}_{view}', '{source}/{barcode}.{view}{ext}', 'x{barcode}y/{station}-{time}'].map(parseTemplate);
    let written = 0;
    let collisions = 0;
    for (let i = 0; i < 3000; i++) {
      const values: TemplateValues = {
        barcode: junk(),
        seq: Math.floor(random() * 10_000),
        view: junk(),
        date: junk(),
        time: junk(),
        station: junk(),
        operator: junk(),
        project: junk(),
        source: junk(),
        original: junk(),
        ext: pick(['.tif', '.IIQ', '.jpg', '']),
      };
      const rel = renderTemplate(pick(templates), values, policy);
      for (const segment of rel.split('/')) {
        expect(Buffer.byteLength(segment), rel).toBeLessThanOrEqual(255);
        expect(segment, rel).not.toMatch(/^\.|^$|[\\\p{Cc}\u202E]/u);
        expect(segment.toUpperCase(), rel).not.toMatch(/^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\.|$)/u);
        if (charset === 'ascii') expect(segment, rel).toMatch(/^\p{ASCII}+$/u);
      }
      const full = resolveInside(library, rel);
      try {
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, 'x', { flag: 'wx' });
        written++;
      } catch (err) {
        // Two random names may meet (a file where another needs a folder): filing resolves that
        // with a new name; here it only must not be anything but a collision.
        expect((err as NodeJS.ErrnoException).code, rel).toMatch(/^(EEXIST|EISDIR|ENOTDIR)$/);
        collisions++;
      }
    }
    expect(written + collisions).toBe(3000);
    expect(written).toBeGreaterThan(2500);
    // Nothing appeared beside the library: the only entry of its parent is the library itself.
    expect(fs.readdirSync(path.dirname(library))).toEqual(['library']);
  });
});
