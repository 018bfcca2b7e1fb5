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

export function isEligible(db: Db, capture: CaptureRecord, target: Pick<TargetConfig, 'when'>): boolean {
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
