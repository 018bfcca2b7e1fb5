import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from './harness.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/start-stop.ts', import.meta.url));

/** Runs the fixture in its own process; resolves with its exit code once it has exited by itself. */
async function runToExit(folder: string, mode: 'events' | 'polling'): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, folder, mode], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let code: number | null | undefined;
  child.on('exit', (c) => (code = c));
  try {
    await waitFor(() => code !== undefined, `the process to exit on its own after stop() (output so far: ${out})`);
  } finally {
    if (code === undefined) child.kill();
  }
  return { code: code ?? null, out };
}

describe('ingest watcher lifetime', () => {
  it.each(['events', 'polling'] as const)('leaves nothing that keeps the process alive after stop() (%s)', async (mode) => {
    const { code, out } = await runToExit(await tempDir(), mode);
    expect(out).toContain('stopped after 1 report(s)');
    expect(code).toBe(0);
  });
});
