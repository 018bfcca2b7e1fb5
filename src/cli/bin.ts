#!/usr/bin/env node
/** Process entry of the CLI: argv in, exit code out. */
import { main } from './main.js';

// `capture-station export | head`: the reader is gone and there is nobody left to tell; stop quietly
// as other command-line tools do, instead of a stack trace for EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`capture-station: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
