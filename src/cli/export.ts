/** `capture-station export`: every recorded capture as JSON or CSV, streamed. */
import fs from 'node:fs';
import { finished } from 'node:stream/promises';
import { StationError } from '../errors.js';
import { LinkStore, type ObjectState } from '../linking/store.js';
import type { CaptureRecord } from '../store/captures.js';
import { openStoreForReading } from '../store/open.js';
import { SessionStore } from '../store/sessions.js';
import type { CliContext } from './main.js';
import { cannotWrite, csvRow, openOutputFile } from './output.js';

/**
 * Whether `path` still holds the capture: `present` (same size and time), `removed` (retention
 * removed it, see localRemovedAt), `overwritten` (a newer version of the same hot-folder file,
 * capture `replacedBy`, was written over it), `changed` (another file is there) or `missing`.
 */
type FileState = 'present' | 'removed' | 'overwritten' | 'changed' | 'missing';

/** A target's upload of the capture: its job state (null: no job) and the key or path it has there. */
interface TargetUpload {
  state: string | null;
  key: string | null;
}

/** reshoot: flagged to be shot again (UNDO, setReshoot); objectState: open, closed or rejected (REJECT); neither is uploaded. */
type ExportRow = CaptureRecord & {
  barcode: string | null;
  seq: number | null;
  view: string | null;
  operator: string | null;
  project: string | null;
  reshoot: boolean;
  objectState: ObjectState | null;
  fileState: FileState;
  localRemovedAt: string | null;
  replacedBy: number | null;
  uploads: Record<string, TargetUpload>;
};

const columns: (keyof ExportRow)[] = [
  'id', 'sourceId', 'path', 'relPath', 'version', 'sha256', 'size', 'width', 'height', 'format', 'bitDepth', 'verdict', 'failedChecks', 'barcode', 'seq', 'view', 'detectedAt', 'checkedAt', 'qcMs', 'operator', 'project', 'reshoot', 'objectState',
  'fileState', 'localRemovedAt', 'replacedBy',
];

export async function exportCommand(ctx: CliContext): Promise<number> {
  const format = ctx.values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new StationError('INVALID_ARGUMENT', `--format must be json or csv (got "${format}").`);
  const config = ctx.config();
  if (!fs.existsSync(config.locations.database)) throw new StationError('NOT_FOUND', `No station database at ${config.locations.database} yet: run the station first (capture-station run), or pass the right --home.`);
  const store = openStoreForReading(config.locations.database);
  const output = ctx.values.output;
  const file = (() => {
    try {
      return output ? openOutputFile(output) : null;
    } catch (err) {
      store.close();
      throw err;
    }
  })();
  // A write that fails on the way (a full disk) is told at the end; later writes are dropped.
  let failed: unknown = null;
  file?.on('error', (err) => (failed ??= err));
  const write = file ? (t: string) => void (failed === null && file.write(t)) : ctx.output.out;
  const targets = config.targets.map((t) => t.id);
  try {
    let first = true;
    // CSV has one state and one key column per configured target; JSON an `uploads` object.
    if (format === 'csv') write(csvRow([...columns, ...targets.flatMap((t) => [`upload.${t}.state`, `upload.${t}.key`])]));
    else write('[');
    const links = new LinkStore(store.db);
    const sessions = new SessionStore(store.db);
    const extra = store.db.prepare('SELECT reshoot, local_deleted_at, (SELECT state FROM filing_moves f WHERE f.capture_id = c.id) AS move_state FROM captures c WHERE id = ?');
    // A seek on the (source, path, …) key; MIN(id) would walk the source's captures instead.
    const newerVersion = store.db.prepare('SELECT id FROM captures WHERE source_id = ? AND rel_path = ? AND version > ? ORDER BY version LIMIT 1').pluck();
    const jobs = store.db.prepare('SELECT target_id, state, remote_key FROM upload_jobs WHERE capture_id = ?');
    for (const record of store.captures.iterate()) {
      const link = links.linkOf(record.id);
      const { reshoot, local_deleted_at: localRemovedAt, move_state: moveState } = extra.get(record.id) as { reshoot: number; local_deleted_at: string | null; move_state: string | null };
      // Who shot it for which project: as recorded on its link (what its name was made from); a
      // link from before that was recorded, or no link, has its session's (the config's when the
      // link was named outside a session).
      const session = sessions.ofCapture(record.id);
      const project = link ? (link.project ?? (session?.project || config.linking.project)) : session?.project || null;
      const operator = link ? (link.operator ?? session?.operator ?? config.linking.operator) : (session?.operator ?? null);
      const newer = (newerVersion.get(record.sourceId, record.relPath, record.version) as number | undefined) ?? null;
      const uploads = Object.fromEntries(targets.map((t): [string, TargetUpload] => [t, { state: null, key: null }]));
      for (const j of jobs.all(record.id) as { target_id: string; state: string; remote_key: string | null }[]) if (j.target_id in uploads) uploads[j.target_id] = { state: j.state, key: j.remote_key };
      // Never moved into the library: it is still (or was last) at its hot-folder name, which a re-shoot may have taken.
      const overwrittenBy = moveState === 'done' ? null : newer;
      const fileState = stateOf(record, localRemovedAt, overwrittenBy);
      const capture: ExportRow = {
        ...record,
        barcode: link?.barcode ?? null,
        seq: link?.seq ?? null,
        view: link?.view ?? null,
        operator,
        project,
        reshoot: reshoot === 1,
        objectState: link ? (links.object(link.objectId)?.state ?? null) : null,
        fileState,
        localRemovedAt,
        replacedBy: fileState === 'overwritten' ? overwrittenBy : null,
        uploads,
      };
      if (format === 'csv') write(csvRow([...columns.map((c) => (c === 'failedChecks' ? capture.failedChecks.join(';') : capture[c])), ...targets.flatMap((t) => [uploads[t]!.state, uploads[t]!.key])]));
      else write(`${first ? '\n' : ',\n'}  ${JSON.stringify(capture)}`);
      first = false;
    }
    if (format === 'json') write(first ? ']\n' : '\n]\n');
  } finally {
    store.close();
    if (file) await finished(file.end()).catch((err: unknown) => (failed ??= err));
  }
  if (failed !== null) {
    const err = cannotWrite(output!, failed);
    throw new StationError(err.code, `${err.message} What was written of it is incomplete.`);
  }
  return 0;
}

/** What is at the capture's path now (see FileState); `overwrittenBy`: the next version of its hot-folder file, when the capture was never moved from there. */
function stateOf(capture: CaptureRecord, localRemovedAt: string | null, overwrittenBy: number | null): FileState {
  if (localRemovedAt !== null) return 'removed';
  const st = fs.statSync(capture.path, { throwIfNoEntry: false });
  if (st && st.size === capture.size && Math.abs(st.mtimeMs - capture.mtimeUs / 1000) <= 1) return 'present';
  // The newer version was written over it, and may have been filed away since.
  if (overwrittenBy !== null) return 'overwritten';
  return st ? 'changed' : 'missing';
}
