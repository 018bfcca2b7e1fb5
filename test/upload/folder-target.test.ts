import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetConfig, UploadSettings } from '../../src/config/schema.js';
import { FolderTarget, type FolderTargetFaults } from '../../src/upload/folder-target.js';
import { classifyFsError, targetMarkerName } from '../../src/upload/fs-errors.js';
import { readManifest } from '../../src/upload/md5-manifest.js';
import { Outbox, type JobTransition } from '../../src/upload/outbox.js';
import { localFileOf } from '../../src/upload/source-read.js';
import { mirrorKey, versioned } from '../../src/upload/remote-key.js';
import { UploadError, type UploadJobInput, type UploadTarget } from '../../src/upload/target.js';
import { Uploader, type UploaderOptions } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import { listFiles, makeFixture, randomBytes, settings, sha256OfFile, type Fixture } from './fixture.js';

let fx: Fixture;
let share: string;
const stops: (() => Promise<void>)[] = [];
beforeEach(() => {
  fx = makeFixture();
  share = path.join(fx.dir, 'share');
  makeShare();
});

/** The share folder as an operator sets up a local target: with its marker file (see mountCheck). */
function makeShare(): void {
  fs.mkdirSync(share);
  fs.writeFileSync(path.join(share, targetMarkerName), '');
}
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  fx.close();
});

const fast: Partial<UploadSettings> = { backoff: { baseMs: 20, maxMs: 100 }, probeIntervalSec: 0.1, leaseSec: 30 };

type FolderConfig = Extract<TargetConfig, { kind: 'folder' }>;

function targetConfig(overrides: Partial<FolderConfig> = {}): FolderConfig {
  return { id: 'share', kind: 'folder', path: share, when: 'passed', required: true, layout: 'mirror', mountCheck: true, ...overrides };
}

function startUploader(opts: { faults?: FolderTargetFaults; config?: Partial<FolderConfig>; settings?: Partial<UploadSettings>; uploader?: Partial<UploaderOptions> } = {}) {
  const config = targetConfig(opts.config);
  const target = new FolderTarget({ id: config.id, path: config.path, layout: config.layout, stationId: 'st1', mountCheck: config.mountCheck, ...(opts.faults ? { faults: opts.faults } : {}) });
  const transitions: JobTransition[] = [];
  const uploader = new Uploader({ db: fx.store.db, targetConfigs: [config], targets: [target], settings: settings({ ...fast, ...opts.settings }), onTransition: (t) => transitions.push(t), tickMs: 50, ...opts.uploader });
  uploader.attach(fx.store.captures);
  uploader.start();
  stops.push(() => uploader.stop());
  return { uploader, transitions, target };
}

const outbox = () => new Outbox(fx.store.db);
const jobOf = (captureId: number) => outbox().jobsOfCapture(captureId)[0]!;

let attemptSeq = 0;
function directJob(target: FolderTarget, captureId: number, jobId = 1): UploadJobInput {
  const capture = fx.store.captures.get(captureId)!;
  const signal = new AbortController().signal;
  const file = localFileOf({ captureId, sourceId: capture.sourceId, relPath: capture.relPath, version: capture.version, path: capture.path, size: capture.size, mtimeUs: capture.mtimeUs, sha256: capture.sha256 }, async () => undefined, signal);
  return { jobId, captureId, attempts: 0, remoteKey: target.remoteKeyOf(capture), attemptTag: `t${jobId}-${++attemptSeq}`, previouslyStarted: true, file, resume: null, saveResume: () => undefined, signal };
}

describe('folder target', () => {
  it('copies, verifies the sha256 and renames into place under a stable key, leaving no temp file', async () => {
    const bytes = randomBytes(3_500_000, 1);
    const c = fx.addCapture('day1/IMG_0001.tif', bytes);
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1' });
    const result = await target.upload(directJob(target, c.id));
    expect(result).toEqual({ remoteKey: 'st1/cam/day1/IMG_0001.tif', verifiedSha256: c.sha256, alreadyPresent: false });
    expect(sha256OfFile(path.join(share, 'st1/cam/day1/IMG_0001.tif'))).toBe(c.sha256);
    expect(listFiles(share)).toEqual(['st1/cam/day1/IMG_0001.tif']);
  });

  it('acknowledges a file already there with the same sha256 without copying, and never overwrites a different one', async () => {
    const c = fx.addCapture('a.tif', randomBytes(10_000, 2));
    const d = fx.addCapture('b.tif', randomBytes(10_000, 3));
    fs.mkdirSync(path.join(share, 'st1/cam'), { recursive: true });
    fs.copyFileSync(c.path, path.join(share, 'st1/cam/a.tif'));
    // as a crash between placing the file and removing its temp name leaves it
    fs.writeFileSync(path.join(share, 'st1/cam/.a.tif.1.c0ffee00-7.part'), 'leftover');
    fs.writeFileSync(path.join(share, 'st1/cam/b.tif'), 'somebody else');
    const target = new FolderTarget({
      id: 'share',
      path: share,
      layout: 'mirror',
      stationId: 'st1',
      faults: {
        write: () => {
          throw new Error('must not copy');
        },
      },
    });
    expect(await target.upload(directJob(target, c.id))).toMatchObject({ alreadyPresent: true, verifiedSha256: c.sha256 });
    expect(listFiles(share)).toEqual(['st1/cam/a.tif', 'st1/cam/b.tif']);
    const err = await target.upload(directJob(target, d.id, 2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/different file is already at .*cam\/b\.tif.*never overwrites/) });
    expect(fs.readFileSync(path.join(share, 'st1/cam/b.tif'), 'utf8')).toBe('somebody else');
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
    expect(sha256OfFile(path.join(share, 'st1/cam/a.tif'))).toBe(c.sha256);
    expect(listFiles(share)).toEqual(['st1/cam/a.tif']);
  });

  it('sends a job that never verifies to the dead letter, with no file left at the target', async () => {
    startUploader({ settings: { maxAttempts: 3 }, faults: { afterWrite: (temp) => fs.appendFileSync(temp, 'x') } });
    const c = fx.addCapture('a.tif', randomBytes(50_000, 5));
    await waitFor(() => jobOf(c.id).state === 'dead', 'the job dead');
    expect(jobOf(c.id)).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/Verification failed.*gave up after 3 attempts/) });
    expect(listFiles(share)).toEqual([]);
    expect(fx.eventTypes(c.id).filter((t) => t.startsWith('upload.'))).not.toContain('upload.done');
  });

  it('pauses a full target without spending attempts, says how much is free, and resumes by itself when space is freed', async () => {
    let free = 0; // what the share reports free
    const { uploader, transitions } = startUploader({
      // one attempt only: a full target that counted attempts would send the job to the dead letter
      settings: { maxAttempts: 1 },
      faults: {
        freeBytes: async () => free,
        write: async (handle, chunk) => {
          if (free === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          await handle.write(chunk);
        },
      },
    });
    const c = fx.addCapture('a.tif', randomBytes(100_000, 6));
    await waitFor(() => transitions.some((t) => t.type === 'released'), 'the job given back');
    const probedAt = uploader.status().targets[0]?.lastProbeAt;
    await waitFor(() => uploader.status().targets[0]?.lastProbeAt !== probedAt, 'another probe');
    expect(uploader.status().targets[0]).toMatchObject({
      online: false,
      counts: { queued: 1, leased: 0, dead: 0 },
      lastProbeError: expect.stringMatching(/^Target "share" is full \(0 B free at .*share\) — free space there; uploads resume by themselves\.$/),
    });
    expect(transitions.find((t) => t.type === 'released')).toBeDefined();
    expect(jobOf(c.id).attempts).toBe(0);
    free = 50e9;
    await waitFor(() => jobOf(c.id).state === 'done', 'the job done');
    expect(jobOf(c.id).attempts).toBe(0);
    expect(transitions.filter((t) => t.type === 'retry' || t.type === 'dead')).toEqual([]);
    expect(sha256OfFile(path.join(share, 'st1/cam/a.tif'))).toBe(c.sha256);
    expect(listFiles(share)).toEqual(['st1/cam/a.tif']);
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
    makeShare();
    await waitFor(() => captures.every((c) => jobOf(c.id).state === 'done'), 'the backlog drained');
    expect(captures.map((c) => jobOf(c.id).attempts)).toEqual([0, 0, 0, 0]);
    const leasedOrder = transitions.filter((t) => t.type === 'leased').map((t) => t.captureId);
    expect(leasedOrder).toEqual(captures.map((c) => c.id));
    for (const c of captures) expect(sha256OfFile(path.join(share, 'st1/cam', c.relPath))).toBe(c.sha256);
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
    makeShare();
    await waitFor(() => [changed, removed, kept].every((c) => ['done', 'dead'].includes(jobOf(c.id).state)), 'all jobs settled');
    expect(jobOf(changed.id)).toMatchObject({ state: 'dead', attempts: 1, lastError: expect.stringContaining(`The local file ${changed.path}`) });
    expect(jobOf(changed.id).lastError).toMatch(/sha256 .* not the 30000 bytes with sha256/);
    expect(jobOf(removed.id)).toMatchObject({ state: 'dead', lastError: expect.stringMatching(/removed\.tif is no longer there/) });
    expect(jobOf(kept.id).state).toBe('done');
    expect(listFiles(share)).toEqual(['st1/cam/kept.tif']);
    // the operator restores the file and retries: it goes through
    fs.writeFileSync(removed.path, randomBytes(30_000, 21));
    fs.utimesSync(removed.path, mtimeSec, mtimeSec);
    expect(uploader.retryDead({ jobId: jobOf(removed.id).id })).toHaveLength(1);
    await waitFor(() => jobOf(removed.id).state === 'done', 'the restored file uploaded');
    expect(sha256OfFile(path.join(share, 'st1/cam/removed.tif'))).toBe(removed.sha256);
  });

  it('uploads a file whose mtime a FAT/exFAT library rounded (same bytes), and still refuses one changed in that window', async () => {
    fs.rmSync(share, { recursive: true });
    const { uploader } = startUploader();
    const mtimeSec = 1_760_000_000.37;
    const rounded = fx.addCapture('rounded.tif', randomBytes(30_000, 30), { mtimeSec });
    const retouched = fx.addCapture('retouched.tif', randomBytes(30_000, 31), { mtimeSec });
    await waitFor(() => uploader.status().targets[0]?.online === false, 'the target seen offline');
    // FAT keeps mtimes in 2 s steps: the filed file's mtime moved, its bytes did not.
    fs.utimesSync(rounded.path, 1_760_000_000, 1_760_000_000);
    const fd = fs.openSync(retouched.path, 'r+');
    fs.writeSync(fd, Buffer.from('retouched'), 0, 9, 100);
    fs.closeSync(fd);
    fs.utimesSync(retouched.path, 1_760_000_001, 1_760_000_001);
    makeShare();
    await waitFor(() => [rounded, retouched].every((c) => ['done', 'dead'].includes(jobOf(c.id).state)), 'both jobs settled');
    expect(jobOf(rounded.id).state).toBe('done');
    expect(sha256OfFile(path.join(share, 'st1/cam/rounded.tif'))).toBe(rounded.sha256);
    expect(jobOf(retouched.id)).toMatchObject({ state: 'dead', lastError: expect.stringMatching(/sha256 .* not the 30000 bytes with sha256/) });
    expect(listFiles(share)).toEqual(['st1/cam/rounded.tif']);
  });

  it('dead-letters a local file rewritten during its upload (same size, old mtime): the read-back tells, and no file is left at the target', async () => {
    const mtimeSec = 1_760_000_000;
    let rewritten = false;
    startUploader({
      settings: { maxAttempts: 5 },
      faults: {
        write: async (handle, chunk) => {
          if (!rewritten) {
            // while the first 1 MiB chunk is written, the rest of the file is still to be read
            rewritten = true;
            const fd = fs.openSync(c.path, 'r+');
            fs.writeSync(fd, Buffer.from('retouched'), 0, 9, 3_000_000);
            fs.closeSync(fd);
            fs.utimesSync(c.path, mtimeSec, mtimeSec);
          }
          await handle.write(chunk);
        },
      },
    });
    const c = fx.addCapture('a.tif', randomBytes(3_500_000, 23), { mtimeSec });
    await waitFor(() => jobOf(c.id).state === 'dead', 'the job dead');
    expect(rewritten).toBe(true);
    expect(jobOf(c.id)).toMatchObject({ attempts: 1, lastError: expect.stringContaining(`The local file ${c.path} now has 3500000 bytes with sha256 `) });
    expect(jobOf(c.id).lastError).toMatch(/not the 3500000 bytes with sha256 [0-9a-f]{64} that QC checked\. Only the bytes QC checked are uploaded/);
    expect(listFiles(share)).toEqual([]);
  });

  it('writes the Osprey layout: tif/raw subfolders and a checksums.md5 per folder', async () => {
    startUploader({ config: { layout: 'osprey' } });
    const tif = fx.addCapture('box1/IMG_1.tif', randomBytes(40_000, 30));
    const raw = fx.addCapture('box1/IMG_1.CR2', randomBytes(40_000, 31));
    const tif2 = fx.addCapture('box1/IMG_2.tif', randomBytes(40_000, 32));
    await waitFor(() => [tif, raw, tif2].every((c) => jobOf(c.id).state === 'done'), 'all done');
    expect(listFiles(share)).toEqual(['st1/cam/box1/raw/IMG_1.CR2', 'st1/cam/box1/raw/checksums.md5', 'st1/cam/box1/tif/IMG_1.tif', 'st1/cam/box1/tif/IMG_2.tif', 'st1/cam/box1/tif/checksums.md5']);
    const md5 = (f: string) => createHash('md5').update(fs.readFileSync(f)).digest('hex');
    const tifManifest = await readManifest(path.join(share, 'st1/cam/box1/tif/checksums.md5'));
    expect(Object.fromEntries(tifManifest)).toEqual({ 'IMG_1.tif': md5(tif.path), 'IMG_2.tif': md5(tif2.path) });
    expect(fs.readFileSync(path.join(share, 'st1/cam/box1/raw/checksums.md5'), 'utf8')).toBe(`${md5(raw.path)}  IMG_1.CR2\n`);
    expect(jobOf(raw.id).remoteKey).toBe('st1/cam/box1/raw/IMG_1.CR2');
  });

  it('stops promptly in the middle of a throttled upload, gives the job back and leaves no temp file', async () => {
    const { uploader, transitions } = startUploader({ settings: { bandwidthBytesPerSec: 100_000 } });
    const c = fx.addCapture('big.tif', randomBytes(5_000_000, 40));
    await waitFor(() => listFiles(share).some((f) => f.startsWith(`st1/cam/.big.tif.${jobOf(c.id).id}.`) && f.endsWith('.part')), 'the upload under way (its temp file exists)');
    expect(jobOf(c.id).state).toBe('leased');
    await uploader.stop();
    expect(jobOf(c.id)).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null });
    expect(transitions.at(-1)).toMatchObject({ type: 'released', to: 'queued' });
    expect(listFiles(share)).toEqual([]);
  });
});

describe('remote keys at a folder target', () => {
  it('uploads a re-shot file (version 2 under the same name) next to the first one instead of conflicting', async () => {
    startUploader();
    const first = fx.addCapture('day1/IMG_0001.tif', randomBytes(30_000, 50));
    await waitFor(() => jobOf(first.id).state === 'done', 'the first shot uploaded');
    const reshot = fx.addCapture('day1/IMG_0001.tif', randomBytes(31_000, 51)); // rewritten in the hot folder
    expect(reshot.version).toBe(2);
    await waitFor(() => ['done', 'dead'].includes(jobOf(reshot.id).state), 'the re-shot file settled');
    expect(jobOf(reshot.id)).toMatchObject({ state: 'done', remoteKey: 'st1/cam/day1/IMG_0001__v2.tif', attempts: 0 });
    expect(listFiles(share)).toEqual(['st1/cam/day1/IMG_0001.tif', 'st1/cam/day1/IMG_0001__v2.tif']);
    expect(sha256OfFile(path.join(share, 'st1/cam/day1/IMG_0001__v2.tif'))).toBe(reshot.sha256);
    expect(sha256OfFile(path.join(share, 'st1/cam/day1/IMG_0001.tif'))).toBe(first.sha256);
  });

  it('keeps two stations with the same source id and camera names apart on one share', async () => {
    const c = fx.addCapture('IMG_0001.tif', randomBytes(20_000, 52));
    const a = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'rig-a' });
    const b = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'rig-b' });
    expect(await a.upload(directJob(a, c.id))).toMatchObject({ remoteKey: 'rig-a/cam/IMG_0001.tif', alreadyPresent: false });
    expect(await b.upload(directJob(b, c.id))).toMatchObject({ remoteKey: 'rig-b/cam/IMG_0001.tif', alreadyPresent: false });
    expect(listFiles(share)).toEqual(['rig-a/cam/IMG_0001.tif', 'rig-b/cam/IMG_0001.tif']);
  });

  it("never truncates a file already at its temp name, and refuses to acknowledge a final file replaced by another writer", async () => {
    const c = fx.addCapture('a.tif', randomBytes(20_000, 53));
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1' });
    const job = directJob(target, c.id, 7);
    fs.mkdirSync(path.join(share, 'st1/cam'), { recursive: true });
    const taken = FolderTarget.tempNameOf(path.join(share, 'st1/cam/a.tif'), 7, job.attemptTag);
    fs.writeFileSync(taken, 'another writer is using this name');
    await expect(target.upload(job)).rejects.toMatchObject({ kind: 'transient' });
    expect(fs.readFileSync(taken, 'utf8')).toBe('another writer is using this name');
    fs.rmSync(taken);

    // Between placing the verified copy and acknowledging it, a second station overwrites the file.
    const racing = new FolderTarget({
      id: 'share',
      path: share,
      layout: 'mirror',
      stationId: 'st1',
      faults: {
        afterPlace: (finalPath) => {
          fs.rmSync(finalPath);
          fs.writeFileSync(finalPath, 'station B bytes');
        },
      },
    });
    const err = await racing.upload(directJob(racing, c.id, 8)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/different file is already at .*st1\/cam\/a\.tif/) });
    expect(listFiles(share)).toEqual(['st1/cam/a.tif']);
  });

  it('refuses absolute and climbing paths with a permanent error that says what to do', () => {
    const key = (relPath: string) => () => mirrorKey('st1', { sourceId: 'cam', relPath, version: 1 });
    for (const bad of ['/etc/passwd', '\\\\server\\x.tif', 'C:/x.tif', '../x.tif', 'a/../../x.tif', '']) {
      expect(key(bad), bad).toThrow(UploadError);
      try {
        key(bad)();
      } catch (err) {
        expect(err).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/Move the file to a plain sub-folder of the hot folder/) });
      }
    }
    expect(key('a//./b.tif')()).toBe('st1/cam/a/b.tif');
    expect(versioned('a/IMG.tif', 3)).toBe('a/IMG__v3.tif');
    expect(versioned('README', 2)).toBe('README__v2');
    expect(versioned('a/IMG.tif', 1)).toBe('a/IMG.tif');
  });

  it('dead-letters at once, with a clear message, a file standing where the key needs a folder', async () => {
    fs.mkdirSync(path.join(share, 'st1/cam'), { recursive: true });
    fs.writeFileSync(path.join(share, 'st1/cam/day1'), 'a file, not a folder');
    startUploader();
    const c = fx.addCapture('day1/IMG_1.tif', randomBytes(10_000, 54));
    await waitFor(() => jobOf(c.id).state === 'dead', 'the job dead');
    // The file in the way is named, not the whole destination path below it.
    expect(jobOf(c.id)).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/: \S+\/st1\/cam\/day1 is a file where a folder is needed \(ENOTDIR\)\. Move or rename that file at the target/) });
  });
});

describe('folder target durability and mount check', () => {
  it('fsyncs the parent of every folder it creates, from the existing ancestor down', async () => {
    const synced: string[] = [];
    const c = fx.addCapture('day1/box/IMG_1.tif', randomBytes(10_000, 55));
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1', faults: { fsyncDir: async (d) => void synced.push(path.relative(share, d) || '.') } });
    await target.upload(directJob(target, c.id));
    // every new folder's entry (st1, cam, day1, box) made durable in its parent, then the file's own folder
    expect(synced).toEqual(['.', 'st1', 'st1/cam', 'st1/cam/day1', 'st1/cam/day1/box']);
    synced.length = 0;
    const d = fx.addCapture('day1/box/IMG_2.tif', randomBytes(10_000, 56));
    await target.upload(directJob(target, d.id, 2));
    expect(synced).toEqual(['st1/cam/day1/box']);
  });

  it('flushes the temp file while writing it; a failed flush fails the attempt, leaving no file, even if the final fsync succeeds', async () => {
    const c = fx.addCapture('big.tif', randomBytes(10_000_000, 59));
    const flushedAt: number[] = [];
    let fail = true;
    const target = new FolderTarget({
      id: 'share',
      path: share,
      layout: 'mirror',
      stationId: 'st1',
      flushEveryBytes: 1024 * 1024,
      faults: {
        flush: async (handle) => {
          flushedAt.push((await handle.stat()).size);
          if (fail) throw Object.assign(new Error('write-back failed'), { code: 'EFAKE' });
          await handle.datasync();
        },
      },
    });
    const err = await target.upload(directJob(target, c.id)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', message: expect.stringMatching(/write-back failed/) });
    expect(listFiles(share)).toEqual([]);
    // the flush ran while the file was still being written
    expect(flushedAt[0]).toBeGreaterThan(0);
    expect(flushedAt[0]).toBeLessThan(c.size);

    fail = false;
    flushedAt.length = 0;
    expect(await target.upload(directJob(target, c.id, 2))).toMatchObject({ alreadyPresent: false, verifiedSha256: c.sha256 });
    expect(flushedAt.length).toBeGreaterThan(0);
    expect(listFiles(share)).toEqual(['st1/cam/big.tif']);
    expect(sha256OfFile(path.join(share, 'st1/cam/big.tif'))).toBe(c.sha256);
  });

  it('treats an empty local folder (an unmounted share) as offline until it is a mount point or marked, and says what to do', async () => {
    fs.rmSync(path.join(share, targetMarkerName));
    const { uploader } = startUploader();
    const c = fx.addCapture('a.tif', randomBytes(10_000, 57));
    await waitFor(() => uploader.status().targets[0]?.online === false, 'the target seen offline');
    expect(uploader.status().targets[0]?.lastProbeError).toMatch(/same disk as .* holds no \.capture-station-target file.*Mount the share there; if this folder itself is meant to be the target .*create an empty file named \.capture-station-target in it, or set "mountCheck: false"/);
    expect(jobOf(c.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(listFiles(share)).toEqual([]);
    fs.writeFileSync(path.join(share, targetMarkerName), '');
    await waitFor(() => jobOf(c.id).state === 'done', 'uploaded once the folder is marked');
  });

  it('writes into an unmarked local folder when mountCheck is off', async () => {
    fs.rmSync(path.join(share, targetMarkerName));
    startUploader({ config: { mountCheck: false } });
    const c = fx.addCapture('a.tif', randomBytes(10_000, 58));
    await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
  });
});

describe('the runner under target faults', () => {
  it('counts an "offline" error as an attempt when the target answers its probe right after, and does not block the queue', async () => {
    const { transitions } = startUploader({
      settings: { maxAttempts: 3 },
      faults: {
        write: async (handle, chunk) => {
          if (chunk.length === 40_000) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
          await handle.write(chunk);
        },
      },
    });
    const bad = fx.addCapture('bad.tif', randomBytes(40_000, 60));
    const good = fx.addCapture('good.tif', randomBytes(41_000, 61));
    await waitFor(() => jobOf(bad.id).state === 'dead', 'the failing job dead');
    await waitFor(() => jobOf(good.id).state === 'done', 'the job behind it done');
    expect(jobOf(bad.id)).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/EIO.*answered its probe right after, so this counts as a failed attempt.*gave up after 3 attempts/) });
    expect(transitions.filter((t) => t.captureId === bad.id && t.type === 'retry')).toHaveLength(2);
  });

  it('keeps at most one probe call per target outstanding while a probe hangs', async () => {
    let calls = 0;
    let answer: () => void = () => undefined;
    const hung: UploadTarget = {
      id: 'hung',
      kind: 'folder',
      remoteKeyOf: () => 'k',
      probe: () => {
        calls++;
        return calls === 1 ? new Promise<void>((resolve) => (answer = resolve)) : Promise.resolve();
      },
      upload: () => Promise.reject(new Error('not used')),
      confirm: () => Promise.reject(new Error('not used')),
    };
    const config = targetConfig({ id: 'hung' });
    const uploader = new Uploader({ db: fx.store.db, targetConfigs: [config], targets: [hung], settings: settings({ ...fast, probeIntervalSec: 0.1 }), tickMs: 50, probeTimeoutMs: 100 });
    uploader.start();
    stops.push(() => uploader.stop());
    await waitFor(() => /did not answer within 0\.1 s/.test(uploader.status().targets[0]?.lastProbeError ?? ''), 'the probe timed out');
    // many probe intervals pass while the first call is still blocked: no second call is made
    const seen = uploader.status().targets[0]?.lastProbeAt;
    await new Promise((r) => setTimeout(r, 1000));
    expect(calls).toBe(1);
    expect(uploader.status().targets[0]?.lastProbeAt).toBe(seen);
    answer(); // the hung stat returns at last: its answer counts, and probing resumes
    await waitFor(() => uploader.status().targets[0]?.online === true, 'the target online');
    await waitFor(() => calls > 1, 'the next probe');
  });

  it('stops within its bounded wait when an upload hangs in a call that ignores the abort, leaving the lease', async () => {
    let release: () => void = () => undefined;
    const hang = new Promise<void>((resolve) => (release = resolve));
    let writing = false;
    const { uploader } = startUploader({
      uploader: { stopTimeoutMs: 300 },
      faults: {
        write: async (handle, chunk) => {
          writing = true;
          await hang; // a write blocked on a hung share: the abort signal cannot reach it
          await handle.write(chunk);
        },
      },
    });
    const c = fx.addCapture('a.tif', randomBytes(10_000, 62));
    await waitFor(() => writing, 'the upload blocked');
    const stopped = await Promise.race([uploader.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 20_000))]);
    expect(stopped).toBe('stopped');
    expect(jobOf(c.id)).toMatchObject({ state: 'leased', leaseOwner: uploader.owner, attempts: 0 });
    release();
    await new Promise((r) => setTimeout(r, 200));
    // the late finish changed nothing: the next start reclaims the lease of this (then gone) process
    expect(jobOf(c.id)).toMatchObject({ state: 'leased', leaseOwner: uploader.owner, attempts: 0 });
  });

  it('wakes for a retry at its due time without polling', async () => {
    let corruptions = 1;
    startUploader({
      uploader: { tickMs: 3_600_000 },
      faults: {
        afterWrite: (temp) => {
          if (corruptions-- > 0) fs.appendFileSync(temp, 'x');
        },
      },
    });
    const c = fx.addCapture('a.tif', randomBytes(10_000, 63));
    await waitFor(() => jobOf(c.id).state === 'done', 'the retried job done');
    expect(jobOf(c.id).attempts).toBe(1);
  });
});

describe('file-system errors at a folder target', () => {
  it('pauses the target only when its root refuses writes; a refusal deeper down is an attempt of that job', async () => {
    const eacces = Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
    const err = await classifyFsError(eacces, 'share', share, { mountCheck: true });
    expect(err).toMatchObject({ kind: 'transient', message: expect.stringMatching(/not allowed to write under .*share \(EACCES.*Check the permissions of the folders there/) });
    const full = await classifyFsError(Object.assign(new Error('ENOSPC'), { code: 'EDQUOT' }), 'share', share, { mountCheck: true, freeBytes: async () => 2.5e9 });
    expect(full).toMatchObject({ kind: 'paused', message: expect.stringMatching(/^Target "share" is full \(2\.5 GB free at .*share\) \(the station user's disk quota there is used up\) — free space there; uploads resume by themselves\.$/) });
    // A small share (a 2 MB tmpfs) in the unit it has, not "0.0 GB".
    const small = await classifyFsError(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }), 'share', share, { mountCheck: true, freeBytes: async () => 2e6 });
    expect(small.message).toMatch(/^Target "share" is full \(2\.0 MB free at /);
    const gone = await classifyFsError(Object.assign(new Error('ESTALE'), { code: 'ESTALE' }), 'share', share, { mountCheck: true });
    expect(gone).toMatchObject({ kind: 'offline' });
  });
});

describe('copying with cp when no bandwidth cap applies', () => {
  /** A direct job whose local file is read with no cap (so copyInto may use cp) and must never be read here. */
  function uncappedJob(target: FolderTarget, captureId: number, signal = new AbortController().signal): UploadJobInput {
    const job = directJob(target, captureId);
    const uncapped = localFileOf({ ...job.file }, async () => undefined, signal, { capped: false });
    const file = { ...uncapped, read: () => { throw new Error('the file was read, not copied by cp'); } };
    return { ...job, file, signal };
  }

  it('copies with cp, verified by the read-back, and the copy keeps the mode the station created it with, not the local file’s', async () => {
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1' });
    const c = fx.addCapture('a.tif', randomBytes(3_000_000, 60));
    fs.chmodSync(c.path, 0o400);
    const result = await target.upload(uncappedJob(target, c.id));
    expect(result).toMatchObject({ verifiedSha256: c.sha256, alreadyPresent: false });
    const placed = path.join(share, result.remoteKey);
    expect(sha256OfFile(placed)).toBe(c.sha256);
    const umask = process.umask();
    expect(fs.statSync(placed).mode & 0o777).toBe(0o666 & ~umask);
    expect(listFiles(share)).toEqual([result.remoteKey]);
  });

  it('dead-letters a local file rewritten after QC (same size, old mtime) that cp copied: the read-back tells', async () => {
    const mtimeSec = 1_760_000_000;
    const c = fx.addCapture('a.tif', randomBytes(2_000_000, 61), { mtimeSec });
    const fd = fs.openSync(c.path, 'r+');
    fs.writeSync(fd, Buffer.from('retouched'), 0, 9, 1_000_000);
    fs.closeSync(fd);
    fs.utimesSync(c.path, mtimeSec, mtimeSec);
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1' });
    const err = await target.upload(uncappedJob(target, c.id)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ kind: 'permanent', message: expect.stringContaining(`The local file ${c.path} now has 2000000 bytes with sha256 `) });
    expect(listFiles(share)).toEqual([]);
  });

  it('copyInto: copies nothing under a cap, stops at once when aborted, and resolves false when cp fails', async () => {
    const c = fx.addCapture('a.tif', randomBytes(1_000_000, 62));
    const facts = directJob(new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1' }), c.id).file;
    const dest = path.join(fx.dir, 'dest');
    fs.writeFileSync(dest, '');
    const counted: number[] = [];
    const count = async (bytes: number) => void counted.push(bytes);

    expect(await localFileOf({ ...facts }, count, new AbortController().signal).copyInto(dest)).toBe(false);
    expect(fs.statSync(dest).size).toBe(0);

    const aborted = new AbortController();
    aborted.abort();
    await expect(localFileOf({ ...facts }, count, aborted.signal, { capped: false }).copyInto(dest)).rejects.toMatchObject({ name: 'AbortError' });
    expect(fs.statSync(dest).size).toBe(0);

    expect(await localFileOf({ ...facts }, count, new AbortController().signal, { capped: false }).copyInto(path.join(fx.dir, 'missing', 'dest'))).toBe(false);
    expect(counted).toEqual([]);

    expect(await localFileOf({ ...facts }, count, new AbortController().signal, { capped: false }).copyInto(dest)).toBe(true);
    expect(sha256OfFile(dest)).toBe(c.sha256);
    // Counted for the upload rate once copied.
    expect(counted).toEqual([1_000_000]);
  });
});
