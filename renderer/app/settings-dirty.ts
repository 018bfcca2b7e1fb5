/**
 * Whether the Settings form holds a change: its values compared with the config as loaded, not a
 * record of edits — a field typed into and put back (by hand, or by the scan bar restoring a field a
 * scanner's burst landed in) is no change. Pure.
 */
import { getIn, thresholdFields, thresholdValue, type ConfigForEdit, type EditableConfig } from './settings-state.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality where null (how the form removes a field) and a missing field are the same. */
export function sameValues(a: unknown, b: unknown): boolean {
  if ((a ?? null) === null && (b ?? null) === null) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValues(x, b[i]));
  if (isObject(a) && isObject(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => sameValues(a[k], b[k]));
  return a === b;
}

/**
 * `draft` without the threshold overrides the form wrote that only repeat what the loaded config
 * already gives (a threshold typed back to its value): the override, then its emptied section, then
 * a profile left holding only the `extends` the form added, go — as they were before the edit.
 */
export function settleThresholds(draft: EditableConfig, data: ConfigForEdit): EditableConfig {
  const loaded = data.config.profiles as Json;
  let profiles: Json | null = null;
  for (const [name, own] of Object.entries(draft.profiles as Json)) {
    if (!isObject(own) || sameValues(own, loaded[name])) continue;
    let next: Json = own;
    for (const [section, field] of thresholdFields) {
      const value = getIn(own, [section, field]);
      if (value === undefined || getIn(loaded, [name, section, field]) !== undefined) continue;
      if (value !== thresholdValue(data, data.config, name, section, field)) continue;
      const rest = { ...(next[section] as Json) };
      delete rest[field];
      next = { ...next };
      if (Object.keys(rest).length > 0 || isObject(getIn(loaded, [name, section]))) next[section] = rest;
      else delete next[section];
    }
    if (next === own) continue;
    profiles ??= { ...(draft.profiles as Json) };
    const onlyExtends = Object.keys(next).every((k) => k === 'extends') && (next['extends'] === undefined || next['extends'] === name);
    if (onlyExtends && loaded[name] === undefined) delete profiles[name];
    else profiles[name] = next;
  }
  return profiles ? { ...draft, profiles: profiles as EditableConfig['profiles'] } : draft;
}

/** The form holds a change the station does not have yet. */
export function isDirty(draft: EditableConfig, data: ConfigForEdit): boolean {
  return !sameValues(settleThresholds(draft, data), data.config);
}
