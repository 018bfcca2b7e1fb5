/**
 * What the UI may know of the core: types only (the lint config refuses value imports from src/).
 * The transports in transport/ implement the contract's Client type over HTTP and the WebSocket.
 */
export type { StationHandlers } from '../src/station/handlers.js';
export type { StationEvents, StationEventName } from '../src/contract/events.js';
export type { CallOptions, Client, Reply, ResultOf } from '../src/contract/client.js';
export type { CommandArgs, CommandName } from '../src/contract/commands.js';
export type { StationBridge } from '../src/contract/bridge.js';
export type { ErrorData } from '../src/errors.js';
export type { CaptureDetail, CaptureRecord } from '../src/store/captures.js';
export type { CheckId, CheckResult, CheckStatus, Verdict } from '../src/quality/types.js';
export type { IngestNotice } from '../src/ingest/types.js';
export type { LastEdit } from '../src/linking/edits.js';
