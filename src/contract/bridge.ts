/**
 * What the desktop app's preload exposes to the page (window.captureStation): the contract's
 * commands and events over Electron IPC. The preload is checked against this type with
 * `satisfies`, and the UI builds its typed client on it, so the three stay one contract.
 */
import type { Reply } from './client.js';
import type { CommandArgs, CommandName } from './commands.js';
import type { StationEventName, StationEvents } from './events.js';

export const ipcChannels = {
  /** invoke(command, args) → Reply */
  invoke: 'capture-station:invoke',
  /** main → page: (event, payload) */
  event: 'capture-station:event',
} as const;

export interface StationBridge {
  invoke<C extends CommandName>(command: C, args: CommandArgs<C>): Promise<Reply<unknown>>;
  /** Every station event; returns the unsubscribe function. */
  onEvent(listener: <E extends StationEventName>(event: E, payload: StationEvents[E]) => void): () => void;
}
