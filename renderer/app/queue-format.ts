/** The upload queue in words: rates, ETAs and each target's state as the technician reads them. Pure. */
import type { ResultOf, StationHandlers } from '../contract.js';
import { formatBytes } from './format.js';

export type QueueStatus = ResultOf<StationHandlers, 'queueStatus'>;
export type TargetStatus = QueueStatus['targets'][number];

export function formatRate(bytesPerSec: number | null): string {
  if (bytesPerSec === null) return '—';
  if (bytesPerSec <= 0) return 'idle';
  return `${formatBytes(bytesPerSec)}/s`;
}

/**
 * Time left: none for a target that is offline (nothing moves until it is back, so a time would be
 * a guess), and "about" when partly sent uploads whose progress is not known count in full.
 */
export function formatEta(t: Pick<TargetStatus, 'etaSec' | 'bytesPending' | 'bytesPendingExact' | 'online'>): string {
  if (t.bytesPending === 0) return 'none';
  if (t.online === false) return 'waiting for the target';
  if (t.etaSec === null) return 'unknown';
  return `${t.bytesPendingExact ? '' : 'about '}${duration(t.etaSec)}`;
}

/** Bytes still to send, "about" when partly sent uploads whose progress is not known count in full. */
export function formatPending(t: Pick<TargetStatus, 'bytesPending' | 'bytesPendingExact'>): string {
  return `${t.bytesPendingExact || t.bytesPending === 0 ? '' : 'about '}${formatBytes(t.bytesPending)}`;
}

function duration(sec: number): string {
  if (sec < 60) return `${Math.max(1, Math.round(sec))} s`;
  const min = Math.round(sec / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.round(h / 24)} days`;
}

export type Reach = 'online' | 'offline' | 'unknown';

export function reachOf(t: Pick<TargetStatus, 'online'>): Reach {
  return t.online === true ? 'online' : t.online === false ? 'offline' : 'unknown';
}

/** Icon and word for reachability: never colour alone. */
export const reachLook: Record<Reach, { icon: string; word: string }> = {
  online: { icon: '●', word: 'Online' },
  offline: { icon: '✕', word: 'Offline' },
  unknown: { icon: '?', word: 'Not probed yet' },
};

export const jobStates = ['queued', 'leased', 'done', 'dead'] as const;
export const jobStateWords: Record<(typeof jobStates)[number], string> = { queued: 'Queued', leased: 'Uploading', done: 'Done', dead: 'Dead' };

export function totalDead(q: QueueStatus | null): number {
  return q ? q.targets.reduce((n, t) => n + t.counts.dead, 0) : 0;
}
