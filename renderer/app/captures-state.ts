/** The recent-captures list as events and replies arrive. Pure: newest first, one entry per id. */
import type { CaptureRecord } from '../contract.js';

export const recentLimit = 100;

export function upsertCapture(list: readonly CaptureRecord[], capture: CaptureRecord, limit = recentLimit): CaptureRecord[] {
  const without = list.filter((c) => c.id !== capture.id);
  // An event's record does not say whether the capture was set aside; the listed one did.
  const before = list.find((c) => c.id === capture.id);
  const kept = capture.setAside === undefined && before?.setAside !== undefined ? { ...capture, setAside: before.setAside } : capture;
  const next = [...without, kept].sort((a, b) => b.id - a.id);
  return next.slice(0, limit);
}

/** A fresh page from listCaptures merged with what events already brought (the newer record wins by id). */
export function mergeCaptures(list: readonly CaptureRecord[], page: readonly CaptureRecord[], limit = recentLimit): CaptureRecord[] {
  const byId = new Map<number, CaptureRecord>();
  for (const c of list) byId.set(c.id, c);
  for (const c of page) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, limit);
}
