/**
 * The queue runner. It lives in the station's process next to QC, so it stays light: uploads are
 * streamed (1 MiB chunks), hashing is incremental, at most `concurrency` jobs run, and one shared
 * token bucket caps the bytes read for upload per second.
 *
 * Invariants:
 * - a job runs only under a lease (outbox.lease); the lease is renewed while it runs and reclaimed
 *   when it expires or its holder process is gone, so a crash mid-upload is retried, never lost;
 * - jobs of an offline or paused (full, read-only) target are not leased: they wait without
 *   spending attempts, a probe every `probeIntervalSec` notices when the target can take files
 *   again, and the backlog drains oldest first; an "offline" failure on a target that answers its
 *   probe right after counts as an attempt, so no job can loop without attempts;
 * - a target that refused an upload (credentials) stays paused although its probe may pass: each
 *   passing probe lets one job try, and only an accepted upload lifts the pause;
 * - a transient failure is retried after full-jitter backoff; a permanent one, or the
 *   `maxAttempts`-th transient one, leaves the job dead until the operator retries it;
 * - every timer is unref'd; stop() aborts running uploads, releases their leases and resolves once
 *   they have settled, or after a bounded wait (a hung share);
 * - the station removes its own superseded copies (stale-copies.ts) under the same leases, backoff
 *   and concurrency as uploads; an upload whose key holds such a copy removes it first (after the
 *   same proof of its bytes) instead of dying on the conflict, and never acknowledges a key whose
 *   copy a removal is deleting (it waits for that removal without spending an attempt);
 * - a transient error's message says what really happens next (another attempt after a backoff,
 *   how many are left, and how to requeue it once it is dead): never just "tries again".
 */
import fs from 'node:fs';
import type { UploadSettings } from '../config/schema.js';
import { LinkStore } from '../linking/store.js';
import { createLogger } from '../log/logger.js';
import { redactUrlsIn } from '../shared/redact-url.js';
import type { CaptureRecord, CaptureStore } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { backfill, configuredTarget, type BackfillResult } from './backfill.js';
import { backoffDelay } from './backoff.js';
import { enqueueEligible, notTakenBecause } from './eligibility.js';
import { leaseOwnerGone, newLeaseOwner } from './lease-owner.js';
import { Outbox, type JobTransition, type LeasedJob, type UploadJob } from './outbox.js';
import { queueStatusOf, type QueueStatus, type TargetLive } from './queue-status.js';
import { RateMeter } from './rate-meter.js';
import { confirmUnchangedSinceQc, localFileOf, type CaptureFileFacts } from './source-read.js';
import { StaleCopies, type StaleCopy } from './stale-copies.js';
import { isUploadError, UploadError, type CopyCheck, type RemoteCopy, type UploadJobInput, type UploadResult, type UploadTarget } from './target.js';
import { TokenBucket } from './token-bucket.js';
import { withdrawnPrefix } from './withdrawn.js';
import type { TargetConfig } from '../config/schema.js';
import type { KeySource } from './remote-key.js';

const log = createLogger('upload.runner');

/** How long stop() waits for running uploads before it returns anyway (a hung share can block a syscall for minutes). */
export const defaultStopTimeoutMs = 10_000;

export interface UploaderOptions {
  db: Db;
  /** Target configs (eligibility, status) and their instances, matched by id. */
  targetConfigs: readonly TargetConfig[];
  targets: readonly UploadTarget[];
  settings: UploadSettings;
  onTransition?: (t: JobTransition) => void;
  /**
   * Fallback poll for work nothing in this process announced (jobs another process queued, e.g.
   * `capture-station queue --backfill`); due retries are woken by a timer at their due time.
   */
  tickMs?: number;
  /** A probe that has not answered after this long marks the target offline (default from probeIntervalSec, 2–30 s). */
  probeTimeoutMs?: number;
  /** See defaultStopTimeoutMs. */
  stopTimeoutMs?: number;
  random?: () => number;
}

interface Health {
  online: boolean | null;
  lastProbeAt: string | null;
  lastProbeError: string | null;
  /** True from the start of a probe call until that very call settles (never more than one at a time). */
  probing: boolean;
  /** Set while the target is paused as full: a probe must see room for this many bytes. */
  needBytes: number;
  /**
   * Set when the target refused an upload (credentials): its probe may still succeed, so only an
   * accepted upload lifts the pause. Cleared by an accepted upload (or a restart with a new config).
   */
  refused: boolean;
  /** Set by a successful probe of a refused target: one job may be tried (once per probe interval, never a spin). */
  trial: boolean;
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
  /** Removals of superseded copies running now, by stale_copies id (they share `concurrency` with uploads). */
  private readonly removing = new Map<number, Running>();
  private readonly stale: StaleCopies;
  private readonly bucket: TokenBucket;
  private readonly meters = new Map<string, RateMeter>();
  private readonly timers: NodeJS.Timeout[] = [];
  private dueTimer: NodeJS.Timeout | null = null;
  private dueAt = Infinity;
  private pending: JobTransition[] = [];
  private started = false;
  private stopped = false;
  /** Set when stop() gave up waiting: uploads still running must not touch the (closing) database. */
  private abandoned = false;
  private attemptSeq = 0;
  private readonly leaseMs: number;

  constructor(private readonly opts: UploaderOptions) {
    this.outbox = new Outbox(opts.db);
    this.stale = new StaleCopies(opts.db);
    this.targets = new Map(opts.targets.map((t) => [t.id, t]));
    for (const t of opts.targets) {
      this.health.set(t.id, { online: null, lastProbeAt: null, lastProbeError: null, probing: false, needBytes: 0, refused: false, trial: false });
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
    this.stale.reclaim(this.owner, leaseOwnerGone);
    const tick = setInterval(() => this.wake(), this.opts.tickMs ?? 5000);
    const heartbeat = setInterval(() => this.heartbeat(), Math.max(100, this.leaseMs / 3));
    const probe = setInterval(() => this.probeAll(), this.opts.settings.probeIntervalSec * 1000);
    for (const t of [tick, heartbeat, probe]) {
      t.unref();
      this.timers.push(t);
    }
    this.probeAll();
    log.info('uploader started', { targets: [...this.targets.keys()], owner: this.owner });
  }

  /**
   * Aborts running uploads, releases their leases and resolves once they settled — or after
   * `stopTimeoutMs`, whichever comes first: fsync, link and rename on a hung share cannot be
   * aborted, and SIGTERM must not hang on them. Uploads still running then keep their leases; the
   * next start on this host reclaims them at once (their process is gone), any other after expiry.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    const runs = [...this.running.values(), ...this.removing.values()];
    for (const r of runs) r.controller.abort(new Error('the station is stopping'));
    const all = Promise.allSettled(runs.map((r) => r.done)).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.opts.stopTimeoutMs ?? defaultStopTimeoutMs);
      timer.unref();
    });
    const settled = await Promise.race([all, timeout]);
    clearTimeout(timer);
    this.flush();
    if (!settled) {
      this.abandoned = true;
      log.warn('uploads did not stop in time (a hung share?); their leases are left to be reclaimed on the next start', { jobs: [...this.running.keys()], staleRemovals: [...this.removing.keys()] });
    }
  }

  /** Emits pending transitions and starts due jobs. Cheap; called on every event that might free work. */
  wake(): void {
    // After stop the database may already be closed (the station closes it next).
    if (this.stopped) return;
    this.flush();
    this.pump();
  }

  /** Requeues dead jobs (operator action); a target id that is not configured is a NOT_FOUND error listing those that are. */
  retryDead(filter: { targetId?: string | undefined; jobId?: number | undefined }): JobTransition[] {
    if (filter.targetId !== undefined) configuredTarget(this.opts.targetConfigs, filter.targetId);
    const out = this.outbox.retryDead(filter);
    this.emitAll(out);
    if (out.length > 0) queueMicrotask(() => this.wake());
    return out;
  }

  /**
   * Asks a target whether a done job's copy is still there as verified (retention, just before it
   * removes the local file). Throws when the target cannot tell: not configured, unreachable,
   * refusing, or no answer within the probe timeout.
   */
  async confirmCopy(targetId: string, copy: RemoteCopy): Promise<CopyCheck> {
    const target = this.targets.get(targetId);
    if (!target) throw new UploadError('offline', `Target "${targetId}" is not configured.`);
    const timeoutMs = this.probeTimeoutMs();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new UploadError('offline', `Target "${targetId}" did not answer within ${timeoutMs / 1000} s.`));
      }, timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([target.confirm(copy, controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Queues a done job again as a new upload (retention found its copy gone or different). */
  requeueCopy(jobId: number, reason: string): JobTransition | null {
    const t = this.outbox.requeueDone(jobId, reason);
    if (t) {
      this.emit(t);
      queueMicrotask(() => this.wake());
    }
    return t;
  }

  /**
   * After a link edit renamed these captures (relink, split, merge, rename, or its undo): each done
   * copy whose key the capture's name no longer gives is uploaded again under the new key, so every
   * target files the image under the object it shows, and the old copy is recorded as superseded:
   * it is removed once the new one is verified (stale-copies.ts). A job still under way keeps its
   * key (a resumed upload must land where it began) and is checked when done. A capture whose local
   * file retention removed cannot be sent again: its copies are recorded as kept under their names.
   * A capture a target does not take as it now is (set aside, failed QC) is not sent again there:
   * see withdrawRenamed.
   */
  renamed(captureIds: readonly number[]): JobTransition[] {
    return this.rekey(captureIds, true);
  }

  private rekey(captureIds: readonly number[], byEdit: boolean): JobTransition[] {
    const out: JobTransition[] = [];
    for (const captureId of captureIds) {
      const capture = this.opts.db.prepare('SELECT id, source_id AS sourceId, rel_path AS relPath, version, path, verdict, local_deleted_at AS removedAt FROM captures WHERE id = ?').get(captureId) as
        | (KeySource & Pick<CaptureRecord, 'id' | 'verdict' | 'path'> & { removedAt: string | null })
        | undefined;
      if (!capture) continue;
      if (capture.removedAt !== null) {
        if (byEdit) this.keepRemoved(captureId);
        continue;
      }
      for (const job of this.outbox.jobsOfCapture(captureId)) {
        const target = this.targets.get(job.targetId);
        if (job.state !== 'done' || !target || job.remoteKey === null) continue;
        const key = target.remoteKeyOf(capture);
        if (key === job.remoteKey) continue;
        const config = this.opts.targetConfigs.find((c) => c.id === job.targetId);
        const notTaken = config ? notTakenBecause(this.opts.db, capture, config) : null;
        if (notTaken !== null) {
          this.withdrawRenamed(job, capture, notTaken, out);
          continue;
        }
        const t = this.outbox.renamed(job.id, key);
        if (!t) continue;
        log.warn('a capture renamed by a link edit is uploaded again under its new name; its copy under the old name is removed once the new one is verified', { target: target.id, capture: captureId, old: job.remoteKey, new: key });
        out.push(t);
      }
    }
    this.emitAll(out);
    if (out.length > 0) queueMicrotask(() => this.wake());
    return out;
  }

  /**
   * A done copy of a capture that a link edit renamed while `target` does not take it (an undo that
   * put a failed shot back, flagged for re-shoot): it is not uploaded again under its new name, and
   * its copy under the old one — a name it no longer has — is removed, as the local file (in
   * _reshoot/ or the hot folder) is kept. With no local file left, that copy is its only one and
   * stays as it is, done.
   */
  private withdrawRenamed(job: UploadJob, capture: { id: number; path: string }, why: string, out: JobTransition[]): void {
    if (!fs.existsSync(capture.path)) {
      log.warn('a capture renamed while set aside has no local file: its copy at the target is its only one and keeps its name', { target: job.targetId, capture: capture.id, key: job.remoteKey });
      return;
    }
    const t = this.outbox.withdrawDone(job.id, `${withdrawnPrefix}capture ${capture.id} ${why}; it is not uploaded again, and its copy at ${job.remoteKey ?? '?'} (a name it no longer has) is removed, as its file is kept at ${capture.path}.`);
    if (!t) return;
    log.warn('a capture renamed by a link edit is not taken by this target: it is not uploaded again, and its copy under the old name is removed (its local file is kept)', { target: job.targetId, capture: capture.id, old: job.remoteKey, reason: why });
    out.push(t);
  }

  /**
   * A capture relinked after retention removed its local file: its copies cannot be sent again under
   * a new name, so each stays as it is — its only copy at that target — and is recorded as kept,
   * which the queue view and doctor list.
   */
  private keepRemoved(captureId: number): void {
    const barcode = new LinkStore(this.opts.db).linkOf(captureId)?.barcode ?? null;
    for (const job of this.outbox.jobsOfCapture(captureId)) {
      if (job.state !== 'done' || job.remoteKey === null || job.verifiedSha256 === null) continue;
      const kept = this.stale.recordKept(
        this.outbox.writtenCopy(job),
        `capture ${captureId} was relinked${barcode ? ` to ${barcode}` : ''} after retention removed its local file: this copy is its only one, so it keeps the name it was uploaded under; rename it at the target by hand if it must match`,
      );
      if (kept) log.warn('a relinked capture whose local file retention removed cannot be uploaded again: its copy at the target keeps the old name', { target: job.targetId, capture: captureId, key: job.remoteKey });
    }
  }

  /** Queues captures recorded before `targetId` took them (operator action; see backfill.ts). */
  backfill(targetId: string, since: string | null): BackfillResult {
    const target = configuredTarget(this.opts.targetConfigs, targetId);
    const { result, transitions } = backfill(this.opts.db, target, since);
    this.emitAll(transitions);
    if (transitions.length > 0) queueMicrotask(() => this.wake());
    log.info('backfill queued earlier captures', { ...result });
    return result;
  }

  status(): QueueStatus {
    return queueStatusOf(this.opts.db, this.opts.targetConfigs, (id) => this.live(id));
  }

  /** Jobs running now (uploads and removals of superseded copies). */
  get active(): number {
    return this.running.size + this.removing.size;
  }

  private live(id: string): TargetLive | null {
    const h = this.health.get(id);
    if (!h) return null;
    return { online: h.online, lastProbeAt: h.lastProbeAt, lastProbeError: h.lastProbeError, rateBytesPerSec: this.meters.get(id)?.rate() ?? 0 };
  }

  private onlineTargets(): string[] {
    return [...this.health].filter(([, h]) => h.online === true).map(([id]) => id);
  }

  private pump(): void {
    if (!this.started || this.stopped) return;
    for (const [id, h] of this.health) {
      if (!h.trial || this.active >= this.opts.settings.concurrency) continue;
      h.trial = false;
      const leased = this.outbox.lease(this.owner, this.leaseMs, [id]);
      if (!leased) continue;
      log.info('trying one upload to a target that refused uploads', { target: id, job: leased.job.id });
      this.emit(leased.transition);
      this.run(leased.job);
    }
    const online = this.onlineTargets();
    while (this.active < this.opts.settings.concurrency) {
      const leased = this.outbox.lease(this.owner, this.leaseMs, online);
      if (!leased) break;
      this.emit(leased.transition);
      this.run(leased.job);
    }
    // Uploads first: a superseded copy waits for its capture's new copy anyway.
    while (this.active < this.opts.settings.concurrency) {
      const leased = this.stale.lease(this.owner, this.leaseMs, online);
      if (!leased) break;
      this.runRemoval(leased.copy, leased.proveLocal);
    }
    this.scheduleDue(online);
  }

  /** One timer at the next queued job's due time (a retry after backoff), instead of polling for it. */
  private scheduleDue(online: string[]): void {
    // At full concurrency the next finishing job wakes the runner; a timer would only spin.
    if (this.active >= this.opts.settings.concurrency) return;
    const due = [this.outbox.nextDueAt(online), this.stale.nextDueAt(online)].filter((n): n is number => n !== null);
    if (due.length === 0) return;
    const next = Math.min(...due);
    const at = Math.max(next, Date.now()) + 5;
    if (this.dueTimer && at >= this.dueAt) return;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = setTimeout(() => {
      this.dueTimer = null;
      this.dueAt = Infinity;
      this.wake();
    }, at - Date.now());
    this.dueTimer.unref();
  }

  private run(job: LeasedJob): void {
    const controller = new AbortController();
    const done = this.execute(job, controller.signal)
      .catch((err: unknown) => log.error('upload bookkeeping failed', { job: job.id, error: (err as Error).message }))
      .finally(() => {
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
        { capped: !this.bucket.unlimited },
      );
      const remoteKey = this.outbox.fixRemoteKey(job.id, this.owner, job.remoteKey ?? target.remoteKeyOf(job.capture));
      // A job that got its key just now may find a removal of a superseded copy there in flight:
      // it must not acknowledge what that removal is about to delete (outbox.ts noRemovalInFlight).
      const removing = this.stale.removalInFlightAt(target.id, remoteKey);
      if (removing) throw new UploadError('transient', `${remoteKey} at target "${target.id}" holds the station's superseded copy of capture ${removing.captureId}, which is being removed now; this job waits for that, without spending an attempt.`, { giveBack: true });
      const input: UploadJobInput = {
        jobId: job.id,
        captureId: job.captureId,
        attempts: job.attempts,
        remoteKey,
        attemptTag: `${this.owner.slice(this.owner.lastIndexOf(':') + 1)}-${++this.attemptSeq}`,
        // The remote key is fixed at the first lease: a job that has one was started before.
        previouslyStarted: job.remoteKey !== null,
        file,
        // Read at each attempt: a capture relinked while its job waited goes with its current barcode.
        barcode: new LinkStore(this.opts.db).linkOf(job.captureId)?.barcode ?? null,
        resume: job.resume,
        saveResume: (state) => void (this.abandoned || this.outbox.saveResume(job.id, this.owner, state)),
        signal,
      };
      const result = await this.uploadFreeingKey(target, input, job);
      if (this.abandoned) return;
      if (result.verifiedSha256 !== file.sha256) throw new UploadError('transient', `Target "${target.id}" confirmed sha256 ${result.verifiedSha256}, not ${file.sha256}.`);
      const t = this.outbox.complete(job.id, this.owner, result);
      if (t) this.emit(t);
      else log.warn('upload finished after its lease was taken over; the new holder verifies it again', { job: job.id });
      // A link edit may have renamed the capture while this upload ran under its first name.
      if (t) this.rekey([job.captureId], false);
      this.accepted(target.id);
    } catch (err) {
      await this.settleFailure(job, err, signal);
    }
  }

  /**
   * Uploads; when the key holds a different file that is a superseded copy the station recorded as
   * its own (same sha256), that copy is removed first — after the same proof as any removal, and
   * only once its capture's new copy is verified or, failing that, once its capture's local file is
   * proven to still hold its bytes (stale-copies.ts: captures that swap names must not wait for
   * each other) — and the upload runs again. A file there that is not recorded as the station's
   * keeps the permanent conflict error (a dead job, as before); so does a recorded copy that is its
   * capture's only one, with what to do.
   */
  private async uploadFreeingKey(target: UploadTarget, input: UploadJobInput, job: LeasedJob): Promise<UploadResult> {
    try {
      return await target.upload(input);
    } catch (err) {
      if (!isUploadError(err, 'permanent') || err.occupiedBy === null || input.signal.aborted) throw err;
      const found = this.stale.leaseAtKey(this.owner, this.leaseMs, { targetId: target.id, remoteKey: input.remoteKey, sha256: err.occupiedBy.sha256, jobId: job.id, captureId: job.captureId });
      if (found === null) throw err;
      const what = `${input.remoteKey} at target "${target.id}" holds the station's own superseded copy of capture ${found.captureId}`;
      if ('inFlight' in found) throw new UploadError('transient', `${what}, which is being removed now; this job waits for that, without spending an attempt.`, { giveBack: true });
      if ('wait' in found) throw new UploadError('transient', `${what}, which is removed before this upload once it can be: ${found.wait}.${this.retryNote(job)}`);
      if ('only' in found) throw onlyCopy(what, found.captureId, found.only, target.id);
      if (found.proveLocal) await this.proveLocal(found.copy, found.proveLocal, what, job, input.signal);
      log.info('the key holds a superseded copy the station wrote; removing it before uploading', { target: target.id, job: job.id, key: input.remoteKey, capture: found.captureId });
      const settled = await this.removeLeased(found.copy, input.signal, job.id);
      if (settled?.status === 'kept') throw new UploadError('permanent', `${err.message} (It was recorded as the station's superseded copy of capture ${found.captureId}, but ${settled.note ?? 'it was left alone'}.)`);
      if (settled?.status !== 'removed') throw new UploadError('transient', `${what}, and removing it did not finish (${settled?.lastError ?? 'interrupted'}).${this.retryNote(job)}`);
      return target.upload({ ...input, previouslyStarted: true });
    }
  }

  /**
   * Before a job removes another capture's superseded copy whose capture has no verified copy under
   * its new name yet: that capture's local file must still hold the bytes QC checked (hashed now),
   * so the capture keeps a verified copy. Gives the copy's lease back and throws when it does not.
   */
  private async proveLocal(copy: StaleCopy, facts: CaptureFileFacts, what: string, job: LeasedJob, signal: AbortSignal): Promise<void> {
    try {
      await confirmUnchangedSinceQc({ ...facts, sha256: copy.sha256 }, signal);
    } catch (err) {
      this.stale.release(copy.id, this.owner);
      if (signal.aborted) throw err;
      const why = err instanceof Error ? err.message : String(err);
      if (isUploadError(err, 'permanent')) throw onlyCopy(what, copy.captureId, `its upload under its new name is not verified, and its local file no longer holds the bytes QC checked (${why})`, job.targetId);
      throw new UploadError('transient', `${what}, which goes only once capture ${copy.captureId}'s local file is proven to hold its bytes, and reading it failed (${why}).${this.retryNote(job)}`);
    }
  }

  /**
   * What happens next to a job whose attempt failed for a reason that may pass, said in its error
   * (with a leading space) so the queue never promises a retry that the attempt cap ends; empty for
   * the last attempt, whose error settleFailure ends with "gave up after N attempts".
   */
  private retryNote(job: LeasedJob): string {
    const left = this.opts.settings.maxAttempts - (job.attempts + 1);
    if (left <= 0) return '';
    return ` The job tries again after a backoff: ${left} more attempt${left === 1 ? '' : 's'} (upload.maxAttempts), then it is dead and \`capture-station queue --retry ${job.targetId}\` sends it again.`;
  }

  /** Removes a leased copy in the background — once `proveLocal` (its capture's local file) is proven, when set. */
  private runRemoval(copy: StaleCopy, proveLocal: CaptureFileFacts | null): void {
    const controller = new AbortController();
    const done = (proveLocal ? this.proveBeforeRemoval(copy, proveLocal, controller.signal) : Promise.resolve(true))
      .then((proven) => (proven ? this.removeLeased(copy, controller.signal, null) : null))
      .then(() => undefined)
      .catch((err: unknown) => log.error('removing a superseded copy: bookkeeping failed', { stale: copy.id, error: (err as Error).message }))
      .finally(() => {
        this.removing.delete(copy.id);
        if (!this.stopped) queueMicrotask(() => this.wake());
      });
    this.removing.set(copy.id, { targetId: copy.targetId, controller, done });
  }

  /**
   * Before a copy whose capture has no verified copy under another name goes: its local file must
   * still hold the copy's bytes (hashed now). False when it cannot go now: a file that changed (the
   * copy is its only one then) or could not be read backs off — pending, as the file may be
   * restored — and a stop gives the lease back.
   */
  private async proveBeforeRemoval(copy: StaleCopy, facts: CaptureFileFacts, signal: AbortSignal): Promise<boolean> {
    try {
      await confirmUnchangedSinceQc({ ...facts, sha256: copy.sha256 }, signal);
      return true;
    } catch (err) {
      if (this.abandoned) return false;
      const why = err instanceof Error ? err.message : String(err);
      if (signal.aborted || this.stopped) {
        this.stale.release(copy.id, this.owner);
        return false;
      }
      const message = isUploadError(err, 'permanent')
        ? `capture ${copy.captureId} has no verified copy under another name, and its local file no longer holds this copy's bytes (${why}): this copy is its only one, so it stays at ${copy.remoteKey} unless that file is restored`
        : `capture ${copy.captureId}'s local file must be proven to hold this copy's bytes before it goes, and reading it failed (${why})`;
      log.warn(`a superseded copy is not removed: ${message}`, { target: copy.targetId, key: copy.remoteKey, attempts: copy.attempts + 1 });
      this.stale.retry(copy.id, this.owner, message, Date.now() + backoffDelay(copy.attempts + 1, this.opts.settings.backoff, this.opts.random));
      return false;
    }
  }

  /**
   * Asks the target to remove a leased superseded copy (it proves the bytes first) and settles the
   * row; returns it as settled, or null when this holder no longer has the lease. `except`: the
   * job that asked to free the key (it may hold it). An unreachable target, a stop, or a key a job
   * took meanwhile gives the lease back; any other failure backs off like an upload's.
   */
  private async removeLeased(copy: StaleCopy, signal: AbortSignal, except: number | null): Promise<StaleCopy | null> {
    const target = this.targets.get(copy.targetId);
    const beforeDelete = (keep?: unknown): void => {
      signal.throwIfAborted();
      const why = this.stale.readyToDelete(copy.id, this.owner, except, keep);
      if (why !== null) throw new UploadError('transient', why, { giveBack: true });
    };
    try {
      if (!target) throw new UploadError('offline', `Target "${copy.targetId}" is not configured.`);
      const r = target.removeStale
        ? await target.removeStale({ remoteKey: copy.remoteKey, size: copy.size, sha256: copy.sha256, state: copy.state }, { signal, beforeDelete })
        : { outcome: 'kept' as const, note: `target "${target.id}" (${target.kind}) cannot remove files: remove ${copy.remoteKey} there by hand` };
      if (this.abandoned) return null;
      if (r.outcome === 'kept') {
        log.warn(`a superseded copy is left at the target: ${r.note}`, { target: copy.targetId, key: copy.remoteKey, capture: copy.captureId });
        return this.stale.kept(copy.id, this.owner, r.note);
      }
      log.info(`superseded copy ${r.outcome === 'gone' ? 'already gone' : 'removed'}: ${r.note}`, { target: copy.targetId, key: copy.remoteKey, capture: copy.captureId });
      return this.stale.removed(copy.id, this.owner, r.note);
    } catch (err) {
      if (this.abandoned) return null;
      const message = redactUrlsIn(err instanceof Error ? err.message : String(err));
      if (signal.aborted || this.stopped || isUploadError(err, 'offline') || (isUploadError(err) && err.giveBack)) {
        if (isUploadError(err, 'offline') && !signal.aborted) this.markOffline(copy.targetId, message);
        if (isUploadError(err) && err.giveBack) log.info(`a superseded copy is not removed now: ${message}`, { target: copy.targetId, key: copy.remoteKey });
        this.stale.release(copy.id, this.owner);
        return this.stale.get(copy.id);
      }
      const retryAt = Date.now() + backoffDelay(copy.attempts + 1, this.opts.settings.backoff, this.opts.random);
      log.warn(`removing a superseded copy failed; retrying later: ${message}`, { target: copy.targetId, key: copy.remoteKey, attempts: copy.attempts + 1 });
      return this.stale.retry(copy.id, this.owner, message, retryAt);
    }
  }

  private async settleFailure(job: LeasedJob, err: unknown, signal: AbortSignal): Promise<void> {
    if (this.abandoned) return;
    if (signal.aborted || this.stopped) {
      const t = this.outbox.release(job.id, this.owner, 'the station stopped during the upload');
      if (t) this.emit(t);
      return;
    }
    // An UploadError's message has its URLs' credentials hidden already; anything else may not.
    let message = redactUrlsIn(err instanceof Error ? err.message : String(err));
    if (isUploadError(err) && err.giveBack) {
      // Blocked by a removal in flight at its key: not leased again until it ends (outbox.ts).
      const t = this.outbox.release(job.id, this.owner, message);
      if (t) this.emit(t);
      return;
    }
    const target = this.targets.get(job.targetId);
    if (isUploadError(err, 'paused') && target) {
      // Full, read-only or not writable: the whole target waits; the interval probe (which checks
      // for room for this file) tells when it can take files again. No attempt is spent.
      const h = this.health.get(target.id);
      if (h) {
        h.needBytes = Math.max(h.needBytes, job.bytes);
        if (err.untilUploadAccepted) h.refused = true;
      }
      this.markOffline(target.id, message);
      const t = this.outbox.release(job.id, this.owner, message);
      if (t) this.emit(t);
      return;
    }
    if (isUploadError(err, 'offline')) {
      // Ask the target at once: if it answers, the failure was this upload's, not the target's
      // reachability, and it must count as an attempt — otherwise a job failing with EIO/ESTALE on
      // a reachable share would loop forever without attempts at the head of the queue.
      const reachable = target ? await this.probe(target) : false;
      if (this.abandoned) return;
      if (!reachable || this.stopped) {
        // A failed probe has recorded its own (often clearer) reason already.
        if (this.health.get(job.targetId)?.online !== false) this.markOffline(job.targetId, message);
        const t = this.outbox.release(job.id, this.owner, message);
        if (t) this.emit(t);
        return;
      }
      message = `${message} (the target answered its probe right after, so this counts as a failed attempt)`;
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
    if (this.removing.size > 0 || this.running.size > 0) this.stale.renew(this.owner, this.leaseMs);
    // A removal that stalled past its lease (taken over by another holder) must not delete now:
    // the key may hold a new upload by then. Targets check the signal right before deleting.
    for (const [id, r] of this.removing) if (this.stale.get(id)?.leaseOwner !== this.owner) r.controller.abort(new Error('the lease on this removal was lost'));
    this.stale.reclaim(this.owner, leaseOwnerGone);
    // Leases of crashed holders elsewhere (or of this holder stalled past expiry) go back to the queue.
    const reclaimed = this.outbox.reclaim(this.owner, leaseOwnerGone);
    this.emitAll(reclaimed);
    if (reclaimed.length > 0) this.wake();
  }

  private probeAll(): void {
    if (this.stopped) return;
    for (const target of this.targets.values()) void this.probe(target);
  }

  /**
   * Probes a target; resolves true when it answered that it can take files. At most one probe call
   * per target is outstanding: a hung share blocks a stat in libuv's small thread pool, and piling
   * up such calls would freeze every file operation of the process (ingest included). So `probing`
   * stays set until the call itself settles, even after the wait for it timed out; its late answer
   * still updates the target's state.
   */
  private probe(target: UploadTarget): Promise<boolean> {
    const h = this.health.get(target.id);
    if (!h || h.probing || this.stopped) return Promise.resolve(false);
    h.probing = true;
    const controller = new AbortController();
    const need = h.needBytes > 0 ? { bytes: h.needBytes } : undefined;
    const call = (async () => target.probe(controller.signal, need))().then(
      () => {
        h.probing = false;
        if (this.stopped) return true;
        h.lastProbeAt = new Date().toISOString();
        if (h.refused) {
          // Its probe passes but its uploads were refused: the pause (and its message) stays, and
          // one job tries once per probe; an accepted one lifts the pause (accepted()).
          h.trial = true;
          this.wake();
          return true;
        }
        h.lastProbeError = null;
        h.needBytes = 0;
        if (h.online !== true) {
          if (h.online === false) log.info('target can take files again; uploading the backlog', { target: target.id });
          h.online = true;
          this.wake();
        }
        return true;
      },
      (err: unknown) => {
        h.probing = false;
        if (this.stopped) return false;
        h.lastProbeAt = new Date().toISOString();
        this.markOffline(target.id, redactUrlsIn(err instanceof Error ? err.message : String(err)));
        return false;
      },
    );
    const timeoutMs = this.probeTimeoutMs();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        if (!this.stopped) {
          h.lastProbeAt = new Date().toISOString();
          this.markOffline(target.id, `Target "${target.id}" did not answer within ${timeoutMs / 1000} s (a hung share?); uploads wait until it answers.`);
        }
        resolve(false);
      }, timeoutMs);
      timer.unref();
      void call.then((ok) => {
        clearTimeout(timer);
        controller.abort();
        resolve(ok);
      });
    });
  }

  /** An upload was accepted: a target paused for refusing uploads takes files again. */
  private accepted(targetId: string): void {
    const h = this.health.get(targetId);
    if (!h?.refused) return;
    h.refused = false;
    h.trial = false;
    h.lastProbeError = null;
    h.online = true;
    log.info('target accepts uploads again; uploading the backlog', { target: targetId });
    this.wake();
  }

  private probeTimeoutMs(): number {
    return this.opts.probeTimeoutMs ?? Math.min(30_000, Math.max(2000, this.opts.settings.probeIntervalSec * 1000));
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

/**
 * A job that cannot have its key: the superseded copy there is its capture's only verified copy of
 * the bytes QC checked, so the station keeps it. Permanent (dead now, not waiting silently), with
 * what the operator can do.
 */
function onlyCopy(what: string, captureId: number, why: string, targetId: string): UploadError {
  return new UploadError(
    'permanent',
    `${what}, which is that capture's only verified copy: ${why}. The station keeps it, so this job cannot upload there. Restore capture ${captureId}'s original file and retry its job (it then uploads under its new name and this copy goes), or, once capture ${captureId}'s image is safe elsewhere, move that copy away at the target; then retry this job (\`capture-station queue --retry ${targetId}\`).`,
  );
}
