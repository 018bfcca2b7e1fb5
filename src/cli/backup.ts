/**
 * `capture-station backup FILE [--force]`: a consistent copy of the station database, safe while the
 * station runs (see store/backup.ts). It only reads the station's database.
 */
import { StationError } from '../errors.js';
import { formatBytes } from '../shared/bytes.js';
import { backupDatabase } from '../store/backup.js';
import type { CliContext } from './main.js';
import { cannotWrite } from './output.js';

export async function backupCommand(ctx: CliContext): Promise<number> {
  const [dest, ...extra] = ctx.positionals;
  if (!dest || extra.length > 0) throw new StationError('INVALID_ARGUMENT', `backup takes one file to write, e.g. capture-station backup /mnt/usb/station-${new Date().toISOString().slice(0, 10)}.db${extra.length > 0 ? ` (got ${ctx.positionals.length})` : ''}.`);
  const config = ctx.config();
  const result = await backupDatabase(config.locations.database, dest, { force: ctx.values.force, cannotWrite: (err) => cannotWrite(dest, err) });
  if (ctx.values.json) {
    ctx.output.out(JSON.stringify(result, null, 2) + '\n');
    return 0;
  }
  const counts = Object.entries(result.counts).map(([table, n]) => `${n} ${table.replace('_', ' ')}`).join(', ');
  ctx.output.out(
    `Backed up ${result.source} to ${result.file} (${formatBytes(result.bytes)}, schema ${result.schema}): ${counts}. ` +
      'The copy passed SQLite\'s integrity check and is one self-contained file (no -wal/-shm to copy along).\n',
  );
  return 0;
}
