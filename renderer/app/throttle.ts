/** Runs `fn` at most once per `ms`; a call inside the pause is not lost but runs once when it ends. */
export function throttle(fn: () => void, ms: number, now: () => number = Date.now): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = -Infinity;
  const run = () => {
    timer = null;
    last = now();
    fn();
  };
  const call = () => {
    if (timer) return; // already due: that run covers this call
    const wait = last + ms - now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  call.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return call;
}

/**
 * `throttle` for a request: never two runs of `fn` at once, and calls made while one is in flight
 * are folded into a single run after it. A burst of events so costs at most one request in flight.
 */
export function coalesce(fn: () => Promise<unknown>, ms: number, now: () => number = Date.now): { (): void; cancel(): void } {
  let running = false;
  let again = false;
  let cancelled = false;
  const run = throttle(
    () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      void fn().finally(() => {
        running = false;
        if (again && !cancelled) {
          again = false;
          run();
        }
      });
    },
    ms,
    now,
  );
  const call = () => {
    cancelled = false;
    run();
  };
  call.cancel = () => {
    cancelled = true;
    run.cancel();
  };
  return call;
}
