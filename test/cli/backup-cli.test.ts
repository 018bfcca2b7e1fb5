/**
 * `capture-station backup FILE`: a consistent copy of the database while a writer holds it open,
 * with what is still in the WAL (a plain copy of station.db misses that), as one self-contained file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';
import { makeFixture, type Fixture } from '../upload/fixture.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

/** A station database with `n` captures still in its WAL, its writer (the "running station") open. */
function runningStation(n: number): Fixture {
  const fx = makeFixture();
  cleanup.push(() => fx.close());
  fx.store.db.pragma('wal_autocheckpoint = 0');
  for (let i = 0; i < n; i++) fx.addCapture(`img-${i}.tif`, Buffer.from(`image ${i}`));
  return fx;
}

function capturesIn(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM captures').pluck().get() as number;
  } catch {
    return 0; // a copy without the WAL may not even have the schema
  } finally {
    db.close();
  }
}

async function cli(args: string[]) {
  const out = capture();
  const code = await main(args, out);
  return { code, ...out };
}

describe('capture-station backup', () => {
  it('copies what is in the WAL while the station has the database open, into one file that opens on its own', async () => {
    const fx = runningStation(12);
    const plain = path.join(fx.dir, 'plain-copy.db');
    fs.copyFileSync(path.join(fx.dir, 'station.db'), plain);
    expect(capturesIn(plain)).toBeLessThan(12);

    const dest = path.join(fx.dir, 'out', 'backup.db');
    fs.mkdirSync(path.dirname(dest));
    const { code, stdout, stderr } = await cli(['backup', dest, '--home', fx.dir]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Backed up ${fx.dir}/station\\.db to ${dest} \\(\\S+ \\S+, schema \\d+\\): 12 captures, \\d+ upload jobs, 0 objects, 0 sessions, \\d+ events\\. The copy passed SQLite's integrity check`));
    // Nothing but the backup: no -wal/-shm to copy along, no partial file left.
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['backup.db']);
    const copy = new Database(dest, { readonly: true, fileMustExist: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    copy.close();
    expect(capturesIn(dest)).toBe(12);
    // The station's database is as it was: still written by its station.
    fx.addCapture('img-12.tif', Buffer.from('image 12'));
    expect(fx.store.captures.counts().total).toBe(13);

    // Restored as the database of another home, the station's tools read it.
    const restored = makeHome();
    cleanup.push(() => fs.rmSync(restored, { recursive: true, force: true }));
    fs.copyFileSync(dest, path.join(restored, 'station.db'));
    const exported = await cli(['export', '--home', restored]);
    expect(exported.code, exported.stderr).toBe(0);
    expect((JSON.parse(exported.stdout) as unknown[]).length).toBe(12);
  });

  it('never replaces an existing file without --force, and says so', async () => {
    const fx = runningStation(2);
    const dest = path.join(fx.dir, 'backup.db');
    fs.writeFileSync(dest, 'an earlier backup');
    const refused = await cli(['backup', dest, '--home', fx.dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`capture-station backup: ${dest} already exists: give a new name, or pass --force to replace it.\n`);
    expect(fs.readFileSync(dest, 'utf8')).toBe('an earlier backup');
    const forced = await cli(['backup', dest, '--force', '--home', fx.dir]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(capturesIn(dest)).toBe(2);
    expect(fs.readdirSync(fx.dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('refuses a missing folder, the database itself, a missing database and a missing FILE, each saying what to do', async () => {
    const fx = runningStation(1);
    const missing = await cli(['backup', path.join(fx.dir, 'no-such', 'b.db'), '--home', fx.dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`capture-station backup: Cannot write ${path.join(fx.dir, 'no-such', 'b.db')}: the folder ${path.join(fx.dir, 'no-such')} does not exist. Create it, or give a path in an existing folder.\n`);
    const itself = await cli(['backup', path.join(fx.dir, 'station.db'), '--force', '--home', fx.dir]);
    expect(itself.code).toBe(2);
    expect(itself.stderr).toContain('is the station database itself (or one of its -wal/-shm/-journal files): give the backup another name. --force never replaces it.');
    // The same through a link to its folder, and through a hard link to the file itself.
    const linkedDir = `${fx.dir}-link`;
    fs.symlinkSync(fx.dir, linkedDir);
    cleanup.push(() => fs.rmSync(linkedDir, { force: true }));
    const hardLink = path.join(fx.dir, 'same-inode.db');
    fs.linkSync(path.join(fx.dir, 'station.db'), hardLink);
    const inode = fs.statSync(path.join(fx.dir, 'station.db')).ino;
    for (const dest of [path.join(linkedDir, 'station.db'), path.join(linkedDir, 'station.db-wal'), hardLink]) {
      const refused = await cli(['backup', dest, '--force', '--home', fx.dir]);
      expect(refused.code, dest).toBe(2);
      expect(refused.stderr).toContain('is the station database itself');
    }
    expect(fs.statSync(path.join(fx.dir, 'station.db')).ino).toBe(inode);
    expect(capturesIn(path.join(fx.dir, 'station.db'))).toBe(1);
    const home = makeHome();
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const none = await cli(['backup', path.join(home, 'b.db'), '--home', home]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`capture-station backup: No station database at ${home}/station.db yet: nothing to back up (run the station first, or pass the right --home).\n`);
    expect(fs.readdirSync(home)).toEqual([]);
    const noFile = await cli(['backup', '--home', home]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/^capture-station backup: backup takes one file to write, e.g. capture-station backup \/mnt\/usb\/station-\d{4}-\d\d-\d\d\.db\.\n$/);
  });
});
