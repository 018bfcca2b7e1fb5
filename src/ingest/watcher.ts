/**
 * The hot-folder watcher: chokidar events (or polling, for shares) and periodic rescans feed one
 * stability tracker; each stable version of a file is reported once. chokidar's own
 * awaitWriteFinish is not used: it waits on size alone and per file, where the station needs size
 * and mtime, one shared sweep, and the dedup rules below.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { SourceConfig } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import { chokidarIgnored, createSourceMatcher, relativePath, type SourceMatcher } from './patterns.js';
import { maxFolderDepth, walkIncluded } from './rescan.js';
import { prepareSourceFolder, unreachable } from './source-folder.js';
import { fileKey, StabilityTracker, type FileRef } from './stability.js';
import type { IngestWatcher, IngestWatcherOptions, SourceStatus, StableFile } from './types.js';

const log = createLogger('ingest.watcher');

interface Source {
  config: SourceConfig;
  matcher: SourceMatcher;
  /** Set while the folder is watched; undefined while it is unavailable (the next probe or rescan retries). */
  fsw: FSWatcher | undefined;
  /** Identity (dev:ino) of the folder fsw watches: a folder deleted and made again, or a remount, is another one. */
  rootId: string | null;
  status: SourceStatus | undefined;
  /** A probe's stat is under way (a hung share must not pile them up). */
  probing: boolean;
}

/** How often a missing hot folder is looked for: one stat each, so it is watched soon after it appears. */
export const appearProbeMs = 2000;
/** How long after a folder appears it is read again: chokidar reads and then watches it within milliseconds. */
const newFolderSweepMs = 500;

const versionOf = (file: StableFile): string => `${file.size}:${file.mtimeUs}`;

export function createIngestWatcher(opts: IngestWatcherOptions): IngestWatcher {
  /** fileKey → version last reported. Memory for "once per watcher lifetime"; isKnown covers restarts. */
  const reported = new Map<string, string>();
  const tracker = new StabilityTracker({
    windowMs: opts.stableWindowMs,
    isSettled: (file) => reported.get(fileKey(file.sourceId, file.relPath)) === versionOf(file) || opts.isKnown(withoutAbsPath(file)),
    onStable: (file) => {
      reported.set(fileKey(file.sourceId, file.relPath), versionOf(file));
      opts.onStable(file);
    },
    ...(opts.onArrival ? { onFirstSight: opts.onArrival } : {}),
    onSymlink: (ref) => void noticeSymlink(ref),
    ...(opts.emptyNoticeSec === undefined ? {} : { emptyNoticeMs: opts.emptyNoticeSec * 1000 }),
    onStillEmpty: (file, emptyForMs) => {
      const where = path.join(sources.get(file.sourceId)?.config.path ?? '', ...file.relPath.split('/'));
      const message = `${where} is still 0 bytes after ${Math.round(emptyForMs / 1000)} s — the camera or tether may have failed; the station will check it when it has data`;
      opts.onNotice?.({ sourceId: file.sourceId, relPath: file.relPath, kind: 'empty', message, mtimeUs: file.mtimeUs });
    },
  });
  /** fileKey of symbolic links already warned about; forgotten when the link goes. */
  const warnedLinks = new Set<string>();
  const sources = new Map<string, Source>(opts.sources.map((config) => [config.id, { config, matcher: createSourceMatcher(config), fsw: undefined, rootId: null, status: undefined, probing: false }]));
  const stopping = new AbortController();
  let started = false;
  let rescanTimer: NodeJS.Timeout | undefined;
  let probeTimer: NodeJS.Timeout | undefined;

  // Start-up and rescans run one after another: a walk never races a source being opened or closed.
  let serial: Promise<void> = Promise.resolve();
  let queued = 0;
  const inTurn = (task: () => Promise<void>): Promise<void> => {
    queued++;
    const run = serial.then(task).finally(() => queued--);
    serial = run.catch(() => undefined);
    return run;
  };
  const forEachSource = (task: (source: Source) => Promise<void>) => () => Promise.all([...sources.values()].map(task)).then(() => undefined);

  /** Reports changes only: a share that stays away is not re-announced on every rescan tick. */
  function setStatus(source: Source, status: SourceStatus): void {
    if (source.status && statusKey(source.status) === statusKey(status)) return;
    source.status = status;
    opts.onSourceStatus?.(status);
  }

  function unavailable(source: Source, message: string): void {
    setStatus(source, { sourceId: source.config.id, state: 'unavailable', message });
  }

  /** Watches the folder once it exists; resolves after chokidar's initial scan (its `add` events are start-up reconciliation). */
  async function open(source: Source): Promise<void> {
    const { config } = source;
    const problem = await prepareSourceFolder(config);
    if (stopping.signal.aborted) return;
    if (problem) return unavailable(source, problem);
    // The folder itself may be a link (to a share, say): chokidar, not following links, would watch
    // only the link, so it watches the folder the link resolves to.
    const root = await fs.realpath(config.path).catch(() => config.path);
    // Taken before watching starts: a folder replaced after this is noticed by the next probe.
    const rootId = await folderId(root);
    if (stopping.signal.aborted) return;
    const fsw = watch(root, {
      ignored: chokidarIgnored(root, source.matcher),
      ignoreInitial: false,
      usePolling: config.polling,
      interval: config.pollIntervalMs,
      // Images count as "binary" to chokidar, which would otherwise poll them at its own slower rate.
      binaryInterval: config.pollIntervalMs,
      depth: maxFolderDepth,
      // A link is reported as itself (and noticed), never followed: `ln -s . again` would repeat the folder.
      followSymlinks: false,
    });
    source.fsw = fsw;
    source.rootId = rootId;
    // chokidar's events before 'ready' are its initial scan: files written while the folder was not watched.
    let ready = false;
    const onFile = (absPath: string): void => {
      const relPath = relativePath(root, absPath);
      if (relPath) void tracker.track({ sourceId: config.id, absPath, relPath }, !ready);
    };
    fsw.on('add', onFile);
    fsw.on('change', onFile);
    fsw.on('unlink', (absPath) => {
      // The reported map would otherwise grow with every file a long-running station ever saw.
      const relPath = relativePath(root, absPath);
      if (!relPath) return;
      reported.delete(fileKey(config.id, relPath));
      warnedLinks.delete(fileKey(config.id, relPath));
      opts.onGone?.(config.id, relPath);
    });
    // chokidar reads a new folder before it watches it (paulmillr/chokidar#1471, still in v5): a file
    // written between the two is never reported, so a folder tree copied in could lose a file until
    // the next rescan. A folder that appears is read again once it is watched.
    fsw.on('addDir', (absPath) => {
      const relPath = ready ? relativePath(root, absPath) : null;
      if (relPath) setTimeout(() => void sweepNewFolder(source, fsw, relPath), newFolderSweepMs).unref();
    });
    // The folder itself went: look at once rather than at the next probe.
    fsw.on('unlinkDir', (absPath) => {
      if (path.resolve(absPath) === path.resolve(root)) void probe(source);
    });
    fsw.on('error', (err) => {
      log.error('watching a hot folder failed', { source: config.id, path: root, error: String(err) });
      void probe(source);
      unavailable(source, `Watching hot folder ${root} failed (${(err as NodeJS.ErrnoException).code ?? String(err)}) — new files may be missed until the next rescan`);
    });
    await new Promise<void>((resolve) => {
      const abort = (): void => resolve();
      stopping.signal.addEventListener('abort', abort, { once: true });
      fsw.once('ready', () => {
        ready = true;
        stopping.signal.removeEventListener('abort', abort);
        resolve();
      });
    });
    if (source.fsw === fsw && !stopping.signal.aborted) setStatus(source, { sourceId: config.id, state: 'watching' });
  }

  /**
   * One notice per link: a link to a folder (it is not entered, so a link loop cannot repeat the
   * folder's files) or one whose name the source's patterns would take.
   */
  async function noticeSymlink(ref: FileRef): Promise<void> {
    const key = fileKey(ref.sourceId, ref.relPath);
    const source = sources.get(ref.sourceId);
    if (!source || warnedLinks.has(key)) return;
    const [target, link] = await Promise.all([fs.stat(ref.absPath).catch(() => null), fs.lstat(ref.absPath, { bigint: true }).catch(() => null)]);
    const folder = target?.isDirectory() ?? false;
    // Gone meanwhile (no link to stat): nothing to notice.
    if (!link || (!folder && source.matcher.excludes(ref.relPath, true)) || warnedLinks.has(key) || stopping.signal.aborted) return;
    warnedLinks.add(key);
    const what = folder ? 'links to a folder, which the station does not enter' : 'is a symbolic link: the station takes only real files';
    const fix = folder ? 'copy or move the files themselves into the hot folder' : 'copy the file itself into the hot folder';
    opts.onNotice?.({ sourceId: ref.sourceId, relPath: ref.relPath, kind: 'symlink', message: `${path.join(source.config.path, ...ref.relPath.split('/'))} ${what}; ${fix}`, mtimeUs: Number(link.mtimeNs / 1000n) });
  }

  async function close(source: Source): Promise<void> {
    const { fsw } = source;
    source.fsw = undefined;
    await fsw?.close();
  }

  /** True when the watched folder is no longer the one the source's path leads to (deleted, moved away, replaced, unmounted). */
  async function rootMoved(source: Source): Promise<boolean> {
    if (source.fsw === undefined) return false;
    const now = await folderId(source.config.path);
    return now !== 'unknown' && now !== source.rootId;
  }

  /**
   * A watcher on a folder that is gone sees nothing, and one on a folder moved away sees the wrong
   * files: stop it, say the folder is missing, and watch the folder now at the path (if there is one).
   * Runs in turn.
   */
  async function reopen(source: Source): Promise<void> {
    if (stopping.signal.aborted || !(await rootMoved(source))) return;
    const { config } = source;
    await close(source);
    const gone = await fs.stat(config.path).then(
      (st) => (st.isDirectory() ? null : Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })),
      (err: NodeJS.ErrnoException) => err,
    );
    if (gone) return unavailable(source, unreachable(config.path, gone));
    log.warn('the hot folder was replaced (deleted and made again, moved, or remounted): watching the new one', { source: config.id, path: config.path });
    await open(source);
  }

  /**
   * Watches an unavailable source as soon as its folder is there, and notices a watched one that is
   * gone or replaced, without waiting for the next rescan: one stat per source each appearProbeMs.
   */
  async function probe(source: Source): Promise<void> {
    if (source.probing || stopping.signal.aborted) return;
    source.probing = true;
    if (source.fsw) {
      const moved = await rootMoved(source);
      source.probing = false;
      if (moved) await inTurn(() => reopen(source));
      return;
    }
    // Readable too: a folder the station may not read would be opened, and fail, on every probe.
    const there = await fs.stat(source.config.path).then(
      (st) => st.isDirectory() && fs.access(source.config.path, fsConstants.R_OK | fsConstants.X_OK).then(() => true, () => false),
      () => false,
    );
    source.probing = false;
    if (there) await inTurn(async () => (source.fsw || stopping.signal.aborted ? undefined : open(source)));
  }

  /** The files of a folder that appeared while `fsw` watched the source; one that went meanwhile is no news. */
  async function sweepNewFolder(source: Source, fsw: FSWatcher, relPath: string): Promise<void> {
    try {
      for await (const file of walkIncluded(source.config.path, source.matcher, relPath)) {
        if (stopping.signal.aborted || source.fsw !== fsw) return;
        await tracker.track({ sourceId: source.config.id, ...file });
      }
    } catch {
      // Removed or renamed since it appeared: its files, if any, are reported where they went.
    }
  }

  async function rescanSource(source: Source): Promise<void> {
    if (!source.fsw) return open(source);
    if (await rootMoved(source)) return reopen(source);
    const { config } = source;
    try {
      for await (const file of walkIncluded(config.path, source.matcher)) {
        if (stopping.signal.aborted) return;
        // One file at a time: a rescan of a large share must not flood it with stats.
        await tracker.track({ sourceId: config.id, ...file });
      }
      setStatus(source, { sourceId: config.id, state: 'watching' });
    } catch (err) {
      // Only the root can fail a walk: the folder or its share is gone. Watch it again once it is back.
      await close(source);
      unavailable(source, unreachable(config.path, err as NodeJS.ErrnoException));
    }
  }

  function recheck(sourceId: string, relPath: string): void {
    const source = sources.get(sourceId);
    if (source && started && !stopping.signal.aborted) void tracker.track({ sourceId, relPath, absPath: path.join(source.config.path, ...relPath.split('/')) });
  }

  return {
    async start() {
      if (started || stopping.signal.aborted) throw new Error('an ingest watcher starts once; create a new one');
      started = true;
      if (opts.rescanIntervalSec > 0) {
        rescanTimer = setInterval(() => {
          // A rescan still waiting or running covers this tick too.
          if (queued === 0) void inTurn(forEachSource(rescanSource));
        }, opts.rescanIntervalSec * 1000);
        rescanTimer.unref();
      }
      probeTimer = setInterval(() => {
        for (const source of sources.values()) void probe(source);
      }, appearProbeMs);
      probeTimer.unref();
      await inTurn(forEachSource(open));
    },

    async stop() {
      stopping.abort();
      clearInterval(rescanTimer);
      clearInterval(probeTimer);
      tracker.stop();
      await Promise.all([...sources.values()].map(close));
      await serial;
    },

    forget(sourceId, relPath) {
      reported.delete(fileKey(sourceId, relPath));
      // No event will come for a file that has not changed: look at it again now.
      recheck(sourceId, relPath);
    },

    recheck,

    async rescan() {
      // Before start() there is nothing to reconcile with; after stop() nothing may be watched again.
      if (started && !stopping.signal.aborted) await inTurn(forEachSource(rescanSource));
    },
  };
}

/**
 * dev:ino of the folder `p` leads to; null when there is no folder there (ENOENT, ENOTDIR, a file);
 * 'unknown' when it cannot be looked at now (EIO, ETIMEDOUT, ESTALE, EACCES on a share that
 * hiccups): that is no proof the folder went, so the watcher is kept rather than reopened with a
 * full rescan at every probe.
 */
async function folderId(p: string): Promise<string | null | 'unknown'> {
  try {
    const st = await fs.stat(p, { bigint: true });
    return st.isDirectory() ? `${st.dev}:${st.ino}` : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : 'unknown';
  }
}

function statusKey(status: SourceStatus): string {
  return status.state === 'watching' ? status.state : `${status.state}: ${status.message}`;
}

function withoutAbsPath(file: StableFile): Omit<StableFile, 'absPath'> {
  return { sourceId: file.sourceId, relPath: file.relPath, size: file.size, mtimeUs: file.mtimeUs };
}
