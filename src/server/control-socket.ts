/**
 * The local control channel of a running station: the contract over a Unix socket (a named pipe
 * on Windows) in the station's data folder, one JSON request per line, one `{result}|{error}`
 * reply per line. It is how `capture-station scan` and other tools reach a headless `run`. Access
 * is the file system's: the socket is made readable and writable by the station's user only.
 *
 * A Unix socket's path is limited (sun_path: 108 bytes with its NUL on Linux, 104 on macOS and the
 * BSDs) and Node binds a longer one cut short, somewhere else. A data folder too deep for
 * `station.sock` gets its socket in a folder of the user's own instead, named by the data folder's
 * real path, so the station and every tool that connects find the same one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dispatch, type HandlerMap, type Reply } from '../contract/client.js';
import { isCommandName } from '../contract/commands.js';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';

const log = createLogger('server.control');

/** A request line longer than this is refused (the contract's arguments are small). */
const maxLineBytes = 64 * 1024;

export function controlSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return `\\\\.\\pipe\\capture-station-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`;
  const limit = platform === 'linux' ? 107 : 103;
  // Everything is decided on the real path: a home reached through a symbolic link is the same
  // station, so `run` and `scan` must agree whichever spelling each was given.
  const real = fs.existsSync(dataDir) ? fs.realpathSync(dataDir) : path.resolve(dataDir);
  const inDataDir = path.join(real, 'station.sock');
  if (Buffer.byteLength(inDataDir) <= limit) return inDataDir;
  // Named by the hash alone: on macOS the temp folder itself takes about 50 of the 103 bytes.
  const short = path.join(runtimeSocketFolder(env), `${createHash('sha256').update(real).digest('hex').slice(0, 16)}.sock`);
  if (Buffer.byteLength(short) > limit) {
    throw new StationError('CONFIG_INVALID', `The control socket cannot be put at ${inDataDir} (${Buffer.byteLength(inDataDir)} bytes, more than the ${limit} a socket path may have here) nor at ${short}: use a shorter --home, or set XDG_RUNTIME_DIR (or TMPDIR) to a short folder.`);
  }
  return short;
}

/**
 * Where a socket goes when the data folder's path is too long: in $XDG_RUNTIME_DIR (the user's own
 * by the XDG spec) or else the shared temp folder, always in a folder of its own that only the user
 * may use (startControlSocket makes and checks it).
 */
function runtimeSocketFolder(env: NodeJS.ProcessEnv): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'capture-station');
  return path.join(os.tmpdir(), `capture-station-${os.userInfo().uid}`);
}

/**
 * Makes the runtime socket folder (mode 0700) if it is not there, and refuses one another user
 * could reach: they could connect to the station, or put a socket of their own in its place.
 */
function ensurePrivateFolder(dir: string): void {
  let st: fs.Stats;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    st = fs.lstatSync(dir);
  } catch (err) {
    throw new StationError('CONFIG_INVALID', `Cannot make the control socket's folder ${dir}: ${(err as Error).message}. Set XDG_RUNTIME_DIR (or TMPDIR) to a folder you can write, or use a shorter --home.`);
  }
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    const what = !st.isDirectory() ? 'is not a folder' : `is not private to this user (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
    throw new StationError('CONFIG_INVALID', `The control socket's folder ${dir} ${what}: remove it (the station makes it again, mode 0700), or use a shorter --home so the socket can stay in the home.`);
  }
}

export interface ControlSocket {
  path: string;
  close(): Promise<void>;
}

/**
 * Listening, with the socket made private; any failure (another station, a folder another user
 * could reach, a path the OS refuses) is a StationError saying what to do, with nothing left
 * listening behind it.
 */
export async function startControlSocket(socketPath: string, handlers: HandlerMap): Promise<ControlSocket> {
  const unix = process.platform !== 'win32';
  if (unix && path.dirname(socketPath) === runtimeSocketFolder(process.env)) ensurePrivateFolder(path.dirname(socketPath));
  if (unix && fs.existsSync(socketPath)) {
    // A socket file left by a station that died; one that answers belongs to a running station.
    if (await answers(socketPath)) throw new StationError('ALREADY_RUNNING', `Another Capture Station is already running on this data folder (it answers at ${socketPath}). Stop it first.`);
    fs.rmSync(socketPath, { force: true });
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, handlers);
  });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new StationError('CONFIG_INVALID', `Cannot open the control socket at ${socketPath}: ${(err as Error).message}. Check that the folder exists and is writable by this user, and that no other station uses it.`);
  }
  try {
    if (unix) fs.chmodSync(socketPath, 0o600);
  } catch (err) {
    await close();
    throw new StationError('CONFIG_INVALID', `Cannot make the control socket ${socketPath} private to this user: ${(err as Error).message}. The station did not start; check the folder's permissions.`);
  }
  log.info('control socket listening', { path: socketPath });
  return { path: socketPath, close };
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
