/** The words for linking on the rig screen: shots waiting for a barcode, and where the capture on screen was linked and filed. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { linkLine, scanAnswer } from '../../renderer/app/format.js';
import { isWaiting, shownWaiting, waitingLabel } from '../../renderer/app/linking-state.js';
import { CaptureView } from '../../renderer/components/CaptureView.js';
import { ScanBar } from '../../renderer/components/ScanBar.js';
import { captureDetail, captureRecord } from '../helpers/capture-records.js';

const noPreview = { preview: { status: 'none' }, overlay: false, onToggleOverlay: () => undefined, sound: { enabled: true, muted: false, onToggleMute: () => undefined } } as const;
const filedEvent = (to: string) => ({ id: 9, at: '2026-11-26T10:00:00.000Z', type: 'capture.filed', captureId: 7, sourceId: 'inbox', data: { from: '/rig/Inbox/IMG_7.tif', to } });

describe('shots waiting for a barcode', () => {
  const waiting = { conveyor: [{ stem: 'SCAN_1', files: ['SCAN_1.tif'] }], copystand: [{ stem: 'IMG_1', files: ['IMG_1.cr2', 'IMG_1.tif'] }, { stem: 'IMG_2', files: ['IMG_2.tif'] }] };

  it("shows the one source's, or with several the first that has some; names a long list's first few", () => {
    expect(shownWaiting(waiting, 'copystand')).toEqual({ sourceId: 'copystand', stems: ['IMG_1', 'IMG_2'] });
    expect(shownWaiting(waiting, null)).toEqual({ sourceId: 'conveyor', stems: ['SCAN_1'] });
    expect(shownWaiting(waiting, 'other')).toBeNull();
    expect(shownWaiting({}, null)).toBeNull();
    expect(waitingLabel(['IMG_1'])).toBe('1 shot waiting for a barcode (IMG_1) — scan it');
    expect(waitingLabel(['A', 'B', 'C', 'D', 'E', 'F'])).toBe('6 shots waiting for a barcode (A, B, C, D and 2 more) — scan it');
    expect(isWaiting(waiting, 'copystand', 'IMG_1.cr2')).toBe(true);
    expect(isWaiting(waiting, 'conveyor', 'IMG_1.cr2')).toBe(false);
  });

  it('puts them where the open object would be, with their source when there are several', () => {
    const props = { object: null, linkingEnabled: true, alarm: null, onScan: async () => ({ said: '' }) };
    const one = renderToStaticMarkup(createElement(ScanBar, { ...props, sources: ['copystand'], waiting: { sourceId: 'copystand', stems: ['IMG_1', 'IMG_2'] } }));
    expect(one).toMatch(/data-testid="object-waiting"><span aria-hidden="true">◌<\/span> 2 shots waiting for a barcode \(IMG_1, IMG_2\) — scan it<\/span>/);
    expect(one).not.toContain('No object open');
    const several = renderToStaticMarkup(createElement(ScanBar, { ...props, sources: ['copystand', 'conveyor'], waiting: { sourceId: 'conveyor', stems: ['SCAN_1'] } }));
    expect(several).toMatch(/1 shot waiting for a barcode \(SCAN_1\) — scan it.*· conveyor/s);
    expect(renderToStaticMarkup(createElement(ScanBar, { ...props, sources: ['copystand'], waiting: null }))).toContain('No object open — scan its barcode');
  });
});

describe('where the capture on screen went', () => {
  const base = captureDetail(7, captureRecord(7, { relPath: 'IMG_7.tif', path: '/rig/Inbox/IMG_7.tif' }));
  const link = { captureId: 7, objectId: 3, barcode: 'NHM-000124', seq: 3, view: 'back', project: null, operator: null, objectState: 'closed' as const };

  it('says filed under the object once the last filing move put it where it is, linked until then', () => {
    const filedPath = '/rig/Library/NHM-000124/NHM-000124_03.tif';
    const filed = linkLine({ ...base, link, path: filedPath, events: [filedEvent(filedPath)] }, false);
    expect(filed).toMatchObject({ state: 'filed', words: 'Filed under', barcode: 'NHM-000124', shot: 'shot 3 (back)', path: filedPath });
    expect(linkLine({ ...base, link }, false)).toMatchObject({ state: 'linked', words: 'Linked to', shot: 'shot 3 (back) · not filed yet' });
    // Filed once under another name, since relinked and not moved yet: not where that move put it.
    expect(linkLine({ ...base, link, events: [filedEvent('/rig/Library/OLD/OLD_01.tif')] }, false).state).toBe('linked');
    const html = renderToStaticMarkup(createElement(CaptureView, { capture: { ...base, link, path: filedPath }, following: true, inboxes: [], onFollowLatest: () => undefined, ...noPreview, link: filed }));
    expect(html).toMatch(/data-testid="capture-link" title="\/rig\/Library\/NHM-000124\/NHM-000124_03\.tif">.*Filed under <strong class="capture__link-barcode mono">NHM-000124<\/strong> · shot 3 \(back\)/s);
  });

  it('says a rejected or undone shot was set aside, and where, before anything about its link or verdict', () => {
    const rejected = { ...base, link: { ...link, objectState: 'rejected' as const }, setAside: 'rejected' as const };
    expect(linkLine({ ...rejected, path: '/rig/Library/_rejected/NHM-000124/IMG_7.tif' }, false)).toMatchObject({
      state: 'rejected',
      icon: '✕',
      words: 'Rejected — set aside in',
      where: '_rejected/NHM-000124/IMG_7.tif',
      barcode: 'NHM-000124',
      shot: 'shot 3 (back)',
    });
    // A failed shot of a rejected object stays in the hot folder (failed shots are not filed).
    expect(linkLine(rejected, false)).toMatchObject({ state: 'rejected', words: 'Rejected — not filed', where: null });
    // Windows paths too.
    expect(linkLine({ ...base, setAside: 'reshoot', reshoot: true, path: 'D:\\Library\\_reshoot\\NHM-000124\\IMG_7.tif' }, false)).toMatchObject({
      state: 'reshoot',
      icon: '↻',
      words: 'Flagged to be shot again — in',
      where: '_reshoot/NHM-000124/IMG_7.tif',
      barcode: null,
    });
  });

  it('says why it is not linked: waiting for its barcode, flagged to be shot again, or just not linked', () => {
    expect(linkLine(base, true)).toMatchObject({ state: 'waiting', words: 'Not linked yet — waiting for its barcode: scan it', barcode: null });
    expect(linkLine({ ...base, reshoot: true }, false)).toMatchObject({ state: 'none', words: 'Not linked — flagged to be shot again' });
    expect(linkLine(base, false)).toMatchObject({ state: 'none', words: 'Not linked' });
    // Linking off: no line at all.
    expect(renderToStaticMarkup(createElement(CaptureView, { capture: base, following: true, inboxes: [], onFollowLatest: () => undefined, ...noPreview }))).not.toContain('capture-link');
  });
});

describe('what a scan did, under the scan field', () => {
  const undo = { kind: 'control' as const, code: '%%UNDO%%', sourceId: 'inbox', current: { barcode: 'B-1', shots: 1 }, closed: null, alarms: [], changed: true };

  it('UNDO of a shot says it was taken off; of a failed shot, that it was already off and what the next UNDO takes', () => {
    expect(scanAnswer({ ...undo, undone: { barcode: 'B-1', seq: 2, stem: 'b' } })).toBe('b taken off B-1 (shot 2), flagged for re-shoot.');
    const alreadyOff = 'shot 2 (broken) of B-1 was already off (it failed QC), so nothing more was taken off; another UNDO takes shot 1 (a) off';
    expect(scanAnswer({ ...undo, undone: { barcode: 'B-1', seq: 2, stem: 'broken', alreadyOff } })).toBe('Shot 2 (broken) of B-1 was already off (it failed QC), so nothing more was taken off; another UNDO takes shot 1 (a) off.');
  });
});
