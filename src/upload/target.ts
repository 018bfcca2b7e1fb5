/**
 * What the uploader asks of a target (a folder or share today; S3 and tus later). A target never
 * acknowledges bytes it has not read back or had confirmed by checksum: `upload` resolves only once
 * the remote copy is verified to have the sha256 QC recorded, and it is idempotent under the stable
 * remote key, because delivery is at-least-once (a crash after the copy but before the
 * acknowledgement sends the job again).
 */
import { redactUrlsIn } from '../shared/redact-url.js';
import type { KeySource } from './remote-key.js';
import type { LocalFile } from './source-read.js';

/**
 * How a failed attempt is handled:
 * - transient: counts as an attempt, retried after backoff; dead after `maxAttempts`;
 * - permanent: retrying cannot help (a conflicting file at the target, the local file changed): dead at once;
 * - offline: the target is unreachable; the job waits without spending an attempt until a probe succeeds.
 *   If the probe succeeds right after the failure, the failure was not the target's reachability
 *   after all and it counts as a transient attempt (a job must never loop without attempts);
 * - paused: the target is reachable but cannot take files now (full, read-only, not writable by the
 *   station, refusing its credentials): the job waits without spending an attempt and the target is
 *   re-probed on the probe interval, which tells when it can take files again (for refused
 *   credentials, see UploadError.untilUploadAccepted).
 */
export type UploadErrorKind = 'transient' | 'permanent' | 'offline' | 'paused';

/**
 * Its message goes to logs, events and the queue status, so the credentials of any URL in it (an
 * endpoint, or a library's message naming the request's URL) are hidden here, once for all targets.
 */
export class UploadError extends Error {
  /**
   * Set on a 'paused' error from an upload the target refused (credentials, permissions) although
   * its probe may succeed (OPTIONS, HeadBucket need less): the target stays paused until an upload
   * is accepted, and one job is tried per probe interval to find out.
   */
  readonly untilUploadAccepted: boolean;
  /**
   * Set on the 'permanent' error of an upload whose key holds a different file: what is there. If it
   * is a superseded copy the station recorded as its own, the uploader removes it and uploads.
   */
  readonly occupiedBy: { sha256: string } | null;
  /**
   * Set when the work is blocked by other work in flight at the same key, whose end wakes it: an
   * upload whose key a removal of a superseded copy holds, or a removal whose key a job took. It is
   * given back without spending an attempt (whatever `kind` says) and cannot spin: a job whose key
   * has a removal in flight is not leased (outbox.ts), and a removal's next lease drops it or waits.
   */
  readonly giveBack: boolean;

  constructor(
    readonly kind: UploadErrorKind,
    message: string,
    options?: { cause?: unknown; untilUploadAccepted?: boolean; occupiedBy?: { sha256: string }; giveBack?: boolean },
  ) {
    super(redactUrlsIn(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UploadError';
    this.untilUploadAccepted = options?.untilUploadAccepted ?? false;
    this.occupiedBy = options?.occupiedBy ?? null;
    this.giveBack = options?.giveBack ?? false;
  }
}

export interface UploadJobInput {
  jobId: number;
  captureId: number;
  attempts: number;
  /** The stable remote key (see remote-key.ts); the same for every attempt of a job. */
  remoteKey: string;
  /**
   * Unique per attempt (the lease owner's nonce and a counter): names the attempt's temporary
   * files, so two attempts (a stalled holder and the job's next one) never write one temp file.
   */
  attemptTag: string;
  /** True when an earlier attempt of this job may have started writing (it has been leased before). */
  previouslyStarted: boolean;
  file: LocalFile;
  /** The barcode of the object the capture is linked to, when it is (tus metadata); absent otherwise. */
  barcode?: string | null;
  /**
   * Protocol state saved by an earlier attempt (null on the first). Targets that can resume
   * (S3 UploadId + parts, a tus URL) store it with `saveResume` as soon as it exists.
   */
  resume: unknown;
  saveResume(state: unknown): void;
  signal: AbortSignal;
}

export interface UploadResult {
  remoteKey: string;
  /** The sha256 the target confirmed (read back or reported); equals the capture's. */
  verifiedSha256: string;
  /** True when the copy was already there and verified, and nothing was sent. */
  alreadyPresent: boolean;
  /**
   * What `confirm` needs later to find the copy besides its key (a tus upload URL); kept with the
   * done job (its resume_json) and handed back as RemoteCopy.state.
   */
  confirmState?: unknown;
}

/** A copy a done job left at a target, as retention asks the target to confirm it. */
export interface RemoteCopy {
  remoteKey: string;
  size: number;
  sha256: string;
  /** The done upload's confirmState (null when it left none). */
  state: unknown;
}

/** Is the copy still there as verified? `problem` says what is wrong with it when not. */
/** `present: null`: this one copy cannot be checked (the target answers; the file is kept, nothing is sent again). */
export type CopyCheck = { present: true } | { present: false; problem: string } | { present: null; problem: string };

/** The outcome of UploadTarget.removeStale; `note` goes to the event log and the queue view. */
export type StaleRemoval = { outcome: 'removed' | 'gone' | 'kept'; note: string };

/** What the uploader hands a removal of a superseded copy. */
export interface StaleRemovalContext {
  signal: AbortSignal;
  /**
   * Called once the bytes are proven and right before deleting, with what a retry needs once the
   * copy is gone (the folder target's Osprey md5: a crash between the delete and the checksums.md5
   * update must still let the next holder take the line out); saved before it returns. Throws when
   * the copy must not be deleted now: the station is stopping, the lease was lost (a stalled
   * holder), or a job has taken the key meanwhile (its copy there must not be deleted).
   */
  beforeDelete(keep?: unknown): void;
}

export interface UploadTarget {
  readonly id: string;
  readonly kind: string;
  /** Remote key of a capture at this target (layouts differ per target). */
  remoteKeyOf(capture: KeySource): string;
  /**
   * Resolves when the target is reachable and can take files (at least `need.bytes` of them, when
   * given); throws an offline or paused UploadError otherwise.
   */
  probe(signal: AbortSignal, need?: { bytes: number }): Promise<void>;
  upload(job: UploadJobInput): Promise<UploadResult>;
  /**
   * Checks, just before retention removes the local file, that a verified copy is still there
   * (weeks may have passed since it was verified). Throws when the target cannot tell (unreachable,
   * refusing): the local file is then kept this round.
   */
  confirm(copy: RemoteCopy, signal: AbortSignal): Promise<CopyCheck>;
  /**
   * Removes a copy the station wrote under a key its capture no longer has — only after proving the
   * bytes there are still exactly `copy.sha256` / `copy.size`. Resolves 'removed' (or 'gone': not
   * there any more) or 'kept' with why it was left alone (someone replaced it; the target cannot
   * remove files); throws an UploadError when the target cannot answer now, or what
   * `ctx.beforeDelete` threw. Absent: the target cannot remove files, and its stale copies are
   * listed for the operator.
   */
  removeStale?(copy: RemoteCopy, ctx: StaleRemovalContext): Promise<StaleRemoval>;
  /** Releases what the target holds open (an S3 client's pooled sockets), for commands that exit. */
  destroy?(): void;
}

export function isUploadError(err: unknown, kind?: UploadErrorKind): err is UploadError {
  return err instanceof UploadError && (kind === undefined || err.kind === kind);
}
