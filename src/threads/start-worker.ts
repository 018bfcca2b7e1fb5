/**
 * Starts a worker thread from a module next to the caller: the compiled .js (dist) when it exists.
 * Run from the TypeScript sources (vitest, tsx) there is only the .ts, which a plain worker thread
 * cannot load: it is started through tsx's loader instead, registered inside the worker by a
 * two-line bootstrap.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
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
  const source = new URL(compiled.href.replace(/\.js$/, '.ts'));
  // tsx's ESM entry ("import" condition); createRequire resolves the "require" one, hence the swap.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
