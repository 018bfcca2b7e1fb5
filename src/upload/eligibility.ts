/**
 * Which captures a target takes, and the enqueue hook that runs inside the capture's own
 * transaction (CaptureStore.addHook), so a capture and its upload jobs commit together.
 *
 * Rule: `when: 'all'` takes every capture. `when: 'passed'` takes captures that did not fail QC
 * (verdict pass or warn) and whose RAW/TIFF pair window is closed: while the pair check is still
 * 'waiting' the verdict is provisional (a missing partner turns it into a fail), so such a capture
 * is enqueued by the recheck that settles it (CaptureStore.updateCheck runs the same hook).
 */
import type { TargetConfig } from '../config/schema.js';
import type { CaptureRecord } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { Outbox, type JobTransition } from './outbox.js';

export function isEligible(db: Db, capture: Pick<CaptureRecord, 'id' | 'verdict'>, target: Pick<TargetConfig, 'when'>): boolean {
  // A linked capture goes once its object is closed and its file has reached the library: before
  // that its name and place may still change (UNDO, the next shot, filing).
  if (!linkSettled(db, capture)) return false;
  if (target.when === 'all') return true;
  if (capture.verdict === 'fail') return false;
  return db.prepare(`SELECT 1 FROM qc_results WHERE capture_id = ? AND check_id = 'pairs' AND value_json = '"waiting"'`).get(capture.id) === undefined;
}

/** Enqueues the capture for every target that takes it; idempotent. Call inside the recording transaction. */
export function enqueueEligible(db: Db, capture: CaptureRecord, targets: readonly Pick<TargetConfig, 'id' | 'when'>[]): JobTransition[] {
  const outbox = new Outbox(db);
  const out: JobTransition[] = [];
  for (const target of targets) {
    if (!isEligible(db, capture, target)) continue;
    const t = outbox.enqueue(capture, target.id);
    if (t) out.push(t);
  }
  return out;
}

/** Unlinked captures are settled; a linked one once its object is closed and, unless it failed (failed captures stay in the hot folder), it is filed. */
function linkSettled(db: Db, capture: Pick<CaptureRecord, 'id' | 'verdict'>): boolean {
  const link = db.prepare(`SELECT o.state FROM capture_links l JOIN objects o ON o.id = l.object_id WHERE l.capture_id = ?`).get(capture.id) as { state: string } | undefined;
  if (!link) return true;
  if (link.state === 'open') return false;
  const move = db.prepare(`SELECT state FROM filing_moves WHERE capture_id = ?`).get(capture.id) as { state: string } | undefined;
  return move ? move.state === 'done' : capture.verdict === 'fail';
}
