/** The station log as `run`, `serve` and the desktop core keep it, on real temp folders. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, type LogRecord } from '../../src/log/logger.js';
import { StationLog } from '../../src/log/station-log.js';

const log = createLogger('test.station-log');
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0).reverse()) c();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-station-log-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(logs: string, opts: ConstructorParameters<typeof StationLog>[1] = {}, limits = { maxMB: 10, keep: 5 }): StationLog {
  const stationLog = new StationLog({ locations: { logs }, logs: limits }, opts);
  cleanup.push(() => stationLog.close());
  return stationLog;
}

const records = (file: string): LogRecord[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogRecord);

describe('the station log', () => {
  it('writes every record as a JSON line to <logs>/station.log, readable lines to stderr if asked, nothing after close', () => {
    const logs = path.join(tempDir(), 'logs');
    const stderr: string[] = [];
    const stationLog = open(logs, { stderr: (t) => stderr.push(t) });
    expect(stationLog.file).toBe(path.join(logs, 'station.log'));
    log.warn('upload failed', { target: 'nas' });
    stationLog.close();
    log.warn('after close');

    expect(records(stationLog.file)).toEqual([expect.objectContaining({ level: 'warn', module: 'test.station-log', message: 'upload failed', fields: { target: 'nas' } })]);
    expect(stderr).toEqual([expect.stringMatching(/ WARN {2}\[test\.station-log\] upload failed target=nas\n$/)]);
  });

  it('writes no stderr lines without a stderr sink', () => {
    const logs = path.join(tempDir(), 'logs');
    const stationLog = open(logs);
    log.info('file only');
    expect(records(stationLog.file).map((r) => r.message)).toEqual(['file only']);
  });

  it('rotates by logs.maxMB and keeps logs.keep files', () => {
    const logs = path.join(tempDir(), 'logs');
    // 0.001 MB: 1049 bytes, a few lines a file.
    const stationLog = open(logs, {}, { maxMB: 0.001, keep: 1 });
    stationLog.attach({ logFileProblem: () => undefined });
    for (let i = 0; i < 60; i++) log.info(`line ${i} ${'x'.repeat(60)}`);
    expect(fs.readdirSync(logs).sort()).toEqual(['station.log', 'station.log.1']);
    expect(records(stationLog.file).at(-1)?.message).toMatch(/^line 59 /);
  });

  it('only appends, never rotates, until a station (holding the lock) is attached', () => {
    const logs = tempDir();
    // A running station's files: its current log at maxMB, and two rotated ones.
    fs.writeFileSync(path.join(logs, 'station.log'), 'C'.repeat(1049) + '\n');
    fs.writeFileSync(path.join(logs, 'station.log.1'), 'OLDEST-1\n');
    fs.writeFileSync(path.join(logs, 'station.log.2'), 'OLDEST-2\n');
    const stationLog = open(logs, {}, { maxMB: 0.001, keep: 2 });
    for (let i = 0; i < 30; i++) log.info(`before ${i} ${'x'.repeat(60)}`);
    expect(fs.readdirSync(logs).sort()).toEqual(['station.log', 'station.log.1', 'station.log.2']);
    expect(fs.readFileSync(path.join(logs, 'station.log.2'), 'utf8')).toBe('OLDEST-2\n');
    expect(fs.readFileSync(stationLog.file, 'utf8').startsWith('C'.repeat(1049) + '\n')).toBe(true);
    expect(fs.readFileSync(path.join(logs, 'station.log.1'), 'utf8')).toBe('OLDEST-1\n');

    stationLog.attach({ logFileProblem: () => undefined });
    log.info('after attach');
    expect(fs.readFileSync(path.join(logs, 'station.log.2'), 'utf8')).toBe('OLDEST-1\n');
    expect(fs.readFileSync(path.join(logs, 'station.log.1'), 'utf8').startsWith('C'.repeat(1049))).toBe(true);
    expect(records(stationLog.file).map((r) => r.message)).toEqual(['after attach']);
  });

  it('keeps the problem with the file until a station is attached, then tells it every change', () => {
    const home = tempDir();
    // A file where the logs folder should be made: the folder cannot be made (ENOTDIR).
    const blocker = path.join(home, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const stderr: string[] = [];
    const stationLog = open(path.join(blocker, 'logs'), { stderr: (t) => stderr.push(t) });
    expect(stderr.join('')).toContain(`WARN  [log.file] The log file ${stationLog.file} cannot be written (ENOTDIR`);

    const told: [string, string | null][] = [];
    stationLog.attach({ logFileProblem: (file, problem) => told.push([file, problem]) });
    expect(told).toEqual([[stationLog.file, expect.stringContaining(`The log file ${stationLog.file} cannot be written (ENOTDIR`)]]);
    expect(told[0]?.[1]).toContain('its log lines go only to the terminal it runs in (stderr), until the file can be written again');

    // The folder can be made again; a reopen (SIGHUP) tries at the next line.
    fs.rmSync(blocker);
    stationLog.reopen();
    log.info('written again');
    expect(told.at(-1)).toEqual([stationLog.file, null]);
    expect(stderr.join('')).toContain(`INFO  [log.file] the log file in ${path.join(blocker, 'logs')} is written again`);
    expect(records(stationLog.file).map((r) => r.message)).toEqual(['written again', expect.stringMatching(/could be written again; 1 earlier line\(s\) were not written/)]);
  });

  it('says a file that could not be rotated is rotated again, not written again, once a rotation works', () => {
    const logs = tempDir();
    const held = path.join(logs, 'station.log.1');
    fs.mkdirSync(held);
    fs.writeFileSync(path.join(held, 'held'), '');
    const stderr: string[] = [];
    const stationLog = open(logs, { stderr: (t) => stderr.push(t) }, { maxMB: 0.001, keep: 1 });
    stationLog.attach({ logFileProblem: () => undefined });
    for (let i = 0; i < 30; i++) log.info(`line ${i} ${'x'.repeat(60)}`);
    expect(stderr.join('')).toContain(`WARN  [log.file] The log file ${stationLog.file} could not be rotated`);
    fs.rmSync(held, { recursive: true });
    // The rotation is tried again 30 s later.
    vi.useFakeTimers({ toFake: ['Date'] });
    cleanup.push(() => vi.useRealTimers());
    vi.setSystemTime(Date.now() + 31_000);
    for (let i = 30; i < 60 && !fs.existsSync(held); i++) log.info(`line ${i} ${'x'.repeat(60)}`);
    expect(stderr.join('')).toContain(`INFO  [log.file] the log file ${stationLog.file} is rotated again`);
    expect(stderr.join('')).not.toContain('is written again');
  });

  it('tells a station attached to a working file that there is no problem, and nothing after close', () => {
    const logs = path.join(tempDir(), 'logs');
    const stationLog = open(logs);
    const told: (string | null)[] = [];
    stationLog.attach({ logFileProblem: (_file, problem) => told.push(problem) });
    expect(told).toEqual([null]);
    stationLog.close();
    // The folder goes away after close: no line is written, so nobody is told.
    fs.rmSync(logs, { recursive: true });
    log.error('after close');
    expect(told).toEqual([null]);
    expect(fs.existsSync(logs)).toBe(false);
  });
});
