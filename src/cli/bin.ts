#!/usr/bin/env node
/** Process entry of the CLI: argv in, exit code out. */
import { main } from './main.js';

// `capture-station export | head`: the reader is gone and there is nobody left to tell; stop quietly
// as other command-line tools do, instead of a stack trace for EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

/**
 * The command has finished: nothing of it may keep the process alive (a server a failed start left
 * listening would leave a station that says it stopped but still answers). What is still being
 * written to the terminal or a pipe is waited for; then the process ends with the command's code.
 */
function exitOnceFlushed(code: number): void {
  setTimeout(() => (process.stdout.writableLength + process.stderr.writableLength > 0 ? exitOnceFlushed(code) : process.exit(code)), 2000).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitOnceFlushed(code);
  },
  (err: unknown) => {
    process.stderr.write(`capture-station: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
    exitOnceFlushed(1);
  },
);
