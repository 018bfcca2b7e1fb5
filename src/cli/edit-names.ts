/**
 * The names a technician types for the linking edits of the CLI, resolved to the ids the station's
 * commands take, from the station database (read-only): a capture by its id or by its file as
 * `export` shows it (its path, its hot-folder relPath, or the end of either, such as the file name);
 * an object by its barcode, or by one of its captures. A name that fits several is refused with
 * every candidate listed, never guessed: an edit under the wrong name renames the wrong files.
 */
import path from 'node:path';
import { StationError } from '../errors.js';
import type { Db } from '../store/database.js';

interface CaptureRow {
  id: number;
  path: string;
  rel_path: string;
  source_id: string;
  version: number;
  verdict: string;
  barcode: string | null;
  seq: number | null;
  object_id: number | null;
}

interface ObjectRow {
  id: number;
  barcode: string;
  source_id: string;
  state: string;
  opened_at: string;
  shots: number;
}

export interface NamedObject {
  id: number;
  barcode: string;
}

const captureColumns = `SELECT c.id, c.path, c.rel_path, c.source_id, c.version, c.verdict, o.barcode, l.seq, l.object_id
  FROM captures c LEFT JOIN capture_links l ON l.capture_id = c.id LEFT JOIN objects o ON o.id = l.object_id`;

/** The capture `name` names: its id, or its file (see the module comment). */
export function captureNamed(db: Db, name: string): CaptureRow {
  const typed = name.trim();
  if (typed === '') throw new StationError('INVALID_ARGUMENT', 'A capture name is empty: give its id or its file name, as capture-station export shows them.');
  if (/^\d+$/.test(typed)) {
    const row = db.prepare(`${captureColumns} WHERE c.id = ?`).get(Number(typed)) as CaptureRow | undefined;
    if (!row) throw new StationError('INVALID_ARGUMENT', `There is no capture ${typed}: give a capture id or file name as capture-station export shows them.`);
    return row;
  }
  const absolute = path.resolve(typed);
  const tail = `%/${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
  // LIKE ignores ASCII case: it only narrows the rows; the exact test is below.
  const rows = (db.prepare(`${captureColumns} WHERE c.path = ? OR c.rel_path = ? OR c.path LIKE ? ESCAPE '\\' OR c.rel_path LIKE ? ESCAPE '\\' ORDER BY c.id`).all(absolute, typed, tail, tail) as CaptureRow[]).filter(
    (r) => r.path === absolute || r.rel_path === typed || endsWithPart(r.path, typed) || endsWithPart(r.rel_path, typed),
  );
  if (rows.length === 1) return rows[0]!;
  if (rows.length === 0) throw new StationError('INVALID_ARGUMENT', `No capture is named "${typed}": give its id, or its path or file name as capture-station export shows them (path or relPath).`);
  throw new StationError('INVALID_ARGUMENT', `"${typed}" names ${rows.length} captures:\n${rows.map((r) => `  ${describeCapture(r)}`).join('\n')}\nName the one you mean by its id (the number first on its line).`);
}

/**
 * The object `name` names: the object of that barcode, or of that capture. Among several objects of
 * one barcode (each scan of it opens one), those with shots are the candidates; several are refused.
 */
export function objectNamed(db: Db, name: string): NamedObject {
  const typed = name.trim();
  const objects = db
    .prepare(`SELECT o.id, o.barcode, o.source_id, o.state, o.opened_at, (SELECT COUNT(DISTINCT seq) FROM capture_links l WHERE l.object_id = o.id) AS shots FROM objects o WHERE o.barcode = ? ORDER BY o.id`)
    .all(typed) as ObjectRow[];
  const withShots = objects.filter((o) => o.shots > 0);
  const candidates = withShots.length > 0 ? withShots : objects;
  if (candidates.length === 1) return { id: candidates[0]!.id, barcode: candidates[0]!.barcode };
  if (candidates.length > 1) {
    throw new StationError(
      'INVALID_ARGUMENT',
      `Barcode ${typed} has ${candidates.length} objects:\n${candidates.map((o) => `  object ${o.id}: ${o.barcode} at ${o.source_id}, ${o.state}, ${o.shots} shot${o.shots === 1 ? '' : 's'}, opened ${o.opened_at}`).join('\n')}\n` +
        'Name the one you mean by one of its captures instead (its id or file name, as capture-station export shows them).',
    );
  }
  let capture: CaptureRow;
  try {
    capture = captureNamed(db, typed);
  } catch (err) {
    if ((err instanceof StationError && err.message.startsWith('No capture is named')) || /^\d+$/.test(typed)) {
      throw new StationError('INVALID_ARGUMENT', `No object has the barcode "${typed}", and no capture is named so: give an object's barcode, or one of its captures (id or file name), as capture-station export shows them.`);
    }
    throw err;
  }
  if (capture.object_id === null) throw new StationError('INVALID_ARGUMENT', `Capture ${capture.id} (${capture.rel_path}) is not linked to any object: link it first (capture-station relink ${capture.id} --to BARCODE).`);
  return { id: capture.object_id, barcode: capture.barcode! };
}

export function describeCapture(r: CaptureRow): string {
  const link = r.barcode === null ? 'not linked' : `shot ${r.seq} of ${r.barcode}`;
  return `${r.id}: ${r.path} (${r.source_id}/${r.rel_path}${r.version > 1 ? ` version ${r.version}` : ''}, ${r.verdict}, ${link})`;
}

/** True when `part` is `file` or its last whole path segments. */
function endsWithPart(file: string, part: string): boolean {
  return file === part || file.endsWith(`/${part}`) || (path.sep !== '/' && file.endsWith(`${path.sep}${part}`));
}
