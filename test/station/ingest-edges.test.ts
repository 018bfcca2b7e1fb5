import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { createIngestWatcher } from '../../src/ingest/watcher.js';
import { Station, type StationOptions } from '../../src/station/station.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { goodJpegBuffer, writeGoodTiff } from '../helpers/images.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startStation(config: StationConfigInput, opts: StationOptions = {}): Promise<{ station: Station; inbox: string }> {
  const home = makeHome(config);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const station = new Station(loadConfig({ home }), opts);
  await station.start();
  cleanup.push(() => station.stop());
  return { station, inbox: path.join(home, 'Inbox') };
}

describe('QC of a file version', () => {
  it('does not record a half-written version under the complete file; the complete version is recorded once, not as a duplicate', async () => {
    const full = await goodJpegBuffer(7, 1600, 1200);
    const half = Math.floor(full.length / 2);
    let target = '';
    let completed = false;
    // The station is "busy" exactly as in the field: the half file was declared stable, and by the
    // time QC gets to it the writer has finished.
    const { station, inbox } = await startStation(
      { ingest: { stableWindowMs: 200, rescanIntervalSec: 0, concurrency: 1 } },
      {
        createWatcher: (opts) =>
          createIngestWatcher({
            ...opts,
            onStable: (file) => {
              if (file.relPath === 'IMG_0100.jpg' && !completed) {
                expect(file.size).toBe(half);
                completed = true;
                fs.appendFileSync(target, full.subarray(half));
              }
              opts.onStable(file);
            },
          }),
      },
    );
    target = path.join(inbox, 'IMG_0100.jpg');
    fs.writeFileSync(target, full.subarray(0, half));
    await waitFor(() => station.store.counts().total === 1, 'the complete version recorded');
    await station.idle();
    await new Promise((r) => setTimeout(r, 600));
    await station.idle();
    const captures = station.store.list();
    expect(completed).toBe(true);
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({ relPath: 'IMG_0100.jpg', version: 1, size: full.length, sha256: crypto.createHash('sha256').update(full).digest('hex') });
    expect(captures[0]?.failedChecks).not.toContain('duplicate');
    expect(captures[0]?.verdict).not.toBe('fail');
  });

  it('reports the newer version even when no file-system event announces it (a share polled rarely)', async () => {
    const full = await goodJpegBuffer(8, 800, 600);
    const half = Math.floor(full.length / 2);
    let target = '';
    let completed = false;
    const { station, inbox } = await startStation(
      // chokidar polls every 60 s: only the station's own re-look can find the complete version in time.
      { ingest: { stableWindowMs: 200, rescanIntervalSec: 0, concurrency: 1 }, sources: [{ id: 'share', path: 'Inbox', polling: true, pollIntervalMs: 60_000 }] },
      {
        createWatcher: (opts) =>
          createIngestWatcher({
            ...opts,
            onStable: (file) => {
              if (!completed) {
                completed = true;
                fs.appendFileSync(target, full.subarray(half));
              }
              opts.onStable(file);
            },
          }),
      },
    );
    target = path.join(inbox, 'late.jpg');
    fs.mkdirSync(inbox, { recursive: true });
    await station.rescan();
    fs.writeFileSync(target, full.subarray(0, half));
    await station.rescan();
    await waitFor(() => station.store.counts().total === 1, 'the complete version recorded');
    expect(station.store.list()[0]).toMatchObject({ relPath: 'late.jpg', size: full.length });
  });

  it('lets the files behind a truncated one be checked while it waits for its retries', async () => {
    const { station, inbox } = await startStation({ ingest: { stableWindowMs: 200, truncatedRetries: 2, truncatedRetryDelayMs: 1000, rescanIntervalSec: 0, concurrency: 1 } });
    const full = await goodJpegBuffer(9, 1600, 1200);
    const checking: string[] = [];
    station.on('capture.checking', (e) => checking.push(e.relPath));
    fs.writeFileSync(path.join(inbox, 'cut.jpg'), full.subarray(0, Math.floor(full.length / 2)));
    await waitFor(() => checking.includes('cut.jpg'), 'the truncated file being checked');
    await writeGoodTiff(path.join(inbox, 'good.tif'), 3);
    await waitFor(() => station.store.counts().total === 2, 'both recorded');
    const [first, second] = station.store.list().sort((a, b) => a.id - b.id);
    // Before the fix the truncated file held the only QC slot through all its retries, so it was recorded first.
    expect(first).toMatchObject({ relPath: 'good.tif' });
    expect(second).toMatchObject({ relPath: 'cut.jpg', verdict: 'fail' });
    expect(checking.filter((f) => f === 'cut.jpg')).toHaveLength(3);
    expect(station.store.detail(second!.id)?.results.find((r) => r.check === 'decodes')?.message).toMatch(/still incomplete after 2 retries/);
    // Detected when it was first checked, before the good file, though recorded after it.
    expect(Date.parse(second!.detectedAt)).toBeLessThanOrEqual(Date.parse(first!.detectedAt));
  });
});

describe('hot-folder notices', () => {
  it('warns once, with an event, about a symbolic link and about a file that stays empty, and records neither', async () => {
    const { station, inbox } = await startStation({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0, emptyWarnSec: 1 } });
    const notices: { relPath: string; kind: string; message: string }[] = [];
    station.on('ingest.notice', (n) => notices.push(n));
    await writeGoodTiff(path.join(path.dirname(inbox), 'outside.tif'), 4);
    fs.symlinkSync(path.join(path.dirname(inbox), 'outside.tif'), path.join(inbox, 'linked.tif'));
    fs.writeFileSync(path.join(inbox, 'tethered.tif'), '');
    await waitFor(() => notices.length === 2, 'a notice for each');
    await station.rescan();
    await station.idle();
    expect(notices.map((n) => `${n.kind} ${n.relPath}`).sort()).toEqual(['empty tethered.tif', 'symlink linked.tif']);
    expect(station.store.counts().total).toBe(0);
  });
});

