/** End to end: a running station with a tus target (@tus/server + @tus/file-store); images dropped into the Inbox arrive complete. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome } from '../helpers/station-home.js';
import { sha256OfFile } from './fixture.js';
import { dropTwoAndUpload } from './station-drop.js';
import { startTus } from './tus-server.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('station with a tus target', () => {
  it('uploads every capture that did not fail, with its key and sha256 in the metadata and the same bytes on the server', async () => {
    const home = makeHome();
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const store = path.join(home, 'tus-store');
    fs.mkdirSync(store);
    const peer = await startTus(store);
    cleanup.push(() => peer.kill());
    fs.writeFileSync(
      path.join(home, 'station.json'),
      JSON.stringify({
        station: { id: 'rig1' },
        ingest: { stableWindowMs: 250, truncatedRetries: 1, truncatedRetryDelayMs: 300, rescanIntervalSec: 0, concurrency: 2 },
        targets: [{ id: 'tusd', kind: 'tus', endpoint: peer.endpoint, chunkSizeBytes: 256 * 1024 }],
        upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
      }),
    );
    const { station, inbox } = await dropTwoAndUpload(home, cleanup);

    // The file store keeps <id> (the bytes) and <id>.json (size, metadata) per upload.
    const infos = fs
      .readdirSync(store)
      .filter((n) => n.endsWith('.json'))
      .map((n) => ({ id: n.slice(0, -5), ...(JSON.parse(fs.readFileSync(path.join(store, n), 'utf8')) as { size: number; metadata: Record<string, string> }) }));
    expect(infos.map((i) => i.metadata.key).sort()).toEqual(['rig1/inbox/good-1.tif', 'rig1/inbox/good-2.tif']);
    for (const info of infos) {
      const local = path.join(inbox, info.metadata.filename!);
      expect(info.metadata.sha256).toBe(sha256OfFile(local));
      expect(sha256OfFile(path.join(store, info.id))).toBe(sha256OfFile(local));
      expect(info.metadata).not.toHaveProperty('barcode');
    }
    expect(station.uploader.status().targets).toMatchObject([{ id: 'tusd', kind: 'tus', online: true, counts: { queued: 0, leased: 0, done: 2, dead: 0 } }]);
  });
});
