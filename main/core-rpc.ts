/**
 * The contract between the Electron main process and the station core running in its own
 * process (utilityProcess): calls with ids, replies, and pushed events, over any message port.
 * Pure and Electron-free on both ends, so it is tested in Node with a MessageChannel.
 *
 * Invariant: every call gets exactly one reply — the core's, or an error when the core process
 * dies first — so the UI never waits forever on a crashed core.
 */
import { dispatch, type HandlerMap, type Reply } from '../src/contract/client.js';
import { isCommandName } from '../src/contract/commands.js';
import type { StationEventName } from '../src/contract/events.js';

export type CoreMessage =
  | { type: 'call'; id: number; command: string; args: unknown }
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

/** The core's end: answers calls with the handlers and forwards every event. */
export function serveCore(port: PortLike, handlers: HandlerMap, onAny: (listener: (name: StationEventName, payload: unknown) => void) => () => void): () => void {
  port.on('message', (e) => {
    const message = unwrap(e);
    if (message.type !== 'call') return;
    const { id, command, args } = message;
    const answer: Promise<Reply<unknown>> = isCommandName(command) ? dispatch(handlers, command, args) : Promise.resolve({ error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } });
    void answer.then((reply) => port.postMessage({ type: 'reply', id, reply: structuredCloneable(reply) }));
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

  call(command: string, args: unknown): Promise<Reply<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.port.postMessage({ type: 'call', id, command, args });
    });
  }

  /** The core process is gone: every call still waiting gets an error reply. */
  fail(message: string): void {
    for (const resolve of this.pending.values()) resolve({ error: { code: 'INTERNAL', message } });
    this.pending.clear();
  }
}
