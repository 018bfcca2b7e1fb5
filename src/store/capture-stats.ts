/**
 * What the dashboard charts: captures per hour today and per day over the last 7 days, by verdict,
 * and every check's pass/warn/fail counts over those 7 days. "Today" is a local day: the caller
 * says which UTC offset it lives in (the browser sends its own), so an hour bar means the hour the
 * technician saw on the clock. Aggregated in SQL (captures_checked_verdict_session index, which
 * answers the by-time, by-verdict and by-operator counts from the index alone), never row by row.
 */
import type { CheckId, Verdict } from '../quality/types.js';
import type { Db } from './database.js';

export type VerdictCounts = Record<Verdict, number>;

export interface CaptureStats {
  generatedAt: string;
  /** Minutes east of UTC the buckets are in. */
  utcOffsetMin: number;
  /** The local date of "today", YYYY-MM-DD. */
  today: string;
  /** 24 entries, hour 0–23 of today. */
  hours: (VerdictCounts & { hour: number })[];
  /** 7 entries, oldest first; the last is today. */
  days: (VerdictCounts & { date: string })[];
  /** Each check that ran on a capture of the last 7 days: how often it passed, warned, failed. */
  checks: (VerdictCounts & { check: CheckId })[];
  /**
   * Per operator (of the session each capture was shot in; "" = no session was open): today's and
   * the 7 days' pass/warn/fail, the busiest operator of the 7 days first.
   */
  operators: { operator: string; today: VerdictCounts; week: VerdictCounts }[];
}

const dayMs = 86_400_000;

/**
 * Figures are kept this long per database and offset: aggregating a busy week (100,000 captures,
 * 400,000 check results) takes about half a second of the station's thread, and several dashboards
 * refreshing on every capture must not cost that each time.
 */
export const statsCacheMs = 10_000;
const cache = new WeakMap<Db, Map<number, { at: number; stats: CaptureStats }>>();

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The local calendar date (YYYY-MM-DD) of a UTC instant, at a fixed offset. */
function localDate(utcMs: number, offsetMin: number): string {
  const d = new Date(utcMs + offsetMin * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function captureStats(db: Db, opts: { utcOffsetMin: number; now?: Date; days?: number }): CaptureStats {
  // An explicit `now` (tests, reports) is always computed afresh.
  if (opts.now || opts.days !== undefined) return computeStats(db, opts);
  let perDb = cache.get(db);
  if (!perDb) cache.set(db, (perDb = new Map()));
  const hit = perDb.get(opts.utcOffsetMin);
  const t = Date.now();
  if (hit && t - hit.at < statsCacheMs && t >= hit.at) return hit.stats;
  const stats = computeStats(db, opts);
  perDb.set(opts.utcOffsetMin, { at: t, stats });
  return stats;
}

function computeStats(db: Db, opts: { utcOffsetMin: number; now?: Date; days?: number }): CaptureStats {
  const now = opts.now ?? new Date();
  const off = opts.utcOffsetMin;
  const nDays = opts.days ?? 7;
  const shifted = new Date(now.getTime() + off * 60_000);
  const todayStartUtc = Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate()) - off * 60_000;
  const since = new Date(todayStartUtc - (nDays - 1) * dayMs).toISOString();
  const modifier = `${off >= 0 ? '+' : '-'}${Math.abs(off)} minutes`;

  const zero = (): VerdictCounts => ({ pass: 0, warn: 0, fail: 0 });
  const today = localDate(now.getTime(), off);
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, ...zero() }));
  const days = Array.from({ length: nDays }, (_, i) => ({ date: localDate(todayStartUtc - (nDays - 1 - i) * dayMs + dayMs / 2, off), ...zero() }));
  const dayIndex = new Map(days.map((d, i) => [d.date, i]));

  const rows = db
    .prepare(`SELECT strftime('%Y-%m-%d %H', checked_at, ?) AS bucket, verdict, COUNT(*) AS n FROM captures WHERE checked_at >= ? GROUP BY bucket, verdict`)
    .all(modifier, since) as { bucket: string | null; verdict: Verdict; n: number }[];
  for (const r of rows) {
    if (!r.bucket || !(r.verdict in hours[0]!)) continue;
    const [date, hour] = r.bucket.split(' ') as [string, string];
    const i = dayIndex.get(date);
    if (i !== undefined) days[i]![r.verdict] += r.n;
    if (date === today) hours[Number(hour)]![r.verdict] += r.n;
  }

  const checkRows = db
    .prepare(
      `SELECT r.check_id AS check_id, r.status AS status, COUNT(*) AS n FROM qc_results r JOIN captures c ON c.id = r.capture_id
       WHERE c.checked_at >= ? AND r.status IN ('pass', 'warn', 'fail') GROUP BY r.check_id, r.status`,
    )
    .all(since) as { check_id: CheckId; status: Verdict; n: number }[];
  const byCheck = new Map<CheckId, VerdictCounts & { check: CheckId }>();
  for (const r of checkRows) {
    const entry = byCheck.get(r.check_id) ?? { check: r.check_id, ...zero() };
    entry[r.status] += r.n;
    byCheck.set(r.check_id, entry);
  }
  // The checks that fail most first: that is where a rig's problem shows.
  const checks = [...byCheck.values()].sort((a, b) => b.fail - a.fail || b.warn - a.warn || a.check.localeCompare(b.check));

  const operators = operatorStats(db, since, new Date(todayStartUtc).toISOString());

  return { generatedAt: now.toISOString(), utcOffsetMin: off, today, hours, days, checks, operators };
}

/** Counted per session from the index, then summed per operator (one operator has many sessions). */
function operatorStats(db: Db, since: string, todayStart: string): CaptureStats['operators'] {
  const rows = db
    .prepare(`SELECT session_id, checked_at >= ? AS today, verdict, COUNT(*) AS n FROM captures WHERE checked_at >= ? GROUP BY session_id, today, verdict`)
    .all(todayStart, since) as { session_id: number | null; today: 0 | 1; verdict: Verdict; n: number }[];
  const sessionIds = [...new Set(rows.map((r) => r.session_id).filter((id) => id !== null))];
  const operatorOf = new Map<number, string>();
  const lookup = db.prepare('SELECT operator FROM sessions WHERE id = ?');
  for (const id of sessionIds) operatorOf.set(id, (lookup.get(id) as { operator: string }).operator);
  const byOperator = new Map<string, CaptureStats['operators'][number]>();
  for (const r of rows) {
    if (!(r.verdict === 'pass' || r.verdict === 'warn' || r.verdict === 'fail')) continue;
    const operator = r.session_id === null ? '' : operatorOf.get(r.session_id)!;
    const entry = byOperator.get(operator) ?? { operator, today: { pass: 0, warn: 0, fail: 0 }, week: { pass: 0, warn: 0, fail: 0 } };
    entry.week[r.verdict] += r.n;
    if (r.today) entry.today[r.verdict] += r.n;
    byOperator.set(operator, entry);
  }
  const total = (c: VerdictCounts) => c.pass + c.warn + c.fail;
  return [...byOperator.values()].sort((a, b) => total(b.week) - total(a.week) || a.operator.localeCompare(b.operator));
}
