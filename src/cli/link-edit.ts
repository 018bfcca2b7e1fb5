/**
 * The linking edits of the web UI from the shell, for a headless rig: `relink`, `split`, `merge`,
 * `reshoot` and `undo` send them to the running station of this home over its control socket, as
 * `scan` does. Names are resolved in the CLI (edit-names.ts) and barcodes checked against the
 * config, so a typing mistake is bad usage (exit 2) before anything is sent; the station checks
 * everything again and may refuse (exit 1, its reason and what to do). Each edit prints what it did
 * and every file it renamed, from → to, read from the `capture.filed` events it wrote.
 */
import { classifyScan } from '../barcode/validate.js';
import type { StationConfig } from '../config/load.js';
import type { CommandName } from '../contract/commands.js';
import { StationError } from '../errors.js';
import type { EditOutcome, LastEdit } from '../linking/edits.js';
import { callStation, controlSocketPath } from '../server/control-socket.js';
import { openStoreForReading } from '../store/open.js';
import type { Db } from '../store/database.js';
import { captureNamed, objectNamed } from './edit-names.js';
import type { CliContext } from './main.js';

/** What an edit command sends, once its names are resolved against the database. */
interface Request {
  command: CommandName;
  args: Record<string, unknown>;
  /** The object the technician named, for the command lines a refusal points to. */
  object?: string;
}

/** An edit refused before it is sent (it would change nothing): said as the station's refusals are. */
class Refused extends Error {}

const usage = (text: string) => new StationError('INVALID_ARGUMENT', text);

const editTimeoutMs = 30 * 60_000;

export function relinkCommand(ctx: CliContext): Promise<number> {
  const { to, object } = ctx.values;
  if (to === undefined) throw usage('Say which barcode to relink to: capture-station relink CAPTURE… --to BARCODE, or relink --object BARCODE --to BARCODE to rename an object.');
  if (object !== undefined) {
    if (ctx.positionals.length > 0) throw usage(`relink --object renames a whole object: give no captures with it (got ${ctx.positionals.join(' ')}). To move single captures, use capture-station relink CAPTURE… --to ${to}.`);
    return edit(ctx, (config) => {
      const barcode = objectBarcode(config, to, '--to');
      return (db) => ({ command: 'relinkObject', args: { objectId: objectNamed(db, object).id, barcode }, object });
    });
  }
  if (ctx.positionals.length === 0) throw usage(`Name the captures to relink (ids or file names, as capture-station export shows them): capture-station relink CAPTURE… --to ${to}.`);
  if (ctx.positionals.length > 1000) throw usage(`At most 1000 captures can be relinked at once (got ${ctx.positionals.length}): relink them in parts.`);
  return edit(ctx, (config) => {
    const barcode = objectBarcode(config, to, '--to');
    return (db) => ({ command: 'relinkCaptures', args: { captureIds: [...new Set(ctx.positionals.map((name) => captureNamed(db, name).id))], barcode } });
  });
}

/** `split CAPTURE --to BARCODE` (that shot and the ones after it), or `split OBJECT --from SEQ --to BARCODE`. */
export function splitCommand(ctx: CliContext): Promise<number> {
  const { to, from } = ctx.values;
  const [name, ...extra] = ctx.positionals;
  if (name === undefined || extra.length > 0 || to === undefined) {
    throw usage('Split takes one capture (it and the shots after it become a new object) and the new barcode: capture-station split CAPTURE --to BARCODE, or split OBJECT --from SHOT-NUMBER --to BARCODE.');
  }
  const fromSeq = from === undefined ? null : Number(from);
  if (fromSeq !== null && !(Number.isInteger(fromSeq) && fromSeq >= 1)) throw usage(`--from is the number of the first shot to split off, 1 or more (got "${from}").`);
  return edit(ctx, (config) => {
    const barcode = objectBarcode(config, to, '--to');
    return (db) => {
      if (fromSeq !== null) return { command: 'splitObject', args: { objectId: objectNamed(db, name).id, fromSeq, barcode }, object: name };
      const capture = captureNamed(db, name);
      if (capture.object_id === null || capture.seq === null) throw usage(`Capture ${capture.id} (${capture.rel_path}) is not linked to any object, so there is nothing to split: link it with capture-station relink ${capture.id} --to ${barcode}.`);
      return { command: 'splitObject', args: { objectId: capture.object_id, fromSeq: capture.seq, barcode }, object: name };
    };
  });
}

/** `merge OBJECT --into BARCODE`: every shot of OBJECT joins the newest object of BARCODE in its project. */
export function mergeCommand(ctx: CliContext): Promise<number> {
  const { into } = ctx.values;
  const [name, ...extra] = ctx.positionals;
  if (name === undefined || extra.length > 0 || into === undefined) throw usage('Merge takes one object (its barcode, or one of its captures) and the barcode to merge it into: capture-station merge OBJECT --into BARCODE.');
  return edit(ctx, (config) => {
    const barcode = objectBarcode(config, into, '--into');
    return (db) => ({ command: 'mergeIntoBarcode', args: { objectId: objectNamed(db, name).id, barcode }, object: name });
  });
}

/**
 * `reshoot CAPTURE` flags its whole shot to be shot again (not uploaded; its filed files set aside in
 * `_reshoot/<barcode>/`); `--clear` takes the flag off (and files them under their names again).
 */
export function reshootCommand(ctx: CliContext): Promise<number> {
  const [name, ...extra] = ctx.positionals;
  if (name === undefined || extra.length > 0) throw usage('Name one capture (its id or file name, as capture-station export shows them): capture-station reshoot CAPTURE, or reshoot CAPTURE --clear to take the flag off.');
  const reshoot = !ctx.values.clear;
  return edit(ctx, () => (db) => {
    const capture = captureNamed(db, name);
    // An edit that changes nothing would only stand in the way of undo; refused like a scan that changes nothing.
    if ((db.prepare('SELECT reshoot FROM captures WHERE id = ?').pluck().get(capture.id) === 1) === reshoot) {
      throw new Refused(`Capture ${capture.id} (${capture.rel_path}) is ${reshoot ? 'already' : 'not'} flagged for re-shoot: nothing to change.${reshoot ? ' To take the flag off, add --clear.' : ''}`);
    }
    return { command: 'setReshoot', args: { captureId: capture.id, reshoot } };
  });
}

/** `undo`: the station's newest linking edit, whichever screen or command made it. */
export function undoCommand(ctx: CliContext): Promise<number> {
  if (ctx.positionals.length > 0) throw usage(`undo takes no arguments: it undoes the newest linking edit (got ${ctx.positionals.join(' ')}).`);
  return edit(ctx, () => () => ({ command: 'undoLinkEdit', args: {} }));
}

/** A barcode the config accepts for an object, checked before anything is sent. */
function objectBarcode(config: StationConfig, code: string, option: string): string {
  const scan = classifyScan(code.trim(), config.linking.barcode);
  if (scan.kind === 'control') throw usage(`${option} ${code}: that is a control code, not an object barcode.`);
  if (scan.kind === 'refused') throw usage(`${option} ${code}: the barcode ${scan.reason}.`);
  return scan.code;
}

/**
 * `check` validates what needs only the config (bad usage before anything else) and returns what
 * resolves the names in the database into the request, once the station is known to be running.
 */
async function edit(ctx: CliContext, check: (config: StationConfig) => (db: Db) => Request): Promise<number> {
  const config = ctx.config();
  const request = check(config);
  const socket = controlSocketPath(config.locations.dataDir);
  // Asked before the database is read, so that with no station running the answer is scan's.
  await callStation(socket, 'lastLinkEdit', {});
  const store = openStoreForReading(config.locations.database);
  try {
    let resolved: Request;
    try {
      resolved = request(store.db);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      ctx.output.err(`REFUSED: ${err.message}\n`);
      return 1;
    }
    const { command, args, object } = resolved;
    const mark = store.db.prepare('SELECT COALESCE(MAX(id), 0) FROM events').pluck().get() as number;
    // An edit renames files (a verified copy each, when the library is on another disk or a share): minutes, not the 10 s of a scan.
    const reply = await callStation(socket, command, args, editTimeoutMs);
    if ('error' in reply) {
      ctx.output.err(`REFUSED: ${reply.error.message}\n${onCommandLine(reply.error.message, object, args)}`);
      return 1;
    }
    const outcome = reply.result as EditOutcome;
    if (outcome.message !== undefined) ctx.output.out(`${outcome.message}\n`);
    else {
      const last = await callStation(socket, 'lastLinkEdit', {});
      const newest = 'result' in last ? (last.result as LastEdit | null) : null;
      const what = newest?.editId === outcome.editId ? newest.summary : `${outcome.kind} of ${outcome.captureIds.length} capture${outcome.captureIds.length === 1 ? '' : 's'}`;
      ctx.output.out(`Done: ${what} (capture-station undo reverses it).\n`);
    }
    ctx.output.out(renamedFiles(store.db, outcome, mark));
    return 0;
  } finally {
    store.close();
  }
}

/**
 * One line per capture of the edit: its file renamed (from → to, as the station's `capture.filed`
 * events after `mark` say), to be filed next (not in the library yet: where the station said it
 * goes), or left as it was. An edit renames each file once, after any filing queued before it
 * (whose event may also follow `mark`): its rename is the capture's last event.
 */
function renamedFiles(db: Db, outcome: EditOutcome, mark: number): string {
  const moved = db.prepare(`SELECT data_json FROM events WHERE type = 'capture.filed' AND capture_id = ? AND id > ? ORDER BY id DESC LIMIT 1`).pluck();
  const now = db.prepare('SELECT path FROM captures WHERE id = ?').pluck();
  const later = new Map((outcome.filedLater ?? []).map((f) => [f.captureId, f.to]));
  return outcome.captureIds
    .map((id) => {
      const last = moved.get(id, mark) as string | undefined;
      const next = later.get(id);
      if (last === undefined && next !== undefined) return `  to be filed: ${now.get(id) as string} → ${next} (not in the library yet: the station moves it there next)\n`;
      if (last === undefined) return `  not renamed: ${now.get(id) as string} (no file moved: its name is still right, it failed QC and stays in the hot folder, or retention removed it locally)\n`;
      const { from, to } = JSON.parse(last) as { from: string; to: string };
      return `  renamed ${from} → ${to}\n`;
    })
    .join('');
}

/** The station's reasons name the UI's buttons; the same fix from the shell. */
function onCommandLine(message: string, object: string | undefined, args: Record<string, unknown>): string {
  const merge = /use Merge into (\S+?) \(/.exec(message);
  if (merge && object !== undefined) return `On the command line: capture-station merge ${object} --into ${merge[1]}\n`;
  if (message.includes('use Rename object') && object !== undefined) return `On the command line: capture-station relink --object ${object} --to ${String(args['barcode'])}\n`;
  return '';
}
