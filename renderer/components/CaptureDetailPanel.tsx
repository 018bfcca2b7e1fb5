import type { CaptureDetail } from '../contract.js';
import { checkLabel, fileName, keyFacts, linkLine, timeOfDay, verdictLook } from '../app/format.js';
import { eventSentence } from '../app/event-words.js';
import { dateTime, eventSummary } from '../app/history-state.js';
import { KeyFacts } from './KeyFacts.js';

const statusLook = { ...verdictLook, skip: { icon: '–', word: 'SKIP', label: 'Not run' } } as const;

/** One capture in full: verdict, every check with its sentence, key facts and its timeline in sentences. */
export function CaptureDetailPanel({ capture, onShowInCaptureView }: { capture: CaptureDetail; onShowInCaptureView?(id: number): void }) {
  const look = verdictLook[capture.verdict];
  const setAside = capture.setAside ? linkLine(capture, false) : null;
  return (
    <article className="detail" aria-labelledby="detail-title" data-capture-id={capture.id}>
      <header className="detail__head">
        <span className="detail__verdict" data-verdict={capture.verdict}>
          <span aria-hidden="true">{look.icon}</span> {look.word}
        </span>
        <h3 id="detail-title" className="detail__name" title={fileName(capture.relPath)}>
          {fileName(capture.relPath)}
        </h3>
        {onShowInCaptureView && (
          <button type="button" className="button" onClick={() => onShowInCaptureView(capture.id)}>
            Show in capture view
          </button>
        )}
      </header>
      <p className="detail__where mono">{capture.path}</p>
      <dl className="detail__who">
        <dt>Object</dt>
        <dd data-testid="detail-object">{capture.link ? `${capture.link.barcode} · shot ${capture.link.seq}${capture.link.view ? ` (${capture.link.view})` : ''}` : 'Not linked'}</dd>
        <dt>Operator</dt>
        <dd data-testid="detail-operator">{capture.session ? `${capture.session.operator}${capture.session.project ? ` · ${capture.session.project}` : ''}` : 'No session'}</dd>
        {setAside ? (
          <>
            <dt>{setAside.state === 'rejected' ? 'Rejected' : 'Re-shoot'}</dt>
            <dd data-verdict={setAside.state === 'rejected' ? 'fail' : 'warn'} data-testid="detail-set-aside">
              <span aria-hidden="true">{setAside.icon}</span> {setAside.words}
              {setAside.where && <span className="mono"> {setAside.where}</span>}
            </dd>
          </>
        ) : (
          capture.reshoot && (
            <>
              <dt>Re-shoot</dt>
              <dd data-verdict="warn">
                <span aria-hidden="true">↻</span> Flagged to be shot again
              </dd>
            </>
          )
        )}
      </dl>
      <h4 className="detail__section">Checks</h4>
      <ul className="checks">
        {capture.results.map((r) => {
          const s = statusLook[r.status];
          return (
            <li key={r.check} className="checks__item" data-status={r.status}>
              <span className="checks__status">
                <span aria-hidden="true">{s.icon}</span> {s.word}
              </span>
              <span className="checks__label">{checkLabel(r.check)}</span>
              <span className="checks__message">{r.message}</span>
            </li>
          );
        })}
        {capture.results.length === 0 && <li className="checks__item">No check results recorded.</li>}
      </ul>
      <h4 className="detail__section">Facts</h4>
      <KeyFacts facts={keyFacts(capture)} />
      <h4 className="detail__section">Timeline</h4>
      <ol className="timeline">
        {capture.events.map((e) => (
          <li key={e.id} className="timeline__item">
            <time className="timeline__at" dateTime={e.at} title={dateTime(e.at)}>
              {timeOfDay(e.at)}
            </time>
            <span className="timeline__what">{eventSentence(e)}</span>
          </li>
        ))}
        {capture.events.length === 0 && <li className="timeline__item">No events.</li>}
      </ol>
      {capture.events.length > 0 && (
        // The stored events as they are, for IT: out of the way of the sentences.
        <details className="timeline__details">
          <summary>Details (the events as stored)</summary>
          <ol className="timeline__raw">
            {capture.events.map((e) => (
              <li key={e.id}>
                <span className="timeline__type mono">{e.type}</span> <span className="timeline__data">{eventSummary(e.data)}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </article>
  );
}
