/**
 * `export` and `queue` only read: they never migrate a database (an older station may still run on
 * it, and they hold no instance lock), and they read a database on a read-only mount or say what to
 * do instead of failing with a stack.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openDatabase } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';
import { exited } from '../helpers/station-process.js';
import { makeFixture } from '../upload/fixture.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

async function cli(args: string[]) {
  const out = capture();
  const code = await main(args, out);
  return { code, ...out };
}

const userVersion = (file: string) => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

/** Mount namespaces with a read-only bind mount (root in a container allows them; elsewhere the test is skipped). */
const canMountReadOnly = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /tmp /tmp && mount -o remount,ro,bind /tmp'], { stdio: 'ignore' }).status === 0;

/** The real CLI with `dir` mounted read-only (in a mount namespace of its own). */
async function cliOnReadOnly(dir: string, args: string[]) {
  const command = `mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"`;
  const child = spawn('unshare', ['-m', 'sh', '-c', command, dir, process.execPath, '--import', 'tsx', path.join(repo, 'src/cli/bin.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await exited(child);
  return { code, stdout, stderr };
}

describe('export and queue only read', () => {
  it('refuse a database of an older schema, leaving it as it was, and say to run the station once', async () => {
    const home = makeHome();
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const file = path.join(home, 'station.db');
    const older = migrations.at(-2)!.version;
    openDatabase(file, { migrations: migrations.slice(0, -1) }).close();
    const before = fs.readFileSync(file);
    for (const args of [['export'], ['queue'], ['queue', '--json']]) {
      const { code, stdout, stderr } = await cli([...args, '--home', home]);
      expect(stderr, args.join(' ')).toBe(
        `capture-station ${args[0]}: The station database ${file} has schema ${older}, older than this Capture Station's (${migrations.at(-1)!.version}): run the station once (capture-station run, with no other station running on it) to upgrade it, then try again.\n`,
      );
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(userVersion(file)).toBe(older);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    }
  });

  it.skipIf(!canMountReadOnly)('read a backup on a read-only mount; a WAL database there gets advice, not a stack', async () => {
    const fx = makeFixture();
    cleanup.push(() => fx.close());
    fx.store.db.pragma('wal_autocheckpoint = 0');
    for (let i = 0; i < 3; i++) fx.addCapture(`img-${i}.tif`, Buffer.from(`image ${i}`));
    // A copy of the station's files as they are while it runs (database and WAL), and a backup, each a home of its own.
    const copied = path.join(fx.dir, 'copied');
    const backedUp = path.join(fx.dir, 'backed-up');
    fs.mkdirSync(copied);
    fs.mkdirSync(backedUp);
    for (const f of ['station.db', 'station.db-wal']) fs.copyFileSync(path.join(fx.dir, f), path.join(copied, f));
    const backup = await cli(['backup', path.join(backedUp, 'station.db'), '--home', fx.dir]);
    expect(backup.code, backup.stderr).toBe(0);

    for (const args of [['export'], ['queue']]) {
      const readable = await cliOnReadOnly(backedUp, [...args, '--home', backedUp]);
      expect(readable.code, readable.stderr).toBe(0);
      if (args[0] === 'export') expect((JSON.parse(readable.stdout) as { relPath: string }[]).map((c) => c.relPath)).toEqual(['img-0.tif', 'img-1.tif', 'img-2.tif']);
      else expect(readable.stdout).toContain('No upload targets are configured');

      const wal = await cliOnReadOnly(copied, [...args, '--home', copied]);
      expect(wal.code).toBe(1);
      expect(wal.stderr).toBe(
        `capture-station ${args[0]}: Cannot read the station database ${copied}/station.db (SQLite: unable to open database file). A station database is read where SQLite can create station.db-shm beside it: ` +
          'if it is on a read-only disk, folder or mount, copy it (with its -wal file, if there is one) to a writable folder and pass that folder as --home (or set paths.database); ' +
          'a copy made by `capture-station backup` is a single file and can be read from read-only media.\n',
      );
    }
  });
});
