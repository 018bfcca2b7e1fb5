/**
 * `capture-station` — the headless station and its tools. Every command returns an exit code rather
 * than calling process.exit, so the tests run commands in-process.
 *   0 success · 1 a file or a check failed · 2 bad usage or configuration, or a station already
 *   running on this home (a state the command refuses to start in, like a port already taken)
 */
import { parseArgs } from 'node:util';
import { defaultEnvironment, loadConfig, type StationConfig } from '../config/load.js';
import { resolveLocations } from '../config/paths.js';
import { writeStarterConfig, type StarterConfig } from '../config/starter.js';
import { StationError } from '../errors.js';
import { setLogLevel, type LogLevel } from '../log/logger.js';
import { damagedDatabaseError } from '../store/database.js';
import { backupCommand } from './backup.js';
import { checkCommand } from './check.js';
import { doctorCommand } from './doctor.js';
import { exportCommand } from './export.js';
import { processOutput, type Output } from './output.js';
import { mergeCommand, relinkCommand, reshootCommand, splitCommand, undoCommand } from './link-edit.js';
import { queueCommand } from './queue.js';
import { runCommand } from './run.js';
import { scanCommand } from './scan.js';
import { serveCommand } from './serve.js';
import { sheetCommand } from './sheet.js';

export const usage = `Usage: capture-station <command> [options]

Commands:
  run                      Watch the hot folders, check every new image, record it (headless station)
  serve                    The same station plus its web UI and API on http://127.0.0.1:7410 (token required)
  check <files|folders…>   Check existing images now and print a verdict per file
      --json               One JSON object per file with every check's status, value and message
      --profile NAME       QC profile (default: the first source's profile)
  export                   Every recorded capture
      --format json|csv    (default json)
      --output FILE        Write to FILE instead of standard output
  doctor                   Check the config, the database, the folders, free disk space and every upload target
      --json               The same as one JSON object
  queue                    Upload queue per target: counts by state, bytes pending, dead jobs and why
      --json               The same as one JSON object
      --backfill TARGET    Queue the captures recorded before TARGET took them (e.g. a target added later)
      --since DATE         With --backfill: only captures recorded since DATE (YYYY-MM-DD, UTC)
      --retry TARGET|all   Queue the dead jobs of TARGET (or of every target) again, attempts reset
                           (not those withdrawn for set-aside captures: it lists them)
      --job N              With --retry: only dead job N, withdrawn or not
  scan CODE… | scan -      Send barcode scans to the running station ("-": one per line from standard input)
      --source ID          The source the scan is for (needed when the station has several)
  sheet --output FILE      A printable sheet of the END / UNDO / REJECT control codes (Code 128, A4; FILE.png or FILE.pdf)
  backup FILE              A consistent copy of the station database, also while the station runs
      --force              Replace FILE if it exists
      --json               The copy's counts as one JSON object
  relink CAPTURE… --to BARCODE   Move shots to BARCODE's object, numbered after its last shot (edits, as the
                                 History view's, go to the running station and can be undone)
      --object OBJECT      Instead: give OBJECT another barcode (a mislabelled or misread object)
  split CAPTURE --to BARCODE     That shot and the ones after it become a new object BARCODE
      --from N             With OBJECT in place of CAPTURE: from shot number N of OBJECT on
  merge OBJECT --into BARCODE    Every shot of OBJECT joins BARCODE's object, numbered after its last shot
  reshoot CAPTURE          Flag the capture's whole shot to be shot again (not uploaded); its filed files
                           are set aside in _reshoot/<barcode>/ (back under their names on --clear or undo)
      --clear              Take the flag off
  undo                     Undo the newest linking edit (relink, rename, split, merge, re-shoot flag)
                           CAPTURE: an id (capture:N, or just N), or a path or file name as export shows
                           it; OBJECT: a barcode, or one of its captures (capture:N, or its file name; a
                           bare number is a barcode only). A name that fits several is refused, each listed.

Options for every command:
  --home DIR               Put the whole station under DIR (same as CAPTURE_STATION_HOME=DIR)
  --config FILE            Read this station.json / station.yaml instead of the one in the home
  --log-level LEVEL        debug | info | warn | error (default info)
  -h, --help               This text

Exit codes: 0 success · 1 a file or a check failed · 2 bad usage or configuration, or another
station already running on this home
`;

export interface CliContext {
  positionals: string[];
  values: { json: boolean; profile?: string | undefined; format?: string | undefined; output?: string | undefined; source?: string | undefined; backfill?: string | undefined; since?: string | undefined; retry?: string | undefined; job?: string | undefined; force: boolean;
    to?: string | undefined; into?: string | undefined; object?: string | undefined; from?: string | undefined; clear: boolean };
  config: () => StationConfig;
  /** run and serve, before config(): the starter config of a fresh station (none with --config). */
  starterConfig: () => StarterConfig | null;
  output: Output;
}

const commands: Record<string, (ctx: CliContext) => Promise<number>> = {
  run: runCommand,
  serve: serveCommand,
  check: checkCommand,
  export: exportCommand,
  doctor: doctorCommand,
  queue: queueCommand,
  scan: scanCommand,
  sheet: sheetCommand,
  backup: backupCommand,
  relink: relinkCommand,
  split: splitCommand,
  merge: mergeCommand,
  reshoot: reshootCommand,
  undo: undoCommand,
};

export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        home: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        json: { type: 'boolean', default: false },
        profile: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string' },
        source: { type: 'string' },
        backfill: { type: 'string' },
        since: { type: 'string' },
        retry: { type: 'string' },
        job: { type: 'string' },
        force: { type: 'boolean', default: false },
        to: { type: 'string' },
        into: { type: 'string' },
        object: { type: 'string' },
        from: { type: 'string' },
        clear: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    output.err(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const [name, ...positionals] = parsed.positionals;
  if (parsed.values.help || !name) {
    (parsed.values.help ? output.out : output.err)(usage);
    return parsed.values.help ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    output.err(`Unknown command "${name}".\n\n${usage}`);
    return 2;
  }
  const level = parsed.values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    output.err(`--log-level must be debug, info, warn or error (got "${level}").\n`);
    return 2;
  }
  setLogLevel(level as LogLevel);
  const { home, config } = parsed.values;
  // The config last loaded: a damaged database found in the middle of a command is named by it.
  let loaded: StationConfig | null = null;
  try {
    return await command({
      positionals,
      values: { json: parsed.values.json ?? false, profile: parsed.values.profile, format: parsed.values.format, output: parsed.values.output, source: parsed.values.source, backfill: parsed.values.backfill, since: parsed.values.since, retry: parsed.values.retry, job: parsed.values.job, force: parsed.values.force ?? false,
        to: parsed.values.to, into: parsed.values.into, object: parsed.values.object, from: parsed.values.from, clear: parsed.values.clear ?? false },
      config: () => (loaded = loadConfig({ home, configFile: config })),
      starterConfig: () => (config ? null : writeStarterConfig(resolveLocations({ home }, defaultEnvironment()))),
      output,
    });
  } catch (thrown) {
    const err = loaded ? (damagedDatabaseError(thrown, (loaded as StationConfig).locations.database) ?? thrown) : thrown;
    if (err instanceof StationError) {
      output.err(`capture-station ${name}: ${err.message}\n`);
      return err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_UNREADABLE' || err.code === 'INVALID_ARGUMENT' || err.code === 'ALREADY_RUNNING' ? 2 : 1;
    }
    throw err;
  }
}
