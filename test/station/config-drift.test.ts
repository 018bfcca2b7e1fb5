/** Edits to the config file while the station runs are reported once each (changed, or invalid), never applied. */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { ConfigDriftWatch } from '../../src/station/config-drift.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function home(): { home: string; file: string; original: string } {
  const h = makeHome({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } });
  cleanup.push(() => fs.rmSync(h, { recursive: true, force: true }));
  const file = path.join(h, 'station.json');
  return { home: h, file, original: fs.readFileSync(file, 'utf8') };
}

/** The warnings of the config-drift logger, from now on. */
function driftWarnings(): LogRecord[] {
  const seen: LogRecord[] = [];
  cleanup.push(addLogSink((r) => r.module === 'config-drift' && r.level === 'warn' && seen.push(r)));
  return seen;
}

/** A started watch of a fresh home's config, loaded as found or given with --config, and the warnings it logs. */
async function watching(given: boolean) {
  const { home: h, file } = home();
  const config = loadConfig({ home: h, ...(given ? { configFile: file } : {}) });
  const watch = new ConfigDriftWatch({ config, intervalMs: 20 });
  const warnings = driftWarnings();
  await watch.start();
  cleanup.push(() => watch.stop());
  return { h, file, config, watch, warnings };
}

describe('config edits while the station runs', () => {
  it('reports each new content once: changed (restart to apply), invalid (naming the field), back to the running config', async () => {
    const { home: h, file, original } = home();
    const config = loadConfig({ home: h });
    const watch = new ConfigDriftWatch({ config, intervalMs: 20 });
    const warnings = driftWarnings();
    await watch.start();
    cleanup.push(() => watch.stop());
    expect(watch.current()).toBeNull();

    fs.writeFileSync(file, JSON.stringify({ station: { id: 'stand-2' } }));
    await waitFor(() => watch.current() !== null, 'the change seen');
    expect(watch.current()).toMatchObject({ file, error: null, removed: null });
    expect(warnings.map((w) => w.message)).toEqual(['config file changed on disk; restart the station to apply it (it runs on the config it started with)']);
    const since = watch.current()!.since;

    fs.writeFileSync(file, JSON.stringify({ sources: [{ id: 'cam', path: 'Cam', kind: 'camra' }] }));
    await waitFor(() => watch.current()?.error !== null, 'the invalid file seen');
    expect(watch.current()).toMatchObject({ since, error: expect.stringMatching(/^sources\.0\.kind: /) });
    expect(warnings[1]?.message).toMatch(/^config file changed on disk and is now invalid: sources\.0\.kind: .*Fix it before the station restarts; it runs on the config it started with$/);
    fs.writeFileSync(file, original);
    await waitFor(() => watch.current() === null, 'back to the running config');
    // Every look in between saw one of these contents again, and said nothing more.
    expect(warnings).toHaveLength(2);
    // The running station's config is what it started with.
    expect(config.stationId).toBe('stand-1');
  });

  it('judges an edit of linking.imageFormats as any other: restart to apply, or invalid at the entry', async () => {
    const { file, watch } = await watching(false);
    const kept = { station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } };
    fs.writeFileSync(file, JSON.stringify({ ...kept, linking: { imageFormats: ['Code128', 'EAN13'] } }));
    await waitFor(() => watch.current() !== null, 'the change seen');
    expect(watch.current()).toMatchObject({ file, error: null, removed: null });
    fs.writeFileSync(file, JSON.stringify({ ...kept, linking: { imageFormats: ['Code 128'] } }));
    await waitFor(() => watch.current()?.error !== null, 'the invalid file seen');
    expect(watch.current()!.error).toMatch(/^linking\.imageFormats\.0: "Code 128" is not a symbology the station can read; did you mean "Code128"\? Use these names as written: Code128, /);
  });

  it('reports a removed file as removed, not invalid: the default config next, or a refused start for a file given with --config', async () => {
    for (const given of [false, true]) {
      const { h, file, watch, warnings } = await watching(given);
      fs.rmSync(file);
      await waitFor(() => watch.current() !== null, 'the removal seen');
      expect(watch.current()).toMatchObject({ file, error: null, removed: given ? 'refused' : 'default' });
      // As the next start would find it.
      if (given) {
        expect(() => loadConfig({ home: h, configFile: file })).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
        expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^config file removed; the next start would fail: the file given with --config is missing\./)]);
      } else {
        expect(loadConfig({ home: h }).configFile).toBeNull();
        expect(warnings.map((w) => w.message)).toEqual(['config file removed; the next start would use the embedded default config (the station runs on the config it started with)']);
      }
    }
  });

  it('reports a file that is there but cannot be read as refused by the next start, not as removed', async () => {
    for (const given of [false, true]) {
      const { h, file, watch, warnings } = await watching(given);
      // A folder in the file's place: reading it fails (EISDIR), as it would for the next start.
      fs.rmSync(file);
      fs.mkdirSync(file);
      let refusal = '';
      try {
        loadConfig({ home: h, ...(given ? { configFile: file } : {}) });
      } catch (err) {
        expect(err).toMatchObject({ code: 'CONFIG_UNREADABLE' });
        refusal = (err as Error).message;
      }
      expect(refusal).toContain('EISDIR');
      await waitFor(() => watch.current()?.error === refusal, 'the unreadable file seen');
      expect(watch.current()).toMatchObject({ file, removed: null, next: null });
      expect(warnings.map((w) => w.message)).toEqual([`config file changed on disk and is now invalid: ${refusal}. Fix it before the station restarts; it runs on the config it started with`]);
    }
  });

  it('says what the next start would load once a file it found is removed: another config file, two of them, or none', async () => {
    const { home: h, file } = home();
    const config = loadConfig({ home: h });
    const watch = new ConfigDriftWatch({ config, intervalMs: 20 });
    const warnings = driftWarnings();
    await watch.start();
    cleanup.push(() => watch.stop());
    const yaml = path.join(h, 'station.yaml');
    fs.writeFileSync(yaml, 'station:\n  id: stand-2\n');
    fs.rmSync(file);
    await waitFor(() => watch.current() !== null, 'the removal seen');
    expect(watch.current()).toMatchObject({ file, removed: 'replaced', next: yaml, error: null });
    expect(loadConfig({ home: h })).toMatchObject({ configFile: yaml, stationId: 'stand-2' });
    expect(warnings.map((w) => w.message)).toEqual([`config file removed; the next start would load ${yaml} instead: restart the station to apply it (it runs on the config it started with)`]);

    // That file judged as an edit: invalid.
    fs.writeFileSync(yaml, 'sources:\n  - { id: cam, path: Cam, kind: camra }\n');
    await waitFor(() => watch.current()?.error != null, 'the other file invalid');
    expect(watch.current()).toMatchObject({ removed: 'replaced', next: yaml, error: expect.stringMatching(/^sources\.0\.kind: /) });
    expect(() => loadConfig({ home: h })).toThrow(/sources\.0\.kind/);

    // Two config files: the next start refuses, as loadConfig says.
    fs.writeFileSync(path.join(h, 'station.yml'), 'station:\n  id: stand-3\n');
    await waitFor(() => watch.current()?.removed === 'refused', 'two config files seen');
    let refusal = '';
    try {
      loadConfig({ home: h });
    } catch (err) {
      refusal = (err as Error).message;
    }
    expect(refusal).toContain('holds 2 station configs');
    expect(watch.current()).toMatchObject({ removed: 'refused', next: null, error: refusal });

    fs.rmSync(yaml);
    fs.rmSync(path.join(h, 'station.yml'));
    await waitFor(() => watch.current()?.removed === 'default', 'no config file left');
    expect(loadConfig({ home: h }).configFile).toBeNull();
    expect(warnings).toHaveLength(4);
  });

  it('judges an edit as a restart would resolve it: without a home, a path left out lies at its default again', async () => {
    // No station home: the user's folders are in a throw-away HOME.
    const user = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-user-'));
    cleanup.push(() => fs.rmSync(user, { recursive: true, force: true }));
    vi.stubEnv('HOME', user);
    vi.stubEnv('XDG_CONFIG_HOME', path.join(user, '.config'));
    vi.stubEnv('XDG_DATA_HOME', path.join(user, '.local', 'share'));
    vi.stubEnv('CAPTURE_STATION_HOME', '');
    cleanup.push(() => {
      vi.unstubAllEnvs();
    });
    const file = path.join(user, '.config', 'capture-station', 'station.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ station: { id: 'stand-1' }, paths: { library: 'Shelf' }, sources: [{ id: 'cam', path: 'Cam' }] }));
    const config = loadConfig();
    expect(config.locations).toMatchObject({ home: null, library: path.join(user, 'CaptureStation', 'Shelf') });
    const watch = new ConfigDriftWatch({ config, intervalMs: 20 });
    await watch.start();
    cleanup.push(() => watch.stop());

    // The hot folder moved (a relative path) into the default library's place, and paths.library left out:
    // a restart puts the library at its default, around that hot folder, and refuses.
    const edited = { station: { id: 'stand-1' }, sources: [{ id: 'cam', path: 'Library/Cam' }] };
    fs.writeFileSync(file, JSON.stringify(edited));
    await waitFor(() => watch.current() !== null, 'the edit seen');
    const library = path.join(user, 'CaptureStation', 'Library');
    expect(watch.current()?.error).toContain(`paths.library: the library ${library} is around the hot folder of source "cam" (${path.join(library, 'Cam')})`);
    expect(() => loadConfig()).toThrow(/paths\.library: the library .* is around the hot folder of source "cam"/);

    // Restating the library as it runs makes the edit one a restart takes.
    fs.writeFileSync(file, JSON.stringify({ ...edited, paths: { library: 'Shelf' } }));
    await waitFor(() => watch.current()?.error === null, 'the edit a restart takes');
    expect(loadConfig().sources[0]?.path).toBe(path.join(library, 'Cam'));
  });

  it('shows in status() while the station runs', async () => {
    const { home: h, file } = home();
    const station = new Station(loadConfig({ home: h }));
    const told: unknown[] = [];
    station.on('config.changed', ({ configChanged }) => told.push(configChanged));
    await station.start();
    cleanup.push(() => station.stop());
    expect(station.status().configChanged).toBeNull();
    fs.writeFileSync(file, '{ "station": ');
    await waitFor(() => station.status().configChanged !== null, 'the edit shown in status');
    // The screens are told as status() changes (config.changed), once.
    expect(told).toEqual([station.status().configChanged]);
    expect(station.status()).toMatchObject({ stationId: 'stand-1', configChanged: { file, error: expect.stringContaining('is not valid JSON') } });
    // A config that loads but that the next start would refuse (the inbox under a new id, its files already recorded).
    await writeGoodTiff(path.join(h, 'Inbox', 'a.tif'));
    await waitFor(() => station.store.counts().total === 1, 'a capture recorded');
    fs.writeFileSync(file, JSON.stringify({ station: { id: 'stand-1' }, sources: [{ id: 'camera', path: 'Inbox' }] }));
    await waitFor(() => station.status().configChanged?.error?.startsWith('sources.0.id: ') === true, 'the rename shown in status');
    expect(station.status().configChanged?.error).toContain(`the hot folder ${path.join(h, 'Inbox')} was source "inbox" and is now source "camera"`);
  });
});

describe('a stop while the station starts (Ctrl+C during start)', () => {
  it('waits for the step in progress and starts nothing after it: no config-drift check runs once stopped', async () => {
    const { home: h, file, original } = home();
    const warnings = driftWarnings();
    const station = new Station(loadConfig({ home: h }));
    const started = station.start();
    await station.stop();
    await started;
    fs.writeFileSync(file, original.replace('stand-1', 'stand-2'));
    // The drift watch reads the file every 2 s; a watch started after stop() would report the edit.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(warnings).toEqual([]);
  });
});
