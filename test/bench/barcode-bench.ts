/**
 * `npm run bench:barcodes`: the in-image barcode decoder on the real corpus.
 *   1. ZXing's black-box folders at 0/90/180/270°: found / total per folder against the threshold
 *      ZXing's own tests set (MANIFEST notes), and the time per image.
 *   2. The museum images: what their MANIFEST asserts against what we read, and the time per image,
 *      next to the reference measured in the same run: zxing-wasm reading the full-size file itself
 *      (its own PNG/JPEG decoder, default options, the same formats), without our downscale + tiles.
 *      Each image's time is also given as a ratio to `vips` (the libvips CLI) decoding the same file in
 *      the same run — `vips avg FILE[shrink=4]` for a JPEG (libjpeg's own 1/4 decode, the cheapest way
 *      to see the whole sheet at a barcode-readable size), `vips avg FILE` otherwise — because this
 *      machine is shared and absolute times move with its load; the ratio moves much less. The CLI's
 *      own start (timed on a 1 × 1 image in the same runs) is taken off, so the ratio is against the
 *      decode alone. Only for the full sheets (≥ 20 MP): on a smaller image vips' decode is lost in the
 *      noise of its process start. A Meise sheet's line also gives the ratio to vips' ¼ decode plus its
 *      ½ decode (`vips avg FILE[shrink=2]`): what a sheet whose label is read only in the tiled pass
 *      must at least pay (decode-image.ts: the first pass's copy, then the tiles' ½ copy).
 * The full herbarium sheets are the Meise ones (~6000 × 9000 JPEG, real production images).
 * Times are medians of BENCH_RUNS runs (default 3) after a warm-up; the machine is printed with them.
 *
 * BENCH_FORMATS=Code128,EAN13 (checked as linking.imageFormats is; unset or empty: the station's default list)
 * sets the symbologies looked for in the museum images, ours and the reference alike, and on the
 * station's path; the ZXing folders are always read with the default list, as each holds one symbology.
 *
 * `npm run bench:barcodes -- --station` instead runs each museum image through the station's own
 * per-capture path (checkAndRecord: QC's analysis and the barcode search side by side, as the running
 * station does, recorded in a store), and gives the wall time per capture, with QC's and the barcode
 * search's own times, and its ratio to `vips` decoding the same file in the same run (as above).
 * BENCH_GOAL=every has the search read every region of each image, as a search for a code that is
 * not on the image does (and `check`); BENCH_GOAL=own has it look for the image's own code (from its
 * MANIFEST), as with its object scanned; unset: it stops at the first label, as with linking off.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { decodeImageBarcodes, firstCode, readEverything, ZxingPool, type ImageSymbology } from '../../src/barcode/image/index.js';
import { zxingWasmBinary } from '../../src/barcode/image/wasm.js';
import type { ImageDecodeResult, SearchGoal } from '../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../src/barcode/rules.js';
import { linkingSchema, stationConfigSchema, sourceSchema } from '../../src/config/schema.js';
import { presetProfiles } from '../../src/quality/profile.js';
import { checkAndRecord, type QcSettings } from '../../src/station/qc-record.js';
import { openStore } from '../../src/store/open.js';
import { hasCode, museumCorpus, scoreZxingCorpus, zxingThresholds, type MuseumImage } from '../helpers/barcode-corpus.js';
import { corpus } from '../helpers/station-home.js';
import { intFromEnv } from '../helpers/env.js';

const runs = intFromEnv('BENCH_RUNS', 3);
/** `--station` only: the museum images whose path contains this (e.g. `meise/`). */
const only = process.env['BENCH_ONLY'] ?? '';
const rotations = [0, 90, 180, 270];
const formats = benchFormats();
const goal = benchGoal();

function benchGoal(): 'every' | 'own' | 'first' {
  const typed = process.env['BENCH_GOAL'] ?? '';
  if (typed !== '' && typed !== 'every' && typed !== 'own') throw new Error(`BENCH_GOAL=${typed}: use "every" (read every region), "own" (look for the image's own code) or leave it unset (stop at the first label)`);
  return typed === '' ? 'first' : typed;
}

const goalNames = { every: 'every region read', own: "looking for each image's own code, as with its object scanned", first: 'stopping at the first label' } as const;

/**
 * What the search of `img` stops at. "own": the code the MANIFEST gives for it (an EAN-13 read as
 * the digits its catalogue number ends with), as read by `read` (the whole image); an image without
 * one is read whole, as a search for a code that is not there is.
 */
async function goalFor(img: MuseumImage, read: () => Promise<ImageDecodeResult>): Promise<SearchGoal> {
  if (goal === 'every') return readEverything;
  if (goal === 'first') return firstCode;
  const { codes } = await read();
  const own = codes.find((c) => c.valid && img.expected.some((e) => e === c.text || e.endsWith(c.text)));
  return { code: own?.text ?? null, distinct: Infinity };
}

/** BENCH_FORMATS as a list of symbologies, refused as the config refuses a bad linking.imageFormats. */
function benchFormats(): ImageSymbology[] {
  const typed = process.env['BENCH_FORMATS'];
  const parsed = linkingSchema.safeParse(!typed ? {} : { imageFormats: typed.split(',').map((s) => s.trim()).filter((s) => s !== '') });
  if (!parsed.success) throw new Error(`BENCH_FORMATS=${typed}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data.imageFormats;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  out(`# Barcodes in images — ${new Date().toISOString()} — ${cpu}, ${os.cpus().length} cores, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, museum images read in ${formats.join(' + ')}`);
  const pool = new ZxingPool();
  const rules = barcodeRulesSchema.parse({});
  const opts = { rules, pool };
  // Warm-up: worker start and wasm instantiation are paid once per station, not per image.
  await decodeImageBarcodes(path.join(corpus, 'barcodes/zxing/code128-1/1.png'), opts);

  out('\n## ZXing black-box folders (found / total at 0°, 90°, 180°, 270°)\n');
  out('| folder | 0° | 90° | 180° | 270° | ZXing requires | ms/image (median, 0°) |');
  out('|---|---|---|---|---|---|---|');
  const byRotation = new Map<number, Awaited<ReturnType<typeof scoreZxingCorpus>>>();
  for (const r of rotations) byRotation.set(r, await scoreZxingCorpus(opts, r));
  for (const [folder, s0] of byRotation.get(0)!) {
    const t = zxingThresholds[folder];
    const cells = rotations.map((r) => {
      const s = byRotation.get(r)!.get(folder)!;
      return t && 'maxFalse' in t ? `${s.found} false` : `${s.found}/${s.images}`;
    });
    const need = !t ? '–' : 'maxFalse' in t ? `≤ ${t.maxFalse} false per rotation` : `${t.need}/${t.of} (${t.note})`;
    out(`| ${folder} | ${cells.join(' | ')} | ${need} | ${median(s0.ms)} |`);
  }

  out('\n## Museum images: ours (downscale + tiles, in the worker) vs zxing-wasm on the full-size file\n');
  const museumOpts = { ...opts, formats };
  await prepareZXingModule({ overrides: { wasmBinary: zxingWasmBinary('reader') }, fireImmediately: true });
  const timer = vipsTimer();
  out('| image | pixels | truth (MANIFEST) | ours: codes | ours ms (zxing) | vips decode ms (+ start) | ours / vips | passes/tiles | reference: codes | reference ms | reference / ours |');
  out('|---|---|---|---|---|---|---|---|---|---|---|');
  const sheets: string[] = [];
  for (const img of museumCorpus()) {
    const ours: number[] = [];
    const zx: number[] = [];
    const vips: number[] = [];
    const half: number[] = [];
    const start: number[] = [];
    const vipsInput = /\.jpe?g$/i.test(img.file) ? `${img.file}[shrink=4]` : img.file;
    let last = await decodeImageBarcodes(img.file, museumOpts);
    const sheet = (last.width ?? 0) * (last.height ?? 0) >= 20e6;
    // Interleaved, so both see the same load.
    for (let i = 0; i < runs; i++) {
      last = await decodeImageBarcodes(img.file, museumOpts);
      ours.push(last.ms);
      zx.push(last.zxingMs);
      if (!sheet) continue;
      start.push(timer.start());
      vips.push(timer.decode(vipsInput));
      if (img.file.includes('/meise/')) half.push(timer.decode(`${img.file}[shrink=2]`));
    }
    const decode = Math.max(1, median(vips) - median(start));
    const ratio = median(ours) / decode;
    // The fastest run is the one least disturbed by other work on the machine.
    if (img.file.includes('/meise/')) sheets.push(`${path.basename(img.file)}: median ${median(ours)} ms (${ratio.toFixed(2)}× vips' decode, ${(median(ours) / (decode + Math.max(1, median(half) - median(start)))).toFixed(2)}× its ¼ + ½ decodes), fastest ${Math.min(...ours)} ms (${(Math.min(...ours) / Math.max(1, Math.min(...vips) - Math.min(...start))).toFixed(2)}× vips' fastest)`);
    const bytes = new Uint8Array(fs.readFileSync(img.file));
    const ref: number[] = [];
    let refCodes: string[] = [];
    for (let i = 0; i < Math.min(runs, 2); i++) {
      const t = performance.now();
      const r = await readBarcodes(bytes, { formats, maxNumberOfSymbols: 255 });
      ref.push(performance.now() - t);
      refCodes = r.filter((c) => c.isValid).map((c) => c.text);
    }
    // Bold: a value the MANIFEST asserts for this image.
    const mark = (codes: string[]) => codes.map((c) => (img.expected.some((e) => hasCode([{ text: c }], e)) ? `**${c}**` : c)).join(', ') || '–';
    const truth = img.expected.length > 0 ? img.expected.join(', ') : img.count === 0 ? 'no barcode' : img.count !== null ? `${img.count} codes, no values` : 'no values';
    out(
      `| ${path.relative(path.join(corpus, 'museum'), img.file)} | ${last.width}×${last.height} | ${truth} | ${mark(last.codes.map((c) => c.text))}${last.error ? ` (${last.error})` : ''} | ${median(ours)} (${median(zx)}) | ${sheet ? `${Math.round(decode)} (+ ${Math.round(median(start))}) | ${ratio.toFixed(2)}×` : '– | –'} | ${last.passes}/${last.tilesTried}${last.tilesFirst ? ' (tiles first)' : ''} | ${mark(refCodes)} | ${Math.round(median(ref))} | ${(median(ref) / median(ours)).toFixed(1)}× |`,
    );
  }
  out('\nFull herbarium sheets (Meise):');
  for (const line of sheets) out(`- ${line}`);
  await pool.close();
}

/** `vips avg` of `input`, in ms, with the CLI's own start (timed on a 1 × 1 image in the same run) beside it. */
function vipsTimer(): { decode: (input: string) => number; start: () => number } {
  const tiny = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-vips-')), 'tiny.v');
  execFileSync('vips', ['black', tiny, '1', '1']);
  const time = (input: string): number => {
    const t = performance.now();
    execFileSync('vips', ['avg', input]);
    return performance.now() - t;
  };
  return { decode: time, start: () => time(tiny) };
}

async function stationPath(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  out(`# Captures through the station's path (QC beside the barcodes) — ${new Date().toISOString()} — ${cpu}, ${os.cpus().length} cores, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} runs, read in ${formats.join(' + ')}, ${goalNames[goal]}`);
  const config = stationConfigSchema.parse({ linking: { imageFormats: formats } });
  const pool = new ZxingPool();
  const store = openStore(':memory:');
  const source = sourceSchema.parse({ id: 'bench', path: corpus });
  store.captures.syncSources([source]);
  let last: ImageDecodeResult | null = null;
  let imageGoal: SearchGoal = firstCode;
  const settings: QcSettings = {
    analyze: config.qc,
    truncatedRetries: 0,
    truncatedRetryDelayMs: 0,
    barcodes: {
      decode: async (file, shared) => (last = await decodeImageBarcodes(file, { rules: config.linking.barcode, formats: config.linking.imageFormats, pool, shared, goal: imageGoal })),
    },
  };
  const profile = presetProfiles['default']!;
  const vips = vipsTimer();
  let capture = 0;
  const check = async (file: string) => {
    const stat = fs.statSync(file, { bigint: true });
    // A new relative path each time: every run is a new capture, as on the rig.
    const relPath = `run${++capture}/${path.basename(file)}`;
    const t = performance.now();
    const outcome = await checkAndRecord({ sourceId: source.id, absPath: file, relPath, size: Number(stat.size), mtimeUs: Number(stat.mtimeNs / 1000n) }, profile, store.captures, settings);
    const ms = performance.now() - t;
    if (outcome.kind !== 'recorded') throw new Error(`${file}: ${outcome.kind}`);
    return { ms, qcMs: outcome.record.qcMs ?? NaN, verdict: outcome.record.verdict, barcodes: last! };
  };
  await check(path.join(corpus, 'barcodes/zxing/code128-1/1.png'));
  out('\n| image | pixels | codes | capture ms | QC ms | barcodes ms (passes/tiles) | vips decode ms | capture / vips |');
  out('|---|---|---|---|---|---|---|---|');
  const sheets: string[] = [];
  for (const img of museumCorpus().filter((m) => m.file.includes(only))) {
    const whole: number[] = [];
    const qc: number[] = [];
    const bar: number[] = [];
    const dec: number[] = [];
    const start: number[] = [];
    imageGoal = await goalFor(img, () => decodeImageBarcodes(img.file, { rules: config.linking.barcode, formats: config.linking.imageFormats, pool, goal: readEverything }));
    let r = await check(img.file);
    const jpeg = /\.jpe?g$/i.test(img.file);
    // Interleaved, so both see the same load; a pause after each capture so nothing it left running overlaps the next measurement.
    for (let i = 0; i < runs; i++) {
      await sleep(300);
      r = await check(img.file);
      whole.push(r.ms);
      qc.push(r.qcMs);
      bar.push(r.barcodes.ms);
      await sleep(300);
      start.push(vips.start());
      dec.push(vips.decode(jpeg ? `${img.file}[shrink=4]` : img.file));
    }
    const decode = Math.max(1, median(dec) - median(start));
    const name = path.relative(path.join(corpus, 'museum'), img.file);
    out(
      `| ${name} | ${r.barcodes.width}×${r.barcodes.height} | ${r.barcodes.codes.map((c) => c.text).join(', ') || '–'} | ${Math.round(median(whole))} | ${Math.round(median(qc))} | ${Math.round(median(bar))} (${r.barcodes.passes}/${r.barcodes.tilesTried}${r.barcodes.tilesFirst ? ', tiles first' : ''}${r.barcodes.labelsRead > 0 ? `, ${r.barcodes.labelsRead} label regions first` : ''}) | ${Math.round(decode)} (+ ${Math.round(median(start))}) | ${(median(whole) / decode).toFixed(2)}× |`,
    );
    if (img.file.includes('/meise/')) sheets.push(`${path.basename(img.file)}: capture median ${Math.round(median(whole))} ms, ${(median(whole) / decode).toFixed(2)}× vips' ¼ decode; runs ${whole.map(Math.round).join(' ')}`);
  }
  out('\nFull herbarium sheets (Meise), QC and barcodes together:');
  for (const line of sheets) out(`- ${line}`);
  store.close();
  await pool.close();
}

if (process.argv.includes('--station')) await stationPath();
else await main();
