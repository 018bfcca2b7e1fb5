/** The Settings view: the draft's edits, and the form rendered with the station's own field errors. */
import fs from 'node:fs';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { notNumbers, numberFromInput, numberPaths, setIn, setThreshold, thresholdValue, type ConfigForEdit, type EditableConfig, type FieldErrors } from '../../renderer/app/settings-state.js';
import { SettingsPanel, type SettingsPanelProps } from '../../renderer/components/SettingsView.js';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { makeHome } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real station's config for editing, and its checkConfig. */
async function stationConfig() {
  const home = makeHome({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 }, sources: [{ id: 'camera', path: 'Inbox', profile: 'fadgi-3star' }], targets: [{ id: 'nas', kind: 'folder', path: 'nas', mountCheck: false }] });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const station = new Station(loadConfig({ home }));
  cleanup.push(() => station.stop());
  const client = createLocalClient(createHandlers(station));
  const reply = await client.getConfig({});
  if ('error' in reply) throw new Error(reply.error.message);
  const check = async (draft: EditableConfig): Promise<FieldErrors> => {
    const r = await client.checkConfig({ config: draft });
    if ('error' in r) throw new Error(r.error.message);
    return r.result.errors;
  };
  return { data: reply.result, check };
}

function render(data: ConfigForEdit, over: Partial<SettingsPanelProps> = {}): string {
  return renderToStaticMarkup(
    createElement(SettingsPanel, { data, draft: data.config, errors: {}, dirty: false, checking: false, saving: false, notice: null, onChange: () => undefined, onSave: () => undefined, onRevert: () => undefined, ...over }),
  );
}

const saveButton = (html: string) => /<button type="button" class="button button--strong"([^>]*)>Save<\/button>/.exec(html)?.[1] ?? 'no Save button';

describe('settings draft', () => {
  it('edits by path without touching the original, and turns typed text into numbers only when it is one', () => {
    const before = { linking: { views: ['front'] }, sources: [{ id: 'a' }] };
    const after = setIn(before, ['sources', 0, 'id'], 'b');
    expect(after).toEqual({ linking: { views: ['front'] }, sources: [{ id: 'b' }] });
    expect(before.sources[0]?.id).toBe('a');
    expect(after.linking).toBe(before.linking);
    expect(numberFromInput(' 2,5 ')).toBe(2.5);
    expect(numberFromInput('12')).toBe(12);
    expect(numberFromInput('12x')).toBe('12x');
    expect(numberFromInput('')).toBe('');
  });

  it("writes a threshold as an override of the source's profile; a preset extends itself", async () => {
    const { data } = await stationConfig();
    expect(thresholdValue(data, data.config, 'fadgi-3star', 'minPpi', 'ppi')).toBe(400);
    const draft = setThreshold(data.config, data.presets, 'fadgi-3star', 'minPpi', 'ppi', 600);
    expect(draft.profiles['fadgi-3star']).toEqual({ extends: 'fadgi-3star', minPpi: { ppi: 600 } });
    expect(thresholdValue(data, draft, 'fadgi-3star', 'minPpi', 'ppi')).toBe(600);
    expect(data.config.profiles).toEqual({});
    const typo = setThreshold(draft, data.presets, 'fadgi-3star', 'exposure', 'failClippedPct', 'five');
    expect(notNumbers(typo, numberPaths(typo))).toEqual({ 'profiles.fadgi-3star.exposure.failClippedPct': 'type a number, e.g. 5 or 0.5' });
  });
});

describe('settings form', () => {
  it('shows sources, the QC thresholds of their profile, naming, linking and targets from the core', async () => {
    const { data } = await stationConfig();
    const html = render(data);
    expect(html).toContain(data.writeTo);
    expect(html).toMatch(/id="setting-sources-0-id"[^>]*value="camera"/);
    expect(html).toMatch(/<h3 class="settings__profile-name">fadgi-3star/);
    expect(html).toMatch(/id="setting-profiles-fadgi-3star-minPpi-ppi"[^>]*value="400"/);
    expect(html).toMatch(/id="setting-linking-template"[^>]*value="\{date\}\/\{barcode\}\/\{barcode\}_\{seq:03\}\{ext\}"/);
    expect(html).toMatch(/id="setting-targets-0-path"[^>]*value="nas"/);
    // Nothing changed yet: nothing to save.
    expect(saveButton(html)).toContain('disabled');
  });

  it("shows the station's error at the field it is about, and keeps Save disabled while any remains", async () => {
    const { data, check } = await stationConfig();
    let draft = setIn(data.config, ['linking', 'template'], '{date}/{nonsense}{ext}');
    draft = setIn(draft, ['sources', 0, 'path'], '');
    const errors = await check(draft);
    expect(Object.keys(errors).sort()).toEqual(['linking.template', 'sources.0.path']);
    const html = render(data, { draft, errors, dirty: true });
    // The message sits in the template's own field, right under its input, which points at it.
    const field = /<div class="field" data-invalid="true"><label class="field__label" for="setting-linking-template">.*?<\/div>/s.exec(html)?.[0] ?? '';
    expect(field).toMatch(/<input id="setting-linking-template"[^>]*aria-invalid="true"[^>]*aria-describedby="setting-linking-template-error"/);
    expect(field).toMatch(/<p id="setting-linking-template-error" class="field__error"[^>]*><span aria-hidden="true">✕<\/span> <strong>Fix:<\/strong> [^<]*nonsense/);
    expect(html).toMatch(/id="setting-sources-0-path-error"/);
    expect(html).toContain('2 problems to fix before saving');
    expect(saveButton(html)).toContain('disabled');
    // Fixed: Save is offered — once the station has checked the change.
    const fixed = setIn(setIn(draft, ['linking', 'template'], '{barcode}_{seq:03}{ext}'), ['sources', 0, 'path'], 'Inbox');
    expect(await check(fixed)).toEqual({});
    expect(saveButton(render(data, { draft: fixed, errors: {}, dirty: true, checking: true }))).toContain('disabled');
    expect(saveButton(render(data, { draft: fixed, errors: {}, dirty: true }))).not.toContain('disabled');
  });

  it("shows a monitor's screen the settings with every field disabled, no Save or Undo, and a read-only note instead", async () => {
    const { data } = await stationConfig();
    const html = render(data, { readOnly: true });
    expect(html).toMatch(/id="setting-sources-0-id"[^>]*value="camera"/);
    expect(html).not.toContain('>Save<');
    expect(html).not.toContain('Undo changes');
    expect(html).toMatch(/<strong>Read-only monitor<\/strong>: settings are changed on the operator&#x27;s screen\./);
    // A disabled fieldset disables every control inside it: all of them are inside.
    const locked = html.indexOf('<fieldset class="settings__lock" disabled="">');
    expect(locked).toBeGreaterThan(0);
    const controls = [...html.matchAll(/<(input|select|button|textarea)\b/g)].map((m) => m.index);
    expect(controls.length).toBeGreaterThan(10);
    for (const at of controls) expect(at).toBeGreaterThan(locked);
    expect(render(data)).toContain('<fieldset class="settings__lock">');
  });
});
