/** Whole-number settings of the benchmarks and the soak, read from the environment. */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw} is not a whole number ≥ 1`);
  return n;
}
