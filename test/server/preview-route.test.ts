/** GET /api/preview/<id> on the headless server: the preview's bytes, behind the token like every request. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { HandlerMap } from '../../src/contract/client.js';
import { startStationServer } from '../../src/server/server.js';
import type { PreviewJpeg } from '../../src/server/preview-route.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { corpus, makeHome, waitFor } from '../helpers/station-home.js';

const operator = 'operator-token-0123456789abcdefghijklmnop';
const monitor = 'monitor-token-0123456789abcdefghijklmnopq';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('preview route', () => {
  it('serves the JPEG to operator and monitor tokens only, with its hash as ETag, and names what is wrong otherwise', async () => {
    const home = makeHome({ ingest: { stableWindowMs: 250, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    await station.start();
    cleanup.push(() => station.stop());
    const server = await startStationServer({
      handlers: createHandlers(station),
      events: station,
      host: '127.0.0.1',
      port: 0,
      operatorToken: operator,
      monitorTokens: [monitor],
      uiDir: null,
      previewJpeg: (id, signal) => station.previews.jpeg(id, signal),
    });
    cleanup.push(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    await writeGoodTiff(path.join(home, 'Inbox', 'good.tif'));
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(home, 'Inbox', 'broken.tif'));
    await waitFor(() => station.store.counts().total === 2, 'two captures recorded');
    const good = station.store.list().find((c) => c.relPath === 'good.tif')!;
    const broken = station.store.list().find((c) => c.relPath === 'broken.tif')!;
    const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers });

    expect((await get(`/api/preview/${good.id}`)).status).toBe(401);
    expect((await get(`/api/preview/${good.id}?token=${operator}`)).status).toBe(401);
    expect((await get(`/api/preview/${good.id}`, { Authorization: 'Bearer wrong-token-0123456789abcdefghij' })).status).toBe(401);

    const res = await get(`/api/preview/${good.id}`, { Authorization: `Bearer ${operator}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('etag')).toBe(`"${good.sha256}"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
    const viaCommand = await (await fetch(`${base}/api/capturePreview`, { method: 'POST', headers: { Authorization: `Bearer ${monitor}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ id: good.id }) })).json();
    expect((viaCommand as { result: { image: string } }).result.image).toBe(`data:image/jpeg;base64,${bytes.toString('base64')}`);

    expect((await get(`/api/preview/${good.id}`, { Authorization: `Bearer ${monitor}` })).status).toBe(200);
    expect((await get(`/api/preview/${good.id}`, { Authorization: `Bearer ${operator}`, 'If-None-Match': `"${good.sha256}"` })).status).toBe(304);

    const damaged = await get(`/api/preview/${broken.id}`, { Authorization: `Bearer ${operator}` });
    expect(damaged.status).toBe(422);
    expect(await damaged.json()).toMatchObject({ error: { code: 'FILE_UNREADABLE', message: expect.stringContaining('cannot be decoded') } });
    expect((await get('/api/preview/999999', { Authorization: `Bearer ${operator}` })).status).toBe(404);
    const notAnId = await get('/api/preview/..%2Fstation.db', { Authorization: `Bearer ${operator}` });
    expect(notAnId.status).toBe(400);
    expect(await notAnId.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect((await fetch(`${base}/api/preview/${good.id}`, { method: 'POST', headers: { Authorization: `Bearer ${operator}` } })).status).toBe(405);
  });

  it('withdraws the preview when the client goes away before it is made, and not after it was sent', async () => {
    const signals = new Map<number, AbortSignal>();
    // Capture 1's preview waits (for QC to go idle) until withdrawn; capture 2's is made at once.
    const previewJpeg: PreviewJpeg = (id, signal) => {
      signals.set(id, signal);
      if (id === 2) return Promise.resolve({ bytes: Buffer.from('jpeg'), sha256: 'ab'.repeat(32) });
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('withdrawn')), { once: true }));
    };
    const server = await startStationServer({ handlers: {} as HandlerMap, events: { onAny: () => () => undefined }, host: '127.0.0.1', port: 0, operatorToken: operator, monitorTokens: [], uiDir: null, previewJpeg });
    cleanup.push(() => server.close());
    const url = (id: number) => `http://127.0.0.1:${server.port}/api/preview/${id}`;
    const scrolledPast = new AbortController();
    const pending = fetch(url(1), { headers: { Authorization: `Bearer ${operator}` }, signal: scrolledPast.signal });
    await waitFor(() => signals.has(1), 'the preview to be asked for');
    expect(signals.get(1)!.aborted).toBe(false);
    scrolledPast.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => signals.get(1)!.aborted, 'the preview withdrawn');

    const res = await fetch(url(2), { headers: { Authorization: `Bearer ${operator}` } });
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('jpeg');
    await new Promise((r) => setTimeout(r, 50));
    expect(signals.get(2)!.aborted).toBe(false);
  });
});
