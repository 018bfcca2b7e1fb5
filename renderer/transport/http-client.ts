/**
 * The contract over HTTP: `client.listCaptures({ limit: 20 })` posts to /api/listCaptures. Method
 * names, arguments and results are the core's own types; every failure — the station unreachable,
 * a refused token, a command error — comes back as `{ error }` data, never as a throw.
 */
import type { CallOptions, Client, ErrorData, Reply, StationHandlers } from '../contract.js';
import { withdrawnError } from '../../src/shared/withdrawable.js';

export type StationClient = Client<StationHandlers>;

/** The part of `fetch` the client uses (the browser's, or Node's in the tests). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; credentials?: 'same-origin'; cache?: 'no-store'; signal?: AbortSignal },
) => Promise<{ status: number; json(): Promise<unknown> }>;

export interface HttpClientOptions {
  /** Origin of the station, e.g. http://127.0.0.1:7410; default: the page's own. */
  baseUrl?: string;
  /** Sent as a Bearer token; the browser UI needs none (its HttpOnly cookie is sent instead). */
  token?: string;
  fetch?: FetchLike;
}

export function createHttpClient(opts: HttpClientOptions = {}): StationClient {
  const base = (opts.baseUrl ?? '').replace(/\/+$/, '');
  const doFetch: FetchLike = opts.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;

  // A withdrawn request frees its connection at once (a browser has ~6 per host) and is answered
  // CANCELLED, never "cannot be reached": nothing is wrong with the station.
  async function call(command: string, args: unknown, options: CallOptions = {}): Promise<Reply<unknown>> {
    const { signal } = options;
    if (signal?.aborted) return { error: withdrawnError() };
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await doFetch(`${base}/api/${encodeURIComponent(command)}`, { method: 'POST', headers, body: JSON.stringify(args ?? {}), credentials: 'same-origin', cache: 'no-store', ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) return { error: withdrawnError() };
      return failure('UNREACHABLE', `The station cannot be reached (${err instanceof Error ? err.message : String(err)}).`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      if (signal?.aborted) return { error: withdrawnError() };
      return failure('INTERNAL', `The station answered HTTP ${res.status} without a readable body.`);
    }
    if (isReply(body)) return body;
    return failure('INTERNAL', `The station answered HTTP ${res.status} with something that is not a reply.`);
  }

  // One function per command name the contract knows; the Client type is what makes a wrong name or
  // argument a compile error. `then` is never a command, so the client is not mistaken for a promise.
  return new Proxy({} as StationClient, {
    get: (_target, prop) => (typeof prop === 'string' && prop !== 'then' ? (args: unknown, options?: CallOptions) => call(prop, args, options) : undefined),
  });
}

function failure(code: ErrorData['code'], message: string): Reply<never> {
  return { error: { code, message } };
}

function isReply(v: unknown): v is Reply<unknown> {
  if (typeof v !== 'object' || v === null) return false;
  if ('result' in v) return true;
  const e = (v as { error?: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as ErrorData).code === 'string' && typeof (e as ErrorData).message === 'string';
}
