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
  if (next.search) {
    const seen = new Map<string, number>();
    const parts = next.search.slice(1).split('&').map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) return part;
      const name = decoded(part.slice(0, eq));
      if (!secretParam.test(name)) return part;
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      return `${part.slice(0, eq)}=${each(`query ${name}#${n}`, part.slice(eq + 1))}`;
    });
    next.search = parts.join('&');
  }
  return next.href;
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

/**
 * `text` with the credentials of every http(s) URL in it replaced by the placeholder. Punctuation
 * after a URL is not part of it, nor is a closing parenthesis without its opening one inside the
 * URL — so "(see https://host/?token=(hidden))" stays as it is when redacted again.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(urlInText, (match) => {
    let end = match.length;
    const unbalanced = (s: string) => s.split(')').length > s.split('(').length;
    while (end > 0 && (',;.'.includes(match[end - 1]!) || (match[end - 1] === ')' && unbalanced(match.slice(0, end))))) end -= 1;
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
  return mapCredentials(url, (slot, raw) => (isPlaceholder(raw) ? before.get(slot)! : raw));
}
