/**
 * Captures and their QC results. A capture row is written once its QC is complete, in one
 * transaction with its per-check results, the removal of its in-flight attempt and its event; so
 * after a crash a file is either fully recorded or not at all, and never recorded twice (the
 * identity is a UNIQUE key).
 */
import type { SourceConfig } from '../config/schema.js';
import type { StableFile } from '../ingest/types.js';
import type { Analysis, CheckResult, Verdict } from '../quality/types.js';
import type { Db } from './database.js';
import { appendEvent, eventsOfCapture, type StoredEvent } from './events.js';
import { captureStats, type CaptureStats } from './capture-stats.js';
import { SessionStore, type SessionRecord } from './sessions.js';
import { LinkStore, type CaptureLink } from '../linking/store.js';

export type FileVersion = Omit<StableFile, 'absPath'>;

/** A barcode read in a capture's image (src/barcode/image); `valid`: passes the project's rules. */
export interface ImageBarcodeRow {
  format: string;
  text: string;
  valid: boolean;
}

export interface CaptureRecord {
  id: number;
  sourceId: string;
  relPath: string;
  path: string;
  version: number;
  size: number;
  mtimeUs: number;
  sha256: string | null;
  verdict: Verdict;
  format: string | null;
  width: number | null;
  height: number | null;
  bitDepth: number | null;
  phash: string | null;
  failedChecks: string[];
  detectedAt: string;
  checkedAt: string;
  qcMs: number | null;
  /**
   * Set aside rather than filed: its object was rejected (REJECT), or it is flagged to be shot
   * again (UNDO, setReshoot). Given by list() and detail(); absent where a record is announced as
   * it is made (capture.recorded), when it cannot be either yet.
   */
  setAside?: SetAside | null;
}

export type SetAside = 'rejected' | 'reshoot';

/** The state of the object a capture is linked to (its row's `object_state` from the join below). */
const objectStateColumn = `(SELECT o.state FROM capture_links l JOIN objects o ON o.id = l.object_id WHERE l.capture_id = captures.id) AS object_state`;

function setAsideOf(row: { object_state: string | null; reshoot: number }): SetAside | null {
  return row.object_state === 'rejected' ? 'rejected' : row.reshoot === 1 ? 'reshoot' : null;
}

export interface CaptureDetail extends CaptureRecord {
  facts: Analysis['facts'];
  measurements: Analysis['measurements'];
  results: CheckResult[];
  events: StoredEvent[];
  /** The object the capture is linked to; null when it is not linked. */
  link: CaptureLink | null;
  /** Flagged to be shot again (UNDO, or setReshoot). */
  reshoot: boolean;
  /** The operator session it was shot in; null when none was open. */
  session: SessionRecord | null;
}

interface CaptureRow {
  id: number;
  source_id: string;
  rel_path: string;
  path: string;
  version: number;
  size: number;
  mtime_us: number;
  sha256: string | null;
  verdict: Verdict;
  format: string | null;
  width: number | null;
  height: number | null;
  bit_depth: number | null;
  phash: string | null;
  facts_json: string | null;
  measures_json: string | null;
  failed_checks: string;
  detected_at: string;
  checked_at: string;
  qc_ms: number | null;
}

function toRecord(r: CaptureRow): CaptureRecord {
  return {
    id: r.id,
    sourceId: r.source_id,
    relPath: r.rel_path,
    path: r.path,
    version: r.version,
    size: r.size,
    mtimeUs: r.mtime_us,
    sha256: r.sha256,
    verdict: r.verdict,
    format: r.format,
    width: r.width,
    height: r.height,
    bitDepth: r.bit_depth,
    phash: r.phash,
    failedChecks: r.failed_checks ? r.failed_checks.split(',') : [],
    detectedAt: r.detected_at,
    checkedAt: r.checked_at,
    qcMs: r.qc_ms,
  };
}

export function failedChecksOf(results: CheckResult[]): string[] {
  return results.filter((r) => r.status === 'fail').map((r) => r.check);
}

export interface CaptureListQuery {
  limit?: number;
  /** Only captures with an id below this (paging backwards from the newest). */
  beforeId?: number;
  verdict?: Verdict;
  sourceId?: string;
  /** Captures linked to an object with this barcode, or whose image shows it. */
  barcode?: string;
  /** 'prefix': barcodes that start with `barcode`. */
  barcodeMatch?: 'exact' | 'prefix';
  /** Checked at or after this instant (ISO 8601, UTC as the store writes it). */
  from?: string;
  /** Checked before this instant. */
  to?: string;
}

/** Above every character a barcode can hold, so [prefix, prefix + this) is every text starting with prefix (BINARY collation compares UTF-8 bytes). */
const afterEveryChar = String.fromCodePoint(0x10ffff);

/**
 * Runs inside the transaction that records a capture or changes its verdict, so whatever it writes
 * (the upload outbox's jobs) commits or rolls back together with the capture.
 */
export type CaptureHook = (db: Db, capture: CaptureRecord, change: CaptureChange) => void;

/** 'recorded': the capture is new. 'changed': its verdict, link or filing changed since. */
export type CaptureChange = 'recorded' | 'changed';

export class CaptureStore {
  private readonly hooks: CaptureHook[] = [];
  private readonly sessions: SessionStore;
  private readonly links: LinkStore;

  constructor(private readonly db: Db) {
    this.sessions = new SessionStore(db);
    this.links = new LinkStore(db);
  }

  /** Adds a hook run in the recording transaction (see CaptureHook); returns its remover. */
  addHook(hook: CaptureHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /**
   * Runs the hooks for a capture that changed outside this store (linked, filed, its object
   * closed), so what depends on it (its upload jobs) follows. Joins the caller's transaction.
   */
  runHooks(captureId: number): CaptureRecord {
    return this.db.transaction(() => {
      const record = this.get(captureId) as CaptureRecord;
      for (const hook of this.hooks) hook(this.db, record, 'changed');
      return record;
    })();
  }

  syncSources(sources: SourceConfig[]): void {
    const upsert = this.db.prepare(
      `INSERT INTO sources (id, path, kind, profile, updated_at) VALUES (@id, @path, @kind, @profile, @at)
       ON CONFLICT (id) DO UPDATE SET path = excluded.path, kind = excluded.kind, profile = excluded.profile, updated_at = excluded.updated_at
       WHERE path <> excluded.path OR kind <> excluded.kind OR profile <> excluded.profile`,
    );
    const at = new Date().toISOString();
    this.db.transaction(() => {
      for (const s of sources) {
        const changed = upsert.run({ id: s.id, path: s.path, kind: s.kind, profile: s.profile, at }).changes > 0;
        if (changed) appendEvent(this.db, { type: 'source.configured', sourceId: s.id, data: { path: s.path, kind: s.kind, profile: s.profile }, at });
      }
    })();
  }

  isKnown(v: FileVersion): boolean {
    return (
      this.db.prepare('SELECT 1 FROM captures WHERE source_id = ? AND rel_path = ? AND size = ? AND mtime_us = ?').get(v.sourceId, v.relPath, v.size, v.mtimeUs) !==
      undefined
    );
  }

  /** Marks a version as being checked and returns how many times checking it has been started. */
  beginAttempt(v: FileVersion): number {
    const row = this.db
      .prepare(
        `INSERT INTO ingest_attempts (source_id, rel_path, size, mtime_us, attempts, started_at) VALUES (?, ?, ?, ?, 1, ?)
         ON CONFLICT DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at RETURNING attempts`,
      )
      .get(v.sourceId, v.relPath, v.size, v.mtimeUs, new Date().toISOString()) as { attempts: number };
    return row.attempts;
  }

  /** Drops the in-flight marker of a version that was abandoned (e.g. the file changed again). */
  endAttempt(v: FileVersion): void {
    this.db.prepare('DELETE FROM ingest_attempts WHERE source_id = ? AND rel_path = ? AND size = ? AND mtime_us = ?').run(v.sourceId, v.relPath, v.size, v.mtimeUs);
  }

  /** In-flight versions left behind by a crash, with how often checking them was started. */
  interruptedAttempts(): (FileVersion & { attempts: number })[] {
    return (this.db.prepare('SELECT source_id, rel_path, size, mtime_us, attempts FROM ingest_attempts').all() as {
      source_id: string;
      rel_path: string;
      size: number;
      mtime_us: number;
      attempts: number;
    }[]).map((r) => ({ sourceId: r.source_id, relPath: r.rel_path, size: r.size, mtimeUs: r.mtime_us, attempts: r.attempts }));
  }

  /**
   * Records a checked version. Returns the existing record, and writes nothing, if this exact
   * version was recorded already.
   */
  /** `barcodesComplete`: the search read every region (ImageDecodeResult.complete); given with `barcodes`. */
  recordCapture(input: { file: StableFile; analysis: Analysis; results: CheckResult[]; verdict: Verdict; detectedAt: string; barcodes?: readonly ImageBarcodeRow[]; barcodesComplete?: boolean }): { record: CaptureRecord; created: boolean } {
    const { file, analysis, results, verdict } = input;
    return this.db.transaction(() => {
      const existing = this.db
        .prepare('SELECT * FROM captures WHERE source_id = ? AND rel_path = ? AND size = ? AND mtime_us = ?')
        .get(file.sourceId, file.relPath, file.size, file.mtimeUs) as CaptureRow | undefined;
      if (existing) {
        this.endAttempt(file);
        return { record: toRecord(existing), created: false };
      }
      const { version } = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS version FROM captures WHERE source_id = ? AND rel_path = ?').get(file.sourceId, file.relPath) as {
        version: number;
      };
      const failed = failedChecksOf(results);
      const checkedAt = new Date().toISOString();
      const info = this.db
        .prepare(
          `INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, sha256, verdict, format, width, height, bit_depth, phash,
             facts_json, measures_json, failed_checks, detected_at, checked_at, qc_ms, barcodes_complete, session_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
             -- The session open when the file arrived, not when its check finished: files still
             -- queued at a shift change belong to the operator who shot them.
             (SELECT id FROM sessions WHERE started_at <= ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at DESC LIMIT 1))`,
        )
        .run(
          file.sourceId,
          file.relPath,
          file.absPath,
          version,
          file.size,
          file.mtimeUs,
          analysis.sha256 || null,
          verdict,
          analysis.facts?.format ?? null,
          analysis.facts?.width ?? null,
          analysis.facts?.height ?? null,
          analysis.facts?.bitDepth ?? null,
          analysis.measurements?.phash ?? null,
          analysis.facts ? JSON.stringify(analysis.facts) : null,
          analysis.measurements ? JSON.stringify(analysis.measurements) : null,
          failed.join(','),
          input.detectedAt,
          checkedAt,
          analysis.elapsedMs,
          input.barcodesComplete === undefined ? null : Number(input.barcodesComplete),
          input.detectedAt,
          input.detectedAt,
        );
      const id = Number(info.lastInsertRowid);
      const insertResult = this.db.prepare('INSERT INTO qc_results (capture_id, check_id, status, value_json, threshold_json, message) VALUES (?, ?, ?, ?, ?, ?)');
      for (const r of results) insertResult.run(id, r.check, r.status, JSON.stringify(r.value ?? null), JSON.stringify(r.threshold ?? null), r.message);
      const insertBarcode = this.db.prepare('INSERT OR IGNORE INTO capture_barcodes (capture_id, format, text, valid) VALUES (?, ?, ?, ?)');
      for (const b of input.barcodes ?? []) insertBarcode.run(id, b.format, b.text, b.valid ? 1 : 0);
      this.endAttempt(file);
      appendEvent(this.db, { type: 'capture.recorded', captureId: id, sourceId: file.sourceId, data: { verdict, failedChecks: failed, version, sha256: analysis.sha256 }, at: checkedAt });
      const record = this.get(id) as CaptureRecord;
      for (const hook of this.hooks) hook(this.db, record, 'recorded');
      // A hook may have changed it (the link it got can change its barcode-mismatch verdict).
      return { record: this.get(id) as CaptureRecord, created: true };
    })();
  }

  /** Replaces one check's result after the fact (the pair check once its window closes) and re-derives the verdict. */
  updateCheck(captureId: number, result: CheckResult, verdict: Verdict): CaptureRecord {
    return this.db.transaction(() => {
      this.db
        .prepare('UPDATE qc_results SET status = ?, value_json = ?, threshold_json = ?, message = ? WHERE capture_id = ? AND check_id = ?')
        .run(result.status, JSON.stringify(result.value ?? null), JSON.stringify(result.threshold ?? null), result.message, captureId, result.check);
      const failed = failedChecksOf(this.results(captureId));
      this.db.prepare('UPDATE captures SET verdict = ?, failed_checks = ? WHERE id = ?').run(verdict, failed.join(','), captureId);
      appendEvent(this.db, { type: 'capture.rechecked', captureId, data: { check: result.check, status: result.status, verdict, failedChecks: failed } });
      return this.runHooks(captureId);
    })();
  }

  get(id: number): CaptureRecord | null {
    const row = this.db.prepare('SELECT * FROM captures WHERE id = ?').get(id) as CaptureRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** True once retention removed the capture's local file (its copies are at the targets). */
  localRemoved(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM captures WHERE id = ? AND local_deleted_at IS NOT NULL').get(id) !== undefined;
  }

  detail(id: number): CaptureDetail | null {
    const row = this.db.prepare(`SELECT *, ${objectStateColumn} FROM captures WHERE id = ?`).get(id) as (CaptureRow & { reshoot: number; session_id: number | null; object_state: string | null }) | undefined;
    if (!row) return null;
    return {
      ...toRecord(row),
      setAside: setAsideOf(row),
      facts: row.facts_json ? JSON.parse(row.facts_json) : null,
      measurements: row.measures_json ? JSON.parse(row.measures_json) : null,
      results: this.results(id),
      events: eventsOfCapture(this.db, id),
      link: this.links.linkOf(id),
      reshoot: row.reshoot === 1,
      session: row.session_id === null ? null : this.sessions.get(row.session_id),
    };
  }

  /**
   * A later search of the capture's image (read again for a barcode the first search did not read):
   * codes it read that are not stored yet are added, and the search counts as complete once one was.
   */
  addBarcodes(captureId: number, barcodes: readonly ImageBarcodeRow[], complete: boolean): void {
    this.db.transaction(() => {
      const insert = this.db.prepare('INSERT OR IGNORE INTO capture_barcodes (capture_id, format, text, valid) VALUES (?, ?, ?, ?)');
      for (const b of barcodes) insert.run(captureId, b.format, b.text, b.valid ? 1 : 0);
      if (complete) this.db.prepare('UPDATE captures SET barcodes_complete = 1 WHERE id = ?').run(captureId);
    })();
  }

  /** The capture's image was searched and every region read (false also for captures recorded before this was stored). */
  barcodesComplete(captureId: number): boolean {
    return this.db.prepare('SELECT barcodes_complete FROM captures WHERE id = ?').pluck().get(captureId) === 1;
  }

  /** Barcodes read in the capture's image, in the order they were found; empty when none or not searched. */
  barcodes(captureId: number): ImageBarcodeRow[] {
    const rows = this.db.prepare('SELECT format, text, valid FROM capture_barcodes WHERE capture_id = ? ORDER BY rowid').all(captureId) as { format: string; text: string; valid: number }[];
    return rows.map((r) => ({ format: r.format, text: r.text, valid: r.valid === 1 }));
  }

  results(captureId: number): CheckResult[] {
    const rows = this.db.prepare('SELECT * FROM qc_results WHERE capture_id = ? ORDER BY rowid').all(captureId) as {
      check_id: CheckResult['check'];
      status: CheckResult['status'];
      value_json: string | null;
      threshold_json: string | null;
      message: string;
    }[];
    return rows.map((r) => ({
      check: r.check_id,
      status: r.status,
      value: r.value_json ? JSON.parse(r.value_json) : null,
      threshold: r.threshold_json ? JSON.parse(r.threshold_json) : null,
      message: r.message,
    }));
  }

  /** The earliest other capture with the same content. */
  firstWithSha256(sha256: string): CaptureRecord | null {
    const row = this.db.prepare('SELECT * FROM captures WHERE sha256 = ? ORDER BY id LIMIT 1').get(sha256) as CaptureRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** When the newest recorded file of a source was first seen; null before its first. */
  lastDetectedAt(sourceId: string): string | null {
    const row = this.db.prepare('SELECT detected_at FROM captures WHERE source_id = ? ORDER BY id DESC LIMIT 1').get(sourceId) as { detected_at: string } | undefined;
    return row?.detected_at ?? null;
  }

  /** The newest capture of a source that has a perceptual hash. */
  latestWithPhash(sourceId: string): CaptureRecord | null {
    const row = this.db.prepare('SELECT * FROM captures WHERE source_id = ? AND phash IS NOT NULL ORDER BY id DESC LIMIT 1').get(sourceId) as CaptureRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Captures of a source in the same folder whose file name starts with `stem.` (RAW/TIFF siblings). */
  siblings(sourceId: string, relDir: string, stem: string): CaptureRecord[] {
    const prefix = relDir ? `${relDir}/${stem}.` : `${stem}.`;
    const rows = this.db
      .prepare("SELECT * FROM captures WHERE source_id = ? AND substr(rel_path, 1, length(?)) = ? AND instr(substr(rel_path, length(?) + 1), '/') = 0 ORDER BY id")
      .all(sourceId, prefix, prefix, prefix) as CaptureRow[];
    return rows.map(toRecord);
  }

  /** Captures whose RAW/TIFF partner had not arrived when they were recorded. */
  capturesAwaitingPair(): CaptureRecord[] {
    const rows = this.db
      .prepare(`SELECT c.* FROM captures c JOIN qc_results r ON r.capture_id = c.id WHERE r.check_id = 'pairs' AND r.value_json = '"waiting"' ORDER BY c.id`)
      .all() as CaptureRow[];
    return rows.map(toRecord);
  }

  list(q: CaptureListQuery = {}): CaptureRecord[] {
    const filters: [string, ...unknown[]][] = [];
    if (q.beforeId !== undefined) filters.push(['id < ?', q.beforeId]);
    if (q.verdict) filters.push(['verdict = ?', q.verdict]);
    if (q.sourceId) filters.push(['source_id = ?', q.sourceId]);
    if (q.from) filters.push(['checked_at >= ?', q.from]);
    if (q.to) filters.push(['checked_at < ?', q.to]);
    if (q.barcode) {
      const prefix = q.barcodeMatch === 'prefix';
      const match = (col: string) => (prefix ? `${col} >= ? AND ${col} < ?` : `${col} = ?`);
      const values = prefix ? [q.barcode, q.barcode + afterEveryChar] : [q.barcode];
      const linked = `SELECT 1 FROM capture_links l JOIN objects o ON o.id = l.object_id WHERE l.capture_id = captures.id AND ${match('o.barcode')}`;
      const shown = `SELECT 1 FROM capture_barcodes b WHERE b.capture_id = captures.id AND ${match('b.text')}`;
      // A few objects: gather their captures first (seeks in objects_barcode and capture_barcodes_text).
      // A prefix most objects share ("NHM-"): gathering them all costs more than checking captures
      // from the newest until the page is full (measured on 100,000: 260 ms against 1 ms).
      filters.push(
        prefix && this.coversMostObjects(values as [string, string])
          ? [`(EXISTS (${linked}) OR EXISTS (${shown}))`, ...values, ...values]
          : [
              `id IN (SELECT l.capture_id FROM capture_links l JOIN objects o ON o.id = l.object_id WHERE ${match('o.barcode')}
                      UNION SELECT b.capture_id FROM capture_barcodes b WHERE ${match('b.text')})`,
              ...values,
              ...values,
            ],
      );
    }
    const where = filters.map(([clause]) => clause);
    const args = filters.flatMap(([, ...values]) => values);
    // The page's ids first, from an index alone where one covers the filters (verdict, date range),
    // then only those rows: sorting a day's worth of whole rows (with their facts) to keep 500 is what this avoids.
    const sql = `SELECT *, ${objectStateColumn} FROM captures WHERE id IN (SELECT id FROM captures ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?) ORDER BY id DESC`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 100) as (CaptureRow & { reshoot: number; object_state: string | null })[]).map((row) => ({ ...toRecord(row), setAside: setAsideOf(row) }));
  }

  /** True when more than a quarter of all objects have a barcode in [from, to). */
  private coversMostObjects([from, to]: [string, string]): boolean {
    const { hit, total } = this.db.prepare('SELECT (SELECT COUNT(*) FROM objects WHERE barcode >= ? AND barcode < ?) AS hit, (SELECT COUNT(*) FROM objects) AS total').get(from, to) as { hit: number; total: number };
    return hit * 4 > total;
  }

  /** Every capture, oldest first, without loading them all at once. */
  *iterate(): IterableIterator<CaptureRecord> {
    for (const row of this.db.prepare('SELECT * FROM captures ORDER BY id').iterate() as IterableIterator<CaptureRow>) yield toRecord(row);
  }

  /** Per hour today, per day over 7 days, per check (the dashboard); see capture-stats.ts. */
  stats(opts: { utcOffsetMin: number; now?: Date }): CaptureStats {
    return captureStats(this.db, opts);
  }

  counts(): Record<Verdict, number> & { total: number } {
    const out = { pass: 0, warn: 0, fail: 0, total: 0 };
    for (const r of this.db.prepare('SELECT verdict, COUNT(*) AS n FROM captures GROUP BY verdict').all() as { verdict: Verdict; n: number }[]) {
      out[r.verdict] = r.n;
      out.total += r.n;
    }
    return out;
  }
}
