/** Events the core pushes to every transport, by name, with their payloads. */
import type { ScannerStatus } from '../barcode/usb/status.js';
import type { IngestNotice, SourceStatus } from '../ingest/types.js';
import type { SessionEffect } from '../linking/session.js';
import type { CaptureRecord } from '../store/captures.js';
import type { SessionRecord } from '../store/sessions.js';
import type { JobTransition } from '../upload/outbox.js';
import type { DiskStatus } from '../station/disk-space.js';
import type { ConfigDrift } from '../station/config-drift.js';
import type { LogFileStatus } from '../station/log-file-alarm.js';

export interface StationEvents {
  /** A file version was checked and recorded. */
  'capture.recorded': { capture: CaptureRecord };
  /** A recorded capture's verdict changed after the fact (e.g. its RAW/TIFF partner arrived or never did). */
  'capture.rechecked': { capture: CaptureRecord };
  /** A file is being checked (it is complete and stable). */
  'capture.checking': { sourceId: string; relPath: string };
  'source.status': SourceStatus;
  /** An upload job changed state (queued, leased, done, retry, dead, released, reclaimed, requeued). */
  'upload.job': JobTransition;
  /** Barcode linking: an object opened or closed, a capture linked or unlinked, an alarm (e.g. an incomplete object). */
  'link.effect': { sourceId: string; effect: SessionEffect };
  /** A USB barcode scanner connected, was unplugged, or cannot be read (with the fix, e.g. the udev rule). */
  'scanner.status': ScannerStatus;
  /** A disk the station writes to crossed a free-space threshold (retention.warnFreeGB / criticalFreeGB), either way. */
  'disk.status': DiskStatus;
  /** An operator session began (startSession): new captures are this operator's and project's. */
  'session.started': { session: SessionRecord };
  /** The open session ended (endSession, or another session started). */
  'session.ended': { session: SessionRecord };
  /** A file in a hot folder the station will not take as it is: a symbolic link, or a file still empty long after it appeared. */
  'ingest.notice': IngestNotice;
  /** A recorded capture's link, filing or verdict changed (linked, filed, unlinked, relinked, rechecked): a screen showing it fetches it again. */
  'capture.changed': { captureId: number };
  /** Every hot-folder file the station will not take as it is, now (sent when the list changes; also in status()). 'ingest.notice' is the warning, once per file version. */
  'ingest.notices': { notices: IngestNotice[] };
  /** The config file was edited while the station runs (null: back to the one it started with); as status().configChanged. */
  'config.changed': { configChanged: ConfigDrift | null };
  /** The station's log file cannot be written or rotated (problem), or is written again (problem null); as status().logFile. */
  'log.file': LogFileStatus;
}

export type StationEventName = keyof StationEvents;
