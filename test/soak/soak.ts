/**
 * `npm run soak`: the kill loop (kill-loop.ts) for SOAK_ROUNDS rounds (default 200) against the
 * targets in SOAK_TARGETS (default folder,tus,s3; s3 only when moto_server is installed).
 * SOAK_FILES files are dropped per round (default 3); the queue is drained and everything checked
 * every SOAK_DRAIN_EVERY rounds (default 25) and at the end. Exits 1 on the first broken rule.
 */
import { createLogger } from '../../src/log/logger.js';
import { motoMissing } from '../upload/moto.js';
import { formatReport, runSoak, type TargetKind } from './kill-loop.js';
import { intFromEnv } from '../helpers/env.js';

const log = createLogger('soak');
const kinds: readonly TargetKind[] = ['folder', 'tus', 's3'];

function targetsFromEnv(): TargetKind[] {
  const asked = (process.env.SOAK_TARGETS ?? 'folder,tus,s3').split(',').map((s) => s.trim());
  const unknown = asked.filter((t) => !kinds.includes(t as TargetKind));
  if (unknown.length > 0) throw new Error(`SOAK_TARGETS: unknown target kind ${unknown.join(', ')}; use any of ${kinds.join(', ')}`);
  if (asked.includes('s3') && motoMissing) {
    log.warn(`${motoMissing}; soaking without s3`);
    return asked.filter((t) => t !== 's3') as TargetKind[];
  }
  return asked as TargetKind[];
}

const targets = targetsFromEnv();
const report = await runSoak({
  rounds: intFromEnv('SOAK_ROUNDS', 200),
  targets,
  filesPerRound: intFromEnv('SOAK_FILES', 3),
  drainEvery: intFromEnv('SOAK_DRAIN_EVERY', 25),
  onRound: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`${formatReport(report, targets)}\n`);
