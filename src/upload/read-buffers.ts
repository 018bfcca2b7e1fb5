/**
 * Buffers for a verified read to fill (source-read.ts `into`) instead of a fresh 1 MiB of memory
 * per chunk: the read fills each buffer end to end, so buffer i holds the file's bytes
 * [i × size, (i + 1) × size). An S3 part of that size is then one buffer, sent without a copy; a
 * buffer whose bytes the target has delivered is filled again with later bytes, so a file costs a
 * few buffers' page faults and garbage, not its whole size's.
 */
import type { ReadInto } from './source-read.js';

export class ReadBuffers {
  /** Given to the read and not yet released, in file order, each with the file offset where its bytes end. */
  private readonly held: { buffer: Buffer; end: number }[] = [];
  private readonly free: Buffer[] = [];
  private given = 0;

  constructor(private readonly size: number) {}

  /** For `read({ into })`: a released buffer, else a new one (shared memory: the hashing threads read it in place). */
  readonly into: ReadInto = async () => {
    const buffer = this.free.pop() ?? Buffer.from(new SharedArrayBuffer(this.size));
    this.held.push({ buffer, end: (this.given += this.size) });
    return buffer;
  };

  /** The buffer holding the file's bytes from `offset` (a multiple of the size) on, as filled so far up to `length` bytes. */
  at(offset: number, length: number): Buffer {
    const entry = this.held.find((h) => h.end - this.size === offset);
    if (!entry || length > this.size) throw new Error(`no read buffer holds ${length} bytes from offset ${offset}`);
    return entry.buffer.subarray(0, length);
  }

  /**
   * The bytes before `offset` are delivered (the server answered for them) and no longer needed:
   * buffers holding only those are filled again. The read waits for its hashing to catch up
   * before it fills one (source-read.ts), so no thread still reads the old bytes then.
   */
  deliveredBefore(offset: number): void {
    while (this.held.length > 0 && this.held[0]!.end <= offset) this.free.push(this.held.shift()!.buffer);
  }
}
