/**
 * A tus endpoint with credentials in its URL (Basic auth user:password@, a token in the query):
 * they are sent to the server, and never printed — not in a log line, a job's error, an event or the
 * queue status — when the upload fails or succeeds.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { TargetConfig } from '../../src/config/schema.js';
import { addLogSink, formatLogLine } from '../../src/log/logger.js';
import { Outbox, type JobTransition } from '../../src/upload/outbox.js';
import { createTargets } from '../../src/upload/targets.js';
import { Uploader } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import { randomBytes, settings, sha256, sha256OfFile } from './fixture.js';
import { tusBed } from './tus-bed.js';

const MiB = 1024 * 1024;
const password = 'Pw-9c1e77aa0f';
const token = 'tok-51d0e3b8a2';
const bed = tusBed();

const basicAnna = `Basic ${Buffer.from(`anna:${password}`).toString('base64')}`;

/**
 * A proxy in front of @tus/server (`upstream` read per request, so it may start later) that records
 * each request's method and Authorization; with `requireAuth`, every request but OPTIONS (as for a
 * CORS preflight) needs Basic auth anna:<password>.
 */
async function proxy(upstream: () => number, requireAuth: boolean): Promise<{ origin: string; authorized: string[]; seen: { method: string; authorization: string | undefined }[]; close(): Promise<void> }> {
  const authorized: string[] = [];
  const seen: { method: string; authorization: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, authorization: req.headers.authorization });
    if (requireAuth && req.method !== 'OPTIONS' && req.headers.authorization !== basicAnna) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="tus"' }).end('who are you?');
      return;
    }
    if (req.method !== 'OPTIONS') authorized.push(req.method!);
    const up = http.request({ host: '127.0.0.1', port: upstream(), path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    authorized,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function basicAuthProxy(upstreamPort: number): ReturnType<typeof proxy> {
  return proxy(() => upstreamPort, true);
}

/** Runs the uploader on one capture until its job is done or dead; returns everything it printed or recorded. */
async function uploadOnce(endpoint: string): Promise<{ printed: string; state: string | undefined; sha256: string }> {
  const lines: string[] = [];
  onTestFinished(addLogSink((r) => lines.push(formatLogLine(r))));
  const transitions: JobTransition[] = [];
  const bytes = randomBytes(300_000, 11);
  const cap = bed.fx.addCapture('IMG_0001.tif', bytes);
  const config: TargetConfig = { id: 'tus', kind: 'tus', endpoint, headers: {}, chunkSizeBytes: MiB, when: 'all', required: true };
  const uploader = new Uploader({ db: bed.fx.store.db, targetConfigs: [config], targets: createTargets([config], { stationId: 'st1' }), settings: settings({ maxAttempts: 1, probeIntervalSec: 0.1 }), tickMs: 50, onTransition: (t) => transitions.push(t) });
  uploader.start();
  let state: string | undefined;
  try {
    uploader.backfill('tus', null);
    // A refused upload pauses the target (the job waits, queued) rather than killing the job.
    const refused = () => /refused the upload/.test(uploader.status().targets[0]?.lastProbeError ?? '');
    await waitFor(() => ['done', 'dead'].includes((state = new Outbox(bed.fx.store.db).jobsOfCapture(cap.id)[0]?.state) ?? '') || refused(), 'the job done or dead, or its target paused', 30_000);
    const printed = [...lines, JSON.stringify(new Outbox(bed.fx.store.db).jobsOfCapture(cap.id)), JSON.stringify(transitions), JSON.stringify(uploader.status())].join('\n');
    return { printed, state, sha256: sha256(bytes) };
  } finally {
    await uploader.stop();
  }
}

describe('credentials in a tus endpoint URL', () => {
  it('an upload refused for a wrong password is logged and recorded with the endpoint, without its credentials', async () => {
    const proxy = await basicAuthProxy((await bed.server()).port);
    onTestFinished(() => proxy.close());
    const { printed, state } = await uploadOnce(`http://anna:wrong-${password}@${proxy.origin}/files/?token=${token}`);
    expect(state).toMatch(/^(queued|leased)$/);
    // The failure names the endpoint (so the test looks where a leak would be) …
    expect(printed).toContain(`http://(hidden):(hidden)@${proxy.origin}/files/?token=(hidden)`);
    expect(printed).toMatch(/refused the upload \(401\)/);
    // … and nothing it prints carries a credential.
    for (const secret of [password, token, 'anna']) expect(printed).not.toContain(secret);
  });

  it('with the right password the upload goes through (the credentials are sent), and nothing printed carries them', async () => {
    // The upload URL the server answers has no userinfo: PATCH and HEAD are authorized all the same.
    const proxy = await basicAuthProxy((await bed.server()).port);
    onTestFinished(() => proxy.close());
    const { printed, state, sha256: expected } = await uploadOnce(`http://anna:${password}@${proxy.origin}/files/?token=${token}`);
    expect(state).toBe('done');
    expect(proxy.authorized).toEqual(expect.arrayContaining(['POST', 'PATCH', 'HEAD']));
    expect(printed).toMatch(new RegExp(`tus upload created .*url=http://${proxy.origin}/files/[0-9a-f]+`));
    for (const secret of [password, token, 'anna']) expect(printed).not.toContain(secret);
    const json = fs.readdirSync(bed.store).find((n) => n.endsWith('.json'))!;
    expect(sha256OfFile(path.join(bed.store, json.slice(0, -5)))).toBe(expected);
  });

  it('sends the URL\'s user:password only to the endpoint\'s own origin, not to an upload URL on another host', async () => {
    let tusPort = 0;
    const front = await proxy(() => tusPort, false);
    const uploadHost = await proxy(() => tusPort, false);
    onTestFinished(() => Promise.all([front.close(), uploadHost.close()]).then(() => undefined));
    const peer = await bed.server(0, { locationOrigin: `http://${uploadHost.origin}` });
    tusPort = peer.port;
    const { state } = await uploadOnce(`http://anna:${password}@${front.origin}/files/`);
    expect(state).toBe('done');
    expect(front.seen.filter((r) => r.method === 'POST').map((r) => r.authorization)).toEqual([basicAnna]);
    expect(uploadHost.seen.map((r) => r.method)).toEqual(expect.arrayContaining(['PATCH', 'HEAD']));
    expect(uploadHost.seen.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('takes a password that is not valid percent-encoding as typed', async () => {
    const config: TargetConfig = { id: 'tus', kind: 'tus', endpoint: 'http://anna:50%off@127.0.0.1:9/files/', headers: {}, chunkSizeBytes: MiB, when: 'all', required: true };
    expect(() => createTargets([config], { stationId: 'st1' })).not.toThrow();
  });
});
