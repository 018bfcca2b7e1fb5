/** A hot folder whose source id changed is refused at start while it still holds files recorded under the old id. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { StationError } from '../../src/errors.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const ingest = { stableWindowMs: 250, rescanIntervalSec: 0 };
const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function configure(home: string, sources: StationConfigInput['sources'], more: Omit<StationConfigInput, 'ingest' | 'sources'> = {}): void {
  const config: StationConfigInput = { ingest, sources, ...more };
  fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify(config));
}

/** Starts a station on `home`, lets it record until `total` captures exist (and `then` holds), and stops it. */
async function runUntil(home: string, total: number, then?: { what: string; holds: (station: Station) => boolean | Promise<boolean> }): Promise<void> {
  const station = new Station(loadConfig({ home }));
  try {
    await station.start();
    await waitFor(() => station.store.counts().total === total, `${total} captures recorded`);
    if (then) await waitFor(() => then.holds(station), then.what);
    await station.idle();
  } finally {
    await station.stop();
  }
}

function refusal(home: string): { field: string; problem: string }[] {
  try {
    new Station(loadConfig({ home }));
  } catch (err) {
    expect(err).toBeInstanceOf(StationError);
    expect((err as StationError).code).toBe('CONFIG_INVALID');
    expect((err as StationError).message).toContain(`${path.join(home, 'station.json')} has `);
    return ((err as StationError).details as { problems: { field: string; problem: string }[] }).problems;
  }
  throw new Error('expected the station to refuse the config');
}

/** A home whose source "cam" on `Cam` has recorded `files` files (a.tif, b.tif, …). */
async function recordedSource(files = 1): Promise<{ home: string; cam: string }> {
  const home = makeHome();
  homes.push(home);
  const cam = path.join(home, 'Cam');
  configure(home, [{ id: 'cam', path: 'Cam' }]);
  fs.mkdirSync(cam);
  for (let i = 0; i < files; i++) await writeGoodTiff(path.join(cam, `${String.fromCharCode(97 + i)}.tif`), i + 1);
  await runUntil(home, files);
  return { home, cam };
}

describe('renaming a source', () => {
  it('is refused while its folder holds files recorded under the old id; keeping the old id or emptying the folder starts', async () => {
    const home = makeHome();
    homes.push(home);
    const cam = path.join(home, 'Cam');
    const flat = path.join(home, 'Flat');
    configure(home, [
      { id: 'cam', path: 'Cam' },
      { id: 'flat', path: 'Flat' },
    ]);
    fs.mkdirSync(path.join(cam, 'day1'), { recursive: true });
    fs.mkdirSync(flat);
    await writeGoodTiff(path.join(cam, 'day1', 'a.tif'), 1);
    await writeGoodTiff(path.join(flat, 'b.tif'), 2);
    await runUntil(home, 2);

    configure(home, [
      { id: 'camera', path: 'Cam' },
      { id: 'flat', path: 'Flat' },
    ]);
    expect(refusal(home)).toEqual([
      {
        field: 'sources.0.id',
        problem: `the hot folder ${cam} was source "cam" and is now source "camera"; its 1 file already recorded as "cam" (e.g. day1/a.tif) would be taken again as new captures and uploaded again. Keep the id "cam" for this folder. To start a new source here on purpose, first move the files already recorded out of the folder`,
      },
    ]);
    // doctor reports the same refusal.
    const out = capture();
    expect(await main(['doctor', '--home', home], out)).toBe(1);
    expect(out.stdout).toContain(`[FAIL] sources.0.id: the hot folder ${cam} was source "cam" and is now source "camera"; its 1 file`);
    // Two sources that swapped folders: both refused.
    configure(home, [
      { id: 'cam', path: 'Flat' },
      { id: 'flat', path: 'Cam' },
    ]);
    expect(refusal(home).map((p) => [p.field, /was source "(\w+)"/.exec(p.problem)?.[1]])).toEqual([
      ['sources.0.id', 'flat'],
      ['sources.1.id', 'cam'],
    ]);

    // The refused start gave its lock back; the old ids start and take nothing again.
    configure(home, [
      { id: 'cam', path: 'Cam' },
      { id: 'flat', path: 'Flat' },
    ]);
    await writeGoodTiff(path.join(cam, 'c.tif'), 3);
    await runUntil(home, 3);

    // Recorded files moved out: a new source on the folder is a deliberate start, and takes only what arrives.
    fs.renameSync(cam, path.join(home, 'Cam-recorded'));
    fs.mkdirSync(cam);
    configure(home, [
      { id: 'camera', path: 'Cam' },
      { id: 'flat', path: 'Flat' },
    ]);
    await writeGoodTiff(path.join(cam, 'd.tif'), 4);
    await runUntil(home, 4);
  });

  it('is refused while its folder is missing or empty (a share not mounted) though captures were recorded from it; once started under the new id, it is not asked again', async () => {
    const { home, cam } = await recordedSource(2);
    const share = path.join(home, 'share');

    // The share is not mounted: the folder is gone, then an empty mount point.
    fs.renameSync(cam, share);
    configure(home, [{ id: 'camera', path: 'Cam' }]);
    const cannotCheck = (state: string) => ({
      field: 'sources.0.id',
      problem: `the hot folder ${cam} was source "cam" and is now source "camera"; the folder ${state} now, while 2 files recorded as "cam" should still be in it (the station neither filed nor removed them), so it cannot be checked for them (a network share or removable disk that is not mounted looks like this). Mount it and start again, or keep the id "cam" for this folder. If those files were moved out on purpose, save the first new file into it, then start`,
    });
    expect(refusal(home)).toEqual([cannotCheck('does not exist')]);
    fs.mkdirSync(path.join(cam, 'empty-subfolder'), { recursive: true });
    expect(refusal(home)).toEqual([cannotCheck('holds no file this source takes')]);
    // doctor says the same.
    const out = capture();
    expect(await main(['doctor', '--home', home], out)).toBe(1);
    expect(out.stdout).toContain(`[FAIL] sources.0.id: ${cannotCheck('holds no file this source takes').problem}`);

    // Mounted again: its recorded files are there, and the rename is refused for them.
    fs.rmSync(cam, { recursive: true });
    fs.renameSync(share, cam);
    expect(refusal(home).map((p) => p.problem)).toEqual([expect.stringContaining('its 2 files already recorded as "cam"')]);

    // On purpose: the recorded files moved out and a first new file saved. The new id starts and takes only it.
    fs.renameSync(cam, share);
    fs.mkdirSync(cam);
    await writeGoodTiff(path.join(cam, 'c.tif'), 3);
    await runUntil(home, 3);
    // Emptied later, the folder starts under the id it has already run under.
    fs.rmSync(path.join(cam, 'c.tif'));
    await runUntil(home, 3);
  });

  it('takes a new id on a hot folder the station emptied itself, by filing or by retention', async () => {
    // Filing: a linked capture moves into the library, and the hot folder is empty by design.
    const filing = makeHome();
    homes.push(filing);
    const linking = { linking: { enabled: true, template: '{barcode}/{seq:03}{ext}', barcode: { pattern: '[A-Z]' } } };
    configure(filing, [{ id: 'cam', path: 'Cam' }], linking);
    fs.mkdirSync(path.join(filing, 'Cam'));
    const station = new Station(loadConfig({ home: filing }));
    try {
      await station.start();
      station.linker.scan('A');
      await writeGoodTiff(path.join(filing, 'Cam', 'a.tif'), 1);
      await waitFor(() => station.store.counts().total === 1, 'a capture recorded');
      await waitFor(() => filesUnder(path.join(filing, 'Cam')).length === 0, 'the capture filed');
      await station.linker.settled();
    } finally {
      await station.stop();
    }
    expect(filesUnder(loadConfig({ home: filing }).locations.library)).toEqual(['A/001.tif']);
    configure(filing, [{ id: 'camera', path: 'Cam' }], linking);
    await runUntil(filing, 1);

    // Retention: every local file removed once the target verified it.
    const retention = makeHome();
    homes.push(retention);
    const uploads = { targets: [{ id: 'nas', kind: 'folder' as const, path: 'Share', mountCheck: false }], upload: { probeIntervalSec: 0.2 }, retention: { deleteLocal: true, keepDays: 0, checkIntervalSec: 1 } };
    configure(retention, [{ id: 'cam', path: 'Cam' }], uploads);
    fs.mkdirSync(path.join(retention, 'Cam'));
    fs.mkdirSync(path.join(retention, 'Share'));
    await writeGoodTiff(path.join(retention, 'Cam', 'a.tif'), 1);
    await runUntil(retention, 1, { what: 'the local file removed', holds: () => filesUnder(path.join(retention, 'Cam')).length === 0 });
    configure(retention, [{ id: 'camera', path: 'Cam' }], uploads);
    await runUntil(retention, 1);
  });

  it('counts only files the source would take: a mount point holding system files is still empty', async () => {
    const { home, cam } = await recordedSource();

    // The share is not mounted; its bare mount point holds what file browsers leave behind.
    fs.renameSync(cam, path.join(home, 'share'));
    fs.mkdirSync(path.join(cam, 'skipped'), { recursive: true });
    for (const name of ['.DS_Store', 'Thumbs.db', 'desktop.ini', 'skipped/x.tif']) fs.writeFileSync(path.join(cam, name), 'x');
    configure(home, [{ id: 'camera', path: 'Cam', ignore: ['skipped/**'] }]);
    expect(refusal(home).map((p) => p.problem)).toEqual([expect.stringContaining('; the folder holds no file this source takes now, while 1 file recorded as "cam" should still be in it')]);
    // A file the source does take is there: the folder is mounted and checked as it is.
    await writeGoodTiff(path.join(cam, 'c.tif'), 3);
    await runUntil(home, 2);
  });

  it('counts a start under the new id only when it came after the old id last recorded there', async () => {
    const { home, cam } = await recordedSource();
    /** The recorded files moved out of the folder, and `name` saved as the first new one. */
    const freshFolder = async (aside: string, name: string, seed: number) => {
      fs.renameSync(cam, path.join(home, aside));
      fs.mkdirSync(cam);
      await writeGoodTiff(path.join(cam, name), seed);
    };
    // cam → camera, on purpose.
    await freshFolder('aside1', 'b.tif', 2);
    configure(home, [{ id: 'camera', path: 'Cam' }]);
    await runUntil(home, 2);
    // Back to cam, on purpose: cam records again.
    await freshFolder('aside2', 'c.tif', 3);
    configure(home, [{ id: 'cam', path: 'Cam' }]);
    await runUntil(home, 3);
    // camera again while the share is not mounted: its earlier start does not cover c.tif.
    fs.renameSync(cam, path.join(home, 'share'));
    configure(home, [{ id: 'camera', path: 'Cam' }]);
    expect(refusal(home).map((p) => p.problem)).toEqual([expect.stringMatching(/was source "cam" and is now source "camera"; the folder does not exist now/)]);
    // Mounted, c.tif is found; moved out, camera starts and takes only what is new.
    fs.renameSync(path.join(home, 'share'), cam);
    expect(refusal(home).map((p) => p.problem)).toEqual([expect.stringContaining('its 1 file already recorded as "cam" (e.g. c.tif)')]);
    await freshFolder('aside3', 'd.tif', 4);
    await runUntil(home, 4);
    // That start came after cam's last capture: unmounted now, the folder starts under camera.
    fs.renameSync(cam, path.join(home, 'share'));
    await runUntil(home, 4);
  });

  it('walks the folder without following links, and compares folders by real path', async () => {
    const home = makeHome();
    homes.push(home);
    const cam = path.join(home, 'Cam');
    configure(home, [{ id: 'cam', path: 'Cam' }]);
    fs.mkdirSync(path.join(cam, 'day1'), { recursive: true });
    await writeGoodTiff(path.join(cam, 'day1', 'a.tif'), 1);
    await runUntil(home, 1);

    // Links to `..` (two of them: a following walk grows exponentially) and to `/` (a following walk covers the disk).
    fs.symlinkSync('..', path.join(cam, 'day1', 'up1'));
    fs.symlinkSync('..', path.join(cam, 'day1', 'up2'));
    fs.symlinkSync('/', path.join(cam, 'root'));
    configure(home, [{ id: 'camera', path: 'Cam' }]);
    expect(refusal(home).map((p) => p.problem)).toEqual([expect.stringMatching(/was source "cam" and is now source "camera"; its 1 file already recorded as "cam" \(e\.g\. day1\/a\.tif\)/)]);

    // The same folder reached through a link is the same hot folder.
    fs.symlinkSync(cam, path.join(home, 'CamLink'));
    configure(home, [{ id: 'camera', path: 'CamLink' }]);
    expect(refusal(home)).toEqual([{ field: 'sources.0.id', problem: expect.stringContaining(`the hot folder ${path.join(home, 'CamLink')} was source "cam" and is now source "camera"; its 1 file`) }]);
  });

  it('is refused when a folder in it cannot be listed: what it holds is unknown', async () => {
    const { home, cam } = await recordedSource();
    fs.renameSync(path.join(cam, 'a.tif'), path.join(home, 'a.tif'));
    // Folders whose full path is longer than the system allows cannot be listed, even by root
    // (ENAMETOOLONG): 17 levels of 250-character names, each renamed while the path to it is short
    // (deepest first, and back shallowest first, so the folders can be removed).
    const levels = 17;
    const short = Array.from({ length: levels }, (_, i) => `d${i}`);
    const long = short.map((name) => name.padEnd(250, 'x'));
    fs.mkdirSync(path.join(cam, ...short), { recursive: true });
    const rename = (from: string[], to: string[], order: number[]): void => {
      for (const i of order) fs.renameSync(path.join(cam, ...short.slice(0, i), from[i]!), path.join(cam, ...short.slice(0, i), to[i]!));
    };
    rename(short, long, short.map((_, i) => levels - 1 - i));
    try {
      // Emptied of its recorded file, the folder would start under a new id, were it not for the folder it cannot list.
      configure(home, [{ id: 'camera', path: 'Cam' }]);
      expect(refusal(home)).toEqual([{ field: 'sources.0.id', problem: expect.stringMatching(/was source "cam" and is now source "camera", and it could not be fully listed to check for files already recorded as "cam" \(.*ENAMETOOLONG.*\)/) }]);
    } finally {
      rename(long, short, short.map((_, i) => i));
    }
  });

  it('is refused by the Settings view before it is saved', async () => {
    const home = makeHome();
    homes.push(home);
    configure(home, [{ id: 'cam', path: 'Cam' }]);
    fs.mkdirSync(path.join(home, 'Cam'));
    await writeGoodTiff(path.join(home, 'Cam', 'a.tif'), 1);
    const station = new Station(loadConfig({ home }));
    try {
      await station.start();
      await waitFor(() => station.store.counts().total === 1, 'a capture recorded');
      const client = createLocalClient(createHandlers(station));
      const got = await client.getConfig({});
      if ('error' in got) throw new Error(got.error.message);
      const edited = structuredClone(got.result.config);
      edited.sources![0]!.id = 'camera';
      const before = fs.readFileSync(path.join(home, 'station.json'), 'utf8');
      const reply = await client.saveConfig({ config: edited, revision: got.result.revision });
      expect(reply).toEqual({ result: { saved: false, errors: { 'sources.0.id': expect.stringMatching(/^the hot folder .*Cam was source "cam" and is now source "camera"; its 1 file already recorded/) } } });
      expect(fs.readFileSync(path.join(home, 'station.json'), 'utf8')).toBe(before);
      // Any other edit saves as before.
      edited.sources![0]!.id = 'cam';
      edited.ingest.concurrency = 1;
      expect(await client.saveConfig({ config: edited, revision: got.result.revision })).toMatchObject({ result: { saved: true, changed: true } });
      // The folder gone (a share not mounted): it cannot be checked, and the rename is refused as at start.
      fs.renameSync(path.join(home, 'Cam'), path.join(home, 'share'));
      edited.sources![0]!.id = 'camera';
      expect(await client.checkConfig({ config: edited })).toEqual({
        result: { errors: { 'sources.0.id': expect.stringMatching(/was source "cam" and is now source "camera"; the folder does not exist now, while 1 file recorded as "cam" should still be in it \(the station neither filed nor removed it\), so it cannot be checked for it/) } },
      });
    } finally {
      await station.stop();
    }
  });
});
