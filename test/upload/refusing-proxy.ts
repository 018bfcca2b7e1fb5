/**
 * An HTTP proxy on loopback in front of a real server (moto, @tus/server) that answers some
 * requests itself with a refusal, as a store does whose credentials expired for uploads while its
 * probe (OPTIONS, HeadBucket) still passes. Everything else goes through unchanged (Host too, so
 * the URLs the server answers point at the proxy).
 */
import http from 'node:http';
import type net from 'node:net';

export interface Refusal {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface RefusingProxy {
  endpoint: string;
  /** Requests seen, as "METHOD path status" (the status the proxy or the server answered). */
  readonly seen: string[];
  /** While it returns a refusal for a request, the proxy answers that instead of forwarding it. */
  refuse: (req: http.IncomingMessage) => Refusal | null;
  close(): Promise<void>;
}

export async function startRefusingProxy(upstream: string, refuse: RefusingProxy['refuse']): Promise<RefusingProxy> {
  const target = new URL(upstream);
  const sockets = new Set<net.Socket>();
  const proxy: RefusingProxy = { endpoint: '', seen: [], refuse, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const refusal = proxy.refuse(req);
    if (refusal) {
      proxy.seen.push(`${req.method} ${req.url} ${refusal.status}`);
      // The body is drained so the client is not left writing into a closed request.
      req.resume();
      res.writeHead(refusal.status, refusal.headers ?? {});
      res.end(refusal.body ?? '');
      return;
    }
    const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (up) => {
      proxy.seen.push(`${req.method} ${req.url} ${up.statusCode}`);
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  proxy.endpoint = `http://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`;
  proxy.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return proxy;
}
