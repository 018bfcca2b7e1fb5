/**
 * The log-file alarm is told from a log sink, so from inside whatever statement was logging: its
 * 'log.file' event must not share that statement's fate. Real database and log file in temp folders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { StationLog } from '../../src/log/station-log.js';
import { LogFileAlarm } from '../../src/station/log-file-alarm.js';
import { openDatabase } from '../../src/store/database.js';

const log = createLogger('test.log-file-alarm');
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0).reverse()) c();
});

/** A station log told to an alarm on a real database, and a way to make its file unwritable. */
function setUp() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-log-alarm-'));
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const db = openDatabase(path.join(home, 'station.db'));
  cleanup.push(() => db.close());
  const alarm = new LogFileAlarm(db);
  const logs = path.join(home, 'logs');
  const stationLog = new StationLog({ locations: { logs }, logs: { maxMB: 10, keep: 1 } });
  cleanup.push(() => stationLog.close());
  stationLog.attach({ logFileProblem: (file, problem) => alarm.record(file, problem) });
  const breakFile = () => {
    // A file where the logs folder was: the next line cannot open station.log (reopen: as after SIGHUP).
    fs.rmSync(logs, { recursive: true });
    fs.writeFileSync(logs, '');
    stationLog.reopen();
  };
  const logged = () => db.prepare(`SELECT data_json FROM events WHERE type = 'log.file' ORDER BY id`).all().map((r) => JSON.parse((r as { data_json: string }).data_json) as { problem: string | null });
  return { db, alarm, breakFile, logged };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the log-file alarm', () => {
  it('keeps its event when the line that found the problem was logged inside a transaction that rolls back', async () => {
    const { db, alarm, breakFile, logged } = setUp();
    breakFile();
    db.exec('CREATE TABLE scratch (n INTEGER)');
    const work = db.transaction(() => {
      db.prepare('INSERT INTO scratch (n) VALUES (1)').run();
      log.warn('something went wrong in the middle of a transaction');
      throw new Error('rolled back');
    });
    expect(() => work()).toThrow('rolled back');
    expect(alarm.current()?.problem).toContain('cannot be written');
    await nextTurn();
    expect(db.prepare('SELECT COUNT(*) AS n FROM scratch').get()).toEqual({ n: 0 });
    expect(logged()).toEqual([expect.objectContaining({ problem: expect.stringContaining('cannot be written') })]);
  });

  it('keeps its event when the line was logged while a statement was being iterated', async () => {
    const { db, breakFile, logged } = setUp();
    breakFile();
    for (const row of db.prepare('SELECT 1 AS one UNION ALL SELECT 2').iterate()) log.info('reading a row', { row });
    await nextTurn();
    expect(logged()).toEqual([expect.objectContaining({ problem: expect.stringContaining('cannot be written') })]);
  });
});
