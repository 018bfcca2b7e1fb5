/**
 * The object each source has open, as the scan bar shows it: seeded from `status().linking.open`
 * and kept current by 'link.effect' events and scan replies. Pure.
 */
import type { ResultOf, StationEvents, StationHandlers } from '../contract.js';

export type OpenObject = { barcode: string; shots: number } | null;
export type OpenObjects = Record<string, OpenObject>;
export type LinkEffect = StationEvents['link.effect']['effect'];

export function applyLinkEffect(open: OpenObjects, sourceId: string, effect: LinkEffect): OpenObjects {
  const cur = open[sourceId] ?? null;
  switch (effect.type) {
    case 'object.opened':
      return { ...open, [sourceId]: { barcode: effect.barcode, shots: 0 } };
    case 'object.closed':
      return cur && cur.barcode === effect.barcode ? { ...open, [sourceId]: null } : open;
    case 'capture.linked':
      return cur && cur.barcode === effect.barcode && effect.seq > cur.shots ? { ...open, [sourceId]: { ...cur, shots: effect.seq } } : open;
    case 'capture.unlinked':
      return cur && effect.barcode === cur.barcode && effect.seq !== null ? { ...open, [sourceId]: { ...cur, shots: Math.max(0, effect.seq - 1) } } : open;
    default:
      return open;
  }
}

/** The object to show large: the one source's, or with several sources the first open one. */
export function shownObject(open: OpenObjects, sourceId: string | null): { sourceId: string; object: NonNullable<OpenObject> } | null {
  if (sourceId && open[sourceId]) return { sourceId, object: open[sourceId]! };
  for (const [id, o] of Object.entries(open)) if (o) return { sourceId: id, object: o };
  return null;
}

export function shotsLabel(n: number): string {
  return n === 1 ? '1 shot' : `${n} shots`;
}

export interface ExpectedView {
  /** The view's name from linking.views, or "shot N" when only a number of shots is expected. */
  label: string;
  done: boolean;
}

/** The shots an open object should get, each done or still expected; empty when nothing is expected. */
export function expectedViews(shots: number, views: readonly string[], expectedShots: number): ExpectedView[] {
  const count = Math.max(views.length, expectedShots);
  return Array.from({ length: count }, (_, i) => ({ label: views[i] ?? `shot ${i + 1}`, done: i < shots }));
}

/** scan-after-capture: per source, the shots waiting for their object's barcode (status().waitingShots). */
export type WaitingShots = ResultOf<StationHandlers, 'status'>['waitingShots'];

/** The waiting shots to show while no object is open: the one source's, or with several the first source that has some. */
export function shownWaiting(waiting: WaitingShots, sourceId: string | null): { sourceId: string; stems: string[] } | null {
  const ids = sourceId ? [sourceId] : Object.keys(waiting);
  for (const id of ids) {
    const shots = waiting[id] ?? [];
    if (shots.length > 0) return { sourceId: id, stems: shots.map((s) => s.stem) };
  }
  return null;
}

/** "2 shots waiting for a barcode (IMG_1, IMG_2) — scan it"; a long list names the first few. */
export function waitingLabel(stems: readonly string[], named = 4): string {
  const list = stems.length > named ? `${stems.slice(0, named).join(', ')} and ${stems.length - named} more` : stems.join(', ');
  return `${shotsLabel(stems.length)} waiting for a barcode (${list}) — scan it`;
}

/** Whether `relPath` of `sourceId` is a shot waiting for its barcode. */
export function isWaiting(waiting: WaitingShots, sourceId: string, relPath: string): boolean {
  return (waiting[sourceId] ?? []).some((s) => s.files.includes(relPath));
}
