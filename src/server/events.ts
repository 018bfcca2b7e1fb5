/** `GET /api/events`: a WebSocket that pushes every station event as `{ event, payload }`. */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { StationEventName, StationEvents } from '../contract/events.js';
import { createLogger } from '../log/logger.js';

const log = createLogger('server');

export interface EventSource {
  onAny(listener: (event: StationEventName, payload: StationEvents[StationEventName]) => void): () => void;
}

/** A client that has not read this much of what we sent is too slow: it is dropped, never waited for. */
const maxBuffered = 8 * 1024 * 1024;
const heartbeatMs = 30_000;

export class EventHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly alive = new WeakSet<WebSocket>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(source: EventSource) {
    this.unsubscribe = source.onAny((event, payload) => this.broadcast(JSON.stringify({ event, payload })));
    this.wss.on('connection', (ws: WebSocket) => {
      this.alive.add(ws);
      ws.on('pong', () => this.alive.add(ws));
      // Clients have nothing to say on this channel; commands go through POST /api/<command>.
      ws.on('message', () => undefined);
      ws.on('error', (err) => log.debug('event socket error', { error: err.message }));
    });
    this.heartbeat = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  private broadcast(message: string): void {
    for (const ws of this.wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > maxBuffered) {
        log.warn('dropping an event client that does not keep up');
        ws.terminate();
        continue;
      }
      ws.send(message);
    }
  }

  /** Says goodbye to every client (1001 "going away"); one that does not answer within a second is cut off. */
  async close(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    const clients = [...this.wss.clients];
    await Promise.all(
      clients.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            const cutOff = setTimeout(() => ws.terminate(), 1000);
            ws.once('close', () => {
              clearTimeout(cutOff);
              resolve();
            });
            ws.close(1001, 'station stopping');
          }),
      ),
    );
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
