import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultNamePolicy, sanitizeSegment, truncateUtf8 } from '../../src/filing/sanitize.js';
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
  const library = path.join(top, 'library');
  fs.mkdirSync(library);
  afterAll(() => fs.rmSync(top, { recursive: true, force: true }));

  it('files 3,000 random names inside the library, each segment within the limits', () => {
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
      const rel = renderTemplate(pick(templates), values);
      for (const segment of rel.split('/')) {
        expect(Buffer.byteLength(segment), rel).toBeLessThanOrEqual(255);
        expect(segment, rel).not.toMatch(/^\.|^$|[\\\p{Cc}\u202E]/u);
        expect(segment.toUpperCase(), rel).not.toMatch(/^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\.|$)/u);
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
    expect(fs.readdirSync(top)).toEqual(['library']);
  });
});
