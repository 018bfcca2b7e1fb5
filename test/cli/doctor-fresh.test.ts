/** `capture-station doctor` on a fresh machine (no home, nothing made yet) passes what `run` handles itself. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let user: string;
afterEach(() => fs.rmSync(user, { recursive: true, force: true }));

/** The real CLI with HOME on a new empty folder and no station home or XDG folders set. */
function doctor(): { code: number | null; stdout: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CAPTURE_STATION_HOME' && !k.startsWith('XDG_')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), 'doctor'], { cwd: repo, env: { ...env, HOME: user }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

describe('capture-station doctor on a fresh install', () => {
  it('reports the missing built-in inbox as made by the station when it starts, and passes', () => {
    user = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fresh-'));
    const inbox = path.join(user, 'CaptureStation', 'Inbox');
    const { code, stdout } = doctor();
    expect(stdout).toContain(`[ OK ] hot folder "inbox": ${inbox} does not exist yet; the station creates it when it starts\n`);
    expect(stdout).not.toContain('[FAIL]');
    expect(code).toBe(0);
    // doctor only reports: nothing is made.
    expect(fs.existsSync(path.join(user, 'CaptureStation'))).toBe(false);
    // A configured hot folder whose parent is missing may be an unmounted share: still a failure.
    fs.mkdirSync(path.join(user, '.config', 'capture-station'), { recursive: true });
    fs.writeFileSync(path.join(user, '.config', 'capture-station', 'station.json'), JSON.stringify({ sources: [{ id: 'scans', path: path.join(user, 'mnt', 'share', 'scans') }] }));
    const share = doctor();
    expect(share.stdout).toMatch(/\[FAIL\] hot folder "scans": Hot folder .*scans is missing/);
    expect(share.code).toBe(1);
  });
});
