/**
 * "2.5 GB", "2.0 MB", "512 B": a size in the largest unit it has at least one of, so a small disk
 * or share is not shown as "0.0 GB". `k`: 1000, or 1024 where the size is read next to limits the
 * config gives in GB of 1024³ bytes (retention.warnFreeGB, criticalFreeGB).
 */
export function formatBytes(n: number, k: 1000 | 1024 = 1000): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= k && i < units.length - 1) {
    n /= k;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
