/**
 * Undoing the first link of a capture shot with no object open puts its file back where it was
 * found, as a put-back after a give-way does: never over a different file that took its name there,
 * never into a folder no source watches any more; then it is set aside in _unlinked/, with an alarm,
 * and its event says where it went.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder } from '../helpers/station-home.js';

const stopped: Station[] = [];
afterEach(async () => {
  for (const s of stopped.splice(0)) await s.stop();
  await stopLinkingStations();
});

/** A capture shot with no object open, then linked to K by an edit (filed as K/001.tif). */
async function linkedStray() {
  const s = await linkingStation();
  const stray = await s.shoot('x1.tif', 1);
  await s.client.relinkCaptures({ captureIds: [stray], barcode: 'K' });
  await s.station.linker.settled();
  expect(filesUnder(s.library)).toEqual(['K/001.tif']);
  return { ...s, stray };
}

/** The capture's last `capture.filed` event's `unfiled` words, and the messages of its alarms. */
function told(station: Station, captureId: number) {
  const events = station.store.detail(captureId)!.events;
  return {
    unfiled: (events.findLast((e) => e.type === 'capture.filed')!.data as { unfiled?: string }).unfiled,
    alarms: events.filter((e) => e.type === 'alarm').map((e) => (e.data as { message: string }).message),
  };
}

describe('undoing a first link', () => {
  it('a different file with its name in the hot folder now: set aside in _unlinked with an alarm, not refused', async () => {
    const { station, client, library, inbox, stray, shoot } = await linkedStray();
    // A new shot under the same name, taken with no object open.
    const other = await shoot('x1.tif', 2);
    expect(other).not.toBe(stray);

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'link', captureIds: [stray], message: 'Undid "link x1.tif → K": x1.tif is not linked, set aside in _unlinked as it could not go back where it was found (its alarm says why).' } });
    expect(station.linker.links.linkOf(stray)).toBeNull();
    const aside = path.join(library, '_unlinked', 'inbox', 'x1.tif');
    expect(station.store.get(stray)!.path).toBe(aside);
    expect(filesUnder(library)).toEqual(['_unlinked/inbox/x1.tif']);
    expect(filesUnder(inbox)).toEqual(['x1.tif']);
    expect(station.store.get(other)!.path).toBe(path.join(inbox, 'x1.tif'));
    const { unfiled, alarms } = told(station, stray);
    expect(unfiled).toMatch(/^set aside in _unlinked: a different file has its name in the hot folder; not linked$/);
    expect(alarms).toEqual([expect.stringMatching(/^x1\.tif could not go back to the hot folder, as a different file has its name there now: it was set aside in the library at _unlinked\/inbox\/x1\.tif, not linked/)]);
  });

  it('its source no longer configured: set aside in _unlinked with an alarm, not put in the folder nobody watches', async () => {
    const { station, library, inbox, stray } = await linkedStray();
    await station.stop();
    // The camera now writes elsewhere, under another source.
    const home = path.dirname(inbox);
    const file = path.join(home, 'station.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), sources: [{ id: 'cam2', path: 'Cam2' }] }));
    fs.mkdirSync(path.join(home, 'Cam2'));
    const again = new Station(loadConfig({ home }));
    stopped.push(again);
    await again.start();
    const client = createLocalClient(createHandlers(again));

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'link', captureIds: [stray] } });
    await again.linker.settled();
    expect(again.store.get(stray)!.path).toBe(path.join(library, '_unlinked', 'inbox', 'x1.tif'));
    expect(filesUnder(inbox)).toEqual([]);
    const { unfiled, alarms } = told(again, stray);
    expect(unfiled).toBe('set aside in _unlinked: its source "inbox" is no longer configured; not linked');
    expect(alarms).toEqual([expect.stringMatching(/^x1\.tif could not go back to the hot folder, as its source "inbox" is no longer configured: it was set aside/)]);
  });
});

/**
 * The state a crash leaves mid put-back, as the filing tests make it: the link is gone (committed),
 * the move to `to` is journaled and has not run. Then a new station on the same home.
 */
async function crashedPutBack(to: (s: { library: string; inbox: string }) => string, takenMeanwhile: boolean) {
  const s = await linkedStray();
  if (takenMeanwhile) await s.shoot('x1.tif', 2);
  const { links } = s.station.linker;
  links.removeLink(s.stray);
  links.planMove(s.stray, path.join(s.library, 'K', '001.tif'), to(s));
  await s.station.stop();
  const again = new Station(loadConfig({ home: path.dirname(s.inbox) }));
  stopped.push(again);
  await again.start();
  await again.linker.settled();
  return { ...s, again };
}

describe('a put-back cut short by a crash', () => {
  it('bound for _unlinked: finished as a put-back there, with its alarm, and its name there kept', async () => {
    const { again, library, inbox, stray } = await crashedPutBack(({ library }) => path.join(library, '_unlinked', 'inbox', 'x1.tif'), true);
    expect(again.store.get(stray)!.path).toBe(path.join(library, '_unlinked', 'inbox', 'x1.tif'));
    expect(filesUnder(library)).toEqual(['_unlinked/inbox/x1.tif']);
    expect(filesUnder(inbox)).toEqual(['x1.tif']);
    expect(again.linker.links.move(stray)).toBeNull();
    expect(again.linker.links.lastUnfiledTo(stray)).toBe(path.join(library, '_unlinked', 'inbox', 'x1.tif'));
    const { unfiled, alarms } = told(again, stray);
    expect(unfiled).toBe('set aside in _unlinked: a different file has its name in the hot folder; not linked');
    expect(alarms).toEqual([expect.stringMatching(/^x1\.tif could not go back to the hot folder, as a different file has its name there now: it was set aside in the library at _unlinked\/inbox\/x1\.tif/)]);
  });

  it('bound for the hot folder: finished as a put-back, not a filing', async () => {
    const { again, library, inbox, stray } = await crashedPutBack(({ inbox }) => path.join(inbox, 'x1.tif'), false);
    expect(again.store.get(stray)!.path).toBe(path.join(inbox, 'x1.tif'));
    expect(filesUnder(library)).toEqual([]);
    expect(again.linker.links.move(stray)).toBeNull();
    expect(again.linker.links.lastUnfiledTo(stray)).toBe(path.join(inbox, 'x1.tif'));
    expect(told(again, stray)).toEqual({ unfiled: 'put back in the hot folder, not linked', alarms: [] });
  });
});

