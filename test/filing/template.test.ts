import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationError } from '../../src/errors.js';
import { freeName } from '../../src/filing/move.js';
import { parseTemplate, renderTemplate, resolveInside, type TemplateValues } from '../../src/filing/template.js';

const values: TemplateValues = {
  barcode: 'NMNH-00123456',
  seq: 7,
  view: 'front',
  date: '2026-11-25',
  time: '143005',
  station: 'copy-stand-2',
  operator: 'J. Ruiz',
  project: 'Herbarium',
  source: 'phase-one',
  original: 'CF012345',
  ext: '.tif',
};

describe('naming templates', () => {
  it('renders folders and a padded sequence', () => {
    expect(renderTemplate(parseTemplate('{project}/{date}/{barcode}/{barcode}_{seq:03}{ext}'), values)).toBe('Herbarium/2026-11-25/NMNH-00123456/NMNH-00123456_007.tif');
    expect(renderTemplate(parseTemplate('{barcode}_{view}_{operator}'), values)).toBe('NMNH-00123456_front_J._Ruiz.tif');
  });

  it('appends the extension when the template has none, and keeps a RAW/TIFF pair on one stem', () => {
    const t = parseTemplate('{barcode}/{barcode}_{seq:02}');
    expect(renderTemplate(t, values)).toBe('NMNH-00123456/NMNH-00123456_07.tif');
    expect(renderTemplate(t, { ...values, ext: '.IIQ' })).toBe('NMNH-00123456/NMNH-00123456_07.IIQ');
  });

  it('keeps a separator inside a value from making a folder', () => {
    expect(renderTemplate(parseTemplate('{barcode}/{barcode}{ext}'), { ...values, barcode: '../../etc/passwd' })).toBe('__.._etc_passwd/__.._etc_passwd.tif');
    expect(renderTemplate(parseTemplate('{barcode}{ext}'), { ...values, barcode: 'C:\\Windows\\x' })).toBe('C__Windows_x.tif');
  });

  it.each([
    ['', /is empty/],
    ['/abs/{barcode}', /relative to the library/],
    ['C:/{barcode}', /relative to the library/],
    ['a\\{barcode}', /relative to the library/],
    ['{project}/../{barcode}', /"\.\." folder at position 2/],
    ['{project}//{barcode}', /empty, "\." or "\.\." folder/],
    ['{barcod}_{seq}', /unknown token \{barcod\}; the tokens are \{barcode\}, \{seq\}/],
    ['{ext}/{barcode}', /\{ext\} in a folder name/],
    ['{barcode}_{seq:03', /"\{" or "\}" that is not part of a token/],
  ])('refuses the template %j with a message that says why', (source, message) => {
    const attempt = () => parseTemplate(source);
    expect(attempt).toThrow(StationError);
    expect(attempt).toThrow(message);
  });

  it('refuses to resolve a path outside the library', () => {
    expect(resolveInside('/lib', 'a/b.tif')).toBe('/lib/a/b.tif');
    expect(() => resolveInside('/lib', '../x.tif')).toThrow(/outside the library/);
    expect(() => resolveInside('/lib', '/etc/x.tif')).toThrow(/outside the library/);
    expect(() => resolveInside('/lib', '')).toThrow(/outside the library/);
  });
});

describe('long values (a barcode may be 4,096 characters)', () => {
  const template = parseTemplate('{project}/{barcode}/{barcode}_{seq:03}_{view}{ext}');
  const withBarcode = (barcode: string): TemplateValues => ({ barcode, seq: 7, view: 'front', date: '2026-11-26', time: '120000', station: 's', operator: 'o', project: 'Herbarium', source: 'inbox', original: 'IMG_0001', ext: '.tif' });

  it('shortens the barcode, not the end of the name: seq, view and extension survive, with room for a collision suffix', () => {
    const rel = renderTemplate(template, withBarcode(`BR${'1234567890'.repeat(100)}`));
    const [project, folder, file] = rel.split('/') as [string, string, string];
    expect(project).toBe('Herbarium');
    expect(Buffer.byteLength(folder)).toBeLessThanOrEqual(255);
    expect(file).toMatch(/^BR1234567890\d+~[0-9a-f]{8}_007_front\.tif$/);
    expect(Buffer.byteLength(file)).toBeLessThanOrEqual(255 - 5);
  });

  it('keeps two long barcodes that share their start apart', () => {
    const start = 'X'.repeat(1000);
    expect(renderTemplate(template, withBarcode(`${start}A`))).not.toBe(renderTemplate(template, withBarcode(`${start}B`)));
  });

  it('leaves a name that fits as it is', () => {
    expect(renderTemplate(template, withBarcode('BR0000019933597'))).toBe('Herbarium/BR0000019933597/BR0000019933597_007_front.tif');
  });

  it('cuts multi-byte barcodes between whole characters', () => {
    const rel = renderTemplate(template, withBarcode('é'.repeat(2000)));
    expect(rel).not.toContain('\uFFFD');
    expect(rel.split('/')[2]).toMatch(/^é+~[0-9a-f]{8}_007_front\.tif$/);
  });

  it('files a colliding long name as _2 on a real disk, instead of failing with ENAMETOOLONG', async () => {
    const library = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-long-'));
    try {
      const first = resolveInside(library, renderTemplate(template, withBarcode(`BR${'9'.repeat(1000)}`)));
      fs.mkdirSync(path.dirname(first), { recursive: true });
      fs.writeFileSync(first, 'shot 1', { flag: 'wx' });
      const second = await freeName(first);
      expect(second).toBe(first.replace(/\.tif$/, '_2.tif'));
      fs.writeFileSync(second, 'shot 2', { flag: 'wx' });
      expect(fs.readdirSync(path.dirname(first))).toHaveLength(2);
    } finally {
      fs.rmSync(library, { recursive: true, force: true });
    }
  });
});
