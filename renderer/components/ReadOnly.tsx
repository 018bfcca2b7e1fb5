/** An eye, drawn: the emoji shows as a missing-glyph box where no colour-emoji font is installed (Debian's Chromium). */
export function EyeIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 16" width="1.4em" height="1em" aria-hidden="true" focusable="false">
      <path d="M1 8c3-4.7 6.7-7 11-7s8 2.3 11 7c-3 4.7-6.7 7-11 7S4 12.7 1 8z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
      <circle cx="12" cy="8" r="3.2" fill="currentColor" />
    </svg>
  );
}

/** Stands where a control would be on a monitor's (read-only token's) screen, saying why it is not there. */
export function ReadOnlyNote({ children }: { children: string }) {
  return (
    <p className="readonly-note" data-testid="readonly-note">
      <EyeIcon />
      <span>
        <strong>Read-only monitor</strong>: {children}
      </span>
    </p>
  );
}
