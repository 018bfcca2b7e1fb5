/** The Settings view: the draft's edits, and the form rendered with the station's own field errors. */
import fs from 'node:fs';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { notNumbers, numberFromInput, numberPaths, setIn, setThreshold, thresholdValue, type ConfigForEdit, type EditableConfig, type FieldErrors } from '../../renderer/app/settings-state.js';
import { fieldId } from '../../renderer/components/SettingsField.js';
import { SettingsPanel, type SettingsPanelProps } from '../../renderer/components/SettingsView.js';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { linkingSchema, sourceSchema } from '../../src/config/schema.js';
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

/** The leaf fields of a config schema, as paths (objects walked into; defaults, prefaults and optionals unwrapped). */
function schemaLeaves(schema: z.ZodType, at: (string | number)[]): (string | number)[][] {
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } } })._zod.def;
  if (def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(def.type)) return schemaLeaves(def.innerType, at);
  if (def.type === 'object' && def.shape) return Object.entries(def.shape).flatMap(([k, v]) => schemaLeaves(v, [...at, k]));
  return [at];
}

describe('settings form: linking and profile fields', () => {
  it("takes a rig's own views and shots, and a symbology's code template; each refused at its field, each removed again when emptied", async () => {
    const { data, check } = await stationConfig();
    const at = (html: string, path: (string | number)[]) => new RegExp(`<p id="${fieldId(path)}-error" class="field__error"[^>]*><span aria-hidden="true">✕</span> <strong>Fix:</strong> ([^<]*)</p>`).exec(html)?.[1];
    let draft = setIn(data.config, ['sources', 0, 'views'], ['dorsal', 'x'.repeat(41)]);
    draft = setIn(draft, ['sources', 0, 'expectedShots'], -1);
    draft = setIn(draft, ['linking', 'imageCodeTemplates', 'EAN13'], 'BR');
    const errors = await check(draft);
    expect(Object.keys(errors).sort()).toEqual(['linking.imageCodeTemplates.EAN13', 'sources.0.expectedShots', 'sources.0.views.1']);
    const html = render(data, { draft, errors, dirty: true });
    expect(at(html, ['linking', 'imageCodeTemplates', 'EAN13'])).toBe('Put {text} once where the code read in the image goes, e.g. &quot;BR{text}&quot;, and no other braces');
    expect(html).toMatch(/<input id="setting-sources-0-views"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/<input id="setting-sources-0-expectedShots"[^>]*aria-invalid="true"/);
    // A template field per symbology looked for, and none for the others.
    expect(html).toContain('id="setting-linking-imageCodeTemplates-EAN13"');
    expect(html).not.toContain('id="setting-linking-imageCodeTemplates-Code93"');
    const fine = setIn(setIn(setIn(draft, ['sources', 0, 'views'], ['dorsal', 'label']), ['sources', 0, 'expectedShots'], 2), ['linking', 'imageCodeTemplates', 'EAN13'], 'BR{text}');
    expect(await check(fine)).toEqual({});
    // Emptied, the fields are removed (null): the station's linking.* and the code as read apply again.
    const cleared = setIn(setIn(setIn(fine, ['sources', 0, 'views'], null), ['sources', 0, 'expectedShots'], null), ['linking', 'imageCodeTemplates', 'EAN13'], null);
    expect(await check(cleared)).toEqual({});
  });

  it('has a control for every linking field of the config schema, each source\'s scan mode and polling, and each profile\'s RAW + TIFF pair rule', async () => {
    const { data } = await stationConfig();
    const html = render(data);
    // Technical USB details stay in the config file: device ids, key terminators, timing, the kernel driver.
    const inConfigFileOnly = ['linking.usb.devices', 'linking.usb.terminators', 'linking.usb.idleTimeoutMs', 'linking.usb.detachKernelDriver'];
    // Glob lists (a comma belongs to a pattern like **/*.{tif,jpg}) stay in the config file too.
    const sourceFileOnly = ['include', 'ignore'];
    const wanted = [
      ...schemaLeaves(linkingSchema, ['linking']).filter((p) => !inConfigFileOnly.includes(p.join('.'))),
      ...schemaLeaves(sourceSchema, ['sources', 0]).filter((p) => !sourceFileOnly.includes(String(p[2]))),
      ['profiles', 'fadgi-3star', 'pairs', 'required'],
      ['profiles', 'fadgi-3star', 'pairs', 'windowSec'],
    ];
    expect(wanted.map((p) => p.join('.'))).toContain('linking.completenessWaitSec');
    const missing = wanted.filter((p) => !html.includes(` id="${fieldId(p)}"`)).map((p) => p.join('.'));
    expect(missing).toEqual([]);
    expect(html).toMatch(/id="setting-linking-completenessWaitSec"[^>]*value="30"/);
    // Names keep any letter until ASCII only is chosen.
    expect(html).toMatch(/<select id="setting-linking-charset"[^>]*><option value="unicode" selected="">any letters \(é, ß, א kept\)<\/option><option value="ascii">ASCII only/);
    expect(html).toMatch(/id="setting-profiles-fadgi-3star-pairs-windowSec"[^>]*value="60"/);
    // The source follows linking.mode until it is given its own.
    expect(html).toMatch(/<select id="setting-sources-0-scanMode"[^>]*><option value="" selected="">as set under linking \(before the shots\)<\/option>/);
  });

  it("shows the station's own message at each of them: wait, pair window, a bad view in the list, equal control codes", async () => {
    const { data, check } = await stationConfig();
    const at = (html: string, path: (string | number)[]) => new RegExp(`<p id="${fieldId(path)}-error" class="field__error"[^>]*><span aria-hidden="true">✕</span> <strong>Fix:</strong> ([^<]*)</p>`).exec(html)?.[1];
    let draft = setIn(data.config, ['linking', 'completenessWaitSec'], 0);
    draft = setIn(draft, ['linking', 'views'], ['front', 'x'.repeat(41)]);
    draft = setIn(draft, ['linking', 'barcode', 'controlCodes', 'undo'], '%%END%%');
    draft = setIn(draft, ['sources', 0, 'scanMode'], 'scan-after-capture');
    const errors = await check(draft);
    expect(Object.keys(errors).sort()).toEqual(['linking.barcode.controlCodes', 'linking.completenessWaitSec', 'linking.views.1']);
    const html = render(data, { draft, errors, dirty: true });
    expect(at(html, ['linking', 'completenessWaitSec'])).toBe(errors['linking.completenessWaitSec']);
    expect(at(html, ['linking', 'views'])).toBe(`item 2: ${errors['linking.views.1']}`);
    expect(at(html, ['linking', 'barcode', 'controlCodes'])).toContain('must differ');
    expect(html).toMatch(/<input id="setting-linking-views"[^>]*aria-invalid="true"[^>]*aria-describedby="setting-linking-views-error"/);
    expect(html).toMatch(/<select id="setting-sources-0-scanMode"[^>]*>.*?<option value="scan-after-capture" selected="">/s);
    expect(saveButton(html)).toContain('disabled');

    // The profile's pair rule, written as an override of the preset the source uses.
    let profile = setThreshold(data.config, data.presets, 'fadgi-3star', 'pairs', 'required', true);
    profile = setThreshold(profile, data.presets, 'fadgi-3star', 'pairs', 'windowSec', -1);
    expect(profile.profiles['fadgi-3star']).toEqual({ extends: 'fadgi-3star', pairs: { required: true, windowSec: -1 } });
    const profileErrors = await check(profile);
    expect(Object.keys(profileErrors)).toEqual(['profiles.fadgi-3star.pairs.windowSec']);
    const profileHtml = render(data, { draft: profile, errors: profileErrors, dirty: true });
    expect(at(profileHtml, ['profiles', 'fadgi-3star', 'pairs', 'windowSec'])).toBe(profileErrors['profiles.fadgi-3star.pairs.windowSec']);
    expect(profileHtml).toMatch(/<input id="setting-profiles-fadgi-3star-pairs-required" type="checkbox" checked=""/);

    const fixed = setThreshold(setIn(setIn(setIn(draft, ['linking', 'completenessWaitSec'], 45), ['linking', 'views'], ['front', 'back']), ['linking', 'barcode', 'controlCodes', 'undo'], '%%UNDO%%'), data.presets, 'fadgi-3star', 'pairs', 'windowSec', 90);
    expect(await check(fixed)).toEqual({});
  });
});
