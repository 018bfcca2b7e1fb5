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
  {
    version: 2,
    name: 'upload outbox: one job per capture and target',
    sql: `
      -- The upload outbox (src/upload/outbox.ts). One row per (capture, target), inserted in the
      -- transaction that makes the capture eligible; every state change writes an 'upload.*' event
      -- in the same transaction. Times compared by the runner (next_attempt_at, lease_until) are
      -- epoch milliseconds; the others are ISO strings like the rest of the schema.
      CREATE TABLE upload_jobs (
        id              INTEGER PRIMARY KEY,
        capture_id      INTEGER NOT NULL REFERENCES captures(id),
        target_id       TEXT    NOT NULL,
        state           TEXT    NOT NULL CHECK (state IN ('queued', 'leased', 'done', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until     INTEGER,
        lease_owner     TEXT,
        last_error      TEXT,
        remote_key      TEXT,
        -- Protocol state that lets an interrupted upload resume (S3 UploadId + parts, a tus URL).
        resume_json     TEXT,
        bytes           INTEGER NOT NULL,
        created_at      TEXT    NOT NULL,
        updated_at      TEXT    NOT NULL,
        done_at         TEXT,
        verified_sha256 TEXT,
        UNIQUE (capture_id, target_id)
      );
      -- The runner scans queued jobs oldest first and takes the first one that is due.
      CREATE INDEX upload_jobs_state ON upload_jobs (state, id);
      CREATE INDEX upload_jobs_target_state ON upload_jobs (target_id, state);
    `,
  },
  {
    version: 3,
    name: 'objects (barcodes), capture links, filing journal',
    sql: `
      -- An object is one scan of a barcode at one source until it is closed; the same barcode
      -- scanned again another day is another row (a second session with the same specimen).
      CREATE TABLE objects (
        id           INTEGER PRIMARY KEY,
        barcode      TEXT    NOT NULL,
        source_id    TEXT    NOT NULL REFERENCES sources(id),
        state        TEXT    NOT NULL CHECK (state IN ('open', 'closed', 'rejected')),
        opened_at    TEXT    NOT NULL,
        closed_at    TEXT,
        close_reason TEXT    CHECK (close_reason IN ('end', 'next-object', 'idle', 'rejected', 'shutdown'))
      );
      CREATE INDEX objects_barcode ON objects (barcode);
      CREATE INDEX objects_source_state ON objects (source_id, state);

      -- A capture belongs to at most one object; RAW and TIFF of one shot share its seq.
      CREATE TABLE capture_links (
        capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
        object_id  INTEGER NOT NULL REFERENCES objects(id),
        seq        INTEGER NOT NULL CHECK (seq >= 1),
        view       TEXT,
        linked_at  TEXT    NOT NULL
      );
      CREATE INDEX capture_links_object ON capture_links (object_id, seq);

      -- Set by UNDO: the technician wants this shot taken again.
      ALTER TABLE captures ADD COLUMN reshoot INTEGER NOT NULL DEFAULT 0;

      -- Filing intents, written before a file is moved into the library and settled after, so a
      -- move cut short by a crash is finished on start (src/filing/move.ts is idempotent).
      CREATE TABLE filing_moves (
        capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
        from_path  TEXT    NOT NULL,
        to_path    TEXT    NOT NULL,
        state      TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        error      TEXT,
        created_at TEXT    NOT NULL,
        updated_at TEXT    NOT NULL
      );
      CREATE INDEX filing_moves_state ON filing_moves (state);
    `,
  },
  {
    version: 4,
    name: 'upload outbox indexes: due jobs per target, counts',
    sql: `
      -- The runner leases the job due longest per online target (ORDER BY next_attempt_at, id) and
      -- sleeps until MIN(next_attempt_at): both are a seek into this index instead of a walk over
      -- every queued row.
      CREATE INDEX upload_jobs_due ON upload_jobs (state, target_id, next_attempt_at);
      -- Queue status counts and sums bytes per (target, state) from this index alone; it replaces
      -- the narrower (target_id, state) index of version 2.
      CREATE INDEX upload_jobs_counts ON upload_jobs (target_id, state, bytes);
      DROP INDEX upload_jobs_target_state;
    `,
  },
  {
    version: 5,
    name: 'barcodes read in each capture',
    sql: `
      -- What src/barcode/image read in the capture, written in the capture's own recording
      -- transaction (before its hooks run, so linking can use them). valid: passes the project's
      -- barcode rules as an object barcode. A capture that was not searched has no rows.
      CREATE TABLE capture_barcodes (
        capture_id INTEGER NOT NULL REFERENCES captures(id),
        format     TEXT    NOT NULL,
        text       TEXT    NOT NULL,
        valid      INTEGER NOT NULL CHECK (valid IN (0, 1)),
        PRIMARY KEY (capture_id, format, text)
      );
      -- Which captures show a given barcode (relinking, audits).
      CREATE INDEX capture_barcodes_text ON capture_barcodes (text);
    `,
  },
  {
    version: 6,
    name: 'local copies removed by retention',
    sql: `
      -- Set when retention removed the local file after every required target verified it; the
      -- capture, its results and its events stay.
      ALTER TABLE captures ADD COLUMN local_deleted_at TEXT;
    `,
  },
  {
    version: 7,
    name: 'operator sessions; who shot each capture; indexes for history search and per-operator figures',
    sql: `
      -- Who is shooting which project, from startSession to endSession (src/store/sessions.ts).
      CREATE TABLE sessions (
        id         INTEGER PRIMARY KEY,
        operator   TEXT    NOT NULL CHECK (length(operator) BETWEEN 1 AND 100),
        project    TEXT    NOT NULL DEFAULT '',
        started_at TEXT    NOT NULL,
        ended_at   TEXT
      );
      -- At most one session is open: every row it covers has the same key (1).
      CREATE UNIQUE INDEX sessions_one_open ON sessions ((ended_at IS NULL)) WHERE ended_at IS NULL;

      -- The session open when the capture was recorded; NULL before sessions existed or when none was open.
      ALTER TABLE captures ADD COLUMN session_id INTEGER REFERENCES sessions(id);

      -- The dashboard (capture-stats.ts) counts captures by time, verdict and operator: with these
      -- three in one index it reads the index alone. It serves every query by checked_at, so it
      -- replaces the index of version 1 on checked_at alone.
      CREATE INDEX captures_checked_verdict_session ON captures (checked_at, verdict, session_id);
      DROP INDEX captures_checked_at;
      -- History filtered by verdict, newest first: a seek per page instead of a walk past the other verdicts.
      CREATE INDEX captures_verdict ON captures (verdict, id);
    `,
  },
  {
    version: 8,
    name: 'objects whose completeness is still to be judged',
    sql: `
      -- Set when an object closes while files of its shots are still being checked (a JSON array of
      -- their hot-folder paths); cleared when its completeness is judged. An object still set when the
      -- station starts was never judged: it is judged then, once (src/linking/linker.ts).
      ALTER TABLE objects ADD COLUMN unjudged_json TEXT;
      CREATE INDEX objects_unjudged ON objects (id) WHERE unjudged_json IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'copies the station left at targets under names it no longer uses',
    sql: `
      -- One row per copy a done upload left under a key its capture no longer has (a link edit
      -- renamed it), written in the transaction that queues the upload under the new key. The
      -- station removes its own copy once the capture's new copy is verified and the bytes at the
      -- old key are proven to be the ones it wrote (src/upload/stale-copies.ts); it is leased,
      -- retried and backed off like an upload job. state: pending (to remove), removed, kept (left
      -- alone, note says why: replaced by someone, the only copy, the target cannot delete),
      -- dropped (the key holds a current copy again).
      CREATE TABLE stale_copies (
        id              INTEGER PRIMARY KEY,
        capture_id      INTEGER NOT NULL REFERENCES captures(id),
        target_id       TEXT    NOT NULL,
        job_id          INTEGER NOT NULL REFERENCES upload_jobs(id),
        remote_key      TEXT    NOT NULL,
        -- What the target needs besides the key (a tus upload URL); NULL when nothing.
        state_json      TEXT,
        sha256          TEXT    NOT NULL,
        size            INTEGER NOT NULL,
        written_at      TEXT,
        recorded_at     TEXT    NOT NULL,
        state           TEXT    NOT NULL CHECK (state IN ('pending', 'removed', 'kept', 'dropped')),
        note            TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_owner     TEXT,
        lease_until     INTEGER,
        last_error      TEXT,
        settled_at      TEXT
      );
      CREATE INDEX stale_copies_due ON stale_copies (state, target_id, next_attempt_at);
      CREATE INDEX stale_copies_key ON stale_copies (target_id, remote_key);
      -- Leasing an upload job looks for a removal of its own earlier copy in flight (outbox.ts).
      CREATE INDEX stale_copies_job ON stale_copies (job_id, state);
    `,
  },
  {
    version: 10,
    name: 'alarms tied to objects in the event log; the project and operator a link was named for',
    sql: `
      -- An event about an object rather than one capture (an incomplete object, a rejected one):
      -- the History timeline of each capture linked to the object shows it.
      ALTER TABLE events ADD COLUMN object_id INTEGER REFERENCES objects(id);
      CREATE INDEX events_object ON events (object_id) WHERE object_id IS NOT NULL;

      -- The project and operator the capture's name was made from when it was linked (its session's,
      -- else the config's then), so a later config change neither renames it nor misreports it.
      -- NULL on links made before this version.
      ALTER TABLE capture_links ADD COLUMN project TEXT;
      ALTER TABLE capture_links ADD COLUMN operator TEXT;
    `,
  },
  {
    version: 11,
    name: 'disk alarms found without walking the event log',
    sql: `
      -- At every start the station reads the last level logged for each disk (station/disk-alarms.ts);
      -- the event log grows by thousands of rows a day, disk events are a handful.
      CREATE INDEX events_disk_status ON events (id) WHERE type = 'disk.status';
    `,
  },
  {
    version: 12,
    name: 'filed captures whose link changed after their last move',
    sql: `
      -- Set in the transaction that changes a filed capture's link (or its barcode, re-shoot flag or
      -- object's rejection), cleared once a start has checked the file is where the link says: a
      -- station that stopped between the change and the rename renames it then (linking/reconcile.ts).
      ALTER TABLE filing_moves ADD COLUMN relinked_at TEXT;
      CREATE INDEX filing_moves_relinked ON filing_moves (capture_id) WHERE relinked_at IS NOT NULL;
    `,
  },
  {
    version: 13,
    name: 'whether the barcode search of a capture read every region',
    sql: `
      -- 1: every region of the image was read, so its capture_barcodes rows are all it shows; 0: the
      -- search stopped once it had what the station decided from (or was cut short), so another
      -- label may be on the image; NULL: not searched, or recorded before this version (as 0).
      ALTER TABLE captures ADD COLUMN barcodes_complete INTEGER;
    `,
  },
];
