/**
 * Zod's own messages ("Too small: expected number to be >=0") say what failed in its terms; a
 * technician needs to read what to type. Passed as the per-parse `error` of the config's schemas,
 * this only words the issues a schema left without a message of its own (zod applies a schema's
 * own message first), and returns undefined for the rest, which keep zod's.
 */
import type { z } from 'zod';

const nouns: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a group of settings',
};

function described(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string') return `the text "${input}"`;
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  return typeof input === 'object' ? 'a group of settings' : typeof input;
}

const plural = (n: number | bigint, one: string, many: string) => `${n} ${Number(n) === 1 ? one : many}`;

export function configIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const want = nouns[issue.expected] ?? issue.expected;
      if (issue.expected === 'int' && typeof issue.input === 'number') return `Type a whole number, without a decimal point (${issue.input} is not one).`;
      if (issue.input === undefined) return `This is required: type ${want}.`;
      return `Type ${want} here, not ${described(issue.input)}.`;
    }
    case 'too_small': {
      const min = issue.minimum;
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive ? `Type a number of ${min} or more.` : `Type a number greater than ${min}.`;
      if (issue.origin === 'string') return Number(min) <= 1 ? 'This cannot be empty: type a value.' : `Type at least ${plural(min, 'character', 'characters')}.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `List at least ${plural(min, 'entry', 'entries')}.`;
      return undefined;
    }
    case 'too_big': {
      const max = issue.maximum;
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive ? `Type a number of ${max} or less.` : `Type a number less than ${max}.`;
      if (issue.origin === 'string') return `Shorten this to at most ${plural(max, 'character', 'characters')}.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `List at most ${plural(max, 'entry', 'entries')}.`;
      return undefined;
    }
    case 'invalid_value':
      return `Choose one of ${issue.values.map((v) => `"${String(v)}"`).join(', ')}${issue.input === undefined ? '' : ` (not ${described(issue.input)})`}.`;
    default:
      return undefined;
  }
}
