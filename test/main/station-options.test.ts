import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stationLoadOptions } from '../../main/station-options.js';
import { loadConfig } from '../../src/config/load.js';

const packageJson = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('Electron shell: facts injected into the core', () => {
  it('uses Electron userData as the data folder and honours a station home', () => {
    expect(stationLoadOptions({ userData: '/u', version: '1.2.3', env: {}, argv: ['electron', '.'] })).toEqual({ home: undefined, dataDir: '/u', version: '1.2.3' });
    expect(stationLoadOptions({ userData: '/u', version: '1.2.3', env: { CAPTURE_STATION_HOME: '/h' }, argv: [] })).toEqual({ home: '/h', dataDir: '/u', version: '1.2.3' });
    expect(stationLoadOptions({ userData: '/u', version: '1.2.3', env: { CAPTURE_STATION_HOME: '/h' }, argv: ['--home=/cli'] })).toEqual({ home: '/cli', dataDir: '/u', version: '1.2.3' });
  });

  it("gives the core the app's version, which its status then reports", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-shell-'));
    try {
      const options = stationLoadOptions({ userData: path.join(home, 'user-data'), version: '4.5.6-beta.1', env: {}, argv: [`--home=${home}`] });
      expect(loadConfig(options).version).toBe('4.5.6-beta.1');
      // Without the shell (the CLI, the tests) it is the package's own.
      expect(loadConfig({ home }).version).toBe(packageJson.version);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
