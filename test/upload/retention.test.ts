/** Retention: local files go only when asked, only once every required target verified them, never the only copy. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { addLogSink, formatLogLine } from '../../src/log/logger.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import type { Db } from '../../src/store/database.js';
import { Outbox } from '../../src/upload/outbox.js';
import { applyRetention, retentionCandidates } from '../../src/upload/retention.js';
import type { RemoteCopy } from '../../src/upload/target.js';
import { createTargets } from '../../src/upload/targets.js';
import { Uploader } from '../../src/upload/uploader.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function config(retention: StationConfigInput['retention'], targets: StationConfigInput['targets'] = [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false }]): StationConfigInput {
  return {
    station: { id: 'rig1' },
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    targets,
    upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
    retention,
  };
}

async function stationWithUploads(input: StationConfigInput, files: number) {
  const home = makeHome(input);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  for (const t of input.targets ?? []) if (t.kind === 'folder') fs.mkdirSync(path.join(home, t.path), { recursive: true });
  const station = new Station(loadConfig({ home }));
  await station.start();
  cleanup.push(() => station.stop());
  for (let i = 0; i < files; i++) await writeGoodTiff(path.join(home, 'Inbox', `f${i}.tif`), 10 * i + 3);
  return { home, station };
}

/** The upload side retention asks (an Uploader that is not started: it confirms and requeues, nothing else). */
function keeperOf(home: string, db: Db): Uploader {
  const cfg = loadConfig({ home });
  const targets = createTargets(cfg.targets, { stationId: cfg.stationId, library: cfg.locations.library });
  return new Uploader({ db, targetConfigs: cfg.targets, targets, settings: cfg.upload });
}

describe('retention', () => {
  it('removes local files once every required target verified them, and logs each removal', async () => {
    const { home, station } = await stationWithUploads(config({ deleteLocal: true, keepDays: 0, checkIntervalSec: 1 }), 2);
    await waitFor(() => filesUnder(path.join(home, 'Share')).filter((f) => !path.basename(f).startsWith('.')).length === 2, 'both uploaded');
    await waitFor(() => filesUnder(path.join(home, 'Inbox')).length === 0, 'local copies removed');
    const captures = station.store.list({ limit: 10 });
    for (const c of captures) expect(station.store.detail(c.id)!.events.map((e) => e.type)).toContain('capture.local-removed');
  });

  it('keeps files while a required target has not verified them, before keepDays, when not asked, and when no target is required', async () => {
    const { home, station } = await stationWithUploads(config({ deleteLocal: false }), 2);
    await waitFor(() => filesUnder(path.join(home, 'Share')).filter((f) => !path.basename(f).startsWith('.')).length === 2, 'both uploaded');
    await station.stop();
    cleanup.pop();
    const store = openStore(loadConfig({ home }).locations.database);
    cleanup.push(() => store.close());
    const now = new Date();
    expect(retentionCandidates(store.db, [], 0, now)).toEqual([]);
    expect(retentionCandidates(store.db, ['nas', 'offsite'], 0, now)).toEqual([]);
    expect(retentionCandidates(store.db, ['nas'], 30, now)).toEqual([]);
    const due = retentionCandidates(store.db, ['nas'], 30, new Date(now.getTime() + 31 * 86_400_000));
    expect(due).toHaveLength(2);

    // A new file under the name of a verified capture is never removed; the other one is.
    const [first, second] = due;
    fs.writeFileSync(first!.path, 'a re-shoot under the same name');
    expect(await applyRetention(store.db, due, ['nas'], keeperOf(home, store.db))).toEqual([second!.id]);
    expect(fs.readFileSync(first!.path, 'utf8')).toBe('a re-shoot under the same name');
    expect(fs.existsSync(second!.path)).toBe(false);
    expect(retentionCandidates(store.db, ['nas'], 30, new Date(now.getTime() + 31 * 86_400_000)).map((c) => c.id)).toEqual([first!.id]);
  });

  it('keeps the local file and uploads it again when the copy at the target was deleted after it was verified', async () => {
    // keepDays of 3 s: the copy is deleted at the target right after its upload, before the file is due.
    const { home, station } = await stationWithUploads(config({ deleteLocal: true, keepDays: 3 / 86_400, checkIntervalSec: 1 }), 1);
    const share = path.join(home, 'Share');
    const copies = () => filesUnder(share).filter((f) => !path.basename(f).startsWith('.')).map((f) => path.join(share, f));
    await waitFor(() => copies().length === 1, 'uploaded');
    const [copy] = copies();
    const uploaded = fs.readFileSync(copy!);
    fs.rmSync(copy!);
    const [capture] = station.store.list({ limit: 1 });
    const events = () => station.store.detail(capture!.id)!.events;
    await waitFor(() => events().some((e) => e.type === 'upload.requeued'), 'the job queued again');
    // The removal is written to the event log just after the file goes.
    await waitFor(() => filesUnder(path.join(home, 'Inbox')).length === 0 && events().some((e) => e.type === 'capture.local-removed'), 'the local file removed once the new copy is confirmed');
    expect(fs.readFileSync(copy!).equals(uploaded)).toBe(true);
    const requeued = events().find((e) => e.type === 'upload.requeued')!;
    expect(requeued.data).toMatchObject({ from: 'done', to: 'queued', targetId: 'nas', reason: expect.stringMatching(/copy at target "nas" gone or changed .* is no longer there.*kept and its job queued again/) });
    const types = events().map((e) => e.type);
    expect(types.indexOf('capture.local-removed')).toBeGreaterThan(types.lastIndexOf('upload.done'));
  });

  it('keeps local files whose copies cannot be confirmed (target unreachable) or are not as verified, and requeues only the latter', async () => {
    const { home } = await stationWithUploads(config({ deleteLocal: false }), 3);
    const share = path.join(home, 'Share');
    const copies = () => filesUnder(share).filter((f) => !path.basename(f).startsWith('.')).map((f) => path.join(share, f)).sort();
    await waitFor(() => copies().length === 3, 'all uploaded');
    const stopping = cleanup.pop()!;
    await stopping();
    const store = openStore(loadConfig({ home }).locations.database);
    cleanup.push(() => store.close());
    const later = new Date(Date.now() + 31 * 86_400_000);
    const due = retentionCandidates(store.db, ['nas'], 30, later);
    expect(due).toHaveLength(3);

    // The share is not there (unmounted): nothing is removed, nothing requeued.
    fs.renameSync(share, `${share}-away`);
    const keeper = keeperOf(home, store.db);
    let asked = 0;
    const counting = { confirmCopy: (id: string, copy: RemoteCopy) => (asked++, keeper.confirmCopy(id, copy)), requeueCopy: (job: number, why: string) => keeper.requeueCopy(job, why) };
    expect(await applyRetention(store.db, due, ['nas'], counting)).toEqual([]);
    // Asked once this round, not once per file (a hung share would cost a timeout each).
    expect(asked).toBe(1);
    expect(due.every((c) => fs.existsSync(c.path))).toBe(true);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM upload_jobs WHERE state = 'done'").get()).toEqual({ n: 3 });
    fs.renameSync(`${share}-away`, share);

    // One copy truncated, one deleted: those two are kept and queued again; the third goes.
    const [a, b] = copies();
    fs.truncateSync(a!, 1);
    fs.rmSync(b!);
    const removed = await applyRetention(store.db, due, ['nas'], keeper);
    expect(removed).toHaveLength(1);
    const jobs = store.db.prepare('SELECT capture_id AS captureId, state, last_error AS lastError FROM upload_jobs ORDER BY capture_id').all() as { captureId: number; state: string; lastError: string | null }[];
    expect(jobs.filter((j) => j.state === 'queued').map((j) => j.lastError)).toEqual(
      expect.arrayContaining([expect.stringMatching(/is 1 bytes, not the \d+ bytes verified/), expect.stringMatching(/is no longer there/)]),
    );
    const kept = jobs.filter((j) => j.state === 'queued').map((j) => j.captureId);
    for (const c of due) expect(fs.existsSync(c.path)).toBe(kept.includes(c.id));
    expect(retentionCandidates(store.db, ['nas'], 30, later)).toEqual([]);
  });

  it('waits for an offline non-required target; backfill then skips removed files; a job for one says retention removed it', async () => {
    const targets: StationConfigInput['targets'] = [
      { id: 'nas', kind: 'folder', path: 'Share', mountCheck: false },
      { id: 'offsite', kind: 'folder', path: 'Offsite', mountCheck: false, required: false },
    ];
    const input = config({ deleteLocal: true, keepDays: 0, checkIntervalSec: 1 }, targets);
    const home = makeHome(input);
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    fs.mkdirSync(path.join(home, 'Share'));
    const run = async () => {
      const station = new Station(loadConfig({ home }));
      await station.start();
      return station;
    };
    let station = await run();
    await writeGoodTiff(path.join(home, 'Inbox', 'only.tif'), 7);
    const local = path.join(home, 'Inbox', 'only.tif');
    await waitFor(() => station.uploader.status().targets.find((t) => t.id === 'nas')?.counts.done === 1, 'uploaded to nas');
    const [capture] = station.store.list({ limit: 1 });
    const second = openStore(loadConfig({ home }).locations.database);
    cleanup.push(() => second.close());
    const db = second.db;
    // "Offsite" does not exist: its job waits queued, and so does the local file.
    expect(retentionCandidates(db, ['nas'], 0)).toEqual([]);
    await station.stop();
    expect(fs.existsSync(local)).toBe(true);

    fs.mkdirSync(path.join(home, 'Offsite'));
    station = await run();
    await waitFor(() => !fs.existsSync(local), 'the local file removed once offsite has its copy too');
    expect(filesUnder(path.join(home, 'Offsite')).filter((f) => !path.basename(f).startsWith('.'))).toHaveLength(1);
    await station.stop();

    // A target added later: backfill has nothing to send for the removed capture, and says so.
    fs.mkdirSync(path.join(home, 'Late'));
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ ...input, targets: [...targets, { id: 'late', kind: 'folder', path: 'Late', mountCheck: false, required: false }] }));
    station = await run();
    cleanup.push(() => station.stop());
    expect(station.uploader.backfill('late', null)).toMatchObject({ queued: 0, alreadyQueued: 0, removedLocally: 1 });
    // A job that exists anyway (queued before, or retried by the operator) dies saying why.
    db.transaction(() => new Outbox(db).enqueue({ id: capture!.id, size: capture!.size }, 'late'))();
    station.uploader.wake();
    const lateJob = () => new Outbox(db).jobsOfCapture(capture!.id).find((j) => j.targetId === 'late');
    await waitFor(() => lateJob()?.state === 'dead', 'the late job dead');
    expect(lateJob()!.lastError).toMatch(/only\.tif was removed by retention at .*, once every required target had confirmed its copy; .*copy it there from one of those targets/);
  });

  it('warns at start that nothing will be removed when deleteLocal is on but no target is required', async () => {
    const lines: string[] = [];
    onTestFinished(addLogSink((r) => lines.push(formatLogLine(r))));
    await stationWithUploads(config({ deleteLocal: true }, [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false, required: false }]), 0);
    expect(lines.filter((l) => /retention\.deleteLocal is on but no upload target is required, so no local file will ever be removed/.test(l))).toEqual([expect.stringMatching(/WARN/)]);
  });
});
