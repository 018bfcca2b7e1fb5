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
  /** withdraw(requestId) of an invoke the page no longer waits for → Reply<{ withdrawn }> */
  withdraw: 'capture-station:withdraw',
} as const;

export interface StationBridge {
  /** `requestId` (a positive whole number, unique among the page's calls in flight) makes the call withdrawable. */
  invoke<C extends CommandName>(command: C, args: CommandArgs<C>, requestId?: number): Promise<Reply<unknown>>;
  /** The page no longer waits for the call sent with `requestId`: the core withdraws it, as when an HTTP caller goes away. */
  withdraw(requestId: number): Promise<Reply<{ withdrawn: boolean }>>;
  /** Every station event; returns the unsubscribe function. */
  onEvent(listener: <E extends StationEventName>(event: E, payload: StationEvents[E]) => void): () => void;
}
