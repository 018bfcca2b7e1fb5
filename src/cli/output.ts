import fs from 'node:fs';
import path from 'node:path';
import { StationError } from '../errors.js';

/**
 * Where the CLI writes. Commands get an Output rather than touching process streams, so the tests
 * run them in-process and read what a technician would have seen.
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal (progress bars and colour only then). */
  isTTY: boolean;
}

export const processOutput: Output = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

/** A one-line progress bar, redrawn in place; silent when not on a terminal. */
export function progressBar(output: Output, total: number): { tick(label: string): void; done(): void } {
  let count = 0;
  const width = 30;
  return {
    tick(label) {
      count++;
      if (!output.isTTY) return;
      const filled = Math.round((count / Math.max(total, 1)) * width);
      const name = label.length > 40 ? `…${label.slice(-39)}` : label;
      output.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total} ${name.padEnd(40)}`);
    },
    done() {
      if (output.isTTY && total > 0) output.err('\r' + ' '.repeat(width + 55) + '\r');
    },
  };
}

/** Fixed-width text table; the last column is left unpadded so long messages wrap naturally. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function csvRow(cells: unknown[]): string {
  return (
    cells
      .map((c) => {
        const s = c === null || c === undefined ? '' : String(c);
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}

/**
 * Why `file` (an --output) could not be written, and what to do. A path that cannot be written at
 * all is bad usage (exit 2); a write that failed on the way, such as a full disk, a failed file (1).
 */
export function cannotWrite(file: string, err: unknown): StationError {
  const code = (err as NodeJS.ErrnoException).code;
  const folder = path.dirname(path.resolve(file));
  const why: Record<string, string> = {
    ENOENT: `the folder ${folder} does not exist. Create it, or give a path in an existing folder`,
    ENOTDIR: `part of ${folder} is not a folder. Give a path in an existing folder`,
    EISDIR: 'it is a folder. Give the name of a file to write (in that folder, or elsewhere)',
    EACCES: 'permission denied. Write it to a folder you may write to, or fix the permissions',
    EPERM: 'permission denied. Write it to a folder you may write to, or fix the permissions',
    EROFS: 'the file system is read-only. Write it somewhere else',
    ENOSPC: 'the disk is full. Free some space, or write it to another disk',
  };
  const usage = code !== undefined && code !== 'ENOSPC' && code in why;
  return new StationError(usage ? 'INVALID_ARGUMENT' : 'INTERNAL', `Cannot write ${file}: ${(code && why[code]) ?? `${(err as Error).message}. Check the path and the disk`}.`);
}

/** `file` opened for writing (created or emptied) now, so a path that cannot be written is refused before any work. */
export function openOutputFile(file: string): fs.WriteStream {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (err) {
    throw cannotWrite(file, err);
  }
  return fs.createWriteStream(file, { fd });
}
