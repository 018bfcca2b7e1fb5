/** captureStats: the dashboard's figures, aggregated in SQL over real SQLite, in local days at a given offset. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOnlyCommands } from '../../src/contract/commands.js';
import { openStore, type StationStore } from '../../src/store/open.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function store(): StationStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-stats-'));
  const s = openStore(path.join(dir, 'station.db'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => s.close());
  s.db.prepare("INSERT INTO sources (id, path, kind, profile, updated_at) VALUES ('inbox', '/in', 'camera', 'default', '2026-01-01T00:00:00Z')").run();
  return s;
}

let n = 0;
function add(s: StationStore, checkedAt: string, verdict: 'pass' | 'warn' | 'fail', checks: [string, string][] = []): void {
  n++;
  const info = s.db
    .prepare("INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, verdict, detected_at, checked_at) VALUES ('inbox', ?, ?, 1, 1, ?, ?, ?, ?)")
    .run(`f${n}.tif`, `/in/f${n}.tif`, n, verdict, checkedAt, checkedAt);
  for (const [check, status] of checks) s.db.prepare("INSERT INTO qc_results (capture_id, check_id, status, message) VALUES (?, ?, ?, '')").run(info.lastInsertRowid, check, status);
}

describe('captureStats', () => {
  it('counts captures per local hour today and per local day over 7 days, by verdict', () => {
    const s = store();
    const now = new Date('2026-11-25T16:30:00.000Z');
    // UTC+2: local now is 18:30 on the 25th; local midnight is 22:00Z on the 24th.
    add(s, '2026-11-25T16:05:00.000Z', 'pass'); // 18h today
    add(s, '2026-11-25T16:10:00.000Z', 'fail'); // 18h today
    add(s, '2026-11-24T22:30:00.000Z', 'warn'); // 00h today (still the 24th in UTC)
    add(s, '2026-11-24T21:59:00.000Z', 'pass'); // 23h yesterday
    add(s, '2026-11-19T00:00:00.000Z', 'fail'); // the 19th, 02h: the oldest of the 7 days
    add(s, '2026-11-18T21:00:00.000Z', 'pass'); // the 18th local 23h: outside the window
    const st = s.captures.stats({ utcOffsetMin: 120, now });
    expect(st.today).toBe('2026-11-25');
    expect(st.hours).toHaveLength(24);
    expect(st.hours[18]).toEqual({ hour: 18, pass: 1, warn: 0, fail: 1 });
    expect(st.hours[0]).toEqual({ hour: 0, pass: 0, warn: 1, fail: 0 });
    expect(st.hours.reduce((t, h) => t + h.pass + h.warn + h.fail, 0)).toBe(3);
    expect(st.days.map((d) => d.date)).toEqual(['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25']);
    expect(st.days[0]).toEqual({ date: '2026-11-19', pass: 0, warn: 0, fail: 1 });
    expect(st.days[5]).toEqual({ date: '2026-11-24', pass: 1, warn: 0, fail: 0 });
    expect(st.days[6]).toEqual({ date: '2026-11-25', pass: 1, warn: 1, fail: 1 });
  });

  it('counts pass/warn/fail per check over the 7 days, most failures first, skips left out', () => {
    const s = store();
    const now = new Date('2026-11-25T12:00:00.000Z');
    add(s, '2026-11-25T10:00:00.000Z', 'fail', [['decodes', 'fail'], ['exposure', 'skip']]);
    add(s, '2026-11-25T10:01:00.000Z', 'warn', [['decodes', 'pass'], ['exposure', 'warn']]);
    add(s, '2026-11-24T10:01:00.000Z', 'pass', [['decodes', 'pass'], ['exposure', 'pass']]);
    add(s, '2026-10-01T10:01:00.000Z', 'fail', [['exposure', 'fail']]);
    const st = s.captures.stats({ utcOffsetMin: 0, now });
    expect(st.checks).toEqual([
      { check: 'decodes', pass: 2, warn: 0, fail: 1 },
      { check: 'exposure', pass: 1, warn: 1, fail: 0 },
    ]);
  });

  it('works west of UTC too, and is a read-only command', () => {
    const s = store();
    add(s, '2026-11-25T03:00:00.000Z', 'pass'); // 22h on the 24th at UTC-5
    const st = s.captures.stats({ utcOffsetMin: -300, now: new Date('2026-11-25T04:00:00.000Z') });
    expect(st.today).toBe('2026-11-24');
    expect(st.hours[22]!.pass).toBe(1);
    expect(st.days.at(-1)).toEqual({ date: '2026-11-24', pass: 1, warn: 0, fail: 0 });
    expect(readOnlyCommands.has('captureStats')).toBe(true);
  });
});

describe('captureStats cache', () => {
  it('serves the same figures for a few seconds instead of adding up again', () => {
    const s = store();
    add(s, new Date(Date.now() - 60_000).toISOString(), 'pass');
    const first = s.captures.stats({ utcOffsetMin: 0 });
    add(s, new Date(Date.now() - 30_000).toISOString(), 'fail');
    expect(s.captures.stats({ utcOffsetMin: 0 })).toBe(first);
    // Another offset, or an explicit time, is computed afresh.
    expect(s.captures.stats({ utcOffsetMin: 60 }).days.at(-1)!.fail + s.captures.stats({ utcOffsetMin: 60 }).days.at(-2)!.fail).toBe(1);
    expect(s.captures.stats({ utcOffsetMin: 0, now: new Date() }).days.reduce((n, d) => n + d.fail, 0)).toBe(1);
  });
});
