/**
 * `capture-station queue`: the upload queue per target, read from the home's database. Works
 * whether or not the station is running (then rate, ETA and reachability are unknown and shown as
 * such); it only reads — except `--backfill TARGET [--since DATE]`, which queues the captures
 * recorded before the target took them (SQLite serialises that write with a running station's,
 * whose runner picks the new jobs up within seconds).
 */
import fs from 'node:fs';
import { StationError } from '../errors.js';
import { openStore } from '../store/open.js';
import { backfill, configuredTarget, parseSince } from '../upload/backfill.js';
import { queueStatusOf, type QueueStatus } from '../upload/queue-status.js';
import type { CliContext } from './main.js';
import { table } from './output.js';

export async function queueCommand(ctx: CliContext): Promise<number> {
  const config = ctx.config();
  if (!fs.existsSync(config.locations.database)) throw new StationError('NOT_FOUND', `No station database at ${config.locations.database} yet: run the station first (capture-station run), or pass the right --home.`);
  if (ctx.values.since !== undefined && ctx.values.backfill === undefined) throw new StationError('INVALID_ARGUMENT', '--since goes with --backfill TARGET.');
  if (ctx.values.backfill !== undefined) {
    const target = configuredTarget(config.targets, ctx.values.backfill);
    const since = ctx.values.since === undefined ? null : parseSince(ctx.values.since);
    const store = openStore(config.locations.database);
    try {
      const { result } = backfill(store.db, target, since);
      if (ctx.values.json) ctx.output.out(JSON.stringify(result, null, 2) + '\n');
      else {
        ctx.output.out(
          `Queued ${result.queued} earlier capture${result.queued === 1 ? '' : 's'} for target "${result.targetId}"${since ? ` (recorded since ${since})` : ''}; ` +
            `${result.alreadyQueued} already had a job, ${result.notEligible} ${result.notEligible === 1 ? 'is' : 'are'} not taken by this target.\n`,
        );
      }
    } finally {
      store.close();
    }
    return 0;
  }
  const store = openStore(config.locations.database);
  let status: QueueStatus;
  try {
    status = queueStatusOf(store.db, config.targets);
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
      ['target', 'kind', 'queued', 'uploading', 'done', 'dead', 'pending', 'rate', 'eta'],
      status.targets.map((t) => [
        t.configured ? t.id : `${t.id} (not configured)`,
        t.kind,
        String(t.counts.queued),
        String(t.counts.leased),
        String(t.counts.done),
        String(t.counts.dead),
        formatBytes(t.bytesPending),
        t.rateBytesPerSec === null ? '-' : `${formatBytes(t.rateBytesPerSec)}/s`,
        t.etaSec === null ? '-' : formatDuration(t.etaSec),
      ]),
    ),
  );
  for (const t of status.targets) {
    for (const d of t.dead.slice(0, 20)) ctx.output.out(`dead: ${t.id} job ${d.jobId} (capture ${d.captureId}, ${d.attempts} attempts): ${d.error ?? 'no error recorded'}\n`);
    if (t.counts.dead > 20) ctx.output.out(`…and ${t.counts.dead - 20} more dead jobs of ${t.id} (queue --json lists them all)\n`);
  }
  return 0;
}

function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
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
