import type { CaptureDetail } from '../contract.js';
import { fileName, folderOf, keyFacts, problemsOf } from '../app/format.js';
import { KeyFacts } from './KeyFacts.js';
import { VerdictBanner } from './VerdictBanner.js';

export interface CaptureViewProps {
  capture: CaptureDetail | null;
  following: boolean;
  /** Where new files are expected, for the empty state. */
  inboxes: readonly string[];
  onFollowLatest(): void;
}

/** The newest capture, large: its name, its verdict and why, and the facts that matter at the stand. */
export function CaptureView({ capture, following, inboxes, onFollowLatest }: CaptureViewProps) {
  if (!capture) {
    return (
      <section className="capture capture--empty" aria-label="Newest capture">
        <p className="capture__waiting">Waiting for the first capture…</p>
        {inboxes.length > 0 && (
          <p className="capture__hint">
            New files in <span className="mono">{inboxes.join(', ')}</span> appear here about a second after they are written.
          </p>
        )}
      </section>
    );
  }
  const folder = folderOf(capture.relPath);
  return (
    <section className="capture" aria-label="Newest capture" data-capture-id={capture.id}>
      <div className="capture__title">
        <h2 className="capture__name" title={capture.path}>
          {fileName(capture.relPath)}
        </h2>
        <p className="capture__where">
          {capture.sourceId}
          {folder && ` / ${folder}`}
          {capture.version > 1 && ` · version ${capture.version}`}
        </p>
        {!following && (
          <button type="button" className="button" onClick={onFollowLatest}>
            Show newest
          </button>
        )}
      </div>
      <VerdictBanner verdict={capture.verdict} problems={problemsOf(capture.results)} />
      <KeyFacts facts={keyFacts(capture)} />
    </section>
  );
}
