/**
 * Starts a worker thread from a module next to the caller: the compiled .js (dist) when it exists.
 * Run from the TypeScript sources (vitest, tsx) there is only the .ts, which a plain worker thread
 * cannot load: it is bundled by esbuild (a dev dependency, there only when the sources are) into one
 * .mjs under node_modules/.cache, where its package imports resolve as they do from the sources,
 * once per module and process. Starting it through tsx's loader instead cost 0.4–0.8 s of CPU per
 * worker (its hooks run in a thread of their own in every worker and compile each module again),
 * most of the CPU time of the tests that start a station; a bundled worker costs a third of that.
 */
import type * as Esbuild from 'esbuild';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * `moduleUrl` is the caller's import.meta.url and `compiledName` the worker module's .js name next to
 * it; its .ts sibling is the fallback. The URL is built with node:url's class, not the global one: under
 * a DOM test environment the global `URL` is the DOM's, which Node's fileURLToPath and Worker reject.
 */
export function startModuleWorker(moduleUrl: string, compiledName: string): Worker {
  const compiled = new URL(compiledName, moduleUrl);
  const file = fileURLToPath(compiled);
  if (fs.existsSync(file)) return new Worker(file);
  return new Worker(bundled(file.replace(/\.js$/, '.ts')));
}

const bundles = new Map<string, string>();

/** The bundle of `source`, made on first use in this process. */
function bundled(source: string): string {
  const known = bundles.get(source);
  if (known) return known;
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof Esbuild;
  const { outputFiles } = esbuild.buildSync({ entryPoints: [source], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', write: false });
  const code = outputFiles[0]!.contents;
  // Named by content: test files running in parallel processes write the same bundle or different
  // ones, never half of one (written aside, then renamed).
  const name = `${path.basename(source, '.ts')}-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  const dir = path.join(path.dirname(path.dirname(require.resolve('esbuild/package.json'))), '.cache', 'capture-station-workers');
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const aside = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(aside, code);
    fs.renameSync(aside, file);
  }
  bundles.set(source, file);
  return file;
}
