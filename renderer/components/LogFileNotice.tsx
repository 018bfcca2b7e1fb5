import { useState } from 'react';
import { timeOfDay } from '../app/format.js';
import { dateTime } from '../app/history-state.js';
import type { StationStatus } from '../app/use-station.js';

type LogFileStatus = NonNullable<StationStatus['logFile']>;

/**
 * status().logFile keeps saying "works again" until the station restarts, and a dismissal lasts as
 * long as the screen: a recovery this long before the screen was opened (a reload) is old news.
 */
const oldNewsMs = 60 * 60 * 1000;

/** The time of day, with the date when it is not today (a note left on an unattended rig overnight). */
function when(iso: string): string {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? timeOfDay(iso) : dateTime(iso);
}

/**
 * The station's log file cannot be written (or rotated): nobody at a rig reads the terminal, so the
 * station's own sentence (where, why, what to do) is shown here until the file works again; then a
 * note says so until dismissed (the file itself says how many lines it missed); a screen opened (or
 * reloaded) more than an hour after the recovery does not show it.
 */
export function LogFileNotice({ logFile }: { logFile: LogFileStatus | null }) {
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [openedAt] = useState(Date.now);
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
  if (dismissed === logFile.since || Date.parse(logFile.since) < openedAt - oldNewsMs) return null;
  return (
    <p className="notice notice--ok" role="status" data-testid="log-file">
      <strong>
        <span aria-hidden="true">✓</span> Station log:
      </strong>{' '}
      the log file {logFile.file} works again since {when(logFile.since)}.{' '}
      <button type="button" className="button" onClick={() => setDismissed(logFile.since)}>
        Dismiss
      </button>
    </p>
  );
}
