/**
 * Captures that swap names after their upload (A takes B's name and B takes A's, or a longer
 * cycle): each new upload finds the other capture's superseded copy at its key, whose capture has
 * no verified copy under its new name yet. Waiting for it would wait forever on both sides; the
 * station removes such a copy once that capture's local file is proven to hold its bytes (so every
 * capture keeps a verified copy), and says so clearly when it is a capture's only copy. Also: no
 * job acknowledges a key whose copy a removal is deleting. Real targets: a folder, moto_server (S3).
 */
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { targetSchema, type TargetConfig } from '../../src/config/schema.js';
import { FolderTarget, type FolderTargetFaults } from '../../src/upload/folder-target.js';
import { manifestName, readManifest } from '../../src/upload/md5-manifest.js';
import { Outbox } from '../../src/upload/outbox.js';
import { S3Target } from '../../src/upload/s3-target.js';
import { StaleCopies } from '../../src/upload/stale-copies.js';
import type { UploadTarget } from '../../src/upload/target.js';
import { Uploader } from '../../src/upload/uploader.js';
import { withdrawnPrefix } from '../../src/upload/withdrawn.js';
import { waitFor } from '../helpers/station-home.js';
import { listFiles, makeFixture, randomBytes, settings, sha256, type Fixture } from './fixture.js';
import { motoCredentials, motoMissing, startMoto, type Moto } from './moto.js';

let fx: Fixture;
const stops: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  fx = makeFixture();
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  fx.close();
});

const library = () => path.join(fx.dir, 'Library');
const fast = { backoff: { baseMs: 20, maxMs: 100 }, probeIntervalSec: 0.1, leaseSec: 30 };

/** Files the capture into the library under `rel` (as filing or a link edit's rename does). */
function fileAs(captureId: number, rel: string): void {
  const c = fx.store.captures.get(captureId)!;
  const to = path.join(library(), rel);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.renameSync(c.path, to);
  fx.store.db.prepare('UPDATE captures SET path = ? WHERE id = ?').run(to, captureId);
}

/** Renames the captures in a cycle: each takes the name of the next, through a temp name (as a library cannot hold two files under one name). */
function rotate(ids: number[], names: string[]): void {
  fileAs(ids[0]!, 'tmp/img.tif');
  for (let i = ids.length - 1; i >= 1; i--) fileAs(ids[i]!, names[(i + 1) % ids.length]!);
  fileAs(ids[0]!, names[1]!);
}

function start(config: TargetConfig, target: UploadTarget, extra: Partial<Parameters<typeof settings>[0]> = {}): Uploader {
  const uploader = new Uploader({ db: fx.store.db, targetConfigs: [config], targets: [target], settings: settings({ ...fast, ...extra }), tickMs: 50 });
  uploader.start();
  stops.push(() => uploader.stop());
  return uploader;
}

const stale = () => new StaleCopies(fx.store.db);
const outbox = () => new Outbox(fx.store.db);
const jobOf = (captureId: number) => outbox().jobsOfCapture(captureId)[0]!;
const settledAll = (ids: number[]) => ids.every((id) => jobOf(id).state === 'done') && stale().remaining().length === 0;

/** What is at a target: its keys (without bookkeeping files) and the sha256 under one. */
interface Remote {
  keys(): Promise<string[]>;
  sha256Of(key: string): Promise<string>;
}

function folderSetup(layout: 'mirror' | 'osprey' = 'mirror', faults?: FolderTargetFaults) {
  const share = path.join(fx.dir, 'share');
  fs.mkdirSync(share, { recursive: true });
  const config: TargetConfig = { id: 'share', kind: 'folder', path: share, when: 'passed', required: true, layout, mountCheck: false };
  const target = new FolderTarget({ id: 'share', path: share, layout, stationId: 'st1', library: library(), mountCheck: false, ...(faults ? { faults } : {}) });
  const remote: Remote = {
    keys: async () => listFiles(share).filter((f) => !path.basename(f).startsWith('.') && path.basename(f) !== manifestName),
    sha256Of: async (key) => sha256(fs.readFileSync(path.join(share, key))),
  };
  return { share, config, target, remote };
}

/**
 * Captures uploaded under `names`, then rotated (each takes the next one's name) while no upload
 * runs in between; drained: each key holds exactly its new capture's bytes, no stale copy is left,
 * no job is dead, and every superseded copy was removed after its capture's local file was proven.
 */
async function rotateAndDrain(config: TargetConfig, target: UploadTarget, remote: Remote, prefix: string, names: string[], keyOf: (name: string) => string): Promise<number[]> {
  const ids = names.map((name, i) => {
    const c = fx.addCapture(`c${i}.tif`, randomBytes(120_000 + i * 1000, 11 + i));
    fileAs(c.id, name);
    return c.id;
  });
  const uploader = start(config, target);
  uploader.backfill(config.id, null);
  await waitFor(() => ids.every((id) => jobOf(id).state === 'done'), 'all uploaded');
  const shaOf = new Map(ids.map((id) => [id, fx.store.captures.get(id)!.sha256!]));
  for (const [i, id] of ids.entries()) expect(await remote.sha256Of(prefix + keyOf(names[i]!))).toBe(shaOf.get(id));

  rotate(ids, names);
  uploader.renamed(ids);
  await waitFor(() => settledAll(ids), 'every capture verified under its new name and no superseded copy left', 20_000);

  expect(await remote.keys()).toEqual(names.map((n) => prefix + keyOf(n)).sort());
  for (const [i, id] of ids.entries()) {
    const key = keyOf(names[(i + 1) % names.length]!);
    expect(await remote.sha256Of(prefix + key)).toBe(shaOf.get(id));
    expect(jobOf(id)).toMatchObject({ state: 'done', remoteKey: prefix + key, verifiedSha256: shaOf.get(id) });
  }
  expect(outbox().counts()[0]).toMatchObject({ dead: 0, queued: 0, leased: 0 });
  const rows = fx.store.db.prepare('SELECT capture_id AS c, state FROM stale_copies ORDER BY id').all() as { c: number; state: string }[];
  expect(rows).toHaveLength(ids.length);
  expect(rows.every((r) => r.state === 'removed')).toBe(true);
  return ids;
}

describe('captures that swap names after their upload', () => {
  it('at a folder target: A and B swap names; each key ends with exactly the right bytes, no stale copy, no dead job', async () => {
    const { config, target, remote } = folderSetup();
    const [a, b] = await rotateAndDrain(config, target, remote, '', ['K/img.tif', 'L/img.tif'], (n) => `st1/${n}`);
    // Each job removed the other's superseded copy once that capture's local file was proven.
    const removedBy = fx.store.db.prepare("SELECT capture_id AS c, json_extract(data_json, '$.remoteKey') AS k FROM events WHERE type = 'upload.stale.removed' ORDER BY id").all();
    expect(removedBy).toEqual(expect.arrayContaining([{ c: a, k: 'st1/K/img.tif' }, { c: b, k: 'st1/L/img.tif' }]));
  });

  it('at a folder target: a cycle of three completes too', async () => {
    const { config, target, remote } = folderSetup();
    await rotateAndDrain(config, target, remote, '', ['K/img.tif', 'L/img.tif', 'M/img.tif'], (n) => `st1/${n}`);
  });

  it("with the Osprey layout: each folder's checksums.md5 ends with the md5 of the bytes now there", async () => {
    const { share, config, target, remote } = folderSetup('osprey');
    const ospreyOf = (n: string) => `st1/${path.posix.dirname(n)}/tif/${path.posix.basename(n)}`;
    const [a, b] = (await rotateAndDrain(config, target, remote, '', ['K/img.tif', 'L/img.tif'], ospreyOf)) as [number, number];
    const { createHash } = await import('node:crypto');
    const md5 = (id: number) => createHash('md5').update(fs.readFileSync(fx.store.captures.get(id)!.path)).digest('hex');
    expect([...(await readManifest(path.join(share, 'st1/K/tif', manifestName)))]).toEqual([['img.tif', md5(b)]]);
    expect([...(await readManifest(path.join(share, 'st1/L/tif', manifestName)))]).toEqual([['img.tif', md5(a)]]);
  });

  it("a superseded copy that is its capture's only verified copy is kept, and the job needing its key is dead saying why and what to do", async () => {
    const { share, config, target } = folderSetup();
    const a = fx.addCapture('a.tif', randomBytes(100_000, 21));
    const b = fx.addCapture('b.tif', randomBytes(100_000, 22));
    fileAs(a.id, 'K/img.tif');
    fileAs(b.id, 'L/img.tif');
    const uploader = start(config, target);
    uploader.backfill('share', null);
    await waitFor(() => jobOf(a.id).state === 'done' && jobOf(b.id).state === 'done', 'both uploaded');
    await uploader.stop();

    rotate([a.id, b.id], ['K/img.tif', 'L/img.tif']);
    // B's local file is rewritten after QC: its copy at L is the only one with the bytes QC checked.
    const bPath = fx.store.captures.get(b.id)!.path;
    fs.writeFileSync(bPath, randomBytes(100_000, 99));
    const again = start(config, target);
    again.renamed([a.id, b.id]);
    await waitFor(() => jobOf(a.id).state === 'dead' && jobOf(b.id).state === 'dead', 'both jobs dead');

    // A's job is told, not left waiting: B's old copy stays, with B's bytes.
    expect(jobOf(a.id).lastError).toMatch(
      new RegExp(`st1/L/img\\.tif at target "share" holds the station's own superseded copy of capture ${b.id}, which is that capture's only verified copy: .*no longer holds the bytes QC checked.*The station keeps it.*Restore capture ${b.id}'s original file and retry its job.*move that copy away at the target; then retry this job \\(\`capture-station queue --retry share\`\\)`),
    );
    expect(jobOf(b.id).lastError).toMatch(/that QC checked\. Only the bytes QC checked are uploaded/);
    expect(sha256(fs.readFileSync(path.join(share, 'st1/L/img.tif')))).toBe(b.sha256);
    expect(stale().remaining().find((s) => s.captureId === b.id)).toMatchObject({ remoteKey: 'st1/L/img.tif', status: 'pending', leaseOwner: null });
    // A's old copy at K may have been removed by B's job before B's read found its file changed:
    // A still has its local file, proven before that removal.
    expect(sha256(fs.readFileSync(fx.store.captures.get(a.id)!.path))).toBe(a.sha256);
    // A's job spent one attempt: it did not wait with "tries again" until its attempts ran out.
    expect(jobOf(a.id).attempts).toBe(1);
  });

  it('a job that must wait for the copy at its key says what really happens: how many attempts are left, then dead and how to requeue it', async () => {
    // Once both are uploaded, B's upload under its new name (K) keeps failing: B never has a verified copy there.
    let breakK = false;
    const { config, target } = folderSetup('mirror', {
      afterWrite: (temp) => {
        if (breakK && temp.includes(`${path.sep}K${path.sep}`)) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      },
    });
    const a = fx.addCapture('a.tif', randomBytes(100_000, 51));
    const b = fx.addCapture('b.tif', randomBytes(100_000, 52));
    fileAs(a.id, 'K/img.tif');
    fileAs(b.id, 'L/img.tif');
    const uploader = start(config, target, { maxAttempts: 3 });
    uploader.backfill('share', null);
    await waitFor(() => jobOf(a.id).state === 'done' && jobOf(b.id).state === 'done', 'both uploaded');
    await uploader.stop();
    breakK = true;
    rotate([a.id, b.id], ['K/img.tif', 'L/img.tif']);
    // B's local file is being moved (a filing move that never settles here): its old copy at L cannot go yet.
    const now = new Date().toISOString();
    fx.store.db.prepare("INSERT INTO filing_moves (capture_id, from_path, to_path, state, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)").run(b.id, 'x', 'y', now, now);
    start(config, target, { maxAttempts: 3 }).renamed([a.id, b.id]);
    await waitFor(() => jobOf(a.id).state === 'dead', "A's job dead after its attempts");

    const errors = (fx.store.db.prepare("SELECT json_extract(data_json, '$.error') AS e FROM events WHERE type IN ('upload.retry', 'upload.dead') AND capture_id = ? ORDER BY id").all(a.id) as { e: string }[]).map((r) => r.e);
    const waiting = `st1/L/img.tif at target "share" holds the station's own superseded copy of capture ${b.id}, which is removed before this upload once it can be: capture ${b.id}'s local file is being moved in the library; the copy goes once it is proven at its new place.`;
    expect(errors).toEqual([
      `${waiting} The job tries again after a backoff: 2 more attempts (upload.maxAttempts), then it is dead and \`capture-station queue --retry share\` sends it again.`,
      `${waiting} The job tries again after a backoff: 1 more attempt (upload.maxAttempts), then it is dead and \`capture-station queue --retry share\` sends it again.`,
      `${waiting} (gave up after 3 attempts; retry it once the cause is fixed)`,
    ]);
  });

  it('a job whose key gets a removal in flight acknowledges nothing there until it ends, then uploads its own copy', async () => {
    let hold: (() => void) | null = null;
    const held = new Promise<void>((resolve) => (hold = resolve));
    let stalls = 0;
    // The first removal stops between proving the bytes and deleting them.
    const { share, config, target } = folderSetup('mirror', { beforeRemove: () => (stalls++ === 0 ? held : undefined) });
    const bytes = randomBytes(150_000, 31);
    const x = fx.addCapture('x.tif', bytes);
    fileAs(x.id, 'K/img.tif');
    const uploader = start(config, target);
    uploader.backfill('share', null);
    await waitFor(() => jobOf(x.id).state === 'done', 'X uploaded');
    fileAs(x.id, 'M/img.tif');
    uploader.renamed([x.id]);
    await waitFor(() => stalls === 1, "X's old copy at K proven, its removal under way");

    // Y has the same bytes and takes the name K while X's old copy there is being removed: its
    // upload would find "the same bytes" there and acknowledge what the removal then deletes.
    const y = fx.addCapture('y.tif', bytes);
    fileAs(y.id, 'K/img.tif');
    uploader.backfill('share', null);
    await waitFor(() => jobOf(y.id).remoteKey !== null && jobOf(y.id).state === 'queued', "Y's job given its key and given back");
    expect(jobOf(y.id)).toMatchObject({ state: 'queued', attempts: 0, remoteKey: 'st1/K/img.tif', verifiedSha256: null });
    const released = fx.store.db.prepare("SELECT json_extract(data_json, '$.reason') AS r FROM events WHERE type = 'upload.released' AND capture_id = ?").all(y.id) as { r: string }[];
    expect(released.map((e) => e.r)).toEqual([expect.stringMatching(/holds the station's superseded copy of capture \d+, which is being removed now; this job waits for that, without spending an attempt/)]);
    // It is not leased again while the removal holds its key.
    await new Promise((r) => setTimeout(r, 300));
    expect(jobOf(y.id).state).toBe('queued');

    hold!();
    await waitFor(() => jobOf(y.id).state === 'done' && stale().remaining().length === 0, 'settled');
    expect(sha256(fs.readFileSync(path.join(share, 'st1/K/img.tif')))).toBe(y.sha256);
    expect(jobOf(y.id)).toMatchObject({ remoteKey: 'st1/K/img.tif', verifiedSha256: y.sha256 });
    expect(jobOf(x.id)).toMatchObject({ state: 'done', remoteKey: 'st1/M/img.tif' });
    // Y's copy was written after the removal, not acknowledged before it.
    const done = fx.store.db.prepare("SELECT json_extract(data_json, '$.alreadyPresent') AS p FROM events WHERE type = 'upload.done' AND capture_id = ?").get(y.id) as { p: number };
    expect(done.p).toBe(0);
  });

  it('a removal never deletes a key a job has taken meanwhile: it gives the key back, and the row is dropped', () => {
    const x = fx.addCapture('x.tif', randomBytes(1000, 41));
    const y = fx.addCapture('y.tif', randomBytes(1000, 41));
    const db = fx.store.db;
    const ob = outbox();
    ob.enqueue({ id: x.id, size: x.size }, 'share');
    ob.enqueue({ id: y.id, size: y.size }, 'share');
    const [jx, jy] = [jobOf(x.id), jobOf(y.id)];
    db.prepare("UPDATE upload_jobs SET state = 'done', remote_key = 'st1/K/img.tif', verified_sha256 = ? WHERE id = ?").run(x.sha256, jx.id);
    ob.renamed(jx.id, 'st1/M/img.tif');
    db.prepare("UPDATE upload_jobs SET state = 'done', remote_key = 'st1/M/img.tif', verified_sha256 = ? WHERE id = ?").run(x.sha256, jx.id);
    const { copy } = stale().lease('me', 60_000, ['share'])!;
    expect(copy).toMatchObject({ remoteKey: 'st1/K/img.tif', leaseOwner: 'me' });
    expect(stale().readyToDelete(copy.id, 'me', null, undefined)).toBeNull();
    // Y takes the key (e.g. an upload leased before this guard, or a bug elsewhere): the delete is refused.
    db.prepare("UPDATE upload_jobs SET state = 'done', remote_key = 'st1/K/img.tif', verified_sha256 = ? WHERE id = ?").run(y.sha256, jy.id);
    expect(stale().readyToDelete(copy.id, 'me', null, undefined)).toMatch(new RegExp(`job ${jy.id} \\(capture ${y.id}\\) has its verified copy at st1/K/img.tif now, so the copy there is not removed`));
    expect(stale().readyToDelete(copy.id, 'someone else', null, undefined)).toMatch(/lease on removing st1\/K\/img\.tif was lost/);
    expect(stale().release(copy.id, 'me')).toBe(true);
    expect(stale().lease('me', 60_000, ['share'])).toBeNull();
    expect(stale().get(copy.id)).toMatchObject({ status: 'dropped', note: expect.stringMatching(/verified copy is at this name now/) });
  });
});

describe.skipIf(motoMissing !== null)('captures that swap names after their upload, at an S3 target (moto_server)', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket('scans');
  }, 90_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('A and B swap keys; each key ends with exactly the right object, no stale copy, no dead job', async () => {
    const config = targetSchema.parse({ id: 'bucket', kind: 's3', endpoint: moto.endpoint, region: 'us-east-1', bucket: 'scans', prefix: 'swap', forcePathStyle: true, ...motoCredentials });
    const target = new S3Target({ id: 'bucket', endpoint: moto.endpoint, region: 'us-east-1', bucket: 'scans', prefix: 'swap', forcePathStyle: true, ...motoCredentials, multipartThresholdBytes: 64 * 1024 * 1024, partSizeBytes: 16 * 1024 * 1024, stationId: 'st1', library: library() });
    stops.push(() => target.destroy());
    const remote: Remote = {
      keys: async () => ((await moto.client.send(new ListObjectsV2Command({ Bucket: 'scans', Prefix: 'swap/' }))).Contents ?? []).map((o) => o.Key!).sort(),
      sha256Of: async (key) => sha256(Buffer.from(await (await moto.client.send(new GetObjectCommand({ Bucket: 'scans', Key: key }))).Body!.transformToByteArray())),
    };
    await rotateAndDrain(config, target, remote, 'swap/', ['K/img.tif', 'L/img.tif'], (n) => `st1/${n}`);
  });
});

/**
 * A capture set aside (re-shoot, rejected, failed QC for a target taking passed ones) whose old
 * copy is recorded as superseded: its job is withdrawn, and the copy goes only once its local file
 * is proven to hold the same bytes — else that copy is its only one, and it stays.
 */
describe("a set-aside capture's superseded copy", () => {
  const original = randomBytes(90_000, 51);

  /** X uploaded under K, renamed to M, its job withdrawn (`keyed`: after a lease gave it its new key). */
  async function setAsideAfterUpload(keyed: boolean) {
    const { share, config, target } = folderSetup();
    const x = fx.addCapture('x.tif', original);
    fileAs(x.id, 'K/img.tif');
    const first = start(config, target);
    first.backfill('share', null);
    await waitFor(() => jobOf(x.id).state === 'done', 'X uploaded');
    await first.stop();
    fileAs(x.id, 'M/img.tif');
    outbox().renamed(jobOf(x.id).id, 'st1/M/img.tif');
    if (keyed) fx.store.db.prepare("UPDATE upload_jobs SET remote_key = 'st1/M/img.tif' WHERE id = ?").run(jobOf(x.id).id);
    expect(outbox().withdraw(x.id, 'share', `${withdrawnPrefix}capture ${x.id} is flagged for re-shoot; it is not uploaded.`)).not.toBeNull();
    const copy = stale().remaining()[0]!;
    expect(copy).toMatchObject({ captureId: x.id, remoteKey: 'st1/K/img.tif', status: 'pending' });
    return { share, config, target, x, copy, oldKey: path.join(share, 'st1/K/img.tif') };
  }

  it('is removed once its local file is proven, also when its withdrawn job kept the key a lease gave it', async () => {
    const { config, target, copy, oldKey } = await setAsideAfterUpload(true);
    start(config, target);
    await waitFor(() => stale().get(copy.id)!.status !== 'pending', 'the copy settled');
    expect(stale().get(copy.id)).toMatchObject({ status: 'removed' });
    expect(fs.existsSync(oldKey)).toBe(false);
  });

  it('stays when a re-shoot under the same name recorded other bytes for the capture: it is the only copy of its bytes', async () => {
    const { x, copy, oldKey } = await setAsideAfterUpload(false);
    const reshot = randomBytes(90_000, 52);
    fs.writeFileSync(fx.store.captures.get(x.id)!.path, reshot);
    fx.store.db.prepare('UPDATE captures SET sha256 = ? WHERE id = ?').run(sha256(reshot), x.id);
    expect(stale().lease('me', 60_000, ['share'])).toBeNull();
    expect(stale().get(copy.id)).toMatchObject({ status: 'pending', leaseOwner: null });
    expect(sha256(fs.readFileSync(oldKey))).toBe(x.sha256);
  });

  it('stays when its local file no longer holds its bytes, though the database still says it does (hashed before removing)', async () => {
    const { config, target, x, copy, oldKey } = await setAsideAfterUpload(false);
    fs.writeFileSync(fx.store.captures.get(x.id)!.path, randomBytes(90_000, 53));
    start(config, target);
    await waitFor(() => stale().get(copy.id)!.attempts > 0, 'the removal tried');
    expect(stale().get(copy.id)).toMatchObject({ status: 'pending', lastError: expect.stringMatching(new RegExp(`capture ${x.id} has no verified copy under another name, and its local file no longer holds this copy's bytes .*: this copy is its only one, so it stays at st1/K/img.tif unless that file is restored`)) });
    expect(sha256(fs.readFileSync(oldKey))).toBe(x.sha256);
  });
});
