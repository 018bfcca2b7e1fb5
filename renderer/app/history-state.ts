/** The history list as pages and live events arrive: newest first, one entry per id, only what the filter lets through. Pure. */
import type { CaptureRecord, CommandArgs, Verdict } from '../contract.js';
import type { StationEventMessage } from '../transport/event-stream.js';

export interface HistoryFilter {
  verdict: Verdict | null;
  sourceId: string | null;
  /** Linked to (or showing) this barcode; null = any. */
  barcode?: string | null;
  /** Barcodes that start with `barcode`, rather than equal it. */
  barcodePrefix?: boolean;
  /** Local calendar days (YYYY-MM-DD, as a date field gives them), both included; null = open-ended. */
  from?: string | null;
  to?: string | null;
}

export const pageSize = 500;

/** True when anything narrows the list (for the "no captures match" wording). */
export function isFiltered(f: HistoryFilter): boolean {
  return Boolean(f.verdict || f.sourceId || f.barcode || f.from || f.to);
}

/** The instants a local-day range covers: from the first day's midnight to the midnight after the last day. */
export function dayRange(f: Pick<HistoryFilter, 'from' | 'to'>): { from?: string; to?: string } {
  const midnight = (day: string, plusDays = 0) => {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    const t = new Date(y, m - 1, d + plusDays);
    return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
  };
  const out: { from?: string; to?: string } = {};
  const from = f.from ? midnight(f.from) : undefined;
  const to = f.to ? midnight(f.to, 1) : undefined;
  if (from) out.from = from;
  if (to) out.to = to;
  return out;
}

/** What the filter says of a capture from an event; its barcode is not in the event, so that part is the caller's (applyLive). */
export function matchesFilter(c: CaptureRecord, f: HistoryFilter): boolean {
  const { from, to } = dayRange(f);
  return (
    (f.verdict === null || c.verdict === f.verdict) &&
    (f.sourceId === null || c.sourceId === f.sourceId) &&
    (from === undefined || c.checkedAt >= from) &&
    (to === undefined || c.checkedAt < to)
  );
}

/** A page fetched with beforeId appended (duplicates dropped, order kept newest first). */
export function appendPage(items: readonly CaptureRecord[], page: readonly CaptureRecord[]): CaptureRecord[] {
  const seen = new Set(items.map((c) => c.id));
  const out = [...items];
  for (const c of page) if (!seen.has(c.id)) out.push(c);
  return out.sort((a, b) => b.id - a.id);
}

/**
 * A capture from an event: added at its place if the filter lets it through, replaced if already
 * listed, dropped if it no longer matches. The event does not carry the capture's barcodes (its
 * object's, those read in the image): under a barcode search, `barcodeMatch` is the station's answer
 * (membershipQuery); without one a listed capture is only updated and a new one not added.
 */
export function applyLive(items: readonly CaptureRecord[], c: CaptureRecord, f: HistoryFilter, barcodeMatch?: boolean): CaptureRecord[] {
  const matches = matchesFilter(c, f) && (!f.barcode || barcodeMatch !== false);
  const i = items.findIndex((x) => x.id === c.id);
  if (i >= 0) {
    if (!matches) return items.filter((x) => x.id !== c.id);
    const out = [...items];
    out[i] = c;
    return out;
  }
  if (!matches || (f.barcode && barcodeMatch !== true)) return [...items];
  // Newer than everything loaded: at the top. Older ones are only inserted when within the loaded range.
  const last = items.at(-1);
  if (last && c.id < last.id) return [...items];
  return [...items, c].sort((a, b) => b.id - a.id);
}

/**
 * Whether a change to capture `id` (a `capture.changed` event: linked, relinked, filed, its upload
 * or re-shoot state) can change the list: when it is listed, or under a barcode search (a relink
 * can bring it in or take it out). Anything else is not asked about, so a busy station does not
 * make the list fetch a row per event.
 */
export function rowMayChange(items: readonly CaptureRecord[], id: number, f: HistoryFilter): boolean {
  return Boolean(f.barcode) || items.some((c) => c.id === id);
}

/** The list once the station answered a membershipQuery for capture `id`: `found` is the row it returned for it (null: the filter no longer finds it). */
export function applyRefreshed(items: readonly CaptureRecord[], id: number, found: CaptureRecord | null, f: HistoryFilter): CaptureRecord[] {
  return found ? applyLive(items, found, f, true) : items.filter((c) => c.id !== id);
}

/**
 * Whether an event changes what the detail of capture `id` shows (its link, files, verdict, or a
 * line of its timeline: uploads, alarms about it or its object). `barcode`: its object's, if linked.
 */
export function touchesDetail(m: StationEventMessage, id: number, barcode: string | null): boolean {
  switch (m.event) {
    case 'capture.changed':
    case 'upload.job':
      return m.payload.captureId === id;
    case 'capture.rechecked':
      return m.payload.capture.id === id;
    case 'link.effect': {
      const e = m.payload.effect;
      if (e.type === 'alarm') return Boolean(e.captureIds?.includes(id)) || (barcode !== null && e.barcode === barcode);
      if (e.type === 'capture.linked' || e.type === 'capture.unlinked-none') return e.captureId === id;
      if (e.type === 'capture.unlinked') return e.captureIds.includes(id);
      return false;
    }
    default:
      return false;
  }
}

/** The query whose first row is capture `id` exactly when the search `f` finds it. */
export function membershipQuery(id: number, f: HistoryFilter): CommandArgs<'listCaptures'> & { limit: number } {
  return { ...nextPageQuery([], f, 1), beforeId: id + 1 };
}

/** The query for the next page. */
export function nextPageQuery(items: readonly CaptureRecord[], f: HistoryFilter, limit = pageSize): CommandArgs<'listCaptures'> & { limit: number } {
  const q: CommandArgs<'listCaptures'> & { limit: number } = { limit, ...dayRange(f) };
  const last = items.at(-1);
  if (last) q.beforeId = last.id;
  if (f.verdict) q.verdict = f.verdict;
  if (f.sourceId) q.sourceId = f.sourceId;
  if (f.barcode) {
    q.barcode = f.barcode;
    if (f.barcodePrefix) q.barcodeMatch = 'prefix';
  }
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
