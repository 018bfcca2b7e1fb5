/**
 * Copies the station itself left at a target under a key its capture no longer has (a link edit
 * renamed the capture after its upload): table stale_copies, one row per such copy. The station
 * owns what it wrote, so it removes these — but only its own bytes, and never the last copy:
 * - a row is written in the transaction that queues the capture's upload under its new key
 *   (Outbox.renamed), with the sha256 and size the done upload verified there;
 * - a pending row is removed once the capture's job at that target is done under another copy,
 *   or is withdrawn because the capture is set aside (re-shoot, rejected, failed QC for a target
 *   taking passed ones only) while its local file is kept with the copy's bytes — proven as below,
 *   its only copy then, as a set-aside capture must not stay at the target under a name it no
 *   longer has (a file re-shot with other bytes leaves this copy the only one: it stays) — and only while no other
 *   job of the target holds the key (a current copy there is not stale: the row is dropped);
 * - a job of ANOTHER capture whose key the copy occupies may remove it before that (leaseAtKey):
 *   when the copy's capture still has its local file with the bytes QC checked — recorded here
 *   (not removed by retention, not being moved) and proven by the uploader, which hashes it before
 *   deleting anything. Invariant: a capture always keeps at least one verified copy somewhere the
 *   station controls — its local file, or a verified copy at a target. Retention cannot take that
 *   local file away meanwhile: it skips captures with a queued or leased job, and one whose job at
 *   this target is dead only when every required target holds a verified copy of it. This is what
 *   lets captures that swap names (A to B's key, B to A's; or any longer cycle) complete: waiting
 *   for the other's new copy would wait forever on both sides. A copy whose capture has no such
 *   local file is its only copy here: the station keeps it, and the job that needs the key is
 *   told so (dead, saying what to do), never left waiting;
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
import type { CaptureFileFacts } from './source-read.js';

/**
 * SQL: the stale_copies row `s` blocks its key (a folder or S3 copy) — a tus copy is its upload
 * URL, which no other upload ever gets.
 */
export const atKeySql = (s: string): string => `(${s}.state_json IS NULL OR json_extract(${s}.state_json, '$.kind') IS NOT 'tus')`;
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

/**
 * The capture's job was withdrawn (set aside: it is not to be at the target under any name). The
 * marker decides, not the key: a job withdrawn after a lease keeps the key it was given then.
 */
function setAside(own: { state: string; last_error: string | null } | undefined): boolean {
  return own?.state === 'dead' && own.last_error?.startsWith(withdrawnPrefix) === true;
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

/**
 * Whether a pending row can be removed now — for a job of another capture asking, once it has
 * proven `proveLocal`, the capture's local file — or why not: it waits (it stays pending), it must
 * be dropped, or it is its capture's only copy (`only`: kept for now, the asking job cannot have
 * the key).
 */
type Eligibility = { ok: true; proveLocal: CaptureFileFacts | null } | { ok: false; wait: string } | { ok: false; drop: string } | { ok: false; only: string };

/** What stands at a key a job needs (leaseAtKey): the superseded copy of capture `captureId`, and what the job can do about it. */
export type KeyBlock = { captureId: number } & (
  | { copy: StaleCopy; proveLocal: CaptureFileFacts | null }
  | { inFlight: true }
  | { wait: string }
  | { only: string }
);

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
    const back = newKey === null ? [] : (this.db.prepare(`SELECT * FROM stale_copies WHERE job_id = ? AND remote_key = ? AND state = 'pending' AND lease_owner IS NULL AND ${atKeySql('stale_copies')}`).all(copy.jobId, newKey) as Row[]);
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
   * Leases the pending copy of one of `targetIds` that has been due longest and can be removed now
   * — after proving `proveLocal` when set (a set-aside capture's local file) — or returns null. Rows
   * whose key holds a current copy again are dropped on the way; a set-aside capture's copy that is
   * its only one stays.
   */
  lease(owner: string, leaseMs: number, targetIds: readonly string[]): { copy: StaleCopy; proveLocal: CaptureFileFacts | null } | null {
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
        if (e.ok) return { copy: this.take(copy, owner, now + leaseMs), proveLocal: e.proveLocal };
        // A copy that is its capture's only one (`only`) stays pending: its local file may be restored.
        if ('drop' in e) this.settle(copy, 'dropped', e.drop, new Date(now).toISOString());
      }
      return null;
    })();
  }

  /**
   * The pending copy of the station's own with `sha256` at `key` of `targetId` that blocks job
   * `jobId` (of capture `captureId`), leased for removal when it can go now — after proving
   * `proveLocal` when set (see the header). Null when no such copy is recorded (the file there is
   * not the station's: the job stays dead as before).
   */
  leaseAtKey(owner: string, leaseMs: number, q: { targetId: string; remoteKey: string; sha256: string; jobId: number; captureId: number }): KeyBlock | null {
    return this.db.transaction(() => {
      const now = this.clock();
      const rows = this.db.prepare("SELECT * FROM stale_copies WHERE state = 'pending' AND target_id = ? AND remote_key = ? AND sha256 = ? ORDER BY id").all(q.targetId, q.remoteKey, q.sha256) as Row[];
      // What to report when none can go: one being removed ends soonest, a wait may end, a kept only copy does not.
      let block: KeyBlock | null = null;
      const rank = (b: KeyBlock | null) => (b === null ? 3 : 'inFlight' in b ? 0 : 'wait' in b ? 1 : 2);
      for (const r of rows) {
        const copy = toCopy(r);
        let found: KeyBlock;
        if (copy.leaseOwner !== null) found = { captureId: copy.captureId, inFlight: true };
        else {
          const e = this.eligibility(copy, { jobId: q.jobId, captureId: q.captureId });
          if (e.ok) return { captureId: copy.captureId, copy: this.take(copy, owner, now + leaseMs), proveLocal: e.proveLocal };
          if ('drop' in e) {
            this.settle(copy, 'dropped', e.drop, new Date(now).toISOString());
            continue;
          }
          found = 'wait' in e ? { captureId: copy.captureId, wait: e.wait } : { captureId: copy.captureId, only: e.only };
        }
        if (rank(found) < rank(block)) block = found;
      }
      return block;
    })();
  }

  /**
   * The removal of a copy at `key` of `targetId` in flight (leased), if any: a job must not
   * acknowledge that key now (the removal may be about to delete what it finds there).
   */
  removalInFlightAt(targetId: string, key: string): StaleCopy | null {
    const r = this.db.prepare(`SELECT * FROM stale_copies s WHERE state = 'pending' AND lease_owner IS NOT NULL AND target_id = ? AND remote_key = ? AND ${atKeySql('s')} LIMIT 1`).get(targetId, key) as Row | undefined;
    return r ? toCopy(r) : null;
  }

  /**
   * Right before a leased copy is deleted: null when it may go — still leased by `owner`, and no
   * job (other than `except`, the one that asked to free the key) leased to upload at its key or
   * done there — and then `keep` (what a retry needs once the copy is gone) is saved with the row;
   * else why not. With the lease guard in outbox.ts, a removal never deletes what a job has
   * acknowledged, and a job never acknowledges what a removal is deleting.
   */
  readyToDelete(id: number, owner: string, except: number | null, keep: unknown): string | null {
    return this.db.transaction(() => {
      const copy = this.get(id);
      if (!copy || copy.status !== 'pending' || copy.leaseOwner !== owner) return `the lease on removing ${copy?.remoteKey ?? `superseded copy ${id}`} was lost`;
      if (urlOf(copy.state) === null) {
        const taker = this.db
          .prepare("SELECT id, capture_id, state FROM upload_jobs WHERE target_id = ? AND remote_key = ? AND id != ? AND state IN ('leased', 'done') LIMIT 1")
          .get(copy.targetId, copy.remoteKey, except ?? -1) as { id: number; capture_id: number; state: string } | undefined;
        if (taker) return `job ${taker.id} (capture ${taker.capture_id}) ${taker.state === 'done' ? 'has its verified copy' : 'is uploading'} at ${copy.remoteKey} now, so the copy there is not removed`;
      }
      if (keep !== undefined) {
        const state = { ...((copy.state as Record<string, unknown> | null) ?? {}), ...(keep as Record<string, unknown>) };
        this.db.prepare('UPDATE stale_copies SET state_json = ? WHERE id = ?').run(JSON.stringify(state), id);
      }
      return null;
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
   * A pending copy can go once its capture's job at the target is done under another copy — or,
   * for a job of another capture asking (`asking`), once that capture's local file is proven (see
   * the header) — and while no other job of the target (but the one asking) holds its key.
   */
  private eligibility(copy: StaleCopy, asking: { jobId: number; captureId: number } | null): Eligibility {
    const own = this.db.prepare('SELECT state, remote_key, resume_json, last_error FROM upload_jobs WHERE id = ?').get(copy.jobId) as
      | { state: string; remote_key: string | null; resume_json: string | null; last_error: string | null }
      | undefined;
    const url = urlOf(copy.state);
    let proveLocal: CaptureFileFacts | null = null;
    if (own?.state === 'done') {
      const same = url !== null ? urlOf(own.resume_json ? JSON.parse(own.resume_json) : null) === url : own.remote_key === copy.remoteKey;
      if (same) return { ok: false, drop: `capture ${copy.captureId}'s verified copy is this one again` };
    } else {
      // A set-aside capture is not to be at the target under any name: its copy goes once its local
      // file is proven to hold the same bytes (that file is its copy then).
      const aside = setAside(own);
      if (!aside && (asking === null || asking.captureId === copy.captureId)) {
        return { ok: false, wait: `capture ${copy.captureId}'s copy under its new name is not verified yet (its job ${copy.jobId} is ${own?.state ?? 'gone'}); its old copy goes once it is, so the capture always has one` };
      }
      const local = this.localFileOf(
        copy,
        aside ? `capture ${copy.captureId} is set aside (its job ${copy.jobId} was withdrawn)` : `capture ${copy.captureId}'s upload under its new name is not verified (its job ${copy.jobId} is ${own?.state ?? 'gone'})`,
      );
      if (!('facts' in local)) return { ok: false, ...local };
      proveLocal = local.facts;
    }
    // A tus copy is its upload URL, which no other upload ever gets.
    if (url !== null) return { ok: true, proveLocal };
    const holders = this.db
      .prepare("SELECT id, capture_id, state FROM upload_jobs WHERE target_id = ? AND remote_key = ? AND id != ? AND id != ? AND state IN ('queued', 'leased', 'done')")
      .all(copy.targetId, copy.remoteKey, copy.jobId, asking?.jobId ?? -1) as { id: number; capture_id: number; state: string }[];
    const done = holders.find((h) => h.state === 'done');
    if (done) return { ok: false, drop: `capture ${done.capture_id}'s verified copy is at this name now (job ${done.id})` };
    if (holders.length > 0) return { ok: false, wait: `job ${holders[0]!.id} (capture ${holders[0]!.capture_id}) is to upload to this name too` };
    return { ok: true, proveLocal };
  }

  /**
   * The local file of a superseded copy's capture with no verified copy under its new name (`why`),
   * as the database records it: what to prove before the copy may go, or why it cannot go (now).
   */
  private localFileOf(copy: StaleCopy, why: string): { facts: CaptureFileFacts } | { wait: string } | { only: string } {
    const c = this.db
      .prepare(
        `SELECT id, source_id, rel_path, version, path, size, mtime_us, sha256, local_deleted_at,
           EXISTS (SELECT 1 FROM filing_moves f WHERE f.capture_id = captures.id AND f.state = 'pending') AS moving
         FROM captures WHERE id = ?`,
      )
      .get(copy.captureId) as
      | { id: number; source_id: string; rel_path: string; version: number; path: string; size: number; mtime_us: number; sha256: string | null; local_deleted_at: string | null; moving: number }
      | undefined;
    if (!c) return { only: `${why}, and the capture is no longer recorded` };
    if (c.local_deleted_at !== null) return { only: `${why}, and retention removed its local file at ${c.local_deleted_at}` };
    if (c.sha256 !== copy.sha256) return { only: `${why}, and its local file is recorded with sha256 ${c.sha256 ?? 'none'}, not this copy's ${copy.sha256}` };
    if (c.moving) return { wait: `capture ${copy.captureId}'s local file is being moved in the library; the copy goes once it is proven at its new place` };
    return { facts: { captureId: c.id, sourceId: c.source_id, relPath: c.rel_path, version: c.version, path: c.path, size: c.size, mtimeUs: c.mtime_us, sha256: c.sha256, localDeletedAt: null } };
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
