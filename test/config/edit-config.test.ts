/** getConfig / checkConfig / saveConfig: the Settings view's edits, validated like a station start, written atomically. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../src/contract/client.js';
import { readOnlyCommands } from '../../src/contract/commands.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { redactedSecret } from '../../src/config/secrets.js';
import { startStationServer } from '../../src/server/server.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { makeHome } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const s3Secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const monitorToken = 'monitor-token-0123456789abcdefghijklmnopq';
const withSecrets: StationConfigInput = {
  station: { id: 'copy-stand-1' },
  ingest: { stableWindowMs: 250, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 1 },
  server: { port: 0, monitorTokens: [monitorToken] },
  targets: [{ id: 'bucket', kind: 's3', bucket: 'museum-scans', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: s3Secret }],
};

async function station(config: StationConfigInput | string = withSecrets, fileName = 'station.json') {
  const home = makeHome();
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const file = path.join(home, fileName);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  const st = new Station(loadConfig({ home }));
  cleanup.push(() => st.stop());
  return { home, file, station: st, client: createLocalClient(createHandlers(st)) };
}

async function getConfig(client: ReturnType<typeof createLocalClient<ReturnType<typeof createHandlers>>>) {
  const reply = await client.getConfig({});
  if ('error' in reply) throw new Error(reply.error.message);
  return reply.result;
}

describe('getConfig', () => {
  it('gives every field with its value and the file it lives in, with secrets hidden', async () => {
    const { file, client } = await station();
    const got = await getConfig(client);
    expect(got.configFile).toBe(file);
    expect(got.writeTo).toBe(file);
    expect(got.format).toBe('json');
    expect(got.config.linking.template).toBe('{date}/{barcode}/{barcode}_{seq:03}{ext}');
    expect(got.config.sources?.[0]?.id).toBe('inbox');
    expect(got.profiles['default']?.exposure.failClippedPct).toBe(5);
    const text = JSON.stringify(got);
    expect(text).not.toContain(s3Secret);
    expect(text).not.toContain('AKIAEXAMPLE');
    expect(text).not.toContain(monitorToken);
    expect(got.config.targets[0]).toMatchObject({ secretAccessKey: redactedSecret });
    expect(readOnlyCommands.has('getConfig')).toBe(true);
    expect(readOnlyCommands.has('saveConfig')).toBe(false);
  });
});

describe('saveConfig', () => {
  it('names each bad field and writes nothing', async () => {
    const { file, home, client } = await station();
    const before = fs.readFileSync(file, 'utf8');
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.linking.template = '{date}/{nonsense}{ext}';
    edited.sources = [...edited.sources!, { ...edited.sources![0]!, path: 'Other' }];
    edited.upload.concurrency = 0;
    const reply = await client.saveConfig({ config: edited, revision: got.revision });
    if ('error' in reply) throw new Error(reply.error.message);
    expect(reply.result.saved).toBe(false);
    const errors = reply.result.saved ? {} : reply.result.errors;
    expect(Object.keys(errors).sort()).toEqual(['linking.template', 'upload.concurrency']);
    expect(errors['linking.template']).toMatch(/nonsense/);
    // Cross-checks run once the schema passes: the same id twice.
    edited.linking.template = '{barcode}{ext}';
    edited.upload.concurrency = 2;
    const dup = await client.checkConfig({ config: edited });
    expect('result' in dup && dup.result.errors).toEqual({ 'sources.1.id': expect.stringMatching(/used by another source/) });
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(home).filter((f) => f.endsWith('.bak') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('says at each field what to type, not zod\'s terms, and refuses a fail limit on the wrong side of its warn limit', async () => {
    const { client } = await station();
    const got = await getConfig(client);
    const check = async (edit: (c: typeof got.config) => void) => {
      const edited = structuredClone(got.config);
      edit(edited);
      const r = await client.checkConfig({ config: edited });
      if ('error' in r) throw new Error(r.error.message);
      return r.result.errors;
    };
    const errors = await check((c) => {
      c.upload.concurrency = 0;
      c.linking.expectedShots = 1.5;
    });
    expect(errors).toEqual({ 'upload.concurrency': 'Type a number of 1 or more.', 'linking.expectedShots': 'Type a whole number, without a decimal point (1.5 is not one).' });
    // A profile is checked once merged with the one it extends (after the rest passes).
    const profileErrors = await check((c) => {
      c.profiles = { default: { extends: 'default', exposure: { warnClippedPct: -1 }, nearDuplicate: { maxDistance: 2.5 } } } as never;
    });
    expect(profileErrors).toEqual({
      'profiles.default.exposure.warnClippedPct': 'Type a number of 0 or more.',
      'profiles.default.nearDuplicate.maxDistance': 'Type a whole number, without a decimal point (2.5 is not one).',
    });
    for (const message of Object.values({ ...errors, ...profileErrors })) expect(message).not.toMatch(/Too small|Invalid input|expected (number|int)/);
    // Fail above 2 % while warning above 3 %: a capture would fail before it ever warned.
    const limits = await check((c) => {
      c.profiles = { default: { extends: 'default', exposure: { warnClippedPct: 3, failClippedPct: 2 }, sharpness: { warnBelow: 0.01, failBelow: 0.05 } } } as never;
    });
    expect(limits).toEqual({
      'profiles.default.exposure.failClippedPct': 'The fail limit (2 %) is below the warn limit (3 %): type 3 or more here, or lower the warn limit.',
      'profiles.default.sharpness.failBelow': 'The fail limit (0.05) is above the warn limit (0.01): type 0.01 or less here, or raise the warn limit.',
    });
    expect(await check((c) => (c.profiles = { default: { extends: 'default', exposure: { warnClippedPct: 3, failClippedPct: 3 } } } as never))).toEqual({});
  });

  it('writes only the changed fields, keeps hidden secrets and the previous file as .bak, and says a restart applies it', async () => {
    const { file, home, client } = await station();
    const before = fs.readFileSync(file, 'utf8');
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.linking.template = '{project}/{barcode}/{barcode}_{seq:03}{ext}';
    edited.profiles = { default: { exposure: { failClippedPct: 2 } } };
    const reply = await client.saveConfig({ config: edited, revision: got.revision });
    expect(reply).toEqual({ result: { saved: true, file, backup: `${file}.bak`, changed: true, restartRequired: true } });
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe(before);
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(written).sort()).toEqual(['ingest', 'linking', 'profiles', 'server', 'station', 'targets']);
    expect(written['linking']).toEqual({ template: '{project}/{barcode}/{barcode}_{seq:03}{ext}' });
    expect(JSON.stringify(written)).toContain(s3Secret);
    expect(JSON.stringify(written)).toContain(monitorToken);
    const reloaded = loadConfig({ home });
    expect(reloaded.linking.template).toBe('{project}/{barcode}/{barcode}_{seq:03}{ext}');
    expect(reloaded.profiles['default']?.exposure.failClippedPct).toBe(2);
    expect(reloaded.profiles['default']?.exposure.warnClippedPct).toBe(0.5);
    // No temp file left behind; saving the same again changes nothing.
    expect(fs.readdirSync(home).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const again = await getConfig(client);
    expect(await client.saveConfig({ config: again.config, revision: again.revision })).toEqual({ result: { saved: true, file, backup: null, changed: false, restartRequired: false } });
    // The old revision is refused: someone else saved since it was read.
    const stale = await client.saveConfig({ config: edited, revision: got.revision });
    expect('error' in stale && stale.error.message).toMatch(/changed by someone else/);
  });

  it('refuses a hidden secret on a new target: it must be typed in', async () => {
    const { file, client } = await station();
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.targets = [...edited.targets, { ...edited.targets[0]!, id: 'bucket2' }];
    const reply = await client.saveConfig({ config: edited });
    expect('result' in reply && !reply.result.saved && Object.keys(reply.result.errors)).toEqual(['targets.1.accessKeyId', 'targets.1.secretAccessKey']);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('bucket2');
  });

  it('keeps the fields a partial edit leaves out, and removes only those it sets to null', async () => {
    const { file, home, client } = await station();
    // A client that sends one section: the station id, the target and its keys, the tokens stay.
    expect(await client.saveConfig({ config: { ui: { soundOnFail: false } } })).toMatchObject({ result: { saved: true, changed: true } });
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ station: { id: 'copy-stand-1' }, ui: { soundOnFail: false }, server: { monitorTokens: [monitorToken] } });
    expect(JSON.stringify(written)).toContain(s3Secret);
    // null removes a field (its default applies again).
    expect(await client.saveConfig({ config: { ui: null } })).toMatchObject({ result: { saved: true, changed: true } });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).not.toHaveProperty('ui');
    expect(loadConfig({ home }).stationId).toBe('copy-stand-1');
  });

  it('judges an edit by the paths a restart would use: a path removed lies at its default again', async () => {
    const { file, home, client } = await station({ paths: { library: 'Shelf' }, sources: [{ id: 'cam', path: 'Cam' }] });
    const before = fs.readFileSync(file, 'utf8');
    // Without paths.library a restart files into <home>/Library, around the hot folder moved there.
    const reply = await client.saveConfig({ config: { paths: { library: null }, sources: [{ id: 'cam', path: 'Library/Cam' }] } });
    expect(reply).toEqual({ result: { saved: false, errors: { 'paths.library': expect.stringContaining(`the library ${path.join(home, 'Library')} is around the hot folder of source "cam"`) } } });
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('of two saves from the same revision at once, writes the first and refuses the second', async () => {
    const { file, client } = await station();
    const got = await getConfig(client);
    const a = structuredClone(got.config);
    a.linking.template = '{barcode}/A{ext}';
    const b = structuredClone(got.config);
    b.linking.template = '{barcode}/B{ext}';
    const [first, second] = await Promise.all([client.saveConfig({ config: a, revision: got.revision }), client.saveConfig({ config: b, revision: got.revision })]);
    expect(first).toMatchObject({ result: { saved: true } });
    expect('error' in second && second.error.message).toMatch(/changed by someone else/);
    expect(fs.readFileSync(file, 'utf8')).toContain('{barcode}/A{ext}');
  });

  it('revokes the monitor token that was removed, not the one that sat at its place', async () => {
    const second = 'second-monitor-token-0123456789abcdefghij';
    const { file, client } = await station({ ...withSecrets, server: { port: 0, monitorTokens: [monitorToken, second] } });
    const got = await getConfig(client);
    const hidden = got.config.server.monitorTokens;
    expect(hidden).toHaveLength(2);
    expect(hidden.join(' ')).not.toContain('monitor-token');
    const edited = structuredClone(got.config);
    edited.server.monitorTokens = [hidden[1]!]; // the first token leaked: remove it
    expect(await client.saveConfig({ config: edited })).toMatchObject({ result: { saved: true } });
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { server: { monitorTokens: string[] } }).server.monitorTokens).toEqual([second]);
  });

  it('does not let a hidden secret follow its target to another endpoint: it must be typed in again', async () => {
    const { file, client } = await station();
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.targets = [{ ...edited.targets[0]!, endpoint: 'https://s3.elsewhere.example' } as (typeof edited.targets)[number]];
    const reply = await client.saveConfig({ config: edited });
    expect('result' in reply && !reply.result.saved && Object.keys(reply.result.errors)).toEqual(['targets.0.accessKeyId', 'targets.0.secretAccessKey']);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('elsewhere');
  });

  it('keeps a YAML file YAML, with its comments', async () => {
    const yaml = ['# Copy stand 2 — ask Anna before changing', 'station:', '  id: stand-2 # printed on the rig', 'ingest:', '  rescanIntervalSec: 0', 'server:', '  port: 0', ''].join('\n');
    const { file, client } = await station(yaml, 'station.yaml');
    const got = await getConfig(client);
    expect(got.format).toBe('yaml');
    const edited = structuredClone(got.config);
    edited.linking.views = ['front', 'back'];
    edited.linking.expectedShots = 2;
    const reply = await client.saveConfig({ config: edited, revision: got.revision });
    expect('result' in reply && reply.result.saved).toBe(true);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# Copy stand 2 — ask Anna before changing');
    expect(text).toContain('id: stand-2 # printed on the rig');
    expect(text).toMatch(/linking:\n {2}views:\n {4}- front\n {4}- back\n {2}expectedShots: 2/);
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe(yaml);
  });

  it('with no config file, writes station.json in the station home', async () => {
    const home = makeHome();
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const st = new Station(loadConfig({ home }));
    cleanup.push(() => st.stop());
    const client = createLocalClient(createHandlers(st));
    const got = await getConfig(client);
    expect(got.configFile).toBeNull();
    expect(got.writeTo).toBe(path.join(home, 'station.json'));
    const edited = structuredClone(got.config);
    edited.linking.enabled = true;
    const reply = await client.saveConfig({ config: edited });
    expect(reply).toEqual({ result: { saved: true, file: path.join(home, 'station.json'), backup: null, changed: true, restartRequired: true } });
    expect(JSON.parse(fs.readFileSync(path.join(home, 'station.json'), 'utf8'))).toEqual({ linking: { enabled: true } });
  });

  it('over HTTP: a monitor token may read the config (secrets hidden) but not save it', async () => {
    const { station: st, file } = await station();
    const operator = 'operator-token-0123456789abcdefghijklmnop';
    const server = await startStationServer({ handlers: createHandlers(st), events: st, host: '127.0.0.1', port: 0, operatorToken: operator, monitorTokens: [monitorToken], uiDir: null });
    cleanup.push(() => server.close());
    const post = (command: string, body: object, token: string) =>
      fetch(`http://127.0.0.1:${server.port}/api/${command}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const read = await post('getConfig', {}, monitorToken);
    expect(read.status).toBe(200);
    const text = await read.text();
    expect(text).not.toContain(s3Secret);
    const { result } = JSON.parse(text) as { result: { config: Record<string, unknown> } };
    const before = fs.readFileSync(file, 'utf8');
    const save = await post('saveConfig', { config: { ...result.config, linking: { enabled: true } } }, monitorToken);
    expect(save.status).toBe(403);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('credentials inside endpoint URLs', () => {
  const password = 'pw-Zq81xK0v';
  const token = 'tok-7f3a9c21e8';
  const signature = 'sig-0b1c2d3e4f';
  const endpoint = `https://anna:${password}@uploads.example.org/files/?token=${token}&X-Amz-Signature=${signature}&bucket=scans`;
  const withUrlSecrets: StationConfigInput = {
    ...withSecrets,
    targets: [...withSecrets.targets!, { id: 'tus', kind: 'tus', endpoint, headers: { Authorization: 'Bearer header-secret-42' } }],
  };
  const secretsOf = [password, token, signature, 'anna'];

  it('getConfig hides the userinfo and secret query values in place, keeping host, path and the other parameters', async () => {
    const { client } = await station(withUrlSecrets);
    const got = await getConfig(client);
    const text = JSON.stringify(got);
    for (const secret of secretsOf) expect(text).not.toContain(secret);
    expect(got.config.targets[1]).toMatchObject({ endpoint: `https://${redactedSecret}:${redactedSecret}@uploads.example.org/files/?token=${redactedSecret}&X-Amz-Signature=${redactedSecret}&bucket=scans` });
  });

  it('saveConfig puts them back: an unchanged URL stays byte for byte, an edited query keeps them', async () => {
    const { file, client } = await station(withUrlSecrets);
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.linking.template = '{barcode}/{barcode}_{seq:03}{ext}';
    expect(await client.saveConfig({ config: edited, revision: got.revision })).toMatchObject({ result: { saved: true, changed: true } });
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { targets: { endpoint?: string; headers?: Record<string, string> }[] };
    expect(written.targets[1]?.endpoint).toBe(endpoint);
    // A non-secret parameter changed; host and path did not, so the credentials (and the header) stay.
    const again = await getConfig(client);
    const moved = structuredClone(again.config);
    const tus = moved.targets[1] as { endpoint: string };
    tus.endpoint = tus.endpoint.replace('bucket=scans', 'bucket=scans-2025');
    expect(await client.saveConfig({ config: moved, revision: again.revision })).toMatchObject({ result: { saved: true, changed: true } });
    const rewritten = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof written;
    expect(rewritten.targets[1]?.endpoint).toBe(endpoint.replace('bucket=scans', 'bucket=scans-2025'));
    expect(rewritten.targets[1]?.headers).toEqual({ Authorization: 'Bearer header-secret-42' });
    expect(loadConfig({ home: path.dirname(file) }).targets[1]).toMatchObject({ endpoint: endpoint.replace('bucket=scans', 'bucket=scans-2025') });
  });

  it('a URL moved to another host (or path) loses its hidden credentials, with an error saying to type them in again', async () => {
    const { file, client } = await station(withUrlSecrets);
    const before = fs.readFileSync(file, 'utf8');
    for (const change of [(u: string) => u.replace('uploads.example.org', 'uploads.elsewhere.example'), (u: string) => u.replace('/files/', '/other/')]) {
      const got = await getConfig(client);
      const edited = structuredClone(got.config);
      const tus = edited.targets[1] as { endpoint: string };
      tus.endpoint = change(tus.endpoint);
      const reply = await client.saveConfig({ config: edited, revision: got.revision });
      const errors = 'result' in reply && !reply.result.saved ? reply.result.errors : {};
      expect(Object.keys(errors)).toEqual(['targets.1.endpoint', 'targets.1.headers.Authorization']);
      expect(errors['targets.1.endpoint']).toMatch(/credentials in this URL are hidden.*another host or path.*type them in again/);
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
    }
    // Typed in again at the new host, it saves (the header too, as it is typed in).
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.targets[1] = { ...edited.targets[1]!, endpoint: `https://anna:new-${password}@uploads.elsewhere.example/files/`, headers: { Authorization: 'Bearer new' } } as (typeof edited.targets)[number];
    expect(await client.saveConfig({ config: edited, revision: got.revision })).toMatchObject({ result: { saved: true } });
    expect(fs.readFileSync(file, 'utf8')).toContain(`https://anna:new-${password}@uploads.elsewhere.example/files/`);
  });

  it('a new target cannot inherit a hidden URL credential', async () => {
    const { client } = await station(withUrlSecrets);
    const got = await getConfig(client);
    const edited = structuredClone(got.config);
    edited.targets = [...edited.targets, { ...edited.targets[1]!, id: 'tus2', headers: {} } as (typeof edited.targets)[number]];
    const reply = await client.checkConfig({ config: edited });
    expect('result' in reply && Object.keys(reply.result.errors)).toEqual(['targets.2.endpoint']);
  });
});
