/**
 * Loads, validates and resolves the station config. A bad config is refused as a whole, with every
 * wrong field named by its path and what is expected there — never half-applied.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { StationError } from '../errors.js';
import { packageVersion } from '../package-info.js';
import { presetProfiles, profileSchema, type Profile } from '../quality/profile.js';
import { allowedFieldsAt, configIssueMessage, unknownFieldsMessage } from './issue-messages.js';
import { resolveLocations, type PathEnvironment, type StationLocations } from './paths.js';
import { stationConfigSchema, sourceSchema, type SourceConfig, type StationConfigFile, type LinkingConfig, type RetentionConfig, type TargetConfig, type UploadSettings } from './schema.js';

export const configFileNames = ['station.json', 'station.yaml', 'station.yml'] as const;

export interface StationConfig {
  stationId: string;
  /** The file the config was read from; null when the embedded default is in use. */
  configFile: string | null;
  /** The file was given (--config), not found in the config folder: a start without it is refused, not run on the default. */
  configFileGiven: boolean;
  /** The station's version, as status() reports it: the embedder's (Electron's app version) or this package's. */
  version: string;
  locations: StationLocations;
  sources: SourceConfig[];
  ingest: StationConfigFile['ingest'];
  qc: StationConfigFile['qc'];
  server: StationConfigFile['server'];
  profiles: Record<string, Profile>;
  /** Upload targets, paths resolved; empty when none is configured. */
  targets: TargetConfig[];
  upload: UploadSettings;
  linking: LinkingConfig;
  retention: RetentionConfig;
  ui: StationConfigFile['ui'];
  preview: StationConfigFile['preview'];
  logs: StationConfigFile['logs'];
}

export interface LoadOptions {
  home?: string | undefined;
  dataDir?: string | undefined;
  /** An explicit config file; otherwise station.json/.yaml in the config folder, if present. */
  configFile?: string | undefined;
  /** The version of the app embedding the core (Electron's app.getVersion()); otherwise package.json's. */
  version?: string | undefined;
  environment?: PathEnvironment;
}

export function defaultEnvironment(): PathEnvironment {
  return { platform: process.platform, homedir: os.homedir(), env: process.env };
}

export function loadConfig(opts: LoadOptions = {}): StationConfig {
  const environment = opts.environment ?? defaultEnvironment();
  const locations = resolveLocations(opts, environment);
  const configFile = opts.configFile ? path.resolve(opts.configFile) : findConfigFile(locations.configDir);
  const raw = configFile ? readConfigFile(configFile) : {};
  return { ...resolveConfig(raw, locations, configFile, environment), configFileGiven: Boolean(opts.configFile), version: opts.version || packageVersion() };
}

/**
 * The config file a start without --config reads in `dir` (null: none, the embedded default).
 * Two config files side by side are refused: whichever were read, IT would sooner or later edit the other.
 */
export function findConfigFile(dir: string): string | null {
  const found = configFileNames.map((name) => path.join(dir, name)).filter((f) => fs.existsSync(f));
  if (found.length > 1) {
    const names = found.map((f) => path.basename(f));
    throw new StationError(
      'CONFIG_INVALID',
      `${dir} holds ${names.length} station configs (${names.join(' and ')}); the station reads exactly one, and would ignore edits to the other. Keep the one that is meant, and rename the other (e.g. to ${names[1]}.old) or move it away.`,
      { files: found },
    );
  }
  return found[0] ?? null;
}

function readConfigFile(file: string): unknown {
  return parseConfigText(file, readConfigText(file));
}

export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadableConfig(file, err);
  }
}

/** How a start refuses a config file that is there but cannot be read (or, given with --config, is missing). */
export function unreadableConfig(file: string, err: unknown): StationError {
  return new StationError('CONFIG_UNREADABLE', `Cannot read the station config ${file}: ${(err as Error).message}. Check the path and its permissions.`);
}

/** The config file's format follows its name: .json is JSON, anything else YAML. */
export function configFormat(file: string): 'json' | 'yaml' {
  return file.endsWith('.json') ? 'json' : 'yaml';
}

export function parseConfigText(file: string, text: string): unknown {
  try {
    return configFormat(file) === 'json' ? JSON.parse(text) : (YAML.parse(text) ?? {});
  } catch (err) {
    throw new StationError('CONFIG_INVALID', `The station config ${file} is not valid ${configFormat(file) === 'json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

export interface ConfigProblem {
  field: string;
  problem: string;
}

/** Validates a parsed config object and resolves paths, profiles and defaults. */
export function resolveConfig(raw: unknown, locations: StationLocations, configFile: string | null, environment: PathEnvironment = defaultEnvironment()): StationConfig {
  const problems: ConfigProblem[] = [];
  const parsed = stationConfigSchema.safeParse(raw, { error: configIssueMessage });
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error.issues, stationConfigSchema, raw));
    throw configError(configFile, problems);
  }
  const file = parsed.data;
  // A relative path lies where its default does, so that restating a default changes nothing: with a
  // home everything is under it; without one the database and logs are in the data folder, the
  // library, hot folders and folder targets in ~/CaptureStation — never next to the config file.
  const base = locations.userFolder;
  const resolved: StationLocations = {
    ...locations,
    library: file.paths.library ? path.resolve(base, file.paths.library) : locations.library,
    database: file.paths.database ? path.resolve(locations.dataDir, file.paths.database) : locations.database,
    logs: file.paths.logs ? path.resolve(locations.dataDir, file.paths.logs) : locations.logs,
  };

  const profiles: Record<string, Profile> = { ...presetProfiles };
  for (const [name, own] of Object.entries(file.profiles)) {
    const { extends: parentName = 'default', ...overrides } = own;
    const parent = profiles[parentName];
    if (!parent) {
      problems.push({ field: `profiles.${name}.extends`, problem: `unknown profile "${parentName}"; expected one of ${Object.keys(profiles).join(', ')}` });
      continue;
    }
    const input = mergeProfile(parent, overrides);
    const merged = profileSchema.safeParse(input, { error: configIssueMessage });
    if (merged.success) profiles[name] = merged.data;
    else problems.push(...describeIssues(merged.error.issues, profileSchema, input, ['profiles', name]));
  }

  const written = writtenPlaces(file);
  const sources = file.sources ?? [sourceSchema.parse({ id: 'inbox', path: resolved.inbox })];
  const seenIds = new Set<string>();
  const seenFolders: { id: string; path: string; real: string }[] = [];
  sources.forEach((source, i) => {
    source.path = path.resolve(base, source.path);
    if (seenIds.has(source.id)) problems.push({ field: `sources.${i}.id`, problem: `"${source.id}" is used by another source; every source needs its own id` });
    seenIds.add(source.id);
    // Compared as the watcher reaches them (real paths): a link to another hot folder is that folder.
    const real = realPathOf(source.path);
    const other = seenFolders.find((f) => placeOf(real, f.real) !== null);
    if (other) {
      const place = placeOf(real, other.real);
      // Nested hot folders: a file in the inner one is a capture of both sources, and the second is
      // failed as a duplicate of the first.
      problems.push({
        field: `sources.${i}.path`,
        problem:
          place === 'same'
            ? `${shownPath(source.path, real)} is already watched by source "${other.id}"${other.path === source.path ? '' : ` (${other.path})`}; every file there would be recorded twice. Give each source its own folder, or remove one`
            : `${shownPath(source.path, real)} is ${place} the hot folder of source "${other.id}" (${shownPath(other.path, other.real)}); every file there would be taken by both. Use folders side by side`,
      });
    }
    seenFolders.push({ id: source.id, path: source.path, real });
    if (!profiles[source.profile]) problems.push({ field: `sources.${i}.profile`, problem: `unknown profile "${source.profile}"; expected one of ${Object.keys(profiles).join(', ')}` });
  });

  problems.push(...checkStationPaths(resolved, file.paths, sources));
  problems.push(...checkTargets(file.targets, sources, base));
  // After checkTargets: it resolves the folder targets' paths that `written` reads.
  problems.push(...checkFormerRelativePaths(written, resolved, configFile));
  problems.push(...checkUsbSources(file.linking.usb, sources));

  if (problems.length > 0) throw configError(configFile, problems);
  return {
    stationId: file.station.id ?? sanitiseHostname(environment),
    configFile,
    // Only loadConfig knows how the file was found, and what version the embedder gave.
    configFileGiven: false,
    version: packageVersion(),
    locations: resolved,
    sources,
    ingest: file.ingest,
    qc: file.qc,
    server: file.server,
    profiles,
    targets: file.targets,
    upload: file.upload,
    linking: file.linking,
    retention: file.retention,
    ui: file.ui,
    preview: file.preview,
    logs: file.logs,
  };
}

/**
 * `raw` resolved as the next start of the running station would resolve it: from the same home or
 * data folder, with the built-in places as defaults — not the paths the running config set, which a
 * file without them no longer sets.
 */
export function resolveAsRestart(raw: unknown, running: StationConfig, configFile: string | null, environment: PathEnvironment = defaultEnvironment()): StationConfig {
  const locations = resolveLocations({ home: running.locations.home ?? undefined, dataDir: running.locations.dataDir }, environment);
  return resolveConfig(raw, locations, configFile, environment);
}

/**
 * The station's own folders must lie outside every hot folder, and no hot folder inside them: a
 * library there has its filed images ingested again (failed as duplicates and moved to _reshoot/,
 * leaving the first capture pointing at nothing); a database or log there is watched and written at once.
 */
function checkStationPaths(locations: StationLocations, set: StationConfigFile['paths'], sources: SourceConfig[]): ConfigProblem[] {
  const own = [
    { key: 'library', what: 'the library', dir: locations.library, isFile: false },
    { key: 'database', what: 'the station database', dir: locations.database, isFile: true },
    { key: 'logs', what: 'the logs folder', dir: locations.logs, isFile: false },
  ] as const;
  const problems: ConfigProblem[] = [];
  for (const { key, what, dir, isFile } of own) {
    const real = realPathOf(dir);
    for (const source of sources) {
      const hot = realPathOf(source.path);
      const inside = real === hot || real.startsWith(hot + path.sep);
      if (!inside && (isFile || !hot.startsWith(real + path.sep))) continue;
      const verb = set[key] === undefined ? `Set paths.${key} (now the default)` : `Change paths.${key}`;
      problems.push({
        field: `paths.${key}`,
        problem: `${what} ${dir} is ${inside ? 'inside' : 'around'} the hot folder of source "${source.id}" (${source.path}); every file the station writes there would be taken as a new capture. ${verb} to a place outside every hot folder, or move the hot folder`,
      });
    }
  }
  return problems;
}

interface WrittenPlace {
  field: string;
  value: string;
  /** Where it resolved to; sources and targets are the config's own objects, their paths resolved in place. */
  now: (resolved: StationLocations) => string;
  /** What an earlier version would have found at the former place. */
  holds: string;
  /** Goes with the thing moved: "move it<also> to <new place>". */
  also: string;
  /** What else to do once it is moved. */
  then: string;
}

/** The config's paths as written, taken before the sources' and targets' are resolved in place. */
function writtenPlaces(file: StationConfigFile): WrittenPlace[] {
  const { database, library, logs } = file.paths;
  const paths: (WrittenPlace | null)[] = [
    database === undefined ? null : { field: 'paths.database', value: database, now: (r) => r.database, holds: 'holds a station database', also: ' with its -wal and -shm files', then: '' },
    library === undefined ? null : { field: 'paths.library', value: library, now: (r) => r.library, holds: 'holds a library', also: '', then: '' },
    logs === undefined ? null : { field: 'paths.logs', value: logs, now: (r) => r.logs, holds: "holds the station's logs", also: '', then: '' },
  ];
  const sources = (file.sources ?? []).map(
    (source, i): WrittenPlace => ({
      field: `sources.${i}.path`,
      value: source.path,
      now: () => source.path,
      holds: `is the hot folder of source "${source.id}", where its camera or scanner may still save`,
      also: '',
      then: ', and have the camera or scanner save there',
    }),
  );
  const targets = file.targets.map((target, i): WrittenPlace | null =>
    target.kind === 'folder'
      ? { field: `targets.${i}.path`, value: target.path, now: () => target.path, holds: `holds the uploads of target "${target.id}", which retention counts as copies`, also: ' with its contents', then: '' }
      : null,
  );
  return [...paths, ...sources, ...targets].filter((p): p is WrittenPlace => p !== null);
}

/**
 * Without a home, relative paths were once resolved against the config file's folder. A database,
 * library, logs folder, hot folder or folder target found only there belongs to a station that ran
 * before: refused, rather than started on an empty one beside it (a camera still saving into the old
 * hot folder would never be ingested; retention would trust copies in a folder nobody looks at).
 */
function checkFormerRelativePaths(written: WrittenPlace[], resolved: StationLocations, configFile: string | null): ConfigProblem[] {
  if (resolved.home !== null || configFile === null) return [];
  return written.flatMap(({ field, value, now: resolvedTo, holds, also, then }) => {
    if (path.isAbsolute(value)) return [];
    const former = path.resolve(path.dirname(configFile), value);
    const now = resolvedTo(resolved);
    if (former === now || fs.existsSync(now) || !fs.existsSync(former)) return [];
    return [
      {
        field,
        problem: `"${value}" now means ${now} (without a station home a relative path lies where its default does), which does not exist, while ${former} (next to the config file, where earlier versions put it) ${holds}. To keep using it set ${field} to "${former}", or move it${also} to ${now}${then}`,
      },
    ];
  });
}

/**
 * `p` as the file system reaches it: a symbolic link on the way (a library at H/Lib linking into
 * H/Hot/lib) is followed. The part that does not exist yet is kept as written below the nearest
 * folder that does.
 */
export function realPathOf(p: string): string {
  let existing = p;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  try {
    return path.join(fs.realpathSync(existing), path.relative(existing, p));
  } catch {
    return p;
  }
}

/** Where `p` lies relative to `q` (both real paths); null when side by side. */
function placeOf(p: string, q: string): 'same' | 'inside' | 'around' | null {
  if (p === q) return 'same';
  if (p.startsWith(q + path.sep)) return 'inside';
  if (q.startsWith(p + path.sep)) return 'around';
  return null;
}

/** A path as written, and where it really leads when a symbolic link on the way makes that differ. */
function shownPath(p: string, real: string): string {
  return p === real ? p : `${p} (really ${real})`;
}

/**
 * Resolves target paths in place; a target inside a hot folder would feed its own uploads back into
 * ingest. Compared as real paths: a target reached through a link into a hot folder is inside it.
 */
function checkTargets(targets: TargetConfig[], sources: SourceConfig[], base: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seenIds = new Set<string>();
  const seenFolders = new Map<string, string>();
  const hot = sources.map((s) => ({ id: s.id, path: s.path, real: realPathOf(s.path) }));
  targets.forEach((target, i) => {
    if (seenIds.has(target.id)) problems.push({ field: `targets.${i}.id`, problem: `"${target.id}" is used by another target; every target needs its own id` });
    seenIds.add(target.id);
    if (target.kind !== 'folder') return;
    target.path = path.resolve(base, target.path);
    const real = realPathOf(target.path);
    // Two targets on one folder would count one copy twice (retention trusts each as a separate copy).
    const same = seenFolders.get(real);
    if (same) problems.push({ field: `targets.${i}.path`, problem: `targets "${same}" and "${target.id}" are both the folder ${shownPath(target.path, real)}; one copy there is not two. Give each target its own folder, or remove one` });
    seenFolders.set(real, target.id);
    const inside = hot.find((s) => placeOf(real, s.real) !== null);
    if (inside) {
      problems.push({
        field: `targets.${i}.path`,
        problem: `${shownPath(target.path, real)} overlaps the hot folder of source "${inside.id}" (${shownPath(inside.path, inside.real)}); uploads would be ingested again. Use a folder outside every source`,
      });
    }
  });
  return problems;
}

/** A scanner's scans go to a source by id: an id no source has would refuse every scan at run time. */
function checkUsbSources(usb: LinkingConfig['usb'], sources: SourceConfig[]): ConfigProblem[] {
  const known = sources.map((s) => `"${s.id}"`).join(', ');
  const unknown = (field: string, id: string | undefined): ConfigProblem[] =>
    id === undefined || sources.some((s) => s.id === id) ? [] : [{ field, problem: `no source has the id "${id}"; the sources are ${known}. Use one of them, or leave it out` }];
  const devices = usb.devices === 'auto' ? [] : usb.devices;
  return [...unknown('linking.usb.sourceId', usb.sourceId), ...devices.flatMap((d, i) => unknown(`linking.usb.devices.${i}.sourceId`, d.sourceId))];
}

function mergeProfile(parent: Profile, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parent };
  for (const [key, value] of Object.entries(overrides)) {
    const inherited = (parent as Record<string, unknown>)[key];
    out[key] = isPlainObject(inherited) && isPlainObject(value) ? { ...inherited, ...value } : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `schema` parsed `input`; the issues' paths lead into both, `prefix` names where that input sits in the config. */
function describeIssues(issues: z.core.$ZodIssue[], schema: z.core.$ZodType, input: unknown, prefix: (string | number)[] = []): ConfigProblem[] {
  return issues.map((issue) => {
    const field = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') return { field, problem: unknownFieldsMessage(issue.keys, allowedFieldsAt(schema, issue.path, input)) };
    return { field, problem: issue.message };
  });
}

export function configError(configFile: string | null, problems: ConfigProblem[]): StationError {
  const where = configFile ?? 'the station config';
  const lines = problems.map((p) => `  - ${p.field}: ${p.problem}`);
  return new StationError('CONFIG_INVALID', `${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; the station did not start:\n${lines.join('\n')}`, { problems });
}

function sanitiseHostname(environment: PathEnvironment): string {
  const host = (environment.env['HOSTNAME'] || os.hostname() || 'station').replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[-_]+/, '');
  return host.slice(0, 64) || 'station';
}
