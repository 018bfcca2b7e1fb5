import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationError } from '../../src/errors.js';
import { acquireInstanceLock, lockFileOf } from '../../src/store/instance-lock.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('single-instance lock per database', () => {
  it('lets one holder in, names it to the next, and is free again after release', () => {
    const db = path.join(dir, 'station.db');
    const lock = acquireInstanceLock(db);
    expect(JSON.parse(fs.readFileSync(lockFileOf(db), 'utf8'))).toMatchObject({ host: os.hostname(), pid: process.pid });
    let err: unknown;
    try {
      acquireInstanceLock(db);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StationError);
    expect((err as StationError).message).toMatch(new RegExp(`^Another Capture Station \\(pid ${process.pid} on host ${os.hostname()}, started .*\\) is using ${db} — stop it first\\.$`));
    lock.release();
    expect(fs.existsSync(lockFileOf(db))).toBe(false);
    acquireInstanceLock(db).release();
  });

  it('takes over the lock of a station that died on this host, but never one held from another host', () => {
    const db = path.join(dir, 'station.db');
    fs.writeFileSync(lockFileOf(db), JSON.stringify({ host: os.hostname(), pid: deadPid(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const lock = acquireInstanceLock(db);
    expect(JSON.parse(fs.readFileSync(lockFileOf(db), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    fs.writeFileSync(lockFileOf(db), JSON.stringify({ host: 'other-host', pid: deadPid(), startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(() => acquireInstanceLock(db)).toThrow(/on host other-host.*stop it first\. It runs on another machine; if it is surely not running, delete .*station\.db\.lock/);
  });
});
