/**
 * startSession / endSession / listCaptures search through the contract (validated at the boundary)
 * in a running station: captures take the open session, and the library names take its operator
 * and project (the config's when no session is open).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { createLocalClient } from '../../src/contract/client.js';
import type { StationEvents } from '../../src/contract/events.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const running: { station: Station; home: string }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.station.stop();
    fs.rmSync(r.home, { recursive: true, force: true });
  }
});

async function start() {
  const home = makeHome({
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, imageBarcodes: false, operator: 'config-op', project: 'config-project', projects: ['Herbarium', 'Insects'], template: '{operator}/{project}/{barcode}_{seq:03}{ext}' },
  });
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  running.push({ station, home });
  const events: [string, unknown][] = [];
  station.onAny((event, payload) => {
    if (event.startsWith('session.')) events.push([event, (payload as StationEvents['session.started']).session.operator]);
  });
  return { home, station, client: createLocalClient(createHandlers(station)), events, library: config.locations.library, inbox: path.join(home, 'Inbox') };
}

const errorOf = (r: { error?: { code: string; message: string } } | object) => ('error' in r ? r.error : null);

describe('operator sessions through the contract', () => {
  it('refuses a missing or malformed operator and a project outside the list, saying what is wrong', async () => {
    const { client, station } = await start();
    expect(errorOf(await client.startSession({ operator: '   ', project: 'Herbarium' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/operator: the operator is required/) });
    expect(errorOf(await client.startSession({ operator: 'Ana\nBen', project: 'Herbarium' }))?.message).toMatch(/operator: The operator must not contain control characters/);
    expect(errorOf(await client.startSession({ operator: 'x'.repeat(101), project: 'Herbarium' }))?.message).toMatch(/operator: Too big/i);
    expect(errorOf(await client.startSession({ operator: 'Ana', project: 'Birds' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/"Birds" is not one of this station's projects/) });
    expect(errorOf(await client.startSession({ operator: 'Ana' } as never))?.message).toMatch(/Choose a project/);
    expect(errorOf(await client.endSession({}))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/No session is open/) });
    expect(station.status().session).toBeNull();
  });

  it('names the files by the session that shot them, falls back to the config without one, and shows the session in status', async () => {
    const { home, client, station, events, library, inbox } = await start();
    const started = await client.startSession({ operator: '  Ana Lima ', project: 'Herbarium' });
    expect(started).toMatchObject({ result: { operator: 'Ana Lima', project: 'Herbarium', endedAt: null } });
    const status = await client.status({});
    expect('result' in status && status.result.session?.operator).toBe('Ana Lima');
    expect('result' in status && status.result.sessionChoices).toEqual({ projects: ['Herbarium', 'Insects'], operators: ['Ana Lima'], lastProject: 'Herbarium' });

    await client.scanBarcode({ code: 'NHM-1' });
    await writeGoodTiff(path.join(inbox, 'a.tif'), 1);
    await waitFor(() => filesUnder(library).length === 1, 'a filed');
    // A handover without "end session": the open one ends, the next starts.
    await client.startSession({ operator: 'Ben', project: 'Insects' });
    await client.scanBarcode({ code: 'NHM-2' });
    await writeGoodTiff(path.join(inbox, 'b.tif'), 2);
    await waitFor(() => filesUnder(library).length === 2, 'b filed');
    expect((await client.endSession({})) as object).toMatchObject({ result: { operator: 'Ben', endedAt: expect.any(String) } });
    await client.scanBarcode({ code: 'NHM-3' });
    await writeGoodTiff(path.join(inbox, 'c.tif'), 3);
    await waitFor(() => filesUnder(library).length === 3, 'c filed');

    expect(filesUnder(library).sort()).toEqual(['Ana_Lima/Herbarium/NHM-1_001.tif', 'Ben/Insects/NHM-2_001.tif', 'config-op/config-project/NHM-3_001.tif']);
    expect(events).toEqual([
      ['session.started', 'Ana Lima'],
      ['session.ended', 'Ana Lima'],
      ['session.started', 'Ben'],
      ['session.ended', 'Ben'],
    ]);
    const list = await client.listCaptures({ barcode: 'NHM-2' });
    const found = 'result' in list ? list.result : [];
    expect(found.map((c) => c.relPath)).toEqual(['b.tif']);
    const detail = await client.getCapture({ id: found[0]!.id });
    expect('result' in detail && [detail.result.session?.operator, detail.result.link?.barcode]).toEqual(['Ben', 'NHM-2']);
    expect(station.status().session).toBeNull();

    // The export says who shot each capture for which project: what its name was made from.
    const out = capture();
    expect(await main(['export', '--home', home], out)).toBe(0);
    const rows = JSON.parse(out.stdout) as { relPath: string; operator: string | null; project: string | null }[];
    expect(rows.map((r) => [r.relPath, r.operator, r.project])).toEqual([
      ['a.tif', 'Ana Lima', 'Herbarium'],
      ['b.tif', 'Ben', 'Insects'],
      ['c.tif', 'config-op', 'config-project'],
    ]);
  });

  it('validates the search arguments of listCaptures', async () => {
    const { client } = await start();
    expect(errorOf(await client.listCaptures({ from: '2026-11-25' }))?.message).toMatch(/from: a date and time with its UTC offset/);
    expect(errorOf(await client.listCaptures({ from: '2026-11-25T10:00:00Z', to: '2026-11-25T09:00:00Z' }))?.message).toMatch(/to: "to" must be later than "from"/);
    expect(errorOf(await client.listCaptures({ barcode: '  ' }))?.message).toMatch(/barcode/);
    expect(errorOf(await client.listCaptures({ barcode: 'X', barcodeMatch: 'fuzzy' as never }))?.message).toMatch(/barcodeMatch/);
    // An offset is converted to the UTC the store compares with.
    expect(await client.listCaptures({ from: '2026-11-25T00:00:00+01:00', to: '2026-11-26T00:00:00+01:00' })).toEqual({ result: [] });
  });
});
