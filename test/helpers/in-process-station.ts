/**
 * A real station on a temp home, reached as the UI reaches it: the contract through the in-process
 * client, and its events through an EventConnector (what the WebSocket or IPC give the UI).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EventConnector } from '../../renderer/app/use-station.js';
import type { StationEventMessage } from '../../renderer/transport/event-stream.js';
import type { StationClient } from '../../renderer/transport/http-client.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { makeHome } from './station-home.js';

export interface InProcessStation {
  home: string;
  station: Station;
  client: StationClient;
  /** Goes live at once and forwards every station event until closed. */
  events: EventConnector;
  stop(): Promise<void>;
}

/** `configGiven`: the station loads its station.json as `run --config <file>` does, not by finding it in its home. */
export async function startInProcessStation(config: StationConfigInput, prepare?: (home: string) => void | Promise<void>, opts: { configGiven?: boolean } = {}): Promise<InProcessStation> {
  const home = makeHome(config);
  await prepare?.(home);
  const station = new Station(loadConfig({ home, ...(opts.configGiven ? { configFile: path.join(home, 'station.json') } : {}) }));
  await station.start();
  const client: StationClient = createLocalClient(createHandlers(station));
  const events: EventConnector = (h) => {
    const off = station.onAny((event, payload) => h.onEvent({ event, payload } as StationEventMessage));
    h.onState('live');
    return { close: off };
  };
  return {
    home,
    station,
    client,
    events,
    stop: async () => {
      await station.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
