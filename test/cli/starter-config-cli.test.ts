/** Only `run` and `serve` write the starter config, and only without --config. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { exited, startStation } from '../helpers/station-process.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function freshHome(): string {
  const home = makeHome();
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  return home;
}

async function runUntilReady(home: string): Promise<string> {
  const station = startStation(home);
  cleanup.push(() => station.child.kill('SIGKILL'));
  await station.ready;
  station.child.kill('SIGTERM');
  await exited(station.child);
  return station.stderrTail();
}

describe('run on a fresh home', () => {
  it('writes the starter config once, says so, and then runs on it; a later start leaves the edited file alone', async () => {
    const home = freshHome();
    const file = path.join(home, 'station.yaml');
    const first = await runUntilReady(home);
    expect(first).toContain(`Wrote a starter config to ${file} (a fresh station): barcode linking is on`);
    expect(first).toContain(`Config: ${file} ·`);
    const edited = fs.readFileSync(file, 'utf8').replace('project: ""', 'project: Herbarium');
    fs.writeFileSync(file, edited);
    const second = await runUntilReady(home);
    expect(second).not.toContain('starter config');
    expect(fs.readFileSync(file, 'utf8')).toBe(edited);
  }, 60_000);

  it('writes none with --config, nor for doctor or check', async () => {
    const home = freshHome();
    const other = path.join(freshHome(), 'other.json');
    fs.writeFileSync(other, '{}');
    const image = path.join(path.dirname(other), 'image.tif');
    await writeGoodTiff(image);
    const out = capture();
    await main(['doctor', '--home', home], out);
    await main(['check', '--home', home, image], out);
    expect(out.stderr + out.stdout).not.toContain('starter config');
    expect(fs.readdirSync(home).filter((f) => f.startsWith('station.'))).toEqual([]);
    const withConfig = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'run', '--home', home, '--config', other], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
    cleanup.push(() => withConfig.kill('SIGKILL'));
    let stderr = '';
    withConfig.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes('" is watching ') || withConfig.exitCode !== null, 'run --config to start');
    expect(stderr).toContain(`Config: ${other} ·`);
    withConfig.kill('SIGTERM');
    await exited(withConfig);
    expect(stderr).not.toContain('starter config');
    expect(fs.readdirSync(home).filter((f) => f.startsWith('station.') && f !== 'station.db')).toEqual([]);
  }, 60_000);
});
