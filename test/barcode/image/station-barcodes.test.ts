/**
 * Barcodes in captures, end to end: stored with the capture, shown by `check --json`, the
 * "barcodeMismatch" QC check against the open object, and an object opened from the image itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { addLogSink, formatLogLine } from '../../../src/log/logger.js';
import { main } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/load.js';
import type { StationConfigInput } from '../../../src/config/schema.js';
import { Station } from '../../../src/station/station.js';
import { labelled } from '../../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../../helpers/station-home.js';
import { capture } from '../../helpers/output.js';


const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function startStation(linking: StationConfigInput['linking'], more: Omit<StationConfigInput, 'linking'> = {}) {
  const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, ...linking }, ...more });
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  cleanup.push(async () => {
    await station.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });
  return { station, inbox: path.join(home, 'Inbox'), library: config.locations.library };
}

const rules = { pattern: 'BR\\d{13}' };

describe('barcodes in captures', () => {
  it('check --json lists the barcodes of each file; nothing linked, so no mismatch is judged', async () => {
    const home = makeHome();
    cleanup.push(async () => fs.rmSync(home, { recursive: true, force: true }));
    const file = path.join(home, 'sheet.tif');
    await labelled(file, 'BR0000013087944', 1);
    const out = capture();
    await main(['check', file, '--json', '--home', home], out);
    const [report] = JSON.parse(out.stdout) as { barcodes: unknown; checks: { check: string; status: string }[] }[];
    // `valid`: passes the project's rules; the default config has none, so any code does.
    expect(report!.barcodes).toEqual([{ format: 'Code128', text: 'BR0000013087944', valid: true }]);
    expect(report!.checks.find((c) => c.check === 'barcodeMismatch')?.status).toBe('skip');
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ linking: { barcode: { pattern: 'NMNH-\\d{8}' } } }));
    const other = capture();
    await main(['check', file, '--json', '--home', home], other);
    expect((JSON.parse(other.stdout) as { barcodes: unknown }[])[0]!.barcodes).toEqual([{ format: 'Code128', text: 'BR0000013087944', valid: false }]);
  });

  it('check --json reads only the symbologies linking.imageFormats lists', async () => {
    const home = makeHome();
    cleanup.push(async () => fs.rmSync(home, { recursive: true, force: true }));
    const file = path.join(home, 'sheet.tif');
    await labelled(file, 'BR0000013087944', 6, 'QRCode');
    const barcodes = async () => {
      const out = capture();
      await main(['check', file, '--json', '--home', home], out);
      return (JSON.parse(out.stdout) as { barcodes: unknown }[])[0]!.barcodes;
    };
    expect(await barcodes()).toEqual([{ format: 'QRCode', text: 'BR0000013087944', valid: true }]);
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ linking: { imageFormats: ['Code128', 'EAN13'] } }));
    expect(await barcodes()).toEqual([]);
  });

  it('fails a capture whose visible barcode is another object than the one scanned, and passes the right one', async () => {
    const s = await startStation({ barcode: rules });
    s.station.linker.scan('BR0000013087944');
    await labelled(path.join(s.inbox, 'IMG_0001.tif'), 'BR0000019933597', 2);
    await labelled(path.join(s.inbox, 'IMG_0002.tif'), 'BR0000013087944', 3);
    await waitFor(() => s.station.store.counts().total === 2, 'both captures recorded');
    // By name: the two may be recorded in either order.
    const byName = (name: string) => s.station.store.list().find((c) => c.relPath === name)!;
    const [first, second] = [byName('IMG_0001.tif'), byName('IMG_0002.tif')];
    const mismatch = s.station.store.results(first!.id).find((r) => r.check === 'barcodeMismatch')!;
    expect(mismatch.status).toBe('fail');
    expect(mismatch.message).toMatch(/reads BR0000019933597, but this capture was taken for object BR0000013087944/);
    expect(first!.verdict).toBe('fail');
    expect(s.station.store.barcodes(first!.id)).toEqual([{ format: 'Code128', text: 'BR0000019933597', valid: true }]);
    expect(s.station.store.results(second!.id).find((r) => r.check === 'barcodeMismatch')!.status).toBe('pass');
  });

  it('with no object open, links the capture to the one valid barcode in its image', async () => {
    // The label's white paper clips by design, and a failed capture is never linked (session.ts).
    const s = await startStation({ barcode: rules }, { profiles: { default: { exposure: { severity: 'off' } } } });
    await labelled(path.join(s.inbox, 'IMG_0001.tif'), 'BR0000019933597', 4);
    await waitFor(() => s.station.linker.links.linkOf(s.station.store.list()[0]?.id ?? -1) !== null, 'capture linked');
    expect(s.station.linker.current()).toEqual({ inbox: { barcode: 'BR0000019933597', shots: 1 } });
    // QC ran with no object open; the link made while recording judges the mismatch against it.
    const id = s.station.store.list()[0]!.id;
    expect(s.station.store.results(id).find((r) => r.check === 'barcodeMismatch')).toMatchObject({ status: 'pass', value: { linked: 'BR0000019933597' } });
  });

  it('does not open an object from an image when linkFromImage is off', async () => {
    const s = await startStation({ barcode: rules, linkFromImage: false });
    await labelled(path.join(s.inbox, 'IMG_0001.tif'), 'BR0000019933597', 5);
    await waitFor(() => s.station.store.counts().total === 1, 'capture recorded');
    expect(s.station.linker.current()).toEqual({ inbox: null });
    expect(s.station.store.barcodes(s.station.store.list()[0]!.id)).toHaveLength(1);
  });

  it('does not see a code in a symbology linking.imageFormats leaves out: it neither opens an object nor is stored', async () => {
    const s = await startStation({ barcode: rules, imageFormats: ['QRCode', 'DataMatrix'] }, { profiles: { default: { exposure: { severity: 'off' } } } });
    await labelled(path.join(s.inbox, 'IMG_0001.tif'), 'BR0000019933597', 4);
    await waitFor(() => s.station.store.counts().total === 1, 'capture recorded');
    const id = s.station.store.list()[0]!.id;
    expect(s.station.store.barcodes(id)).toEqual([]);
    expect(s.station.linker.current()).toEqual({ inbox: null });
    expect(s.station.store.results(id).find((r) => r.check === 'barcodeMismatch')?.status).toBe('skip');
  });

  it('judges the mismatch again when the link comes later, is edited, and the edit undone', async () => {
    // The label's white paper clips by design; exposure is not what this test is about.
    const s = await startStation({ barcode: rules, mode: 'scan-after-capture', template: '{barcode}_{seq:02}{ext}' }, { profiles: { default: { exposure: { severity: 'off' } } } });
    const rechecked: { id: number; verdict: string }[] = [];
    s.station.on('capture.rechecked', ({ capture: c }) => rechecked.push({ id: c.id, verdict: c.verdict }));
    const mismatch = (id: number) => s.station.store.results(id).find((r) => r.check === 'barcodeMismatch')!;
    await labelled(path.join(s.inbox, 'IMG_0001.tif'), 'BR0000019933597', 6);
    await waitFor(() => s.station.store.counts().total === 1, 'capture recorded');
    const id = s.station.store.list()[0]!.id;
    // Shot first, scanned after: QC had no object to compare with.
    expect(mismatch(id)).toMatchObject({ status: 'skip', message: 'Not checked: the capture is not linked to an object.' });
    expect(s.station.store.results(id).filter((r) => r.status === 'fail')).toEqual([]);
    expect(s.station.store.get(id)!.verdict).toBe('pass');

    const lines: string[] = [];
    onTestFinished(addLogSink((r) => lines.push(formatLogLine(r))));
    // A headless station must say so with the scan (ALARM) and in its log (a FAIL line, as for a recorded capture).
    const outcome = s.station.linker.scan('BR0000013087944');
    expect(outcome.alarms).toEqual([expect.stringMatching(/^IMG_0001\.tif now FAILS QC: barcodeMismatch: .*BR0000019933597.*re-shoot\. It is not linked to BR0000013087944, takes no number or view and is flagged for re-shoot: relink it to the barcode it shows, or re-shoot it\.$/)]);
    // The scan did not link it: it gave no shot to the object it contradicts.
    expect(outcome.closed).toEqual({ barcode: 'BR0000013087944', shots: 0, reason: 'end' });
    expect(s.station.linker.links.linkOf(id)).toBeNull();
    expect(s.station.store.detail(id)!.reshoot).toBe(true);
    expect(mismatch(id)).toMatchObject({ status: 'fail', value: { inImage: ['BR0000019933597'], linked: 'BR0000013087944' } });
    expect(s.station.store.get(id)!.verdict).toBe('fail');
    await s.station.linker.settled();
    expect(rechecked).toEqual([{ id, verdict: 'fail' }]);
    expect(lines).toContainEqual(expect.stringMatching(/ ERROR \[linking\] checked again after its link changed: FAIL inbox\/IMG_0001\.tif .*barcodeMismatch: /));
    // A mismatch is not filed: it stays in the hot folder.
    expect(filesUnder(s.library)).toEqual([]);

    await s.station.linker.editor.relinkCaptures([id], 'BR0000019933597');
    expect(mismatch(id)).toMatchObject({ status: 'pass', value: { inImage: ['BR0000019933597'], linked: 'BR0000019933597' } });
    expect(s.station.store.get(id)!.verdict).toBe('pass');
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['BR0000019933597_01.tif']);

    // Undone, it is as the scan left it: not linked, flagged for re-shoot, back in the hot folder.
    await s.station.linker.editor.undoLast();
    expect(s.station.linker.links.linkOf(id)).toBeNull();
    expect(s.station.store.detail(id)!.reshoot).toBe(true);
    await s.station.linker.settled();
    expect(fs.existsSync(path.join(s.inbox, 'IMG_0001.tif'))).toBe(true);
    expect(rechecked.slice(0, 2)).toEqual([
      { id, verdict: 'fail' },
      { id, verdict: 'pass' },
    ]);
    const events = s.station.store.detail(id)!.events.filter((e) => e.type === 'capture.rechecked').map((e) => (e.data as { status: string }).status);
    expect(events.slice(0, 2)).toEqual(['fail', 'pass']);
  });
});
