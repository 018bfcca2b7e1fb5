/** Display previews: made from real images, kept by content hash, bounded, and honest about damaged files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { createLocalClient } from '../../src/contract/client.js';
import { PreviewCache } from '../../src/preview/cache.js';
import { histogramOf } from '../../src/preview/histogram.js';
import { renderPreview } from '../../src/preview/render.js';
import { PreviewService } from '../../src/preview/service.js';
import { sha256OfFile } from '../../src/hashing/file.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import type { CaptureDetail } from '../../src/store/captures.js';
import { goodImage } from '../helpers/images.js';
import { blackPng } from '../helpers/png-bomb.js';
import { corpus, makeHome, waitFor } from '../helpers/station-home.js';

const render = { longEdge: 1600, maxInputPixels: 0, timeoutSec: 60 };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-preview-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Mean of each channel of a JPEG, decoded back. */
async function meanRgb(jpeg: Buffer): Promise<number[]> {
  const stats = await sharp(jpeg).stats();
  return stats.channels.slice(0, 3).map((c) => c.mean);
}

describe('rendering a preview', () => {
  it('fits the long edge, turns the image upright by its EXIF orientation, and counts every pixel in each histogram', async () => {
    const dir = tempDir();
    const wide = path.join(dir, 'wide.tif');
    await goodImage(1, 3200, 1800).tiff({ compression: 'lzw' }).toFile(wide);
    const p = await renderPreview(wide, render);
    expect([p.width, p.height]).toEqual([1600, 900]);
    const meta = await sharp(p.jpeg).metadata();
    expect([meta.format, meta.width, meta.height, meta.space, meta.channels]).toEqual(['jpeg', 1600, 900, 'srgb', 3]);
    for (const ch of [p.histogram.r, p.histogram.g, p.histogram.b, p.histogram.luma]) {
      expect(ch).toHaveLength(256);
      expect(ch.reduce((a, b) => a + b, 0)).toBe(1600 * 900);
    }
    // 2×1 pixels stored, Orientation 8: shown 1×2. A small image is never enlarged.
    const rotated = await renderPreview(path.join(corpus, 'jpeg-exif/pillow/orientation_rectangle.jpg'), render);
    expect([rotated.width, rotated.height]).toEqual([1, 2]);
  });

  it('renders 16-bit, CMYK and ICC-tagged images to sRGB by their colour, not by their raw numbers', async () => {
    const dir = tempDir();
    // 16-bit RGB at half scale (32768 of 65535) is 8-bit 128, not a clipped 255 or a dark 0.
    const sixteen = path.join(dir, 'sixteen.tif');
    await sharp(new Uint16Array(64 * 48 * 3).fill(32768), { raw: { width: 64, height: 48, channels: 3 } })
      .toColourspace('rgb16')
      .tiff({ compression: 'lzw' })
      .toFile(sixteen);
    expect((await sharp(sixteen).metadata()).depth).toBe('ushort');
    for (const m of await meanRgb((await renderPreview(sixteen, render)).jpeg)) expect(m).toBeCloseTo(128, -0.5);

    // A red image stored as CMYK must come out red (CMYK numbers read as RGB would not).
    const cmyk = path.join(dir, 'red-cmyk.jpg');
    await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 220, g: 30, b: 30 } } }).toColourspace('cmyk').jpeg().toFile(cmyk);
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const [r, g, b] = await meanRgb((await renderPreview(cmyk, render)).jpeg);
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);

    // sRGB (200, 60, 60) stored in Display P3 is about (185, 71, 65) in the file; with its profile applied it is that red again.
    const p3 = path.join(dir, 'p3.jpg');
    await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 200, g: 60, b: 60 } } }).withIccProfile('p3').jpeg({ quality: 95 }).toFile(p3);
    const stored = (await sharp(p3, { ignoreIcc: true }).stats()).channels.map((c) => c.mean);
    expect(stored[0]).toBeLessThan(190);
    const [pr, pg] = await meanRgb((await renderPreview(p3, render)).jpeg);
    expect(pr).toBeGreaterThan(195);
    expect(pg).toBeLessThan(65);

    // A real CMYK JPEG from the corpus (Adobe APP14) decodes to three sRGB channels.
    const sample = await renderPreview(path.join(corpus, 'jpeg-exif/pillow/pil_sample_cmyk.jpg'), render);
    expect((await sharp(sample.jpeg).metadata()).channels).toBe(3);
  });

  it('counts black and white ends of the histogram exactly', () => {
    // Two black pixels, one white, one mid grey (RGBA, so the fourth sample is skipped).
    const h = histogramOf(Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 100, 100, 100, 255]), 4);
    expect(h.pixels).toBe(4);
    expect([h.r[0], h.r[255], h.r[100], h.luma[0], h.luma[255], h.luma[100]]).toEqual([2, 1, 1, 2, 1, 1]);
  });
});

describe('preview cache', () => {
  const sha = (n: number) => n.toString(16).padStart(64, '0');
  const meta = { width: 1, height: 1, histogram: histogramOf(Uint8Array.from([1, 2, 3]), 3) };

  it('keeps entries by hash and, when over its size, removes the least recently used first', async () => {
    const dir = tempDir();
    const entry = Buffer.alloc(10_000, 7);
    const perEntry = entry.length + Buffer.byteLength(JSON.stringify({ longEdge: 1600, ...meta }));
    const cache = new PreviewCache(dir, perEntry * 3, 1600);
    const old = new Date(Date.now() - 60_000);
    for (const n of [1, 2, 3]) {
      cache.put(sha(n), entry, meta);
      // File times a minute apart, oldest first (no clock is read by the assertions).
      const t = new Date(old.getTime() + n * 1000);
      fs.utimesSync(path.join(dir, `${sha(n)}.jpg`), t, t);
    }
    expect(cache.get(sha(1))?.width).toBe(1); // a hit renews entry 1
    cache.put(sha(4), entry, meta);
    expect(cache.get(sha(2))).toBeNull();
    expect([1, 3, 4].map((n) => cache.get(sha(n)) !== null)).toEqual([true, true, true]);
    expect(cache.size()).toBeLessThanOrEqual(perEntry * 3);
    expect(fs.readdirSync(dir).sort()).toEqual([1, 3, 4].flatMap((n) => [`${sha(n)}.jpg`, `${sha(n)}.json`]));
  });

  it('makes a preview again when preview.longEdge changed since it was cached', () => {
    const dir = tempDir();
    new PreviewCache(dir, 1e9, 1600).put(sha(5), Buffer.from('jpeg'), meta);
    expect(new PreviewCache(dir, 1e9, 1600).get(sha(5))?.longEdge).toBe(1600);
    expect(new PreviewCache(dir, 1e9, 800).get(sha(5))).toBeNull();
  });

  it('treats an unreadable entry as missing, and refuses a key that is not a SHA-256', () => {
    const dir = tempDir();
    const cache = new PreviewCache(dir, 1e9, 1600);
    cache.put(sha(9), Buffer.from('jpeg'), meta);
    fs.writeFileSync(path.join(dir, `${sha(9)}.json`), '{ half');
    expect(cache.get(sha(9))).toBeNull();
    expect(() => cache.get('../etc/passwd')).toThrow(/not a SHA-256/);
  });
});

describe('preview service', () => {
  function detailFor(file: string, sha256: string, over: Partial<CaptureDetail> = {}): CaptureDetail {
    const stat = fs.statSync(file);
    return {
      id: 1, sourceId: 'inbox', relPath: path.basename(file), path: file, version: 1, size: stat.size, mtimeUs: Math.round(stat.mtimeMs * 1000), sha256,
      verdict: 'pass', format: 'jpeg', width: null, height: null, bitDepth: 8, phash: null, failedChecks: [], detectedAt: '', checkedAt: '', qcMs: null,
      facts: null, measurements: { workingWidth: 1, workingHeight: 1, clippedBlackPct: [0.5, 0, 0], clippedWhitePct: [2, 0, 1], lumaStdDev: 1, focus: 1, phash: '' }, results: [], events: [], link: null, reshoot: false, session: null,
      ...over,
    };
  }

  it('waits for QC to be idle before making a preview, then serves it from the cache', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shot.jpg');
    await goodImage(2).jpeg().toFile(file);
    const sha256 = await sha256OfFile(file);
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    let idleCalls = 0;
    const service = new PreviewService({
      captures: { detail: () => detailFor(file, sha256) },
      cacheDir: path.join(dir, 'previews'),
      maxCacheBytes: 1e9,
      render,
      qcIdle: () => (idleCalls++, gate),
    });
    let settled = false;
    const pending = service.describe(1, true).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(fs.existsSync(path.join(dir, 'previews'))).toBe(false);
    release();
    const first = await pending;
    expect(first).toMatchObject({ captureId: 1, sha256, width: 640, height: 480, clipping: { blackPct: [0.5, 0, 0], whitePct: [2, 0, 1] } });
    expect(first.image).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    // From the cache: QC is not waited for again, and the same bytes come back.
    gate = new Promise<void>(() => undefined);
    const again = await service.describe(1, false);
    expect(again.image).toBeNull();
    expect(again.histogram).toEqual(first.histogram);
    expect(idleCalls).toBe(1);
    expect((await service.jpeg(1)).bytes.toString('base64')).toBe(first.image!.split(',')[1]);
  });

  it('does not make a preview whose every request was withdrawn while it waited for QC, and still makes the one asked for', async () => {
    const dir = tempDir();
    const files = [path.join(dir, 'old.jpg'), path.join(dir, 'new.jpg')];
    await goodImage(3).jpeg().toFile(files[0]!);
    await goodImage(4).jpeg().toFile(files[1]!);
    const details = [detailFor(files[0]!, await sha256OfFile(files[0]!)), detailFor(files[1]!, await sha256OfFile(files[1]!))];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const service = new PreviewService({ captures: { detail: (id) => details[id - 1] ?? null }, cacheDir: path.join(dir, 'previews'), maxCacheBytes: 1e9, render, qcIdle: () => gate });
    const asked = new AbortController();
    const old = service.describe(1, true, asked.signal);
    const alsoOld = service.describe(1, true, asked.signal);
    const wanted = service.describe(2, true);
    // The page moved on to the newer capture: both requests for the older one are withdrawn.
    asked.abort();
    await expect(old).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(alsoOld).rejects.toMatchObject({ code: 'CANCELLED' });
    release();
    expect(await wanted).toMatchObject({ captureId: 2, sha256: details[1]!.sha256 });
    // One preview made and cached: the newer capture's.
    const cached = fs.readdirSync(path.join(dir, 'previews'), { recursive: true }).filter((f) => String(f).endsWith('.jpg'));
    expect(cached).toEqual([expect.stringContaining(details[1]!.sha256!)]);
  });

  it('makes the preview for a caller still waiting, or asking just as the job every earlier caller withdrew is given up', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shot.jpg');
    await goodImage(6, 64, 48).jpeg().toFile(file);
    const detail = detailFor(file, await sha256OfFile(file));
    // Two callers share one job: the one that withdraws does not take the preview from the other.
    let open!: () => void;
    const shared = new PreviewService({ captures: { detail: () => detail }, cacheDir: path.join(dir, 'previews'), maxCacheBytes: 1e9, render, qcIdle: () => new Promise<void>((r) => (open = r)) });
    const leaving = new AbortController();
    const left = shared.describe(1, false, leaving.signal);
    const staying = shared.describe(1, false);
    leaving.abort();
    await expect(left).rejects.toMatchObject({ code: 'CANCELLED' });
    open();
    await expect(staying).resolves.toMatchObject({ captureId: 1, width: 64 });
    // The job is given up a few microtasks after QC goes idle; the new caller is tried at each of them.
    for (let ticks = 0; ticks < 12; ticks++) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const service = new PreviewService({ captures: { detail: () => detail }, cacheDir: path.join(dir, `previews-${ticks}`), maxCacheBytes: 1e9, render, qcIdle: () => gate });
      const asked = new AbortController();
      const withdrawn = service.describe(1, false, asked.signal);
      asked.abort();
      await expect(withdrawn).rejects.toMatchObject({ code: 'CANCELLED' });
      release();
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      await expect(service.describe(1, false), `asked ${ticks} microtasks after QC went idle`).resolves.toMatchObject({ captureId: 1, width: 64 });
    }
  });

  it('follows a capture that filing moved into the library while its preview was being asked for', async () => {
    const dir = tempDir();
    const inbox = path.join(dir, 'shot.jpg');
    const filed = path.join(dir, 'Library', 'NHM-000001_001.jpg');
    await goodImage(5).jpeg().toFile(inbox);
    const atInbox = detailFor(inbox, await sha256OfFile(inbox));
    fs.mkdirSync(path.dirname(filed));
    fs.renameSync(inbox, filed);
    // The record still names the inbox for the first two reads (the request and the first attempt), then its new place.
    let reads = 0;
    const service = new PreviewService({
      captures: { detail: () => (++reads <= 2 ? atInbox : { ...atInbox, path: filed }) },
      cacheDir: path.join(dir, 'previews'),
      maxCacheBytes: 1e9,
      render,
      qcIdle: async () => undefined,
    });
    expect(await service.preview(1)).toMatchObject({ width: 640, height: 480 });
    expect(reads).toBeGreaterThan(2);
  });

  it('says a decode stopped at the time limit is not damage, and tries again at the next request', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'slow.png');
    fs.writeFileSync(file, blackPng(50_000, 50_000));
    const service = new PreviewService({
      captures: { detail: () => detailFor(file, 'b'.repeat(64)) },
      cacheDir: path.join(dir, 'previews'),
      maxCacheBytes: 1e9,
      render: { ...render, timeoutSec: 1 },
      qcIdle: async () => undefined,
    });
    for (let i = 0; i < 2; i++) {
      await expect(service.preview(1)).rejects.toMatchObject({ code: 'FILE_UNREADABLE', message: expect.stringMatching(/^No preview of slow\.png yet: decoding took longer than 1 s \(qc\.decodeTimeoutSec\)/) });
    }
  });

  it('refuses a file whose content is no longer the capture it was (re-shot in place)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shot.jpg');
    await goodImage(3).jpeg().toFile(file);
    const recorded = detailFor(file, await sha256OfFile(file));
    await goodImage(4).jpeg().toFile(file);
    const service = new PreviewService({ captures: { detail: () => recorded }, cacheDir: path.join(dir, 'previews'), maxCacheBytes: 1e9, render, qcIdle: async () => undefined });
    await expect(service.preview(1)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/has changed since it was checked/) });
    expect(fs.readdirSync(path.join(dir)).includes('previews')).toBe(false);
  });
});

describe('capturePreview on a running station', () => {
  const fast: StationConfigInput = { ingest: { stableWindowMs: 250, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 } };

  it('previews a real capture, and answers a damaged one with a clear error instead of failing', async () => {
    const home = makeHome(fast);
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    await station.start();
    cleanup.push(() => station.stop());
    const client = createLocalClient(createHandlers(station));
    const inbox = path.join(home, 'Inbox');
    fs.copyFileSync(path.join(corpus, 'museum/inselect/pinned.jpg'), path.join(inbox, 'pinned.jpg'));
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(inbox, 'broken.tif'));
    await waitFor(() => station.store.counts().total === 2, 'both files recorded');
    const good = station.store.list().find((c) => c.relPath === 'pinned.jpg')!;
    const broken = station.store.list().find((c) => c.relPath === 'broken.tif')!;

    const reply = await client.capturePreview({ id: good.id });
    if (!('result' in reply)) throw new Error(reply.error.message);
    const meta = await sharp(good.path).metadata();
    const scale = Math.min(1, 1600 / Math.max(meta.width, meta.height));
    expect(reply.result).toMatchObject({ captureId: good.id, sha256: good.sha256, width: Math.round(meta.width * scale), height: Math.round(meta.height * scale) });
    expect(reply.result.clipping?.whitePct).toEqual(station.store.detail(good.id)!.measurements!.clippedWhitePct);
    expect(fs.existsSync(path.join(home, 'previews', `${good.sha256}.jpg`))).toBe(true);

    const bad = await client.capturePreview({ id: broken.id });
    expect(bad).toMatchObject({ error: { code: 'FILE_UNREADABLE', message: expect.stringMatching(/^No preview of broken\.tif: the image cannot be decoded \(.+\)\. The file is kept/) } });
    expect(fs.existsSync(broken.path)).toBe(true);
    expect(await client.capturePreview({ id: 999_999 })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await client.capturePreview({ id: -1 } as never)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await client.status({})).toMatchObject({ result: { ui: { soundOnFail: true } } });
  });
});
