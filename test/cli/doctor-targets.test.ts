/** `capture-station doctor` probes every upload target: a folder, S3 (moto_server), tus (@tus/server), and unreachable ones. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { targetMarkerName } from '../../src/upload/fs-errors.js';
import { makeHome } from '../helpers/station-home.js';
import { capture } from '../helpers/output.js';
import { freePort, motoCredentials, motoMissing, startMoto, type Moto } from '../upload/moto.js';
import { startTus, type TusPeer } from '../upload/tus-server.js';

interface DoctorJson {
  ready: boolean;
  failed: number;
  findings: { status: string; what: string; detail: string; target?: { id: string; kind: string } }[];
}

describe.skipIf(motoMissing !== null)('capture-station doctor: upload targets', () => {
  let moto: Moto;
  let tus: TusPeer;
  let tusDir: string;
  const homes: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket('museum-scans');
    tusDir = fs.mkdtempSync(path.join(makeHome(), 'tus-'));
    tus = await startTus(tusDir);
  });
  afterAll(async () => {
    await tus?.kill();
    await moto?.stop();
    fs.rmSync(path.dirname(tusDir), { recursive: true, force: true });
  });
  afterEach(() => {
    for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
  });

  function home(targets: (h: string) => StationConfigInput['targets']): string {
    const h = makeHome();
    homes.push(h);
    fs.writeFileSync(path.join(h, 'station.json'), JSON.stringify({ targets: targets(h) }));
    return h;
  }

  async function doctor(h: string): Promise<{ code: number; text: string; json: DoctorJson }> {
    const text = capture();
    const code = await main(['doctor', '--home', h], text);
    const json = capture();
    expect(await main(['doctor', '--json', '--home', h], json)).toBe(code);
    return { code, text: text.stdout, json: JSON.parse(json.stdout) as DoctorJson };
  }

  it('reports reachable targets as OK, and the folder write test leaves nothing behind', async () => {
    const h = home((dir) => {
      const share = path.join(dir, 'share');
      fs.mkdirSync(share);
      fs.writeFileSync(path.join(share, targetMarkerName), '');
      return [
        { id: 'share', kind: 'folder', path: share },
        { id: 'bucket', kind: 's3', endpoint: moto.endpoint, bucket: 'museum-scans', forcePathStyle: true, ...motoCredentials },
        { id: 'tusd', kind: 'tus', endpoint: tus.endpoint },
      ];
    });
    const { code, text, json } = await doctor(h);
    expect(text).toMatch(/\[ OK \] upload target "share": folder .*share is reachable and writable/);
    expect(text).toMatch(/\[ OK \] upload target "bucket": s3 s3:\/\/museum-scans at http:\/\/127\.0\.0\.1:\d+ answers HeadBucket/);
    expect(text).toMatch(/\[ OK \] upload target "tusd": tus http:\/\/127\.0\.0\.1:\d+\/files\/ answers OPTIONS/);
    expect(code).toBe(0);
    expect(json.ready).toBe(true);
    expect(json.findings.filter((f) => f.target).map((f) => [f.target!.id, f.target!.kind, f.status])).toEqual([
      ['share', 'folder', 'ok'],
      ['bucket', 's3', 'ok'],
      ['tusd', 'tus', 'ok'],
    ]);
    expect(fs.readdirSync(path.join(h, 'share'))).toEqual([targetMarkerName]);
  });

  it('warns about unreachable targets and fails a target that answers but refuses, saying what to do', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const h = home((dir) => [
      { id: 'unmounted', kind: 'folder', path: path.join(dir, 'not-mounted') },
      { id: 'nobucket', kind: 's3', endpoint: moto.endpoint, bucket: 'no-such-bucket', forcePathStyle: true, ...motoCredentials },
      { id: 'downs3', kind: 's3', endpoint: closed, bucket: 'museum-scans', forcePathStyle: true, ...motoCredentials },
      { id: 'downtus', kind: 'tus', endpoint: `${closed}/files/` },
    ]);
    const { code, text, json } = await doctor(h);
    expect(text).toMatch(/\[WARN\] upload target "unmounted": .*does not exist.* Uploads wait .* To fix: check that the share is mounted and that "path" of this target is right\.$/m);
    expect(text).toMatch(/\[FAIL\] upload target "nobucket": .*the bucket "no-such-bucket" does not exist\. Create it, or correct "bucket"/);
    expect(text).toMatch(/\[WARN\] upload target "downs3": .*unreachable.* To fix: check the network, and "endpoint" and "region" of this target/);
    expect(text).toMatch(/\[WARN\] upload target "downtus": .*unreachable.* To fix: check the network, "endpoint" of this target, and that the tus server is running/);
    expect(text).toMatch(/1 problem must be fixed/);
    expect(code).toBe(1);
    expect(json).toMatchObject({ ready: false, failed: 1 });
    expect(json.findings.filter((f) => f.target).map((f) => [f.target!.id, f.status])).toEqual([
      ['unmounted', 'warn'],
      ['nobucket', 'fail'],
      ['downs3', 'warn'],
      ['downtus', 'warn'],
    ]);
    expect(fs.existsSync(path.join(h, 'not-mounted'))).toBe(false); // never created by the probe
  });
});
