/** scan-after-capture: which shots the session says are waiting for their barcode (what the rig screen shows). */
import { describe, expect, it } from 'vitest';
import { LinkSession, type SessionRules } from '../../src/linking/session.js';

// Asserted, not annotated, so it compiles both before and after SessionRules gained settleWaitSec (the completeness wait, merged separately).
const rules = { mode: 'scan-after-capture', idleTimeoutSec: 60, views: [], expectedShots: 0, expectPairs: false, settleWaitSec: 300 } as SessionRules;
const stemOf = (file: string) => file.replace(/\.[^.]+$/, '');

describe('LinkSession.waitingShots', () => {
  it('lists shots from their arrival, pairs as one shot, drops an undone one, and is empty once the barcode is scanned or the wait times out', () => {
    const s = new LinkSession(rules);
    let at = 0;
    const arrive = (file: string) => s.apply({ type: 'arrival', file, stem: stemOf(file), isRaw: file.endsWith('.cr2'), mtimeUs: (at += 1000) * 1000, at });
    const record = (captureId: number, file: string, failed = false) => s.apply({ type: 'capture', captureId, file, failed, at: (at += 1000) });

    expect(s.waitingShots).toEqual([]);
    arrive('IMG_1.cr2');
    // Still being checked: it waits all the same.
    expect(s.waitingShots).toEqual([{ stem: 'IMG_1', files: ['IMG_1.cr2'] }]);
    arrive('IMG_1.tif');
    record(1, 'IMG_1.cr2');
    record(2, 'IMG_1.tif');
    arrive('IMG_2.tif');
    record(3, 'IMG_2.tif');
    arrive('IMG_3.tif');
    record(4, 'IMG_3.tif', true);
    // A failed shot waits for nothing.
    expect(s.waitingShots).toEqual([
      { stem: 'IMG_1', files: ['IMG_1.cr2', 'IMG_1.tif'] },
      { stem: 'IMG_2', files: ['IMG_2.tif'] },
    ]);
    s.apply({ type: 'control', action: 'UNDO', at: (at += 1000) });
    expect(s.waitingShots.map((w) => w.stem)).toEqual(['IMG_1']);
    s.apply({ type: 'scan', barcode: 'NHM-1', at: (at += 1000) });
    expect(s.waitingShots).toEqual([]);

    arrive('IMG_4.tif');
    record(5, 'IMG_4.tif');
    expect(s.waitingShots).toHaveLength(1);
    s.apply({ type: 'tick', at: (at += 61_000) });
    expect(s.waitingShots).toEqual([]);
  });
});
