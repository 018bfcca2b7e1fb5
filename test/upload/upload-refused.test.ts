/**
 * A target whose probe passes but whose uploads are refused (expired credentials): the target is
 * paused, no attempt is spent and nothing dies, one job is tried per probe (never a spin), and the
 * backlog drains once uploads are accepted again. Real servers (@tus/server, moto) behind a proxy
 * that refuses the uploads.
 */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/schema.js';
import { Outbox } from '../../src/upload/outbox.js';
import { S3Target } from '../../src/upload/s3-target.js';
import type { UploadTarget } from '../../src/upload/target.js';
import { TusTarget } from '../../src/upload/tus-target.js';
import { Uploader } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import type { Fixture } from './fixture.js';
import { randomBytes, settings } from './fixture.js';
import { motoCredentials, motoMissing, startMoto } from './moto.js';
import { startRefusingProxy, type Refusal, type RefusingProxy } from './refusing-proxy.js';
import { tusBed } from './tus-bed.js';

const bed = tusBed();

/** Drives an uploader against `target` while `proxy` refuses its uploads, then lets them through. */
async function refusedThenAccepted(fx: Fixture, config: TargetConfig, target: UploadTarget, proxy: RefusingProxy, is: { refused: RegExp; probe: RegExp }, message: RegExp): Promise<void> {
  for (let i = 0; i < 3; i++) fx.addCapture(`r${i}.tif`, randomBytes(200_000 + i, 40 + i));
  const uploader = new Uploader({ db: fx.store.db, targetConfigs: [config], targets: [target], settings: settings({ probeIntervalSec: 0.1, maxAttempts: 2, backoff: { baseMs: 20, maxMs: 50 } }), tickMs: 50 });
  const outbox = new Outbox(fx.store.db);
  uploader.start();
  try {
    uploader.backfill(config.id, null);
    const count = (re: RegExp) => proxy.seen.filter((s) => re.test(s)).length;
    // maxAttempts is 2: were refusals attempts, every job would be dead after two.
    await waitFor(() => count(is.refused) >= 6, 'several refused uploads', 60_000);
    const jobs = outbox.list();
    expect(jobs).toHaveLength(3);
    for (const j of jobs) expect(j).toMatchObject({ state: expect.stringMatching(/^(queued|leased)$/), attempts: 0 });
    expect(uploader.status().targets[0]).toMatchObject({ online: false, lastProbeError: expect.stringMatching(message) });
    // One try per passing probe (plus the jobs leased before the first refusal), not a spin.
    expect(count(is.refused)).toBeLessThanOrEqual(count(is.probe) + 2 + 1);

    proxy.refuse = () => null;
    await waitFor(() => outbox.list().every((j) => j.state === 'done'), 'the backlog uploaded once uploads are accepted', 60_000);
    expect(outbox.list().map((j) => j.attempts)).toEqual([0, 0, 0]);
    expect(uploader.status().targets[0]).toMatchObject({ online: true, lastProbeError: null });
  } finally {
    await uploader.stop();
    target.destroy?.();
  }
}

describe('uploads refused while the probe passes', () => {
  it('tus: 401 on POST pauses the target until an upload is accepted', async () => {
    const peer = await bed.server();
    const refuse = (req: { method?: string | undefined }): Refusal | null => (req.method === 'POST' || req.method === 'PATCH' ? { status: 401, body: 'token expired' } : null);
    const proxy = await startRefusingProxy(peer.endpoint, refuse);
    try {
      const config: TargetConfig = { id: 'tus', kind: 'tus', endpoint: proxy.endpoint, headers: {}, chunkSizeBytes: 1024 * 1024, when: 'passed', required: true };
      const target = new TusTarget({ id: 'tus', endpoint: proxy.endpoint, headers: {}, chunkSizeBytes: 1024 * 1024, stationId: 'st1' });
      await refusedThenAccepted(bed.fx, config, target, proxy, { refused: /^(POST|PATCH) \S+ 401$/, probe: /^OPTIONS / }, /refused the upload \(401\).*Fix the target's "headers".*wait without spending attempts/);
    } finally {
      await proxy.close();
    }
  });

  it.skipIf(motoMissing !== null)('S3: ExpiredToken on PutObject pauses the target though HeadBucket passes, until an upload is accepted', async () => {
    const moto = await startMoto();
    try {
      await moto.createBucket('scans');
      const expired = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>r1</RequestId></Error>';
      const proxy = await startRefusingProxy(moto.endpoint, (req) => (req.method === 'PUT' ? { status: 400, headers: { 'content-type': 'application/xml' }, body: expired } : null));
      try {
        const common = { id: 's3', region: 'us-east-1', bucket: 'scans', prefix: '', forcePathStyle: true, multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 };
        const config: TargetConfig = { ...common, kind: 's3', endpoint: proxy.endpoint, ...motoCredentials, when: 'passed', required: true };
        const target = new S3Target({ ...common, endpoint: proxy.endpoint, ...motoCredentials, stationId: 'st1' });
        await refusedThenAccepted(bed.fx, config, target, proxy, { refused: /^PUT \S+ 400$/, probe: /^HEAD \/scans\/? / }, /access denied \(ExpiredToken.*Renew the session token.*wait without spending attempts/);
      } finally {
        await proxy.close();
      }
    } finally {
      await moto.stop();
    }
  });
});
