/**
 * `npm run bench`: QC speed against references measured in the same run on the same files —
 * `vips avg` (a full libvips decode from the command line) and `sha256sum` — reported as ratios,
 * plus peak RSS of QC and end-to-end captures/minute through the running station.
 * Timings on shared machines are noisy: each figure is the median of several runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { intFromEnv } from '../helpers/env.js';

const runs = intFromEnv('BENCH_RUNS', 3);
const here = path.dirname(fileURLToPath(import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function timeCommand(cmd: string, args: string[]): number {
  const t = performance.now();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t;
}

async function makeTiff(file: string, width: number, height: number, sixteenBit: boolean): Promise<void> {
  let img = sharp({ create: { width, height, channels: 3, background: { r: 128, g: 110, b: 90 }, noise: { type: 'gaussian', mean: 120, sigma: 40 } }, limitInputPixels: false });
  if (sixteenBit) img = img.toColourspace('rgb16');
  await img.tiff({ compression: 'none' }).toFile(file);
}

interface FileFigures {
  file: string;
  megapixels: number;
  bytesMB: number;
  qcMs: number;
  vipsMs: number;
  sha256sumMs: number;
  ratio: number;
  peakRssMB: number;
  maxEventLoopDelayMs: number;
  verdict: string;
}

async function fileBench(name: string, width: number, height: number, sixteenBit: boolean): Promise<FileFigures> {
  const file = path.join(work, name);
  await makeTiff(file, width, height, sixteenBit);
  const qc: number[] = [];
  const vips: number[] = [];
  const sha: number[] = [];
  let rss = 0;
  let loopDelay = 0;
  let verdict = '';
  timeCommand('cat', [file]); // warm the page cache so every contender reads from memory
  for (let i = 0; i < runs; i++) {
    vips.push(timeCommand('vips', ['avg', file]));
    sha.push(timeCommand('sha256sum', [file]));
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'qc-one.ts'), file], { encoding: 'utf8' })) as { ms: number; maxRssMB: number; maxEventLoopDelayMs: number; verdict: string };
    qc.push(out.ms);
    rss = Math.max(rss, out.maxRssMB);
    loopDelay = Math.max(loopDelay, out.maxEventLoopDelayMs);
    verdict = out.verdict;
  }
  const qcMs = median(qc);
  const ref = Math.max(median(vips), median(sha));
  const figures = {
    file: name,
    megapixels: Math.round((width * height) / 1e6),
    bytesMB: Math.round(fs.statSync(file).size / 1e6),
    qcMs: Math.round(qcMs),
    vipsMs: Math.round(median(vips)),
    sha256sumMs: Math.round(median(sha)),
    ratio: Number((qcMs / ref).toFixed(2)),
    peakRssMB: Math.round(rss),
    maxEventLoopDelayMs: Math.round(loopDelay),
    verdict,
  };
  fs.rmSync(file);
  return figures;
}

/** 100 mixed files (JPEGs and TIFFs of several sizes) copied into a running station's Inbox. */
async function throughputBench() {
  const home = path.join(work, 'home');
  const staging = path.join(work, 'staging');
  fs.mkdirSync(staging, { recursive: true });
  const n = 100;
  for (let i = 0; i < n; i++) {
    const w = 2000 + (i % 5) * 500;
    const img = sharp({ create: { width: w, height: Math.round(w * 0.75), channels: 3, background: { r: (i * 37) % 255, g: 120, b: 90 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } });
    if (i % 2) await img.jpeg({ quality: 90 }).toFile(path.join(staging, `IMG_${String(i).padStart(4, '0')}.jpg`));
    else await img.tiff({ compression: 'lzw' }).toFile(path.join(staging, `IMG_${String(i).padStart(4, '0')}.tif`));
  }
  const station = new Station(loadConfig({ home }));
  await station.start();
  let recorded = 0;
  const done = new Promise<void>((resolve) => station.on('capture.recorded', () => ++recorded === n && resolve()));
  const t = performance.now();
  for (const f of fs.readdirSync(staging)) fs.copyFileSync(path.join(staging, f), path.join(home, 'Inbox', f));
  await done;
  const seconds = (performance.now() - t) / 1000;

  // Latency as a technician sees it: one file at a time, from the end of its copy to its verdict.
  // It includes the stability window (ingest.stableWindowMs), which is there by design.
  const latencies: number[] = [];
  for (const [i, f] of fs.readdirSync(staging).slice(0, 10).entries()) {
    const recordedOne = new Promise<void>((resolve) => {
      const off = station.on('capture.recorded', () => {
        off();
        resolve();
      });
    });
    fs.copyFileSync(path.join(staging, f), path.join(home, 'Inbox', `single-${i}-${f}`));
    const copied = performance.now();
    await recordedOne;
    latencies.push(performance.now() - copied);
  }
  await station.stop();
  return {
    files: n,
    seconds: Number(seconds.toFixed(1)),
    capturesPerMinute: Math.round((n / seconds) * 60),
    stableWindowMs: station.config.ingest.stableWindowMs,
    medianLatencyMs: Math.round(median(latencies)),
    maxLatencyMs: Math.round(Math.max(...latencies)),
  };
}

try {
  const figures = [await fileBench('50mp-8bit-rgb.tif', 8660, 5774, false), await fileBench('100mp-16bit-rgb.tif', 12248, 8165, true)];
  const throughput = await throughputBench();
  const report = { date: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.versions.node}, libvips ${sharp.versions.vips}`, runs, figures, throughput };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(
    '\n| file | MP | MB | QC ms | vips avg ms | sha256sum ms | QC / slower ref | QC / vips | peak RSS MB | max event-loop delay ms |\n|---|---|---|---|---|---|---|---|---|---|\n' +
      figures.map((f) => `| ${f.file} | ${f.megapixels} | ${f.bytesMB} | ${f.qcMs} | ${f.vipsMs} | ${f.sha256sumMs} | ${f.ratio} | ${(f.qcMs / f.vipsMs).toFixed(2)} | ${f.peakRssMB} | ${f.maxEventLoopDelayMs} |`).join('\n') +
      `\n\nThroughput through \`run\`: ${throughput.files} mixed files in ${throughput.seconds} s = ${throughput.capturesPerMinute} captures/minute\n` +
      `Latency, one file at a time, end of copy → verdict: median ${throughput.medianLatencyMs} ms, max ${throughput.maxLatencyMs} ms (stability window ${throughput.stableWindowMs} ms)\n`,
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
