/**
 * The scan bar's page-wide wedge input (renderer/app/scan-keys.ts PageWedge) with synthetic key
 * timings on an injected clock: a scanner burst typed anywhere is a scan (in a focused field too); a
 * person's keys go to the scan field (or stay in the field they were typed in) and are never sent
 * by themselves.
 */
import { describe, expect, it } from 'vitest';
import { PageWedge, takesText, type FocusLike, type PageWedgeAction } from '../../renderer/app/scan-keys.js';
import { humanTyping, pick, prng, randomCode, scannerBurst, type TimedKey } from '../barcode/key-sequences.js';

const page: FocusLike = { tagName: 'BODY' };
const plain = { altKey: false, ctrlKey: false, metaKey: false };

/** Keys pressed with `active` focused; the clock is the keys' own times, then `settleMs` of quiet. */
function type(wedge: PageWedge, keys: TimedKey[], active: FocusLike | null = page, settleMs = 5000) {
  const actions: PageWedgeAction[] = [];
  const consumed: string[] = [];
  const burstStarts: number[] = [];
  for (const k of keys) {
    // What the component's timer does: tick at the deadline before the next key arrives.
    const deadline = wedge.deadlineMs;
    if (deadline !== null && deadline <= k.timeMs) actions.push(...wedge.tick(deadline));
    const r = wedge.key({ key: k.key, ...plain }, active, k.timeMs);
    actions.push(...r.actions);
    if (r.consumed) consumed.push(k.key);
    if (r.burstStart) burstStarts.push(k.timeMs);
  }
  actions.push(...wedge.tick((keys.at(-1)?.timeMs ?? 0) + settleMs));
  return { actions, consumed, burstStarts };
}

const timed = (text: string[], startMs: number, gapMs: number): TimedKey[] => text.map((key, i) => ({ key, timeMs: startMs + i * gapMs }));

describe('page-wide wedge input', () => {
  it('sends a scanner burst typed with nothing focused, or a button focused, as one scan', () => {
    for (const active of [null, page, { tagName: 'BUTTON' }, { tagName: 'INPUT', type: 'checkbox' }]) {
      const { actions, consumed } = type(new PageWedge(), timed([...'NHM-000123', 'Enter'], 10_000, 12), active);
      expect(actions).toEqual([{ kind: 'scan', code: 'NHM-000123', fromField: false }]);
      // Every key of it is the wedge's: the focused button is not pressed by the Enter.
      expect(consumed).toHaveLength(11);
    }
  });

  it('takes a scanner burst into a focused search box, drop-down or date as a scan, keeping only its terminator from the field', () => {
    for (const active of [{ tagName: 'INPUT', type: 'text' }, { tagName: 'INPUT', type: 'search' }, { tagName: 'INPUT', type: 'date' }, { tagName: 'TEXTAREA' }, { tagName: 'SELECT' }, { tagName: 'DIV', isContentEditable: true }]) {
      expect(takesText(active)).toBe(true);
      const { actions, consumed, burstStarts } = type(new PageWedge(), timed([...'NHM-000123', 'Enter'], 10_000, 12), active);
      expect(actions, active.tagName).toEqual([{ kind: 'scan', code: 'NHM-000123', fromField: true }]);
      // The field got the characters as they came (a person's typing there never waits): the
      // caller restores it to what it was at the burst's first key. Its Enter is not the field's.
      expect(consumed).toEqual(['Enter']);
      expect(burstStarts).toEqual([10_000]);
    }
  });

  it('leaves a burst to a field meant for barcodes (a barcode search, a relink box)', () => {
    const { actions, consumed } = type(new PageWedge(), timed([...'NHM-000123', 'Enter'], 10_000, 12), { tagName: 'INPUT', type: 'search', takesScans: true });
    expect(actions).toEqual([]);
    expect(consumed).toEqual([]);
  });

  it('never takes a burst into a password field (a secret in the Settings view) as a scan', () => {
    const { actions, consumed, burstStarts } = type(new PageWedge(), timed([...'wJalrXUtnFEMI-K7MDENG', 'Enter'], 10_000, 12), { tagName: 'INPUT', type: 'password' });
    expect(actions).toEqual([]);
    expect(consumed).toEqual([]);
    expect(burstStarts).toEqual([]);
  });

  it("leaves a person's typing in a focused field to that field: nothing for the scan field, nothing sent", () => {
    const { actions, consumed } = type(new PageWedge(), timed([...'Muller', 'Enter'], 10_000, 140), { tagName: 'INPUT', type: 'search' });
    expect(actions).toEqual([]);
    expect(consumed).toEqual([]);
  });

  it("never takes a person's typing as a scan: it comes out as text for the scan field, and the wedge sends nothing", () => {
    const { actions } = type(new PageWedge(), timed([...'NHM-000123', 'Enter'], 10_000, 140));
    expect(actions.every((a) => a.kind === 'type')).toBe(true);
    expect(actions.map((a) => (a.kind === 'type' ? a.text : '')).join('')).toBe('NHM-000123');
  });

  it('sends the scan field when a burst too uneven for a scan ends in Enter: typed, then submitted', () => {
    let t = 30_000;
    const keys = [...'NHM-000123', 'Enter'].map((key, i) => ({ key, timeMs: (t += i === 0 ? 0 : i % 2 ? 40 : 72) }));
    expect(type(new PageWedge(), keys).actions).toEqual([{ kind: 'type', text: 'NHM-000123' }, { kind: 'submit' }]);
    // The same burst in a focused search box is that box's: nothing typed, nothing sent.
    expect(type(new PageWedge(), keys, { tagName: 'INPUT', type: 'search' }).actions).toEqual([]);
  });

  it('keeps Ctrl/Alt shortcuts, F-keys, arrows and a lone space or Enter for the page', () => {
    const wedge = new PageWedge();
    const none = { consumed: false, actions: [], burstStart: false };
    expect(wedge.key({ key: '1', ...plain, altKey: true }, page, 1000)).toEqual(none);
    expect(wedge.key({ key: 'c', ...plain, ctrlKey: true }, page, 2000)).toEqual(none);
    expect(wedge.key({ key: 'F2', ...plain }, page, 3000)).toEqual(none);
    expect(wedge.key({ key: ' ', ...plain }, { tagName: 'BUTTON' }, 4000)).toEqual(none);
    expect(wedge.key({ key: 'Enter', ...plain }, { tagName: 'BUTTON' }, 5000)).toEqual(none);
    // A held key is released as typing by the next named key, which stays the page's.
    expect(wedge.key({ key: 'a', ...plain }, page, 6000)).toEqual({ consumed: true, actions: [], burstStart: false });
    expect(wedge.key({ key: 'ArrowDown', ...plain }, page, 6010)).toEqual({ consumed: false, actions: [{ kind: 'type', text: 'a' }], burstStart: false });
  });

  it('swallows the CR LF suffix of a scan and takes two labels in a row', () => {
    const keys = [...timed([...'ABC12345', 'Enter', 'Enter'], 20_000, 10), ...timed([...'XYZ98765', 'Tab'], 20_300, 15)];
    expect(type(new PageWedge(), keys).actions).toEqual([
      { kind: 'scan', code: 'ABC12345', fromField: false },
      { kind: 'scan', code: 'XYZ98765', fromField: false },
    ]);
  });

  it('on generated timelines: every scanner burst is a scan, and no person’s typing ever is', () => {
    const rand = prng(0x5ca1ab1e);
    let scans = 0;
    let detected = 0;
    for (let i = 0; i < 1000; i++) {
      const code = randomCode(rand, 6);
      const burst = scannerBurst(rand, code, { startMs: 60_000, prefix: '', suffix: pick(rand, ['Enter', 'Tab', 'Enter Enter'] as const) });
      scans++;
      const { actions } = type(new PageWedge(), burst.keys);
      if (actions.length === 1 && actions[0]?.kind === 'scan' && actions[0].code === code) detected++;
    }
    let humanScans = 0;
    for (let i = 0; i < 1000; i++) {
      // Worst case: the focus never moves to the scan field, so every key goes through the wedge;
      // and the same in a focused search box.
      const keys = humanTyping(rand, 60_000);
      humanScans += type(new PageWedge(), keys).actions.filter((a) => a.kind === 'scan').length;
      humanScans += type(new PageWedge(), keys, { tagName: 'INPUT', type: 'search' }).actions.filter((a) => a.kind === 'scan').length;
    }
    expect(detected / scans).toBeGreaterThanOrEqual(0.999);
    expect(humanScans).toBe(0);
  });
});
