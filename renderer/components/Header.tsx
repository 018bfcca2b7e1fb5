import type { ReactNode } from 'react';
import type { ConnectionState } from '../transport/event-stream.js';
import type { Theme } from '../app/theme.js';

/** The event stream's state, or `unanswered`: it is live but the station's replies fail. */
export type ShownConnection = ConnectionState | 'unanswered';

const connectionLook: Record<ShownConnection, { icon: string; word: string }> = {
  live: { icon: '●', word: 'Live' },
  unanswered: { icon: '▲', word: 'Not answering' },
  connecting: { icon: '◌', word: 'Connecting…' },
  offline: { icon: '✕', word: 'Offline — reconnecting' },
  refused: { icon: '✕', word: 'Access refused' },
};

export interface HeaderProps {
  stationId: string | null;
  connection: ShownConnection;
  checking: readonly string[];
  counts: { pass: number; warn: number; fail: number } | null;
  theme: Theme;
  onToggleTheme(): void;
  /** The view navigation, after the station name. */
  children?: ReactNode;
  /** The open operator session (SessionBadge), after the station name. */
  session?: ReactNode;
}

function countsTitle({ pass, warn, fail }: { pass: number; warn: number; fail: number }): string {
  return `All captures this station has recorded, every day: ${pass} pass, ${warn} warn, ${fail} fail. Today's are on the Dashboard.`;
}

export function Header({ stationId, connection, checking, counts, theme, onToggleTheme, children, session }: HeaderProps) {
  const look = connectionLook[connection];
  return (
    <header className="header">
      <div className="header__brand">
        <span className="header__product">Capture Station</span>
        <span className="header__station" data-testid="station-id">
          {stationId ?? '…'}
        </span>
      </div>
      {session}
      {children}
      <div className="header__activity" aria-live="polite">
        {checking.length > 0 && (
          <span className="header__checking">
            Checking {checking[checking.length - 1]}
            {checking.length > 1 && ` and ${checking.length - 1} more`}…
          </span>
        )}
      </div>
      {counts && (
        // Every capture the station holds, not today's (the Dashboard has those): labelled so the two are never read as one figure.
        <p className="header__counts" title={countsTitle(counts)} aria-label={countsTitle(counts)}>
          <span className="header__counts-label">All time</span>
          <span data-verdict="pass">✓ {counts.pass}</span>
          <span data-verdict="warn">▲ {counts.warn}</span>
          <span data-verdict="fail">✕ {counts.fail}</span>
        </p>
      )}
      <span className="connection" data-state={connection} role="status" aria-label={`Connection: ${look.word}`}>
        <span aria-hidden="true">{look.icon}</span> {look.word}
      </span>
      {/* Its sun or moon only: the words stay its name and tooltip, and the header's room goes to what the rig needs. */}
      <button type="button" className="button header__theme" onClick={onToggleTheme} aria-pressed={theme === 'light'} title={theme === 'dark' ? 'Light theme' : 'Dark theme'}>
        <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span> <span className="visually-hidden">{theme === 'dark' ? 'Light theme' : 'Dark theme'}</span>
      </button>
    </header>
  );
}
