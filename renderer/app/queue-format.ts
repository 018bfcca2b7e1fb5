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

export function formatEta(sec: number | null, bytesPending: number): string {
  if (bytesPending === 0) return 'none';
  if (sec === null) return 'unknown';
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
