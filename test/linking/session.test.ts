import { describe, expect, it } from 'vitest';
import { LinkSession, type SessionInput, type SessionRules } from '../../src/linking/session.js';

const rules: SessionRules = { mode: 'scan-before-capture', idleTimeoutSec: 300, views: ['front', 'back', 'label'], expectedShots: 0, expectPairs: false, settleWaitSec: 30 };

/** An input whose time and file time may be left out (distributes over the union, unlike a plain Omit). */
type Step = SessionInput extends infer I ? (I extends SessionInput ? Omit<I, 'at' | 'mtimeUs'> & { at?: number; mtimeUs?: number } : never) : never;

/** Runs a rig sequence; `t` advances one second per input unless an input says otherwise, and a file was written when it arrives unless its input says otherwise. */
function run(session: LinkSession, inputs: (Step | Step[])[]) {
  let t = 0;
  return inputs.flat().flatMap((i) => {
    t = i.at ?? t + 1000;
    return session.apply({ ...(i.type === 'arrival' || i.type === 'waiting' ? { mtimeUs: t * 1000 } : {}), ...i, at: t } as SessionInput);
  });
}
const stemOf = (file: string) => file.replace(/\.[^.]+$/, '');
/** The watcher first sees `file` (RAW when it ends in .cr2). */
const arrive = (file: string, found?: boolean): Step => ({ type: 'arrival', file, stem: stemOf(file), isRaw: file.endsWith('.cr2'), ...(found ? { found } : {}) });
/** QC recorded `file` as capture `captureId`. */
const record = (captureId: number, file: string, failed = false): Step => ({ type: 'capture', captureId, file, failed });
/** A file that arrives and is recorded before anything else happens. */
const shot = (captureId: number, file: string): Step[] => [arrive(file), record(captureId, file)];
const scan = (barcode: string): Step => ({ type: 'scan', barcode });
const control = (action: 'END' | 'UNDO' | 'REJECT'): Step => ({ type: 'control', action });

describe('LinkSession, scan before capture', () => {
  it('links following captures with sequence and view until the next object', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('A1'), shot(1, 'IMG_1.tif'), shot(2, 'IMG_2.tif'), scan('B2'), shot(3, 'IMG_3.tif')]);
    expect(effects).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 2 },
      { type: 'object.opened', object: 2, barcode: 'B2' },
      { type: 'capture.linked', object: 2, captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
    ]);
    expect(s.current).toEqual({ barcode: 'B2', shots: 1 });
  });

  it('gives a RAW and its TIFF one sequence number', () => {
    const effects = run(new LinkSession(rules), [scan('A1'), shot(1, 'IMG_1.cr2'), shot(2, 'IMG_1.tif'), shot(3, 'IMG_2.cr2')]);
    expect(effects.filter((e) => e.type === 'capture.linked').map((e) => ('seq' in e ? e.seq : null))).toEqual([1, 1, 2]);
  });

  it('does not link a capture that arrived with no object open, and ignores a double read of the same barcode', () => {
    const s = new LinkSession(rules);
    expect(run(s, [shot(1, 'IMG_1.tif'), scan('A1'), scan('A1'), shot(2, 'IMG_2.tif')])).toEqual([
      { type: 'capture.unlinked-none', captureId: 1, reason: 'no object open' },
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 1, view: 'front' },
    ]);
  });

  it('END closes, UNDO unlinks the last shot for re-shoot and reuses its number, REJECT closes without an alarm', () => {
    const s = new LinkSession({ ...rules, expectedShots: 3 });
    const effects = run(s, [scan('A1'), shot(1, 'IMG_1.cr2'), shot(2, 'IMG_1.tif'), control('UNDO'), shot(3, 'IMG_2.tif'), control('REJECT'), control('END')]);
    expect(effects).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.unlinked', captureIds: [1, 2], barcode: 'A1', seq: 1, stem: 'IMG_1', reshoot: true },
      { type: 'capture.linked', object: 1, captureId: 3, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'rejected', shots: 1 },
      { type: 'alarm', barcode: null, message: 'END was scanned, but no object is open: scan an object barcode first.' },
    ]);
  });

  it('REJECT of a barcode scanned again counts only the shots it sets aside, not the barcode\'s earlier ones', () => {
    // A1 has shots 1 and 2 in the database (an earlier run): scanned again, it takes 3, and REJECT sets that one aside.
    const s = new LinkSession(rules, () => ({ firstSeq: 3, seqs: [1, 2] }));
    const effects = run(s, [scan('A1'), shot(3, 'IMG_3.tif'), control('REJECT')]);
    expect(effects.filter((e) => e.type === 'object.closed')).toEqual([{ type: 'object.closed', object: 1, barcode: 'A1', reason: 'rejected', shots: 1 }]);
  });

  it('closes an idle object, and raises an alarm when an incomplete object is closed', () => {
    const s = new LinkSession({ ...rules, idleTimeoutSec: 60, expectedShots: 3, expectPairs: true });
    const effects = run(s, [scan('A1'), shot(1, 'IMG_1.cr2'), shot(2, 'IMG_1.tif'), shot(3, 'IMG_2.cr2'), { type: 'tick', at: 68_000 }, { type: 'tick', at: 200_000 }]);
    expect(effects.slice(4)).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'idle', shots: 2 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 2 of 3 views (missing label); shot 2 (IMG_2) has no TIFF/JPEG file.', object: 1, missing: ['2 of 3 views (missing label)', 'shot 2 (IMG_2) has no TIFF/JPEG file'] },
    ]);
    expect(s.current).toBeNull();
  });

  it('a complete object closes without an alarm', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2, expectPairs: true });
    const effects = run(s, [scan('A1'), shot(1, 'F.cr2'), shot(2, 'F.tif'), shot(3, 'B.cr2'), shot(4, 'B.tif'), scan('B2')]);
    expect(effects.filter((e) => e.type === 'alarm')).toEqual([]);
  });
});

describe('LinkSession, a shot takes its place when its file arrives', () => {
  it('links a capture to the object open when it arrived, even if QC finishes after the next scan', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('T-0008'), arrive('IMG_0030.jpg'), scan('T-0009'), record(30, 'IMG_0030.jpg')]);
    expect(effects.filter((e) => e.type === 'capture.linked')).toEqual([{ type: 'capture.linked', object: 1, captureId: 30, barcode: 'T-0008', seq: 1, view: 'front' }]);
    expect(s.current).toEqual({ barcode: 'T-0009', shots: 0 });
    expect(s.barcodeOf('IMG_0030.jpg')).toBeNull();
  });

  it('numbers shots in arrival order, not in the order QC finishes', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('Z'), arrive('Z_0001.tif'), arrive('Z_0002.tif'), record(2, 'Z_0002.tif'), record(1, 'Z_0001.tif')]);
    expect(effects.filter((e) => e.type === 'capture.linked').map((e) => e.type === 'capture.linked' && [e.captureId, e.seq, e.view])).toEqual([
      [2, 2, 'back'],
      [1, 1, 'front'],
    ]);
  });

  describe('files seen in another order than they were written (they appeared together)', () => {
    /** The watcher first sees `file`, written at `mtimeUs`. */
    const written = (file: string, mtimeUs: number): Step => ({ type: 'arrival', file, stem: stemOf(file), isRaw: file.endsWith('.cr2'), mtimeUs });
    const links = (effects: ReturnType<typeof run>) => effects.flatMap((e) => (e.type === 'capture.linked' ? [[e.captureId, e.barcode, e.seq, e.view]] : []));

    it('numbers the shots not recorded yet in the order they were written, then by name; views follow; UNDO takes the last written', () => {
      const s = new LinkSession(rules);
      const effects = run(s, [scan('Z'), written('lucanidae.tif', 3), written('skinks.tif', 1), written('b.tif', 2), written('a.tif', 2), control('UNDO')]);
      expect(effects.at(-1)).toEqual({ type: 'capture.unlinked', captureIds: [], barcode: 'Z', seq: 4, stem: 'lucanidae', reshoot: true });
      expect(links(run(s, [record(1, 'lucanidae.tif'), record(2, 'skinks.tif'), record(3, 'b.tif'), record(4, 'a.tif')]))).toEqual([
        [2, 'Z', 1, 'front'],
        [3, 'Z', 3, 'label'],
        [4, 'Z', 2, 'back'],
      ]);
    });

    it('a RAW written before the shot ahead moves its shot (still unrecorded) ahead of it', () => {
      const s = new LinkSession(rules);
      expect(links(run(s, [scan('Z'), written('x.tif', 10), written('y.tif', 20), written('y.cr2', 5), record(1, 'x.tif'), record(2, 'y.tif'), record(3, 'y.cr2')]))).toEqual([
        [1, 'Z', 2, 'back'],
        [2, 'Z', 1, 'front'],
        [3, 'Z', 1, 'front'],
      ]);
    });

    it('never moves before a shot with a recorded file, nor into the object before a scan', () => {
      const recorded = run(new LinkSession(rules), [scan('A'), written('late.tif', 20), record(1, 'late.tif'), written('early.tif', 10), record(2, 'early.tif')]);
      expect(links(recorded)).toEqual([
        [1, 'A', 1, 'front'],
        [2, 'A', 2, 'back'],
      ]);
      const split = run(new LinkSession(rules), [scan('A'), written('late.tif', 20), scan('B'), written('early.tif', 10), record(1, 'late.tif'), record(2, 'early.tif')]);
      expect(links(split)).toEqual([
        [1, 'A', 1, 'front'],
        [2, 'B', 1, 'front'],
      ]);
    });

    it('scan after capture: the shots waiting for their barcode are numbered in the order they were written', () => {
      const s = new LinkSession({ ...rules, mode: 'scan-after-capture' });
      run(s, [written('late.tif', 20), written('early.tif', 10)]);
      expect(s.waitingShots.map((w) => w.stem)).toEqual(['early', 'late']);
      expect(links(run(s, [scan('A'), record(1, 'late.tif'), record(2, 'early.tif')]))).toEqual([
        [1, 'A', 2, 'back'],
        [2, 'A', 1, 'front'],
      ]);
    });
  });

  it('tells QC which object a file still being checked belongs to', () => {
    const s = new LinkSession(rules);
    run(s, [scan('A1'), arrive('a.tif'), scan('B2'), arrive('b.tif')]);
    expect([s.barcodeOf('a.tif'), s.barcodeOf('b.tif'), s.barcodeOf('never-seen.tif')]).toEqual(['A1', 'B2', null]);
  });

  it('UNDO right after a shot still in QC takes that shot, not the one before; it is flagged when recorded', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('A1'), shot(1, 'good.tif'), arrive('bad.tif'), control('UNDO'), record(2, 'bad.tif'), shot(3, 'again.tif')]);
    expect(effects.slice(2)).toEqual([
      { type: 'capture.unlinked', captureIds: [], barcode: 'A1', seq: 2, stem: 'bad', reshoot: true },
      { type: 'capture.unlinked', captureIds: [2], barcode: 'A1', seq: 2, stem: 'bad', reshoot: true },
      { type: 'capture.linked', object: 1, captureId: 3, barcode: 'A1', seq: 2, view: 'back' },
    ]);
  });

  it('judges a closed object once its last file is recorded, and a file removed before it was recorded gives its place up', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 });
    const late = run(s, [scan('A1'), shot(1, 'a.tif'), arrive('b.tif'), scan('B2'), record(2, 'b.tif')]);
    expect(late.filter((e) => e.type === 'alarm')).toEqual([]);
    expect(late).toContainEqual({ type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 2, view: 'back' });

    const removed = run(s, [shot(3, 'c.tif'), arrive('d.tif'), control('END')]);
    // Closed while d.tif was still in QC: not judged yet, as d.tif may still fill the object.
    expect(removed.filter((e) => e.type === 'alarm')).toEqual([]);
    expect(run(s, [{ type: 'gone', file: 'd.tif' }])).toEqual([
      { type: 'object.judged', object: 2 },
      { type: 'alarm', barcode: 'B2', message: 'Object B2 is incomplete: 1 of 2 views (missing back).', object: 2, missing: ['1 of 2 views (missing back)'] },
    ]);
    // A later record of the same name is a new arrival, with nothing open: not linked.
    expect(run(s, [record(4, 'd.tif')])).toEqual([{ type: 'capture.unlinked-none', captureId: 4, reason: 'no object open' }]);
  });

  it('a removed file at the end of the open object gives its number to the next shot', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('A1'), shot(1, 'a.tif'), arrive('b.tif'), { type: 'gone', file: 'b.tif' }, shot(3, 'c.tif')]);
    expect(effects.at(-1)).toEqual({ type: 'capture.linked', object: 1, captureId: 3, barcode: 'A1', seq: 2, view: 'back' });
    expect(s.current).toEqual({ barcode: 'A1', shots: 2 });
  });

  it('a file found by a start-up scan joins no object, even one open; an image barcode (adopt) makes it the first shot of the object it opens', () => {
    const s = new LinkSession(rules);
    expect(s.arrivedWithoutObject('old.tif')).toBe(false);
    run(s, [arrive('old.tif', true), arrive('label.tif', true), scan('A1'), arrive('back-online.tif', true)]);
    expect(s.arrivedWithoutObject('old.tif')).toBe(true);
    expect(s.barcodeOf('back-online.tif')).toBeNull();
    expect(run(s, [record(1, 'old.tif'), record(3, 'back-online.tif'), control('END'), { type: 'scan', barcode: 'BR1', adopt: 'label.tif' }, record(2, 'label.tif')])).toEqual([
      { type: 'capture.unlinked-none', captureId: 1, reason: 'written while the station was not watching' },
      { type: 'capture.unlinked-none', captureId: 3, reason: 'written while the station was not watching' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 0, empty: true },
      { type: 'object.opened', object: 2, barcode: 'BR1', fromImage: true },
      { type: 'capture.linked', object: 2, captureId: 2, barcode: 'BR1', seq: 1, view: 'front' },
    ]);
  });
});

describe('LinkSession, a closed object whose files do not settle', () => {
  const tick = (at: number): Step => ({ type: 'tick', at });

  it('is judged settleWaitSec after it closed, counting the unchecked file as missing and saying so, once', () => {
    const s = new LinkSession({ ...rules, idleTimeoutSec: 0, expectedShots: 2, settleWaitSec: 30 });
    const closed = run(s, [scan('A1'), shot(1, 'a.tif'), arrive('empty.tif'), control('END')]);
    expect(closed.slice(-2)).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 2 },
      { type: 'object.unchecked', object: 1, barcode: 'A1', files: ['empty.tif'] },
    ]);
    // Idle objects never time out here, yet the judgement is due: the clock must tick.
    expect(s.expires).toBe(true);
    expect(run(s, [tick(30_000)])).toEqual([]);
    expect(run(s, [tick(35_000)])).toEqual([
      { type: 'object.judged', object: 1 },
      {
        type: 'alarm',
        barcode: 'A1',
        message: 'Object A1 is incomplete: 1 of 2 views (missing back). empty.tif is still not checked 30 s after the object closed and counted as missing; the station says so if this changes when checking ends.',
        object: 1,
        missing: ['1 of 2 views (missing back)'],
      },
    ]);
    expect(s.expires).toBe(false);
    expect(run(s, [tick(90_000)])).toEqual([]);
    // It still belongs to A1: checked at last, it is linked there, and the verdict changes.
    expect(run(s, [record(2, 'empty.tif')])).toEqual([
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is complete after all: empty.tif finished checking after the object was judged.', object: 1 },
    ]);
  });

  it('says nothing more when the late file does not change the verdict, and stays silent when complete without it', () => {
    const s = new LinkSession({ ...rules, idleTimeoutSec: 0, expectedShots: 2, settleWaitSec: 5 });
    run(s, [scan('A1'), shot(1, 'a.tif'), arrive('b.tif'), control('END'), tick(10_000)]);
    expect(run(s, [record(2, 'b.tif', true)]).filter((e) => e.type === 'alarm' && e.message.startsWith('Object'))).toEqual([]);

    const complete = new LinkSession({ ...rules, idleTimeoutSec: 0, expectedShots: 1, settleWaitSec: 5 });
    expect(run(complete, [scan('B1'), shot(1, 'a.tif'), arrive('extra.tif'), control('END'), tick(10_000)]).filter((e) => e.type === 'alarm')).toEqual([]);
  });

  it('a file of an undone shot still being checked does not hold the judgement back', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 });
    expect(run(s, [scan('A1'), shot(1, 'a.tif'), arrive('b.tif'), control('UNDO'), control('END')]).slice(-2)).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 1 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 1 of 2 views (missing back).', object: 1, missing: ['1 of 2 views (missing back)'] },
    ]);
    expect(s.expires).toBe(false);
  });
});

describe('LinkSession, a capture that fails QC', () => {
  it('is not linked, is flagged for re-shoot, and the next shot takes its number and view', () => {
    const s = new LinkSession({ ...rules, expectedShots: 3 });
    const effects = run(s, [scan('T-0007'), arrive('IMG_0020.tif'), record(20, 'IMG_0020.tif', true), shot(21, 'IMG_0021.tif'), shot(22, 'IMG_0022.tif'), shot(23, 'IMG_0023.tif'), control('END')]);
    expect(effects.slice(1, 3)).toEqual([
      { type: 'capture.unlinked', captureIds: [20], barcode: 'T-0007', seq: null, stem: 'IMG_0020', reshoot: true },
      { type: 'alarm', barcode: 'T-0007', message: 'IMG_0020.tif failed QC: it is not linked to object T-0007 and is flagged for re-shoot; its number is given back: the next shot is shot 1 (front) of T-0007.', object: 1, captureIds: [20] },
    ]);
    expect(effects.filter((e) => e.type === 'capture.linked').map((e) => e.type === 'capture.linked' && [e.captureId, e.seq, e.view])).toEqual([
      [21, 1, 'front'],
      [22, 2, 'back'],
      [23, 3, 'label'],
    ]);
    expect(effects.at(-1)).toEqual({ type: 'object.closed', object: 1, barcode: 'T-0007', reason: 'end', shots: 3 });
  });

  it('says which number the next shot takes when failed shots in a row give theirs back', () => {
    // Three files 1.5 s apart, QC slower than that: the first two fail, the third takes number 1.
    const s = new LinkSession(rules);
    const effects = run(s, [scan('N-14'), arrive('IMG_0001.jpg'), arrive('IMG_0002.jpg'), record(1, 'IMG_0001.jpg', true), record(2, 'IMG_0002.jpg', true), shot(3, 'IMG_0003.jpg')]);
    expect(effects.flatMap((e) => (e.type === 'alarm' ? [e.message] : []))).toEqual([
      'IMG_0001.jpg failed QC: it is not linked to object N-14 and is flagged for re-shoot; shot 1 of N-14 stays empty unless the shots after it fail too, when the next shot takes its number.',
      'IMG_0002.jpg failed QC: it is not linked to object N-14 and is flagged for re-shoot; its number is given back: the next shot is shot 1 (front) of N-14.',
    ]);
    expect(effects.at(-1)).toEqual({ type: 'capture.linked', object: 1, captureId: 3, barcode: 'N-14', seq: 1, view: 'front' });
  });

  it('leaves a gap when the next shot was already numbered, and the object is incomplete', () => {
    const s = new LinkSession({ ...rules, expectedShots: 3 });
    const effects = run(s, [scan('T-1'), shot(1, 'a.tif'), arrive('b.tif'), arrive('c.tif'), record(2, 'b.tif', true), record(3, 'c.tif'), control('END')]);
    expect(effects).toContainEqual({
      type: 'alarm',
      barcode: 'T-1',
      message: 'b.tif failed QC: it is not linked to object T-1 and is flagged for re-shoot; shot 2 of T-1 stays empty unless the shots after it fail too, when the next shot takes its number.',
      object: 1,
      captureIds: [2],
    });
    expect(effects).toContainEqual({ type: 'capture.linked', object: 1, captureId: 3, barcode: 'T-1', seq: 3, view: 'label' });
    expect(effects.slice(-2)).toEqual([
      { type: 'object.closed', object: 1, barcode: 'T-1', reason: 'end', shots: 2 },
      { type: 'alarm', barcode: 'T-1', message: 'Object T-1 is incomplete: 2 of 3 views (missing back).', object: 1, missing: ['2 of 3 views (missing back)'] },
    ]);
  });

  it('a shot whose TIFF fails keeps its RAW linked and does not count as complete for pairs', () => {
    const s = new LinkSession({ ...rules, expectPairs: true });
    const effects = run(s, [scan('P'), arrive('S1.cr2'), arrive('S1.tif'), record(1, 'S1.cr2'), record(2, 'S1.tif', true), control('END')]);
    expect(effects).toContainEqual({ type: 'capture.linked', object: 1, captureId: 1, barcode: 'P', seq: 1, view: 'front' });
    expect(effects.at(-1)).toEqual({ type: 'alarm', barcode: 'P', message: 'Object P is incomplete: shot 1 (S1) has no TIFF/JPEG file.', object: 1, missing: ['shot 1 (S1) has no TIFF/JPEG file'] });
  });

  it('UNDO after a failed shot acknowledges the failed one (already off, not unlinked again), not the good shot before it; the next UNDO takes that', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('B-1'), shot(1, 'a.tif'), arrive('broken.tif'), record(2, 'broken.tif', true), control('UNDO')]);
    expect(effects.filter((e) => e.type === 'capture.unlinked')).toEqual([{ type: 'capture.unlinked', captureIds: [2], barcode: 'B-1', seq: null, stem: 'broken', reshoot: true }]);
    expect(effects.at(-1)).toEqual({ type: 'shot.already-off', object: 1, barcode: 'B-1', seq: 2, stem: 'broken', next: { seq: 1, stem: 'a' } });
    expect(s.current).toEqual({ barcode: 'B-1', shots: 1 });
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'capture.unlinked', captureIds: [1], barcode: 'B-1', seq: 1, stem: 'a', reshoot: true }]);
  });

  it('UNDO after two failed shots (both arrived before either failed) names the other failed one as what the next UNDO acknowledges; with none left it says so', () => {
    const s = new LinkSession(rules);
    run(s, [scan('B-1'), arrive('x.tif'), arrive('y.tif'), record(1, 'x.tif', true), record(2, 'y.tif', true)]);
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'shot.already-off', object: 1, barcode: 'B-1', seq: 2, stem: 'y', next: { seq: 1, stem: 'x', failed: true } }]);
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'shot.already-off', object: 1, barcode: 'B-1', seq: 1, stem: 'x', next: null }]);
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'alarm', barcode: 'B-1', message: 'UNDO was scanned, but object B-1 has no capture yet.' }]);
  });

  it('UNDO of a shot whose TIFF failed and RAW is linked takes the RAW off, and does not unlink the failed TIFF again', () => {
    const s = new LinkSession(rules);
    run(s, [scan('P'), shot(1, 'S1.cr2'), arrive('S1.tif'), record(2, 'S1.tif', true)]);
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'capture.unlinked', captureIds: [1], barcode: 'P', seq: 1, stem: 'S1', reshoot: true }]);
  });

  it('a shot still in QC when its object closed that then fails leaves the object incomplete', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 });
    const effects = run(s, [scan('C'), shot(1, 'a.tif'), arrive('b.tif'), control('END'), record(2, 'b.tif', true)]);
    expect(effects.slice(-4)).toEqual([
      { type: 'capture.unlinked', captureIds: [2], barcode: 'C', seq: null, stem: 'b', reshoot: true },
      { type: 'alarm', barcode: 'C', message: 'b.tif failed QC: it is not linked to object C and is flagged for re-shoot; object C is closed: scan it again to re-shoot.', object: 1, captureIds: [2] },
      { type: 'object.judged', object: 1 },
      { type: 'alarm', barcode: 'C', message: 'Object C is incomplete: 1 of 2 views (missing back).', object: 1, missing: ['1 of 2 views (missing back)'] },
    ]);
  });
});

describe('LinkSession, a barcode that already has shots', () => {
  it('continues numbering and views after them, and counts them as its shots', () => {
    const earlier: Record<string, number[]> = { A1: [1, 2] };
    const s = new LinkSession({ ...rules, expectedShots: 3 }, (barcode) => ({ firstSeq: (earlier[barcode]?.length ?? 0) + 1, seqs: earlier[barcode] ?? [] }));
    const effects = run(s, [scan('A1'), shot(1, 'IMG_7.tif'), shot(2, 'IMG_8.tif'), scan('B2'), shot(3, 'IMG_9.tif'), control('END')]);
    expect(effects).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 3, view: 'label' },
      // A fourth shot of a three-view profile has no view.
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 4, view: null },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 4 },
      { type: 'object.opened', object: 2, barcode: 'B2' },
      { type: 'capture.linked', object: 2, captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
      { type: 'object.closed', object: 2, barcode: 'B2', reason: 'end', shots: 1 },
      { type: 'alarm', barcode: 'B2', message: 'Object B2 is incomplete: 1 of 3 views (missing back, label).', object: 2, missing: ['1 of 3 views (missing back, label)'] },
    ]);
  });

  it('counts only its earlier shots and the new ones with a linked capture, and misses only views after the earlier shots', () => {
    const s = new LinkSession({ ...rules, expectedShots: 3 }, () => ({ firstSeq: 2, seqs: [1] }));
    const effects = run(s, [scan('A1'), arrive('b.tif'), record(1, 'b.tif', true), control('END')]);
    expect(effects.slice(-2)).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 1 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 1 of 3 views (missing back, label).', object: 1, missing: ['1 of 3 views (missing back, label)'] },
    ]);
  });

  it('counts the barcode\'s real earlier shots, not the numbers before its next one: a gap is a missing view', () => {
    // Shots 1 and 3 exist; 2 failed, was undone or relinked away.
    const s = new LinkSession({ ...rules, expectedShots: 3 }, () => ({ firstSeq: 4, seqs: [1, 3] }));
    expect(run(s, [scan('A1')])).toEqual([{ type: 'object.opened', object: 1, barcode: 'A1' }]);
    expect(s.current).toEqual({ barcode: 'A1', shots: 2 });
    expect(run(s, [control('END')]).slice(-1)).toEqual([{ type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 2 of 3 views (missing back).', object: 1, missing: ['2 of 3 views (missing back)'] }]);
    expect(run(s, [scan('A1'), shot(1, 'x.tif'), control('END')]).slice(-2)).toEqual([
      { type: 'object.closed', object: 2, barcode: 'A1', reason: 'end', shots: 3 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 3 shots but no back view.', object: 2, missing: ['3 shots but no back view'] },
    ]);
  });

  it('scanned again while its earlier shots are still in QC (not in the database yet), numbers after those too', () => {
    const s = new LinkSession(rules);
    const effects = run(s, [scan('A1'), arrive('a.tif'), scan('B2'), scan('A1'), shot(2, 'c.tif'), record(1, 'a.tif')]);
    expect(effects.filter((e) => e.type === 'capture.linked').map((e) => e.type === 'capture.linked' && [e.object, e.captureId, e.seq])).toEqual([
      [3, 2, 2],
      [1, 1, 1],
    ]);
    expect(s.current).toEqual({ barcode: 'A1', shots: 2 });
  });

  it('scan after capture: the waiting shots are numbered after the barcode\'s earlier shots', () => {
    const s = new LinkSession({ ...rules, mode: 'scan-after-capture' }, () => ({ firstSeq: 3, seqs: [1, 2] }));
    expect(run(s, [shot(1, 'a.tif'), scan('A1')]).filter((e) => e.type === 'capture.linked')).toEqual([{ type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 3, view: 'label' }]);
  });
});

describe('LinkSession, an object opened from an image', () => {
  const fromImage = (barcode: string, file: string): Step => ({ type: 'scan', barcode, adopt: file });

  it('gives way to the next capture\'s code before it is recorded: the capture leaves it, and its number, and opens its own object', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 });
    expect(run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.tif')])).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1', fromImage: true },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
    ]);
    // Where it goes is not known while b.tif is checked: its image may show another object.
    expect([s.barcodeOf('b.tif'), s.imageObjectOf('b.tif')]).toEqual([null, 'A1']);
    expect(run(s, [fromImage('B2', 'b.tif'), record(2, 'b.tif')])).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 1 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 1 of 2 views (missing back).', object: 1, missing: ['1 of 2 views (missing back)'] },
      { type: 'object.opened', object: 2, barcode: 'B2', fromImage: true },
      { type: 'capture.linked', object: 2, captureId: 2, barcode: 'B2', seq: 1, view: 'front' },
    ]);
  });

  it('gives way with the whole shot: its RAW, recorded and linked or still being checked, goes with the image that showed the next code', () => {
    const s = new LinkSession(rules);
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), ...shot(2, 'b.cr2'), arrive('b.tif')]);
    expect(run(s, [fromImage('B2', 'b.tif'), record(3, 'b.tif')])).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 1 },
      { type: 'object.opened', object: 2, barcode: 'B2', fromImage: true },
      { type: 'capture.moved', captureId: 2, object: 2, barcode: 'B2', seq: 1, view: 'front', from: 'A1' },
      { type: 'capture.linked', object: 2, captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
    ]);
    expect(s.current).toEqual({ barcode: 'B2', shots: 1 });
    // Its RAW still being checked: it follows when recorded.
    run(s, [arrive('c.cr2'), arrive('c.tif')]);
    expect(run(s, [fromImage('C3', 'c.tif'), record(4, 'c.tif'), record(5, 'c.cr2')]).filter((e) => e.type === 'capture.linked')).toEqual([
      { type: 'capture.linked', object: 3, captureId: 4, barcode: 'C3', seq: 1, view: 'front' },
      { type: 'capture.linked', object: 3, captureId: 5, barcode: 'C3', seq: 1, view: 'front' },
    ]);
    // With several codes in the image, the RAW joins none either, for the same reason.
    run(s, [...shot(6, 'd.cr2'), arrive('d.tif')]);
    expect(run(s, [{ type: 'image-shows-others', file: 'd.tif' }, record(7, 'd.tif')]).filter((e) => e.type !== 'object.closed')).toEqual([
      { type: 'capture.moved', captureId: 6, object: null, barcode: null, seq: null, view: null, from: 'C3', why: 'its image shows several codes' },
      { type: 'capture.unlinked-none', captureId: 7, reason: 'its image shows several codes' },
    ]);
  });

  it('gives way with every shot taken after the image that showed the next code, numbered in the order they arrived', () => {
    const s = new LinkSession({ ...rules, expectedShots: 1 });
    // The next sheet shot twice (RAW first) before its first image is checked; c.cr2 already recorded.
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.cr2'), arrive('b.tif'), arrive('c.cr2'), arrive('c.tif'), record(2, 'b.cr2'), record(3, 'c.cr2')]);
    expect(run(s, [fromImage('B2', 'b.tif'), record(4, 'b.tif'), record(5, 'c.tif')])).toEqual([
      // Nothing of A1 is left to wait for: it is judged as it closes.
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 1 },
      { type: 'object.opened', object: 2, barcode: 'B2', fromImage: true },
      { type: 'capture.moved', captureId: 2, object: 2, barcode: 'B2', seq: 1, view: 'front', from: 'A1' },
      { type: 'capture.moved', captureId: 3, object: 2, barcode: 'B2', seq: 2, view: 'back', from: 'A1' },
      { type: 'capture.linked', object: 2, captureId: 4, barcode: 'B2', seq: 1, view: 'front' },
      { type: 'capture.linked', object: 2, captureId: 5, barcode: 'B2', seq: 2, view: 'back' },
    ]);
    expect(s.current).toEqual({ barcode: 'B2', shots: 2 });
    expect(run(s, [shot(6, 'd.tif')])).toEqual([{ type: 'capture.linked', object: 2, captureId: 6, barcode: 'B2', seq: 3, view: 'label' }]);
  });

  it('an image checked after a later one made its object give way follows with its whole shot when it shows the same code, numbered after', () => {
    const s = new LinkSession(rules);
    // The next sheet's second image (c.tif) is checked before its first (b.tif): A1 gives way with c only.
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), ...shot(2, 'b.cr2'), arrive('b.tif'), ...shot(3, 'c.cr2'), arrive('c.tif'), fromImage('B2', 'c.tif'), record(4, 'c.tif')]);
    expect([s.imageObjectOf('b.tif'), s.gaveWayOf('b.tif')]).toEqual([null, { from: 'A1', to: 'B2', closed: null, cannot: null }]);
    expect(run(s, [{ type: 'follow', file: 'b.tif' }, record(5, 'b.tif')])).toEqual([
      { type: 'capture.moved', captureId: 2, object: 2, barcode: 'B2', seq: 2, view: 'back', from: 'A1', numberedAfter: true },
      // Nothing of A1 is left to wait for.
      { type: 'object.judged', object: 1 },
      { type: 'capture.linked', object: 2, captureId: 5, barcode: 'B2', seq: 2, view: 'back' },
    ]);
    expect(s.current).toEqual({ barcode: 'B2', shots: 2 });
    expect(run(s, [shot(6, 'd.tif')])).toEqual([{ type: 'capture.linked', object: 2, captureId: 6, barcode: 'B2', seq: 3, view: 'label' }]);
    // A scanned object never gave way.
    const scanned = new LinkSession(rules);
    run(scanned, [scan('A1'), arrive('b.tif'), scan('B2')]);
    expect(scanned.gaveWayOf('b.tif')).toBeNull();
  });

  it('a late image\'s RAW follows it whether it is checked last or arrives last', () => {
    const checkedLast = new LinkSession(rules);
    run(checkedLast, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.cr2'), arrive('b.tif'), ...shot(2, 'c.cr2'), arrive('c.tif'), fromImage('B2', 'c.tif'), record(3, 'c.tif')]);
    expect(run(checkedLast, [{ type: 'follow', file: 'b.tif' }, record(4, 'b.tif'), record(5, 'b.cr2')])).toEqual([
      // The RAW still being checked is B2's now: A1 waits for nothing.
      { type: 'object.judged', object: 1 },
      { type: 'capture.linked', object: 2, captureId: 4, barcode: 'B2', seq: 2, view: 'back' },
      { type: 'capture.linked', object: 2, captureId: 5, barcode: 'B2', seq: 2, view: 'back' },
    ]);
    // The RAW arrives once B2 is open: it is B2's already, and the late image joins its shot.
    const arrivesLast = new LinkSession(rules);
    run(arrivesLast, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.tif'), arrive('c.tif'), fromImage('B2', 'c.tif'), record(2, 'c.tif'), ...shot(3, 'b.cr2')]);
    expect(run(arrivesLast, [{ type: 'follow', file: 'b.tif' }, record(4, 'b.tif')])).toEqual([
      { type: 'object.judged', object: 1 },
      { type: 'capture.linked', object: 2, captureId: 4, barcode: 'B2', seq: 2, view: 'back' },
    ]);
  });

  it('with several codes in the image, the shots taken after it join none either, saying why', () => {
    const s = new LinkSession(rules);
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.tif'), ...shot(2, 'c.cr2'), arrive('c.tif')]);
    expect(run(s, [{ type: 'image-shows-others', file: 'b.tif' }, record(3, 'b.tif')])).toEqual([
      { type: 'capture.moved', captureId: 2, object: null, barcode: null, seq: null, view: null, from: 'A1', why: 'it followed a shot whose image shows several codes' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 1 },
      { type: 'capture.unlinked-none', captureId: 3, reason: 'its image shows several codes' },
    ]);
    // c.tif arrived with an object open, but its image opens its own object (as with none open).
    expect(s.arrivedWithoutObject('c.tif')).toBe(true);
    expect(run(s, [record(4, 'c.tif')])).toEqual([{ type: 'capture.unlinked-none', captureId: 4, reason: 'it followed a shot whose image shows several codes' }]);
  });

  it('showing several other codes, the capture closes it and joins none; a scanned object never gives way', () => {
    const s = new LinkSession(rules);
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.tif')]);
    expect(run(s, [{ type: 'image-shows-others', file: 'b.tif' }, record(2, 'b.tif')])).toEqual([
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 1 },
      { type: 'capture.unlinked-none', captureId: 2, reason: 'its image shows several codes' },
    ]);
    const scanned = new LinkSession(rules);
    run(scanned, [scan('A1'), arrive('b.tif')]);
    expect([scanned.barcodeOf('b.tif'), scanned.imageObjectOf('b.tif')]).toEqual(['A1', null]);
    expect(run(scanned, [{ type: 'image-shows-others', file: 'b.tif' }])).toEqual([]);
    expect(scanned.current).toEqual({ barcode: 'A1', shots: 1 });
  });
});

describe('LinkSession, a shot that followed late', () => {
  const fromImage = (barcode: string, file: string): Step => ({ type: 'scan', barcode, adopt: file });
  const follow = (file: string): Step => ({ type: 'follow', file });
  /**
   * a.tif opens A1; sheet B is b.cr2 + b.tif (checked slowly) and c.tif, which makes A1 give way to
   * B2; sheet C's d.cr2 (recorded, B2's shot 2) and d.tif (still being checked) arrive.
   */
  const setUp = () => {
    const s = new LinkSession(rules);
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.cr2'), arrive('b.tif'), record(2, 'b.cr2'), arrive('c.tif'), fromImage('B2', 'c.tif'), record(3, 'c.tif'), arrive('d.cr2'), arrive('d.tif'), record(4, 'd.cr2')]);
    return s;
  };

  it('is numbered after newer shots, yet a later give-way takes only the shots that arrived after its image', () => {
    const s = setUp();
    expect(run(s, [follow('b.tif'), record(5, 'b.tif')])).toEqual([
      { type: 'capture.moved', captureId: 2, object: 2, barcode: 'B2', seq: 3, view: 'label', from: 'A1', numberedAfter: true },
      { type: 'object.judged', object: 1 },
      { type: 'capture.linked', object: 2, captureId: 5, barcode: 'B2', seq: 3, view: 'label' },
    ]);
    // d.tif shows sheet C's code: d leaves B2 with its RAW; b (sheet B's, numbered after d) stays.
    expect(run(s, [fromImage('C3', 'd.tif'), record(6, 'd.tif')])).toEqual([
      { type: 'object.closed', object: 2, barcode: 'B2', reason: 'next-object', shots: 2 },
      { type: 'object.opened', object: 3, barcode: 'C3', fromImage: true },
      { type: 'capture.moved', captureId: 4, object: 3, barcode: 'C3', seq: 1, view: 'front', from: 'B2' },
      { type: 'capture.linked', object: 3, captureId: 6, barcode: 'C3', seq: 1, view: 'front' },
    ]);
  });

  it('UNDO takes the shot that arrived last, not the followed one numbered last; numbers are not given twice', () => {
    const s = setUp();
    // d.tif shows B2 after all: d is B2's shot 2, and b follows as shot 3.
    run(s, [record(6, 'd.tif'), follow('b.tif'), record(5, 'b.tif')]);
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'capture.unlinked', captureIds: [4, 6], barcode: 'B2', seq: 2, stem: 'd', reshoot: true }]);
    expect(s.current).toEqual({ barcode: 'B2', shots: 2 });
    expect(run(s, [shot(7, 'e.tif')])).toEqual([{ type: 'capture.linked', object: 2, captureId: 7, barcode: 'B2', seq: 4, view: null }]);
    // Then e, then c (b was shot before c, though numbered after it).
    const undone = run(s, [control('UNDO'), control('UNDO')]).map((e) => (e.type === 'capture.unlinked' ? e.stem : e.type));
    expect(undone).toEqual(['e', 'c']);
  });
});

describe('LinkSession, a late image whose object closed before it was checked', () => {
  const fromImage = (barcode: string, file: string): Step => ({ type: 'scan', barcode, adopt: file });
  const follow = (file: string): Step => ({ type: 'follow', file });
  const joins = (e: { type: string }) => e.type === 'capture.moved' || e.type === 'capture.linked';
  /** B2's barcode's next number in the database (raised when other objects of it took shots). */
  let next = 1;
  /**
   * a.tif opens A1; sheet B's b.cr2 (recorded, A1's shot 2) and b.tif (still being checked), then
   * c.cr2 + c.tif: c.tif makes A1 give way to B2, whose shot 1 c is.
   */
  const setUp = (more: Partial<SessionRules> = {}) => {
    next = 1;
    const s = new LinkSession({ ...rules, expectedShots: 2, ...more }, (barcode) => ({ firstSeq: barcode === 'B2' ? next : 1, seqs: [] }));
    run(s, [arrive('a.tif'), fromImage('A1', 'a.tif'), record(1, 'a.tif'), arrive('b.cr2'), record(2, 'b.cr2'), arrive('b.tif'), arrive('c.cr2'), record(3, 'c.cr2'), arrive('c.tif'), fromImage('B2', 'c.tif'), record(4, 'c.tif')]);
    return s;
  };
  /** b's RAW and image join `object` as shot `seq`, which had closed (`closed`) or is open (none). */
  const movedTo = (seq: number, closed?: string, object = 2) => [
    { type: 'capture.moved', captureId: 2, object, barcode: 'B2', seq, view: ['front', 'back', 'label'][seq - 1] ?? null, from: 'A1', numberedAfter: true, ...(closed ? { closed } : {}) },
    { type: 'capture.linked', object, captureId: 5, barcode: 'B2', seq, view: ['front', 'back', 'label'][seq - 1] ?? null },
  ];

  it('END: its shot follows into it all the same, numbered after its shots, and the object is judged again', () => {
    const s = setUp();
    expect(run(s, [control('END')])).toEqual([
      { type: 'object.closed', object: 2, barcode: 'B2', reason: 'end', shots: 1 },
      { type: 'alarm', barcode: 'B2', message: 'Object B2 is incomplete: 1 of 2 views (missing back).', object: 2, missing: ['1 of 2 views (missing back)'] },
    ]);
    // Held while a late image may still follow into it (the station keeps its row).
    expect(s.holds(2)).toBe(true);
    expect(s.gaveWayOf('b.tif')).toEqual({ from: 'A1', to: 'B2', closed: 'end', cannot: null });
    expect(run(s, [follow('b.tif'), record(5, 'b.tif')])).toEqual([
      { type: 'capture.moved', captureId: 2, object: 2, barcode: 'B2', seq: 2, view: 'back', from: 'A1', numberedAfter: true, closed: 'end' },
      { type: 'object.judged', object: 1 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 1 of 2 views (missing back).', object: 1, missing: ['1 of 2 views (missing back)'] },
      { type: 'capture.linked', object: 2, captureId: 5, barcode: 'B2', seq: 2, view: 'back' },
      { type: 'alarm', barcode: 'B2', message: 'Object B2 is complete after all: b.tif finished checking after the object was judged.', object: 2 },
    ]);
    expect([s.holds(1), s.holds(2)]).toEqual([false, false]);
  });

  it('idle timeout, the next scan, or its own give-way: the same', () => {
    const idle = setUp({ idleTimeoutSec: 60 });
    expect(run(idle, [{ type: 'tick', at: 120_000 }]).filter((e) => e.type === 'object.closed')).toEqual([{ type: 'object.closed', object: 2, barcode: 'B2', reason: 'idle', shots: 1 }]);
    expect(run(idle, [{ ...follow('b.tif'), at: 121_000 }, { ...record(5, 'b.tif'), at: 122_000 }]).filter(joins)).toEqual(movedTo(2, 'idle'));
    // The next object scanned: it joins B2, not the scanned one.
    const scanned = setUp();
    run(scanned, [scan('C3'), shot(9, 'x.tif')]);
    expect(run(scanned, [follow('b.tif'), record(5, 'b.tif')]).filter(joins)).toEqual(movedTo(2, 'next-object'));
    expect(scanned.current).toEqual({ barcode: 'C3', shots: 1 });
    const gaveWay = setUp();
    run(gaveWay, [arrive('d.tif'), fromImage('C3', 'd.tif'), record(9, 'd.tif')]);
    expect(run(gaveWay, [follow('b.tif'), record(5, 'b.tif')]).filter(joins)).toEqual(movedTo(2, 'next-object'));
  });

  it('is numbered after the shots its barcode took since, and joins its barcode open again', () => {
    const s = setUp();
    run(s, [control('END')]);
    // B2 scanned again elsewhere meanwhile: the database has its shots up to 4.
    next = 5;
    expect(run(s, [follow('b.tif'), record(5, 'b.tif')]).filter(joins)).toEqual(movedTo(5, 'end'));
    const again = setUp();
    next = 2;
    run(again, [control('END'), scan('B2'), shot(9, 'x.tif')]);
    expect(run(again, [follow('b.tif'), record(5, 'b.tif')]).filter(joins)).toEqual(movedTo(3, undefined, 3));
  });

  it('rejected, or renamed by an edit: its shot is taken off the object before for re-shoot, with an alarm naming its files', () => {
    const s = setUp();
    run(s, [control('REJECT')]);
    expect(s.gaveWayOf('b.tif')).toEqual({ from: 'A1', to: 'B2', closed: 'rejected', cannot: 'B2 was rejected' });
    expect(run(s, [follow('b.tif'), record(5, 'b.tif')])).toEqual([
      { type: 'capture.unlinked', captureIds: [2], barcode: 'A1', seq: 2, stem: 'b', reshoot: true },
      {
        type: 'alarm',
        barcode: 'A1',
        message: 'b.tif shows B2, the object a later image of its sheet opened when object A1 gave way to it, but B2 was rejected: shot 2 (b) is taken off object A1 with all its files (b.cr2 too), not linked and flagged for re-shoot. Relink it to the right barcode, or re-shoot.',
        object: 1,
        captureIds: [2],
      },
      { type: 'object.judged', object: 1 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 1 of 2 views (missing back).', object: 1, missing: ['1 of 2 views (missing back)'] },
      { type: 'capture.unlinked', captureIds: [5], barcode: 'A1', seq: 2, stem: 'b', reshoot: true },
    ]);
    const renamed = setUp();
    const file = (name: string, captureId: number) => ({ file: name, isRaw: name.endsWith('.cr2'), captureId });
    renamed.restore((ref) => (ref === 2 ? { barcode: 'R7', shots: [{ stem: 'c', seq: 1, files: [file('c.cr2', 3), file('c.tif', 4)] }], history: { firstSeq: 2, seqs: [] } } : null), () => true);
    expect(renamed.gaveWayOf('b.tif')).toEqual({ from: 'A1', to: 'B2', closed: null, cannot: 'B2 was renamed R7 by an edit' });
    expect(run(renamed, [follow('b.tif'), record(5, 'b.tif')]).filter((e) => e.type === 'capture.unlinked')).toEqual([
      { type: 'capture.unlinked', captureIds: [2], barcode: 'A1', seq: 2, stem: 'b', reshoot: true },
      { type: 'capture.unlinked', captureIds: [5], barcode: 'A1', seq: 2, stem: 'b', reshoot: true },
    ]);
    expect(renamed.current).toEqual({ barcode: 'R7', shots: 1 });
  });
});

describe('LinkSession, a refused scan', () => {
  const refused = (close: boolean): Step => ({ type: 'refused', code: 'A1x', why: "does not match the project's pattern", close });

  it('closes the open object with an alarm that names the scan, why and the object; the next shot joins no object', () => {
    const s = new LinkSession(rules);
    expect(run(s, [scan('A1'), shot(1, 'a.tif'), refused(true)])).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      {
        type: 'alarm',
        barcode: 'A1',
        object: 1,
        message: `Barcode "A1x" was refused: it does not match the project's pattern. Object A1 (1 shot) was closed so that the next object's shots are not filed under it; shots taken now join no object: scan the object's barcode again.`,
      },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'next-object', shots: 1 },
    ]);
    expect(run(s, [shot(2, 'b.tif')])).toEqual([{ type: 'capture.unlinked-none', captureId: 2, reason: 'no object open' }]);
  });

  it('shows a control or bidi character of the refused scan escaped, never raw, in its alarm', () => {
    const s = new LinkSession(rules);
    const [message] = run(s, [scan('A1'), { type: 'refused', code: '\u202eA1\u0007\u001b\u200b', why: 'contains the control character U+0007', close: true }]).flatMap((e) => (e.type === 'alarm' ? [e.message] : []));
    expect(message).toMatch(/^Barcode "⟨U\+202E⟩A1⟨U\+0007⟩⟨U\+001B⟩⟨U\+200B⟩" was refused: it contains the control character U\+0007\. Object A1 /);
    for (const ch of ['\u202e', '\u0007', '\u001b', '\u200b']) expect(message).not.toContain(ch);
  });

  it('changes nothing when told to keep the object, with no object open, or in scan-after-capture', () => {
    const kept = new LinkSession(rules);
    expect(run(kept, [scan('A1'), refused(false)])).toEqual([{ type: 'object.opened', object: 1, barcode: 'A1' }]);
    expect(kept.current).toEqual({ barcode: 'A1', shots: 0 });
    expect(run(new LinkSession(rules), [refused(true)])).toEqual([]);
    const after = new LinkSession({ ...rules, mode: 'scan-after-capture' });
    expect(run(after, [shot(1, 'a.tif'), refused(true)])).toEqual([]);
    expect(after.waitingShots).toEqual([{ stem: 'a', files: ['a.tif'] }]);
  });
});

describe('LinkSession, restored after a linking edit', () => {
  const file = (name: string, captureId: number) => ({ file: name, isRaw: name.endsWith('.cr2'), captureId });

  it('takes the open object\'s barcode and shots as given: the next shot follows the last, UNDO takes the last given', () => {
    const s = new LinkSession(rules);
    run(s, [scan('A1'), shot(1, 'IMG_1.tif'), shot(2, 'IMG_2.tif')]);
    // The edit renamed A1 to B2, took IMG_2 away and relinked capture 7 as its shot 3.
    s.restore(
      (ref) => (ref === 1 ? { barcode: 'B2', shots: [{ stem: 'IMG_7', seq: 3, files: [file('IMG_7.tif', 7)] }, { stem: 'IMG_1', seq: 1, files: [file('IMG_1.tif', 1)] }], history: { firstSeq: 4, seqs: [] } } : null),
      () => true,
    );
    expect(s.current).toEqual({ barcode: 'B2', shots: 2 });
    expect(s.apply({ type: 'arrival', file: 'IMG_8.tif', stem: 'IMG_8', isRaw: false, mtimeUs: 5_000_000, at: 5000 })).toEqual([]);
    expect(s.apply({ type: 'capture', captureId: 8, file: 'IMG_8.tif', failed: false, at: 5000 })).toEqual([{ type: 'capture.linked', object: 1, captureId: 8, barcode: 'B2', seq: 4, view: null }]);
    expect(s.apply({ type: 'control', action: 'UNDO', at: 6000 })).toEqual([{ type: 'capture.unlinked', captureIds: [8], barcode: 'B2', seq: 4, stem: 'IMG_8', reshoot: true }]);
    expect(s.apply({ type: 'control', action: 'UNDO', at: 7000 })).toEqual([{ type: 'capture.unlinked', captureIds: [7], barcode: 'B2', seq: 3, stem: 'IMG_7', reshoot: true }]);
  });

  it('a file still in QC keeps its place (and its partner\'s), under the new barcode; a number an edit took from it goes to the next free one', () => {
    const s = new LinkSession(rules);
    run(s, [scan('A1'), shot(1, 'a.tif'), shot(2, 'b.cr2'), arrive('b.tif'), arrive('c.tif')]);
    // The edit renamed A1 to R and relinked capture 9 to it; the database numbered it 3, the number c.tif holds.
    s.restore((ref) => (ref === 1 ? { barcode: 'R', shots: [{ stem: 'a', seq: 1, files: [file('a.tif', 1)] }, { stem: 'b', seq: 2, files: [file('b.cr2', 2)] }, { stem: 'x', seq: 3, files: [file('x.tif', 9)] }], history: { firstSeq: 4, seqs: [] } } : null), () => true);
    expect([s.barcodeOf('b.tif'), s.barcodeOf('c.tif')]).toEqual(['R', 'R']);
    expect(run(s, [record(3, 'b.tif'), record(4, 'c.tif')])).toEqual([
      { type: 'capture.linked', object: 1, captureId: 3, barcode: 'R', seq: 2, view: 'back' },
      { type: 'capture.linked', object: 1, captureId: 4, barcode: 'R', seq: 4, view: null },
    ]);
    expect(s.current).toEqual({ barcode: 'R', shots: 4 });
  });

  it('UNDO right after a failed shot still takes the failed one, not a good shot before it', () => {
    const s = new LinkSession(rules);
    run(s, [scan('A1'), shot(1, 'a.tif'), arrive('bad.tif'), record(2, 'bad.tif', true)]);
    s.restore((ref) => (ref === 1 ? { barcode: 'A1', shots: [{ stem: 'a', seq: 1, files: [file('a.tif', 1)] }], history: { firstSeq: 2, seqs: [] } } : null), () => true);
    expect(run(s, [control('UNDO')])).toEqual([{ type: 'shot.already-off', object: 1, barcode: 'A1', seq: 2, stem: 'bad', next: { seq: 1, stem: 'a' } }]);
    expect(s.current).toEqual({ barcode: 'A1', shots: 1 });
  });

  it('a closed object with files still in QC: shots moved away are not counted when it is judged', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 });
    run(s, [scan('A1'), shot(1, 'a.tif'), arrive('b.tif'), scan('B2')]);
    // The edit moved a.tif to another object while b.tif was still being checked.
    s.restore((ref) => (ref === 1 ? { barcode: 'A1', shots: [], history: { firstSeq: 2, seqs: [] } } : ref === 2 ? { barcode: 'B2', shots: [], history: { firstSeq: 1, seqs: [] } } : null), () => true);
    expect(run(s, [record(2, 'b.tif')])).toEqual([
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'object.judged', object: 1 },
      { type: 'alarm', barcode: 'A1', message: 'Object A1 is incomplete: 1 of 2 views (missing front).', object: 1, missing: ['1 of 2 views (missing front)'] },
    ]);
  });

  it('what the barcode has elsewhere is taken again: a shot moved out of an earlier object frees its number and view, and no longer counts', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 }, () => ({ firstSeq: 3, seqs: [1, 2] }));
    run(s, [scan('A1')]);
    expect(s.current).toEqual({ barcode: 'A1', shots: 2 });
    // The edit relinked the barcode's shot 2 (in an earlier, closed object) to another barcode.
    s.restore((ref) => (ref === 1 ? { barcode: 'A1', shots: [], history: { firstSeq: 2, seqs: [1] } } : null), () => true);
    expect(s.current).toEqual({ barcode: 'A1', shots: 1 });
    expect(run(s, [shot(5, 'c.tif')])).toEqual([{ type: 'capture.linked', object: 1, captureId: 5, barcode: 'A1', seq: 2, view: 'back' }]);
    expect(run(s, [control('END')])).toEqual([{ type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 2 }]);
  });

  it('a shot moved back out of the barcode (an undone relink) leaves the open object with nothing: its next shot is the front, and it is judged incomplete', () => {
    const s = new LinkSession({ ...rules, expectedShots: 2 }, () => ({ firstSeq: 2, seqs: [1] }));
    run(s, [scan('B2')]);
    s.restore((ref) => (ref === 1 ? { barcode: 'B2', shots: [], history: { firstSeq: 1, seqs: [] } } : null), () => true);
    expect(s.current).toEqual({ barcode: 'B2', shots: 0 });
    expect(run(s, [shot(5, 'c.tif'), control('END')])).toEqual([
      { type: 'capture.linked', object: 1, captureId: 5, barcode: 'B2', seq: 1, view: 'front' },
      { type: 'object.closed', object: 1, barcode: 'B2', reason: 'end', shots: 1 },
      { type: 'alarm', barcode: 'B2', message: 'Object B2 is incomplete: 1 of 2 views (missing back).', object: 1, missing: ['1 of 2 views (missing back)'] },
    ]);
  });

  it('scan after capture: a waiting shot the edit linked stops waiting', () => {
    const s = new LinkSession({ ...rules, mode: 'scan-after-capture' });
    run(s, [shot(1, 'IMG_1.tif'), shot(2, 'IMG_2.tif')]);
    s.restore(() => null, (id) => id === 1);
    expect(s.apply({ type: 'scan', barcode: 'A1', at: 5000 }).filter((e) => e.type === 'capture.linked')).toEqual([{ type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 1, view: 'front' }]);
  });
});

describe('LinkSession, scan after capture', () => {
  const after: SessionRules = { ...rules, mode: 'scan-after-capture' };

  it('links the shots taken since the last object to the barcode scanned after them', () => {
    const effects = run(new LinkSession(after), [shot(1, 'IMG_1.tif'), shot(2, 'IMG_2.tif'), scan('A1'), shot(3, 'IMG_3.tif'), scan('B2')]);
    expect(effects).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.linked', object: 1, captureId: 2, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 2 },
      { type: 'object.opened', object: 2, barcode: 'B2' },
      { type: 'capture.linked', object: 2, captureId: 3, barcode: 'B2', seq: 1, view: 'front' },
      { type: 'object.closed', object: 2, barcode: 'B2', reason: 'end', shots: 1 },
    ]);
  });

  it('a waiting shot whose image contradicts the barcode takes no number or view, with all its files; the others stay consecutive', () => {
    // Capture 2 (the TIFF of IMG_2) shows another barcode; its RAW shows none.
    const s = new LinkSession(after, undefined, (captureId, barcode) => captureId === 2 && barcode === 'A1');
    const effects = run(s, [shot(1, 'IMG_1.tif'), shot(3, 'IMG_2.cr2'), shot(2, 'IMG_2.tif'), shot(4, 'IMG_3.tif'), arrive('IMG_4.tif'), scan('A1'), record(5, 'IMG_4.tif')]);
    expect(effects).toEqual([
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'capture.unlinked', captureIds: [3, 2], barcode: 'A1', seq: null, stem: 'IMG_2', reshoot: true, contradicted: true },
      { type: 'capture.linked', object: 1, captureId: 4, barcode: 'A1', seq: 2, view: 'back' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 3 },
      { type: 'object.unchecked', object: 1, barcode: 'A1', files: ['IMG_4.tif'] },
      { type: 'capture.linked', object: 1, captureId: 5, barcode: 'A1', seq: 3, view: 'label' },
      { type: 'object.judged', object: 1 },
    ]);
  });

  it('UNDO drops the last waiting shot; a barcode with nothing waiting is an alarm, not an empty object', () => {
    const effects = run(new LinkSession(after), [shot(1, 'IMG_1.tif'), shot(2, 'IMG_2.cr2'), shot(3, 'IMG_2.tif'), control('UNDO'), scan('A1'), scan('B2')]);
    expect(effects[0]).toEqual({ type: 'capture.unlinked', captureIds: [2, 3], barcode: null, seq: null, stem: 'IMG_2', reshoot: true });
    expect(effects.filter((e) => e.type === 'capture.linked')).toHaveLength(1);
    expect(effects.at(-1)).toEqual({ type: 'alarm', barcode: 'B2', message: expect.stringMatching(/no new capture is waiting/) });
  });

  it('a shot still in QC when its barcode is scanned is linked when recorded', () => {
    const s = new LinkSession(after);
    const effects = run(s, [shot(1, 'a.tif'), arrive('b.tif'), scan('A1'), record(2, 'b.tif')]);
    expect(effects.filter((e) => e.type === 'capture.linked').map((e) => e.type === 'capture.linked' && [e.captureId, e.seq])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('waiting shots expire after idleTimeoutSec with an alarm naming them', () => {
    const s = new LinkSession({ ...after, idleTimeoutSec: 5 });
    const effects = run(s, [shot(1, 'B1.tif'), { type: 'tick', at: 4_000 }]);
    expect(effects).toEqual([]);
    expect(s.expires).toBe(true);
    expect(run(s, [{ type: 'tick', at: 7_000 }])).toEqual([
      { type: 'capture.unlinked-none', captureId: 1, reason: 'no barcode scanned in time' },
      { type: 'alarm', barcode: null, message: 'No barcode was scanned within 5 s of the last shot: B1.tif is not linked; link them with a relink, or shoot them again and scan.', captureIds: [1] },
    ]);
    expect(s.expires).toBe(false);
    expect(run(s, [shot(2, 'C1.tif'), scan('X')]).filter((e) => e.type === 'capture.linked')).toEqual([{ type: 'capture.linked', object: 1, captureId: 2, barcode: 'X', seq: 1, view: 'front' }]);
  });

  it('files found at start raise an alarm and do not join the next scan; captures restored from the database do', () => {
    const s = new LinkSession(after);
    expect(run(s, [{ type: 'waiting', captureId: 7, file: 'D1.tif', stem: 'D1', isRaw: false }, arrive('old.tif', true)])).toEqual([
      { type: 'alarm', barcode: null, message: 'old.tif was written while the station was not watching: it does not join the next scan; link it with a relink once it is checked.' },
    ]);
    expect(run(s, [record(8, 'old.tif'), scan('A1')])).toEqual([
      { type: 'capture.unlinked-none', captureId: 8, reason: 'written while the station was not watching' },
      { type: 'object.opened', object: 1, barcode: 'A1' },
      { type: 'capture.linked', object: 1, captureId: 7, barcode: 'A1', seq: 1, view: 'front' },
      { type: 'object.closed', object: 1, barcode: 'A1', reason: 'end', shots: 1 },
    ]);
  });

  it('END and REJECT say what they did and what is waiting; a failed shot is never linked', () => {
    const s = new LinkSession(after);
    expect(run(s, [control('END')])).toEqual([{ type: 'alarm', barcode: null, message: 'END was scanned in scan-after-capture mode: an object closes by itself when its barcode is scanned, so END does nothing; no shot is waiting for a barcode.' }]);
    const effects = run(s, [shot(1, 'a.tif'), arrive('b.tif'), record(2, 'b.tif', true), control('REJECT'), scan('A1')]);
    expect(effects.slice(0, 3)).toEqual([
      { type: 'capture.unlinked', captureIds: [2], barcode: null, seq: null, stem: 'b', reshoot: true },
      { type: 'alarm', barcode: null, message: 'b.tif failed QC: it is not linked to the next scanned object and is flagged for re-shoot.', captureIds: [2] },
      { type: 'alarm', barcode: null, message: 'REJECT was scanned in scan-after-capture mode: nothing was rejected (scan UNDO for each shot to drop); 1 shot is waiting for a barcode (a): scan it to link them.' },
    ]);
    expect(effects.filter((e) => e.type === 'capture.linked')).toEqual([{ type: 'capture.linked', object: 1, captureId: 1, barcode: 'A1', seq: 1, view: 'front' }]);
  });
});
