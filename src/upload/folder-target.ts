/**
 * Folder / network-share target. One upload:
 *   1. the share's root must exist (a missing root is an unmounted share: offline, never created);
 *   2. if the final file exists: same sha256 → acknowledged without copying; different → dead
 *      (never overwritten);
 *   3. the verified local bytes stream into `.<name>.<jobId>.part` next to the final name, which is
 *      fsynced and closed;
 *   4. the temp file is read back and its sha256 compared with the one QC recorded;
 *   5. it is linked into place without clobbering (rename where the share cannot link), the temp
 *      name removed and the folder fsynced;
 *   6. with the Osprey layout, the folder's checksums.md5 gets the file's line.
 * The temp name is fixed per job, so a retry after a crash overwrites its own leftover, and every
 * failure path removes it when the share is reachable. Dot-names and `.part` are what the station's
 * own watcher ignores, and what hand-off tools conventionally skip.
 */
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../log/logger.js';
import { classifyFsError, errnoOf, offline, rootUnavailable } from './fs-errors.js';
import { fsyncDir } from './fsync.js';
import { digestsOfFile } from './hash-file.js';
import { addToManifest } from './md5-manifest.js';
import { mirrorKey, ospreyKey, type KeySource } from './remote-key.js';
import { UploadError, type UploadJobInput, type UploadResult, type UploadTarget } from './target.js';

const log = createLogger('upload.folder');

/** Seams for fault tests: a write that fails like a full disk, a share that alters bytes after writing. */
export interface FolderTargetFaults {
  write?: (handle: FileHandle, chunk: Buffer) => Promise<void>;
  afterWrite?: (tempPath: string) => Promise<void> | void;
}

export interface FolderTargetOptions {
  id: string;
  /** The share's root folder (absolute). */
  path: string;
  layout: 'mirror' | 'osprey';
  faults?: FolderTargetFaults;
}

export class FolderTarget implements UploadTarget {
  readonly kind = 'folder';
  readonly id: string;
  private readonly root: string;

  constructor(private readonly opts: FolderTargetOptions) {
    this.id = opts.id;
    this.root = path.resolve(opts.path);
  }

  remoteKeyOf(capture: KeySource): string {
    return this.opts.layout === 'osprey' ? ospreyKey(capture) : mirrorKey(capture);
  }

  /** Absolute path of a key under the root (keys use '/'). */
  pathOf(key: string): string {
    const full = path.resolve(this.root, ...key.split('/'));
    if (!full.startsWith(this.root + path.sep)) throw new UploadError('permanent', `Remote key "${key}" points outside the target folder ${this.root}.`);
    return full;
  }

  static tempNameOf(finalPath: string, jobId: number): string {
    return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${jobId}.part`);
  }

  async probe(): Promise<void> {
    const problem = await rootUnavailable(this.root);
    if (problem) throw offline(this.id, this.root, problem);
  }

  async upload(job: UploadJobInput): Promise<UploadResult> {
    try {
      return await this.copy(job);
    } catch (err) {
      if (job.signal.aborted) throw err;
      throw await classifyFsError(err, this.id, this.root);
    }
  }

  private async copy(job: UploadJobInput): Promise<UploadResult> {
    await this.probe();
    const finalPath = this.pathOf(job.remoteKey);
    const dir = path.dirname(finalPath);
    const osprey = this.opts.layout === 'osprey';
    const expected = job.file.sha256;
    const temp = FolderTarget.tempNameOf(finalPath, job.jobId);
    try {
      // A crash between placing the file and removing the temp name leaves both: the final file
      // is verified here again, and the finally below removes the leftover temp file.
      const existing = await this.digestsIfExists(finalPath, job.signal, osprey);
      if (existing) {
        if (existing.sha256 !== expected) throw conflict(finalPath, existing.sha256, expected);
        if (existing.md5) await addToManifest(dir, path.basename(finalPath), existing.md5);
        log.info('already at the target with the same sha256; not copied again', { target: this.id, key: job.remoteKey });
        return { remoteKey: job.remoteKey, verifiedSha256: expected, alreadyPresent: true };
      }

      await fs.mkdir(dir, { recursive: true });
      const read = job.file.read({ md5: osprey });
      await this.writeTemp(temp, read.chunks);
      await this.opts.faults?.afterWrite?.(temp);
      const copy = await digestsOfFile(temp, job.signal);
      if (copy.sha256 !== expected || copy.size !== job.file.size) {
        throw new UploadError(
          'transient',
          `Verification failed at target "${this.id}": ${temp} reads back as ${copy.size} bytes with sha256 ${copy.sha256}, not the ${job.file.size} bytes with sha256 ${expected} that were sent. The share changed the bytes; the copy was discarded and is retried.`,
        );
      }
      await this.place(temp, finalPath, expected, job.signal);
      await fsyncDir(dir);
      // The md5 is of the bytes read from the local file, which matched QC's sha256 and the copy's.
      const md5 = read.md5();
      if (osprey && md5) await addToManifest(dir, path.basename(finalPath), md5);
      return { remoteKey: job.remoteKey, verifiedSha256: copy.sha256, alreadyPresent: false };
    } finally {
      // After a successful place the temp name is gone already; on any failure it must not linger.
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  private async writeTemp(temp: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    const handle = await fs.open(temp, 'w');
    try {
      const write = this.opts.faults?.write ?? writeAll;
      for await (const chunk of chunks) await write(handle, chunk);
      await handle.sync();
    } finally {
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
      // Shares without hard links (SMB, some NAS): check, then rename (the race left is with a foreign writer).
      if (await this.digestsIfExists(finalPath, signal)) throw new UploadError('transient', `${finalPath} appeared while it was being uploaded; the next attempt compares it.`);
      await fs.rename(temp, finalPath);
      return;
    }
    await fs.rm(temp, { force: true });
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
    `A different file is already at ${finalPath} (sha256 ${found}, this capture's is ${expected}). The station never overwrites a file at a target: move or rename the one there, then retry this job (capture-station queue shows it; command retryDead).`,
  );
}
