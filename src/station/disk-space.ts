/**
 * Free space on the disks the station writes to: the hot folders, the library, the database's
 * folder and the logs folder. Folders are grouped by the file system they are on (stat's `dev`), so
 * a rig with all of them on one disk hears about that disk once, with every folder on it named; the
 * advice fits the retention config (it never tells to turn on what is already on).
 *
 * Used by the running station (its alarm and `disk.status` event) and by `doctor`, so both name the
 * same disks at the same thresholds.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StationConfig } from '../config/load.js';
import type { RetentionConfig } from '../config/schema.js';
import { formatBytes } from '../shared/bytes.js';

export type DiskLevel = 'ok' | 'warn' | 'critical';

/** A folder the station writes to; `id` is the source's for a hot folder. */
export interface WatchedFolder {
  role: 'hot folder' | 'library' | 'database' | 'logs';
  id?: string;
  path: string;
}

export interface DiskStatus {
  /** The first watched folder on this disk: what the disk is known by from one check to the next. */
  path: string;
  /** Every watched folder on this disk. */
  folders: WatchedFolder[];
  /** The folders in words: 'hot folder "inbox", the library and the database'. */
  names: string;
  freeBytes: number;
  level: DiskLevel;
  /** What to do, as the config stands; null while the disk has room. */
  advice: string | null;
  /** What is wrong and what to do, in one sentence (the log line); null while the disk has room. */
  message: string | null;
}

/**
 * Hot folders first (where captures are written), then the library, then the database's folder,
 * then the logs folder (a full disk there loses the station's log; it runs on, see log-file.ts).
 */
export function watchedFolders(config: Pick<StationConfig, 'sources' | 'locations'>): WatchedFolder[] {
  return [
    ...config.sources.map((s): WatchedFolder => ({ role: 'hot folder', id: s.id, path: s.path })),
    { role: 'library', path: config.locations.library },
    { role: 'database', path: path.dirname(config.locations.database) },
    { role: 'logs', path: config.locations.logs },
  ];
}

export interface FileSystemGroup {
  /** Where the free space was measured (the first folder). */
  measuredAt: string;
  folders: WatchedFolder[];
  freeBytes: number;
}

/**
 * The watched folders grouped by the file system they are on, in the order their first folder was
 * listed, each with its free space. A folder that does not exist (yet) is not measured: its nearest
 * existing parent may be on another disk (an unmounted share's mount point is on the root disk).
 * `unmeasured` gets every folder left out, with the error (ENOENT for a missing one).
 */
export function fileSystemsOf(folders: readonly WatchedFolder[], unmeasured?: (folder: WatchedFolder, error: NodeJS.ErrnoException) => void): FileSystemGroup[] {
  const byDevice = new Map<number, FileSystemGroup>();
  for (const folder of folders) {
    const at = folder.path;
    try {
      const dev = fs.statSync(at).dev;
      const known = byDevice.get(dev);
      if (known) {
        known.folders.push(folder);
        continue;
      }
      const s = fs.statfsSync(at);
      byDevice.set(dev, { measuredAt: at, folders: [folder], freeBytes: s.bavail * s.bsize });
    } catch (err) {
      unmeasured?.(folder, err as NodeJS.ErrnoException);
    }
  }
  return [...byDevice.values()];
}

const quoted = (ids: string[]) => ids.map((id) => `"${id}"`);

/** 'hot folders "a" and "b", the library and the database' */
export function folderNames(folders: readonly WatchedFolder[]): string {
  const hot = folders.filter((f) => f.role === 'hot folder').map((f) => f.id ?? f.path);
  const parts = [
    ...(hot.length > 0 ? [`${hot.length === 1 ? 'hot folder' : 'hot folders'} ${listed(quoted(hot))}`] : []),
    ...(folders.some((f) => f.role === 'library') ? ['the library'] : []),
    ...(folders.some((f) => f.role === 'database') ? ['the database'] : []),
    ...(folders.some((f) => f.role === 'logs') ? ['the logs folder'] : []),
  ];
  return listed(parts);
}

function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export type DiskAdviceConfig = Pick<RetentionConfig, 'deleteLocal' | 'keepDays'> & { requiredTargets: number };

/**
 * What to do about a disk running full, as the config stands. Retention only removes captures'
 * files, which live in the hot folders and the library: for a disk holding only the database (or
 * the logs folder) it is no help and is not mentioned.
 */
export function diskAdvice(folders: readonly WatchedFolder[], config: DiskAdviceConfig): string {
  if (!folders.some((f) => f.role !== 'database' && f.role !== 'logs')) {
    if (!folders.some((f) => f.role === 'logs')) return 'free space there, or move the database to a larger disk (paths.database)';
    return `free space there, or move ${folders.some((f) => f.role === 'database') ? 'the database and the logs folder to a larger disk (paths.database, paths.logs)' : 'the logs folder to a larger disk (paths.logs)'}`;
  }
  if (!config.deleteLocal) {
    return config.requiredTargets > 0
      ? 'free space there, or let retention remove uploaded files (set retention.deleteLocal: true)'
      : 'free space there; retention can remove uploaded files only with retention.deleteLocal: true and a target marked "required": true';
  }
  if (config.requiredTargets === 0) return 'free space there: retention.deleteLocal is on, but no target is "required", so retention removes nothing — mark the targets that count as copies "required": true';
  return `free space there: retention already removes files every required target has verified, ${config.keepDays} day${config.keepDays === 1 ? '' : 's'} after (retention.keepDays) — lower keepDays, or look in the Queue for uploads not verified yet`;
}

export function levelOf(freeBytes: number, levels: Pick<RetentionConfig, 'warnFreeGB' | 'criticalFreeGB'>): DiskLevel {
  const gb = freeBytes / 1024 ** 3;
  return gb < levels.criticalFreeGB ? 'critical' : gb < levels.warnFreeGB ? 'warn' : 'ok';
}

/** One entry per file system the watched folders are on, against the thresholds. */
export function diskStatus(folders: readonly WatchedFolder[], config: Pick<RetentionConfig, 'warnFreeGB' | 'criticalFreeGB'> & DiskAdviceConfig): DiskStatus[] {
  return fileSystemsOf(folders).map((fsg) => {
    const level = levelOf(fsg.freeBytes, config);
    const below = level === 'critical' ? `below ${config.criticalFreeGB} GB: captures may soon fail to be written` : `below ${config.warnFreeGB} GB`;
    const names = folderNames(fsg.folders);
    const advice = level === 'ok' ? null : diskAdvice(fsg.folders, config);
    const message = advice === null ? null : `Only ${formatBytes(fsg.freeBytes, 1024)} free on the disk of ${names} (${below}) — ${advice}.`;
    return { path: fsg.folders[0]!.path, folders: fsg.folders, names, freeBytes: fsg.freeBytes, level, advice, message };
  });
}
