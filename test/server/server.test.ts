import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { isLoopbackHost, type StationConfigInput } from '../../src/config/schema.js';
import { startStationServer, type StationServer } from '../../src/server/server.js';
import { newToken, writeTokenFile } from '../../src/server/tokens.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { capture } from '../helpers/output.js';

const fast: StationConfigInput = { ingest: { stableWindowMs: 250, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 }, server: { port: 0 } };
const operator = 'operator-token-0123456789abcdefghijklmnop';
const monitor = 'monitor-token-0123456789abcdefghijklmnopq';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Running {
  home: string;
  station: Station;
  server: StationServer;
  base: string;
  uiDir: string;
}

async function start(config: StationConfigInput = fast): Promise<Running> {
  const home = makeHome(config);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  // A stand-in UI folder, with a file next to it that must never be served.
  const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-ui-'));
  cleanup.push(() => fs.rmSync(outer, { recursive: true, force: true }));
  const uiDir = path.join(outer, 'ui');
  fs.mkdirSync(path.join(uiDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>ui</title><p>the capture view</p>');
  fs.writeFileSync(path.join(uiDir, 'assets', 'app-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(outer, 'secret.txt'), 'SECRET-OUTSIDE-UI');
  fs.symlinkSync(path.join(outer, 'secret.txt'), path.join(uiDir, 'link.txt'));

  const station = new Station(loadConfig({ home }));
  await station.start();
  cleanup.push(() => station.stop());
  const server = await startStationServer({ handlers: createHandlers(station), events: station, host: '127.0.0.1', port: 0, operatorToken: operator, monitorTokens: [monitor], uiDir });
  cleanup.push(() => server.close());
  return { home, station, server, base: `http://127.0.0.1:${server.port}`, uiDir };
}

function post(base: string, command: string, body: string | object, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/${command}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });


/** Opens a WebSocket; resolves with it once open, or with the HTTP status the upgrade was refused with. */
function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

describe('headless server: tokens', () => {
  it('refuses every request without a valid token with 401 and an error as data', async () => {
    const { base } = await start();
    const none = await post(base, 'status', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('token') } });
    expect((await post(base, 'status', {}, bearer('not-the-token'))).status).toBe(401);
    expect((await post(base, 'status', {}, { Authorization: `Basic ${operator}` })).status).toBe(401);
    // The UI and unknown paths are behind the token too; a token in the query is not accepted for the API.
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/assets/app-abc123.js`)).status).toBe(401);
    expect((await post(`${base}`, `status?token=${operator}`, {})).status).toBe(401);
  });

  it('lets a monitor token read but not act (403), and the operator token do both', async () => {
    const { base, station } = await start();
    const status = await post(base, 'status', {}, bearer(monitor));
    expect(status.status).toBe(200);
    expect(((await status.json()) as { result: { stationId: string } }).result.stationId).toBe(station.config.stationId);
    const list = await post(base, 'listCaptures', { limit: 5 }, bearer(monitor));
    expect(await list.json()).toEqual({ result: [] });

    const rescan = await post(base, 'rescan', {}, bearer(monitor));
    expect(rescan.status).toBe(403);
    expect(((await rescan.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    // Who is shooting is the operator's to say: a monitor can neither start nor end a session.
    expect((await post(base, 'startSession', { operator: 'Ana' }, bearer(monitor))).status).toBe(403);
    expect((await post(base, 'endSession', {}, bearer(monitor))).status).toBe(403);
    expect(station.status().session).toBeNull();
    // The page asks who it is, so a monitor's screen offers no session prompt.
    expect(await (await post(base, 'access', {}, bearer(monitor))).json()).toEqual({ result: { role: 'monitor' } });
    expect(await (await post(base, 'access', {}, bearer(operator))).json()).toEqual({ result: { role: 'operator' } });

    const asOperator = await post(base, 'rescan', {}, bearer(operator));
    expect(asOperator.status).toBe(200);
    expect(await asOperator.json()).toEqual({ result: { rescanned: true } });
  });

  it('trades ?token= on a page load for an HttpOnly SameSite=Strict cookie, then serves the UI uncached with a strict CSP', async () => {
    const { base } = await start();
    const first = await fetch(`${base}/?token=${operator}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^cs_token_\d+=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(first.headers.get('cache-control')).toBe('no-store');

    const page = await fetch(`${base}/`, { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('the capture view');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${new URL(base).port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');

    // The cookie also authorises the API (same-origin fetches from the page).
    expect((await post(base, 'status', {}, { Cookie: cookie.split(';')[0]! })).status).toBe(200);
    // A wrong token in the query is not traded for a cookie.
    expect((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status).toBe(401);
  });
});

describe('headless server: a withdrawn request', () => {
  it('aborts the command\'s signal when the caller goes away before the reply, and not after one', async () => {
    const { station } = await start();
    const signals: AbortSignal[] = [];
    // A preview waiting for QC to go idle: it answers only when withdrawn.
    const handlers = {
      ...createHandlers(station),
      capturePreview: (_args: unknown, { signal }: { signal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          signals.push(signal!);
          signal!.addEventListener('abort', () => reject(new Error('withdrawn')));
        }),
    };
    const server = await startStationServer({ handlers, events: station, host: '127.0.0.1', port: 0, operatorToken: operator, monitorTokens: [], uiDir: null });
    cleanup.push(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    const asked = new AbortController();
    const pending = fetch(`${base}/api/capturePreview`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(operator) }, body: '{"id":1}', signal: asked.signal });
    await waitFor(() => signals.length === 1, 'the command to start');
    expect(signals[0]!.aborted).toBe(false);
    asked.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => signals[0]!.aborted, 'the command withdrawn');
    // Answered in full: nothing is withdrawn afterwards.
    const statusSignal: AbortSignal[] = [];
    const answered = await startStationServer({ handlers: { ...handlers, status: (_a: unknown, { signal }: { signal?: AbortSignal }) => (statusSignal.push(signal!), station.status()) }, events: station, host: '127.0.0.1', port: 0, operatorToken: operator, monitorTokens: [], uiDir: null });
    cleanup.push(() => answered.close());
    expect((await post(`http://127.0.0.1:${answered.port}`, 'status', {}, bearer(operator))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(statusSignal[0]!.aborted).toBe(false);
  });
});

describe('operator token file', () => {
  it('is written with mode 0600 and replaces an older, looser file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-token-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'server-token');
    fs.writeFileSync(file, 'old\n', { mode: 0o644 });
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(token);
    writeTokenFile(file, token);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe(token + '\n');
    expect(fs.readdirSync(dir)).toEqual(['server-token']);
  });
});

describe('headless server: API boundary', () => {
  it('answers bad JSON with 400, unknown commands with 404, a too large body with 413, other methods and types with 405/415', async () => {
    const { base } = await start();
    const auth = bearer(operator);
    const bad = await post(base, 'listCaptures', '{"limit": ', auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    for (const name of ['nope', 'toString', '__proto__', 'constructor']) {
      const res = await post(base, name, {}, auth);
      expect(res.status, name).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
    const big = await post(base, 'listCaptures', JSON.stringify({ sourceId: 'x'.repeat(100_000) }), auth);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
    const get = await fetch(`${base}/api/status`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await post(base, 'status', '{}', { ...auth, 'Content-Type': 'text/plain' })).status).toBe(415);
    // A page from another site cannot post with the browser's cookie.
    expect((await post(base, 'rescan', {}, { ...auth, Origin: 'http://evil.example' })).status).toBe(403);
  });

  it('validates arguments with the contract and returns command errors as data with HTTP 200', async () => {
    const { base } = await start();
    const auth = bearer(operator);
    const wrongType = await post(base, 'listCaptures', { limit: 'ten' }, auth);
    expect(wrongType.status).toBe(200);
    expect(await wrongType.json()).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/limit/) } });
    const extra = await post(base, 'status', { sneaky: true }, auth);
    expect(((await extra.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    const notArgs = await post(base, 'status', [1, 2], auth);
    expect(((await notArgs.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    const missing = await post(base, 'getCapture', { id: 999 }, auth);
    expect(missing.status).toBe(200);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    // An empty body is "no arguments".
    expect((await post(base, 'status', '', auth)).status).toBe(200);
  });

  it('serves only files inside the UI folder: traversal and symlinks out of it are refused', async () => {
    const { base } = await start();
    const auth = bearer(operator);
    const asset = await fetch(`${base}/assets/app-abc123.js`, { headers: auth });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    for (const p of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/link.txt', '/assets%5c..%5c..%5csecret.txt']) {
      const res = await fetch(`${base}${p}`, { headers: auth });
      expect(res.status, p).not.toBe(200);
      expect(await res.text(), p).not.toContain('SECRET-OUTSIDE-UI');
    }
    expect((await fetch(`${base}/missing.js`, { headers: auth })).status).toBe(404);
    // Client-side routes get the app.
    expect(await (await fetch(`${base}/history`, { headers: auth })).text()).toContain('the capture view');
  });
});

describe('headless server: events WebSocket', () => {
  it('refuses a WebSocket without a token or from another site, and pushes capture.recorded to one with a token', async () => {
    const { base, home } = await start();
    const wsUrl = base.replace('http', 'ws') + '/api/events';
    expect(await openSocket(wsUrl)).toBe(401);
    expect(await openSocket(wsUrl, bearer('wrong'))).toBe(401);
    expect(await openSocket(wsUrl, { ...bearer(operator), Origin: 'http://evil.example' })).toBe(403);
    expect(await openSocket(base.replace('http', 'ws') + '/api/other', bearer(operator))).toBe(404);

    // Browsers cannot set headers on a WebSocket: the session cookie or ?token= carry it.
    const viaQuery = await openSocket(`${wsUrl}?token=${operator}`);
    expect(viaQuery).toBeInstanceOf(WebSocket);
    if (typeof viaQuery !== 'number') viaQuery.terminate();
    const viaCookie = await openSocket(wsUrl, { Cookie: `cs_token_${new URL(base).port}=${operator}` });
    expect(viaCookie).toBeInstanceOf(WebSocket);
    if (typeof viaCookie !== 'number') viaCookie.terminate();

    const ws = await openSocket(wsUrl, bearer(monitor));
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    cleanup.push(() => ws.terminate());
    const messages: { event: string; payload: { capture?: { relPath: string; verdict: string } } }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await writeGoodTiff(path.join(home, 'Inbox', 'good.tif'));
    await waitFor(() => messages.some((m) => m.event === 'capture.recorded'), 'capture.recorded over the WebSocket');
    const recorded = messages.find((m) => m.event === 'capture.recorded')!;
    expect(recorded.payload.capture?.relPath).toBe('good.tif');
    expect(['pass', 'warn']).toContain(recorded.payload.capture?.verdict);
    expect(messages.some((m) => m.event === 'capture.checking')).toBe(true);
  });
});

describe('capture-station serve: bind address', () => {
  it('refuses a non-loopback bind unless server.allowRemote is set, naming the field', async () => {
    const home = makeHome({ server: { host: '0.0.0.0', port: 0 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const out = capture();
    expect(await main(['serve', '--home', home], out)).toBe(2);
    expect(out.stderr).toMatch(/server\.host: "0\.0\.0\.0" is reachable from other machines.*server\.allowRemote: true/);
    expect(fs.existsSync(path.join(home, 'server-token'))).toBe(false);

    expect(() => loadConfig({ home })).toThrow(/allowRemote/);
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ server: { host: '0.0.0.0', allowRemote: true } }));
    expect(loadConfig({ home }).server).toMatchObject({ host: '0.0.0.0', allowRemote: true, port: 7410 });
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ server: { monitorTokens: ['short'] } }));
    expect(() => loadConfig({ home })).toThrow(/server\.monitorTokens\.0/);
  });

  it('says so when the port is taken, instead of crashing', async () => {
    const { server, station } = await start();
    await expect(startStationServer({ handlers: createHandlers(station), events: station, host: '127.0.0.1', port: server.port, operatorToken: operator, monitorTokens: [], uiDir: null })).rejects.toThrow(
      new RegExp(`Port ${server.port} on 127.0.0.1 is already in use`),
    );
  });

  it('knows which addresses are loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'station.local', '127.0.0.1.evil.example', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
