import { describe, expect, it } from 'vitest';
import { stationLoadOptions } from '../../main/station-options.js';

describe('Electron shell: facts injected into the core', () => {
  it('uses Electron userData as the data folder and honours a station home', () => {
    expect(stationLoadOptions({ userData: '/u', env: {}, argv: ['electron', '.'] })).toEqual({ home: undefined, dataDir: '/u' });
    expect(stationLoadOptions({ userData: '/u', env: { CAPTURE_STATION_HOME: '/h' }, argv: [] })).toEqual({ home: '/h', dataDir: '/u' });
    expect(stationLoadOptions({ userData: '/u', env: { CAPTURE_STATION_HOME: '/h' }, argv: ['--home=/cli'] })).toEqual({ home: '/cli', dataDir: '/u' });
  });
});
