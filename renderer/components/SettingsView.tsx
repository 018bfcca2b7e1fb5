import { useCallback, useEffect, useRef, useState } from 'react';
import {
  getIn,
  listFromInput,
  notNumbers,
  numberFromInput,
  numberPaths,
  pathKey,
  profilesInUse,
  profileToggles,
  setIn,
  setThreshold,
  thresholdFields,
  thresholdValue,
  type ConfigForEdit,
  type EditableConfig,
  type FieldErrors,
  type FieldPath,
} from '../app/settings-state.js';
import { isDirty, settleThresholds } from '../app/settings-dirty.js';
import type { StationClient } from '../transport/http-client.js';
import { ReadOnlyNote } from './ReadOnly.js';
import { TargetSecrets } from './SecretField.js';
import { imageSymbologyLabels } from '../../src/shared/image-symbologies.js';
import { a11y, CheckList, Field, FieldError } from './SettingsField.js';

type LinkingDraft = EditableConfig['linking'];

const scanModeLabels = { 'scan-before-capture': 'before the shots', 'scan-after-capture': 'after the shots' } as const satisfies Record<LinkingDraft['mode'], string>;
const checkDigitLabels = { '': 'none', 'gs1-mod10': 'GS1 mod 10', 'code39-mod43': 'Code 39 mod 43', luhn: 'Luhn' } as const satisfies Record<NonNullable<LinkingDraft['barcode']['checkDigit']> | '', string>;
const usbModeLabels = { auto: 'auto (keyboard or POS)', keyboard: 'keyboard', pos: 'HID POS' } as const satisfies Record<LinkingDraft['usb']['mode'], string>;
const refusedScanLabels = { close: 'closes the open object', keep: 'leaves the object open' } as const satisfies Record<LinkingDraft['onRefusedScan'], string>;
const charsetLabels = { unicode: 'any letters (é, ß, א kept)', ascii: 'ASCII only (é → e, ß → ss, others → _)' } as const satisfies Record<LinkingDraft['charset'], string>;
const usbLayoutLabels = { us: 'US', de: 'German' } as const satisfies Record<LinkingDraft['usb']['layout'], string>;
const controlCodeLabels = { end: 'END code', undo: 'UNDO code', reject: 'REJECT code' } as const satisfies Record<keyof LinkingDraft['barcode']['controlCodes'], string>;

export interface SettingsNotice {
  tone: 'ok' | 'error';
  text: string;
}

export interface SettingsPanelProps {
  data: ConfigForEdit | null;
  draft: EditableConfig | null;
  errors: FieldErrors;
  dirty: boolean;
  /** An edit not yet checked by the station: Save waits for the answer. */
  checking: boolean;
  saving: boolean;
  notice: SettingsNotice | null;
  onChange(draft: EditableConfig): void;
  onSave(): void;
  onRevert(): void;
  /** A monitor's screen (read-only token): fields disabled, no Save, a note instead. */
  readOnly?: boolean;
}

/** Sources, QC thresholds, naming, linking and upload targets from the station's config, edited with every error at its field. */
export function SettingsPanel({ data, draft, errors, dirty, checking, saving, notice, onChange, onSave, onRevert, readOnly = false }: SettingsPanelProps) {
  if (!data || !draft) {
    return (
      <section className="view settings" aria-labelledby="settings-title">
        <h2 id="settings-title" className="view__title">
          Settings
        </h2>
        {notice ? (
          <p className="notice" role="alert">
            {notice.text}
          </p>
        ) : (
          <p className="view__empty">Loading the station's settings…</p>
        )}
      </section>
    );
  }
  const set = (path: FieldPath, value: unknown) => onChange(setIn(draft, path, value));
  // An optional field left empty is removed from the config (its default applies), not set to "".
  const text = (path: FieldPath, props: { placeholder?: string; mono?: boolean; optional?: boolean } = {}) => (
    <input
      {...a11y(path, errors)}
      className={props.mono ? 'field__input mono' : 'field__input'}
      value={String(getIn(draft, path) ?? '')}
      placeholder={props.placeholder}
      spellCheck={false}
      autoComplete="off"
      onChange={(e) => set(path, props.optional && e.target.value === '' ? null : e.target.value)}
    />
  );
  // `optional`: left empty, the field is removed from the config (its default applies).
  const number = (path: FieldPath, props: { placeholder?: string; optional?: boolean } = {}) => (
    <input
      {...a11y(path, errors)}
      className="field__input field__input--number"
      inputMode="decimal"
      value={String(getIn(draft, path) ?? '')}
      placeholder={props.placeholder}
      onChange={(e) => set(path, props.optional && e.target.value.trim() === '' ? null : numberFromInput(e.target.value))}
    />
  );
  const check = (path: FieldPath, label: string) => (
    <label className="field field--check">
      <input {...a11y(path, errors)} type="checkbox" checked={getIn(draft, path) === true} onChange={(e) => set(path, e.target.checked)} /> {label}
      <FieldError path={path} errors={errors} />
    </label>
  );
  const list = (path: FieldPath, placeholder?: string, optional = false) => (
    <input
      {...a11y(path, errors, true)}
      className="field__input"
      value={((getIn(draft, path) as string[] | undefined) ?? []).join(', ')}
      placeholder={placeholder}
      onChange={(e) => {
        const items = listFromInput(e.target.value);
        set(path, optional && items.length === 0 ? null : items);
      }}
    />
  );
  const select = (path: FieldPath, options: readonly string[], labels: Record<string, string> = {}) => (
    <select {...a11y(path, errors)} className="field__input" value={String(getIn(draft, path) ?? '')} onChange={(e) => set(path, e.target.value || null)}>
      {options.map((o) => (
        <option key={o} value={o}>
          {labels[o] ?? o}
        </option>
      ))}
    </select>
  );
  const problems = Object.entries(errors);
  const profileNames = Object.keys(data.profiles);
  const sources = draft.sources ?? [];
  const blocked = !dirty || saving || checking || problems.length > 0;

  return (
    <section className="view settings" aria-labelledby="settings-title">
      <div className="view__head settings__head">
        <h2 id="settings-title" className="view__title">
          Settings
        </h2>
        <span className="view__note">
          {data.configFile ? 'Saved in' : 'No config file yet; saving creates'} <span className="mono">{data.writeTo}</span> ({data.format.toUpperCase()}). Changes apply when the station restarts.
        </span>
        {readOnly ? (
          <ReadOnlyNote>settings are changed on the operator's screen.</ReadOnlyNote>
        ) : (
          <div className="settings__actions">
            <button type="button" className="button" onClick={onRevert} disabled={!dirty || saving}>
              Undo changes
            </button>
            <button type="button" className="button button--strong" onClick={onSave} disabled={blocked} aria-describedby="settings-save-state">
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        )}
      </div>
      <p id="settings-save-state" className="settings__state" role="status">
        {problems.length > 0
          ? `✕ ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'} to fix before saving (marked at ${problems.length === 1 ? 'its field' : 'their fields'}).`
          : checking
            ? '… Checking the changes with the station.'
            : dirty
              ? '● Unsaved changes.'
              : ''}
      </p>
      {notice && (
        <p className={notice.tone === 'ok' ? 'settings__saved' : 'notice'} role={notice.tone === 'ok' ? 'status' : 'alert'}>
          {notice.tone === 'ok' ? <span aria-hidden="true">✓ </span> : null}
          {notice.text}
        </p>
      )}
      {problems.length > 0 && (
        <ul className="settings__problems" aria-label="Problems">
          {problems.map(([field, message]) => (
            <li key={field}>
              <span className="mono">{field}</span>: {message}
            </li>
          ))}
        </ul>
      )}

      {/* A monitor sees the settings but cannot change them: every field and button inside is disabled. */}
      <fieldset className="settings__lock" disabled={readOnly}>
        <fieldset className="card settings__section">
          <legend>Sources (hot folders)</legend>
          {sources.map((s, i) => (
            <div key={i} className="settings__row" data-testid={`source-${i}`}>
              <Field path={['sources', i, 'id']} label="Name" errors={errors}>
                {text(['sources', i, 'id'], { mono: true })}
              </Field>
              <Field path={['sources', i, 'path']} label="Folder" errors={errors} wide>
                {text(['sources', i, 'path'], { mono: true })}
              </Field>
              <Field path={['sources', i, 'kind']} label="Device" errors={errors}>
                {select(['sources', i, 'kind'], ['camera', 'scanner', 'other'])}
              </Field>
              <Field path={['sources', i, 'profile']} label="QC profile" errors={errors}>
                {select(['sources', i, 'profile'], profileNames.includes(s.profile) ? profileNames : [...profileNames, s.profile])}
              </Field>
              <Field path={['sources', i, 'scanMode']} label="Barcode scanned" errors={errors}>
                {select(['sources', i, 'scanMode'], ['', ...Object.keys(scanModeLabels)], { ...scanModeLabels, '': `as set under linking (${scanModeLabels[draft.linking.mode]})` })}
              </Field>
              <Field path={['sources', i, 'views']} label="Views" hint="of this rig's objects; empty = as under linking" errors={errors} nested>
                {list(['sources', i, 'views'], draft.linking.views.length > 0 ? draft.linking.views.join(', ') : 'as under linking', true)}
              </Field>
              <Field path={['sources', i, 'expectedShots']} label="Shots expected" hint="empty = as under linking" errors={errors}>
                {number(['sources', i, 'expectedShots'], { placeholder: String(draft.linking.expectedShots), optional: true })}
              </Field>
              {check(['sources', i, 'polling'], 'Network share (poll)')}
              <Field path={['sources', i, 'pollIntervalMs']} label="Poll every" hint="ms" errors={errors}>
                {number(['sources', i, 'pollIntervalMs'])}
              </Field>
              <button type="button" className="button" onClick={() => set(['sources'], sources.filter((_, j) => j !== i))} disabled={sources.length === 1} aria-label={`Remove source ${s.id}`}>
                Remove
              </button>
            </div>
          ))}
          <FieldError path={['sources']} errors={errors} />
          <button
            type="button"
            className="button settings__add"
            onClick={() => set(['sources'], [...sources, { ...(sources[sources.length - 1] ?? {}), id: `source-${sources.length + 1}`, path: '' }])}
          >
            Add source
          </button>
        </fieldset>

        <fieldset className="card settings__section">
          <legend>QC profiles and thresholds</legend>
          {profilesInUse(draft).map((name) => (
            <div key={name} className="settings__profile">
              <h3 className="settings__profile-name">
                {name} <span className="field__hint">{data.profiles[name]?.description ?? 'unknown profile'}</span>
              </h3>
              <div className="settings__grid">
                {thresholdFields.map(([section, field, label, unit]) => {
                  const path = ['profiles', name, section, field];
                  return (
                    <Field key={pathKey(path)} path={path} label={label} hint={unit} errors={errors}>
                      <input
                        {...a11y(path, errors)}
                        className="field__input field__input--number"
                        inputMode="decimal"
                        value={String(thresholdValue(data, draft, name, section, field) ?? '')}
                        onChange={(e) => onChange(setThreshold(draft, data.presets, name, section, field, numberFromInput(e.target.value)))}
                      />
                    </Field>
                  );
                })}
              </div>
              {profileToggles.map(([section, field, label]) => {
                const path = ['profiles', name, section, field];
                return (
                  <label key={pathKey(path)} className="field field--check">
                    <input {...a11y(path, errors)} type="checkbox" checked={thresholdValue(data, draft, name, section, field) === true} onChange={(e) => onChange(setThreshold(draft, data.presets, name, section, field, e.target.checked))} /> {label}
                    <FieldError path={path} errors={errors} />
                  </label>
                );
              })}
            </div>
          ))}
        </fieldset>

        <fieldset className="card settings__section">
          <legend>Naming and filing</legend>
          <Field path={['linking', 'template']} label="Naming template" hint="{barcode} {seq:03} {view} {date} {time} {station} {operator} {project} {source} {original} {ext}" errors={errors}>
            {text(['linking', 'template'], { mono: true })}
          </Field>
          <div className="settings__grid">
            <Field path={['linking', 'project']} label="Project" errors={errors}>
              {text(['linking', 'project'])}
            </Field>
            <Field path={['linking', 'operator']} label="Operator" errors={errors}>
              {text(['linking', 'operator'])}
            </Field>
            <Field path={['linking', 'charset']} label="Characters in names" errors={errors}>
              {select(['linking', 'charset'], Object.keys(charsetLabels), charsetLabels)}
            </Field>
          </div>
          {check(['linking', 'allowSpaces'], 'Keep spaces in names')}
          {check(['linking', 'fileFailed'], 'File failed captures too')}
          {check(['linking', 'libraryMountCheck'], 'File only into a mounted library (a mount point, or a folder holding .capture-station-library)')}
        </fieldset>

        <fieldset className="card settings__section">
          <legend>Barcode linking</legend>
          {check(['linking', 'enabled'], 'Link captures to scanned barcodes')}
          <div className="settings__grid">
            <Field path={['linking', 'mode']} label="Scan" errors={errors}>
              {select(['linking', 'mode'], Object.keys(scanModeLabels), scanModeLabels)}
            </Field>
            <Field path={['linking', 'onRefusedScan']} label="A refused scan" errors={errors}>
              {select(['linking', 'onRefusedScan'], Object.keys(refusedScanLabels), refusedScanLabels)}
            </Field>
            <Field path={['linking', 'idleTimeoutSec']} label="Close an idle object after" hint="s (0 = never)" errors={errors}>
              {number(['linking', 'idleTimeoutSec'])}
            </Field>
            <Field path={['linking', 'views']} label="Views" hint="in shot order, e.g. front, back, label" errors={errors} nested>
              {list(['linking', 'views'])}
            </Field>
            <Field path={['linking', 'expectedShots']} label="Shots expected per object" hint="(0 = no expectation)" errors={errors}>
              {number(['linking', 'expectedShots'])}
            </Field>
            <Field path={['linking', 'completenessWaitSec']} label="Judge completeness at the latest" hint="s after the object closes" errors={errors}>
              {number(['linking', 'completenessWaitSec'])}
            </Field>
            <Field path={['linking', 'projects']} label="Projects to choose from" hint="empty = any name" errors={errors} nested>
              {list(['linking', 'projects'], 'any project')}
            </Field>
            <Field path={['linking', 'barcode', 'pattern']} label="Barcode pattern" hint="regular expression" errors={errors}>
              {text(['linking', 'barcode', 'pattern'], { mono: true, placeholder: 'any code', optional: true })}
            </Field>
            <Field path={['linking', 'barcode', 'checkDigit']} label="Check digit" errors={errors}>
              {select(['linking', 'barcode', 'checkDigit'], Object.keys(checkDigitLabels), checkDigitLabels)}
            </Field>
            <Field path={['linking', 'barcode', 'maxLength']} label="Longest barcode" hint="characters" errors={errors}>
              {number(['linking', 'barcode', 'maxLength'])}
            </Field>
            {Object.entries(controlCodeLabels).map(([action, label]) => (
              <Field key={action} path={['linking', 'barcode', 'controlCodes', action]} label={label} errors={errors}>
                {text(['linking', 'barcode', 'controlCodes', action], { mono: true })}
              </Field>
            ))}
          </div>
          <FieldError path={['linking', 'barcode', 'controlCodes']} errors={errors} />
          {check(['linking', 'imageBarcodes'], 'Read barcodes in the images')}
          <CheckList
            path={['linking', 'imageFormats']}
            label="Symbologies on the labels"
            hint="fewer is faster and gives fewer false reads; a code in another is not seen, so it neither links nor fails as a mismatch"
            options={imageSymbologyLabels}
            chosen={draft.linking.imageFormats}
            errors={errors}
            onChange={(next) => set(['linking', 'imageFormats'], next)}
          />
          <fieldset {...a11y(['linking', 'imageCodeTemplates'], errors, true)} className="field field--choices">
            <legend className="field__label">
              What a code read in the image stands for
              <span className="field__hint"> per symbology, {'{text}'} being the code read (e.g. BR{'{text}'} for a catalogue number printed as EAN-13); empty = the code as read</span>
            </legend>
            <div className="settings__grid">
              {draft.linking.imageFormats.map((format) => (
                <Field key={format} path={['linking', 'imageCodeTemplates', format]} label={imageSymbologyLabels[format]} errors={errors}>
                  {text(['linking', 'imageCodeTemplates', format], { mono: true, placeholder: 'as read', optional: true })}
                </Field>
              ))}
            </div>
            <FieldError path={['linking', 'imageCodeTemplates']} errors={errors} nested />
          </fieldset>
          {check(['linking', 'linkFromImage'], 'Open the object from a barcode in the image')}
          {check(['linking', 'usb', 'enabled'], 'Read USB barcode scanners directly (even while another program has the keyboard focus)')}
          <div className="settings__grid">
            <Field path={['linking', 'usb', 'mode']} label="USB scanners report as" errors={errors}>
              {select(['linking', 'usb', 'mode'], Object.keys(usbModeLabels), usbModeLabels)}
            </Field>
            <Field path={['linking', 'usb', 'layout']} label="Their keyboard layout" errors={errors}>
              {select(['linking', 'usb', 'layout'], Object.keys(usbLayoutLabels), usbLayoutLabels)}
            </Field>
            <Field path={['linking', 'usb', 'sourceId']} label="Their scans are for" errors={errors}>
              {select(['linking', 'usb', 'sourceId'], ['', ...sources.map((src) => src.id)], { '': 'the only source' })}
            </Field>
          </div>
        </fieldset>

        <fieldset className="card settings__section">
          <legend>Upload targets</legend>
          {draft.targets.length === 0 && <p className="view__note">No upload targets. Add them in the config file.</p>}
          {draft.targets.map((t, i) => (
            <div key={i} className="settings__row" data-testid={`target-${i}`}>
              <Field path={['targets', i, 'id']} label={`Name (${t.kind})`} errors={errors}>
                {text(['targets', i, 'id'], { mono: true })}
              </Field>
              {t.kind === 'folder' && (
                <Field path={['targets', i, 'path']} label="Folder or share" errors={errors} wide>
                  {text(['targets', i, 'path'], { mono: true })}
                </Field>
              )}
              {t.kind === 's3' && (
                <>
                  <Field path={['targets', i, 'bucket']} label="Bucket" errors={errors}>
                    {text(['targets', i, 'bucket'], { mono: true })}
                  </Field>
                  <Field path={['targets', i, 'endpoint']} label="Endpoint" errors={errors} wide>
                    {text(['targets', i, 'endpoint'], { mono: true, placeholder: 'AWS', optional: true })}
                  </Field>
                </>
              )}
              {t.kind === 'tus' && (
                <Field path={['targets', i, 'endpoint']} label="Endpoint" errors={errors} wide>
                  {text(['targets', i, 'endpoint'], { mono: true })}
                </Field>
              )}
              <TargetSecrets index={i} target={t as Record<string, unknown>} loaded={data.config.targets[i] as Record<string, unknown> | undefined} errors={errors} set={set} />
              <Field path={['targets', i, 'when']} label="Upload" errors={errors}>
                {select(['targets', i, 'when'], ['passed', 'all'], { passed: 'passed and warned', all: 'every capture' })}
              </Field>
              {check(['targets', i, 'required'], 'Required before local files may go')}
            </div>
          ))}
        </fieldset>
      </fieldset>
    </section>
  );
}

/** Loads the config, checks every edit with the station (same rules as a start), and saves it. */
export function SettingsView({ client, readOnly = false }: { client: StationClient; readOnly?: boolean }) {
  const [data, setData] = useState<ConfigForEdit | null>(null);
  const [draft, setDraft] = useState<EditableConfig | null>(null);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<SettingsNotice | null>(null);
  const checkRequest = useRef(0);

  const load = useCallback(async () => {
    const r = await client.getConfig({});
    if ('error' in r) {
      setNotice({ tone: 'error', text: r.error.message });
      return;
    }
    setData(r.result);
    setDraft(r.result.config);
    setServerErrors({});
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);

  // The form's values, not its edits: a field typed into and put back is no change.
  const dirty = data !== null && draft !== null && isDirty(draft, data);

  // Each edit is checked by the station after a short pause in typing; only the newest answer counts.
  useEffect(() => {
    const request = ++checkRequest.current;
    if (!draft || !dirty) {
      // Back to the config as loaded (which the station runs on): nothing to check, no earlier answer applies.
      setChecking(false);
      setServerErrors({});
      return;
    }
    setChecking(true);
    const timer = setTimeout(() => {
      void client.checkConfig({ config: draft }).then((r) => {
        if (request !== checkRequest.current) return;
        setChecking(false);
        if ('error' in r) setNotice({ tone: 'error', text: r.error.message });
        else setServerErrors(r.result.errors);
      });
    }, 300);
    return () => clearTimeout(timer);
  }, [client, draft, dirty]);

  const change = useCallback(
    (next: EditableConfig) => {
      setDraft(data ? settleThresholds(next, data) : next);
      setNotice(null);
    },
    [data],
  );

  const save = useCallback(async () => {
    if (!draft || !data) return;
    setSaving(true);
    const r = await client.saveConfig({ config: draft, revision: data.revision });
    setSaving(false);
    if ('error' in r) setNotice({ tone: 'error', text: r.error.message });
    else if (!r.result.saved) setServerErrors(r.result.errors);
    else {
      setNotice({ tone: 'ok', text: r.result.changed ? `Saved to ${r.result.file}${r.result.backup ? ` (the previous file is kept as ${r.result.backup})` : ''}. Restart the station to apply it.` : 'Nothing had changed.' });
      await load();
    }
  }, [client, data, draft, load]);

  const errors = draft ? { ...serverErrors, ...notNumbers(draft, numberPaths(draft)) } : serverErrors;
  return (
    <SettingsPanel
      data={data}
      draft={draft}
      errors={errors}
      dirty={dirty}
      checking={checking}
      saving={saving}
      notice={notice}
      onChange={change}
      onSave={() => void save()}
      onRevert={() => void load().then(() => setNotice(null))}
      readOnly={readOnly}
    />
  );
}
