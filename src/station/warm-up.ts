/**
 * What a process pays once, on its first large capture: starting the barcode decoder's worker and
 * compiling zxing's WebAssembly, starting QC's measuring worker, loading libvips' JPEG code. A
 * herbarium sheet took 0.9–1.0 s as the first capture of a fresh process, against 0.29–0.32 s for the
 * next one. A running station (`run`, `serve`, the desktop app) pays it when it starts instead, by
 * checking a small JPEG made for the purpose as a capture is checked (QC and the barcode search side
 * by side): nothing is recorded, and the file is removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { firstCode } from '../barcode/image/protocol.js';
import { analyzeFile } from '../quality/analyze.js';
import { SharedJpegDecode } from '../quality/shared-jpeg.js';
import type { QcSettings } from './qc-record.js';

export async function warmUp(settings: QcSettings): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-station-warm-up-'));
  try {
    const file = path.join(dir, 'warm-up.jpg');
    await sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: 200, g: 190, b: 170 } } }).jpeg({ quality: 90 }).toFile(file);
    const shared = settings.barcodes ? new SharedJpegDecode(file, settings.analyze) : undefined;
    await Promise.all([analyzeFile(file, settings.analyze, undefined, shared), settings.barcodes?.decode(file, shared, firstCode)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
