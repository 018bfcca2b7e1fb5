import { useState, type FormEvent } from 'react';
import type { CaptureDetail } from '../contract.js';
import type { LinkEditMessage, LinkEditRequest } from '../app/link-edits.js';

export interface LinkActionsProps {
  capture: Pick<CaptureDetail, 'id' | 'link' | 'reshoot'>;
  busy: boolean;
  /** The last action's outcome, in words. */
  message: LinkEditMessage | null;
  onEdit(req: LinkEditRequest): void;
}

/** Fixing a capture's link from the history: each field sends with Enter, each button with Space/Enter. */
export function LinkActions({ capture, busy, message, onEdit }: LinkActionsProps) {
  const [shotBarcode, setShotBarcode] = useState('');
  const [objectBarcode, setObjectBarcode] = useState('');
  const send = (e: FormEvent, req: LinkEditRequest) => {
    e.preventDefault();
    onEdit(req);
  };
  return (
    <section className="link-actions" aria-label="Fix the link">
      <form className="link-actions__row" onSubmit={(e) => send(e, { kind: 'relinkShot', barcode: shotBarcode.trim() })}>
        <label className="filters__field">
          <span>Relink this shot to barcode</span>
          <input name="relink-barcode" data-takes-scans value={shotBarcode} onChange={(e) => setShotBarcode(e.target.value)} autoComplete="off" required />
        </label>
        <button type="submit" className="button" disabled={busy}>
          Relink shot
        </button>
      </form>
      {capture.link && (
        <form className="link-actions__row" onSubmit={(e) => send(e, { kind: 'renameObject', barcode: objectBarcode.trim() })}>
          <label className="filters__field">
            <span>Object {capture.link.barcode} is really</span>
            <input name="object-barcode" data-takes-scans value={objectBarcode} onChange={(e) => setObjectBarcode(e.target.value)} autoComplete="off" required />
          </label>
          <button type="submit" className="button" disabled={busy}>
            Rename object
          </button>
        </form>
      )}
      <div className="link-actions__row">
        <button type="button" className="button" disabled={busy} aria-pressed={capture.reshoot} onClick={() => onEdit({ kind: 'reshoot', reshoot: !capture.reshoot })}>
          {capture.reshoot ? 'Clear re-shoot flag' : 'Flag for re-shoot'}
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => onEdit({ kind: 'undo' })}>
          Undo last linking edit
        </button>
      </div>
      {message && (
        <p className="link-actions__message" data-ok={message.ok} role={message.ok ? 'status' : 'alert'}>
          <span aria-hidden="true">{message.ok ? '✓' : '✕'}</span> {message.text}
        </p>
      )}
    </section>
  );
}
