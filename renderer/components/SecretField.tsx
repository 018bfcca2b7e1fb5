/**
 * A secret in the Settings form (an S3 key, a tus header). The station never sends one's value,
 * only the placeholder, so the input starts empty and empty means "keep what the file has"; typed
 * text replaces it; Remove takes it out of the config (Keep brings it back). When the station needs
 * it typed in again (the target is new, or now points at another server), that is this field's error.
 */
import { redactedSecret } from '../../src/shared/redact-url.js';
import { getIn, pathKey, type FieldErrors, type FieldPath } from '../app/settings-state.js';
import { a11y, Field } from './SettingsField.js';

/** What typed text puts in the draft: empty keeps the hidden secret when there is one, else leaves the field out (null). */
function secretFromInput(text: string, loaded: unknown): string | null {
  if (text !== '') return text;
  return loaded === redactedSecret ? redactedSecret : null;
}

export interface SecretFieldProps {
  path: FieldPath;
  label: string;
  errors: FieldErrors;
  /** The field as the station sent it: the placeholder when the file has a secret there. */
  loaded: unknown;
  value: unknown;
  onChange(value: string | null): void;
}

export function SecretField({ path, label, errors, loaded, value, onChange }: SecretFieldProps) {
  const hidden = loaded === redactedSecret;
  const typed = typeof value === 'string' && value !== redactedSecret ? value : '';
  const removed = hidden && (value === null || value === undefined);
  const retype = Boolean(errors[pathKey(path)]) && value === redactedSecret;
  const state = retype ? 'hidden: type it in again' : value === redactedSecret ? 'hidden: leave empty to keep it' : removed ? 'removed when you save' : typed ? (hidden ? 'replaces the hidden one' : 'new') : 'not set';
  return (
    <Field path={path} label={label} hint={`(${state})`} errors={errors}>
      <span className="field__secret">
        <input
          {...a11y(path, errors)}
          className="field__input mono"
          type="password"
          // Not the browser's saved login: this is a key for another server.
          autoComplete="new-password"
          spellCheck={false}
          value={typed}
          placeholder={retype ? 'type it in' : value === redactedSecret ? '•••••••• (kept)' : ''}
          onChange={(e) => onChange(secretFromInput(e.target.value, loaded))}
        />
        {hidden && (
          <button type="button" className="button" onClick={() => onChange(removed ? redactedSecret : null)} aria-label={`${removed ? 'Keep' : 'Remove'} ${label}`}>
            {removed ? 'Keep' : 'Remove'}
          </button>
        )}
      </span>
    </Field>
  );
}

const s3Keys = [
  ['accessKeyId', 'Access key ID'],
  ['secretAccessKey', 'Secret access key'],
  ['sessionToken', 'Session token'],
] as const;

export interface TargetSecretsProps {
  index: number;
  /** The target in the draft and as loaded (undefined for one added here). */
  target: Record<string, unknown>;
  loaded: Record<string, unknown> | undefined;
  errors: FieldErrors;
  set(path: FieldPath, value: unknown): void;
}

/**
 * The secrets of an upload target: an S3 target's keys (the session token only when there is one),
 * a tus target's headers. Keys left out of the file mean the environment's credentials.
 */
export function TargetSecrets({ index, target, loaded, errors, set }: TargetSecretsProps) {
  const field = (path: FieldPath, label: string) => (
    <SecretField key={pathKey(path)} path={path} label={label} errors={errors} loaded={getIn(loaded, path.slice(2))} value={getIn(target, path.slice(2))} onChange={(v) => set(path, v)} />
  );
  if (target['kind'] === 's3') {
    return <>{s3Keys.filter(([key]) => key !== 'sessionToken' || getIn(loaded, [key]) !== undefined || getIn(target, [key]) != null).map(([key, label]) => field(['targets', index, key], label))}</>;
  }
  if (target['kind'] === 'tus') {
    const names = new Set([...Object.keys((getIn(loaded, ['headers']) as object | undefined) ?? {}), ...Object.keys((getIn(target, ['headers']) as object | undefined) ?? {})]);
    return <>{[...names].map((name) => field(['targets', index, 'headers', name], `Header ${name}`))}</>;
  }
  return null;
}
