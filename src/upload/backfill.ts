/**
 * Backfill: jobs for captures recorded before a target existed (added to the config later, or
 * recorded before the upload queue — schema version 2 — was there). New captures are enqueued by
 * the capture hook; old ones only when the operator asks, because sending months of archive to a
 * newly added target is a decision, not a default. Idempotent: a capture that has a job for the
 * target keeps it, whatever its state; the same eligibility rule as the hook applies.
 */
import type { TargetConfig } from '../config/schema.js';
import { StationError } from '../errors.js';
import type { Db } from '../store/database.js';
import { isEligible } from './eligibility.js';
import { Outbox, type JobTransition } from './outbox.js';

export interface BackfillResult {
  targetId: string;
  /** ISO time; captures recorded (checked) from then on were considered. Null: all. */
  since: string | null;
  /** Jobs created now. */
  queued: number;
  /** Captures that had a job for the target already. */
  alreadyQueued: number;
  /** Captures the target does not take (failed QC with `when: passed`, pair check still waiting), or not yet (held back by linking: see linking/held.ts). */
  notEligible: number;
  /** Captures whose local file retention removed already: there is nothing left to send. */
  removedLocally: number;
}

/** Rows per transaction: a big history never holds the write lock long enough to stall ingest. */
const batchSize = 500;

/** `2026-11-01` (midnight UTC) or a full ISO time → ISO string; throws INVALID_ARGUMENT otherwise. */
export function parseSince(text: string): string {
  const t = text.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(t) ? Date.parse(`${t}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(t) ? Date.parse(t) : NaN;
  if (Number.isNaN(ms)) throw new StationError('INVALID_ARGUMENT', `"${text}" is not a date: give --since as YYYY-MM-DD (midnight UTC) or a full ISO time like 2026-11-01T08:00:00Z.`);
  return new Date(ms).toISOString();
}

export function backfill(db: Db, target: Pick<TargetConfig, 'id' | 'when'>, since: string | null): { result: BackfillResult; transitions: JobTransition[] } {
  const outbox = new Outbox(db);
  const result: BackfillResult = { targetId: target.id, since, queued: 0, alreadyQueued: 0, notEligible: 0, removedLocally: 0 };
  const transitions: JobTransition[] = [];
  const page = db.prepare(
    `SELECT c.id, c.size, c.verdict, c.local_deleted_at IS NOT NULL AS removed, EXISTS (SELECT 1 FROM upload_jobs j WHERE j.capture_id = c.id AND j.target_id = ?) AS has_job
       FROM captures c WHERE c.id > ? AND (? IS NULL OR c.checked_at >= ?) ORDER BY c.id LIMIT ?`,
  );
  let after = 0;
  for (;;) {
    const rows = db.transaction(() => {
      const batch = page.all(target.id, after, since, since, batchSize) as { id: number; size: number; verdict: 'pass' | 'warn' | 'fail'; removed: number; has_job: number }[];
      for (const c of batch) {
        if (c.has_job) result.alreadyQueued++;
        else if (c.removed) result.removedLocally++;
        else if (!isEligible(db, c, target)) result.notEligible++;
        else {
          const t = outbox.enqueue(c, target.id);
          if (t) {
            transitions.push(t);
            result.queued++;
          } else result.alreadyQueued++;
        }
      }
      return batch;
    })();
    if (rows.length < batchSize) break;
    after = rows[rows.length - 1]!.id;
  }
  return { result, transitions };
}

/** The configured target `targetId`, or a NOT_FOUND error listing the configured ones. */
export function configuredTarget<T extends { id: string }>(targets: readonly T[], targetId: string): T {
  const t = targets.find((c) => c.id === targetId);
  if (!t) throw new StationError('NOT_FOUND', `There is no upload target "${targetId}" in the config${targets.length ? ` (configured: ${targets.map((c) => c.id).join(', ')})` : ' (none is configured)'}.`);
  return t;
}
