/** `capture-station doctor` judges free disk space by the thresholds the running station alarms at. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

async function diskLines(retention: Record<string, number>, prepare?: (home: string) => void, config: object = {}): Promise<{ code: number; lines: string[]; out: string }> {
  const h = makeHome();
  homes.push(h);
  fs.writeFileSync(path.join(h, 'station.json'), JSON.stringify({ retention, ...config }));
  prepare?.(h);
  const out = capture();
  const code = await main(['doctor', '--home', h], out);
  return { code, lines: out.stdout.split('\n').filter((l) => l.includes('] free disk') && l.includes('GB free at')), out: out.stdout };
}

describe('capture-station doctor: free disk', () => {
  it('warns below retention.warnFreeGB and fails below retention.criticalFreeGB, naming the setting', async () => {
    // No disk here has a petabyte free, and every one has more than nothing.
    const calm = await diskLines({ warnFreeGB: 0, criticalFreeGB: 0 });
    expect(calm.lines.length).toBeGreaterThan(0);
    expect(calm.lines.every((l) => l.startsWith('[ OK ]'))).toBe(true);
    const warned = await diskLines({ warnFreeGB: 1_000_000, criticalFreeGB: 0 });
    expect(warned.lines.every((l) => l.startsWith('[WARN]') && l.includes('below retention.warnFreeGB (1000000 GB)'))).toBe(true);
    const failed = await diskLines({ warnFreeGB: 1_000_000, criticalFreeGB: 1_000_000 });
    expect(failed.lines.every((l) => l.startsWith('[FAIL]') && l.includes('below retention.criticalFreeGB (1000000 GB)'))).toBe(true);
    expect(failed.code).toBe(1);
  });

  it('names each disk once with the folders on it, so one full disk is one problem; a folder not made yet is not measured', async () => {
    // The home's hot folder, library and database folder are all on the temp folder's disk.
    const { code, lines, out } = await diskLines({ warnFreeGB: 1_000_000, criticalFreeGB: 1_000_000 }, (h) => ['Inbox', 'Library'].forEach((f) => fs.mkdirSync(path.join(h, f))));
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[FAIL\] free disk \(hot folder "[^"]+", the library and the database\): \d+\.\d GB free at .* — below retention\.criticalFreeGB \(1000000 GB\): free space there; retention can remove uploaded files only with retention\.deleteLocal: true and a target marked "required": true$/);
    expect(out).toMatch(/^1 problem must be fixed/m);
    const missingLibrary = await diskLines({ warnFreeGB: 0, criticalFreeGB: 0 }, (h) => fs.mkdirSync(path.join(h, 'Inbox')));
    expect(missingLibrary.out).toMatch(/^\[ OK \] free disk \(the library\): not measured: .*Library does not exist \(see its own line\)$/m);
    expect(missingLibrary.lines).toEqual([expect.stringMatching(/^\[ OK \] free disk \(hot folder "inbox" and the database\): /)]);
  });

  it('measures the logs folder too: on its own disk, the advice is to free space or move it (paths.logs)', async () => {
    const sameDisk = await diskLines({ warnFreeGB: 1_000_000, criticalFreeGB: 1_000_000 }, (h) => ['Inbox', 'Library', 'logs'].forEach((f) => fs.mkdirSync(path.join(h, f))));
    expect(sameDisk.lines).toEqual([expect.stringMatching(/^\[FAIL\] free disk \(hot folder "inbox", the library, the database and the logs folder\): /)]);
    // /dev/shm is a tmpfs: another file system than the temp folder's.
    const logs = fs.mkdtempSync('/dev/shm/cs-logs-');
    homes.push(logs);
    const ownDisk = await diskLines({ warnFreeGB: 1_000_000, criticalFreeGB: 1_000_000 }, (h) => ['Inbox', 'Library'].forEach((f) => fs.mkdirSync(path.join(h, f))), { paths: { logs } });
    expect(ownDisk.lines).toHaveLength(2);
    expect(ownDisk.lines[1]).toMatch(new RegExp(`^\\[FAIL\\] free disk \\(the logs folder\\): \\d+\\.\\d GB free at ${logs} — below retention\\.criticalFreeGB \\(1000000 GB\\): free space there, or move the logs folder to a larger disk \\(paths\\.logs\\)$`));
    expect(ownDisk.out).toMatch(/^2 problems must be fixed/m);
  });
});
