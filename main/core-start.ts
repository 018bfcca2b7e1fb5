/**
 * What the desktop core process does, Electron-free so it is tested in Node: open the station log
 * (as `run` and `serve` do), say in it when the main process restarted the core after a crash,
 * start the station on the shell's load options and serve it over the port. A refused start is
 * written to the log before the port is told, so IT finds why the app's core did not start.
 */
import type { StationConfig } from '../src/config/load.js';
import { defaultEnvironment, loadConfig, resolveConfig } from '../src/config/load.js';
import { resolveLocations } from '../src/config/paths.js';
import { createLogger } from '../src/log/logger.js';
import { StationLog } from '../src/log/station-log.js';
import { createHandlers } from '../src/station/handlers.js';
import { Station } from '../src/station/station.js';
import { crashRestartMessage, type CoreLaunch } from './core-launch.js';
import { serveCore, type PortLike } from './core-rpc.js';

const log = createLogger('desktop.core');

export interface RunningCore {
  stop(): Promise<void>;
}

/** The running core, or null when it could not start: then the log has why, and the port was told ('failed'). */
export async function startCore(launch: CoreLaunch, port: PortLike): Promise<RunningCore | null> {
  let config: StationConfig | null = null;
  let refusal: unknown = null;
  try {
    config = loadConfig(launch.options);
  } catch (err) {
    refusal = err;
  }
  // A config that cannot be loaded names no logs folder: its refusal goes where the default config's log is.
  const environment = defaultEnvironment();
  const stationLog = new StationLog(config ?? resolveConfig({}, resolveLocations(launch.options, environment), null, environment));
  if (launch.afterCrash) log.warn(crashRestartMessage(launch.afterCrash));
  let station: Station | null = null;
  try {
    if (!config) throw refusal;
    const started = (station = new Station(config));
    stationLog.attach(started);
    await started.start();
    started.warmUp();
    log.info('the station core started', { stationId: config.stationId, config: config.configFile ?? 'embedded default', database: config.locations.database, pid: process.pid });
    serveCore(port, createHandlers(started), (listener) => started.onAny(listener));
    return {
      stop: async () => {
        await started.stop();
        stationLog.close();
      },
    };
  } catch (err) {
    // A bad config or another station on the same database: the main process shows this and does not restart.
    const message = err instanceof Error ? err.message : String(err);
    log.error(`the station core could not start: ${message}`);
    await station?.stop().catch(() => undefined);
    stationLog.close();
    port.postMessage({ type: 'failed', message });
    return null;
  }
}
