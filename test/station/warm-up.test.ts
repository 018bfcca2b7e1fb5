/**
 * The warm-up a running station does when it starts: a small JPEG checked as a capture is (QC and the
 * barcode search side by side, from one shared decode), nothing recorded, the file removed.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { firstCode, type SearchGoal } from '../../src/barcode/image/protocol.js';
import { loadConfig } from '../../src/config/load.js';
import { stationConfigSchema } from '../../src/config/schema.js';
import type { SharedJpegDecode } from '../../src/quality/shared-jpeg.js';
import { Station } from '../../src/station/station.js';
import { warmUp } from '../../src/station/warm-up.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

describe('warmUp', () => {
  it('runs QC and the barcode search on a JPEG of its own, then removes it', async () => {
    const config = stationConfigSchema.parse({});
    const asked: { file: string; existed: boolean; shared: SharedJpegDecode | undefined; goal: SearchGoal }[] = [];
    await warmUp({
      analyze: config.qc,
      truncatedRetries: 0,
      truncatedRetryDelayMs: 0,
      barcodes: {
        decode: async (file, shared, goal) => {
          asked.push({ file, existed: fs.existsSync(file), shared, goal });
          return { codes: [], passes: 1, tilesTried: 0, tilesFirst: false, labelsRead: 0, width: 1600, height: 1200, ms: 0, zxingMs: 0, error: null, complete: true };
        },
      },
    });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ existed: true, goal: firstCode });
    expect(asked[0]!.file).toMatch(/\.jpg$/);
    expect(asked[0]!.shared).toBeDefined();
    expect(fs.existsSync(asked[0]!.file)).toBe(false);
  });

  it('in a station records nothing, and the station stops cleanly right after it', async () => {
    const home = makeHome({ linking: { enabled: true } });
    homes.push(home);
    const station = new Station(loadConfig({ home }));
    await station.start();
    station.warmUp();
    await station.stop();
    const again = new Station(loadConfig({ home }));
    try {
      expect(again.store.list({ limit: 10 })).toEqual([]);
    } finally {
      await again.stop();
    }
  });
});
