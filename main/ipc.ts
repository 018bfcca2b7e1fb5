/**
 * The contract over Electron IPC. A call is answered only for the bundled UI (security.ts) and only
 * for a command the contract has; the core then validates its arguments (dispatch) before any
 * handler runs. Errors go back as data, never as thrown exceptions across the bridge.
 */
import { z } from 'zod';
import type { Reply } from '../src/contract/client.js';
import { isCommandName, type CommandName } from '../src/contract/commands.js';
import { isTrustedSender } from './security.js';

export type CoreCall = (command: CommandName, args: unknown, signal?: AbortSignal) => Promise<Reply<unknown>>;

/** Who sent an IPC message: its window (webContents id) and the page's URL. */
export interface IpcSender {
  id: number;
  url: string | undefined;
}

const requestId = z.number().int().positive();

const forbidden = { error: { code: 'FORBIDDEN' as const, message: 'Only the Capture Station window may call the station.' } };

function badRequestId(value: unknown): Reply<never> {
  return { error: { code: 'INVALID_ARGUMENT', message: `The request id ${JSON.stringify(value)} is not a positive whole number; send a fresh one with each call you may withdraw.` } };
}

/**
 * Answers the page's calls, and its withdrawals of calls it no longer waits for (a preview of a
 * capture scrolled past): the core then stops work on them, as it does for an HTTP caller that
 * went away. Request ids are the page's own, so they are kept per window.
 */
export class IpcCalls {
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly call: CoreCall,
    private readonly uiDir: string,
  ) {}

  async invoke(sender: IpcSender, command: unknown, args: unknown, id?: unknown): Promise<Reply<unknown>> {
    if (!isTrustedSender(sender.url, this.uiDir)) return forbidden;
    if (typeof command !== 'string' || !isCommandName(command)) return { error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } };
    if (id === undefined) return this.call(command, args ?? {});
    const parsed = requestId.safeParse(id);
    if (!parsed.success) return badRequestId(id);
    const key = `${sender.id}:${parsed.data}`;
    const withdrawn = new AbortController();
    // A page reloaded while its old calls run may reuse an id: the newer call is the one withdrawable by it.
    this.inFlight.set(key, withdrawn);
    try {
      return await this.call(command, args ?? {}, withdrawn.signal);
    } finally {
      if (this.inFlight.get(key) === withdrawn) this.inFlight.delete(key);
    }
  }

  /** `withdrawn: false`: that call was already answered (or never made) — nothing to stop. */
  withdraw(sender: IpcSender, id: unknown): Reply<{ withdrawn: boolean }> {
    if (!isTrustedSender(sender.url, this.uiDir)) return forbidden;
    const parsed = requestId.safeParse(id);
    if (!parsed.success) return badRequestId(id);
    const call = this.inFlight.get(`${sender.id}:${parsed.data}`);
    call?.abort();
    return { result: { withdrawn: call !== undefined } };
  }
}
