/**
 * Secrets in the station config (S3 keys, tus headers, monitor tokens, credentials inside an
 * endpoint URL) never leave the core: the Settings view gets a placeholder, and a placeholder coming
 * back means "keep what the file has". A target's secrets are matched by its id (and header name,
 * or slot in the URL), and only while it still points at the same place (kind, endpoint's host and
 * path, bucket, region): a hidden secret never follows a target to another host. Each monitor token has a placeholder of its own (a short digest of it), so removing one
 * token from the list revokes that one, not whichever sat at its position.
 */
import { createHash } from 'node:crypto';
import { redactedSecret, redactUrl, restoreUrlCredentials, urlDestination } from '../shared/redact-url.js';

export { redactedSecret };

const s3SecretFields = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function targetsOf(config: Json): Json[] {
  return Array.isArray(config['targets']) ? config['targets'].filter(isObject) : [];
}

/** The fields that say where a target's secrets are sent (and its endpoint's host and path). */
const destinationFields = ['kind', 'bucket', 'region'] as const;

function sameDestination(a: Json, b: Json): boolean {
  const endpoint = (t: Json) => (typeof t['endpoint'] === 'string' ? urlDestination(t['endpoint']) : t['endpoint']);
  return destinationFields.every((f) => a[f] === b[f]) && endpoint(a) === endpoint(b);
}

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
    if (typeof target['endpoint'] === 'string') target['endpoint'] = redactUrl(target['endpoint']);
  }
  const tokens = tokensOf(copy);
  if (tokens) tokens.forEach((t, i) => (tokens[i] = typeof t === 'string' ? tokenPlaceholder(t) : redactedSecret));
  return copy as T;
}

const typeAgain = 'this secret is hidden; type it in again';

/**
 * Puts the secrets of `previous` back where `edited` has the placeholder (in place). Returns what
 * is wrong at each field whose placeholder has nothing to restore (a new target cannot inherit a
 * hidden secret), by field path.
 */
export function restoreSecrets(edited: Json, previous: Json): Record<string, string> {
  const unmatched: Record<string, string> = {};
  const before = new Map(targetsOf(previous).map((t) => [t['id'], t]));
  const targets = Array.isArray(edited['targets']) ? edited['targets'] : [];
  targets.forEach((target, i) => {
    if (!isObject(target)) return;
    const candidate = before.get(target['id']);
    if (typeof target['endpoint'] === 'string') {
      const previousUrl = candidate?.['kind'] === target['kind'] && typeof candidate?.['endpoint'] === 'string' ? candidate['endpoint'] : undefined;
      const restored = restoreUrlCredentials(target['endpoint'], previousUrl);
      if (restored !== null) target['endpoint'] = restored;
      else unmatched[`targets.${i}.endpoint`] = `the credentials in this URL are hidden (${redactedSecret}) and do not follow it to another host or path, or to a new target; type them in again`;
    }
    const old = candidate && sameDestination(candidate, target) ? candidate : undefined;
    for (const field of s3SecretFields) {
      if (target[field] !== redactedSecret) continue;
      if (old && typeof old[field] === 'string') target[field] = old[field];
      else unmatched[`targets.${i}.${field}`] = typeAgain;
    }
    const headers = target['headers'];
    if (!isObject(headers)) return;
    const oldHeaders = old && isObject(old['headers']) ? old['headers'] : {};
    for (const name of Object.keys(headers)) {
      if (headers[name] !== redactedSecret) continue;
      if (typeof oldHeaders[name] === 'string') headers[name] = oldHeaders[name];
      else unmatched[`targets.${i}.headers.${name}`] = typeAgain;
    }
  });
  const tokens = tokensOf(edited);
  const byPlaceholder = new Map((tokensOf(previous) ?? []).filter((t): t is string => typeof t === 'string').map((t) => [tokenPlaceholder(t), t]));
  tokens?.forEach((token, i) => {
    if (typeof token !== 'string' || !token.startsWith('(hidden')) return;
    const original = byPlaceholder.get(token);
    if (original !== undefined) tokens[i] = original;
    else unmatched[`server.monitorTokens.${i}`] = typeAgain;
  });
  return unmatched;
}
