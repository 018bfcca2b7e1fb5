// @vitest-environment happy-dom
/**
 * The scan bar mounted in a DOM with its page-wide wedge: key events with controlled timeStamps on
 * fake timers (the bar's clock is the faked Date), so a scanner's burst and a person's typing are
 * told apart exactly as in the window, without waiting for real time.
 */
import { act, createElement, Fragment, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScanBar, type ScanBarProps } from '../../renderer/components/ScanBar.js';
import { scannerBurst, prng, type TimedKey } from '../barcode/key-sequences.js';
import { $, button, click, flush, mount, press, unmountAll } from '../helpers/dom.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  await unmountAll();
  vi.useRealTimers();
});

function mountBar(onScan: ScanBarProps['onScan']) {
  return mount(createElement(ScanBar, { object: null, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan, now: () => Date.now() }));
}

/** Advances the fake clock (running the bar's timers) to each key's time and presses it there. */
async function play(keys: readonly TimedKey[]): Promise<KeyboardEvent[]> {
  const events: KeyboardEvent[] = [];
  for (const k of keys) {
    await advance(k.timeMs - Date.now());
    events.push(await press(k.key, { timeStamp: k.timeMs }));
  }
  return events;
}

async function advance(ms: number): Promise<void> {
  await act(async () => {
    vi.advanceTimersByTime(Math.max(0, ms));
  });
}

const typed = (text: string, startMs: number, gapMs: number): TimedKey[] => [...text].map((key, i) => ({ key, timeMs: startMs + i * gapMs }));
const input = () => $<HTMLInputElement>('#scan-input');

describe('scan bar in the page', () => {
  it('sends a scanner burst typed with nothing focused as one scan, its keys kept from the page', async () => {
    const onScan = vi.fn(async () => ({ said: '' }));
    await mountBar(onScan);
    const burst = scannerBurst(prng(7), 'NHM-000123', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' });
    const events = await play(burst.keys);
    await advance(2000);
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect(onScan).toHaveBeenCalledWith('NHM-000123', undefined);
    // Every character and the Enter were the wedge's: a focused button would not have been pressed.
    expect(events.filter((e) => e.key !== 'Shift').every((e) => e.defaultPrevented)).toBe(true);
    expect(input().value).toBe('');
    expect(document.activeElement).not.toBe(input());
    expect(document.querySelector('[role="alert"]')).toBeNull();
  });

  it("puts a person's slow typing into the scan field and sends it only on their Enter", async () => {
    const onScan = vi.fn(async () => ({ said: '' }));
    await mountBar(onScan);
    await play(typed('NHM-000123', Date.now() + 2000, 140));
    await advance(3000);
    expect(onScan).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(input());
    expect(input().value).toBe('NHM-000123');

    await press('Enter', { timeStamp: Date.now() });
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect(onScan).toHaveBeenCalledWith('NHM-000123', undefined);
    expect(input().value).toBe('');
  });

  it("goes by the keys' own times, so a page busy for a moment does not turn a burst into typing", async () => {
    const onScan = vi.fn(async () => ({ said: '' }));
    await mountBar(onScan);
    const start = Date.now() + 2000;
    await advance(2000);
    // The scanner sent the keys 10 ms apart; the page was busy for 250 ms after the fourth (no timer ran, the keys queued).
    const events: KeyboardEvent[] = [];
    for (const [i, key] of [...'NHM-000123', 'Enter'].entries()) {
      vi.setSystemTime(Date.now() + (i === 4 ? 250 : 10));
      events.push(await press(key, { timeStamp: start + i * 10 }));
    }
    await advance(2000);
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect(onScan).toHaveBeenCalledWith('NHM-000123', undefined);
    // All of it went through the wedge as a scan: none of it was typed into the field.
    expect(events.every((e) => e.defaultPrevented)).toBe(true);
    expect(document.activeElement).not.toBe(input());
  });

  it('takes a burst that went into a focused search box as a scan, and puts the search back as the person left it', async () => {
    const onScan = vi.fn(async () => ({ said: '' }));
    const searches: string[] = [];
    function Page() {
      const [q, setQ] = useState('');
      searches.push(q);
      return createElement(
        Fragment,
        null,
        createElement('input', { id: 'search', type: 'search', value: q, onChange: (e: { target: HTMLInputElement }) => setQ(e.target.value) }),
        createElement(ScanBar, { object: null, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan, now: () => Date.now() }),
      );
    }
    await mount(createElement(Page));
    const search = $<HTMLInputElement>('#search');
    search.focus();
    await play(typed('Mul', Date.now() + 2000, 150));
    await advance(1000);
    expect(search.value).toBe('Mul');
    const events = await play(scannerBurst(prng(11), 'NHM-000456', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect(onScan).toHaveBeenCalledWith('NHM-000456', undefined);
    // The field's React state is the person's again, and the scanner's Enter never reached it.
    expect(search.value).toBe('Mul');
    expect(searches.at(-1)).toBe('Mul');
    expect(events.at(-1)).toMatchObject({ key: 'Enter', defaultPrevented: true });
    expect(document.activeElement).toBe(search);
    expect(input().value).toBe('');
  });

  it('sends a burst too uneven for a scan that ends in Enter as a typed entry, instead of leaving it in the field', async () => {
    const onScan = vi.fn(async () => ({ said: 'Object NHM-000123 open.' }));
    await mountBar(onScan);
    // Every gap within maxGapMs but far from even (40 ms, 72 ms…): held as a possible scan, then released as typing.
    const start = Date.now() + 2000;
    let t = start;
    const keys = [...'NHM-000123', 'Enter'].map((key, i) => ({ key, timeMs: (t += i === 0 ? 0 : i % 2 ? 40 : 72) }));
    await play(keys);
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect(onScan).toHaveBeenCalledWith('NHM-000123', undefined);
    expect(input().value).toBe('');
    expect($('[data-testid="scan-said"]').textContent).toContain('Object NHM-000123 open.');
  });

  it("takes the reviewer's uneven scanner rhythms (a busy browser's 15–32 ms, Bluetooth pairs of 1 ms and 22 ms) as scans", async () => {
    const onScan = vi.fn(async () => ({ said: '' }));
    await mountBar(onScan);
    const rhythms = [[15, 32, 18, 27, 16, 31, 20, 24, 29, 17], [1, 22, 1, 22, 1, 22, 1, 22, 1, 22]];
    for (const [n, gaps] of rhythms.entries()) {
      let t = Date.now() + 2000;
      const code = `NHM-00012${n}`;
      await play([...code, 'Enter'].map((key, i) => ({ key, timeMs: (t += i === 0 ? 0 : gaps[i - 1]!) })));
      await flush();
      expect(onScan).toHaveBeenLastCalledWith(code, undefined);
      expect(input().value).toBe('');
    }
    expect(onScan).toHaveBeenCalledTimes(2);
  });

  it('keeps a refused scan in the field with the reason as an alert', async () => {
    const onScan = vi.fn(async () => ({ refused: 'The barcode "NHM-000123" does not match the pattern ^BM\\d+$.' }));
    await mountBar(onScan);
    await play(scannerBurst(prng(3), 'NHM-000123', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect($('[role="alert"]').textContent).toContain('does not match the pattern');
    expect(input().value).toBe('NHM-000123');
    expect(input().getAttribute('aria-invalid')).toBe('true');
    expect(input().getAttribute('aria-describedby')).toBe('scan-refusal');
  });

  it('takes a burst into the scan field after a refusal as the next scan alone, never glued to the refused code', async () => {
    const onScan = vi.fn(async (code: string) => (code === 'hello-42' ? { refused: 'The barcode "hello-42" does not match the pattern ^NHM-\\d+$.' } : { said: `Object ${code} open.` }));
    await mountBar(onScan);
    await play(scannerBurst(prng(5), 'hello-42', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(input().value).toBe('hello-42');
    // The refused code waits in the field, which has the focus: the next label is scanned into it.
    input().focus();
    const events = await play(scannerBurst(prng(6), 'NHM-000124', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(onScan.mock.calls.map(([code]) => code)).toEqual(['hello-42', 'NHM-000124']);
    expect(events.at(-1)).toMatchObject({ key: 'Enter', defaultPrevented: true });
    expect(input().value).toBe('');
    expect($('[data-testid="scan-said"]').textContent).toContain('Object NHM-000124 open.');
    expect(document.querySelector('.scanbar__refusal')).toBeNull();
  });

  it('lets a person edit a refused code in the scan field and send what they typed with Enter', async () => {
    const onScan = vi.fn(async (code: string) => (code === 'NHM-00012' ? { refused: 'The barcode "NHM-00012" does not match the pattern ^NHM-\\d{6}$.' } : { said: '' }));
    await mountBar(onScan);
    await play(scannerBurst(prng(8), 'NHM-00012', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(document.activeElement).toBe(input());
    // A person's pace: the keys go into the field as typed, added to what it holds.
    await play(typed('3', Date.now() + 1500, 0));
    await advance(1000);
    expect(input().value).toBe('NHM-000123');
    await press('Enter', { timeStamp: Date.now() });
    await flush();
    expect(onScan).toHaveBeenLastCalledWith('NHM-000123', undefined);
    expect(onScan).toHaveBeenCalledTimes(2);
    expect(input().value).toBe('');
  });

  it('puts a refusal away with its ✕ or with Esc in the scan field, and the next scan replaces it', async () => {
    const onScan = vi.fn(async (code: string) => (code.startsWith('bad') ? { refused: `The barcode "${code}" does not match the pattern.` } : { said: '' }));
    await mountBar(onScan);
    const refuse = async (code: string, seed: number) => {
      await play(scannerBurst(prng(seed), code, { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
      await advance(2000);
      await flush();
    };
    await refuse('bad-0001', 1);
    await click(button('✕', $('.scanbar__refusal')));
    expect(document.querySelector('.scanbar__refusal')).toBeNull();
    expect(input().getAttribute('aria-invalid')).toBeNull();

    await refuse('bad-0002', 2);
    expect($('.scanbar__refusal').textContent).toContain('bad-0002');
    expect(document.activeElement).toBe(input());
    const esc = await press('Escape', { timeStamp: Date.now() });
    expect(esc.defaultPrevented).toBe(true);
    expect(document.querySelector('.scanbar__refusal')).toBeNull();

    await refuse('bad-0003', 3);
    input().blur();
    await play(scannerBurst(prng(4), 'NHM-000125', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(document.querySelector('.scanbar__refusal')).toBeNull();
    expect(input().value).toBe('');
  });

  it('dismisses a standing alarm with Esc in the scan field', async () => {
    await mount(createElement(ScanBar, { object: null, linkingEnabled: true, sources: ['inbox'], alarm: 'Object NHM-1 was closed with 1 of 3 shots.', onScan: async () => ({ said: '' }), now: () => Date.now() }));
    expect($('.scanbar__alarm').textContent).toContain('1 of 3 shots');
    expect($('.scanbar__alarm button').getAttribute('aria-label')).toBe('Dismiss the alarm');
    input().focus();
    await press('Escape', { timeStamp: Date.now() });
    expect(document.querySelector('.scanbar__alarm')).toBeNull();
  });

  it("tells the page when a scanner's burst was taken, not when a person typed", async () => {
    const onScannerScan = vi.fn();
    const onScan = vi.fn(async () => ({ said: '' }));
    await mount(createElement(ScanBar, { object: null, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan, onScannerScan, now: () => Date.now() }));
    await play(typed('NHM-000123', Date.now() + 2000, 140));
    await press('Enter', { timeStamp: Date.now() });
    await flush();
    expect(onScan).toHaveBeenCalledTimes(1);
    expect(onScannerScan).not.toHaveBeenCalled();
    input().blur();
    await play(scannerBurst(prng(9), 'NHM-000124', { startMs: Date.now() + 2000, prefix: '', suffix: 'Enter' }).keys);
    await advance(2000);
    await flush();
    expect(onScannerScan).toHaveBeenCalledTimes(1);
  });
});
