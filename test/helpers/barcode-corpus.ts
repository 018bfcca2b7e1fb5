/**
 * The barcode corpus (../shared/corpus/barcodes, ZXing's black-box sets) and the museum images with
 * their truth, read from the MANIFEST files, and a runner that decodes them with the station's
 * decoder. Shared by the regression test and `npm run bench:barcodes`.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImageBarcodes, type ImageDecodeOptions, type ImageDecodeResult } from '../../src/barcode/image/index.js';
import { corpus } from './station-home.js';

export interface CorpusImage {
  folder: string;
  file: string;
  /** Exact texts expected; empty for an image with no barcode. */
  expected: string[];
}

interface ManifestRow {
  file: string;
  expectedTruth: string;
  role: string;
  notes: string;
}

function readManifest(group: string): ManifestRow[] {
  const lines = fs.readFileSync(path.join(corpus, group, 'MANIFEST.tsv'), 'utf8').split('\n').filter(Boolean);
  const head = lines[0]!.split('\t');
  const col = (name: string) => head.indexOf(name);
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    return { file: c[col('file')]!, expectedTruth: c[col('expected_truth')] ?? '', role: c[col('role')] ?? '', notes: c[col('notes')] ?? '' };
  });
}

/** ZXing's black-box images; the truth is the `N.txt` beside `N.png`, or the manifest for multi-code images. */
export function zxingCorpus(): CorpusImage[] {
  return readManifest('barcodes')
    .filter((r) => r.role === 'image')
    .map((r) => {
      const abs = path.join(corpus, 'barcodes', r.file);
      const folder = path.basename(path.dirname(r.file));
      const sidecar = abs.replace(/\.[^.]+$/, '.txt');
      let expected: string[];
      if (r.expectedTruth.startsWith('NO_BARCODE')) expected = [];
      else if (/^\d+ codes: /.test(r.expectedTruth)) expected = r.expectedTruth.replace(/^\d+ codes: /, '').split(' | ').map((p) => p.slice(p.indexOf(': ') + 2));
      else expected = [fs.readFileSync(sidecar, 'utf8')];
      return { folder, file: abs, expected };
    });
}

/**
 * What ZXing's own black-box tests require of each folder at 0° (from the MANIFEST notes, which
 * quote the ZXing test cases). For falsepositives-2 it is the most images with a (false) code.
 */
export const zxingThresholds: Record<string, { need: number; of: number; note: string } | { maxFalse: number; note: string }> = {
  'code128-1': { need: 7, of: 7, note: 'Code128BlackBox1TestCase: 7/7 at 0° and 180°' },
  'code128-3': { need: 2, of: 2, note: 'Code128BlackBox3TestCase: 2/2' },
  'code39-1': { need: 4, of: 4, note: 'Code39BlackBox1TestCase: 4/4' },
  'code39-2': { need: 2, of: 2, note: 'Code39ExtendedBlackBox2TestCase: 2/2 (full ASCII)' },
  'datamatrix-1': { need: 23, of: 23, note: 'DataMatrixBlackBox1TestCase: 23/23 at 0/90/180/270°' },
  'qrcode-1': { need: 17, of: 20, note: 'QRCodeBlackBox1TestCase: 17/20 at 0° and 180°, 14 at 90°/270°' },
  'qrcode-3': { need: 36, of: 42, note: 'QRCodeBlackBox3TestCase: 36–39 of 42' },
  'multi-1': { need: 2, of: 2, note: 'MultiTestCase: both codes (UPC-A + QR)' },
  'falsepositives-2': { maxFalse: 4, note: 'at most 4 false positives per rotation over the 25 photos' },
};

export interface MuseumImage {
  file: string;
  /** Codes the source asserts (values), possibly none. */
  expected: string[];
  /** How many codes the source says are on it, when it says so without values. */
  count: number | null;
  truth: string;
}

/** The museum images and what their MANIFEST asserts: values where it gives them, else a count or nothing. */
export function museumCorpus(): MuseumImage[] {
  return readManifest('museum')
    .filter((r) => r.role === 'image')
    .map((r) => {
      const file = path.join(corpus, 'museum', r.file);
      const t = r.expectedTruth;
      let expected: string[] = [];
      let count: number | null = null;
      const listed = /^(\d+) [A-Z_0-9]+: (.*)$/.exec(t);
      if (listed) {
        expected = listed[2]!.split(' | ');
        count = Number(listed[1]);
      } else if (r.file.startsWith('dissco/meise/')) {
        // The Meise sheets are named by their catalogue number, which their specimen barcode carries.
        expected = [path.basename(r.file, path.extname(r.file))];
        count = /2nd barcode/.test(t) ? 2 : 1;
      } else if (/no barcodes/.test(t)) count = 0;
      return { file, expected, count, truth: t };
    });
}

export interface FolderScore {
  folder: string;
  images: number;
  /** Images whose expected codes were all found (for negatives: images with any code, i.e. false positives). */
  found: number;
  ms: number[];
}

/** Decodes every ZXing corpus image (rotated by `rotation` degrees) and scores each folder. */
export async function scoreZxingCorpus(opts: ImageDecodeOptions, rotation = 0): Promise<Map<string, FolderScore>> {
  const scores = new Map<string, FolderScore>();
  for (const img of zxingCorpus()) {
    const input = rotation === 0 ? img.file : await sharp(img.file).rotate(rotation).png().toBuffer();
    const r: ImageDecodeResult = await decodeImageBarcodes(input, opts);
    const s = scores.get(img.folder) ?? { folder: img.folder, images: 0, found: 0, ms: [] };
    s.images++;
    s.ms.push(r.ms);
    if (img.expected.length === 0 ? r.codes.length > 0 : img.expected.every((t) => hasCode(r.codes, t))) s.found++;
    scores.set(img.folder, s);
  }
  return scores;
}

/**
 * Whether `expected` was read. zxing-cpp reports a UPC-A symbol in its 13-digit EAN-13 form (a
 * leading 0), where ZXing's Java truth files give the 12 UPC-A digits; both name the same code.
 */
export function hasCode(codes: readonly { text: string }[], expected: string): boolean {
  return codes.some((c) => c.text === expected || (/^\d{12}$/.test(expected) && c.text === `0${expected}`));
}
