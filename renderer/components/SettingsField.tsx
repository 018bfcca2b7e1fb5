/** A labelled settings field whose error, when there is one, sits right under it and is what its input points at. */
import type { ReactNode } from 'react';
import { fieldError, pathKey, type FieldErrors, type FieldPath } from '../app/settings-state.js';

export const fieldId = (path: FieldPath) => `setting-${pathKey(path).replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * The error of a field, next to it, with an icon and a word; the input points at it (aria-describedby).
 * `nested`: a list typed as one field, which also shows its items' errors.
 */
export function FieldError({ path, errors, nested = false }: { path: FieldPath; errors: FieldErrors; nested?: boolean }) {
  const message = fieldError(errors, path, nested);
  if (!message) return null;
  return (
    <p id={`${fieldId(path)}-error`} className="field__error" data-field={pathKey(path)}>
      <span aria-hidden="true">✕</span> <strong>Fix:</strong> {message}
    </p>
  );
}

export function a11y(path: FieldPath, errors: FieldErrors, nested = false) {
  const bad = Boolean(fieldError(errors, path, nested));
  return { id: fieldId(path), 'aria-invalid': bad ? ('true' as const) : undefined, 'aria-describedby': bad ? `${fieldId(path)}-error` : undefined };
}

export function Field({ path, label, hint, errors, wide, nested = false, children }: { path: FieldPath; label: string; hint?: string; errors: FieldErrors; wide?: boolean; nested?: boolean; children: ReactNode }) {
  return (
    <div className={wide ? 'field field--wide' : 'field'} data-invalid={fieldError(errors, path, nested) ? 'true' : undefined}>
      <label className="field__label" htmlFor={fieldId(path)}>
        {label}
        {hint && <span className="field__hint"> {hint}</span>}
      </label>
      {children}
      <FieldError path={path} errors={errors} nested={nested} />
    </div>
  );
}

/**
 * A list chosen from fixed names, as a group of checkboxes: ticking one keeps the names' own order.
 * None ticked is left to the station to refuse, at the field, as it refuses any other value.
 */
export function CheckList({ path, label, hint, options, chosen, errors, onChange }: { path: FieldPath; label: string; hint?: string; options: Readonly<Record<string, string>>; chosen: readonly string[]; errors: FieldErrors; onChange(next: string[]): void }) {
  const names = Object.keys(options);
  return (
    <fieldset {...a11y(path, errors, true)} className="field field--choices" data-invalid={fieldError(errors, path, true) ? 'true' : undefined}>
      <legend className="field__label">
        {label}
        {hint && <span className="field__hint"> {hint}</span>}
      </legend>
      <div className="field__choices">
        {names.map((name) => (
          <label key={name} className="field field--check">
            <input type="checkbox" value={name} checked={chosen.includes(name)} onChange={(e) => onChange(names.filter((n) => (n === name ? e.target.checked : chosen.includes(n))))} /> {options[name]}
          </label>
        ))}
      </div>
      <FieldError path={path} errors={errors} nested />
    </fieldset>
  );
}
