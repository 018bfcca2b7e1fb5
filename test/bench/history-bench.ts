/**
 * `npx tsx test/bench/history-bench.ts`: the history search and the dashboard on 100,000 captures
 * (7 days, 20,000 objects of 5 shots, 4 operators' sessions) through the contract, as the UI asks
 * for them. Each figure is the median of several runs; the full-list page (no filter) is the
 * reference the filtered ones are given as a ratio of, and the dashboard is also timed with the
 * version-1 index on checked_at alone, to show what migration 7's covering index gains.
 * Reports only: timings on a shared machine are noisy, and no test asserts them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalClient } from '../../src/contract/client.js';
import type { CommandArgs } from '../../src/contract/commands.js';
import { openStore } from '../../src/store/open.js';
import { SessionStore } from '../../src/store/sessions.js';
import type { StationHandlers } from '../../src/station/handlers.js';
import { intFromEnv } from '../helpers/env.js';

const total = 100_000;
const runs = intFromEnv('BENCH_RUNS', 7);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-history-bench-'));
const store = openStore(path.join(dir, 'station.db'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function seed(): void {
  const db = store.db;
  db.prepare("INSERT INTO sources (id, path, kind, profile, updated_at) VALUES ('inbox', '/in', 'camera', 'default', '2026-01-01T00:00:00Z')").run();
  const sessions = new SessionStore(db);
  const insert = db.prepare(
    `INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, verdict, failed_checks, detected_at, checked_at, session_id, facts_json, measures_json)
     VALUES ('inbox', ?, ?, 1, 1, ?, ?, '', ?, ?, (SELECT id FROM sessions WHERE ended_at IS NULL), ?, ?)`,
  );
  const object = db.prepare("INSERT INTO objects (barcode, source_id, state, opened_at) VALUES (?, 'inbox', 'closed', ?)");
  const link = db.prepare('INSERT INTO capture_links (capture_id, object_id, seq, linked_at) VALUES (?, ?, ?, ?)');
  const result = db.prepare("INSERT INTO qc_results (capture_id, check_id, status, message) VALUES (?, ?, ?, '')");
  // Rows as large as a real capture's (its facts and measurements as JSON are about 1–2 KB).
  const facts = JSON.stringify({ format: 'tiff', width: 7952, height: 5304, bitDepth: 16, channels: 3, icc: { description: 'Adobe RGB (1998)' }, exif: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`tag${k}`, `value ${k}`.repeat(3)])) });
  const measures = JSON.stringify({ histogram: Array.from({ length: 64 }, (_, k) => k * 37), sharpness: 12.5, clippedHigh: 0.001, clippedLow: 0.002, phash: 'f0e1d2c3b4a59687' });
  const now = Date.now();
  const start = now - 7 * 86_400_000;
  db.transaction(() => {
    let objectId = 0;
    for (let i = 0; i < total; i++) {
      if (i % 25_000 === 0) sessions.start(['Ana', 'Ben', 'Cy', 'Dee'][i / 25_000]!, 'Herbarium', []);
      const at = new Date(start + (i / total) * (now - start - 60_000)).toISOString();
      const r = (i * 2654435761) % 1000;
      const verdict = r < 40 ? 'fail' : r < 130 ? 'warn' : 'pass';
      const id = Number(insert.run(`f${i}.tif`, `/in/f${i}.tif`, i, verdict, at, at, facts, measures).lastInsertRowid);
      for (const check of ['decodes', 'exposure', 'sharpness', 'bitDepth']) result.run(id, check, verdict === 'fail' && check === 'sharpness' ? 'fail' : 'pass');
      if (i % 5 === 0) objectId = Number(object.run(`NHM-${String(i / 5).padStart(6, '0')}`, at).lastInsertRowid);
      link.run(id, objectId, (i % 5) + 1, at);
    }
  })();
}

const client = createLocalClient<StationHandlers>({
  listCaptures: (args: Parameters<StationHandlers['listCaptures']>[0]) => store.captures.list(args),
  captureStats: ({ utcOffsetMin }: { utcOffsetMin?: number }) => store.captures.stats({ utcOffsetMin: utcOffsetMin ?? 0, now: new Date() }),
} as unknown as StationHandlers);

async function time(args: CommandArgs<'listCaptures'>): Promise<{ ms: number; rows: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await client.listCaptures(args);
    ms.push(performance.now() - t);
    if ('error' in r) throw new Error(r.error.message);
    rows = r.result.length;
  }
  return { ms: median(ms), rows };
}

async function statsMs(): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await client.captureStats({ utcOffsetMin: 0 });
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  seed();
  console.log(`seeded ${total.toLocaleString()} captures in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const day = new Date(Date.now() - 3 * 86_400_000);
  const from = new Date(day.setUTCHours(0, 0, 0, 0)).toISOString();
  const to = new Date(day.getTime() + 86_400_000).toISOString();
  const cases: [string, CommandArgs<'listCaptures'>][] = [
    ['newest 500 (reference)', { limit: 500 }],
    ['verdict fail, 500', { limit: 500, verdict: 'fail' }],
    ['verdict fail, page 10 (beforeId)', { limit: 500, verdict: 'fail', beforeId: 20_000 }],
    ['barcode exact', { limit: 500, barcode: 'NHM-012345' }],
    ['barcode prefix NHM- (every object)', { limit: 500, barcode: 'NHM-', barcodeMatch: 'prefix' }],
    ['barcode prefix NHM-01 (half the objects)', { limit: 500, barcode: 'NHM-01', barcodeMatch: 'prefix' }],
    ['barcode prefix NHM-012 (1,000 objects)', { limit: 500, barcode: 'NHM-012', barcodeMatch: 'prefix' }],
    ['one day, 500', { limit: 500, from, to }],
    ['one day + fail, 500', { limit: 500, from, to, verdict: 'fail' }],
    ['prefix NHM-0 + one day + fail', { limit: 500, barcode: 'NHM-0', barcodeMatch: 'prefix', from, to, verdict: 'fail' }],
    ['prefix NHM-012 + one day + fail', { limit: 500, barcode: 'NHM-012', barcodeMatch: 'prefix', from, to, verdict: 'fail' }],
  ];
  let ref = NaN;
  for (const [name, args] of cases) {
    const { ms, rows } = await time(args);
    if (Number.isNaN(ref)) ref = ms;
    console.log(`${name.padEnd(42)} ${ms.toFixed(2).padStart(8)} ms  ${(ms / ref).toFixed(2).padStart(6)}× the reference  (${rows} rows)`);
  }
  const covered = await statsMs();
  store.db.exec('DROP INDEX captures_checked_verdict_session; CREATE INDEX captures_checked_at ON captures (checked_at);');
  const plain = await statsMs();
  console.log(`captureStats (7 days, per hour/day/check/operator): ${covered.toFixed(0)} ms with migration 7's covering index, ${plain.toFixed(0)} ms with the index on checked_at alone (${(plain / covered).toFixed(2)}×)`);
}

try {
  await main();
} finally {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
