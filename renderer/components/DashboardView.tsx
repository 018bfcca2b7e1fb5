import { useCallback, useEffect, useState } from 'react';
import type { ResultOf, StationHandlers } from '../contract.js';
import { checkLabel, verdictLook } from '../app/format.js';
import { throttle } from '../app/throttle.js';
import type { StationListener } from '../app/use-station.js';
import type { StationClient } from '../transport/http-client.js';
import { BarChart, ChartLegend } from './BarChart.js';

export type CaptureStats = ResultOf<StationHandlers, 'captureStats'>;

const weekday = (date: string) => new Date(`${date}T12:00:00Z`).toLocaleDateString([], { weekday: 'short', timeZone: 'UTC' });

/** Today per hour, the last 7 days per day, and every check's pass/warn/fail: what came in and what went wrong. */
export function DashboardPanel({ stats, error }: { stats: CaptureStats | null; error: string | null }) {
  const today = stats?.days.at(-1);
  return (
    <section className="view dashboard" aria-labelledby="dashboard-title">
      <div className="view__head">
        <h2 id="dashboard-title" className="view__title">
          Dashboard
        </h2>
        <ChartLegend />
        {today && (
          <p className="dashboard__today" aria-label="Today">
            Today <strong>{today.pass + today.warn + today.fail}</strong>
            <span data-verdict="pass">
              {verdictLook.pass.icon} {today.pass}
            </span>
            <span data-verdict="warn">
              {verdictLook.warn.icon} {today.warn}
            </span>
            <span data-verdict="fail">
              {verdictLook.fail.icon} {today.fail}
            </span>
          </p>
        )}
      </div>
      {error && (
        <p className="notice" role="alert">
          {error}
        </p>
      )}
      {!stats ? (
        <p className="view__empty">Loading figures…</p>
      ) : (
        <div className="dashboard__grid">
          <div className="card dashboard__wide">
            <BarChart title={`Captures per hour today (${stats.today})`} data={stats.hours.map((h) => ({ ...h, label: String(h.hour).padStart(2, '0') }))} labelEvery={2} width={1100} height={300} />
          </div>
          <div className="card">
            <BarChart title="Captures per day, last 7 days" data={stats.days.map((d) => ({ ...d, label: `${weekday(d.date)} ${d.date.slice(8)}` }))} width={640} height={300} />
          </div>
          <div className="card">
            <ChecksTable checks={stats.checks} />
          </div>
          <OperatorCharts operators={stats.operators} />
        </div>
      )}
    </section>
  );
}

/** Captures shot outside any session are counted under this name. */
export const noSessionLabel = 'No session';

/** Each operator's pass/warn/fail today and over the 7 days, one stacked bar each. */
export function OperatorCharts({ operators }: { operators: CaptureStats['operators'] }) {
  if (operators.length === 0) return null;
  const label = (o: CaptureStats['operators'][number]) => o.operator || noSessionLabel;
  const width = Math.max(480, Math.min(1100, 160 + operators.length * 90));
  return (
    <>
      <div className="card">
        <BarChart title="Per operator, today" data={operators.map((o) => ({ ...o.today, label: label(o) }))} width={width} height={300} />
      </div>
      <div className="card">
        <BarChart title="Per operator, last 7 days" data={operators.map((o) => ({ ...o.week, label: label(o) }))} width={width} height={300} />
      </div>
    </>
  );
}

/** Pass/warn/fail by check over 7 days: a horizontal stacked bar per check, with the numbers written out. */
export function ChecksTable({ checks }: { checks: CaptureStats['checks'] }) {
  return (
    <figure className="chart">
      <figcaption className="chart__title">Checks, last 7 days</figcaption>
      {checks.length === 0 ? (
        <p className="view__empty">No checks have run yet.</p>
      ) : (
        <table className="checkbars">
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Result</th>
              <th scope="col" className="num">
                {verdictLook.fail.icon} Fail
              </th>
              <th scope="col" className="num">
                {verdictLook.warn.icon} Warn
              </th>
            </tr>
          </thead>
          <tbody>
            {checks.map((c) => {
              const total = c.pass + c.warn + c.fail || 1;
              let x = 0;
              return (
                <tr key={c.check}>
                  <th scope="row">{checkLabel(c.check)}</th>
                  <td>
                    <svg className="checkbars__bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={`${c.pass} pass, ${c.warn} warn, ${c.fail} fail`}>
                      {(['pass', 'warn', 'fail'] as const).map((v) => {
                        const w = (c[v] / total) * 100;
                        const rect = w > 0 ? <rect key={v} className={`chart__fill--${v}`} data-verdict={v} x={x} y={0} width={w} height={10} /> : null;
                        x += w;
                        return rect;
                      })}
                    </svg>
                  </td>
                  <td className="num" data-verdict={c.fail > 0 ? 'fail' : undefined}>
                    {c.fail}
                  </td>
                  <td className="num" data-verdict={c.warn > 0 ? 'warn' : undefined}>
                    {c.warn}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </figure>
  );
}

export function DashboardView({ client, subscribe }: { client: StationClient; subscribe(l: StationListener): () => void }) {
  const [stats, setStats] = useState<CaptureStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const r = await client.captureStats({ utcOffsetMin: -new Date().getTimezoneOffset() });
    if ('error' in r) setError(r.error.message);
    else {
      setError(null);
      setStats(r.result);
    }
  }, [client]);
  useEffect(() => {
    void load();
    // The station keeps its figures 10 s (they cost it a moment to add up): asking more often gains nothing.
    const again = throttle(() => void load(), 10_000);
    const off = subscribe((m) => {
      if (m.event === 'capture.recorded' || m.event === 'capture.rechecked' || m.event === 'reconnected') again();
    });
    return () => {
      off();
      again.cancel();
    };
  }, [load, subscribe]);
  return <DashboardPanel stats={stats} error={error} />;
}
