/**
 * `capture-station scan` against a running station: a scan that changes nothing exits 1 like a
 * refused one (on the command line and from standard input), codes are trimmed the same way on
 * both, and an object the idle timeout closed is named in the log and in the next shot's warning.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { controlSocketPath, startControlSocket } from '../../src/server/control-socket.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A station of a new home with linking on, running with its control socket, and `scan` run as the CLI runs it. */
async function station(linking: StationConfigInput['linking']) {
  const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, ...linking } });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const config = loadConfig({ home });
  const s = new Station(config);
  await s.start();
  cleanup.push(() => s.stop());
  const socket = await startControlSocket(controlSocketPath(config.locations.dataDir), createHandlers(s));
  cleanup.push(() => socket.close());
  const scan = async (...codes: string[]) => {
    const out = capture();
    const code = await main(['scan', ...codes, '--home', home], out);
    return { code, stdout: out.stdout, stderr: out.stderr };
  };
  return { home, station: s, scan };
}

/** `capture-station scan -` as its own process, `input` on its standard input. */
function scanStdin(home: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), 'scan', '-', '--home', home], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('capture-station scan', () => {
  it('exits 1 when a scan changes nothing in scan-after-capture (a barcode with no shot waiting, END, REJECT, UNDO with nothing to undo)', async () => {
    const s = await station({ mode: 'scan-after-capture' });
    const barcode = await s.scan('ABC123');
    expect(barcode).toMatchObject({ code: 1, stderr: expect.stringContaining('ALARM ABC123 was scanned, but no new capture is waiting for a barcode') });
    for (const control of ['%%END%%', '%%REJECT%%', '%%UNDO%%']) {
      expect(await s.scan(control)).toMatchObject({ code: 1, stderr: expect.stringMatching(/ALARM \w+ was scanned in scan-after-capture mode: .*no shot is waiting for a barcode/) });
    }
    // A shot waiting: the barcode names it (exit 0), and UNDO of a waiting shot does something too.
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0001.tif'), 1);
    await waitFor(() => s.station.status().waitingShots?.inbox?.length === 1, 'the shot waits for its barcode');
    expect(await s.scan('%%UNDO%%')).toMatchObject({ code: 0, stdout: expect.stringContaining('shot IMG_0001 (still waiting for its barcode) taken off') });
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0002.tif'), 2);
    await waitFor(() => s.station.status().waitingShots?.inbox?.length === 1, 'the next shot waits for its barcode');
    expect(await s.scan('ABC123')).toMatchObject({ code: 0, stderr: '' });
  });

  it('exits 1 for END, REJECT and UNDO with nothing to act on in scan-before-capture, 0 for what they do; trims codes on the command line as on standard input', async () => {
    const s = await station({});
    expect(await s.scan('%%END%%')).toMatchObject({ code: 1, stderr: 'ALARM END was scanned, but no object is open: scan an object barcode first.\n' });
    const open = await s.scan(' NMNH-0042 \t');
    expect(open).toMatchObject({ code: 0, stdout: 'OBJECT NMNH-0042 on inbox: object NMNH-0042 open (0 shots)\n', stderr: '' });
    // The same object scanned again keeps it open: not a failure.
    expect(await s.scan('NMNH-0042')).toMatchObject({ code: 0 });
    expect(await s.scan('%%UNDO%%')).toMatchObject({ code: 1, stderr: 'ALARM UNDO was scanned, but object NMNH-0042 has no capture yet.\n' });
    expect(await s.scan('%%REJECT%%')).toMatchObject({ code: 0, stdout: expect.stringContaining('object NMNH-0042 rejected (0 shots); no object open') });
    // Several on one line: the exit code says one of them did nothing.
    expect(await s.scan('NMNH-0043', '%%END%%', '%%END%%')).toMatchObject({ code: 1, stdout: expect.stringContaining('object NMNH-0043 closed (0 shots)') });

    const piped = await scanStdin(s.home, ' NMNH-0044 \r\n\n%%END%%\n');
    expect(piped).toMatchObject({ code: 0, stdout: 'OBJECT NMNH-0044 on inbox: object NMNH-0044 open (0 shots)\nCONTROL %%END%% on inbox: object NMNH-0044 closed (0 shots); no object open\n', stderr: '' });
    const pipedNothing = await scanStdin(s.home, 'NMNH-0045\n%%END%%\n%%END%%\nNMNH-0046\n');
    expect(pipedNothing.code).toBe(1);
    expect(pipedNothing.stdout).toMatch(/NMNH-0046 open/);
    expect(pipedNothing.stderr).toBe('ALARM END was scanned, but no object is open: scan an object barcode first.\n');
  }, 60_000);

  it('logs a WARN when the idle timeout closes an object, and the next shot is told it was closed, not that none was scanned', async () => {
    const records: LogRecord[] = [];
    cleanup.push(addLogSink((r) => records.push(r)));
    // 1.5 s, not less: under a loaded CI machine the two codes of one `scan` call below can arrive
    // more than 0.2 s apart, and the idle timeout would close the object before END reaches it.
    const s = await station({ idleTimeoutSec: 1.5 });
    expect(await s.scan('NMNH-0042')).toMatchObject({ code: 0 });
    await waitFor(() => s.station.linker.current()['inbox'] === null, 'the idle timeout closes the object');
    const closed = records.filter((r) => r.level === 'warn' && r.message.startsWith('object NMNH-0042 was closed after 1.5 s without activity'));
    expect(closed).toHaveLength(1);
    expect(closed[0]!.fields).toMatchObject({ barcode: 'NMNH-0042', shots: 0, source: 'inbox' });
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0001.tif'), 1);
    await waitFor(() => records.some((r) => r.message.startsWith('capture not linked')), 'the shot is not linked');
    // The way to link it is said for the screen and for the shell (a headless rig).
    const idOf = (relPath: string) => s.station.store.list({ limit: 10 }).find((c) => c.relPath === relPath)!.id;
    expect(records.filter((r) => r.message.startsWith('capture not linked')).map((r) => [r.level, r.message])).toEqual([
      ['warn', `capture not linked: object NMNH-0042 was closed after 1.5 s without activity; scan it again before shooting, and link this capture from the history (Relink shot), or \`capture-station relink capture:${idOf('IMG_0001.tif')} --to BARCODE\``],
    ]);
    // Once another object was opened and ended, a shot with none open is told that none was.
    expect(await s.scan('NMNH-0043', '%%END%%')).toMatchObject({ code: 0 });
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0002.tif'), 2);
    await waitFor(() => records.filter((r) => r.message.startsWith('capture not linked')).length === 2, 'the second shot is not linked');
    expect(records.filter((r) => r.message.startsWith('capture not linked'))[1]!.message).toBe(`capture not linked: no object was open; scan the barcode before shooting, and link this capture from the history (Relink shot), or \`capture-station relink capture:${idOf('IMG_0002.tif')} --to BARCODE\``);
  });
});
