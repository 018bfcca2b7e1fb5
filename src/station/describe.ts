/** Plain-language one-liners for a recorded capture, used by the station log and the CLI. */
import type { CheckResult } from '../quality/types.js';
import type { CaptureRecord } from '../store/captures.js';

export function describeCapture(record: CaptureRecord, results: CheckResult[]): string {
  const size = record.width && record.height ? `${record.width}×${record.height}` : 'size unknown';
  const kind = [record.format?.toUpperCase() ?? 'unknown format', record.bitDepth ? `${record.bitDepth}-bit` : null].filter(Boolean).join(' ');
  const seconds = record.qcMs !== null ? `, ${(record.qcMs / 1000).toFixed(2)} s` : '';
  const head = `${record.verdict.toUpperCase()} ${record.sourceId}/${record.relPath} — ${size} ${kind}${seconds}`;
  const problems = problemsOf(results);
  return problems ? `${head} — ${problems}` : head;
}

/** The failing checks first, then the warnings, each with its message. */
export function problemsOf(results: CheckResult[]): string {
  const failed = results.filter((r) => r.status === 'fail');
  const warned = results.filter((r) => r.status === 'warn');
  return [...failed, ...warned].map((r) => `${r.check}: ${r.message}`).join('; ');
}
