/**
 * The station applies its config only when it starts. An edit to the file while it runs would
 * otherwise be silently ignored, so the file is looked at periodically and each new content is
 * reported once: changed (restart to apply), invalid (with the problems) or removed (what the next
 * start would do without it); the station runs on as it started. Nothing is reloaded.
 */
import fs from 'node:fs/promises';
import { configWriteTarget, type ConfigRefusals } from '../config/edit.js';
import { parseConfigText, resolveAsRestart, type ConfigProblem, type StationConfig } from '../config/load.js';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';

const log = createLogger('config-drift');

/** The config file differs from the one the station started with. */
export interface ConfigDrift {
  file: string;
  /** When the difference was first seen (ISO). */
  since: string;
  /** Null when the changed file would load (or is removed); otherwise what is wrong with it. */
  error: string | null;
  /**
   * The file is gone (null: it is there). Without it the next start runs on the embedded default
   * config ('default'), or — a file given with --config — refuses to start ('refused'), as loadConfig does.
   */
  removed: 'default' | 'refused' | null;
}

export interface ConfigDriftOptions {
  config: StationConfig;
  /** How often the file is looked at. */
  intervalMs?: number;
  /** What else a start would refuse in a config that loads (e.g. a renamed source, known only to the database). */
  refusals?: ConfigRefusals;
  /** Told each time current() changes (a new edit, or the running config back), so screens need not poll. */
  changed?: (drift: ConfigDrift | null) => void;
}

export class ConfigDriftWatch {
  private readonly file: string;
  private readonly intervalMs: number;
  /** The text the station started with; null when there was no file. */
  private startText: string | null = null;
  /** The last text reported on, so each new content is reported once. */
  private seenText: string | null = null;
  private drift: ConfigDrift | null = null;
  private timer: NodeJS.Timeout | null = null;
  private looking: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ConfigDriftOptions) {
    this.file = configWriteTarget(opts.config);
    this.intervalMs = opts.intervalMs ?? 2000;
  }

  async start(): Promise<void> {
    this.startText = this.seenText = await this.read();
    this.timer = setInterval(() => {
      this.looking = this.looking.then(() => this.look());
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.looking;
  }

  current(): ConfigDrift | null {
    return this.drift;
  }

  private async read(): Promise<string | null> {
    return fs.readFile(this.file, 'utf8').catch(() => null);
  }

  private async look(): Promise<void> {
    const text = await this.read();
    if (text === this.seenText) return;
    this.seenText = text;
    if (text === this.startText) {
      this.drift = null;
      this.opts.changed?.(null);
      log.info('the station config on disk is again the one the station runs on', { file: this.file });
      return;
    }
    const removed = text !== null ? null : this.opts.config.configFileGiven ? 'refused' : 'default';
    const error = text === null ? null : this.problemsOf(text);
    this.drift = { file: this.file, since: this.drift?.since ?? new Date().toISOString(), error, removed };
    this.opts.changed?.(this.drift);
    if (removed === 'default') log.warn('config file removed; the next start would use the embedded default config (the station runs on the config it started with)', { file: this.file });
    else if (removed === 'refused') log.warn('config file removed; the next start would fail: the file given with --config is missing. Put it back before the station restarts; it runs on the config it started with', { file: this.file });
    else if (error === null) log.warn('config file changed on disk; restart the station to apply it (it runs on the config it started with)', { file: this.file });
    else log.warn(`config file changed on disk and is now invalid: ${error}. Fix it before the station restarts; it runs on the config it started with`, { file: this.file });
  }

  /** The changed file's problems, each by field, as a start would refuse it; null when it would load. */
  private problemsOf(text: string): string | null {
    let problems: ConfigProblem[];
    try {
      const next = resolveAsRestart(parseConfigText(this.file, text), this.opts.config, this.file);
      problems = this.opts.refusals?.(next) ?? [];
    } catch (err) {
      const listed = err instanceof StationError ? (err.details as { problems?: ConfigProblem[] } | undefined)?.problems : undefined;
      if (!listed) return err instanceof Error ? err.message : String(err);
      problems = listed;
    }
    return problems.length > 0 ? problems.map((p) => `${p.field}: ${p.problem}`).join('; ') : null;
  }
}
