/** The capture view's preview, histogram, clipping overlay, keys and fail cue, rendered and run in Node. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { captureDetail, captureRecord } from '../helpers/capture-records.js';
import { captureKeyAction } from '../../renderer/app/capture-keys.js';
import { overlayColours, paintClipping } from '../../renderer/app/clip-overlay.js';
import { cueGapMs, FailCue } from '../../renderer/app/fail-cue.js';
import { areaPath, binHeights, clipFigures, formatPct, innerMax } from '../../renderer/app/histogram-chart.js';
import type { PreviewResult } from '../../renderer/app/use-preview.js';
import { CaptureView } from '../../renderer/components/CaptureView.js';
import { Histogram } from '../../renderer/components/Histogram.js';
import type { StationEventMessage } from '../../renderer/transport/event-stream.js';
import type { CaptureDetail, CaptureRecord } from '../../src/store/captures.js';

const bins = (fill: (i: number) => number) => Array.from({ length: 256 }, (_, i) => fill(i));

function preview(over: Partial<PreviewResult> = {}): PreviewResult {
  // 1000 pixels: 50 at black, 20 at white in red only, the rest spread over the middle.
  const mid = (i: number) => (i >= 100 && i < 186 ? 10 + (i === 150 ? 70 : 0) : 0);
  return {
    captureId: 7,
    sha256: 'a'.repeat(64),
    width: 4,
    height: 3,
    histogram: { pixels: 1000, r: bins((i) => (i === 0 ? 50 : i === 255 ? 20 : mid(i))), g: bins((i) => (i === 0 ? 50 : mid(i) + (i === 185 ? 20 : 0))), b: bins((i) => (i === 0 ? 50 : mid(i) + (i === 185 ? 20 : 0))), luma: bins((i) => (i === 0 ? 50 : mid(i) + (i === 185 ? 20 : 0))) },
    clipping: null,
    image: 'data:image/jpeg;base64,/9j/AAAA',
    ...over,
  };
}

const record = (id: number, verdict: CaptureRecord['verdict']): CaptureRecord => captureRecord(id, { verdict, relPath: `img-${id}.tif`, path: `/x/img-${id}.tif` });

const detail = (): CaptureDetail => captureDetail(7, { verdict: 'fail' });
const recorded = (id: number, verdict: CaptureRecord['verdict']): StationEventMessage => ({ event: 'capture.recorded', payload: { capture: record(id, verdict) } });
const rechecked = (id: number, verdict: CaptureRecord['verdict']): StationEventMessage => ({ event: 'capture.rechecked', payload: { capture: record(id, verdict) } });

describe('histogram', () => {
  it('scales on the inner bins, so a large clipped end caps at full height instead of flattening the rest', () => {
    const p = preview();
    expect(innerMax(p.histogram)).toBe(80);
    const h = binHeights(p.histogram.r, innerMax(p.histogram), 100);
    expect([h[150], h[200]]).toEqual([100, 0]);
    // Square-root scale: a quarter of the tallest inner bin is half its height; an end bin above it is capped.
    expect(binHeights([500, 80, 20], 80, 100)).toEqual([100, 100, 50]);
    expect(areaPath([0, 100], 100)).toBe('M0 100 L0 100 L1 100 L1 0 L2 0 L2 100 Z');
  });

  it('shows QC’s clipping figures when QC judged clipping, else the preview’s end bins, in words and numbers', () => {
    expect(clipFigures(preview({ clipping: { blackPct: [0.5, 0.25, 0], whitePct: [3, 0, 0] } }))).toEqual({ blackPct: 0.5, whitePct: 3, source: 'qc' });
    expect(clipFigures(preview())).toEqual({ blackPct: 5, whitePct: 2, source: 'preview' });
    expect([formatPct(0), formatPct(0.004), formatPct(0.5), formatPct(12.34)]).toEqual(['none', '< 0.01 %', '0.50 %', '12.3 %']);

    const clipped = renderToStaticMarkup(createElement(Histogram, { preview: preview({ clipping: { blackPct: [0], whitePct: [3.5] } }) }));
    expect(clipped).toMatch(/White clipped<span aria-hidden="true"> ▶<\/span> <strong>3.50 %<\/strong>/);
    expect(clipped).toContain('Black clipped <strong>none</strong>');
    expect(clipped).toContain('data-end="white" x="253"');
    expect(clipped).not.toContain('data-end="black" x="0"');
    expect(clipped).toContain('measured by QC on the full file');
    for (const part of ['histogram__luma', 'histogram__r', 'histogram__g', 'histogram__b']) expect(clipped).toContain(`class="${part}" d="M`);

    const none = renderToStaticMarkup(createElement(Histogram, { preview: preview({ histogram: { ...preview().histogram, r: bins(() => 0), g: bins(() => 0), b: bins(() => 0) } }) }));
    expect(none).not.toContain('histogram__clip');
    expect(none).toContain('data-clipped="false"');
  });
});

describe('clipping overlay', () => {
  it('paints pixels with a channel at 255 red, then those with a channel at 0 blue, and leaves the rest clear', () => {
    const rgba = Uint8ClampedArray.from([255, 10, 10, 255, 0, 100, 100, 255, 100, 100, 100, 255, 255, 0, 0, 255, 254, 1, 1, 255]);
    const out = new Uint8ClampedArray(rgba.length);
    expect(paintClipping(rgba, out)).toEqual({ white: 2, black: 1 });
    expect([...out]).toEqual([...overlayColours.white, ...overlayColours.black, 0, 0, 0, 0, ...overlayColours.white, 0, 0, 0, 0]);
    expect(() => paintClipping(rgba, new Uint8ClampedArray(4))).toThrow(/size of the image/);
  });
});

describe('capture view keys', () => {
  const k = (key: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; code: string }> = {}) => ({ key, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
  it('toggles the overlay with Alt+O and the sound with Alt+M; a plain letter stays a barcode character', () => {
    expect(captureKeyAction(k('o', { altKey: true }))).toBe('overlay');
    expect(captureKeyAction(k('ø', { altKey: true, code: 'KeyO' }))).toBe('overlay');
    expect(captureKeyAction(k('m', { altKey: true, code: 'KeyM' }))).toBe('mute');
    expect(captureKeyAction(k('o'))).toBeNull();
    expect(captureKeyAction(k('O', { shiftKey: true }))).toBeNull();
    expect(captureKeyAction(k('o', { altKey: true, ctrlKey: true }))).toBeNull();
    expect(captureKeyAction(k('x', { altKey: true, code: 'KeyX' }))).toBeNull();
  });
});

describe('sound on fail', () => {
  function cue() {
    let t = 1_000_000;
    const played: number[] = [];
    const c = new FailCue({ play: () => played.push(t) }, () => t);
    return { c, played, advance: (ms: number) => (t += ms) };
  }

  it('sounds for a new live fail only: not for passes, not twice for one capture, once for a burst', () => {
    const { c, played, advance } = cue();
    expect(c.observe({ event: 'reconnected' }, true)).toBe(false);
    expect(c.observe(recorded(1, 'pass'), true)).toBe(false);
    expect(c.observe(recorded(2, 'warn'), true)).toBe(false);
    expect(c.observe(recorded(3, 'fail'), true)).toBe(true);
    expect(c.observe(rechecked(3, 'fail'), true)).toBe(false);
    advance(cueGapMs - 1);
    expect(c.observe(recorded(4, 'fail'), true)).toBe(false); // same burst
    advance(1);
    expect(c.observe(recorded(5, 'fail'), true)).toBe(true);
    advance(cueGapMs);
    // A pass whose pair never arrived turns into a fail later: that is news, and sounds.
    expect(c.observe(rechecked(1, 'fail'), true)).toBe(true);
    expect(played).toHaveLength(3);
  });

  it('stays silent when muted or off in the config, and does not catch up when unmuted', () => {
    const { c, played, advance } = cue();
    expect(c.observe(recorded(8, 'fail'), false)).toBe(false);
    advance(cueGapMs * 2);
    expect(c.observe(rechecked(8, 'fail'), true)).toBe(false);
    expect(c.observe(recorded(9, 'fail'), true)).toBe(true);
    expect(played).toHaveLength(1);
  });
});

describe('capture view with its preview', () => {
  const base = { capture: detail(), following: true, inboxes: [], onFollowLatest: () => undefined, onToggleOverlay: () => undefined };
  const sound = { enabled: true, muted: false, onToggleMute: () => undefined };

  it('shows the preview large with the histogram and the overlay toggle, keyboard labelled', () => {
    const html = renderToStaticMarkup(createElement(CaptureView, { ...base, preview: { status: 'ready', preview: preview() }, overlay: false, sound }));
    expect(html).toContain('src="data:image/jpeg;base64,/9j/AAAA"');
    expect(html).toContain('alt="Preview of img-7.tif"');
    expect(html).toContain('class="histogram"');
    expect(html).toMatch(/aria-pressed="false"[^>]*aria-keyshortcuts="Alt\+O"/);
    expect(html).toContain('Clipping overlay off');
    expect(html).not.toContain('preview__overlay');
    expect(html).toContain('Sound on fail on');

    const on = renderToStaticMarkup(createElement(CaptureView, { ...base, preview: { status: 'ready', preview: preview() }, overlay: true, sound: { ...sound, muted: true } }));
    expect(on).toContain('class="preview__overlay"');
    expect(on).toContain('data-overlay="on"');
    expect(on).toContain('Clipping overlay on');
    expect(on).toContain('Sound on fail muted');
  });

  it('says why there is no preview, and disables the overlay until there is one', () => {
    const failed = renderToStaticMarkup(createElement(CaptureView, { ...base, preview: { status: 'error', captureId: 7, message: 'No preview of img-7.tif: the image cannot be decoded (bad seek).' }, overlay: true, sound: { ...sound, enabled: false } }));
    expect(failed).toContain('No preview');
    expect(failed).toContain('the image cannot be decoded (bad seek)');
    expect(failed).not.toContain('preview__overlay');
    expect(failed).toMatch(/aria-pressed="true"[^>]*disabled=""/);
    expect(failed).toContain('Sound on fail is off in the station config (ui.soundOnFail).');
    const loading = renderToStaticMarkup(createElement(CaptureView, { ...base, preview: { status: 'loading', captureId: 7 }, overlay: false, sound }));
    expect(loading).toContain('Making the preview…');
    expect(loading).not.toContain('class="histogram"');
  });
});
