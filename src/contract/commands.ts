/**
 * The core's contract: every command a transport may call, with the schema its arguments must pass
 * before any handler runs. Electron IPC, the headless HTTP/WebSocket server and the tests are
 * transports over this one map; result types are derived from the handlers themselves
 * (see station/handlers.ts) so they cannot drift from the implementation.
 */
import { z } from 'zod';

const verdict = z.enum(['pass', 'warn', 'fail']);
const id = z.number().int().positive();

export const commandArgs = {
  status: z.strictObject({}),
  listCaptures: z.strictObject({
    limit: z.number().int().min(1).max(1000).default(100),
    beforeId: z.number().int().positive().optional(),
    verdict: verdict.optional(),
    sourceId: z.string().min(1).optional(),
  }),
  getCapture: z.strictObject({ id: z.number().int().positive() }),
  rescan: z.strictObject({}),
  /** Per upload target: counts by state, bytes pending, rate, ETA, reachability, dead jobs. */
  queueStatus: z.strictObject({}),
  /** Requeues dead upload jobs: all of them, one target's, or one job. */
  retryDead: z.strictObject({ targetId: z.string().min(1).optional(), jobId: z.number().int().positive().optional() }),
  /** Queues upload jobs for captures recorded before a target took them (all, or those recorded since a date). */
  backfillTarget: z.strictObject({ targetId: z.string().min(1), since: z.string().min(1).optional() }),
  /** A barcode from any input (keyboard wedge, USB scanner, `capture-station scan`): an object barcode or a control code. */
  scanBarcode: z.strictObject({ code: z.string().min(1).max(4096), sourceId: z.string().min(1).optional() }),
  /** Fixing links: each renames the filed files, is in the event log, and can be undone (undoLinkEdit). */
  relinkCaptures: z.strictObject({ captureIds: z.array(id).min(1).max(1000), barcode: z.string().min(1).max(4096) }),
  relinkObject: z.strictObject({ objectId: id, barcode: z.string().min(1).max(4096) }),
  splitObject: z.strictObject({ objectId: id, fromSeq: z.number().int().min(1), barcode: z.string().min(1).max(4096) }),
  mergeObjects: z.strictObject({ objectId: id, intoObjectId: id }),
  setReshoot: z.strictObject({ captureId: id, reshoot: z.boolean() }),
  undoLinkEdit: z.strictObject({}),
  /** Dashboard figures: captures per hour today, per day over 7 days, pass/warn/fail by check; local days at utcOffsetMin (default: the station's). */
  captureStats: z.strictObject({ utcOffsetMin: z.number().int().min(-840).max(840).optional() }),
  /** The station config for the Settings view: every field with its value, secrets hidden, and the file it lives in. */
  getConfig: z.strictObject({}),
  /** Field errors of an edited config (as the station would report them at start); writes nothing. */
  checkConfig: z.strictObject({ config: z.record(z.string(), z.unknown()) }),
  /** Writes an edited config if it is valid (else field errors, nothing written); `revision` from getConfig guards against overwriting another edit. */
  saveConfig: z.strictObject({ config: z.record(z.string(), z.unknown()), revision: z.string().min(1).max(100).optional() }),
} as const;

export type CommandName = keyof typeof commandArgs;
export type CommandArgs<C extends CommandName> = z.input<(typeof commandArgs)[C]>;
export type ParsedArgs<C extends CommandName> = z.output<(typeof commandArgs)[C]>;

/**
 * Commands that change nothing: the only ones a read-only (monitor) client may call. A command not
 * listed here is treated as one that changes the station.
 */
export const readOnlyCommands: ReadonlySet<CommandName> = new Set<CommandName>(['status', 'listCaptures', 'getCapture', 'queueStatus', 'captureStats', 'getConfig', 'checkConfig']);

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandArgs, name);
}
