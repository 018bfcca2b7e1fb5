import { describe, expect, it } from 'vitest';
import { LinkSession, type SessionInput, type SessionRules } from '../../src/linking/session.js';

const rules: SessionRules = { mode: 'scan-before-capture', idleTimeoutSec: 300, views: ['front', 'back', 'label'], expectedShots: 0, expectPairs: false };

/** An input whose time may be left out (distributes over the union, unlike a plain Omit). */
type Step = SessionInput extends infer I ? (I extends SessionInput ? Omit<I, 'at'> & { at?: number } : never) : never;

/** Runs a rig sequence; `t` advances one second per input unless an input says otherwise. */
function run(session: LinkSession, inputs: Step[]) {
  let t = 0;
  return inputs.flatMap((i) => session.apply({ ...i, at: (t = i.at ?? t + 1000) } as SessionInput));
}
const shot = (captureId: number, stem: string, isRaw = false) => ({ type: 'capture' as const, captureId, stem, isRaw });

describe('LinkSession, scan before capture', () => {
  it('links following captures with sequence and view until the next object', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [{ type: 'scan', barcode: 'A1' }, shot(1, 'IMG_1'), shot(2, 'IMG_2'), { type: 'scan', barcode: 'B2' }, shot(3, 'IMG_3')]);
    expect(effects).toEqual([
      { type: 'object.opened', barcode: 'A1' },
      { type: 'capture.linked', captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.linked', captureId: 2, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'object.closed', barcode: 'A1', reason: 'next-object', shots: 2 },
      { type: 'object.opened', barcode: 'B2' },
      { type: 'capture.linked', captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
    ]);
    expect(s.current).toEqual({ barcode: 'B2', shots: 1 });
  });

  it('gives a RAW and its TIFF one sequence number', () => {
    const effects = run(new LinkSession(rules), [{ type: 'scan', barcode: 'A1' }, shot(1, 'IMG_1', true), shot(2, 'IMG_1'), shot(3, 'IMG_2', true)]);
    expect(effects.filter((e) => e.type === 'capture.linked').map((e) => ('seq' in e ? e.seq : null))).toEqual([1, 1, 2]);
  });

  it('does not link a capture when no object is open, and ignores a double read of the same barcode', () => {
    const s = new LinkSession(rules);
    expect(run(s, [shot(1, 'IMG_1'), { type: 'scan', barcode: 'A1' }, { type: 'scan', barcode: 'A1' }, shot(2, 'IMG_2')])).toEqual([
      { type: 'capture.unlinked-none', captureId: 1 },
      { type: 'object.opened', barcode: 'A1' },
      { type: 'capture.linked', captureId: 2, barcode: 'A1', seq: 1, view: 'front' },
    ]);
  });

  it('END closes, UNDO unlinks the last shot for re-shoot and reuses its number, REJECT closes without an alarm', () => {
    const s = new LinkSession({ ...rules, expectedShots: 3 });
    const effects = run(s, [{ type: 'scan', barcode: 'A1' }, shot(1, 'IMG_1', true), shot(2, 'IMG_1'), { type: 'control', action: 'UNDO' }, shot(3, 'IMG_2'), { type: 'control', action: 'REJECT' }, { type: 'control', action: 'END' }]);
    expect(effects).toEqual([
      { type: 'object.opened', barcode: 'A1' },
      { type: 'capture.linked', captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.linked', captureId: 2, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.unlinked', captureIds: [1, 2], barcode: 'A1', seq: 1, reshoot: true },
      { type: 'capture.linked', captureId: 3, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'object.closed', barcode: 'A1', reason: 'rejected', shots: 1 },
      { type: 'alarm', barcode: null, message: 'END was scanned, but no object is open: scan an object barcode first.' },
    ]);
  });

  it('closes an idle object, and raises an alarm when an incomplete object is closed', () => {
    const s = new LinkSession({ ...rules, idleTimeoutSec: 60, expectedShots: 3, expectPairs: true });
    const effects = run(s, [{ type: 'scan', barcode: 'A1' }, shot(1, 'IMG_1', true), shot(2, 'IMG_1'), shot(3, 'IMG_2', true), { type: 'tick', at: 62_000 }, { type: 'tick', at: 200_000 }]);
    expect(effects.slice(4)).toEqual([
      { type: 'object.closed', barcode: 'A1', reason: 'idle', shots: 2 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 2 of 3 views (missing label); shot 2 (IMG_2) has no TIFF/JPEG file.' },
    ]);
    expect(s.current).toBeNull();
  });

  it('a complete object closes without an alarm', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2, expectPairs: true });
    const effects = run(s, [{ type: 'scan', barcode: 'A1' }, shot(1, 'F', true), shot(2, 'F'), shot(3, 'B', true), shot(4, 'B'), { type: 'scan', barcode: 'B2' }]);
    expect(effects.filter((e) => e.type === 'alarm')).toEqual([]);
  });
});

describe('LinkSession, a barcode that already has shots', () => {
  it('continues numbering and views after them, and counts them as its shots', () => {
    const earlier: Record<string, number> = { A1: 2 };
    const s = new LinkSession({ ...rules, expectedShots: 3 }, (barcode) => (earlier[barcode] ?? 0) + 1);
    const effects = run(s, [{ type: 'scan', barcode: 'A1' }, shot(1, 'IMG_7'), shot(2, 'IMG_8'), { type: 'scan', barcode: 'B2' }, shot(3, 'IMG_9'), { type: 'control', action: 'END' }]);
    expect(effects).toEqual([
      { type: 'object.opened', barcode: 'A1' },
      { type: 'capture.linked', captureId: 1, barcode: 'A1', seq: 3, view: 'label' },
      // A fourth shot of a three-view profile has no view.
      { type: 'capture.linked', captureId: 2, barcode: 'A1', seq: 4, view: null },
      { type: 'object.closed', barcode: 'A1', reason: 'next-object', shots: 4 },
      { type: 'object.opened', barcode: 'B2' },
      { type: 'capture.linked', captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
      { type: 'object.closed', barcode: 'B2', reason: 'end', shots: 1 },
      { type: 'alarm', barcode: 'B2', message: 'Object B2 is incomplete: 1 of 3 views (missing back, label).' },
    ]);
  });
});

describe('LinkSession, restored after a linking edit', () => {
  it('takes the open object\'s barcode and shots as given: the next shot follows the last, UNDO takes the last given', () => {
    const s = new LinkSession(rules);
    run(s, [{ type: 'scan', barcode: 'A1' }, shot(1, 'IMG_1'), shot(2, 'IMG_2')]);
    // The edit renamed A1 to B2, took IMG_2 away and relinked capture 7 as its shot 3.
    s.restore({ barcode: 'B2', shots: [{ stem: 'IMG_7', seq: 3, captureIds: [7], hasRaw: false, hasProcessed: true }, { stem: 'IMG_1', seq: 1, captureIds: [1], hasRaw: false, hasProcessed: true }] }, () => true);
    expect(s.current).toEqual({ barcode: 'B2', shots: 2 });
    expect(s.apply({ ...shot(8, 'IMG_8'), at: 5000 })).toEqual([{ type: 'capture.linked', captureId: 8, barcode: 'B2', seq: 4, view: null }]);
    expect(s.apply({ type: 'control', action: 'UNDO', at: 6000 })).toEqual([{ type: 'capture.unlinked', captureIds: [8], barcode: 'B2', seq: 4, reshoot: true }]);
    expect(s.apply({ type: 'control', action: 'UNDO', at: 7000 })).toEqual([{ type: 'capture.unlinked', captureIds: [7], barcode: 'B2', seq: 3, reshoot: true }]);
  });

  it('scan after capture: a waiting shot the edit linked stops waiting', () => {
    const s = new LinkSession({ ...rules, mode: 'scan-after-capture' });
    run(s, [shot(1, 'IMG_1'), shot(2, 'IMG_2')]);
    s.restore(null, (id) => id === 1);
    expect(s.apply({ type: 'scan', barcode: 'A1', at: 5000 }).filter((e) => e.type === 'capture.linked')).toEqual([{ type: 'capture.linked', captureId: 2, barcode: 'A1', seq: 1, view: 'front' }]);
  });
});

describe('LinkSession, scan after capture', () => {
  const after: SessionRules = { ...rules, mode: 'scan-after-capture' };

  it('links the shots taken since the last object to the barcode scanned after them', () => {
    const effects = run(new LinkSession(after), [shot(1, 'IMG_1'), shot(2, 'IMG_2'), { type: 'scan', barcode: 'A1' }, shot(3, 'IMG_3'), { type: 'scan', barcode: 'B2' }]);
    expect(effects).toEqual([
      { type: 'object.opened', barcode: 'A1' },
      { type: 'capture.linked', captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.linked', captureId: 2, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'object.closed', barcode: 'A1', reason: 'end', shots: 2 },
      { type: 'object.opened', barcode: 'B2' },
      { type: 'capture.linked', captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
      { type: 'object.closed', barcode: 'B2', reason: 'end', shots: 1 },
    ]);
  });

  it('UNDO drops the last waiting shot; a barcode with nothing waiting is an alarm, not an empty object', () => {
    const effects = run(new LinkSession(after), [shot(1, 'IMG_1'), shot(2, 'IMG_2', true), shot(3, 'IMG_2'), { type: 'control', action: 'UNDO' }, { type: 'scan', barcode: 'A1' }, { type: 'scan', barcode: 'B2' }]);
    expect(effects[0]).toEqual({ type: 'capture.unlinked', captureIds: [2, 3], barcode: null, seq: null, reshoot: true });
    expect(effects.filter((e) => e.type === 'capture.linked')).toHaveLength(1);
    expect(effects.at(-1)).toEqual({ type: 'alarm', barcode: 'B2', message: expect.stringMatching(/no new capture is waiting/) });
  });
});
