/**
 * Errors that cross a boundary (CLI, IPC, HTTP) carry a stable code and a message written for the
 * technician: what is wrong and what to do. Stack traces stay in the log.
 */
export const errorCodes = [
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'DB_OPEN_FAILED',
  'DB_NETWORK_FS',
  'DB_PRAGMA',
  'DB_MIGRATION',
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'FILE_UNREADABLE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'TOO_LARGE',
  'INTERNAL',
  /** A transport could not reach the station (no reply at all). */
  'UNREACHABLE',
  /** The caller withdrew the request (a newer one replaced it); nothing is wrong. */
  'CANCELLED',
  /** Another station already runs on this database or data folder; a second one is refused. */
  'ALREADY_RUNNING',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class StationError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'StationError';
  }
}

/** The shape an error takes when it crosses a transport. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export function toErrorData(err: unknown): ErrorData {
  if (err instanceof StationError) {
    return { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
