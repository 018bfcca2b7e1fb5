/**
 * Zod's own messages ("Too small: expected number to be >=0") say what failed in its terms; a
 * technician needs to read what to type. Passed as the per-parse `error` of the config's schemas,
 * this only words the issues a schema left without a message of its own (zod applies a schema's
 * own message first), and returns undefined for the rest, which keep zod's.
 */
import type { z } from 'zod';

const nouns: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a group of settings',
};

function described(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string') return `the text "${input}"`;
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  return typeof input === 'object' ? 'a group of settings' : typeof input;
}

const plural = (n: number | bigint, one: string, many: string) => `${n} ${Number(n) === 1 ? one : many}`;

export function configIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const want = nouns[issue.expected] ?? issue.expected;
      if (issue.expected === 'int' && typeof issue.input === 'number') return `Type a whole number, without a decimal point (${issue.input} is not one).`;
      if (issue.input === undefined) return `This is required: type ${want}.`;
      return `Type ${want} here, not ${described(issue.input)}.`;
    }
    case 'too_small': {
      const min = issue.minimum;
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive ? `Type a number of ${min} or more.` : `Type a number greater than ${min}.`;
      if (issue.origin === 'string') return Number(min) <= 1 ? 'This cannot be empty: type a value.' : `Type at least ${plural(min, 'character', 'characters')}.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `List at least ${plural(min, 'entry', 'entries')}.`;
      return undefined;
    }
    case 'too_big': {
      const max = issue.maximum;
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive ? `Type a number of ${max} or less.` : `Type a number less than ${max}.`;
      if (issue.origin === 'string') return `Shorten this to at most ${plural(max, 'character', 'characters')}.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `List at most ${plural(max, 'entry', 'entries')}.`;
      return undefined;
    }
    case 'invalid_value':
      return `Choose one of ${issue.values.map((v) => `"${String(v)}"`).join(', ')}${issue.input === undefined ? '' : ` (not ${described(issue.input)})`}.`;
    default:
      return undefined;
  }
}

/** Wrappers that hold one schema inside (a default, an optional field, a pipe's input…). */
const wrapperTypes = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'lazy']);

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType; getter?: () => z.core.$ZodType };
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'lazy' && def.getter) return unwrap(def.getter());
  if (wrapperTypes.has(def.type) && def.innerType) return unwrap(def.innerType);
  return schema;
}

function shapeOf(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | null {
  const def = schema._zod.def as z.core.$ZodTypeDef & { shape?: Record<string, z.core.$ZodType> };
  return def.type === 'object' && def.shape ? def.shape : null;
}

/**
 * The field names a schema allows at `at` (a path into the input `value` it parsed), read from the
 * schema itself so the list cannot fall behind it; null where the path leads to no object schema.
 * Through a union, the option is the object whose fields best cover the input's own.
 */
export function allowedFieldsAt(root: z.core.$ZodType, at: readonly PropertyKey[], value: unknown): string[] | null {
  let schema = unwrap(root);
  let input = value;
  for (let i = 0; ; ) {
    const def = schema._zod.def as z.core.$ZodTypeDef & { options?: z.core.$ZodType[]; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
    if (def.type === 'union' && def.options) {
      const keys = input !== null && typeof input === 'object' ? Object.keys(input) : [];
      const scored = def.options.map(unwrap).map((o) => ({ o, hits: keys.filter((k) => shapeOf(o)?.[k]).length }));
      const best = scored.filter((s) => shapeOf(s.o)).sort((a, b) => b.hits - a.hits)[0];
      if (!best) return null;
      schema = best.o;
      continue;
    }
    if (i === at.length) break;
    const key = at[i++]!;
    input = input !== null && typeof input === 'object' ? (input as Record<PropertyKey, unknown>)[key] : undefined;
    const shape = shapeOf(schema);
    const next = shape ? shape[String(key)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    if (!next) return null;
    schema = unwrap(next);
  }
  const shape = shapeOf(schema);
  return shape ? Object.keys(shape) : null;
}

/** An unknown field, with the fields allowed in its place when the schema says which. */
export function unknownFieldsMessage(keys: readonly string[], allowed: readonly string[] | null): string {
  const named = `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
  return allowed ? `${named} — check the spelling; the fields allowed here are ${allowed.join(', ')}` : `${named} — check the spelling against the configuration reference in the README`;
}
