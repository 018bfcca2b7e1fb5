/**
 * The station is SIGKILLed in the middle of a burst, repeatedly, and restarted: every file must end
 * up recorded exactly once, and nothing may be left in flight.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goodJpegBuffer } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { countInStation, exited, startStation } from '../helpers/station-process.js';

const home = makeHome({ ingest: { stableWindowMs: 200, truncatedRetries: 1, truncatedRetryDelayMs: 300, rescanIntervalSec: 0, concurrency: 2 } });
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const count = (sql: string) => countInStation(home, sql);
const recorded = () => count('SELECT COUNT(*) AS n FROM captures');

describe('kill -9 during a burst', () => {
  it('records every file exactly once across repeated SIGKILLs and restarts', async () => {
    const n = 120;
    const images = await Promise.all(Array.from({ length: 8 }, (_, i) => goodJpegBuffer(i, 900, 700)));
    let child = startStation(home).child;
    const inbox = path.join(home, 'Inbox');
    await waitFor(() => fs.existsSync(inbox), 'the station created its Inbox');
    // Distinct content per file (a trailing comment), so none is an exact duplicate of another.
    for (let i = 0; i < n; i++) fs.writeFileSync(path.join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), Buffer.concat([images[i % images.length]!, Buffer.from(`capture ${i}`)]));
    const kills = [15, 45, 80];
    for (const at of kills) {
      await waitFor(() => recorded() >= at, `${at} files recorded`, 120_000);
      child.kill('SIGKILL');
      await exited(child);
      child = startStation(home).child;
    }
    await waitFor(() => recorded() >= n, 'all files recorded after the last restart', 180_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(recorded()).toBe(n);
    expect(count('SELECT COUNT(DISTINCT rel_path) AS n FROM captures')).toBe(n);
    expect(count('SELECT COUNT(*) AS n FROM ingest_attempts')).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM events WHERE type = 'capture.recorded'")).toBe(n);
  }, 400_000);
});
