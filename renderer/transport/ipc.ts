/**
 * The contract over Electron IPC, for the desktop window: the preload exposes the core's
 * StationBridge as window.captureStation (types only from the core); this turns it into the same
 * typed client and event stream the browser UI gets over HTTP and the WebSocket.
 */
import type { CallOptions, Reply, StationBridge } from '../contract.js';
import { unlessWithdrawn, withdrawnError } from '../../src/shared/withdrawable.js';
import type { StationClient } from './http-client.js';
import type { EventStreamOptions, StationEventMessage } from './event-stream.js';

/** The bridge, when this page runs in the desktop window. */
export function desktopBridge(): StationBridge | null {
  return (globalThis as { captureStation?: StationBridge }).captureStation ?? null;
}

export function createIpcClient(bridge: StationBridge): StationClient {
  let lastRequestId = 0;
  // A call that may be withdrawn carries an id; withdrawing it tells the core to stop work on it
  // (as closing an HTTP request does), while the caller is answered CANCELLED at once.
  const call = (command: string, args: unknown, options?: CallOptions): Promise<Reply<unknown>> => {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.resolve({ error: withdrawnError() });
    const requestId = signal ? ++lastRequestId : undefined;
    const withdraw = () => void bridge.withdraw(requestId!).catch(() => undefined);
    signal?.addEventListener('abort', withdraw, { once: true });
    const reply = bridge
      .invoke(command as Parameters<StationBridge['invoke']>[0], args as never, requestId)
      .catch((err: unknown) => ({ error: { code: 'UNREACHABLE' as const, message: `The station core cannot be reached (${err instanceof Error ? err.message : String(err)}).` } }))
      .finally(() => signal?.removeEventListener('abort', withdraw));
    return unlessWithdrawn(reply, signal, () => ({ error: withdrawnError() }));
  };
  // As in the HTTP client: one function per command name; `then` is never a command.
  return new Proxy({} as StationClient, {
    get: (_target, prop) => (typeof prop === 'string' && prop !== 'then' ? (args: unknown, options?: CallOptions) => call(prop, args ?? {}, options) : undefined),
  });
}

/** Events over IPC: there is no connection to lose, so the stream is live at once. */
export function connectIpcEvents(bridge: StationBridge, opts: Pick<EventStreamOptions, 'onEvent' | 'onState'>): { close(): void } {
  const off = bridge.onEvent((event, payload) => opts.onEvent({ event, payload } as StationEventMessage));
  opts.onState('live');
  return { close: off };
}
