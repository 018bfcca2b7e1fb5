/**
 * Drawing barcodes with zxing-wasm's writer (zint inside), for printed sheets of control codes.
 * It runs on the calling thread: it is used by the `sheet` command, never on the capture path.
 */
import { prepareZXingModule, writeBarcode, type WriteInputBarcodeFormat } from 'zxing-wasm/writer';
import { zxingWasmBinary } from './wasm.js';

let ready: Promise<unknown> | null = null;

export interface DrawOptions {
  format: WriteInputBarcodeFormat;
  /** Pixels per module. */
  scale: number;
  /** Print the code's text under the symbol (zint's own font: no system fonts needed). */
  humanReadable?: boolean;
}

/** A one-channel PNG of the symbol, with its quiet zones. Throws with zint's reason when the text cannot be encoded. */
export async function drawBarcode(text: string, opts: DrawOptions): Promise<Buffer> {
  ready ??= prepareZXingModule({ overrides: { wasmBinary: zxingWasmBinary('writer') }, fireImmediately: true });
  await ready;
  const result = await writeBarcode(text, { format: opts.format, scale: opts.scale, addHRT: opts.humanReadable ?? false, addQuietZones: true });
  if (result.error || !result.image) throw new Error(`cannot draw "${text}" as ${opts.format}: ${result.error || 'no image'}`);
  return Buffer.from(await result.image.arrayBuffer());
}
