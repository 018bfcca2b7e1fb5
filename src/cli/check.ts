/**
 * `capture-station check <files|folders…>`: batch QC of files that already exist, like a folder
 * check before hand-off. It judges each file exactly as the running station would (same profile,
 * same duplicate/near-duplicate/pair logic) using a throw-away in-memory database, and changes
 * nothing on disk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeImageBarcodes } from '../barcode/image/decode-image.js';
import { ZxingPool } from '../barcode/image/zxing-pool.js';
import { readEverything } from '../barcode/image/protocol.js';
import { sourceSchema } from '../config/schema.js';
import { StationError } from '../errors.js';
import { createSourceMatcher } from '../ingest/patterns.js';
import { walkIncluded } from '../ingest/rescan.js';
import { WorkQueue } from '../ingest/work-queue.js';
import type { SharedJpegDecode } from '../quality/shared-jpeg.js';
import type { CheckResult } from '../quality/types.js';
import { openStore } from '../store/open.js';
import { problemsOf } from '../station/describe.js';
import { checkAndRecord, closePairWindow, statVersion } from '../station/qc-record.js';
import type { CliContext } from './main.js';
import { progressBar, table } from './output.js';

interface FileReport {
  file: string;
  verdict: 'pass' | 'warn' | 'fail';
  sha256: string | null;
  size: number;
  format: string | null;
  width: number | null;
  height: number | null;
  bitDepth: number | null;
  checks: CheckResult[];
  /** Barcodes read in the image; `valid`: passes the project's rules (linking.barcode) and is not a control code. */
  barcodes: { format: string; text: string; valid: boolean }[];
  facts: unknown;
  measurements: unknown;
  elapsedMs: number | null;
}

export async function checkCommand(ctx: CliContext): Promise<number> {
  if (ctx.positionals.length === 0) throw new StationError('INVALID_ARGUMENT', 'Name at least one file or folder to check, e.g. capture-station check ./scans');
  const config = ctx.config();
  const profileName = ctx.values.profile ?? config.sources[0]?.profile ?? 'default';
  const profile = config.profiles[profileName];
  if (!profile) throw new StationError('INVALID_ARGUMENT', `Unknown profile "${profileName}"; expected one of ${Object.keys(config.profiles).join(', ')}.`);

  const { files, skipped } = await expand(ctx.positionals);
  const source = sourceSchema.parse({ id: 'check', path: path.parse(process.cwd()).root, profile: profileName });
  const store = openStore(':memory:');
  const reports = new Map<string, FileReport>();
  const pool = new ZxingPool();
  try {
    store.captures.syncSources([source]);
    const settings = {
      analyze: config.qc,
      truncatedRetries: 0,
      truncatedRetryDelayMs: 0,
      // No object to compare with and nothing decided from the image: every label it shows is listed.
      barcodes: { decode: (file: string, shared: SharedJpegDecode | undefined) => decodeImageBarcodes(file, { rules: config.linking.barcode, formats: config.linking.imageFormats, templates: config.linking.imageCodeTemplates, pool, shared, goal: readEverything }) },
    };
    const queue = new WorkQueue({ concurrency: config.ingest.concurrency });
    const progress = progressBar(ctx.output, files.length);
    const ids = new Map<string, number>();
    for (const file of files) {
      queue.add(file, async () => {
        const version = await statVersion(file);
        if (!version) throw new StationError('FILE_UNREADABLE', `${file} disappeared before it could be checked.`);
        const outcome = await checkAndRecord({ sourceId: 'check', absPath: file, relPath: toPosix(file), ...version }, profile, store.captures, settings);
        if (outcome.kind === 'recorded') ids.set(file, outcome.record.id);
        progress.tick(path.basename(file));
      });
    }
    await queue.onIdle();
    progress.done();
    // Every partner that will ever arrive is already here: close the pair windows now.
    for (const waiting of store.captures.capturesAwaitingPair()) closePairWindow(store.captures, profile, waiting.id);
    for (const file of files) {
      const id = ids.get(file);
      const detail = id === undefined ? null : store.captures.detail(id);
      if (!detail) continue;
      reports.set(file, {
        file,
        verdict: detail.verdict,
        sha256: detail.sha256,
        size: detail.size,
        format: detail.format,
        width: detail.width,
        height: detail.height,
        bitDepth: detail.bitDepth,
        checks: detail.results,
        barcodes: store.captures.barcodes(detail.id).map(({ format, text, valid }) => ({ format, text, valid })),
        facts: detail.facts,
        measurements: detail.measurements,
        elapsedMs: detail.qcMs,
      });
    }
  } finally {
    store.close();
    await pool.close();
  }

  const list = files.map((f) => reports.get(f)).filter((r): r is FileReport => r !== undefined);
  const unreadable = files.filter((f) => !reports.has(f));
  if (ctx.values.json) ctx.output.out(JSON.stringify(list, null, 2) + '\n');
  else ctx.output.out(renderTable(list));
  for (const f of unreadable) ctx.output.err(`Could not check ${f}: it could not be read.\n`);
  if (skipped.length > 0) {
    const examples = skipped.slice(0, 3).map((f) => path.basename(f)).join(', ');
    ctx.output.err(`Skipped ${skipped.length} file${skipped.length > 1 ? 's' : ''} without an image extension (${examples}${skipped.length > 3 ? ', …' : ''}); name a file to check it anyway.\n`);
  }
  const failed = list.filter((r) => r.verdict === 'fail').length;
  if (!ctx.values.json) ctx.output.err(`${list.length} checked: ${list.length - failed - list.filter((r) => r.verdict === 'warn').length} pass, ${list.filter((r) => r.verdict === 'warn').length} warn, ${failed} fail (profile ${profileName}).\n`);
  return failed > 0 || unreadable.length > 0 ? 1 : 0;
}

function renderTable(reports: FileReport[]): string {
  const rows = reports.map((r) => [
    r.verdict === 'pass' ? 'PASS' : r.verdict === 'warn' ? 'WARN' : 'FAIL',
    r.file,
    r.width && r.height ? `${r.width}×${r.height}` : '-',
    [r.format ?? '?', r.bitDepth ? `${r.bitDepth}-bit` : ''].join(' ').trim(),
    problemsOf(r.checks) || '-',
  ]);
  return table(['VERDICT', 'FILE', 'PIXELS', 'FORMAT', 'PROBLEMS'], rows);
}

/**
 * Files named on the command line are checked as given. In a folder, the files a hot folder would
 * take (the default image extensions) are checked; the others (sidecars, notes, manifests) are
 * counted in `skipped` so the technician is told about them instead of having them passed over.
 */
async function expand(args: string[]): Promise<{ files: string[]; skipped: string[] }> {
  const files: string[] = [];
  const skipped: string[] = [];
  const images = createSourceMatcher(sourceSchema.parse({ id: 'check', path: '/' }));
  for (const arg of args) {
    const abs = path.resolve(arg);
    const st = await fs.stat(abs).catch(() => null);
    if (!st) throw new StationError('INVALID_ARGUMENT', `${arg} does not exist. Check the path.`);
    if (!st.isDirectory()) {
      files.push(abs);
      continue;
    }
    for await (const file of walkIncluded(abs, createSourceMatcher({ include: ['**/*'], ignore: [] }))) {
      (images.excludes(file.relPath, true) ? skipped : files).push(file.absPath);
    }
  }
  const named = new Set(files);
  return { files: [...named], skipped: [...new Set(skipped)].filter((f) => !named.has(f)) };
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}
