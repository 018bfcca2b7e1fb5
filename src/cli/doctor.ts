/**
 * `capture-station doctor`: what a museum IT person checks before blaming the software — the config,
 * the database and its durability settings, every folder the station writes to, free disk space,
 * and every upload target through the health probe the uploader itself uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { StationConfig } from '../config/load.js';
import { StationError } from '../errors.js';
import { libraryUnmounted } from '../filing/library.js';
import { prepareSourceFolder } from '../ingest/source-folder.js';
import { schemaVersion } from '../store/database.js';
import { networkFileSystemOf } from '../store/network-fs.js';
import { openStore } from '../store/open.js';
import { diskAdvice, fileSystemsOf, folderNames, levelOf, watchedFolders } from '../station/disk-space.js';
import { redactUrl, redactUrlsIn } from '../shared/redact-url.js';
import { isUploadError } from '../upload/target.js';
import { createTargets } from '../upload/targets.js';
import type { CliContext } from './main.js';

type Status = 'ok' | 'warn' | 'fail';
interface Finding {
  status: Status;
  what: string;
  detail: string;
  /** Set on an upload target's finding (--json). */
  target?: { id: string; kind: string };
}

/** A target that has not answered its probe by then is reported as unreachable. */
const targetProbeTimeoutMs = 15_000;


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
    findings.push(await checkLibrary(config));
    findings.push(checkFolder('logs', config.locations.logs, true));
    findings.push(...checkFreeSpace(config));
    findings.push(...(await checkTargets(config)));
  }
  findings.push({ status: 'ok', what: 'image decoder', detail: `libvips ${sharp.versions.vips} (sharp ${sharp.versions.sharp ?? '?'}), Node ${process.versions.node}` });

  const failed = findings.filter((f) => f.status === 'fail').length;
  if (ctx.values.json) {
    ctx.output.out(`${JSON.stringify({ ready: failed === 0, failed, findings }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const mark: Record<Status, string> = { ok: ' OK ', warn: 'WARN', fail: 'FAIL' };
  for (const f of findings) ctx.output.out(`[${mark[f.status]}] ${f.what}: ${f.detail}\n`);
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

/**
 * The library is never created here: a missing one may be an unmounted disk or share, and a folder
 * made in its place would take the captures onto the local disk.
 */
async function checkLibrary(config: StationConfig): Promise<Finding> {
  const library = config.locations.library;
  const unmounted = await libraryUnmounted(library, config.linking.libraryMountCheck);
  if (unmounted) return { status: 'fail', what: 'library', detail: `${unmounted} Captures are not filed (they wait in the hot folder) until it is.` };
  if (!fs.existsSync(library)) {
    return {
      status: config.linking.enabled ? 'warn' : 'ok',
      what: 'library',
      detail: `${library} does not exist. If it should be on another disk or share, mount that there; otherwise create it (or fix paths.library). Left as it is, the station creates it as an ordinary folder when it files the first capture${config.linking.enabled ? '' : ' (linking is off, so nothing is filed now)'}.`,
    };
  }
  return checkFolder('library', library, false);
}

/**
 * Against the same thresholds the running station warns and alarms at (retention.warnFreeGB /
 * criticalFreeGB): one finding per disk, naming the folders on it, with the station's own advice.
 */
function checkFreeSpace(config: StationConfig): Finding[] {
  const levels = config.retention;
  const findings: Finding[] = [];
  const groups = fileSystemsOf(watchedFolders(config), (folder, err) => {
    const what = `free disk (${folderNames([folder])})`;
    findings.push(err.code === 'ENOENT' ? { status: 'ok', what, detail: `not measured: ${folder.path} does not exist (see its own line)` } : { status: 'warn', what, detail: `could not measure at ${folder.path}: ${err.message}` });
  });
  for (const g of groups) {
    const level = levelOf(g.freeBytes, levels);
    const status: Status = level === 'critical' ? 'fail' : level === 'warn' ? 'warn' : 'ok';
    const below = status === 'fail' ? `below retention.criticalFreeGB (${levels.criticalFreeGB} GB)` : `below retention.warnFreeGB (${levels.warnFreeGB} GB)`;
    const advice = status === 'ok' ? '' : ` — ${below}: ${diskAdvice(g.folders, { ...levels, requiredTargets: config.targets.filter((t) => t.required).length })}`;
    findings.push({ status, what: `free disk (${folderNames(g.folders)})`, detail: `${(g.freeBytes / 1024 ** 3).toFixed(1)} GB free at ${g.measuredAt}${advice}` });
  }
  return findings;
}

/** What to check when a target does not answer at all, by kind (the probe's own message says what it saw). */
const unreachableHint: Record<string, string> = {
  folder: 'check that the share is mounted and that "path" of this target is right',
  s3: 'check the network, and "endpoint" and "region" of this target',
  tus: 'check the network, "endpoint" of this target, and that the tus server is running',
};

/**
 * Every configured target's own health probe, the one the uploader runs: a folder's mount check and
 * write test (its test file is removed again), S3 HeadBucket (reachable bucket, accepted
 * credentials), tus OPTIONS. Unreachable is a warning — the station captures on and the queue
 * drains when the target is back — while a target that answers but refuses (credentials, a
 * missing bucket, a read-only or full share) must be fixed.
 */
async function checkTargets(config: StationConfig): Promise<Finding[]> {
  const targets = createTargets(config.targets, { stationId: config.stationId, library: config.locations.library });
  try {
    return await Promise.all(
      targets.map(async (t, i): Promise<Finding> => {
        const where = whereOf(config.targets[i]!);
        const base = { what: `upload target "${t.id}"`, target: { id: t.id, kind: t.kind } };
        const signal = AbortSignal.timeout(targetProbeTimeoutMs);
        try {
          // Raced with the timeout too: a folder probe on a hung share cannot be cancelled. A share
          // that takes an empty file may still have no room for one capture: asked for one byte, a
          // folder target answers full below its 16 MiB headroom, as the uploader would.
          await Promise.race([t.probe(signal, { bytes: 1 }), abortion(signal)]);
          return { ...base, status: 'ok', detail: `${t.kind} ${where} ${okDetail[t.kind] ?? 'answers'}` };
        } catch (err) {
          if (isUploadError(err, 'offline') || signal.aborted) {
            // The probe's message already says that uploads wait; the timeout says it here.
            const seen = signal.aborted ? `${where} did not answer within ${targetProbeTimeoutMs / 1000} s; uploads wait until it does.` : (err as Error).message;
            return { ...base, status: 'warn', detail: `${seen} To fix: ${unreachableHint[t.kind] ?? 'check the network'}.` };
          }
          return { ...base, status: 'fail', detail: redactUrlsIn(err instanceof Error ? err.message : String(err)) };
        }
      }),
    );
  } finally {
    for (const t of targets) t.destroy?.();
  }
}

function abortion(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

const okDetail: Record<string, string> = {
  folder: 'is reachable and writable (a test file was written and removed)',
  s3: 'answers HeadBucket: the bucket exists and the credentials are accepted',
  tus: 'answers OPTIONS as a tus server',
};

function whereOf(t: StationConfig['targets'][number]): string {
  switch (t.kind) {
    case 'folder':
      return t.path;
    case 's3':
      return `s3://${t.bucket}${t.endpoint ? ` at ${redactUrl(t.endpoint)}` : ` (${t.region})`}`;
    case 'tus':
      return redactUrl(t.endpoint);
  }
}
