/**
 * Read-ahead over a chunk stream: while the consumer is busy (sending a tus PATCH), up to
 * `aheadBytes` of the following chunks are already pulled from the source, so reading and hashing
 * the next request's bytes overlaps with sending the current one. Chunks come out in order and
 * unchanged; the source is never pulled twice at once; its failure surfaces at the consumer's next
 * pull, never as an unhandled rejection. Returning (or throwing from) the consumer's loop stops the
 * source once the pull in flight settled.
 */
export async function* readAhead(source: AsyncIterable<Buffer>, aheadBytes: number): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: { error: unknown } | null = null;
  let filling: Promise<void> | null = null;

  const fill = async (): Promise<void> => {
    try {
      while (!ended && queued < aheadBytes) {
        const next = await iterator.next();
        if (next.done) ended = true;
        else {
          queue.push(next.value);
          queued += next.value.length;
        }
      }
    } catch (err) {
      failure = { error: err };
      ended = true;
    }
  };
  /** Starts pulling unless a pull runs or the source ended; `filling` is cleared only once its own pull settled. */
  const startFill = (): void => {
    if (filling || ended) return;
    const p: Promise<void> = fill().finally(() => {
      if (filling === p) filling = null;
    });
    filling = p;
  };

  try {
    for (;;) {
      if (queue.length === 0) {
        startFill();
        await filling;
      }
      const chunk = queue.shift();
      if (chunk === undefined) {
        if (failure) throw (failure as { error: unknown }).error;
        return;
      }
      queued -= chunk.length;
      // Pulled while the consumer works with this chunk.
      startFill();
      yield chunk;
    }
  } finally {
    await filling;
    if (!ended) await iterator.return?.();
  }
}
