/**
 * A worker thread that owns one zxing reader module. It is instantiated once, from the .wasm in
 * node_modules, and then decodes grey pixmaps sent by the pool (zxing-pool.ts). Decoding is pure
 * CPU in WebAssembly for up to seconds per image, which is why it never runs on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { prepareZXingModule, readBarcodes, type ReaderOptions } from 'zxing-wasm/reader';
import { classifyScan } from '../validate.js';
import { codeAsBarcode, goalReached, type DecodeReply, type DecodeRequest, type FoundCode, type ReadyMessage, type Region } from './protocol.js';
import { textureMap } from './texture.js';
import { zxingWasmBinary } from './wasm.js';

const port = parentPort;
if (!port) throw new Error('zxing-worker.ts must run in a worker thread');

await prepareZXingModule({ overrides: { wasmBinary: zxingWasmBinary('reader') }, fireImmediately: true });
port.postMessage({ ready: true } satisfies ReadyMessage);

port.on('message', (job: DecodeRequest) => {
  void decode(job).then(
    (reply) => port.postMessage(reply, reply.ok && reply.grey ? [reply.grey] : []),
    (err: unknown) => port.postMessage({ id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies DecodeReply),
  );
});

async function decode(job: DecodeRequest): Promise<DecodeReply> {
  const started = performance.now();
  const grey = new Uint8Array(job.grey);
  const whole = { left: 0, top: 0, width: Math.floor(job.width / job.scale), height: Math.floor(job.height / job.scale) };
  const regions: Region[] = job.regions.length > 0 ? job.regions : [whole];
  // A region past the edge would read outside the copy (undefined → 0: black, not an error).
  for (const r of regions) {
    if (r.left < 0 || r.top < 0 || r.width < 1 || r.height < 1 || r.left + r.width > whole.width || r.top + r.height > whole.height) {
      throw new Error(`region ${r.left},${r.top} ${r.width}×${r.height} is outside the ${whole.width}×${whole.height} image`);
    }
  }
  const options: ReaderOptions = {
    // Not cast: the compiler checks that every name the config allows is one zxing's reader takes.
    formats: job.formats,
    tryHarder: true,
    tryRotate: true,
    // Labels are printed dark on light; looking for inverted codes too cost a third more time.
    tryInvert: false,
    // The grey copies are downscaled already (decode-image.ts). zxing's own extra downscaled tries
    // cost 10–20 % of its time on the Meise sheets' first pass and read no further code anywhere in
    // the corpus (npm run bench:barcodes: same counts in every folder and museum image).
    tryDownscale: false,
    maxNumberOfSymbols: 255,
  };
  const found = new Map<string, FoundCode>();
  let tried = 0;
  for (const region of regions) {
    tried++;
    for (const r of await readBarcodes(rgbaOf(grey, job.width, region, job.scale), options)) {
      if (!r.isValid || r.text.length === 0) continue;
      const text = codeAsBarcode(r.format, r.text, job.templates);
      const key = `${r.format}\u0000${text}`;
      if (!found.has(key)) found.set(key, { format: r.format, text, valid: classifyScan(text, job.rules).kind === 'object' });
    }
    // The remaining regions would only cost time once the station has what it decides from.
    if (goalReached(found.values(), job.goal, job.known)) break;
  }
  const texture = job.mapTexture && !goalReached(found.values(), job.goal, job.known) ? textureMap(grey, job.width, job.height, job.scale) : null;
  return { id: job.id, ok: true, codes: [...found.values()], regionsTried: tried, ms: Math.round(performance.now() - started), texture, grey: job.returnGrey ? job.grey : null };
}

/**
 * zxing-wasm takes pixels only as RGBA ImageData (it converts them back to grey itself); one 32-bit
 * store per pixel keeps the expansion a few milliseconds even for a large tile. `r` is in the
 * image reduced by `scale`; halved, each pixel is the rounded mean of a 2 × 2 block (a box filter,
 * 25–35 ms for a 1600 px tile).
 */
function rgbaOf(grey: Uint8Array, stride: number, r: Region, scale: 1 | 2): { data: Uint8ClampedArray; width: number; height: number } {
  const out = new Uint32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    const from = (r.top + y) * scale * stride + r.left * scale;
    const to = y * r.width;
    if (scale === 1) {
      for (let x = 0; x < r.width; x++) out[to + x] = 0xff000000 | (grey[from + x]! * 0x010101);
    } else {
      for (let x = 0, i = from; x < r.width; x++, i += 2) out[to + x] = 0xff000000 | (((grey[i]! + grey[i + 1]! + grey[i + stride]! + grey[i + stride + 1]! + 2) >> 2) * 0x010101);
    }
  }
  return { data: new Uint8ClampedArray(out.buffer), width: r.width, height: r.height };
}
