/** The starter config a fresh station gets from `run` / `serve`: linking on, the rest the embedded default. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { resolveLocations } from '../../src/config/paths.js';
import { starterConfigMessage, writeStarterConfig } from '../../src/config/starter.js';
import { makeHome } from '../helpers/station-home.js';

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function freshHome(): string {
  const home = makeHome();
  cleanup.push(home);
  return home;
}

const locationsOf = (home: string) => resolveLocations({ home }, { platform: 'linux', homedir: os.homedir(), env: {} });

describe('the starter config of a fresh station', () => {
  it('is the embedded default with barcode linking on', () => {
    const embedded = loadConfig({ home: freshHome() });
    const home = freshHome();
    expect(writeStarterConfig(locationsOf(home))).toEqual({ written: path.join(home, 'station.yaml') });
    const starter = loadConfig({ home });
    expect(starter.configFile).toBe(path.join(home, 'station.yaml'));
    expect(embedded.linking.enabled).toBe(false);
    expect(starter.linking).toEqual({ ...embedded.linking, enabled: true });
    // Everything else as without a file (the folders differ only by the home they are in).
    const rest = (c: typeof starter) => JSON.parse(JSON.stringify({ ...c, linking: null, configFile: null, locations: null, sources: c.sources.map((s) => ({ ...s, path: path.basename(s.path) })) })) as unknown;
    expect(rest(starter)).toEqual(rest(embedded));
    // The fields to edit are in it, commented, as a start.
    const text = fs.readFileSync(path.join(home, 'station.yaml'), 'utf8');
    for (const field of ['# sources:', '#   library:', '  project:', '  template:', '#   pattern:', '#   id:']) expect(text).toContain(field);
  });

  it('is never written over a config, for a station that already ran, or twice', () => {
    const configured = freshHome();
    fs.writeFileSync(path.join(configured, 'station.json'), '{}');
    expect(writeStarterConfig(locationsOf(configured))).toBeNull();
    expect(fs.readdirSync(configured)).toEqual(['station.json']);

    const ran = freshHome();
    fs.writeFileSync(path.join(ran, 'station.db'), '');
    expect(writeStarterConfig(locationsOf(ran))).toBeNull();
    expect(fs.existsSync(path.join(ran, 'station.yaml'))).toBe(false);

    const home = freshHome();
    expect(writeStarterConfig(locationsOf(home))).not.toBeNull();
    fs.writeFileSync(path.join(home, 'station.yaml'), 'linking: { enabled: false }\n');
    expect(writeStarterConfig(locationsOf(home))).toBeNull();
    expect(fs.readFileSync(path.join(home, 'station.yaml'), 'utf8')).toBe('linking: { enabled: false }\n');
  });

  it('says where it is and what to edit, or why it could not be written (the station then starts on the default)', () => {
    const home = freshHome();
    const written = writeStarterConfig(locationsOf(path.join(home, 'new-home')))!;
    expect(starterConfigMessage(written)).toMatch(/^Wrote a starter config to .*new-home\/station\.yaml \(a fresh station\): barcode linking is on.*Edit it to name your project/);
    // A home below a plain file cannot be made.
    fs.writeFileSync(path.join(home, 'a-file'), '');
    const notWritten = writeStarterConfig(locationsOf(path.join(home, 'a-file', 'home')))!;
    expect(notWritten).toMatchObject({ notWritten: path.join(home, 'a-file', 'home', 'station.yaml') });
    expect(starterConfigMessage(notWritten)).toMatch(/^Could not write a starter config to .*a-file\/home\/station\.yaml \(ENOTDIR.*\); running on the embedded default, where barcode linking is off\./);
  });
});
