/**
 * A black RGB PNG of any size in a few megabytes, written without encoding gigabytes: the IDAT
 * stream repeats one raw-deflate block of zero rows compressed on its own (so it holds no
 * back-references outside itself), and the Adler-32 of all-zero data is known in closed form.
 * Decoding it still inflates every pixel, which makes it a cheap way to get a slow decode.
 */
import zlib from 'node:zlib';

export function blackPng(width: number, height: number): Buffer {
  const rowBytes = 1 + 3 * width;
  const rowsPerBlock = Math.max(1, Math.floor((1 << 20) / rowBytes));
  const block = zlib.deflateRawSync(Buffer.alloc(rowBytes * rowsPerBlock), { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const remainder = height % rowsPerBlock;
  const parts: Buffer[] = [Buffer.from([0x78, 0x01])];
  for (let i = 0; i < Math.floor(height / rowsPerBlock); i++) parts.push(block);
  if (remainder > 0) parts.push(zlib.deflateRawSync(Buffer.alloc(rowBytes * remainder), { finishFlush: zlib.constants.Z_FULL_FLUSH }));
  parts.push(zlib.deflateRawSync(Buffer.alloc(0)));
  // Adler-32 of n zero bytes: a stays 1, b adds 1 per byte.
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((((rowBytes * height) % 65521) << 16) | 1) >>> 0);
  parts.push(adler);

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}
