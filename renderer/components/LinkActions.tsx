import { useId, useState, type FormEvent } from 'react';
import type { CaptureDetail, LastEdit } from '../contract.js';
import type { LinkEditMessage, LinkEditRequest } from '../app/link-edits.js';

export interface LinkActionsProps {
  capture: Pick<CaptureDetail, 'id' | 'link' | 'reshoot'>;
  busy: boolean;
  /** The last action's outcome, in words: shown at the field or button that sent it. */
  message: LinkEditMessage | null;
  /** The edit Undo would undo now (any capture's), null when there is none, undefined while unknown. */
  lastEdit?: LastEdit | null;
  onEdit(req: LinkEditRequest): void;
}

type BarcodeKind = 'relinkShot' | 'renameObject' | 'split' | 'merge';

const fieldName: Record<BarcodeKind, string> = { relinkShot: 'relink-barcode', renameObject: 'object-barcode', split: 'split-barcode', merge: 'merge-barcode' };

/**
 * Fixing a capture's link from the history: each field sends with Enter, each button with
 * Space/Enter, and the answer appears at the field that sent it (a refusal marks the field). Undo
 * stands apart: it undoes the station's newest linking edit, whichever capture it concerned, and
 * says which.
 */
export function LinkActions({ capture, busy, message, lastEdit, onEdit }: LinkActionsProps) {
  const [sentKind, setSentKind] = useState<LinkEditRequest['kind'] | null>(null);
  const messageId = useId();
  const send = (req: LinkEditRequest) => {
    setSentKind(req.kind);
    onEdit(req);
  };
  // An answer whose sender is not known here (sent before this panel was drawn) goes last.
  const answerAt = (kind: LinkEditRequest['kind']) => (message && (sentKind ?? 'undo') === kind ? message : null);
  const row = (kind: BarcodeKind, label: string, button: string) => (
    <BarcodeRow key={kind} kind={kind} label={label} button={button} busy={busy} answer={answerAt(kind)} messageId={messageId} onSend={(barcode) => send({ kind, barcode })} />
  );
  const link = capture.link;
  return (
    <section className="link-actions" aria-label="Fix the link">
      {row('relinkShot', 'Relink this shot to barcode', 'Relink shot')}
      {link && row('renameObject', `Object ${link.barcode} is really`, 'Rename object')}
      {link && row('split', `Split shot ${link.seq} and later off ${link.barcode} into barcode`, 'Split object')}
      {link && row('merge', `Merge all shots of ${link.barcode} into barcode`, 'Merge object')}
      <div className="link-actions__row">
        <button type="button" className="button" disabled={busy} aria-pressed={capture.reshoot} aria-describedby={answerAt('reshoot') ? messageId : undefined} onClick={() => send({ kind: 'reshoot', reshoot: !capture.reshoot })}>
          {capture.reshoot ? 'Clear re-shoot flag' : 'Flag for re-shoot'}
        </button>
      </div>
      <Answer message={answerAt('reshoot')} id={messageId} />
      <div className="link-actions__undo" role="group" aria-label="Newest linking edit on this station">
        {lastEdit ? (
          <>
            <span className="link-actions__undo-what">Newest linking edit (any capture): {lastEdit.summary}</span>
            <button type="button" className="button" disabled={busy} aria-describedby={answerAt('undo') ? messageId : undefined} onClick={() => send({ kind: 'undo' })}>
              Undo: {lastEdit.summary}
            </button>
          </>
        ) : (
          <span className="link-actions__undo-what">{lastEdit === null ? 'No linking edit to undo.' : 'Looking up the newest linking edit…'}</span>
        )}
      </div>
      <Answer message={answerAt('undo')} id={messageId} />
    </section>
  );
}

function BarcodeRow(p: { kind: BarcodeKind; label: string; button: string; busy: boolean; answer: LinkEditMessage | null; messageId: string; onSend(barcode: string): void }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    p.onSend(value.trim());
  };
  const refused = p.answer?.ok === false;
  return (
    <>
      <form className="link-actions__row" onSubmit={submit}>
        <label className="filters__field">
          <span>{p.label}</span>
          <input
            name={fieldName[p.kind]}
            data-takes-scans
            value={value}
            onChange={(e) => setValue(e.target.value)}
            autoComplete="off"
            required
            aria-invalid={refused || undefined}
            aria-describedby={p.answer ? p.messageId : undefined}
          />
        </label>
        <button type="submit" className="button" disabled={p.busy}>
          {p.button}
        </button>
      </form>
      <Answer message={p.answer} id={p.messageId} />
    </>
  );
}

function Answer({ message, id }: { message: LinkEditMessage | null; id: string }) {
  if (!message) return null;
  return (
    <p id={id} className="link-actions__message" data-ok={message.ok} role={message.ok ? 'status' : 'alert'}>
      <span aria-hidden="true">{message.ok ? '✓' : '✕'}</span> {message.text}
    </p>
  );
}
