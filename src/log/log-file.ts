/**
 * The station's log file: one JSON record a line, appended to <logs>/station.log. When it reaches
 * `maxBytes` it is rotated (station.log → station.log.1 → … → station.log.<keep>; the oldest is
 * removed), and `reopen()` (SIGHUP) starts writing to the file at that path again after an external
 * logrotate moved it away.
 *
 * A log file that cannot be written (a full disk, a logs folder made read-only or removed) never
 * stops the station: the lines are dropped, `problem` is told once what is wrong, and every
 * `retryMs` the next line tries the file again. A rotation that fails is a problem of its own (the
 * file is written on). `problem` is always told the one that matters now — a write problem, else a
 * rotation problem — so a write that works again while rotation still fails tells the rotation
 * problem again, and null is told only when neither is left.
 * Writes are synchronous so the size, the rotation and a failure belong to the line that caused them.
 *
 * Rotation renames and removes files that the station running on them holds open, so only the
 * process holding the station's instance lock may rotate: a log opened before that (`rotating:
 * false`) only appends, past maxBytes if need be, until `startRotating()`.
 */
import fs from 'node:fs';
import path from 'node:path';

export const logFileName = 'station.log';

export type LogFileProblemKind = 'write' | 'rotation';

export interface LogFileOptions {
  dir: string;
  /** A file that has reached this many bytes is rotated before the next line. */
  maxBytes: number;
  /** Rotated files kept besides the current one. */
  keep: number;
  /** How long after a failed write the file is tried again. */
  retryMs: number;
  /**
   * What is wrong with the log file (one sentence: where, why, what to do), or null once nothing is;
   * `over` then says which problem ended: the file is written again, or rotated again.
   */
  problem: (message: string | null, over?: LogFileProblemKind) => void;
  /** What becomes of the log lines while the file cannot be written, for that sentence; by default they go to stderr (the CLI's sink). */
  linesMeanwhile?: string;
  /** False: only appended to, never rotated, until `startRotating()` (the station's lock is held). Default true. */
  rotating?: boolean;
}

/** How long after a failed write the station tries its log file again. */
export const logFileRetryMs = 30_000;

export class LogFile {
  readonly file: string;
  private fd: number | null = null;
  private size = 0;
  /** While the file cannot be written: since when, and lines dropped. */
  private failing: { retryAt: number; dropped: number } | null = null;
  /** The last write stopped in the middle of a line: the next one starts on a new line. */
  private partial = false;
  /** A rotation failed: lines go on into the current file, and rotation is tried again from then. */
  private rotateAgainAt = 0;
  private writeProblem: string | null = null;
  private rotationProblem: string | null = null;
  /** What `problem` was last told (null: nothing wrong), and which kind it was. */
  private told: { message: string; kind: LogFileProblemKind } | null = null;
  private rotating: boolean;

  constructor(private readonly opts: LogFileOptions) {
    this.file = path.join(opts.dir, logFileName);
    this.rotating = opts.rotating ?? true;
  }

  /** From the next line on, the file is rotated when it reaches maxBytes (this process now owns it). */
  startRotating(): void {
    this.rotating = true;
  }

  /** Creates the logs folder and opens the file now, so a problem with it is told at the start. */
  start(): void {
    try {
      this.open();
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
  }

  write(line: string): void {
    if (this.failing && Date.now() < this.failing.retryAt) {
      this.failing.dropped++;
      return;
    }
    try {
      if (this.fd === null) this.open();
      // Measured again first: a file emptied under it (logrotate's copytruncate) is not rotated.
      if (this.rotating && this.size >= this.opts.maxBytes) this.size = fs.fstatSync(this.fd!).size;
      if (this.rotating && this.size >= this.opts.maxBytes && Date.now() >= this.rotateAgainAt) this.rotateOrKeep();
      this.append((this.partial ? '\n' : '') + line);
      this.partial = false;
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
      return;
    }
    if (this.failing) {
      const { dropped } = this.failing;
      this.failing = null;
      this.writeProblem = null;
      this.tell();
      // Said in the file too, where the gap is.
      this.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', module: 'log.file', message: `the log file could be written again; ${dropped} earlier line(s) were not written` })}\n`);
    }
  }

  /** Writes to a new file at the same path (SIGHUP, after an external logrotate moved the file away). */
  reopen(): void {
    this.closeFd();
    // A failing file is tried again at the next line (the new one may be writable).
    if (this.failing) this.failing.retryAt = 0;
  }

  close(): void {
    this.closeFd();
  }

  private open(): void {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    this.fd = fs.openSync(this.file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  private append(text: string): void {
    const bytes = Buffer.from(text);
    let done = 0;
    try {
      while (done < bytes.length) done += fs.writeSync(this.fd!, bytes, done);
    } finally {
      this.size += done;
      this.partial ||= done > 0 && done < bytes.length;
    }
  }

  /**
   * A rotation that fails (a rename refused: a read-only folder whose file is still writable, a file
   * held open elsewhere) loses no line: the current file is written on and rotation tried again later.
   */
  private rotateOrKeep(): void {
    try {
      this.shiftFiles();
    } catch (err) {
      this.rotateAgainAt = Date.now() + this.opts.retryMs;
      this.open();
      // The first sentence of an episode stands: a retry that fails again is no news.
      if (this.rotationProblem === null) {
        const e = err as NodeJS.ErrnoException;
        this.rotationProblem = `The log file ${this.file} could not be rotated (${e.code ?? 'error'}: ${e.message}); the station writes on into it past logs.maxMB and tries again every ${Math.round(this.opts.retryMs / 1000)} s. Check that the station can rename and remove files in ${this.opts.dir}.`;
        this.tell();
      }
      return;
    }
    // The rotation is done once the files moved: a new file that cannot be opened (a full disk) is
    // a write problem, and the rotation problem must not come back when writing works again.
    this.rotationProblem = null;
    this.open();
    this.tell();
  }

  /** station.log → .1 → … → .keep, the oldest removed; the file is closed and not opened again here. */
  private shiftFiles(): void {
    this.closeFd();
    const rotated = (n: number) => `${this.file}.${n}`;
    fs.rmSync(rotated(this.opts.keep), { force: true });
    for (let n = this.opts.keep - 1; n >= 1; n--) if (fs.existsSync(rotated(n))) fs.renameSync(rotated(n), rotated(n + 1));
    if (this.opts.keep > 0) fs.renameSync(this.file, rotated(1));
    else fs.rmSync(this.file, { force: true });
  }

  private fail(err: NodeJS.ErrnoException): void {
    // A broken descriptor is opened again at the retry (the disk or folder may be back by then).
    this.closeFd();
    const first = this.failing === null;
    this.failing = { retryAt: Date.now() + this.opts.retryMs, dropped: (this.failing?.dropped ?? 0) + 1 };
    if (first) this.writeProblem = `The log file ${this.file} cannot be written (${err.code ?? 'error'}: ${adviceFor(err)}); the station runs on and ${this.opts.linesMeanwhile ?? 'its log lines go only to the terminal it runs in (stderr)'}, until the file can be written again (tried every ${Math.round(this.opts.retryMs / 1000)} s).`;
    this.tell();
  }

  /** Tells `problem` the problem that matters now when it is not the one last told. */
  private tell(): void {
    const now: LogFile['told'] = this.writeProblem !== null ? { message: this.writeProblem, kind: 'write' } : this.rotationProblem !== null ? { message: this.rotationProblem, kind: 'rotation' } : null;
    if (now?.message === this.told?.message) return;
    const before = this.told;
    this.told = now;
    if (now) this.opts.problem(now.message);
    else this.opts.problem(null, before?.kind);
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // A descriptor on a failed disk may not close cleanly; it is gone either way.
    }
    this.fd = null;
  }
}

function adviceFor(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full — free space there, or point paths.logs at another disk';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'the logs folder is not writable by this user — fix its permissions or point paths.logs elsewhere';
    default:
      return err.message;
  }
}
