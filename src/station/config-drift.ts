/**
 * The station applies its config only when it starts. An edit to the file while it runs would
 * otherwise be silently ignored, so the file is looked at periodically and each new content is
 * reported once: changed (restart to apply), invalid or unreadable (with the problems) or removed
 * (what the next start would do without it: found by the loader's own lookup); the station runs on as
 * it started. Nothing is reloaded.
 */
import fs from 'node:fs/promises';
import { configWriteTarget, type ConfigRefusals } from '../config/edit.js';
import { findConfigFile, parseConfigText, resolveAsRestart, unreadableConfig, type ConfigProblem, type StationConfig } from '../config/load.js';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';

const log = createLogger('config-drift');

/** The config file differs from the one the station started with. */
export interface ConfigDrift {
  file: string;
  /** When the difference was first seen (ISO). */
  since: string;
  /** Null when the next start would load; otherwise why it would refuse (the problems by field, a file it cannot read). */
  error: string | null;
  /**
   * The file is gone (null: it is there). Without it the next start — as loadConfig looks — runs on the
   * embedded default config ('default'), loads another config file found in the folder ('replaced': `next`,
   * judged as an edit), or refuses to start ('refused': the file given with --config is missing, or
   * `error` says why, e.g. two config files side by side).
   */
  removed: 'default' | 'replaced' | 'refused' | null;
  /** The config file the next start would load instead of the removed one ('replaced'); else null. */
  next: string | null;
}

/** What the next start would read: a file's text, or why it cannot; null file: none (the default, or the file given is gone). */
interface NextStart {
  removed: ConfigDrift['removed'];
  file: string | null;
  text: string | null;
  refusal: string | null;
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
  /** What the next start would have read when the station started (JSON of a NextStart). */
  private startKey = '';
  /** The last one reported on, so each new content is reported once. */
  private seenKey = '';
  private drift: ConfigDrift | null = null;
  private timer: NodeJS.Timeout | null = null;
  private looking: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ConfigDriftOptions) {
    this.file = configWriteTarget(opts.config);
    this.intervalMs = opts.intervalMs ?? 2000;
  }

  async start(): Promise<void> {
    this.startKey = this.seenKey = JSON.stringify(await this.nextStart());
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

  /**
   * As the next start would read: a file found (not given) is looked for again with the loader's own
   * lookup (another config file in its folder, none — the default — or two, refused). Only a missing
   * file is removed: one that is there but cannot be read (a folder in its place, permissions) refuses.
   */
  private async nextStart(): Promise<NextStart> {
    const { config } = this.opts;
    let file: string | null = this.file;
    // A station started without a file watches where one would be written; a file given is the only one read.
    if (config.configFile !== null && !config.configFileGiven) {
      try {
        file = findConfigFile(config.locations.configDir);
      } catch (err) {
        const removed = (await readConfig(this.file)) === null ? 'refused' : null;
        return { removed, file: null, text: null, refusal: err instanceof Error ? err.message : String(err) };
      }
    }
    const read = file === null ? null : await readConfig(file);
    if (read === null) return { removed: config.configFileGiven ? 'refused' : 'default', file: null, text: null, refusal: null };
    return { removed: file === this.file ? null : 'replaced', file, ...read };
  }

  private async look(): Promise<void> {
    const next = await this.nextStart();
    const key = JSON.stringify(next);
    if (key === this.seenKey) return;
    this.seenKey = key;
    if (key === this.startKey) {
      this.drift = null;
      this.opts.changed?.(null);
      log.info('the station config on disk is again the one the station runs on', { file: this.file });
      return;
    }
    const { removed, file } = next;
    const error = next.refusal ?? (file !== null && next.text !== null ? this.problemsOf(file, next.text) : null);
    const other = removed === 'replaced' ? file : null;
    this.drift = { file: this.file, since: this.drift?.since ?? new Date().toISOString(), error, removed, next: other };
    this.opts.changed?.(this.drift);
    if (removed === 'default') log.warn('config file removed; the next start would use the embedded default config (the station runs on the config it started with)', { file: this.file });
    else if (removed === 'refused' && error === null) log.warn('config file removed; the next start would fail: the file given with --config is missing. Put it back before the station restarts; it runs on the config it started with', { file: this.file });
    else if (removed === 'refused') log.warn(`config file removed; the next start would fail: ${error} The station runs on the config it started with`, { file: this.file });
    else if (removed === 'replaced' && error === null) log.warn(`config file removed; the next start would load ${other} instead: restart the station to apply it (it runs on the config it started with)`, { file: this.file });
    else if (removed === 'replaced') log.warn(`config file removed; the next start would load ${other}, which is invalid: ${error}. Fix it before the station restarts; it runs on the config it started with`, { file: this.file });
    else if (error === null) log.warn('config file changed on disk; restart the station to apply it (it runs on the config it started with)', { file: this.file });
    else log.warn(`config file changed on disk and is now invalid: ${error}. Fix it before the station restarts; it runs on the config it started with`, { file: this.file });
  }

  /** The file's problems, each by field, as a start would refuse it; null when it would load. */
  private problemsOf(file: string, text: string): string | null {
    let problems: ConfigProblem[];
    try {
      const next = resolveAsRestart(parseConfigText(file, text), this.opts.config, file);
      problems = this.opts.refusals?.(next) ?? [];
    } catch (err) {
      const listed = err instanceof StationError ? (err.details as { problems?: ConfigProblem[] } | undefined)?.problems : undefined;
      if (!listed) return err instanceof Error ? err.message : String(err);
      problems = listed;
    }
    return problems.length > 0 ? problems.map((p) => `${p.field}: ${p.problem}`).join('; ') : null;
  }
}

/** A config file's text, or why a start could not read it; null when it is not there. */
async function readConfig(file: string): Promise<{ text: string; refusal: null } | { text: null; refusal: string } | null> {
  try {
    return { text: await fs.readFile(file, 'utf8'), refusal: null };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { text: null, refusal: unreadableConfig(file, err).message };
  }
}
