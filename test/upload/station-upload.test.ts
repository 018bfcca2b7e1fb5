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
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { corpus, makeHome, waitFor } from '../helpers/station-home.js';
import { Outbox } from '../../src/upload/outbox.js';
import { listFiles, makeFixture, sha256OfFile } from './fixture.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const config: StationConfigInput = {
  station: { id: 'rig1' },
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
    fs.writeFileSync(path.join(share, '.capture-station-target'), ''); // a local folder, not a mount point
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

    expect(listFiles(share)).toEqual(['rig1/inbox/good-1.tif', 'rig1/inbox/good-2.tif']);
    for (const name of ['good-1.tif', 'good-2.tif']) expect(sha256OfFile(path.join(share, 'rig1/inbox', name))).toBe(sha256OfFile(path.join(inbox, name)));
    const status = await client.queueStatus({});
    expect('result' in status && status.result).toMatchObject({ live: true, targets: [{ id: 'nas', kind: 'folder', configured: true, online: true, counts: { queued: 0, leased: 0, done: 2, dead: 0 }, bytesPending: 0 }] });
    const broken = station.store.list({ verdict: 'fail' })[0]!;
    expect(jobEvents.some((e) => e.captureId === broken.id)).toBe(false);
    expect(await client.retryDead({ jobId: 999 })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await client.retryDead({ jobId: -1 })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await client.retryDead({ targetId: 'nope' })).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringMatching(/no upload target "nope" .*configured: nas/) } });

    // the CLI reads the same numbers from the database, with the station running or not
    const out = capture();
    expect(await main(['queue', '--home', home, '--json'], out)).toBe(0);
    expect(JSON.parse(out.text())).toMatchObject({ live: false, targets: [{ id: 'nas', counts: { done: 2 }, rateBytesPerSec: null, online: null }] });
    await station.stop();
    cleanup.pop();
    const table = capture();
    expect(await main(['queue', '--home', home], table)).toBe(0);
    expect(table.text()).toMatch(/^target\s+kind\s+reachable\s+queued\s+uploading\s+done\s+dead/);
    expect(table.text()).toMatch(/\nnas\s+folder\s+-\s+0\s+0\s+2\s+0\s+0 B/);
  });

  it('queue prints the first 20 dead jobs of a target and says how many more --json lists', async () => {
    const fx = makeFixture();
    cleanup.push(() => fx.close());
    const home = makeHome({ ...config, paths: { database: path.join(fx.dir, 'station.db') } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const outbox = new Outbox(fx.store.db);
    for (let i = 0; i < 23; i++) {
      const c = fx.addCapture(`d${i}.tif`, Buffer.from(`dead ${i}`));
      fx.store.db.transaction(() => outbox.enqueue(c, 'nas'))();
      const { job } = outbox.lease('test', 60_000, ['nas'])!;
      outbox.fail(job.id, 'test', `failure ${i}`, { dead: true });
    }
    const table = capture();
    expect(await main(['queue', '--home', home], table)).toBe(0);
    const deadLines = table.text().split('\n').filter((l) => l.startsWith('dead: nas'));
    expect(deadLines).toHaveLength(20);
    expect(deadLines[19]).toMatch(/failure 19$/);
    expect(table.text()).toContain('…and 3 more dead jobs of nas (queue --json lists them all)\n');
    const json = capture();
    expect(await main(['queue', '--home', home, '--json'], json)).toBe(0);
    expect((JSON.parse(json.text()) as { targets: { dead: unknown[] }[] }).targets[0]!.dead).toHaveLength(23);
  });

  it('refuses a second station on the same database, naming the holder, while the read-only tools keep working', async () => {
    const home = makeHome(config);
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    await station.start();
    cleanup.push(() => station.stop());
    expect(() => new Station(loadConfig({ home }))).toThrow(new RegExp(`^Another Capture Station \\(pid ${process.pid} on host .+, started .+\\) is using ${home}/station\\.db — stop it first\\.$`));
    expect(await main(['queue', '--home', home], capture())).toBe(0);
    expect(await main(['export', '--home', home], capture())).toBe(0);
    await station.stop();
    cleanup.pop();
    const next = new Station(loadConfig({ home })); // the lock was released on stop
    await next.stop();
  });

  it('queues captures recorded before a target was added only when asked (CLI and contract), then uploads them', async () => {
    const home = makeHome({ ...config, targets: [] });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const share = path.join(home, 'Share');
    fs.mkdirSync(share);
    fs.writeFileSync(path.join(share, '.capture-station-target'), '');
    const before = new Station(loadConfig({ home }));
    await before.start();
    const inbox = path.join(home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'old-1.tif'), 3);
    await writeGoodTiff(path.join(inbox, 'old-2.tif'), 4);
    await waitFor(() => before.store.counts().total === 2, 'two captures recorded');
    await before.stop();
    const store = openStore(path.join(home, 'station.db'));
    store.db.prepare("UPDATE captures SET checked_at = '2020-01-01T00:00:00.000Z' WHERE rel_path = 'old-1.tif'").run();
    store.close();

    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify(config)); // the target is added
    const station = new Station(loadConfig({ home }), {});
    const done: number[] = [];
    station.on('upload.job', (e) => e.type === 'done' && done.push(e.captureId));
    await station.start();
    cleanup.push(() => station.stop());
    const client = createLocalClient(createHandlers(station));
    expect(station.uploader.status().targets[0]?.counts).toEqual({ queued: 0, leased: 0, done: 0, dead: 0 });

    const out = capture();
    expect(await main(['queue', '--home', home, '--backfill', 'nas', '--since', '2021-01-01'], out)).toBe(0);
    expect(out.text()).toBe('Queued 1 earlier capture for target "nas" (recorded since 2021-01-01T00:00:00.000Z); 0 already had a job, 0 are not taken by this target.\n');
    expect(await client.backfillTarget({ targetId: 'nas' })).toEqual({ result: { targetId: 'nas', since: null, queued: 1, alreadyQueued: 1, notEligible: 0, removedLocally: 0 } });
    expect(await client.backfillTarget({ targetId: 'nas' })).toMatchObject({ result: { queued: 0, alreadyQueued: 2 } });
    expect(await client.backfillTarget({ targetId: 'elsewhere' })).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringMatching(/configured: nas/) } });
    expect(await client.backfillTarget({ targetId: 'nas', since: 'last week' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    await waitFor(() => done.length === 2, 'both earlier captures uploaded');
    expect(listFiles(share)).toEqual(['rig1/inbox/old-1.tif', 'rig1/inbox/old-2.tif']);
  });
});
