import type { CaptureDetail } from '../contract.js';
import { captureKeys } from '../app/capture-keys.js';
import { fileName, folderOf, keyFacts, problemsOf, type LinkLine } from '../app/format.js';
import type { PreviewState } from '../app/use-preview.js';
import { Histogram } from './Histogram.js';
import { KeyFacts } from './KeyFacts.js';
import { PreviewPane } from './PreviewPane.js';
import { VerdictBanner } from './VerdictBanner.js';

export interface CaptureViewProps {
  capture: CaptureDetail | null;
  following: boolean;
  /** Where new files are expected, for the empty state. */
  inboxes: readonly string[];
  onFollowLatest(): void;
  /** The preview of `capture` (usePreview). */
  preview: PreviewState;
  overlay: boolean;
  onToggleOverlay(): void;
  /** The fail cue: on in the station config (ui.soundOnFail), and muted on this screen or not. */
  sound: { enabled: boolean; muted: boolean; onToggleMute(): void };
  /** The object it was linked to and filed under, or why not; null when barcode linking is off. */
  link?: LinkLine | null;
}

/** The newest capture, large: its picture, its verdict and why, its histogram, and the facts that matter at the stand. */
export function CaptureView({ capture, following, inboxes, onFollowLatest, preview, overlay, onToggleOverlay, sound, link = null }: CaptureViewProps) {
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
  const name = fileName(capture.relPath);
  const ready = preview.status === 'ready' ? preview.preview : null;
  return (
    <section className="capture" aria-label="Newest capture" data-capture-id={capture.id}>
      {/* The picture takes the height the screen leaves; the verdict first beside it, read from across the room. */}
      <PreviewPane state={preview} name={name} overlay={overlay && ready !== null} />
      <div className="capture__info">
        <VerdictBanner verdict={capture.verdict} problems={problemsOf(capture.results)} />
        <div className="capture__title">
          <h2 className="capture__name" title={capture.path}>
            {name}
          </h2>
          <div className="capture__meta">
            <p className="capture__where">
              {capture.sourceId}
              {folder && ` / ${folder}`}
              {capture.version > 1 && ` · version ${capture.version}`}
            </p>
            {link && (
              <p className="capture__link" data-state={link.state} data-testid="capture-link" title={link.path}>
                <span aria-hidden="true">{link.icon}</span> {link.words}
                {link.where && (
                  <>
                    {' '}
                    <span className="capture__link-where mono">{link.where}</span>
                  </>
                )}
                {link.barcode && (
                  <>
                    {link.state === 'rejected' || link.state === 'reshoot' ? ' · from ' : ' '}
                    <strong className="capture__link-barcode mono">{link.barcode}</strong>
                    {link.shot && ` · ${link.shot}`}
                  </>
                )}
              </p>
            )}
          </div>
          {!following && (
            <button type="button" className="button" onClick={onFollowLatest}>
              Show newest
            </button>
          )}
        </div>
        <div className="capture__side">
          {ready && <Histogram preview={ready} />}
          <div className="capture__controls">
            <button
              type="button"
              className="toggle"
              aria-pressed={overlay}
              disabled={!ready}
              aria-keyshortcuts={captureKeys.overlay.label}
              title={`Show clipped pixels on the preview: white in red, black in blue (${captureKeys.overlay.label})`}
              onClick={onToggleOverlay}
            >
              <span aria-hidden="true">{overlay ? '◼' : '◻'} </span>
              Clipping overlay {overlay ? 'on' : 'off'} <kbd className="nav__key">{captureKeys.overlay.label}</kbd>
            </button>
            {sound.enabled ? (
              <button
                type="button"
                className="toggle"
                aria-pressed={!sound.muted}
                aria-keyshortcuts={captureKeys.mute.label}
                title={`Sound a tone when a new capture fails (${captureKeys.mute.label})`}
                onClick={sound.onToggleMute}
              >
                <span aria-hidden="true">{sound.muted ? '⊘' : '♪'} </span>
                Sound on fail {sound.muted ? 'muted' : 'on'} <kbd className="nav__key">{captureKeys.mute.label}</kbd>
              </button>
            ) : (
              <p className="capture__sound-off">Sound on fail is off in the station config (ui.soundOnFail).</p>
            )}
          </div>
        </div>
        <KeyFacts facts={keyFacts(capture)} />
      </div>
    </section>
  );
}
