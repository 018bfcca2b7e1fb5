/**
 * `capture-station serve`: the headless station of `run`, plus its web UI, the HTTP API and the
 * event WebSocket. A fresh operator token is made at every start, printed, and written (mode 0600)
 * to <data dir>/server-token.
 */
import path from 'node:path';
import { startStationServer } from '../server/server.js';
import { defaultUiDir } from '../server/static.js';
import { newToken, writeTokenFile } from '../server/tokens.js';
import { createHandlers } from '../station/handlers.js';
import type { CliContext } from './main.js';
import { runCommand } from './run.js';

export const tokenFileName = 'server-token';

export function serveCommand(ctx: CliContext): Promise<number> {
  return runCommand(ctx, async (station, config) => {
    const token = newToken();
    const tokenFile = path.join(config.locations.dataDir, tokenFileName);
    writeTokenFile(tokenFile, token);
    const server = await startStationServer({
      handlers: createHandlers(station),
      events: station,
      host: config.server.host,
      port: config.server.port,
      operatorToken: token,
      monitorTokens: config.server.monitorTokens,
      uiDir: defaultUiDir(),
      previewJpeg: (id, signal) => station.previews.jpeg(id, signal),
    });
    ctx.output.err(
      `Web UI and API on ${server.url} (${config.server.allowRemote ? 'reachable from other machines' : 'this machine only'})\n` +
        `Open: ${server.url}?token=${token}\n` +
        `Operator token (also in ${tokenFile}): ${token}\n` +
        (config.server.monitorTokens.length > 0 ? `${config.server.monitorTokens.length} read-only monitor token(s) from the config are accepted.\n` : ''),
    );
    return server;
  });
}
