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
