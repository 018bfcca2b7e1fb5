/** The queue's bytes pending and time left: only what is left of a half-sent upload, and no time for a target that is offline. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { etaWords } from '../../src/cli/queue.js';
import { s3TargetSchema, tusTargetSchema } from '../../src/config/schema.js';
import { Outbox } from '../../src/upload/outbox.js';
import { queueStatusOf, type TargetLive } from '../../src/upload/queue-status.js';
import { makeFixture, type Fixture } from './fixture.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.close());

const targets = [
  s3TargetSchema.parse({ id: 'archive', kind: 's3', bucket: 'museum-scans' }),
  tusTargetSchema.parse({ id: 'tusd', kind: 'tus', endpoint: 'http://127.0.0.1:1080/files/' }),
];
const live = (online: boolean, rateBytesPerSec: number) => (): TargetLive => ({ online, lastProbeAt: null, lastProbeError: online ? null : 'connect ECONNREFUSED', rateBytesPerSec });
const part = (n: number, size: number) => ({ n, size, etag: `"e${n}"`, sha256: 's', md5: 'm' });

/** Two captures (100 and 50 bytes) queued for `targetId`; the first one leased. */
function queued(outbox: Outbox, targetId: string) {
  const a = fx.addCapture(`${targetId}-a.tif`, Buffer.alloc(100, 1));
  const b = fx.addCapture(`${targetId}-b.tif`, Buffer.alloc(50, 2));
  outbox.enqueue(a, targetId);
  outbox.enqueue(b, targetId);
  const leased = outbox.lease('rig', 60_000, [targetId])!;
  expect(leased.job.captureId).toBe(a.id);
  return leased.job.id;
}

describe('queue status: bytes left and time left', () => {
  it('counts only the parts an S3 multipart upload has not sent yet, exactly', () => {
    const outbox = new Outbox(fx.store.db);
    const job = queued(outbox, 'archive');
    expect(queueStatusOf(fx.store.db, targets).targets[0]).toMatchObject({ id: 'archive', bytesPending: 150, bytesPendingExact: true, etaSec: null });
    expect(outbox.saveResume(job, 'rig', { v: 1, kind: 's3', key: 'k', uploadId: 'u', partSize: 40, parts: [part(1, 40), part(2, 40)] })).toBe(true);
    const online = queueStatusOf(fx.store.db, targets, live(true, 10)).targets[0]!;
    expect(online).toMatchObject({ bytesPending: 70, bytesPendingExact: true, etaSec: 7 });
    expect(etaWords(online)).toBe('7 s');
  });

  it('gives no time left while the target is offline: it waits for the target, whatever the last rate was', () => {
    const outbox = new Outbox(fx.store.db);
    queued(outbox, 'archive');
    const offline = queueStatusOf(fx.store.db, targets, live(false, 1_000_000)).targets[0]!;
    expect(offline).toMatchObject({ online: false, bytesPending: 150, etaSec: null });
    expect(etaWords(offline)).toBe('waiting for the target');
    // Nothing left to send: nothing to wait for.
    expect(etaWords({ ...offline, bytesPending: 0, etaSec: 0 })).toBe('0 s');
  });

  it('counts a half-sent tus upload in full (its offset is known only to the server) and says the figures are about', () => {
    const outbox = new Outbox(fx.store.db);
    const job = queued(outbox, 'tusd');
    outbox.saveResume(job, 'rig', { v: 1, kind: 'tus', url: 'http://127.0.0.1:1080/files/abc', size: 100, sha256: 's' });
    const t = queueStatusOf(fx.store.db, targets, live(true, 50)).targets.find((x) => x.id === 'tusd')!;
    expect(t).toMatchObject({ bytesPending: 150, bytesPendingExact: false, etaSec: 3 });
    expect(etaWords(t)).toBe('about 3 s');
    // The S3 target's figures are not made approximate by the tus job.
    expect(queueStatusOf(fx.store.db, targets).targets.find((x) => x.id === 'archive')).toMatchObject({ bytesPendingExact: true });
  });
});
