/** Every check on real files: images generated with sharp, analysed, then judged. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile, presetProfiles, runChecks, verdictOf, type Analysis, type CheckContext, type CheckId, type CheckResult, type Profile } from '../../src/quality/index.js';
import { goodImage, pagedImage } from '../helpers/images.js';

const opts = { maxInputPixels: 100_000_000, decodeTimeoutSec: 20, workingSize: 512 };
const base = presetProfiles['default']!;
const fadgi3 = presetProfiles['fadgi-3star']!;
const fadgi4 = presetProfiles['fadgi-4star']!;

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qc-checks-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function analyse(name: string, image: Sharp | Buffer): Promise<Analysis> {
  const file = path.join(dir, name);
  await (Buffer.isBuffer(image) ? fs.writeFile(file, image) : image.toFile(file));
  return analyzeFile(file, opts);
}

function judge(a: Analysis, profile: Profile, ctx: Partial<CheckContext> = {}): Record<CheckId, CheckResult> {
  const results = runChecks(a, profile, { fileName: 'OBJ_0001.tif', duplicateOf: null, previous: null, pair: 'waiting', ...ctx });
  return Object.fromEntries(results.map((r) => [r.check, r])) as Record<CheckId, CheckResult>;
}

/** Soft shapes rather than pixel noise, so the perceptual hash sees a scene and small changes stay small. */
const scene = () => sharp({ create: { width: 600, height: 400, channels: 3, background: { r: 90, g: 120, b: 60 }, noise: { type: 'gaussian', mean: 120, sigma: 50 } } }).blur(5);

describe('a FADGI 3★ master and its faults', () => {
  // withDensity, not withMetadata: withMetadata would also attach an sRGB profile.
  const master = () => goodImage(1, 600, 400).withIccProfile('srgb').withDensity(400).tiff({ compression: 'lzw' });

  it('passes every FADGI 3★ check as 8-bit sRGB, 400 ppi, LZW, ICC embedded', async () => {
    const results = judge(await analyse('master.tif', master()), fadgi3);
    const notPassed = Object.values(results).filter((r) => r.status !== 'pass');
    expect(notPassed.map((r) => r.check)).toEqual(['minPixels', 'pairs', 'barcodeMismatch']);
    expect(verdictOf(Object.values(results))).toBe('pass');
  });

  it('format: a JPEG fails the TIFF-only profile', async () => {
    const results = judge(await analyse('master.jpg', goodImage(1, 600, 400).withIccProfile('srgb').withDensity(400).jpeg()), fadgi3);
    expect(results.format.status).toBe('fail');
    expect(results.tiffCompression.status).toBe('skip');
  });

  it('tiffCompression: JPEG-in-TIFF fails, LZW passes', async () => {
    const jpegTiff = judge(await analyse('jpeg-in.tif', goodImage(1, 600, 400).withIccProfile('srgb').withDensity(400).tiff({ compression: 'jpeg' })), fadgi3);
    expect(jpegTiff.tiffCompression).toMatchObject({ status: 'fail', value: 'jpeg' });
    expect(jpegTiff.decodes.status).toBe('pass');
  });

  it('minPpi: 300 ppi fails a 400 ppi minimum; no stated resolution fails too', async () => {
    expect(judge(await analyse('300ppi.tif', goodImage(1, 600, 400).withIccProfile('srgb').withDensity(300).tiff({ compression: 'lzw' })), fadgi3).minPpi).toMatchObject({ status: 'fail', value: { x: 300, y: 300 } });
    // sharp writes a JPEG with neither a JFIF density nor EXIF when no density is asked for.
    const noResolution = judge(await analyse('no-res.jpg', goodImage(1, 60, 40).jpeg()), { ...fadgi3, formats: { allowed: ['jpeg'], severity: 'fail' } });
    expect(noResolution.minPpi).toMatchObject({ status: 'fail', value: null, message: expect.stringMatching(/states no resolution/) });
  });

  it('bitDepth: 16-bit passes FADGI 4★, 8-bit fails it', async () => {
    const pixels = new Uint16Array(300 * 200 * 3).map((_, i) => (i * 7919) % 60000);
    const sixteen = judge(await analyse('16.tif', sharp(pixels, { raw: { width: 300, height: 200, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'lzw' })), fadgi4);
    expect(sixteen.bitDepth).toMatchObject({ status: 'pass', value: 16 });
    expect(judge(await analyse('8.tif', master()), fadgi4).bitDepth).toMatchObject({ status: 'fail', value: 8 });
  });

  it('colour: with an sRGB profile it passes FADGI 3★; without one it fails', async () => {
    expect(judge(await analyse('no-icc.tif', goodImage(1, 600, 400).withDensity(400).tiff({ compression: 'lzw' })), fadgi3).colour).toMatchObject({ status: 'fail', message: expect.stringMatching(/no embedded ICC profile/) });
    expect(judge(await analyse('icc.tif', master()), fadgi3).colour).toMatchObject({ status: 'pass', value: { icc: 'sRGB', space: 'srgb' } });
  });

  it('singlePage: a three-page TIFF fails the archival profile', async () => {
    const results = judge(await analyse('pages.tif', (await pagedImage([60, 120, 180], 64, 48)).tiff({ compression: 'lzw' })), fadgi3);
    expect(results.singlePage).toMatchObject({ status: 'fail', value: 3 });
  });

  it('filename: spaces fail the archival naming rule', async () => {
    const a = await analyse('master2.tif', master());
    expect(judge(a, fadgi3, { fileName: 'OBJ 0001.tif' }).filename.status).toBe('fail');
    expect(judge(a, base, { fileName: 'OBJ 0001.tif' }).filename.status).toBe('pass');
  });

  it('minPixels: a profile with a pixel minimum fails a small master', async () => {
    const needsSize = { ...fadgi3, minPixels: { longEdge: 1000, shortEdge: 800, severity: 'fail' as const } };
    expect(judge(await analyse('small.tif', master()), needsSize).minPixels).toMatchObject({ status: 'fail', value: { width: 600, height: 400 } });
  });
});

describe('exposure, blank and focus on the pixels', () => {
  it('exposure: a frame with a blown-out white border fails, a well-exposed one passes', async () => {
    const framed = goodImage(2, 400, 300).extend({ top: 40, bottom: 40, left: 40, right: 40, background: '#ffffff' });
    const results = judge(await analyse('white-frame.png', framed), base);
    expect(results.exposure.status).toBe('fail');
    expect(results.exposure.message).toMatch(/channel: \d+(\.\d+)? % of pixels clipped at white \(limit 5 %\): reduce exposure or light\./);
    expect(judge(await analyse('well-exposed.png', scene()), base).exposure.status).toBe('pass');
  });

  it('exposure: clipping of a 16-bit file is judged at 65535', async () => {
    const pixels = new Uint16Array(200 * 100 * 3).fill(65280);
    pixels.fill(65535, 0, 200 * 3 * 10);
    const a = await analyse('16-bright.tif', sharp(pixels, { raw: { width: 200, height: 100, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'lzw' }));
    expect(a.measurements?.clippedWhitePct).toEqual([10, 10, 10]);
    expect(judge(a, base).exposure.status).toBe('fail');
  });

  it('blank: a uniform grey frame fails (its focus measure is 0, not a division by zero)', async () => {
    const a = await analyse('grey.tif', sharp({ create: { width: 300, height: 200, channels: 3, background: '#777777' } }).tiff({ compression: 'lzw' }));
    const results = judge(a, base);
    expect(results.blank).toMatchObject({ status: 'fail', value: 0 });
    expect(a.measurements?.focus).toBe(0);
    expect(results.sharpness.status).toBe('warn');
    expect(results.exposure.status).toBe('pass');
  });

  it('sharpness: a sharp checkerboard passes, the same frame blurred fails', async () => {
    // Large squares keep their contrast when blurred. (Blurring fine noise instead leaves a frame
    // so flat that 8-bit rounding noise dominates the ratio: focus is only meaningful on frames
    // with real contrast, which the blank check guards.)
    const strict = { ...base, sharpness: { ...base.sharpness, severity: 'fail' as const } };
    const pixels = Buffer.alloc(800 * 600);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (Math.floor((i % 800) / 50) + Math.floor(i / 800 / 50)) % 2 ? 200 : 40;
    const sharpFrame = await sharp(pixels, { raw: { width: 800, height: 600, channels: 1 } }).png().toBuffer();
    expect(judge(await analyse('sharp.png', sharpFrame), strict).sharpness.status).toBe('pass');
    const blurred = judge(await analyse('blurred.png', sharp(sharpFrame).blur(8)), strict);
    expect(blurred.sharpness.status).toBe('fail');
    expect(blurred.sharpness.message).toMatch(/at the 512 × 384 working size/);
  });

  it('nearDuplicate: a re-shot frame of the same scene warns, another scene passes', async () => {
    const first = await scene().png().toBuffer();
    const previous = await analyse('first.png', first);
    const again = await analyse('again.png', sharp(first).linear(1.03, 4));
    const ctx = { previous: { captureId: 1, path: 'first.png', phash: previous.measurements!.phash } };
    expect(judge(again, base, ctx).nearDuplicate).toMatchObject({ status: 'warn', value: { distance: expect.any(Number) } });
    const other = await analyse('other.png', scene().rotate(90));
    expect(judge(other, base, ctx).nearDuplicate.status).toBe('pass');
  });

  it('duplicate: the same bytes under another name are flagged by the station context', async () => {
    const a = await analyse('copy.tif', await scene().tiff({ compression: 'lzw' }).toBuffer());
    expect(judge(a, base, { duplicateOf: { captureId: 4, path: 'orig.tif' } }).duplicate.status).toBe('fail');
  });
});
