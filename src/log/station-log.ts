/**
 * The station log as every runtime keeps it (`run`, `serve`, the desktop app's core):
 * <paths.logs>/station.log, rotated by logs.maxMB/keep (log-file.ts), fed by every logger of the process.
 *
 * It is opened before the station exists, so a refused start can be logged too; the file's latest
 * problem is kept until a station is attached and then handed on (the `log.file` alarm, status().logFile).
 * Until then it only appends: the file may be the one of a station already running on this home
 * (the refusal is written there), and only the holder of the station's lock rotates it.
 */
import type { StationConfig } from '../config/load.js';
import type { StationLocations } from '../config/paths.js';
import { LogFile, logFileRetryMs } from './log-file.js';
import { addLogSink, formatLogLine } from './logger.js';

/** What the log needs of a station: where a problem with the file (or null once it is written and rotated again) goes. */
export interface LogFileProblemSink {
  logFileProblem(file: string, problem: string | null): void;
}

export interface StationLogOptions {
  /** Readable lines for a terminal (the CLI's stderr): every record, and each problem with the file as it happens. */
  stderr?: (text: string) => void;
}

export class StationLog {
  readonly file: string;
  private readonly logFile: LogFile;
  private readonly removeSinks: (() => void)[];
  private problem: string | null = null;
  private station: LogFileProblemSink | null = null;

  constructor(config: Pick<StationConfig, 'logs'> & { locations: Pick<StationLocations, 'logs'> }, opts: StationLogOptions = {}) {
    const { stderr } = opts;
    const dir = config.locations.logs;
    this.logFile = new LogFile({
      dir,
      maxBytes: Math.round(config.logs.maxMB * 1024 * 1024),
      keep: config.logs.keep,
      retryMs: logFileRetryMs,
      rotating: false,
      // Without a terminal (the desktop app) nothing else keeps the lines: the sentence must not send IT to stderr.
      ...(stderr ? {} : { linesMeanwhile: 'its log lines are lost' }),
      problem: (message, over) => {
        // A file that could not be rotated was written all along: its recovery is a rotation that works.
        const recovered = over === 'rotation' ? `the log file ${this.file} is rotated again` : `the log file in ${dir} is written again`;
        stderr?.(`${new Date().toISOString()} ${message === null ? `INFO  [log.file] ${recovered}` : `WARN  [log.file] ${message}`}\n`);
        this.problem = message;
        this.station?.logFileProblem(this.file, message);
      },
    });
    this.file = this.logFile.file;
    this.logFile.start();
    this.removeSinks = [
      ...(stderr ? [addLogSink((r) => stderr(formatLogLine(r) + '\n'))] : []),
      addLogSink((r) => this.logFile.write(JSON.stringify(r) + '\n')),
    ];
  }

  /**
   * From now on the station is told of every problem with the file; at once of the current one (or that there is none).
   * The station holds its instance lock: the file is rotated from now on.
   */
  attach(station: LogFileProblemSink): void {
    this.station = station;
    this.logFile.startRotating();
    station.logFileProblem(this.file, this.problem);
  }

  /** Writes to a new file at the same path (SIGHUP, after an external logrotate moved the file away). */
  reopen(): void {
    this.logFile.reopen();
  }

  /** Nothing more is written anywhere by this log, and the file is closed. */
  close(): void {
    for (const remove of this.removeSinks.splice(0)) remove();
    this.station = null;
    this.logFile.close();
  }
}
