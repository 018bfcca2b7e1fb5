/**
 * The station core in its own process (Electron's utilityProcess): a native crash in sharp, libvips
 * or usb ends this process, not the window, and QC never competes with the UI's main thread. The
 * main process passes the load options as the first argument and talks over process.parentPort.
 */
import type { LoadOptions } from '../src/config/load.js';
import { loadConfig } from '../src/config/load.js';
import { createHandlers } from '../src/station/handlers.js';
import { Station } from '../src/station/station.js';
import { serveCore, type PortLike } from './core-rpc.js';

const port = (process as unknown as { parentPort: PortLike }).parentPort;
const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;

try {
  const station = new Station(loadConfig(options));
  await station.start();
  serveCore(port, createHandlers(station), (listener) => station.onAny(listener));
  const stop = () => void station.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  // A bad config or another station on the same database: the main process shows this and does not restart.
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
