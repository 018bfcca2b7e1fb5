/**
 * Files the station could not record because of the station itself (its database cannot be written,
 * a disk is full), not because of the file: per source, what is wrong and what to do, shown as the
 * source's status until a file from it is recorded again. The files stay in the hot folder and are
 * tried again, each after a growing wait.
 */
import { createLogger } from '../log/logger.js';

const log = createLogger('station.record-faults');

/** The first retry of a file waits this long; each further one twice as long, up to retryMaxMs. */
export const retryBaseMs = 1000;
export const retryMaxMs = 30_000;

export function retryDelayMs(failures: number): number {
  return Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, failures - 1));
}

interface Fault {
  kind: string;
  message: string;
  /** Files that failed with this fault since it began (the log gives one line per kind, not one per file). */
  files: number;
}

/**
 * SQLite (extended) and system codes that mean the station cannot write where it keeps its records
 * (its database, a disk), not that something is wrong with the file or the code: those clear up
 * once the disk does, so the file is worth trying again. Any other error would fail the same way on
 * every retry (a hook's bug, a constraint), so it is not retried.
 */
const stationSqlite = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN'];
const stationSystem = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

export function isStationFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return stationSystem.has(code) || stationSqlite.some((base) => code === base || code.startsWith(`${base}_`));
}

/** What kind of station fault (isStationFault), and the message for the technician: the code decides, the stack is for the log once. */
export function describeFault(err: unknown, database: string): { kind: string; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  const keep = 'the files stay in the hot folder and are tried again';
  if (code === 'SQLITE_FULL') return { kind: 'SQLITE_FULL', message: `The database ${database} is full (its disk has no space left), so new captures cannot be recorded — free space on that disk; ${keep}` };
  if (code === 'ENOSPC' || code === 'EDQUOT') return { kind: code, message: `A disk the station writes to is full (${detail}), so new captures cannot be recorded — free space there; ${keep}` };
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return { kind: code, message: `The database ${database} cannot be written (${code}: ${detail}), so new captures cannot be recorded — check that its disk is mounted, writable and has space; ${keep}` };
  }
  return { kind: typeof code === 'string' ? code : 'error', message: `A disk the station writes to cannot be written (${detail}), so new captures cannot be recorded — check that it is mounted, writable and has space; ${keep}` };
}

export class RecordFaults {
  private readonly faults = new Map<string, Fault>();

  constructor(private readonly database: string) {}

  /** The source's fault now, if any. */
  get(sourceId: string): { message: string } | undefined {
    return this.faults.get(sourceId);
  }

  /** Records a failure; true when the source's fault is new or changed (its status must be announced). */
  failed(sourceId: string, relPath: string, err: unknown): boolean {
    const { kind, message } = describeFault(err, this.database);
    const before = this.faults.get(sourceId);
    if (before?.kind === kind) {
      before.files++;
      log.debug('still cannot record', { source: sourceId, file: relPath, kind });
      return false;
    }
    this.faults.set(sourceId, { kind, message, files: 1 });
    log.error(message, { source: sourceId, file: relPath, kind, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return true;
  }

  /** A file from the source was recorded (a new capture written): true when that ended a fault. */
  succeeded(sourceId: string): boolean {
    const fault = this.faults.get(sourceId);
    if (!fault) return false;
    this.faults.delete(sourceId);
    log.info('captures are recorded again', { source: sourceId, kind: fault.kind, filesRetried: fault.files });
    return true;
  }
}
