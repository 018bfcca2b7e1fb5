/**
 * The Settings view's side of the config: read the file for editing, check an edited config with
 * the same schema and cross-checks the station starts with, and write it back.
 *
 * Only what the operator changed is written: the edit is compared with the config as read, and the
 * differences are set into the file as it is on disk — JSON stays JSON, YAML stays YAML with its
 * comments on the untouched lines. The write is atomic (temp file, fsync, rename) and the previous
 * file is kept as `<file>.bak`. A bad edit writes nothing and comes back as field errors.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { presetProfiles, type Profile } from '../quality/profile.js';
import { fsyncDir } from '../upload/fsync.js';
import { configFormat, parseConfigText, readConfigText, resolveAsRestart, type ConfigProblem, type StationConfig } from './load.js';
import { stationConfigSchema, sourceSchema, type StationConfigFile } from './schema.js';
import { redactSecrets, restoreSecrets } from './secrets.js';

const log = createLogger('config-edit');

/** Field path ("sources.0.path", "linking.template") → what is wrong there. */
export type FieldErrors = Record<string, string>;

export interface ConfigForEdit {
  /** The file the station loaded; null when it runs on the embedded default. */
  configFile: string | null;
  /** Where a save writes (the loaded file, or station.json in the config folder). */
  writeTo: string;
  format: 'json' | 'yaml';
  /** Changes when the file changes; a save based on an older revision is refused. */
  revision: string;
  /** Every field with its value (defaults filled in, secrets hidden), as the schema reads the file. */
  config: StationConfigFile;
  /** Every profile a source may name, fully resolved (presets and this station's own). */
  profiles: Record<string, Profile>;
  presets: string[];
}

/** What else a start would refuse in a config that loads: what only the running station knows (its database). */
export type ConfigRefusals = (next: StationConfig) => ConfigProblem[];

export type SaveOutcome =
  | { saved: true; file: string; backup: string | null; changed: boolean; restartRequired: boolean }
  | { saved: false; errors: FieldErrors };

interface OnDisk {
  file: string;
  text: string | null;
  raw: Record<string, unknown>;
  editable: StationConfigFile;
}

/** Where the Settings view saves, and the file a running station watches for edits. */
export function configWriteTarget(station: StationConfig): string {
  return station.configFile ?? path.join(station.locations.configDir, 'station.json');
}

function readOnDisk(station: StationConfig): OnDisk {
  const file = configWriteTarget(station);
  const text = fs.existsSync(file) ? readConfigText(file) : null;
  const parsed = text === null ? {} : parseConfigText(file, text);
  if (!isObject(parsed)) throw new StationError('CONFIG_INVALID', `The station config ${file} does not hold an object of settings; fix it by hand before editing it here.`);
  const checked = stationConfigSchema.safeParse(parsed);
  if (!checked.success) throw new StationError('CONFIG_INVALID', `The station config ${file} changed on disk and is no longer valid; fix it by hand (the station names every wrong field when it starts).`);
  const editable = checked.data;
  // The station's implicit source, shown so it can be edited; written only when changed.
  editable.sources ??= [sourceSchema.parse({ id: 'inbox', path: station.locations.inbox })];
  return { file, text, raw: parsed, editable };
}

function revisionOf(text: string | null): string {
  return text === null ? 'none' : crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function readConfigForEdit(station: StationConfig): ConfigForEdit {
  const disk = readOnDisk(station);
  return {
    configFile: station.configFile,
    writeTo: disk.file,
    format: configFormat(disk.file),
    revision: revisionOf(disk.text),
    config: redactSecrets(disk.editable),
    profiles: resolvedProfiles(station, disk.raw),
    presets: Object.keys(presetProfiles),
  };
}

function resolvedProfiles(station: StationConfig, raw: unknown): Record<string, Profile> {
  try {
    return resolveAsRestart(raw, station, station.configFile).profiles;
  } catch {
    return station.profiles;
  }
}

interface Checked {
  errors: FieldErrors;
  next: Record<string, unknown>;
  disk: OnDisk;
  changes: Change[];
}

function check(station: StationConfig, edited: Record<string, unknown>, refusals?: ConfigRefusals): Checked {
  const disk = readOnDisk(station);
  const next = structuredClone(edited);
  const errors: FieldErrors = restoreSecrets(next, disk.editable as unknown as Record<string, unknown>);
  const changes = diff(disk.editable, next, []);
  const candidate = structuredClone(disk.raw);
  for (const c of changes) applyToObject(candidate, c);
  const problems = problemsOf(() => resolveAsRestart(candidate, station, disk.file));
  if (problems.length === 0 && refusals) problems.push(...refusals(resolveAsRestart(candidate, station, disk.file)));
  for (const p of problems) errors[p.field] = errors[p.field] ? `${errors[p.field]}; ${p.problem}` : p.problem;
  return { errors, next, disk, changes };
}

/** Field errors of an edited config (empty when it would load); writes nothing. */
export function checkConfigEdit(station: StationConfig, edited: Record<string, unknown>, refusals?: ConfigRefusals): FieldErrors {
  return check(station, edited, refusals).errors;
}

/** Saves run one at a time: the second of two saves from the same revision sees the first's file, and is refused. */
let saving: Promise<unknown> = Promise.resolve();

export function saveConfigEdit(station: StationConfig, edited: Record<string, unknown>, baseRevision?: string, refusals?: ConfigRefusals): Promise<SaveOutcome> {
  const run = saving.then(() => save(station, edited, baseRevision, refusals));
  saving = run.catch(() => undefined);
  return run;
}

async function save(station: StationConfig, edited: Record<string, unknown>, baseRevision: string | undefined, refusals: ConfigRefusals | undefined): Promise<SaveOutcome> {
  const { errors, disk, changes } = check(station, edited, refusals);
  if (baseRevision !== undefined && baseRevision !== revisionOf(disk.text)) {
    throw new StationError('INVALID_ARGUMENT', `${disk.file} was changed by someone else since it was opened here; reload the settings and make the change again.`);
  }
  if (Object.keys(errors).length > 0) return { saved: false, errors };
  if (changes.length === 0) return { saved: true, file: disk.file, backup: null, changed: false, restartRequired: false };
  const text = render(disk, changes);
  const backup = disk.text === null ? null : `${disk.file}.bak`;
  await writeAtomically(disk.file, text, backup);
  log.info('station config saved from the Settings view; restart the station to apply it', { file: disk.file, fields: changes.map((c) => c.path.join('.')) });
  return { saved: true, file: disk.file, backup, changed: true, restartRequired: true };
}

function problemsOf(load: () => unknown): ConfigProblem[] {
  try {
    load();
    return [];
  } catch (err) {
    const details = err instanceof StationError ? (err.details as { problems?: ConfigProblem[] } | undefined) : undefined;
    if (details?.problems) return details.problems;
    return [{ field: '(top level)', problem: err instanceof Error ? err.message : String(err) }];
  }
}

/** One changed field: a value to set, or `undefined` to remove it from the file. */
interface Change {
  path: string[];
  value: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return false;
}

/**
 * Objects are compared key by key; anything else (arrays included) is replaced whole when it
 * differs. A key the edit leaves out is unchanged — a partial edit (or a UI that lost a section)
 * never deletes the station id, its targets or its tokens; `null` is how an edit removes a field
 * (no config field takes null as a value).
 */
function diff(before: unknown, after: unknown, at: string[]): Change[] {
  if (after === null) return before === undefined ? [] : [{ path: at, value: undefined }];
  if (isObject(before) && isObject(after)) return Object.keys(after).flatMap((k) => diff(before[k], after[k], [...at, k]));
  const value = withoutNulls(after);
  return same(before, value) ? [] : [{ path: at, value }];
}

/** A value replaced whole (a list of targets, say) drops the fields its edit removed (null). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  return value;
}

function applyToObject(root: Record<string, unknown>, change: Change): void {
  let node = root;
  const last = change.path[change.path.length - 1];
  if (last === undefined) return;
  for (const key of change.path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  if (change.value === undefined) delete node[last];
  else node[last] = structuredClone(change.value);
}

function render(disk: OnDisk, changes: Change[]): string {
  if (configFormat(disk.file) === 'json') {
    const next = structuredClone(disk.raw);
    for (const c of changes) applyToObject(next, c);
    return `${JSON.stringify(next, null, 2)}\n`;
  }
  const doc = YAML.parseDocument(disk.text ?? '');
  for (const c of changes) {
    if (c.value === undefined) doc.deleteIn(c.path);
    else doc.setIn(c.path, doc.createNode(c.value));
  }
  return String(doc);
}

/** Temp file beside the target, fsynced, then renamed over it; the old file stays as `backup`. */
async function writeAtomically(file: string, text: string, backup: string | null): Promise<void> {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const mode = fs.existsSync(file) ? fs.statSync(file).mode & 0o777 : 0o644;
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.promises.open(temp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (backup) await fs.promises.copyFile(file, backup);
    await fs.promises.rename(temp, file);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw new StationError('INTERNAL', `Could not write the station config ${file}: ${(err as Error).message}. Nothing was changed; check the folder's permissions.`);
  }
  await fsyncDir(dir);
}
