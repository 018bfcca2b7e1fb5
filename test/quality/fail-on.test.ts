/**
 * What sharp's `failOn` really does with cut-short files (sharp 0.35.5, libvips 8.18), the reason
 * analyze uses 'error'. If a sharp upgrade changes any of this, decode.ts's comment is stale.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tiffIfdFirst } from '../helpers/tiff-bytes.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qc-failon-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const noise = (width: number, height: number, channels: 1 | 3) =>
  channels === 1 ? noiseRgb(width, height).greyscale() : noiseRgb(width, height);
const noiseRgb = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } });

async function decodeWith(file: string, failOn: 'none' | 'truncated' | 'error'): Promise<{ ok: true; mean: number } | { ok: false; message: string }> {
  try {
    const { data, info } = await sharp(file, { failOn, sequentialRead: true }).resize(256, 256, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    const stats = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).stats();
    return { ok: true, mean: stats.channels[0]!.mean };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

async function halfOf(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return file;
}

describe("failOn 'truncated' vs 'error' on truncated files", () => {
  it("lets a TIFF with its IFD first and half its strips missing through with 'truncated' (lower half black), and fails it with 'error'", async () => {
    const { data, info } = await noise(800, 600, 3).raw().toBuffer({ resolveWithObject: true });
    const whole = tiffIfdFirst({ width: info.width, height: info.height, samples: 3, pixels: data, rowsPerStrip: 16 });
    const file = await halfOf('ifd-first-half.tif', whole);

    for (const mode of ['none', 'truncated'] as const) {
      const result = await decodeWith(file, mode);
      expect(result.ok, mode).toBe(true);
      // Noise has mean 128; with the lower half decoded as zeros the mean drops to about half.
      if (result.ok) expect(result.mean).toBeLessThan(90);
    }
    const strict = await decodeWith(file, 'error');
    expect(strict).toEqual({ ok: false, message: expect.stringMatching(/Read error at scanline \d+; got \d+ bytes, expected \d+/) });
  });

  it('fails a libtiff-written TIFF cut in half in every mode: its IFD is at the end, so there is nothing to identify', async () => {
    const whole = await noise(800, 600, 3).tiff({ compression: 'lzw' }).toBuffer();
    expect(whole.readUInt32LE(4)).toBeGreaterThan(whole.length / 2);
    const file = await halfOf('libtiff-half.tif', whole);
    for (const mode of ['none', 'truncated', 'error'] as const) {
      expect(await decodeWith(file, mode), mode).toEqual({ ok: false, message: 'Input file contains unsupported image format' });
    }
  });

  it("fails half a JPEG from 'truncated' upwards, and decodes it with 'none'", async () => {
    const file = await halfOf('half.jpg', await noise(800, 600, 3).jpeg().toBuffer());
    expect((await decodeWith(file, 'none')).ok).toBe(true);
    for (const mode of ['truncated', 'error'] as const) {
      expect(await decodeWith(file, mode), mode).toEqual({ ok: false, message: expect.stringMatching(/premature end of JPEG image/) });
    }
  });
});
