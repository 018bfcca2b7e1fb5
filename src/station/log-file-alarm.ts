/**
 * The station's log file as the screens and the event log see it: an alarm when it cannot be
 * written (or rotated), a "written again" note when it can, each once per episode as LogFile tells
 * them. The log file itself belongs to the CLI, which hands its problems on (cli/run.ts).
 */
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';

export interface LogFileStatus {
  file: string;
  /** What is wrong (where, why, what to do); null: written again since `since`. */
  problem: string | null;
  since: string;
}

export class LogFileAlarm {
  /** Null while the log file has had no problem since the start. */
  private state: LogFileStatus | null = null;

  constructor(private readonly db: Db) {}

  current(): LogFileStatus | null {
    return this.state;
  }

  /** The new state when `problem` changes it (also logged as a 'log.file' event, just after), else null. */
  record(file: string, problem: string | null): LogFileStatus | null {
    if (problem === (this.state?.problem ?? null)) return null;
    const state: LogFileStatus = { file, problem, since: new Date().toISOString() };
    this.state = state;
    // Told from a log sink, i.e. from inside whatever statement logged: a transaction that may yet roll
    // back (taking the event with it) or an iterate() that keeps the connection busy. The event is
    // written once that code has run to its end; events told in a row keep their order.
    setImmediate(() => {
      if (!this.db.open) return;
      try {
        appendEvent(this.db, { type: 'log.file', data: state });
      } catch {
        // The disk that refuses the log may refuse the database too; the screens are told all the same.
      }
    });
    return state;
  }
}
