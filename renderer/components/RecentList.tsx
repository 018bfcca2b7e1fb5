import type { CaptureRecord } from '../contract.js';
import { fileName, setAsideLook, timeOfDay, verdictLook } from '../app/format.js';

export function RecentList({ captures, currentId, onSelect }: { captures: readonly CaptureRecord[]; currentId: number | null; onSelect(id: number): void }) {
  return (
    <section className="recent" aria-labelledby="recent-title">
      <h2 id="recent-title" className="recent__title">
        Recent captures <span className="recent__count">{captures.length}</span>
      </h2>
      {captures.length === 0 ? (
        <p className="recent__empty">None yet.</p>
      ) : (
        <ol className="recent__list">
          {captures.map((c) => {
            const look = verdictLook[c.verdict];
            return (
              <li key={c.id}>
                <button type="button" className="recent__item" data-verdict={c.verdict} aria-current={c.id === currentId ? 'true' : undefined} onClick={() => onSelect(c.id)}>
                  <span className="recent__verdict">
                    <span aria-hidden="true">{look.icon}</span> {look.word}
                  </span>
                  <span className="recent__text">
                    <span className="recent__name" title={c.relPath}>
                      {fileName(c.relPath)}
                    </span>
                    {c.setAside && (
                      <span className="recent__set-aside" data-set-aside={c.setAside}>
                        <span aria-hidden="true">{setAsideLook[c.setAside].icon}</span> {setAsideLook[c.setAside].word}
                      </span>
                    )}
                    <span className="recent__time">{timeOfDay(c.checkedAt)}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
