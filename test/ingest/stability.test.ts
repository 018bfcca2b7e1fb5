import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { StabilityTracker, type StabilityTrackerOptions } from '../../src/ingest/stability.js';
import type { StableFile } from '../../src/ingest/types.js';
import { bytes, sleep, tempDir, waitFor } from './harness.js';

function makeTracker(over: Partial<StabilityTrackerOptions> = {}): { tracker: StabilityTracker; stable: StableFile[] } {
  const stable: StableFile[] = [];
  const tracker = new StabilityTracker({ windowMs: 200, isSettled: () => false, onStable: (f) => stable.push(f), ...over });
  onTestFinished(() => tracker.stop());
  return { tracker, stable };
}

const ref = (root: string, relPath: string) => ({ sourceId: 's', absPath: path.join(root, relPath), relPath });

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('stability tracker', () => {
  it('holds a zero-byte file until it has been filled and left alone', async () => {
    const root = await tempDir();
    const { tracker, stable } = makeTracker();
    await fs.writeFile(path.join(root, 'empty.tif'), '');
    await tracker.track(ref(root, 'empty.tif'));
    await sleep(1000);
    expect(stable).toEqual([]);
    expect(tracker.size).toBe(1);
    await fs.writeFile(path.join(root, 'empty.tif'), bytes(100));
    await waitFor(() => stable.length === 1, 'reported once filled');
    expect(stable[0]?.size).toBe(100);
    expect(tracker.size).toBe(0);
  });

  it('drops a file that disappears, and one that is settled', async () => {
    const root = await tempDir();
    const { tracker, stable } = makeTracker({ isSettled: (f) => f.relPath === 'known.tif' });
    await fs.writeFile(path.join(root, 'gone.tif'), bytes(100));
    await fs.writeFile(path.join(root, 'known.tif'), bytes(100));
    await tracker.track(ref(root, 'gone.tif'));
    await tracker.track(ref(root, 'known.tif'));
    await tracker.track(ref(root, 'never-there.tif'));
    expect(tracker.size).toBe(1);
    await fs.rm(path.join(root, 'gone.tif'));
    await waitFor(() => tracker.size === 0, 'the vanished file dropped');
    await sleep(600);
    expect(stable).toEqual([]);
  });

  it('a callback that throws for one file does not stop the others', async () => {
    const root = await tempDir();
    const { tracker, stable } = makeTracker({
      onStable: (f) => {
        if (f.relPath === 'bad.tif') throw new Error('boom');
        stable.push(f);
      },
    });
    await fs.writeFile(path.join(root, 'bad.tif'), bytes(100));
    await fs.writeFile(path.join(root, 'good.tif'), bytes(100));
    await tracker.track(ref(root, 'bad.tif'));
    await tracker.track(ref(root, 'good.tif'));
    await waitFor(() => stable.length === 1 && tracker.size === 0, 'the good file reported, both done');
  });

  it('tracks 2,000 files at once without a timer that keeps the process alive', async () => {
    const root = await tempDir();
    const count = 2000;
    await Promise.all(Array.from({ length: count }, (_, i) => fs.writeFile(path.join(root, `${i}.tif`), bytes(1024, i))));
    const { tracker, stable } = makeTracker();
    const timersBefore = timers();
    await Promise.all(Array.from({ length: count }, (_, i) => tracker.track(ref(root, `${i}.tif`))));
    expect(tracker.size).toBe(count);
    // The sweep timer is unref()-ed: tracking adds nothing that holds the event loop open.
    expect(timers()).toBe(timersBefore);
    await waitFor(() => stable.length === count, 'all reported');
    expect(tracker.size).toBe(0);
    expect(new Set(stable.map((f) => f.relPath)).size).toBe(count);
  });
});
