/**
 * Who is calling: every request to the headless server carries a token. The operator token is made
 * fresh at each start; monitor tokens come from the config and may only read.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type Role = 'operator' | 'monitor';

/** 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class TokenRegistry {
  private readonly tokens: { digest: Buffer; role: Role }[];

  constructor(operatorToken: string, monitorTokens: readonly string[]) {
    this.tokens = [{ digest: digest(operatorToken), role: 'operator' }, ...monitorTokens.map((t) => ({ digest: digest(t), role: 'monitor' as const }))];
  }

  /** Constant-time comparison against every known token (hashing first makes the lengths equal). */
  roleOf(token: string | null | undefined): Role | null {
    if (!token) return null;
    const d = digest(token);
    let role: Role | null = null;
    for (const known of this.tokens) if (timingSafeEqual(known.digest, d) && role === null) role = known.role;
    return role;
  }
}

/**
 * Where a request may carry its token: `Authorization: Bearer`, then (page loads and the WebSocket
 * only) `?token=`, then the session cookie.
 */
export function tokenFrom(headers: { authorization?: string | undefined; cookie?: string | undefined }, url: URL, allowQuery: boolean, cookieName: string): string | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? null;
  }
  const fromQuery = allowQuery ? url.searchParams.get('token') : null;
  if (fromQuery) return fromQuery;
  return cookieValue(headers.cookie, cookieName);
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** Writes the operator token where a local operator (and nobody else) can read it: mode 0600, replaced atomically. */
export function writeTokenFile(file: string, token: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token + '\n', { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
