/**
 * Random access to a few bytes of a file (or a part of one) for the container parsers. Reads past
 * the end come back short rather than failing, so a parser facing a truncated or lying file sees
 * "not enough bytes" and gives up instead of throwing.
 */
import type { FileHandle } from 'node:fs/promises';

export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `position`; shorter (possibly empty) at or past the end. */
  read(position: number, length: number): Promise<Buffer>;
}

/** Never asks for more than this in one read: a corrupt length field must not allocate gigabytes. */
export const maxReadBytes = 16 * 1024 * 1024;

export function fileSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(position, length) {
      const n = clampLength(position, length, size);
      if (n === 0) return Buffer.alloc(0);
      const buffer = Buffer.alloc(n);
      const { bytesRead } = await handle.read(buffer, 0, n, position);
      return buffer.subarray(0, bytesRead);
    },
  };
}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read: (position, length) => Promise.resolve(buffer.subarray(position, position + clampLength(position, length, buffer.length))),
  };
}

/** The bytes [offset, offset + length) of another source, addressed from 0. */
export function subSource(source: ByteSource, offset: number, length: number): ByteSource {
  const size = Math.max(0, Math.min(length, source.size - offset));
  return { size, read: (position, n) => source.read(offset + position, clampLength(position, n, size)) };
}

function clampLength(position: number, length: number, size: number): number {
  if (!Number.isSafeInteger(position) || position < 0 || position >= size || length <= 0) return 0;
  return Math.min(length, size - position, maxReadBytes);
}
