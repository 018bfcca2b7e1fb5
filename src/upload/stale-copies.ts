/**
 * Copies the station itself left at a target under a key its capture no longer has (a link edit
 * renamed the capture after its upload): table stale_copies, one row per such copy. The station
 * owns what it wrote, so it removes these — but only its own bytes, and never the last copy:
 * - a row is written in the transaction that queues the capture's upload under its new key
 *   (Outbox.renamed), with the sha256 and size the done upload verified there;
 * - a pending row is removed only once the capture's job at that target is done under another
 *   copy (never zero copies), or is withdrawn because the capture is set aside (re-shoot, rejected,
 *   failed QC for a target taking passed ones only) while its local file is kept — its only copy
 *   then, as a set-aside capture must not stay at the target under a name it no longer has — and
 *   only while no other job of the target holds the key (a current copy there is not stale: the
 *   row is dropped);
 * - the target proves the bytes at the key are still the ones written before removing them
 *   (UploadTarget.removeStale); bytes that differ are left alone and the row is kept with why;
 * - removal runs under a lease with expiry (a holder that died is reclaimed, nothing is lost: the
 *   next holder proves the bytes again), transient failures back off, and every settlement writes
 *   an 'upload.stale.*' event in the same transaction.
 *   pending ──lease──▶ pending (leased) ──removed──▶ removed
 *      ▲                  │  kept (replaced, cannot remove) ──▶ kept
 *      └── retry / release / reclaim
 *   pending ──(its key is a current copy again)──▶ dropped
 */
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import { withdrawnPrefix } from './withdrawn.js';

export const staleStates = ['pending', 'removed', 'kept', 'dropped'] as const;
export type StaleState = (typeof staleStates)[number];

export interface StaleCopy {
  id: number;
  captureId: number;
  targetId: string;
  /** The capture's job at the target, which wrote this copy. */
  jobId: number;
  remoteKey: string;
  /** What the target needs besides the key (the tus upload URL), as the done upload left it. */
  state: unknown;
  sha256: string;
  size: number;
  writtenAt: string | null;
  recordedAt: string;
  status: StaleState;
  note: string | null;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  lastError: string | null;
  settledAt: string | null;
}

interface Row {
  id: number;
  capture_id: number;
  target_id: string;
  job_id: number;
  remote_key: string;
  state_json: string | null;
  sha256: string;
  size: number;
  written_at: string | null;
  recorded_at: string;
  state: StaleState;
  note: string | null;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  settled_at: string | null;
}

function toCopy(r: Row): StaleCopy {
  return {
    id: r.id,
    captureId: r.capture_id,
    targetId: r.target_id,
    jobId: r.job_id,
    remoteKey: r.remote_key,
    state: r.state_json ? JSON.parse(r.state_json) : null,
    sha256: r.sha256,
    size: r.size,
    writtenAt: r.written_at,
    recordedAt: r.recorded_at,
    status: r.state,
    note: r.note,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    leaseOwner: r.lease_owner,
    lastError: r.last_error,
    settledAt: r.settled_at,
  };
}

/** A done job's copy, as Outbox.renamed hands it over. */
export interface WrittenCopy {
  jobId: number;
  captureId: number;
  targetId: string;
  remoteKey: string;
  sha256: string;
  size: number;
  /** The done job's resume_json (its confirm state), kept verbatim. */
  stateJson: string | null;
  writtenAt: string | null;
}

/** Why a pending row cannot be removed now (it stays pending), or that it must be dropped. */
type Eligibility = { ok: true } | { ok: false; wait: string } | { ok: false; drop: string };

export class StaleCopies {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Records `copy` as superseded by the capture's new key. Runs inside the caller's transaction. A
   * pending row of this job at `newKey` (an undo: the capture takes that name back) is dropped: the
   * copy there is the capture's own again, and its upload finds it. `newKey` null: the capture is
   * set aside and has no name at the target any more (Outbox.withdrawDone).
   */
  recordSuperseded(copy: WrittenCopy, newKey: string | null): StaleCopy {
    const at = new Date(this.clock()).toISOString();
    const back = newKey === null ? [] : (this.db.prepare("SELECT * FROM stale_copies WHERE job_id = ? AND remote_key = ? AND state = 'pending' AND lease_owner IS NULL AND state_json IS NULL").all(copy.jobId, newKey) as Row[]);
    for (const r of back) this.settle(toCopy(r), 'dropped', `the capture is named ${newKey} again`, at);
    return this.insert(copy, 'pending', null, at);
  }

  /**
   * Records a copy that stays under a name its capture no longer has, and why (a relinked capture
   * whose local file retention removed: that copy is its only one). Once per job and key.
   */
  recordKept(copy: WrittenCopy, note: string): StaleCopy | null {
    const open = this.db.prepare("SELECT id FROM stale_copies WHERE job_id = ? AND remote_key = ? AND state IN ('pending', 'kept')").get(copy.jobId, copy.remoteKey);
    if (open) return null;
    return this.insert(copy, 'kept', note, new Date(this.clock()).toISOString());
  }

  /**
   * Leases the pending copy of one of `targetIds` that has been due longest and can be removed now,
   * or returns null. Rows whose key holds a current copy again are dropped on the way.
   */
  lease(owner: string, leaseMs: number, targetIds: readonly string[]): StaleCopy | null {
    if (targetIds.length === 0) return null;
    return this.db.transaction(() => {
      const now = this.clock();
      const rows = this.db
        .prepare(
          `SELECT * FROM stale_copies WHERE state = 'pending' AND lease_owner IS NULL AND next_attempt_at <= ? AND target_id IN (${targetIds.map(() => '?').join(',')})
            ORDER BY next_attempt_at, id`,
        )
        .all(now, ...targetIds) as Row[];
      for (const r of rows) {
        const copy = toCopy(r);
        const e = this.eligibility(copy, null);
        if (e.ok) return this.take(copy, owner, now + leaseMs);
        if ('drop' in e) this.settle(copy, 'dropped', e.drop, new Date(now).toISOString());
      }
      return null;
    })();
  }

  /**
   * The pending copy of the station's own with `sha256` at `key` of `targetId` that blocks job
   * `jobId`, leased for removal when it can go now. Null when no such copy is recorded (the file
   * there is not the station's: the job stays dead as before); `wait` says why it cannot go yet.
   */
  leaseAtKey(owner: string, leaseMs: number, q: { targetId: string; remoteKey: string; sha256: string; jobId: number }): { copy: StaleCopy } | { wait: string } | null {
    return this.db.transaction(() => {
      const now = this.clock();
      const rows = this.db.prepare("SELECT * FROM stale_copies WHERE state = 'pending' AND target_id = ? AND remote_key = ? AND sha256 = ? ORDER BY id").all(q.targetId, q.remoteKey, q.sha256) as Row[];
      let wait: string | null = null;
      for (const r of rows) {
        const copy = toCopy(r);
        if (copy.leaseOwner !== null) {
          wait = `the station is removing its superseded copy of capture ${copy.captureId} there now`;
          continue;
        }
        const e = this.eligibility(copy, q.jobId);
        if (e.ok) return { copy: this.take(copy, owner, now + leaseMs) };
        if ('drop' in e) this.settle(copy, 'dropped', e.drop, new Date(now).toISOString());
        else wait = e.wait;
      }
      return wait === null ? null : { wait };
    })();
  }

  /** The target removed the copy (or found it gone already). */
  removed(id: number, owner: string, note: string): StaleCopy | null {
    return this.settleLeased(id, owner, 'removed', note);
  }

  /** Left at the target for good: its bytes are no longer the station's, or the target cannot remove files. */
  kept(id: number, owner: string, note: string): StaleCopy | null {
    return this.settleLeased(id, owner, 'kept', note);
  }

  /** A failed removal: pending again at `retryAt`, the attempt counted. */
  retry(id: number, owner: string, error: string, retryAt: number): StaleCopy | null {
    return this.db.transaction(() => {
      const at = new Date(this.clock()).toISOString();
      const changes = this.db
        .prepare('UPDATE stale_copies SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = ? AND lease_owner = ?')
        .run(error, retryAt, id, 'pending', owner).changes;
      if (changes === 0) return null;
      const copy = this.get(id) as StaleCopy;
      this.event(copy, 'retry', at, { error, attempts: copy.attempts, retryAt: new Date(retryAt).toISOString() });
      return copy;
    })();
  }

  /** Gives a leased row back without an attempt (target offline, station stopping). */
  release(id: number, owner: string): boolean {
    return this.db.prepare("UPDATE stale_copies SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'pending' AND lease_owner = ?").run(id, owner).changes > 0;
  }

  /** Extends every lease `owner` holds (its heartbeat while removals run). */
  renew(owner: string, leaseMs: number): number {
    return this.db.prepare("UPDATE stale_copies SET lease_until = ? WHERE state = 'pending' AND lease_owner = ?").run(this.clock() + leaseMs, owner).changes;
  }

  /** Leases of holders that died or stalled past expiry go back (the next holder proves the bytes again). */
  reclaim(self: string | null, ownerGone: (owner: string) => boolean = () => false): number {
    const now = this.clock();
    const rows = this.db.prepare("SELECT id, lease_owner, lease_until FROM stale_copies WHERE state = 'pending' AND lease_owner IS NOT NULL").all() as { id: number; lease_owner: string; lease_until: number | null }[];
    let n = 0;
    for (const r of rows) {
      if (r.lease_owner === self) continue;
      const expired = r.lease_until === null || r.lease_until < now;
      if (!expired && !ownerGone(r.lease_owner)) continue;
      n += this.db.prepare("UPDATE stale_copies SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'pending' AND lease_owner = ?").run(r.id, r.lease_owner).changes;
    }
    return n;
  }

  /**
   * Earliest future due time (a retry after backoff) of a pending, unleased row of `targetIds`, or
   * null. Rows due already are waiting for an upload to finish, which wakes the runner itself.
   */
  nextDueAt(targetIds: readonly string[]): number | null {
    if (targetIds.length === 0) return null;
    const row = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM stale_copies WHERE state = 'pending' AND lease_owner IS NULL AND next_attempt_at > ? AND target_id IN (${targetIds.map(() => '?').join(',')})`)
      .get(this.clock(), ...targetIds) as { at: number | null };
    return row.at;
  }

  get(id: number): StaleCopy | null {
    const r = this.db.prepare('SELECT * FROM stale_copies WHERE id = ?').get(id) as Row | undefined;
    return r ? toCopy(r) : null;
  }

  /** Copies still at the targets under superseded names (pending and kept), oldest first. */
  remaining(targetId?: string): StaleCopy[] {
    const rows = (
      targetId === undefined
        ? this.db.prepare("SELECT * FROM stale_copies WHERE state IN ('pending', 'kept') ORDER BY id").all()
        : this.db.prepare("SELECT * FROM stale_copies WHERE state IN ('pending', 'kept') AND target_id = ? ORDER BY id").all(targetId)
    ) as Row[];
    return rows.map(toCopy);
  }

  private insert(copy: WrittenCopy, state: 'pending' | 'kept', note: string | null, at: string): StaleCopy {
    const info = this.db
      .prepare(
        `INSERT INTO stale_copies (capture_id, target_id, job_id, remote_key, state_json, sha256, size, written_at, recorded_at, state, note, next_attempt_at, settled_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(copy.captureId, copy.targetId, copy.jobId, copy.remoteKey, copy.stateJson, copy.sha256, copy.size, copy.writtenAt, at, state, note, this.clock(), state === 'kept' ? at : null);
    const row = this.get(Number(info.lastInsertRowid)) as StaleCopy;
    this.event(row, state === 'kept' ? 'kept' : 'recorded', at, note ? { note } : {});
    return row;
  }

  /**
   * A pending copy can go once its capture's job at the target is done under another copy, and
   * while no other job of the target (`except`: the one asking) holds its key.
   */
  private eligibility(copy: StaleCopy, except: number | null): Eligibility {
    const own = this.db.prepare('SELECT state, remote_key, resume_json, last_error FROM upload_jobs WHERE id = ?').get(copy.jobId) as
      | { state: string; remote_key: string | null; resume_json: string | null; last_error: string | null }
      | undefined;
    const url = urlOf(copy.state);
    if (own?.state === 'done') {
      const same = url !== null ? urlOf(own.resume_json ? JSON.parse(own.resume_json) : null) === url : own.remote_key === copy.remoteKey;
      if (same) return { ok: false, drop: `capture ${copy.captureId}'s verified copy is this one again` };
    } else if (!this.setAsideWithFile(copy.captureId, own)) {
      return { ok: false, wait: `capture ${copy.captureId}'s copy under its new name is not verified yet (its job ${copy.jobId} is ${own?.state ?? 'gone'}); its old copy goes once it is, so the capture always has one` };
    }
    // A tus copy is its upload URL, which no other upload ever gets.
    if (url !== null) return { ok: true };
    const holders = this.db
      .prepare("SELECT id, capture_id, state FROM upload_jobs WHERE target_id = ? AND remote_key = ? AND id != ? AND id != ? AND state IN ('queued', 'leased', 'done')")
      .all(copy.targetId, copy.remoteKey, copy.jobId, except ?? -1) as { id: number; capture_id: number; state: string }[];
    const done = holders.find((h) => h.state === 'done');
    if (done) return { ok: false, drop: `capture ${done.capture_id}'s verified copy is at this name now (job ${done.id})` };
    if (holders.length > 0) return { ok: false, wait: `job ${holders[0]!.id} is uploading to this name` };
    return { ok: true };
  }

  /**
   * The capture's job was withdrawn with no key (set aside: it is not to be at the target under
   * any name) and its local file is still kept: its copy can go, the local file being its copy.
   */
  private setAsideWithFile(captureId: number, own: { state: string; remote_key: string | null; last_error: string | null } | undefined): boolean {
    if (own?.state !== 'dead' || own.remote_key !== null || !own.last_error?.startsWith(withdrawnPrefix)) return false;
    return this.db.prepare('SELECT 1 FROM captures WHERE id = ? AND local_deleted_at IS NULL').get(captureId) !== undefined;
  }

  private take(copy: StaleCopy, owner: string, until: number): StaleCopy {
    this.db.prepare('UPDATE stale_copies SET lease_owner = ?, lease_until = ? WHERE id = ?').run(owner, until, copy.id);
    return { ...copy, leaseOwner: owner };
  }

  private settleLeased(id: number, owner: string, state: 'removed' | 'kept', note: string): StaleCopy | null {
    return this.db.transaction(() => {
      const copy = this.get(id);
      if (!copy || copy.status !== 'pending' || copy.leaseOwner !== owner) return null;
      return this.settle(copy, state, note, new Date(this.clock()).toISOString());
    })();
  }

  private settle(copy: StaleCopy, state: 'removed' | 'kept' | 'dropped', note: string, at: string): StaleCopy {
    this.db.prepare('UPDATE stale_copies SET state = ?, note = ?, settled_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?').run(state, note, at, copy.id);
    const settled = this.get(copy.id) as StaleCopy;
    this.event(settled, state, at, { note });
    return settled;
  }

  private event(copy: StaleCopy, what: string, at: string, extra: Record<string, unknown>): void {
    const sourceId = (this.db.prepare('SELECT source_id FROM captures WHERE id = ?').get(copy.captureId) as { source_id: string } | undefined)?.source_id ?? null;
    appendEvent(this.db, {
      type: `upload.stale.${what}`,
      captureId: copy.captureId,
      sourceId,
      at,
      data: { staleId: copy.id, jobId: copy.jobId, targetId: copy.targetId, remoteKey: copy.remoteKey, sha256: copy.sha256, size: copy.size, ...extra },
    });
  }
}

/** The tus upload URL of a confirm state, or null (folder and S3 copies are their key). */
export function urlOf(state: unknown): string | null {
  const s = state as { kind?: unknown; url?: unknown } | null;
  return s && s.kind === 'tus' && typeof s.url === 'string' ? s.url : null;
}
