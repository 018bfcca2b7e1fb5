/**
 * Uploads and retention wait for linking (linking/held.ts), on a real station with a folder
 * target: a shot waiting for its barcode is neither uploaded nor removed until it is linked and
 * filed (one copy, under its filed name) or given up on (one copy, under its hot-folder name), also
 * across a restart; relinking a capture retention removed changes only its link; a capture flagged
 * for re-shoot as a barcode mismatch and relinked to the barcode it shows is uploaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { Station } from '../../src/station/station.js';
import { appendEvent } from '../../src/store/events.js';
import { openStore } from '../../src/store/open.js';
import { Outbox } from '../../src/upload/outbox.js';
import { retentionCandidates } from '../../src/upload/retention.js';
import { labelled, writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function config(linking: StationConfigInput['linking'], more: Omit<StationConfigInput, 'linking'> = {}): StationConfigInput {
  return {
    station: { id: 'rig-7' },
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, mode: 'scan-after-capture', idleTimeoutSec: 600, template: '{barcode}/{barcode}_{seq:02}{ext}', ...linking },
    targets: [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false }],
    upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
    ...more,
  };
}

function homeOf(input: StationConfigInput): string {
  const home = makeHome(input);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  fs.mkdirSync(path.join(home, 'Share'));
  return home;
}

async function start(home: string) {
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  // A second connection, as `capture-station queue` reads the queue of a running station.
  const reader = openStore(config.locations.database);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    reader.close();
    await station.stop();
  };
  cleanup.push(stop);
  const jobs = (captureId: number) => new Outbox(reader.db).jobsOfCapture(captureId).map((j) => ({ state: j.state, remoteKey: j.remoteKey }));
  const types = (captureId: number) => station.store.detail(captureId)!.events.map((e) => e.type);
  return { station, stop, jobs, types, uploaded: () => filesUnder(path.join(home, 'Share')).filter((f) => !path.basename(f).startsWith('.')) };
}

async function recorded(station: Station, count: number): Promise<number> {
  await waitFor(() => station.store.counts().total === count, `${count} captures recorded`);
  return station.store.list({ limit: 1 })[0]!.id;
}

describe('uploads wait for linking', () => {
  it('scan after capture: a shot waiting for its barcode is uploaded once, under its filed name, after the scan', async () => {
    const home = homeOf(config({}));
    const s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'scan_0001.tif'), 1);
    const id = await recorded(s.station, 1);
    // Jobs are queued in the recording transaction: none now means nothing is sent while it waits.
    expect(s.jobs(id)).toEqual([]);
    expect(s.types(id)).toContain('capture.awaiting-barcode');

    s.station.linker.scan('OBJ-9');
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded after the scan');
    expect(s.uploaded()).toEqual(['rig-7/OBJ-9/OBJ-9_01.tif']);
    expect(s.jobs(id)).toEqual([{ state: 'done', remoteKey: 'rig-7/OBJ-9/OBJ-9_01.tif' }]);
    expect(s.types(id)).not.toContain('upload.requeued');
  });

  it('scan after capture: a shot whose wait expired is final as unlinked and goes under its hot-folder name', async () => {
    const home = homeOf(config({ idleTimeoutSec: 1 }));
    const s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'scan_0002.tif'), 2);
    const id = await recorded(s.station, 1);
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded once given up on');
    expect(s.station.store.detail(id)!.events.find((e) => e.type === 'capture.not-linked')?.data).toEqual({ reason: 'no barcode scanned in time' });
    // Its job was queued only once its wait was given up on (which may be before QC finished, then it never waited).
    const types = s.types(id);
    expect(types.indexOf('capture.not-linked')).toBeLessThan(types.indexOf('upload.queued'));
    expect(s.uploaded()).toEqual(['rig-7/inbox/scan_0002.tif']);
    // The next scan finds nothing waiting: the shot is not linked, filed or sent again.
    expect(s.station.linker.scan('OBJ-1').alarms).toEqual([expect.stringMatching(/no new capture is waiting for a barcode/)]);
    expect(s.station.linker.links.linkOf(id)).toBeNull();
    expect(s.jobs(id)).toEqual([{ state: 'done', remoteKey: 'rig-7/inbox/scan_0002.tif' }]);
  });

  it('scan before capture: a shot taken with no object open is final as unlinked at once and goes under its hot-folder name', async () => {
    const home = homeOf(config({ mode: 'scan-before-capture' }));
    const s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'loose.tif'), 3);
    const id = await recorded(s.station, 1);
    expect(s.types(id)).toContain('capture.not-linked');
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded');
    expect(s.uploaded()).toEqual(['rig-7/inbox/loose.tif']);
  });

  it('a waiting shot is still held after a restart, and goes once under its filed name when scanned then', async () => {
    const home = homeOf(config({}));
    let s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'scan_0003.tif'), 4);
    const id = await recorded(s.station, 1);
    await s.stop();

    s = await start(home);
    expect(s.jobs(id)).toEqual([]);
    s.station.linker.scan('OBJ-3');
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded after the scan');
    expect(s.uploaded()).toEqual(['rig-7/OBJ-3/OBJ-3_01.tif']);
  });

  it('a waiting shot no session takes back after a restart (linking turned off) is given up on and uploaded', async () => {
    const input = config({});
    const home = homeOf(input);
    let s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'scan_0004.tif'), 5);
    const id = await recorded(s.station, 1);
    await s.stop();

    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ ...input, linking: { ...input.linking, enabled: false } }));
    s = await start(home);
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded once given up on');
    expect(s.station.store.detail(id)!.events.find((e) => e.type === 'capture.not-linked')?.data).toEqual({ reason: 'no longer waiting for a barcode after a restart' });
    expect(s.uploaded()).toEqual(['rig-7/inbox/scan_0004.tif']);
  });
});

describe('retention waits for linking', () => {
  it('keeps a shot waiting for its barcode through retention rounds; the scan files it, and it goes once uploaded', async () => {
    // The reviewer's day: a conveyor scanning after capture, and a stand whose loose shot is the
    // witness that retention ran (it is uploaded and removed while the conveyor's shot waits).
    const home = homeOf(
      config(
        { mode: 'scan-before-capture' },
        {
          sources: [
            { id: 'conveyor', path: 'Conveyor', scanMode: 'scan-after-capture' },
            { id: 'stand', path: 'Stand' },
          ],
          retention: { deleteLocal: true, keepDays: 0, checkIntervalSec: 1 },
        },
      ),
    );
    const s = await start(home);
    const waiting = path.join(home, 'Conveyor', 'scan_0001.tif');
    await writeGoodTiff(waiting, 6);
    const id = await recorded(s.station, 1);
    await writeGoodTiff(path.join(home, 'Stand', 'witness.tif'), 7);
    const witness = await recorded(s.station, 2);
    await waitFor(() => s.station.store.localRemoved(witness), 'the witness removed by retention');
    expect(fs.existsSync(waiting)).toBe(true);
    expect(s.station.store.localRemoved(id)).toBe(false);

    s.station.linker.scan('OBJ-4', 'conveyor');
    await waitFor(() => s.station.linker.links.move(id)?.state === 'done', 'filed');
    await waitFor(() => s.station.store.localRemoved(id), 'removed once filed and uploaded');
    expect(s.uploaded()).toEqual(['rig-7/OBJ-4/OBJ-4_01.tif', 'rig-7/stand/witness.tif']);
    expect(s.types(id)).not.toContain('capture.filing-failed');
  });

  it('never picks a capture linking holds back, even one with a verified copy (uploaded by an earlier version)', async () => {
    const home = homeOf(config({}));
    const s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'scan_0005.tif'), 8);
    const id = await recorded(s.station, 1);
    await s.stop();

    const store = openStore(loadConfig({ home }).locations.database);
    cleanup.push(() => store.close());
    const outbox = new Outbox(store.db);
    // What an earlier version did: the waiting shot uploaded at once, verified.
    outbox.enqueue({ id, size: store.captures.get(id)!.size }, 'nas');
    const leased = outbox.lease('test', 60_000, ['nas'])!;
    outbox.complete(leased.job.id, 'test', { remoteKey: 'rig-7/inbox/scan_0005.tif', verifiedSha256: store.captures.get(id)!.sha256!, alreadyPresent: false });
    const later = new Date(Date.now() + 60_000);
    expect(retentionCandidates(store.db, ['nas'], 0, later)).toEqual([]);

    // Given up on, it is final: now it may go.
    appendEvent(store.db, { type: 'capture.not-linked', captureId: id, data: { reason: 'no barcode scanned in time' } });
    expect(retentionCandidates(store.db, ['nas'], 0, later).map((c) => c.id)).toEqual([id]);
  });
});

describe('linking edits and uploads', () => {
  it('relinks an unlinked capture whose local file retention removed: only its link changes', async () => {
    const home = homeOf(config({ mode: 'scan-before-capture' }, { retention: { deleteLocal: true, keepDays: 0, checkIntervalSec: 1 } }));
    const s = await start(home);
    await writeGoodTiff(path.join(home, 'Inbox', 'loose.tif'), 9);
    const id = await recorded(s.station, 1);
    await waitFor(() => s.station.store.localRemoved(id), 'removed by retention');

    const outcome = await s.station.linker.editor.relinkCaptures([id], 'OBJ-5');
    expect(outcome).toMatchObject({ kind: 'link', captureIds: [id] });
    await s.station.linker.settled();
    expect(s.station.linker.links.linkOf(id)).toMatchObject({ barcode: 'OBJ-5', seq: 1 });
    // No move of a file that is not there, so nothing fails now or at every start.
    expect(s.station.linker.links.move(id)).toBeNull();
    expect(filesUnder(path.join(home, 'Library'))).toEqual([]);
    expect(s.jobs(id)).toEqual([{ state: 'done', remoteKey: 'rig-7/inbox/loose.tif' }]);
  });

  it('a shot that failed as a barcode mismatch and is relinked to the barcode it shows is no longer flagged, and is uploaded; undo flags it again, restores its mismatch verdict, and removes its copy instead of uploading it again', async () => {
    // The label's white paper clips by design; exposure is not what this test is about.
    const home = homeOf(config({ mode: 'scan-before-capture', barcode: { pattern: 'BR\\d{13}' } }, { profiles: { default: { exposure: { severity: 'off' } } } }));
    const s = await start(home);
    s.station.linker.scan('BR0000013087944');
    await labelled(path.join(home, 'Inbox', 'IMG_0001.tif'), 'BR0000019933597', 2);
    const id = await recorded(s.station, 1);
    expect(s.station.store.get(id)!.verdict).toBe('fail');
    expect(s.station.store.detail(id)!.reshoot).toBe(true);
    const mismatch = () => s.station.store.results(id).find((r) => r.check === 'barcodeMismatch');
    const failedAs = mismatch()!;
    expect(failedAs).toMatchObject({ status: 'fail' });
    expect(failedAs.message).toContain('BR0000013087944');

    await s.station.linker.editor.relinkCaptures([id], 'BR0000019933597');
    expect(s.station.store.get(id)!.verdict).toBe('pass');
    expect(s.station.store.detail(id)!.reshoot).toBe(false);
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded once filed');
    expect(s.uploaded()).toEqual(['rig-7/BR0000019933597/BR0000019933597_01.tif']);

    await s.station.linker.editor.undoLast();
    expect(s.station.linker.links.linkOf(id)).toBeNull();
    expect(s.station.store.detail(id)!.reshoot).toBe(true);
    // The verdict is the one QC gave it before the relink, mismatch and all (not a skipped check).
    expect(s.station.store.get(id)!.verdict).toBe('fail');
    expect(mismatch()).toEqual(failedAs);
    expect(s.station.store.get(id)!.path).toBe(path.join(home, 'Inbox', 'IMG_0001.tif'));

    // Not uploaded again under its hot-folder name: its job is withdrawn, and its copy under the
    // name it no longer has is removed, its local file in the hot folder being kept.
    await waitFor(() => s.types(id).includes('upload.stale.removed'), 'the copy under the relinked name removed');
    expect(s.uploaded()).toEqual([]);
    expect(s.jobs(id)).toEqual([{ state: 'dead', remoteKey: null }]);
    expect(s.station.uploader.status().targets[0]?.counts).toEqual({ queued: 0, leased: 0, done: 0, dead: 1 });
    expect(fs.existsSync(path.join(home, 'Inbox', 'IMG_0001.tif'))).toBe(true);

    // Relinked once more, it passes again and goes under its filed name.
    await s.station.linker.editor.relinkCaptures([id], 'BR0000019933597');
    await waitFor(() => s.jobs(id).some((j) => j.state === 'done'), 'uploaded again once relinked');
    expect(s.uploaded()).toEqual(['rig-7/BR0000019933597/BR0000019933597_01.tif']);
    // Held until filed again (not sent from the hot folder while its rename was under way).
    const doneEvents = s.station.store.detail(id)!.events.filter((e) => e.type === 'upload.done');
    expect(doneEvents.map((e) => JSON.stringify(e.data).includes('rig-7/inbox/'))).toEqual([false, false]);
  });

  it('an edit rolled back (a filed file could not be renamed) leaves a shot it was linking for the first time failed as the mismatch it was', async () => {
    const home = homeOf(config({ mode: 'scan-before-capture', barcode: { pattern: 'BR\\d{13}' } }, { profiles: { default: { exposure: { severity: 'off' } } } }));
    const s = await start(home);
    s.station.linker.scan('BR0000013087944');
    await writeGoodTiff(path.join(home, 'Inbox', 'IMG_0001.tif'), 1);
    const good = await recorded(s.station, 1);
    await labelled(path.join(home, 'Inbox', 'IMG_0002.tif'), 'BR0000019933597', 2);
    const failed = await recorded(s.station, 2);
    await s.station.linker.settled();
    const mismatch = () => s.station.store.results(failed).find((r) => r.check === 'barcodeMismatch');
    const failedAs = mismatch()!;
    expect(failedAs).toMatchObject({ status: 'fail' });
    // The filed shot's file is changed after it was checked: its rename is refused.
    const filed = s.station.store.get(good)!.path;
    fs.appendFileSync(filed, 'changed');

    await expect(s.station.linker.editor.relinkCaptures([failed, good], 'BR0000019933597')).rejects.toThrow(/The edit was not made/);
    expect(s.station.linker.links.linkOf(failed)).toBeNull();
    expect(s.station.store.get(failed)!.verdict).toBe('fail');
    expect(mismatch()).toEqual(failedAs);
    expect(s.station.store.detail(failed)!.reshoot).toBe(true);
  });
});
