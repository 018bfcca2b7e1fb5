/**
 * A file the station cannot record because of the station itself (its database is full) is not
 * lost or forgotten: it stays in the hot folder, its source says what is wrong, and it is recorded
 * once the database can be written again, without a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { SourceStatus } from '../../src/ingest/types.js';
import { addLogSink, setLogLevel, type LogRecord } from '../../src/log/logger.js';
import { Station } from '../../src/station/station.js';
import { describeFault, isStationFault, retryDelayMs, retryMaxMs } from '../../src/station/record-faults.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A station on a fresh home with quick ingest timings, its source statuses and every log line from now on. */
function stationOnNewHome(): { home: string; station: Station; statuses: SourceStatus[]; logs: LogRecord[] } {
  const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 1, truncatedRetries: 0, truncatedRetryDelayMs: 100, concurrency: 2 } });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const station = new Station(loadConfig({ home }));
  cleanup.push(() => station.stop());
  const statuses: SourceStatus[] = [];
  station.on('source.status', (s) => statuses.push(s));
  const logs: LogRecord[] = [];
  cleanup.push(addLogSink((r) => logs.push(r)));
  return { home, station, statuses, logs };
}

describe('files the station cannot record', () => {
  it('are tried again once the database can be written, and the source says the database is full until then', async () => {
    const { home, station, statuses, logs } = stationOnNewHome();
    // Each retry leaves a debug line: the test counts them.
    setLogLevel('debug');
    cleanup.push(() => setLogLevel('info'));
    await station.start();

    // A real SQLITE_FULL: the database may not grow past the pages it has now (a full disk, as SQLite sees it).
    const db = station['storeHandle'].db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const inbox = path.join(home, 'Inbox');
    const names = Array.from({ length: 12 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.tif`);
    for (const [i, name] of names.entries()) await writeGoodTiff(path.join(inbox, name), i);

    await waitFor(() => statuses.some((s) => s.state === 'failing'), 'the source to say its files cannot be recorded');
    const failing = statuses.find((s) => s.state === 'failing');
    expect(failing?.state === 'failing' && failing.message).toMatch(/The database .*station\.db is full .* free space on that disk; the files stay in the hot folder and are tried again/);
    expect(station.status().sources[0]?.status).toEqual(failing);
    const recordedWhileFull = station.store.counts().total;
    expect(recordedWhileFull).toBeLessThan(names.length);
    // Several rescans and retries later, still not recorded, and the log has one error for the fault, not one per file.
    const failures = (): number => logs.filter((r) => r.message === 'still cannot record' || (r.level === 'error' && /is full/.test(r.message))).length;
    await waitFor(() => failures() >= 2 * (names.length - recordedWhileFull), 'every file tried again at least once while the database is full', 60_000);
    expect(logs.filter((r) => r.level === 'error')).toHaveLength(1);
    expect(station.store.counts().total).toBe(recordedWhileFull);
    expect(station.store.interruptedAttempts()).toEqual([]);
    expect(fs.readdirSync(inbox).sort()).toEqual(names);

    // Once one goes through, the others are tried at once rather than after their back-off.
    const queue = station['queue'];
    const hurried: string[] = [];
    const hurry = queue.hurry.bind(queue);
    queue.hurry = (key: string) => (hurried.push(key), hurry(key));
    db.pragma('max_page_count = 1073741823');
    await waitFor(() => station.store.counts().total === names.length, 'every file recorded once the database has room', 60_000);
    await waitFor(() => station.status().sources[0]?.status?.state === 'watching', 'the source back to watching');
    expect(statuses.at(-1)).toEqual({ sourceId: 'inbox', state: 'watching' });
    expect(station.store.list().map((c) => c.relPath).sort()).toEqual(names);
    expect(hurried).toHaveLength(names.length - recordedWhileFull - 1);
    // Each was decoded and judged on its own merits: a failed write is not a crash while decoding it.
    expect(station.store.list().filter((c) => c.sha256 === '' || c.verdict === 'fail')).toEqual([]);
    expect(station.store.interruptedAttempts()).toEqual([]);
  }, 120_000);

  it('a file that fails for another reason than the station (a constraint) is logged once, not retried, and checked again at the next start', async () => {
    const { home, station, statuses, logs } = stationOnNewHome();
    const checking: string[] = [];
    station.on('capture.checking', (c) => checking.push(c.relPath));
    await station.start();

    // A real database error that is not the station's: every write of this capture is refused the same way.
    station['storeHandle'].db.exec(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.captures BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END`);
    const inbox = path.join(home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'IMG_0001.tif'), 1);
    await waitFor(() => logs.some((r) => r.level === 'error' && r.message.startsWith('cannot check IMG_0001.tif')), 'the failure logged');
    const line = logs.find((r) => r.message.startsWith('cannot check'));
    expect(line?.message).toBe('cannot check IMG_0001.tif; it stays in the hot folder and is checked again at the next start');
    expect(String(line?.fields?.['error'])).toMatch(/refused by a test trigger/);
    // Nothing waits to try it again: a retry would fail the same way, forever.
    expect(station['queue'].size).toBe(0);
    await station['queue'].onIdle();
    expect(checking).toEqual(['IMG_0001.tif']);
    expect(statuses.filter((s) => s.state === 'failing')).toEqual([]);
    expect(station.status().sources[0]?.status?.state).toBe('watching');
    expect(station.store.counts().total).toBe(0);
    expect(station.store.interruptedAttempts().map((a) => [a.relPath, a.attempts])).toEqual([['IMG_0001.tif', 1]]);
    await station.stop();

    // The trigger went with the connection: the next start checks the file again and records it.
    const next = new Station(loadConfig({ home }));
    cleanup.push(() => next.stop());
    await next.start();
    await waitFor(() => next.store.counts().total === 1, 'the file recorded at the next start');
    expect(next.store.list().map((c) => [c.relPath, c.verdict === 'fail'])).toEqual([['IMG_0001.tif', false]]);
    expect(next.store.interruptedAttempts()).toEqual([]);
  }, 60_000);

  it('a file removed while the database is full does not clear the fault: only a recorded capture does', async () => {
    const { home, station, statuses, logs } = stationOnNewHome();
    const checking = new Set<string>();
    station.on('capture.checking', (c) => checking.add(c.relPath));
    await station.start();

    const db = station['storeHandle'].db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const inbox = path.join(home, 'Inbox');
    const names = Array.from({ length: 8 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.tif`);
    for (const [i, name] of names.entries()) await writeGoodTiff(path.join(inbox, name), i);
    await waitFor(() => station.status().sources[0]?.status?.state === 'failing' && checking.size === names.length, 'every file tried and the source saying they cannot be recorded');
    // The pages the database had free took the first few; one that failed is taken out while it waits for its retry.
    const recordedWhileFull = station.store.counts().total;
    const removed = names.find((n) => !station.store.list().some((c) => c.relPath === n));
    expect(removed).toBeDefined();
    fs.rmSync(path.join(inbox, removed!));
    await waitFor(() => logs.some((r) => r.message === 'not recorded yet' && r.fields?.['file'] === removed), 'its retry to find it gone', 60_000);
    expect(logs.filter((r) => r.message === 'captures are recorded again')).toEqual([]);
    expect(station.status().sources[0]?.status?.state).toBe('failing');
    expect(statuses.at(-1)?.state).toBe('failing');
    expect(logs.filter((r) => r.level === 'error')).toHaveLength(1);
    expect(station.store.counts().total).toBe(recordedWhileFull);

    // Once the database has room, the files still there are recorded, and the first of them ends the fault.
    db.pragma('max_page_count = 1073741823');
    await waitFor(() => station.store.counts().total === names.length - 1, 'the files still there recorded once the database has room', 60_000);
    await waitFor(() => station.status().sources[0]?.status?.state === 'watching', 'the source back to watching');
    expect(logs.filter((r) => r.message === 'captures are recorded again')).toHaveLength(1);
  }, 120_000);

  it('waits longer before each retry, up to a cap, and names what to do for each kind of failure', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16_000, retryMaxMs, retryMaxMs, retryMaxMs]);
    const sqlite = (code: string) => Object.assign(new Error('disk I/O error'), { code });
    expect(describeFault(sqlite('SQLITE_READONLY'), '/x/station.db')).toMatchObject({ kind: 'SQLITE_READONLY', message: expect.stringMatching(/database \/x\/station\.db cannot be written .* check that its disk is mounted, writable and has space/) });
    expect(describeFault(sqlite('ENOSPC'), '/x/station.db').message).toMatch(/is full .* free space there/);
    expect(describeFault(sqlite('EIO'), '/x/station.db')).toMatchObject({ kind: 'EIO', message: expect.stringMatching(/cannot be written .* check that it is mounted, writable and has space/) });
    // Only faults of where the station writes are retried; a constraint or a plain error would fail the same way again.
    expect(['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY_DBMOVED', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'ENOSPC', 'EDQUOT', 'EROFS', 'EIO'].filter((c) => !isStationFault(sqlite(c)))).toEqual([]);
    expect([sqlite('SQLITE_CONSTRAINT_TRIGGER'), sqlite('SQLITE_ERROR'), sqlite('SQLITE_FULLX'), sqlite('ENOENT'), new Error('boom'), 'boom', null].filter(isStationFault)).toEqual([]);
  });
});
