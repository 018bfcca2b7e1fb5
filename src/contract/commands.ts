/**
 * The core's contract: every command a transport may call, with the schema its arguments must pass
 * before any handler runs. Electron IPC, the headless HTTP/WebSocket server and the tests are
 * transports over this one map; result types are derived from the handlers themselves
 * (see station/handlers.ts) so they cannot drift from the implementation.
 */
import { z } from 'zod';

const verdict = z.enum(['pass', 'warn', 'fail']);

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
} as const;

export type CommandName = keyof typeof commandArgs;
export type CommandArgs<C extends CommandName> = z.input<(typeof commandArgs)[C]>;
export type ParsedArgs<C extends CommandName> = z.output<(typeof commandArgs)[C]>;
