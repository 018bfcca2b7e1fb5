import { views, type ViewId } from '../app/views.js';

/** The views, each with the key that opens it shown next to its name. */
export function Nav({ view, onView }: { view: ViewId; onView(v: ViewId): void }) {
  return (
    <nav className="nav" aria-label="Views">
      {views.map((v) => (
        <button
          key={v.id}
          type="button"
          className="nav__item"
          aria-current={v.id === view ? 'page' : undefined}
          aria-keyshortcuts={`${v.fkey} Alt+${v.digit}`}
          title={`${v.label} (${v.fkey} or Alt+${v.digit})`}
          onClick={() => onView(v.id)}
        >
          <span className="nav__label">{v.label}</span>
          <kbd className="nav__key">{v.fkey}</kbd>
        </button>
      ))}
    </nav>
  );
}
