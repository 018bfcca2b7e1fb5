import type { KeyFact } from '../app/format.js';

export function KeyFacts({ facts }: { facts: readonly KeyFact[] }) {
  return (
    <dl className="facts">
      {facts.map((f) => (
        <div key={f.label} className="facts__item">
          <dt>{f.label}</dt>
          <dd>
            <span className={f.mono ? 'facts__value mono' : 'facts__value'}>{f.value}</span>
            {f.detail && <span className="facts__detail">{f.detail}</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}
