/**
 * A station run as its own process (`capture-station run` from the sources, through tsx), so a
 * test can SIGKILL it, and read-only looks into its database from the outside while it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface StationProcess {
  child: ChildProcess;
  /** Resolves once the station says it is watching (its signal handlers are set); rejects if it exits first. */
  ready: Promise<void>;
  /** The last few KB of its stderr (warnings, errors), for a failure message. */
  stderrTail(): string;
}

/** `env`: added to this process's environment for the station's. */
export function startStation(home: string, env: NodeJS.ProcessEnv = {}): StationProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), 'run', '--home', home, '--log-level', 'warn'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let tail = '';
  // Always read: a full pipe would block the station's writes to stderr.
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      tail = (tail + s).slice(-8192);
      if (tail.includes('" is watching ')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`the station exited (${signal ?? code}) before it was ready: ${tail}`)));
  });
  ready.catch(() => undefined); // a kill before ready is normal; only those who wait for it see the error
  return { child, ready, stderrTail: () => tail };
}

/** Resolves with the exit code (null when a signal ended it) once the process is gone. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/** Rows of `sql` in the station's database; `fallback` while the database or its schema does not exist yet. */
export function queryStation<T>(home: string, sql: string, fallback: T): T {
  const file = path.join(home, 'station.db');
  if (!fs.existsSync(file)) return fallback;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T;
  } catch {
    return fallback; // schema not created yet
  } finally {
    db.close();
  }
}

/** The `n` column of a one-row query (`SELECT COUNT(*) AS n …`); 0 before the schema exists. */
export function countInStation(home: string, sql: string): number {
  return queryStation<{ n: number }[]>(home, sql, [{ n: 0 }])[0]?.n ?? 0;
}
