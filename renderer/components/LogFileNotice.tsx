import { useState } from 'react';
import { timeOfDay } from '../app/format.js';
import type { StationStatus } from '../app/use-station.js';

type LogFileStatus = NonNullable<StationStatus['logFile']>;

/**
 * The station's log file cannot be written (or rotated): nobody at a rig reads the terminal, so the
 * station's own sentence (where, why, what to do) is shown here until the file works again; then a
 * note says so until dismissed (the file itself says how many lines it missed).
 */
export function LogFileNotice({ logFile }: { logFile: LogFileStatus | null }) {
  const [dismissed, setDismissed] = useState<string | null>(null);
  if (!logFile) return null;
  if (logFile.problem !== null) {
    return (
      <p className="notice" role="alert" data-testid="log-file">
        <strong>
          <span aria-hidden="true">▲</span> Station log:
        </strong>{' '}
        {logFile.problem}
      </p>
    );
  }
  if (dismissed === logFile.since) return null;
  return (
    <p className="notice notice--ok" role="status" data-testid="log-file">
      <strong>
        <span aria-hidden="true">✓</span> Station log:
      </strong>{' '}
      the log file {logFile.file} works again since {timeOfDay(logFile.since)}.{' '}
      <button type="button" className="button" onClick={() => setDismissed(logFile.since)}>
        Dismiss
      </button>
    </p>
  );
}
