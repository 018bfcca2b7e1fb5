/**
 * A home too deep for `<home>/station.sock` (a Unix socket path has at most 107 bytes on Linux,
 * 103 on macOS): the socket goes into a private folder of the user's, named by the home's real
 * path; `run` and `scan` agree on it, and a start that cannot open it stops cleanly with exit 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { controlSocketPath } from '../../src/server/control-socket.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';
import { exited, startStation } from '../helpers/station-process.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A station home whose station.sock would take 130 bytes or more. */
function deepHome(config?: Parameters<typeof makeHome>[0]): string {
  const home = path.join(makeHome(config), 'a'.repeat(60), 'b'.repeat(40));
  cleanup.push(() => fs.rmSync(path.dirname(path.dirname(home)), { recursive: true, force: true }));
  fs.mkdirSync(home, { recursive: true });
  if (config) fs.renameSync(path.join(path.dirname(path.dirname(home)), 'station.json'), path.join(home, 'station.json'));
  return home;
}

/** Runs `fn` with XDG_RUNTIME_DIR set to `dir` in this process (as the CLI commands read it). */
async function withRuntimeDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env['XDG_RUNTIME_DIR'];
  process.env['XDG_RUNTIME_DIR'] = dir;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env['XDG_RUNTIME_DIR'];
    else process.env['XDG_RUNTIME_DIR'] = before;
  }
}

describe('the control socket of a deep home', () => {
  it('stays in the home while the path fits, and otherwise goes to a folder of the user named by the real path of the home', () => {
    const home = makeHome();
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    expect(controlSocketPath(home, 'linux', {})).toBe(path.join(home, 'station.sock'));
    const deep = deepHome();
    const runtime = tempDir('cs-run-');
    const socket = controlSocketPath(deep, 'linux', { XDG_RUNTIME_DIR: runtime });
    expect(socket).toMatch(new RegExp(`^${runtime}/capture-station/[0-9a-f]{16}\\.sock$`));
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(107);
    // Reached through a symbolic link it is the same station, so the same socket.
    const link = path.join(path.dirname(deep), 'l'.repeat(100));
    fs.symlinkSync(deep, link);
    expect(controlSocketPath(link, 'linux', { XDG_RUNTIME_DIR: runtime })).toBe(socket);
    // A short link to the deep home too: the choice is made on the real path, whichever spelling run and scan were given.
    const shortLink = path.join(tempDir('cs-l-'), 'h');
    fs.symlinkSync(deep, shortLink);
    expect(controlSocketPath(shortLink, 'linux', { XDG_RUNTIME_DIR: runtime })).toBe(socket);
    // And a deep link to a short home: the socket is in the home.
    const deepLink = path.join(path.dirname(deep), 'k'.repeat(100));
    fs.symlinkSync(home, deepLink);
    expect(controlSocketPath(deepLink, 'linux', { XDG_RUNTIME_DIR: runtime })).toBe(path.join(fs.realpathSync(home), 'station.sock'));
    // Another home gets another socket; without XDG_RUNTIME_DIR, a folder of this user in the temp folder.
    expect(controlSocketPath(path.join(deep, 'other'), 'linux', { XDG_RUNTIME_DIR: runtime })).not.toBe(socket);
    expect(path.dirname(controlSocketPath(deep, 'linux', {}))).toBe(path.join(os.tmpdir(), `capture-station-${os.userInfo().uid}`));
    // On macOS the temp folder is itself about 50 bytes (/var/folders/xx/…/T/): the socket still fits 103.
    expect(Buffer.byteLength(path.join('/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T', `capture-station-${os.userInfo().uid}`, path.basename(socket)))).toBeLessThanOrEqual(103);
    // macOS allows 103 bytes: a path of 104–107 bytes fits Linux only.
    const edge = path.join(home, 'e'.repeat(107 - Buffer.byteLength(path.join(home, 'station.sock')) - 1));
    expect(controlSocketPath(edge, 'linux', { XDG_RUNTIME_DIR: runtime })).toBe(path.join(edge, 'station.sock'));
    expect(controlSocketPath(edge, 'darwin', { XDG_RUNTIME_DIR: runtime })).not.toBe(path.join(edge, 'station.sock'));
  });

  it('runs a real station there: scan reaches it, the socket is private, nothing is left outside the home, and it stops and exits', async () => {
    const home = deepHome({ linking: { enabled: true } });
    const runtime = tempDir('cs-run-');
    const station = startStation(home, { XDG_RUNTIME_DIR: runtime });
    cleanup.push(() => void station.child.kill('SIGKILL'));
    await station.ready;
    const socket = controlSocketPath(home, process.platform, { XDG_RUNTIME_DIR: runtime });
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    const out = capture();
    expect(await withRuntimeDir(runtime, () => main(['scan', 'NMNH-0042', '--home', home], out))).toBe(0);
    expect(out.stdout).toMatch(/OBJECT NMNH-0042 on inbox: object NMNH-0042 open \(0 shots\)/);
    // Node binds a path that is too long cut short: nothing of the kind next to the home.
    expect(fs.readdirSync(path.dirname(home))).toEqual([path.basename(home)]);
    expect(fs.readdirSync(path.dirname(path.dirname(home))).filter((f) => f !== 'a'.repeat(60))).toEqual([]);
    station.child.kill('SIGTERM');
    expect(await exited(station.child)).toBe(0);
    expect(fs.existsSync(socket)).toBe(false);
  }, 60_000);

  it('refuses a socket folder another user could reach, exits 2 saying what to do, and leaves nothing listening', async () => {
    const home = deepHome();
    const runtime = tempDir('cs-run-');
    fs.mkdirSync(path.join(runtime, 'capture-station'), { mode: 0o755 });
    fs.chmodSync(path.join(runtime, 'capture-station'), 0o755);
    const out = capture();
    expect(await withRuntimeDir(runtime, () => main(['run', '--home', home, '--log-level', 'error'], out))).toBe(2);
    expect(out.stderr).toMatch(/The control socket's folder .*capture-station is not private to this user \(owner uid \d+, mode 0755\): remove it/);
    expect(fs.readdirSync(path.join(runtime, 'capture-station'))).toEqual([]);
    // A station that started after all would have answered here.
    const scan = capture();
    expect(await withRuntimeDir(runtime, () => main(['scan', 'NMNH-0042', '--home', home], scan))).toBe(1);
    expect(scan.stderr).toMatch(/No station is running for this home/);
  });
});
