/**
 * The contract over Electron IPC. Every call is checked twice before a handler runs: the sender
 * must be the bundled UI (security.ts), and the arguments must pass the contract's schema
 * (dispatch). Errors go back as data, never as thrown exceptions across the bridge.
 */
import { dispatch, type HandlerMap, type Reply } from '../src/contract/client.js';
import { isCommandName } from '../src/contract/commands.js';
import { isTrustedSender } from './security.js';

export async function answerInvoke(handlers: HandlerMap, uiDir: string, senderUrl: string | undefined, command: unknown, args: unknown): Promise<Reply<unknown>> {
  if (!isTrustedSender(senderUrl, uiDir)) return { error: { code: 'FORBIDDEN', message: 'Only the Capture Station window may call the station.' } };
  if (typeof command !== 'string' || !isCommandName(command)) return { error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } };
  return dispatch(handlers, command, args ?? {});
}
