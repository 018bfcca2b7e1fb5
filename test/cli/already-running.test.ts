/**
 * A second `run` or `serve` on a home whose station is running is refused as the documented state
 * refusal (exit 2, like a control socket or port already taken), naming the running station, and
 * leaves that station running.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome } from '../helpers/station-home.js';
import { exited, startStation } from '../helpers/station-process.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** The real CLI as its own process: its exit code and what it said. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return exited(child).then((code) => ({ code, stdout, stderr }));
}

describe('a second station on the same home', () => {
  it('is refused by run and by serve with exit 2, naming the running station, which runs on', async () => {
    const home = makeHome({ ingest: { rescanIntervalSec: 0 }, server: { port: 0 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const first = startStation(home);
    cleanup.push(async () => {
      first.child.kill('SIGTERM');
      await exited(first.child);
    });
    await first.ready;

    for (const command of ['run', 'serve']) {
      const second = await cli([command, '--home', home, '--log-level', 'warn']);
      expect(second.stderr, command).toMatch(new RegExp(`^capture-station ${command}: Another Capture Station \\(pid ${first.child.pid} on host .+, started .+\\) is using ${home}/station\\.db — stop it first\\.\\n$`));
      expect(second.code, `${command}: ${second.stderr}`).toBe(2);
    }
    expect(first.child.exitCode).toBeNull();
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    // The help says so, as the README does.
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('Exit codes: 0 success · 1 a file or a check failed · 2 bad usage or configuration, or another station already running on this home');
    expect(first.stderrTail()).not.toMatch(/error/i);
  }, 60_000);
});
