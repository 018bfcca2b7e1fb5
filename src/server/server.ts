/**
 * The headless server: the contract over HTTP (`POST /api/<command>`), station events over a
 * WebSocket (`/api/events`) and the built UI, behind a token on every request.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HandlerMap } from '../contract/client.js';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { defaultMaxBodyBytes, handleApi, sendError } from './api.js';
import { EventHub, type EventSource } from './events.js';
import { sendText, setSecurityHeaders } from './headers.js';
import { previewPathPrefix, servePreview, type PreviewJpeg } from './preview-route.js';
import { serveStatic } from './static.js';
import { TokenRegistry, tokenFrom, type Role } from './tokens.js';

const log = createLogger('server');

export interface StationServerOptions {
  handlers: HandlerMap;
  events: EventSource;
  host: string;
  /** 0 = any free port. */
  port: number;
  operatorToken: string;
  monitorTokens: readonly string[];
  /** The built UI; null or a folder without index.html serves a "not built" page. */
  uiDir: string | null;
  maxBodyBytes?: number;
  /** A capture's preview JPEG, served at GET /api/preview/<id>; without it that path is not found. */
  previewJpeg?: PreviewJpeg;
}

export interface StationServer {
  host: string;
  port: number;
  /** http://host:port/ — without the token. */
  url: string;
  close(): Promise<void>;
}

export async function startStationServer(opts: StationServerOptions): Promise<StationServer> {
  const tokens = new TokenRegistry(opts.operatorToken, opts.monitorTokens);
  const hub = new EventHub(opts.events);
  const maxBody = opts.maxBodyBytes ?? defaultMaxBodyBytes;
  let port = opts.port;
  const cookieName = () => `cs_token_${port}`;

  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('request failed', { url: req.url?.split('?')[0], error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'The station could not answer this request; see the station log.');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res, req.headers.host);
    const url = new URL(req.url ?? '/', 'http://station.invalid');
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const isPageLoad = !isApi && (req.method === 'GET' || req.method === 'HEAD');
    const role = roleOf(req, url, isPageLoad);
    if (!role) {
      if (isApi) return sendError(res, 401, 'UNAUTHORIZED', 'A token is required: send "Authorization: Bearer <token>".', { 'WWW-Authenticate': 'Bearer' });
      return sendText(res, 401, unauthorizedPage, 'text/html; charset=utf-8', { 'WWW-Authenticate': 'Bearer' });
    }
    if (!sameOrigin(req)) return sendError(res, 403, 'FORBIDDEN', 'Requests from other sites are refused.');
    const queryToken = isPageLoad ? url.searchParams.get('token') : null;
    if (queryToken && tokens.roleOf(queryToken)) {
      // Trade the token in the address for a cookie the page's scripts cannot read (one cookie per
      // port: cookies do not tell ports apart), and drop it from the address bar and history.
      url.searchParams.delete('token');
      const rest = url.searchParams.size === 0 ? '' : `?${url.searchParams.toString()}`;
      res.writeHead(303, {
        Location: url.pathname + rest,
        'Set-Cookie': `${cookieName()}=${queryToken}; HttpOnly; SameSite=Strict; Path=/`,
        'Cache-Control': 'no-store',
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    if (opts.previewJpeg && url.pathname.startsWith(previewPathPrefix)) return servePreview(req, res, url, opts.previewJpeg);
    if (isApi) return handleApi(req, res, url, role, opts.handlers, maxBody);
    return serveStatic(req, res, url, opts.uiDir);
  }

  function roleOf(req: IncomingMessage, url: URL, allowQuery: boolean): Role | null {
    return tokens.roleOf(tokenFrom({ authorization: req.headers.authorization, cookie: req.headers.cookie }, url, allowQuery, cookieName()));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://station.invalid');
    if (url.pathname !== '/api/events') return refuse(socket, 404);
    if (!roleOf(req, url, true)) return refuse(socket, 401);
    if (!sameOrigin(req)) return refuse(socket, 403);
    hub.accept(req, socket, head);
  });

  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      void hub.close();
      if (err.code === 'EADDRINUSE') reject(new StationError('CONFIG_INVALID', `Port ${opts.port} on ${opts.host} is already in use (another station?). Stop it, or set server.port in the station config.`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new StationError('CONFIG_INVALID', `${opts.host} is not an address of this machine; check server.host in the station config.`));
      else reject(err);
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  log.info('web server listening', { host: opts.host, port });

  let closing: Promise<void> | null = null;
  return {
    host: opts.host,
    port,
    url: `http://${hostInUrl}:${port}/`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await hub.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

/** Browsers send Origin on cross-site requests and WebSocket upgrades: it must name this server. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const unauthorizedPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Capture Station — token needed</title></head>
<body><h1>Capture Station</h1><p>This station needs its access token. Open the address that
<code>capture-station serve</code> printed (it ends in <code>?token=…</code>), or ask the operator for a monitor token.</p></body></html>`;
