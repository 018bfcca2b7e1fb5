/**
 * `capture-station doctor`: what a museum IT person checks before blaming the software — the config,
 * the database and its durability settings, every folder the station writes to, free disk space,
 * and every upload target through the health probe the uploader itself uses. It only looks: a
 * mistyped --home must not become a new station, so nothing missing is created and the database is
 * opened read-only (the only writes are the write tests, whose files are removed again).
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createNodeUsbBackend } from '../barcode/usb/node-usb-backend.js';
import { checkUsbScanners } from '../barcode/usb/usb-doctor.js';
import type { StationConfig } from '../config/load.js';
import { StationError } from '../errors.js';
import { libraryUnmounted } from '../filing/library.js';
import { isStationInbox, prepareSourceFolder } from '../ingest/source-folder.js';
import { damagedDatabaseError, openDatabase, schemaVersion, type Db } from '../store/database.js';
import { migrations } from '../store/migrations.js';
import { networkFileSystemOf } from '../store/network-fs.js';
import { diskAdvice, fileSystemsOf, folderNames, levelOf, watchedFolders } from '../station/disk-space.js';
import { renamedSourceProblems } from '../station/source-renames.js';
import { formatBytes } from '../shared/bytes.js';
import { redactUrl, redactUrlsIn } from '../shared/redact-url.js';
import { StaleCopies } from '../upload/stale-copies.js';
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
  // A config error lists its problems: each is one to fix, as its message counts them.
  let configProblems = 0;
  try {
    config = ctx.config();
    findings.push({ status: 'ok', what: 'config', detail: config.configFile ?? 'embedded default (no station.json/.yaml found)' });
  } catch (err) {
    findings.push({ status: 'fail', what: 'config', detail: err instanceof StationError ? err.message : String(err) });
    const listed = err instanceof StationError ? (err.details as { problems?: unknown[] } | undefined)?.problems?.length : undefined;
    configProblems = Math.max(1, listed ?? 1);
  }
  if (config) {
    const home = config.locations.home;
    if (home && !fs.existsSync(home)) {
      findings.push({ status: 'fail', what: 'home', detail: `${home} does not exist — check --home or CAPTURE_STATION_HOME for a typo; a new station is made there only by \`capture-station run\`` });
    }
    findings.push(checkDatabase(config));
    for (const s of config.sources) findings.push(await checkSource(s, config));
    findings.push(...checkRenamedSources(config));
    findings.push(await checkLibrary(config));
    findings.push(fs.existsSync(config.locations.logs) ? checkFolder('logs', config.locations.logs) : { status: 'ok', what: 'logs', detail: `${config.locations.logs} does not exist yet; the station creates it when it starts` });
    findings.push(...checkFreeSpace(config));
    findings.push(...(await checkTargets(config)));
    findings.push(...checkStaleCopies(config));
    findings.push({ what: 'USB scanners', ...(await checkUsbScanners(config.linking.enabled, config.linking.usb, () => createNodeUsbBackend())) });
  }
  findings.push({ status: 'ok', what: 'image decoder', detail: `libvips ${sharp.versions.vips} (sharp ${sharp.versions.sharp ?? '?'}), Node ${process.versions.node}` });

  const failed = findings.filter((f) => f.status === 'fail' && f.what !== 'config').length + configProblems;
  if (ctx.values.json) {
    ctx.output.out(`${JSON.stringify({ ready: failed === 0, failed, findings }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const mark: Record<Status, string> = { ok: ' OK ', warn: 'WARN', fail: 'FAIL' };
  for (const f of findings) ctx.output.out(`[${mark[f.status]}] ${f.what}: ${f.detail}\n`);
  ctx.output.out(failed ? `\n${failed} problem${failed > 1 ? 's' : ''} must be fixed before the station can run reliably.\n` : '\nThe station is ready.\n');
  return failed ? 1 : 0;
}

/**
 * `read` on the database opened read-only, when it exists, opens and already has `table` (a
 * database the station has not migrated yet has no such records); none otherwise — checkDatabase
 * reports a database that does not open.
 */
function fromDatabase(config: StationConfig, table: string, read: (db: Db) => Finding[]): Finding[] {
  if (!fs.existsSync(config.locations.database)) return [];
  let db: Db;
  try {
    db = openDatabase(config.locations.database, { readonly: true });
  } catch {
    return [];
  }
  try {
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) ? read(db) : [];
  } finally {
    db.close();
  }
}

/** The same refusal as the station's start: a hot folder now under another id, still holding the old id's recorded files. */
function checkRenamedSources(config: StationConfig): Finding[] {
  // The check reads captures.local_deleted_at (schema 6); sessions came next (schema 7): an older
  // database is checked at start, once the station has migrated it.
  return fromDatabase(config, 'sessions', (db) => renamedSourceProblems(db, config.sources).map((p) => ({ status: 'fail', what: p.field, detail: p.problem })));
}

/**
 * Copies the station left at a target under names their captures no longer have (a link edit
 * renamed them): a warning per target naming them, pending ones (the station removes them once
 * their capture's new copy is verified) and kept ones (left there; the note says why).
 */
function checkStaleCopies(config: StationConfig): Finding[] {
  return fromDatabase(config, 'stale_copies', (db) => {
    const byTarget = new Map<string, ReturnType<StaleCopies['remaining']>>();
    for (const c of new StaleCopies(db).remaining()) byTarget.set(c.targetId, [...(byTarget.get(c.targetId) ?? []), c]);
    return [...byTarget].map(([id, copies]) => {
      const pending = copies.filter((c) => c.status === 'pending');
      const kept = copies.filter((c) => c.status === 'kept');
      const names = (list: typeof copies) => list.slice(0, 10).map((c) => c.remoteKey).join(', ') + (list.length > 10 ? `, …and ${list.length - 10} more` : '');
      const parts = [
        ...(pending.length ? [`${pending.length} to be removed by the station once their captures' new copies are verified (${names(pending)})`] : []),
        ...(kept.length ? [`${kept.length} left there, which the station will not remove (${names(kept)}; capture-station queue says why for each)`] : []),
      ];
      const kind = config.targets.find((t) => t.id === id)?.kind ?? 'unknown';
      return { status: 'warn' as const, what: `stale copies at "${id}"`, detail: `${copies.length} copies under names their captures no longer have: ${parts.join('; ')}.`, target: { id, kind } };
    });
  });
}

function checkDatabase(config: StationConfig): Finding {
  const file = config.locations.database;
  if (!fs.existsSync(file)) {
    return { status: 'warn', what: 'database', detail: `${file} does not exist yet: \`capture-station run\` creates it. If the station has run before, the home or paths.database points to the wrong place — fix it before running` };
  }
  let db: Db | null = null;
  try {
    db = openDatabase(file, { readonly: true });
    const journal = String(db.pragma('journal_mode', { simple: true }));
    const version = schemaVersion(db);
    const latest = migrations.at(-1)?.version ?? 0;
    if (version > latest) return { status: 'fail', what: 'database', detail: `${file} has schema ${version}, newer than this Capture Station knows (${latest}): update Capture Station` };
    const captures = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'captures'").pluck().get() ? ` ${String(db.prepare('SELECT count(*) FROM captures').pluck().get())} captures,` : '';
    const upgrade = version < latest ? `; the station migrates it to schema ${latest} when it starts` : '';
    // synchronous is a per-connection setting the station sets to FULL on every open; only the journal lives in the file.
    return { status: journal === 'wal' || version === 0 ? 'ok' : 'warn', what: 'database', detail: `${file} (schema ${version},${captures} journal ${journal}${journal === 'wal' ? '' : ', switched to wal when the station starts'}${upgrade})` };
  } catch (err) {
    const message = damagedDatabaseError(err, file)?.message ?? (err instanceof Error ? err.message : String(err));
    return { status: 'fail', what: 'database', detail: message.includes(file) ? message : `${file}: ${message}` };
  } finally {
    db?.close();
  }
}

/**
 * The same rule as `run` (a missing local hot folder is created, a missing share is reported), but
 * reported, not applied.
 */
async function checkSource(source: StationConfig['sources'][number], config: StationConfig): Promise<Finding> {
  const what = `hot folder "${source.id}"`;
  if (!fs.existsSync(source.path) && isStationInbox(source, config.locations)) {
    return { status: 'ok', what, detail: `${source.path} does not exist yet; the station creates it when it starts` };
  }
  if (!fs.existsSync(source.path) && !source.polling && fs.existsSync(path.dirname(source.path))) {
    return { status: 'warn', what, detail: `${source.path} does not exist; the station creates it when it starts. If it should be a share or another disk, mount that there or fix the source's path` };
  }
  const problem = await prepareSourceFolder(source);
  return problem ? { status: 'fail', what, detail: problem } : checkFolder(what, source.path);
}

/** Each folder the station writes to must be a writable folder. */
function checkFolder(what: string, dir: string): Finding {
  try {
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
  return checkFolder('library', library);
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
    findings.push({ status, what: `free disk (${folderNames(g.folders)})`, detail: `${formatBytes(g.freeBytes, 1024)} free at ${g.measuredAt}${advice}` });
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
