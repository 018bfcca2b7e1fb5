import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { corpus, makeHome, waitFor } from '../helpers/station-home.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';


const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});
function home(config?: Parameters<typeof makeHome>[0]): string {
  const h = makeHome(config);
  homes.push(h);
  return h;
}

function manifestRows(group: string): { file: string; truth: string }[] {
  const lines = fs.readFileSync(path.join(corpus, group, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => l.split('\t')).filter((c) => c[8] === 'image').map((c) => ({ file: path.join(corpus, group, c[0]!), truth: c[5]! }));
}

describe('capture-station check', () => {
  it('checks the whole TIFF corpus without crash or hang and fails every file whose truth is corrupt or unsupported', async () => {
    const out = capture();
    const rows = manifestRows('tiff');
    // Files without an image extension are skipped in a folder; naming them checks them too.
    const noImageExtension = rows.filter((r) => !/\.(tiff?|btf)$/i.test(r.file)).map((r) => r.file);
    expect(noImageExtension).toHaveLength(1);
    const code = await main(['check', path.join(corpus, 'tiff'), ...noImageExtension, '--json', '--home', home()], out);
    const reports = JSON.parse(out.stdout) as { file: string; verdict: string; checks: { check: string; status: string; message: string }[] }[];
    const byFile = new Map(reports.map((r) => [r.file, r]));
    expect(reports.length).toBe(rows.length);
    const bad = rows.filter((r) => /corrupt|unsupported/.test(r.truth));
    expect(bad.length).toBeGreaterThan(100);
    for (const row of bad) {
      const report = byFile.get(row.file);
      expect(report?.verdict, row.file).toBe('fail');
      // Every one fails with a reason; all but one on decoding (see test/quality/corpus.test.ts).
      const failing = report?.checks.filter((c) => c.status === 'fail') ?? [];
      expect(failing.map((c) => c.check), row.file).toContain(row.file.endsWith('hopper_unknown_pixel_mode.tif') ? 'bitDepth' : 'decodes');
      for (const c of failing) expect(c.message.length, row.file).toBeGreaterThan(10);
    }
    expect(code).toBe(1);
    for (const r of reports) expect(r.checks.map((c) => c.check)).toContain('exposure');
  }, 300_000);

  it('prints a table and exits 0 when every file passes', async () => {
    const h = home();
    const dir = path.join(h, 'scans');
    fs.mkdirSync(dir);
    await writeGoodTiff(path.join(dir, 'one.tif'), 1);
    await writeGoodTiff(path.join(dir, 'two.tif'), 20);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    const out = capture();
    const code = await main(['check', dir, '--home', h], out);
    expect(out.stdout).toMatch(/VERDICT\s+FILE/);
    expect(out.stdout).toContain('one.tif');
    expect(out.stdout).not.toContain('notes.txt');
    expect(out.stderr).toMatch(/2 checked/);
    expect(out.stderr).toMatch(/Skipped 1 file without an image extension \(notes\.txt\)/);
    expect(code).toBe(0);
  });

  it('refuses a missing path and an unknown profile with a clear message', async () => {
    const out = capture();
    expect(await main(['check', '/no/such/folder', '--home', home()], out)).toBe(2);
    expect(out.stderr).toMatch(/does not exist/);
    const out2 = capture();
    expect(await main(['check', corpus, '--profile', 'fadgi-5star', '--home', home()], out2)).toBe(2);
    expect(out2.stderr).toMatch(/Unknown profile "fadgi-5star"/);
  });
});

describe('capture-station export and doctor', () => {
  it('exports every capture as JSON and CSV', async () => {
    const h = home({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 } });
    const station = new Station(loadConfig({ home: h }));
    await station.start();
    try {
      await writeGoodTiff(path.join(h, 'Inbox', 'x, "quoted".tif'), 2);
      fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(h, 'Inbox', 'bad.tif'));
      await waitFor(() => station.store.counts().total === 2, 'two captures');
    } finally {
      await station.stop();
    }
    const json = capture();
    expect(await main(['export', '--home', h], json)).toBe(0);
    const rows = JSON.parse(json.stdout) as { relPath: string; sha256: string; verdict: string; failedChecks: string[] }[];
    expect(rows.map((r) => r.relPath).sort()).toEqual(['bad.tif', 'x, "quoted".tif']);
    expect(rows.find((r) => r.relPath === 'bad.tif')).toMatchObject({ verdict: 'fail', failedChecks: expect.arrayContaining(['decodes']) });
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.sha256))).toBe(true);
    const csv = capture();
    expect(await main(['export', '--format', 'csv', '--home', h], csv)).toBe(0);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines[0]).toBe('id,sourceId,path,relPath,version,sha256,size,width,height,format,bitDepth,verdict,failedChecks,barcode,seq,view,detectedAt,checkedAt,qcMs,operator,project,reshoot,objectState,fileState,localRemovedAt,replacedBy');
    expect(lines).toHaveLength(3);
    expect(csv.stdout).toContain('"x, ""quoted"".tif"');
  });

  it('doctor reports a healthy station and names a broken config field', async () => {
    const h = home();
    openStore(path.join(h, 'station.db')).close();
    const ok = capture();
    expect(await main(['doctor', '--home', h], ok)).toBe(0);
    expect(ok.stdout).toMatch(/\[ OK \] database: .*\(schema \d+, 0 captures, journal wal\)/);
    expect(ok.stdout).toMatch(/hot folder "inbox"/);
    fs.writeFileSync(path.join(h, 'station.json'), JSON.stringify({ ingest: { concurrency: 0 } }));
    const bad = capture();
    expect(await main(['doctor', '--home', h], bad)).toBe(1);
    expect(bad.stdout).toMatch(/\[FAIL\] config: [^]*ingest\.concurrency/);
    const run = capture();
    expect(await main(['run', '--home', h], run)).toBe(2);
    expect(run.stderr).toMatch(/ingest\.concurrency/);
  });

  it('doctor counts each problem of a broken config, as the config message does', async () => {
    const h = home({ ingest: { concurrency: 0 }, retention: { keepDays: -1 } });
    const text = capture();
    expect(await main(['doctor', '--home', h], text)).toBe(1);
    expect(text.stdout).toMatch(/\[FAIL\] config: .*station\.json has 2 problems; the station did not start:\n {2}- ingest\.concurrency: [^\n]*\n {2}- retention\.keepDays: /);
    expect(text.stdout).toMatch(/\n2 problems must be fixed before the station can run reliably\.\n$/);
    const json = capture();
    expect(await main(['doctor', '--home', h, '--json'], json)).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ready: false, failed: 2 });
  });
});
