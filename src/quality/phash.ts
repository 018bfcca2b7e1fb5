/**
 * 64-bit perceptual hash (DCT pHash): the luminance is area-averaged to 32×32, transformed with a
 * 2-D DCT-II, and the 8×8 lowest frequencies next to the DC term (rows and columns 1–8, as pHash.org
 * does) are compared with their median. Skipping row and column 0 drops the DC term and the pure
 * horizontal/vertical ramps that exposure changes move most, and keeps all 64 bits informative.
 * Two frames of the same scene differ in a few bits; unrelated frames in about 32.
 */

const size = 32;
const low = 8;

/** cos((2x + 1) u π / 64) for u = 0…8, x = 0…31: only the coefficients the hash uses are computed. */
const cosines: Float64Array[] = Array.from({ length: low + 1 }, (_, u) => Float64Array.from({ length: size }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * size))));

export function perceptualHash(luma: Float32Array, width: number, height: number): string {
  const grey = areaAverage(luma, width, height);
  // Separable DCT: rows first (frequencies 0–8 of each row), then columns of that result.
  const rows = new Float64Array(size * (low + 1));
  for (let y = 0; y < size; y++) {
    for (let u = 0; u <= low; u++) {
      const c = cosines[u]!;
      let sum = 0;
      for (let x = 0; x < size; x++) sum += grey[y * size + x]! * c[x]!;
      rows[y * (low + 1) + u] = sum;
    }
  }
  const coefficients: number[] = [];
  for (let v = 1; v <= low; v++) {
    const c = cosines[v]!;
    for (let u = 1; u <= low; u++) {
      let sum = 0;
      for (let y = 0; y < size; y++) sum += rows[y * (low + 1) + u]! * c[y]!;
      coefficients.push(sum);
    }
  }
  const sorted = [...coefficients].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hash = 0n;
  for (const value of coefficients) hash = (hash << 1n) | (value > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

/** Number of differing bits of two 16-hex-digit hashes (0–64); null if either is not such a hash. */
export function hammingDistance(a: string, b: string): number | null {
  if (!/^[0-9a-f]{16}$/i.test(a) || !/^[0-9a-f]{16}$/i.test(b)) return null;
  let diff = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let bits = 0;
  while (diff) {
    bits += Number(diff & 1n);
    diff >>= 1n;
  }
  return bits;
}

/** Box average into 32×32 cells; a source smaller than 32 pixels repeats its nearest pixel. */
function areaAverage(luma: Float32Array, width: number, height: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let gy = 0; gy < size; gy++) {
    const y0 = Math.floor((gy * height) / size);
    const y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * height) / size));
    for (let gx = 0; gx < size; gx++) {
      const x0 = Math.floor((gx * width) / size);
      const x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * width) / size));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += luma[y * width + x]!;
      out[gy * size + gx] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}
