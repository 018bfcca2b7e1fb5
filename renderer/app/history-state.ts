/** The history list as pages and live events arrive: newest first, one entry per id, only what the filter lets through. Pure. */
import type { CaptureRecord, Verdict } from '../contract.js';

export interface HistoryFilter {
  verdict: Verdict | null;
  sourceId: string | null;
}

export const pageSize = 500;

export function matchesFilter(c: CaptureRecord, f: HistoryFilter): boolean {
  return (f.verdict === null || c.verdict === f.verdict) && (f.sourceId === null || c.sourceId === f.sourceId);
}

/** A page fetched with beforeId appended (duplicates dropped, order kept newest first). */
export function appendPage(items: readonly CaptureRecord[], page: readonly CaptureRecord[]): CaptureRecord[] {
  const seen = new Set(items.map((c) => c.id));
  const out = [...items];
  for (const c of page) if (!seen.has(c.id)) out.push(c);
  return out.sort((a, b) => b.id - a.id);
}

/** A capture from an event: added at its place if the filter lets it through, replaced if already listed, dropped if it no longer matches. */
export function applyLive(items: readonly CaptureRecord[], c: CaptureRecord, f: HistoryFilter): CaptureRecord[] {
  const i = items.findIndex((x) => x.id === c.id);
  if (i >= 0) {
    if (!matchesFilter(c, f)) return items.filter((x) => x.id !== c.id);
    const out = [...items];
    out[i] = c;
    return out;
  }
  if (!matchesFilter(c, f)) return [...items];
  // Newer than everything loaded: at the top. Older ones are only inserted when within the loaded range.
  const last = items.at(-1);
  if (last && c.id < last.id) return [...items];
  return [...items, c].sort((a, b) => b.id - a.id);
}

/** The query for the next page. */
export function nextPageQuery(items: readonly CaptureRecord[], f: HistoryFilter, limit = pageSize): { limit: number; beforeId?: number; verdict?: Verdict; sourceId?: string } {
  const q: { limit: number; beforeId?: number; verdict?: Verdict; sourceId?: string } = { limit };
  const last = items.at(-1);
  if (last) q.beforeId = last.id;
  if (f.verdict) q.verdict = f.verdict;
  if (f.sourceId) q.sourceId = f.sourceId;
  return q;
}

/** An event's data in one line for the timeline. */
export function eventSummary(data: unknown): string {
  if (data === null || data === undefined) return '';
  if (typeof data !== 'object') return String(data);
  return Object.entries(data as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

/** Date and time, for lists that span days. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = d.toLocaleDateString([], { year: 'numeric', month: '2-digit', day: '2-digit' });
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return `${date} ${time}`;
}
