/** The S3 target against a real moto_server on loopback (skipped, saying so, when moto is not installed). */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Target, type S3TargetFaults, type S3TargetOptions } from '../../src/upload/s3-target.js';
import { localFileOf } from '../../src/upload/source-read.js';
import { isUploadError, type UploadJobInput } from '../../src/upload/target.js';
import { freePort, motoCredentials, motoMissing, startMoto, type Moto } from './moto.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { Outbox } from '../../src/upload/outbox.js';
import { Uploader } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import { makeFixture, randomBytes, settings, sha256, type Fixture } from './fixture.js';

const MiB = 1024 * 1024;
if (motoMissing) console.warn(motoMissing);

describe.skipIf(motoMissing !== null)('S3 target against moto_server', () => {
  let moto: Moto;
  let fx: Fixture;
  const bucket = 'station-test';
  const targets: S3Target[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket(bucket);
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(() => {
    fx = makeFixture();
  });
  afterEach(() => {
    for (const t of targets.splice(0)) t.destroy();
    fx.close();
  });

  function makeTarget(over: Partial<S3TargetOptions> = {}, faults?: S3TargetFaults): S3Target {
    const t = new S3Target({
      id: 's3',
      endpoint: moto.endpoint,
      region: 'us-east-1',
      bucket,
      prefix: 'scans/',
      forcePathStyle: true,
      ...motoCredentials,
      multipartThresholdBytes: 5 * MiB,
      partSizeBytes: 5 * MiB,
      stationId: 'st1',
      ...over,
      ...(faults ? { faults } : {}),
    });
    targets.push(t);
    return t;
  }

  /** Requests by name, through the target's seam. */
  function counter(): { faults: S3TargetFaults; count: (name: string) => number } {
    const seen: string[] = [];
    return { faults: { onRequest: (name) => void seen.push(name) }, count: (name) => seen.filter((n) => n === name).length };
  }

  /** A job as the uploader makes it; `resume` is the job's resume_json, kept across "restarts". */
  function jobFor(target: S3Target, captureId: number, resume: { state: unknown }, controller = new AbortController(), previouslyStarted = resume.state !== null): UploadJobInput {
    const c = fx.store.captures.get(captureId)!;
    const file = localFileOf({ captureId, sourceId: c.sourceId, relPath: c.relPath, version: c.version, path: c.path, size: c.size, mtimeUs: c.mtimeUs, sha256: c.sha256 }, async () => undefined, controller.signal);
    return {
      jobId: captureId,
      captureId,
      attempts: 0,
      remoteKey: target.remoteKeyOf(c),
      attemptTag: 't',
      previouslyStarted,
      file,
      resume: resume.state,
      saveResume: (s) => void (resume.state = s === null ? null : JSON.parse(JSON.stringify(s))),
      signal: controller.signal,
    };
  }

  async function remoteSha256(key: string): Promise<string> {
    const out = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return sha256(Buffer.from(await out.Body!.transformToByteArray()));
  }

  async function exists(key: string): Promise<boolean> {
    return moto.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );
  }

  it('probes the bucket with HeadBucket', async () => {
    await expect(makeTarget().probe(new AbortController().signal)).resolves.toBeUndefined();
  });

  it('sends an empty file and a file of whole read chunks as one PUT each, with their bytes', async () => {
    // The one buffer a single PUT is read into is filled exactly: the read still ends cleanly.
    for (const [name, bytes] of [['EMPTY.jpg', Buffer.alloc(0)], ['FULL.jpg', randomBytes(2 * MiB, 3)]] as const) {
      const cap = fx.addCapture(name, bytes);
      const t = makeTarget();
      const job = jobFor(t, cap.id, { state: null });
      expect(await t.upload(job)).toEqual({ remoteKey: job.remoteKey, verifiedSha256: sha256(bytes), alreadyPresent: false });
      expect(await remoteSha256(job.remoteKey)).toBe(sha256(bytes));
    }
  });

  it('sends a file under the threshold as one PUT with its sha256, and verifies it', async () => {
    const bytes = randomBytes(300_000, 1);
    const cap = fx.addCapture('IMG_0001.jpg', bytes);
    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    const job = jobFor(t, cap.id, { state: null });
    expect(job.remoteKey).toBe('scans/st1/cam/IMG_0001.jpg');
    const result = await t.upload(job);
    expect(result).toEqual({ remoteKey: job.remoteKey, verifiedSha256: sha256(bytes), alreadyPresent: false });
    expect(count('PutObject')).toBe(1);
    expect(count('CreateMultipartUpload')).toBe(0);
    expect(await remoteSha256(job.remoteKey)).toBe(sha256(bytes));
    const head = await moto.client.send(new HeadObjectCommand({ Bucket: bucket, Key: job.remoteKey }));
    expect(head.Metadata?.sha256).toBe(sha256(bytes));
  });

  it('sends a file over the threshold as a multipart upload with SHA-256 parts and checks the composite checksum', async () => {
    const bytes = randomBytes(10 * MiB + 12_345, 2);
    const cap = fx.addCapture('big.tif', bytes);
    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    const resume = { state: null as unknown };
    const job = jobFor(t, cap.id, resume);
    const result = await t.upload(job);
    expect(result.alreadyPresent).toBe(false);
    expect(count('UploadPart')).toBe(3);
    expect(count('ListMultipartUploads')).toBe(0); // a first attempt has no orphan to look for
    expect(count('CompleteMultipartUpload')).toBe(1);
    expect(resume.state).toBeNull(); // the finished upload leaves no resume state behind
    expect(await remoteSha256(job.remoteKey)).toBe(sha256(bytes));
    const head = await moto.client.send(new HeadObjectCommand({ Bucket: bucket, Key: job.remoteKey, ChecksumMode: 'ENABLED' }));
    const parts = [bytes.subarray(0, 5 * MiB), bytes.subarray(5 * MiB, 10 * MiB), bytes.subarray(10 * MiB)];
    const composite = createHash('sha256')
      .update(Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest())))
      .digest('base64');
    expect(head.ChecksumSHA256?.replace(/-\d+$/, '')).toBe(composite);
  });

  it('resumes a multipart upload after a restart without re-sending finished parts', async () => {
    const bytes = randomBytes(20 * MiB + 777, 3); // 5 parts
    const cap = fx.addCapture('huge.tif', bytes);
    const resume = { state: null as unknown };
    // First run: stopped (aborted, as the station's stop() does) once two parts are confirmed.
    const first = new AbortController();
    const run1 = counter();
    const t1 = makeTarget({}, { ...run1.faults, afterPart: (n) => n === 2 && first.abort(new Error('station stopped')) });
    await expect(t1.upload(jobFor(t1, cap.id, resume, first))).rejects.toThrow();
    expect(run1.count('UploadPart')).toBe(2);
    const saved = resume.state as { uploadId: string; parts: { n: number; etag: string; sha256: string }[] };
    expect(saved.uploadId).toBeTruthy();
    expect(saved.parts.map((p) => p.n)).toEqual([1, 2]);
    expect(await exists(`scans/st1/cam/huge.tif`)).toBe(false);

    // Second run, a new target instance (a restarted process) with the job's saved state.
    const run2 = counter();
    const t2 = makeTarget({}, run2.faults);
    const result = await t2.upload(jobFor(t2, cap.id, resume));
    expect(result.alreadyPresent).toBe(false);
    expect(run2.count('CreateMultipartUpload')).toBe(0);
    expect(run2.count('ListParts')).toBeGreaterThanOrEqual(1);
    expect(run2.count('UploadPart')).toBe(3); // parts 3..5 only
    expect(await remoteSha256(result.remoteKey)).toBe(sha256(bytes));
  });

  it('keeps a part the server has that the station never recorded (a crash between the part and saveResume)', async () => {
    const bytes = randomBytes(15 * MiB + 5, 4); // 4 parts
    const cap = fx.addCapture('crash.tif', bytes);
    const resume = { state: null as unknown };
    const first = new AbortController();
    const t1 = makeTarget({}, { afterPart: (n) => n === 3 && first.abort(new Error('killed')) });
    await expect(t1.upload(jobFor(t1, cap.id, resume, first))).rejects.toThrow();
    // The record of part 3 is lost, as if the process died before saving it; the server has it.
    const saved = resume.state as { parts: { n: number }[] };
    saved.parts = saved.parts.filter((p) => p.n !== 3);
    const run2 = counter();
    const t2 = makeTarget({}, run2.faults);
    await t2.upload(jobFor(t2, cap.id, resume));
    expect(run2.count('UploadPart')).toBe(1); // only part 4
    expect(await remoteSha256('scans/st1/cam/crash.tif')).toBe(sha256(bytes));
  });

  it('saves the part list at most once per interval (each save is a commit with fsync on the event loop), and a kill that loses the unsaved record still resumes from the parts the server holds', async () => {
    const bytes = randomBytes(20 * MiB + 777, 5); // 5 parts
    const cap = fx.addCapture('batched.tif', bytes);
    const resume = { state: null as unknown };
    const first = new AbortController();
    let killed = false;
    const partSaves: number[] = [];
    const t1 = makeTarget({ partSaveIntervalMs: 60_000 }, { afterPart: (n) => void (n === 4 && ((killed = true), first.abort(new Error('killed')))) });
    const job1 = jobFor(t1, cap.id, resume, first);
    const save = job1.saveResume;
    // A killed process saves nothing more: the record of parts 2-4 (not due yet) is lost with it.
    job1.saveResume = (state) => {
      if (killed) return;
      const parts = (state as { parts?: unknown[] } | null)?.parts;
      if (parts?.length) partSaves.push(parts.length);
      save(state);
    };
    await expect(t1.upload(job1)).rejects.toThrow();
    expect(partSaves).toEqual([1]);
    expect((resume.state as { parts: { n: number }[] }).parts.map((p) => p.n)).toEqual([1]);

    const run2 = counter();
    const t2 = makeTarget({ partSaveIntervalMs: 60_000 }, run2.faults);
    const job2 = jobFor(t2, cap.id, resume);
    const saves2: number[] = [];
    const save2 = job2.saveResume;
    job2.saveResume = (state) => {
      const parts = (state as { parts?: unknown[]; made?: unknown } | null)?.parts;
      if (parts?.length && !(state as { made?: unknown }).made) saves2.push(parts.length);
      save2(state);
    };
    await t2.upload(job2);
    expect(run2.count('UploadPart')).toBe(1); // only part 5: parts 2-4 were found with ListParts and kept by their MD5
    // Reconciled with ListParts once, then one save for the parts kept and sent, at the end.
    expect(saves2.length).toBeLessThanOrEqual(3);
    expect(await remoteSha256('scans/st1/cam/batched.tif')).toBe(sha256(bytes));
  });

  /** A first run that "dies" right after `request` was answered: nothing after it runs (no verification, no saveResume). */
  async function crashAfter(request: string, captureId: number, resume: { state: unknown }): Promise<void> {
    const t = makeTarget({}, {
      afterRequest: (name) => {
        if (name === request) throw new Error(`killed right after ${request}`);
      },
    });
    await expect(t.upload(jobFor(t, captureId, resume))).rejects.toThrow(`killed right after ${request}`);
  }

  it('after a crash right after CompleteMultipartUpload, finds the object on restart, verifies it from the saved digests and acknowledges it without sending anything', async () => {
    const bytes = randomBytes(12 * MiB + 3, 11); // 3 parts
    const cap = fx.addCapture('completed.tif', bytes);
    const resume = { state: null as unknown };
    await crashAfter('CompleteMultipartUpload', cap.id, resume);
    const saved = resume.state as { uploadId: string; made?: { etag: string } };
    expect(saved.made?.etag).toMatch(/^[0-9a-f]{32}-3$/);
    const key = 'scans/st1/cam/completed.tif';
    expect(await remoteSha256(key)).toBe(sha256(bytes));
    // The saved UploadId is gone from the server: resuming it would fail.
    await expect(moto.client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: saved.uploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });

    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    const result = await t.upload(jobFor(t, cap.id, resume));
    expect(result).toEqual({ remoteKey: key, verifiedSha256: sha256(bytes), alreadyPresent: true });
    expect(['CreateMultipartUpload', 'UploadPart', 'ListParts', 'CompleteMultipartUpload', 'PutObject', 'DeleteObject'].map(count)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(count('HeadObject')).toBeGreaterThanOrEqual(1);
    expect(resume.state).toBeNull();
    expect(await remoteSha256(key)).toBe(sha256(bytes));
  });

  /** The multipart uploads moto holds for exactly `key`. */
  async function uploadsOf(key: string): Promise<string[]> {
    const out = await moto.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    return (out.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId!);
  }

  async function createUploadByHand(key: string): Promise<string> {
    const out = await moto.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA256' }));
    return out.UploadId!;
  }

  it('after a kill between CreateMultipartUpload and saving its UploadId, adopts one upload of the key, aborts the others and leaves no orphan', async () => {
    const bytes = randomBytes(12 * MiB + 9, 21); // 3 parts
    const cap = fx.addCapture('orphan.tif', bytes);
    const key = 'scans/st1/cam/orphan.tif';
    const resume = { state: null as unknown };
    await crashAfter('CreateMultipartUpload', cap.id, resume);
    expect(resume.state).toBeNull();
    // A second one, as an earlier kill of the same kind would have left; and an upload of a longer key the prefix also matches.
    await createUploadByHand(key);
    const other = await createUploadByHand(`${key}.xmp`);
    expect(await uploadsOf(key)).toHaveLength(2);

    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    const result = await t.upload(jobFor(t, cap.id, resume, new AbortController(), true));
    expect(result.alreadyPresent).toBe(false);
    expect(['ListMultipartUploads', 'AbortMultipartUpload', 'CreateMultipartUpload', 'UploadPart'].map(count)).toEqual([1, 1, 0, 3]);
    expect(await uploadsOf(key)).toEqual([]);
    expect(await uploadsOf(`${key}.xmp`)).toEqual([other]);
    expect(await remoteSha256(key)).toBe(sha256(bytes));
  });

  it('without permission to list multipart uploads, starts a new upload instead of failing the job', async () => {
    const bytes = randomBytes(12 * MiB + 3, 22); // 3 parts
    const cap = fx.addCapture('nolist.tif', bytes);
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const { faults, count } = counter();
    const t = makeTarget(
      {},
      {
        onRequest: (name, input) => {
          if (name === 'ListMultipartUploads') throw denied;
          faults.onRequest!(name, input);
        },
      },
    );
    const result = await t.upload(jobFor(t, cap.id, { state: null }, new AbortController(), true));
    expect(result.alreadyPresent).toBe(false);
    expect(['CreateMultipartUpload', 'UploadPart'].map(count)).toEqual([1, 3]);
    expect(await remoteSha256('scans/st1/cam/nolist.tif')).toBe(sha256(bytes));
  });

  it('keeps a part an orphan upload it adopts already holds', async () => {
    const bytes = randomBytes(12 * MiB + 9, 22); // 3 parts
    const cap = fx.addCapture('adopt.tif', bytes);
    const key = 'scans/st1/cam/adopt.tif';
    const uploadId = await createUploadByHand(key);
    const part1 = bytes.subarray(0, 5 * MiB);
    await moto.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: part1, ChecksumSHA256: createHash('sha256').update(part1).digest('base64') }));

    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    const resume = { state: null as unknown };
    await t.upload(jobFor(t, cap.id, resume, new AbortController(), true));
    expect(['ListMultipartUploads', 'AbortMultipartUpload', 'CreateMultipartUpload', 'UploadPart'].map(count)).toEqual([1, 0, 0, 2]);
    expect(await uploadsOf(key)).toEqual([]);
    expect(await remoteSha256(key)).toBe(sha256(bytes));
  });

  it('after such a crash, an object that does not match the saved digests is deleted and sent again, though its size and sha256 metadata match', async () => {
    const bytes = randomBytes(12 * MiB + 3, 12);
    const cap = fx.addCapture('swapped.tif', bytes);
    const resume = { state: null as unknown };
    await crashAfter('CompleteMultipartUpload', cap.id, resume);
    const key = 'scans/st1/cam/swapped.tif';
    // The store now holds other bytes under the station's metadata (a store that corrupted the object).
    const other = randomBytes(bytes.length, 13);
    await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: other, Metadata: { sha256: sha256(bytes) } }));

    const t2 = makeTarget();
    const err = await t2.upload(jobFor(t2, cap.id, resume)).catch((e: unknown) => e);
    expect(isUploadError(err, 'transient')).toBe(true);
    expect((err as Error).message).toMatch(/Verification failed .* ETag [0-9a-f]{32} instead of [0-9a-f]{32}-3/);
    expect(await exists(key)).toBe(false);

    const { faults, count } = counter();
    const t3 = makeTarget({}, faults);
    const result = await t3.upload(jobFor(t3, cap.id, resume));
    expect(result.alreadyPresent).toBe(false);
    expect(count('CreateMultipartUpload')).toBe(1); // the old UploadId is gone: a new upload
    expect(count('UploadPart')).toBe(3);
    expect(await remoteSha256(key)).toBe(sha256(bytes));
  });

  /**
   * An HTTP proxy in front of moto that records each request's x-amz-content-sha256 (the payload hash
   * SigV4 signed). `kill()` is the store going away mid-request: the listener and every connection
   * dropped at once; a new proxy on the same port is the store coming back with what it held.
   */
  async function recordingProxy(port = 0): Promise<{ endpoint: string; port: number; seen: { url: string; payload: string | undefined }[]; close: () => Promise<void>; kill: () => Promise<void> }> {
    const seen: { url: string; payload: string | undefined }[] = [];
    const sockets = new Set<net.Socket>();
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', payload: req.headers['x-amz-content-sha256'] as string | undefined });
      const up = http.request(`${moto.endpoint}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const bound = (server.address() as net.AddressInfo).port;
    const close = () => new Promise<void>((r) => server.close(() => r()));
    const kill = () => {
      const closed = close();
      for (const socket of sockets) socket.destroy();
      return closed;
    };
    return { endpoint: `http://127.0.0.1:${bound}`, port: bound, seen, close, kill };
  }

  it('resumes from the parts the store holds, not byte 0, when the store goes away mid-upload and comes back', async () => {
    // moto keeps its state in memory, so killing moto itself would lose the upload; the proxy in
    // front of it dies instead, with connections open, and comes back on the same port.
    const bytes = randomBytes(20 * MiB + 777, 41); // 5 parts
    const cap = fx.addCapture('outage.tif', bytes);
    const resume = { state: null as unknown };
    let proxy = await recordingProxy();
    const dropped: Promise<void>[] = [];
    const t1 = makeTarget({ endpoint: proxy.endpoint }, { afterPart: (n) => void (n === 2 && dropped.length === 0 && dropped.push(proxy.kill())) });
    const err = await t1.upload(jobFor(t1, cap.id, resume)).catch((e: unknown) => e);
    await Promise.all(dropped);
    expect(isUploadError(err, 'offline') || isUploadError(err, 'transient')).toBe(true);
    const saved = resume.state as { uploadId: string; parts: { n: number }[] };
    expect(saved.parts.map((p) => p.n)).toEqual(expect.arrayContaining([1, 2]));

    proxy = await recordingProxy(proxy.port);
    try {
      const run2 = counter();
      const t2 = makeTarget({ endpoint: proxy.endpoint }, run2.faults);
      const result = await t2.upload(jobFor(t2, cap.id, resume));
      expect(run2.count('CreateMultipartUpload')).toBe(0);
      expect(run2.count('UploadPart')).toBeGreaterThanOrEqual(1);
      expect(run2.count('UploadPart')).toBeLessThanOrEqual(3); // parts 1 and 2 are not sent again
      expect(await remoteSha256(result.remoteKey)).toBe(sha256(bytes));
    } finally {
      await proxy.close();
    }
  });

  it('signs the SHA-256 of the bytes read as the payload hash, so a store that checks it (S3) refuses a body changed on the way', async () => {
    const bytes = randomBytes(10 * MiB + 5, 31); // 3 parts
    const cap = fx.addCapture('signed.tif', bytes);
    const proxy = await recordingProxy();
    try {
      const flip = (b: Buffer, n: number | null): Buffer => (n === 2 ? Buffer.concat([b.subarray(0, 1).map((x) => x ^ 0xff), b.subarray(1)]) : b);
      const t = makeTarget({ endpoint: proxy.endpoint }, { alterBody: flip });
      await expect(t.upload(jobFor(t, cap.id, { state: null }))).rejects.toThrow(/Verification failed/);
      const partHash = (n: number) => proxy.seen.find((r) => r.url.includes(`partNumber=${n}&`) || r.url.endsWith(`partNumber=${n}`))?.payload;
      expect(partHash(1)).toBe(sha256(bytes.subarray(0, 5 * MiB)));
      expect(partHash(2)).toBe(sha256(bytes.subarray(5 * MiB, 10 * MiB))); // not the hash of the altered body sent
    } finally {
      await proxy.close();
    }
  });

  it('after a crash right after a single PutObject, verifies the object on restart and does not send it again', async () => {
    const bytes = randomBytes(700_000, 14);
    const cap = fx.addCapture('put.jpg', bytes);
    const resume = { state: null as unknown };
    await crashAfter('PutObject', cap.id, resume);
    expect(resume.state).toMatchObject({ kind: 's3-put', made: { etag: createHash('md5').update(bytes).digest('hex') } });
    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    expect(await t.upload(jobFor(t, cap.id, resume))).toMatchObject({ alreadyPresent: true, verifiedSha256: sha256(bytes) });
    expect(count('PutObject')).toBe(0);
    expect(resume.state).toBeNull();
  });

  it('acknowledges an object already there with the same sha256 without sending it again', async () => {
    const bytes = randomBytes(6 * MiB, 5);
    const cap = fx.addCapture('again.tif', bytes);
    await makeTarget().upload(jobFor(makeTarget(), cap.id, { state: null }));
    const { faults, count } = counter();
    const t = makeTarget({}, faults);
    const result = await t.upload(jobFor(t, cap.id, { state: null }));
    expect(result).toMatchObject({ alreadyPresent: true, verifiedSha256: sha256(bytes) });
    expect(count('PutObject') + count('UploadPart') + count('CreateMultipartUpload')).toBe(0);
  });

  it('confirms a done object by HeadObject (size and sha256), and says when it is gone or replaced', async () => {
    const bytes = randomBytes(300_000, 31);
    const cap = fx.addCapture('confirm.tif', bytes);
    const t = makeTarget();
    const result = await t.upload(jobFor(t, cap.id, { state: null }));
    const copy = { remoteKey: result.remoteKey, size: bytes.length, sha256: sha256(bytes), state: result.confirmState ?? null };
    const signal = new AbortController().signal;
    expect(await t.confirm(copy, signal)).toEqual({ present: true });
    await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: result.remoteKey, Body: randomBytes(bytes.length, 32), Metadata: { sha256: sha256('x') } }));
    expect(await t.confirm(copy, signal)).toMatchObject({ present: false, problem: expect.stringMatching(/not the 300000 bytes with sha256/) });
    await moto.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: result.remoteKey }));
    expect(await t.confirm(copy, signal)).toMatchObject({ present: false, problem: expect.stringMatching(/is no longer there/) });
  });

  it('never overwrites a different object at the key', async () => {
    const cap = fx.addCapture('other.jpg', randomBytes(1000, 6));
    const t = makeTarget();
    const job = jobFor(t, cap.id, { state: null });
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: job.remoteKey, Body: Buffer.from('someone else') }));
    const err = await t.upload(job).catch((e: unknown) => e);
    expect(isUploadError(err, 'permanent')).toBe(true);
    expect((err as Error).message).toMatch(/never overwrites/);
  });

  it('catches a part altered on the way (moto does not check checksums; the station does) and never completes it', async () => {
    const bytes = randomBytes(10 * MiB + 1, 7);
    const cap = fx.addCapture('flip.tif', bytes);
    const resume = { state: null as unknown };
    const flip = (body: Buffer, part: number | null) => {
      if (part !== 2) return body;
      const bad = Buffer.from(body);
      bad[1000] = bad[1000]! ^ 0x01;
      return bad;
    };
    const t1 = makeTarget({}, { alterBody: flip });
    const err = await t1.upload(jobFor(t1, cap.id, resume)).catch((e: unknown) => e);
    expect(isUploadError(err, 'transient')).toBe(true);
    expect((err as Error).message).toMatch(/Verification failed.*part 2/);
    expect(await exists('scans/st1/cam/flip.tif')).toBe(false);
    // The retry (no fault now) re-sends part 2 only, and the object verifies.
    const run2 = counter();
    const t2 = makeTarget({}, run2.faults);
    await t2.upload(jobFor(t2, cap.id, resume));
    expect(run2.count('UploadPart')).toBe(2); // part 2 (never accepted) and part 3
    expect(await remoteSha256('scans/st1/cam/flip.tif')).toBe(sha256(bytes));
  });

  it('catches a single PUT altered on the way, deletes the bad object and does not acknowledge it on the retry', async () => {
    const bytes = randomBytes(200_000, 8);
    const cap = fx.addCapture('flip.jpg', bytes);
    const flip = (body: Buffer) => {
      const bad = Buffer.from(body);
      bad[5] = bad[5]! ^ 0x80;
      return bad;
    };
    const t1 = makeTarget({}, { alterBody: flip });
    const err = await t1.upload(jobFor(t1, cap.id, { state: null })).catch((e: unknown) => e);
    expect(isUploadError(err, 'transient')).toBe(true);
    expect((err as Error).message).toMatch(/Verification failed/);
    expect(await exists('scans/st1/cam/flip.jpg')).toBe(false);
    const run2 = counter();
    const t2 = makeTarget({}, run2.faults);
    const result = await t2.upload(jobFor(t2, cap.id, { state: null }));
    expect(result.alreadyPresent).toBe(false);
    expect(run2.count('PutObject')).toBe(1);
    expect(await remoteSha256('scans/st1/cam/flip.jpg')).toBe(sha256(bytes));
  });

  it('in the queue: a target that keeps altering bytes never gets a job marked done', async () => {
    const config: TargetConfig = { id: 's3', kind: 's3', endpoint: moto.endpoint, region: 'us-east-1', bucket, prefix: 'scans/', forcePathStyle: true, ...motoCredentials, multipartThresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB, when: 'passed', required: true };
    const flipLast = (body: Buffer, part: number | null) => (part === 2 ? Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body[body.length - 1]! ^ 0xff])]) : body);
    const t = makeTarget({}, { alterBody: flipLast });
    const uploader = new Uploader({ db: fx.store.db, targetConfigs: [config], targets: [t], settings: settings({ backoff: { baseMs: 20, maxMs: 50 }, probeIntervalSec: 0.1, maxAttempts: 3 }), tickMs: 50 });
    uploader.attach(fx.store.captures);
    uploader.start();
    const cap = fx.addCapture('always-bad.tif', randomBytes(7 * MiB, 10)); // enqueued as it is recorded
    try {
      await waitFor(() => new Outbox(fx.store.db).jobsOfCapture(cap.id)[0]?.state === 'dead', 'the job to go dead after its attempts', 60_000);
    } finally {
      await uploader.stop();
    }
    const job = new Outbox(fx.store.db).jobsOfCapture(cap.id)[0]!;
    expect(job.attempts).toBe(3);
    expect(job.lastError).toMatch(/Verification failed/);
    expect(await exists('scans/st1/cam/always-bad.tif')).toBe(false);
  });

  it('says what to fix for a missing bucket, and is offline when the store does not answer', async () => {
    const cap = fx.addCapture('x.jpg', randomBytes(100, 9));
    const noBucket = makeTarget({ bucket: 'no-such-bucket' });
    const probeErr = await noBucket.probe(new AbortController().signal).catch((e: unknown) => e);
    expect(isUploadError(probeErr, 'paused')).toBe(true);
    expect((probeErr as Error).message).toMatch(/bucket "no-such-bucket" does not exist.*Create it/);
    const upErr = await noBucket.upload(jobFor(noBucket, cap.id, { state: null })).catch((e: unknown) => e);
    expect(isUploadError(upErr, 'permanent')).toBe(true);

    const down = makeTarget({ endpoint: `http://127.0.0.1:${await freePort()}` });
    const offErr = await down.probe(new AbortController().signal).catch((e: unknown) => e);
    expect(isUploadError(offErr, 'offline')).toBe(true);
    const offUp = await down.upload(jobFor(down, cap.id, { state: null })).catch((e: unknown) => e);
    expect(isUploadError(offUp, 'offline')).toBe(true);
  });
});
