/**
 * Folder / network-share target. One upload:
 *   1. the share's root must be there and look mounted (fs-errors.ts rootUnavailable: a missing root,
 *      or an empty local mount point, is an unmounted share: offline, never written into);
 *   2. if the final file exists: same sha256 → acknowledged without copying; different → dead
 *      (never overwritten);
 *   3. missing folders of the key are created and each new folder's entry fsynced in its parent;
 *   4. the local bytes go into `.<name>.<jobId>.<attemptTag>.part` next to the final name,
 *      created exclusively ('wx': never truncating someone else's file): copied by `cp` in the
 *      kernel when no bandwidth cap applies (LocalFile.copyInto), else streamed and flushed to the
 *      disk in the background as they are written; they are not hashed on the way (step 5 checks them);
 *   5. the temp file is read back and its sha256 compared with the one QC recorded, while its final
 *      fsync runs; both have finished before anything below happens. Equal, the target holds
 *      exactly the bytes QC checked, whatever happened to the local file meanwhile. Different, the
 *      local file is hashed: no longer QC's bytes → dead (changed after QC, as source-read.ts says
 *      it); still QC's → the share changed them: transient, retried;
 *   6. it is linked into place without clobbering (rename where the share cannot link), and the
 *      final name is checked to be that very file (same inode, else same sha256) before the temp
 *      name is removed and the folder fsynced;
 *   7. with the Osprey layout, the folder's checksums.md5 gets the file's line, and the done job
 *      keeps its md5 (confirmState: the line a removal of the copy takes out, see removeStale).
 * The temp name is unique per attempt, so a stalled earlier holder of the job and its next holder
 * never write the same file; leftovers of this job's earlier attempts (a crash) are removed when it
 * runs again, and every failure path removes its own temp file when the share is reachable.
 * Dot-names and `.part` are what the station's own watcher ignores, and what hand-off tools skip.
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../log/logger.js';
import { classifyFsError, errnoOf, offline, rootCannotTake, rootUnavailable, type RootChecks } from './fs-errors.js';
import { fsyncDir } from './fsync.js';
import { digestsOfFile } from '../hashing/file.js';
import type { FileDigests } from '../hashing/pool.js';
import { addToManifest, manifestName, removeFromManifest } from './md5-manifest.js';
import { confirmUnchangedSinceQc, type LocalFile } from './source-read.js';
import { mirrorKey, ospreyKey, type KeySource } from './remote-key.js';
import { UploadError, type CopyCheck, type RemoteCopy, type StaleRemoval, type StaleRemovalContext, type UploadJobInput, type UploadResult, type UploadTarget } from './target.js';

const log = createLogger('upload.folder');

/** Seams for fault tests: a write that fails like a full disk, a share that alters bytes after writing, a full share. */
export interface FolderTargetFaults {
  write?: (handle: FileHandle, chunk: Buffer) => Promise<void>;
  afterWrite?: (tempPath: string) => Promise<void> | void;
  /** Runs after the file is in place and before it is checked there (a foreign writer replacing it). */
  afterPlace?: (finalPath: string) => Promise<void> | void;
  /** Free bytes at the root instead of statfs. */
  freeBytes?: (root: string) => Promise<number>;
  /** Replaces the folder fsync (tests observe which folders are made durable). */
  fsyncDir?: (dir: string) => Promise<void>;
  /** Replaces the background flush of the temp file while it is written (a disk failing under it). */
  flush?: (handle: FileHandle) => Promise<void>;
  /** Runs after a superseded copy's bytes were proven and before it is removed (tests "crash" here). */
  beforeRemove?: (file: string) => Promise<void> | void;
  /** Runs after a superseded copy was removed and before its removal is recorded (tests "crash" here). */
  afterRemove?: (file: string) => Promise<void> | void;
}

export interface FolderTargetOptions {
  id: string;
  /** The share's root folder (absolute). */
  path: string;
  layout: 'mirror' | 'osprey';
  /** First segment of every key (config.stationId): stations sharing one share never collide. */
  stationId: string;
  /** The station's library: captures filed there keep their library names at the target. */
  library?: string;
  /** Refuse a root that is neither a mount point nor marked with .capture-station-target (default true). */
  mountCheck?: boolean;
  /** Bytes written between two background flushes of a temp file (see writeTemp); default 16 MiB. */
  flushEveryBytes?: number;
  faults?: FolderTargetFaults;
}

export class FolderTarget implements UploadTarget {
  readonly kind = 'folder';
  readonly id: string;
  private readonly root: string;
  private readonly checks: RootChecks;
  private readonly syncDir: (dir: string) => Promise<void>;

  constructor(private readonly opts: FolderTargetOptions) {
    this.id = opts.id;
    this.root = path.resolve(opts.path);
    this.checks = { mountCheck: opts.mountCheck ?? true, ...(opts.faults?.freeBytes ? { freeBytes: opts.faults.freeBytes } : {}) };
    this.syncDir = opts.faults?.fsyncDir ?? fsyncDir;
  }

  remoteKeyOf(capture: KeySource): string {
    return this.opts.layout === 'osprey' ? ospreyKey(this.opts.stationId, capture, this.opts.library) : mirrorKey(this.opts.stationId, capture, this.opts.library);
  }

  /** Absolute path of a key under the root (keys use '/'). */
  pathOf(key: string): string {
    const full = path.resolve(this.root, ...key.split('/'));
    if (!full.startsWith(this.root + path.sep)) throw new UploadError('permanent', `Remote key "${key}" points outside the target folder ${this.root}.`);
    return full;
  }

  static tempNameOf(finalPath: string, jobId: number, attemptTag: string): string {
    return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${jobId}.${attemptTag}.part`);
  }

  async probe(_signal?: AbortSignal, need?: { bytes: number }): Promise<void> {
    const problem = await rootUnavailable(this.root, this.checks);
    if (problem) throw offline(this.id, this.root, problem);
    const cannot = await rootCannotTake(this.id, this.root, this.checks, need?.bytes ?? 0);
    if (cannot) throw cannot;
  }

  /**
   * The file at the key must be there with the verified size. Its sha256 is not read again: that
   * would read every removed capture back over the share once more (as much as its upload's own
   * verification, for a check run weeks later), and what this guards against — a copy deleted,
   * moved, truncated, or a share mounted empty or elsewhere — changes the size or the presence.
   * Bytes altered in place at the same size are the share's integrity to keep (and checksums.md5
   * with the Osprey layout lets anyone check them).
   */
  async confirm(copy: RemoteCopy): Promise<CopyCheck> {
    try {
      const at = await this.copyAt(copy);
      return at.wrong === null ? { present: true } : { present: false, problem: at.size === null ? at.wrong : `${at.wrong} verified` };
    } catch (err) {
      throw await classifyFsError(err, this.id, this.root, this.checks);
    }
  }

  /**
   * Removes the station's own superseded copy: the file at the key must still be a file of the size
   * written and read back to the sha256 written; then it is unlinked and its folder fsynced. A crash
   * anywhere here is safe: the next holder finds the same bytes (proves and removes again) or none.
   * With the Osprey layout its line leaves checksums.md5 — also when the file is found gone already
   * (a crash between the unlink and the manifest update): the md5 of the line is the one its upload
   * recorded, or the one this removal saved before unlinking (ctx.beforeDelete), never guessed.
   */
  async removeStale(copy: RemoteCopy, ctx: StaleRemovalContext): Promise<StaleRemoval> {
    const { signal } = ctx;
    const osprey = this.opts.layout === 'osprey';
    try {
      const at = await this.copyAt(copy);
      const { file } = at;
      const dir = path.dirname(file);
      if (at.gone) {
        const md5 = osprey ? md5Of(copy.state) : null;
        if (md5) await removeFromManifest(dir, path.basename(file), md5);
        return { outcome: 'gone', note: `${file} was no longer there${md5 ? ` (its line in ${manifestName} is taken out too)` : ''}` };
      }
      if (at.wrong !== null) return { outcome: 'kept', note: `${at.wrong} the station wrote${at.size === null ? '' : ': someone replaced it'}, so it is left alone` };
      const there = await digestsOfFile(file, signal, { md5: osprey });
      if (there.sha256 !== copy.sha256) return { outcome: 'kept', note: `${file} now has sha256 ${there.sha256}, not the ${copy.sha256} the station wrote: someone replaced it, so it is left alone` };
      await this.opts.faults?.beforeRemove?.(file);
      ctx.beforeDelete(there.md5 ? folderCopyState(there.md5) : undefined);
      await fs.rm(file, { force: true });
      await this.opts.faults?.afterRemove?.(file);
      await this.syncDir(dir);
      // The hand-off folder's checksums.md5 must not list a file that is gone.
      if (there.md5) await removeFromManifest(dir, path.basename(file), there.md5);
      return { outcome: 'removed', note: `removed ${file} (${copy.size} bytes, sha256 ${copy.sha256} read back first)` };
    } catch (err) {
      if (signal.aborted) throw err;
      throw await classifyFsError(err, this.id, this.root, this.checks);
    }
  }

  /**
   * The file at a copy's key, as far as its presence and size tell (confirm and removeStale):
   * `wrong` says what is wrong with it, null when it is a file of the size written; `size` is the
   * size found when that is what differs. Throws offline when the share is not there.
   */
  private async copyAt(copy: RemoteCopy): Promise<{ file: string; wrong: string | null; gone: boolean; size: number | null }> {
    const problem = await rootUnavailable(this.root, this.checks);
    if (problem) throw offline(this.id, this.root, problem);
    const file = this.pathOf(copy.remoteKey);
    let st: Stats;
    try {
      st = await fs.stat(file);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { file, wrong: `${file} is no longer there`, gone: true, size: null };
      throw err;
    }
    if (!st.isFile()) return { file, wrong: `${file} is no longer a file`, gone: false, size: null };
    if (st.size !== copy.size) return { file, wrong: `${file} is ${st.size} bytes, not the ${copy.size} bytes`, gone: false, size: st.size };
    return { file, wrong: null, gone: false, size: null };
  }

  async upload(job: UploadJobInput): Promise<UploadResult> {
    try {
      return await this.copy(job);
    } catch (err) {
      if (job.signal.aborted) throw err;
      throw await classifyFsError(err, this.id, this.root, this.checks);
    }
  }

  private async copy(job: UploadJobInput): Promise<UploadResult> {
    const problem = await rootUnavailable(this.root, this.checks);
    if (problem) throw offline(this.id, this.root, problem);
    const finalPath = this.pathOf(job.remoteKey);
    const dir = path.dirname(finalPath);
    const osprey = this.opts.layout === 'osprey';
    const expected = job.file.sha256;
    const temp = FolderTarget.tempNameOf(finalPath, job.jobId, job.attemptTag);
    const created = { temp: false };
    try {
      // A crash between placing the file and removing the temp name leaves both: the final file
      // is verified here again, and the leftover temp file is removed below.
      const existing = await this.digestsIfExists(finalPath, job.signal, osprey);
      if (existing) {
        if (existing.sha256 !== expected) throw conflict(finalPath, existing.sha256, expected);
        if (job.previouslyStarted) await this.removeLeftovers(finalPath, job.jobId, temp);
        if (existing.md5) await addToManifest(dir, path.basename(finalPath), existing.md5);
        log.info('already at the target with the same sha256; not copied again', { target: this.id, key: job.remoteKey });
        return { remoteKey: job.remoteKey, verifiedSha256: expected, alreadyPresent: true, ...(existing.md5 ? { confirmState: folderCopyState(existing.md5) } : {}) };
      }

      await this.mkdirDurable(dir);
      // Only a job started before can have left temp files (a crash); a first attempt skips the
      // folder listing, which costs a lot in a share folder with thousands of files.
      if (job.previouslyStarted) await this.removeLeftovers(finalPath, job.jobId, temp);
      const copy = await this.writeTemp(temp, job.file, created, job.signal, osprey);
      if (copy.sha256 !== expected || copy.size !== job.file.size) {
        await confirmUnchangedSinceQc(job.file, job.signal);
        throw new UploadError(
          'transient',
          `Verification failed at target "${this.id}": ${temp} reads back as ${copy.size} bytes with sha256 ${copy.sha256}, not the ${job.file.size} bytes with sha256 ${expected} that QC checked (the local file still holds them). The share changed the bytes; the copy was discarded and is retried.`,
        );
      }
      const tempStat = await fs.stat(temp);
      await this.place(temp, finalPath, expected, job.signal);
      await this.opts.faults?.afterPlace?.(finalPath);
      await this.checkPlaced(finalPath, tempStat, expected, job.signal);
      await fs.rm(temp, { force: true });
      await this.syncDir(dir);
      // The md5 is of the read-back, whose sha256 matched QC's.
      if (copy.md5) await addToManifest(dir, path.basename(finalPath), copy.md5);
      return { remoteKey: job.remoteKey, verifiedSha256: copy.sha256, alreadyPresent: false, ...(copy.md5 ? { confirmState: folderCopyState(copy.md5) } : {}) };
    } finally {
      // After a successful place the temp name is gone already; on any failure it must not linger.
      // Only this attempt's own temp name is removed: it was created exclusively, so it is ours.
      if (created.temp) await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /**
   * mkdir -p, then fsync the parent of every folder it created (from the existing ancestor down):
   * a new folder's entry lives in its parent, and without that fsync a power cut can lose the
   * folder — and the file already marked done inside it.
   */
  private async mkdirDurable(dir: string): Promise<void> {
    const first = await fs.mkdir(dir, { recursive: true });
    if (first === undefined) return;
    const created: string[] = [];
    for (let d = dir; ; d = path.dirname(d)) {
      created.unshift(d);
      if (d === path.resolve(first) || path.dirname(d) === d) break;
    }
    // Parents first, so each entry is durable before anything below it is relied on.
    for (const d of created) await this.syncDir(path.dirname(d));
  }

  /** Temp files of earlier attempts of this job (a crash, a stalled holder) next to the final name. */
  private async removeLeftovers(finalPath: string, jobId: number, own: string): Promise<void> {
    const dir = path.dirname(finalPath);
    const prefix = `.${path.basename(finalPath)}.${jobId}.`;
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.part') && path.join(dir, name) !== own) await fs.rm(path.join(dir, name), { force: true });
    }
  }

  /**
   * Writes the temp file, makes it durable and reads it back; returns the digests of what was read
   * back (with its md5 when asked). Copied by `cp` when it can (no bandwidth cap, no write seam):
   * measured, its kernel copy needs about a quarter of the CPU and no background flushes (they did
   * not shorten the copy). Streamed, write-back to the disk starts while the file is still being
   * written (a flush every `flushEveryBytes`, in the background, one at a time), instead of all of
   * it waiting for the final fsync; and that final fsync runs while the file is read back, which
   * needs the bytes written but not their durability. Both are done before this returns, so
   * nothing is placed or acknowledged before the copy is durable and verified. A failed background
   * flush fails the upload: after a failed fsync the kernel may report the next one as successful
   * although the bytes were lost.
   */
  private async writeTemp(temp: string, file: LocalFile, created: { temp: boolean }, signal: AbortSignal, md5: boolean): Promise<FileDigests> {
    // 'wx': the name is this attempt's alone; if it exists, something is wrong and nothing is truncated.
    const handle = await fs.open(temp, 'wx');
    created.temp = true;
    const faults = this.opts.faults;
    let flushing: Promise<void> | null = null;
    let flushFailed: { error: unknown } | null = null;
    const flushEveryBytes = this.opts.flushEveryBytes ?? 16 * 1024 * 1024;
    const datasync = this.opts.faults?.flush ?? ((h: FileHandle) => h.datasync());
    const flush = (): void => {
      const p: Promise<void> = datasync(handle)
        .catch((err: unknown) => void (flushFailed ??= { error: err }))
        .finally(() => {
          if (flushing === p) flushing = null;
        });
      flushing = p;
    };
    try {
      // The write and flush seams need the bytes to pass through here. A `cp` that failed may have
      // written part of the file: it is emptied (it is ours) and written the ordinary way.
      const copied = !faults?.write && !faults?.flush && (await file.copyInto(temp));
      if (!copied) {
        await handle.truncate(0);
        const write = faults?.write ?? writeAll;
        let unflushed = 0;
        for await (const chunk of file.read({ verify: false }).chunks) {
          await write(handle, chunk);
          unflushed += chunk.length;
          if (flushFailed) throw (flushFailed as { error: unknown }).error;
          if (unflushed >= flushEveryBytes && !flushing) {
            unflushed = 0;
            flush();
          }
        }
      }
      await flushing;
      await this.opts.faults?.afterWrite?.(temp);
      const [, copy] = await Promise.all([handle.sync(), digestsOfFile(temp, signal, { md5 })]);
      if (flushFailed) throw (flushFailed as { error: unknown }).error;
      return copy;
    } finally {
      await flushing;
      await handle.close();
    }
  }

  /** Moves the verified temp file to its final name without ever replacing a different file there. */
  private async place(temp: string, finalPath: string, expected: string, signal: AbortSignal): Promise<void> {
    try {
      await fs.link(temp, finalPath);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EEXIST') {
        // Someone else put it there meanwhile (an earlier attempt's late rename, another station).
        const there = await digestsOfFile(finalPath, signal);
        if (there.sha256 !== expected) throw conflict(finalPath, there.sha256, expected);
        return;
      }
      if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV', 'EOPNOTSUPP', 'EMLINK'].includes(code ?? '')) throw err;
      // Shares without hard links (SMB, some NAS): check, then rename (the race left is with a foreign
      // writer, and checkPlaced catches its outcome).
      if (await this.digestsIfExists(finalPath, signal)) throw new UploadError('transient', `${finalPath} appeared while it was being uploaded; the next attempt compares it.`);
      await fs.rename(temp, finalPath);
    }
  }

  /**
   * The final name must now be the verified temp file: the same inode (link, or rename on a share
   * that keeps inode numbers), or else the same sha256. Anything else means another writer's file
   * is there, and the job must not be marked done.
   */
  private async checkPlaced(finalPath: string, tempStat: { ino: number; dev: number }, expected: string, signal: AbortSignal): Promise<void> {
    const st = await fs.stat(finalPath);
    if (st.ino === tempStat.ino && st.dev === tempStat.dev && st.ino !== 0) return;
    const there = await digestsOfFile(finalPath, signal);
    if (there.sha256 !== expected) throw conflict(finalPath, there.sha256, expected);
  }

  private async digestsIfExists(file: string, signal: AbortSignal, md5 = false): Promise<{ sha256: string; md5: string | null } | null> {
    try {
      await fs.stat(file);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw err;
    }
    return digestsOfFile(file, signal, { md5 });
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

function conflict(finalPath: string, found: string, expected: string): UploadError {
  return new UploadError(
    'permanent',
    `A different file is already at ${finalPath} (sha256 ${found}, this capture's is ${expected}). The station never overwrites a file at a target: move or rename the one there, then retry this job (capture-station queue shows it; capture-station queue --retry TARGET retries it).`,
    { occupiedBy: { sha256: found } },
  );
}

/**
 * What a done Osprey-layout copy keeps besides its key (UploadResult.confirmState, recorded with a
 * superseded copy too): the md5 of its checksums.md5 line, which its removal takes out — even after
 * a crash left the file gone and the line there.
 */
interface FolderCopyState {
  v: 1;
  kind: 'folder';
  md5: string;
}

function folderCopyState(md5: string): FolderCopyState {
  return { v: 1, kind: 'folder', md5 };
}

function md5Of(state: unknown): string | null {
  const s = state as Partial<FolderCopyState> | null;
  return s?.kind === 'folder' && typeof s.md5 === 'string' ? s.md5 : null;
}
