/** The tus target against a real @tus/server + @tus/file-store on loopback, including a server killed mid-upload. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/schema.js';
import { LinkStore } from '../../src/linking/store.js';
import { Outbox } from '../../src/upload/outbox.js';
import { localFileOf } from '../../src/upload/source-read.js';
import { Uploader } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import { isUploadError, type UploadJobInput } from '../../src/upload/target.js';
import { TusTarget, type TusTargetFaults } from '../../src/upload/tus-target.js';
import { randomBytes, settings, sha256, sha256OfFile } from './fixture.js';
import { freePort } from './moto.js';
import { tusBed } from './tus-bed.js';

const MiB = 1024 * 1024;
const bed = tusBed();

function target(endpoint: string, faults?: TusTargetFaults): TusTarget {
  return new TusTarget({ id: 'tus', endpoint, headers: { Authorization: 'Bearer test' }, chunkSizeBytes: MiB, stationId: 'st1', ...(faults ? { faults } : {}) });
}

function jobFor(t: TusTarget, captureId: number, resume: { state: unknown }, barcode: string | null = null, controller = new AbortController()): UploadJobInput {
  const c = bed.fx.store.captures.get(captureId)!;
  const file = localFileOf({ captureId, sourceId: c.sourceId, relPath: c.relPath, version: c.version, path: c.path, size: c.size, mtimeUs: c.mtimeUs, sha256: c.sha256 }, async () => undefined, controller.signal);
  return {
    jobId: captureId,
    captureId,
    attempts: 0,
    remoteKey: t.remoteKeyOf(c),
    attemptTag: 't',
    previouslyStarted: resume.state !== null,
    file,
    barcode,
    resume: resume.state,
    saveResume: (s) => void (resume.state = s === null ? null : JSON.parse(JSON.stringify(s))),
    signal: controller.signal,
  };
}

/** The id of a tus upload is the last segment of its URL; the file bed.store keeps <id> and <id>.json. */
function stored(resume: { state: unknown }): { file: string; info: { size: number; offset: number; metadata: Record<string, string | null> } } {
  const id = (resume.state as { url: string }).url.split('/').pop()!;
  return { file: path.join(bed.store, id), info: JSON.parse(fs.readFileSync(path.join(bed.store, `${id}.json`), 'utf8')) };
}

function requests(): { faults: TusTargetFaults; seen: { method: string; offset: string | undefined }[] } {
  const seen: { method: string; offset: string | undefined }[] = [];
  return { faults: { onRequest: (method, _url, h) => void seen.push({ method, offset: h.offset }) }, seen };
}

describe('tus target against @tus/server', () => {
  it('probes the endpoint with OPTIONS, and is offline when nothing answers', async () => {
    const peer = await bed.server();
    await expect(target(peer.endpoint).probe(new AbortController().signal)).resolves.toBeUndefined();
    const err = await target(`http://127.0.0.1:${await freePort()}/files/`)
      .probe(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(isUploadError(err, 'offline')).toBe(true);
  });

  it('uploads in chunks with filename, key, sha256 and barcode metadata; the stored file has the local sha256', async () => {
    const peer = await bed.server();
    const bytes = randomBytes(3 * MiB + 99, 1);
    const cap = bed.fx.addCapture('IMG_0001.tif', bytes);
    const t = target(peer.endpoint);
    const resume = { state: null as unknown };
    const result = await t.upload(jobFor(t, cap.id, resume, 'NHM-000123'));
    expect(result).toEqual({ remoteKey: 'st1/cam/IMG_0001.tif', verifiedSha256: sha256(bytes), alreadyPresent: false, confirmState: { v: 1, kind: 'tus', url: expect.stringMatching(/^http/), size: bytes.length, sha256: sha256(bytes) } });
    const { file, info } = stored(resume);
    expect(sha256OfFile(file)).toBe(sha256(bytes));
    expect(info.size).toBe(bytes.length);
    expect(fs.statSync(file).size).toBe(bytes.length); // the file bed.store's offset is the file's size
    expect(info.metadata).toMatchObject({ filename: 'IMG_0001.tif', key: 'st1/cam/IMG_0001.tif', sha256: sha256(bytes), barcode: 'NHM-000123' });
  });

  it('in the queue: the barcode of the object a capture is linked to goes into the metadata', async () => {
    const peer = await bed.server();
    // A failed capture of a closed object is settled without filing (it stays in the hot folder), so
    // it goes to a `when: all` target without the library's moves.
    const cap = bed.fx.addCapture('linked.tif', randomBytes(300_000, 7), { verdict: 'fail' });
    const links = new LinkStore(bed.fx.store.db);
    const object = links.createClosedObject('NHM-777', 'cam');
    links.link(cap.id, object.id, 1, null);
    const config: TargetConfig = { id: 'tus', kind: 'tus', endpoint: peer.endpoint, headers: {}, chunkSizeBytes: MiB, when: 'all', required: true };
    const uploader = new Uploader({ db: bed.fx.store.db, targetConfigs: [config], targets: [target(peer.endpoint)], settings: settings({ backoff: { baseMs: 20, maxMs: 50 }, probeIntervalSec: 0.1 }), tickMs: 50 });
    uploader.start();
    try {
      uploader.backfill('tus', null); // the capture was recorded before the uploader ran
      await waitFor(() => new Outbox(bed.fx.store.db).jobsOfCapture(cap.id)[0]?.state === 'done', 'the job done', 60_000);
    } finally {
      await uploader.stop();
    }
    const json = fs.readdirSync(bed.store).find((n) => n.endsWith('.json'))!;
    const info = JSON.parse(fs.readFileSync(path.join(bed.store, json), 'utf8')) as { id: string; metadata: Record<string, string> };
    expect(info.metadata).toMatchObject({ barcode: 'NHM-777', filename: 'linked.tif', sha256: sha256OfFile(cap.path) });
    expect(sha256OfFile(path.join(bed.store, json.slice(0, -5)))).toBe(sha256OfFile(cap.path));
  });

  it('leaves the barcode out of the metadata when the capture is not linked', async () => {
    const peer = await bed.server();
    const cap = bed.fx.addCapture('loose.jpg', randomBytes(1000, 2));
    const t = target(peer.endpoint);
    const resume = { state: null as unknown };
    await t.upload(jobFor(t, cap.id, resume, null));
    expect(Object.keys(stored(resume).info.metadata)).not.toContain('barcode');
  });

  it('resumes from the server offset, not byte 0, after the server is killed mid-upload and restarted', async () => {
    let peer = await bed.server();
    const bytes = randomBytes(6 * MiB + 4321, 3);
    const cap = bed.fx.addCapture('big.tif', bytes);
    const resume = { state: null as unknown };
    const killed: Promise<void>[] = [];
    const t1 = target(peer.endpoint, { afterChunk: (accepted) => void (accepted >= 2 * MiB && killed.length === 0 && killed.push(peer.kill())) });
    const err = await t1.upload(jobFor(t1, cap.id, resume)).catch((e: unknown) => e);
    await Promise.all(killed);
    expect(isUploadError(err, 'offline') || isUploadError(err, 'transient')).toBe(true);
    expect((resume.state as { url: string }).url).toBeTruthy();

    peer = await bed.server(peer.port); // the same server, restarted on its port with its bed.store
    const serverOffset = fs.statSync(stored(resume).file).size; // @tus/file-store: the offset is the stored file's size
    expect(serverOffset).toBeGreaterThanOrEqual(2 * MiB);
    expect(serverOffset).toBeLessThan(bytes.length);

    const r2 = requests();
    const t2 = target(peer.endpoint, r2.faults);
    const result = await t2.upload(jobFor(t2, cap.id, resume));
    expect(result.alreadyPresent).toBe(false);
    expect(r2.seen.filter((r) => r.method === 'POST')).toHaveLength(0); // no new upload
    const patches = r2.seen.filter((r) => r.method === 'PATCH');
    expect(Number(patches[0]!.offset)).toBe(serverOffset); // resumed where the server was
    expect(sha256OfFile(stored(resume).file)).toBe(sha256(bytes));
  });

  it('acknowledges a finished upload again without sending (a crash after it completed)', async () => {
    const peer = await bed.server();
    const cap = bed.fx.addCapture('done.jpg', randomBytes(2 * MiB, 4));
    const resume = { state: null as unknown };
    await target(peer.endpoint).upload(jobFor(target(peer.endpoint), cap.id, resume));
    const r = requests();
    const t = target(peer.endpoint, r.faults);
    const result = await t.upload(jobFor(t, cap.id, resume));
    expect(result.alreadyPresent).toBe(true);
    expect(r.seen.filter((x) => x.method === 'PATCH' || x.method === 'POST')).toHaveLength(0);
  });

  it('confirms a done upload by HEAD of its URL (offset, length, sha256 metadata), says when it is gone, and cannot tell when the server is down', async () => {
    const peer = await bed.server();
    const bytes = randomBytes(MiB + 5, 9);
    const cap = bed.fx.addCapture('kept.jpg', bytes);
    const resume = { state: null as unknown };
    const t = target(peer.endpoint);
    const result = await t.upload(jobFor(t, cap.id, resume));
    const copy = { remoteKey: result.remoteKey, size: bytes.length, sha256: sha256(bytes), state: JSON.parse(JSON.stringify(result.confirmState)) as unknown };
    const signal = new AbortController().signal;
    expect(await t.confirm(copy, signal)).toEqual({ present: true });
    // Same URL, other bytes: the sha256 the server keeps in the metadata is not this one.
    expect(await t.confirm({ ...copy, sha256: sha256('other') }, signal)).toMatchObject({ present: false, problem: expect.stringMatching(/holds an upload with sha256 .*, not /) });
    const { file } = stored(resume);
    fs.rmSync(file);
    fs.rmSync(`${file}.json`);
    expect(await t.confirm(copy, signal)).toMatchObject({ present: false, problem: expect.stringMatching(/is no longer there \(404\)/) });
    await peer.kill();
    const err = await t.confirm(copy, signal).catch((e: unknown) => e);
    expect(isUploadError(err, 'offline')).toBe(true);
    // Without a recorded URL (a done job of an older version) the target cannot tell either.
    expect(await t.confirm({ ...copy, state: null }, signal)).toMatchObject({ present: null, problem: expect.stringMatching(/upload URL .* was not recorded/) });
  });

  it('fails permanently, sending nothing complete, when the local file changed after QC', async () => {
    const peer = await bed.server();
    const cap = bed.fx.addCapture('changed.jpg', randomBytes(2 * MiB, 5));
    fs.writeFileSync(cap.path, randomBytes(2 * MiB, 6));
    const t = target(peer.endpoint);
    const err = await t.upload(jobFor(t, cap.id, { state: null })).catch((e: unknown) => e);
    expect(isUploadError(err, 'permanent')).toBe(true);
  });

  it('sends a sha256 Upload-Checksum of every PATCH body when the server announces the checksum extension', async () => {
    const peer = await bed.server();
    const proxy = await checksumProxy(peer.port);
    try {
      const bytes = randomBytes(3 * MiB + 4321, 9);
      const cap = bed.fx.addCapture('summed.tif', bytes);
      const t = target(proxy.endpoint);
      await t.probe(new AbortController().signal);
      const resume = { state: null as unknown };
      await t.upload(jobFor(t, cap.id, resume));
      expect(proxy.checked).toEqual({ matching: 4, wrong: 0, missing: 0 }); // 3 MiB chunks and the rest
      expect(sha256OfFile(stored(resume).file)).toBe(sha256(bytes));
    } finally {
      await proxy.close();
    }
  });
});

/**
 * In front of @tus/server (which has no checksum extension): announces `checksum` with sha256 on
 * OPTIONS, and checks each PATCH's Upload-Checksum against its body before passing it on (460 if wrong).
 */
async function checksumProxy(upstreamPort: number): Promise<{ endpoint: string; checked: { matching: number; wrong: number; missing: number }; close(): Promise<void> }> {
  const checked = { matching: 0, wrong: 0, missing: 0 };
  const sockets = new Set<net.Socket>();
  const proxy = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(body);
      if (req.method === 'PATCH') {
        const header = req.headers['upload-checksum'];
        const want = `sha256 ${createHash('sha256').update(bytes).digest('base64')}`;
        if (header === undefined) checked.missing++;
        else if (header !== want) {
          checked.wrong++;
          res.writeHead(460).end();
          return;
        } else checked.matching++;
      }
      // The Host header is passed on unchanged, so the upload URLs the server makes point at the proxy.
      const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent: false }, (upRes) => {
        const headers = { ...upRes.headers };
        if (req.method === 'OPTIONS') {
          headers['tus-extension'] = `${upRes.headers['tus-extension'] ?? ''},checksum`;
          headers['tus-checksum-algorithm'] = 'sha256';
        }
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(bytes);
    });
  });
  proxy.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  const port = (proxy.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}/files/`,
    checked,
    close: async () => {
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
