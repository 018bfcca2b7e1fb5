/**
 * tus resumable-upload target (tus-js-client). One upload:
 *   1. with an upload URL saved by an earlier attempt (resume_json), tus-js-client asks the server
 *      for its offset (HEAD) and sends only the rest; a URL the server no longer knows (404/410)
 *      makes it create a new upload. Without one it creates the upload (POST) and the new URL is
 *      saved with saveResume at once, before any byte is sent;
 *   2. metadata: filename, key (the stable remote key), sha256, station and, when the capture is
 *      linked to an object, barcode (left out otherwise);
 *   3. the bytes come from the verified, bandwidth-capped local read (source-read.ts), read from byte
 *      0 even when resuming so the whole file is hashed against QC's sha256; its last chunk is held
 *      back until the file matched, so a changed file never completes an upload. One chunk is read
 *      ahead (read-ahead.ts): the next PATCH's bytes are read and hashed while the current one is sent;
 *   4. verification: the tus protocol has no read-back and @tus/server offers no checksum extension
 *      (its file store announces creation, creation-with-upload, creation-defer-length, termination,
 *      expiration), so a completed upload is acknowledged when a HEAD of the upload URL reports
 *      Upload-Offset = Upload-Length = the file's size, on top of the local read-back above. When the
 *      server announces the checksum extension with sha256, every PATCH carries Upload-Checksum and
 *      the server rejects a chunk that does not match.
 * Idempotent: a saved URL whose offset already equals the size is acknowledged without sending.
 * tus-js-client's own retries and URL storage are off: the queue's backoff retries, and the URL
 * lives in the job's resume state, which survives restarts with the job.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import type * as tus from 'tus-js-client';
import { createLogger } from '../log/logger.js';
import { hashPool, type StreamHash } from '../hashing/pool.js';
import { redactUrl } from '../shared/redact-url.js';
import { readAhead } from './read-ahead.js';
import { ReadBuffers } from './read-buffers.js';
import { mirrorKey, type KeySource } from './remote-key.js';
import { UploadError, type CopyCheck, type RemoteCopy, type StaleRemoval, type StaleRemovalContext, type UploadJobInput, type UploadResult, type UploadTarget } from './target.js';

const log = createLogger('upload.tus');

/** Size of the buffers a file is read into; a PATCH's bytes may span several. */
const readBufferBytes = 4 * 1024 * 1024;

export interface TusTargetFaults {
  /** Called before every request tus-js-client sends (tests count PATCHes and see their offsets). */
  onRequest?: (method: string, url: string, headers: { offset: string | undefined }) => void;
  /** Called after each chunk the server accepted (tests stop the server here). */
  afterChunk?: (bytesAccepted: number) => void;
}

export interface TusTargetOptions {
  id: string;
  /** The creation endpoint (POST), e.g. https://uploads.example.org/files/ */
  endpoint: string;
  headers: Record<string, string>;
  chunkSizeBytes: number;
  stationId: string;
  library?: string;
  faults?: TusTargetFaults;
}

interface TusResume {
  v: 1;
  kind: 'tus';
  url: string;
  size: number;
  sha256: string;
}

export class TusTarget implements UploadTarget {
  readonly kind = 'tus';
  readonly id: string;
  /** Learned from the OPTIONS probe: does the server verify a sha256 Upload-Checksum? */
  private checksumSha256: boolean | null = null;
  /** Learned from the OPTIONS probe: does the server offer the termination extension (DELETE of an upload)? */
  private termination: boolean | null = null;

  /**
   * user:password@ of the endpoint as Basic auth, for requests to the endpoint's own origin only:
   * tus-js-client (url-parse) drops the userinfo from the upload URLs the server answers, so their
   * PATCH and HEAD would go without it, and a credential must not follow a Location to another
   * host. An Authorization header in the config wins (and goes everywhere, as configured headers do).
   */
  private readonly endpointAuth: { origin: string; authorization: string } | null;

  constructor(private readonly opts: TusTargetOptions) {
    this.id = opts.id;
    const url = new URL(opts.endpoint);
    const configured = Object.keys(opts.headers).some((h) => h.toLowerCase() === 'authorization');
    this.endpointAuth =
      (url.username || url.password) && !configured
        ? { origin: url.origin, authorization: `Basic ${Buffer.from(`${userinfoText(url.username)}:${userinfoText(url.password)}`).toString('base64')}` }
        : null;
  }

  /** The endpoint's Basic auth when `url` is on the endpoint's origin, else null. */
  private authFor(url: string): string | null {
    return this.endpointAuth && URL.canParse(url) && new URL(url).origin === this.endpointAuth.origin ? this.endpointAuth.authorization : null;
  }

  private headersFor(url: string): Record<string, string> {
    const auth = this.authFor(url);
    return auth ? { ...this.opts.headers, Authorization: auth } : this.opts.headers;
  }

  remoteKeyOf(capture: KeySource): string {
    return mirrorKey(this.opts.stationId, capture, this.opts.library);
  }

  async probe(signal: AbortSignal): Promise<void> {
    let res: BareResponse;
    try {
      res = await bareRequest('OPTIONS', this.opts.endpoint, this.headersFor(this.opts.endpoint), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw this.offline((err as Error).message, err);
    }
    if (res.status === 401 || res.status === 403) {
      throw new UploadError('paused', `Target "${this.id}" (${this.opts.endpoint}) refuses the station (${res.status}). Check the target's "headers" (e.g. Authorization) in the station config; uploads resume by themselves once it answers.`);
    }
    if (!res.ok || !res.headers.get('tus-version')) {
      throw this.offline(`OPTIONS answered ${res.status}${res.headers.get('tus-version') ? '' : ' without a Tus-Version header (is this a tus endpoint?)'}`);
    }
    const extensions = (res.headers.get('tus-extension') ?? '').split(',').map((s) => s.trim());
    const algorithms = (res.headers.get('tus-checksum-algorithm') ?? '').split(',').map((s) => s.trim().toLowerCase());
    this.checksumSha256 = extensions.includes('checksum') && algorithms.includes('sha256');
    this.termination = extensions.includes('termination');
  }

  async upload(job: UploadJobInput): Promise<UploadResult> {
    try {
      return await this.send(job);
    } catch (err) {
      if (job.signal.aborted) throw err;
      throw this.classify(err);
    }
  }

  private async send(job: UploadJobInput): Promise<UploadResult> {
    const expected = job.file.sha256;
    const saved = asResume(job.resume, job.file.size, expected);
    const metadata: Record<string, string> = {
      filename: path.posix.basename(job.remoteKey),
      key: job.remoteKey,
      sha256: expected,
      station: this.opts.stationId,
      ...(job.barcode ? { barcode: job.barcode } : {}),
    };
    if (this.checksumSha256 === null) await this.probe(job.signal).catch(() => undefined);
    // One PATCH's worth read ahead: the next chunk is read and hashed while the current one is sent.
    // The bytes are read into a few buffers used again once the server has them (read-buffers.ts).
    const buffers = new ReadBuffers(readBufferBytes);
    const source = new SequentialSource(readAhead(job.file.read({ into: buffers.into }).chunks, this.opts.chunkSizeBytes), buffers, job.file.size, this.checksumSha256 === true);
    let url: string | null = saved?.url ?? null;
    let firstPatchOffset: number | null = null;
    // Loaded on first use: a station without tus targets never pays its import time at start.
    const { Upload } = await import('tus-js-client');

    await new Promise<void>((resolve, reject) => {
      const upload: tus.Upload = new Upload(Buffer.alloc(0), {
        endpoint: this.opts.endpoint,
        ...(saved ? { uploadUrl: saved.url } : {}),
        uploadSize: job.file.size,
        chunkSize: this.opts.chunkSizeBytes,
        headers: this.opts.headers,
        metadata,
        retryDelays: null,
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        fingerprint: async () => `capture-station:${job.remoteKey}`,
        fileReader: { openFile: async () => source },
        onUploadUrlAvailable: () => {
          if (upload.url && upload.url !== url) {
            url = upload.url;
            job.saveResume({ v: 1, kind: 'tus', url, size: job.file.size, sha256: expected } satisfies TusResume);
            log.info('tus upload created', { target: this.id, key: job.remoteKey, url: redactUrl(url) });
          }
        },
        onBeforeRequest: (req) => {
          const auth = this.authFor(req.getURL());
          if (auth) req.setHeader('Authorization', auth);
          const offset = req.getHeader('Upload-Offset');
          if (req.getMethod() === 'PATCH') {
            if (firstPatchOffset === null) firstPatchOffset = Number(offset);
            if (this.checksumSha256) source.checksumFor(req);
          }
          this.opts.faults?.onRequest?.(req.getMethod(), req.getURL(), { offset });
        },
        onChunkComplete: (_size, accepted) => this.opts.faults?.afterChunk?.(accepted),
        onSuccess: () => resolve(),
        onError: (err) => reject(err),
      });
      const onAbort = () => {
        void upload.abort(false);
        reject(job.signal.reason as Error);
      };
      if (job.signal.aborted) return onAbort();
      job.signal.addEventListener('abort', onAbort, { once: true });
      upload.start();
    }).finally(() => source.close());

    if (!url) throw new UploadError('transient', `Target "${this.id}": the server gave no upload URL.`);
    if (saved && firstPatchOffset !== null) log.info('resumed tus upload', { target: this.id, key: job.remoteKey, fromOffset: firstPatchOffset });
    await this.verify(job, url);
    const confirmState: TusResume = { v: 1, kind: 'tus', url, size: job.file.size, sha256: expected };
    return { remoteKey: job.remoteKey, verifiedSha256: expected, alreadyPresent: saved !== null && firstPatchOffset === null, confirmState };
  }

  /**
   * HEAD of the upload URL the done upload recorded: Upload-Offset = Upload-Length = the size, and
   * the sha256 in Upload-Metadata, when the server returns it, equal to the file's.
   */
  async confirm(copy: RemoteCopy, signal: AbortSignal): Promise<CopyCheck> {
    const done = copy.state as Partial<TusResume> | null;
    // One copy, not the target: the others are checked, and files with a recorded URL are removed.
    if (done?.v !== 1 || done.kind !== 'tus' || typeof done.url !== 'string') return { present: null, problem: `the upload URL of ${copy.remoteKey} was not recorded (uploaded by an older version of the station), so its copy cannot be checked and the local file is kept` };
    let res: BareResponse;
    try {
      res = await bareRequest('HEAD', done.url, this.headersFor(done.url), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw this.offline((err as Error).message, err);
    }
    if (res.status === 404 || res.status === 410) return { present: false, problem: `${redactUrl(done.url)} is no longer there (${res.status})` };
    if (!res.ok) throw new UploadError('paused', `Target "${this.id}": HEAD ${redactUrl(done.url)} answered ${res.status}, so the copy of ${copy.remoteKey} cannot be checked now.`);
    const offset = Number(res.headers.get('upload-offset'));
    const length = Number(res.headers.get('upload-length'));
    if (offset !== copy.size || length !== copy.size) return { present: false, problem: `${redactUrl(done.url)} reports Upload-Offset ${offset} and Upload-Length ${length}, not ${copy.size} bytes` };
    const sha256 = metadataOf(res.headers.get('upload-metadata')).sha256;
    if (sha256 !== undefined && sha256 !== copy.sha256) return { present: false, problem: `${redactUrl(done.url)} holds an upload with sha256 ${sha256}, not ${copy.sha256}` };
    return { present: true };
  }

  /**
   * Removes the station's own superseded upload with the termination extension (DELETE of its URL),
   * after a HEAD proved it still holds the size written (and the sha256 written, when the server
   * returns the metadata). A server without termination keeps it, and the queue lists it.
   */
  async removeStale(copy: RemoteCopy, ctx: StaleRemovalContext): Promise<StaleRemoval> {
    const { signal } = ctx;
    const done = copy.state as Partial<TusResume> | null;
    if (done?.v !== 1 || done.kind !== 'tus' || typeof done.url !== 'string') return { outcome: 'kept', note: `the upload URL of ${copy.remoteKey} was not recorded, so it cannot be found to remove it` };
    const url = done.url;
    try {
      if (this.termination === null) await this.probe(signal);
      if (!this.termination) return { outcome: 'kept', note: `the tus server at ${this.opts.endpoint} does not offer the termination extension, so ${redactUrl(url)} (${copy.remoteKey}) cannot be removed by the station: remove it at the server` };
      const head = await bareRequest('HEAD', url, this.headersFor(url), signal);
      if (head.status === 404 || head.status === 410) return { outcome: 'gone', note: `${redactUrl(url)} was no longer there (${head.status})` };
      if (!head.ok) throw new UploadError('transient', `Target "${this.id}": HEAD ${redactUrl(url)} answered ${head.status}; removing the superseded upload is tried again later.`);
      const offset = Number(head.headers.get('upload-offset'));
      const length = Number(head.headers.get('upload-length'));
      const sha256 = metadataOf(head.headers.get('upload-metadata')).sha256;
      if (offset !== copy.size || length !== copy.size || (sha256 !== undefined && sha256 !== copy.sha256)) {
        return { outcome: 'kept', note: `${redactUrl(url)} now reports ${offset} of ${length} bytes${sha256 ? ` with sha256 ${sha256}` : ''}, not the ${copy.size} bytes with sha256 ${copy.sha256} the station wrote: left alone` };
      }
      ctx.beforeDelete();
      const res = await bareRequest('DELETE', url, this.headersFor(url), signal);
      if (res.status === 404 || res.status === 410) return { outcome: 'gone', note: `${redactUrl(url)} was no longer there (${res.status})` };
      if (!res.ok) throw new UploadError('transient', `Target "${this.id}": DELETE ${redactUrl(url)} answered ${res.status}; removing the superseded upload is tried again later.`);
      return { outcome: 'removed', note: `removed ${redactUrl(url)} (${copy.remoteKey}; ${copy.size} bytes${sha256 ? `, sha256 ${sha256}` : ''} confirmed by HEAD first)` };
    } catch (err) {
      if (signal.aborted || err instanceof UploadError) throw err;
      throw this.offline((err as Error).message, err);
    }
  }

  /** The server must hold exactly the file's size at the upload URL. */
  private async verify(job: UploadJobInput, url: string): Promise<void> {
    const res = await bareRequest('HEAD', url, this.headersFor(url), job.signal);
    const offset = Number(res.headers.get('upload-offset'));
    const length = Number(res.headers.get('upload-length'));
    if (!res.ok || offset !== job.file.size || length !== job.file.size) {
      // A different length means the saved URL is not this file's upload: start a new one next time.
      if (res.ok && length !== job.file.size) job.saveResume(null);
      throw new UploadError(
        'transient',
        `Verification failed at target "${this.id}": ${url} reports ${res.ok ? `Upload-Offset ${offset} and Upload-Length ${length}` : `status ${res.status}`}, not ${job.file.size} bytes. It is checked again on the next attempt.`,
      );
    }
  }

  private offline(why: string, cause?: unknown): UploadError {
    return new UploadError('offline', `Target "${this.id}" is unreachable (${this.opts.endpoint}: ${why}). Uploads wait and resume by themselves when it is back.`, { cause });
  }

  private classify(err: unknown): UploadError {
    if (err instanceof UploadError) return err;
    const detailed = err as Partial<tus.DetailedError> | null;
    // A failure of the local read (a changed file) arrives wrapped by tus-js-client.
    if (detailed?.causingError instanceof UploadError) return detailed.causingError;
    const status = detailed?.originalResponse?.getStatus();
    const message = (err as Error)?.message ?? String(err);
    if (status === undefined || status === 0) return this.offline(message, err);
    if (status === 401 || status === 403) {
      // Expired or revoked credentials must not send the backlog to the dead letter: the target is
      // paused (no attempts spent) until an upload is accepted again.
      return new UploadError(
        'paused',
        `Target "${this.id}" (${this.opts.endpoint}) refused the upload (${status}): its credentials are not accepted. Fix the target's "headers" (e.g. Authorization) in the station config and restart the station. Its uploads wait without spending attempts; one is tried again every probe interval.`,
        { cause: err, untilUploadAccepted: true },
      );
    }
    if (status === 413) {
      return new UploadError('permanent', `Target "${this.id}" (${this.opts.endpoint}) does not take files this large (413; see its Tus-Max-Size). Raise the server's limit, then retry the job.`, { cause: err });
    }
    // 409 (offset mismatch), 423 (locked), 429, 460 (checksum mismatch), 5xx: retried with backoff.
    return new UploadError('transient', `Target "${this.id}": ${message}`, { cause: err });
  }
}

/**
 * tus-js-client's file source over the verified local read: slices are asked for in increasing
 * order within one attempt (its retries are off), so bytes are streamed, not held; bytes before the
 * server's offset are read (and hashed by the verified read) but not sent.
 */
class SequentialSource {
  private pos = 0;
  private pending: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Buffer>;
  /** Upload-Checksum value of the last slice, when the server verifies checksums. */
  private lastChecksum: string | null = null;

  constructor(
    chunks: AsyncIterable<Buffer>,
    private readonly buffers: ReadBuffers,
    readonly size: number,
    private readonly checksums: boolean,
  ) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  async slice(start: number, end: number): Promise<{ value: Readable & { size?: number }; done: boolean }> {
    const stop = Math.min(end, this.size);
    if (start < this.pos) throw new UploadError('transient', `tus asked for bytes from ${start} again after ${this.pos} were read; the upload is retried.`);
    // tus-js-client asks for a slice once the server answered for the one before: the bytes before `start` are delivered or skipped.
    this.buffers.deliveredBefore(start);
    // Hashed on the hash pool's workers as the slice is gathered, not on the event loop.
    const hash = this.checksums ? hashPool().stream() : null;
    try {
      return await this.gather(start, stop, hash);
    } finally {
      hash?.drop();
    }
  }

  private async gather(start: number, stop: number, hash: StreamHash | null): Promise<{ value: Readable & { size?: number }; done: boolean }> {
    const parts: Buffer[] = [];
    let have = 0;
    while (this.pos + have < stop) {
      if (this.pending.length === 0) {
        const next = await this.iterator.next();
        if (next.done) break;
        this.pending = next.value;
      }
      // Bytes before `start` (already on the server) are skipped.
      const skip = Math.min(this.pending.length, Math.max(0, start - this.pos));
      if (skip > 0) {
        this.pending = this.pending.subarray(skip);
        this.pos += skip;
        // Skipped bytes are not needed either: resuming far into a large file holds a few buffers, not all it skips.
        this.buffers.deliveredBefore(this.pos);
        continue;
      }
      const take = Math.min(this.pending.length, stop - this.pos - have);
      const piece = this.pending.subarray(0, take);
      parts.push(piece);
      await hash?.update(piece);
      this.pending = this.pending.subarray(take);
      have += take;
    }
    this.pos += have;
    if (stop >= this.size && this.pending.length === 0) {
      // Drain the read so its whole-file check runs (it throws instead of ending if the file changed).
      const rest = await this.iterator.next();
      if (!rest.done) throw new UploadError('transient', 'the local file has more bytes than its recorded size');
    }
    // The pieces go out as they are, not concatenated: a copy of every byte on the event loop (and
    // its garbage) would cost about as much as hashing them; tus-js-client pipes a stream into the
    // request in whole pieces, where a Buffer body would be written in 16 KiB writes.
    const value: Readable & { size?: number } = Readable.from(parts, { objectMode: false });
    value.size = have;
    this.lastChecksum = hash ? `sha256 ${Buffer.from((await hash.digest()).sha256, 'hex').toString('base64')}` : null;
    return { value, done: stop >= this.size };
  }

  /** Upload-Checksum of the slice about to be sent (servers with the checksum extension verify it). */
  checksumFor(req: tus.HttpRequest): void {
    if (this.lastChecksum) req.setHeader('Upload-Checksum', this.lastChecksum);
  }

  close(): void {
    void this.iterator.return?.();
  }
}

interface BareResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
}

/**
 * One request on a fresh connection (no keep-alive pool): after the server restarted, a pooled
 * socket to its old process would fail the probe or the verification for no reason.
 */
function bareRequest(method: string, url: string, headers: Record<string, string>, signal: AbortSignal): Promise<BareResponse> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.request(url, { method, headers: { ...headers, 'Tus-Resumable': '1.0.0' }, agent: false, signal }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: {
            get: (name) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(',') : v;
            },
          },
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Upload-Metadata ("key base64,key base64,key"): values decoded; a key without a value maps to ''. */
function metadataOf(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (header ?? '').split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (key) out[key] = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  }
  return out;
}

function asResume(value: unknown, size: number, sha256: string): TusResume | null {
  const r = value as Partial<TusResume> | null;
  if (!r || r.v !== 1 || r.kind !== 'tus' || typeof r.url !== 'string' || r.size !== size || r.sha256 !== sha256) return null;
  return r as TusResume;
}

/** A URL's percent-encoded user or password as typed; as it is when it is not valid percent-encoding (a typed "50%off" stays so). */
function userinfoText(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
