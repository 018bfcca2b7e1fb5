/**
 * Operator sessions and the history search over real SQLite: the v7 migration on a database left
 * at v6, one open session at most, listCaptures by barcode / date range / verdict, and the
 * per-operator dashboard figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations.js';
import { openStore, type StationStore } from '../../src/store/open.js';
import { SessionStore } from '../../src/store/sessions.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function tempDb(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-sessions-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'station.db');
}

function store(): StationStore {
  const s = openStore(tempDb());
  cleanup.push(() => s.close());
  s.db.prepare("INSERT INTO sources (id, path, kind, profile, updated_at) VALUES ('inbox', '/in', 'camera', 'default', '2026-01-01T00:00:00Z')").run();
  return s;
}

let n = 0;
/** A capture row as recordCapture writes it: session_id is the open session's. */
function add(s: StationStore, checkedAt: string, verdict: 'pass' | 'warn' | 'fail' = 'pass'): number {
  n++;
  return Number(
    s.db
      .prepare(
        `INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, verdict, detected_at, checked_at, session_id)
         VALUES ('inbox', ?, ?, 1, 1, ?, ?, ?, ?, (SELECT id FROM sessions WHERE ended_at IS NULL))`,
      )
      .run(`f${n}.tif`, `/in/f${n}.tif`, n, verdict, checkedAt, checkedAt).lastInsertRowid,
  );
}

function linkTo(s: StationStore, captureId: number, barcode: string): void {
  const objectId = s.db.prepare("INSERT INTO objects (barcode, source_id, state, opened_at) VALUES (?, 'inbox', 'closed', '2026-11-25T00:00:00Z')").run(barcode).lastInsertRowid;
  s.db.prepare("INSERT INTO capture_links (capture_id, object_id, seq, linked_at) VALUES (?, ?, 1, '2026-11-25T00:00:00Z')").run(captureId, objectId);
}

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

describe('migration 7', () => {
  it('upgrades a v6 database in place: captures kept (no session), sessions table, the dashboard reads its index alone', () => {
    const file = tempDb();
    const v6 = openDatabase(file, { migrations: migrations.filter((m) => m.version <= 6) });
    expect(schemaVersion(v6)).toBe(6);
    v6.prepare("INSERT INTO sources (id, path, kind, profile, updated_at) VALUES ('inbox', '/in', 'camera', 'default', '2026-01-01T00:00:00Z')").run();
    v6.prepare("INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, verdict, detected_at, checked_at) VALUES ('inbox', 'old.tif', '/in/old.tif', 1, 1, 1, 'warn', ?, ?)").run(
      '2026-11-20T10:00:00.000Z',
      '2026-11-20T10:00:01.000Z',
    );
    v6.close();

    const s = openStore(file);
    cleanup.push(() => s.close());
    expect(schemaVersion(s.db)).toBe(migrations.at(-1)!.version);
    const old = s.captures.detail(1)!;
    expect([old.relPath, old.verdict, old.session, old.link, old.reshoot]).toEqual(['old.tif', 'warn', null, null, false]);
    const indexes = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'captures'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toContain('captures_checked_verdict_session');
    expect(indexes).toContain('captures_verdict');
    expect(indexes).not.toContain('captures_checked_at');
    const plan = (sql: string) => (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x', 'y') as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan("SELECT strftime('%Y-%m-%d %H', checked_at, ?) AS b, verdict, COUNT(*) FROM captures WHERE checked_at >= ? GROUP BY b, verdict")).toMatch(/COVERING INDEX captures_checked_verdict_session/);
    expect(plan('SELECT session_id, checked_at >= ? AS t, verdict, COUNT(*) FROM captures WHERE checked_at >= ? GROUP BY session_id, t, verdict')).toMatch(/COVERING INDEX captures_checked_verdict_session/);
    // The old capture still counts, under "no session".
    expect(s.captures.stats({ utcOffsetMin: 0, now: new Date('2026-11-21T12:00:00.000Z') }).operators).toEqual([{ operator: '', today: { pass: 0, warn: 0, fail: 0 }, week: { pass: 0, warn: 1, fail: 0 } }]);
  });
});

describe('sessions', () => {
  it('keeps one session open: a new start ends the open one; captures take the open session; every change is in the event log', () => {
    const s = store();
    const sessions = new SessionStore(s.db);
    expect(sessions.current()).toBeNull();
    const before = add(s, '2026-11-25T08:00:00.000Z');
    const { session: ana, ended } = sessions.start('Ana', 'Herbarium', []);
    expect(ended).toBeNull();
    expect(sessions.current()).toEqual(ana);
    const byAna = add(s, '2026-11-25T09:00:00.000Z');
    const handover = sessions.start('Ben', 'Insects', []);
    expect(handover.ended).toMatchObject({ id: ana.id, operator: 'Ana', endedAt: expect.any(String) });
    const byBen = add(s, '2026-11-25T10:00:00.000Z');
    expect(sessions.end()).toMatchObject({ operator: 'Ben', project: 'Insects' });
    expect(sessions.end()).toBeNull();
    const after = add(s, '2026-11-25T11:00:00.000Z');

    expect([before, byAna, byBen, after].map((id) => sessions.ofCapture(id)?.operator ?? null)).toEqual([null, 'Ana', 'Ben', null]);
    expect(s.captures.detail(byAna)!.session).toMatchObject({ operator: 'Ana', project: 'Herbarium' });
    expect(sessions.recentOperators()).toEqual(['Ben', 'Ana']);
    const log = (s.db.prepare("SELECT type, data_json FROM events WHERE type LIKE 'session.%' ORDER BY id").all() as { type: string; data_json: string }[]).map((e) => [e.type, JSON.parse(e.data_json).operator]);
    expect(log).toEqual([
      ['session.started', 'Ana'],
      ['session.ended', 'Ana'],
      ['session.started', 'Ben'],
      ['session.ended', 'Ben'],
    ]);
    // The schema itself refuses a second open session.
    sessions.start('Cy', '', []);
    expect(() => s.db.prepare("INSERT INTO sessions (operator, project, started_at) VALUES ('Dee', '', '2026-11-25T12:00:00Z')").run()).toThrow(/UNIQUE/);
  });

  it("takes the project only from the configured list when there is one, naming the choices", () => {
    const s = store();
    const sessions = new SessionStore(s.db);
    expect(() => sessions.start('Ana', 'Birds', ['Herbarium', 'Insects'])).toThrow(/"Birds" is not one of this station's projects: choose one of "Herbarium", "Insects"/);
    expect(() => sessions.start('Ana', '', ['Herbarium'])).toThrow(/Choose a project: one of "Herbarium"/);
    expect(sessions.current()).toBeNull();
    expect(sessions.start('Ana', 'Insects', ['Herbarium', 'Insects']).session.project).toBe('Insects');
    expect(sessions.start('Ana', 'anything at all', []).session.project).toBe('anything at all');
  });
});

describe('listCaptures search', () => {
  it('finds captures by linked or image barcode (exact or prefix), by date range and verdict, paged newest first', () => {
    const s = store();
    const a1 = add(s, '2026-11-23T10:00:00.000Z', 'pass');
    const a2 = add(s, '2026-11-24T10:00:00.000Z', 'fail');
    const b1 = add(s, '2026-11-24T11:00:00.000Z', 'pass');
    const shown = add(s, '2026-11-25T10:00:00.000Z', 'warn');
    const loose = add(s, '2026-11-25T11:00:00.000Z', 'pass');
    linkTo(s, a1, 'NHM-000100');
    linkTo(s, a2, 'NHM-000100');
    linkTo(s, b1, 'NHM-000123');
    // Not linked, but the barcode is visible in the image.
    s.db.prepare("INSERT INTO capture_barcodes (capture_id, format, text, valid) VALUES (?, 'QRCode', 'NHM-000100', 1)").run(shown);

    // Four objects of another project, so one prefix below covers most objects (checked row by row) and another few (gathered first).
    for (const code of ['ZZ-1', 'ZZ-2', 'ZZ-3', 'ZZ-4']) s.db.prepare("INSERT INTO objects (barcode, source_id, state, opened_at) VALUES (?, 'inbox', 'closed', '2026-11-25T00:00:00Z')").run(code);

    expect(ids(s.captures.list({ barcode: 'NHM-000100' }))).toEqual([shown, a2, a1]);
    expect(ids(s.captures.list({ barcode: 'NHM-0001' }))).toEqual([]); // exact by default
    expect(ids(s.captures.list({ barcode: 'NHM-0001', barcodeMatch: 'prefix' }))).toEqual([shown, b1, a2, a1]);
    expect(ids(s.captures.list({ barcode: 'NHM-00012', barcodeMatch: 'prefix' }))).toEqual([b1]);
    expect(ids(s.captures.list({ barcode: 'NHM-00010', barcodeMatch: 'prefix' }))).toEqual([shown, a2, a1]); // 1 of 6 objects: gathered first
    expect(ids(s.captures.list({ barcode: 'N', barcodeMatch: 'prefix', limit: 3 }))).toEqual([shown, b1, a2]); // 2 of 6: row by row
    expect(ids(s.captures.list({ barcode: 'Z', barcodeMatch: 'prefix' }))).toEqual([]); // objects without captures
    expect(ids(s.captures.list({ barcode: 'NHM-000100', verdict: 'fail' }))).toEqual([a2]);
    expect(ids(s.captures.list({ from: '2026-11-24T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' }))).toEqual([b1, a2]);
    expect(ids(s.captures.list({ from: '2026-11-25T00:00:00.000Z' }))).toEqual([loose, shown]);
    expect(ids(s.captures.list({ to: '2026-11-24T10:00:00.000Z' }))).toEqual([a1]); // "to" is exclusive
    // Paging within a search.
    expect(ids(s.captures.list({ barcode: 'NHM-000100', limit: 2 }))).toEqual([shown, a2]);
    expect(ids(s.captures.list({ barcode: 'NHM-000100', limit: 2, beforeId: a2 }))).toEqual([a1]);
  });
});

describe('captureStats per operator', () => {
  it("counts each operator's captures today and over 7 days by verdict, across their sessions, busiest first", () => {
    const s = store();
    const sessions = new SessionStore(s.db);
    const now = new Date('2026-11-25T16:00:00.000Z');
    add(s, '2026-11-22T10:00:00.000Z', 'pass'); // no session
    sessions.start('Ana', 'P', []);
    add(s, '2026-11-22T10:00:00.000Z', 'fail');
    add(s, '2026-11-25T09:00:00.000Z', 'pass');
    sessions.start('Ben', 'P', []);
    add(s, '2026-11-25T10:00:00.000Z', 'warn');
    sessions.start('Ana', 'Q', []); // Ana again, another session
    add(s, '2026-11-25T11:00:00.000Z', 'fail');
    add(s, '2026-11-10T11:00:00.000Z', 'fail'); // outside the 7 days
    const { operators } = s.captures.stats({ utcOffsetMin: 0, now });
    expect(operators).toEqual([
      { operator: 'Ana', today: { pass: 1, warn: 0, fail: 1 }, week: { pass: 1, warn: 0, fail: 2 } },
      { operator: '', today: { pass: 0, warn: 0, fail: 0 }, week: { pass: 1, warn: 0, fail: 0 } },
      { operator: 'Ben', today: { pass: 0, warn: 1, fail: 0 }, week: { pass: 0, warn: 1, fail: 0 } },
    ]);
  });
});
