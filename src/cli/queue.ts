/**
 * `capture-station queue`: the upload queue per target. From the running station of this home when
 * there is one (its control socket: live rate, ETA, reachability and why a target waits), else from
 * the home's database (then those are unknown and shown as such). It only reads — except
 * `--backfill TARGET [--since DATE]`, which queues the captures recorded before the target took them
 * (SQLite serialises that write with a running station's, whose runner picks the new jobs up within
 * seconds), and `--retry TARGET|all [--job N]`, which queues dead jobs again (through the running
 * station, so its queue view and events follow at once, or in the database when none runs) — not
 * the jobs withdrawn for set-aside captures, which it lists, unless --job names one. Reading, it opens
 * the database read-only (nothing is migrated or created; a read-only copy can be looked into).
 */
import fs from 'node:fs';
import type { StationConfig } from '../config/load.js';
import { StationError } from '../errors.js';
import { callStation, controlSocketPath } from '../server/control-socket.js';
import { formatBytes } from '../shared/bytes.js';
import { openStore, openStoreForReading } from '../store/open.js';
import { backfill, configuredTarget, parseSince } from '../upload/backfill.js';
import { Outbox } from '../upload/outbox.js';
import { queueStatusOf, type QueueStatus, type TargetQueueStatus } from '../upload/queue-status.js';
import type { CliContext } from './main.js';
import { table } from './output.js';

export async function queueCommand(ctx: CliContext): Promise<number> {
  const config = ctx.config();
  if (!fs.existsSync(config.locations.database)) throw new StationError('NOT_FOUND', `No station database at ${config.locations.database} yet: run the station first (capture-station run), or pass the right --home.`);
  if (ctx.values.since !== undefined && ctx.values.backfill === undefined) throw new StationError('INVALID_ARGUMENT', '--since goes with --backfill TARGET.');
  if (ctx.values.job !== undefined && ctx.values.retry === undefined) throw new StationError('INVALID_ARGUMENT', '--job goes with --retry, e.g. capture-station queue --retry all --job 12.');
  if (ctx.values.retry !== undefined) return retryDead(ctx, config);
  if (ctx.values.backfill !== undefined) {
    checkTargetArgument('--backfill', ctx.values.backfill, config, false);
    const target = configuredTarget(config.targets, ctx.values.backfill);
    const since = ctx.values.since === undefined ? null : parseSince(ctx.values.since);
    const store = openStore(config.locations.database);
    try {
      const { result } = backfill(store.db, target, since);
      if (ctx.values.json) ctx.output.out(JSON.stringify(result, null, 2) + '\n');
      else {
        ctx.output.out(
          `Queued ${result.queued} earlier capture${result.queued === 1 ? '' : 's'} for target "${result.targetId}"${since ? ` (recorded since ${since})` : ''}; ` +
            `${result.alreadyQueued} already had a job, ${result.notEligible} ${result.notEligible === 1 ? 'is' : 'are'} not taken by this target` +
            `${result.removedLocally > 0 ? `, ${result.removedLocally} already removed locally by retention (copy those from a target that has them)` : ''}.\n`,
        );
      }
    } finally {
      store.close();
    }
    return 0;
  }
  const socket = controlSocketPath(config.locations.dataDir);
  const live = await fromStation<QueueStatus>(socket, 'queueStatus', {});
  const store = openStoreForReading(config.locations.database);
  let status: QueueStatus;
  try {
    // The database has every dead job and stale copy (a running station sends the first 20 of each target).
    const stored = queueStatusOf(store.db, config.targets);
    status = live
      ? {
          ...live,
          targets: live.targets.map((t) => {
            const s = stored.targets.find((x) => x.id === t.id);
            return { ...t, dead: s?.dead ?? t.dead, stale: s?.stale ?? t.stale, staleCount: s?.staleCount ?? t.staleCount };
          }),
        }
      : stored;
  } finally {
    store.close();
  }
  if (ctx.values.json) {
    ctx.output.out(JSON.stringify(status, null, 2) + '\n');
    return 0;
  }
  if (status.targets.length === 0) {
    ctx.output.out('No upload targets are configured (config field "targets").\n');
    return 0;
  }
  ctx.output.out(
    table(
      ['target', 'kind', 'reachable', 'queued', 'uploading', 'done', 'dead', 'pending', 'rate', 'eta'],
      status.targets.map((t) => [
        t.configured ? t.id : `${t.id} (not configured)`,
        t.kind,
        t.online === null ? '-' : t.online ? 'yes' : 'NO',
        String(t.counts.queued),
        String(t.counts.leased),
        String(t.counts.done),
        String(t.counts.dead),
        `${t.bytesPendingExact ? '' : 'about '}${formatBytes(t.bytesPending)}`,
        t.rateBytesPerSec === null ? '-' : `${formatBytes(t.rateBytesPerSec)}/s`,
        etaWords(t),
      ]),
    ),
  );
  if (!status.live) ctx.output.out(`The station is not running (nothing answers at ${socket}): reachability, rate and ETA are known only while it runs.\n`);
  for (const t of status.targets) {
    if (t.lastProbeError && t.online === false) ctx.output.out(`waiting: ${t.id}: ${t.lastProbeError}\n`);
  }
  for (const t of status.targets) {
    for (const d of t.dead.slice(0, 20)) ctx.output.out(`dead: ${t.id} job ${d.jobId} (capture ${d.captureId}, ${d.attempts} attempts): ${d.error ?? 'no error recorded'}\n`);
    if (t.counts.dead > 20) ctx.output.out(`…and ${t.counts.dead - 20} more dead jobs of ${t.id} (queue --json lists them all)\n`);
  }
  for (const t of status.targets) {
    if (t.staleCount === 0) continue;
    const pending = t.stale.filter((c) => c.state === 'pending').length;
    ctx.output.out(`stale copies at ${t.id}: ${t.staleCount} under names their captures no longer have (${pending} to be removed by the station, ${t.staleCount - pending} left there)\n`);
    for (const c of t.stale.slice(0, 20)) {
      const why = c.state === 'kept' ? `kept: ${c.note ?? ''}` : c.error ? `to remove (${c.attempts} attempts so far: ${c.error})` : 'to remove once its capture\'s new copy is verified';
      ctx.output.out(`stale: ${t.id} ${c.remoteKey} (capture ${c.captureId}): ${why}\n`);
    }
    if (t.staleCount > 20) ctx.output.out(`…and ${t.staleCount - 20} more stale copies at ${t.id} (queue --json lists them all)\n`);
  }
  return 0;
}

async function retryDead(ctx: CliContext, config: StationConfig): Promise<number> {
  const which = ctx.values.retry!;
  checkTargetArgument('--retry', which, config, true);
  let jobId: number | undefined;
  if (ctx.values.job !== undefined) {
    jobId = Number(ctx.values.job);
    if (!Number.isInteger(jobId) || jobId < 1) throw new StationError('INVALID_ARGUMENT', `--job must be a job number as \`capture-station queue\` lists it (got "${ctx.values.job}").`);
  }
  const filter = { ...(which === 'all' ? {} : { targetId: which }), ...(jobId === undefined ? {} : { jobId }) };
  const socket = controlSocketPath(config.locations.dataDir);
  let requeued = (await fromStation<{ requeued: number[] }>(socket, 'retryDead', filter))?.requeued ?? null;
  let withdrawn: number[] = [];
  // Only without a running station does this command write (the retry); then it opens the database as the station does.
  const store = requeued === null ? openStore(config.locations.database) : openStoreForReading(config.locations.database);
  try {
    if (requeued === null) requeued = new Outbox(store.db).retryDead(filter).map((t) => t.jobId);
    if (jobId === undefined) withdrawn = new Outbox(store.db).withdrawnOf(filter);
  } finally {
    store.close();
  }
  if (ctx.values.json) ctx.output.out(JSON.stringify({ requeued, withdrawn }, null, 2) + '\n');
  else {
    if (requeued.length === 0) ctx.output.out(`No dead job${jobId === undefined ? '' : ` ${jobId}`} to retry${which === 'all' ? '' : ` for target "${which}"`}.\n`);
    else ctx.output.out(`Queued ${requeued.length} dead job${requeued.length === 1 ? '' : 's'} again (${requeued.join(', ')}); each starts again with its attempts reset.\n`);
    if (withdrawn.length > 0) {
      ctx.output.out(
        `Not queued: ${withdrawn.length} withdrawn job${withdrawn.length === 1 ? '' : 's'} (${withdrawn.join(', ')}) of set-aside captures (flagged for re-shoot, rejected, or failed QC for a target taking passed ones); each is queued again by itself once its capture is taken again — to send one anyway: capture-station queue --retry ${which} --job N.\n`,
      );
    }
  }
  return 0;
}

/** A target named on the command line must be a configured one (or "all" where `all` allows it): bad usage otherwise. */
function checkTargetArgument(option: string, name: string, config: StationConfig, all: boolean): void {
  const known = [...new Set(config.targets.map((t) => t.id))];
  if ((all && name === 'all') || known.includes(name)) return;
  throw new StationError('INVALID_ARGUMENT', `${option} ${name}: no such target; the configured targets are ${known.length > 0 ? known.map((id) => `"${id}"`).join(', ') : 'none'}${all ? ' (or "all")' : ''}.`);
}

/** The running station's answer, or null when none runs for this home; its refusal is an error. */
async function fromStation<T>(socket: string, command: string, args: object): Promise<T | null> {
  let reply;
  try {
    reply = await callStation(socket, command, args);
  } catch (err) {
    if (err instanceof StationError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
  if ('error' in reply) throw new StationError('INVALID_ARGUMENT', reply.error.message);
  return reply.result as T;
}

/** No time for a target that is offline (nothing moves until it is back); "about" when partly sent uploads count in full. */
export function etaWords(t: Pick<TargetQueueStatus, 'etaSec' | 'bytesPending' | 'bytesPendingExact' | 'online'>): string {
  if (t.bytesPending > 0 && t.online === false) return 'waiting for the target';
  if (t.etaSec === null) return '-';
  return `${t.bytesPendingExact || t.etaSec === 0 ? '' : 'about '}${formatDuration(t.etaSec)}`;
}

/** 42 s, 3 min, 2 h 05 min, 3 d 4 h: an ETA the operator reads at a glance. */
export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
