/**
 * Which captures a target takes, and the enqueue hook that runs inside the capture's own
 * transaction (CaptureStore.addHook), so a capture and its upload jobs commit together.
 *
 * Rule: `when: 'all'` takes every capture. `when: 'passed'` takes captures that did not fail QC
 * (verdict pass or warn) and whose RAW/TIFF pair window is closed: while the pair check is still
 * 'waiting' the verdict is provisional (a missing partner turns it into a fail), so such a capture
 * is enqueued by the recheck that settles it (CaptureStore.updateCheck runs the same hook).
 * Not yet, whatever `when` says: a capture linking still holds back (src/linking/held.ts: its object
 * is open, it is not filed yet, or it waits for its barcode); the hook runs again when that ends.
 * Never, whatever `when` says: a capture that did not fail QC but was flagged for re-shoot (UNDO,
 * setReshoot) or is linked to a rejected object (REJECT). A capture that failed QC is flagged for
 * re-shoot by linking itself (linker.ts): it follows `when` like any failed capture, so a target
 * that takes all captures still gets it. A job queued before the capture became so is withdrawn (dead, with the
 * reason) by the next run of the hook, and queued again if the flag is cleared; a job already
 * leased or done stays as it is (the remote copy is not deleted) — unless a link edit renames the
 * capture while it is not taken (notTakenBecause): its copy then carries a name the capture no
 * longer has, so the job is withdrawn (not sent again) and that copy removed (Uploader.renamed).
 */
import type { TargetConfig } from '../config/schema.js';
import type { CaptureRecord } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { heldByLinkingSql } from '../linking/held.js';
import { Outbox, type JobTransition } from './outbox.js';
import { withdrawnPrefix } from './withdrawn.js';

export function isEligible(db: Db, capture: Pick<CaptureRecord, 'id' | 'verdict'>, target: Pick<TargetConfig, 'when'>): boolean {
  // A linked capture goes once its object is closed and its file has reached the library, a shot
  // waiting for its barcode once it is linked and filed or given up on: before that its name and
  // place may still change (UNDO, the next shot, the scan, filing).
  if (heldByLinking(db, capture.id)) return false;
  if (setAside(db, capture)) return false;
  if (target.when === 'all') return true;
  if (capture.verdict === 'fail') return false;
  return db.prepare(`SELECT 1 FROM qc_results WHERE capture_id = ? AND check_id = 'pairs' AND value_json = '"waiting"'`).get(capture.id) === undefined;
}

/** Enqueues the capture for every target that takes it; idempotent. Call inside the recording transaction. */
export function enqueueEligible(db: Db, capture: CaptureRecord, targets: readonly Pick<TargetConfig, 'id' | 'when'>[]): JobTransition[] {
  const outbox = new Outbox(db);
  const out: JobTransition[] = [];
  const aside = setAside(db, capture);
  for (const target of targets) {
    if (aside) {
      const t = outbox.withdraw(capture.id, target.id, `${withdrawnPrefix}capture ${capture.id} ${aside}; it is not uploaded.`);
      if (t) out.push(t);
      continue;
    }
    if (!isEligible(db, capture, target)) continue;
    const t = outbox.enqueue(capture, target.id);
    if (t) out.push(t);
    else out.push(...requeueWithdrawn(db, outbox, capture.id, target.id));
  }
  return out;
}

/**
 * Why `target` does not take the capture as it now is — set aside (re-shoot, rejected) or failed QC
 * for a target that takes passed captures only — or null: it takes it, or will once linking or the
 * pair window stops holding it back (then its name may still change, so it is not a reason).
 */
export function notTakenBecause(db: Db, capture: Pick<CaptureRecord, 'id' | 'verdict'>, target: Pick<TargetConfig, 'id' | 'when'>): string | null {
  const aside = setAside(db, capture);
  if (aside) return aside;
  if (target.when === 'passed' && capture.verdict === 'fail') return `failed QC, and target "${target.id}" takes only captures that pass`;
  return null;
}

/** Why the capture must not be uploaded at all, or null. */
function setAside(db: Db, capture: Pick<CaptureRecord, 'id' | 'verdict'>): string | null {
  const captureId = capture.id;
  const row = db
    .prepare(`SELECT c.reshoot, o.state, o.barcode FROM captures c LEFT JOIN capture_links l ON l.capture_id = c.id LEFT JOIN objects o ON o.id = l.object_id WHERE c.id = ?`)
    .get(captureId) as { reshoot: number; state: string | null; barcode: string | null } | undefined;
  if (row?.reshoot === 1 && capture.verdict !== 'fail') return 'is flagged for re-shoot';
  if (row?.state === 'rejected') return `belongs to the rejected object ${row.barcode}`;
  return null;
}

/** A job withdrawn while the capture was set aside goes back to the queue once it no longer is. */
function requeueWithdrawn(db: Db, outbox: Outbox, captureId: number, targetId: string): JobTransition[] {
  const job = db.prepare(`SELECT id FROM upload_jobs WHERE capture_id = ? AND target_id = ? AND state = 'dead' AND last_error LIKE ?`).get(captureId, targetId, `${withdrawnPrefix}%`) as { id: number } | undefined;
  return job ? outbox.retryDead({ jobId: job.id }) : [];
}

function heldByLinking(db: Db, captureId: number): boolean {
  return db.prepare(`SELECT 1 FROM captures c WHERE c.id = ? AND ${heldByLinkingSql}`).get(captureId) !== undefined;
}
