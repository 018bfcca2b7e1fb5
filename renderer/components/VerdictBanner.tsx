import type { Verdict } from '../contract.js';
import { verdictLook, type Problem } from '../app/format.js';

/** The verdict as it must be read from across the room: icon, word and colour, and the reasons in plain words. */
export function VerdictBanner({ verdict, problems }: { verdict: Verdict; problems: readonly Problem[] }) {
  const look = verdictLook[verdict];
  return (
    <section className="verdict" data-verdict={verdict} role="status" aria-live="assertive" aria-label={`${look.word}: ${look.label}`}>
      <div className="verdict__head">
        <span className="verdict__icon" aria-hidden="true">
          {look.icon}
        </span>
        <span className="verdict__word">{look.word}</span>
        <span className="verdict__label">{look.label}</span>
      </div>
      {problems.length > 0 && (
        <ul className="verdict__problems">
          {problems.map((p) => (
            <li key={p.check} className="problem" data-status={p.status}>
              <span className="problem__check">
                <span aria-hidden="true">{verdictLook[p.status].icon} </span>
                {p.label}
              </span>
              <span className="problem__message">{p.message}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
