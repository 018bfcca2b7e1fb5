/**
 * Station events over the WebSocket (`/api/events`), reconnecting with a growing pause when the
 * station goes away. The connection state is what the header shows. A browser is not told why a
 * WebSocket was refused, so after a close the stream asks (`accessRefused`) whether the station
 * still takes this page's token: `serve` makes a new one at every start, and a page left open
 * across a restart must say so rather than "reconnecting" for ever.
 */
import type { StationEventName, StationEvents } from '../contract.js';

export type ConnectionState = 'connecting' | 'live' | 'offline' | 'refused';

export type StationEventMessage = { [E in StationEventName]: { event: E; payload: StationEvents[E] } }[StationEventName];

/** The part of a WebSocket the stream uses (the browser's, or the `ws` package's in the tests). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface EventStreamOptions {
  url: string;
  onEvent(message: StationEventMessage): void;
  onState(state: ConnectionState): void;
  createSocket?: (url: string) => SocketLike;
  /** Pause before reconnect attempt n (1, 2, …). */
  retryDelayMs?: (attempt: number) => number;
  /** True when the station answers but refuses this page's token (then the state is 'refused'). */
  accessRefused?: () => Promise<boolean>;
}

export function defaultEventsUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/events`;
}

export function connectEvents(opts: EventStreamOptions): { close(): void } {
  const createSocket = opts.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const delay = opts.retryDelayMs ?? ((n: number) => Math.min(10_000, 500 * 2 ** (n - 1)));
  let socket: SocketLike | null = null;
  let attempt = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const open = () => {
    if (closed) return;
    opts.onState('connecting');
    const ws = createSocket(opts.url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      opts.onState('live');
    };
    ws.onmessage = (ev) => {
      const message = parse(ev.data);
      if (message) opts.onEvent(message);
    };
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (closed) return;
      attempt++;
      const retry = (refused: boolean) => {
        if (closed) return;
        opts.onState(refused ? 'refused' : 'offline');
        timer = setTimeout(open, delay(attempt));
      };
      if (!opts.accessRefused) return retry(false);
      opts.accessRefused().then(retry, () => retry(false));
    };
  };
  open();

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const ws = socket;
      socket = null;
      ws?.close();
    },
  };
}

function parse(data: unknown): StationEventMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const v = JSON.parse(data) as { event?: unknown; payload?: unknown };
    return typeof v.event === 'string' && typeof v.payload === 'object' && v.payload !== null ? (v as StationEventMessage) : null;
  } catch {
    return null;
  }
}
