/**
 * A real herbarium sheet carrying three specimens, each with its own label (NHM, gouda corpus:
 * BM001128286, -287, -288). The barcode search stops once it has what the station decides from
 * (protocol.ts, SearchGoal): whatever it stopped at, the sheet is never linked to one specimen's code
 * picked by reading order, and a code it did not read is looked for before the sheet is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import { imageLinkStation } from '../helpers/image-link-station.js';
import { corpus, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const gouda = path.join(corpus, 'museum/gouda/BM001128287.jpg');
const specimens = ['BM001128286', 'BM001128287', 'BM001128288'];

async function start(linking: Record<string, unknown>) {
  const s = await imageLinkStation(cleanup, { linking: { barcode: { pattern: 'BM\\d{9}' }, ...linking } });
  const read = (id: number) => [...new Set(s.station.store.barcodes(id).filter((b) => b.valid).map((b) => b.text))].sort();
  return { ...s, client: createLocalClient(createHandlers(s.station)), read };
}

describe('a sheet of several specimens', () => {
  it('opens no object from its image (linkFromImage): the search reads on past the first label and finds it is not the only one', async () => {
    const s = await start({ linkFromImage: true });
    const id = await s.copy('sheet.jpg', gouda);
    expect(s.read(id).length).toBeGreaterThanOrEqual(2);
    expect(s.station.linker.links.linkOf(id)).toBeNull();
    expect(s.station.linker.current().inbox).toBeNull();
  });

  it('scanned for one specimen, stops at its label, and is read again when a relink names another it did not read', async () => {
    const s = await start({ linkFromImage: false });
    // The search stops at the scanned specimen's label: find one whose search left another unread.
    let id = 0;
    let unread: string | undefined;
    for (const [i, code] of specimens.entries()) {
      s.station.linker.scan(code);
      id = await s.copy(`sheet${i}.jpg`, gouda);
      expect(s.station.store.detail(id)!.results.find((r) => r.check === 'barcodeMismatch')?.status).toBe('pass');
      unread = specimens.find((other) => !s.read(id).includes(other));
      if (unread) break;
    }
    expect(unread, 'a search that stopped before every label').toBeDefined();
    expect(s.station.store.barcodesComplete(id)).toBe(false);
    s.station.linker.scan('%%END%%');
    // The technician scanned the wrong specimen's label: relinking to the right one is not refused
    // for a label the first search never reached.
    expect(await s.client.relinkCaptures({ captureIds: [id], barcode: unread! })).toMatchObject({ result: { kind: 'link' } });
    expect(s.station.linker.links.linkOf(id)).toMatchObject({ barcode: unread });
    expect(s.read(id)).toContain(unread);
    expect(s.station.store.detail(id)!.results.find((r) => r.check === 'barcodeMismatch')?.status).toBe('pass');
    // A code on no label of the sheet is still refused, now that every region has been read.
    const refused = await s.client.relinkCaptures({ captureIds: [id], barcode: 'BM000000001' });
    expect(refused).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(s.station.store.barcodesComplete(id)).toBe(true);
    expect(s.read(id)).toEqual(specimens);
  });

  it('is not read again once the file at its path is another version: the relink is refused on what was read, and nothing is stored', async () => {
    const s = await start({ linkFromImage: false });
    s.station.linker.scan('BM001128288');
    const id = await s.copy('sheet.jpg', gouda);
    s.station.linker.scan('%%END%%');
    await s.station.linker.settled();
    const before = s.read(id);
    expect(s.station.store.barcodesComplete(id)).toBe(false);
    const other = specimens.find((c) => !before.includes(c))!;
    // Another file now stands where the capture was filed (same name, other bytes).
    fs.copyFileSync(path.join(corpus, 'museum/dissco/meise/BR0000019933597.jpg'), s.station.store.get(id)!.path);
    const refused = await s.client.relinkCaptures({ captureIds: [id], barcode: other });
    expect(refused).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(`its image shows ${before.join(' and ')}`) } });
    expect(s.read(id)).toEqual(before);
    expect(s.station.store.barcodesComplete(id)).toBe(false);
  });

  // One station each: the same file shot again would fail as a duplicate.
  for (const code of specimens) {
    it(`shot before its scan (scan-after-capture), is linked to ${code} scanned after it, read again when its search stopped at another label`, async () => {
      const s = await start({ linkFromImage: false, mode: 'scan-after-capture' });
      const alarms: string[] = [];
      s.station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
      const id = await s.copy('after.jpg', gouda);
      // Waiting for its scan, the shot is searched as fast as any: up to its first label.
      const first = s.read(id);
      expect(first).toHaveLength(1);
      s.station.linker.scan(code);
      await waitFor(() => s.station.linker.links.linkOf(id)?.barcode === code, `${code} linked`);
      await s.station.linker.settled();
      expect(s.read(id)).toContain(code);
      expect(s.station.store.detail(id)).toMatchObject({ verdict: 'pass', reshoot: false });
      expect(s.station.linker.links.linkOf(id)).toMatchObject({ barcode: code, seq: 1 });
      if (first[0] !== code) expect(alarms.join('\n')).toMatch(new RegExp(`the rest of the image is being read for ${code}[^]*read again, the image shows ${code} after all; linked to ${code} as shot 1`));
    });
  }
});
