/**
 * The object each source has open, as the scan bar shows it: seeded from `status().linking.open`
 * and kept current by 'link.effect' events and scan replies. Pure.
 */
import type { StationEvents } from '../contract.js';

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
