/**
 * A station on a fresh home that opens objects from the barcodes in its images (linkFromImage), for
 * the give-way tests: project codes `BR` + 13 digits, files named `{barcode}_{seq:03}{ext}`. `more`
 * is config over that (upload targets…; its `linking` over the linking settings only); `prepare`
 * runs on the home before the config is loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { labelled } from './images.js';
import { corpus, makeHome, waitFor } from './station-home.js';

/** Three sheets' catalogue numbers, valid under the station's pattern. */
export const sheetCodes = { first: 'BR0000000000017', next: 'BR0000000000024', third: 'BR0000000000031' } as const;

export async function imageLinkStation(cleanup: (() => Promise<void> | void)[], { linking, ...more }: Record<string, unknown> = {}, prepare?: (home: string) => void) {
  // The synthetic label's white paper clips by design; exposure is not what these tests are about.
  const home = makeHome({
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, linkFromImage: true, barcode: { pattern: 'BR\\d{13}' }, template: '{barcode}_{seq:03}{ext}', ...(linking as object) },
    profiles: { default: { exposure: { severity: 'off' } } },
    ...more,
  });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  prepare?.(home);
  const config = loadConfig({ home });
  const station = new Station(config);
  cleanup.push(() => station.stop());
  await station.start();
  const inbox = path.join(home, 'Inbox');
  /** Writes `name` into the hot folder and returns its capture id once it is recorded and linking has settled. */
  const drop = async (name: string, write: (file: string) => Promise<void>) => {
    const before = station.store.counts().total;
    await write(path.join(inbox, name));
    await waitFor(() => station.store.counts().total === before + 1, `${name} recorded`);
    await new Promise((resolve) => setImmediate(resolve));
    await station.linker.settled();
    return station.store.list({ limit: 100 }).find((c) => c.relPath === name)!.id;
  };
  const sheet = (name: string, codes: string | string[], seed: number) => drop(name, (file) => labelled(file, codes, seed));
  /** A copy of file `from` (a real sheet from the corpus, say). */
  const copy = (name: string, from: string) => drop(name, async (file) => fs.copyFileSync(from, file));
  const raw = (name: string) => copy(name, path.join(corpus, 'raw/exiftool/Nikon.nef'));
  return { home, config, station, inbox, library: config.locations.library, sheet, raw, copy };
}
