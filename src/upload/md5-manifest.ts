/**
 * The Osprey hand-off checksum file: one `checksums.md5` per folder with a `<md5>  <file name>` line
 * per file (the format `md5sum -c` reads). Updates are atomic — the whole file is rewritten to a
 * temp name, fsynced and renamed over the old one — so a crash leaves either the old or the new
 * list, never half a line. Updates of one manifest are serialised within the process; re-adding a
 * file with the same digest is a no-op (uploads are at-least-once).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from './fsync.js';

export const manifestName = 'checksums.md5';

const chains = new Map<string, Promise<unknown>>();

export function addToManifest(dir: string, fileName: string, md5: string): Promise<void> {
  const file = path.join(dir, manifestName);
  const previous = chains.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => update(file, fileName, md5));
  chains.set(file, next);
  void next.finally(() => {
    if (chains.get(file) === next) chains.delete(file);
  }).catch(() => undefined);
  return next;
}

export async function readManifest(file: string): Promise<Map<string, string>> {
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{32}) [ *](.+)$/.exec(line.replace(/\r$/, ''));
    if (m) entries.set(m[2] as string, (m[1] as string).toLowerCase());
  }
  return entries;
}

async function update(file: string, fileName: string, md5: string): Promise<void> {
  // One fixed temp name per manifest (writers are serialised): a leftover from a crash is
  // overwritten by the next update, or removed by the retry that finds its line already there.
  const tmp = path.join(path.dirname(file), `.${manifestName}.tmp`);
  const entries = await readManifest(file);
  if (entries.get(fileName) === md5) {
    await fs.rm(tmp, { force: true });
    return;
  }
  entries.set(fileName, md5);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile([...entries].map(([name, sum]) => `${sum}  ${name}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(file));
}
