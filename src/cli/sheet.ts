/**
 * `capture-station sheet --output FILE.png|FILE.pdf`: the project's END / UNDO / REJECT control
 * codes as Code 128 on an A4 page, to print and keep at the copy stand.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pdfOfGreyImage, renderControlSheet } from '../barcode/image/control-sheet.js';
import { StationError } from '../errors.js';
import type { CliContext } from './main.js';
import { cannotWrite } from './output.js';

export async function sheetCommand(ctx: CliContext): Promise<number> {
  const output = ctx.values.output;
  const kind = output ? path.extname(output).toLowerCase() : '';
  if (!output || (kind !== '.png' && kind !== '.pdf')) {
    throw new StationError('INVALID_ARGUMENT', 'Say where to write the sheet, ending in .png or .pdf, e.g. capture-station sheet --output control-codes.pdf');
  }
  const config = ctx.config();
  // Opened first: a path that cannot be written is told before the seconds the drawing takes.
  const file = await fs.open(output, 'w').catch((err: unknown) => {
    throw cannotWrite(output, err);
  });
  const codes = config.linking.barcode.controlCodes;
  const title = config.linking.project ? `${config.linking.project} — control codes` : undefined;
  try {
    const sheet = await renderControlSheet(codes, title);
    await file.writeFile(kind === '.png' ? sheet.png : pdfOfGreyImage(sheet.grey, sheet.width, sheet.height)).catch((err: unknown) => {
      throw cannotWrite(output, err);
    });
  } finally {
    await file.close();
  }
  ctx.output.err(`Wrote the control codes END (${codes.end}), UNDO (${codes.undo}) and REJECT (${codes.reject}) to ${output}; print it at 100 % (A4).\n`);
  return 0;
}
