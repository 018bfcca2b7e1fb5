/**
 * `capture-station sheet`: the printed control codes must scan back as exactly the configured codes,
 * and the PDF must be a well-formed single page carrying the same pixels.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeImageBarcodes, ZxingPool } from '../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../src/barcode/rules.js';
import { main } from '../../src/cli/main.js';
import { makeHome } from '../helpers/station-home.js';
import { capture } from '../helpers/output.js';


const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});
const pool = new ZxingPool();
afterAll(() => pool.close());

describe('capture-station sheet', () => {
  it('draws the configured END / UNDO / REJECT codes on an A4 PNG that our decoder reads back, all three', async () => {
    const controlCodes = { end: '##DONE##', undo: '##OOPS##', reject: '##BAD##' };
    const home = makeHome({ linking: { barcode: { controlCodes } } });
    homes.push(home);
    const file = path.join(home, 'sheet.png');
    const out = capture();
    expect(await main(['sheet', '--home', home, '--output', file], out)).toBe(0);
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height, Math.round(meta.density ?? 0)]).toEqual([2480, 3508, 300]);
    const r = await decodeImageBarcodes(file, { rules: barcodeRulesSchema.parse({ controlCodes }), pool });
    expect(r.codes.map((c) => `${c.format}:${c.text}`).sort()).toEqual(['Code128:##BAD##', 'Code128:##DONE##', 'Code128:##OOPS##']);
    // Control codes are never object barcodes.
    expect(r.codes.every((c) => !c.valid)).toBe(true);
  });

  it('writes a one-page PDF whose cross-references point at its objects and whose image is the sheet', async () => {
    const home = makeHome();
    homes.push(home);
    const file = path.join(home, 'sheet.pdf');
    expect(await main(['sheet', '--home', home, '--output', file], capture())).toBe(0);
    const pdf = fs.readFileSync(file);
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const entries = text.slice(startxref).split('\n').slice(3, 8);
    entries.forEach((e, i) => expect(text.slice(Number(e.slice(0, 10)), Number(e.slice(0, 10)) + 7)).toBe(`${i + 1} 0 obj`));
    expect(text).toContain('/Count 1');
    const image = /\/Width (\d+) \/Height (\d+) .*?\/Length (\d+) >>\nstream\n/.exec(text)!;
    const at = image.index + image[0].length;
    const grey = zlib.inflateSync(pdf.subarray(at, at + Number(image[3])));
    expect(grey.length).toBe(Number(image[1]) * Number(image[2]));
    const r = await decodeImageBarcodes(await sharp(grey, { raw: { width: Number(image[1]), height: Number(image[2]), channels: 1 } }).png().toBuffer(), { rules: barcodeRulesSchema.parse({}), pool });
    expect(r.codes.map((c) => c.text).sort()).toEqual(['%%END%%', '%%REJECT%%', '%%UNDO%%']);
  });

  it('refuses an output that is neither .png nor .pdf', async () => {
    const home = makeHome();
    homes.push(home);
    const out = capture();
    expect(await main(['sheet', '--home', home, '--output', path.join(home, 'sheet.jpg')], out)).toBe(2);
    expect(out.stderr).toMatch(/\.png or \.pdf/);
  });
});
