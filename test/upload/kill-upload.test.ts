/**
 * The station is SIGKILLed at random moments while it ingests and uploads, repeatedly, and
 * restarted: in the end every eligible capture has exactly one job, done once, its file at the
 * target under its one key with the source's sha256, and no temp file is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { goodJpegBuffer } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { listFiles, sha256OfFile } from './fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const home = makeHome({
  station: { id: 'rig1' },
  ingest: { stableWindowMs: 200, truncatedRetries: 1, truncatedRetryDelayMs: 300, rescanIntervalSec: 0, concurrency: 2 },
  targets: [{ id: 'nas', kind: 'folder', path: 'Share' }],
  // A low bandwidth cap keeps every upload in flight for a second or more, so a kill that lands
  // while a lease is held interrupts a copy (not only its bookkeeping).
  upload: { concurrency: 2, bandwidthBytesPerSec: 1_500_000, probeIntervalSec: 0.5, backoff: { baseMs: 100, maxMs: 1000 } },
});
const share = path.join(home, 'Share');
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

function startRun(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), 'run', '--home', home, '--log-level', 'warn'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
}

function query<T>(sql: string, fallback: T): T {
  const file = path.join(home, 'station.db');
  if (!fs.existsSync(file)) return fallback;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T;
  } catch {
    return fallback; // schema not created yet
  } finally {
    db.close();
  }
}

const count = (sql: string) => query<{ n: number }[]>(sql, [{ n: 0 }])[0]?.n ?? 0;
const progress = () => count("SELECT (SELECT COUNT(*) FROM captures) + (SELECT COUNT(*) FROM upload_jobs WHERE state = 'done') AS n");

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('kill -9 during ingest and upload', () => {
  it('loses no job, uploads nothing twice and leaves every remote copy verified', async () => {
    fs.mkdirSync(share);
    fs.writeFileSync(path.join(share, '.capture-station-target'), ''); // a local folder, not a mount point
    const n = 40;
    const images = await Promise.all(Array.from({ length: 6 }, (_, i) => goodJpegBuffer(i, 1400, 1000)));
    let child = startRun();
    const inbox = path.join(home, 'Inbox');
    await waitFor(() => fs.existsSync(inbox), 'the station created its Inbox');
    for (let i = 0; i < n; i++) fs.writeFileSync(path.join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), Buffer.concat([images[i % images.length]!, Buffer.from(`capture ${i}`)]));
    const leased = () => count("SELECT COUNT(*) AS n FROM upload_jobs WHERE state = 'leased'");
    // Work left: files not recorded yet, and recorded captures without a finished upload.
    const workLeft = () =>
      n - count('SELECT COUNT(*) AS n FROM captures') + count("SELECT COUNT(*) AS n FROM captures c WHERE c.verdict <> 'fail' AND NOT EXISTS (SELECT 1 FROM upload_jobs j WHERE j.capture_id = c.id AND j.state = 'done')");
    let killsMidUpload = 0;
    for (let kill = 0; kill < 4 && workLeft() > 0; kill++) {
      const before = progress();
      await waitFor(() => progress() > before || workLeft() === 0, 'progress since the last restart', 120_000);
      // After the first kill, aim at a moment with an upload in flight (a lease held), then a random bit later.
      if (kill > 0) await waitFor(() => leased() > 0 || workLeft() === 0, 'an upload in flight', 120_000);
      if (workLeft() === 0) break; // nothing left to interrupt: killing now would test nothing
      await new Promise((r) => setTimeout(r, Math.random() * (kill > 0 ? 300 : 800)));
      if (leased() > 0) killsMidUpload++;
      child.kill('SIGKILL');
      await exited(child);
      child = startRun();
    }
    const eligible = () => count("SELECT COUNT(*) AS n FROM captures WHERE verdict <> 'fail'");
    await waitFor(() => count('SELECT COUNT(*) AS n FROM captures') >= n, 'all files recorded', 180_000);
    await waitFor(() => count("SELECT COUNT(*) AS n FROM upload_jobs WHERE state = 'done'") >= eligible(), 'all eligible captures uploaded', 180_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);

    expect(eligible()).toBeGreaterThan(0);
    // exactly one job per eligible capture, each done exactly once
    expect(count('SELECT COUNT(*) AS n FROM upload_jobs')).toBe(eligible());
    expect(count("SELECT COUNT(*) AS n FROM upload_jobs WHERE state <> 'done'")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM captures c WHERE c.verdict <> 'fail' AND NOT EXISTS (SELECT 1 FROM upload_jobs j WHERE j.capture_id = c.id AND j.state = 'done')")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM events WHERE type = 'upload.done'")).toBe(eligible());
    // the capped uploads were in flight when kills landed, and those jobs were taken up again after the restart
    expect(killsMidUpload).toBeGreaterThan(0);
    expect(count("SELECT COUNT(*) AS n FROM events WHERE type = 'upload.reclaimed'")).toBeGreaterThan(0);
    // every remote copy under its one key, verified against the source; nothing else (no .part)
    const done = query<{ rel_path: string; path: string; sha256: string; remote_key: string; verified_sha256: string }[]>(
      "SELECT c.rel_path, c.path, c.sha256, j.remote_key, j.verified_sha256 FROM upload_jobs j JOIN captures c ON c.id = j.capture_id WHERE j.state = 'done' ORDER BY j.remote_key",
      [],
    );
    expect(listFiles(share)).toEqual(done.map((d) => d.remote_key));
    for (const d of done) {
      expect(d.remote_key).toBe(`rig1/inbox/${d.rel_path}`);
      expect(d.verified_sha256).toBe(d.sha256);
      expect(sha256OfFile(path.join(share, d.remote_key))).toBe(sha256OfFile(d.path));
    }
  }, 500_000);
});
