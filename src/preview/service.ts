/**
 * Previews on demand: from the cache when the capture's content has one, otherwise made from the
 * capture's file, one at a time and only while QC has nothing to do, so a technician looking at
 * previews never delays the verdict on the next shot.
 */
import fs from 'node:fs';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { sha256OfFile } from '../hashing/file.js';
import { unlessWithdrawn } from '../shared/withdrawable.js';
import type { Measurements } from '../quality/types.js';
import type { CaptureDetail, CaptureStore } from '../store/captures.js';
import { PreviewCache, type CachedPreview } from './cache.js';
import { renderPreview, type RenderOptions } from './render.js';

const log = createLogger('preview');

/** Undecodable contents remembered (by hash) so a damaged file is not decoded again at every look. */
const rememberedFailures = 200;

export interface PreviewServiceOptions {
  captures: Pick<CaptureStore, 'detail'>;
  cacheDir: string;
  maxCacheBytes: number;
  render: RenderOptions;
  /** Resolves when QC has nothing waiting or running (Station.idle). */
  qcIdle(): Promise<void>;
}

/**
 * Share of pixels at black (0) and at white (full scale) per colour channel, in percent: QC's own
 * measurement at the file's bit depth (src/quality/measure.ts), the figures the exposure check
 * judged. Null when QC did not judge clipping (float or bilevel data, or an undecodable file).
 */
export interface Clipping {
  blackPct: number[];
  whitePct: number[];
}

export interface Preview extends CachedPreview {
  captureId: number;
  sha256: string;
  clipping: Clipping | null;
}

export class PreviewService {
  private readonly cache: PreviewCache;
  /** Previews being made, by content hash, with how many requests still wait for each. */
  private readonly making = new Map<string, { made: Promise<CachedPreview>; waiting: number }>();
  private readonly failures = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: PreviewServiceOptions) {
    this.cache = new PreviewCache(opts.cacheDir, opts.maxCacheBytes, opts.render.longEdge);
  }

  /**
   * `signal`: the request was withdrawn (the page moved on to a newer capture). A preview no
   * request waits for any more is not made when its turn comes — during a stream of captures the
   * queue would otherwise fill with previews nobody will look at.
   */
  async preview(captureId: number, signal?: AbortSignal): Promise<Preview> {
    const capture = this.capture(captureId);
    const sha256 = capture.sha256!;
    const clipping = clippingOf(capture.measurements);
    const cached = this.cache.get(sha256);
    if (cached) return { ...cached, captureId, sha256, clipping };
    const failure = this.failures.get(sha256);
    if (failure) throw new StationError('FILE_UNREADABLE', failure);
    let entry = this.making.get(sha256);
    if (!entry) {
      const fresh = { waiting: 0 } as { made: Promise<CachedPreview>; waiting: number };
      const forget = () => {
        if (this.making.get(sha256) === fresh) this.making.delete(sha256);
      };
      // A job nobody waits for is forgotten the moment it is given up, not when its CANCELLED has
      // settled some microtasks later: a request arriving in between starts a job of its own.
      const wanted = () => {
        if (fresh.waiting > 0) return true;
        forget();
        return false;
      };
      fresh.made = this.enqueue(() => this.make(captureId, sha256), wanted);
      this.making.set(sha256, fresh);
      void fresh.made.then(forget, forget);
      entry = fresh;
    }
    entry.waiting++;
    try {
      const made = await unlessWithdrawn<CachedPreview | null>(entry.made, signal, () => null);
      if (!made) throw new StationError('CANCELLED', 'The request for this preview was withdrawn.');
      return { ...made, captureId, sha256, clipping };
    } finally {
      entry.waiting--;
    }
  }

  /**
   * The `capturePreview` command's result. The JPEG travels inside it as a data URL so that one
   * reply works unchanged over all three transports (in-process, Electron IPC, HTTP JSON) and an
   * `<img>` or canvas in the page can use it as it is, with no file access or URL scheme of its own;
   * the headless server also serves the same bytes at GET /api/preview/<id> (src/server/preview-route.ts)
   * for other HTTP clients. `withImage: false` leaves the image out (histogram and clipping only).
   */
  async describe(captureId: number, withImage: boolean, signal?: AbortSignal) {
    const p = await this.preview(captureId, signal);
    const image = withImage ? `data:image/jpeg;base64,${(await fs.promises.readFile(p.jpegFile)).toString('base64')}` : null;
    return { captureId, sha256: p.sha256, width: p.width, height: p.height, histogram: p.histogram, clipping: p.clipping, image };
  }

  /** The preview's JPEG bytes (the HTTP route) with the content hash that names them. */
  async jpeg(captureId: number, signal?: AbortSignal): Promise<{ bytes: Buffer; sha256: string }> {
    const p = await this.preview(captureId, signal);
    return { bytes: await fs.promises.readFile(p.jpegFile), sha256: p.sha256 };
  }

  /** Refuses new work; resolves when the preview being made (if any) is done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private enqueue<T>(job: () => Promise<T>, wanted: () => boolean): Promise<T> {
    const run = this.queue.then(async () => {
      await this.opts.qcIdle();
      if (this.closed) throw new StationError('INTERNAL', 'The station is stopping; no preview was made.');
      if (!wanted()) throw new StationError('CANCELLED', 'No preview was made: every request for it was withdrawn.');
      return job();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private capture(captureId: number): CaptureDetail {
    const capture = this.opts.captures.detail(captureId);
    if (!capture) throw new StationError('NOT_FOUND', `There is no capture ${captureId}.`);
    if (!capture.sha256) throw new StationError('FILE_UNREADABLE', `No preview of ${capture.relPath}: the file could not be read when it was checked, so there is nothing to show. Re-shoot it.`);
    return capture;
  }

  /**
   * Reads the capture's place afresh for each attempt: filing may move the file into the library
   * between the request and the decode (or during it), and the record then names its new place.
   */
  private async make(captureId: number, sha256: string): Promise<CachedPreview> {
    for (let attempt = 1; ; attempt++) {
      const again = this.cache.get(sha256);
      if (again) return again;
      const { path: file, relPath, size, mtimeUs } = this.capture(captureId);
      const moved = () => attempt < 3 && this.capture(captureId).path !== file;
      const stat = await fs.promises.stat(file).catch(() => null);
      if (!stat) {
        if (moved()) continue;
        throw new StationError('FILE_UNREADABLE', `No preview of ${relPath}: the file is no longer at ${file} (moved or removed), and no preview was kept. Its record is unchanged.`);
      }
      // Another file at this path (re-shot, edited) has its own capture; its bytes must not be shown under this one's hash.
      const unchanged = stat.size === size && Math.abs(stat.mtimeMs * 1000 - mtimeUs) < 1000;
      if (!unchanged && (stat.size !== size || (await sha256OfFile(file)) !== sha256)) {
        throw new StationError('NOT_FOUND', `No preview of this version of ${relPath}: the file at ${file} has changed since it was checked; the newer version is a capture of its own.`);
      }
      let rendered;
      try {
        rendered = await renderPreview(file, this.opts.render);
      } catch (err) {
        if (moved()) continue;
        const reason = err instanceof Error ? firstLine(err.message) : String(err);
        // libvips stops at the time limit with "timeout: N% complete"; that may succeed on a quieter machine, so only damage is remembered.
        if (reason.startsWith('timeout')) {
          throw new StationError('FILE_UNREADABLE', `No preview of ${relPath} yet: decoding took longer than ${this.opts.render.timeoutSec} s (qc.decodeTimeoutSec). Ask again when the station is less busy.`);
        }
        const message = `No preview of ${relPath}: the image cannot be decoded (${reason}). The file is kept as it is; re-shoot or re-export it.`;
        this.rememberFailure(sha256, message);
        log.warn('preview failed', { file, error: err instanceof Error ? err.message : String(err) });
        throw new StationError('FILE_UNREADABLE', message);
      }
      return this.cache.put(sha256, rendered.jpeg, { width: rendered.width, height: rendered.height, histogram: rendered.histogram });
    }
  }

  private rememberFailure(sha256: string, message: string): void {
    this.failures.set(sha256, message);
    if (this.failures.size > rememberedFailures) this.failures.delete(this.failures.keys().next().value!);
  }
}

function clippingOf(m: Measurements | null): Clipping | null {
  if (!m || m.clippedWhitePct.length === 0) return null;
  return { blackPct: m.clippedBlackPct, whitePct: m.clippedWhitePct };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
