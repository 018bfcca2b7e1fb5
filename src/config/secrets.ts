/**
 * Secrets in the station config (S3 keys, tus headers, monitor tokens) never leave the core: the
 * Settings view gets a placeholder, and a placeholder coming back means "keep what the file has".
 * A target's secrets are matched by its id (and header name), and only while it still points at the
 * same place (kind, endpoint, bucket, region): a hidden secret never follows a target to another
 * host. Each monitor token has a placeholder of its own (a short digest of it), so removing one
 * token from the list revokes that one, not whichever sat at its position.
 */
import { createHash } from 'node:crypto';

/** What the UI sees instead of a secret. */
export const redactedSecret = '(hidden)';

const s3SecretFields = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function targetsOf(config: Json): Json[] {
  return Array.isArray(config['targets']) ? config['targets'].filter(isObject) : [];
}

/** The fields that say where a target's secrets are sent. */
const destinationFields = ['kind', 'endpoint', 'bucket', 'region'] as const;

function tokenPlaceholder(token: string): string {
  return `(hidden #${createHash('sha256').update(token).digest('hex').slice(0, 8)})`;
}

function tokensOf(config: Json): unknown[] | null {
  const server = config['server'];
  return isObject(server) && Array.isArray(server['monitorTokens']) ? server['monitorTokens'] : null;
}

/** A deep copy of `config` with every secret replaced by the placeholder. */
export function redactSecrets<T>(config: T): T {
  const copy = structuredClone(config) as unknown;
  if (!isObject(copy)) return copy as T;
  for (const target of targetsOf(copy)) {
    for (const field of s3SecretFields) if (typeof target[field] === 'string') target[field] = redactedSecret;
    if (isObject(target['headers'])) for (const name of Object.keys(target['headers'])) target['headers'][name] = redactedSecret;
  }
  const tokens = tokensOf(copy);
  if (tokens) tokens.forEach((t, i) => (tokens[i] = typeof t === 'string' ? tokenPlaceholder(t) : redactedSecret));
  return copy as T;
}

/**
 * Puts the secrets of `previous` back where `edited` has the placeholder (in place). Returns the
 * field paths of placeholders with nothing to restore (a new target cannot inherit a hidden secret).
 */
export function restoreSecrets(edited: Json, previous: Json): string[] {
  const unmatched: string[] = [];
  const before = new Map(targetsOf(previous).map((t) => [t['id'], t]));
  const targets = Array.isArray(edited['targets']) ? edited['targets'] : [];
  targets.forEach((target, i) => {
    if (!isObject(target)) return;
    const candidate = before.get(target['id']);
    const old = candidate && destinationFields.every((f) => candidate[f] === target[f]) ? candidate : undefined;
    for (const field of s3SecretFields) {
      if (target[field] !== redactedSecret) continue;
      if (old && typeof old[field] === 'string') target[field] = old[field];
      else unmatched.push(`targets.${i}.${field}`);
    }
    const headers = target['headers'];
    if (!isObject(headers)) return;
    const oldHeaders = old && isObject(old['headers']) ? old['headers'] : {};
    for (const name of Object.keys(headers)) {
      if (headers[name] !== redactedSecret) continue;
      if (typeof oldHeaders[name] === 'string') headers[name] = oldHeaders[name];
      else unmatched.push(`targets.${i}.headers.${name}`);
    }
  });
  const tokens = tokensOf(edited);
  const byPlaceholder = new Map((tokensOf(previous) ?? []).filter((t): t is string => typeof t === 'string').map((t) => [tokenPlaceholder(t), t]));
  tokens?.forEach((token, i) => {
    if (typeof token !== 'string' || !token.startsWith('(hidden')) return;
    const original = byPlaceholder.get(token);
    if (original !== undefined) tokens[i] = original;
    else unmatched.push(`server.monitorTokens.${i}`);
  });
  return unmatched;
}
