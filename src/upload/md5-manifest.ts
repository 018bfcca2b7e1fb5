/**
 * The Osprey hand-off checksum file: one `checksums.md5` per folder with a `<md5>  <file name>` line
 * per file (the format `md5sum -c` reads). Updates are atomic — the whole file is rewritten to a
 * temp name, fsynced and renamed over the old one — so a crash leaves either the old or the new
 * list, never half a line. Updates are read-modify-write, so they are serialised: within the
 * process by a promise chain, across processes (a second station on the same share, a restarted
 * one whose predecessor still runs) by a lock file `.checksums.md5.lock` created exclusively. A lock
 * whose holder is gone (same host, pid no longer there) or that is older than `staleLockMs` (a
 * holder on another host that crashed) is taken over. Each writer uses its own temp name, so two
 * writers can never tear one temp file. Re-adding a file with the same digest is a no-op (uploads
 * are at-least-once).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fsyncDir } from './fsync.js';
import { UploadError } from './target.js';

export const manifestName = 'checksums.md5';
export const manifestLockName = `.${manifestName}.lock`;
/** An update takes milliseconds; a lock this old belongs to a holder that died (on any host). */
export const staleLockMs = 60_000;
/** Waiting longer than this for another writer's lock fails the attempt (retried later). */
const lockWaitMs = 30_000;

const chains = new Map<string, Promise<unknown>>();

export function addToManifest(dir: string, fileName: string, md5: string): Promise<void> {
  return change(dir, fileName, { add: md5 });
}

/** Takes out the line of a file the station removed, if it still names that file's `md5` (another writer's line stays). */
export function removeFromManifest(dir: string, fileName: string, md5: string): Promise<void> {
  return change(dir, fileName, { remove: md5 });
}

function change(dir: string, fileName: string, what: { add: string } | { remove: string }): Promise<void> {
  const file = path.join(dir, manifestName);
  const previous = chains.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => update(file, fileName, what));
  chains.set(file, next);
  void next.finally(() => {
    if (chains.get(file) === next) chains.delete(file);
  }).catch(() => undefined);
  return next;
}

export async function readManifest(file: string): Promise<Map<string, string>> {
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{32}) [ *](.+)$/.exec(line.replace(/\r$/, ''));
    if (m) entries.set(m[2] as string, (m[1] as string).toLowerCase());
  }
  return entries;
}

async function update(file: string, fileName: string, what: { add: string } | { remove: string }): Promise<void> {
  const dir = path.dirname(file);
  const release = await lockManifest(dir);
  try {
    const entries = await readManifest(file);
    if ('add' in what) {
      if (entries.get(fileName) === what.add) return;
      entries.set(fileName, what.add);
    } else {
      if (entries.get(fileName) !== what.remove) return;
      entries.delete(fileName);
    }
    const tmp = path.join(dir, `.${manifestName}.${os.hostname()}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile([...entries].map(([name, sum]) => `${sum}  ${name}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fsyncDir(dir);
  } finally {
    await release();
  }
}

interface LockHolder {
  host: string;
  pid: number;
  token: string;
}

/** Takes the folder's manifest lock; resolves with its release. */
async function lockManifest(dir: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, manifestLockName);
  const me: LockHolder = { host: os.hostname(), pid: process.pid, token: randomUUID() };
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const handle = await fs.open(lock, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      return async () => {
        if ((await readLock(lock))?.token === me.token) await fs.rm(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(lock);
    if (await lockIsStale(lock, holder)) {
      await takeOverLock(lock, holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new UploadError('transient', `${path.join(dir, manifestName)} stayed locked by another writer (${holder ? `pid ${holder.pid} on ${holder.host}` : 'unknown'}) for ${lockWaitMs / 1000} s; the upload is retried.`);
    }
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
  }
}

async function readLock(lock: string): Promise<LockHolder | null> {
  try {
    const h = JSON.parse(await fs.readFile(lock, 'utf8')) as Partial<LockHolder>;
    return typeof h.host === 'string' && typeof h.pid === 'number' && typeof h.token === 'string' ? (h as LockHolder) : null;
  } catch {
    return null;
  }
}

async function lockIsStale(lock: string, holder: LockHolder | null): Promise<boolean> {
  if (holder && holder.host === os.hostname() && holder.pid !== process.pid) {
    try {
      process.kill(holder.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  try {
    return Date.now() - (await fs.stat(lock)).mtimeMs > staleLockMs;
  } catch {
    return false; // gone meanwhile: the next open takes it
  }
}

/** Moves the stale lock aside (atomic: one of several takers wins); puts back a fresh one moved by mistake. */
async function takeOverLock(lock: string, judged: LockHolder | null): Promise<void> {
  const aside = `${lock}.${randomUUID().slice(0, 8)}.stale`;
  try {
    await fs.rename(lock, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readLock(aside);
  if (moved?.token !== judged?.token) await fs.link(aside, lock).catch(() => undefined);
  await fs.rm(aside, { force: true });
}
