/**
 * Where a station keeps its things. With a station home (CAPTURE_STATION_HOME or --home) everything
 * lives under that one folder; without it, the OS's usual per-user places are used. Electron-only
 * facts (its userData folder) are passed in by the shell as `dataDir`.
 */
import path from 'node:path';

export interface PathEnvironment {
  platform: NodeJS.Platform;
  homedir: string;
  env: Record<string, string | undefined>;
}

export interface StationLocations {
  /** The station home, when one was given. */
  home: string | null;
  /** Folder for the database and logs. */
  dataDir: string;
  /** Folder searched for station.json / station.yaml. */
  configDir: string;
  /** Folder of the default inbox and library: the home, or ~/CaptureStation without one. */
  userFolder: string;
  inbox: string;
  library: string;
  database: string;
  logs: string;
}

export function resolveLocations(opts: { home?: string | undefined; dataDir?: string | undefined }, environment: PathEnvironment): StationLocations {
  const home = opts.home ?? environment.env['CAPTURE_STATION_HOME'];
  if (home) {
    const root = path.resolve(home);
    return {
      home: root,
      dataDir: root,
      configDir: root,
      userFolder: root,
      inbox: path.join(root, 'Inbox'),
      library: path.join(root, 'Library'),
      database: path.join(root, 'station.db'),
      logs: path.join(root, 'logs'),
    };
  }
  const dataDir = opts.dataDir ?? osDataDir(environment);
  const configDir = environment.platform === 'linux' ? path.join(environment.env['XDG_CONFIG_HOME'] || path.join(environment.homedir, '.config'), 'capture-station') : dataDir;
  const userFolder = path.join(environment.homedir, 'CaptureStation');
  return {
    home: null,
    dataDir,
    configDir,
    userFolder,
    inbox: path.join(userFolder, 'Inbox'),
    library: path.join(userFolder, 'Library'),
    database: path.join(dataDir, 'station.db'),
    logs: path.join(dataDir, 'logs'),
  };
}

function osDataDir({ platform, homedir, env }: PathEnvironment): string {
  switch (platform) {
    case 'win32':
      return path.join(env['APPDATA'] || path.join(homedir, 'AppData', 'Roaming'), 'Capture Station');
    case 'darwin':
      return path.join(homedir, 'Library', 'Application Support', 'Capture Station');
    default:
      return path.join(env['XDG_DATA_HOME'] || path.join(homedir, '.local', 'share'), 'capture-station');
  }
}
