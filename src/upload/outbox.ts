/**
 * The upload outbox: one row per (capture, target) in upload_jobs. Invariants:
 * - a job is inserted in the transaction that makes its capture eligible (INSERT OR IGNORE on the
 *   UNIQUE (capture_id, target_id): enqueueing twice is a no-op);
 * - every state change writes an 'upload.<what>' event in the same transaction;
 * - only the holder of a lease (lease_owner) can finish, fail or release a leased job; a worker whose
 *   lease was reclaimed (it stalled past lease_until) changes nothing, and the job's next holder
 *   redoes an idempotent upload under the same remote key;
 * - remote_key, once set, never changes while the job is under way (a resumed upload must land on
 *   the same key); only a done job whose capture a link edit renamed starts over without one.
 *   queued ──lease──▶ leased ──complete──▶ done
 *     ▲  ▲               │ fail (transient)  ──▶ queued (after backoff)
 *     │  └── release / reclaim (offline, stop, crash: no attempt spent)
 *     ├── retryDead ◀── dead ◀── fail (permanent, or attempts exhausted)
 *     ├── requeueDone ◀── done (retention found the copy gone or different)
 *     │   dead ◀── withdrawDone ◀── done (renamed by a link edit while set aside: not sent again)
 *     └── renamed ◀── done (a link edit renamed the capture: a new upload under its new key; the
 *                          old copy is recorded in stale_copies, see stale-copies.ts)
 */
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import { atKeySql, StaleCopies, type WrittenCopy } from './stale-copies.js';
import type { CaptureFileFacts } from './source-read.js';
import { withdrawnPrefix } from './withdrawn.js';

export const jobStates = ['queued', 'leased', 'done', 'dead'] as const;
export type JobState = (typeof jobStates)[number];

export interface UploadJob {
  id: number;
  captureId: number;
  sourceId: string;
  targetId: string;
  state: JobState;
  attempts: number;
  /** Epoch ms. */
  nextAttemptAt: number;
  /** Epoch ms, while leased. */
  leaseUntil: number | null;
  leaseOwner: string | null;
  lastError: string | null;
  remoteKey: string | null;
  resume: unknown;
  bytes: number;
  createdAt: string;
  updatedAt: string;
  doneAt: string | null;
  verifiedSha256: string | null;
}

export interface LeasedJob extends UploadJob {
  capture: CaptureFileFacts;
}

/** A state change, as written to the event log and pushed to the transports. */
export interface JobTransition {
  jobId: number;
  captureId: number;
  targetId: string;
  type: 'queued' | 'leased' | 'done' | 'retry' | 'dead' | 'released' | 'reclaimed' | 'requeued';
  from: JobState | null;
  to: JobState;
  attempts: number;
  error: string | null;
  at: string;
}

export interface TargetCounts {
  targetId: string;
  queued: number;
  leased: number;
  done: number;
  dead: number;
  /** Bytes of queued and leased jobs. */
  bytesPending: number;
  bytesDone: number;
}

interface JobRow {
  id: number;
  capture_id: number;
  source_id: string;
  target_id: string;
  state: JobState;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  lease_owner: string | null;
  last_error: string | null;
  remote_key: string | null;
  resume_json: string | null;
  bytes: number;
  created_at: string;
  updated_at: string;
  done_at: string | null;
  verified_sha256: string | null;
}

/**
 * A job waits while a removal of a superseded copy (stale-copies.ts) is in flight that could delete
 * what its upload finds: a copy it wrote earlier (an undo may give it that very key back, and its
 * upload must not find the old bytes there, acknowledge them, and then see them deleted), or any
 * copy at the key it has. A job with no key yet gets one at its lease, and is given back at once if
 * a removal of that key is in flight (Uploader.execute); from then on this keeps it waiting. The
 * removal's end wakes the runner.
 */
const noRemovalInFlight = `NOT EXISTS (SELECT 1 FROM stale_copies s WHERE s.job_id = upload_jobs.id AND s.state = 'pending' AND s.lease_owner IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM stale_copies s WHERE s.target_id = upload_jobs.target_id AND s.remote_key = upload_jobs.remote_key AND s.state = 'pending' AND s.lease_owner IS NOT NULL AND ${atKeySql('s')})`;

const selectJob = 'SELECT j.*, c.source_id FROM upload_jobs j JOIN captures c ON c.id = j.capture_id';

function toJob(r: JobRow): UploadJob {
  return {
    id: r.id,
    captureId: r.capture_id,
    sourceId: r.source_id,
    targetId: r.target_id,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    leaseUntil: r.lease_until,
    leaseOwner: r.lease_owner,
    lastError: r.last_error,
    remoteKey: r.remote_key,
    resume: r.resume_json ? JSON.parse(r.resume_json) : null,
    bytes: r.bytes,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    doneAt: r.done_at,
    verifiedSha256: r.verified_sha256,
  };
}

export class Outbox {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Inserts the job of a capture for a target unless it exists. Meant to run inside the caller's
   * transaction (the capture hook); returns the transition when a job was created.
   */
  enqueue(capture: { id: number; size: number }, targetId: string): JobTransition | null {
    const now = this.clock();
    const at = new Date(now).toISOString();
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO upload_jobs (capture_id, target_id, state, attempts, next_attempt_at, bytes, created_at, updated_at)
         VALUES (?, ?, 'queued', 0, ?, ?, ?, ?)`,
      )
      .run(capture.id, targetId, now, capture.size, at, at);
    if (info.changes === 0) return null;
    const job = this.get(Number(info.lastInsertRowid)) as UploadJob;
    return this.event(job, 'queued', null, at, null);
  }

  /**
   * Leases the job of one of `targetIds` that has been due longest, or returns null. A new job is
   * due from its creation, so a backlog drains oldest first; a job given back without an attempt
   * keeps its place; one that failed moves behind the jobs that became due before its retry time.
   * (Index upload_jobs_due, migration 4, serves this.)
   */
  lease(owner: string, leaseMs: number, targetIds: readonly string[]): { job: LeasedJob; transition: JobTransition } | null {
    if (targetIds.length === 0) return null;
    return this.db.transaction(() => {
      const now = this.clock();
      // One index seek per target (a single IN query would sort every due row of all of them).
      const pick = this.db.prepare(`SELECT id, next_attempt_at AS due FROM upload_jobs WHERE state = 'queued' AND target_id = ? AND next_attempt_at <= ? AND ${noRemovalInFlight} ORDER BY next_attempt_at, id LIMIT 1`);
      let row: { id: number; due: number } | undefined;
      for (const targetId of targetIds) {
        const r = pick.get(targetId, now) as { id: number; due: number } | undefined;
        if (r && (!row || r.due < row.due || (r.due === row.due && r.id < row.id))) row = r;
      }
      if (!row) return null;
      const at = new Date(now).toISOString();
      this.db.prepare("UPDATE upload_jobs SET state = 'leased', lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?").run(owner, now + leaseMs, at, row.id);
      const job = this.get(row.id) as UploadJob;
      const capture = this.db.prepare('SELECT id, source_id, rel_path, version, path, size, mtime_us, sha256, local_deleted_at FROM captures WHERE id = ?').get(job.captureId) as {
        id: number;
        source_id: string;
        rel_path: string;
        version: number;
        path: string;
        size: number;
        mtime_us: number;
        sha256: string | null;
        local_deleted_at: string | null;
      };
      const transition = this.event(job, 'leased', 'queued', at, null);
      return {
        job: { ...job, capture: { captureId: capture.id, sourceId: capture.source_id, relPath: capture.rel_path, version: capture.version, path: capture.path, size: capture.size, mtimeUs: capture.mtime_us, sha256: capture.sha256, localDeletedAt: capture.local_deleted_at } },
        transition,
      };
    })();
  }

  /** Epoch ms at which the next queued job of `targetIds` is due, or null when none is queued. */
  nextDueAt(targetIds: readonly string[]): number | null {
    if (targetIds.length === 0) return null;
    const row = this.db.prepare(`SELECT MIN(next_attempt_at) AS at FROM upload_jobs WHERE state = 'queued' AND target_id IN (${targetIds.map(() => '?').join(',')}) AND ${noRemovalInFlight}`).get(...targetIds) as { at: number | null };
    return row.at;
  }

  /** Extends every lease `owner` holds (its heartbeat while uploads run). */
  renew(owner: string, leaseMs: number): number {
    return this.db.prepare("UPDATE upload_jobs SET lease_until = ? WHERE state = 'leased' AND lease_owner = ?").run(this.clock() + leaseMs, owner).changes;
  }

  /** Sets the job's remote key if it has none yet; returns the key in force (an earlier one wins). */
  fixRemoteKey(jobId: number, owner: string, key: string): string {
    this.db.prepare("UPDATE upload_jobs SET remote_key = ? WHERE id = ? AND remote_key IS NULL AND state = 'leased' AND lease_owner = ?").run(key, jobId, owner);
    return (this.get(jobId)?.remoteKey ?? key) as string;
  }

  saveResume(jobId: number, owner: string, state: unknown): boolean {
    const json = state === null || state === undefined ? null : JSON.stringify(state);
    return this.db.prepare("UPDATE upload_jobs SET resume_json = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?").run(json, jobId, owner).changes > 0;
  }

  /** The target verified the copy. Null when the lease was lost meanwhile (nothing is changed). */
  complete(jobId: number, owner: string, result: { remoteKey: string; verifiedSha256: string; alreadyPresent: boolean; confirmState?: unknown }): JobTransition | null {
    return this.db.transaction(() => {
      const at = new Date(this.clock()).toISOString();
      // A done job's resume_json holds what the target needs to confirm the copy later (retention).
      const confirmJson = result.confirmState === undefined || result.confirmState === null ? null : JSON.stringify(result.confirmState);
      const changes = this.db
        .prepare(
          `UPDATE upload_jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, last_error = NULL, resume_json = ?,
             remote_key = ?, verified_sha256 = ?, done_at = ?, updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?`,
        )
        .run(confirmJson, result.remoteKey, result.verifiedSha256, at, at, jobId, owner).changes;
      if (changes === 0) return null;
      return this.event(this.get(jobId) as UploadJob, 'done', 'leased', at, null, { remoteKey: result.remoteKey, sha256: result.verifiedSha256, alreadyPresent: result.alreadyPresent });
    })();
  }

  /** A failed attempt: back to queued at `retryAt`, or dead. Counts the attempt. */
  fail(jobId: number, owner: string, error: string, outcome: { dead: true } | { dead: false; retryAt: number }): JobTransition | null {
    return this.db.transaction(() => {
      const at = new Date(this.clock()).toISOString();
      const changes = outcome.dead
        ? this.db
            .prepare(
              "UPDATE upload_jobs SET state = 'dead', attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?",
            )
            .run(error, at, jobId, owner).changes
        : this.db
            .prepare(
              "UPDATE upload_jobs SET state = 'queued', attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?",
            )
            .run(error, outcome.retryAt, at, jobId, owner).changes;
      if (changes === 0) return null;
      const job = this.get(jobId) as UploadJob;
      return this.event(job, outcome.dead ? 'dead' : 'retry', 'leased', at, error, outcome.dead ? undefined : { retryAt: new Date(outcome.retryAt).toISOString() });
    })();
  }

  /** Gives a leased job back without spending an attempt (target offline, station stopping). */
  release(jobId: number, owner: string, reason: string, retryAt?: number): JobTransition | null {
    return this.db.transaction(() => {
      const now = this.clock();
      const at = new Date(now).toISOString();
      const changes = this.db
        .prepare("UPDATE upload_jobs SET state = 'queued', next_attempt_at = COALESCE(?, MIN(next_attempt_at, ?)), lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?")
        .run(retryAt ?? null, now, at, jobId, owner).changes;
      if (changes === 0) return null;
      return this.event(this.get(jobId) as UploadJob, 'released', 'leased', at, null, { reason });
    })();
  }

  /**
   * Leases that can no longer be honoured go back to the queue: expired ones, and those whose
   * holder is known to be gone (`ownerGone`, e.g. a process on this host that no longer exists).
   * No attempt is counted: the upload was interrupted, it did not fail. Leases of `self` (the
   * caller, alive and renewing) are never taken.
   */
  reclaim(self: string | null, ownerGone: (owner: string) => boolean = () => false): JobTransition[] {
    return this.db.transaction(() => {
      const now = this.clock();
      const at = new Date(now).toISOString();
      const rows = this.db.prepare("SELECT id, lease_owner, lease_until FROM upload_jobs WHERE state = 'leased'").all() as { id: number; lease_owner: string | null; lease_until: number | null }[];
      const out: JobTransition[] = [];
      for (const r of rows) {
        if (self !== null && r.lease_owner === self) continue;
        const expired = r.lease_until === null || r.lease_until < now;
        if (!expired && !(r.lease_owner !== null && ownerGone(r.lease_owner))) continue;
        this.db.prepare("UPDATE upload_jobs SET state = 'queued', next_attempt_at = MIN(next_attempt_at, ?), lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?").run(now, at, r.id);
        out.push(this.event(this.get(r.id) as UploadJob, 'reclaimed', 'leased', at, null, { previousOwner: r.lease_owner, expired }));
      }
      return out;
    })();
  }

  /** Ids of the withdrawn jobs (set-aside captures) among the dead ones `filter` names: a retry of all or of a target leaves them. */
  withdrawnOf(filter: { targetId?: string | undefined } = {}): number[] {
    return this.deadWhere(filter, 'LIKE').map((r) => r.id);
  }

  /** Dead jobs by `filter`, oldest first; `withdrawn`: those whose error is (LIKE) or is not (NOT LIKE) the withdrawn marker. */
  private deadWhere(filter: { targetId?: string | undefined; jobId?: number | undefined }, withdrawn: 'LIKE' | 'NOT LIKE' | null): { id: number; last_error: string | null }[] {
    const where = ["state = 'dead'"];
    const args: unknown[] = [];
    if (filter.targetId !== undefined) {
      where.push('target_id = ?');
      args.push(filter.targetId);
    }
    if (filter.jobId !== undefined) {
      where.push('id = ?');
      args.push(filter.jobId);
    }
    if (withdrawn !== null) {
      where.push(`coalesce(last_error, '') ${withdrawn} ?`);
      args.push(`${withdrawnPrefix}%`);
    }
    return this.db.prepare(`SELECT id, last_error FROM upload_jobs WHERE ${where.join(' AND ')} ORDER BY id`).all(...args) as { id: number; last_error: string | null }[];
  }

  /**
   * Takes back the queued job of a capture that a target no longer takes (flagged for re-shoot,
   * its object rejected): dead with `reason`, so it is not sent and the queue shows why. A leased
   * job is already being sent and finishes; only the operator's retry of that one job sends a
   * withdrawn job anyway (retryDead).
   */
  withdraw(captureId: number, targetId: string, reason: string): JobTransition | null {
    const row = this.db.prepare(`SELECT id FROM upload_jobs WHERE capture_id = ? AND target_id = ? AND state = 'queued'`).get(captureId, targetId) as { id: number } | undefined;
    if (!row) return null;
    const at = new Date(this.clock()).toISOString();
    this.db.prepare("UPDATE upload_jobs SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ?").run(reason, at, row.id);
    return this.event(this.get(row.id) as UploadJob, 'dead', 'queued', at, reason);
  }

  /**
   * The operator's retry of dead jobs (all, one target's, or one job): queued again with a fresh
   * attempt count. A retry of all or of a target skips withdrawn jobs (withdrawnOf): their captures
   * are set aside, and such a job is queued again by itself once its capture is taken again; only
   * a retry naming that job sends it anyway.
   */
  retryDead(filter: { targetId?: string | undefined; jobId?: number | undefined } = {}): JobTransition[] {
    return this.db.transaction(() => {
      const now = this.clock();
      const at = new Date(now).toISOString();
      const rows = this.deadWhere(filter, filter.jobId === undefined ? 'NOT LIKE' : null);
      const out: JobTransition[] = [];
      for (const r of rows) {
        this.db.prepare("UPDATE upload_jobs SET state = 'queued', attempts = 0, last_error = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?").run(now, at, r.id);
        out.push(this.event(this.get(r.id) as UploadJob, 'requeued', 'dead', at, null, { previousError: r.last_error }));
      }
      return out;
    })();
  }

  /**
   * A done job whose copy is gone or different at the target (retention found it so): queued again
   * as a new upload under the same key, with a fresh attempt count. Null unless the job is done.
   */
  requeueDone(jobId: number, reason: string): JobTransition | null {
    return this.db.transaction(() => {
      const now = this.clock();
      const at = new Date(now).toISOString();
      const changes = this.db
        .prepare(
          `UPDATE upload_jobs SET state = 'queued', attempts = 0, last_error = ?, next_attempt_at = ?, resume_json = NULL, verified_sha256 = NULL, done_at = NULL, updated_at = ?
            WHERE id = ? AND state = 'done'`,
        )
        .run(reason, now, at, jobId).changes;
      if (changes === 0) return null;
      return this.event(this.get(jobId) as UploadJob, 'requeued', 'done', at, null, { reason });
    })();
  }

  /**
   * A done job whose capture was renamed by a link edit (relink, split, merge, rename): queued again
   * as a new upload with no remote key, so its next lease takes the capture's key now. The copy
   * under the old key is recorded as superseded in the same transaction (stale-copies.ts): the
   * station removes it once the new copy is verified, if its bytes there are still the ones written.
   */
  renamed(jobId: number, newKey: string): JobTransition | null {
    return this.db.transaction(() => {
      const job = this.get(jobId);
      if (job?.state !== 'done') return null;
      const now = this.clock();
      const at = new Date(now).toISOString();
      const reason = `the capture was renamed by a link edit: uploaded again as ${newKey}; the copy at ${job.remoteKey ?? '?'} is under its old name and is removed once the new one is verified`;
      if (job.remoteKey !== null && job.verifiedSha256 !== null) new StaleCopies(this.db, this.clock).recordSuperseded(this.writtenCopy(job), newKey);
      this.db
        .prepare(
          `UPDATE upload_jobs SET state = 'queued', attempts = 0, remote_key = NULL, last_error = ?, next_attempt_at = ?, resume_json = NULL, verified_sha256 = NULL, done_at = NULL, updated_at = ?
            WHERE id = ? AND state = 'done'`,
        )
        .run(reason, now, at, jobId);
      return this.event(this.get(jobId) as UploadJob, 'requeued', 'done', at, null, { reason, staleRemoteKey: job.remoteKey, remoteKey: newKey });
    })();
  }

  /**
   * A done job whose capture a link edit renamed while the target does not take it (set aside for
   * re-shoot, rejected, failed QC): withdrawn like a queued one (`reason` starts with
   * withdrawnPrefix) with no remote key, so it is not sent again and, if the capture is taken again,
   * goes under its name then. The copy under the old name is recorded as superseded in the same
   * transaction; it is removed while the capture's local file is kept (stale-copies.ts).
   */
  withdrawDone(jobId: number, reason: string): JobTransition | null {
    return this.db.transaction(() => {
      const job = this.get(jobId);
      if (job?.state !== 'done') return null;
      const at = new Date(this.clock()).toISOString();
      if (job.remoteKey !== null && job.verifiedSha256 !== null) new StaleCopies(this.db, this.clock).recordSuperseded(this.writtenCopy(job), null);
      this.db
        .prepare(`UPDATE upload_jobs SET state = 'dead', remote_key = NULL, last_error = ?, resume_json = NULL, verified_sha256 = NULL, done_at = NULL, updated_at = ? WHERE id = ? AND state = 'done'`)
        .run(reason, at, jobId);
      return this.event(this.get(jobId) as UploadJob, 'dead', 'done', at, reason, { staleRemoteKey: job.remoteKey });
    })();
  }

  /** What a done job wrote at its target, as stale-copies.ts records it. */
  writtenCopy(job: UploadJob): WrittenCopy {
    const stateJson = (this.db.prepare('SELECT resume_json FROM upload_jobs WHERE id = ?').get(job.id) as { resume_json: string | null }).resume_json;
    return { jobId: job.id, captureId: job.captureId, targetId: job.targetId, remoteKey: job.remoteKey ?? '', sha256: job.verifiedSha256 ?? '', size: job.bytes, stateJson, writtenAt: job.doneAt };
  }

  get(id: number): UploadJob | null {
    const row = this.db.prepare(`${selectJob} WHERE j.id = ?`).get(id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  jobsOfCapture(captureId: number): UploadJob[] {
    return (this.db.prepare(`${selectJob} WHERE j.capture_id = ? ORDER BY j.id`).all(captureId) as JobRow[]).map(toJob);
  }

  /** `limit` -1: all of them. */
  list(q: { targetId?: string; state?: JobState; limit?: number } = {}): UploadJob[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.targetId !== undefined) {
      where.push('j.target_id = ?');
      args.push(q.targetId);
    }
    if (q.state !== undefined) {
      where.push('j.state = ?');
      args.push(q.state);
    }
    const sql = `${selectJob} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY j.id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 1000) as JobRow[]).map(toJob);
  }

  /** Counts by state and bytes, per target id found in the table. */
  counts(): TargetCounts[] {
    const out = new Map<string, TargetCounts>();
    const rows = this.db.prepare('SELECT target_id, state, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM upload_jobs GROUP BY target_id, state').all() as {
      target_id: string;
      state: JobState;
      n: number;
      bytes: number;
    }[];
    for (const r of rows) {
      const c = out.get(r.target_id) ?? { targetId: r.target_id, queued: 0, leased: 0, done: 0, dead: 0, bytesPending: 0, bytesDone: 0 };
      c[r.state] = r.n;
      if (r.state === 'queued' || r.state === 'leased') c.bytesPending += r.bytes;
      if (r.state === 'done') c.bytesDone += r.bytes;
      out.set(r.target_id, c);
    }
    return [...out.values()];
  }

  /** Queued and leased jobs that saved resume state: the ones a target may already hold part of. */
  partlySent(): { targetId: string; bytes: number; resume: unknown }[] {
    const rows = this.db.prepare("SELECT target_id, bytes, resume_json FROM upload_jobs WHERE state IN ('queued', 'leased') AND resume_json IS NOT NULL").all() as { target_id: string; bytes: number; resume_json: string }[];
    return rows.map((r) => ({ targetId: r.target_id, bytes: r.bytes, resume: JSON.parse(r.resume_json) as unknown }));
  }

  private event(job: UploadJob, type: JobTransition['type'], from: JobState | null, at: string, error: string | null, extra?: Record<string, unknown>): JobTransition {
    const transition: JobTransition = { jobId: job.id, captureId: job.captureId, targetId: job.targetId, type, from, to: job.state, attempts: job.attempts, error, at };
    appendEvent(this.db, {
      type: `upload.${type}`,
      captureId: job.captureId,
      sourceId: job.sourceId,
      at,
      data: { jobId: job.id, targetId: job.targetId, from, to: job.state, attempts: job.attempts, ...(error ? { error } : {}), ...extra },
    });
    return transition;
  }
}
