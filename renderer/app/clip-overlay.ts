/**
 * The clipping overlay, made in the page from the preview's own pixels: a pixel with any channel
 * at 255 is painted red (blown highlight), else one with any channel at 0 blue (crushed shadow),
 * everything else is left transparent. Pure: it works on RGBA arrays (a canvas's ImageData).
 */
export const overlayColours = {
  white: [230, 0, 0, 255],
  black: [0, 90, 255, 255],
} as const;

export function paintClipping(rgba: Uint8ClampedArray, out: Uint8ClampedArray): { white: number; black: number } {
  if (out.length !== rgba.length) throw new RangeError('the overlay must be the size of the image');
  let white = 0;
  let black = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const r = rgba[i]!;
    const g = rgba[i + 1]!;
    const b = rgba[i + 2]!;
    const colour = r === 255 || g === 255 || b === 255 ? overlayColours.white : r === 0 || g === 0 || b === 0 ? overlayColours.black : null;
    if (colour === overlayColours.white) white++;
    else if (colour) black++;
    out.set(colour ?? transparent, i);
  }
  return { white, black };
}

const transparent = [0, 0, 0, 0] as const;
