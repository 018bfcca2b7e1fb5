/**
 * The short kill loop of `npm test`: the same loop and checks as `npm run soak` (test/soak/kill-loop.ts),
 * a few rounds against a folder and a tus target, each phase aimed at in turn.
 */
import { describe, expect, it } from 'vitest';
import { runSoak, type Aim } from '../soak/kill-loop.js';

describe('kill -9 during ingest and upload', () => {
  it('loses no job, uploads nothing twice and leaves every remote copy verified', async () => {
    const aims: Aim[] = ['startup', 'ingest', 'upload'];
    const report = await runSoak({ rounds: 6, targets: ['folder', 'tus'], filesPerRound: 4, drainEvery: 3, aimOf: (round) => aims[round % aims.length]! });
    expect(report.rounds).toBe(6);
    expect(report.drains).toBe(2);
    expect(report.eligible).toBeGreaterThan(0);
    // every eligible capture's copy at both targets, read back at the end
    expect(report.verified).toBe(2 * report.eligible);
    // kills landed while an upload was in flight, and those leases were taken up again after the restart
    const inFlight = Object.values(report.kills).reduce((n, k) => n + k['upload in flight'], 0);
    expect(inFlight).toBeGreaterThan(0);
    expect(report.reclaimed).toBeGreaterThan(0);
  }, 600_000);
});
