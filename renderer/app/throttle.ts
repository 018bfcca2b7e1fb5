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
