/** `capture-station run`: the headless station, until SIGINT or SIGTERM. */
import type { StationConfig } from '../config/load.js';
import { starterConfigMessage } from '../config/starter.js';
import { createLogger } from '../log/logger.js';
import { StationLog } from '../log/station-log.js';
import { controlSocketPath, startControlSocket } from '../server/control-socket.js';
import { createHandlers } from '../station/handlers.js';
import { Station } from '../station/station.js';
import type { CliContext } from './main.js';

const log = createLogger('cli.run');

/** Something started next to the running station (the web server of `serve`), closed before it stops. */
export type StationAttachment = (station: Station, config: StationConfig) => Promise<{ close(): Promise<void> }>;

export async function runCommand(ctx: CliContext, attach?: StationAttachment): Promise<number> {
  const starter = ctx.starterConfig();
  if (starter) ctx.output.err(starterConfigMessage(starter));
  const config = ctx.config();
  const stationLog = new StationLog(config, { stderr: (text) => ctx.output.err(text) });
  // SIGHUP: an external logrotate has moved the file away; the next line goes to a new one.
  const onSighup = () => {
    stationLog.reopen();
    log.info('reopened the log file (SIGHUP)', { file: stationLog.file });
  };
  let station: Station;
  try {
    station = new Station(config);
    stationLog.attach(station);
  } catch (err) {
    // A refused start (another station running, a renamed source, a damaged database) leaves no
    // sink behind, and no open log file in the folder of the station that may be running.
    stationLog.close();
    throw err;
  }
  // The core's timers are unref'd so it never holds an embedding process open; here the process
  // must live until a signal even when no hot folder is reachable yet (nothing else would hold it).
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  let stopping: Promise<void> | null = null;
  // The control socket, and what `attach` starts: closed (last first) before the station stops.
  const attached: { close(): Promise<void> }[] = [];
  const closeAttached = async (): Promise<void> => {
    for (const a of attached.splice(0).reverse()) await a.close().catch(() => undefined);
  };
  let stoppedNow = (): void => undefined;
  const stopped = new Promise<void>((resolve) => (stoppedNow = resolve));
  const stop = (signal: string) => {
    if (stopping) return;
    ctx.output.err(`${signal}: finishing the files being checked, then stopping…\n`);
    stopping = closeAttached()
      .then(() => station.stop())
      .then(stoppedNow, stoppedNow);
  };
  const onSigint = () => stop('SIGINT');
  const onSigterm = () => stop('SIGTERM');
  // `on`, not `once`: a library's signal-exit handler (proper-lockfile, loaded with tus-js-client)
  // re-raises the signal when it finds itself the last listener, which would kill the process in
  // the middle of the orderly stop. A repeated signal is ignored: stop() is bounded.
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);
  try {
    await station.start();
    station.warmUp();
    attached.push(await startControlSocket(controlSocketPath(config.locations.dataDir), createHandlers(station)));
    if (attach) attached.push(await attach(station, config));
    const sources = station.status().sources;
    const watching = sources.filter((s) => s.status?.state === 'watching').map((s) => s.path);
    // Each says what is wrong and that the folder is watched once it is there (source-folder.ts).
    const missing = sources.flatMap((s) => (s.status?.state === 'unavailable' ? [`${s.status.message}\n`] : []));
    ctx.output.err(
      `Capture Station "${config.stationId}" is watching ${watching.length > 0 ? watching.join(', ') : 'no hot folder yet'}\n` +
        missing.join('') +
        `Config: ${config.configFile ?? 'embedded default'} · Database: ${config.locations.database} · Press Ctrl+C to stop.\n`,
    );
    await stopped;
    return 0;
  } catch (err) {
    if (!stopping) {
      await closeAttached();
      await station.stop().catch(() => undefined);
    }
    throw err;
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('SIGHUP', onSighup);
    stationLog.close();
  }
}
