/**
 * The Settings view's draft of the station config: edits as immutable updates by field path, the
 * profile thresholds (written as overrides of the profile a source uses), and how a field's error
 * is found. Validation itself is the core's (checkConfig): the UI only turns typed text into numbers
 * and says so when it is not one. Pure.
 */
import type { ResultOf, StationHandlers } from '../contract.js';

export type ConfigForEdit = ResultOf<StationHandlers, 'getConfig'>;
export type EditableConfig = ConfigForEdit['config'];
export type FieldPath = readonly (string | number)[];
export type FieldErrors = Record<string, string>;

export const pathKey = (path: FieldPath): string => path.join('.');

export function getIn(root: unknown, path: FieldPath): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** A copy of `root` with `value` at `path` (objects and arrays on the way copied, missing ones made). */
export function setIn<T>(root: T, path: FieldPath, value: unknown): T {
  const [key, ...rest] = path;
  if (key === undefined) return value as T;
  const node = (typeof root === 'object' && root !== null ? root : typeof key === 'number' ? [] : {}) as Record<string | number, unknown>;
  const copy = (Array.isArray(node) ? [...node] : { ...node }) as Record<string | number, unknown>;
  copy[key] = setIn(node[key], rest, value);
  return copy as T;
}

/** Typed text for a number field: the number, or the text itself when it is not one (reported at the field). */
export function numberFromInput(text: string): number | string {
  const t = text.trim().replace(',', '.');
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : text;
}

/** A list typed as "front, back, label". */
export function listFromInput(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The QC thresholds the Settings view shows per profile: [section, field, label, unit]. */
export const thresholdFields = [
  ['exposure', 'warnClippedPct', 'Clipping: warn above', '%'],
  ['exposure', 'failClippedPct', 'Clipping: fail above', '%'],
  ['sharpness', 'warnBelow', 'Sharpness: warn below', ''],
  ['sharpness', 'failBelow', 'Sharpness: fail below', ''],
  ['minPpi', 'ppi', 'Minimum resolution', 'ppi'],
  ['blank', 'minStdDev', 'Blank frame: detail below', ''],
  ['nearDuplicate', 'maxDistance', 'Near-duplicate: distance up to', ''],
  ['pairs', 'windowSec', 'RAW + TIFF/JPEG partner waited for', 's'],
] as const;

/** The on/off settings the Settings view shows per profile (written as overrides like the thresholds): [section, field, label]. */
export const profileToggles = [['pairs', 'required', 'Every shot needs its RAW and its TIFF/JPEG (pairs)']] as const;

export type ThresholdSection = (typeof thresholdFields)[number][0] | (typeof profileToggles)[number][0];

/** The value a profile has for a threshold: this station's override if any, else the profile's own. */
export function thresholdValue(data: ConfigForEdit, draft: EditableConfig, profile: string, section: ThresholdSection, field: string): unknown {
  const own = getIn(draft.profiles, [profile, section, field]);
  return own !== undefined ? own : getIn(data.profiles, [profile, section, field]);
}

/**
 * Sets a threshold as an override in `profiles.<name>`. A preset changed here must extend itself
 * (an own profile without `extends` builds on "default").
 */
export function setThreshold(draft: EditableConfig, presets: readonly string[], profile: string, section: ThresholdSection, field: string, value: unknown): EditableConfig {
  const existing = draft.profiles[profile];
  const base = existing ?? (presets.includes(profile) && profile !== 'default' ? { extends: profile } : {});
  return setIn(setIn(draft, ['profiles', profile], base), ['profiles', profile, section, field], value);
}

/** Profiles the sources use, in order, each once. */
export function profilesInUse(draft: EditableConfig): string[] {
  return [...new Set((draft.sources ?? []).map((s) => s.profile))];
}

/**
 * The error of a field, or (`nested`, for a list typed as one field) the first of its items', named
 * by its place in the list ("item 2: …"), so a bad entry is shown at the field that holds it.
 */
export function fieldError(errors: FieldErrors, path: FieldPath, nested = false): string | undefined {
  const key = pathKey(path);
  if (errors[key] || !nested) return errors[key];
  const item = Object.keys(errors).find((k) => k.startsWith(`${key}.`));
  return item === undefined ? undefined : `item ${Number(item.slice(key.length + 1).split('.')[0]) + 1}: ${errors[item]}`;
}

/** Number fields whose text is not a number, with what to type instead (before the core is asked). */
export function notNumbers(draft: EditableConfig, paths: readonly FieldPath[]): FieldErrors {
  const out: FieldErrors = {};
  for (const p of paths) if (typeof getIn(draft, p) === 'string') out[pathKey(p)] = 'type a number, e.g. 5 or 0.5';
  return out;
}

/** The numeric fields of the form (the thresholds live under profiles.<name>). */
export function numberPaths(draft: EditableConfig): FieldPath[] {
  const paths: FieldPath[] = [['linking', 'idleTimeoutSec'], ['linking', 'expectedShots'], ['linking', 'completenessWaitSec'], ['linking', 'barcode', 'maxLength']];
  (draft.sources ?? []).forEach((_, i) => paths.push(['sources', i, 'pollIntervalMs']));
  for (const name of Object.keys(draft.profiles)) for (const [section, field] of thresholdFields) paths.push(['profiles', name, section, field]);
  return paths;
}
