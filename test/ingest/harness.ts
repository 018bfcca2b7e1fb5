/** Temp hot folders and a watcher that records what it reports, cleaned up after each test. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { sourceSchema, type SourceConfig } from '../../src/config/schema.js';
import type { IngestNotice, IngestWatcher, IngestWatcherOptions, SourceStatus, StableFile } from '../../src/ingest/types.js';
import { createIngestWatcher } from '../../src/ingest/watcher.js';

export { waitFor } from '../helpers/station-home.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh folder under the OS temp dir, removed when the test ends. */
export async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cs-ingest-'));
  onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export function source(id: string, root: string, fields: Partial<SourceConfig> = {}): SourceConfig {
  return sourceSchema.parse({ id, path: root, ...fields });
}

const versionKey = (f: Omit<StableFile, 'absPath'>): string => `${f.sourceId}|${f.relPath}|${f.size}|${f.mtimeUs}`;

/** What one watcher reported, and a "database" of known versions that can outlive it. */
export class Recorder {
  readonly reports: StableFile[] = [];
  readonly statuses: SourceStatus[] = [];
  /** First sights, with whether the start-up scan found them. */
  readonly arrivals: { relPath: string; found: boolean }[] = [];
  readonly gone: string[] = [];
  readonly notices: IngestNotice[] = [];

  constructor(readonly known = new Set<string>()) {}

  /** Marks versions as recorded, as the station does once it has checked a file. */
  remember(...files: Array<Omit<StableFile, 'absPath'>>): void {
    for (const f of files) this.known.add(versionKey(f));
  }

  rel(): string[] {
    return this.reports.map((r) => r.relPath);
  }

  lastOf(relPath: string): StableFile | undefined {
    return this.reports.findLast((r) => r.relPath === relPath);
  }

  /** Versions reported more than once. */
  duplicates(): string[] {
    const seen = new Set<string>();
    return this.reports.map(versionKey).filter((k) => seen.has(k) || !seen.add(k));
  }

  lastStatus(sourceId: string): SourceStatus | undefined {
    return this.statuses.findLast((s) => s.sourceId === sourceId);
  }
}

export interface WatcherSetup {
  sources: SourceConfig[];
  stableWindowMs?: number;
  rescanIntervalSec?: number;
  emptyNoticeSec?: number;
  recorder?: Recorder;
}

/** A watcher wired to a recorder, not started; stopped when the test ends. */
export function makeWatcher(setup: WatcherSetup): { watcher: IngestWatcher; recorder: Recorder } {
  const recorder = setup.recorder ?? new Recorder();
  const opts: IngestWatcherOptions = {
    sources: setup.sources,
    stableWindowMs: setup.stableWindowMs ?? 250,
    rescanIntervalSec: setup.rescanIntervalSec ?? 0,
    ...(setup.emptyNoticeSec === undefined ? {} : { emptyNoticeSec: setup.emptyNoticeSec }),
    isKnown: (f) => recorder.known.has(versionKey(f)),
    onStable: (f) => recorder.reports.push(f),
    onSourceStatus: (s) => recorder.statuses.push(s),
    onArrival: (f, found) => recorder.arrivals.push({ relPath: f.relPath, found }),
    onGone: (_sourceId, relPath) => recorder.gone.push(relPath),
    onNotice: (n) => recorder.notices.push(n),
  };
  const watcher = createIngestWatcher(opts);
  onTestFinished(() => watcher.stop());
  return { watcher, recorder };
}

/** Bytes that differ from file to file, so sizes and contents are easy to tell apart. */
export function bytes(size: number, seed = 0): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}
