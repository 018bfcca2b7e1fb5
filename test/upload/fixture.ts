/** A temp station database with a source folder, and captures of real files recorded in it. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sourceSchema, uploadSettingsSchema, type UploadSettings } from '../../src/config/schema.js';
import type { CheckResult, Verdict } from '../../src/quality/types.js';
import type { CaptureRecord } from '../../src/store/captures.js';
import { openStore, type StationStore } from '../../src/store/open.js';

export interface Fixture {
  dir: string;
  sourceDir: string;
  store: StationStore;
  addCapture(relPath: string, bytes: Buffer, opts?: { verdict?: Verdict; results?: CheckResult[]; mtimeSec?: number }): CaptureRecord;
  eventTypes(captureId: number): string[];
  close(): void;
}

export function makeFixture(): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-upload-'));
  const sourceDir = path.join(dir, 'Inbox');
  fs.mkdirSync(sourceDir, { recursive: true });
  const store = openStore(path.join(dir, 'station.db'));
  store.captures.syncSources([sourceSchema.parse({ id: 'cam', path: sourceDir })]);
  return {
    dir,
    sourceDir,
    store,
    addCapture(relPath, bytes, opts = {}) {
      const abs = path.join(sourceDir, relPath);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, bytes);
      if (opts.mtimeSec !== undefined) fs.utimesSync(abs, opts.mtimeSec, opts.mtimeSec);
      const st = fs.statSync(abs, { bigint: true });
      const file = { sourceId: 'cam', absPath: abs, relPath, size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      return store.captures.recordCapture({
        file,
        analysis: { sha256, size: bytes.length, facts: null, measurements: null, decodeError: null, elapsedMs: 1 },
        results: opts.results ?? [{ check: 'decodes', status: 'pass', value: true, threshold: null, message: 'Decodes.' }],
        verdict: opts.verdict ?? 'pass',
        detectedAt: new Date().toISOString(),
      }).record;
    },
    eventTypes(captureId) {
      return store.captures.detail(captureId)!.events.map((e) => e.type);
    },
    close() {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function settings(overrides: Partial<UploadSettings> = {}): UploadSettings {
  return { ...uploadSettingsSchema.parse({}), ...overrides };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256OfFile(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** Every file under `dir`, relative, with '/' separators; the target marker at its top is left out. */
/**
 * Files at a target, without its own bookkeeping at the root: the marker file, and the probe's
 * write test (`.capture-station-probe.*`, created and removed by every probe, so a listing may
 * catch one in between).
 */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const atRoot = (d: fs.Dirent) => path.resolve(d.parentPath) === path.resolve(dir);
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile() && !(atRoot(d) && (d.name === '.capture-station-target' || d.name.startsWith('.capture-station-probe.'))))
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
}

export function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
