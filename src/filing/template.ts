/**
 * Naming templates: where a linked capture is filed in the library, e.g.
 * `{project}/{date}/{barcode}/{barcode}_{seq:03}{ext}`. "/" in the template separates folders;
 * a token's value never does — every value is sanitised as part of one segment, so a barcode such
 * as "../../etc" or "C:\x" cannot move a file out of its folder.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { StationError } from '../errors.js';
import { collisionSuffixBytes, cutUtf8, defaultNamePolicy, sanitizeSegment, type NamePolicy } from './sanitize.js';

export const templateTokens = ['barcode', 'seq', 'view', 'date', 'time', 'station', 'operator', 'project', 'source', 'original', 'ext'] as const;
export type TemplateToken = (typeof templateTokens)[number];

/** What a capture's name is made of. `ext` includes its dot (".tif"); `original` is the original stem. */
export type TemplateValues = { [T in TemplateToken]: T extends 'seq' ? number : string };

type Part = { literal: string } | { token: TemplateToken; width: number };

export interface NamingTemplate {
  source: string;
  /** Folder segments, then the file name, each a sequence of literals and tokens. */
  segments: Part[][];
}

const tokenPattern = /\{([a-z]+)(?::(\d{1,2}))?\}/gu;

/**
 * Parses and checks a template once, when the config is loaded, so a typo is reported by field
 * instead of at the first capture. Throws CONFIG_INVALID naming the problem.
 */
export function parseTemplate(source: string): NamingTemplate {
  const problem = (why: string) => new StationError('CONFIG_INVALID', `Naming template "${source}" ${why}`);
  if (source.trim() === '') throw problem('is empty: give at least a file name, e.g. {barcode}_{seq:03}{ext}.');
  if (source.startsWith('/') || /^[A-Za-z]:/u.test(source) || source.includes('\\')) throw problem('must be relative to the library and use "/" between folders.');
  const segments = source.split('/').map((segment, i, all) => {
    if (segment === '' || segment === '.' || segment === '..') throw problem(`has an empty, "." or ".." folder at position ${i + 1}: folders come only from the template's text and tokens.`);
    const parts: Part[] = [];
    let last = 0;
    for (const m of segment.matchAll(tokenPattern)) {
      if (m.index > last) parts.push({ literal: segment.slice(last, m.index) });
      const name = m[1]!;
      if (!(templateTokens as readonly string[]).includes(name)) throw problem(`uses an unknown token {${name}}; the tokens are ${templateTokens.map((t) => `{${t}}`).join(', ')}.`);
      if (name === 'ext' && i !== all.length - 1) throw problem('uses {ext} in a folder name: {ext} belongs at the end of the file name.');
      parts.push({ token: name as TemplateToken, width: m[2] ? Number(m[2]) : 0 });
      last = m.index + m[0].length;
    }
    if (last < segment.length) parts.push({ literal: segment.slice(last) });
    if (parts.some((p) => 'literal' in p && /[{}]/u.test(p.literal))) throw problem('has a "{" or "}" that is not part of a token such as {barcode} or {seq:03}.');
    return parts;
  });
  const fileName = segments[segments.length - 1]!;
  // The extension is what makes the file openable: a template without it gets it appended.
  if (!fileName.some((p) => 'token' in p && p.token === 'ext')) fileName.push({ token: 'ext', width: 0 });
  return { source, segments };
}

/**
 * The library-relative path ("/" separators) for `values`. Every segment is sanitised as a whole
 * after the tokens are filled in, so what a token contributes can never add a separator. The file
 * name leaves room for freeName's collision suffix.
 */
export function renderTemplate(template: NamingTemplate, values: TemplateValues, policy: NamePolicy = defaultNamePolicy): string {
  const last = template.segments.length - 1;
  return template.segments.map((parts, i) => renderSegment(parts, values, policy, policy.maxSegmentBytes - (i === last ? collisionSuffixBytes : 0))).join('/');
}

/** Values that may be long (a barcode may be 4,096 characters); the others (seq, view, date, ext…) are short and always kept whole. */
const shortenable: ReadonlySet<TemplateToken> = new Set(['barcode', 'original', 'operator', 'project']);

/** Marks a shortened value, with the start of its hash so two long values sharing a start still differ: "BR000…~1a2b3c4d". */
const shortMarkBytes = 9;

/**
 * One segment in at most `maxBytes`. Too long, the longest shortenable value is cut (and marked)
 * rather than the segment's end, so "…_{seq:03}_{view}{ext}" survives; a segment too long on its
 * literals alone is cut at the end as the last resort (sanitizeSegment).
 */
function renderSegment(parts: Part[], values: TemplateValues, policy: NamePolicy, maxBytes: number): string {
  const cuts = new Map<TemplateToken, string>();
  const text = (token: TemplateToken): string => {
    const cut = cuts.get(token);
    const full = values[token] as string;
    return cut === undefined ? full : `${cut}~${createHash('sha256').update(full).digest('hex').slice(0, shortMarkBytes - 1)}`;
  };
  const compose = (limit: number) =>
    sanitizeSegment(parts.map((p) => ('literal' in p ? p.literal : shortenable.has(p.token) ? formatToken(text(p.token), p.token, 0) : formatToken(values[p.token], p.token, p.width))).join(''), { ...policy, maxSegmentBytes: limit });
  const tokens = [...new Set(parts.flatMap((p) => ('token' in p && shortenable.has(p.token) ? [p.token] : [])))];
  for (;;) {
    const over = Buffer.byteLength(compose(Number.MAX_SAFE_INTEGER)) - maxBytes;
    const longest = tokens.map((t) => ({ t, bytes: Buffer.byteLength(cuts.get(t) ?? (values[t] as string)) })).sort((a, b) => b.bytes - a.bytes)[0];
    if (over <= 0 || !longest || longest.bytes === 0) break;
    const mark = cuts.has(longest.t) ? 0 : shortMarkBytes;
    cuts.set(longest.t, cutUtf8(values[longest.t] as string, Math.max(0, longest.bytes - Math.max(1, over) - mark)));
  }
  return compose(maxBytes);
}

function formatToken(value: string | number, token: TemplateToken, width: number): string {
  const text = typeof value === 'number' ? String(value).padStart(width, '0') : value;
  // A separator inside a value would otherwise survive until the segment is sanitised as a whole
  // and be replaced there; replacing it here keeps "{barcode}" one visible unit either way.
  return token === 'ext' ? text : text.replace(/[/\\]/gu, '_');
}

/**
 * `rel` resolved under `root`, refusing anything that would land outside it. Rendering already
 * guarantees this; the check is the last line of defence before a file is written.
 */
export function resolveInside(root: string, rel: string): string {
  const base = path.resolve(root);
  const full = path.resolve(base, rel);
  if (full === base || !full.startsWith(base + path.sep)) throw new StationError('INVALID_ARGUMENT', `The name "${rel}" would file outside the library ${base}; the capture was not moved.`);
  return full;
}
