/** The main ↔ core-process protocol over a real MessageChannel, with a real station behind it. */
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreClient, serveCore, type CoreMessage, type PortLike } from '../../main/core-rpc.js';
import { restartDelayMs } from '../../main/restart-policy.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const portLike = (port: MessagePort): PortLike => ({
  postMessage: (m: CoreMessage) => port.postMessage(m),
  on: (_event, listener) => port.on('message', (m: CoreMessage) => listener(m)),
});

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
