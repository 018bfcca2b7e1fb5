import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/cli/queue.js';
import type { CaptureRecord } from '../../src/store/captures.js';
import { backoffCeiling, backoffDelay } from '../../src/upload/backoff.js';
import { enqueueEligible } from '../../src/upload/eligibility.js';
import { leaseOwnerGone } from '../../src/upload/lease-owner.js';
import { Outbox } from '../../src/upload/outbox.js';
import { StaleCopies } from '../../src/upload/stale-copies.js';
import { withdrawnPrefix } from '../../src/upload/withdrawn.js';
import { RateMeter } from '../../src/upload/rate-meter.js';
import { TokenBucket } from '../../src/upload/token-bucket.js';
import { makeFixture, type Fixture } from './fixture.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.close());

const passed = [{ id: 'share', when: 'passed' as const }];
const jobCount = () => (fx.store.db.prepare('SELECT COUNT(*) AS n FROM upload_jobs').get() as { n: number }).n;

describe('enqueue in the capture transaction', () => {
  it('creates one job per eligible capture and target, with its event, in the recording transaction', () => {
    fx.store.captures.addHook((db, c) => void enqueueEligible(db, c, [...passed, { id: 'archive', when: 'all' }]));
    const good = fx.addCapture('good.tif', Buffer.from('good'));
    const bad = fx.addCapture('bad.tif', Buffer.from('bad'), { verdict: 'fail' });
    const warn = fx.addCapture('warn.tif', Buffer.from('warn'), { verdict: 'warn' });
    const outbox = new Outbox(fx.store.db);
    expect(outbox.jobsOfCapture(good.id).map((j) => [j.targetId, j.state, j.bytes])).toEqual([
      ['share', 'queued', 4],
      ['archive', 'queued', 4],
    ]);
    // 'passed' means "did not fail": warn goes, fail goes only to the 'all' target.
    expect(outbox.jobsOfCapture(warn.id).map((j) => j.targetId)).toEqual(['share', 'archive']);
    expect(outbox.jobsOfCapture(bad.id).map((j) => j.targetId)).toEqual(['archive']);
    expect(fx.eventTypes(good.id)).toEqual(['capture.recorded', 'upload.queued', 'upload.queued']);
  });

  it('rolls the capture and its jobs back together', () => {
    fx.store.captures.addHook((db, c) => void enqueueEligible(db, c, passed));
    fx.store.captures.addHook(() => {
      throw new Error('disk gone mid-transaction');
    });
    expect(() => fx.addCapture('a.tif', Buffer.from('a'))).toThrow(/disk gone/);
    expect(fx.store.captures.counts().total).toBe(0);
    expect(jobCount()).toBe(0);
    expect((fx.store.db.prepare("SELECT COUNT(*) AS n FROM events WHERE type LIKE 'upload.%'").get() as { n: number }).n).toBe(0);
  });

  it('is idempotent', () => {
    const c = fx.addCapture('a.tif', Buffer.from('a'));
    expect(enqueueEligible(fx.store.db, c, passed)).toHaveLength(1);
    expect(enqueueEligible(fx.store.db, c, passed)).toHaveLength(0);
    expect(jobCount()).toBe(1);
    expect(fx.eventTypes(c.id).filter((t) => t === 'upload.queued')).toHaveLength(1);
  });

  it('waits for an open RAW/TIFF pair window and enqueues when the recheck settles it', () => {
    fx.store.captures.addHook((db, c) => void enqueueEligible(db, c, passed));
    const waiting = { check: 'pairs' as const, status: 'skip' as const, value: 'waiting', threshold: { windowSec: 60 }, message: 'Waiting for the partner.' };
    const c = fx.addCapture('IMG_1.tif', Buffer.from('img'), { results: [waiting] });
    expect(jobCount()).toBe(0);
    fx.store.captures.updateCheck(c.id, { ...waiting, status: 'pass', value: { captureId: 99, path: 'x' }, message: 'Partner found.' }, 'pass');
    expect(new Outbox(fx.store.db).jobsOfCapture(c.id)).toHaveLength(1);
    const other = fx.addCapture('IMG_2.tif', Buffer.from('img2'), { results: [waiting] });
    fx.store.captures.updateCheck(other.id, { ...waiting, status: 'fail', value: null, message: 'No partner.' }, 'fail');
    expect(new Outbox(fx.store.db).jobsOfCapture(other.id)).toHaveLength(0);
  });
});

describe('leases', () => {
  function withClock() {
    const clock = { now: 1_000_000 };
    return { clock, outbox: new Outbox(fx.store.db, () => clock.now) };
  }

  it('hands out the oldest due job of an online target, once', () => {
    const { outbox } = withClock();
    const a = fx.addCapture('a.tif', Buffer.from('a'));
    const b = fx.addCapture('b.tif', Buffer.from('b'));
    outbox.enqueue(b, 'share');
    outbox.enqueue(a, 'other');
    outbox.enqueue(a, 'share');
    expect(outbox.lease('w1', 1000, ['nowhere'])).toBeNull();
    expect(outbox.lease('w1', 1000, ['share'])?.job).toMatchObject({ captureId: b.id, state: 'leased', leaseOwner: 'w1', capture: { relPath: 'b.tif' } });
    expect(outbox.lease('w1', 1000, ['share'])?.job.captureId).toBe(a.id);
    expect(outbox.lease('w1', 1000, ['share'])).toBeNull();
  });

  it('reclaims an expired lease without spending an attempt; the late holder can no longer settle it', () => {
    const { clock, outbox } = withClock();
    const c = fx.addCapture('a.tif', Buffer.from('a'));
    outbox.enqueue(c, 'share');
    const { job } = outbox.lease('crashed', 1000, ['share'])!;
    clock.now += 500;
    expect(outbox.reclaim('me')).toEqual([]);
    clock.now += 1000;
    expect(outbox.reclaim('me').map((t) => [t.type, t.from, t.to, t.attempts])).toEqual([['reclaimed', 'leased', 'queued', 0]]);
    expect(outbox.complete(job.id, 'crashed', { remoteKey: 'k', verifiedSha256: 'x', alreadyPresent: false })).toBeNull();
    const again = outbox.lease('me', 1000, ['share'])!;
    expect(again.job.id).toBe(job.id);
    // renewed leases do not expire
    clock.now += 900;
    outbox.renew('me', 1000);
    clock.now += 900;
    expect(outbox.reclaim(null)).toEqual([]);
    expect(fx.eventTypes(c.id)).toEqual(['capture.recorded', 'upload.queued', 'upload.leased', 'upload.reclaimed', 'upload.leased']);
  });

  it('reclaims at once a lease whose holder process on this host is gone', () => {
    const { outbox } = withClock();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadOwner = `${os.hostname()}:${gone.stdout}:abcd1234`;
    expect(leaseOwnerGone(deadOwner)).toBe(true);
    expect(leaseOwnerGone(`${os.hostname()}:${process.pid}:abcd1234`)).toBe(false);
    expect(leaseOwnerGone(`other-host:${gone.stdout}:abcd1234`)).toBe(false);
    const c = fx.addCapture('a.tif', Buffer.from('a'));
    outbox.enqueue(c, 'share');
    outbox.lease(deadOwner, 3_600_000, ['share']);
    expect(outbox.reclaim('me', leaseOwnerGone)).toHaveLength(1);
  });

  it('keeps the first remote key of a job', () => {
    const { outbox } = withClock();
    const c = fx.addCapture('a.tif', Buffer.from('a'));
    outbox.enqueue(c, 'share');
    const { job } = outbox.lease('w', 1000, ['share'])!;
    expect(outbox.fixRemoteKey(job.id, 'w', 'cam/a.tif')).toBe('cam/a.tif');
    expect(outbox.fixRemoteKey(job.id, 'w', 'renamed/a.tif')).toBe('cam/a.tif');
  });
});

describe('retries and the dead letter', () => {
  it('a retry of all or of a target leaves withdrawn jobs (set-aside captures) dead and names them; a retry of that job sends it', () => {
    const outbox = new Outbox(fx.store.db);
    const failed = fx.addCapture('failed.tif', Buffer.from('failed'));
    const aside = fx.addCapture('aside.tif', Buffer.from('aside'));
    outbox.enqueue(failed, 'share');
    outbox.enqueue(aside, 'share');
    const job = outbox.lease('w', 1000, ['share'])!.job;
    outbox.fail(job.id, 'w', 'conflict', { dead: true });
    const withdrawn = outbox.withdraw(aside.id, 'share', `${withdrawnPrefix}capture ${aside.id} is flagged for re-shoot; it is not uploaded.`)!;
    expect(outbox.withdrawnOf()).toEqual([withdrawn.jobId]);
    expect(outbox.withdrawnOf({ targetId: 'elsewhere' })).toEqual([]);
    expect(outbox.retryDead({ targetId: 'share' }).map((t) => t.jobId)).toEqual([job.id]);
    outbox.fail(outbox.lease('w', 1000, ['share'])!.job.id, 'w', 'conflict', { dead: true });
    expect(outbox.retryDead().map((t) => t.jobId)).toEqual([job.id]);
    expect(outbox.get(withdrawn.jobId)).toMatchObject({ state: 'dead', lastError: expect.stringMatching(/^Withdrawn: /) });
    expect(outbox.retryDead({ jobId: withdrawn.jobId }).map((t) => t.jobId)).toEqual([withdrawn.jobId]);
    expect(outbox.withdrawnOf()).toEqual([]);
  });

  it('retries after the backoff, keeps attempts and the last error, and dead jobs come back on retryDead', () => {
    const clock = { now: 5_000 };
    const outbox = new Outbox(fx.store.db, () => clock.now);
    const c = fx.addCapture('a.tif', Buffer.from('a'));
    outbox.enqueue(c, 'share');
    let job = outbox.lease('w', 1000, ['share'])!.job;
    expect(outbox.fail(job.id, 'w', 'ENOSPC', { dead: false, retryAt: clock.now + 2000 })).toMatchObject({ type: 'retry', to: 'queued', attempts: 1, error: 'ENOSPC' });
    expect(outbox.lease('w', 1000, ['share'])).toBeNull();
    clock.now += 2000;
    job = outbox.lease('w', 1000, ['share'])!.job;
    expect(job).toMatchObject({ attempts: 1, lastError: 'ENOSPC' });
    expect(outbox.fail(job.id, 'w', 'conflict', { dead: true })).toMatchObject({ type: 'dead', to: 'dead', attempts: 2 });
    expect(outbox.lease('w', 1000, ['share'])).toBeNull();
    expect(outbox.counts()).toEqual([{ targetId: 'share', queued: 0, leased: 0, done: 0, dead: 1, bytesPending: 0, bytesDone: 0 }]);
    expect(outbox.retryDead({ targetId: 'elsewhere' })).toEqual([]);
    expect(outbox.retryDead({ jobId: job.id }).map((t) => [t.type, t.from, t.to])).toEqual([['requeued', 'dead', 'queued']]);
    job = outbox.lease('w', 1000, ['share'])!.job;
    expect(job.attempts).toBe(0);
    expect(outbox.complete(job.id, 'w', { remoteKey: 'cam/a.tif', verifiedSha256: c.sha256!, alreadyPresent: false })).toMatchObject({ type: 'done', to: 'done' });
    expect(outbox.get(job.id)).toMatchObject({ state: 'done', verifiedSha256: c.sha256, remoteKey: 'cam/a.tif', leaseOwner: null });
    expect(fx.eventTypes(c.id)).toEqual([
      'capture.recorded',
      'upload.queued',
      'upload.leased',
      'upload.retry',
      'upload.leased',
      'upload.dead',
      'upload.requeued',
      'upload.leased',
      'upload.done',
    ]);
  });
});

describe('a done job whose capture is set aside and renamed (withdrawDone)', () => {
  it('is not sent again; its copy is removable only while the local file is kept, and the job goes again under its name once taken back', () => {
    fx.store.captures.addHook((db, c) => void enqueueEligible(db, c, passed));
    const c = fx.addCapture('a.tif', Buffer.from('abc'));
    const outbox = new Outbox(fx.store.db);
    const stale = new StaleCopies(fx.store.db);
    const job = outbox.lease('w', 1000, ['share'])!.job;
    outbox.complete(job.id, 'w', { remoteKey: 'cam/OBJ/OBJ_01.tif', verifiedSha256: c.sha256!, alreadyPresent: false });

    const t = outbox.withdrawDone(job.id, `${withdrawnPrefix}capture ${c.id} failed QC`);
    expect(t).toMatchObject({ type: 'dead', from: 'done', to: 'dead' });
    expect(outbox.get(job.id)).toMatchObject({ state: 'dead', remoteKey: null, verifiedSha256: null });
    expect(outbox.lease('w', 1000, ['share'])).toBeNull();
    expect(outbox.withdrawDone(job.id, 'again')).toBeNull();

    // Its local file gone (retention), the copy at the target is its only one: it stays.
    fx.store.db.prepare('UPDATE captures SET local_deleted_at = ? WHERE id = ?').run(new Date().toISOString(), c.id);
    expect(stale.lease('w', 1000, ['share'])).toBeNull();
    expect(stale.remaining('share')).toMatchObject([{ remoteKey: 'cam/OBJ/OBJ_01.tif', status: 'pending' }]);
    // With the local file kept, it can go once that file is proven (proveLocal) to hold its bytes.
    fx.store.db.prepare('UPDATE captures SET local_deleted_at = NULL WHERE id = ?').run(c.id);
    expect(stale.lease('w', 1000, ['share'])).toMatchObject({ copy: { remoteKey: 'cam/OBJ/OBJ_01.tif', sha256: c.sha256 }, proveLocal: { captureId: c.id, path: c.path, sha256: c.sha256 } });

    // Taken again (the hook runs when its verdict or flag changes): queued with no key, so it goes under its name then.
    fx.store.captures.runHooks(c.id);
    expect(outbox.get(job.id)).toMatchObject({ state: 'queued', remoteKey: null });
  });

  it('a job dead for another reason keeps the copy under the old name until a new one is verified', () => {
    fx.store.captures.addHook((db, c) => void enqueueEligible(db, c, passed));
    const c = fx.addCapture('b.tif', Buffer.from('bcd'));
    const outbox = new Outbox(fx.store.db);
    const job = outbox.lease('w', 1000, ['share'])!.job;
    outbox.complete(job.id, 'w', { remoteKey: 'cam/OBJ/OBJ_02.tif', verifiedSha256: c.sha256!, alreadyPresent: false });
    outbox.renamed(job.id, 'cam/NEW/NEW_01.tif');
    const again = outbox.lease('w', 1000, ['share'])!.job;
    outbox.fail(again.id, 'w', 'A different file is already at cam/NEW/NEW_01.tif', { dead: true });
    expect(new StaleCopies(fx.store.db).lease('w', 1000, ['share'])).toBeNull();
  });
});

describe('backoff', () => {
  const b = { baseMs: 100, maxMs: 5000 };
  it('doubles per attempt up to the cap, with full jitter below the ceiling', () => {
    expect([1, 2, 3, 4, 6, 7, 50, 5000].map((n) => backoffCeiling(n, b))).toEqual([100, 200, 400, 800, 3200, 5000, 5000, 5000]);
    expect(backoffDelay(3, b, () => 0)).toBe(0);
    expect(backoffDelay(3, b, () => 0.999999)).toBe(399);
    for (let attempt = 1; attempt < 20; attempt++) {
      const d = backoffDelay(attempt, b);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(backoffCeiling(attempt, b));
    }
  });
});

describe('bandwidth token bucket', () => {
  it('lets one second of bytes through, then makes each take wait for its share of the rate', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const bucket = new TokenBucket({ rateBytesPerSec: 1000, now: () => now, sleep: async (ms) => void sleeps.push(ms) });
    const signal = new AbortController().signal;
    await bucket.take(1000, signal);
    expect(sleeps).toEqual([]);
    await bucket.take(500, signal);
    expect(sleeps).toEqual([500]);
    now += 1500; // the debt is repaid and the bucket refills to one second at most
    await bucket.take(1000, signal);
    expect(sleeps).toEqual([500]);
    await bucket.take(4000, signal);
    expect(sleeps).toEqual([500, 4000]);
    const unlimited = new TokenBucket({ rateBytesPerSec: 0, sleep: async () => void sleeps.push(-1) });
    await unlimited.take(1e9, signal);
    expect(sleeps).toHaveLength(2);
  });
});

describe('rate meter', () => {
  it('averages the bytes of the last window and forgets older ones', () => {
    let now = 100_000;
    const meter = new RateMeter(10, () => now);
    expect(meter.rate()).toBe(0);
    meter.record(5_000);
    now += 1000;
    meter.record(15_000);
    expect(meter.rate()).toBe(2_000);
    now += 9_500; // the first second has left the window
    expect(meter.rate()).toBe(1_500);
    now += 1_000;
    expect(meter.rate()).toBe(0);
  });
});

describe('indexes (schema version 4)', () => {
  const plan = (sql: string, ...args: unknown[]) =>
    (fx.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('; ');

  it('leases, finds the next due time and counts through indexes instead of walking every queued row', () => {
    expect(plan("SELECT id, next_attempt_at AS due FROM upload_jobs WHERE state = 'queued' AND target_id = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1", 'share', 1)).toMatch(
      /^SEARCH upload_jobs USING COVERING INDEX upload_jobs_due \(state=\? AND target_id=\? AND next_attempt_at<\?\)$/,
    );
    expect(plan("SELECT MIN(next_attempt_at) AS at FROM upload_jobs WHERE state = 'queued' AND target_id IN (?)", 'share')).toMatch(/COVERING INDEX upload_jobs_due/);
    expect(plan('SELECT target_id, state, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM upload_jobs GROUP BY target_id, state')).toBe('SCAN upload_jobs USING COVERING INDEX upload_jobs_counts');
  });

  it('leases the job due longest: a failed job steps behind those due before its retry; a released one keeps its place', () => {
    const clock = { now: 1_000 };
    const outbox = new Outbox(fx.store.db, () => clock.now);
    const [a, b, c] = ['a.tif', 'b.tif', 'c.tif'].map((n) => {
      const cap = fx.addCapture(n, Buffer.from(n));
      outbox.enqueue(cap, 'share');
      clock.now += 10;
      return cap;
    }) as [CaptureRecord, CaptureRecord, CaptureRecord];
    const first = outbox.lease('w', 1000, ['share'])!.job;
    expect(first.captureId).toBe(a.id);
    outbox.fail(first.id, 'w', 'boom', { dead: false, retryAt: clock.now + 5 });
    clock.now += 10;
    const second = outbox.lease('w', 1000, ['share'])!.job;
    expect(second.captureId).toBe(b.id);
    outbox.release(second.id, 'w', 'target offline');
    expect(outbox.nextDueAt(['share'])).toBe(1_010);
    expect([1, 2, 3].map(() => outbox.lease('w', 1000, ['share'])!.job.captureId)).toEqual([b.id, c.id, a.id]);
  });
});

describe('queue ETA', () => {
  it('reads at a glance', () => {
    expect([0, 42, 60, 185, 3599, 3600, 7500, 86_400 * 3 + 3600 * 4].map(formatDuration)).toEqual(['0 s', '42 s', '1 min', '3 min', '1 h 00 min', '1 h 00 min', '2 h 05 min', '3 d 4 h']);
  });
});
