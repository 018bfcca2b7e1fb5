/**
 * The symbologies the barcodes in captures may be read in (`linking.imageFormats`), by the names
 * zxing-wasm's reader takes, each with the name a label's print spec uses. Only those museum labels
 * carry: zxing's other formats (DataBar, MaxiCode, pharmacy and film-edge codes…) would only cost
 * time and bring false reads. The worker hands these names to zxing as they are, so its types check
 * that each is one zxing knows (zxing-worker.ts). Dependency-free: the Settings view lists them from here.
 */
export const imageSymbologyLabels = {
  Code128: 'Code 128',
  Code39: 'Code 39',
  Code93: 'Code 93',
  Codabar: 'Codabar',
  ITF: 'ITF (Interleaved 2 of 5)',
  EAN13: 'EAN-13',
  EAN8: 'EAN-8',
  UPCA: 'UPC-A',
  UPCE: 'UPC-E',
  DataMatrix: 'Data Matrix',
  QRCode: 'QR Code',
  MicroQRCode: 'Micro QR Code',
  PDF417: 'PDF417',
  Aztec: 'Aztec',
} as const;

export type ImageSymbology = keyof typeof imageSymbologyLabels;

export const imageSymbologies = Object.keys(imageSymbologyLabels) as [ImageSymbology, ...ImageSymbology[]];

/** Code 128, Code 39 (standard and full-ASCII), Data Matrix and QR, plus the retail codes some herbaria print (EAN-13, UPC-A). */
export const defaultImageFormats: readonly ImageSymbology[] = ['Code128', 'Code39', 'DataMatrix', 'QRCode', 'EAN13', 'UPCA'];

/** A name compared without case, spaces or punctuation: "EAN-13", "qr code" and "Data Matrix" are the names they look like. */
const loose = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The symbology a misspelled name most likely means (typed as on a label, or in another case), if any. */
export function symbologyMeant(typed: string): ImageSymbology | undefined {
  const want = loose(typed);
  return imageSymbologies.find((name) => loose(name) === want || loose(imageSymbologyLabels[name]) === want);
}
