/**
 * Whether a process recorded earlier on this host is still the same running process. A pid alone
 * cannot say: after a power cut or a reboot every pid is handed out again, a container's station is
 * pid 1 each time it starts, and a killed process keeps its pid as a zombie until it is reaped. So
 * where Linux tells (/proc), the record also holds the kernel's boot id and the process's start
 * time, and a process counts as the recorded one only when all three match and it is not a zombie.
 * Elsewhere (macOS, Windows) only the pid is known, and a pid that exists counts as alive.
 */
import fs from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** /proc/sys/kernel/random/boot_id: changes at every boot. */
  bootId?: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot when the process started. */
  startTicks?: string;
}

export function currentProcessIdentity(): ProcessIdentity {
  const bootId = readBootId();
  const startTicks = procStat(process.pid)?.startTicks;
  return { pid: process.pid, ...(bootId ? { bootId } : {}), ...(startTicks ? { startTicks } : {}) };
}

/** False only when the recorded process has surely ended; a process that may be it counts as alive. */
export function processAlive(recorded: ProcessIdentity): boolean {
  const bootId = readBootId();
  if (recorded.bootId && bootId && recorded.bootId !== bootId) return false;
  const stat = procStat(recorded.pid);
  if (stat !== undefined) {
    if (stat === null) return false;
    if (stat.state === 'Z' || stat.state === 'X') return false;
    return !recorded.startTicks || recorded.startTicks === stat.startTicks;
  }
  try {
    process.kill(recorded.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function readBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The process's state and start time; null: no such process; undefined: this system has no /proc to tell. */
function procStat(pid: number): { state: string; startTicks: string } | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fs.existsSync('/proc/self/stat') ? null : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state && startTicks ? { state, startTicks } : undefined;
}
