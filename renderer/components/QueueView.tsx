import { useCallback, useEffect, useState } from 'react';
import type { StationListener } from '../app/use-station.js';
import { formatBytes, timeOfDay } from '../app/format.js';
import { formatEta, formatPending, formatRate, jobStates, jobStateWords, reachLook, reachOf, totalDead, type QueueStatus, type TargetStatus } from '../app/queue-format.js';
import { throttle } from '../app/throttle.js';
import type { StationClient } from '../transport/http-client.js';
import { ReadOnlyNote } from './ReadOnly.js';

export interface QueuePanelProps {
  queue: QueueStatus | null;
  error: string | null;
  /** What the last retry did, or why it failed. */
  message: string | null;
  onRetry(args: { targetId?: string; jobId?: number }): void;
  /** A monitor's screen: dead jobs are listed without Retry, a note says where to retry them. */
  readOnly?: boolean;
}

/** The upload queue per target: counts by state, bytes pending, rate, ETA, reachability, dead jobs with Retry. */
export function QueuePanel({ queue, error, message, onRetry, readOnly = false }: QueuePanelProps) {
  const dead = totalDead(queue);
  return (
    <section className="view queue" aria-labelledby="queue-title">
      <div className="view__head">
        <h2 id="queue-title" className="view__title">
          Upload queue
        </h2>
        {queue && !queue.live && <span className="view__note">The station is not uploading: rates and reachability are not known.</span>}
        {dead > 0 && readOnly && <ReadOnlyNote>dead jobs are retried on the operator's screen.</ReadOnlyNote>}
        {dead > 0 && !readOnly && (
          <button type="button" className="button button--strong" onClick={() => onRetry({})}>
            Retry all {dead} dead
          </button>
        )}
      </div>
      {error && (
        <p className="notice" role="alert">
          {error}
        </p>
      )}
      {message && (
        <p className="queue__message" role="status">
          {message}
        </p>
      )}
      {!queue ? (
        <p className="view__empty">Loading the queue…</p>
      ) : queue.targets.length === 0 ? (
        <p className="view__empty">
          No upload targets are configured. Add one under <span className="mono">targets:</span> in the station config to send captures to a share or an object store.
        </p>
      ) : (
        <div className="queue__targets">
          {queue.targets.map((t) => (
            <TargetCard key={t.id} target={t} onRetry={readOnly ? null : onRetry} />
          ))}
        </div>
      )}
    </section>
  );
}

/** `onRetry` null: a monitor's screen, no Retry buttons. */
function TargetCard({ target: t, onRetry }: { target: TargetStatus; onRetry: QueuePanelProps['onRetry'] | null }) {
  const reach = reachOf(t);
  const look = reachLook[reach];
  return (
    <article className="target" data-reach={reach} aria-labelledby={`target-${t.id}`}>
      <header className="target__head">
        <h3 id={`target-${t.id}`} className="target__name">
          {t.id}
        </h3>
        <span className="target__kind">
          {t.kind}
          {t.required ? ' · required' : ' · optional'}
          {!t.configured && ' · no longer configured'}
        </span>
        <span className="pill" data-reach={reach} role="status" aria-label={`${t.id}: ${look.word}`}>
          <span aria-hidden="true">{look.icon}</span> {look.word}
        </span>
      </header>
      {t.lastProbeError && (
        <p className="target__probe-error">
          <span className="target__probe-word">
            <span aria-hidden="true">✕</span> Last probe{t.lastProbeAt ? ` ${timeOfDay(t.lastProbeAt)}` : ''}:
          </span>{' '}
          {t.lastProbeError}
        </p>
      )}
      <dl className="target__counts">
        {jobStates.map((s) => (
          <div key={s} className="target__count" data-state={s} data-nonzero={t.counts[s] > 0 ? 'true' : undefined}>
            <dt>{jobStateWords[s]}</dt>
            <dd>{t.counts[s]}</dd>
          </div>
        ))}
      </dl>
      <dl className="target__figures">
        <div>
          <dt>Pending</dt>
          <dd>{formatPending(t)}</dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd>{formatRate(t.rateBytesPerSec)}</dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{formatEta(t)}</dd>
        </div>
        <div>
          <dt>Uploaded</dt>
          <dd>{formatBytes(t.bytesDone)}</dd>
        </div>
      </dl>
      {t.dead.length > 0 && (
        <div className="dead">
          <div className="dead__head">
            <h4 className="dead__title">
              <span aria-hidden="true">✕</span> Dead jobs{t.counts.dead > t.dead.length ? ` (oldest ${t.dead.length} of ${t.counts.dead})` : ''}
            </h4>
            {onRetry && (
              <button type="button" className="button" onClick={() => onRetry({ targetId: t.id })}>
                Retry all for {t.id}
              </button>
            )}
          </div>
          <ul className="dead__list">
            {t.dead.map((j) => (
              <li key={j.jobId} className="dead__job">
                <div className="dead__job-head">
                  <span className="dead__what">
                    Job <span className="mono">{j.jobId}</span> · capture <span className="mono">{j.captureId}</span> · {j.attempts === 1 ? '1 try' : `${j.attempts} tries`}
                    {j.remoteKey && <span className="dead__key mono"> · {j.remoteKey}</span>}
                  </span>
                  {onRetry && (
                    <button type="button" className="button" aria-label={`Retry job ${j.jobId}`} onClick={() => onRetry({ targetId: t.id, jobId: j.jobId })}>
                      Retry
                    </button>
                  )}
                </div>
                <p className="dead__error">{j.error ?? 'No error recorded.'}</p>
              </li>
            ))}
          </ul>
        </div>
      )}
      {t.stale.length > 0 && <StaleCopies target={t} />}
    </article>
  );
}

/** Copies left at the target under names their captures no longer have: pending ones the station removes, kept ones stay. */
function StaleCopies({ target: t }: { target: TargetStatus }) {
  return (
    <div className="stale">
      <h4 className="stale__title">
        <span aria-hidden="true">⚠</span> Copies under old names{t.staleCount > t.stale.length ? ` (oldest ${t.stale.length} of ${t.staleCount})` : ` (${t.staleCount})`}
      </h4>
      <ul className="dead__list">
        {t.stale.map((c) => (
          <li key={c.staleId} className="dead__job">
            <span className="dead__what">
              Capture <span className="mono">{c.captureId}</span> · {c.state === 'kept' ? 'left there' : 'to be removed'}
              <span className="dead__key mono"> · {c.remoteKey}</span>
            </span>
            <p className="dead__error">
              {c.state === 'kept' ? c.note : c.error ? `Removing it failed ${c.attempts === 1 ? 'once' : `${c.attempts} times`}: ${c.error}` : "Removed once the capture's copy under its new name is verified."}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The queue view, live: fetched on open, again after upload events (at most twice a second) and on reconnect. */
export function QueueView({ client, subscribe, readOnly = false }: { client: StationClient; subscribe(l: StationListener): () => void; readOnly?: boolean }) {
  const [queue, setQueue] = useState<QueueStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    const r = await client.queueStatus({});
    if ('error' in r) setError(r.error.message);
    else {
      setError(null);
      setQueue(r.result);
    }
  }, [client]);

  useEffect(() => {
    void load();
    const again = throttle(() => void load(), 500);
    // Rate and reachability change without a job event: a slow poll keeps them honest.
    const poll = setInterval(again, 5000);
    const off = subscribe((m) => {
      if (m.event === 'upload.job' || m.event === 'reconnected') again();
    });
    return () => {
      off();
      again.cancel();
      clearInterval(poll);
    };
  }, [load, subscribe]);

  const onRetry = useCallback(
    async (args: { targetId?: string; jobId?: number }) => {
      const r = await client.retryDead(args);
      if ('error' in r) setMessage(r.error.message);
      else setMessage(r.result.requeued.length === 1 ? 'Requeued 1 job.' : `Requeued ${r.result.requeued.length} jobs.`);
      void load();
    },
    [client, load],
  );

  return <QueuePanel queue={queue} error={error} message={message} onRetry={(a) => void onRetry(a)} readOnly={readOnly} />;
}
