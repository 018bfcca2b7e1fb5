/**
 * Operator sessions: who is shooting which project. At most one is open at a time (a unique index
 * says so); every capture recorded while it is open carries its id (captures.session_id), so a
 * capture's operator is what it was when it was shot, whatever happens to the session later.
 * A session stays open across station restarts: a shift does not end because the station did.
 */
import { StationError } from '../errors.js';
import type { Db } from './database.js';
import { appendEvent } from './events.js';

export interface SessionRecord {
  id: number;
  operator: string;
  project: string;
  startedAt: string;
  endedAt: string | null;
}

interface SessionRow {
  id: number;
  operator: string;
  project: string;
  started_at: string;
  ended_at: string | null;
}

const toRecord = (r: SessionRow): SessionRecord => ({ id: r.id, operator: r.operator, project: r.project, startedAt: r.started_at, endedAt: r.ended_at });

/** How many operators the start panel offers to pick from. */
export const recentOperatorCount = 20;

export class SessionStore {
  constructor(private readonly db: Db) {}

  current(): SessionRecord | null {
    const row = this.db.prepare('SELECT * FROM sessions WHERE ended_at IS NULL').get() as SessionRow | undefined;
    return row ? toRecord(row) : null;
  }

  get(id: number): SessionRecord | null {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** The session a capture was shot in; null when none was open. */
  ofCapture(captureId: number): SessionRecord | null {
    const row = this.db.prepare('SELECT s.* FROM captures c JOIN sessions s ON s.id = c.session_id WHERE c.id = ?').get(captureId) as SessionRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * Opens a session. One that is still open is ended first (a shift handed over without "end
   * session"); it is returned as `ended` so the caller can announce both.
   * `projects`: the configured list the project must come from; empty = any text.
   */
  start(operator: string, project: string, projects: readonly string[]): { session: SessionRecord; ended: SessionRecord | null } {
    if (projects.length > 0 && !projects.includes(project)) {
      const offered = projects.map((p) => `"${p}"`).join(', ');
      throw new StationError('INVALID_ARGUMENT', project ? `"${project}" is not one of this station's projects: choose one of ${offered}.` : `Choose a project: one of ${offered}.`);
    }
    return this.db.transaction(() => {
      const ended = this.end();
      const at = new Date().toISOString();
      const id = Number(this.db.prepare('INSERT INTO sessions (operator, project, started_at) VALUES (?, ?, ?)').run(operator, project, at).lastInsertRowid);
      appendEvent(this.db, { type: 'session.started', data: { sessionId: id, operator, project }, at });
      return { session: this.get(id)!, ended };
    })();
  }

  /** Ends the open session; null when none was open. */
  end(): SessionRecord | null {
    return this.db.transaction(() => {
      const open = this.current();
      if (!open) return null;
      const at = new Date().toISOString();
      this.db.prepare('UPDATE sessions SET ended_at = ? WHERE id = ?').run(at, open.id);
      appendEvent(this.db, { type: 'session.ended', data: { sessionId: open.id, operator: open.operator, project: open.project }, at });
      return { ...open, endedAt: at };
    })();
  }

  /** Operators of past sessions, the most recent first (what the start panel offers). */
  recentOperators(limit = recentOperatorCount): string[] {
    return (this.db.prepare('SELECT operator FROM sessions GROUP BY operator ORDER BY MAX(id) DESC LIMIT ?').all(limit) as { operator: string }[]).map((r) => r.operator);
  }

  /** The project of the latest session (what the start panel proposes); null before the first. */
  lastProject(): string | null {
    return (this.db.prepare('SELECT project FROM sessions ORDER BY id DESC LIMIT 1').get() as { project: string } | undefined)?.project ?? null;
  }
}
