/** `capture-station export`: every recorded capture as JSON or CSV, streamed. */
import fs from 'node:fs';
import { StationError } from '../errors.js';
import { LinkStore, type ObjectState } from '../linking/store.js';
import type { CaptureRecord } from '../store/captures.js';
import { openStore } from '../store/open.js';
import { SessionStore } from '../store/sessions.js';
import type { CliContext } from './main.js';
import { csvRow } from './output.js';

/** reshoot: flagged to be shot again (UNDO, setReshoot); objectState: open, closed or rejected (REJECT); neither is uploaded. */
type ExportRow = CaptureRecord & { barcode: string | null; seq: number | null; view: string | null; operator: string | null; project: string | null; reshoot: boolean; objectState: ObjectState | null };

const columns: (keyof ExportRow)[] = ['id', 'sourceId', 'path', 'relPath', 'version', 'sha256', 'size', 'width', 'height', 'format', 'bitDepth', 'verdict', 'failedChecks', 'barcode', 'seq', 'view', 'detectedAt', 'checkedAt', 'qcMs', 'operator', 'project', 'reshoot', 'objectState'];

export async function exportCommand(ctx: CliContext): Promise<number> {
  const format = ctx.values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new StationError('INVALID_ARGUMENT', `--format must be json or csv (got "${format}").`);
  const config = ctx.config();
  if (!fs.existsSync(config.locations.database)) throw new StationError('NOT_FOUND', `No station database at ${config.locations.database} yet: run the station first (capture-station run), or pass the right --home.`);
  const store = openStore(config.locations.database);
  const file = ctx.values.output ? fs.createWriteStream(ctx.values.output) : null;
  const write = file ? (t: string) => void file.write(t) : ctx.output.out;
  try {
    let first = true;
    if (format === 'csv') write(csvRow(columns));
    else write('[');
    const links = new LinkStore(store.db);
    const sessions = new SessionStore(store.db);
    const reshootOf = store.db.prepare('SELECT reshoot FROM captures WHERE id = ?').pluck();
    for (const record of store.captures.iterate()) {
      const link = links.linkOf(record.id);
      // Who shot it: the session open when it was recorded (null: none was).
      const session = sessions.ofCapture(record.id);
      const capture: ExportRow = { ...record, barcode: link?.barcode ?? null, seq: link?.seq ?? null, view: link?.view ?? null, operator: session?.operator ?? null, project: session?.project ?? null, reshoot: reshootOf.get(record.id) === 1, objectState: link ? (links.object(link.objectId)?.state ?? null) : null };
      if (format === 'csv') write(csvRow(columns.map((c) => (c === 'failedChecks' ? capture.failedChecks.join(';') : capture[c]))));
      else write(`${first ? '\n' : ',\n'}  ${JSON.stringify(capture)}`);
      first = false;
    }
    if (format === 'json') write(first ? ']\n' : '\n]\n');
  } finally {
    store.close();
    if (file) await new Promise((resolve) => file.end(resolve));
  }
  return 0;
}
