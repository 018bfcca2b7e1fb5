/**
 * `capture-station scan CODE…` sends barcode scans to the running station of this home, as a
 * scanner would; `scan -` reads one code per line from standard input (a scanner wired to a
 * headless rig's terminal, or a script). Each scan prints what it did; a refused scan, or one that
 * changed nothing, says why and makes the exit code 1. Codes are trimmed of surrounding white space
 * either way (a scanner's suffix, a pasted line).
 */
import readline from 'node:readline';
import { StationError } from '../errors.js';
import { callStation, controlSocketPath } from '../server/control-socket.js';
import type { ScanOutcome } from '../linking/linker.js';
import type { CliContext } from './main.js';

export async function scanCommand(ctx: CliContext): Promise<number> {
  if (ctx.positionals.length === 0) throw new StationError('INVALID_ARGUMENT', 'Give the barcode to send, e.g. capture-station scan NMNH-00123456, or "-" to read one per line from standard input.');
  const socket = controlSocketPath(ctx.config().locations.dataDir);
  const send = async (code: string): Promise<boolean> => {
    const reply = await callStation(socket, 'scanBarcode', { code, ...(ctx.values.source ? { sourceId: ctx.values.source } : {}) });
    if ('error' in reply) {
      ctx.output.err(`REFUSED: ${reply.error.message}\n`);
      return false;
    }
    const r = reply.result as ScanOutcome;
    const now = r.current ? `object ${r.current.barcode} open (${shots(r.current.shots)})` : 'no object open';
    const closed = r.closed ? `object ${r.closed.barcode} ${r.closed.reason === 'rejected' ? 'rejected' : 'closed'} (${shots(r.closed.shots)}); ` : '';
    const u = r.undone;
    const undone = !u ? '' : u.alreadyOff ? `; ${u.alreadyOff}` : `; shot ${u.seq !== null ? `${u.seq} (${u.stem}) of ${u.barcode}` : `${u.stem} (still waiting for its barcode)`} taken off and flagged for re-shoot`;
    ctx.output.out(`${r.kind === 'control' ? 'CONTROL' : 'OBJECT'} ${r.code} on ${r.sourceId}: ${closed}${now}${undone}\n`);
    for (const alarm of r.alarms) ctx.output.err(`ALARM ${alarm}\n`);
    return r.changed !== false;
  };
  let ok = true;
  if (ctx.positionals.length === 1 && ctx.positionals[0] === '-') {
    for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      // Blank lines are a script's spacing, not scans.
      const code = line.trim();
      if (code !== '') ok = (await send(code)) && ok;
    }
  } else {
    for (const code of ctx.positionals) ok = (await send(code.trim())) && ok;
  }
  return ok ? 0 : 1;
}

function shots(n: number): string {
  return `${n} shot${n === 1 ? '' : 's'}`;
}
