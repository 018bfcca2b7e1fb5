/**
 * What the UI may know of the core: types only (the lint config refuses value imports from src/).
 * The bridge that implements these over IPC or HTTP arrives with the desktop-app work.
 */
export type { StationHandlers } from '../src/station/handlers.js';
export type { StationEvents, StationEventName } from '../src/contract/events.js';
export type { Reply } from '../src/contract/client.js';
