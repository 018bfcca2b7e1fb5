import { useEffect, useRef, useState, type FormEvent } from 'react';
import { shotsLabel } from '../app/linking-state.js';
import { startsScan } from '../app/scan-keys.js';

export interface ScanBarProps {
  /** The object open now (with its source), or null. */
  object: { sourceId: string; barcode: string; shots: number } | null;
  linkingEnabled: boolean;
  /** Sources a scan may be for; a picker appears when there are several. */
  sources: readonly string[];
  alarm: string | null;
  /** Sends the code; resolves to a refusal's message, or null when taken. */
  onScan(code: string, sourceId: string | undefined): Promise<string | null>;
  /** Initial refusal (tests). */
  refusal?: string | null;
}

/**
 * The current object's barcode in large type with its shot count, and the scan field. The field
 * takes a keyboard-wedge scan without a click: a printable key pressed while no other field has
 * focus lands here, and Enter sends it.
 */
export function ScanBar({ object, linkingEnabled, sources, alarm, onScan, refusal: initialRefusal = null }: ScanBarProps) {
  const [value, setValue] = useState('');
  const [refusal, setRefusal] = useState<string | null>(initialRefusal);
  const [busy, setBusy] = useState(false);
  const [source, setSource] = useState<string>('');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !input.current || document.activeElement === input.current) return;
      if (!startsScan(e, document.activeElement as HTMLElement | null)) return;
      e.preventDefault();
      setValue((v) => v + e.key);
      input.current.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const code = value.trim();
    if (!code || busy) return;
    setBusy(true);
    const refused = await onScan(code, sources.length > 1 && source ? source : undefined);
    setBusy(false);
    setRefusal(refused);
    if (!refused) setValue('');
    else input.current?.select();
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
          </>
        ) : (
          <span className="scanbar__none">{linkingEnabled ? 'No object open — scan its barcode' : 'Barcode linking is off'}</span>
        )}
      </div>
      <form className="scanbar__form" onSubmit={(e) => void submit(e)}>
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
            autoComplete="off"
            spellCheck={false}
            enterKeyHint="send"
            aria-invalid={refusal ? 'true' : undefined}
            aria-describedby={refusal ? 'scan-refusal' : undefined}
          />
        </div>
      </form>
      {refusal && (
        <p id="scan-refusal" className="scanbar__refusal" role="alert">
          <span className="scanbar__refusal-word">
            <span aria-hidden="true">✕</span> REFUSED
          </span>{' '}
          {refusal}
        </p>
      )}
      {!refusal && alarm && (
        <p className="scanbar__alarm" role="alert">
          <span className="scanbar__refusal-word">
            <span aria-hidden="true">▲</span> CHECK
          </span>{' '}
          {alarm}
        </p>
      )}
    </section>
  );
}
