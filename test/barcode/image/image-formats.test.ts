/**
 * The symbologies searched for (linking.imageFormats): zxing takes every name the config allows,
 * and a code in a symbology left out is not reported, on a real herbarium sheet.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageBarcodes, drawBarcode, imageSymbologies, ZxingPool } from '../../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../../src/barcode/rules.js';
import { corpus } from '../../helpers/station-home.js';

const pool = new ZxingPool();
afterAll(() => pool.close());
const rules = barcodeRulesSchema.parse({});

/** Meise's sheet whose specimen barcode is an EAN-13 (its catalogue digits), and no other code zxing reads. */
const sheet = path.join(corpus, 'museum/dissco/meise/BR0000005182879.jpg');
const ean = { format: 'EAN13', text: '0000005182879', valid: true };

describe('linking.imageFormats', () => {
  it('hands zxing only names it takes: a page read with every symbology the config allows', async () => {
    const code = await drawBarcode('ALL-FORMATS-1', { format: 'Code128', scale: 3 });
    const page = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#ffffff' } }).composite([{ input: code, left: 40, top: 40 }]).png().toBuffer();
    const r = await decodeImageBarcodes(page, { rules, pool, formats: imageSymbologies });
    expect(r.error).toBeNull();
    expect(r.codes).toEqual([{ format: 'Code128', text: 'ALL-FORMATS-1', valid: true }]);
  });

  it("reports the Meise sheet's EAN-13 only when EAN13 is listed", async () => {
    // A generous limit: the search without the EAN-13 goes on through every tile of the 54 MP sheet.
    const decode = (formats: ('DataMatrix' | 'EAN13')[]) => decodeImageBarcodes(sheet, { rules, pool, formats, timeLimitMs: 120_000 });
    const without = await decode(['DataMatrix']);
    expect(without.error).toBeNull();
    expect(without.codes).toEqual([]);
    const only = await decode(['EAN13']);
    expect(only.error).toBeNull();
    expect(only.codes).toContainEqual(ean);
  });
});
