import { useEffect, useRef, useState } from 'react';
import { paintClipping } from '../app/clip-overlay.js';
import { formatPct } from '../app/histogram-chart.js';
import type { PreviewState } from '../app/use-preview.js';

export interface PreviewPaneProps {
  state: PreviewState;
  name: string;
  overlay: boolean;
}

/** The newest capture as large as the column allows, with the clipping overlay drawn over it on demand. */
export function PreviewPane({ state, name, overlay }: PreviewPaneProps) {
  if (state.status === 'none') return null;
  if (state.status === 'loading') {
    return (
      <div className="preview preview--pending" aria-busy="true">
        <p className="preview__note">Making the preview…</p>
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="preview preview--error" role="note">
        <p className="preview__note">
          <span aria-hidden="true">✕ </span>
          No preview
        </p>
        <p className="preview__reason">{state.message}</p>
      </div>
    );
  }
  const p = state.preview;
  return (
    <figure className="preview" data-overlay={overlay ? 'on' : 'off'}>
      <div className="preview__frame">
        <img className="preview__image" src={p.image ?? undefined} width={p.width} height={p.height} alt={`Preview of ${name}`} />
        {overlay && p.image && <ClippingCanvas src={p.image} width={p.width} height={p.height} />}
      </div>
    </figure>
  );
}

/** The overlay, computed here from the preview's pixels (clip-overlay.ts), with its counts for screen readers. */
function ClippingCanvas({ src, width, height }: { src: string; width: number; height: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [counts, setCounts] = useState<{ white: number; black: number } | null>(null);
  useEffect(() => {
    let live = true;
    const img = new Image();
    img.onload = () => {
      const c = canvas.current;
      const ctx = c?.getContext('2d', { willReadFrequently: true });
      if (!live || !c || !ctx) return;
      ctx.drawImage(img, 0, 0, width, height);
      const pixels = ctx.getImageData(0, 0, width, height);
      const out = ctx.createImageData(width, height);
      setCounts(paintClipping(pixels.data, out.data));
      ctx.putImageData(out, 0, 0);
    };
    img.src = src;
    return () => {
      live = false;
    };
  }, [src, width, height]);
  const total = width * height;
  return (
    <>
      <canvas ref={canvas} className="preview__overlay" width={width} height={height} data-ready={counts ? 'true' : 'false'} />
      {counts && (
        <p className="preview__overlay-note" data-testid="overlay-counts">
          <span className="preview__swatch" data-end="white" aria-hidden="true" /> at white {formatPct((100 * counts.white) / total)} · <span className="preview__swatch" data-end="black" aria-hidden="true" /> at black{' '}
          {formatPct((100 * counts.black) / total)}
        </p>
      )}
    </>
  );
}
