/**
 * One running station per database. Two stations on one database (`run` started twice, or the
 * desktop app next to `run`) would watch the same hot folders, check every file twice and upload
 * under leases each believes it alone renews. The lock is a file next to the database,
 * `<database>.lock`, created exclusively ('wx') and holding the holder's host, pid and start time
 * (and, on Linux, its boot id and process start time: process-identity.ts). A lock whose process no
 * longer runs on this host is stale (the station crashed, was killed, or the machine lost power) and
 * is taken over — also when its pid has been given to another process since; a lock held from another host is never judged stale (the database belongs on local
 * disk, so that means a copied or shared home, which a person must look at).
 * Read-only tools (check, export, queue, doctor) never take it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { currentProcessIdentity, processAlive, type ProcessIdentity } from './process-identity.js';

const log = createLogger('store.instance-lock');

interface Holder extends ProcessIdentity {
  host: string;
  startedAt: string;
}

export interface InstanceLock {
  readonly file: string;
  release(): void;
}

export function lockFileOf(database: string): string {
  return `${database}.lock`;
}

/** Takes the lock of `database` or throws a StationError naming the process that holds it. */
export function acquireInstanceLock(database: string): InstanceLock {
  const file = lockFileOf(database);
  const me: Holder = { host: os.hostname(), ...currentProcessIdentity(), startedAt: new Date().toISOString() };
  for (let tries = 0; tries < 5; tries++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeFileSync(fd, JSON.stringify(me) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          // Only our own lock is removed (a takeover after we were judged dead must stay).
          const holder = readHolder(file);
          if (holder && holder.host === me.host && holder.pid === me.pid && holder.startedAt === me.startedAt) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StationError('DB_OPEN_FAILED', `Cannot create the station lock ${file}: ${(err as Error).message}. Check that the database folder is writable.`);
      }
    }
    const holder = readHolder(file);
    if (holder === null) {
      // Being written this instant by another starter, or an empty file left by a crash mid-write.
      if (tries >= 2) takeOver(file, null);
      sleepSync(50);
      continue;
    }
    if (!isStale(holder)) {
      throw new StationError(
        'ALREADY_RUNNING',
        `Another Capture Station (pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}) is using ${database} — stop it first.` +
          (holder.host === me.host ? '' : ` It runs on another machine; if it is surely not running, delete ${file}.`),
      );
    }
    log.warn('taking over the lock of a station that is no longer running', { lock: file, pid: holder.pid, startedAt: holder.startedAt });
    takeOver(file, holder);
  }
  throw new StationError('ALREADY_RUNNING', `Could not take the station lock ${file}: another station keeps starting at the same time. Start one station only.`);
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof h.host !== 'string' || typeof h.pid !== 'number' || typeof h.startedAt !== 'string') return null;
    return {
      host: h.host,
      pid: h.pid,
      startedAt: h.startedAt,
      ...(typeof h.bootId === 'string' ? { bootId: h.bootId } : {}),
      ...(typeof h.startTicks === 'string' ? { startTicks: h.startTicks } : {}),
    };
  } catch {
    return null;
  }
}

function isStale(h: Holder): boolean {
  if (h.host !== os.hostname()) return false;
  // Without a start time to compare, our own pid in the lock may be this very process.
  if (h.pid === process.pid && !h.startTicks) return false;
  return !processAlive(h);
}

/**
 * Moves the stale lock aside under a unique name (rename is atomic: of two starters taking over,
 * one wins), and puts it back if what was moved is not the stale lock judged (a fresh lock another
 * starter created meanwhile).
 */
function takeOver(file: string, judged: Holder | null): void {
  const aside = `${file}.stale-${randomUUID().slice(0, 8)}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readHolder(aside);
  const same = judged === null ? moved === null : moved !== null && moved.host === judged.host && moved.pid === judged.pid && moved.startedAt === judged.startedAt;
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Another lock is in place already; the next round reads it.
    }
  }
  fs.rmSync(aside, { force: true });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
