/**
 * `capture-station queue`: the upload queue per target, read from the home's database. Works
 * whether or not the station is running (then rate, ETA and reachability are unknown and shown as
 * such); it only reads.
 */
import fs from 'node:fs';
import { StationError } from '../errors.js';
import { openStore } from '../store/open.js';
import { queueStatusOf, type QueueStatus } from '../upload/queue-status.js';
import type { CliContext } from './main.js';
import { table } from './output.js';

export async function queueCommand(ctx: CliContext): Promise<number> {
  const config = ctx.config();
  if (!fs.existsSync(config.locations.database)) throw new StationError('NOT_FOUND', `No station database at ${config.locations.database} yet: run the station first (capture-station run), or pass the right --home.`);
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
        t.etaSec === null ? '-' : `${t.etaSec} s`,
      ]),
    ),
  );
  for (const t of status.targets) {
    for (const d of t.dead) ctx.output.out(`dead: ${t.id} job ${d.jobId} (capture ${d.captureId}, ${d.attempts} attempts): ${d.error ?? 'no error recorded'}\n`);
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
