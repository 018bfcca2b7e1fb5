/**
 * A hot folder that is deleted and made again, moved away and replaced, or remounted is another
 * folder: the watcher notices within a probe (no rescan needed), says it is missing while it is,
 * and watches the folder now at the path.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, makeWatcher, source, tempDir, waitFor } from './harness.js';

describe('ingest watcher: the hot folder itself', () => {
  it.each([false, true])('says a deleted hot folder has disappeared and watches the one made again, with no rescan (polling: %s)', async (polling) => {
    const base = await tempDir();
    const root = path.join(base, 'cam1');
    await fs.mkdir(root);
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root, { polling, pollIntervalMs: 100 })], rescanIntervalSec: 0 });
    await watcher.start();
    await fs.writeFile(path.join(root, 'before.tif'), bytes(2000, 1));
    await waitFor(() => recorder.rel().includes('before.tif'), 'a file in the first folder reported');

    await fs.rm(root, { recursive: true });
    await waitFor(() => recorder.lastStatus('cam1')?.state === 'unavailable', 'the deleted folder reported missing');
    const status = recorder.lastStatus('cam1');
    expect(status?.state === 'unavailable' && status.message).toMatch(new RegExp(`${root} has disappeared .* it will be watched again as soon as it is back`));

    await fs.mkdir(root);
    await waitFor(() => recorder.lastStatus('cam1')?.state === 'watching', 'the folder made again watched');
    await fs.writeFile(path.join(root, 'after.tif'), bytes(3000, 2));
    await waitFor(() => recorder.rel().includes('after.tif'), 'a file in the folder made again reported');
    expect(recorder.lastOf('after.tif')?.absPath).toBe(path.join(root, 'after.tif'));
    expect(recorder.duplicates()).toEqual([]);
  });

  it('watches the new folder when the hot folder is moved away and another made in its place, with no rescan', async () => {
    const base = await tempDir();
    const root = path.join(base, 'cam1');
    await fs.mkdir(root);
    const { watcher, recorder } = makeWatcher({ sources: [source('cam1', root)], rescanIntervalSec: 0 });
    await watcher.start();
    await fs.rename(root, path.join(base, 'cam1-yesterday'));
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, 'new.tif'), bytes(2000, 3));
    await waitFor(() => recorder.rel().includes('new.tif'), 'a file in the new folder reported');
    await fs.writeFile(path.join(root, 'next.tif'), bytes(2500, 4));
    await waitFor(() => recorder.rel().includes('next.tif'), 'a later file in the new folder reported by its event');
    expect(recorder.lastStatus('cam1')).toEqual({ sourceId: 'cam1', state: 'watching' });
    expect(recorder.reports.map((r) => r.absPath).sort()).toEqual([path.join(root, 'new.tif'), path.join(root, 'next.tif')]);
  });
});
