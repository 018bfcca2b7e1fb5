/**
 * The queue runner. It lives in the station's process next to QC, so it stays light: uploads are
 * streamed (1 MiB chunks), hashing is incremental, at most `concurrency` jobs run, and one shared
 * token bucket caps the bytes read for upload per second.
 *
 * Invariants:
 * - a job runs only under a lease (outbox.lease); the lease is renewed while it runs and reclaimed
 *   when it expires or its holder process is gone, so a crash mid-upload is retried, never lost;
 * - jobs of an offline target are not leased: they wait without spending attempts, a probe every
 *   `probeIntervalSec` notices the target's return, and the backlog drains oldest first;
 * - a transient failure is retried after full-jitter backoff; a permanent one, or the
 *   `maxAttempts`-th transient one, leaves the job dead until the operator retries it;
 * - every timer is unref'd; stop() aborts running uploads, releases their leases and resolves once
 *   they have settled.
 */
import type { UploadSettings } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import type { CaptureStore } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { backoffDelay } from './backoff.js';
import { enqueueEligible } from './eligibility.js';
import { leaseOwnerGone, newLeaseOwner } from './lease-owner.js';
import { Outbox, type JobTransition, type LeasedJob } from './outbox.js';
import { queueStatusOf, type QueueStatus, type TargetLive } from './queue-status.js';
import { RateMeter } from './rate-meter.js';
import { localFileOf } from './source-read.js';
import { isUploadError, UploadError, type UploadTarget } from './target.js';
import { TokenBucket } from './token-bucket.js';
import type { TargetConfig } from '../config/schema.js';

const log = createLogger('upload.runner');

export interface UploaderOptions {
  db: Db;
  /** Target configs (eligibility, status) and their instances, matched by id. */
  targetConfigs: readonly TargetConfig[];
  targets: readonly UploadTarget[];
  settings: UploadSettings;
  onTransition?: (t: JobTransition) => void;
  /** How often due retries are looked for when nothing else wakes the runner. */
  tickMs?: number;
  random?: () => number;
}

interface Health {
  online: boolean | null;
  lastProbeAt: string | null;
  lastProbeError: string | null;
  probing: boolean;
}

interface Running {
  targetId: string;
  controller: AbortController;
  done: Promise<void>;
}

export class Uploader {
  readonly owner = newLeaseOwner();
  private readonly outbox: Outbox;
  private readonly targets: Map<string, UploadTarget>;
  private readonly health = new Map<string, Health>();
  private readonly running = new Map<number, Running>();
  private readonly bucket: TokenBucket;
  private readonly meters = new Map<string, RateMeter>();
  private readonly timers: NodeJS.Timeout[] = [];
  private pending: JobTransition[] = [];
  private started = false;
  private stopped = false;
  private readonly leaseMs: number;

  constructor(private readonly opts: UploaderOptions) {
    this.outbox = new Outbox(opts.db);
    this.targets = new Map(opts.targets.map((t) => [t.id, t]));
    for (const t of opts.targets) {
      this.health.set(t.id, { online: null, lastProbeAt: null, lastProbeError: null, probing: false });
      this.meters.set(t.id, new RateMeter());
    }
    this.bucket = new TokenBucket({ rateBytesPerSec: opts.settings.bandwidthBytesPerSec });
    this.leaseMs = opts.settings.leaseSec * 1000;
  }

  /** Enqueues every eligible capture in the transaction that records or re-verdicts it. */
  attach(store: CaptureStore): () => void {
    if (this.opts.targetConfigs.length === 0) return () => undefined;
    return store.addHook((db, capture) => {
      const created = enqueueEligible(db, capture, this.opts.targetConfigs);
      if (created.length === 0) return;
      this.pending.push(...created);
      // Runs after the (synchronous) transaction has committed.
      queueMicrotask(() => this.wake());
    });
  }

  start(): void {
    if (this.started || this.targets.size === 0) return;
    this.started = true;
    this.emitAll(this.outbox.reclaim(this.owner, leaseOwnerGone));
    const tick = setInterval(() => this.wake(), this.opts.tickMs ?? 1000);
    const heartbeat = setInterval(() => this.heartbeat(), Math.max(100, this.leaseMs / 3));
    const probe = setInterval(() => this.probeAll(), this.opts.settings.probeIntervalSec * 1000);
    for (const t of [tick, heartbeat, probe]) {
      t.unref();
      this.timers.push(t);
    }
    this.probeAll();
    log.info('uploader started', { targets: [...this.targets.keys()], owner: this.owner });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const r of this.running.values()) r.controller.abort(new Error('the station is stopping'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    this.flush();
  }

  /** Emits pending transitions and starts due jobs. Cheap; called on every event that might free work. */
  wake(): void {
    // After stop the database may already be closed (the station closes it next).
    if (this.stopped) return;
    this.flush();
    this.pump();
  }

  /** Requeues dead jobs (operator action). */
  retryDead(filter: { targetId?: string | undefined; jobId?: number | undefined }): JobTransition[] {
    const out = this.outbox.retryDead(filter);
    this.emitAll(out);
    if (out.length > 0) queueMicrotask(() => this.wake());
    return out;
  }

  status(): QueueStatus {
    return queueStatusOf(this.opts.db, this.opts.targetConfigs, (id) => this.live(id));
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  private live(id: string): TargetLive | null {
    const h = this.health.get(id);
    if (!h) return null;
    return { online: h.online, lastProbeAt: h.lastProbeAt, lastProbeError: h.lastProbeError, rateBytesPerSec: this.meters.get(id)?.rate() ?? 0 };
  }

  private pump(): void {
    if (!this.started || this.stopped) return;
    const online = [...this.health].filter(([, h]) => h.online === true).map(([id]) => id);
    while (this.running.size < this.opts.settings.concurrency) {
      const leased = this.outbox.lease(this.owner, this.leaseMs, online);
      if (!leased) break;
      this.emit(leased.transition);
      this.run(leased.job);
    }
  }

  private run(job: LeasedJob): void {
    const controller = new AbortController();
    const done = this.execute(job, controller.signal).finally(() => {
      this.running.delete(job.id);
      if (!this.stopped) queueMicrotask(() => this.wake());
    });
    this.running.set(job.id, { targetId: job.targetId, controller, done });
  }

  private async execute(job: LeasedJob, signal: AbortSignal): Promise<void> {
    const target = this.targets.get(job.targetId);
    try {
      if (!target) throw new UploadError('offline', `Target "${job.targetId}" is not configured.`);
      const meter = this.meters.get(target.id);
      const file = localFileOf(
        job.capture,
        async (bytes, s) => {
          await this.bucket.take(bytes, s);
          meter?.record(bytes);
        },
        signal,
      );
      const remoteKey = this.outbox.fixRemoteKey(job.id, this.owner, job.remoteKey ?? target.remoteKeyOf(job.capture));
      const result = await target.upload({
        jobId: job.id,
        captureId: job.captureId,
        attempts: job.attempts,
        remoteKey,
        file,
        resume: job.resume,
        saveResume: (state) => void this.outbox.saveResume(job.id, this.owner, state),
        signal,
      });
      if (result.verifiedSha256 !== file.sha256) throw new UploadError('transient', `Target "${target.id}" confirmed sha256 ${result.verifiedSha256}, not ${file.sha256}.`);
      const t = this.outbox.complete(job.id, this.owner, result);
      if (t) this.emit(t);
      else log.warn('upload finished after its lease was taken over; the new holder verifies it again', { job: job.id });
    } catch (err) {
      this.settleFailure(job, err, signal);
    }
  }

  private settleFailure(job: LeasedJob, err: unknown, signal: AbortSignal): void {
    if (signal.aborted || this.stopped) {
      const t = this.outbox.release(job.id, this.owner, 'the station stopped during the upload');
      if (t) this.emit(t);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (isUploadError(err, 'offline')) {
      this.markOffline(job.targetId, message);
      const t = this.outbox.release(job.id, this.owner, message);
      if (t) this.emit(t);
      return;
    }
    const attempts = job.attempts + 1;
    // Anything that is not an UploadError (an unexpected bug or I/O error) is treated as transient.
    const permanent = isUploadError(err, 'permanent');
    const dead = permanent || attempts >= this.opts.settings.maxAttempts;
    const reason = dead && !permanent ? `${message} (gave up after ${attempts} attempts; retry it once the cause is fixed)` : message;
    const t = dead
      ? this.outbox.fail(job.id, this.owner, reason, { dead: true })
      : this.outbox.fail(job.id, this.owner, message, { dead: false, retryAt: Date.now() + backoffDelay(attempts, this.opts.settings.backoff, this.opts.random) });
    if (t) this.emit(t);
    if (dead) log.error(`upload failed for good: ${reason}`, { target: job.targetId, job: job.id, capture: job.captureId });
    else log.warn(`upload failed; retrying later: ${message}`, { target: job.targetId, job: job.id, attempts });
  }

  private heartbeat(): void {
    if (this.running.size > 0) this.outbox.renew(this.owner, this.leaseMs);
    // Leases of crashed holders elsewhere (or of this holder stalled past expiry) go back to the queue.
    const reclaimed = this.outbox.reclaim(this.owner, leaseOwnerGone);
    this.emitAll(reclaimed);
    if (reclaimed.length > 0) this.wake();
  }

  private probeAll(): void {
    if (this.stopped) return;
    for (const target of this.targets.values()) void this.probe(target);
  }

  private async probe(target: UploadTarget): Promise<void> {
    const h = this.health.get(target.id);
    if (!h || h.probing) return;
    h.probing = true;
    const controller = new AbortController();
    // A hung share can block a stat for minutes; give up waiting (the stat itself finishes in the background).
    const timeoutMs = Math.min(30_000, Math.max(2000, this.opts.settings.probeIntervalSec * 1000));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        target.probe(controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new UploadError('offline', `Target "${target.id}" did not answer within ${timeoutMs / 1000} s.`)), timeoutMs);
          timer.unref();
        }),
      ]);
      h.lastProbeAt = new Date().toISOString();
      h.lastProbeError = null;
      if (h.online !== true) {
        if (h.online === false) log.info('target is reachable again; uploading the backlog', { target: target.id });
        h.online = true;
        this.wake();
      }
    } catch (err) {
      h.lastProbeAt = new Date().toISOString();
      this.markOffline(target.id, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
      controller.abort();
      h.probing = false;
    }
  }

  private markOffline(targetId: string, message: string): void {
    const h = this.health.get(targetId);
    if (!h) return;
    h.lastProbeError = message;
    if (h.online !== false) log.warn(`target offline; its uploads wait: ${message}`, { target: targetId });
    h.online = false;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    // A transition whose transaction rolled back left no job behind: do not announce it.
    this.emitAll(pending.filter((t) => this.outbox.get(t.jobId) !== null));
  }

  private emitAll(ts: JobTransition[]): void {
    for (const t of ts) this.emit(t);
  }

  private emit(t: JobTransition): void {
    try {
      this.opts.onTransition?.(t);
    } catch (err) {
      log.error('upload event listener failed', { error: (err as Error).message });
    }
  }
}
