/**
 * What every check shares: its severity in the profile ('off' skips it, 'warn' turns its failure
 * into a warning) and the shape of a result. Each check computes an Outcome as if its severity
 * were 'fail'; `settle` applies the profile's severity, so no check handles severities itself.
 */
import type { Profile, Severity } from '../profile.js';
import type { CheckId, CheckResult, CheckStatus } from '../types.js';

export type Outcome = Omit<CheckResult, 'check'>;

export function severityOf(check: CheckId, profile: Profile): Severity {
  switch (check) {
    case 'decodes':
      // Without decoding nothing else about the pixels is known: never only a warning.
      return 'fail';
    case 'format':
      return profile.formats.severity;
    case 'singlePage':
      return profile.singlePage;
    default:
      return profile[check].severity;
  }
}

export function settle(check: CheckId, profile: Profile, compute: () => Outcome): CheckResult {
  const severity = severityOf(check, profile);
  if (severity === 'off') return { check, status: 'skip', value: null, threshold: null, message: 'Not checked: turned off in this profile.' };
  const outcome = compute();
  const status: CheckStatus = severity === 'warn' && outcome.status === 'fail' ? 'warn' : outcome.status;
  return { check, ...outcome, status };
}

export function skip(message: string, value: unknown = null, threshold: unknown = null): Outcome {
  return { status: 'skip', value, threshold, message };
}

export function passOrFail(ok: boolean, value: unknown, threshold: unknown, passMessage: string, failMessage: string): Outcome {
  return ok ? { status: 'pass', value, threshold, message: passMessage } : { status: 'fail', value, threshold, message: failMessage };
}

/** A profile's pattern, compiled; a pattern the station config got wrong is reported, never thrown. */
export function compilePattern(source: string, flags: string): RegExp | Error {
  for (const f of [`${flags}u`, flags]) {
    try {
      return new RegExp(source, f);
    } catch {
      // Unicode mode rejects some escapes that plain mode accepts: try that before giving up.
    }
  }
  return new Error(`The profile's pattern /${source}/ is not a valid regular expression: fix it in the station config.`);
}

export function list(items: readonly unknown[]): string {
  return items.map(String).join(', ');
}
