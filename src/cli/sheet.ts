/**
 * `capture-station sheet --output FILE.png|FILE.pdf`: the project's END / UNDO / REJECT control
 * codes as Code 128 on an A4 page, to print and keep at the copy stand.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pdfOfGreyImage, renderControlSheet } from '../barcode/image/control-sheet.js';
import { StationError } from '../errors.js';
import type { CliContext } from './main.js';

export async function sheetCommand(ctx: CliContext): Promise<number> {
  const output = ctx.values.output;
  const kind = output ? path.extname(output).toLowerCase() : '';
  if (!output || (kind !== '.png' && kind !== '.pdf')) {
    throw new StationError('INVALID_ARGUMENT', 'Say where to write the sheet, ending in .png or .pdf, e.g. capture-station sheet --output control-codes.pdf');
  }
  const config = ctx.config();
  const codes = config.linking.barcode.controlCodes;
  const title = config.linking.project ? `${config.linking.project} — control codes` : undefined;
  const sheet = await renderControlSheet(codes, title);
  const bytes = kind === '.png' ? sheet.png : pdfOfGreyImage(sheet.grey, sheet.width, sheet.height);
  await fs.writeFile(output, bytes);
  ctx.output.err(`Wrote the control codes END (${codes.end}), UNDO (${codes.undo}) and REJECT (${codes.reject}) to ${output}; print it at 100 % (A4).\n`);
  return 0;
}
