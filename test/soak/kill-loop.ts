/**
 * The kill loop behind `npm run soak` and the shorter loop in `npm test` (kill-upload.test.ts).
 * Each round drops new files into a running station's Inbox and SIGKILLs it at a random moment of
 * one phase (right after start, during ingest, during an upload), then checks, with the station
 * dead, what must hold at any instant:
 * - every file dropped and recorded is recorded once; every capture that did not fail has one job
 *   per target;
 * - every done job's remote copy is there under the job's key, with the capture's sha256;
 * - nothing at a target lies under a key that is not a job's (nothing twice under different keys);
 * - temporary state at a target belongs to a job that is not done yet (a folder target's .part of a
 *   job that will remove it, a tus upload or S3 multipart upload the job's resume state points to),
 *   except empty tus and S3 multipart uploads orphaned between their creation and the saving of
 *   their URL or UploadId (counted and reported; the job's next attempt adopts or aborts an S3 one,
 *   so none may be left after a drain).
 * Every `drainEvery` rounds and at the end the station runs until the queue is drained and stops
 * with SIGTERM; then every eligible capture must have a done job per target and no temporary state
 * may be left anywhere. A violated rule throws with the round and what is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from '@aws-sdk/client-s3';
import type { StationConfigInput } from '../../src/config/schema.js';
import { goodJpegBuffer } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { countInStation, exited, queryStation, startStation, type StationProcess } from '../helpers/station-process.js';
import { listFiles, sha256, sha256OfFile } from '../upload/fixture.js';
import { motoCredentials, startMoto, type Moto } from '../upload/moto.js';
import { startTus, type TusPeer } from '../upload/tus-server.js';

export type TargetKind = 'folder' | 'tus' | 's3';
export type Aim = 'startup' | 'ingest' | 'upload';
/** What the station was seen doing just before the kill (aim is what the round waited for). */
export type Observed = 'upload in flight' | 'ingest pending' | 'idle';

export interface SoakOptions {
  rounds: number;
  targets: readonly TargetKind[];
  filesPerRound: number;
  /** Run until drained (and check that everything arrived) after every this many rounds, and at the end. */
  drainEvery: number;
  /** Which phase round i aims at; random by default. */
  aimOf?: (round: number) => Aim;
  random?: () => number;
  onRound?: (line: string) => void;
}

export interface SoakReport {
  rounds: number;
  kills: Record<Aim, Record<Observed, number>>;
  drains: number;
  files: number;
  eligible: number;
  /** Remote copies whose sha256 was read at the target and compared, at the final check. */
  verified: number;
  reclaimed: number;
  /** Empty tus uploads and S3 multipart uploads a kill orphaned between their creation and the saving of their URL / UploadId (see checkTus, checkS3). */
  orphans: { tus: number; s3: number };
  elapsedMs: number;
}

interface JobRow {
  id: number;
  target_id: string;
  state: string;
  remote_key: string | null;
  resume_json: string | null;
  verified_sha256: string | null;
  sha256: string;
  path: string;
  rel_path: string;
}

interface Targets {
  config: StationConfigInput['targets'];
  tus: TusPeer | null;
  tusStore: string;
  moto: Moto | null;
  stop(): Promise<void>;
}

const bucket = 'soak';
const share = (home: string) => path.join(home, 'Share');

async function startTargets(home: string, kinds: readonly TargetKind[]): Promise<Targets> {
  const config: NonNullable<StationConfigInput['targets']> = [];
  fs.mkdirSync(share(home));
  fs.writeFileSync(path.join(share(home), '.capture-station-target'), ''); // a local folder, not a mount point
  if (kinds.includes('folder')) config.push({ id: 'nas', kind: 'folder', path: 'Share' });
  const tusStore = path.join(home, 'tus-store');
  let tus: TusPeer | null = null;
  if (kinds.includes('tus')) {
    fs.mkdirSync(tusStore);
    tus = await startTus(tusStore);
    config.push({ id: 'tusd', kind: 'tus', endpoint: tus.endpoint, chunkSizeBytes: 256 * 1024 });
  }
  let moto: Moto | null = null;
  if (kinds.includes('s3')) {
    moto = await startMoto();
    await moto.createBucket(bucket);
    // The smallest threshold and part size S3 allows, so the larger files go multipart.
    config.push({ id: 'bucket', kind: 's3', endpoint: moto.endpoint, region: 'us-east-1', bucket, forcePathStyle: true, multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024, ...motoCredentials });
  }
  return {
    config,
    tus,
    tusStore,
    moto,
    async stop() {
      await tus?.kill();
      await moto?.stop();
    },
  };
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const random = opts.random ?? Math.random;
  const home = makeHome();
  const targets = await startTargets(home, opts.targets);
  fs.writeFileSync(
    path.join(home, 'station.json'),
    JSON.stringify({
      station: { id: 'rig1' },
      ingest: { stableWindowMs: 200, truncatedRetries: 1, truncatedRetryDelayMs: 300, rescanIntervalSec: 0, concurrency: 2 },
      targets: targets.config,
      // A bandwidth cap keeps every upload in flight for a while, so a kill that lands while a lease
      // is held interrupts a copy (not only its bookkeeping).
      upload: { concurrency: 2, bandwidthBytesPerSec: 6_000_000, probeIntervalSec: 0.5, backoff: { baseMs: 100, maxMs: 1000 } },
    } satisfies StationConfigInput),
  );
  const inbox = path.join(home, 'Inbox');
  fs.mkdirSync(inbox);
  const count = (sql: string) => countInStation(home, sql);
  const report: SoakReport = { rounds: 0, kills: emptyKills(), drains: 0, files: 0, eligible: 0, verified: 0, reclaimed: 0, orphans: { tus: 0, s3: 0 }, elapsedMs: 0 };
  const images = await Promise.all(Array.from({ length: 4 }, (_, i) => goodJpegBuffer(i, 1200, 900)));
  // With an S3 target every sixteenth file is padded past its multipart threshold (decoders ignore bytes after a JPEG's end).
  const padding = opts.targets.includes('s3') ? Buffer.alloc(5.5 * 1024 * 1024, 7) : Buffer.alloc(0);
  const dropFiles = () => {
    for (let k = 0; k < opts.filesPerRound; k++, report.files++) {
      const i = report.files;
      const tail = Buffer.from(`capture ${i}`);
      const bytes = Buffer.concat(i % 16 === 15 ? [images[i % images.length]!, tail, padding] : [images[i % images.length]!, tail]);
      // Written under a dot name and renamed, as a camera tool does: the station never sees half a file.
      const tmp = path.join(inbox, `.IMG_${String(i).padStart(5, '0')}.jpg`);
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, path.join(inbox, `IMG_${String(i).padStart(5, '0')}.jpg`));
    }
  };
  let station: StationProcess | null = null;
  const workLeft = () =>
    report.files - count('SELECT COUNT(*) AS n FROM captures') + count("SELECT COUNT(*) AS n FROM upload_jobs WHERE state <> 'done'");
  // Leases of the running station (owner <host>:<pid>:<nonce>); a killed one's stay until the next start reclaims them.
  const leased = () => (station ? count(`SELECT COUNT(*) AS n FROM upload_jobs WHERE state = 'leased' AND lease_owner LIKE '%:${station.child.pid}:%'`) : 0);
  const recorded = () => count('SELECT COUNT(*) AS n FROM captures');
  const seen = new Verified();
  const orphans = new Set<string>();
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const aim = opts.aimOf?.(round) ?? (['startup', 'ingest', 'upload'] as const)[Math.floor(random() * 3)]!;
      const before = recorded();
      station = startStation(home);
      dropFiles();
      if (aim === 'ingest') await waitFor(() => recorded() > before || workLeft() === 0, `round ${round}: a file recorded`, 120_000);
      if (aim === 'upload') await waitFor(() => leased() > 0 || workLeft() === 0, `round ${round}: an upload in flight`, 120_000);
      await sleep(random() * (aim === 'startup' ? 2000 : 300));
      // A short upload may have finished meanwhile: the kill must land on one in flight.
      if (aim === 'upload') await waitFor(() => leased() > 0 || workLeft() === 0, `round ${round}: an upload in flight`, 120_000);
      const observed: Observed = leased() > 0 ? 'upload in flight' : recorded() < report.files ? 'ingest pending' : 'idle';
      station.child.kill('SIGKILL');
      await exited(station.child);
      station = null;
      report.kills[aim][observed]++;
      report.rounds = round;
      await checkAnyTime(home, targets, seen, orphans, `after round ${round} (killed aiming at ${aim}, ${observed})`, false);
      const drain = round % opts.drainEvery === 0 || round === opts.rounds;
      if (drain) {
        station = startStation(home);
        await station.ready;
        await waitFor(() => recorded() >= report.files, `round ${round}: every file recorded`, 300_000);
        await waitFor(() => workLeft() === 0, `round ${round}: the queue drained`, 600_000);
        station.child.kill('SIGTERM');
        const code = await exited(station.child);
        if (code !== 0) throw new Error(`round ${round}: the station exited with ${code ?? station.child.signalCode} on SIGTERM: ${station.stderrTail()}`);
        station = null;
        report.drains++;
        report.verified = await checkAnyTime(home, targets, round === opts.rounds ? new Verified() : seen, orphans, `drained after round ${round}`, true);
      }
      opts.onRound?.(
        `round ${round}/${opts.rounds}: killed aiming at ${aim} (${observed}); ${report.files} files, ${recorded()} recorded, ${count("SELECT COUNT(*) AS n FROM upload_jobs WHERE state = 'done'")} uploads done${drain ? ', drained and verified' : ''}`,
      );
    }
    report.eligible = count("SELECT COUNT(*) AS n FROM captures WHERE verdict <> 'fail'");
    report.reclaimed = count("SELECT COUNT(*) AS n FROM events WHERE type = 'upload.reclaimed'");
    report.orphans = { tus: [...orphans].filter((o) => o.startsWith('tus:')).length, s3: [...orphans].filter((o) => o.startsWith('s3:')).length };
    report.elapsedMs = Date.now() - started;
    return report;
  } finally {
    if (station) {
      station.child.kill('SIGKILL');
      await exited(station.child);
    }
    await targets.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Checks the rules above (`drained`: also that everything arrived and no temporary state is left); returns the remote copies verified. */
async function checkAnyTime(home: string, targets: Targets, seen: Verified, orphans: Set<string>, when: string, drained: boolean): Promise<number> {
  const fail = (what: string): never => {
    throw new Error(`soak: ${when}: ${what}`);
  };
  const count = (sql: string) => countInStation(home, sql);
  if (count('SELECT COUNT(*) AS n FROM captures') !== count('SELECT COUNT(DISTINCT rel_path) AS n FROM captures')) fail('a file was recorded twice');
  if (count('SELECT COUNT(*) AS n FROM ingest_attempts') > 0 && drained) fail('ingest attempts left in flight after the drain');
  const targetIds = (targets.config ?? []).map((t) => t.id);
  for (const id of targetIds) {
    const missing = count(`SELECT COUNT(*) AS n FROM captures c WHERE c.verdict <> 'fail' AND NOT EXISTS (SELECT 1 FROM upload_jobs j WHERE j.capture_id = c.id AND j.target_id = '${id}')`);
    if (missing > 0) fail(`${missing} captures that did not fail have no job for target ${id} (a lost job)`);
  }
  if (drained && count("SELECT COUNT(*) AS n FROM upload_jobs WHERE state <> 'done'") > 0) fail('jobs not done after the drain');
  const jobs = queryStation<JobRow[]>(
    home,
    'SELECT j.id, j.target_id, j.state, j.remote_key, j.resume_json, j.verified_sha256, c.sha256, c.path, c.rel_path FROM upload_jobs j JOIN captures c ON c.id = j.capture_id ORDER BY j.id',
    [],
  );
  for (const j of jobs) {
    if (j.state !== 'done') continue;
    if (j.verified_sha256 !== j.sha256) fail(`job ${j.id} is done with verified sha256 ${j.verified_sha256}, not the capture's ${j.sha256}`);
    const st = fs.statSync(j.path);
    if (seen.verify(`local:${j.path}:${st.size}:${st.mtimeMs}`, () => sha256OfFile(j.path)) !== j.sha256) fail(`the local file of job ${j.id} (${j.path}) no longer has its sha256`);
  }
  let verified = 0;
  for (const id of targetIds) {
    const mine = jobs.filter((j) => j.target_id === id);
    if (new Set(mine.filter((j) => j.remote_key).map((j) => j.remote_key)).size !== mine.filter((j) => j.remote_key).length) fail(`two jobs of target ${id} share a remote key`);
    if (id === 'nas') verified += checkFolder(share(home), mine, seen, fail);
    if (id === 'tusd') verified += checkTus(targets.tusStore, mine, drained, seen, orphans, fail);
    if (id === 'bucket' && targets.moto) verified += await checkS3(targets.moto, mine, drained, seen, orphans, fail);
  }
  return verified;
}

function checkFolder(root: string, jobs: JobRow[], seen: Verified, fail: (what: string) => never): number {
  const byKey = new Map(jobs.filter((j) => j.remote_key).map((j) => [j.remote_key, j]));
  const present = new Set<string>();
  let verified = 0;
  for (const rel of listFiles(root)) {
    const base = path.posix.basename(rel);
    const part = /^\.(.+)\.(\d+)\.[^.]+\.part$/.exec(base);
    if (part) {
      const job = jobs.find((j) => j.id === Number(part[2]));
      if (!job || job.state === 'done') fail(`${rel} at the folder target is a temp file of ${job ? 'a done job' : 'no job'}`);
      continue;
    }
    const job = byKey.get(rel) ?? fail(`${rel} at the folder target is no job's key (uploaded under a different key?)`);
    const st = fs.statSync(path.join(root, rel));
    if (seen.verify(`nas:${rel}:${st.ino}:${st.size}:${st.mtimeMs}`, () => sha256OfFile(path.join(root, rel))) !== job.sha256) fail(`${rel} at the folder target does not have the capture's sha256`);
    present.add(rel);
    verified++;
  }
  for (const j of jobs) if (j.state === 'done' && !present.has(j.remote_key!)) fail(`done job ${j.id}'s file ${j.remote_key} is not at the folder target`);
  return verified;
}

/** @tus/file-store keeps <id> (the bytes) and <id>.json (size, metadata) per upload. */
function checkTus(store: string, jobs: JobRow[], drained: boolean, seen: Verified, orphans: Set<string>, fail: (what: string) => never): number {
  const byKey = new Map(jobs.map((j) => [j.remote_key, j]));
  const complete = new Map<string, number>();
  let verified = 0;
  for (const name of fs.readdirSync(store).filter((n) => n.endsWith('.json'))) {
    const id = name.slice(0, -5);
    const info = JSON.parse(fs.readFileSync(path.join(store, name), 'utf8')) as { size: number; metadata: Record<string, string> };
    const key = info.metadata.key ?? '';
    const job = byKey.get(key) ?? fail(`tus upload ${id} has key "${key}", which is no job's key`);
    const st = fs.statSync(path.join(store, id));
    if (st.size === info.size) {
      if (seen.verify(`tusd:${id}:${st.size}:${st.mtimeMs}`, () => sha256OfFile(path.join(store, id))) !== job.sha256) fail(`tus upload ${id} (${key}) is complete but does not have the capture's sha256`);
      complete.set(key, (complete.get(key) ?? 0) + 1);
      verified++;
    } else if (drained || job.state === 'done' || !(job.resume_json ?? '').includes(`/${id}"`)) {
      // A kill between the creation POST's answer and saving its URL leaves an empty upload that no
      // job knows (tus has no listing and the server picks the id): only the server's expiration
      // can remove it. Bytes are sent only after the URL is saved, so such an orphan is empty.
      if (st.size > 0) fail(`tus upload ${id} (${key}) is incomplete (${st.size} of ${info.size} bytes) and no job would resume it`);
      orphans.add(`tus:${id}`);
    }
  }
  for (const [key, n] of complete) if (n > 1) fail(`${key} was uploaded completely ${n} times to the tus target`);
  for (const j of jobs) if (j.state === 'done' && !complete.has(j.remote_key!)) fail(`done job ${j.id} (${j.remote_key}) has no complete tus upload`);
  return verified;
}

async function checkS3(moto: Moto, jobs: JobRow[], drained: boolean, seen: Verified, orphans: Set<string>, fail: (what: string) => never): Promise<number> {
  const byKey = new Map(jobs.map((j) => [j.remote_key, j]));
  const present = new Set<string>();
  let verified = 0;
  let token: string | undefined;
  do {
    const page = await moto.client.send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) {
      const job = byKey.get(o.Key!) ?? fail(`s3 object ${o.Key} is no job's key`);
      const there = await seen.verifyAsync(`bucket:${o.Key}:${o.ETag}:${o.Size}`, async () => {
        const body = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
        return sha256(Buffer.from(await body.Body!.transformToByteArray()));
      });
      if (there !== job.sha256) fail(`s3 object ${o.Key} does not have the capture's sha256`);
      present.add(o.Key!);
      verified++;
    }
    token = page.NextContinuationToken;
  } while (token);
  for (const j of jobs) if (j.state === 'done' && !present.has(j.remote_key!)) fail(`done job ${j.id}'s object ${j.remote_key} is not in the bucket`);
  const uploads = (await moto.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  for (const u of uploads) {
    const job = byKey.get(u.Key!);
    if (!drained && job && job.state !== 'done' && (job.resume_json ?? '').includes(u.UploadId!)) continue;
    // The job's next attempt adopts such an orphan or aborts it (S3Target.adoptOrphan): none outlives the drain.
    if (drained) fail(`s3 multipart upload ${u.UploadId} of ${u.Key} is still there after the queue drained`);
    // As with tus, a kill between CreateMultipartUpload's answer and saving its UploadId orphans it;
    // parts are sent only after the id is saved, so such an orphan holds none.
    const parts = (await moto.client.send(new ListPartsCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }))).Parts ?? [];
    if (parts.length > 0) fail(`s3 multipart upload ${u.UploadId} of ${u.Key} holds ${parts.length} parts and no job would resume it`);
    orphans.add(`s3:${u.UploadId}`);
  }
  return verified;
}

/**
 * sha256 of copies already read, by a key that changes when the copy does (inode, size, mtime or
 * ETag): each round reads only what is new. The final check starts from an empty one and reads all.
 */
class Verified {
  private readonly known = new Map<string, string>();
  verify(key: string, digest: () => string): string {
    let d = this.known.get(key);
    if (d === undefined) this.known.set(key, (d = digest()));
    return d;
  }
  async verifyAsync(key: string, digest: () => Promise<string>): Promise<string> {
    let d = this.known.get(key);
    if (d === undefined) this.known.set(key, (d = await digest()));
    return d;
  }
}

function emptyKills(): SoakReport['kills'] {
  const row = (): Record<Observed, number> => ({ 'upload in flight': 0, 'ingest pending': 0, idle: 0 });
  return { startup: row(), ingest: row(), upload: row() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function formatReport(r: SoakReport, targets: readonly TargetKind[]): string {
  const kills = (Object.keys(r.kills) as Aim[]).map((aim) => `  aimed at ${aim}: ${Object.entries(r.kills[aim]).map(([o, n]) => `${n} ${o}`).join(', ')}`);
  return [
    `soak: ${r.rounds} rounds of SIGKILL against ${targets.join(' + ')} in ${(r.elapsedMs / 1000).toFixed(0)} s`,
    ...kills,
    `  files ${r.files}, eligible captures ${r.eligible}, drains ${r.drains}, leases reclaimed after kills ${r.reclaimed}`,
    `  remote copies verified (sha256 read at the target) at the last drain: ${r.verified}; every rule held after every round`,
    `  empty uploads orphaned by a kill between their creation and saving their URL/UploadId: tus ${r.orphans.tus}, s3 multipart ${r.orphans.s3}`,
  ].join('\n');
}
