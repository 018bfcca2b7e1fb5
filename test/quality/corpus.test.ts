/**
 * analyzeFile and the decodes check on real files nobody on the team made (../shared/corpus). Every
 * image row of each MANIFEST is run; where our answer differs from the manifest's, the file is named
 * below with the reason — a limitation of ours or a manifest note that does not hold for the bytes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile, presetProfiles, runChecks, type Analysis, type CheckResult } from '../../src/quality/index.js';

const corpus = path.resolve(import.meta.dirname, '../../../shared/corpus');
/** Bounds every decode, so a pathological file fails as a timeout instead of hanging the run. */
const opts = { maxInputPixels: 1_000_000_000, decodeTimeoutSec: 10, workingSize: 512 };

interface Row {
  file: string;
  truth: string;
  sha256: string;
  notes: string;
}

async function manifest(group: string): Promise<Row[]> {
  const lines = (await fs.readFile(path.join(corpus, group, 'MANIFEST.tsv'), 'utf8')).trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => header.indexOf(name);
  return lines
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((cells) => cells[col('role')] === 'image')
    .map((cells) => ({ file: cells[col('file')]!, truth: cells[col('expected_truth')]!, sha256: cells[col('sha256')]!, notes: cells[col('notes')] ?? '' }));
}

/** Analyses of a group's files, two at a time (the station's default concurrency). */
async function analyseAll(group: string, rows: Row[]): Promise<Map<string, Analysis>> {
  const results = new Map<string, Analysis>();
  const queue = [...rows];
  const worker = async (): Promise<void> => {
    for (let row = queue.shift(); row; row = queue.shift()) results.set(row.file, await analyzeFile(path.join(corpus, group, row.file), opts));
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function decodes(a: Analysis, fileName: string): CheckResult {
  return runChecks(a, presetProfiles['default']!, { fileName, duplicateOf: null, previous: null, pair: 'waiting' })[0]!;
}

const sorted = (files: string[]): string[] => [...files].sort();

describe('corpus: TIFF', () => {
  let rows: Row[];
  let analyses: Map<string, Analysis>;
  beforeAll(async () => {
    rows = await manifest('tiff');
    analyses = await analyseAll('tiff', rows);
  }, 120_000);

  it('has every file analysed, with the SHA-256 the manifest lists', () => {
    expect(rows.length).toBeGreaterThan(400);
    expect(rows.filter((r) => analyses.get(r.file)?.sha256 !== r.sha256).map((r) => r.file)).toEqual([]);
  });

  /** Broken by the manifest, yet decodable to us: failed by another check, named in the value. */
  const brokenButDecoded: Record<string, 'bitDepth'> = {
    // 'unsupported' is Pillow's verdict (it has no mode for 32-bit unsigned RGB). The file is a
    // well-formed 128×128 32-bit unsigned RGB TIFF that libvips decodes, like
    // image-tiff/libtiffpic/depth/flower-rgb-contig-32.tif, which this manifest calls valid: both
    // decode, and the default profile fails both on bit depth (no camera or scanner writes 32 bits).
    'pillow/hopper_unknown_pixel_mode.tif': 'bitDepth',
  };

  it('fails every corrupt, fuzzer-made, IFD-loop and unsupported TIFF with a reason (and never throws or hangs)', () => {
    const broken = rows.filter((r) => /^corrupt|^unsupported/.test(r.truth));
    expect(broken.length).toBe(149);
    const results = broken.map((r) => ({ row: r, result: decodes(analyses.get(r.file)!, path.basename(r.file)) }));
    expect(sorted(results.filter(({ result }) => result.status !== 'fail').map(({ row }) => row.file))).toEqual(sorted(Object.keys(brokenButDecoded)));
    for (const [file, check] of Object.entries(brokenButDecoded)) {
      const all = runChecks(analyses.get(file)!, presetProfiles['default']!, { fileName: path.basename(file), duplicateOf: null, previous: null, pair: 'waiting' });
      expect(all.find((r) => r.check === check), file).toMatchObject({ status: 'fail', message: expect.stringMatching(/32 bits per sample is not allowed/) });
    }
    for (const { row, result } of results.filter(({ result }) => result.status === 'fail')) {
      expect(result.value, row.file).toMatch(/^(truncated|corrupt|unsupported|timeout)$/);
      expect(result.message, row.file).toMatch(/re-shoot or re-export|re-export it/i);
    }
    // The IFD loops pass libvips (it decodes page 0); our own IFD walk catches them.
    for (const file of ['pillow/multipage_multiple_frame_loop.tiff', 'pillow/multipage_single_frame_loop.tiff']) {
      expect(analyses.get(file)!.decodeError).toEqual({ kind: 'corrupt', message: expect.stringMatching(/loops back on itself/) });
    }
  });

  /** Valid by the manifest and decoded by libvips when told to tolerate errors (failOn 'none'), yet failed by us. */
  const validButFailed: Record<string, string> = {
    'pillow/hopper_lzma.tif': "LZMA-compressed: sharp's libtiff is built without LZMA, so with failOn 'none' libvips returns an image without the real pixels; we report 'unsupported'.",
    'image-tiff/images/int16_zstd.tif': "ZSTD-compressed: sharp's libtiff is built without ZSTD (as for LZMA above); we report 'unsupported'.",
    'pillow/separate_planar_extra_samples.tiff': "Planar file whose extra-sample plane has a strip byte count of 0: libtiff reports \"Invalid strip byte count 0, strip 1\"; Pillow fills the plane in, we call the file damaged.",
    'image-tiff/libtiffpic/text.tif': 'ThunderScan 4-bit: libtiff\'s decoder runs out of data at scanline 320 of 359 ("Not enough data at scanline 320"); with failOn \'none\' the last rows would be blank, so we call it damaged.',
  };

  it('passes decodes for every valid TIFF that libvips can decode, except the named limitations', async () => {
    const valid = rows.filter((r) => r.truth.startsWith('valid'));
    const decodable: Row[] = [];
    const undecodable: Row[] = [];
    for (const row of valid) {
      const ok = await sharp(path.join(corpus, 'tiff', row.file), { failOn: 'none' })
        .stats()
        .then(() => true)
        .catch(() => false);
      (ok ? decodable : undecodable).push(row);
    }
    expect(decodable.length).toBe(231);
    const failed = decodable.filter((r) => decodes(analyses.get(r.file)!, path.basename(r.file)).status !== 'pass').map((r) => r.file);
    expect(sorted(failed)).toEqual(sorted(Object.keys(validButFailed)));
    for (const [file, reason] of Object.entries(validButFailed)) expect(analyses.get(file)!.decodeError, reason).not.toBeNull();

    // What libvips cannot decode at all (12/24-bit samples, 64-bit floats, old-style JPEG, tiled
    // planar, CIELab…) fails decodes too, as something to re-export rather than a crash.
    expect(undecodable.length).toBe(75);
    for (const row of undecodable) expect(analyses.get(row.file)!.decodeError?.kind, row.file).toMatch(/^(unsupported|corrupt)$/);
    // Variants the decoder lacks are named as such, not as damage, even with other decodes running beside them.
    for (const file of ['image-tiff/libtiffpic/depth/flower-minisblack-06.tif', 'image-tiff/images/seq/seq-3c-14b-planar-4dde706b.tiff', 'pillow/old-style-jpeg-compression.tif']) {
      expect(analyses.get(file)!.decodeError, file).toEqual({ kind: 'unsupported', message: expect.stringMatching(/^The decoder does not support this TIFF variant \(tiff2vips: \w.+\): re-export it/) });
    }
  });

  it('gives every failed decode a reason (libvips shares one error buffer between concurrent decodes)', () => {
    const failures = [...analyses].filter(([, a]) => a.decodeError);
    expect(failures.length).toBeGreaterThan(200);
    for (const [file, a] of failures) expect(a.decodeError!.message, file).not.toMatch(/\(\)|\(\s*:|unknown error|gave no reason/i);
  });

  it('decodes the malformed-but-decodable files, as Pillow does', () => {
    for (const row of rows.filter((r) => r.truth === 'malformed-but-decodable')) expect(analyses.get(row.file)!.decodeError, row.file).toBeNull();
  });

  it('reads the facts of the ExifTool TIFF samples', () => {
    expect(analyses.get('exiftool/ExifTool.tif')!.facts).toMatchObject({
      format: 'tiff',
      width: 160,
      height: 120,
      tiffCompression: 'lzw',
      ppi: { x: 180, y: 180 },
      iccDescription: 'sRGB IEC61966-2.1',
      exif: { make: 'Canon', model: 'Canon EOS DIGITAL REBEL', captureTime: '2004-02-20T08:07:49' },
    });
    expect(analyses.get('exiftool/BigTIFF.btf')!).toMatchObject({ decodeError: null, facts: { width: 8, height: 8 } });
  });
});

describe('corpus: JPEG with EXIF', () => {
  let rows: Row[];
  let analyses: Map<string, Analysis>;
  beforeAll(async () => {
    rows = await manifest('jpeg-exif');
    analyses = await analyseAll('jpeg-exif', rows);
  }, 120_000);
  const facts = (file: string) => analyses.get(`pillow/${file}`)!.facts!;

  it('has every file analysed, with the SHA-256 the manifest lists', () => {
    expect(rows.filter((r) => analyses.get(r.file)?.sha256 !== r.sha256).map((r) => r.file)).toEqual([]);
  });

  it('decodes every valid, broken-EXIF and broken-metadata file; fails the truncated one', () => {
    const notTruncated = rows.filter((r) => r.truth !== 'truncated');
    const failed = notTruncated.filter((r) => analyses.get(r.file)!.decodeError !== null).map((r) => r.file);
    // pillow/ultrahdr.jpg: the manifest says valid (Pillow's test only reads its metadata), but the
    // file is a 1512×2688 frame whose scan holds 2 bytes of entropy-coded data: it really is cut short.
    expect(failed).toEqual(['pillow/ultrahdr.jpg']);
    expect(analyses.get('pillow/ultrahdr.jpg')!.decodeError?.kind).toBe('truncated');
    expect(analyses.get('pillow/truncated_jpeg.jpg')!.decodeError).toEqual({ kind: 'truncated', message: expect.stringMatching(/premature end of JPEG image/) });
  });

  it('reads orientation and capture time as the files state them', () => {
    for (let n = 2; n <= 8; n++) expect(facts(`hopper_orientation_${n}.jpg`).exif.orientation).toBe(n);
    expect(facts('orientation_rectangle.jpg')).toMatchObject({ width: 2, height: 1, exif: { orientation: 8 } });
    // The manifest note says "Orientation=7 (TRANSVERSE)"; the file stores 6. Pillow's test asserts
    // exif[0x0112] == Image.Transpose.TRANSVERSE, and that enum member's value is 6.
    expect(facts('empty_gps_ifd.jpg').exif.orientation).toBe(6);
    expect(facts('exif-ifd-offset.jpg').exif.captureTime).toBe('2017-03-13T23:03:09');
  });

  it('reports the resolution a file states, and none where Pillow falls back to a default 72', () => {
    expect(facts('exif-200dpcm.jpg').ppi).toEqual({ x: 508, y: 508 });
    expect(facts('exif-72dpi-int.jpg').ppi).toEqual({ x: 72, y: 72 });
    expect(facts('photoshop-200dpi.jpg').ppi).toEqual({ x: 200, y: 200 });
    expect(facts('jfif_unit_cm.jpg').ppi).toEqual({ x: 2.54, y: 5.08 });
    // Zero, missing or unreadable EXIF resolution and no JFIF density: the file states none.
    for (const file of ['exif-dpi-zerodivision.jpg', 'invalid-exif-without-x-resolution.jpg', 'invalid-exif.jpg', 'broken_exif_dpi.jpg', 'truncated_exif_dpi.jpg', 'no-dpi-in-exif.jpg']) {
      expect(facts(file).ppi, file).toBeNull();
    }
  });

  it('reads camera EXIF of the ExifTool samples', () => {
    expect(analyses.get('exiftool/Canon.jpg')!.facts!.exif).toMatchObject({ make: 'Canon', model: 'Canon EOS DIGITAL REBEL', iso: 100, exposureTime: 4, fNumber: 14 });
    expect(analyses.get('exiftool/Google.jpg')!.facts!.exif).toMatchObject({ make: 'Google', model: 'Pixel 8 Pro', captureTime: '2023-10-06T22:53:51+02:00' });
  });
});

describe('corpus: RAW containers', () => {
  const strippedMrw = 'exiftool/Minolta.mrw';
  let rows: Row[];
  let analyses: Map<string, Analysis>;
  beforeAll(async () => {
    rows = await manifest('raw');
    analyses = await analyseAll('raw', rows);
  });

  /** Make and model as ExifTool reads them from the same files (t/*_2.out in its repository). */
  const cameras: Record<string, [detail: string, make: string, model: string]> = {
    'exiftool/CanonRaw.cr2': ['cr2', 'Canon', 'Canon EOS 350D DIGITAL'],
    'exiftool/CanonRaw.cr3': ['cr3', 'Canon', 'Canon EOS M50'],
    'exiftool/CanonRaw.crw': ['crw', 'Canon', 'Canon EOS DIGITAL REBEL'],
    'exiftool/Nikon.nef': ['nef', 'NIKON CORPORATION', 'NIKON D70'],
    'exiftool/DNG.dng': ['dng', 'Canon', 'Canon EOS 350D DIGITAL'],
    'exiftool/FujiFilm.raf': ['raf', 'FUJIFILM', 'FinePix S5Pro'],
    'exiftool/Panasonic.rw2': ['rw2', 'Panasonic', 'DMC-LX3'],
    'exiftool/Minolta.mrw': ['mrw', 'Konica Minolta Camera, Inc.', 'DiMAGE A2'],
    'exiftool/PhaseOne.iiq': ['iiq', 'Leaf', 'Credo 40'],
    'exiftool/Sigma.x3f': ['x3f', 'SIGMA', 'SIGMA SD10'],
    'exiftool/SigmaDP2.x3f': ['x3f', 'SIGMA', 'SIGMA DP2'],
    'exiftool/KyoceraRaw.raw': ['kyocera raw', 'KYOCERA', 'N DIGITAL'],
  };

  it('identifies every container as RAW with its make and model, without decoding pixels', () => {
    expect(sorted(rows.map((r) => r.file))).toEqual(sorted(Object.keys(cameras)));
    for (const row of rows) {
      const a = analyses.get(row.file)!;
      const [detail, make, model] = cameras[row.file]!;
      expect(a.sha256, row.file).toBe(row.sha256);
      expect(a, row.file).toMatchObject({ measurements: null, facts: { format: 'raw', formatDetail: detail, exif: { make, model } } });
      if (row.file === strippedMrw) continue;
      expect(a.decodeError, row.file).toBeNull();
      expect(decodes(a, path.basename(row.file)), row.file).toMatchObject({ status: 'skip', value: 'raw' });
    }
  });

  it('fails the MRW whose raw data ExifTool stripped: its PRD block still promises 2456 × 3272 12-bit samples', () => {
    // The MANIFEST: "metadata-only RAW container (image data stripped)". The other containers had
    // their offsets and lengths rewritten when the data went; an MRW's sensor size cannot be.
    expect(analyses.get(strippedMrw)!.decodeError).toEqual({ kind: 'truncated', message: expect.stringContaining('(the file is 2596 bytes long, but its raw data reaches byte 12056628)') });
  });

  it('follows IFD0 to the Exif IFD of TIFF-based RAWs', () => {
    expect(analyses.get('exiftool/PhaseOne.iiq')!.facts!.exif).toMatchObject({ iso: 100, exposureTime: 0.0008, fNumber: 5.6, captureTime: '2013-06-19T15:44:21' });
    expect(analyses.get('exiftool/Nikon.nef')!.facts!.exif).toMatchObject({ iso: 200, exposureTime: 0.05, fNumber: 3.5 });
  });
});
