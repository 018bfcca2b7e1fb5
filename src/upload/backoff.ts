/**
 * Retry delay with "full jitter": a uniformly random wait in [0, min(maxMs, baseMs · 2^(attempt-1))).
 * The randomness spreads the retries of many jobs that failed together (a share that dropped) so
 * they do not all come back at the same instant; the cap bounds the wait after many failures.
 */
export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/** `attempt` is the number of failed attempts so far (≥ 1). */
export function backoffCeiling(attempt: number, b: BackoffSettings): number {
  const exp = Math.min(attempt - 1, 40); // 2^40 · baseMs is beyond any cap; avoids Infinity
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, exp));
}

export function backoffDelay(attempt: number, b: BackoffSettings, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, b));
}
