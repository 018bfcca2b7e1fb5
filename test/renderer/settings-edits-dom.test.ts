// @vitest-environment happy-dom
/**
 * The Settings view and a config with secrets in it (S3 keys, a tus header), mounted in a DOM
 * against a real station's config commands: a target whose other fields change keeps its hidden
 * keys; one moved to another server asks for them again at their fields, which are there to type
 * into. And a field typed into and put back (as the scan bar does after a scanner's burst) is no change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement, Fragment, type ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScanBar } from '../../renderer/components/ScanBar.js';
import { SettingsView } from '../../renderer/components/SettingsView.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { $, button, click, mount, press, typeInto, unmountAll, until } from '../helpers/dom.js';
import { makeHome } from '../helpers/station-home.js';

const keyId = 'AKIAEXAMPLEKEYID0001';
const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const bearer = 'Bearer tus-header-secret-42';
const config: StationConfigInput = {
  station: { id: 'stand-1' },
  ingest: { rescanIntervalSec: 0 },
  targets: [
    { id: 'nas', kind: 'folder', path: 'nas', mountCheck: false },
    { id: 'bucket', kind: 's3', bucket: 'museum-scans', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', accessKeyId: keyId, secretAccessKey: secret },
    { id: 'archive', kind: 'tus', endpoint: 'https://tus.museum.example/files/', headers: { Authorization: bearer } },
  ],
};

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** The Settings view on a real station's config (with `beside` it in the page, say the scan bar). */
async function mountSettings(beside?: ReactElement) {
  const home = makeHome(config);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const station = new Station(loadConfig({ home }));
  cleanup.push(() => station.stop());
  await mount(createElement(Fragment, null, beside, createElement(SettingsView, { client: createLocalClient(createHandlers(station)) })));
  await until(() => document.querySelector('#setting-targets-1-endpoint') !== null, 'the settings loaded');
  const file = path.join(home, 'station.json');
  return { file, written: () => JSON.parse(fs.readFileSync(file, 'utf8')) as { targets: Record<string, unknown>[] } };
}

const input = (id: string) => $<HTMLInputElement>(`#${id}`);
const state = () => $('#settings-save-state').textContent ?? '';
const saveButton = () => button(/^Save$/);
const errorAt = (id: string) => document.querySelector(`#${id}-error`)?.textContent ?? '';

async function choose(select: HTMLSelectElement, value: string): Promise<void> {
  await act(async () => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

async function save(): Promise<void> {
  await until(() => !saveButton().disabled, 'Save offered once the station accepts the edit');
  await click(saveButton());
  await until(() => document.querySelector('.settings__saved') !== null, 'the saved notice');
}

describe('Settings: secrets', () => {
  it('shows each secret as an empty password field that keeps the hidden value, and keeps it when other fields of its target change', async () => {
    const { file, written } = await mountSettings();
    for (const id of ['setting-targets-1-accessKeyId', 'setting-targets-1-secretAccessKey', 'setting-targets-2-headers-Authorization']) {
      expect(input(id).type).toBe('password');
      expect(input(id).value).toBe('');
      expect(input(id).closest('.field')?.textContent).toContain('hidden: leave empty to keep it');
    }
    // No session token in the file: no field for one.
    expect(document.querySelector('#setting-targets-1-sessionToken')).toBeNull();
    // No secret reached the page.
    for (const s of [keyId, secret, bearer]) expect(document.body.innerHTML).not.toContain(s);

    await choose($<HTMLSelectElement>('#setting-targets-1-when'), 'all');
    await choose($<HTMLSelectElement>('#setting-targets-2-when'), 'all');
    await save();
    expect(written().targets[1]).toMatchObject({ when: 'all', accessKeyId: keyId, secretAccessKey: secret });
    expect(written().targets[2]).toMatchObject({ when: 'all', headers: { Authorization: bearer } });
    expect(fs.readFileSync(file, 'utf8')).toContain(secret);
  });

  it('asks at their fields for the keys of a target moved to another server, and saves the ones typed there', async () => {
    const { file, written } = await mountSettings();
    await typeInto(input('setting-targets-1-endpoint'), 'http://127.0.0.1:9001');
    await typeInto(input('setting-targets-2-endpoint'), 'https://tus.elsewhere.example/files/');
    await until(() => /problems to fix/.test(state()), "the station's answer");
    // The old keys do not follow the target to a new server: each is asked for where it is typed.
    for (const id of ['setting-targets-1-accessKeyId', 'setting-targets-1-secretAccessKey', 'setting-targets-2-headers-Authorization']) {
      expect(errorAt(id)).toContain('this secret is hidden; type it in again');
      expect(input(id).getAttribute('aria-describedby')).toBe(`${id}-error`);
    }
    expect(state()).toContain('3 problems to fix');
    expect(saveButton().disabled).toBe(true);

    await typeInto(input('setting-targets-1-accessKeyId'), 'AKIANEWKEY0000000002');
    await typeInto(input('setting-targets-1-secretAccessKey'), 'new-secret-for-9001');
    await typeInto(input('setting-targets-2-headers-Authorization'), 'Bearer new-tus-token');
    await until(() => errorAt('setting-targets-1-accessKeyId') === '' && errorAt('setting-targets-2-headers-Authorization') === '', 'the typed keys accepted');
    await save();
    expect(written().targets[1]).toMatchObject({ endpoint: 'http://127.0.0.1:9001', accessKeyId: 'AKIANEWKEY0000000002', secretAccessKey: 'new-secret-for-9001' });
    expect(written().targets[2]).toMatchObject({ endpoint: 'https://tus.elsewhere.example/files/', headers: { Authorization: 'Bearer new-tus-token' } });
    const text = fs.readFileSync(file, 'utf8');
    for (const old of [keyId, secret, bearer]) expect(text).not.toContain(old);
  });

  it('asks for the keys of a renamed target too: a hidden key follows only its own target', async () => {
    await mountSettings();
    await typeInto(input('setting-targets-1-id'), 'bucket-main');
    await until(() => errorAt('setting-targets-1-accessKeyId') !== '', "the station's answer");
    expect(errorAt('setting-targets-1-accessKeyId')).toContain('this secret is hidden; type it in again');
    expect(input('setting-targets-1-accessKeyId').placeholder).toBe('type it in');
    expect(saveButton().disabled).toBe(true);
    // Named back: the keys are kept again, and nothing is left to save.
    await typeInto(input('setting-targets-1-id'), 'bucket');
    await until(() => errorAt('setting-targets-1-accessKeyId') === '', 'the error gone with the change');
    expect(state()).toBe('');
  });

  it('removes the keys with Remove (the environment’s credentials then apply), and Keep brings them back', async () => {
    const { written } = await mountSettings();
    await click(button('Remove', $('[data-testid="target-1"]')));
    expect(input('setting-targets-1-accessKeyId').closest('.field')?.textContent).toContain('removed when you save');
    await click($('button[aria-label="Keep Access key ID"]'));
    expect(input('setting-targets-1-accessKeyId').closest('.field')?.textContent).toContain('hidden: leave empty to keep it');
    expect(saveButton().disabled).toBe(true);
    await click($('button[aria-label="Remove Access key ID"]'));
    await click($('button[aria-label="Remove Secret access key"]'));
    await save();
    expect(written().targets[1]).not.toHaveProperty('accessKeyId');
    expect(written().targets[1]).not.toHaveProperty('secretAccessKey');
    expect(written().targets[1]).toMatchObject({ id: 'bucket', endpoint: 'http://127.0.0.1:9000' });
  });
});

describe('Settings: a change is a value that differs from the loaded config', () => {
  it('is not changed by a scanner burst into a settings field, which the scan bar puts back', async () => {
    const onScan = vi.fn(async () => ({ said: '' }));
    // The page's key clock, driven by the keys' own times: 12 ms apart is a scanner.
    let clock = 1_000_000;
    await mountSettings(createElement(ScanBar, { object: null, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan, now: () => clock }));
    const field = input('setting-linking-template');
    const before = field.value;
    field.focus();
    for (const key of [...'NHM-000123', 'Enter']) {
      clock += 12;
      await press(key, { timeStamp: clock });
    }
    await until(() => onScan.mock.calls.length === 1, 'the burst sent as a scan');
    expect(onScan).toHaveBeenCalledWith('NHM-000123', undefined);
    expect(field.value).toBe(before);
    expect(state()).toBe('');
    expect(saveButton().disabled).toBe(true);
    expect(button('Undo changes').disabled).toBe(true);
  });

  it('is not changed by a field typed into and back, a threshold included; an error of the typed value goes with it', async () => {
    const { written } = await mountSettings();
    const template = input('setting-linking-template');
    const before = template.value;
    await typeInto(template, '{date}/{nonsense}{ext}');
    expect(state()).toMatch(/Checking|Unsaved/);
    await until(() => errorAt('setting-linking-template') !== '', "the station's error at the field");
    await typeInto(template, before);
    expect(state()).toBe('');
    expect(errorAt('setting-linking-template')).toBe('');
    expect(saveButton().disabled).toBe(true);

    // A threshold is written as an override of its profile: typed back to its value, the override goes too.
    const ppi = document.querySelector<HTMLInputElement>('[id^="setting-profiles-"][id$="-minPpi-ppi"]')!;
    const ppiBefore = ppi.value;
    await typeInto(ppi, String(Number(ppiBefore) + 100));
    expect(state()).toMatch(/Checking|Unsaved/);
    await typeInto(ppi, ppiBefore);
    expect(ppi.value).toBe(ppiBefore);
    expect(state()).toBe('');
    expect(saveButton().disabled).toBe(true);

    // A real change still is one.
    await typeInto(template, '{barcode}_{seq:03}{ext}');
    await until(() => state() === '● Unsaved changes.', 'the change offered for saving');
    await save();
    // Only the template is written: no override of a threshold that was typed back.
    const saved = written() as unknown as Record<string, unknown>;
    expect(saved['linking']).toEqual({ template: '{barcode}_{seq:03}{ext}' });
    expect(saved).not.toHaveProperty('profiles');
  });
});

describe('Settings: the symbologies read in images', () => {
  it('ticks and unticks symbologies, none ticked is the station\'s error at the list, and a save writes them in the list\'s order', async () => {
    const { written } = await mountSettings();
    const box = (name: string) => $<HTMLInputElement>(`#setting-linking-imageFormats input[value="${name}"]`);
    expect(['Code128', 'Code39', 'DataMatrix', 'QRCode', 'EAN13', 'UPCA'].every((n) => box(n).checked)).toBe(true);
    expect(box('ITF').checked).toBe(false);
    for (const name of ['Code128', 'Code39', 'DataMatrix', 'QRCode', 'EAN13', 'UPCA']) await click(box(name));
    await until(() => errorAt('setting-linking-imageFormats') !== '', "the station's error at the list");
    expect(errorAt('setting-linking-imageFormats')).toMatch(/List at least one symbology/);
    expect($('#setting-linking-imageFormats').getAttribute('aria-invalid')).toBe('true');
    expect(saveButton().disabled).toBe(true);
    for (const name of ['EAN13', 'Code128']) await click(box(name));
    await save();
    expect((written() as unknown as { linking: unknown }).linking).toEqual({ imageFormats: ['Code128', 'EAN13'] });
  });
});
