import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, makeWatcher, Recorder, sleep, source, tempDir, waitFor } from './harness.js';

const WINDOW = 250;

async function statVersion(file: string): Promise<{ size: number; mtimeUs: number }> {
  const st = await fs.stat(file, { bigint: true });
  return { size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
}

/** Long enough for any pending report of a settled file to have happened (several windows and sweeps). */
const settle = () => sleep(WINDOW * 4);

describe('ingest watcher', () => {
  it('reports each new file once when first seen, before it is stable, says which the start-up scan found, and reports removals', async () => {
    const root = await tempDir();
    await fs.writeFile(path.join(root, 'while-down.tif'), bytes(1000));
    await fs.writeFile(path.join(root, 'recorded.tif'), bytes(1000));
    const recorder = new Recorder();
    recorder.remember({ sourceId: 'cam1', relPath: 'recorded.tif', ...(await statVersion(path.join(root, 'recorded.tif'))) });
    const { watcher } = makeWatcher({ sources: [source('cam1', root)], recorder });
    await watcher.start();
    await waitFor(() => recorder.arrivals.length === 1, 'the file written while down seen');
    expect(recorder.arrivals).toEqual([{ relPath: 'while-down.tif', found: true }]);

    const handle = await fs.open(path.join(root, 'new.tif'), 'w');
    await handle.write(bytes(1000));
    await waitFor(() => recorder.arrivals.length === 2, 'the new file seen');
    // Seen while it is still being written: not reported stable yet.
    expect(recorder.rel()).not.toContain('new.tif');
    await handle.write(bytes(1000));
    await handle.close();
    await waitFor(() => recorder.rel().includes('new.tif'), 'the new file reported stable');
    await fs.rm(path.join(root, 'new.tif'));
    await waitFor(() => recorder.gone.includes('new.tif'), 'its removal reported');
    await settle();
    expect(recorder.arrivals).toEqual([
      { relPath: 'while-down.tif', found: true },
      { relPath: 'new.tif', found: false },
    ]);
  });

  it('reports a copied-in file once with its relPath, size and mtime; subfolders too; honours include and ignore', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root, { ignore: ['rejects/**'] })] });
    await watcher.start();
    expect(recorder.lastStatus('cam1')).toEqual({ sourceId: 'cam1', state: 'watching' });

    await fs.mkdir(path.join(root, 'day1', 'tray 2'), { recursive: true });
    await fs.mkdir(path.join(root, 'rejects'));
    await fs.writeFile(path.join(root, 'a.tif'), bytes(5000));
    await fs.writeFile(path.join(root, 'day1', 'tray 2', 'b.JPG'), bytes(3000));
    await fs.writeFile(path.join(root, 'notes.txt'), 'not an image');
    await fs.writeFile(path.join(root, 'rejects', 'c.tif'), bytes(1000));

    await waitFor(() => recorder.reports.length >= 2, 'both images reported');
    await settle();
    expect(recorder.rel().sort()).toEqual(['a.tif', 'day1/tray 2/b.JPG']);
    const a = recorder.lastOf('a.tif');
    expect(a).toEqual({ sourceId: 'cam1', absPath: path.join(root, 'a.tif'), relPath: 'a.tif', ...(await statVersion(path.join(root, 'a.tif'))) });
    expect(a?.size).toBe(5000);
    expect(recorder.lastOf('day1/tray 2/b.JPG')?.absPath).toBe(path.join(root, 'day1', 'tray 2', 'b.JPG'));
  });

  it('reports the complete version of a file whose writer paused longer than the window', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    const file = path.join(root, 'slow.tif');
    const content = bytes(200_000);
    const handle = await fs.open(file, 'w');
    await handle.write(content, 0, 50_000);
    await sleep(WINDOW * 3);
    await handle.write(content, 50_000, 150_000);
    await handle.close();

    await waitFor(() => recorder.lastOf('slow.tif')?.size === 200_000, 'the complete version reported');
    await settle();
    // The pause may have got the partial version reported first; the last report is the whole file.
    expect(recorder.lastOf('slow.tif')).toMatchObject(await statVersion(file));
    expect(recorder.duplicates()).toEqual([]);
  });

  it('does not report a file while its writer keeps appending faster than the window', async () => {
    const root = await tempDir();
    const window = 600;
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)], stableWindowMs: window });
    await watcher.start();
    const file = path.join(root, 'growing.tif');
    const handle = await fs.open(file, 'w');
    for (let i = 0; i < 40; i++) {
      await handle.write(bytes(1000, i));
      await sleep(25);
    }
    expect(recorder.reports).toEqual([]);
    await handle.close();
    await waitFor(() => recorder.reports.length > 0, 'the finished file reported');
    expect(recorder.reports).toEqual([expect.objectContaining({ relPath: 'growing.tif', size: 40_000 })]);
  });

  it('holds a file for the whole window even when it is looked at again meanwhile', async () => {
    const root = await tempDir();
    // A window far longer than two rescans of one file take, so "not yet" cannot be a timing accident.
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)], stableWindowMs: 3000 });
    await watcher.start();
    await fs.writeFile(path.join(root, 'a.tif'), bytes(1000));
    await watcher.rescan();
    await watcher.rescan();
    expect(recorder.reports).toEqual([]);
    await waitFor(() => recorder.reports.length === 1, 'reported after the window');
  });

  it('takes only the final name of temp-then-rename writers, once', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    const temps = { 'x.tif.part': 'x.tif', '.y.tif': 'y.tif', 'z.tmp': 'z.tif', '~w.tif': 'w.tif' };
    await Promise.all(
      Object.keys(temps).map(async (temp, i) => {
        const handle = await fs.open(path.join(root, temp), 'w');
        await handle.write(bytes(10_000, i));
        await sleep(WINDOW * 3);
        await handle.write(bytes(10_000, i + 1));
        await handle.close();
      }),
    );
    // Long enough that a temp name would have been reported had it been taken.
    await settle();
    for (const [temp, final] of Object.entries(temps)) await fs.rename(path.join(root, temp), path.join(root, final));

    await waitFor(() => recorder.reports.length >= 4, 'the four renamed files reported');
    await watcher.rescan();
    await settle();
    expect(recorder.rel().sort()).toEqual(['w.tif', 'x.tif', 'y.tif', 'z.tif']);
    expect(recorder.reports.every((r) => r.size === 20_000)).toBe(true);
  });

  it('reports each of a burst of 2,000 small files exactly once', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    const count = 2000;
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    let lastReportAfterMs = 0;
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
    try {
      // As fast as the disk takes them: 32 writes in flight at a time.
      const names = Array.from({ length: count }, (_, i) => `burst/${String(i).padStart(4, '0')}.tif`);
      await fs.mkdir(path.join(root, 'burst'));
      for (let i = 0; i < count; i += 32) {
        await Promise.all(names.slice(i, i + 32).map((name, j) => fs.writeFile(path.join(root, name), bytes(1024 + ((i + j) % 3072), i + j))));
      }
      const written = performance.now();
      await waitFor(() => recorder.reports.length >= count, `${count} reports (have ${recorder.reports.length})`, 120_000);
      lastReportAfterMs = performance.now() - written;
      await watcher.rescan();
      await settle();
    } finally {
      clearInterval(sampler);
    }
    expect(recorder.reports).toHaveLength(count);
    expect(new Set(recorder.rel()).size).toBe(count);
    expect(recorder.duplicates()).toEqual([]);
    // Measured, never asserted: how a burst costs, for the report.
    console.info(`[measure] 2,000-file burst, ${WINDOW} ms window: all reported ${lastReportAfterMs.toFixed(0)} ms after the last write; peak heap growth ${((peakHeap - heapBefore) / 1e6).toFixed(1)} MB`);
  });

  it('reconciles at start: files already there are reported unless known; files added while stopped are found by the next watcher', async () => {
    const root = await tempDir();
    await fs.writeFile(path.join(root, 'before-1.tif'), bytes(1000, 1));
    await fs.writeFile(path.join(root, 'before-2.tif'), bytes(1000, 2));
    await fs.writeFile(path.join(root, 'recorded.tif'), bytes(1000, 3));
    const db = new Recorder();
    db.remember({ sourceId: 'cam1', relPath: 'recorded.tif', ...(await statVersion(path.join(root, 'recorded.tif'))) });

    const first = makeWatcher({ sources: [source('cam1', root)], recorder: db });
    await first.watcher.start();
    await waitFor(() => db.reports.length >= 2, 'files present before start reported');
    await settle();
    expect(db.rel().sort()).toEqual(['before-1.tif', 'before-2.tif']);
    db.remember(...db.reports);
    await first.watcher.stop();

    // The station is down: a file arrives and a recorded one is replaced by a re-shoot.
    await fs.writeFile(path.join(root, 'while-down.tif'), bytes(2000, 4));
    await fs.writeFile(path.join(root, 'before-1.tif'), bytes(1500, 5));

    const next = makeWatcher({ sources: [source('cam1', root)], recorder: new Recorder(db.known) });
    await next.watcher.start();
    await waitFor(() => next.recorder.reports.length >= 2, 'the new and the changed file reported');
    await settle();
    expect(next.recorder.rel().sort()).toEqual(['before-1.tif', 'while-down.tif']);
    expect(next.recorder.lastOf('before-1.tif')?.size).toBe(1500);
  });

  it('finds a file whose event was missed when rescanned', async () => {
    const root = await tempDir();
    // A share polled once a minute: within this test chokidar cannot see the new file.
    const { watcher, recorder } = makeWatcher({ sources: [source('share', root, { polling: true, pollIntervalMs: 60_000 })] });
    await watcher.start();
    await fs.writeFile(path.join(root, 'missed.tif'), bytes(4000));
    await settle();
    expect(recorder.reports).toEqual([]);
    await watcher.rescan();
    await waitFor(() => recorder.reports.length > 0, 'the rescan found the file');
    expect(recorder.reports).toEqual([expect.objectContaining({ relPath: 'missed.tif', size: 4000 })]);
    await watcher.rescan();
    await settle();
    expect(recorder.reports).toHaveLength(1);
  });

  it('reports a rewritten file (same name and size, new content) as a new version', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    const file = path.join(root, 'reshoot.tif');
    await fs.writeFile(file, bytes(8000, 1));
    await waitFor(() => recorder.reports.length === 1, 'first version reported');
    await fs.writeFile(file, bytes(8000, 2));
    await waitFor(() => recorder.reports.length === 2, 'second version reported');
    const [first, second] = recorder.reports;
    expect(second?.size).toBe(8000);
    expect(second?.mtimeUs).not.toBe(first?.mtimeUs);
    expect(second).toMatchObject(await statVersion(file));
  });

  it('forget() makes the current version reportable again', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    await fs.mkdir(path.join(root, 'sub'));
    await fs.writeFile(path.join(root, 'sub', 'retry.tif'), bytes(3000));
    await waitFor(() => recorder.reports.length === 1, 'reported');
    watcher.forget('cam1', 'sub/retry.tif');
    await waitFor(() => recorder.reports.length === 2, 'reported again after forget');
    expect(recorder.reports[1]).toEqual(recorder.reports[0]);
  });

  it('reports a missing share as unavailable and watches it once it appears', async () => {
    const base = await tempDir();
    const root = path.join(base, 'mnt', 'cam1');
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    const status = recorder.lastStatus('cam1');
    expect(status?.state).toBe('unavailable');
    expect(status?.state === 'unavailable' && status.message).toContain(root);

    await watcher.rescan();
    expect(recorder.statuses).toHaveLength(1);

    await fs.mkdir(root, { recursive: true });
    await fs.writeFile(path.join(root, 'waiting.tif'), bytes(2000));
    await watcher.rescan();
    expect(recorder.lastStatus('cam1')).toEqual({ sourceId: 'cam1', state: 'watching' });
    await waitFor(() => recorder.reports.length > 0, 'the file already there reported');
    await fs.writeFile(path.join(root, 'new.tif'), bytes(2000));
    await waitFor(() => recorder.reports.length > 1, 'a new file reported by the watcher');
    expect(recorder.rel().sort()).toEqual(['new.tif', 'waiting.tif']);
  });

  it('creates a missing local inbox whose parent exists', async () => {
    const base = await tempDir();
    const root = path.join(base, 'Inbox');
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    expect(recorder.statuses).toEqual([{ sourceId: 'cam1', state: 'watching' }]);
    expect((await fs.stat(root)).isDirectory()).toBe(true);
  });

  it.each([false, true])('marks a source unavailable when its folder goes away, and watches it again when it is back (polling: %s)', async (polling) => {
    const base = await tempDir();
    const root = path.join(base, 'share', 'cam1');
    await fs.mkdir(root, { recursive: true });
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root, { polling, pollIntervalMs: 100 })] });
    await watcher.start();
    await fs.rm(path.join(base, 'share'), { recursive: true });
    await watcher.rescan();
    expect(recorder.lastStatus('cam1')?.state).toBe('unavailable');

    await fs.mkdir(root, { recursive: true });
    await watcher.rescan();
    expect(recorder.lastStatus('cam1')).toEqual({ sourceId: 'cam1', state: 'watching' });
    await fs.writeFile(path.join(root, 'back.tif'), bytes(2000));
    await waitFor(() => recorder.reports.length > 0, 'a file in the returned folder reported');
  });

  it('works in polling mode', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('share', root, { polling: true, pollIntervalMs: 100 })] });
    await watcher.start();
    await fs.mkdir(path.join(root, 'sub'));
    await fs.writeFile(path.join(root, 'sub', 'polled.tif'), bytes(6000));
    await waitFor(() => recorder.reports.length === 1, 'a polled file reported');
    expect(recorder.reports[0]).toMatchObject({ relPath: 'sub/polled.tif', size: 6000 });
    await fs.writeFile(path.join(root, 'sub', 'polled.tif'), bytes(7000));
    await waitFor(() => recorder.reports.length === 2, 'the rewritten polled file reported');
    expect(recorder.reports[1]?.size).toBe(7000);
  });

  it('rescans on its own every rescanIntervalSec', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('share', root, { polling: true, pollIntervalMs: 60_000 })], rescanIntervalSec: 0.2 });
    await watcher.start();
    await fs.writeFile(path.join(root, 'late.tif'), bytes(1000));
    await waitFor(() => recorder.reports.length > 0, 'the periodic rescan found the file');
  });

  it('reports nothing after stop()', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    await fs.writeFile(path.join(root, 'pending.tif'), bytes(1000));
    await watcher.stop();
    await settle();
    expect(recorder.reports).toEqual([]);
  });

  it('takes no symbolic link: one notice per link, a link loop does not repeat the folder, the images themselves are reported once', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await fs.writeFile(path.join(outside, 'elsewhere.jpg'), bytes(3000));
    await fs.writeFile(path.join(root, 'real.jpg'), bytes(2000));
    await fs.symlink(path.join(outside, 'elsewhere.jpg'), path.join(root, 'early-link.jpg'));
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)] });
    await watcher.start();
    await fs.symlink(path.join(outside, 'elsewhere.jpg'), path.join(root, 'link.JPG'));
    await fs.symlink('.', path.join(root, 'again'));
    await fs.symlink(path.join(outside, 'notes.txt'), path.join(root, 'notes.txt'));
    await waitFor(() => recorder.notices.length === 3, 'a notice for each link the station could have taken');
    await watcher.rescan();
    await watcher.rescan();
    await settle();
    expect(recorder.rel()).toEqual(['real.jpg']);
    expect(recorder.notices.map((n) => [n.relPath, n.kind]).sort()).toEqual([
      ['again', 'symlink'],
      ['early-link.jpg', 'symlink'],
      ['link.JPG', 'symlink'],
    ]);
    expect(recorder.notices.find((n) => n.relPath === 'link.JPG')?.message).toMatch(/link\.JPG is a symbolic link: the station takes only real files; copy the file itself into the hot folder/);
    expect(recorder.notices.find((n) => n.relPath === 'again')?.message).toMatch(/again links to a folder, which the station does not enter/);
  });

  it('watches a hot folder that is itself a symbolic link (to a share, say)', async () => {
    const real = await tempDir();
    const parent = await tempDir();
    const hot = path.join(parent, 'hot');
    await fs.symlink(real, hot);
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', hot)] });
    await watcher.start();
    await fs.writeFile(path.join(real, 'a.tif'), bytes(1000));
    await waitFor(() => recorder.rel().includes('a.tif'), 'the file in the linked folder reported');
    expect(recorder.notices).toEqual([]);
  });

  it('gives one notice for a file that stays empty, keeps waiting, and reports it once it has data', async () => {
    const root = await tempDir();
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)], emptyNoticeSec: 1 });
    await watcher.start();
    const file = path.join(root, 'IMG_0001.CR3');
    await fs.writeFile(file, Buffer.alloc(0));
    await waitFor(() => recorder.notices.length === 1, 'a notice for the empty file');
    expect(recorder.notices[0]).toMatchObject({ sourceId: 'cam1', relPath: 'IMG_0001.CR3', kind: 'empty' });
    expect(recorder.notices[0]?.message).toMatch(/IMG_0001\.CR3 is still 0 bytes after \d+ s — the camera or tether may have failed; the station will check it when it has data/);
    // Several more windows and a rescan: the same version is not noticed again.
    await settle();
    await watcher.rescan();
    await settle();
    expect(recorder.notices).toHaveLength(1);
    expect(recorder.reports).toEqual([]);
    await fs.writeFile(file, bytes(4000));
    await waitFor(() => recorder.rel().includes('IMG_0001.CR3'), 'the file reported once it has data');
    expect(recorder.lastOf('IMG_0001.CR3')?.size).toBe(4000);
  });

  it('watches a missing hot folder soon after it appears, without waiting for a rescan', async () => {
    const base = await tempDir();
    const root = path.join(base, 'mnt', 'cam1');
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)], rescanIntervalSec: 0 });
    await watcher.start();
    const status = recorder.lastStatus('cam1');
    expect(status?.state === 'unavailable' && status.message).toMatch(/is missing .* it will be watched as soon as it appears/);
    await fs.mkdir(root, { recursive: true });
    await fs.writeFile(path.join(root, 'first.tif'), bytes(2000));
    await waitFor(() => recorder.rel().includes('first.tif'), 'the file in the folder that appeared reported');
    expect(recorder.lastStatus('cam1')).toEqual({ sourceId: 'cam1', state: 'watching' });
  });
});
