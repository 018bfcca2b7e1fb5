/**
 * Credentials inside a URL (`https://user:password@host/…`, or a token or signature in its query)
 * are secrets like any other. Logs, events, errors and the Settings view show such a URL with each
 * credential replaced by the placeholder, so its host and path stay readable; the Settings view's
 * save puts them back (restoreUrlCredentials) only while the URL still points at the same place.
 */

/** What is shown instead of a secret (in the config, and inside URLs). */
export const redactedSecret = '(hidden)';

/** Query parameters whose values are credentials: X-Amz-Signature/-Credential/-Security-Token, access_token, sig, api_key, auth, password… (not author=). */
const secretParam = /token|signature|^sig$|secret|passw|pwd|key|^auth$|authorization|credential|session/i;

/** An http(s) URL inside free text (an error message of a library, say), with the punctuation after it. */
const urlInText = /\bhttps?:\/\/[^\s"'<>]+/gi;

function parse(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

function isPlaceholder(raw: string): boolean {
  return raw === redactedSecret || decoded(raw) === redactedSecret;
}

/**
 * Calls `each` for every credential of `url` with its slot ("username", "password", "query
 * token#0" for the first `token` parameter) and its raw (percent-encoded) value, and returns the
 * URL with each credential replaced by what `each` returned. Everything else stays as it was.
 */
function mapCredentials(url: URL, each: (slot: string, raw: string) => string): string {
  const next = new URL(url.href);
  if (next.username) next.username = each('username', next.username);
  if (next.password) next.password = each('password', next.password);
  // The fragment too: OAuth's implicit flow puts access_token=… there.
  if (next.search) next.search = mapParams(next.search.slice(1), 'query', each);
  if (next.hash) next.hash = mapParams(next.hash.slice(1), 'fragment', each);
  return next.href;
}

/** `name=value&…` with each secret-looking value replaced by what `each` returns for its slot. */
function mapParams(params: string, where: 'query' | 'fragment', each: (slot: string, raw: string) => string): string {
  const seen = new Map<string, number>();
  return params
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) return part;
      const name = decoded(part.slice(0, eq));
      if (!secretParam.test(name)) return part;
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      return `${part.slice(0, eq)}=${each(`${where} ${name}#${n}`, part.slice(eq + 1))}`;
    })
    .join('&');
}

function credentialsOf(url: URL): Map<string, string> {
  const found = new Map<string, string>();
  mapCredentials(url, (slot, raw) => {
    found.set(slot, raw);
    return raw;
  });
  return found;
}

/** Where a URL sends what it carries: scheme, host, port and path (credentials and query left out). */
export function urlDestination(text: string): string {
  const url = parse(text);
  return url ? `${url.protocol}//${url.host}${url.pathname}` : text;
}

/** `text` (a URL) with its credentials replaced by the placeholder; unchanged when it has none. */
export function redactUrl(text: string): string {
  const url = parse(text);
  // Not a URL the parser takes: hide anything that looks like user:password@ all the same.
  if (!url) return text.replace(/\/\/[^/?#\s]*@/, `//${redactedSecret}@`);
  return credentialsOf(url).size === 0 ? text : mapCredentials(url, () => redactedSecret);
}

const openerOf: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * `text` with the credentials of every http(s) URL in it replaced by the placeholder. Punctuation
 * after a URL is not part of it, nor is a closing bracket without its opening one inside the URL —
 * so "(see https://host/?token=(hidden))" stays as it is when redacted again, and "[… sig=2]" keeps its "]".
 */
export function redactUrlsIn(text: string): string {
  return text.replace(urlInText, (match) => {
    let end = match.length;
    const unbalanced = (s: string, close: string) => s.split(close).length > s.split(openerOf[close]!).length;
    for (;;) {
      const last = match[end - 1];
      if (end === 0 || last === undefined) break;
      if (!',;.'.includes(last) && !(last in openerOf && unbalanced(match.slice(0, end), last))) break;
      end -= 1;
    }
    return redactUrl(match.slice(0, end)) + match.slice(end);
  });
}

/**
 * `edited` (a URL as the Settings view sent it back) with each placeholder replaced by the
 * credential `previous` has in that slot. Null when a placeholder cannot be restored: there is no
 * previous URL, it pointed at another destination (a hidden credential never follows its URL to
 * another host or path), or it had no credential in that slot.
 */
export function restoreUrlCredentials(edited: string, previous: string | undefined): string | null {
  const url = parse(edited);
  if (!url) return edited;
  const hidden = [...credentialsOf(url)].filter(([, raw]) => isPlaceholder(raw)).map(([slot]) => slot);
  if (hidden.length === 0) return edited;
  if (previous === undefined || urlDestination(previous) !== urlDestination(edited)) return null;
  // Unchanged: the file keeps the URL byte for byte (no rewrite from a parser's normal form).
  if (redactUrl(previous) === edited) return previous;
  const before = credentialsOf(new URL(previous));
  if (hidden.some((slot) => !before.has(slot))) return null;
  // A hidden password belongs to its user: typed next to another username, it is not restored.
  if (hidden.includes('password') && !hidden.includes('username') && url.username !== new URL(previous).username) return null;
  return mapCredentials(url, (slot, raw) => (isPlaceholder(raw) ? before.get(slot)! : raw));
}
