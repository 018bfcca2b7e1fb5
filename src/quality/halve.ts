/** Pixels halved in 2 × 2 means, for QC's working copy from a decode at half its libjpeg scale (shared-jpeg.ts). */

/** Interleaved 8-bit RGB; `data` of its own, so it can be transferred. */
export interface Rgb8 {
  data: Uint8Array<ArrayBuffer>;
  width: number;
  height: number;
}

/**
 * Each 2 × 2 block's mean, rounded half up. An odd last row or column is left out, as libvips leaves
 * out a partial last pixel when libjpeg scales: its ⅛ decode is floor(w / 8) wide, its ¼ decode
 * floor(w / 4), and floor(floor(w / 4) / 2) = floor(w / 8).
 */
export function halved(p: { data: Uint8Array; width: number; height: number }): Rgb8 {
  const { width: w, data: src } = p;
  const width = p.width >> 1;
  const height = p.height >> 1;
  const row = w * 3;
  const out = new Uint8Array(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const a = 2 * y * row;
    const b = a + row;
    for (let i = 0; i < width * 6; i += 6) {
      for (let c = i; c < i + 3; c++) out[o++] = (src[a + c]! + src[a + c + 3]! + src[b + c]! + src[b + c + 3]! + 2) >> 2;
    }
  }
  return { data: out, width, height };
}
