/**
 * SQLite's WAL mode needs shared memory and POSIX locks that network file systems do not give
 * reliably, so the database must live on a local disk. Detection uses the file-system magic number
 * from statfs (Linux, macOS) and UNC paths (Windows).
 */
import fs from 'node:fs';
import path from 'node:path';

const networkMagic = new Map<number, string>([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x564c, 'NCP'],
  [0x5346414f, 'AFS'],
  [0x6b414653, 'AFS (kAFS)'],
  [0x00c36400, 'CephFS'],
  [0x01021997, '9P'],
  [0x73757245, 'Coda'],
  [0x47504653, 'GPFS'],
  [0x0bd00bd0, 'Lustre'],
]);

/** Names the network file system the path is on, or null for a local one (or when unknown). */
export function networkFileSystemOf(target: string): string | null {
  if (process.platform === 'win32' && /^(\\\\|\/\/)[^\\/]/.test(target)) return 'Windows network share (UNC path)';
  let dir = path.resolve(target);
  // The database file may not exist yet: ask about the nearest existing ancestor.
  while (!fs.existsSync(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  try {
    return networkFileSystemName(fs.statfsSync(dir).type);
  } catch {
    return null;
  }
}

export function networkFileSystemName(statfsType: number): string | null {
  return networkMagic.get(statfsType >>> 0) ?? null;
}
