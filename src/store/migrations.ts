/**
 * Versioned schema. A migration is applied once, in a transaction together with the bump of
 * `user_version`, so a crash mid-migration leaves the previous version intact. Never edit a
 * migration that has shipped: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'sources, captures, qc results, ingest attempts, append-only event log',
    sql: `
      CREATE TABLE sources (
        id         TEXT PRIMARY KEY,
        path       TEXT NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('camera', 'scanner', 'other')),
        profile    TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- One row per version of a file. Identity: source + relative path + size + mtime; the sha256
      -- is recorded with it. A rewritten file is a new row with the next version number.
      CREATE TABLE captures (
        id            INTEGER PRIMARY KEY,
        source_id     TEXT    NOT NULL REFERENCES sources(id),
        rel_path      TEXT    NOT NULL,
        path          TEXT    NOT NULL,
        version       INTEGER NOT NULL,
        size          INTEGER NOT NULL,
        mtime_us      INTEGER NOT NULL,
        sha256        TEXT,
        verdict       TEXT    NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail')),
        format        TEXT,
        width         INTEGER,
        height        INTEGER,
        bit_depth     INTEGER,
        phash         TEXT,
        facts_json    TEXT,
        measures_json TEXT,
        failed_checks TEXT    NOT NULL DEFAULT '',
        detected_at   TEXT    NOT NULL,
        checked_at    TEXT    NOT NULL,
        qc_ms         REAL,
        UNIQUE (source_id, rel_path, size, mtime_us)
      );
      CREATE INDEX captures_sha256 ON captures (sha256);
      CREATE INDEX captures_source_checked ON captures (source_id, id);
      CREATE INDEX captures_checked_at ON captures (checked_at);

      CREATE TABLE qc_results (
        capture_id     INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
        check_id       TEXT    NOT NULL,
        status         TEXT    NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'skip')),
        value_json     TEXT,
        threshold_json TEXT,
        message        TEXT    NOT NULL,
        PRIMARY KEY (capture_id, check_id)
      );

      -- A file version being checked. Written before QC starts and removed when its capture is
      -- recorded, so after a crash the station knows which file was in flight and how often it has
      -- already taken the station down (a file that crashes the decoder is failed, not retried forever).
      CREATE TABLE ingest_attempts (
        source_id  TEXT    NOT NULL REFERENCES sources(id),
        rel_path   TEXT    NOT NULL,
        size       INTEGER NOT NULL,
        mtime_us   INTEGER NOT NULL,
        attempts   INTEGER NOT NULL,
        started_at TEXT    NOT NULL,
        PRIMARY KEY (source_id, rel_path, size, mtime_us)
      );

      CREATE TABLE events (
        id         INTEGER PRIMARY KEY,
        at         TEXT    NOT NULL,
        type       TEXT    NOT NULL,
        capture_id INTEGER REFERENCES captures(id),
        source_id  TEXT,
        data_json  TEXT
      );
      CREATE INDEX events_capture ON events (capture_id);
      CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
      CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    `,
  },
];
