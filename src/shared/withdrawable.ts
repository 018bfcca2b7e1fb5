/**
 * For work that may run on after its caller withdrew it (a handler that does not watch its signal,
 * a preview being made that another caller still waits for): the caller stops waiting as soon as
 * `signal` aborts and gets `withdrawn()` instead. Dependency-free, as the UI imports it too.
 */
export function unlessWithdrawn<R>(reply: Promise<R>, signal: AbortSignal | undefined, withdrawn: () => R): Promise<R> {
  if (!signal) return reply;
  if (signal.aborted) return Promise.resolve(withdrawn());
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(withdrawn());
    signal.addEventListener('abort', onAbort, { once: true });
    reply.then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The error a withdrawn request is answered with, on every transport. */
export function withdrawnError(): { code: 'CANCELLED'; message: string } {
  return { code: 'CANCELLED', message: 'The request was withdrawn (a newer one replaced it).' };
}
