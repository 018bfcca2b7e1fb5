/**
 * Lease owners are `<host>:<pid>:<nonce>`. After a crash the restarted station can tell that a
 * lease's holder on this host is gone (its pid no longer exists) and take the job at once instead
 * of waiting for the lease to expire. Holders on other hosts, or a pid that exists (possibly
 * reused), are only reclaimed on expiry.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';

export function newLeaseOwner(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function leaseOwnerGone(owner: string): boolean {
  const m = /^(.*):(\d+):[^:]+$/.exec(owner);
  if (!m || m[1] !== os.hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
