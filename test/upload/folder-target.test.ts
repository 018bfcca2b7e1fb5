import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetConfig, UploadSettings } from '../../src/config/schema.js';
import { FolderTarget, type FolderTargetFaults } from '../../src/upload/folder-target.js';
import { readManifest } from '../../src/upload/md5-manifest.js';
import { Outbox, type JobTransition } from '../../src/upload/outbox.js';
import { localFileOf } from '../../src/upload/source-read.js';
import { UploadError, type UploadJobInput } from '../../src/upload/target.js';
import { Uploader } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import { listFiles, makeFixture, randomBytes, settings, sha256OfFile, type Fixture } from './fixture.js';

let fx: Fixture;
let share: string;
const stops: (() => Promise<void>)[] = [];
beforeEach(() => {
  fx = makeFixture();
  share = path.join(fx.dir, 'share');
  fs.mkdirSync(share);
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  fx.close();
});

const fast: Partial<UploadSettings> = { backoff: { baseMs: 20, maxMs: 100 }, probeIntervalSec: 0.1, leaseSec: 30 };

function targetConfig(overrides: Partial<TargetConfig> = {}): TargetConfig {
  return { id: 'share', kind: 'folder', path: share, when: 'passed', required: true, layout: 'mirror', ...overrides };
}

function startUploader(opts: { faults?: FolderTargetFaults; config?: Partial<TargetConfig>; settings?: Partial<UploadSettings> } = {}) {
  const config = targetConfig(opts.config);
  const target = new FolderTarget({ id: config.id, path: config.path, layout: config.layout, ...(opts.faults ? { faults: opts.faults } : {}) });
  const transitions: JobTransition[] = [];
  const uploader = new Uploader({ db: fx.store.db, targetConfigs: [config], targets: [target], settings: settings({ ...fast, ...opts.settings }), onTransition: (t) => transitions.push(t), tickMs: 50 });
  uploader.attach(fx.store.captures);
  uploader.start();
  stops.push(() => uploader.stop());
  return { uploader, transitions, target };
}

const outbox = () => new Outbox(fx.store.db);
const jobOf = (captureId: number) => outbox().jobsOfCapture(captureId)[0]!;

function directJob(target: FolderTarget, captureId: number, jobId = 1): UploadJobInput {
  const capture = fx.store.captures.get(captureId)!;
  const signal = new AbortController().signal;
  const file = localFileOf({ captureId, sourceId: capture.sourceId, relPath: capture.relPath, path: capture.path, size: capture.size, mtimeUs: capture.mtimeUs, sha256: capture.sha256 }, async () => undefined, signal);
  return { jobId, captureId, attempts: 0, remoteKey: target.remoteKeyOf(capture), file, resume: null, saveResume: () => undefined, signal };
}

describe('folder target', () => {
  it('copies, verifies the sha256 and renames into place under a stable key, leaving no temp file', async () => {
    const bytes = randomBytes(3_500_000, 1);
    const c = fx.addCapture('day1/IMG_0001.tif', bytes);
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror' });
    const result = await target.upload(directJob(target, c.id));
    expect(result).toEqual({ remoteKey: 'cam/day1/IMG_0001.tif', verifiedSha256: c.sha256, alreadyPresent: false });
    expect(sha256OfFile(path.join(share, 'cam/day1/IMG_0001.tif'))).toBe(c.sha256);
    expect(listFiles(share)).toEqual(['cam/day1/IMG_0001.tif']);
  });

  it('acknowledges a file already there with the same sha256 without copying, and never overwrites a different one', async () => {
    const c = fx.addCapture('a.tif', randomBytes(10_000, 2));
    const d = fx.addCapture('b.tif', randomBytes(10_000, 3));
    fs.mkdirSync(path.join(share, 'cam'));
    fs.copyFileSync(c.path, path.join(share, 'cam/a.tif'));
    // as a crash between placing the file and removing its temp name leaves it
    fs.writeFileSync(path.join(share, 'cam/.a.tif.1.part'), 'leftover');
    fs.writeFileSync(path.join(share, 'cam/b.tif'), 'somebody else');
    const target = new FolderTarget({
      id: 'share',
      path: share,
      layout: 'mirror',
      faults: {
        write: () => {
          throw new Error('must not copy');
        },
      },
    });
    expect(await target.upload(directJob(target, c.id))).toMatchObject({ alreadyPresent: true, verifiedSha256: c.sha256 });
    expect(listFiles(share)).toEqual(['cam/a.tif', 'cam/b.tif']);
    const err = await target.upload(directJob(target, d.id, 2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/different file is already at .*cam\/b\.tif.*never overwrites/) });
    expect(fs.readFileSync(path.join(share, 'cam/b.tif'), 'utf8')).toBe('somebody else');
  });

  it('catches a share that alters the bytes after writing: retried, never marked done until a copy verifies', async () => {
    let corruptions = 1;
    const { transitions } = startUploader({
      faults: {
        afterWrite: (temp) => {
          if (corruptions-- <= 0) return;
          const fd = fs.openSync(temp, 'r+');
          fs.writeSync(fd, Buffer.from([0xff ^ fs.readFileSync(temp)[1000]!]), 0, 1, 1000); // one flipped byte
          fs.closeSync(fd);
          expect(outbox().jobsOfCapture(c.id)[0]?.state).toBe('leased');
        },
      },
    });
    const c = fx.addCapture('a.tif', randomBytes(200_000, 4));
    await waitFor(() => jobOf(c.id).state === 'done', 'the job done');
    const retry = transitions.find((t) => t.type === 'retry');
    expect(retry?.error).toMatch(/Verification failed at target "share".*changed the bytes/);
    expect(transitions.filter((t) => t.captureId === c.id).map((t) => t.type)).toEqual(['queued', 'leased', 'retry', 'leased', 'done']);
    expect(jobOf(c.id)).toMatchObject({ attempts: 1, verifiedSha256: c.sha256 });
    expect(sha256OfFile(path.join(share, 'cam/a.tif'))).toBe(c.sha256);
    expect(listFiles(share)).toEqual(['cam/a.tif']);
  });

  it('sends a job that never verifies to the dead letter, with no file left at the target', async () => {
    startUploader({ settings: { maxAttempts: 3 }, faults: { afterWrite: (temp) => fs.appendFileSync(temp, 'x') } });
    const c = fx.addCapture('a.tif', randomBytes(50_000, 5));
    await waitFor(() => jobOf(c.id).state === 'dead', 'the job dead');
    expect(jobOf(c.id)).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/Verification failed.*gave up after 3 attempts/) });
    expect(listFiles(share)).toEqual([]);
    expect(fx.eventTypes(c.id).filter((t) => t.startsWith('upload.'))).not.toContain('upload.done');
  });

  it('reports a full disk clearly and succeeds on a later retry', async () => {
    let full = 2;
    const { transitions } = startUploader({
      faults: {
        write: async (handle, chunk) => {
          if (full > 0) {
            full--;
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          await handle.write(chunk);
        },
      },
    });
    const c = fx.addCapture('a.tif', randomBytes(100_000, 6));
    await waitFor(() => jobOf(c.id).state === 'done', 'the job done');
    const retries = transitions.filter((t) => t.type === 'retry');
    expect(retries).toHaveLength(2);
    expect(retries[0]?.error).toMatch(/Target "share" is full: no space left at .*share \(ENOSPC\)\. Free space there; the upload is retried/);
    expect(jobOf(c.id).attempts).toBe(2);
    expect(sha256OfFile(path.join(share, 'cam/a.tif'))).toBe(c.sha256);
    expect(listFiles(share)).toEqual(['cam/a.tif']);
  });

  it('lets jobs wait without spending attempts while the share is missing, and drains oldest first when it appears', async () => {
    fs.rmSync(share, { recursive: true });
    const { uploader, transitions } = startUploader();
    const captures = [0, 1, 2, 3].map((i) => fx.addCapture(`IMG_${i}.tif`, randomBytes(20_000, 10 + i)));
    await waitFor(() => uploader.status().targets[0]?.online === false, 'the target seen offline');
    // several probe rounds pass, nothing is leased or attempted
    const probedAt = uploader.status().targets[0]?.lastProbeAt;
    await waitFor(() => uploader.status().targets[0]?.lastProbeAt !== probedAt, 'another probe');
    expect(uploader.status().targets[0]).toMatchObject({ online: false, counts: { queued: 4, leased: 0, done: 0, dead: 0 }, lastProbeError: expect.stringMatching(/does not exist/) });
    expect(transitions.filter((t) => t.type !== 'queued')).toEqual([]);
    fs.mkdirSync(share);
    await waitFor(() => captures.every((c) => jobOf(c.id).state === 'done'), 'the backlog drained');
    expect(captures.map((c) => jobOf(c.id).attempts)).toEqual([0, 0, 0, 0]);
    const leasedOrder = transitions.filter((t) => t.type === 'leased').map((t) => t.captureId);
    expect(leasedOrder).toEqual(captures.map((c) => c.id));
    for (const c of captures) expect(sha256OfFile(path.join(share, 'cam', c.relPath))).toBe(c.sha256);
    expect(uploader.status().targets[0]).toMatchObject({ online: true, counts: { done: 4 }, bytesPending: 0, etaSec: 0 });
  });

  it('dead-letters a local file changed or removed after QC, naming it, and never uploads its bytes', async () => {
    fs.rmSync(share, { recursive: true });
    const { uploader } = startUploader();
    const mtimeSec = 1_760_000_000;
    const changed = fx.addCapture('changed.tif', randomBytes(30_000, 20), { mtimeSec });
    const removed = fx.addCapture('removed.tif', randomBytes(30_000, 21), { mtimeSec });
    const kept = fx.addCapture('kept.tif', randomBytes(30_000, 22));
    await waitFor(() => uploader.status().targets[0]?.online === false, 'the target seen offline');
    const fd = fs.openSync(changed.path, 'r+');
    fs.writeSync(fd, Buffer.from('retouched'), 0, 9, 100); // same size, new bytes
    fs.closeSync(fd);
    fs.utimesSync(changed.path, mtimeSec, mtimeSec); // even with the old mtime, the hash tells
    fs.rmSync(removed.path);
    fs.mkdirSync(share);
    await waitFor(() => [changed, removed, kept].every((c) => ['done', 'dead'].includes(jobOf(c.id).state)), 'all jobs settled');
    expect(jobOf(changed.id)).toMatchObject({ state: 'dead', attempts: 1, lastError: expect.stringContaining(`The local file ${changed.path}`) });
    expect(jobOf(changed.id).lastError).toMatch(/sha256 .* not the 30000 bytes with sha256/);
    expect(jobOf(removed.id)).toMatchObject({ state: 'dead', lastError: expect.stringMatching(/removed\.tif is no longer there/) });
    expect(jobOf(kept.id).state).toBe('done');
    expect(listFiles(share)).toEqual(['cam/kept.tif']);
    // the operator restores the file and retries: it goes through
    fs.writeFileSync(removed.path, randomBytes(30_000, 21));
    fs.utimesSync(removed.path, mtimeSec, mtimeSec);
    expect(uploader.retryDead({ jobId: jobOf(removed.id).id })).toHaveLength(1);
    await waitFor(() => jobOf(removed.id).state === 'done', 'the restored file uploaded');
    expect(sha256OfFile(path.join(share, 'cam/removed.tif'))).toBe(removed.sha256);
  });

  it('writes the Osprey layout: tif/raw subfolders and a checksums.md5 per folder', async () => {
    startUploader({ config: { layout: 'osprey' } });
    const tif = fx.addCapture('box1/IMG_1.tif', randomBytes(40_000, 30));
    const raw = fx.addCapture('box1/IMG_1.CR2', randomBytes(40_000, 31));
    const tif2 = fx.addCapture('box1/IMG_2.tif', randomBytes(40_000, 32));
    await waitFor(() => [tif, raw, tif2].every((c) => jobOf(c.id).state === 'done'), 'all done');
    expect(listFiles(share)).toEqual(['cam/box1/raw/IMG_1.CR2', 'cam/box1/raw/checksums.md5', 'cam/box1/tif/IMG_1.tif', 'cam/box1/tif/IMG_2.tif', 'cam/box1/tif/checksums.md5']);
    const md5 = (f: string) => createHash('md5').update(fs.readFileSync(f)).digest('hex');
    const tifManifest = await readManifest(path.join(share, 'cam/box1/tif/checksums.md5'));
    expect(Object.fromEntries(tifManifest)).toEqual({ 'IMG_1.tif': md5(tif.path), 'IMG_2.tif': md5(tif2.path) });
    expect(fs.readFileSync(path.join(share, 'cam/box1/raw/checksums.md5'), 'utf8')).toBe(`${md5(raw.path)}  IMG_1.CR2\n`);
    expect(jobOf(raw.id).remoteKey).toBe('cam/box1/raw/IMG_1.CR2');
  });

  it('stops promptly in the middle of a throttled upload, gives the job back and leaves no temp file', async () => {
    const { uploader, transitions } = startUploader({ settings: { bandwidthBytesPerSec: 100_000 } });
    const c = fx.addCapture('big.tif', randomBytes(5_000_000, 40));
    await waitFor(() => listFiles(share).some((f) => f.endsWith(`.big.tif.${jobOf(c.id).id}.part`)), 'the upload under way (its temp file exists)');
    expect(jobOf(c.id).state).toBe('leased');
    await uploader.stop();
    expect(jobOf(c.id)).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null });
    expect(transitions.at(-1)).toMatchObject({ type: 'released', to: 'queued' });
    expect(listFiles(share)).toEqual([]);
  });
});
