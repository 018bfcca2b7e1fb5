/** End to end: a running station with an S3 target (moto_server); images dropped into the Inbox arrive verified. */
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome } from '../helpers/station-home.js';
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
});
