/**
 * The queue as the operator sees it, per target: counts by state, bytes pending, rate and ETA, and
 * whether the target is reachable. Computed from the database alone (the `queue` CLI reads a home
 * whose station is not running: then rate, ETA and reachability are null), and enriched with the
 * running uploader's live figures when there is one.
 */
import type { TargetConfig } from '../config/schema.js';
import type { S3PutResume, S3Resume } from './s3-target.js';
import type { Db } from '../store/database.js';
import { Outbox, type UploadJob } from './outbox.js';
import { StaleCopies } from './stale-copies.js';

export interface TargetLive {
  online: boolean | null;
  lastProbeAt: string | null;
  lastProbeError: string | null;
  rateBytesPerSec: number;
}

export interface TargetQueueStatus {
  id: string;
  kind: string;
  /** False for a target id that still has jobs but is no longer in the config. */
  configured: boolean;
  required: boolean;
  counts: { queued: number; leased: number; done: number; dead: number };
  /** Bytes still to send: of a partly sent upload only what the target does not hold yet, when its saved state says. */
  bytesPending: number;
  /** False when a partly sent upload's progress is not known here (a tus upload's offset only its server knows): it counts in full, so bytesPending and etaSec are approximate. */
  bytesPendingExact: boolean;
  bytesDone: number;
  /** Null when the station is not running. */
  rateBytesPerSec: number | null;
  /** Null when unknown: the station is not running, nothing was sent yet, or the target is offline (nothing moves until it is back). */
  etaSec: number | null;
  online: boolean | null;
  lastProbeAt: string | null;
  lastProbeError: string | null;
  /**
   * Dead jobs, oldest first, with why they died: all of them when read from the database alone
   * (the `queue` CLI, whose --json is the full list); the oldest 20 in a running station's status,
   * which goes to every screen on each refresh (counts.dead says how many there are).
   */
  dead: { jobId: number; captureId: number; remoteKey: string | null; attempts: number; error: string | null }[];
  /** Copies the station left here under names their captures no longer have, not removed (yet). */
  staleCount: number;
  /**
   * Those copies, oldest first (all of them from the database alone; the oldest 20 live): pending
   * ones are removed once their capture's new copy is verified; kept ones stay, `note` says why.
   */
  stale: StaleCopyStatus[];
}

export interface StaleCopyStatus {
  staleId: number;
  captureId: number;
  remoteKey: string;
  state: 'pending' | 'kept';
  note: string | null;
  attempts: number;
  error: string | null;
  recordedAt: string;
}

export interface QueueStatus {
  /** True when computed by a running station (live rate and reachability). */
  live: boolean;
  targets: TargetQueueStatus[];
}

export function queueStatusOf(db: Db, targets: readonly TargetConfig[], live?: (targetId: string) => TargetLive | null): QueueStatus {
  const outbox = new Outbox(db);
  const staleCopies = new StaleCopies(db);
  const counts = new Map(outbox.counts().map((c) => [c.targetId, c]));
  const partlySent = outbox.partlySent();
  const ids = [...targets.map((t) => t.id), ...[...counts.keys()].filter((id) => !targets.some((t) => t.id === id))];
  return {
    live: live !== undefined,
    targets: ids.map((id) => {
      const config = targets.find((t) => t.id === id);
      const c = counts.get(id);
      const l = live?.(id) ?? null;
      const partly = partlySent.filter((p) => p.targetId === id).map((p) => ({ bytes: p.bytes, sent: bytesAlreadySent(p.resume) }));
      const bytesPending = Math.max(0, (c?.bytesPending ?? 0) - partly.reduce((n, p) => n + Math.min(p.sent ?? 0, p.bytes), 0));
      const rate = l ? l.rateBytesPerSec : null;
      const stale = staleCopies.remaining(id);
      return {
        id,
        kind: config?.kind ?? 'unknown',
        configured: config !== undefined,
        required: config?.required ?? false,
        counts: { queued: c?.queued ?? 0, leased: c?.leased ?? 0, done: c?.done ?? 0, dead: c?.dead ?? 0 },
        bytesPending,
        bytesPendingExact: partly.every((p) => p.sent !== null),
        bytesDone: c?.bytesDone ?? 0,
        rateBytesPerSec: rate,
        etaSec: bytesPending === 0 ? 0 : l?.online === false ? null : rate ? Math.ceil(bytesPending / rate) : null,
        online: l?.online ?? null,
        lastProbeAt: l?.lastProbeAt ?? null,
        lastProbeError: l?.lastProbeError ?? null,
        dead: outbox.list({ targetId: id, state: 'dead', limit: live ? 20 : -1 }).map((j: UploadJob) => ({ jobId: j.id, captureId: j.captureId, remoteKey: j.remoteKey, attempts: j.attempts, error: j.lastError })),
        staleCount: stale.length,
        stale: (live ? stale.slice(0, 20) : stale).map((c) => ({
          staleId: c.id,
          captureId: c.captureId,
          remoteKey: c.remoteKey,
          state: c.status === 'kept' ? 'kept' : 'pending',
          note: c.note,
          attempts: c.attempts,
          error: c.lastError,
          recordedAt: c.recordedAt,
        })),
      };
    }),
  };
}

/**
 * How much of a job's file its target already holds, by the state its upload saved: an S3 multipart
 * upload's finished parts; nothing for a single PutObject (it starts over). Null when the state does
 * not say — a tus upload's offset is known only to its server.
 */
function bytesAlreadySent(resume: unknown): number | null {
  const r = resume as Partial<S3Resume> | Partial<S3PutResume> | null;
  if (r?.kind === 's3' && Array.isArray(r.parts)) return r.parts.reduce((n, p) => n + p.size, 0);
  if (r?.kind === 's3-put') return 0;
  return null;
}
