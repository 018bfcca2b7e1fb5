/** The station's log file: rotation by size, reopen after an external logrotate, and a file that cannot be written. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogFile, logFileName } from '../../src/log/log-file.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function logsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-logs-'));
  dirs.push(dir);
  return dir;
}

const line = (n: number) => `${JSON.stringify({ n, message: 'x'.repeat(40) })}\n`;
const linesOf = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { n?: number; message: string });

/**
 * A log of 300 bytes whose rotation fails (a folder holds `station.log.1`), after ten lines: the
 * rotation problem told once, and every problem and what each recovery was over kept in order.
 */
function rotationHeld() {
  const dir = logsDir();
  const file = path.join(dir, logFileName);
  const held = path.join(dir, `${logFileName}.1`);
  fs.mkdirSync(held);
  fs.writeFileSync(path.join(held, 'held'), '');
  const problems: (string | null)[] = [];
  const over: (string | undefined)[] = [];
  const log = new LogFile({ dir, maxBytes: 300, keep: 1, retryMs: 0, problem: (m, o) => (problems.push(m), over.push(o)) });
  for (let n = 0; n < 10; n++) log.write(line(n));
  expect(problems).toEqual([expect.stringContaining('could not be rotated')]);
  return { file, held, problems, over, log };
}

describe('the log file', () => {
  it('rotates by size into station.log.1 … .keep, dropping the oldest, every line whole and in order', () => {
    const dir = logsDir();
    const problems: (string | null)[] = [];
    const log = new LogFile({ dir, maxBytes: 500, keep: 2, retryMs: 0, problem: (m) => problems.push(m) });
    for (let n = 0; n < 40; n++) log.write(line(n));
    log.close();
    expect(fs.readdirSync(dir).sort()).toEqual([logFileName, `${logFileName}.1`, `${logFileName}.2`]);
    const kept = [`${logFileName}.2`, `${logFileName}.1`, logFileName].flatMap((f) => linesOf(path.join(dir, f)).map((l) => l.n));
    // The newest lines, consecutive up to the last one written; older ones went with the removed file.
    expect(kept.at(-1)).toBe(39);
    expect(kept).toEqual(kept.map((_, i) => 40 - kept.length + i));
    expect(kept.length).toBeLessThan(40);
    for (const f of [`${logFileName}.1`, `${logFileName}.2`]) expect(fs.statSync(path.join(dir, f)).size).toBeGreaterThanOrEqual(500);
    expect(problems).toEqual([]);
  });

  it('writes on into the current file when a rotation fails, warning once, and loses no line', () => {
    const dir = logsDir();
    // station.log.1 is a folder: removing it for the rotation fails, as a refused rename would.
    fs.mkdirSync(path.join(dir, `${logFileName}.1`));
    fs.writeFileSync(path.join(dir, `${logFileName}.1`, 'held'), '');
    const problems: (string | null)[] = [];
    const log = new LogFile({ dir, maxBytes: 300, keep: 1, retryMs: 0, problem: (m) => problems.push(m) });
    for (let n = 0; n < 20; n++) log.write(line(n));
    expect(linesOf(path.join(dir, logFileName)).map((l) => l.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^The log file .*station\.log could not be rotated \(.*\); the station writes on into it past logs\.maxMB/);
    // The folder is gone: the next rotation works, and the problem is told to be over.
    fs.rmSync(path.join(dir, `${logFileName}.1`), { recursive: true });
    log.write(line(20));
    log.close();
    expect(problems).toEqual([problems[0], null]);
    expect(linesOf(path.join(dir, `${logFileName}.1`)).map((l) => l.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(linesOf(path.join(dir, logFileName)).map((l) => l.n)).toEqual([20]);
  });

  it('tells the rotation problem again when a write works again while rotation still fails, and null only when both work', () => {
    const { file, held, problems, over, log } = rotationHeld();
    // Now the file itself cannot be written either (a full disk, here /dev/full in its place).
    fs.rmSync(file);
    fs.symlinkSync('/dev/full', file);
    log.reopen();
    log.write(line(10));
    expect(problems.at(-1)).toContain('cannot be written (ENOSPC');
    // Written again, but the rotation still fails: that problem is told again, not that all is well.
    fs.rmSync(file);
    log.reopen();
    for (let n = 11; n < 20; n++) log.write(line(n));
    expect(problems).toEqual([problems[0], problems[1], problems[0]]);
    expect(fs.statSync(file).size).toBeGreaterThan(300);
    // The rotation works again: now, and only now, nothing is wrong.
    fs.rmSync(held, { recursive: true });
    log.write(line(20));
    log.close();
    expect(problems).toEqual([problems[0], problems[1], problems[0], null]);
    expect(over.at(-1)).toBe('rotation');
    expect(linesOf(file).map((l) => l.n)).toEqual([20]);
  });

  it('does not tell an old rotation problem again when a rotation worked but its new file could not be opened', () => {
    const { file, held, problems, over, log } = rotationHeld();
    // The renames work again, but the disk is full the moment the new file is made: the next two opens fail.
    fs.rmSync(held, { recursive: true });
    const realOpen = fs.openSync.bind(fs);
    let failing = 2;
    vi.spyOn(fs, 'openSync').mockImplementation((...args: Parameters<typeof fs.openSync>) => {
      if (failing-- > 0) throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
      return realOpen(...args);
    });
    for (let n = 10; n < 20; n++) log.write(line(n));
    log.close();
    // The rotation worked: what was wrong was writing, and once that works nothing is.
    expect(problems).toEqual([problems[0], expect.stringContaining('cannot be written (ENOSPC'), null]);
    expect(over.at(-1)).toBe('write');
    // Lines 10 and 11 met the full disk; the rest are kept, in order, with the gap said where it is.
    const kept = [`${file}.1`, file].flatMap((f) => linesOf(f));
    expect(kept.map((l) => l.n).filter((n) => n !== undefined)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(kept[1]?.message).toBe('the log file could be written again; 2 earlier line(s) were not written');
  });

  it('appends to an existing file, counting its size toward the rotation', () => {
    const dir = logsDir();
    fs.writeFileSync(path.join(dir, logFileName), 'y'.repeat(600) + '\n');
    const log = new LogFile({ dir, maxBytes: 500, keep: 1, retryMs: 0, problem: () => undefined });
    log.write(line(1));
    log.close();
    expect(fs.readFileSync(path.join(dir, `${logFileName}.1`), 'utf8')).toBe('y'.repeat(600) + '\n');
    expect(linesOf(path.join(dir, logFileName)).map((l) => l.n)).toEqual([1]);
  });

  it('creates the logs folder and the file at start, before any line', () => {
    const dir = path.join(logsDir(), 'logs');
    const problems: (string | null)[] = [];
    const log = new LogFile({ dir, maxBytes: 500, keep: 1, retryMs: 0, problem: (m) => problems.push(m) });
    log.start();
    log.close();
    expect(fs.statSync(path.join(dir, logFileName)).size).toBe(0);
    expect(problems).toEqual([]);
  });

  it('does not rotate a file emptied under it (logrotate copytruncate), but one that has grown again', () => {
    const dir = logsDir();
    const log = new LogFile({ dir, maxBytes: 500, keep: 1, retryMs: 0, problem: () => undefined });
    for (let n = 0; n < 9; n++) log.write(line(n)); // 549 bytes: the next line would rotate it
    expect(fs.existsSync(path.join(dir, `${logFileName}.1`))).toBe(false);
    fs.truncateSync(path.join(dir, logFileName), 0);
    log.write(line(10));
    expect(fs.existsSync(path.join(dir, `${logFileName}.1`))).toBe(false);
    for (let n = 11; n < 30; n++) log.write(line(n));
    log.close();
    expect(fs.existsSync(path.join(dir, `${logFileName}.1`))).toBe(true);
  });

  it('writes to a new file at its path after reopen (an external logrotate moved the old one)', () => {
    const dir = logsDir();
    const log = new LogFile({ dir, maxBytes: 1_000_000, keep: 1, retryMs: 0, problem: () => undefined });
    log.write(line(1));
    fs.renameSync(path.join(dir, logFileName), path.join(dir, 'moved.log'));
    log.write(line(2)); // still the moved file: the descriptor follows it
    log.reopen();
    log.write(line(3));
    log.close();
    expect(linesOf(path.join(dir, 'moved.log')).map((l) => l.n)).toEqual([1, 2]);
    expect(linesOf(path.join(dir, logFileName)).map((l) => l.n)).toEqual([3]);
  });

  it('on a full disk drops lines without throwing, says so once, and says so again when it is written again', () => {
    const dir = logsDir();
    const file = path.join(dir, logFileName);
    // /dev/full answers every write with ENOSPC, as a full disk does.
    fs.symlinkSync('/dev/full', file);
    const problems: (string | null)[] = [];
    const over: (string | undefined)[] = [];
    const log = new LogFile({ dir, maxBytes: 1_000_000, keep: 1, retryMs: 60_000, problem: (m, o) => (problems.push(m), over.push(o)) });
    for (let n = 0; n < 5; n++) expect(() => log.write(line(n))).not.toThrow();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`The log file ${file} cannot be written (ENOSPC: the disk is full — free space there, or point paths.logs at another disk)`);
    // Space is back (here: a real file in its place); SIGHUP's reopen tries at once, and the gap is in the file.
    fs.rmSync(file);
    log.reopen();
    log.write(line(5));
    log.close();
    expect(problems).toEqual([problems[0], null]);
    expect(over).toEqual([undefined, 'write']);
    const written = linesOf(file);
    expect(written[0]!.n).toBe(5);
    expect(written[1]!.message).toBe('the log file could be written again; 5 earlier line(s) were not written');
  });
});
