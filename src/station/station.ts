/**
 * The running station: hot-folder watcher → bounded QC queue → store, with events for every
 * transport. Everything it needs comes in through its config, so the CLI, the Electron shell and
 * the tests each point it at their own folders.
 */
import { EventEmitter } from 'node:events';
import type { StationConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import type { StationEventName, StationEvents } from '../contract/events.js';
import type { IngestWatcher, IngestWatcherOptions, StableFile } from '../ingest/types.js';
import { createIngestWatcher } from '../ingest/watcher.js';
import { WorkQueue } from '../ingest/work-queue.js';
import { createLogger } from '../log/logger.js';
import type { CaptureStore } from '../store/captures.js';
import { openStore, type StationStore } from '../store/open.js';
import type { FolderTargetFaults } from '../upload/folder-target.js';
import { createTargets } from '../upload/targets.js';
import { Uploader } from '../upload/uploader.js';
import { describeCapture } from './describe.js';
import { checkAndRecord, closePairWindow, type QcSettings } from './qc-record.js';

const log = createLogger('station');
/** The emitter key onAny listens on; a symbol, so it can never clash with an event name. */
const anyEvent = Symbol('any station event');

export interface StationOptions {
  /** Replaces the file-system watcher (tests of the pipeline alone). */
  createWatcher?: (opts: IngestWatcherOptions) => IngestWatcher;
  /** Fault seams of folder upload targets, by target id (fault tests). */
  folderTargetFaults?: Record<string, FolderTargetFaults>;
}

export class Station {
  readonly store: CaptureStore;
  private readonly storeHandle: StationStore;
  private readonly events = new EventEmitter();
  private readonly queue: WorkQueue;
  private readonly watcher: IngestWatcher;
  private readonly sources: Map<string, SourceConfig>;
  private readonly stopping = new AbortController();
  private readonly pairTimers = new Set<NodeJS.Timeout>();
  private readonly sourceStatus = new Map<string, StationEvents['source.status']>();
  private readonly settings: QcSettings;
  /** The upload queue runner; idle when no target is configured. */
  readonly uploader: Uploader;
  readonly startedAt = new Date().toISOString();

  constructor(
    readonly config: StationConfig,
    opts: StationOptions = {},
  ) {
    this.storeHandle = openStore(config.locations.database);
    this.store = this.storeHandle.captures;
    this.store.syncSources(config.sources);
    this.sources = new Map(config.sources.map((s) => [s.id, s]));
    this.settings = { analyze: config.qc, truncatedRetries: config.ingest.truncatedRetries, truncatedRetryDelayMs: config.ingest.truncatedRetryDelayMs };
    this.queue = new WorkQueue({ concurrency: config.ingest.concurrency });
    this.events.setMaxListeners(0);
    this.uploader = new Uploader({
      db: this.storeHandle.db,
      targetConfigs: config.targets,
      targets: createTargets(config.targets, opts.folderTargetFaults ? { folderFaults: opts.folderTargetFaults } : {}),
      settings: config.upload,
      onTransition: (t) => this.emit('upload.job', t),
    });
    this.uploader.attach(this.store);
    this.watcher = (opts.createWatcher ?? createIngestWatcher)({
      sources: config.sources,
      stableWindowMs: config.ingest.stableWindowMs,
      rescanIntervalSec: config.ingest.rescanIntervalSec,
      isKnown: (v) => this.store.isKnown(v),
      onStable: (file) => this.submit(file),
      onSourceStatus: (status) => {
        this.sourceStatus.set(status.sourceId, status);
        if (status.state === 'unavailable') log.error(status.message, { source: status.sourceId });
        else log.info('watching hot folder', { source: status.sourceId, path: this.sources.get(status.sourceId)?.path });
        this.emit('source.status', status);
      },
    });
  }

  async start(): Promise<void> {
    const interrupted = this.store.interruptedAttempts();
    if (interrupted.length > 0) log.warn('files were being checked when the station last stopped; checking them again', { files: interrupted.map((a) => a.relPath) });
    this.reopenPairWindows();
    await this.watcher.start();
    this.uploader.start();
    log.info('station started', { station: this.config.stationId, sources: this.config.sources.length, database: this.config.locations.database });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.uploader.stop();
    await this.watcher.stop();
    this.queue.clear();
    await this.queue.onIdle();
    for (const t of this.pairTimers) clearTimeout(t);
    this.pairTimers.clear();
    this.storeHandle.close();
    log.info('station stopped');
  }

  on<E extends StationEventName>(event: E, listener: (payload: StationEvents[E]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  /** Every event, with its name (the transports forward them all). */
  onAny(listener: (event: StationEventName, payload: StationEvents[StationEventName]) => void): () => void {
    this.events.on(anyEvent, listener);
    return () => this.events.off(anyEvent, listener);
  }

  /** Resolves when no file is waiting or being checked. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  rescan(): Promise<void> {
    return this.watcher.rescan();
  }

  status() {
    return {
      stationId: this.config.stationId,
      startedAt: this.startedAt,
      configFile: this.config.configFile,
      database: this.config.locations.database,
      sources: this.config.sources.map((s) => ({ id: s.id, path: s.path, kind: s.kind, profile: s.profile, status: this.sourceStatus.get(s.id) ?? null })),
      queue: { waiting: this.queue.size, checking: this.queue.pending },
      captures: this.store.counts(),
      upload: { active: this.uploader.active, targets: this.config.targets.map((t) => t.id) },
    };
  }

  private emit<E extends StationEventName>(event: E, payload: StationEvents[E]): void {
    this.events.emit(event, payload);
    this.events.emit(anyEvent, event, payload);
  }

  private submit(file: StableFile): void {
    if (this.stopping.signal.aborted) return;
    this.queue.add(`${file.sourceId}\u0000${file.relPath}\u0000${file.size}\u0000${file.mtimeUs}`, () => this.process(file));
  }

  private async process(file: StableFile): Promise<void> {
    const source = this.sources.get(file.sourceId);
    const profile = source && this.config.profiles[source.profile];
    if (!profile) throw new Error(`no profile for source ${file.sourceId}`);
    this.emit('capture.checking', { sourceId: file.sourceId, relPath: file.relPath });
    const outcome = await checkAndRecord(file, profile, this.store, this.settings, this.stopping.signal);
    if (outcome.kind === 'abandoned') {
      log.info('not recorded yet', { source: file.sourceId, file: file.relPath, reason: outcome.reason });
      return;
    }
    if (!outcome.created) return;
    const line = describeCapture(outcome.record, outcome.results);
    if (outcome.record.verdict === 'fail') log.error(line);
    else if (outcome.record.verdict === 'warn') log.warn(line);
    else log.info(line);
    this.emit('capture.recorded', { capture: outcome.record });
    for (const partner of outcome.rechecked) this.emit('capture.rechecked', { capture: partner });
    if (outcome.pairWaiting) this.schedulePairWindow(outcome.record.id, profile.pairs.windowSec * 1000);
  }

  private schedulePairWindow(captureId: number, ms: number): void {
    const timer = setTimeout(() => {
      this.pairTimers.delete(timer);
      const capture = this.store.get(captureId);
      const profile = capture && this.config.profiles[this.sources.get(capture.sourceId)?.profile ?? ''];
      if (!profile) return;
      const updated = closePairWindow(this.store, profile, captureId);
      if (updated) {
        log.warn(`pair check settled: ${updated.relPath} is now ${updated.verdict.toUpperCase()}`, { source: updated.sourceId });
        this.emit('capture.rechecked', { capture: updated });
      }
    }, Math.max(0, ms));
    timer.unref();
    this.pairTimers.add(timer);
  }

  /** Pair windows that were open when the station stopped close at their original deadline. */
  private reopenPairWindows(): void {
    for (const waiting of this.store.capturesAwaitingPair()) {
      const profile = this.config.profiles[this.sources.get(waiting.sourceId)?.profile ?? ''];
      if (!profile) continue;
      this.schedulePairWindow(waiting.id, Date.parse(waiting.checkedAt) + profile.pairs.windowSec * 1000 - Date.now());
    }
  }
}
