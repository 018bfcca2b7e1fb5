/**
 * How the header words the rig's devices: each USB scanner (connected, no permission, error,
 * detached), a keyboard-wedge scanner (when this page last took a burst from it, or idle when the rig scans another way), each source's hot folder ("camera": reachable, and when its last file arrived), and one
 * warning for the disks the station writes to once one runs low on space (retention.warnFreeGB /
 * criticalFreeGB).
 * Every state has its own icon and word, so colour is never the only signal. Pure.
 */
import type { ResultOf, StationHandlers } from '../contract.js';
import { formatBytes } from './format.js';

type Status = ResultOf<StationHandlers, 'status'>;
export type ScannerStatus = Status['usbScanners'][number];
export type SourceInfo = Status['sources'][number];
export type DiskInfo = Status['disks'][number];
/** `idle`: nothing wrong, nothing going on (a keyboard scanner on a rig that scans another way). */
export type DeviceTone = 'ok' | 'idle' | 'warn' | 'bad';

export interface DeviceLook {
  key: string;
  /** What the device is: the scanner's name, or the source with its kind ("camera"). */
  name: string;
  icon: string;
  word: string;
  tone: DeviceTone;
  /** More about it, e.g. "last file 12 s ago". */
  detail: string | null;
  /** What to do about it, when something must be done. */
  fix: string | null;
}

const scannerWords: Record<ScannerStatus['state'], { icon: string; word: string; tone: DeviceTone }> = {
  connected: { icon: '●', word: 'Connected', tone: 'ok' },
  'permission-denied': { icon: '✕', word: 'No permission', tone: 'bad' },
  error: { icon: '✕', word: 'Not readable', tone: 'bad' },
  disconnected: { icon: '○', word: 'Detached', tone: 'warn' },
};

export function scannerLook(s: ScannerStatus): DeviceLook {
  const look = scannerWords[s.state];
  return { key: `scanner:${s.deviceId}`, name: s.deviceId === 'usb' ? 'USB scanners' : s.name, ...look, detail: s.state === 'connected' ? null : s.message, fix: s.fix };
}

/**
 * A scanner that types like a keyboard cannot be seen until it scans: the page's wedge detector
 * telling its burst from typing is its only sign of life (`lastScanMs`, Date.now() time, null before
 * the first). Never scanned is not an error, but worth a test scan at the start of a shift — unless
 * the rig already reads scans another way (a USB scanner connected, or the station took a scan from
 * any input: `capture-station scan`, stdin, another screen); then a keyboard scanner may well not
 * exist, and an amber line all shift would be a false alarm.
 */
export function keyboardScannerLook(lastScanMs: number | null, nowMs: number, rig: RigScans): DeviceLook {
  const base = { key: 'scanner:keyboard', name: 'Scanner (keyboard)', fix: null };
  if (lastScanMs !== null) return { ...base, icon: '●', word: 'Working', tone: 'ok', detail: `last scan ${ago(nowMs - lastScanMs)}` };
  if (rig.usbConnected) return { ...base, icon: '–', word: 'Idle', tone: 'idle', detail: 'scans come by USB' };
  if (rig.stationLastScanMs !== null) return { ...base, icon: '–', word: 'Idle', tone: 'idle', detail: `station's last scan ${ago(nowMs - rig.stationLastScanMs)}` };
  return { ...base, icon: '○', word: 'Waiting', tone: 'warn', detail: 'no scan yet' };
}

/** How else the rig takes scans: a USB scanner connected; when the station last took a scan from any input (Date.now() time, null: none since it started). */
export interface RigScans {
  usbConnected: boolean;
  stationLastScanMs: number | null;
}

/** What of the station's status tells how the rig takes scans. */
type RigStatus = Pick<Status, 'usbScanners'> & { linking: Pick<Status['linking'], 'lastScanAt'> };

function rigScans(status: RigStatus): RigScans {
  const { lastScanAt } = status.linking;
  return { usbConnected: status.usbScanners.some((s) => s.state === 'connected'), stationLastScanMs: lastScanAt === null ? null : Date.parse(lastScanAt) };
}

/** "12 s ago", "4 min ago", "3 h ago", "2 days ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86_400);
  return `${d} ${d === 1 ? 'day' : 'days'} ago`;
}

export function sourceLook(s: SourceInfo, nowMs: number): DeviceLook {
  const base = { key: `source:${s.id}`, name: `${s.id} (${s.kind})` };
  const last = s.lastFileAt ? `last file ${ago(nowMs - Date.parse(s.lastFileAt))}` : 'no file yet';
  if (!s.status) return { ...base, icon: '◌', word: 'Starting', tone: 'warn', detail: null, fix: null };
  if (s.status.state === 'unavailable') {
    return { ...base, icon: '✕', word: 'Folder unreachable', tone: 'bad', detail: last, fix: `${s.status.message} Check that ${s.path} exists and is mounted; the station keeps trying.` };
  }
  // Watched, but its files cannot be recorded (the database cannot be written): the message says what to do.
  if (s.status.state === 'failing') return { ...base, icon: '✕', word: 'Cannot record', tone: 'bad', detail: last, fix: s.status.message };
  return { ...base, icon: '●', word: 'Folder OK', tone: 'ok', detail: last, fix: null };
}

export interface DiskWarning {
  key: string;
  icon: string;
  word: string;
  tone: DeviceTone;
  /** How much is free, and which folders are on the disk. */
  summary: string;
  /** What to do (the station's advice for the config as it stands). */
  advice: string;
  /** Every folder on the disk, for a closer look (the tooltip). */
  folders: string[];
}

/**
 * The disks running low, each once (the station groups the folders by disk), in a line short enough
 * to sit in the devices row; what to do opens under it. Empty while every disk has room — a healthy
 * disk is not worth a place on screen.
 */
export function diskWarnings(disks: readonly DiskInfo[]): DiskWarning[] {
  return disks
    .filter((d) => d.level !== 'ok')
    .map((d) => {
      const critical = d.level === 'critical';
      const advice = d.advice ?? 'free space there';
      return {
        key: `disk:${d.path}`,
        icon: critical ? '✕' : '▲',
        word: critical ? 'Disk almost full' : 'Disk low on space',
        tone: critical ? 'bad' : 'warn',
        summary: `${formatBytes(d.freeBytes)} free on the disk of ${d.names}`,
        advice: `${advice.charAt(0).toUpperCase()}${advice.slice(1)}.`,
        folders: d.folders.map((f) => f.path),
      };
    });
}

/** `keyboard`: this page takes scanner bursts (not a monitor's read-only screen), with its last one; omitted, no keyboard-scanner line. */
export function deviceLooks(status: (Pick<Status, 'sources'> & RigStatus) | null, nowMs: number, keyboard?: { lastScanMs: number | null }): DeviceLook[] {
  if (!status) return [];
  return [...status.sources.map((s) => sourceLook(s, nowMs)), ...status.usbScanners.map(scannerLook), ...(keyboard ? [keyboardScannerLook(keyboard.lastScanMs, nowMs, rigScans(status))] : [])];
}
