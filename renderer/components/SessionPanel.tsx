import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { EyeIcon } from './ReadOnly.js';

export interface SessionChoices {
  /** The configured projects; empty = any name. */
  projects: readonly string[];
  /** Operators of recent sessions, the latest first. */
  operators: readonly string[];
  /** The latest session's project (proposed again); null before the first session. */
  lastProject: string | null;
}

export interface SessionPanelProps {
  choices: SessionChoices;
  /** Starts the session; resolves to the refusal's message, or null when it started. */
  onStart(operator: string, project: string): Promise<string | null>;
}

/** Alt+S puts the cursor in the operator field (the panel does not take focus by itself: scans keep going to the scan field). */
export const sessionKey = { key: 's', label: 'Alt+S' } as const;

/**
 * Asked while no session is open: who is shooting, and which project. Keyboard only: Alt+S (or Tab)
 * to the operator field, type or pick a recent name (↓ opens the list), Tab to the project, Enter.
 */
export function SessionPanel({ choices, onStart }: SessionPanelProps) {
  const [operator, setOperator] = useState(choices.operators[0] ?? '');
  // The last project again, while it is still one of the configured ones.
  const [project, setProject] = useState(() => (choices.lastProject !== null && (choices.projects.length === 0 || choices.projects.includes(choices.lastProject)) ? choices.lastProject : (choices.projects[0] ?? '')));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const operatorField = useRef<HTMLInputElement>(null);
  const listId = useId();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key.toLowerCase() === sessionKey.key || e.code === 'KeyS')) {
        e.preventDefault();
        operatorField.current?.focus();
        operatorField.current?.select();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // A form sends itself on Enter in a text field, not in a select: the README promises Enter starts the session from either.
  const submitOnEnter = (e: ReactKeyboardEvent<HTMLSelectElement>) => {
    if (e.key !== 'Enter' || e.nativeEvent.isComposing) return;
    e.preventDefault();
    e.currentTarget.form?.requestSubmit();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const refusal = await onStart(operator, project);
    setBusy(false);
    setError(refusal);
  };

  return (
    <form className="session-start" aria-labelledby="session-start-title" onSubmit={(e) => void submit(e)}>
      <h2 id="session-start-title" className="session-start__title">
        No session: who is shooting? <kbd>{sessionKey.label}</kbd>
      </h2>
      <label className="filters__field">
        <span>Operator</span>
        <input ref={operatorField} name="operator" data-takes-scans value={operator} onChange={(e) => setOperator(e.target.value)} list={`${listId}-operators`} maxLength={100} autoComplete="off" required />
        <datalist id={`${listId}-operators`}>
          {choices.operators.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      </label>
      <label className="filters__field">
        <span>Project</span>
        {choices.projects.length > 0 ? (
          <select name="project" value={project} onChange={(e) => setProject(e.target.value)} onKeyDown={submitOnEnter}>
            {choices.projects.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        ) : (
          <input name="project" value={project} onChange={(e) => setProject(e.target.value)} maxLength={100} autoComplete="off" />
        )}
      </label>
      <button type="submit" className="button button--strong" disabled={busy}>
        Start session
      </button>
      {error && (
        <p className="session-start__error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** In the header: who is shooting which project, and the way to end it. */
/** The header's session: who shoots what, and End session; a monitor's screen says it only watches. */
export function SessionBadge({ operator, project, onEnd, readOnly }: { operator: string | null; project: string; onEnd?: () => void; readOnly?: boolean }) {
  return (
    <p className="session-badge" data-testid="session">
      <span className="session-badge__who">
        {operator === null ? (
          <span className="session-badge__label">No session</span>
        ) : (
          <>
            <span className="session-badge__label">Operator</span> <strong>{operator}</strong>
            {project && <> · {project}</>}
          </>
        )}
      </span>
      {readOnly ? (
        <span className="session-badge__label session-badge__monitor" data-testid="read-only">
          <EyeIcon /> Monitor · read only
        </span>
      ) : (
        onEnd && (
          <button type="button" className="button" onClick={onEnd}>
            End session
          </button>
        )
      )}
    </p>
  );
}
