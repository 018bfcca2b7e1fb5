/**
 * A running station linking to one-letter barcodes and filing as `{barcode}/{seq:03}{ext}`, driven
 * through the contract, for the link-edit tests. Call stopLinkingStations after each test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from './images.js';
import { makeHome, waitFor } from './station-home.js';

const homes: string[] = [];
const stations: Station[] = [];

export async function stopLinkingStations(): Promise<void> {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
}

/** `linking`: settings over the defaults (views, a template naming them, …). */
export async function linkingStation(linking: Record<string, unknown> = {}) {
  const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, template: '{barcode}/{seq:03}{ext}', barcode: { pattern: '[A-Z]' }, ...linking } });
  homes.push(home);
  const config = loadConfig({ home });
  const station = new Station(config);
  stations.push(station);
  await station.start();
  const client = createLocalClient(createHandlers(station));
  const inbox = path.join(home, 'Inbox');
  const id = (rel: string) => station.store.list({ limit: 100 }).find((c) => c.relPath === rel)!.id;
  /** Drops a good TIFF in the hot folder and waits until it is recorded and, if linked, filed. */
  const shoot = async (name: string, seed: number) => {
    const before = station.store.counts().total;
    await writeGoodTiff(path.join(inbox, name), seed);
    await waitFor(() => station.store.counts().total === before + 1, name);
    await station.linker.settled();
    return id(name);
  };
  return { station, client, library: config.locations.library, inbox, id, shoot };
}
