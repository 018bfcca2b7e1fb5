/** The UI's typed transports (renderer/api) against a real station server, in Node. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectEvents, type ConnectionState, type SocketLike, type StationEventMessage } from '../../renderer/transport/event-stream.js';
import { createHttpClient } from '../../renderer/transport/http-client.js';
import { loadConfig } from '../../src/config/load.js';
import { startStationServer } from '../../src/server/server.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const token = 'client-test-operator-token-0123456789';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(port = 0) {
  const home = makeHome({ ingest: { stableWindowMs: 250, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 } });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const station = new Station(loadConfig({ home }));
  await station.start();
  cleanup.push(() => station.stop());
  const server = await startStationServer({ handlers: createHandlers(station), events: station, host: '127.0.0.1', port, operatorToken: token, monitorTokens: [], uiDir: null });
  return { home, station, server };
}

const wsFactory = (url: string) => new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } }) as unknown as SocketLike;

describe('renderer HTTP client', () => {
  it('calls the contract by name with typed arguments and returns results and errors as data', async () => {
    const { server, station } = await start();
    cleanup.push(() => server.close());
    const client = createHttpClient({ baseUrl: server.url, token });
    const status = await client.status({});
    expect('result' in status && status.result.stationId).toBe(station.config.stationId);
    const list = await client.listCaptures({ limit: 10 });
    expect(list).toEqual({ result: [] });
    const missing = await client.getCapture({ id: 42 });
    expect('error' in missing && missing.error.code).toBe('NOT_FOUND');
    // @ts-expect-error — the contract types refuse a wrong argument at compile time; the server refuses it at run time.
    const wrong = await client.listCaptures({ limit: 'all' });
    expect('error' in wrong && wrong.error.code).toBe('INVALID_ARGUMENT');
    const refused = await createHttpClient({ baseUrl: server.url, token: 'wrong' }).status({});
    expect('error' in refused && refused.error.code).toBe('UNAUTHORIZED');
    // Awaiting the client itself must not call a command named "then".
    expect(await Promise.resolve(client)).toBe(client);
  });

  it('reports an unreachable station as an error, without throwing', async () => {
    const { server } = await start();
    const url = server.url;
    await server.close();
    const reply = await createHttpClient({ baseUrl: url, token }).status({});
    expect('error' in reply && reply.error.message).toMatch(/cannot be reached/);
    expect('error' in reply && reply.error.code).toBe('UNREACHABLE');
  });

  it('withdraws a request whose signal aborts: the fetch is aborted and the reply says CANCELLED, not "cannot be reached"', async () => {
    // As the browser's fetch: pending until the signal aborts, then rejected with an AbortError.
    let fetchSignal: AbortSignal | undefined;
    const hanging = (_url: string, init: { signal?: AbortSignal }) =>
      new Promise<never>((_resolve, reject) => {
        fetchSignal = init.signal;
        init.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
      });
    const client = createHttpClient({ baseUrl: 'http://127.0.0.1:9', token, fetch: hanging });
    const asked = new AbortController();
    const pending = client.capturePreview({ id: 1 }, { signal: asked.signal });
    asked.abort();
    const reply = await pending;
    expect(fetchSignal?.aborted).toBe(true);
    expect('error' in reply && reply.error.code).toBe('CANCELLED');
    expect('error' in reply && reply.error.message).not.toMatch(/cannot be reached/);
    // Already withdrawn: not sent at all.
    fetchSignal = undefined;
    expect(await client.status({}, { signal: asked.signal })).toMatchObject({ error: { code: 'CANCELLED' } });
    expect(fetchSignal).toBeUndefined();
  });
});

describe('renderer event stream', () => {
  it('goes live, delivers capture.recorded, and reconnects after the server comes back', async () => {
    const first = await start();
    const port = first.server.port;
    const states: ConnectionState[] = [];
    const events: StationEventMessage[] = [];
    const stream = connectEvents({ url: `ws://127.0.0.1:${port}/api/events`, onEvent: (m) => events.push(m), onState: (s) => states.push(s), createSocket: wsFactory, retryDelayMs: () => 100 });
    cleanup.push(() => stream.close());
    await waitFor(() => states.includes('live'), 'live');
    await writeGoodTiff(path.join(first.home, 'Inbox', 'a.tif'));
    await waitFor(() => events.some((e) => e.event === 'capture.recorded'), 'capture.recorded');
    const recorded = events.find((e) => e.event === 'capture.recorded');
    expect(recorded?.event === 'capture.recorded' && recorded.payload.capture.relPath).toBe('a.tif');

    await first.server.close();
    await waitFor(() => states.includes('offline'), 'offline after the server closed');
    const again = await startStationServer({ handlers: createHandlers(first.station), events: first.station, host: '127.0.0.1', port, operatorToken: token, monitorTokens: [], uiDir: null });
    cleanup.push(() => again.close());
    await waitFor(() => states.lastIndexOf('live') > states.indexOf('offline'), 'live again after the server came back');
  });

  it('says access is refused, not "offline", when the station came back with a new token', async () => {
    const first = await start();
    const port = first.server.port;
    const states: ConnectionState[] = [];
    const accessRefused = async () => {
      const r = await createHttpClient({ baseUrl: `http://127.0.0.1:${port}`, token }).access({});
      return 'error' in r && r.error.code === 'UNAUTHORIZED';
    };
    const stream = connectEvents({ url: `ws://127.0.0.1:${port}/api/events`, onEvent: () => undefined, onState: (s) => states.push(s), createSocket: wsFactory, retryDelayMs: () => 100, accessRefused });
    cleanup.push(() => stream.close());
    await waitFor(() => states.includes('live'), 'live');
    await first.server.close();
    await waitFor(() => states.includes('offline'), 'offline while nothing answers');
    const restarted = await startStationServer({ handlers: createHandlers(first.station), events: first.station, host: '127.0.0.1', port, operatorToken: 'a-new-token-made-at-this-start-0123456789', monitorTokens: [], uiDir: null });
    cleanup.push(() => restarted.close());
    await waitFor(() => states.at(-1) === 'refused', 'refused once the station answers again');
    expect(states.slice(states.indexOf('offline')).filter((s) => s === 'live')).toEqual([]);
  });
});
