/** A real station on `home` (its config already written) with two good TIFFs dropped into its Inbox, run until both are uploaded. */
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { waitFor } from '../helpers/station-home.js';

const droppedNames = ['good-1.tif', 'good-2.tif'] as const;

/** Stops the station through `cleanup` (the caller's afterEach list). */
export async function dropTwoAndUpload(home: string, cleanup: (() => Promise<void> | void)[]): Promise<{ station: Station; inbox: string }> {
  const station = new Station(loadConfig({ home }));
  let done = 0;
  station.on('upload.job', (e) => {
    if (e.type === 'done') done++;
  });
  await station.start();
  cleanup.push(() => station.stop());
  const inbox = path.join(home, 'Inbox');
  for (const [i, name] of droppedNames.entries()) await writeGoodTiff(path.join(inbox, name), i + 1);
  await waitFor(() => done === droppedNames.length, 'both uploads done', 60_000);
  return { station, inbox };
}
