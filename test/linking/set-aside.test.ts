/**
 * UNDO and REJECT take captures out of what is uploaded: an undone shot leaves the object's names
 * (set aside under _reshoot/, so the re-shoot takes its name), and neither it nor a rejected
 * object's captures are uploaded; export says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const homes: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

/** A station whose folder target is `share` (missing: the target is offline and jobs stay queued). */
async function start(opts: { shareExists: boolean }) {
  const home = makeHome();
  homes.push(home);
  const share = path.join(home, 'share');
  if (opts.shareExists) fs.mkdirSync(share);
  fs.writeFileSync(
    path.join(home, 'station.json'),
    JSON.stringify({
      station: { id: 'stand-1' },
      ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
      linking: { enabled: true, template: '{barcode}/{barcode}_{seq:03}{ext}' },
      targets: [{ id: 'nas', kind: 'folder', path: share, mountCheck: false }],
      upload: { probeIntervalSec: 1 },
    }),
  );
  const config = loadConfig({ home });
  const station = new Station(config);
  stations.push(station);
  await station.start();
  const library = config.locations.library;
  const inbox = path.join(home, 'Inbox');
  const shoot = async (name: string, seed: number, filedCount: number) => {
    await writeGoodTiff(path.join(inbox, name), seed);
    await waitFor(() => filesUnder(library).length === filedCount, `${name} filed`);
    await station.linker.settled();
    return station.store.list({ limit: 100 }).find((c) => c.relPath === name)!.id;
  };
  return { home, share, library, station, shoot, client: createLocalClient(createHandlers(station)) };
}

const uploaded = (share: string) => filesUnder(share).filter((f) => !path.basename(f).startsWith('.'));

function jobs(station: Station): { capture_id: number; state: string; last_error: string | null }[] {
  const store = openStore(station.config.locations.database);
  try {
    return store.db.prepare('SELECT capture_id, state, last_error FROM upload_jobs ORDER BY id').all() as { capture_id: number; state: string; last_error: string | null }[];
  } finally {
    store.close();
  }
}

async function exported(home: string): Promise<{ relPath: string; barcode: string | null; reshoot: boolean; objectState: string | null }[]> {
  const out = capture();
  expect(await main(['export', '--home', home], out)).toBe(0);
  return JSON.parse(out.stdout);
}

describe('UNDO and REJECT', () => {
  it('sets an undone filed shot aside, gives its name to the re-shoot, and uploads neither it nor a rejected object', async () => {
    const { home, share, library, station, shoot } = await start({ shareExists: true });
    station.linker.scan('T-1');
    await shoot('s1.tif', 1, 1);
    const undone = await shoot('s2.tif', 2, 2);
    expect(filesUnder(library)).toEqual(['T-1/T-1_001.tif', 'T-1/T-1_002.tif']);

    station.linker.scan('%%UNDO%%');
    await waitFor(() => filesUnder(library).includes('_reshoot/T-1/s2.tif'), 'undone shot set aside');
    // The move links the new name before it removes the old one: done once filing has settled.
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['T-1/T-1_001.tif', '_reshoot/T-1/s2.tif']);
    expect(station.store.get(undone)!.path).toBe(path.join(library, '_reshoot/T-1/s2.tif'));

    await shoot('s3.tif', 3, 3);
    expect(filesUnder(library)).toEqual(['T-1/T-1_001.tif', 'T-1/T-1_002.tif', '_reshoot/T-1/s2.tif']);
    station.linker.scan('G-1');
    await shoot('g1.tif', 4, 4);
    station.linker.scan('%%REJECT%%');

    await waitFor(() => uploaded(share).length === 2, 'the object uploaded');
    await station.stop();
    stations.splice(0);
    expect(uploaded(share)).toEqual(['stand-1/T-1/T-1_001.tif', 'stand-1/T-1/T-1_002.tif']);
    expect(jobs(station).map((j) => j.capture_id)).not.toContain(undone);
    expect(jobs(station)).toHaveLength(2);

    const rows = await exported(home);
    expect(rows.find((r) => r.relPath === 's2.tif')).toMatchObject({ barcode: null, reshoot: true, objectState: null });
    expect(rows.find((r) => r.relPath === 's3.tif')).toMatchObject({ barcode: 'T-1', reshoot: false, objectState: 'closed' });
    expect(rows.find((r) => r.relPath === 'g1.tif')).toMatchObject({ barcode: 'G-1', reshoot: false, objectState: 'rejected' });
  });

  it('withdraws a queued job when its capture is flagged for re-shoot, and queues it again when the flag is undone', async () => {
    const { station, shoot, client } = await start({ shareExists: false });
    station.linker.scan('K-1');
    const id = await shoot('k1.tif', 5, 1);
    station.linker.scan('%%END%%');
    await waitFor(() => jobs(station).some((j) => j.capture_id === id && j.state === 'queued'), 'queued while the target is offline');

    await client.setReshoot({ captureId: id, reshoot: true });
    expect(jobs(station)).toEqual([{ capture_id: id, state: 'dead', last_error: `Withdrawn: capture ${id} is flagged for re-shoot; it is not uploaded.` }]);

    await client.undoLinkEdit({});
    expect(jobs(station)).toEqual([{ capture_id: id, state: 'queued', last_error: null }]);
  });
});
