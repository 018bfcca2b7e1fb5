/** Pause before restarting a crashed core: 1 s, doubling per crash in a row, at most 60 s. */
export function restartDelayMs(crashesInARow: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, crashesInARow - 1));
}
