/**
 * The station's command handlers. Their result types are the contract's result types (derived, not
 * restated), and `satisfies HandlerMap` ties every command in the contract to exactly one handler.
 */
import type { HandlerMap } from '../contract/client.js';
import { StationError } from '../errors.js';
import type { Station } from './station.js';

export function createHandlers(station: Station) {
  return {
    status: () => station.status(),
    listCaptures: (args) => station.store.list(args),
    getCapture: ({ id }) => {
      const detail = station.store.detail(id);
      if (!detail) throw new StationError('NOT_FOUND', `There is no capture ${id}.`);
      return detail;
    },
    rescan: async () => {
      await station.rescan();
      return { rescanned: true as const };
    },
  } satisfies HandlerMap;
}

export type StationHandlers = ReturnType<typeof createHandlers>;
