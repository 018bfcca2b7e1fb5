/** `capture-station queue` against a running station (its control socket) and without one: live status, and retrying dead jobs. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/open.js';
import { Outbox } from '../../src/upload/outbox.js';
import { withdrawnPrefix } from '../../src/upload/withdrawn.js';
import { controlSocketPath, startControlSocket } from '../../src/server/control-socket.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function capture(): Output & { text: () => string; errors: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, text: () => out, errors: () => err };
}

async function queue(home: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = capture();
  const code = await main(['queue', '--home', home, ...args], o);
  return { code, out: o.text(), err: o.errors() };
}

describe('capture-station queue', () => {
  it('shows the running station\'s live view, retries dead jobs through it or in the database, and names a wrong target', async () => {
    const home = makeHome({
      station: { id: 'rig1' },
      ingest: { stableWindowMs: 250, rescanIntervalSec: 0 },
      targets: [{ id: 'nas', kind: 'folder', path: 'Share' }],
      upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
    });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const share = path.join(home, 'Share');
    fs.mkdirSync(path.join(share, 'rig1', 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(share, '.capture-station-target'), '');
    // Another file already holds the name: the station never overwrites it, so the job dies.
    fs.writeFileSync(path.join(share, 'rig1', 'inbox', 'taken.tif'), 'someone else\'s file');
    const config = loadConfig({ home });
    const station = new Station(config);
    await station.start();
    cleanup.push(() => station.stop());
    const socket = await startControlSocket(controlSocketPath(config.locations.dataDir), createHandlers(station));
    cleanup.push(() => socket.close());
    await writeGoodTiff(path.join(home, 'Inbox', 'taken.tif'), 1);
    await waitFor(() => station.uploader.status().targets[0]?.counts.dead === 1, 'the upload to a taken name is dead');

    const live = await queue(home, '--json');
    expect(JSON.parse(live.out)).toMatchObject({ live: true, targets: [{ id: 'nas', online: true, counts: { dead: 1 } }] });
    expect(typeof JSON.parse(live.out).targets[0].rateBytesPerSec).toBe('number');
    const text = await queue(home);
    expect(text.out).toMatch(/\nnas\s+folder\s+yes\s+0\s+0\s+0\s+1\b/);
    expect(text.out).toMatch(/dead: nas job \d+ .*A different file is already at .*capture-station queue --retry TARGET retries it/);
    expect(text.out).not.toMatch(/not running/);

    expect(await queue(home, '--retry', 'nope')).toMatchObject({ code: 2, err: expect.stringContaining('--retry nope: no such target; the configured targets are "nas" (or "all")') });
    expect(await queue(home, '--backfill', 'nope')).toMatchObject({ code: 2, err: expect.stringContaining('--backfill nope: no such target; the configured targets are "nas".') });
    expect(await queue(home, '--job', '1')).toMatchObject({ code: 2, err: expect.stringContaining('--job goes with --retry') });
    expect(await queue(home, '--retry', 'all', '--job', 'x')).toMatchObject({ code: 2, err: expect.stringContaining('--job must be a job number') });
    const retried = await queue(home, '--retry', 'nas');
    expect(retried).toMatchObject({ code: 0, out: expect.stringMatching(/^Queued 1 dead job again \(\d+\); each starts again with its attempts reset\.\n$/) });
    await waitFor(() => station.uploader.status().targets[0]?.counts.dead === 1, 'dead again: the name is still taken');

    await socket.close();
    await station.stop();
    cleanup.splice(0, cleanup.length - 1);
    const offline = await queue(home);
    expect(offline.out).toMatch(/\nnas\s+folder\s+-\s+0\s+0\s+0\s+1\b/);
    expect(offline.out).toMatch(/The station is not running \(nothing answers at .*\): reachability, rate and ETA are known only while it runs\./);
    expect(await queue(home, '--retry', 'all', '--json')).toMatchObject({ code: 0, out: expect.stringMatching(/"requeued": \[\s*\d+\s*\]/) });
    expect(JSON.parse((await queue(home, '--json')).out)).toMatchObject({ live: false, targets: [{ counts: { queued: 1, dead: 0 } }] });
    expect((await queue(home, '--retry', 'all')).out).toBe('No dead job to retry.\n');

    // A job withdrawn for a set-aside capture is left dead by a retry of all or of its target, and named.
    const store = openStore(config.locations.database);
    const withdrawn = (() => {
      try {
        const job = store.db.prepare("SELECT id, capture_id FROM upload_jobs WHERE state = 'queued'").get() as { id: number; capture_id: number };
        new Outbox(store.db).withdraw(job.capture_id, 'nas', `${withdrawnPrefix}capture ${job.capture_id} is flagged for re-shoot; it is not uploaded.`);
        return job.id;
      } finally {
        store.close();
      }
    })();
    expect((await queue(home, '--retry', 'nas')).out).toBe(
      `No dead job to retry for target "nas".\nNot queued: 1 withdrawn job (${withdrawn}) of set-aside captures (flagged for re-shoot, rejected, or failed QC for a target taking passed ones); each is queued again by itself once its capture is taken again — to send one anyway: capture-station queue --retry nas --job N.\n`,
    );
    expect(JSON.parse((await queue(home, '--retry', 'all', '--json')).out)).toEqual({ requeued: [], withdrawn: [withdrawn] });
    expect((await queue(home, '--retry', 'all', '--job', String(withdrawn))).out).toBe(`Queued 1 dead job again (${withdrawn}); each starts again with its attempts reset.\n`);
  });
});
