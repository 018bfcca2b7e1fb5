/** The main ↔ core-process protocol over a real MessageChannel, with a real station behind it. */
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreClient, serveCore } from '../../main/core-rpc.js';
import { IpcCalls } from '../../main/ipc.js';
import { uiEntryUrl } from '../../main/security.js';
import { createIpcClient } from '../../renderer/transport/ipc.js';
import type { StationBridge } from '../../src/contract/bridge.js';
import type { CallContext, HandlerMap } from '../../src/contract/client.js';
import { commandArgs } from '../../src/contract/commands.js';
import { restartDelayMs } from '../../main/restart-policy.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { portLike } from '../helpers/port-like.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('core process protocol', () => {
  it('answers calls with the contract, errors as data, and forwards the station events', async () => {
    const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    await station.start();
    cleanup.push(() => station.stop());
    const { port1, port2 } = new MessageChannel();
    cleanup.push(() => {
      port1.close();
      port2.close();
    });
    serveCore(portLike(port1), createHandlers(station), (l) => station.onAny(l));
    const events: string[] = [];
    const client = new CoreClient(portLike(port2), (name) => events.push(name));

    expect(await client.call('status', {})).toMatchObject({ result: { stationId: expect.any(String), captures: { total: 0 } } });
    expect(await client.call('getCapture', { id: -1 })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await client.call('getCapture', { id: 99 })).toEqual({ error: { code: 'NOT_FOUND', message: 'There is no capture 99.' } });
    expect(await client.call('nonsense', {})).toMatchObject({ error: { code: 'NOT_FOUND' } });

    await writeGoodTiff(path.join(home, 'Inbox', 'a.tif'), 4);
    await waitFor(() => events.includes('capture.recorded'), 'the recorded event');

    // The preview crosses as a data URL (src/preview/service.ts): the same reply as in-process and over HTTP.
    const id = station.store.list()[0]!.id;
    const preview = await client.call('capturePreview', { id });
    if (!('result' in preview)) throw new Error(preview.error.message);
    const { image, width, height } = preview.result as { image: string; width: number; height: number };
    expect([width, height]).toEqual([640, 480]);
    expect(await sharp(Buffer.from(image.replace(/^data:image\/jpeg;base64,/, ''), 'base64')).metadata()).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
  });

  it("carries the window's withdrawal of a call to the core's handler, which stops; other calls are answered", async () => {
    const { port1, port2 } = new MessageChannel();
    cleanup.push(() => {
      port1.close();
      port2.close();
    });
    // Every command waits until its caller withdraws it, or answers at once when told to.
    const withdrawnIn: string[] = [];
    const handlers = Object.fromEntries(
      Object.keys(commandArgs).map((c) => [
        c,
        (args: { id?: number }, { signal }: CallContext) =>
          args.id === 1
            ? new Promise((resolve) => signal?.addEventListener('abort', () => resolve(withdrawnIn.push(c)), { once: true }))
            : { ran: c },
      ]),
    ) as unknown as HandlerMap;
    serveCore(portLike(port1), handlers, () => () => undefined);
    const core = new CoreClient(portLike(port2), () => undefined);
    // The main process (main.ts) and the preload (preload.cts), minus Electron.
    const uiDir = path.resolve('/opt/capture-station/resources/app/dist/renderer');
    const calls = new IpcCalls((c, a, signal) => core.call(c, a, signal), uiDir);
    const window = { id: 1, url: uiEntryUrl(uiDir) };
    const bridge: StationBridge = {
      invoke: (command, args, requestId) => calls.invoke(window, command, args, requestId),
      withdraw: (requestId) => Promise.resolve(calls.withdraw(window, requestId)),
      onEvent: () => () => undefined,
    };
    const client = createIpcClient(bridge);

    const scrolledPast = new AbortController();
    const waiting = client.capturePreview({ id: 1, withImage: true }, { signal: scrolledPast.signal });
    const stillWanted = client.getCapture({ id: 2 }, { signal: new AbortController().signal });
    expect(await stillWanted).toEqual({ result: { ran: 'getCapture' } });
    scrolledPast.abort();
    expect(await waiting).toMatchObject({ error: { code: 'CANCELLED' } });
    await waitFor(() => withdrawnIn.length > 0, 'the withdrawal in the core');
    expect(withdrawnIn).toEqual(['capturePreview']);
    // Arguments are still validated at the core; a withdrawn-before-sent call never reaches it.
    expect(await client.getCapture({ id: -1 }, { signal: new AbortController().signal })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await client.getCapture({ id: 1 }, { signal: AbortSignal.abort() })).toMatchObject({ error: { code: 'CANCELLED' } });
    expect(withdrawnIn).toEqual(['capturePreview']);
  });

  it('replies with an error to every waiting call when the core process dies', async () => {
    const { port1, port2 } = new MessageChannel();
    cleanup.push(() => {
      port1.close();
      port2.close();
    });
    const client = new CoreClient(portLike(port2), () => undefined);
    const waiting = client.call('status', {});
    client.fail('The station core stopped (exit code 139); it is being restarted.');
    expect(await waiting).toEqual({ error: { code: 'INTERNAL', message: 'The station core stopped (exit code 139); it is being restarted.' } });
  });

  it('waits longer after each crash in a row, up to a minute', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
  });
});
