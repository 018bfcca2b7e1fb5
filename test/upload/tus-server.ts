/** A real @tus/server with @tus/file-store on loopback, started and stopped (killed) by the test. */
import http from 'node:http';
import type net from 'node:net';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

export interface TusPeer {
  endpoint: string;
  port: number;
  /** Stops listening and cuts every open connection at once, as a crash of the server would. */
  kill(): Promise<void>;
}

/** Uploads land in `directory` as <id> (the bytes) and <id>.json (length, offset, metadata). */
export async function startTus(directory: string, port = 0, opts: { locationOrigin?: string } = {}): Promise<TusPeer> {
  // locationOrigin: the upload URLs it answers point at another origin (a CDN or upload host in front of it).
  const generateUrl = opts.locationOrigin ? { generateUrl: (_req: unknown, u: { path: string; id: string }) => `${opts.locationOrigin}${u.path}/${u.id}` } : {};
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory }), ...generateUrl });
  const server = http.createServer((req, res) => void tus.handle(req, res));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${bound}/files/`,
    port: bound,
    async kill() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
