import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { hammingDistance, perceptualHash } from '../../src/quality/phash.js';

async function lumaOf(image: Sharp): Promise<{ luma: Float32Array; width: number; height: number }> {
  const { data, info } = await image.greyscale().raw().toBuffer({ resolveWithObject: true });
  return { luma: Float32Array.from(data), width: info.width, height: info.height };
}

/**
 * A blurred random scene from a seeded generator: sharp's own `create.noise` draws new noise on
 * every call, which made the "near" distance vary from run to run (it failed once with 6).
 */
const scene = (seed: number) => {
  const width = 320;
  const height = 240;
  const pixels = Buffer.alloc(width * height * 3);
  let state = 0x9e3779b9 ^ (seed * 0x85ebca6b);
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    pixels[i] = state >>> 24;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).blur(6);
};

describe('perceptual hash', () => {
  it('is 16 hex digits, the same for the same pixels, close for a slightly changed frame, far for another scene', async () => {
    const base = await sharp(await scene(0).png().toBuffer());
    const a = await lumaOf(base.clone());
    const hash = perceptualHash(a.luma, a.width, a.height);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(perceptualHash(a.luma, a.width, a.height)).toBe(hash);

    const brighter = await lumaOf(base.clone().linear(1.05, 6));
    const other = await lumaOf(sharp(await scene(1).png().toBuffer()));
    const near = hammingDistance(hash, perceptualHash(brighter.luma, brighter.width, brighter.height))!;
    const far = hammingDistance(hash, perceptualHash(other.luma, other.width, other.height))!;
    expect(near).toBeLessThanOrEqual(4);
    expect(far).toBeGreaterThan(16);
  });

  it('copes with images smaller than its 32×32 grid', () => {
    expect(perceptualHash(Float32Array.from([0, 255, 255, 0]), 2, 2)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('hammingDistance', () => {
  it('counts differing bits and rejects anything that is not a 64-bit hex hash', () => {
    expect(hammingDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('00000000000000f0', '000000000000000F')).toBe(8);
    expect(hammingDistance('123', '0000000000000000')).toBeNull();
    expect(hammingDistance('zzzzzzzzzzzzzzzz', '0000000000000000')).toBeNull();
  });
});
