/**
 * A printable A4 sheet of the project's control codes (END, UNDO, REJECT) as Code 128, each with
 * what it does in words, for the technician to scan from the copy stand. 300 ppi, grey, as PNG or as
 * a one-page PDF that embeds the same pixels.
 */
import zlib from 'node:zlib';
import sharp, { type OverlayOptions } from 'sharp';
import type { ControlAction } from '../rules.js';
import { drawBarcode } from './writer.js';

const ppi = 300;
const mm = (v: number) => Math.round((v / 25.4) * ppi);
/** A4 at 300 ppi. */
export const a4 = { width: mm(210), height: mm(297) } as const;

const meaning: Record<ControlAction, { title: string; text: string }> = {
  end: { title: 'END', text: 'Close the object: the next captures wait for a new barcode.' },
  undo: { title: 'UNDO', text: 'Unlink the last capture and mark it for re-shoot.' },
  reject: { title: 'REJECT', text: 'Reject the open object and close it.' },
};

const order: ControlAction[] = ['end', 'undo', 'reject'];

export interface ControlSheet {
  /** 8-bit grey pixels, row-major, `width × height`. */
  grey: Buffer;
  width: number;
  height: number;
  png: Buffer;
}

export async function renderControlSheet(codes: Readonly<Record<ControlAction, string>>, title = 'Capture Station — control codes'): Promise<ControlSheet> {
  const band = Math.floor((a4.height - mm(40)) / order.length);
  const layers: OverlayOptions[] = [];
  const texts: string[] = [`<text x="${mm(20)}" y="${mm(22)}" font-size="${mm(7)}" font-weight="bold">${escapeXml(title)}</text>`];
  for (const [i, action] of order.entries()) {
    const top = mm(35) + i * band;
    // 6 px modules at 300 ppi are 0.5 mm: easy for any handheld scanner, even on a worn copy.
    const symbol = await drawBarcode(codes[action], { format: 'Code128', scale: 6, humanReadable: true });
    const meta = await sharp(symbol).metadata();
    const scale = Math.min(1, (a4.width - mm(40)) / (meta.width ?? 1));
    const width = Math.round((meta.width ?? 1) * scale);
    const height = Math.round((meta.height ?? 1) * scale);
    const placed = scale === 1 ? symbol : await sharp(symbol).resize(width, height, { kernel: 'nearest' }).png().toBuffer();
    layers.push({ input: placed, left: Math.round((a4.width - width) / 2), top: top + mm(22) });
    texts.push(`<text x="${mm(20)}" y="${top + mm(9)}" font-size="${mm(8)}" font-weight="bold">${meaning[action].title}</text>`);
    texts.push(`<text x="${mm(20)}" y="${top + mm(16)}" font-size="${mm(4.2)}">${escapeXml(meaning[action].text)}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${a4.width}" height="${a4.height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" fill="#000">${texts.join('')}</svg>`;
  layers.unshift({ input: Buffer.from(svg), left: 0, top: 0 });
  const { data, info } = await sharp({ create: { width: a4.width, height: a4.height, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .greyscale()
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).withMetadata({ density: ppi }).png({ compressionLevel: 9 }).toBuffer();
  return { grey: data, width: info.width, height: info.height, png };
}

/**
 * A single-page A4 PDF showing one 8-bit grey image over the whole page (DeviceGray, Flate). Written
 * by hand: five objects and a cross-reference table are all a printer needs, and no PDF library
 * is a dependency of the station.
 */
export function pdfOfGreyImage(grey: Buffer, width: number, height: number): Buffer {
  const pageW = (595.2756).toFixed(4); // 210 mm in points
  const pageH = (841.8898).toFixed(4); // 297 mm in points
  const pixels = zlib.deflateSync(grey, { level: 9 });
  const content = Buffer.from(`q ${pageW} 0 0 ${pageH} 0 0 cm /Im0 Do Q\n`, 'latin1');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1'),
    Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pageW} ${pageH}] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>`, 'latin1'),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`, 'latin1'), content, Buffer.from('\nendstream', 'latin1')]),
    Buffer.concat([
      Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${pixels.length} >>\nstream\n`, 'latin1'),
      pixels,
      Buffer.from('\nendstream', 'latin1'),
    ]),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(obj);
    offset += obj.length;
  });
  // Each cross-reference entry is exactly 20 bytes, including its two-character line end.
  const xref = ['xref', `0 ${objects.length + 1}`, '0000000000 65535 f ', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `)].join('\n') + '\n';
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
