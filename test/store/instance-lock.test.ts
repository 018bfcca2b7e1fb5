import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationError } from '../../src/errors.js';
import { acquireInstanceLock, lockFileOf } from '../../src/store/instance-lock.js';
import { currentProcessIdentity } from '../../src/store/process-identity.js';

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

  // Linux only (/proc): what a bare pid cannot tell.
  describe.runIf(fs.existsSync('/proc/self/stat'))('a pid that exists but is not the station that wrote the lock', () => {
    const me = currentProcessIdentity();
    const takenOver = (holder: object): void => {
      const db = path.join(dir, 'station.db');
      fs.writeFileSync(lockFileOf(db), JSON.stringify({ host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', ...holder }));
      const lock = acquireInstanceLock(db);
      expect(JSON.parse(fs.readFileSync(lockFileOf(db), 'utf8'))).toMatchObject({ pid: process.pid, startTicks: me.startTicks });
      lock.release();
    };

    it('records boot id and start time with the pid', () => {
      expect(me.bootId).toMatch(/^[0-9a-f-]{36}$/);
      expect(me.startTicks).toMatch(/^\d+$/);
    });

    it('takes over a lock whose pid was given to another process (a restart in a container is pid 1 again)', () => {
      takenOver({ pid: process.ppid, bootId: me.bootId, startTicks: '1' });
      takenOver({ pid: process.pid, bootId: me.bootId, startTicks: '1' });
    });

    it('takes over a lock written before the machine last booted (a power cut), whatever its pid', () => {
      takenOver({ pid: process.ppid, bootId: '00000000-0000-0000-0000-000000000000' });
    });

    it('takes over a lock held by a killed station that is still a zombie', async () => {
      // `sleep 0.05` exits while its parent (exec'd into `sleep 30`) never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
        for (let i = 0; i < 100 && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
        expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
        takenOver({ pid });
      } finally {
        parent.kill('SIGKILL');
      }
    });

    it('still refuses while the very process that wrote the lock runs', () => {
      const db = path.join(dir, 'station.db');
      fs.writeFileSync(lockFileOf(db), JSON.stringify({ host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', ...me }));
      expect(() => acquireInstanceLock(db)).toThrow(/stop it first/);
    });
  });
});
