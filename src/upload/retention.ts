/**
 * Retention: local files removed only when the config asks, only after every required target has
 * verified the capture (sha256 equal to QC's), only after `keepDays`, and never when no target is
 * required (the local file would be the only copy). And free-disk warnings for the disks the
 * station writes to.
 *
 * Invariants: a file is removed only if it is still the version QC checked (same size and mtime) —
 * a new file that took its name since is never touched; and only once every required target has
 * confirmed, just before, that its copy is still there.
 */
import { isCheckedVersion } from '../filing/move.js';
import fs from 'node:fs';
import { heldByLinkingSql } from '../linking/held.js';
import { createLogger } from '../log/logger.js';
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import type { CopyCheck, RemoteCopy } from './target.js';

const log = createLogger('upload.retention');

export interface RetentionCandidate {
  id: number;
  path: string;
  size: number;
  mtimeUs: number;
  sha256: string;
}

/**
 * Captures whose local file may go now: verified at every required target, the last `keepDays`
 * ago, not being filed, not held back by linking (a shot waiting for its barcode, or linked and not
 * filed yet: the scan or filing still needs the file; see linking/held.ts), and with no job of any
 * target (required or not) still queued or leased — an offline non-required target gets its copy
 * before the local file goes.
 */
export function retentionCandidates(db: Db, requiredTargets: readonly string[], keepDays: number, now = new Date()): RetentionCandidate[] {
  if (requiredTargets.length === 0) return [];
  const cutoff = new Date(now.getTime() - keepDays * 86_400_000).toISOString();
  const placeholders = requiredTargets.map(() => '?').join(', ');
  return db
    .prepare(
      `SELECT c.id, c.path, c.size, c.mtime_us AS mtimeUs, c.sha256 FROM captures c
        WHERE c.local_deleted_at IS NULL AND c.sha256 IS NOT NULL AND c.sha256 != ''
          AND NOT EXISTS (SELECT 1 FROM filing_moves f WHERE f.capture_id = c.id AND f.state = 'pending')
          AND NOT EXISTS (SELECT 1 FROM upload_jobs w WHERE w.capture_id = c.id AND w.state IN ('queued', 'leased'))
          AND NOT ${heldByLinkingSql}
          AND (SELECT COUNT(DISTINCT j.target_id) FROM upload_jobs j
                WHERE j.capture_id = c.id AND j.state = 'done' AND j.verified_sha256 = c.sha256 AND j.target_id IN (${placeholders})) = ?
          AND (SELECT MAX(j.done_at) FROM upload_jobs j WHERE j.capture_id = c.id AND j.target_id IN (${placeholders})) <= ?
        ORDER BY c.id`,
    )
    .all(...requiredTargets, requiredTargets.length, ...requiredTargets, cutoff) as RetentionCandidate[];
}

/** What retention asks of the upload side (the Uploader): confirm a copy, requeue a lost one. */
export interface CopyKeeper {
  /** Throws when the target cannot tell (unreachable, refusing). */
  confirmCopy(targetId: string, copy: RemoteCopy): Promise<CopyCheck>;
  requeueCopy(jobId: number, reason: string): unknown;
}

/**
 * Removes the candidates' local files; returns the ids removed. Just before each removal, every
 * required target is asked whether its copy is still there as verified (it may have been verified
 * weeks ago): a target that cannot tell keeps the file this round; a copy gone or different keeps
 * it, and that target's job is queued again as a new upload.
 */
export async function applyRetention(db: Db, candidates: readonly RetentionCandidate[], requiredTargets: readonly string[], copies: CopyKeeper, signal?: AbortSignal): Promise<number[]> {
  const removed: number[] = [];
  /** Per target that could not confirm: files kept this round, and its first reason. */
  const unconfirmed = new Map<string, { files: number; reason: string }>();
  const placeholders = requiredTargets.map(() => '?').join(', ');
  const doneJobs = db.prepare(
    `SELECT j.id, j.target_id AS targetId, j.remote_key AS remoteKey, j.verified_sha256 AS sha256, j.resume_json AS state FROM upload_jobs j
      WHERE j.capture_id = ? AND j.state = 'done' AND j.target_id IN (${placeholders}) ORDER BY j.id`,
  );
  /** Per target, copies that cannot be checked (kept, not sent again), and the first reason. */
  const uncheckable = new Map<string, { files: number; reason: string }>();
  for (const c of candidates) {
    // The station is stopping: the rest waits for the next round.
    if (signal?.aborted) break;
    // A round waits on targets for minutes: an edit may have moved the file, or queued it again, since.
    if (!stillCandidate(db, c)) continue;
    const st = await fs.promises.stat(c.path).catch(() => null);
    if (!st) {
      log.warn('local file already gone; nothing to remove', { captureId: c.id, path: c.path });
      markRemoved(db, c.id, { path: c.path, alreadyGone: true });
      continue;
    }
    // Same size and mtime — or, on a FAT/exFAT library that rounds mtimes, the same bytes.
    if (!(await isCheckedVersion(c.path, st, { sha256: c.sha256, size: c.size, mtimeMs: c.mtimeUs / 1000 }))) {
      log.info('a different file now has this name; it is kept', { captureId: c.id, path: c.path });
      continue;
    }
    const jobs = doneJobs.all(c.id, ...requiredTargets) as { id: number; targetId: string; remoteKey: string; sha256: string; state: string | null }[];
    let keep = false;
    for (const job of jobs) {
      const failed = unconfirmed.get(job.targetId);
      if (failed) {
        // Asked once per round: a hung share would otherwise cost a timeout per file.
        failed.files++;
        keep = true;
        continue;
      }
      let check: CopyCheck;
      try {
        check = await copies.confirmCopy(job.targetId, { remoteKey: job.remoteKey, size: c.size, sha256: job.sha256, state: job.state ? JSON.parse(job.state) : null });
      } catch (err) {
        unconfirmed.set(job.targetId, { files: 1, reason: err instanceof Error ? err.message : String(err) });
        keep = true;
        continue;
      }
      if (check.present === null) {
        const u = uncheckable.get(job.targetId);
        if (u) u.files++;
        else uncheckable.set(job.targetId, { files: 1, reason: check.problem });
        keep = true;
        continue;
      }
      if (!check.present) {
        const reason = `Retention found the copy at target "${job.targetId}" gone or changed (${check.problem}); the local file is kept and its job queued again (where a different file now holds that name, the job stops as a conflict saying what to do).`;
        log.warn(reason, { captureId: c.id, path: c.path, job: job.id });
        copies.requeueCopy(job.id, reason);
        keep = true;
      }
    }
    if (keep || !stillCandidate(db, c)) continue;
    await fs.promises.unlink(c.path);
    markRemoved(db, c.id, { path: c.path, alreadyGone: false });
    removed.push(c.id);
  }
  for (const [target, u] of uncheckable) {
    log.warn('local files kept: their copies at this target cannot be checked', { target, files: u.files, reason: u.reason });
  }
  for (const [target, u] of unconfirmed) {
    log.info('local files kept this round: their copies at this target could not be confirmed', { target, files: u.files, reason: u.reason });
  }
  return removed;
}

function markRemoved(db: Db, captureId: number, data: { path: string; alreadyGone: boolean }): void {
  db.transaction(() => {
    const at = new Date().toISOString();
    db.prepare('UPDATE captures SET local_deleted_at = ? WHERE id = ?').run(at, captureId);
    appendEvent(db, { type: 'capture.local-removed', captureId, data, at });
  })();
}

/** The candidate as it was chosen: same file, not removed, no upload queued or under way, no move pending, not held by linking. */
function stillCandidate(db: Db, c: RetentionCandidate): boolean {
  return (
    db
      .prepare(
        `SELECT 1 FROM captures c WHERE c.id = ? AND c.path = ? AND c.local_deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM upload_jobs w WHERE w.capture_id = c.id AND w.state IN ('queued', 'leased'))
          AND NOT EXISTS (SELECT 1 FROM filing_moves f WHERE f.capture_id = c.id AND f.state = 'pending')
          AND NOT ${heldByLinkingSql}`,
      )
      .get(c.id, c.path) !== undefined
  );
}
