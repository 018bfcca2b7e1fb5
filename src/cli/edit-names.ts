/**
 * The names a technician types for the linking edits of the CLI, resolved to the ids the station's
 * commands take, from the station database (read-only): a capture by its id (`capture:N`, or the bare
 * number) or by its file as `export` shows it (its path, its hot-folder relPath, or the end of either,
 * such as the file name); an object by its barcode, or by one of its captures (`capture:N`, or its
 * file: a bare number names an object only as its barcode). A name that fits several is refused with
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

/** `capture:N` names capture N and nothing else: the way to say "the capture id" when a bare number also fits a barcode or a file. */
const captureIdForm = /^capture:(\d+)$/;

/** The capture `name` names: its id, or its file (see the module comment). */
export function captureNamed(db: Db, name: string): CaptureRow {
  const typed = name.trim();
  if (typed === '') throw new StationError('INVALID_ARGUMENT', 'A capture name is empty: give its id or its file name, as capture-station export shows them.');
  const explicit = captureIdForm.exec(typed);
  if (explicit) return captureOfId(db, Number(explicit[1]));
  const files = capturesOfFile(db, typed);
  if (/^\d+$/.test(typed)) {
    // A number is an id, unless it is also the end of another capture's path (a template with no {ext}).
    const byId = captureById(db, Number(typed));
    const others = files.filter((r) => r.id !== byId?.id);
    if (others.length === 0) return byId ?? captureOfId(db, Number(typed));
    if (!byId && others.length === 1) return others[0]!;
    throw new StationError(
      'INVALID_ARGUMENT',
      `"${typed}" names ${others.length + (byId ? 1 : 0)} captures:\n${[...(byId ? [`${describeCapture(byId)} — its id`] : []), ...others.map((r) => `${describeCapture(r)} — its file`)].map((l) => `  ${l}`).join('\n')}\n` +
        `Name the one you mean by its id as capture:ID (e.g. capture:${(byId ?? others[0]!).id}), or by its whole path.`,
    );
  }
  if (files.length === 1) return files[0]!;
  if (files.length === 0) throw new StationError('INVALID_ARGUMENT', `No capture is named "${typed}": give its id, or its path or file name as capture-station export shows them (path or relPath).`);
  throw severalCaptures(typed, files);
}

function severalCaptures(typed: string, rows: CaptureRow[]): StationError {
  return new StationError('INVALID_ARGUMENT', `"${typed}" names ${rows.length} captures:\n${rows.map((r) => `  ${describeCapture(r)}`).join('\n')}\nName the one you mean by its id as capture:ID (the number first on its line).`);
}

/**
 * The object `name` names: the object of that barcode, or of the capture of that file, or of
 * `capture:N`. A bare number is never read as a capture id here (a mistyped barcode would edit
 * another object): one that is also a capture id of another object is refused with both listed.
 * Among several objects of one barcode (each scan of it opens one), those with shots are the
 * candidates; several are refused.
 */
export function objectNamed(db: Db, name: string): NamedObject {
  const typed = name.trim();
  const explicit = captureIdForm.exec(typed);
  if (explicit) return objectOf(captureOfId(db, Number(explicit[1])));
  const objects = db
    .prepare(`SELECT o.id, o.barcode, o.source_id, o.state, o.opened_at, (SELECT COUNT(DISTINCT seq) FROM capture_links l WHERE l.object_id = o.id) AS shots FROM objects o WHERE o.barcode = ? ORDER BY o.id`)
    .all(typed) as ObjectRow[];
  const withShots = objects.filter((o) => o.shots > 0);
  const candidates = withShots.length > 0 ? withShots : objects;
  if (candidates.length > 1) {
    throw new StationError(
      'INVALID_ARGUMENT',
      `Barcode ${typed} has ${candidates.length} objects:\n${candidates.map((o) => `  ${describeObject(o)}`).join('\n')}\n` +
        'Name the one you mean by one of its captures instead (capture:ID, or its file name, as capture-station export shows them).',
    );
  }
  const byId = /^\d+$/.test(typed) ? captureById(db, Number(typed)) : undefined;
  const barcode = candidates[0];
  if (barcode) {
    if (byId?.object_id != null && byId.object_id !== barcode.id) {
      const first = db.prepare('SELECT MIN(capture_id) FROM capture_links WHERE object_id = ?').pluck().get(barcode.id) as number | null;
      throw new StationError(
        'INVALID_ARGUMENT',
        `"${typed}" names 2 objects:\n  ${describeObject(barcode)} — by its barcode\n  object ${byId.object_id}: ${byId.barcode} — by capture ${describeCapture(byId)}\n` +
          `Name the one you mean by one of its captures as capture:ID: ${first === null ? `object ${barcode.id} has no shots, ` : `capture:${first} for ${barcode.barcode}, `}capture:${byId.id} for ${byId.barcode}.`,
      );
    }
    return { id: barcode.id, barcode: barcode.barcode };
  }
  const files = capturesOfFile(db, typed);
  if (files.length === 1) return objectOf(files[0]!);
  if (files.length > 1) throw severalCaptures(typed, files);
  throw new StationError(
    'INVALID_ARGUMENT',
    `No object has the barcode "${typed}", and no capture's file is named so` +
      (byId
        ? `. Capture ${describeCapture(byId)} has that id: to name its object by it, write capture:${byId.id}.`
        : `: give an object's barcode, or one of its captures (capture:ID, or its file name), as capture-station export shows them.`),
  );
}

function captureById(db: Db, id: number): CaptureRow | undefined {
  return db.prepare(`${captureColumns} WHERE c.id = ?`).get(id) as CaptureRow | undefined;
}

function captureOfId(db: Db, id: number): CaptureRow {
  const row = captureById(db, id);
  if (!row) throw new StationError('INVALID_ARGUMENT', `There is no capture ${id}: give a capture id or file name as capture-station export shows them.`);
  return row;
}

/** The captures whose path or relPath is `typed` or ends with it as whole path segments. */
function capturesOfFile(db: Db, typed: string): CaptureRow[] {
  const absolute = path.resolve(typed);
  const tail = `%/${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
  // LIKE ignores ASCII case: it only narrows the rows; the exact test is below.
  return (db.prepare(`${captureColumns} WHERE c.path = ? OR c.rel_path = ? OR c.path LIKE ? ESCAPE '\\' OR c.rel_path LIKE ? ESCAPE '\\' ORDER BY c.id`).all(absolute, typed, tail, tail) as CaptureRow[]).filter(
    (r) => r.path === absolute || r.rel_path === typed || endsWithPart(r.path, typed) || endsWithPart(r.rel_path, typed),
  );
}

function objectOf(capture: CaptureRow): NamedObject {
  if (capture.object_id === null) throw new StationError('INVALID_ARGUMENT', `Capture ${capture.id} (${capture.rel_path}) is not linked to any object: link it first (capture-station relink capture:${capture.id} --to BARCODE).`);
  return { id: capture.object_id, barcode: capture.barcode! };
}

function describeObject(o: ObjectRow): string {
  return `object ${o.id}: ${o.barcode} at ${o.source_id}, ${o.state}, ${o.shots} shot${o.shots === 1 ? '' : 's'}, opened ${o.opened_at}`;
}

export function describeCapture(r: CaptureRow): string {
  const link = r.barcode === null ? 'not linked' : `shot ${r.seq} of ${r.barcode}`;
  return `${r.id}: ${r.path} (${r.source_id}/${r.rel_path}${r.version > 1 ? ` version ${r.version}` : ''}, ${r.verdict}, ${link})`;
}

/** True when `part` is `file` or its last whole path segments. */
function endsWithPart(file: string, part: string): boolean {
  return file === part || file.endsWith(`/${part}`) || (path.sep !== '/' && file.endsWith(`${path.sep}${part}`));
}
