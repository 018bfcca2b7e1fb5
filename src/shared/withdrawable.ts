/**
 * For work that cannot be withdrawn once started (a request sent in-process or over Electron IPC,
 * a preview being made): the caller stops waiting as soon as `signal` aborts and gets
 * `withdrawn()` instead; the work itself runs on. Dependency-free, as the UI imports it too.
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
