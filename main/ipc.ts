/**
 * The contract over Electron IPC. A call is answered only for the bundled UI (security.ts) and only
 * for a command the contract has; the core then validates its arguments (dispatch) before any
 * handler runs. Errors go back as data, never as thrown exceptions across the bridge.
 */
import { z } from 'zod';
import type { Reply } from '../src/contract/client.js';
import { isCommandName, type CommandName } from '../src/contract/commands.js';
import { allowNavigation, isTrustedSender } from './security.js';

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

/** A window's calls in flight: every one (its page may go away), and those it may withdraw by request id. */
interface WindowCalls {
  all: Set<AbortController>;
  byRequest: Map<number, AbortController>;
}

/**
 * Answers the page's calls, and its withdrawals of calls it no longer waits for (a preview of a
 * capture scrolled past): the core then stops work on them, as it does for an HTTP caller that
 * went away. Request ids are the page's own, so they are kept per window. A page that goes away
 * (reload, navigation, window destroyed) withdraws all its calls: nobody is left to read their answers.
 */
export class IpcCalls {
  private readonly windows = new Map<number, WindowCalls>();

  constructor(
    private readonly call: CoreCall,
    private readonly uiDir: string,
  ) {}

  async invoke(sender: IpcSender, command: unknown, args: unknown, id?: unknown): Promise<Reply<unknown>> {
    if (!isTrustedSender(sender.url, this.uiDir)) return forbidden;
    if (typeof command !== 'string' || !isCommandName(command)) return { error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } };
    const parsed = id === undefined ? undefined : requestId.safeParse(id);
    if (parsed && !parsed.success) return badRequestId(id);
    const requested = parsed?.data;
    let window = this.windows.get(sender.id);
    if (!window) this.windows.set(sender.id, (window = { all: new Set(), byRequest: new Map() }));
    const withdrawn = new AbortController();
    window.all.add(withdrawn);
    // A page reloaded while its old calls run may reuse an id: the newer call is the one withdrawable by it.
    if (requested !== undefined) window.byRequest.set(requested, withdrawn);
    try {
      return await this.call(command, args ?? {}, withdrawn.signal);
    } finally {
      window.all.delete(withdrawn);
      if (requested !== undefined && window.byRequest.get(requested) === withdrawn) window.byRequest.delete(requested);
      if (window.all.size === 0 && this.windows.get(sender.id) === window) this.windows.delete(sender.id);
    }
  }

  /** `withdrawn: false`: that call was already answered (or never made) — nothing to stop. */
  withdraw(sender: IpcSender, id: unknown): Reply<{ withdrawn: boolean }> {
    if (!isTrustedSender(sender.url, this.uiDir)) return forbidden;
    const parsed = requestId.safeParse(id);
    if (!parsed.success) return badRequestId(id);
    const call = this.windows.get(sender.id)?.byRequest.get(parsed.data);
    call?.abort();
    return { result: { withdrawn: call !== undefined } };
  }

  /** The page of window `windowId` went away: every call it made is withdrawn. How many were. */
  pageGone(windowId: number): number {
    const calls = [...(this.windows.get(windowId)?.all ?? [])];
    this.windows.delete(windowId);
    for (const call of calls) call.abort();
    return calls.length;
  }
}

/**
 * Whether a navigation that starts (webContents 'did-start-navigation') replaces the page whose
 * calls are in flight: a document loaded in the main frame, a reload too. An in-page move (the
 * UI's views are hash routes) keeps the page, as does a navigation the window refuses (will-navigate).
 */
export function replacesPage(details: { url: string; isMainFrame: boolean; isSameDocument: boolean }, uiDir: string): boolean {
  return details.isMainFrame && !details.isSameDocument && allowNavigation(details.url, uiDir);
}

/** The events of a window's webContents (Electron 38) that end the page whose calls are in flight. */
export interface PageEvents {
  on(event: 'did-start-navigation', listener: (details: { url: string; isMainFrame: boolean; isSameDocument: boolean }) => void): unknown;
  on(event: 'did-navigate' | 'render-process-gone' | 'destroyed', listener: () => void): unknown;
}

/**
 * Calls `gone` whenever the window's page goes away. Twice for a navigation: when it starts, so the
 * old page's work stops at once; and when the new document commits ('did-navigate': main frame, a new
 * document — an in-page move is 'did-navigate-in-page'), since until then the old page still runs and
 * may still call. The new page can call only after its commit, so nothing of its own is withdrawn.
 */
export function whenPageGoes(contents: PageEvents, uiDir: string, gone: () => void): void {
  contents.on('did-start-navigation', (details) => {
    if (replacesPage(details, uiDir)) gone();
  });
  contents.on('did-navigate', gone);
  contents.on('render-process-gone', gone);
  contents.on('destroyed', gone);
}
