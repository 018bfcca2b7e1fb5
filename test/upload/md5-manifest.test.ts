import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addToManifest, manifestLockName, manifestName, readManifest } from '../../src/upload/md5-manifest.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-md5-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const md5Of = (writer: number, i: number) => `${writer.toString(16).padStart(2, '0')}${i.toString(16).padStart(30, '0')}`;

/** A separate process adding `n` lines to the folder's manifest as fast as it can. */
function writer(id: number, n: number): Promise<number | null> {
  const script = `
    const { addToManifest } = await import(${JSON.stringify(path.join(repo, 'src/upload/md5-manifest.ts'))});
    for (let i = 0; i < ${n}; i++) await addToManifest(${JSON.stringify(dir)}, 'w${id}_' + i + '.tif', ${JSON.stringify(md5Of(id, 0).slice(0, 2))} + i.toString(16).padStart(30, '0'));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('checksums.md5 across processes', () => {
  it('keeps every line when two processes update one manifest at the same time', async () => {
    const n = 40;
    expect(await Promise.all([writer(1, n), writer(2, n)])).toEqual([0, 0]);
    const entries = await readManifest(path.join(dir, manifestName));
    expect(entries.size).toBe(2 * n);
    for (const id of [1, 2]) for (let i = 0; i < n; i++) expect(entries.get(`w${id}_${i}.tif`)).toBe(md5Of(id, i));
    // no lock and no temp file left behind
    expect(fs.readdirSync(dir)).toEqual([manifestName]);
  }, 120_000);

  it('takes over the lock of a writer that died holding it', async () => {
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    fs.writeFileSync(path.join(dir, manifestLockName), JSON.stringify({ host: os.hostname(), pid: dead, token: 'x' }));
    await addToManifest(dir, 'a.tif', md5Of(3, 1));
    expect(Object.fromEntries(await readManifest(path.join(dir, manifestName)))).toEqual({ 'a.tif': md5Of(3, 1) });
    expect(fs.readdirSync(dir)).toEqual([manifestName]);
  });
});
