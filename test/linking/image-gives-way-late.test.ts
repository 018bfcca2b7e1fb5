/**
 * linkFromImage, checks finishing out of order (ingest.concurrency 2): the next sheet's second image
 * is checked before its first, so the object opened from an image gives way to the next sheet's
 * object with the second shot only. The first shot, whose image shows that same code once checked,
 * must follow with its RAW (numbered after the shots that object already has), not stay behind as a
 * barcode mismatch with its RAW filed under the object before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Quality from '../../src/quality/index.js';
import { labelled } from '../helpers/images.js';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { imageLinkStation, sheetCodes } from '../helpers/image-link-station.js';
import { corpus, filesUnder, waitFor } from '../helpers/station-home.js';

/** Files whose check is held until the test lets it finish, and what lets each finish. */
const held = new Map<string, Promise<void>>();
const release = new Map<string, () => void>();
vi.mock('../../src/quality/index.js', async (orig) => {
  const m = await orig<typeof Quality>();
  return {
    ...m,
    analyzeFile: async (...args: Parameters<typeof m.analyzeFile>) => {
      await held.get(path.basename(args[0]));
      return m.analyzeFile(...args);
    },
  };
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  // A check still held would keep the station from stopping.
  for (const go of release.values()) go();
  for (const fn of cleanup.splice(0).reverse()) await fn();
  held.clear();
  release.clear();
});

const { first, next, third } = sheetCodes;

/** `more`: config over this test's (upload targets…). */
async function start(more: Record<string, unknown> = {}) {
  // The upload target's folder (used only when a test configures it).
  const { home, station, inbox, library } = await imageLinkStation(cleanup, more, (h) => fs.mkdirSync(path.join(h, 'share')));
  const tmp = fs.mkdtempSync(path.join(home, 'tmp-'));
  /** Written aside, then renamed in: the watcher sees each file whole, in this order. */
  const put = async (name: string, write: (file: string) => Promise<void> | void) => {
    await write(path.join(tmp, name));
    fs.renameSync(path.join(tmp, name), path.join(inbox, name));
  };
  const raw = (name: string, extra: string) => put(name, (file) => fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef')), Buffer.from(extra)])));
  const linkOf = (name: string) => {
    const c = station.store.list({ limit: 100 }).find((x) => x.relPath === name)!;
    const l = station.linker.links.linkOf(c.id);
    return { link: l ? `${l.barcode}:${l.seq}` : null, verdict: c.verdict };
  };
  return { home, station, inbox, library, put, raw, linkOf };
}

type Started = Awaited<ReturnType<typeof start>>;

/**
 * S1 opens 017; S2 and S3 of the next sheet arrive in order, S2.tif (showing `s2code`) checked last
 * (`rawLast`: S2.NEF after it); `meanwhile` runs before the held checks finish.
 */
async function outOfOrder(s2code: string, { rawLast = false, more = {}, meanwhile }: { rawLast?: boolean; more?: Record<string, unknown>; meanwhile?: (s: Started) => Promise<void> } = {}) {
  // Two files held: a third check must still run for S3 (ingest.concurrency is 2 by default).
  const s = await start({ ...(rawLast ? { ingest: { stableWindowMs: 200, rescanIntervalSec: 0, concurrency: 3 } } : {}), ...more });
  await s.put('S1.tif', (file) => labelled(file, first, 1));
  await waitFor(() => s.station.store.counts().total === 1, 'S1 recorded');
  await s.station.linker.settled();
  for (const name of rawLast ? ['S2.tif', 'S2.NEF'] : ['S2.tif']) held.set(name, new Promise((resolve) => release.set(name, resolve)));
  await s.raw('S2.NEF', 'a');
  await s.put('S2.tif', (file) => labelled(file, s2code, 2));
  await new Promise((resolve) => setTimeout(resolve, 400));
  await s.raw('S3.NEF', 'b');
  await s.put('S3.tif', (file) => labelled(file, next, 3));
  await waitFor(() => s.station.store.counts().total === 5 - release.size, 'all but the held files recorded');
  await s.station.linker.settled();
  expect(s.linkOf('S3.tif').link).toBe(`${next}:1`);
  await meanwhile?.(s);
  for (const [name, go] of release) {
    const before = s.station.store.counts().total;
    go();
    await waitFor(() => s.station.store.counts().total === before + 1, `${name} recorded`);
    await s.station.linker.settled();
  }
  await new Promise((resolve) => setImmediate(resolve));
  await s.station.linker.settled();
  return s;
}

/** A folder target polled often, for the tests that follow the shot to the target. */
const withShare = { targets: [{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false, when: 'all' }], upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } } };

/** Both sheets' five files reach the target, S2's under the next object only. */
async function uploadedUnderNextOnly(s: Started) {
  const share = path.join(s.home, 'share');
  const sent = () => filesUnder(share).filter((f) => !path.basename(f).startsWith('.')).map((f) => path.basename(f)).sort().join(' ');
  const wanted = [`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`, `${next}_002.NEF`, `${next}_002.tif`].join(' ');
  await waitFor(() => s.station.uploader.status().targets[0]?.counts.done === 5 && sent() === wanted, 'all five uploaded, none under the object before');
  expect(sent()).toBe(wanted);
}

describe('the next sheet\'s first image checked after its second', () => {
  it('its whole shot follows to the next sheet\'s object, numbered after its shots, RAW filed again', async () => {
    const s = await outOfOrder(next);
    expect(s.linkOf('S2.tif')).toEqual({ link: `${next}:2`, verdict: expect.not.stringMatching(/fail/) });
    expect(s.linkOf('S2.NEF').link).toBe(`${next}:2`);
    expect(s.linkOf('S3.NEF').link).toBe(`${next}:1`);
    await waitFor(() => filesUnder(s.library).includes(`${next}_002.NEF`), 'S2.NEF filed under the next object');
    // A move's copy is in the library before its original goes from the hot folder.
    await s.station.linker.settled();
    expect(filesUnder(s.library).filter((f) => f.includes(`${first}_002`))).toEqual([]);
    expect(filesUnder(s.inbox)).toEqual([]);
    const nef = s.station.store.list({ limit: 100 }).find((c) => c.relPath === 'S2.NEF')!.id;
    expect(s.station.store.detail(nef)!.events).toContainEqual(expect.objectContaining({ type: 'capture.relinked', data: expect.objectContaining({ from: first, barcode: next, seq: 2, numberedAfter: true }) }));
  }, 40000);

  it('its RAW checked after it follows too', async () => {
    const s = await outOfOrder(next, { rawLast: true });
    expect(s.linkOf('S2.tif').link).toBe(`${next}:2`);
    expect(s.linkOf('S2.NEF').link).toBe(`${next}:2`);
    await waitFor(() => filesUnder(s.library).includes(`${next}_002.NEF`), 'S2.NEF filed under the next object');
    expect(filesUnder(s.library).filter((f) => f.includes(`${first}_002`))).toEqual([]);
  }, 40000);

  // S2.NEF may be sent under the object before while S2.tif is still being checked (nothing knew yet
  // it was the next sheet's): that copy is recorded stale and removed once it follows.
  it('with an upload target, the shot ends up at the target under the next object only', async () => {
    const s = await outOfOrder(next, { more: withShare });
    s.station.linker.scan('%%END%%');
    await uploadedUnderNextOnly(s);
  }, 40000);

  it('an image showing yet another code still fails as a mismatch on the object before', async () => {
    const s = await outOfOrder(third);
    expect(s.linkOf('S2.tif').verdict).toBe('fail');
    expect(s.linkOf('S2.tif').link).not.toBe(`${next}:2`);
  }, 40000);
});

describe('the next sheet\'s first image checked after its object closed', () => {
  const events = (s: Started, name: string) => s.station.store.detail(s.station.store.list({ limit: 100 }).find((c) => c.relPath === name)!.id)!.events;
  const closed = (s: Started) => Object.values(s.station.linker.current()).every((c) => c === null);

  /** Its whole shot joins the closed object late, RAW filed again under it, with events saying so. */
  async function joinedLate(s: Started, reason: string) {
    expect(s.linkOf('S2.tif')).toEqual({ link: `${next}:2`, verdict: expect.not.stringMatching(/fail/) });
    expect(s.linkOf('S2.NEF')).toEqual({ link: `${next}:2`, verdict: expect.not.stringMatching(/fail/) });
    await waitFor(() => filesUnder(s.library).includes(`${next}_002.NEF`) && filesUnder(s.library).includes(`${next}_002.tif`), 'S2 filed under the next object');
    // A move's copy is in the library before its original goes from the hot folder.
    await s.station.linker.settled();
    expect(filesUnder(s.library).filter((f) => f.includes(`${first}_002`))).toEqual([]);
    expect(filesUnder(s.inbox)).toEqual([]);
    expect(events(s, 'S2.NEF')).toContainEqual(expect.objectContaining({ type: 'capture.relinked', data: expect.objectContaining({ from: first, barcode: next, seq: 2, numberedAfter: true, closed: reason }) }));
    expect(events(s, 'S2.tif')).toContainEqual(expect.objectContaining({ type: 'capture.joined-late', data: { from: first, barcode: next, closed: reason } }));
  }

  it('END: its whole shot joins that object late, numbered after its shots, and is uploaded under it only', async () => {
    const s = await outOfOrder(next, {
      more: withShare,
      meanwhile: async (started) => {
        started.station.linker.scan('%%END%%');
        await started.station.linker.settled();
        expect(closed(started)).toBe(true);
      },
    });
    await joinedLate(s, 'end');
    await uploadedUnderNextOnly(s);
  }, 40000);

  it('idle timeout: the same', async () => {
    const s = await outOfOrder(next, { more: { linking: { idleTimeoutSec: 3 } }, meanwhile: (started) => waitFor(() => closed(started), 'the next object closed as idle') });
    await joinedLate(s, 'idle');
  }, 40000);

  it('REJECT: the shot cannot join a rejected object, so it is taken off the object before, RAW set aside for re-shoot, with an alarm naming both files', async () => {
    const s = await outOfOrder(next, {
      meanwhile: async (started) => {
        started.station.linker.scan('%%REJECT%%');
        await started.station.linker.settled();
      },
    });
    expect(s.linkOf('S2.tif').link).toBeNull();
    expect(s.linkOf('S2.NEF').link).toBeNull();
    await waitFor(() => filesUnder(s.library).some((f) => f.startsWith('_reshoot') && f.endsWith('S2.NEF')), 'S2.NEF set aside for re-shoot');
    expect(filesUnder(s.library).filter((f) => f.includes(`${first}_002`))).toEqual([]);
    const alarm = events(s, 'S2.NEF').find((e) => e.type === 'alarm');
    expect(alarm?.data).toEqual(expect.objectContaining({ message: expect.stringMatching(/S2\.tif shows .*was rejected.*S2\.NEF too/) }));
  }, 40000);
});

/**
 * S1.tif opens 017, S2.NEF joins it, and S2.tif (showing the next code) is still being checked when
 * the station stops (its check fails, so the next start finds it). `giveWay`: S3.tif, showing the next
 * code, made 017 give way before the stop. Then a new station on the same home records S2.tif.
 */
async function restartedBeforeS2tif({ giveWay }: { giveWay: boolean }) {
  const s = await start();
  await s.put('S1.tif', (file) => labelled(file, first, 1));
  await waitFor(() => s.station.store.counts().total === 1, 'S1 recorded');
  await s.station.linker.settled();
  held.set('S2.tif', new Promise((_, reject) => release.set('S2.tif', () => reject(new Error('the station is stopping')))));
  await s.raw('S2.NEF', 'a');
  await s.put('S2.tif', (file) => labelled(file, next, 2));
  await new Promise((resolve) => setTimeout(resolve, 400));
  if (giveWay) {
    await s.raw('S3.NEF', 'b');
    await s.put('S3.tif', (file) => labelled(file, next, 3));
  }
  const recorded = giveWay ? 4 : 2;
  await waitFor(() => s.station.store.counts().total === recorded, 'all but S2.tif recorded');
  await s.station.linker.settled();
  if (giveWay) expect(s.linkOf('S3.tif').link).toBe(`${next}:1`);
  expect(s.linkOf('S2.NEF').link).toBe(`${first}:2`);
  release.get('S2.tif')!();
  held.delete('S2.tif');
  await s.station.stop();

  const again = new Station(loadConfig({ home: s.home }));
  cleanup.push(() => again.stop());
  await again.start();
  await waitFor(() => again.store.counts().total === recorded + 1, 'S2.tif recorded after the restart');
  await new Promise((resolve) => setImmediate(resolve));
  await again.linker.settled();
  const id = (name: string) => again.store.list({ limit: 100 }).find((c) => c.relPath === name)!.id;
  return { s, again, id };
}

describe('a restart between the give-way and the first image\'s check', () => {
  // The give-way is remembered in memory only: after the restart S2.tif is a file written while
  // nobody watched, and opens the next sheet's object anew from its image. Its RAW must go with it.
  it('the RAW left under the object before joins its image\'s shot under the next sheet\'s object', async () => {
    const { s, again, id } = await restartedBeforeS2tif({ giveWay: true });
    const tif = again.linker.links.linkOf(id('S2.tif'))!;
    const nef = again.linker.links.linkOf(id('S2.NEF'))!;
    expect(`${tif.barcode}:${tif.seq}`).toBe(`${next}:2`);
    expect({ objectId: nef.objectId, seq: nef.seq }).toEqual({ objectId: tif.objectId, seq: tif.seq });
    await waitFor(() => filesUnder(s.library).includes(`${next}_002.NEF`), 'S2.NEF filed under the next object');
    expect(filesUnder(s.library).filter((f) => f.includes(`${first}_002`))).toEqual([]);
    expect(again.store.detail(id('S2.NEF'))!.events).toContainEqual(expect.objectContaining({ type: 'capture.relinked', data: expect.objectContaining({ from: first, barcode: next, seq: 2 }) }));
  }, 40000);

  it('a RAW linked apart from its image with no give-way to explain it is an alarm naming both files', async () => {
    const { again, id } = await restartedBeforeS2tif({ giveWay: false });
    const tif = again.linker.links.linkOf(id('S2.tif'))!;
    expect(`${tif.barcode}:${tif.seq}`).toBe(`${next}:1`);
    expect(again.linker.links.linkOf(id('S2.NEF'))!.barcode).toBe(first);
    for (const name of ['S2.tif', 'S2.NEF']) {
      const alarms = again.store.detail(id(name))!.events.filter((e) => e.type === 'alarm').map((e) => (e.data as { message: string }).message);
      expect(alarms).toContainEqual(expect.stringMatching(new RegExp(`^S2\\.tif and S2\\.NEF are one exposure .* S2\\.tif to ${next} as shot 1, S2\\.NEF to ${first} as shot 2\\. Relink`)));
    }
  }, 40000);
});
