/**
 * S3-compatible object store target (@aws-sdk/client-s3). One upload:
 *   1. HeadObject (ChecksumMode ENABLED) at the key: an object of the same size whose stored
 *      full-object SHA-256, or the `sha256` metadata the station sets, equals the capture's is
 *      acknowledged without sending anything (delivery is at-least-once); a different object there
 *      is never overwritten (permanent, the operator decides);
 *   2. under `multipartThresholdBytes`: one PutObject with x-amz-checksum-sha256 (S3 verifies it and
 *      refuses a body that does not match); above: a multipart upload with ChecksumAlgorithm SHA256
 *      and a SHA-256 per part, sent one at a time while the next part is read and hashed. The
 *      UploadId and the finished parts (number, size, ETag, SHA-256, MD5) are saved with saveResume
 *      (PartLog: at most once a second, and when the attempt ends), so a restart continues the same
 *      upload; on resume ListParts is the truth: a part the server has whose ETag is the MD5 of our
 *      bytes for that part is kept (even one we never recorded: a crash before its save), any other
 *      is sent again;
 *   3. every response is checked by the station itself, because not every S3-compatible store
 *      verifies checksums (moto does not): a part's or object's ETag, when it is a plain MD5 (not
 *      under SSE-KMS / SSE-C), must be the MD5 of the bytes sent; before CompleteMultipartUpload the
 *      server's part list must match; after it, HeadObject must report the file's size and a SHA-256
 *      (full object, or the composite sha256(part digests)-N that S3 defines for multipart) or ETag
 *      equal to what the station computed. A copy that fails is deleted and retried, never acknowledged;
 *   4. the digests the object must show are saved (resume state `made`) right before PutObject and
 *      CompleteMultipartUpload, and cleared only after the verification: a station that dies after
 *      the object was made (its UploadId gone) finds the object on restart, verifies it against
 *      them, and acknowledges it — no vanished-UploadId failure, no second upload, no trust in the
 *      sha256 metadata alone (it was set before any byte was sent).
 * Local bytes come from the verified, bandwidth-capped read (source-read.ts): its last chunk is held
 * back until the whole file matched QC's sha256, so a changed file never completes an upload.
 */
import { createHash } from 'node:crypto';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type {
  CreateMultipartUploadCommandOutput,
  HeadObjectCommandOutput,
  ListMultipartUploadsCommandOutput,
  ListPartsCommandOutput,
  PutObjectCommandOutput,
  S3Client,
  S3ClientConfig,
  UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { createLogger } from '../log/logger.js';
import { hashPool } from '../hashing/pool.js';
import { ReadBuffers } from './read-buffers.js';
import { mirrorKey, type KeySource } from './remote-key.js';
import { UploadError, type CopyCheck, type RemoteCopy, type StaleRemoval, type StaleRemovalContext, type UploadJobInput, type UploadResult, type UploadTarget } from './target.js';

const log = createLogger('upload.s3');

export const minPartSizeBytes = 5 * 1024 * 1024;
/** S3 allows at most 10,000 parts; the part size grows for files that would need more. */
const maxParts = 10_000;

/** Seams for fault tests: observe requests, alter the bytes of a part or object "in transit". */
export interface S3TargetFaults {
  /** Called before each request is sent (tests count UploadPart calls). */
  onRequest?: (name: string, input: Record<string, unknown>) => void;
  /** Replaces the body actually sent after the station computed its checksums (a bad copy on the way). */
  alterBody?: (body: Buffer, partNumber: number | null) => Buffer;
  /** Runs after a part is confirmed and saved (tests stop the uploader here). */
  afterPart?: (partNumber: number) => void;
  /** Runs after a request was answered (tests "crash" right after CompleteMultipartUpload by throwing). */
  afterRequest?: (name: string) => void;
}

export interface S3TargetOptions {
  id: string;
  endpoint?: string;
  region: string;
  bucket: string;
  prefix: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  profile?: string;
  multipartThresholdBytes: number;
  partSizeBytes: number;
  stationId: string;
  library?: string;
  /** See PartLog; default defaultPartSaveIntervalMs. */
  partSaveIntervalMs?: number;
  faults?: S3TargetFaults;
}

export interface PartRecord {
  n: number;
  size: number;
  etag: string;
  /** base64, as S3 writes it. */
  sha256: string;
  md5: string;
}

/** The digests the finished object must show: its SHA-256 (full, or composite of the parts) and its ETag. */
interface ObjectDigests {
  sha256Base64: string;
  etag: string;
}

export interface S3Resume {
  v: 1;
  kind: 's3';
  key: string;
  uploadId: string;
  partSize: number;
  parts: PartRecord[];
  /** Saved right before CompleteMultipartUpload: what the object must show once it exists. */
  made?: ObjectDigests;
}

/** Saved right before a single PutObject: what the object must show once it exists. */
export interface S3PutResume {
  v: 1;
  kind: 's3-put';
  key: string;
  made: ObjectDigests;
}

export class S3Target implements UploadTarget {
  readonly kind = 's3';
  readonly id: string;
  private readonly config: S3ClientConfig;
  /** The SDK is loaded on first use: a station with only folder targets never pays its import time at start. */
  private loaded: Promise<{ sdk: Sdk; client: S3Client }> | null = null;
  private readonly where: string;

  constructor(private readonly opts: S3TargetOptions) {
    this.id = opts.id;
    if (opts.partSizeBytes < minPartSizeBytes) throw new Error(`partSizeBytes must be at least ${minPartSizeBytes} (S3's minimum part size)`);
    const config: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      // The station sets its own SHA-256 checksums; the SDK's default CRC32 on every request would
      // be a second, different algorithm on the same upload (and not every S3-compatible store knows it).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // One SDK retry for a dropped connection; everything longer is the queue's backoff, which
      // keeps the job's attempt count and last error visible to the operator.
      maxAttempts: 2,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.profile ? { profile: opts.profile } : {}),
      ...(opts.accessKeyId && opts.secretAccessKey
        ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}) } }
        : {}),
    };
    this.config = config;
    this.where = `s3://${opts.bucket}${opts.endpoint ? ` at ${opts.endpoint}` : ''}`;
  }

  remoteKeyOf(capture: KeySource): string {
    const key = mirrorKey(this.opts.stationId, capture, this.opts.library);
    const prefix = this.opts.prefix.replace(/^\/+|\/+$/g, '');
    return prefix ? `${prefix}/${key}` : key;
  }

  async probe(signal: AbortSignal): Promise<void> {
    try {
      await this.send('HeadBucket', (sdk) => new sdk.HeadBucketCommand({ Bucket: this.opts.bucket }), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const e = this.classify(err, 'HeadBucket');
      // A reachable store that refuses the bucket cannot take files until someone fixes the config
      // or the bucket: the target waits (paused) instead of sending the backlog to the dead letter.
      throw e.kind === 'offline' ? e : new UploadError('paused', e.message, { cause: err });
    }
  }

  async upload(job: UploadJobInput): Promise<UploadResult> {
    try {
      return await this.put(job);
    } catch (err) {
      if (job.signal.aborted) throw err;
      throw this.classify(err, 'upload');
    }
  }

  /** HeadObject: the object must be there with the file's size and SHA-256 (the store's full-object checksum, else the station's sha256 metadata). */
  async confirm(copy: RemoteCopy, signal: AbortSignal): Promise<CopyCheck> {
    let head: HeadObjectCommandOutput | null;
    try {
      head = await this.head(copy.remoteKey, signal);
    } catch (err) {
      throw this.classify(err, 'HeadObject');
    }
    if (!head) return { present: false, problem: `${this.where}/${copy.remoteKey} is no longer there` };
    if (!this.isSameObject(head, copy.size, copy.sha256)) {
      return { present: false, problem: `${this.where}/${copy.remoteKey} is now ${head.ContentLength ?? '?'} bytes with sha256 ${head.Metadata?.sha256 ?? 'not recorded'}, not the ${copy.size} bytes with sha256 ${copy.sha256} verified` };
    }
    return { present: true };
  }

  /**
   * Removes the station's own superseded object: HeadObject must report the size written and the
   * SHA-256 written (the store's full-object checksum, else the station's sha256 metadata), then
   * DeleteObject. An object that no longer matches is left alone.
   */
  async removeStale(copy: RemoteCopy, ctx: StaleRemovalContext): Promise<StaleRemoval> {
    const { signal } = ctx;
    const where = `${this.where}/${copy.remoteKey}`;
    try {
      const head = await this.head(copy.remoteKey, signal);
      if (!head) return { outcome: 'gone', note: `${where} was no longer there` };
      if (!this.isSameObject(head, copy.size, copy.sha256)) {
        return { outcome: 'kept', note: `${where} is now ${head.ContentLength ?? '?'} bytes with sha256 ${head.Metadata?.sha256 ?? 'not recorded'}, not the ${copy.size} bytes with sha256 ${copy.sha256} the station wrote: someone replaced it, so it is left alone` };
      }
      ctx.beforeDelete();
      await this.send('DeleteObject', (sdk) => new sdk.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: copy.remoteKey }), signal);
      return { outcome: 'removed', note: `removed ${where} (${copy.size} bytes, sha256 ${copy.sha256} confirmed by HeadObject first)` };
    } catch (err) {
      if (signal.aborted) throw err;
      throw this.classify(err, 'DeleteObject');
    }
  }

  /** Closes the client's sockets (tests; the station process just exits). */
  destroy(): void {
    void this.loaded?.then(({ client }) => client.destroy());
  }

  private async put(job: UploadJobInput): Promise<UploadResult> {
    const key = job.remoteKey;
    const expected = job.file.sha256;
    const existing = await this.head(key, job.signal);
    const made = madeOf(job.resume, key);
    if (existing && made && existing.ContentLength === job.file.size && existing.Metadata?.sha256 === expected) {
      // This job's own PutObject or CompleteMultipartUpload went through before the station died,
      // and its verification never ran (or never got recorded): check the object against the digests
      // saved before that request — the metadata alone was set before any byte was sent. A bad copy
      // is deleted here and sent again on the next attempt.
      await this.verify(job, made);
      log.info('the object this job completed before a restart is there and verified; not sent again', { target: this.id, key });
      job.saveResume(null);
      return { remoteKey: key, verifiedSha256: expected, alreadyPresent: true };
    }
    if (existing) {
      if (this.isSameObject(existing, job.file.size, expected)) {
        log.info('already at the target with the same sha256; not sent again', { target: this.id, key });
        job.saveResume(null);
        return { remoteKey: key, verifiedSha256: expected, alreadyPresent: true };
      }
      const found = existing.Metadata?.sha256;
      throw new UploadError(
        'permanent',
        `Target "${this.id}": another object is already at ${this.where}/${key} (${existing.ContentLength ?? '?'} bytes, sha256 metadata ${found ?? 'none'}; this file is ${job.file.size} bytes with sha256 ${expected}). The station never overwrites an object; move or delete that object, then retry this job.`,
        found ? { occupiedBy: { sha256: found } } : undefined,
      );
    }
    if (job.file.size < this.opts.multipartThresholdBytes) return this.single(job);
    return this.multipart(job);
  }

  private async single(job: UploadJobInput): Promise<UploadResult> {
    const key = job.remoteKey;
    // Read straight into one buffer of the file's size, sent as it is: no 1 MiB buffer per chunk and
    // no concatenated copy (per 800 MiB these cost the event loop about 0.45 s copying and 0.35 s of
    // garbage collection).
    const buffers = new ReadBuffers(job.file.size);
    const read = job.file.read({ md5: true, into: buffers.into });
    let length = 0;
    for await (const chunk of read.chunks) length += chunk.length;
    const body = buffers.at(0, length);
    const sha256 = Buffer.from(job.file.sha256, 'hex').toString('base64');
    // Set once the verified read has yielded its last chunk (computed on the hash pool's workers).
    const md5 = read.md5();
    if (md5 === null) throw new UploadError('transient', `Target "${this.id}": the local read of ${key} ended without its MD5; it is read again.`);
    const made: ObjectDigests = { sha256Base64: sha256, etag: md5 };
    job.saveResume({ v: 1, kind: 's3-put', key, made } satisfies S3PutResume);
    const sent = this.opts.faults?.alterBody?.(body, null) ?? body;
    const out = await this.send<PutObjectCommandOutput>(
      'PutObject',
      (sdk) => new sdk.PutObjectCommand({ Bucket: this.opts.bucket, Key: key, Body: sent, ContentLength: sent.length, ChecksumSHA256: sha256, Metadata: { sha256: job.file.sha256 } }),
      job.signal,
      sha256,
    );
    if (out.ETag && etagIsMd5(out.ETag, out) && unquote(out.ETag) !== md5) {
      await this.discard(key, job.signal);
      throw corrupted(this.id, key, `its ETag ${unquote(out.ETag)} is not the MD5 ${md5} of the bytes read from the local file`);
    }
    await this.verify(job, made);
    job.saveResume(null);
    return { remoteKey: key, verifiedSha256: job.file.sha256, alreadyPresent: false };
  }

  private async multipart(job: UploadJobInput): Promise<UploadResult> {
    const key = job.remoteKey;
    const state = await this.resumeOrCreate(job);
    const partSize = state.partSize;
    const partCount = Math.max(1, Math.ceil(job.file.size / partSize));
    const known = new Map(state.parts.map((p) => [p.n, p]));
    const partLog = new PartLog(job, this.opts.partSaveIntervalMs ?? defaultPartSaveIntervalMs);
    const done: PartRecord[] = [];
    // Parts are read straight into buffers of the part size: a part is one buffer, sent without a copy.
    const buffers = new ReadBuffers(partSize);
    const read = job.file.read({ into: buffers.into });
    let bufferedBytes = 0;
    // A part's SHA-256 is computed on the hash pool's workers as its pieces are read, never on the
    // event loop (a 64 MiB part would cost it about half a second). Its MD5, needed only to check
    // the ETag the server answers, is computed while the part is on the wire, not before it is sent.
    let partSha256 = hashPool().stream();
    let n = 1;
    // The part being sent while the next one is read and hashed; parts still go one at a time.
    let inflight: Promise<void> | null = null;
    const flush = async (): Promise<void> => {
      const partNumber = n++;
      const body = buffers.at((partNumber - 1) * partSize, bufferedBytes);
      const sha256 = Buffer.from((await partSha256.digest()).sha256, 'hex').toString('base64');
      const md5 = hashPool().md5Of(body);
      // Awaited by sendPart; a part that is never sent (a stop) leaves no unhandled rejection.
      md5.catch(() => undefined);
      bufferedBytes = 0;
      partSha256 = hashPool().stream();
      await inflight;
      // A stop during the previous part sends no further one.
      job.signal.throwIfAborted();
      const sending: Promise<void> = this.sendPart(job, state, partLog, partNumber, body, { sha256, md5 }, known.get(partNumber)).then((part) => {
        done.push(part);
        buffers.deliveredBefore(partNumber * partSize);
      });
      // Awaited before the next part is sent and at the end; until then a failure is not unhandled.
      sending.catch(() => undefined);
      inflight = sending;
    };
    try {
      // The read's chunks fill each buffer from its start and never span two: a part's chunks are its buffer's bytes in order.
      for await (const chunk of read.chunks) {
        await partSha256.update(chunk);
        bufferedBytes += chunk.length;
        if (bufferedBytes === partSize && n < partCount) await flush();
      }
      await flush();
      await inflight;
    } finally {
      partSha256.drop();
      // A failed read never leaves a part request running behind the job's back (it saves resume state).
      await (inflight as Promise<void> | null)?.catch(() => undefined);
      partLog.flush();
    }
    if (done.length !== partCount) throw new UploadError('transient', `Target "${this.id}": ${done.length} parts made of ${job.file.size} bytes, expected ${partCount}.`);

    // The server's part list must be what the station sent before the parts become an object.
    const listed = await this.listParts(key, state.uploadId, job.signal);
    for (const p of done) {
      const there = listed.get(p.n);
      if (!there || there.size !== p.size || unquote(there.etag) !== unquote(p.etag) || (there.sha256 && there.sha256 !== p.sha256)) {
        throw new UploadError('transient', `Target "${this.id}": part ${p.n} of ${key} is not on the server as sent (server: ${there ? `${there.size} bytes, ETag ${there.etag}` : 'missing'}); it is sent again.`);
      }
    }
    const digests = Buffer.concat(done.map((p) => Buffer.from(p.sha256, 'base64')));
    const made: ObjectDigests = {
      sha256Base64: createHash('sha256').update(digests).digest('base64'),
      etag: `${createHash('md5').update(Buffer.concat(done.map((p) => Buffer.from(p.md5, 'hex')))).digest('hex')}-${done.length}`,
    };
    // Saved before the request: if the station dies once it went through, the UploadId is gone,
    // and the next attempt verifies the object it finds against these (see put()).
    job.saveResume({ ...state, made } satisfies S3Resume);
    await this.send(
      'CompleteMultipartUpload',
      (sdk) => new sdk.CompleteMultipartUploadCommand({
        Bucket: this.opts.bucket,
        Key: key,
        UploadId: state.uploadId,
        MultipartUpload: { Parts: done.map((p) => ({ PartNumber: p.n, ETag: p.etag, ChecksumSHA256: p.sha256 })) },
      }),
      job.signal,
    );
    await this.verify(job, made);
    job.saveResume(null);
    return { remoteKey: key, verifiedSha256: job.file.sha256, alreadyPresent: false };
  }

  /**
   * Sends part `n` (its SHA-256, and its MD5 being computed) unless the server already holds
   * exactly these bytes for it; returns its record once the MD5 is known (the body may then be reused).
   */
  private async sendPart(job: UploadJobInput, state: S3Resume, partLog: PartLog, n: number, body: Buffer, sums: { sha256: string; md5: Promise<string> }, known: PartRecord | undefined): Promise<PartRecord> {
    if (known) return this.keepOrSendPart(job, state, partLog, n, body, { sha256: sums.sha256, md5: await sums.md5 }, known);
    return this.uploadPart(job, state, partLog, n, body, sums);
  }

  /**
   * Part `n` the server may hold already. A recorded part (ListParts confirmed the server has it
   * with the ETag it answered then) is kept if these bytes are the ones it was made of; one found
   * only on the server has no recorded SHA-256 (''), so its ETag, the MD5 of what the server holds,
   * must equal our bytes' MD5. Otherwise it is sent again.
   */
  private async keepOrSendPart(job: UploadJobInput, state: S3Resume, partLog: PartLog, n: number, body: Buffer, sums: { sha256: string; md5: string }, known: PartRecord): Promise<PartRecord> {
    const { sha256, md5 } = sums;
    const same = known.size === body.length && (known.sha256 === '' ? unquote(known.etag) === md5 : known.sha256 === sha256 && known.md5 === md5);
    if (same) {
      log.debug('part already on the server; not sent again', { target: this.id, key: job.remoteKey, part: n });
      const part = { ...known, sha256, md5 };
      if (known.sha256 === '') {
        state.parts = [...state.parts.filter((p) => p.n !== n), part].sort((a, b) => a.n - b.n);
        partLog.record(state);
      }
      return part;
    }
    return this.uploadPart(job, state, partLog, n, body, sums);
  }

  /** UploadPart, then its answer checked against the digests of the bytes read. */
  private async uploadPart(job: UploadJobInput, state: S3Resume, partLog: PartLog, n: number, body: Buffer, sums: { sha256: string; md5: Promise<string> | string }): Promise<PartRecord> {
    const { sha256 } = sums;
    const sent = this.opts.faults?.alterBody?.(body, n) ?? body;
    const out = await this.send<UploadPartCommandOutput>(
      'UploadPart',
      (sdk) => new sdk.UploadPartCommand({ Bucket: this.opts.bucket, Key: job.remoteKey, UploadId: state.uploadId, PartNumber: n, Body: sent, ContentLength: sent.length, ChecksumSHA256: sha256 }),
      job.signal,
      sha256,
    );
    const etag = out.ETag ?? '';
    const md5 = await sums.md5;
    if ((etagIsMd5(etag, out) && unquote(etag) !== md5) || (out.ChecksumSHA256 && out.ChecksumSHA256 !== sha256)) {
      throw corrupted(this.id, job.remoteKey, `part ${n} came back with ETag ${unquote(etag)} / SHA-256 ${out.ChecksumSHA256 ?? 'none'}, not MD5 ${md5} / SHA-256 ${sha256} of the bytes read`);
    }
    const part: PartRecord = { n, size: body.length, etag, sha256, md5 };
    state.parts = [...state.parts.filter((p) => p.n !== n), part].sort((a, b) => a.n - b.n);
    partLog.record(state);
    this.opts.faults?.afterPart?.(n);
    return part;
  }

  /**
   * The saved multipart upload reconciled with ListParts (the server is the truth: a part we
   * recorded but it lacks is sent again, a part it has that we never recorded is kept if its ETag is
   * our bytes' MD5), or a new one when there is none or the server forgot it (NoSuchUpload: aborted
   * or expired by a lifecycle rule). A job that may have started before without a saved UploadId (a
   * kill between CreateMultipartUpload and saveResume) adopts the newest upload the server holds for
   * its key and aborts the others, so no empty orphan upload is left behind.
   */
  private async resumeOrCreate(job: UploadJobInput): Promise<S3Resume> {
    const partSize = Math.max(this.opts.partSizeBytes, Math.ceil(job.file.size / maxParts));
    const saved = asResume(job.resume, job.remoteKey);
    if (saved) {
      try {
        return await this.reconcile(job, { v: 1, kind: 's3', key: saved.key, uploadId: saved.uploadId, partSize: saved.partSize, parts: saved.parts });
      } catch (err) {
        if (errorName(err) !== 'NoSuchUpload') throw err;
        log.info('the saved multipart upload is gone from the server; starting a new one', { target: this.id, key: job.remoteKey });
      }
    }
    // Also after a vanished saved upload: the attempt that found it gone may have been killed right
    // after creating the next one.
    const adopted = job.previouslyStarted ? await this.adoptOrphan(job) : null;
    if (adopted) {
      // Its part size is the one this formula gave the attempt that created it; a part of another
      // size (the setting changed since) fails sendPart's size check and is sent again.
      const state = await this.reconcile(job, { v: 1, kind: 's3', key: job.remoteKey, uploadId: adopted, partSize, parts: [] });
      job.saveResume(state);
      return state;
    }
    const created = await this.send<CreateMultipartUploadCommandOutput>(
      'CreateMultipartUpload',
      (sdk) => new sdk.CreateMultipartUploadCommand({ Bucket: this.opts.bucket, Key: job.remoteKey, ChecksumAlgorithm: 'SHA256', Metadata: { sha256: job.file.sha256 } }),
      job.signal,
    );
    if (!created.UploadId) throw new UploadError('transient', `Target "${this.id}": CreateMultipartUpload returned no UploadId.`);
    const state: S3Resume = { v: 1, kind: 's3', key: job.remoteKey, uploadId: created.UploadId, partSize, parts: [] };
    job.saveResume(state);
    return state;
  }

  /** `state` (its recorded parts) reconciled with the server's part list; throws NoSuchUpload when the server has no such upload. */
  private async reconcile(job: UploadJobInput, state: S3Resume): Promise<S3Resume> {
    const listed = await this.listParts(job.remoteKey, state.uploadId, job.signal);
    const recorded = new Map(state.parts.map((p) => [p.n, p]));
    const parts: PartRecord[] = [];
    for (const [n, there] of listed) {
      const mine = recorded.get(n);
      // Unknown to us: its SHA-256 is not known yet, so it is marked by ETag only and
      // sendPart keeps it only if the MD5 of our bytes matches (sha256 filled in there).
      if (mine && mine.size === there.size && unquote(mine.etag) === unquote(there.etag)) parts.push(mine);
      else if (!mine) parts.push({ n, size: there.size, etag: there.etag, sha256: there.sha256 ?? '', md5: unquote(there.etag) });
    }
    // A `made` saved before an earlier Complete that did not go through is dropped: a new one is saved before the next.
    log.info('resuming multipart upload', { target: this.id, key: job.remoteKey, partsOnServer: listed.size, partsKnown: parts.length });
    return { ...state, parts };
  }

  /**
   * The UploadId of the newest multipart upload the server holds for exactly this key (null when
   * none); every other one is aborted. Only this station writes under its keys (the key holds the
   * station id), so such an upload was made by an earlier attempt of this job.
   */
  private async adoptOrphan(job: UploadJobInput): Promise<string | null> {
    try {
      return await this.findOrphan(job);
    } catch (err) {
      // Credentials without s3:ListBucketMultipartUploads / s3:AbortMultipartUpload must not send
      // the job to the dead letter: a new upload is made, and the orphan (if any) stays for the
      // bucket's AbortIncompleteMultipartUpload rule.
      const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
      if (status !== 403 && errorName(err) !== 'AccessDenied') throw err;
      log.warn('may not list or abort multipart uploads; starting a new one (allow s3:ListBucketMultipartUploads and s3:AbortMultipartUpload to have orphans cleaned up)', { target: this.id, key: job.remoteKey });
      return null;
    }
  }

  private async findOrphan(job: UploadJobInput): Promise<string | null> {
    const key = job.remoteKey;
    const found: { uploadId: string; initiated: number }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.send<ListMultipartUploadsCommandOutput>(
        'ListMultipartUploads',
        (sdk) => new sdk.ListMultipartUploadsCommand({ Bucket: this.opts.bucket, Prefix: key, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}) }),
        job.signal,
      );
      // The prefix also matches longer keys ("a.tif" matches "a.tif.xmp"): only this exact key counts.
      for (const u of page.Uploads ?? []) if (u.Key === key && u.UploadId) found.push({ uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
      if (!page.IsTruncated || (!page.NextKeyMarker && !page.NextUploadIdMarker)) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    if (found.length === 0) return null;
    found.sort((a, b) => b.initiated - a.initiated);
    const [newest, ...extras] = found;
    for (const extra of extras) {
      await this.send('AbortMultipartUpload', (sdk) => new sdk.AbortMultipartUploadCommand({ Bucket: this.opts.bucket, Key: key, UploadId: extra.uploadId }), job.signal).catch((err: unknown) => {
        if (errorName(err) !== 'NoSuchUpload') throw err;
      });
    }
    log.info('adopting a multipart upload an earlier attempt started but never recorded', { target: this.id, key, uploadId: newest!.uploadId, aborted: extras.length });
    return newest!.uploadId;
  }

  private async listParts(key: string, uploadId: string, signal: AbortSignal): Promise<Map<number, { size: number; etag: string; sha256: string | undefined }>> {
    const out = new Map<number, { size: number; etag: string; sha256: string | undefined }>();
    let marker: string | undefined;
    for (;;) {
      const page = await this.send<ListPartsCommandOutput>('ListParts', (sdk) => new sdk.ListPartsCommand({ Bucket: this.opts.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }), signal);
      for (const p of page.Parts ?? []) if (p.PartNumber !== undefined) out.set(p.PartNumber, { size: p.Size ?? -1, etag: p.ETag ?? '', sha256: p.ChecksumSHA256 });
      if (!page.IsTruncated || !page.NextPartNumberMarker) return out;
      marker = page.NextPartNumberMarker;
    }
  }

  private async head(key: string, signal: AbortSignal): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.send<HeadObjectCommandOutput>('HeadObject', (sdk) => new sdk.HeadObjectCommand({ Bucket: this.opts.bucket, Key: key, ChecksumMode: 'ENABLED' }), signal);
    } catch (err) {
      if (errorName(err) === 'NotFound' || errorName(err) === 'NoSuchKey') return null;
      throw err;
    }
  }

  /** Same size, and the store's own full-object SHA-256 or the station's sha256 metadata equals the file's. */
  private isSameObject(head: HeadObjectCommandOutput, size: number, sha256Hex: string): boolean {
    if (head.ContentLength !== size) return false;
    const stored = head.ChecksumSHA256;
    // A multipart object's checksum is a composite of its parts, not the file's SHA-256; stores that
    // leave ChecksumType out (moto) still mark a multipart object by its "-N" ETag.
    const composite = head.ChecksumType === 'COMPOSITE' || (stored?.includes('-') ?? false) || /-\d+"?$/.test(head.ETag ?? '');
    if (stored && !composite) return stored === Buffer.from(sha256Hex, 'hex').toString('base64');
    return head.Metadata?.sha256 === sha256Hex;
  }

  /**
   * After the object exists: HeadObject must report its size and a content digest the station
   * computed itself (SHA-256, full or composite; else the ETag when it is an MD5). Otherwise the
   * object is deleted (a later attempt must not acknowledge it by its metadata) and the job retried.
   */
  private async verify(job: UploadJobInput, want: { sha256Base64: string; etag: string }): Promise<void> {
    const key = job.remoteKey;
    const head = await this.head(key, job.signal);
    if (!head) throw new UploadError('transient', `Target "${this.id}": ${key} is not there right after it was uploaded; it is sent again.`);
    const problems: string[] = [];
    if (head.ContentLength !== job.file.size) problems.push(`size ${head.ContentLength ?? '?'} instead of ${job.file.size}`);
    // S3 writes a composite checksum as "<base64>-<parts>"; some stores (moto) leave the suffix off.
    const stored = head.ChecksumSHA256?.replace(/-\d+$/, '');
    let confirmed = false;
    if (stored) {
      if (stored !== want.sha256Base64) problems.push(`SHA-256 ${stored} instead of ${want.sha256Base64}`);
      else confirmed = true;
    }
    const etag = head.ETag ? unquote(head.ETag) : '';
    if (etagIsMd5(etag, head, true)) {
      if (etag !== want.etag) problems.push(`ETag ${etag} instead of ${want.etag}`);
      else confirmed = true;
    }
    if (!confirmed && problems.length === 0) problems.push('the store reports neither a SHA-256 checksum nor an MD5 ETag, so the copy cannot be verified');
    if (problems.length > 0) {
      await this.discard(key, job.signal);
      throw corrupted(this.id, key, problems.join(', '));
    }
  }

  /** Removes an object that failed verification, so no later HeadObject acknowledges it. */
  private async discard(key: string, signal: AbortSignal): Promise<void> {
    try {
      await this.send('DeleteObject', (sdk) => new sdk.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: key }), signal);
    } catch (err) {
      log.warn('could not delete an object that failed verification', { target: this.id, key, error: (err as Error).message });
    }
  }

  /** Every request goes through here: the test seam sees it, and the job's abort signal cancels it. */
  private async send<O>(name: string, make: (sdk: Sdk) => AnyCommand, signal: AbortSignal, payloadSha256Base64?: string): Promise<O> {
    this.loaded ??= import('@aws-sdk/client-s3').then((sdk) => {
      quietNodeVersionNotice();
      return { sdk, client: new sdk.S3Client(this.config) };
    });
    const { sdk, client } = await this.loaded;
    const command = make(sdk);
    if (payloadSha256Base64) {
      // The body's SHA-256, already computed on the hash pool's workers, is the payload hash SigV4
      // signs: given as x-amz-content-sha256, the signer uses it instead of hashing the whole body
      // again on the event loop (it does for plain-http endpoints). S3 rejects a body that does not match it.
      const hex = Buffer.from(payloadSha256Base64, 'base64').toString('hex');
      (command as unknown as WithMiddleware).middlewareStack.add(
        (next) => async (args) => {
          args.request.headers['x-amz-content-sha256'] = hex;
          return next(args);
        },
        { step: 'build', name: 'stationPayloadSha256' },
      );
    }
    this.opts.faults?.onRequest?.(name, command.input as Record<string, unknown>);
    const out = (await client.send(command as Parameters<S3Client['send']>[0], { abortSignal: signal })) as O;
    this.opts.faults?.afterRequest?.(name);
    return out;
  }

  /** An SDK or network error as an UploadError of the kind the uploader acts on, saying what to fix. */
  private classify(err: unknown, during: string): UploadError {
    if (err instanceof UploadError) return err;
    const name = errorName(err);
    const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
    const message = (err as Error)?.message ?? String(err);
    const what = `Target "${this.id}" (${this.where})`;
    if (name === 'NoSuchBucket' || (during === 'HeadBucket' && status === 404)) {
      return new UploadError('permanent', `${what}: the bucket "${this.opts.bucket}" does not exist. Create it, or correct "bucket" (and "endpoint"/"region") of this target in the station config.`, { cause: err });
    }
    if (status === 403 || ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError'].includes(name)) {
      // Expired or revoked credentials must not send the backlog to the dead letter: the target is
      // paused (no attempts spent) until an upload is accepted again — HeadBucket succeeding is
      // not enough, the credentials may allow it and not PutObject.
      const fix = name === 'ExpiredToken' || name === 'InvalidToken' ? 'Renew the session token (sessionToken, or the profile\'s credentials) and restart the station' : 'Check the credentials the station runs with (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE in its environment, or accessKeyId/secretAccessKey in the config) and that they may HeadBucket, PutObject, multipart-upload and DeleteObject in the bucket';
      return new UploadError('paused', `${what}: access denied (${name || status}: ${message}). ${fix}. Its uploads wait without spending attempts; one is tried again every probe interval.`, { cause: err, untilUploadAccepted: during === 'upload' });
    }
    if (status === undefined || status === 0) {
      // No HTTP answer at all: connection refused, DNS, timeout, reset — the store is unreachable.
      return new UploadError('offline', `${what} is unreachable (${name}: ${message}). Uploads wait and resume by themselves when it is back.`, { cause: err });
    }
    // 5xx, throttling (SlowDown, 429, 503), BadDigest, RequestTimeout and the rest: retried with backoff.
    return new UploadError('transient', `${what}: ${during} failed (${status} ${name}: ${message})`, { cause: err });
  }
}

/** Any S3 command (the client's own overloads are too narrow to name one type for all). */
type AnyCommand = { input: object };
type Sdk = typeof S3Sdk;
/** The part of a command's middleware stack `send` uses (a build step, before SigV4 signs the request). */
interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (next: (args: { request: { headers: Record<string, string> } }) => Promise<unknown>) => (args: { request: { headers: Record<string, string> } }) => Promise<unknown>,
      options: { step: 'build'; name: string },
    ): void;
  };
}

function asResume(value: unknown, key: string): S3Resume | null {
  const r = value as Partial<S3Resume> | null;
  if (!r || r.v !== 1 || r.kind !== 's3' || r.key !== key || typeof r.uploadId !== 'string' || typeof r.partSize !== 'number' || !Array.isArray(r.parts)) return null;
  return r as S3Resume;
}

/** The digests a saved PutObject or CompleteMultipartUpload of `key` must have produced; null when none was saved. */
function madeOf(value: unknown, key: string): ObjectDigests | null {
  const r = value as Partial<S3Resume | S3PutResume> | null;
  if (!r || r.v !== 1 || (r.kind !== 's3' && r.kind !== 's3-put') || r.key !== key || !r.made) return null;
  return typeof r.made.sha256Base64 === 'string' && typeof r.made.etag === 'string' ? r.made : null;
}

function errorName(err: unknown): string {
  return (err as { name?: string } | null)?.name ?? '';
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '').toLowerCase();
}

/**
 * True when S3 defines the ETag as the MD5 of the bytes (of a multipart object's part MD5s with
 * `multipart`, "<md5>-N"): not under SSE-KMS or SSE-C, whose ETags are opaque though they look alike.
 */
function etagIsMd5(etag: string, out: { ServerSideEncryption?: string | undefined; SSECustomerAlgorithm?: string | undefined }, multipart = false): boolean {
  if (out.SSECustomerAlgorithm || (out.ServerSideEncryption ?? '').startsWith('aws:kms')) return false;
  return (multipart ? /^[0-9a-f]{32}(-\d+)?$/ : /^[0-9a-f]{32}$/).test(unquote(etag));
}

function corrupted(targetId: string, key: string, why: string): UploadError {
  return new UploadError('transient', `Verification failed at target "${targetId}": ${key} — ${why}. The store did not receive the bytes that were read; the copy was discarded and is retried.`);
}

/**
 * The AWS SDK prints a nine-line NodeVersionSupportWarning on Node < 22 into every station log
 * (through process.emitWarning, on stderr). The station supports the Node it documents (README);
 * the notice is logged once here instead, unless the operator set the SDK's own switch.
 */
function quietNodeVersionNotice(): void {
  const variable = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
  if (Number(process.versions.node.split('.')[0]) >= 22 || process.env[variable] !== undefined) return;
  process.env[variable] = 'true';
  log.info('the AWS SDK announces that a later release will need Node 22; this Node works with the version installed', { node: process.versions.node });
}

/** How often a multipart upload's part list is saved at most (PartLog). */
export const defaultPartSaveIntervalMs = 1000;

/**
 * Saves a multipart upload's part list (the job's resume state) at most once per `everyMs`, and
 * what is left unsaved when the attempt ends (flush: finished, failed or stopped). Each save is an
 * SQLite commit with fsync, on the event loop: per part that blocked it 4 ms (median; p90 8-9 ms,
 * up to 26-42 ms) on the test machine's disk — with 16 MiB parts on a fast LAN, dozens a second.
 * What a kill loses is only the record of the last interval's parts, not the parts: the next attempt
 * finds them with ListParts and keeps each whose ETag is the MD5 of our bytes for it (reconcile,
 * keepOrSendPart), so it still resumes instead of starting over (only under SSE-KMS / SSE-C, whose
 * ETags are not MD5s, are those few parts sent again).
 */
class PartLog {
  private savedAt = -Infinity;
  private unsaved: S3Resume | null = null;

  constructor(
    private readonly job: UploadJobInput,
    private readonly everyMs: number,
  ) {}

  record(state: S3Resume): void {
    const now = Date.now();
    if (now - this.savedAt < this.everyMs) {
      this.unsaved = state;
      return;
    }
    this.savedAt = now;
    this.unsaved = null;
    this.job.saveResume(state);
  }

  flush(): void {
    if (this.unsaved === null) return;
    const state = this.unsaved;
    this.unsaved = null;
    this.job.saveResume(state);
  }
}
