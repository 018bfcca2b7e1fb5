/**
 * The config `run` and `serve` write on a fresh station, so that the quick start links scans as the
 * README describes: the embedded default keeps linking off (a station without a config file files
 * nothing), which on a new station would refuse every scan. Only a station with neither a config
 * file nor a database is fresh: one that already ran on the embedded default keeps it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findConfigFile } from './load.js';
import type { StationLocations } from './paths.js';

export const starterConfigName = 'station.yaml';

/** The embedded default with linking on; every other field is commented out at its default. */
export const starterConfigText = `# Capture Station config, written as a starter by \`capture-station run\` / \`serve\` on a fresh station.
# Edit it, then restart the station to apply (the UI says when the file was edited). Every field is
# optional; the README's "Configuration" section describes them all; \`capture-station doctor\` checks it.

# station:
#   id: copy-stand-1              # names this station in records; default: the host name

# Hot folders. Without \`sources\`: one camera folder, Inbox, in the station home.
# sources:
#   - id: camera
#     path: /data/capture/camera  # absolute, or relative to the station home
#     kind: camera                # camera | scanner | other
#     profile: default            # the QC profile: default, or one of \`profiles\`

# paths:
#   library: Library              # where linked captures are filed; default: Library in the station home

linking:
  enabled: true                   # a scanned barcode opens an object; the next captures link to it and are filed in the library
  project: ""                     # {project} in names and records
  mode: scan-before-capture       # or scan-after-capture (the barcode is scanned after the object's shots)
  template: "{date}/{barcode}/{barcode}_{seq:03}{ext}"   # where a linked capture is filed, under the library
  # views: [front, back]          # {view} of an object's 1st, 2nd… shot
  # expectedShots: 2              # fewer when the object closes raises an alarm
  # barcode:
  #   pattern: "NHM-\\\\d{6}"        # the project's barcodes; a scan that does not match is refused, saying why

# server:                         # \`serve\`: the web UI and API
#   port: 7410
`;

export type StarterConfig = { written: string } | { notWritten: string; reason: string };

/**
 * Writes the starter config into the config folder of a fresh station (no config file, no database);
 * null when the station is not fresh. Never replaces a file, even one that appeared a moment ago
 * (exclusive create). A folder that cannot be written is no reason to refuse the start: the station
 * then runs on the embedded default, and the caller says why.
 */
export function writeStarterConfig(locations: StationLocations): StarterConfig | null {
  if (findConfigFile(locations.configDir) !== null || fs.existsSync(locations.database)) return null;
  const file = path.join(locations.configDir, starterConfigName);
  try {
    fs.mkdirSync(locations.configDir, { recursive: true });
    fs.writeFileSync(file, starterConfigText, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    return { notWritten: file, reason: (err as Error).message };
  }
  return { written: file };
}

/** What run and serve print about it: where it is and what to edit, or why there is none. */
export function starterConfigMessage(starter: StarterConfig): string {
  if ('written' in starter) {
    return `Wrote a starter config to ${starter.written} (a fresh station): barcode linking is on, so a scanned barcode links the next captures and files them in the library. Edit it to name your project, hot folders, barcode pattern and naming template, then restart.\n`;
  }
  return `Could not write a starter config to ${starter.notWritten} (${starter.reason}); running on the embedded default, where barcode linking is off. Write a config there (see the README's "Configuration") or give one with --config.\n`;
}
