import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { Station } from '../../src/station/station.js';
import { maxInterruptedAttempts } from '../../src/station/qc-record.js';
import { corpus, makeHome, waitFor } from '../helpers/station-home.js';
import { goodJpegBuffer, writeGoodTiff } from '../helpers/images.js';

const fast: StationConfigInput = { ingest: { stableWindowMs: 250, truncatedRetries: 3, truncatedRetryDelayMs: 1500, rescanIntervalSec: 0, concurrency: 2 } };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startStation(home: string): Promise<Station> {
  const station = new Station(loadConfig({ home }));
  await station.start();
  cleanup.push(() => station.stop());
  return station;
}

function newHome(config: StationConfigInput = fast): string {
  const home = makeHome(config);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  return home;
}

describe('running station', () => {
  it('checks and records images dropped into the Inbox, with a verdict per file', async () => {
    const home = newHome();
    const station = await startStation(home);
    const inbox = path.join(home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'good.tif'));
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(inbox, 'broken.tif'));
    await waitFor(() => station.store.counts().total === 2, 'two captures recorded');
    const [broken, good] = [station.store.list({ verdict: 'fail' })[0], station.store.list({ verdict: 'pass' })[0] ?? station.store.list({ verdict: 'warn' })[0]];
    expect(good?.relPath).toBe('good.tif');
    expect(broken?.relPath).toBe('broken.tif');
    expect(broken?.failedChecks).toContain('decodes');
    const detail = station.store.detail(broken!.id)!;
    expect(detail.results.find((r) => r.check === 'decodes')?.message).toBeTruthy();
    expect(detail.events.map((e) => e.type)).toEqual(['capture.recorded']);
  });

  it('on a fresh machine with no config makes its own inbox (~/CaptureStation/Inbox) and watches it at once', async () => {
    const user = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fresh-user-'));
    cleanup.push(() => fs.rmSync(user, { recursive: true, force: true }));
    const config = loadConfig({ environment: { platform: 'linux', homedir: user, env: {} } });
    expect(config.sources.map((s) => s.path)).toEqual([path.join(user, 'CaptureStation', 'Inbox')]);
    const station = new Station(config);
    await station.start();
    cleanup.push(() => station.stop());
    expect(station.status().sources[0]?.status).toMatchObject({ state: 'watching' });
    await writeGoodTiff(path.join(user, 'CaptureStation', 'Inbox', 'first.tif'));
    await waitFor(() => station.store.counts().total === 1, 'the first capture recorded');
  });

  it('does not judge a writer that pauses longer than the stability window by its half file', async () => {
    const home = newHome();
    const station = await startStation(home);
    const full = await goodJpegBuffer(3, 1600, 1200);
    const target = path.join(home, 'Inbox', 'slow.jpg');
    const fd = fs.openSync(target, 'w');
    fs.writeSync(fd, full.subarray(0, Math.floor(full.length / 2)));
    fs.fsyncSync(fd);
    // Longer than the 250 ms window: the half file is reported stable and its decode fails as truncated.
    await new Promise((r) => setTimeout(r, 900));
    fs.writeSync(fd, full.subarray(Math.floor(full.length / 2)));
    fs.closeSync(fd);
    await waitFor(() => station.store.counts().total >= 1, 'the slow file recorded');
    await station.idle();
    const captures = station.store.list();
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({ relPath: 'slow.jpg', size: full.length });
    expect(captures[0]?.failedChecks).not.toContain('decodes');
  });

  it('reconciles on start: files that arrived while it was down are recorded, known ones are not recorded again', async () => {
    const home = newHome();
    const inbox = path.join(home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    await writeGoodTiff(path.join(inbox, 'before.tif'), 1);
    let station = await startStation(home);
    await waitFor(() => station.store.counts().total === 1, 'first file');
    await station.stop();
    cleanup.pop();
    await writeGoodTiff(path.join(inbox, 'while-down.tif'), 2);
    station = await startStation(home);
    await waitFor(() => station.store.counts().total === 2, 'file that arrived while down');
    await station.rescan();
    await station.idle();
    expect(station.store.list().map((c) => c.relPath).sort()).toEqual(['before.tif', 'while-down.tif']);
  });

  it('records a rewritten file as a new version and flags an exact copy as a duplicate', async () => {
    const home = newHome();
    const station = await startStation(home);
    const inbox = path.join(home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'a.tif'), 4);
    await waitFor(() => station.store.counts().total === 1, 'a.tif');
    fs.copyFileSync(path.join(inbox, 'a.tif'), path.join(inbox, 'copy-of-a.tif'));
    await waitFor(() => station.store.counts().total === 2, 'the copy');
    const copy = station.store.list().find((c) => c.relPath === 'copy-of-a.tif');
    expect(copy?.failedChecks).toContain('duplicate');
    await new Promise((r) => setTimeout(r, 20));
    await writeGoodTiff(path.join(inbox, 'a.tif'), 5);
    await waitFor(() => station.store.counts().total === 3, 'the rewrite');
    const versions = station.store.list().filter((c) => c.relPath === 'a.tif').map((c) => c.version);
    expect(versions.sort()).toEqual([1, 2]);
  });

  it('fails, without decoding again, a file that was being checked every time the station went down', async () => {
    const home = newHome();
    const inbox = path.join(home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    await writeGoodTiff(path.join(inbox, 'poison.tif'));
    const config = loadConfig({ home });
    // Simulate earlier runs that died while checking this exact version.
    const first = new Station(config);
    const st = fs.statSync(path.join(inbox, 'poison.tif'), { bigint: true });
    const version = { sourceId: 'inbox', relPath: 'poison.tif', size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
    for (let i = 0; i < maxInterruptedAttempts; i++) first.store.beginAttempt(version);
    await first.stop();
    const station = await startStation(home);
    await waitFor(() => station.store.counts().total === 1, 'poison file recorded');
    const [capture] = station.store.list();
    expect(capture?.verdict).toBe('fail');
    expect(station.store.detail(capture!.id)?.results.find((r) => r.check === 'decodes')?.message).toMatch(/interrupted 4 times/);
  });

  it('waits for the RAW partner of a TIFF, and fails the pair when the window closes without it', async () => {
    const home = newHome({ ...fast, sources: [{ id: 'cam', path: 'cam', profile: 'paired' }], profiles: { paired: { pairs: { required: true, windowSec: 2, severity: 'fail' } } } });
    const station = await startStation(home);
    const settled: LogRecord[] = [];
    cleanup.push(addLogSink((r) => r.message.startsWith('pair check settled') && settled.push(r)));
    const cam = path.join(home, 'cam');
    const raw = fs.readFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef'));
    await writeGoodTiff(path.join(cam, 'DSC_0001.tif'), 7);
    fs.writeFileSync(path.join(cam, 'DSC_0001.NEF'), raw);
    await writeGoodTiff(path.join(cam, 'DSC_0002.tif'), 8);
    await waitFor(() => station.store.counts().total === 3, 'three files');
    await waitFor(() => station.store.list().find((c) => c.relPath === 'DSC_0002.tif')?.failedChecks.includes('pairs') ?? false, 'the lone TIFF fails its pair check', 15_000);
    const byName = new Map(station.store.list().map((c) => [c.relPath, c]));
    for (const paired of ['DSC_0001.tif', 'DSC_0001.NEF']) {
      const results = station.store.detail(byName.get(paired)!.id)!.results;
      expect(results.find((r) => r.check === 'pairs')?.status, paired).toBe('pass');
    }
    // The log tells the settled verdict at its level: a pair that failed is an ERROR, as its capture's line would be.
    expect(settled.map((r) => [r.level, r.message])).toEqual([['error', 'pair check settled: DSC_0002.tif is now FAIL']]);
  });
  it('ingests a burst of 2,000 files, each exactly once, never checking more than `concurrency` at a time', async () => {
    const home = newHome();
    const station = await startStation(home);
    const inbox = path.join(home, 'Inbox');
    const png = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 120, sigma: 40 } } }).png().toBuffer();
    const n = 2000;
    let peakChecking = 0;
    let peakRss = 0;
    const rssBefore = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakChecking = Math.max(peakChecking, station.status().queue.checking);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 5);
    try {
      // Distinct bytes per file (a trailing PNG-ignored chunk) so none is an exact duplicate.
      for (let i = 0; i < n; i++) fs.writeFileSync(path.join(inbox, `burst-${i}.png`), Buffer.concat([png, Buffer.from(String(i))]));
      await waitFor(() => station.store.counts().total === n, `${n} captures`, 240_000);
      await station.idle();
    } finally {
      clearInterval(sampler);
    }
    expect(station.store.counts().total).toBe(n);
    expect(new Set(station.store.list({ limit: n }).map((c) => c.relPath)).size).toBe(n);
    expect(peakChecking).toBeLessThanOrEqual(2);
    expect(peakChecking).toBeGreaterThan(0);
    // Bounded memory: the burst does not pile up decoded images (generous bound, not a benchmark).
    expect(peakRss - rssBefore).toBeLessThan(400 * 1024 * 1024);
  }, 300_000);
});
