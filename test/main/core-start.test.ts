/**
 * The desktop core (what main/core-process.ts runs in the utilityProcess) keeps the station log as
 * `run` and `serve` do: real station homes, the real protocol over a MessageChannel.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { coreArgs, parseCoreArgs, type CoreLaunch } from '../../main/core-launch.js';
import { CoreClient, type CoreMessage } from '../../main/core-rpc.js';
import { startCore } from '../../main/core-start.js';
import { createLogger, type LogRecord } from '../../src/log/logger.js';
import { acquireInstanceLock } from '../../src/store/instance-lock.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { exited, startStation } from '../helpers/station-process.js';
import { portLike } from '../helpers/port-like.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const records = (file: string): LogRecord[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogRecord);

function home(config: StationConfigInput | undefined, prepare: (home: string) => void = () => undefined): string {
  const dir = makeHome(config);
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  prepare(dir);
  return dir;
}

/** Starts the core as the main process would (the launch through argv), with the window's end of the port. */
async function launchCore(home: string, afterCrash: CoreLaunch['afterCrash']) {
  const { port1, port2 } = new MessageChannel();
  cleanup.push(() => {
    port1.close();
    port2.close();
  });
  const told: CoreMessage[] = [];
  port2.on('message', (m: CoreMessage) => told.push(m));
  const client = new CoreClient(portLike(port2), () => undefined);
  const launch = parseCoreArgs(['electron', 'core-process.js', ...coreArgs({ options: { home, dataDir: path.join(home, 'userData') }, afterCrash })]);
  const core = await startCore(launch, portLike(port1));
  if (core) cleanup.push(() => core.stop());
  return { core, client, told, logFile: path.join(home, 'logs', 'station.log') };
}

describe('the desktop core keeps the station log', () => {
  it('writes <logs>/station.log, says it was restarted after a crash, and stops writing when stopped', async () => {
    const { core, client, logFile } = await launchCore(home({ ingest: { rescanIntervalSec: 0 } }), { exitCode: 134, restart: 3 });
    expect(core).not.toBeNull();
    expect(await client.call('status', {})).toMatchObject({ result: { logFile: null } });
    const lines = records(logFile);
    expect(lines[0]).toMatchObject({ level: 'warn', module: 'desktop.core', message: 'the station core started after a crash (exit code 134, restart #3)' });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', module: 'desktop.core', message: 'the station core started' }));

    await core!.stop();
    const count = records(logFile).length;
    // Nothing the process logs after the stop reaches the file (its sinks are gone).
    createLogger('test.after-stop').error('after the stop');
    expect(records(logFile)).toHaveLength(count);
  });

  it('raises the log-file alarm in status() when its logs folder cannot be written', async () => {
    // A file where the logs folder's parent must be: the folder cannot be made (ENOTDIR).
    const dir = home({ ingest: { rescanIntervalSec: 0 }, paths: { logs: 'blocker/logs' } }, (h) => fs.writeFileSync(path.join(h, 'blocker'), ''));
    const { core, client } = await launchCore(dir, null);
    expect(core).not.toBeNull();
    const reply = await client.call('status', {});
    expect(reply).toMatchObject({ result: { logFile: { file: path.join(dir, 'blocker', 'logs', 'station.log'), problem: expect.stringContaining('cannot be written (ENOTDIR') } } });
    // No terminal keeps the lines meanwhile: the sentence does not send IT to stderr.
    expect(JSON.stringify(reply)).toContain('the station runs on and its log lines are lost, until the file can be written again');
  });

  it('writes why it refused to start to the log (a bad config), and tells the main process', async () => {
    const { core, told, logFile } = await launchCore(home({ station: { idd: 'x' } } as unknown as StationConfigInput), { exitCode: 1, restart: 1 });
    expect(core).toBeNull();
    await waitFor(() => told.some((m) => m.type === 'failed'), 'the failure told to the main process');
    const failed = told.find((m) => m.type === 'failed');
    expect(failed).toMatchObject({ type: 'failed', message: expect.stringContaining('idd') });
    const lines = records(logFile);
    expect(lines.map((r) => r.message)).toEqual(['the station core started after a crash (exit code 1, restart #1)', `the station core could not start: ${(failed as { message: string }).message}`]);
    expect(lines[1]).toMatchObject({ level: 'error', module: 'desktop.core' });
  });

  it("writes a refusal by the station running on the same home into that station's log, which runs on", async () => {
    const dir = home({ ingest: { rescanIntervalSec: 0 } });
    const running = startStation(dir);
    cleanup.push(async () => {
      running.child.kill('SIGTERM');
      await exited(running.child);
    });
    await running.ready;
    const { core, told, logFile } = await launchCore(dir, null);
    expect(core).toBeNull();
    await waitFor(() => told.some((m) => m.type === 'failed'), 'the failure told to the main process');
    const refusal = records(logFile).find((r) => r.module === 'desktop.core');
    expect(refusal?.level).toBe('error');
    expect(refusal?.message).toMatch(new RegExp(`^the station core could not start: Another Capture Station \\(pid ${running.child.pid} on host ${os.hostname()}, `));
    expect(refusal?.message).toContain(`is using ${path.join(dir, 'station.db')} — stop it first.`);
    expect(running.child.exitCode).toBeNull();
  });

  it("neither rotates nor removes the log files of the station running on the same home when refused", async () => {
    const dir = home({ ingest: { rescanIntervalSec: 0 }, logs: { maxMB: 1, keep: 2 } }, (h) => {
      fs.mkdirSync(path.join(h, 'logs'));
      fs.writeFileSync(path.join(h, 'logs', 'station.log'), 'C'.repeat(1024 * 1024) + '\n');
      fs.writeFileSync(path.join(h, 'logs', 'station.log.1'), 'OLDEST-1\n');
      fs.writeFileSync(path.join(h, 'logs', 'station.log.2'), 'OLDEST-2\n');
    });
    // The running station's lock, as it holds it.
    const lock = acquireInstanceLock(path.join(dir, 'station.db'));
    cleanup.push(() => lock.release());
    const { core, told, logFile } = await launchCore(dir, null);
    expect(core).toBeNull();
    await waitFor(() => told.some((m) => m.type === 'failed'), 'the failure told to the main process');
    expect(fs.readFileSync(`${logFile}.2`, 'utf8')).toBe('OLDEST-2\n');
    expect(fs.readFileSync(`${logFile}.1`, 'utf8')).toBe('OLDEST-1\n');
    const lines = fs.readFileSync(logFile, 'utf8').split('\n');
    expect(lines[0]).toBe('C'.repeat(1024 * 1024));
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', module: 'desktop.core', message: expect.stringContaining('Another Capture Station') });
  });
});
