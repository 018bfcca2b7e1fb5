/** End to end: a running station with an S3 target (moto_server); images dropped into the Inbox arrive verified. */
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { labelled } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { sha256, sha256OfFile } from './fixture.js';
import { dropTwoAndUpload } from './station-drop.js';
import { motoCredentials, motoMissing, startMoto } from './moto.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe.skipIf(motoMissing !== null)('station with an S3 target (moto_server)', () => {
  it('uploads every capture that did not fail to the bucket, verified, under its stable key', async () => {
    const moto = await startMoto();
    cleanup.push(() => moto.stop());
    await moto.createBucket('museum-scans');
    const home = makeHome({
      station: { id: 'rig1' },
      ingest: { stableWindowMs: 250, truncatedRetries: 1, truncatedRetryDelayMs: 300, rescanIntervalSec: 0, concurrency: 2 },
      // Explicit keys only because moto takes any; a real station gets them from its environment.
      targets: [{ id: 'bucket', kind: 's3', endpoint: moto.endpoint, region: 'us-east-1', bucket: 'museum-scans', prefix: 'scans', forcePathStyle: true, ...motoCredentials }],
      upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
    });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const { station, inbox } = await dropTwoAndUpload(home, cleanup);

    const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: 'museum-scans' }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['scans/rig1/inbox/good-1.tif', 'scans/rig1/inbox/good-2.tif']);
    for (const name of ['good-1.tif', 'good-2.tif']) {
      const key = `scans/rig1/inbox/${name}`;
      const body = await moto.client.send(new GetObjectCommand({ Bucket: 'museum-scans', Key: key }));
      expect(sha256(Buffer.from(await body.Body!.transformToByteArray()))).toBe(sha256OfFile(path.join(inbox, name)));
      const head = await moto.client.send(new HeadObjectCommand({ Bucket: 'museum-scans', Key: key }));
      expect(head.Metadata?.sha256).toBe(sha256OfFile(path.join(inbox, name)));
    }
    expect(station.uploader.status().targets).toMatchObject([{ id: 'bucket', kind: 's3', online: true, counts: { queued: 0, leased: 0, done: 2, dead: 0 } }]);
  });

  it('a shot relinked to the barcode it shows is uploaded; undoing the relink fails it as a mismatch again and removes its copy instead of uploading it under its hot-folder name', async () => {
    const moto = await startMoto();
    cleanup.push(() => moto.stop());
    await moto.createBucket('museum-scans');
    const home = makeHome({
      station: { id: 'rig-1' },
      ingest: { stableWindowMs: 250, rescanIntervalSec: 0 },
      linking: { enabled: true, barcode: { pattern: 'BR\\d{13}' }, template: '{barcode}/{barcode}_{seq:03}{ext}' },
      // The label's white paper clips by design; exposure is not what this test is about.
      profiles: { default: { exposure: { severity: 'off' } } },
      targets: [{ id: 'bucket', kind: 's3', endpoint: moto.endpoint, region: 'us-east-1', bucket: 'museum-scans', forcePathStyle: true, ...motoCredentials }],
      upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
    });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    await station.start();
    cleanup.push(() => station.stop());
    const keys = async () => ((await moto.client.send(new ListObjectsV2Command({ Bucket: 'museum-scans' }))).Contents ?? []).map((o) => o.Key);
    const events = (id: number) => station.store.detail(id)!.events.map((e) => e.type);

    station.linker.scan('BR0000013087944');
    const shot = path.join(home, 'Inbox', 'IMG_0003.tif');
    await labelled(shot, 'BR0000019933597', 5);
    await waitFor(() => station.store.counts().total === 1, 'recorded');
    const id = station.store.list({ limit: 1 })[0]!.id;
    expect(station.store.get(id)!.verdict).toBe('fail');

    await station.linker.editor.relinkCaptures([id], 'BR0000019933597');
    await waitFor(() => events(id).includes('upload.done'), 'uploaded under its filed name', 60_000);
    expect(await keys()).toEqual(['rig-1/BR0000019933597/BR0000019933597_001.tif']);

    await station.linker.editor.undoLast();
    expect(station.store.get(id)).toMatchObject({ verdict: 'fail', failedChecks: ['barcodeMismatch'], path: shot });
    await waitFor(() => events(id).includes('upload.stale.removed'), 'its copy under the relinked name removed', 60_000);
    expect(await keys()).toEqual([]);
    expect(sha256OfFile(shot)).toBe(station.store.get(id)!.sha256);
    expect(station.uploader.status().targets[0]).toMatchObject({ counts: { queued: 0, leased: 0, done: 0, dead: 1 }, staleCount: 0 });
    expect(events(id).filter((e) => e === 'upload.done')).toHaveLength(1);
  }, 180_000);
});
