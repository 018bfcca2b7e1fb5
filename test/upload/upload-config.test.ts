import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { StationError } from '../../src/errors.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-upcfg-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const env = { platform: 'linux' as const, homedir: '/home/tech', env: { HOSTNAME: 'rig-01' } };

function problemsOf(config: unknown): { field: string; problem: string }[] {
  fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify(config));
  try {
    loadConfig({ home, environment: env });
  } catch (err) {
    expect(err).toBeInstanceOf(StationError);
    return ((err as StationError).details as { problems: { field: string; problem: string }[] }).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('upload config', () => {
  it('has no targets and sane upload defaults without a config', () => {
    const config = loadConfig({ home, environment: env });
    expect(config.targets).toEqual([]);
    expect(config.upload).toEqual({ concurrency: 2, bandwidthBytesPerSec: 0, leaseSec: 60, backoff: { baseMs: 2000, maxMs: 600_000 }, maxAttempts: 20, probeIntervalSec: 15 });
  });

  it('resolves a folder target against the home and fills its defaults', () => {
    fs.writeFileSync(path.join(home, 'station.yaml'), ['targets:', '  - { id: nas, kind: folder, path: Share }', '  - { id: osprey, kind: folder, path: /mnt/osprey, when: all, required: false, layout: osprey }', 'upload: { backoff: { baseMs: 500 } }'].join('\n'));
    const config = loadConfig({ home, environment: env });
    expect(config.targets).toEqual([
      { id: 'nas', kind: 'folder', path: path.join(home, 'Share'), when: 'passed', required: true, layout: 'mirror', mountCheck: true },
      { id: 'osprey', kind: 'folder', path: '/mnt/osprey', when: 'all', required: false, layout: 'osprey', mountCheck: true },
    ]);
    expect(config.upload.backoff).toEqual({ baseMs: 500, maxMs: 600_000 });
  });

  it('names every wrong target and upload field', () => {
    const problems = problemsOf({
      targets: [
        { id: 'a', kind: 'ftp', path: 'x' },
        { id: 'b', kind: 'folder', path: 'y', when: 'sometimes', layot: 'osprey' },
        { id: 'b', kind: 'folder', path: 'Inbox/out' },
      ],
      upload: { concurrency: 0, bandwidthBytesPerSec: -1, backoff: { baseMs: 'fast' }, retries: 3 },
    });
    const byField = Object.fromEntries(problems.map((p) => [p.field, p.problem]));
    expect(byField['targets.0.kind']).toMatch(/folder/);
    expect(byField['targets.1.when']).toMatch(/passed.*all/);
    expect(byField['targets.1']).toMatch(/unknown field "layot"/);
    expect(byField['upload.concurrency']).toBeTruthy();
    expect(byField['upload.bandwidthBytesPerSec']).toBeTruthy();
    expect(byField['upload.backoff.baseMs']).toBeTruthy();
    expect(byField['upload']).toMatch(/unknown field "retries"/);
  });

  it('refuses duplicate target ids and a target inside a hot folder', () => {
    const problems = problemsOf({ targets: [{ id: 'b', kind: 'folder', path: 'y' }, { id: 'b', kind: 'folder', path: 'Inbox/out' }] });
    expect(problems.map((p) => p.field)).toEqual(['targets.1.id', 'targets.1.path']);
    expect(problems[1]?.problem).toMatch(/overlaps the hot folder of source "inbox"/);
  });

  it('refuses a folder target reached through a symbolic link into a hot folder, and two targets that are one folder through a link', () => {
    fs.mkdirSync(path.join(home, 'Inbox', 'arch'), { recursive: true });
    fs.symlinkSync(path.join(home, 'Inbox', 'arch'), path.join(home, 'archalias'));
    fs.symlinkSync(home, path.join(home, 'homealias'));
    fs.mkdirSync(path.join(home, 'Share'));
    fs.symlinkSync(path.join(home, 'Share'), path.join(home, 'share-alias'));
    const problems = problemsOf({
      targets: [
        { id: 'n', kind: 'folder', path: 'archalias', mountCheck: false, when: 'all' },
        { id: 'up', kind: 'folder', path: 'homealias', mountCheck: false },
        { id: 'nas', kind: 'folder', path: 'Share', mountCheck: false },
        { id: 'backup', kind: 'folder', path: 'share-alias', mountCheck: false },
      ],
    });
    const inbox = fs.realpathSync(path.join(home, 'Inbox'));
    expect(problems).toEqual([
      { field: 'targets.0.path', problem: `${path.join(home, 'archalias')} (really ${path.join(inbox, 'arch')}) overlaps the hot folder of source "inbox" (${path.join(home, 'Inbox')}); uploads would be ingested again. Use a folder outside every source` },
      { field: 'targets.1.path', problem: expect.stringMatching(/homealias \(really .*\) overlaps the hot folder of source "inbox"/) },
      { field: 'targets.3.path', problem: expect.stringMatching(/targets "nas" and "backup" are both the folder .*share-alias \(really .*Share\); one copy there is not two/) },
    ]);
  });

  it('refuses two folder targets on one folder, naming both, and free-space thresholds in the wrong order', () => {
    const shared = problemsOf({
      targets: [
        { id: 'nas', kind: 'folder', path: 'Share' },
        { id: 'backup', kind: 'folder', path: './Share/' },
      ],
    });
    expect(shared).toEqual([{ field: 'targets.1.path', problem: expect.stringMatching(/targets "nas" and "backup" are both the folder .*Share; one copy there is not two/) }]);
    const order = problemsOf({ retention: { warnFreeGB: 5, criticalFreeGB: 20 } });
    expect(order).toEqual([{ field: 'retention.warnFreeGB', problem: expect.stringMatching(/warnFreeGB \(5\) is below criticalFreeGB \(20\)/) }]);
    expect(problemsOf({ retention: { warnFreeGB: 10, criticalFreeGB: 10 }, station: 'x' }).map((p) => p.field)).toEqual(['station']);
  });

  it('takes s3 and tus targets with their defaults', () => {
    fs.writeFileSync(
      path.join(home, 'station.yaml'),
      [
        'targets:',
        '  - { id: minio, kind: s3, endpoint: "http://127.0.0.1:9000", bucket: scans, prefix: rig/, forcePathStyle: true }',
        '  - { id: tusd, kind: tus, endpoint: "https://uploads.example.org/files/", headers: { Authorization: Bearer x } }',
      ].join('\n'),
    );
    const config = loadConfig({ home, environment: env });
    expect(config.targets).toEqual([
      { id: 'minio', kind: 's3', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'scans', prefix: 'rig/', forcePathStyle: true, multipartThresholdBytes: 64 * 1024 * 1024, partSizeBytes: 16 * 1024 * 1024, when: 'passed', required: true },
      { id: 'tusd', kind: 'tus', endpoint: 'https://uploads.example.org/files/', headers: { Authorization: 'Bearer x' }, chunkSizeBytes: 32 * 1024 * 1024, when: 'passed', required: true },
    ]);
  });

  it('names what is wrong with s3 and tus targets', () => {
    const problems = problemsOf({
      targets: [
        { id: 's', kind: 's3', bucket: 'Bad_Bucket', partSizeBytes: 1024, accessKeyId: 'AKIA' },
        { id: 't', kind: 'tus', endpoint: 'ftp://x', path: 'y' },
      ],
    });
    const byField = Object.fromEntries(problems.map((p) => [p.field, p.problem]));
    expect(byField['targets.0.bucket']).toMatch(/bucket name/);
    expect(byField['targets.0.partSizeBytes']).toMatch(/5 MiB/);
    expect(byField['targets.0.secretAccessKey']).toMatch(/both accessKeyId and secretAccessKey, or neither/);
    expect(byField['targets.1.endpoint']).toMatch(/http\(s\) URL/);
    expect(byField['targets.1']).toMatch(/unknown field "path"/);
  });
});
