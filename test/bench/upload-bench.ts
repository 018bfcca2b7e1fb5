/**
 * `npm run bench:upload`: throughput of the station's uploader (Uploader + the real targets, queue →
 * done, verification included as the station does it) against a plain copy of the same bytes in
 * the same run, as a ratio (station MB/s ÷ plain MB/s; the goal is ≥ 0.9). Per target:
 * - folder: with no bandwidth cap (as here) the target has `cp` copy the local file into a temp
 *   file (not hashed: the read-back proves the copy), reads it back for sha256 while its final
 *   fsync runs, links it into place and fsyncs the folder; plain: `cp` then `sync` of the file and its folder (no verification);
 * - s3 (moto_server on loopback): multipart with SHA-256 part checksums, then HeadObject; plain:
 *   `curl -T` of each file as one unsigned PUT (no checksum);
 * - tus (@tus/server + file store, in a process of its own): creation POST, PATCHes of the
 *   configured chunk size, then a HEAD; plain: one `curl` POST and one `curl -T` PATCH of the whole file.
 * Both sides run `BENCH_CONCURRENCY` files at once (default 2, the station's default), from source
 * files in the page cache (written just before). Each figure is the median of BENCH_RUNS runs
 * (default 3), station and plain alternating which goes first, after BENCH_WARMUP (default 1)
 * unmeasured runs of each side. The CPU time the station's process
 * spent per run (all its threads, and the `cp` it ran for the folder target) is printed too: on a machine shared with other work the wall-clock
 * ratio varies from run to run, the CPU time much less. So are the CPU time of the plain side's
 * commands (cp, sync, curl) and, for s3 and tus, the CPU time the server process (moto_server, the
 * tus server) spent on each run of either side (from /proc/<pid>/stat): a side's client + server
 * CPU against its wall time × the cores shows whether it was CPU-bound or waited.
 * BENCH_FILES (default 8) × BENCH_MB (default 100) of random bytes; BENCH_TARGETS=folder,s3,tus.
 * To see what the protocol settings cost: BENCH_S3_PART_MB (S3 part size, and the multipart
 * threshold with it) and BENCH_TUS_CHUNK_MB (tus PATCH size); the target defaults otherwise.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { targetSchema, type TargetConfig } from '../../src/config/schema.js';
import type { CaptureRecord } from '../../src/store/captures.js';
import { Outbox } from '../../src/upload/outbox.js';
import { createTargets } from '../../src/upload/targets.js';
import { Uploader } from '../../src/upload/uploader.js';
import { makeFixture, settings } from '../upload/fixture.js';
import { motoMissing, startMoto } from '../upload/moto.js';
import { intFromEnv } from '../helpers/env.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));

const fileCount = intFromEnv('BENCH_FILES', 8);
const sizeMB = intFromEnv('BENCH_MB', 100);
const runs = intFromEnv('BENCH_RUNS', 3);
const concurrency = intFromEnv('BENCH_CONCURRENCY', 2);
const warmups = intFromEnv('BENCH_WARMUP', 1);
const s3PartMB = process.env.BENCH_S3_PART_MB ? intFromEnv('BENCH_S3_PART_MB', 16) : null;
const tusChunkMB = process.env.BENCH_TUS_CHUNK_MB ? intFromEnv('BENCH_TUS_CHUNK_MB', 8) : null;
const kinds = (process.env.BENCH_TARGETS ?? 'folder,s3,tus').split(',').map((s) => s.trim());
for (const k of kinds) if (!['folder', 's3', 'tus'].includes(k)) throw new Error(`BENCH_TARGETS: unknown target kind ${k}; use any of folder, s3, tus`);

const fx = makeFixture();
const totalBytes = fileCount * sizeMB * MiB;
const captures: CaptureRecord[] = [];
for (let i = 0; i < fileCount; i++) captures.push(fx.addCapture(`bench-${i}.raw`, crypto.randomBytes(sizeMB * MiB)));
const sources = captures.map((c) => c.path);
let seq = 0;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `tasks` with at most `n` at once. */
async function pool(tasks: (() => Promise<unknown>)[], n: number): Promise<void> {
  const queue = [...tasks];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) await t();
  }));
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/**
 * User + system CPU ms so far, from /proc/<pid>/stat: of process `pid` (all its threads), or with
 * `children`, of its children that have exited and been waited for (the plain side's cp and curl).
 */
function processCpuMs(pid: number | 'self', children = false): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, in parentheses): state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = children ? 13 : 11;
  return ((Number(fields[at]) + Number(fields[at + 1])) * 1000) / clockTicks;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Queue → done for every file through the station's uploader; rejects on the first failed attempt. Wall and CPU ms. */
async function stationDrain(configInput: Record<string, unknown>): Promise<{ ms: number; cpuMs: number }> {
  const config: TargetConfig = targetSchema.parse({ ...configInput, id: `${String(configInput.kind)}-${++seq}` });
  const outbox = new Outbox(fx.store.db);
  for (const c of captures) outbox.enqueue(c, config.id);
  let done = 0;
  let settle!: (err?: Error) => void;
  const finished = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  const uploader = new Uploader({
    db: fx.store.db,
    targetConfigs: [config],
    targets: createTargets([config], { stationId: 'rig1' }),
    settings: settings({ concurrency, probeIntervalSec: 60 }),
    onTransition: (t) => {
      if (t.type === 'done' && ++done === captures.length) settle();
      if (t.type === 'retry' || t.type === 'dead') settle(new Error(`${config.id}: job ${t.jobId} ${t.type}: ${outbox.get(t.jobId)?.lastError}`));
    },
  });
  try {
    const cpu = process.cpuUsage();
    const children = processCpuMs('self', true);
    const ms = await timed(async () => {
      uploader.start();
      await finished;
    });
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 + processCpuMs('self', true) - children };
  } finally {
    await uploader.stop();
  }
}

interface Figures {
  kind: string;
  station: string;
  plain: string;
  stationMs: number[];
  stationCpuMs: number[];
  plainMs: number[];
  /** CPU ms of the plain side's commands (cp, sync, curl) per plain run. */
  plainCpuMs: number[];
  /** CPU ms of the server process during each station run and each plain run (s3, tus). */
  serverCpuMs: { station: number[]; plain: number[] } | null;
}

async function measure(
  kind: string,
  station: string,
  plain: string,
  stationRun: () => Promise<{ ms: number; cpuMs: number }>,
  plainRun: () => Promise<void>,
  cleanup: () => Promise<void>,
  serverPid: number | null = null,
): Promise<Figures> {
  const f: Figures = { kind, station, plain, stationMs: [], stationCpuMs: [], plainMs: [], plainCpuMs: [], serverCpuMs: serverPid === null ? null : { station: [], plain: [] } };
  // Unmeasured: the first run of each side pays one-time costs a running station pays once (the
  // hashing worker's start, the SDK's and tus-js-client's import, JIT warm-up, in the server too).
  for (let w = 0; w < warmups; w++) {
    await stationRun();
    await cleanup();
    await plainRun();
    await cleanup();
  }
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? (['plain', 'station'] as const) : (['station', 'plain'] as const);
    for (const side of order) {
      const serverBefore = serverPid === null ? 0 : processCpuMs(serverPid);
      if (side === 'plain') {
        const before = processCpuMs('self', true);
        f.plainMs.push(await timed(plainRun));
        f.plainCpuMs.push(processCpuMs('self', true) - before);
      }
      else {
        const { ms, cpuMs } = await stationRun();
        f.stationMs.push(ms);
        f.stationCpuMs.push(cpuMs);
      }
      if (serverPid !== null) f.serverCpuMs![side].push(processCpuMs(serverPid) - serverBefore);
      await cleanup();
    }
  }
  return f;
}

async function folderFigures(work: string): Promise<Figures> {
  const root = path.join(work, 'share');
  const reset = () => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'plain'), { recursive: true });
    fs.writeFileSync(path.join(root, '.capture-station-target'), '');
  };
  reset();
  return measure(
    'folder',
    'cp into a temp file (no cap), read back + sha256 during its fsync, link, fsync folder',
    'cp, then sync of the file and its folder',
    () => stationDrain({ kind: 'folder', path: root }),
    () => pool(sources.map((src) => () => run('sh', ['-c', 'cp -- "$1" "$2" && sync -- "$2" "$(dirname -- "$2")"', 'sh', src, path.join(root, 'plain', path.basename(src))])), concurrency),
    async () => reset(),
  );
}

async function s3Figures(): Promise<Figures> {
  const moto = await startMoto();
  try {
    await moto.createBucket('bench');
    const empty = async () => {
      const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: 'bench' }));
      for (const o of listed.Contents ?? []) await moto.client.send(new DeleteObjectCommand({ Bucket: 'bench', Key: o.Key! }));
    };
    // Plain PUTs: moto takes unsigned requests; `Expect:` off so curl does not wait for a 100 Continue.
    const put = (src: string) => run('curl', ['-sS', '-f', '-o', '/dev/null', '-H', 'Expect:', '-T', src, `${moto.endpoint}/bench/plain/${path.basename(src)}`]);
    const config = {
      kind: 's3',
      endpoint: moto.endpoint,
      region: 'us-east-1',
      bucket: 'bench',
      forcePathStyle: true,
      accessKeyId: 'testing',
      secretAccessKey: 'testing',
      ...(s3PartMB ? { partSizeBytes: s3PartMB * MiB, multipartThresholdBytes: s3PartMB * MiB } : {}),
    };
    const parsed = targetSchema.parse({ ...config, id: 'x' }) as Extract<TargetConfig, { kind: 's3' }>;
    return await measure(
      's3',
      sizeMB * MiB >= parsed.multipartThresholdBytes
        ? `multipart (${parsed.partSizeBytes / MiB} MiB parts, SHA-256 checksums, part ETags compared with MD5), HeadObject`
        : 'one PutObject per file (SHA-256 checksum), HeadObject',
      'curl -T, one unsigned PUT per file',
      () => stationDrain(config),
      () => pool(sources.map((src) => () => put(src)), concurrency),
      empty,
      moto.pid,
    );
  } finally {
    await moto.stop();
  }
}

async function tusFigures(work: string): Promise<Figures> {
  const store = path.join(work, 'tus-store');
  fs.mkdirSync(store);
  const server = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'tus-server-process.ts'), store], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`the tus server exited with ${code}`)));
    });
    const tusHeaders = ['-H', 'Tus-Resumable: 1.0.0'];
    const send = async (src: string) => {
      const created = await run('curl', ['-sS', '-f', '-o', '/dev/null', '-w', '%header{location}', '-X', 'POST', ...tusHeaders, '-H', `Upload-Length: ${fs.statSync(src).size}`, endpoint]);
      const url = new URL(created.stdout.trim(), endpoint).href;
      await run('curl', ['-sS', '-f', '-o', '/dev/null', '-X', 'PATCH', ...tusHeaders, '-H', 'Upload-Offset: 0', '-H', 'Content-Type: application/offset+octet-stream', '-H', 'Expect:', '-T', src, url]);
    };
    const config = { kind: 'tus', endpoint, ...(tusChunkMB ? { chunkSizeBytes: tusChunkMB * MiB } : {}) };
    const parsed = targetSchema.parse({ ...config, id: 'x' }) as Extract<TargetConfig, { kind: 'tus' }>;
    return await measure(
      'tus',
      `POST, PATCHes of ${parsed.chunkSizeBytes / MiB} MiB, HEAD`,
      'curl POST, then one curl -T PATCH of the whole file',
      () => stationDrain(config),
      () => pool(sources.map((src) => () => send(src)), concurrency),
      async () => {
        for (const n of fs.readdirSync(store)) fs.rmSync(path.join(store, n), { force: true });
      },
      server.pid!,
    );
  } finally {
    server.kill('SIGTERM');
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-upload-bench-'));
const results: Figures[] = [];
try {
  if (kinds.includes('folder')) results.push(await folderFigures(work));
  if (kinds.includes('s3')) {
    if (motoMissing) process.stdout.write(`s3 skipped: ${motoMissing}\n`);
    else results.push(await s3Figures());
  }
  if (kinds.includes('tus')) results.push(await tusFigures(work));
} finally {
  fx.close();
  fs.rmSync(work, { recursive: true, force: true });
}

const mbps = (ms: number) => totalBytes / MiB / (ms / 1000);
process.stdout.write(`upload throughput, ${fileCount} × ${sizeMB} MiB, ${concurrency} at once, median of ${runs} runs after ${warmups} unmeasured (station ÷ plain; goal ≥ 0.9)\n`);
for (const f of results) {
  const station = median(f.stationMs);
  const plain = median(f.plainMs);
  process.stdout.write(
    `${f.kind.padEnd(7)} station ${mbps(station).toFixed(0).padStart(5)} MiB/s  plain ${mbps(plain).toFixed(0).padStart(5)} MiB/s  ratio ${(plain / station).toFixed(2)}\n` +
      `        station: ${f.station}\n        plain:   ${f.plain}\n        runs (ms) station ${f.stationMs.map((m) => m.toFixed(0)).join(', ')}; plain ${f.plainMs.map((m) => m.toFixed(0)).join(', ')}; station process CPU ${f.stationCpuMs.map((m) => m.toFixed(0)).join(', ')}; plain commands' CPU ${f.plainCpuMs.map((m) => m.toFixed(0)).join(', ')}\n` +
      (f.serverCpuMs ? `        server process CPU (ms) during station runs ${f.serverCpuMs.station.map((m) => m.toFixed(0)).join(', ')}; during plain runs ${f.serverCpuMs.plain.map((m) => m.toFixed(0)).join(', ')}\n` : ''),
  );
}
