/** A station.db that is not a database, or whose pages are damaged: every command says what to do, none crashes, and the file is kept as it is. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openDatabase } from '../../src/store/database.js';
import { openStore } from '../../src/store/open.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

const advice = /The station database .*station\.db is not a station database or is damaged\. Stop the station, move the file aside \(never delete it[^)]*\), then put back a backup of it or let the station start a new one in its place\. The images in the library and in the hot folders are untouched\./;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const code = await main(args, out);
  return { code, stdout: out.stdout, stderr: out.stderr };
}

describe('a damaged station database', () => {
  it('random bytes: run, export, queue and doctor give the advice, exit 1, and leave the file untouched', async () => {
    const h = makeHome();
    homes.push(h);
    const db = path.join(h, 'station.db');
    const bytes = crypto.randomBytes(5000);
    fs.writeFileSync(db, bytes);
    for (const command of ['run', 'export', 'queue']) {
      const r = await run([command, '--home', h]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(advice);
      expect(r.stderr).toContain('(SQLite: file is not a database)');
    }
    const doctor = await run(['doctor', '--home', h]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout.split('\n').find((l) => l.includes('] database:'))).toMatch(new RegExp(`^\\[FAIL\\] database: ${advice.source}`));
    expect(fs.readFileSync(db).equals(bytes)).toBe(true);
    expect(() => openDatabase(db)).toThrow(expect.objectContaining({ code: 'DB_OPEN_FAILED' }));
  });

  it('damaged pages found only when read (export) get the same advice instead of a stack trace', async () => {
    const h = makeHome();
    homes.push(h);
    const db = path.join(h, 'station.db');
    openStore(db).close();
    const fd = fs.openSync(db, 'r+');
    fs.writeSync(fd, crypto.randomBytes(4096 * 5), 0, 4096 * 5, 4096 * 3);
    fs.closeSync(fd);
    const exported = await run(['export', '--home', h]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(advice);
    expect(exported.stderr).toContain('(SQLite: database disk image is malformed)');
    expect((await run(['doctor', '--home', h])).stdout).toMatch(new RegExp(`\\[FAIL\\] database: ${advice.source}`));
  });
});

describe('capture-station doctor only looks', () => {
  it('on a mistyped --home creates nothing and says the home is missing', async () => {
    const parent = makeHome();
    homes.push(parent);
    const h = path.join(parent, 'typo');
    const r = await run(['doctor', '--home', h]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`[FAIL] home: ${h} does not exist — check --home or CAPTURE_STATION_HOME for a typo`);
    expect(r.stdout).toContain(`[WARN] database: ${path.join(h, 'station.db')} does not exist yet`);
    expect(r.stdout).not.toContain('The station is ready');
    expect(fs.existsSync(h)).toBe(false);
  });

  it('on a new home reports what the station will create, creates none of it, and measures no disk for a missing folder', async () => {
    const h = makeHome({ sources: [{ id: 'cam', path: 'cam' }] });
    homes.push(h);
    const r = await run(['doctor', '--home', h]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`[WARN] hot folder "cam": ${path.join(h, 'cam')} does not exist; the station creates it when it starts`);
    expect(r.stdout).toContain(`[ OK ] free disk (hot folder "cam"): not measured: ${path.join(h, 'cam')} does not exist (see its own line)`);
    expect(r.stdout).toContain(`[ OK ] logs: ${path.join(h, 'logs')} does not exist yet`);
    expect(fs.readdirSync(h)).toEqual(['station.json']);
  });

  it('opens an existing database read-only: an older schema is reported, not migrated', async () => {
    const h = makeHome();
    homes.push(h);
    fs.mkdirSync(path.join(h, 'Inbox'));
    const db = path.join(h, 'station.db');
    openDatabase(db, { migrations: [] }).close();
    const r = await run(['doctor', '--home', h]);
    expect(r.stdout).toMatch(/\[ OK \] database: .*station\.db \(schema 0, journal wal; the station migrates it to schema \d+ when it starts\)/);
    const ro = openDatabase(db, { readonly: true });
    expect(ro.pragma('user_version', { simple: true })).toBe(0);
    ro.close();
  });
});
