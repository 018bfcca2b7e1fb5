import { useId, type CSSProperties } from 'react';
import type { Verdict } from '../contract.js';
import { compactNumber, niceMax, stackedBars, stackOrder, ticks, type Stack } from '../app/chart.js';
import { verdictLook } from '../app/format.js';

export interface BarChartProps {
  title: string;
  /** One stacked bar per entry, in order. */
  data: readonly (Stack & { label: string })[];
  /** Show every n-th x label (long axes). */
  labelEvery?: number;
  width?: number;
  height?: number;
}

// The top leaves room for a full bar's total label (16 px type, 6 px above the bar).
const pad = { top: 30, right: 12, bottom: 44, left: 56 };

/**
 * Fail and warn segments are filled with their pattern through the style attribute: a stylesheet's
 * `fill` beats the `fill` attribute (a presentation hint), so a colour class would hide the pattern.
 */
function patternFill(verdict: Verdict, uid: string): CSSProperties | undefined {
  if (verdict === 'fail') return { fill: `url(#hatch-${uid})` };
  if (verdict === 'warn') return { fill: `url(#dots-${uid})` };
  return undefined;
}

/**
 * Stacked pass/warn/fail bars, drawn as SVG. Fail segments are also hatched and warn ones dotted,
 * so the chart reads without colour; the legend gives icon and word for each.
 */
export function BarChart({ title, data, labelEvery = 1, width = 720, height = 300 }: BarChartProps) {
  const uid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...data.map((d) => d.pass + d.warn + d.fail)));
  const bars = stackedBars(data, plotW, plotH, max);
  const total = data.reduce((t, d) => t + d.pass + d.warn + d.fail, 0);
  const summary = `${title}: ${total} captures; ${data
    .filter((d) => d.pass + d.warn + d.fail > 0)
    .map((d) => `${d.label} ${d.pass} pass, ${d.warn} warn, ${d.fail} fail`)
    .join('; ')}`;
  return (
    <figure className="chart">
      <figcaption className="chart__title">{title}</figcaption>
      <svg className="chart__svg" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
        <defs>
          <pattern id={`hatch-${uid}`} width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect className="chart__fill--fail" width="10" height="10" />
            <line className="chart__hatch" x1="0" y1="0" x2="0" y2="10" strokeWidth="4" />
          </pattern>
          <pattern id={`dots-${uid}`} width="8" height="8" patternUnits="userSpaceOnUse">
            <rect className="chart__fill--warn" width="8" height="8" />
            <circle className="chart__dot" cx="4" cy="4" r="1.6" />
          </pattern>
        </defs>
        <g transform={`translate(${pad.left},${pad.top})`}>
          {ticks(max).map((t) => {
            const y = plotH - (t / max) * plotH;
            return (
              <g key={t}>
                <line className="chart__grid" x1={0} x2={plotW} y1={y} y2={y} />
                <text className="chart__tick" x={-10} y={y} dy="0.35em" textAnchor="end">
                  {Number.isInteger(t) ? compactNumber(t) : t.toFixed(1)}
                </text>
              </g>
            );
          })}
          {bars.map((b, i) => (
            <g key={data[i]!.label} className="chart__bar">
              <title>{`${data[i]!.label}: ${b.total} (${data[i]!.pass} pass, ${data[i]!.warn} warn, ${data[i]!.fail} fail)`}</title>
              {b.segments.map((s) => (
                <rect
                  key={s.verdict}
                  className={s.verdict === 'pass' ? 'chart__seg chart__fill--pass' : 'chart__seg'}
                  data-verdict={s.verdict}
                  x={b.x}
                  y={s.y}
                  width={b.width}
                  height={Math.max(s.height, 1)}
                  style={patternFill(s.verdict, uid)}
                />
              ))}
              {b.total > 0 && (
                <text className="chart__value" x={b.x + b.width / 2} y={(b.segments.at(-1)?.y ?? plotH) - 6} textAnchor="middle">
                  {compactNumber(b.total)}
                </text>
              )}
              {i % labelEvery === 0 && (
                <text className="chart__label" x={b.x + b.width / 2} y={plotH + 28} textAnchor="middle">
                  {data[i]!.label}
                </text>
              )}
            </g>
          ))}
          <line className="chart__axis" x1={0} x2={plotW} y1={plotH} y2={plotH} />
        </g>
      </svg>
    </figure>
  );
}

export function ChartLegend() {
  return (
    <ul className="legend" aria-label="Legend">
      {stackOrder.map((v) => (
        <li key={v} className="legend__item" data-verdict={v}>
          <span className="legend__swatch" aria-hidden="true" />
          <span aria-hidden="true">{verdictLook[v].icon}</span> {verdictLook[v].word}
        </li>
      ))}
    </ul>
  );
}
