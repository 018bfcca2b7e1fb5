/**
 * A full disk under the logs folder does not stop the station (it used to die of an unhandled
 * ENOSPC 'error' event, and again at every restart): one warning on stderr, the station runs on,
 * stops cleanly, and starts again; SIGHUP reopens the file, which is then written again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { callStation, controlSocketPath } from '../../src/server/control-socket.js';
import type { LogFileStatus } from '../../src/station/log-file-alarm.js';
import { acquireInstanceLock } from '../../src/store/instance-lock.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { exited, queryStation } from '../helpers/station-process.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** `run` at log level info (so the station logs from its start), with its stderr. */
function startRun(home: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), 'run', '--home', home, '--log-level', 'info'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  });
  return { child, stderr: () => stderr };
}

/** The running station's status().logFile, asked through its control socket. */
async function logFileStatus(home: string): Promise<LogFileStatus | null> {
  const reply = await callStation(controlSocketPath(loadConfig({ home }).locations.dataDir), 'status', {});
  if (!('result' in reply)) throw new Error(JSON.stringify(reply));
  return (reply.result as { logFile: LogFileStatus | null }).logFile;
}

describe('the station log on a full disk', () => {
  it('warns once and runs on, at every start; after SIGHUP the file is written again', async () => {
    const home = makeHome({ ingest: { rescanIntervalSec: 0 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const logFile = path.join(home, 'logs', 'station.log');
    fs.mkdirSync(path.dirname(logFile));
    // /dev/full answers every write with ENOSPC, as a full disk does.
    fs.symlinkSync('/dev/full', logFile);

    for (const start of [1, 2]) {
      const run = startRun(home);
      await waitFor(() => run.stderr().includes('" is watching ') || run.child.exitCode !== null, `start ${start}`);
      expect(run.child.exitCode, run.stderr()).toBeNull();
      const warnings = run.stderr().match(/WARN {2}\[log\.file\] The log file .* cannot be written \(ENOSPC: the disk is full — free space there, or point paths\.logs at another disk\)/g) ?? [];
      expect(warnings, run.stderr()).toEqual([expect.stringContaining(logFile)]);
      expect(run.stderr()).not.toMatch(/Unhandled|unexpected error/);
      // The screens know it too (nobody at a rig reads stderr): the same sentence, in status().
      expect(await logFileStatus(home)).toEqual({ file: logFile, problem: expect.stringContaining(`The log file ${logFile} cannot be written (ENOSPC`), since: expect.any(String) });
      if (start === 2) {
        // Space is back (a real file in its place); SIGHUP makes the station write there.
        fs.rmSync(logFile);
        run.child.kill('SIGHUP');
        await waitFor(() => run.stderr().includes(`the log file in ${path.dirname(logFile)} is written again`), 'the log file written again');
        expect(await logFileStatus(home)).toMatchObject({ file: logFile, problem: null });
      }
      run.child.kill('SIGTERM');
      expect(await exited(run.child), run.stderr()).toBe(0);
    }
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string });
    expect(lines.filter((l) => /^the log file could be written again; \d+ earlier line\(s\) were not written$/.test(l.message)), JSON.stringify(lines)).toHaveLength(1);
    expect(lines.map((l) => l.message)).toContain('reopened the log file (SIGHUP)');
    // The event log: the problem once per start, and the recovery.
    const logged = queryStation<{ data_json: string }[]>(home, `SELECT data_json FROM events WHERE type = 'log.file' ORDER BY id`, []).map((r) => (JSON.parse(r.data_json) as LogFileStatus).problem);
    expect(logged).toEqual([expect.stringContaining('ENOSPC'), expect.stringContaining('ENOSPC'), null]);
  }, 90_000);

  it('rotates a station.log that has reached logs.maxMB, keeping logs.keep older files', async () => {
    const home = makeHome({ ingest: { rescanIntervalSec: 0 }, logs: { maxMB: 1, keep: 1 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const logs = path.join(home, 'logs');
    fs.mkdirSync(logs);
    const earlier = `${JSON.stringify({ message: 'earlier' })}\n`.repeat(60_000); // over 1 MB
    fs.writeFileSync(path.join(logs, 'station.log'), earlier);
    fs.writeFileSync(path.join(logs, 'station.log.1'), 'the oldest\n');
    const run = startRun(home);
    await waitFor(() => run.stderr().includes('" is watching ') || run.child.exitCode !== null, 'start');
    run.child.kill('SIGTERM');
    expect(await exited(run.child), run.stderr()).toBe(0);
    expect(fs.readdirSync(logs).sort()).toEqual(['station.log', 'station.log.1']);
    // The lines logged before the station held its lock (and so could rotate) end that file.
    expect(fs.readFileSync(path.join(logs, 'station.log.1'), 'utf8').startsWith(earlier)).toBe(true);
    const lines = fs.readFileSync(path.join(logs, 'station.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; module: string });
    expect(lines.length).toBeGreaterThan(0);
  }, 60_000);

  it('leaves the log files alone when refused because another station runs on the home', async () => {
    const home = makeHome({ ingest: { rescanIntervalSec: 0 }, logs: { maxMB: 1, keep: 1 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const logs = path.join(home, 'logs');
    fs.mkdirSync(logs);
    const current = `${JSON.stringify({ message: 'running' })}\n`.repeat(60_000); // over 1 MB
    fs.writeFileSync(path.join(logs, 'station.log'), current);
    fs.writeFileSync(path.join(logs, 'station.log.1'), 'the oldest\n');
    // The running station's lock, as it holds it.
    const lock = acquireInstanceLock(path.join(home, 'station.db'));
    cleanup.push(() => lock.release());
    const run = startRun(home);
    expect(await exited(run.child), run.stderr()).toBe(2);
    expect(run.stderr()).toContain('Another Capture Station');
    expect(fs.readdirSync(logs).sort()).toEqual(['station.log', 'station.log.1']);
    expect(fs.readFileSync(path.join(logs, 'station.log.1'), 'utf8')).toBe('the oldest\n');
    expect(fs.readFileSync(path.join(logs, 'station.log'), 'utf8').startsWith(current)).toBe(true);
  }, 60_000);
});
