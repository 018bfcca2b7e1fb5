/** Plain-language one-liners for a recorded capture, used by the station log and the CLI. */
import type { CheckResult, Verdict } from '../quality/types.js';
import type { CaptureRecord } from '../store/captures.js';

export function describeCapture(record: CaptureRecord, results: CheckResult[]): string {
  const size = record.width && record.height ? `${record.width}×${record.height}` : null;
  const kind = [record.format?.toUpperCase(), record.bitDepth ? `${record.bitDepth}-bit` : null].filter(Boolean).join(' ') || null;
  // An image that could not be read has neither: say that once rather than "size unknown unknown format".
  const what = size || kind ? [size, kind].filter(Boolean).join(' ') : 'not readable as an image';
  const seconds = record.qcMs !== null ? `, ${(record.qcMs / 1000).toFixed(2)} s` : '';
  const head = `${record.verdict.toUpperCase()} ${record.sourceId}/${record.relPath} — ${what}${seconds}`;
  const problems = problemsOf(results);
  return problems ? `${head} — ${problems}` : head;
}

/** The failing checks first, then the warnings, each with its message. */
export function problemsOf(results: CheckResult[]): string {
  const failed = results.filter((r) => r.status === 'fail');
  const warned = results.filter((r) => r.status === 'warn');
  return [...failed, ...warned].map((r) => `${r.check}: ${r.message}`).join('; ');
}

/** The level a capture's verdict is logged at: WARN and ERROR are for bad outcomes, a pass is INFO. */
export function verdictLevel(verdict: Verdict): 'info' | 'warn' | 'error' {
  return verdict === 'fail' ? 'error' : verdict === 'warn' ? 'warn' : 'info';
}
