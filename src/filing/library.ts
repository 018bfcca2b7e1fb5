/**
 * Whether the library can take files now. Checked when the station starts (a problem is an alarm,
 * not a refusal to start: captures wait in the hot folder and filing is retried).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Null when files can be written into `library`; otherwise what is wrong and what to do. A missing
 * library is created by the first filing, so then the nearest existing folder above it must be writable.
 */
export async function libraryUnwritable(library: string): Promise<string | null> {
  let dir = library;
  for (;;) {
    const st = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err));
    if (st instanceof Error) return `the library ${library} cannot be reached (${st.message}).`;
    if (st) {
      if (!st.isDirectory()) return `the library ${library} cannot be used: ${dir} is not a folder. Move that file away or set paths.library to a folder.`;
      break;
    }
    if (path.dirname(dir) === dir) return `the library ${library} cannot be created: no folder above it exists.`;
    dir = path.dirname(dir);
  }
  // Creating and removing a file is the only test that also catches a read-only mount and ACLs.
  const probe = path.join(dir, `.capture-station-probe.${process.pid}.${randomUUID().slice(0, 8)}`);
  try {
    await (await fs.open(probe, 'wx')).close();
    await fs.rm(probe, { force: true });
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return `the station may not write to the library ${dir === library ? library : `${library} (nor create it in ${dir})`} (${code || (err as Error).message}) — give the user the station runs as write permission there, or fix the mount; captures stay in the hot folder until then.`;
  }
}
