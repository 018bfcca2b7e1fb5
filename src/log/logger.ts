/**
 * One named logger per module. The core never writes to `console`: records go to sinks that the
 * runtime installs (stderr for the CLI, a log file in the station folder, the UI later).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  time: string;
  level: LogLevel;
  module: string;
  message: string;
  fields?: Record<string, unknown>;
}

export type LogSink = (record: LogRecord) => void;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const state: { sinks: LogSink[]; level: LogLevel } = { sinks: [], level: 'info' };

export function setLogLevel(level: LogLevel): void {
  state.level = level;
}

/** Adds a sink and returns a function that removes it again. */
export function addLogSink(sink: LogSink): () => void {
  state.sinks.push(sink);
  return () => {
    state.sinks = state.sinks.filter((s) => s !== sink);
  };
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(module: string): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (order[level] < order[state.level]) return;
    const record: LogRecord = { time: new Date().toISOString(), level, module, message, ...(fields ? { fields } : {}) };
    for (const sink of state.sinks) sink(record);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A human-readable single line, for terminals and the station's log file. */
export function formatLogLine(record: LogRecord): string {
  const fields = record.fields
    ? ' ' +
      Object.entries(record.fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
    : '';
  return `${record.time} ${record.level.toUpperCase().padEnd(5)} [${record.module}] ${record.message}${fields}`;
}
