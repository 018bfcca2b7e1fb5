/** `export --output` and `sheet --output` to a path that cannot be written: a sentence with what to do, never a stack. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/store/open.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

/** A home with an (empty) station database, and a plain file in it. */
function home(): { home: string; file: string } {
  const h = makeHome();
  homes.push(h);
  openStore(path.join(h, 'station.db')).close();
  const file = path.join(h, 'notes.txt');
  fs.writeFileSync(file, 'a file, not a folder');
  return { home: h, file };
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const code = await main(args, out);
  return { code, stdout: out.stdout, stderr: out.stderr };
}

describe('an --output that cannot be written', () => {
  it('export says why and what to do, exits 2 for a path that cannot be written, and writes a good path as before', async () => {
    const { home: h, file } = home();
    const missing = path.join(h, 'no-such-folder', 'out.json');
    expect(await run('export', '--home', h, '--output', missing)).toEqual({
      code: 2,
      stdout: '',
      stderr: `capture-station export: Cannot write ${missing}: the folder ${path.dirname(missing)} does not exist. Create it, or give a path in an existing folder.\n`,
    });
    const folder = await run('export', '--home', h, '--output', h);
    expect(folder).toMatchObject({ code: 2, stderr: `capture-station export: Cannot write ${h}: it is a folder. Give the name of a file to write (in that folder, or elsewhere).\n` });
    const underFile = await run('export', '--home', h, '--format', 'csv', '--output', path.join(file, 'out.csv'));
    expect(underFile).toMatchObject({ code: 2, stderr: expect.stringContaining(`Cannot write ${path.join(file, 'out.csv')}: part of ${file} is not a folder.`) });
    const good = path.join(h, 'out.json');
    expect(await run('export', '--home', h, '--output', good)).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(fs.readFileSync(good, 'utf8'))).toEqual([]);
  });

  it.runIf(fs.existsSync('/dev/full'))('export tells a write that fails on the way (a full disk) and exits 1', async () => {
    const { home: h } = home();
    expect(await run('export', '--home', h, '--output', '/dev/full')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'capture-station export: Cannot write /dev/full: the disk is full. Free some space, or write it to another disk. What was written of it is incomplete.\n',
    });
  });

  it('sheet says why and what to do and exits 2', async () => {
    const { home: h, file } = home();
    const missing = path.join(h, 'no', 'dir', 'codes.png');
    expect(await run('sheet', '--home', h, '--output', missing)).toEqual({
      code: 2,
      stdout: '',
      stderr: `capture-station sheet: Cannot write ${missing}: the folder ${path.dirname(missing)} does not exist. Create it, or give a path in an existing folder.\n`,
    });
    const folder = path.join(h, 'codes.pdf');
    fs.mkdirSync(folder);
    expect(await run('sheet', '--home', h, '--output', folder)).toMatchObject({ code: 2, stderr: expect.stringContaining(`Cannot write ${folder}: it is a folder.`) });
    expect(await run('sheet', '--home', h, '--output', path.join(file, 'codes.pdf'))).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a folder') });
    if (fs.existsSync('/dev/full')) {
      // A full disk, found only when the drawing is written.
      fs.symlinkSync('/dev/full', path.join(h, 'full.png'));
      expect(await run('sheet', '--home', h, '--output', path.join(h, 'full.png'))).toMatchObject({ code: 1, stderr: `capture-station sheet: Cannot write ${path.join(h, 'full.png')}: the disk is full. Free some space, or write it to another disk.\n` });
    }
  });
});
