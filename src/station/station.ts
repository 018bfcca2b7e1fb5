/**
 * The running station: hot-folder watcher → bounded QC queue → store, with events for every
 * transport. Everything it needs comes in through its config, so the CLI, the Electron shell and
 * the tests each point it at their own folders.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { UsbBackend } from '../barcode/usb/backend.js';
import { createNodeUsbBackend } from '../barcode/usb/node-usb-backend.js';
import { ScannerService } from '../barcode/usb/scanner-service.js';
import type { UsbScan } from '../barcode/usb/status.js';
import type { ConfigProblem, StationConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import type { StationEventName, StationEvents } from '../contract/events.js';
import type { IngestWatcher, IngestWatcherOptions, SourceStatus, StableFile } from '../ingest/types.js';
import { isStationInbox } from '../ingest/source-folder.js';
import { createIngestWatcher } from '../ingest/watcher.js';
import { WorkQueue } from '../ingest/work-queue.js';
import { expectationsOf } from '../linking/expected.js';
import { Linker } from '../linking/linker.js';
import { decodeImageBarcodes } from '../barcode/image/decode-image.js';
import type { SearchGoal } from '../barcode/image/protocol.js';
import type { SharedJpegDecode } from '../quality/shared-jpeg.js';
import { ZxingPool } from '../barcode/image/zxing-pool.js';
import { createLogger } from '../log/logger.js';
import { PreviewService } from '../preview/service.js';
import type { CaptureStore } from '../store/captures.js';
import { acquireInstanceLock, type InstanceLock } from '../store/instance-lock.js';
import { openStore, type StationStore } from '../store/open.js';
import { SessionStore, type SessionRecord } from '../store/sessions.js';
import { StationError } from '../errors.js';
import type { FolderTargetFaults } from '../upload/folder-target.js';
import { applyRetention, retentionCandidates } from '../upload/retention.js';
import { diskStatus, watchedFolders, type DiskStatus } from './disk-space.js';
import { createTargets } from '../upload/targets.js';
import { Uploader } from '../upload/uploader.js';
import { describeCapture, verdictLevel } from './describe.js';
import { DiskAlarms } from './disk-alarms.js';
import { IngestNotices } from './ingest-notices.js';
import { refuseRenamedSources, renamedSourceProblems } from './source-renames.js';
import { ConfigDriftWatch } from './config-drift.js';
import { LogFileAlarm } from './log-file-alarm.js';
import { warmUp } from './warm-up.js';
import { checkAndRecord, closePairWindow, type QcSettings, type Retry } from './qc-record.js';
import { isStationFault, RecordFaults, retryDelayMs } from './record-faults.js';

const log = createLogger('station');
/** The emitter key onAny listens on; a symbol, so it can never clash with an event name. */
const anyEvent = Symbol('any station event');

export interface StationOptions {
  /** Replaces the file-system watcher (tests of the pipeline alone). */
  createWatcher?: (opts: IngestWatcherOptions) => IngestWatcher;
  /** Fault seams of folder upload targets, by target id (fault tests). */
  folderTargetFaults?: Record<string, FolderTargetFaults>;
  /** Replaces the `usb` package as the USB stack (tests of USB scanner input). */
  usbBackend?: () => Promise<UsbBackend>;
  /** The linker's clock (ms since the epoch) for idle timeouts and waits for a barcode (tests move it on). */
  now?: () => number;
}

export class Station {
  readonly store: CaptureStore;
  private readonly storeHandle: StationStore;
  private readonly instanceLock: InstanceLock;
  private readonly events = new EventEmitter();
  private readonly queue: WorkQueue;
  private readonly watcher: IngestWatcher;
  private readonly sources: Map<string, SourceConfig>;
  private readonly stopping = new AbortController();
  private readonly pairTimers = new Set<NodeJS.Timeout>();
  /** As the watcher last reported it; sourceStatusNow() adds the station's own faults. */
  private readonly sourceStatus = new Map<string, SourceStatus>();
  private readonly faults: RecordFaults;
  /** qcKey → source of the files waiting to be tried again after a failed write: tried at once when their source works again. */
  private readonly failedWrites = new Map<string, string>();
  /** Per source, when its last file arrived (complete in the hot folder): the camera's sign of life. */
  private readonly lastFileAt = new Map<string, string>();
  private readonly settings: QcSettings;
  /** zxing worker for the barcodes in captures; null unless linking and linking.imageBarcodes are on. */
  private readonly barcodePool: ZxingPool | null;
  /** warmUp() while it runs: stop() waits for it, so its file is gone before the process ends. */
  private warming: Promise<void> = Promise.resolve();
  /** The upload queue runner; idle when no target is configured. */
  readonly uploader: Uploader;
  /** Operator sessions: who shoots which project (captures record the open one). */
  readonly sessions: SessionStore;
  /** Barcode linking and filing; scans are refused while `linking.enabled` is off. */
  readonly linker: Linker;
  /** USB barcode scanners; null unless linking.enabled and linking.usb.enabled. */
  readonly scanners: ScannerService | null;
  /** Display previews with histogram and clipping, made after QC, one at a time. */
  readonly previews: PreviewService;
  readonly startedAt = new Date().toISOString();
  private retentionTimer: NodeJS.Timeout | null = null;
  /** The running or finished start(); stop() waits for it (see start). */
  private starting: Promise<void> = Promise.resolve();
  private retentionRun: Promise<void> = Promise.resolve();
  private disks: DiskStatus[] = [];
  private readonly diskAlarms: DiskAlarms;
  /** Hot-folder files the station will not take as they are: affected now, and warned about once per version. */
  private readonly notices: IngestNotices;
  /** Edits to the config file since the start, which apply only at the next start. */
  private readonly configDrift: ConfigDriftWatch;
  /** The station's log file, as the CLI that writes it tells (logFileProblem). */
  private readonly logFileAlarm: LogFileAlarm;

  constructor(
    readonly config: StationConfig,
    opts: StationOptions = {},
  ) {
    // One station per database: a second one fails here, naming the pid and host holding it.
    fs.mkdirSync(path.dirname(config.locations.database), { recursive: true });
    if (config.sources.some((s) => isStationInbox(s, config.locations))) fs.mkdirSync(config.locations.inbox, { recursive: true });
    this.instanceLock = acquireInstanceLock(config.locations.database);
    this.faults = new RecordFaults(config.locations.database);
    // Whatever fails after the lock is taken must give it back, or this process could never start a station again.
    let store: StationStore | null = null;
    try {
      this.storeHandle = store = openStore(config.locations.database);
      this.store = this.storeHandle.captures;
      refuseRenamedSources(this.storeHandle.db, config.sources, config.configFile);
      this.store.syncSources(config.sources);
      this.sessions = new SessionStore(this.storeHandle.db);
      this.diskAlarms = new DiskAlarms(this.storeHandle.db);
      this.notices = new IngestNotices(this.storeHandle.db);
      this.logFileAlarm = new LogFileAlarm(this.storeHandle.db);
      this.configDrift = new ConfigDriftWatch({ config, refusals: (next) => this.configRefusals(next), changed: (configChanged) => this.emit('config.changed', { configChanged }) });
      for (const s of config.sources) {
        const last = this.store.lastDetectedAt(s.id);
        if (last) this.lastFileAt.set(s.id, last);
      }
      this.sources = new Map(config.sources.map((s) => [s.id, s]));
      this.settings = { analyze: config.qc, truncatedRetries: config.ingest.truncatedRetries, truncatedRetryDelayMs: config.ingest.truncatedRetryDelayMs };
      this.barcodePool = config.linking.enabled && config.linking.imageBarcodes ? new ZxingPool() : null;
      const pool = this.barcodePool;
      const searchImage = pool && ((file: string, goal: SearchGoal, shared?: SharedJpegDecode) => decodeImageBarcodes(file, { rules: config.linking.barcode, formats: config.linking.imageFormats, templates: config.linking.imageCodeTemplates, pool, shared, goal }));
      if (searchImage) {
        this.settings.barcodes = {
          decode: (file, shared, goal) => searchImage(file, goal, shared),
          openObject: (sourceId, relPath) => this.linker.barcodeFor(sourceId, relPath),
          goal: (sourceId, relPath) => this.linker.searchGoal(sourceId, relPath),
        };
      }
      this.queue = new WorkQueue({ concurrency: config.ingest.concurrency });
      this.events.setMaxListeners(0);
      // Before the uploader: its capture hook must see the link the linker's hook writes.
      this.linker = new Linker({
        db: this.storeHandle.db,
        captures: this.store,
        config: config.linking,
        sources: config.sources,
        profiles: config.profiles,
        stationId: config.stationId,
        library: config.locations.library,
        onEffect: (sourceId, effect) => this.emit('link.effect', { sourceId, effect }),
        onRechecked: (capture) => this.emit('capture.rechecked', { capture }),
        ...(searchImage ? { searchAgain: searchImage } : {}),
        onRenamed: (captureIds) => this.uploader.renamed(captureIds),
        onEdited: (captureIds) => captureIds.forEach((captureId) => this.emit('capture.changed', { captureId })),
        ...(opts.now ? { now: opts.now } : {}),
      });
      this.scanners =
        config.linking.enabled && config.linking.usb.enabled
          ? new ScannerService({
              backend: opts.usbBackend ?? (() => createNodeUsbBackend()),
              config: config.linking.usb,
              onScan: (scan) => this.usbScan(scan),
              onStatus: (status) => this.emit('scanner.status', status),
            })
          : null;
      this.uploader = new Uploader({
        db: this.storeHandle.db,
        targetConfigs: config.targets,
        targets: createTargets(config.targets, { stationId: config.stationId, library: config.locations.library, ...(opts.folderTargetFaults ? { folderFaults: opts.folderTargetFaults } : {}) }),
        settings: config.upload,
        onTransition: (t) => this.emit('upload.job', t),
      });
      this.uploader.attach(this.store);
      // Hooks run inside the transaction that changed the capture: announced once it has committed.
      this.store.addHook((_db, capture, change) => {
        if (change === 'changed') queueMicrotask(() => this.emit('capture.changed', { captureId: capture.id }));
      });
      this.previews = new PreviewService({
        captures: this.store,
        cacheDir: path.join(config.locations.dataDir, 'previews'),
        maxCacheBytes: config.preview.cacheMB * 1024 * 1024,
        render: { longEdge: config.preview.longEdge, maxInputPixels: config.qc.maxInputPixels, timeoutSec: config.qc.decodeTimeoutSec },
        qcIdle: () => this.idle(),
      });
      this.watcher = (opts.createWatcher ?? createIngestWatcher)({
        sources: config.sources,
        stableWindowMs: config.ingest.stableWindowMs,
        rescanIntervalSec: config.ingest.rescanIntervalSec,
        emptyNoticeSec: config.ingest.emptyWarnSec,
        isKnown: (v) => this.store.isKnown(v),
        onStable: (file) => this.submit(file),
        onArrival: (file, found) => this.linker.arrival(file.sourceId, file.relPath, found, file.mtimeUs),
        onGone: (sourceId, relPath) => {
          this.linker.gone(sourceId, relPath);
          this.noticeResolved(sourceId, relPath);
        },
        onSourceStatus: (status) => {
          this.sourceStatus.set(status.sourceId, status);
          if (status.state === 'unavailable') log.error(status.message, { source: status.sourceId });
          else log.info('watching hot folder', { source: status.sourceId, path: this.sources.get(status.sourceId)?.path });
          this.emitSourceStatus(status.sourceId);
        },
        onNotice: (notice) => {
          // Found again after a restart, the same version is not warned about again; the screens still list it.
          if (this.notices.add(notice)) {
            log.warn(notice.message, { source: notice.sourceId, file: notice.relPath });
            this.emit('ingest.notice', notice);
          } else log.debug('still in the hot folder, warned about before', { source: notice.sourceId, file: notice.relPath, kind: notice.kind });
          this.emit('ingest.notices', { notices: this.notices.list() });
        },
      });
    } catch (err) {
      store?.close();
      this.instanceLock.release();
      throw err;
    }
  }

  /**
   * Starts the station. A stop() that comes while this runs (Ctrl+C during start) waits for the step
   * in progress, and no later step runs: nothing is started, and no timer set, after stop() tore down.
   */
  start(): Promise<void> {
    this.starting = this.startSteps();
    return this.starting;
  }

  private async startSteps(): Promise<void> {
    const stopped = () => this.stopping.signal.aborted;
    const interrupted = this.store.interruptedAttempts();
    if (interrupted.length > 0) log.warn('files were being checked when the station last stopped; checking them again', { files: interrupted.map((a) => a.relPath) });
    this.reopenPairWindows();
    await this.linker.start();
    if (stopped()) return;
    await this.scanners?.start();
    if (stopped()) return;
    await this.watcher.start();
    if (stopped()) return;
    this.uploader.start();
    if (this.config.retention.deleteLocal && !this.config.targets.some((t) => t.required)) {
      log.warn('retention.deleteLocal is on but no upload target is required, so no local file will ever be removed: a file is removed only once every required target holds a verified copy, and with none the local file may be the only one. Mark the targets that count as copies "required": true.');
    }
    this.retentionRun = this.keepDisks();
    this.retentionTimer = setInterval(() => {
      this.retentionRun = this.retentionRun.then(() => this.keepDisks());
    }, this.config.retention.checkIntervalSec * 1000);
    this.retentionTimer.unref();
    await this.configDrift.start();
    log.info('station started', { station: this.config.stationId, sources: this.config.sources.length, database: this.config.locations.database });
  }

  /**
   * Pays in the background what the first capture of the process would (warm-up.ts). For the
   * runtimes that keep a station running (`run`, `serve`, the desktop app), once it has started.
   */
  warmUp(): void {
    if (this.stopping.signal.aborted) return;
    this.warming = warmUp(this.settings).catch((err: unknown) => log.debug('the warm-up did not finish; the first capture pays for the start instead', { error: String(err) }));
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.starting.catch(() => undefined);
    // First: no scan may reach the linker while it stops, and the scanners type as keyboards again.
    await this.scanners?.stop();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.retentionRun;
    await this.configDrift.stop();
    await this.uploader.stop();
    await this.watcher.stop();
    this.queue.clear();
    await this.queue.onIdle();
    await this.previews.close();
    await this.linker.stop();
    await this.warming;
    await this.barcodePool?.close();
    for (const t of this.pairTimers) clearTimeout(t);
    this.pairTimers.clear();
    this.storeHandle.close();
    this.instanceLock.release();
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
      version: this.config.version,
      startedAt: this.startedAt,
      configFile: this.config.configFile,
      database: this.config.locations.database,
      sources: this.config.sources.map((s) => ({ id: s.id, path: s.path, kind: s.kind, profile: s.profile, ...expectationsOf(s, this.config.linking), status: this.sourceStatusNow(s.id), lastFileAt: this.lastFileAt.get(s.id) ?? null })),
      queue: { waiting: this.queue.size, checking: this.queue.pending },
      captures: this.store.counts(),
      upload: { active: this.uploader.active, targets: this.config.targets.map((t) => t.id) },
      linking: { enabled: this.config.linking.enabled, open: this.linker.current(), views: this.config.linking.views, expectedShots: this.config.linking.expectedShots, lastScanAt: this.linker.lastScanAt() },
      /** Hot-folder files the station will not take as they are (symbolic links, files still empty), now. */
      ingestNotices: this.notices.list(),
      usbScanners: this.scanners?.statuses() ?? [],
      disks: this.disks,
      session: this.sessions.current(),
      /** What the session start panel offers: the configured projects (empty = free text), recent operators, the last project. */
      sessionChoices: { projects: this.config.linking.projects, operators: this.sessions.recentOperators(), lastProject: this.sessions.lastProject() },
      ui: this.config.ui,
      /** scan-after-capture: per source, the shots waiting for their object's barcode (none: left out). */
      waitingShots: this.linker.waitingShots(),
      /** The config file as edited since the start (null: unchanged); it applies only at the next start. */
      configChanged: this.configDrift.current(),
      /** The log file could not be written or rotated (problem), or is written again (problem null); null: no problem since the start. */
      logFile: this.logFileAlarm.current(),
    };
  }

  /**
   * What the log file's writer tells (cli/run.ts): it cannot be written, or is again (null). Shown on
   * the screens and logged as an event, once per episode. Called from a log sink, so it never throws.
   */
  logFileProblem(file: string, problem: string | null): void {
    // Once stopping, the database is closing: the stderr warning is all there is.
    if (this.stopping.signal.aborted) return;
    const changed = this.logFileAlarm.record(file, problem);
    if (changed) this.emit('log.file', changed);
  }

  /** What a start on `next` would refuse that only this station's database knows: a hot folder now under another id. */
  configRefusals(next: StationConfig): ConfigProblem[] {
    return renamedSourceProblems(this.storeHandle.db, next.sources);
  }

  startSession(operator: string, project: string): SessionRecord {
    const { session, ended } = this.sessions.start(operator, project, this.config.linking.projects);
    if (ended) this.emit('session.ended', { session: ended });
    log.info('session started', { operator, project });
    this.emit('session.started', { session });
    return session;
  }

  endSession(): SessionRecord {
    const ended = this.sessions.end();
    if (!ended) throw new StationError('NOT_FOUND', 'No session is open: there is nothing to end.');
    log.info('session ended', { operator: ended.operator, project: ended.project });
    this.emit('session.ended', { session: ended });
    return ended;
  }

  /**
   * Free-disk check (a log line and an event when a disk's level changes) and, when the config asks,
   * removal of local files every required target has verified (upload/retention.ts).
   */
  private async keepDisks(): Promise<void> {
    try {
      const { retention, targets } = this.config;
      const disks = diskStatus(watchedFolders(this.config), { ...retention, requiredTargets: targets.filter((t) => t.required).length });
      for (const d of disks) {
        const before = this.disks.find((b) => b.path === d.path)?.level ?? 'ok';
        if (d.level !== before) {
          const folders = d.folders.map((f) => f.path);
          if (d.level === 'ok') log.info('enough free disk space again', { folders });
          else (d.level === 'critical' ? log.error : log.warn)(d.message!, { folders });
          this.emit('disk.status', d);
        }
      }
      this.diskAlarms.record(disks);
      this.disks = disks;
      if (!retention.deleteLocal) return;
      const required = targets.filter((t) => t.required).map((t) => t.id);
      const removed = await applyRetention(this.storeHandle.db, retentionCandidates(this.storeHandle.db, required, retention.keepDays), required, this.uploader, this.stopping.signal);
      if (removed.length > 0) log.info('removed local files verified at every required target', { count: removed.length, keepDays: retention.keepDays });
    } catch (err) {
      log.error('retention check failed; nothing was removed after the error', { error: String(err) });
    }
  }

  /** A scan from a USB scanner goes through the same core command as every other input. */
  private usbScan(scan: UsbScan): void {
    if (this.stopping.signal.aborted) return;
    try {
      const outcome = this.linker.scan(scan.code, scan.sourceId ?? undefined);
      log.info(`USB scan ${outcome.code}`, { device: scan.deviceId, source: outcome.sourceId, kind: outcome.kind });
    } catch (err) {
      // A refused scan (pattern, check digit, unknown source) is the technician's to see, not a fault.
      log.warn(err instanceof Error ? err.message : String(err), { device: scan.deviceId, code: scan.code });
    }
  }

  private emit<E extends StationEventName>(event: E, payload: StationEvents[E]): void {
    this.events.emit(event, payload);
    this.events.emit(anyEvent, event, payload);
  }

  private submit(file: StableFile): void {
    if (this.stopping.signal.aborted) return;
    this.lastFileAt.set(file.sourceId, new Date().toISOString());
    this.queue.add(qcKey(file), () => this.attempt(file));
  }

  /**
   * A file that could not be recorded because of the station (its database cannot be written, a
   * disk is full) is tried again after a growing wait, and its source shows why until one goes
   * through: the watcher reports each version once, so nothing else would ever look at it again.
   */
  private async attempt(file: StableFile, again?: Retry, failures = 0): Promise<void> {
    let recorded: boolean;
    try {
      recorded = await this.process(file, again);
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      if (!isStationFault(err)) {
        // The file's or the code's fault (a hook, a constraint): a retry would fail the same way, forever.
        // Its attempt marker stays, so each start checks it again and, after maxInterruptedAttempts, records it unchecked.
        this.failedWrites.delete(qcKey(file));
        log.error(`cannot check ${file.relPath}; it stays in the hot folder and is checked again at the next start`, {
          source: file.sourceId,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
        return;
      }
      if (this.faults.failed(file.sourceId, file.relPath, err)) this.emitSourceStatus(file.sourceId);
      // Not a crash while decoding it: left counted, enough failed writes would fail the file unchecked.
      // This write may fail too (the database is full); then so does the next attempt's count.
      try {
        this.store.endAttempt(file);
      } catch {
        // The fault above is what the technician sees; the retry tries again.
      }
      this.queue.addLater(qcKey(file), retryDelayMs(failures + 1), () => this.attempt(file, again, failures + 1));
      this.failedWrites.set(qcKey(file), file.sourceId);
      return;
    }
    this.failedWrites.delete(qcKey(file));
    // A file removed, changed, truncated or recorded before shows nothing about the database: only a write does.
    if (!recorded || !this.faults.succeeded(file.sourceId)) return;
    this.emitSourceStatus(file.sourceId);
    // The files that failed before this one need not wait out their back-off now that it works.
    for (const [key, sourceId] of this.failedWrites) {
      if (sourceId === file.sourceId) this.queue.hurry(key);
    }
  }

  /** The watcher's status, unless its folder is watched but its files cannot be recorded. */
  private sourceStatusNow(sourceId: string): SourceStatus | null {
    const watched = this.sourceStatus.get(sourceId);
    const fault = this.faults.get(sourceId);
    // A folder that cannot be reached is the first thing to fix: its status stays the watcher's.
    if (fault && watched?.state !== 'unavailable') return { sourceId, state: 'failing', message: fault.message };
    return watched ?? null;
  }

  private emitSourceStatus(sourceId: string): void {
    const status = this.sourceStatusNow(sourceId);
    if (status) this.emit('source.status', status);
  }

  /** True when a new capture was written. */
  private async process(file: StableFile, again?: Retry): Promise<boolean> {
    const source = this.sources.get(file.sourceId);
    const profile = source && this.config.profiles[source.profile];
    if (!profile) throw new Error(`no profile for source ${file.sourceId}`);
    this.emit('capture.checking', { sourceId: file.sourceId, relPath: file.relPath });
    const outcome = await checkAndRecord(file, profile, this.store, this.settings, again);
    if (outcome.kind === 'retry') {
      // Waits outside the QC slots, so the files behind a truncated one are not held up by it.
      if (!this.stopping.signal.aborted) this.queue.addLater(qcKey(file), outcome.afterMs, () => this.attempt(file, outcome.again));
      return false;
    }
    if (outcome.kind === 'abandoned') {
      log.info('not recorded yet', { source: file.sourceId, file: file.relPath, reason: outcome.reason });
      // The newer version is normally reported by its own change event; looking now covers a missed one.
      if (outcome.changed && !this.stopping.signal.aborted) this.watcher.recheck(file.sourceId, file.relPath);
      return false;
    }
    if (!outcome.created) return false;
    log[verdictLevel(outcome.record.verdict)](describeCapture(outcome.record, outcome.results));
    this.emit('capture.recorded', { capture: outcome.record });
    this.noticeResolved(file.sourceId, file.relPath);
    for (const partner of outcome.rechecked) this.emit('capture.rechecked', { capture: partner });
    if (outcome.pairWaiting) this.schedulePairWindow(outcome.record.id, profile.pairs.windowSec * 1000);
    return true;
  }

  /** A file with a notice left the hot folder or was recorded: the screens drop it. */
  private noticeResolved(sourceId: string, relPath: string): void {
    if (this.notices.resolve(sourceId, relPath)) this.emit('ingest.notices', { notices: this.notices.list() });
  }

  private schedulePairWindow(captureId: number, ms: number): void {
    const timer = setTimeout(() => {
      this.pairTimers.delete(timer);
      const capture = this.store.get(captureId);
      const profile = capture && this.config.profiles[this.sources.get(capture.sourceId)?.profile ?? ''];
      if (!profile) return;
      const updated = closePairWindow(this.store, profile, captureId);
      if (updated) {
        log[verdictLevel(updated.verdict)](`pair check settled: ${updated.relPath} is now ${updated.verdict.toUpperCase()}`, { source: updated.sourceId });
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

/** One QC task per file version: a version reported twice, or retried while still waiting, is checked once. */
function qcKey(file: StableFile): string {
  return `${file.sourceId}\u0000${file.relPath}\u0000${file.size}\u0000${file.mtimeUs}`;
}
