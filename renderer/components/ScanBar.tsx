import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { expectedViews, shotsLabel, waitingLabel } from '../app/linking-state.js';
import { PageWedge, type PageWedgeAction } from '../app/scan-keys.js';
import type { ScanReply } from '../app/use-station.js';
import { ReadOnlyNote } from './ReadOnly.js';

/** How long what a scan did stays under the field (it is announced to a screen reader at once). */
const saidForMs = 8000;

export interface ScanBarProps {
  /** The object open now (with its source), or null. */
  object: { sourceId: string; barcode: string; shots: number } | null;
  linkingEnabled: boolean;
  /** Sources a scan may be for; a picker appears when there are several. */
  sources: readonly string[];
  alarm: string | null;
  /** Sends the code; resolves to a refusal's message, or what the scan did. */
  onScan(code: string, sourceId: string | undefined): Promise<ScanReply>;
  /** What the profile expects of an object (linking.views, linking.expectedShots). */
  views?: readonly string[];
  expectedShots?: number;
  /** Initial refusal (tests). */
  refusal?: string | null;
  /** A scanner's burst was told from typing and sent (the keyboard scanner's sign of life). */
  onScannerScan?(): void;
  /** The clock of the page's key events (performance.now(), which KeyboardEvent.timeStamp shares); tests inject their own. */
  now?: () => number;
  /** A monitor's screen (read-only token): no scan field, and scanner bursts are not sent. */
  readOnly?: boolean;
  /** scan-after-capture: the shots waiting for their object's barcode (shown while no object is open). */
  waiting?: { sourceId: string; stems: string[] } | null;
}

const performanceNow = () => performance.now();

type FieldState = { el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement; value: string };

function fieldState(el: Element | null): FieldState | null {
  return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement ? { el, value: el.value } : null;
}

/**
 * Puts a field back as it was before a scanner's burst went into it. Through the element's own
 * value setter plus the events a person's edit fires, so React's state (a search, a filter) follows.
 */
function restoreField(state: FieldState): void {
  if (state.el.value === state.value) return;
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(state.el), 'value')?.set?.call(state.el, state.value);
  state.el.dispatchEvent(new Event('input', { bubbles: true }));
  state.el.dispatchEvent(new Event('change', { bubbles: true }));
}

/**
 * The current object's barcode in large type with its shot count and the views still expected,
 * and the scan field. A scanner needs no click: its burst, typed anywhere on the page, is told from
 * human typing (PageWedge) and sent at once — from a search box or a drop-down that kept the focus
 * too, which is then put back as it was. A burst into the scan field itself replaces what the field
 * held (a refused code left there is never glued to the next label), while a person types and edits
 * there as in any field. A person's keys outside a field land in the scan field instead, and their
 * Enter sends it. A refusal or an alarm stands until the next scan, its ✕, or Esc in the field.
 */
export function ScanBar({ object, linkingEnabled, sources, alarm, onScan, onScannerScan, views = [], expectedShots = 0, refusal: initialRefusal = null, now = performanceNow, readOnly = false, waiting = null }: ScanBarProps) {
  const [value, setValue] = useState('');
  const [refusal, setRefusal] = useState<string | null>(initialRefusal);
  const [said, setSaid] = useState<string | null>(null);
  /** Counts refusals: after each one's render its code is selected in the field, ready to be typed over. */
  const [refusals, setRefusals] = useState(0);
  // One line that stands until the next scan: dismissed, it stays in the event log (History) only.
  const [dismissed, setDismissed] = useState<string | null>(null);
  useEffect(() => {
    if (!alarm) setDismissed(null);
  }, [alarm]);
  /** A typed entry is being sent: Enter again does not send it twice. */
  const busy = useRef(false);
  /** The field's value as last rendered (keys handled before the next render add to it). */
  const valueNow = useRef(value);
  valueNow.current = value;
  const [source, setSource] = useState<string>('');
  const input = useRef<HTMLInputElement>(null);
  const wedge = useRef<PageWedge | null>(null);
  const scannerScanned = useRef(onScannerScan);
  scannerScanned.current = onScannerScan;
  /** The focused field as it was when a burst that may be a scan began in it. */
  const beforeBurst = useRef<FieldState | null>(null);

  const send = useCallback(
    async (code: string) => {
      const reply = await onScan(code, sources.length > 1 && source ? source : undefined);
      const refused = 'refused' in reply ? reply.refused : null;
      setRefusal(refused);
      setSaid('said' in reply && reply.said ? reply.said : null);
      // The scan's outcome replaces the field: a refused code stays to be read (and corrected or scanned again).
      setValue(refused ? code : '');
      if (refused) setRefusals((n) => n + 1);
    },
    [onScan, sources.length, source],
  );

  useEffect(() => {
    if (refusals === 0) return;
    input.current?.focus();
    input.current?.select();
  }, [refusals]);

  const sendTyped = useCallback(
    async (typed: string) => {
      const code = typed.trim();
      if (!code || busy.current) return;
      busy.current = true;
      await send(code);
      busy.current = false;
    },
    [send],
  );

  useEffect(() => {
    if (readOnly) return;
    const pageWedge = (wedge.current ??= new PageWedge());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (actions: PageWedgeAction[]) => {
      let typed = valueNow.current;
      for (const a of actions) {
        if (a.kind === 'scan') {
          // The scan field is not put back: the scan's outcome replaces what it held.
          if (a.fromField && beforeBurst.current && beforeBurst.current.el !== input.current) restoreField(beforeBurst.current);
          beforeBurst.current = null;
          scannerScanned.current?.();
          void send(a.code);
        } else if (a.kind === 'type') {
          typed += a.text;
          setValue((v) => v + a.text);
          input.current?.focus();
        } else {
          input.current?.focus();
          void sendTyped(typed);
        }
      }
    };
    // Held keys are released (or a terminator-less scan completed) when the line goes quiet.
    const arm = () => {
      clearTimeout(timer);
      const deadline = pageWedge.deadlineMs;
      if (deadline === null) return;
      timer = setTimeout(() => {
        run(pageWedge.tick(now()));
        arm();
      }, Math.max(0, deadline - now()));
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !input.current) return;
      // The key's own time (when the browser got it), not when this handler ran: a busy page must
      // not stretch a scanner's even burst into something that looks typed.
      const active = document.activeElement as HTMLElement | null;
      const focus = active && { tagName: active.tagName, isContentEditable: active.isContentEditable, type: (active as HTMLInputElement).type, takesScans: active.dataset.takesScans !== undefined };
      const { consumed, actions, burstStart } = pageWedge.key(e, focus, e.timeStamp > 0 ? e.timeStamp : now());
      if (burstStart) beforeBurst.current = fieldState(active);
      if (consumed) e.preventDefault();
      run(actions);
      arm();
    };
    const onBlur = () => run(pageWedge.flush());
    window.addEventListener('keydown', onKey);
    window.addEventListener('blur', onBlur);
    // Keys may still be held from before this effect re-ran (the wedge outlives it): keep their deadline.
    arm();
    return () => {
      clearTimeout(timer);
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('blur', onBlur);
    };
  }, [send, sendTyped, now, readOnly]);

  useEffect(() => {
    if (!said) return;
    const timer = setTimeout(() => setSaid(null), saidForMs);
    return () => clearTimeout(timer);
  }, [said]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void sendTyped(value);
  };

  const expected = object ? expectedViews(object.shots, views, expectedShots) : [];
  const shownAlarm = !refusal && alarm && alarm !== dismissed ? alarm : null;
  /** Esc in the scan field puts away the refusal or alarm shown (the event log keeps it). */
  const dismissOnEscape = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Escape' || (!refusal && !shownAlarm)) return;
    e.preventDefault();
    if (refusal) setRefusal(null);
    else setDismissed(shownAlarm);
  };

  return (
    <section className={linkingEnabled ? 'scanbar' : 'scanbar scanbar--off'} aria-label="Object and barcode scan">
      <div className="scanbar__object" aria-live="polite">
        <span className="scanbar__caption">Object</span>
        {object ? (
          <>
            <span className="scanbar__barcode mono" data-testid="object-barcode">
              {object.barcode}
            </span>
            <span className="scanbar__shots" data-testid="object-shots">
              {shotsLabel(object.shots)}
              {sources.length > 1 && <span className="scanbar__source"> · {object.sourceId}</span>}
            </span>
            {expected.length > 0 && (
              <ol className="scanbar__views" aria-label="Views of this object" data-testid="object-views">
                {expected.map((v, i) => (
                  <li key={i} className="scanbar__view" data-done={v.done ? 'true' : 'false'}>
                    <span aria-hidden="true">{v.done ? '✓' : '○'}</span> {v.label} <span className="scanbar__view-state">{v.done ? 'done' : 'to shoot'}</span>
                  </li>
                ))}
              </ol>
            )}
          </>
        ) : linkingEnabled && waiting ? (
          <span className="scanbar__waiting" data-testid="object-waiting">
            <span aria-hidden="true">◌</span> {waitingLabel(waiting.stems)}
            {sources.length > 1 && <span className="scanbar__source"> · {waiting.sourceId}</span>}
          </span>
        ) : (
          <span className="scanbar__none">{linkingEnabled ? 'No object open — scan its barcode' : 'Barcode linking is off'}</span>
        )}
      </div>
      {readOnly ? (
        <div className="scanbar__form">
          <ReadOnlyNote>scans are taken on the operator's screen.</ReadOnlyNote>
        </div>
      ) : (
        <form className="scanbar__form" onSubmit={submit}>
          <label className="scanbar__label" htmlFor="scan-input">
            Scan barcode <span className="scanbar__hint">scan, or type and press Enter</span>
          </label>
          <div className="scanbar__row">
            {sources.length > 1 && (
              <select className="scanbar__select" aria-label="Source of the scan" value={source} onChange={(e) => setSource(e.target.value)}>
                <option value="">Source…</option>
                {sources.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
            <input
              id="scan-input"
              ref={input}
              className="scanbar__input mono"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              onKeyDown={dismissOnEscape}
              autoComplete="off"
              spellCheck={false}
              enterKeyHint="send"
              aria-invalid={refusal ? 'true' : undefined}
              aria-describedby={refusal ? 'scan-refusal' : undefined}
            />
          </div>
        </form>
      )}
      <p className="scanbar__said" role="status" aria-live="polite" data-testid="scan-said">
        {said && (
          <>
            <span aria-hidden="true">✓</span> {said}
          </>
        )}
      </p>
      {refusal && (
        <p id="scan-refusal" className="scanbar__refusal" role="alert">
          <span className="scanbar__refusal-text">
            <span className="scanbar__refusal-word">
              <span aria-hidden="true">✕</span> REFUSED
            </span>{' '}
            {refusal}
          </span>
          <button type="button" className="scanbar__dismiss" aria-label="Dismiss the refusal" title="Dismiss (Esc in the scan field)" onClick={() => setRefusal(null)}>
            ✕
          </button>
        </p>
      )}
      {shownAlarm && (
        <p className="scanbar__alarm" role="alert" title={shownAlarm}>
          <span className="scanbar__refusal-word">
            <span aria-hidden="true">▲</span> CHECK
          </span>
          <span className="scanbar__alarm-text">{shownAlarm}</span>
          <button type="button" className="scanbar__dismiss" aria-label="Dismiss the alarm" title="Dismiss (Esc in the scan field)" onClick={() => setDismissed(shownAlarm)}>
            ✕
          </button>
        </p>
      )}
    </section>
  );
}
