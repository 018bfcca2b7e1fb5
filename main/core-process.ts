/**
 * The station core in its own process (Electron's utilityProcess): a native crash in sharp, libvips
 * or usb ends this process, not the window, and QC never competes with the UI's main thread. The
 * main process passes the launch (core-launch.ts) as the first argument and talks over
 * process.parentPort; everything else is in core-start.ts.
 */
import { createLogger } from '../src/log/logger.js';
import type { PortLike } from './core-rpc.js';
import { parseCoreArgs } from './core-launch.js';
import { startCore } from './core-start.js';

const port = (process as unknown as { parentPort: PortLike }).parentPort;
const log = createLogger('desktop.core');

// A JavaScript error that ends the process reaches the station log first (the file is written
// synchronously); Node's default handling (print, exit, restart by the main process) is unchanged.
process.on('uncaughtExceptionMonitor', (err, origin) => log.error(`the station core is ending on an uncaught error (${origin}): ${err.stack ?? String(err)}`));

const core = await startCore(parseCoreArgs(process.argv), port);
if (core) {
  const stop = () => void core.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else process.exit(1);
