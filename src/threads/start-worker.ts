/**
 * Starts a worker thread from a module next to the caller: the compiled .js (dist) when it exists.
 * Run from the TypeScript sources (vitest, tsx) there is only the .ts, which a plain worker thread
 * cannot load: it is started through tsx's loader instead, registered inside the worker by a
 * two-line bootstrap.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `compiled` is the module's .js URL (new URL('./x-worker.js', import.meta.url)); its .ts sibling is the fallback. */
export function startModuleWorker(compiled: URL): Worker {
  if (fs.existsSync(fileURLToPath(compiled))) return new Worker(compiled);
  const source = new URL(compiled.href.replace(/\.js$/, '.ts'));
  // tsx's ESM entry ("import" condition); createRequire resolves the "require" one, hence the swap.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
