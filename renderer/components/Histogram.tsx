import { areaPath, binHeights, clipFigures, formatPct, innerMax, linePath } from '../app/histogram-chart.js';
import type { PreviewResult } from '../app/use-preview.js';

const height = 100;

/**
 * Luminance as a filled area with R, G and B drawn over it, and the share of pixels clipped at
 * black and at white beside the ends — as words and numbers, with an edge marker that shows only
 * when something is clipped.
 */
export function Histogram({ preview }: { preview: Pick<PreviewResult, 'histogram' | 'clipping'> }) {
  const h = preview.histogram;
  const max = innerMax(h);
  const heights = (bins: readonly number[]) => binHeights(bins, max, height);
  const clip = clipFigures(preview);
  const source = clip.source === 'qc' ? 'measured by QC on the full file' : 'counted on the preview';
  return (
    <figure className="histogram" aria-label={`Histogram. Clipped at black: ${formatPct(clip.blackPct)}; at white: ${formatPct(clip.whitePct)} (${source}).`}>
      <svg className="histogram__plot" viewBox={`0 0 256 ${height}`} preserveAspectRatio="none" role="img" aria-hidden="true">
        <path className="histogram__luma" d={areaPath(heights(h.luma), height)} />
        <path className="histogram__r" d={linePath(heights(h.r), height)} />
        <path className="histogram__g" d={linePath(heights(h.g), height)} />
        <path className="histogram__b" d={linePath(heights(h.b), height)} />
        {clip.blackPct > 0 && <rect className="histogram__clip" data-end="black" x={0} y={0} width={3} height={height} />}
        {clip.whitePct > 0 && <rect className="histogram__clip" data-end="white" x={253} y={0} width={3} height={height} />}
      </svg>
      <figcaption className="histogram__caption">
        <span className="histogram__end" data-end="black" data-clipped={clip.blackPct > 0 ? 'true' : 'false'}>
          <span aria-hidden="true">◀ </span>Black clipped <strong>{formatPct(clip.blackPct)}</strong>
        </span>
        <span className="histogram__legend" aria-hidden="true">
          <span className="histogram__key" data-channel="r">R</span> <span className="histogram__key" data-channel="g">G</span> <span className="histogram__key" data-channel="b">B</span>{' '}
          <span className="histogram__key" data-channel="luma">Luminance</span>
        </span>
        <span className="histogram__end" data-end="white" data-clipped={clip.whitePct > 0 ? 'true' : 'false'}>
          White clipped<span aria-hidden="true"> ▶</span> <strong>{formatPct(clip.whitePct)}</strong>
        </span>
      </figcaption>
    </figure>
  );
}
