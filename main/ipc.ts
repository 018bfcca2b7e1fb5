/**
 * The contract over Electron IPC. A call is answered only for the bundled UI (security.ts) and only
 * for a command the contract has; the core then validates its arguments (dispatch) before any
 * handler runs. Errors go back as data, never as thrown exceptions across the bridge.
 */
import type { Reply } from '../src/contract/client.js';
import { isCommandName, type CommandName } from '../src/contract/commands.js';
import { isTrustedSender } from './security.js';

export type CoreCall = (command: CommandName, args: unknown) => Promise<Reply<unknown>>;

export async function answerInvoke(call: CoreCall, uiDir: string, senderUrl: string | undefined, command: unknown, args: unknown): Promise<Reply<unknown>> {
  if (!isTrustedSender(senderUrl, uiDir)) return { error: { code: 'FORBIDDEN', message: 'Only the Capture Station window may call the station.' } };
  if (typeof command !== 'string' || !isCommandName(command)) return { error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } };
  return call(command, args ?? {});
}
