/**
 * The contract between the Electron main process and the station core running in its own
 * process (utilityProcess): calls with ids, replies, and pushed events, over any message port.
 * Pure and Electron-free on both ends, so it is tested in Node with a MessageChannel.
 *
 * Invariant: every call gets exactly one reply — the core's, CANCELLED when the caller withdrew
 * it, or an error when the core process dies first — so the UI never waits forever on a crashed core.
 */
import { dispatch, type HandlerMap, type Reply } from '../src/contract/client.js';
import { isCommandName } from '../src/contract/commands.js';
import type { StationEventName } from '../src/contract/events.js';
import { withdrawnError } from '../src/shared/withdrawable.js';

export type CoreMessage =
  | { type: 'call'; id: number; command: string; args: unknown }
  | { type: 'withdraw'; id: number }
  | { type: 'reply'; id: number; reply: Reply<unknown> }
  | { type: 'event'; name: StationEventName; payload: unknown }
  | { type: 'ready' }
  | { type: 'failed'; message: string };

/** What both ends need of a port: Electron's MessagePortMain and parentPort, Node's MessagePort. */
export interface PortLike {
  postMessage(message: CoreMessage): void;
  on(event: 'message', listener: (e: { data: CoreMessage } | CoreMessage) => void): unknown;
}

/** Electron wraps messages as {data}; Node's MessagePort delivers them bare. */
function unwrap(e: { data: CoreMessage } | CoreMessage): CoreMessage {
  return 'data' in e && typeof e.data === 'object' && e.data !== null && 'type' in e.data ? e.data : (e as CoreMessage);
}

/**
 * The core's end: answers calls with the handlers and forwards every event. A withdrawn call's
 * handler sees its signal abort (as for an HTTP caller that went away) and its reply is not sent:
 * the main process has answered it already.
 */
export function serveCore(port: PortLike, handlers: HandlerMap, onAny: (listener: (name: StationEventName, payload: unknown) => void) => () => void): () => void {
  const inFlight = new Map<number, AbortController>();
  port.on('message', (e) => {
    const message = unwrap(e);
    if (message.type === 'withdraw') inFlight.get(message.id)?.abort();
    if (message.type !== 'call') return;
    const { id, command, args } = message;
    const withdrawn = new AbortController();
    inFlight.set(id, withdrawn);
    const answer: Promise<Reply<unknown>> = isCommandName(command) ? dispatch(handlers, command, args, { signal: withdrawn.signal }) : Promise.resolve({ error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } });
    void answer.then((reply) => {
      inFlight.delete(id);
      if (!withdrawn.signal.aborted) port.postMessage({ type: 'reply', id, reply: structuredCloneable(reply) });
    });
  });
  const off = onAny((name, payload) => port.postMessage({ type: 'event', name, payload: structuredCloneable(payload) }));
  port.postMessage({ type: 'ready' });
  return off;
}

/** Plain data only crosses a port; class instances and functions would be refused or mangled. */
function structuredCloneable<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

/** The main process's end: calls with ids and the matching replies, events to a listener. */
export class CoreClient {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply<unknown>) => void>();

  constructor(
    private readonly port: PortLike,
    onEvent: (name: StationEventName, payload: unknown) => void,
  ) {
    port.on('message', (e) => {
      const message = unwrap(e);
      if (message.type === 'reply') {
        this.pending.get(message.id)?.(message.reply);
        this.pending.delete(message.id);
      } else if (message.type === 'event') onEvent(message.name, message.payload);
    });
  }

  /** `signal` withdraws the call: it is answered CANCELLED at once and the core is told to stop work on it. */
  call(command: string, args: unknown, signal?: AbortSignal): Promise<Reply<unknown>> {
    if (signal?.aborted) return Promise.resolve({ error: withdrawnError() });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.port.postMessage({ type: 'withdraw', id });
        resolve({ error: withdrawnError() });
      };
      this.pending.set(id, (reply) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(reply);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.port.postMessage({ type: 'call', id, command, args });
    });
  }

  /** The core process is gone: every call still waiting gets an error reply. */
  fail(message: string): void {
    for (const resolve of this.pending.values()) resolve({ error: { code: 'INTERNAL', message } });
    this.pending.clear();
  }
}
