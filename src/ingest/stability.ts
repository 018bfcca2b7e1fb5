/**
 * Decides when a file has been completely written: its size and mtime stay the same for a whole
 * window. Writers give no "done" signal (a camera creates the file, then fills it; a share copy
 * arrives in chunks), so observing the file at rest is the only rule that works for all of them.
 */
import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../log/logger.js';
import type { StableFile } from './types.js';

const log = createLogger('ingest.stability');

export type FileRef = Pick<StableFile, 'sourceId' | 'absPath' | 'relPath'>;

/** Identity of a file (not of a version) across sources. */
export function fileKey(sourceId: string, relPath: string): string {
  return `${sourceId}\u0000${relPath}`;
}

export interface StabilityTrackerOptions {
  windowMs: number;
  /** True when this version needs no report (already reported or recorded): it stops being tracked. */
  isSettled(file: StableFile): boolean;
  onStable(file: StableFile): void;
  /**
   * The first look at a file that is not settled: the earliest moment the station knows a new
   * version exists, before its window. `initial`: tracking was started by the watcher's start-up scan.
   */
  onFirstSight?(file: StableFile, initial: boolean): void;
  /** `ref` is a symbolic link: it is not tracked (the station takes only real files). */
  onSymlink?(ref: FileRef): void;
  /** A version has stayed empty for `emptyNoticeMs` (once per version): its writer may have failed. It is still tracked. */
  onStillEmpty?(file: StableFile, emptyForMs: number): void;
  /** Default 30 s. */
  emptyNoticeMs?: number;
}

interface Entry {
  ref: FileRef;
  size: number;
  mtimeUs: number;
  /** performance.now() when the current size and mtime were first seen (observer clock, not the file's). */
  since: number;
  /** The observation under way; at most one per file, so results are never applied out of order. */
  checking: Promise<void> | undefined;
  /** An event arrived during `checking`: observe once more when it ends. */
  again: boolean;
  /** Tracked since the watcher's start-up scan. */
  initial: boolean;
  /** Not yet looked at (no size and mtime). */
  unseen: boolean;
  /** performance.now() when the current size and mtime were first seen; unlike `since`, never moved on. */
  versionSince: number;
  /** onStillEmpty was called for the current version. */
  emptyNoticed: boolean;
}

export class StabilityTracker {
  private readonly entries = new Map<string, Entry>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** Often enough that a file is reported soon after its window ends, rarely enough to stay idle. */
  private readonly sweepEveryMs: number;

  constructor(private readonly opts: StabilityTrackerOptions) {
    this.sweepEveryMs = Math.min(1000, Math.max(20, Math.floor(opts.windowMs / 4)));
  }

  /** Files being watched until they are stable, settled or gone. */
  get size(): number {
    return this.entries.size;
  }

  /** Starts tracking `ref` (or re-checks it now if tracked); resolves when this observation is applied. `initial`: found by the start-up scan. */
  track(ref: FileRef, initial = false): Promise<void> {
    const key = fileKey(ref.sourceId, ref.relPath);
    let entry = this.entries.get(key);
    if (!entry) {
      const now = performance.now();
      entry = { ref, size: -1, mtimeUs: -1, since: now, checking: undefined, again: false, initial, unseen: true, versionSince: now, emptyNoticed: false };
      this.entries.set(key, entry);
      this.startSweeping();
    }
    return this.check(key, entry);
  }

  /** Drops every tracked file and the sweep timer; observations under way apply nothing. */
  stop(): void {
    this.entries.clear();
    this.stopSweeping();
  }

  private check(key: string, entry: Entry): Promise<void> {
    if (entry.checking) {
      entry.again = true;
      return entry.checking;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          entry.again = false;
          await this.observe(key, entry);
        } while (entry.again && this.entries.get(key) === entry);
      } catch (err) {
        // isSettled or onStable threw: drop the file rather than fail on it every tick; a rescan retries it.
        log.error('checking a file failed', { source: entry.ref.sourceId, file: entry.ref.relPath, error: String(err) });
        if (this.entries.get(key) === entry) this.drop(key);
      } finally {
        // Cleared in the same step that read `again`, so no event can fall between the two.
        entry.checking = undefined;
      }
    };
    entry.checking = run();
    return entry.checking;
  }

  private async observe(key: string, entry: Entry): Promise<void> {
    const { ref } = entry;
    // lstat: a link is never taken for the file it points to (filing would move the link itself).
    const st = await fs.lstat(ref.absPath, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      // A file that vanished (renamed by its writer, deleted) simply ends; anything else is worth a
      // line, and the next rescan picks the file up again.
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') log.warn('could not check file; the next rescan tries again', { source: ref.sourceId, file: ref.relPath, error: String(err) });
      return null;
    });
    // Dropped or stopped while the stat ran: this observation is stale.
    if (this.entries.get(key) !== entry) return;
    if (st?.isSymbolicLink()) {
      this.drop(key);
      return this.opts.onSymlink?.(ref);
    }
    if (!st?.isFile()) return this.drop(key);
    const version: StableFile = { ...ref, size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
    const now = performance.now();
    const unchanged = version.size === entry.size && version.mtimeUs === entry.mtimeUs;
    if (!unchanged) Object.assign(entry, { size: version.size, mtimeUs: version.mtimeUs, since: now, versionSince: now, emptyNoticed: false });
    if (this.opts.isSettled(version)) return this.drop(key);
    if (entry.unseen) {
      entry.unseen = false;
      this.opts.onFirstSight?.(version, entry.initial);
    }
    if (!unchanged || now - entry.since < this.opts.windowMs) return;
    if (version.size === 0) {
      // Cameras create the file, then fill it: an empty file is waited on, one look per window.
      entry.since = now;
      const emptyFor = now - entry.versionSince;
      if (!entry.emptyNoticed && emptyFor >= (this.opts.emptyNoticeMs ?? 30_000)) {
        entry.emptyNoticed = true;
        this.opts.onStillEmpty?.(version, emptyFor);
      }
      return;
    }
    this.drop(key);
    this.opts.onStable(version);
  }

  private drop(key: string): void {
    this.entries.delete(key);
    if (this.entries.size === 0) this.stopSweeping();
  }

  /** One timer for every tracked file, so thousands of files in flight cost one wake-up per tick. */
  private startSweeping(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepEveryMs);
    this.sweepTimer.unref();
  }

  private stopSweeping(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private sweep(): void {
    // A slow share can make a sweep outlast a tick; overlapping sweeps would only stat the same files twice.
    if (this.sweeping) return;
    const now = performance.now();
    const due: Promise<void>[] = [];
    for (const [key, entry] of this.entries) {
      if (!entry.checking && now - entry.since >= this.opts.windowMs) due.push(this.check(key, entry));
    }
    if (due.length === 0) return;
    this.sweeping = true;
    void Promise.all(due).finally(() => {
      this.sweeping = false;
    });
  }
}
