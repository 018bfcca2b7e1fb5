import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { resolveLocations } from '../../src/config/paths.js';
import { StationError } from '../../src/errors.js';
import { capture } from '../helpers/output.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-config-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ platform: 'linux' as const, homedir: '/home/tech', env: { HOSTNAME: 'rig-01', ...extra } });

function problemsOf(fn: () => unknown): { field: string; problem: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StationError);
    return ((err as StationError).details as { problems: { field: string; problem: string }[] }).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('station config', () => {
  it('works with zero setup: one camera source on HOME/Inbox and everything under the home', () => {
    const config = loadConfig({ home, environment: env() });
    expect(config.configFile).toBeNull();
    expect(config.stationId).toBe('rig-01');
    expect(config.locations).toMatchObject({ inbox: path.join(home, 'Inbox'), library: path.join(home, 'Library'), database: path.join(home, 'station.db'), logs: path.join(home, 'logs') });
    expect(config.sources).toEqual([expect.objectContaining({ id: 'inbox', path: path.join(home, 'Inbox'), kind: 'camera', profile: 'default', polling: false })]);
    expect(Object.keys(config.profiles)).toEqual(expect.arrayContaining(['default', 'fadgi-3star', 'fadgi-4star', 'metamorfoze-light', 'metamorfoze-full']));
  });

  it('takes the home from CAPTURE_STATION_HOME', () => {
    expect(loadConfig({ environment: env({ CAPTURE_STATION_HOME: home }) }).locations.home).toBe(home);
  });

  it('uses the OS per-user folders without a home', () => {
    expect(resolveLocations({}, env()).database).toBe('/home/tech/.local/share/capture-station/station.db');
    expect(resolveLocations({}, env({ XDG_CONFIG_HOME: '/cfg' })).configDir).toBe('/cfg/capture-station');
    expect(resolveLocations({}, { platform: 'darwin', homedir: '/Users/t', env: {} }).dataDir).toBe('/Users/t/Library/Application Support/Capture Station');
    expect(resolveLocations({}, { platform: 'win32', homedir: 'C:\\Users\\t', env: { APPDATA: 'C:\\Users\\t\\AppData\\Roaming' } }).dataDir).toContain('Capture Station');
    expect(resolveLocations({}, env()).inbox).toBe('/home/tech/CaptureStation/Inbox');
    expect(resolveLocations({ dataDir: '/electron/userData' }, env()).database).toBe('/electron/userData/station.db');
  });

  it('without a home, resolves relative paths where their defaults lie: restating the README defaults in the per-user config changes nothing', () => {
    const user = { platform: 'linux' as const, homedir: path.join(home, 'tech'), env: { HOSTNAME: 'rig-01', XDG_CONFIG_HOME: path.join(home, 'cfg'), XDG_DATA_HOME: path.join(home, 'data') } };
    const defaults = loadConfig({ environment: user }).locations;
    expect(defaults).toMatchObject({ database: path.join(home, 'data', 'capture-station', 'station.db'), library: path.join(home, 'tech', 'CaptureStation', 'Library') });
    fs.mkdirSync(path.join(home, 'cfg', 'capture-station'), { recursive: true });
    fs.writeFileSync(path.join(home, 'cfg', 'capture-station', 'station.json'), JSON.stringify({ paths: { library: 'Library', database: 'station.db', logs: 'logs' } }));
    const restated = loadConfig({ environment: user });
    expect(restated.configFile).toBe(path.join(home, 'cfg', 'capture-station', 'station.json'));
    expect(restated.locations).toEqual(defaults);
    // Hot folders and folder targets sit beside the default Inbox, in ~/CaptureStation.
    fs.writeFileSync(
      path.join(home, 'cfg', 'capture-station', 'station.json'),
      JSON.stringify({ paths: { database: 'db/s.db' }, sources: [{ id: 'cam', path: 'Camera' }], targets: [{ id: 'nas', kind: 'folder', path: 'Out' }] }),
    );
    const config = loadConfig({ environment: user });
    expect(config.locations.database).toBe(path.join(home, 'data', 'capture-station', 'db', 's.db'));
    expect(config.sources[0]?.path).toBe(path.join(home, 'tech', 'CaptureStation', 'Camera'));
    expect(config.targets[0]).toMatchObject({ path: path.join(home, 'tech', 'CaptureStation', 'Out') });

    // A database an earlier version made next to the config file is not left for an empty one.
    const configDir = path.join(home, 'cfg', 'capture-station');
    fs.writeFileSync(path.join(configDir, 'station.json'), JSON.stringify({ paths: { database: 'station.db' } }));
    fs.writeFileSync(path.join(configDir, 'station.db'), 'a database');
    expect(problemsOf(() => loadConfig({ environment: user }))).toEqual([
      {
        field: 'paths.database',
        problem: `"station.db" now means ${defaults.database} (without a station home a relative path lies where its default does), which does not exist, while ${path.join(configDir, 'station.db')} (next to the config file, where earlier versions put it) holds a station database. To keep using it set paths.database to "${path.join(configDir, 'station.db')}", or move it with its -wal and -shm files to ${defaults.database}`,
      },
    ]);
    fs.writeFileSync(path.join(configDir, 'station.json'), JSON.stringify({ paths: { database: path.join(configDir, 'station.db') } }));
    expect(loadConfig({ environment: user }).locations.database).toBe(path.join(configDir, 'station.db'));
  });

  it('without a home, refuses a relative hot folder, folder target or logs folder found only next to the config file', () => {
    const user = { platform: 'linux' as const, homedir: path.join(home, 'tech'), env: { HOSTNAME: 'rig-01', XDG_CONFIG_HOME: path.join(home, 'cfg'), XDG_DATA_HOME: path.join(home, 'data') } };
    const configDir = path.join(home, 'cfg', 'capture-station');
    const userFolder = path.join(home, 'tech', 'CaptureStation');
    const dataDir = path.join(home, 'data', 'capture-station');
    fs.mkdirSync(configDir, { recursive: true });
    const config = { paths: { logs: 'logs' }, sources: [{ id: 'cam', path: 'hot' }], targets: [{ id: 's3', kind: 's3', bucket: 'scans', region: 'eu-west-1' }, { id: 'nas', kind: 'folder', path: 'out' }] };
    fs.writeFileSync(path.join(configDir, 'station.json'), JSON.stringify(config));
    // Nothing at the former places: the new ones are taken.
    expect(loadConfig({ environment: user }).sources[0]?.path).toBe(path.join(userFolder, 'hot'));

    for (const dir of ['hot', 'out', 'logs']) fs.mkdirSync(path.join(configDir, dir));
    const refusal = (field: string, value: string, now: string, holds: string, move: string) => ({
      field,
      problem: `"${value}" now means ${now} (without a station home a relative path lies where its default does), which does not exist, while ${path.join(configDir, value)} (next to the config file, where earlier versions put it) ${holds}. To keep using it set ${field} to "${path.join(configDir, value)}", or ${move}`,
    });
    expect(problemsOf(() => loadConfig({ environment: user }))).toEqual([
      refusal('paths.logs', 'logs', path.join(dataDir, 'logs'), "holds the station's logs", `move it to ${path.join(dataDir, 'logs')}`),
      refusal(
        'sources.0.path',
        'hot',
        path.join(userFolder, 'hot'),
        'is the hot folder of source "cam", where its camera or scanner may still save',
        `move it to ${path.join(userFolder, 'hot')}, and have the camera or scanner save there`,
      ),
      refusal('targets.1.path', 'out', path.join(userFolder, 'out'), 'holds the uploads of target "nas", which retention counts as copies', `move it with its contents to ${path.join(userFolder, 'out')}`),
    ]);

    // Once the new place exists (moved, or made on purpose), it is used.
    for (const dir of ['hot', 'out', 'logs']) fs.mkdirSync(path.join(dir === 'logs' ? dataDir : userFolder, dir), { recursive: true });
    const moved = loadConfig({ environment: user });
    expect(moved.sources[0]?.path).toBe(path.join(userFolder, 'hot'));
    expect(moved.targets[1]).toMatchObject({ path: path.join(userFolder, 'out') });
    expect(moved.locations.logs).toBe(path.join(dataDir, 'logs'));
  });

  it('reads station.yaml from the home, resolves relative paths and extends a preset profile', () => {
    fs.writeFileSync(
      path.join(home, 'station.yaml'),
      [
        'station: { id: copy-stand-2 }',
        'sources:',
        '  - { id: phase-one, path: cam, kind: camera, profile: herbarium }',
        '  - { id: flatbed, path: /mnt/scans, kind: scanner, polling: true, ignore: ["**/thumbs/**"] }',
        'profiles:',
        '  herbarium: { extends: fadgi-3star, sharpness: { warnBelow: 0.1 }, pairs: { required: true } }',
        'ingest: { stableWindowMs: 500 }',
      ].join('\n'),
    );
    const config = loadConfig({ home, environment: env() });
    expect(config.configFile).toBe(path.join(home, 'station.yaml'));
    expect(config.stationId).toBe('copy-stand-2');
    expect(config.sources[0]?.path).toBe(path.join(home, 'cam'));
    expect(config.sources[1]).toMatchObject({ path: '/mnt/scans', kind: 'scanner', polling: true });
    const herbarium = config.profiles['herbarium'];
    expect(herbarium?.sharpness.warnBelow).toBe(0.1);
    // untouched fields of an overridden section and whole sections come from the preset
    expect(herbarium?.sharpness.failBelow).toBe(config.profiles['fadgi-3star']?.sharpness.failBelow);
    expect(herbarium?.minPpi.ppi).toBe(400);
    expect(herbarium?.pairs.required).toBe(true);
    expect(config.ingest.stableWindowMs).toBe(500);
    expect(config.ingest.concurrency).toBe(2);
  });

  it('names every wrong field and what is expected, and refuses the whole config', () => {
    fs.writeFileSync(
      path.join(home, 'station.json'),
      JSON.stringify({
        sources: [
          { id: 'cam 1', path: 'a', kind: 'webcam' },
          { id: 'b', path: 'b', profile: 'nope' },
          { id: 'b', path: 'c' },
        ],
        ingest: { stableWindowMs: 'soon', concurency: 3 },
      }),
    );
    const problems = problemsOf(() => loadConfig({ home, environment: env() }));
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['sources.0.id', 'sources.0.kind', 'ingest.stableWindowMs', 'ingest']));
    expect(problems.find((p) => p.field === 'ingest')?.problem).toMatch(/concurency/);
    expect(problems.find((p) => p.field === 'sources.0.kind')?.problem).toMatch(/camera/);
    // In words saying what to type, for the CLI's start-up error as for the Settings view.
    expect(problems.find((p) => p.field === 'ingest.stableWindowMs')?.problem).toBe('Type a number here, not the text "soon".');
    expect(problems.find((p) => p.field === 'sources.0.kind')?.problem).toBe('Choose one of "camera", "scanner", "other" (not the text "webcam").');
  });

  it('has the screens\' fail tone on and a bounded preview cache by default, and names a wrong value there', () => {
    expect(loadConfig({ home, environment: env() })).toMatchObject({ ui: { soundOnFail: true }, preview: { longEdge: 1600, cacheMB: 512 } });
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ ui: { soundOnFail: 'yes' }, preview: { cacheMB: 0, longEdge: 100_000 } }));
    const fields = problemsOf(() => loadConfig({ home, environment: env() })).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['ui.soundOnFail', 'preview.cacheMB', 'preview.longEdge']));
  });

  it('rotates the log at 10 MB keeping 5 by default, and names a wrong logs value', () => {
    expect(loadConfig({ home, environment: env() })).toMatchObject({ logs: { maxMB: 10, keep: 5 } });
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ logs: { maxMB: 0, keep: 1.5 } }));
    const fields = problemsOf(() => loadConfig({ home, environment: env() })).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['logs.maxMB', 'logs.keep']));
  });

  it('reports cross-field problems: duplicate ids, shared paths, unknown profiles', () => {
    fs.writeFileSync(
      path.join(home, 'station.json'),
      JSON.stringify({
        sources: [
          { id: 'a', path: 'x', profile: 'nope' },
          { id: 'a', path: 'x' },
        ],
        profiles: { mine: { extends: 'missing' }, bad: { sharpness: { warnBelow: -1 } } },
      }),
    );
    const problems = problemsOf(() => loadConfig({ home, environment: env() }));
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(['sources.0.profile', 'sources.1.id', 'sources.1.path', 'profiles.mine.extends', 'profiles.bad.sharpness.warnBelow']),
    );
  });

  it('refuses hot folders inside one another, naming the field and both folders', () => {
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: 'in' }, { id: 'b', path: 'in/sub' }, { id: 'c', path: 'inbox' }] }));
    expect(problemsOf(() => loadConfig({ home, environment: env() }))).toEqual([
      { field: 'sources.1.path', problem: `${path.join(home, 'in', 'sub')} is inside the hot folder of source "a" (${path.join(home, 'in')}); every file there would be taken by both. Use folders side by side` },
    ]);
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'b', path: 'in/sub' }, { id: 'a', path: 'in' }] }));
    expect(problemsOf(() => loadConfig({ home, environment: env() }))[0]?.problem).toMatch(/ is around the hot folder of source "b"/);
  });

  it('compares hot folders as the watcher reaches them: a symbolic link to another source\'s folder, or into it, is refused', () => {
    fs.mkdirSync(path.join(home, 'cam', 'sub'), { recursive: true });
    fs.symlinkSync(path.join(home, 'cam'), path.join(home, 'cam-alias'));
    fs.symlinkSync(path.join(home, 'cam', 'sub'), path.join(home, 'sub-alias'));
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: 'cam' }, { id: 'b', path: 'cam-alias' }, { id: 'c', path: 'sub-alias' }, { id: 'd', path: 'cam-alias/later' }] }));
    const real = fs.realpathSync(path.join(home, 'cam'));
    expect(problemsOf(() => loadConfig({ home, environment: env() }))).toEqual([
      { field: 'sources.1.path', problem: `${path.join(home, 'cam-alias')} (really ${real}) is already watched by source "a" (${path.join(home, 'cam')}); every file there would be recorded twice. Give each source its own folder, or remove one` },
      { field: 'sources.2.path', problem: expect.stringMatching(/sub-alias \(really .*cam.sub\) is inside the hot folder of source "a" /) },
      // A folder that does not exist yet is placed by its nearest existing parent.
      { field: 'sources.3.path', problem: expect.stringMatching(/cam-alias.later \(really .*cam.later\) is inside the hot folder of source "a" /) },
    ]);
    // The link itself, alone, is watched at its real path and accepted.
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'b', path: 'cam-alias' }] }));
    expect(loadConfig({ home, environment: env() }).sources.map((s) => s.path)).toEqual([path.join(home, 'cam-alias')]);
  });

  it('refuses a library, database or logs folder inside or around a hot folder, naming the field and the fix', () => {
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: 'A' }], paths: { library: 'A/Library' }, linking: { enabled: true, project: 'P' } }));
    expect(problemsOf(() => loadConfig({ home, environment: env() }))).toEqual([
      {
        field: 'paths.library',
        problem: `the library ${path.join(home, 'A', 'Library')} is inside the hot folder of source "a" (${path.join(home, 'A')}); every file the station writes there would be taken as a new capture. Change paths.library to a place outside every hot folder, or move the hot folder`,
      },
    ]);
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: 'data/in' }], paths: { library: 'data', database: 'data/in/x.db', logs: 'data/in/logs' } }));
    expect(problemsOf(() => loadConfig({ home, environment: env() })).map((p) => [p.field, /\b(inside|around)\b/.exec(p.problem)?.[1]])).toEqual([
      ['paths.library', 'around'],
      ['paths.database', 'inside'],
      ['paths.logs', 'inside'],
    ]);
    // A hot folder on the home itself holds the default library, database and logs.
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: '.' }] }));
    expect(problemsOf(() => loadConfig({ home, environment: env() })).map((p) => p.field)).toEqual(['paths.library', 'paths.database', 'paths.logs']);
    expect(problemsOf(() => loadConfig({ home, environment: env() }))[0]?.problem).toMatch(/Set paths.library \(now the default\)/);
    // A library reached through a symbolic link into the hot folder is inside it all the same.
    fs.mkdirSync(path.join(home, 'Hot', 'lib'), { recursive: true });
    fs.symlinkSync(path.join(home, 'Hot', 'lib'), path.join(home, 'Lib'));
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: 'Hot' }], paths: { library: 'Lib' } }));
    expect(problemsOf(() => loadConfig({ home, environment: env() })).map((p) => [p.field, /\b(inside|around)\b/.exec(p.problem)?.[1]])).toEqual([['paths.library', 'inside']]);
    // Side by side is fine.
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ sources: [{ id: 'a', path: 'A' }], paths: { library: 'ALib' } }));
    expect(loadConfig({ home, environment: env() }).locations.library).toBe(path.join(home, 'ALib'));
  });

  it('refuses a home with both station.json and station.yaml, naming both; doctor reports it', async () => {
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ station: { id: 'from-json' } }));
    fs.writeFileSync(path.join(home, 'station.yaml'), 'station: { id: from-yaml }\n');
    const message = `${home} holds 2 station configs (station.json and station.yaml); the station reads exactly one, and would ignore edits to the other. Keep the one that is meant, and rename the other (e.g. to station.yaml.old) or move it away.`;
    expect(() => loadConfig({ home, environment: env() })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message }));
    const out = capture();
    expect(await main(['doctor', '--home', home], out)).toBe(1);
    expect(out.stdout).toContain(`[FAIL] config: ${message}`);
    fs.renameSync(path.join(home, 'station.yaml'), path.join(home, 'station.yaml.old'));
    expect(loadConfig({ home, environment: env() }).stationId).toBe('from-json');
    // An explicit --config is the one meant, whatever else lies in the home.
    fs.writeFileSync(path.join(home, 'station.yml'), 'station: { id: from-yml }\n');
    expect(loadConfig({ home, configFile: path.join(home, 'station.yml'), environment: env() }).stationId).toBe('from-yml');
  });

  it('refuses a USB scanner entry for a source that does not exist, naming the field and the sources', () => {
    fs.writeFileSync(
      path.join(home, 'station.json'),
      JSON.stringify({
        sources: [
          { id: 'cam', path: 'cam' },
          { id: 'scanner', path: 'scans' },
        ],
        linking: { usb: { sourceId: 'camera', devices: [{ vendorId: '0c2e', sourceId: 'cam' }, { vendorId: '05e0', sourceId: 'flatbed' }] } },
      }),
    );
    const problems = problemsOf(() => loadConfig({ home, environment: env() }));
    expect(problems).toEqual([
      { field: 'linking.usb.sourceId', problem: 'no source has the id "camera"; the sources are "cam", "scanner". Use one of them, or leave it out' },
      { field: 'linking.usb.devices.1.sourceId', problem: 'no source has the id "flatbed"; the sources are "cam", "scanner". Use one of them, or leave it out' },
    ]);

    // The same ids, all known: accepted.
    fs.writeFileSync(
      path.join(home, 'station.json'),
      JSON.stringify({ sources: [{ id: 'cam', path: 'cam' }], linking: { usb: { sourceId: 'cam', devices: [{ vendorId: '0c2e', sourceId: 'cam' }] } } }),
    );
    expect(loadConfig({ home, environment: env() }).linking.usb.sourceId).toBe('cam');
  });

  it('reads the six label symbologies by default; linking.imageFormats narrows them, a repeated name counting once', () => {
    expect(loadConfig({ home, environment: env() }).linking.imageFormats).toEqual(['Code128', 'Code39', 'DataMatrix', 'QRCode', 'EAN13', 'UPCA']);
    fs.writeFileSync(path.join(home, 'station.yaml'), 'linking:\n  imageFormats: [EAN13, Code128, EAN13]\n');
    expect(loadConfig({ home, environment: env() }).linking.imageFormats).toEqual(['EAN13', 'Code128']);
  });

  it('refuses an unknown or misspelled symbology name, naming the entry, the name it likely means and every name allowed; and an empty list', () => {
    const allowed = 'Code128, Code39, Code93, Codabar, ITF, EAN13, EAN8, UPCA, UPCE, DataMatrix, QRCode, MicroQRCode, PDF417, Aztec';
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ linking: { imageFormats: ['Code128', 'EAN-13', 'Telepen'] } }));
    expect(problemsOf(() => loadConfig({ home, environment: env() }))).toEqual([
      { field: 'linking.imageFormats.1', problem: `"EAN-13" is not a symbology the station can read; did you mean "EAN13"? Use these names as written: ${allowed}` },
      { field: 'linking.imageFormats.2', problem: `"Telepen" is not a symbology the station can read. Use these names as written: ${allowed}` },
    ]);
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify({ linking: { imageFormats: [] } }));
    expect(problemsOf(() => loadConfig({ home, environment: env() }))).toEqual([
      { field: 'linking.imageFormats', problem: 'List at least one symbology: a code in any other is not seen. To read no barcodes in images, set linking.imageBarcodes to false instead' },
    ]);
  });

  it('takes linking.imageCodeTemplates per symbology, refusing an unknown symbology and a template without {text} at the field', () => {
    expect(loadConfig({ home, environment: env() }).linking.imageCodeTemplates).toEqual({});
    fs.writeFileSync(path.join(home, 'station.yaml'), 'linking:\n  imageCodeTemplates: { EAN13: "BR{text}" }\n');
    expect(loadConfig({ home, environment: env() }).linking.imageCodeTemplates).toEqual({ EAN13: 'BR{text}' });
    fs.writeFileSync(path.join(home, 'station.yaml'), 'linking:\n  imageCodeTemplates: { EAN-13: "BR{text}", Code128: "BR", QRCode: "{text}-{text}" }\n');
    const problems = problemsOf(() => loadConfig({ home, environment: env() }));
    expect(problems).toContainEqual({ field: 'linking.imageCodeTemplates.Code128', problem: 'Put {text} once where the code read in the image goes, e.g. "BR{text}", and no other braces' });
    expect(problems).toContainEqual({ field: 'linking.imageCodeTemplates.QRCode', problem: 'Put {text} once where the code read in the image goes, e.g. "BR{text}", and no other braces' });
    expect(problems).toContainEqual({ field: 'linking.imageCodeTemplates', problem: 'unknown field "EAN-13" — check the spelling against the configuration reference in the README' });
  });

  it('says which file is broken when it does not parse', () => {
    fs.writeFileSync(path.join(home, 'station.json'), '{ "sources": [ }');
    expect(() => loadConfig({ home, environment: env() })).toThrow(/station\.json is not valid JSON/);
  });
});
