/**
 * Reading a capture's local file for upload. By default the bytes are hashed as they stream and
 * compared with the sha256 QC recorded; the last chunk is held back until the whole file has
 * matched, so a target never receives all the bytes of a file that changed after QC (an object
 * store's request fails before it completes). A target that reads its copy back and compares that
 * with QC's sha256 (the folder target) reads without this hashing (`verify: false`): its read-back
 * proves the same thing, and `confirmUnchangedSinceQc` tells a local change from a share's when the
 * read-back does not match. Reading is streamed in 1 MiB chunks, paced by the shared bandwidth
 * cap; a verified read's chunks are in shared memory, hashed on the hash pool's worker threads as
 * it goes, from that same memory (the event loop neither hashes nor copies); an unverified read
 * reuses two buffers. Without a bandwidth cap, such a target may have `cp` copy the file instead
 * (copyInto): the kernel copies it, for a fraction of the CPU.
 */
import { execFile } from 'node:child_process';
import { coarsestMtimeStepMs } from '../filing/move.js';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { createLogger } from '../log/logger.js';
import { digestsOfFile } from '../hashing/file.js';
import { hashPool } from '../hashing/pool.js';
import { UploadError } from './target.js';

/** Waits until `bytes` may be sent (the shared token bucket); also counts them for the rate. */
export type Throttle = (bytes: number, signal: AbortSignal) => Promise<void>;

export interface CaptureFileFacts {
  captureId: number;
  sourceId: string;
  relPath: string;
  /** The capture's version (a re-shot file under the same name is version 2, …). */
  version: number;
  /** Absolute path of the local file. */
  path: string;
  size: number;
  mtimeUs: number;
  /** As QC recorded it; null or '' when the file was never fully read (failed unchecked). */
  sha256: string | null;
  /** When retention removed the local file (captures.local_deleted_at); absent or null while it is kept. */
  localDeletedAt?: string | null;
}

export interface VerifiedRead {
  /**
   * The file's bytes; when verified, throws a permanent UploadError instead of yielding the last
   * chunk if they are not the recorded ones.
   */
  chunks: AsyncIterable<Buffer>;
  /** MD5 of the bytes read, once `chunks` is exhausted (only when asked for; never for an unverified read). */
  md5(): string | null;
}

/**
 * Where a verified read puts its bytes instead of fresh 1 MiB buffers (read-buffers.ts): each call
 * gives the buffer (backed by a SharedArrayBuffer, so the hashing threads share it rather than
 * copy it) that the following chunks fill from its start, a chunk never spanning two, so the chunks
 * of one buffer lie end to end in it. The read calls it only once every byte it read before has
 * been hashed: a buffer whose chunks the caller has used up may be given again.
 */
export type ReadInto = () => Promise<Buffer>;

/**
 * `verify: false` skips hashing the bytes read (the size and mtime are still checked before
 * reading): only for a target that verifies what it wrote against QC's sha256 itself. Its chunks'
 * memory is reused: each is valid only until the next one is asked for.
 */
export type ReadOptions = { verify?: true; md5?: boolean; into?: ReadInto } | { verify: false; md5?: never; into?: never };

export interface LocalFile extends CaptureFileFacts {
  sha256: string;
  read(opts?: ReadOptions): VerifiedRead;
  /**
   * Copies the file's bytes into `dest`, an existing file the caller created exclusively (its
   * content is replaced, its mode kept), with `cp`, which copies in the kernel (copy_file_range or
   * sendfile): about a quarter of the CPU of reading and writing here. Unverified, like
   * `read({ verify: false })`: only for a target that reads its copy back against QC's sha256.
   * Resolves false, having copied nothing the caller can use, when a bandwidth cap applies (the
   * bytes must be paced), on Windows, or when `cp` fails: the caller then copies the ordinary way,
   * whose errors say exactly what failed (a full share, a removed file). Aborting kills `cp`.
   */
  copyInto(dest: string): Promise<boolean>;
}

const log = createLogger('upload.read');
const run = promisify(execFile);
const chunkSize = 1024 * 1024;

/**
 * A capture's file as the uploader sees it; fails (permanently) at once when QC recorded no sha256.
 * `capped`: the throttle paces the bytes (a bandwidth cap), so they must go through it chunk by chunk.
 */
export function localFileOf(facts: CaptureFileFacts, throttle: Throttle, signal: AbortSignal, opts: { capped: boolean } = { capped: true }): LocalFile {
  const sha256 = facts.sha256;
  if (!sha256) throw new UploadError('permanent', `${facts.path} has no recorded sha256 (QC never read it completely), so no copy of it could be verified. It is not uploaded.`);
  return {
    ...facts,
    sha256,
    read(opts = {}) {
      let md5Hex: string | null = null;
      return {
        chunks: opts.verify === false ? unverifiedChunks(facts, throttle, signal) : verifiedChunks({ ...facts, sha256 }, throttle, signal, { md5: opts.md5 ?? false, into: opts.into ?? null }, (md5) => (md5Hex = md5)),
        md5: () => md5Hex,
      };
    },
    copyInto: (dest) => (opts.capped || process.platform === 'win32' ? Promise.resolve(false) : copyWithCp(facts, dest, throttle, signal)),
  };
}

/**
 * Not fs.copyFile, although it copies in the kernel too: libuv's copy loops until the size it saw
 * at the start is copied, so a local file that shrinks meanwhile keeps a thread pool thread
 * spinning forever (seen with Node 20.20), and it cannot be stopped; `cp` stops at the end of the
 * file (the caller's read-back then finds the difference) and is killed when the job is aborted.
 */
async function copyWithCp(file: CaptureFileFacts, dest: string, throttle: Throttle, signal: AbortSignal): Promise<boolean> {
  await checkUnchanged(file);
  // execFile only kills a child whose signal was aborted before it started on the next tick: by then
  // cp may have written (part of) the copy. An aborted upload writes nothing.
  signal.throwIfAborted();
  try {
    await run('cp', ['--', file.path, dest], { signal });
  } catch (err) {
    if (signal.aborted) throw err;
    log.warn('cp failed; copying without it', { file: file.path, dest, error: ((err as { stderr?: string }).stderr || (err as Error).message).trim() });
    return false;
  }
  // Counted for the rate (no cap applies, so this does not wait).
  await throttle(file.size, signal);
  return true;
}

async function* verifiedChunks(
  file: QcFile,
  throttle: Throttle,
  signal: AbortSignal,
  opts: { md5: boolean; into: ReadInto | null },
  onEnd: (md5: string | null) => void,
): AsyncGenerator<Buffer> {
  await checkUnchanged(file);
  const hash = hashPool().stream({ md5: opts.md5 });
  const into = opts.into;
  // A buffer given again may hold bytes the hashing thread has not read yet: it catches up first.
  const memory: ChunkMemory = into
    ? async () => {
        await hash.settled();
        return into();
      }
    : 'fresh';
  let held: Buffer | null = null;
  let bytes = 0;
  try {
    try {
      for await (const chunk of throttledChunks(file.path, throttle, signal, memory)) {
        await hash.update(chunk);
        bytes += chunk.length;
        if (held) yield held;
        held = chunk;
      }
    } catch (err) {
      throw readFailure(file, signal, err);
    }
    const digests = await hash.digest();
    if (bytes !== file.size || digests.sha256 !== file.sha256) throw changedContent(file, bytes, digests.sha256);
    onEnd(digests.md5);
    if (held) yield held;
  } finally {
    // A read stopped or failed before its end leaves no stream behind in the worker.
    hash.drop();
  }
}

async function* unverifiedChunks(file: CaptureFileFacts, throttle: Throttle, signal: AbortSignal): AsyncGenerator<Buffer> {
  await checkUnchanged(file);
  try {
    yield* throttledChunks(file.path, throttle, signal, 'reuse');
  } catch (err) {
    throw readFailure(file, signal, err);
  }
}

async function* throttledChunks(file: string, throttle: Throttle, signal: AbortSignal, memory: ChunkMemory): AsyncGenerator<Buffer> {
  for await (const chunk of fileChunks(file, signal, memory)) {
    await throttle(chunk.length, signal);
    yield chunk;
  }
}

/**
 * For a copy that does not match QC's sha256 although the local file was read without error:
 * throws the permanent "changed after QC" error when the local file no longer holds QC's bytes
 * (hashed now); resolves when it still does, so the copy's difference came from elsewhere.
 */
export async function confirmUnchangedSinceQc(file: QcFile, signal: AbortSignal): Promise<void> {
  let now;
  try {
    now = await digestsOfFile(file.path, signal);
  } catch (err) {
    throw readFailure(file, signal, err);
  }
  if (now.size !== file.size || now.sha256 !== file.sha256) throw changedContent(file, now.size, now.sha256);
}

type QcFile = CaptureFileFacts & { sha256: string };

type ChunkMemory = 'fresh' | 'reuse' | ReadInto;

function readFailure(file: CaptureFileFacts, signal: AbortSignal, err: unknown): unknown {
  if (signal.aborted) return err;
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return changed(file, 'was removed while it was being uploaded');
  return new UploadError('transient', `Cannot read ${file.path}: ${(err as Error).message}`, { cause: err });
}

/**
 * The file in chunks, one read ahead, so reading overlaps with sending (as a read stream's buffer
 * does). With 'fresh', each chunk is fresh shared memory (a verified read's chunk may still be
 * hashed, or sent, while later ones are read). With 'reuse', two buffers take turns, the one read
 * ahead and the one last yielded, so a chunk is valid only until the next one is asked for: a fresh
 * 1 MiB buffer per chunk costs page faults and GC (reading 100 MiB from the page cache took 32–58
 * ms of CPU with fresh buffers, 17–21 ms with reuse, on the 2-core test machine). With a ReadInto,
 * chunks fill the caller's buffers end to end.
 */
async function* fileChunks(file: string, signal: AbortSignal, memory: ChunkMemory): AsyncGenerator<Buffer> {
  const handle = await fs.open(file, 'r');
  const turns = memory === 'reuse' ? [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)] : null;
  let turn = 0;
  let block: Buffer | null = null;
  let used = 0;
  /** The next chunk's memory: at most chunkSize bytes, and never past the end of the caller's buffer. */
  const place = async (): Promise<Buffer> => {
    if (memory === 'reuse') return turns![turn++ % 2]!;
    if (memory === 'fresh') return Buffer.from(new SharedArrayBuffer(chunkSize));
    if (!block || used === block.length) {
      block = await memory();
      used = 0;
    }
    const into: Buffer = block;
    return into.subarray(used, used + Math.min(chunkSize, into.length - used));
  };
  const read = async (): Promise<Buffer> => {
    const chunk = await place();
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    used += bytesRead;
    return bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
  };
  const ahead = (): Promise<Buffer> => {
    const p = read();
    // Handled when awaited below; until then a failed read must not count as an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  let next: Promise<Buffer> | null = ahead();
  try {
    for (;;) {
      const chunk: Buffer = await next;
      next = null;
      if (chunk.length === 0) return;
      signal.throwIfAborted();
      next = ahead();
      yield chunk;
    }
  } finally {
    // The read in flight finishes before the file is closed under it.
    await next?.catch(() => undefined);
    await handle.close();
  }
}

async function checkUnchanged(file: CaptureFileFacts): Promise<void> {
  let st;
  try {
    st = await fs.stat(file.path, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw file.localDeletedAt ? removedByRetention(file, file.localDeletedAt) : changed(file, 'is no longer there');
    throw new UploadError('transient', `Cannot read ${file.path}: ${(err as Error).message}`, { cause: err });
  }
  const mtimeUs = Number(st.mtimeNs / 1000n);
  // A FAT/exFAT library rounds a filed file's mtime (to 2 s or 10 ms): a drift within that step is
  // let through, since every upload proves the bytes against QC's sha256 anyway (read hash or
  // read-back) and a changed file fails there.
  if (Number(st.size) !== file.size || Math.abs(mtimeUs - file.mtimeUs) > coarsestMtimeStepMs * 1000) {
    throw changed(file, `was changed after QC checked it (QC checked ${file.size} bytes modified at ${isoOfUs(file.mtimeUs)}; now ${st.size} bytes modified at ${isoOfUs(mtimeUs)})`);
  }
}

function isoOfUs(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

function changedContent(file: QcFile, bytes: number, sha256: string): UploadError {
  return changed(file, `now has ${bytes} bytes with sha256 ${sha256}, not the ${file.size} bytes with sha256 ${file.sha256} that QC checked`);
}

function removedByRetention(file: CaptureFileFacts, at: string): UploadError {
  return new UploadError(
    'permanent',
    `The local file ${file.path} was removed by retention at ${at}, once every required target had confirmed its copy; this station cannot upload it any more. If this target needs it, copy it there from one of those targets.`,
  );
}

function changed(file: CaptureFileFacts, what: string): UploadError {
  return new UploadError(
    'permanent',
    `The local file ${file.path} ${what}. Only the bytes QC checked are uploaded; a rewritten file is checked and uploaded as its own new version. Retry this job only if the original file is restored.`,
  );
}
