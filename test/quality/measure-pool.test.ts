/** The measures run in a worker thread: the same figures as on the main thread, and each answer to its own request. */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { measure, type SampleLayout } from '../../src/quality/measure.js';
import { measureOffThread } from '../../src/quality/measure-pool.js';
import { corpus } from '../helpers/station-home.js';

describe('measures off the event loop', () => {
  it('gives exactly the figures measure() gives on the main thread, for 8- and 16-bit working copies', async () => {
    const file = `${corpus}/museum/inselect/drawers/lucanidae.jpg`;
    for (const depth of ['uchar', 'ushort'] as const) {
      const { data, info } = await sharp(file).resize(512, 512, { fit: 'inside' }).toColourspace(depth === 'uchar' ? 'srgb' : 'rgb16').raw({ depth }).toBuffer({ resolveWithObject: true });
      const layout: SampleLayout = { width: info.width, height: info.height, channels: info.channels, colourChannels: 3, type: depth, fullScale: depth === 'uchar' ? 255 : 65535, judgeClipping: true };
      const here = measure(data, layout);
      expect(here.lumaStdDev).toBeGreaterThan(0);
      expect(await measureOffThread(data, layout)).toEqual(here);
    }
  });

  it('answers each of many requests in flight with its own figures', async () => {
    const layout: SampleLayout = { width: 2, height: 2, channels: 1, colourChannels: 1, type: 'uchar', fullScale: 255, judgeClipping: true };
    const frames = [0, 1, 2, 3, 4].map((k) => Buffer.from([0, 255, k * 40, 0].map((v, i) => (i < k ? 0 : v))));
    const results = await Promise.all(frames.map((f) => measureOffThread(f, layout)));
    expect(results).toEqual(frames.map((f) => measure(f, layout)));
    expect(new Set(results.map((r) => r.clippedBlackPct[0])).size).toBeGreaterThan(1);
  });
});
