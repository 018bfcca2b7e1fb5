/**
 * The local control channel of a running station: the contract over a Unix socket (a named pipe
 * on Windows) in the station's data folder, one JSON request per line, one `{result}|{error}`
 * reply per line. It is how `capture-station scan` and other tools reach a headless `run`. Access
 * is the file system's: the socket is made readable and writable by the station's user only.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dispatch, type HandlerMap, type Reply } from '../contract/client.js';
import { isCommandName } from '../contract/commands.js';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';

const log = createLogger('server.control');

/** A request line longer than this is refused (the contract's arguments are small). */
const maxLineBytes = 64 * 1024;

export function controlSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `\\\\.\\pipe\\capture-station-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`;
  return path.join(dataDir, 'station.sock');
}

export interface ControlSocket {
  path: string;
  close(): Promise<void>;
}

export async function startControlSocket(socketPath: string, handlers: HandlerMap): Promise<ControlSocket> {
  if (process.platform !== 'win32' && fs.existsSync(socketPath)) {
    // A socket file left by a station that died; one that answers belongs to a running station.
    if (await answers(socketPath)) throw new StationError('CONFIG_INVALID', `Another Capture Station is already running on this data folder (it answers at ${socketPath}). Stop it first.`);
    fs.rmSync(socketPath, { force: true });
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, handlers);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') fs.chmodSync(socketPath, 0o600);
  log.info('control socket listening', { path: socketPath });
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Requests on one connection are answered in order. */
function serve(socket: net.Socket, handlers: HandlerMap): void {
  let buffered = '';
  let chain = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    if (Buffer.byteLength(buffered) > maxLineBytes && !buffered.includes('\n')) {
      socket.end(JSON.stringify({ error: { code: 'TOO_LARGE', message: `A request line is limited to ${maxLineBytes} bytes.` } }) + '\n');
      return;
    }
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      chain = chain.then(async () => {
        const reply = await answer(line, handlers);
        if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
      });
    }
  });
}

async function answer(line: string, handlers: HandlerMap): Promise<Reply<unknown>> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return { error: { code: 'INVALID_ARGUMENT', message: 'The request is not JSON: send {"command": "...", "args": {...}} on one line.' } };
  }
  const { command, args } = (request ?? {}) as { command?: unknown; args?: unknown };
  if (typeof command !== 'string' || !isCommandName(command)) return { error: { code: 'NOT_FOUND', message: `Unknown command ${JSON.stringify(command)}.` } };
  return dispatch(handlers, command, args ?? {});
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Sends one command to the running station at `socketPath`; a station that is not running is a clear error. */
export function callStation(socketPath: string, command: string, args: unknown, timeoutMs = 10_000): Promise<Reply<unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StationError('INTERNAL', `The station at ${socketPath} did not answer within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(JSON.stringify({ command, args }) + '\n'));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      resolve(JSON.parse(buffered.slice(0, nl)) as Reply<unknown>);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const notRunning = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(new StationError('NOT_FOUND', notRunning ? `No station is running for this home (nothing answers at ${socketPath}). Start it with capture-station run.` : `Cannot reach the station at ${socketPath}: ${err.message}`));
    });
  });
}
