/** End to end: a running station with a folder target; files dropped into the Inbox arrive verified. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { createLocalClient } from '../../src/contract/client.js';
import type { StationEvents } from '../../src/contract/events.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { corpus, makeHome, waitFor } from '../helpers/station-home.js';
import { listFiles, sha256OfFile } from './fixture.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const config: StationConfigInput = {
  ingest: { stableWindowMs: 250, truncatedRetries: 1, truncatedRetryDelayMs: 300, rescanIntervalSec: 0, concurrency: 2 },
  targets: [{ id: 'nas', kind: 'folder', path: 'Share' }],
  upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
};

function capture(): Output & { text: () => string } {
  let out = '';
  return { out: (t) => void (out += t), err: () => undefined, isTTY: false, text: () => out };
}

describe('station with a folder target', () => {
  it('uploads every capture that did not fail, verified, and reports the queue over the contract and the CLI', async () => {
    const home = makeHome(config);
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const share = path.join(home, 'Share');
    fs.mkdirSync(share);
    const station = new Station(loadConfig({ home }));
    const jobEvents: StationEvents['upload.job'][] = [];
    station.on('upload.job', (e) => jobEvents.push(e));
    await station.start();
    cleanup.push(() => station.stop());
    const client = createLocalClient(createHandlers(station));
    const inbox = path.join(home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'good-1.tif'), 1);
    await writeGoodTiff(path.join(inbox, 'good-2.tif'), 2);
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(inbox, 'broken.tif'));
    await waitFor(() => station.store.counts().total === 3, 'three captures recorded');
    await waitFor(() => jobEvents.filter((e) => e.type === 'done').length === 2, 'two uploads done');

    expect(listFiles(share)).toEqual(['inbox/good-1.tif', 'inbox/good-2.tif']);
    for (const name of ['good-1.tif', 'good-2.tif']) expect(sha256OfFile(path.join(share, 'inbox', name))).toBe(sha256OfFile(path.join(inbox, name)));
    const status = await client.queueStatus({});
    expect('result' in status && status.result).toMatchObject({ live: true, targets: [{ id: 'nas', kind: 'folder', configured: true, online: true, counts: { queued: 0, leased: 0, done: 2, dead: 0 }, bytesPending: 0 }] });
    const broken = station.store.list({ verdict: 'fail' })[0]!;
    expect(jobEvents.some((e) => e.captureId === broken.id)).toBe(false);
    expect(await client.retryDead({ jobId: 999 })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await client.retryDead({ jobId: -1 })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });

    // the CLI reads the same numbers from the database, with the station running or not
    const out = capture();
    expect(await main(['queue', '--home', home, '--json'], out)).toBe(0);
    expect(JSON.parse(out.text())).toMatchObject({ live: false, targets: [{ id: 'nas', counts: { done: 2 }, rateBytesPerSec: null, online: null }] });
    await station.stop();
    cleanup.pop();
    const table = capture();
    expect(await main(['queue', '--home', home], table)).toBe(0);
    expect(table.text()).toMatch(/^target\s+kind\s+queued\s+uploading\s+done\s+dead/);
    expect(table.text()).toMatch(/\nnas\s+folder\s+0\s+0\s+2\s+0\s+0 B/);
  });
});
