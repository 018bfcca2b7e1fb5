/**
 * `capture-station doctor`: what a museum IT person checks before blaming the software — the config,
 * the database and its durability settings, every folder the station writes to, free disk space.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { StationConfig } from '../config/load.js';
import { StationError } from '../errors.js';
import { prepareSourceFolder } from '../ingest/source-folder.js';
import { schemaVersion } from '../store/database.js';
import { networkFileSystemOf } from '../store/network-fs.js';
import { openStore } from '../store/open.js';
import type { CliContext } from './main.js';

type Status = 'ok' | 'warn' | 'fail';
interface Finding {
  status: Status;
  what: string;
  detail: string;
}

/** Free space below these is a warning / a failure: a 100 MP 16-bit TIFF is about 600 MB. */
const warnFreeBytes = 20 * 1024 ** 3;
const failFreeBytes = 2 * 1024 ** 3;

export async function doctorCommand(ctx: CliContext): Promise<number> {
  const findings: Finding[] = [];
  let config: StationConfig | null = null;
  try {
    config = ctx.config();
    findings.push({ status: 'ok', what: 'config', detail: config.configFile ?? 'embedded default (no station.json/.yaml found)' });
  } catch (err) {
    findings.push({ status: 'fail', what: 'config', detail: err instanceof StationError ? err.message : String(err) });
  }
  if (config) {
    findings.push(checkDatabase(config));
    for (const s of config.sources) {
      // The same rule as `run`: a missing local inbox is created, a missing share is reported.
      const problem = await prepareSourceFolder(s);
      findings.push(problem ? { status: 'fail', what: `hot folder "${s.id}"`, detail: problem } : checkFolder(`hot folder "${s.id}"`, s.path, false));
    }
    findings.push(checkFolder('library', config.locations.library, true));
    findings.push(checkFolder('logs', config.locations.logs, true));
    const disks = new Map<string, string>();
    for (const [label, p] of [['database', path.dirname(config.locations.database)], ['library', config.locations.library], ...config.sources.map((s) => [`hot folder "${s.id}"`, s.path])] as [string, string][]) {
      if (!disks.has(p)) disks.set(p, label);
    }
    for (const [p, label] of disks) findings.push(checkFreeSpace(label, p));
  }
  findings.push({ status: 'ok', what: 'image decoder', detail: `libvips ${sharp.versions.vips} (sharp ${sharp.versions.sharp ?? '?'}), Node ${process.versions.node}` });

  const mark: Record<Status, string> = { ok: ' OK ', warn: 'WARN', fail: 'FAIL' };
  for (const f of findings) ctx.output.out(`[${mark[f.status]}] ${f.what}: ${f.detail}\n`);
  const failed = findings.filter((f) => f.status === 'fail').length;
  ctx.output.out(failed ? `\n${failed} problem${failed > 1 ? 's' : ''} must be fixed before the station can run reliably.\n` : '\nThe station is ready.\n');
  return failed ? 1 : 0;
}

function checkDatabase(config: StationConfig): Finding {
  const file = config.locations.database;
  try {
    const store = openStore(file);
    try {
      const journal = store.db.pragma('journal_mode', { simple: true });
      const sync = store.db.pragma('synchronous', { simple: true });
      const counts = store.captures.counts();
      return { status: 'ok', what: 'database', detail: `${file} (schema ${schemaVersion(store.db)}, journal ${String(journal)}, synchronous ${sync === 2 ? 'FULL' : String(sync)}, ${counts.total} captures)` };
    } finally {
      store.close();
    }
  } catch (err) {
    return { status: 'fail', what: 'database', detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Folders the station writes to are created if missing (`create`); then each must be a writable folder. */
function checkFolder(what: string, dir: string, create: boolean): Finding {
  try {
    if (create) fs.mkdirSync(dir, { recursive: true });
    if (!fs.statSync(dir).isDirectory()) return { status: 'fail', what, detail: `${dir} is not a folder` };
    const probe = path.join(dir, `.capture-station-write-test-${process.pid}`);
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
    const network = networkFileSystemOf(dir);
    return { status: 'ok', what, detail: `${dir} (writable${network ? `, on ${network}: use polling for this source` : ''})` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? 'does not exist — create it or fix the path in the config' : code === 'EACCES' || code === 'EPERM' ? 'is not writable by this user — fix its permissions' : (err as Error).message;
    return { status: 'fail', what, detail: `${dir} ${hint}` };
  }
}

function checkFreeSpace(label: string, dir: string): Finding {
  let target = dir;
  while (!fs.existsSync(target) && path.dirname(target) !== target) target = path.dirname(target);
  try {
    const s = fs.statfsSync(target);
    const free = s.bavail * s.bsize;
    const gb = (free / 1024 ** 3).toFixed(1);
    const status: Status = free < failFreeBytes ? 'fail' : free < warnFreeBytes ? 'warn' : 'ok';
    return { status, what: `free disk (${label})`, detail: `${gb} GB free at ${target}${status === 'ok' ? '' : ' — free up space or move the folder to a larger disk'}` };
  } catch (err) {
    return { status: 'warn', what: `free disk (${label})`, detail: `could not measure at ${target}: ${(err as Error).message}` };
  }
}
