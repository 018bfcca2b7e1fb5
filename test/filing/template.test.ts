import { describe, expect, it } from 'vitest';
import { StationError } from '../../src/errors.js';
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
