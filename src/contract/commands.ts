/**
 * The core's contract: every command a transport may call, with the schema its arguments must pass
 * before any handler runs. Electron IPC, the headless HTTP/WebSocket server and the tests are
 * transports over this one map; result types are derived from the handlers themselves
 * (see station/handlers.ts) so they cannot drift from the implementation.
 */
import { z } from 'zod';

const verdict = z.enum(['pass', 'warn', 'fail']);
const id = z.number().int().positive();
/** An instant with its offset (or Z), stored as the UTC ISO string the store writes, so string order is time order. */
const instant = z.iso.datetime({ offset: true, error: 'a date and time with its UTC offset, e.g. 2026-11-25T00:00:00+01:00' }).transform((v) => new Date(v).toISOString());
const noControlChars = (what: string) => z.string().trim().regex(/^\P{Cc}*$/u, `${what} must not contain control characters (tab, newline, …)`);

export const commandArgs = {
  status: z.strictObject({}),
  /** What this caller may do: the operator changes the station, a monitor (a read-only token over HTTP) only watches. */
  access: z.strictObject({}),
  listCaptures: z.strictObject({
    limit: z.number().int().min(1).max(1000).default(100),
    beforeId: z.number().int().positive().optional(),
    verdict: verdict.optional(),
    sourceId: z.string().min(1).optional(),
    /** Captures linked to (or showing) this barcode; with barcodeMatch 'prefix', every barcode starting with it. */
    barcode: z.string().trim().min(1).max(4096).optional(),
    /** Default 'exact'. */
    barcodeMatch: z.enum(['exact', 'prefix']).optional(),
    /** Checked at or after `from`, and before `to`. */
    from: instant.optional(),
    to: instant.optional(),
  }).refine((a) => a.from === undefined || a.to === undefined || a.from < a.to, { path: ['to'], message: '"to" must be later than "from"' }),
  getCapture: z.strictObject({ id: z.number().int().positive() }),
  rescan: z.strictObject({}),
  /** Per upload target: counts by state, bytes pending, rate, ETA, reachability, dead jobs. */
  queueStatus: z.strictObject({}),
  /** Requeues dead upload jobs: all of them, one target's, or one job. */
  retryDead: z.strictObject({ targetId: z.string().min(1).optional(), jobId: z.number().int().positive().optional() }),
  /** Queues upload jobs for captures recorded before a target took them (all, or those recorded since a date). */
  backfillTarget: z.strictObject({ targetId: z.string().min(1), since: z.string().min(1).optional() }),
  /** A barcode from any input (keyboard wedge, USB scanner, `capture-station scan`): an object barcode or a control code. */
  scanBarcode: z.strictObject({ code: z.string().min(1, 'the scan is empty: nothing was read (check the scanner, or type the code)').max(4096), sourceId: z.string().min(1).optional() }),
  /** Fixing links: each renames the filed files, is in the event log, and can be undone (undoLinkEdit). */
  relinkCaptures: z.strictObject({ captureIds: z.array(id).min(1).max(1000), barcode: z.string().min(1).max(4096) }),
  relinkObject: z.strictObject({ objectId: id, barcode: z.string().min(1).max(4096) }),
  splitObject: z.strictObject({ objectId: id, fromSeq: z.number().int().min(1), barcode: z.string().min(1).max(4096) }),
  mergeObjects: z.strictObject({ objectId: id, intoObjectId: id }),
  setReshoot: z.strictObject({ captureId: id, reshoot: z.boolean() }),
  undoLinkEdit: z.strictObject({}),
  /** Dashboard figures: captures per hour today, per day over 7 days, pass/warn/fail by check; local days at utcOffsetMin (default: the station's). */
  captureStats: z.strictObject({ utcOffsetMin: z.number().int().min(-840).max(840).optional() }),
  /** Who shoots which project from now on; ends a session still open. project: one of linking.projects when the config lists any. */
  startSession: z.strictObject({
    operator: noControlChars('The operator').min(1, 'the operator is required (who is shooting?)').max(100),
    project: noControlChars('The project').max(100).default(''),
  }),
  endSession: z.strictObject({}),
  /** A capture's display preview (JPEG as a data URL unless withImage is false), its histogram and clipping. */
  capturePreview: z.strictObject({ id, withImage: z.boolean().default(true) }),
  /** The station config for the Settings view: every field with its value, secrets hidden, and the file it lives in. */
  getConfig: z.strictObject({}),
  /** Field errors of an edited config (as the station would report them at start); writes nothing. */
  checkConfig: z.strictObject({ config: z.record(z.string(), z.unknown()) }),
  /** Writes an edited config if it is valid (else field errors, nothing written); `revision` from getConfig guards against overwriting another edit. */
  saveConfig: z.strictObject({ config: z.record(z.string(), z.unknown()), revision: z.string().min(1).max(100).optional() }),
  /** mergeObjects by the barcode the technician knows: into the newest object of `barcode` in the object's project. */
  mergeIntoBarcode: z.strictObject({ objectId: id, barcode: z.string().min(1).max(4096) }),
  /** The linking edit undoLinkEdit would undo now, in words (null: none), so an undo button can say what it undoes. */
  lastLinkEdit: z.strictObject({}),
} as const;

export type CommandName = keyof typeof commandArgs;
export type CommandArgs<C extends CommandName> = z.input<(typeof commandArgs)[C]>;
export type ParsedArgs<C extends CommandName> = z.output<(typeof commandArgs)[C]>;

/**
 * Commands that change nothing: the only ones a read-only (monitor) client may call. A command not
 * listed here is treated as one that changes the station.
 */
export const readOnlyCommands: ReadonlySet<CommandName> = new Set<CommandName>([
  'status',
  'access',
  'listCaptures',
  'getCapture',
  'queueStatus',
  'captureStats',
  'capturePreview',
  'getConfig',
  'checkConfig',
  'lastLinkEdit',
]);

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandArgs, name);
}
