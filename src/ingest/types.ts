/**
 * The watcher's side of ingest: it finds files in the hot folders and reports each version of a file
 * once it has stopped changing. What happens to a stable file (QC, recording) is the station's job.
 */
import type { SourceConfig } from '../config/schema.js';

/** One version of one file: identity is source + relative path + size + mtime (+ sha256, later). */
export interface StableFile {
  sourceId: string;
  absPath: string;
  /** Relative to the source folder, always with "/" separators. */
  relPath: string;
  size: number;
  /** Modification time in whole microseconds since the epoch. */
  mtimeUs: number;
}

/** Something about one file in a hot folder that the technician must act on; given once per file (symlink) or version (empty). */
export interface IngestNotice {
  sourceId: string;
  relPath: string;
  kind: 'symlink' | 'empty';
  message: string;
  /** Modification time of the version it is about (a link's own, never its target's), in whole microseconds since the epoch. */
  mtimeUs: number;
}

/**
 * `failing` is the station's, never the watcher's: the folder is watched but its files cannot be
 * recorded (the database cannot be written); the message says why and what to do.
 */
export type SourceStatus = { sourceId: string; state: 'watching' } | { sourceId: string; state: 'unavailable' | 'failing'; message: string };

export interface IngestWatcherOptions {
  sources: SourceConfig[];
  /** A file is stable when size and mtime are unchanged for this long. */
  stableWindowMs: number;
  /** Full rescan period; 0 = off. */
  rescanIntervalSec: number;
  /** A file still empty this long after it appeared gets a notice (default 30). */
  emptyNoticeSec?: number;
  /** True when this exact version is already recorded: such a file is not reported again. */
  isKnown(file: Omit<StableFile, 'absPath'>): boolean;
  /** Called once per stable version. Must not throw. */
  onStable(file: StableFile): void;
  /**
   * Called when a file version that is not known yet is first seen, before its stability window (it
   * may still be growing: size and mtime are of that first look). `found`: by a source's start-up
   * scan, i.e. it was written while the folder was not watched. Must not throw.
   */
  onArrival?(file: StableFile, found: boolean): void;
  /** Called when a file leaves a hot folder (deleted, renamed, moved into the library). Must not throw. */
  onGone?(sourceId: string, relPath: string): void;
  onSourceStatus?(status: SourceStatus): void;
  /** A file the station will not take as it is (a symbolic link), or one that stays empty. Must not throw. */
  onNotice?(notice: IngestNotice): void;
}

export interface IngestWatcher {
  /** Resolves when every source has been scanned once (files already there are being tracked). */
  start(): Promise<void>;
  /** Stops watching and all timers; pending stability checks are dropped. */
  stop(): Promise<void>;
  /** Forget that a version was reported, so it is reported again when stable (used for retries). */
  forget(sourceId: string, relPath: string): void;
  /** Look at a file again now: its current version is reported when stable unless it was reported already. */
  recheck(sourceId: string, relPath: string): void;
  /** Run a full rescan now (also runs on its own every rescanIntervalSec). */
  rescan(): Promise<void>;
}
