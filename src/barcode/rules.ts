/**
 * A project's barcode rules as a technician or IT person writes them in the config: what an object
 * barcode looks like (pattern, check digit, length) and which codes are control barcodes.
 */
import { z } from 'zod';
import { checkDigitSchemeIds } from './check-digits.js';
import { checkDigitPatternProblem } from './pattern-alphabet.js';
import { backtrackingProblem } from './pattern-safety.js';

export const controlActions = ['end', 'undo', 'reject'] as const;
export type ControlAction = (typeof controlActions)[number];

/**
 * Delimited on both sides and at least 6 characters, so they pass the keyboard-wedge detector's
 * default minimum length and can never be a prefix of a museum catalogue number. Only characters
 * of standard Code 39 (and so of every other symbology) are used, so the sheet can be printed in any.
 */
export const defaultControlCodes: Readonly<Record<ControlAction, string>> = { end: '%%END%%', undo: '%%UNDO%%', reject: '%%REJECT%%' };

/** Name of the pattern group a check digit is computed over, when the pattern has one. */
export const checkedGroupName = 'checked';

// eslint-disable-next-line no-control-regex
export const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const controlCodeSchema = z
  .string()
  .min(1, 'a control code cannot be empty')
  .max(128)
  .refine((code) => !controlCharacter.test(code), 'a control code cannot contain control characters');

export const barcodeRulesSchema = z
  .strictObject({
    /**
     * A JavaScript regular expression every object barcode must match as a whole: it is anchored
     * (^…$) whether or not it is written with them. With a named group `(?<checked>…)`, the check
     * digit is computed over that group only (e.g. the digits after a collection prefix). One that
     * can backtrack catastrophically is refused (pattern-safety.ts); the text it runs on is at most
     * maxLength characters, checked first.
     */
    pattern: z
      .string()
      .min(1)
      .max(1000)
      .refine(compiles, 'not a valid regular expression')
      .superRefine((pattern, ctx) => {
        const problem = compiles(pattern) ? backtrackingProblem(pattern) : null;
        if (problem) ctx.addIssue({ code: 'custom', message: `refused: ${problem}` });
      })
      .optional(),
    /** Check-digit scheme over the code (or its `checked` group); omitted: none. */
    checkDigit: z.enum(checkDigitSchemeIds).optional(),
    /** Longest code accepted; longer scans are refused (they are misreads or pasted text). */
    maxLength: z.number().int().min(1).max(4096).default(128),
    controlCodes: z
      .strictObject({
        end: controlCodeSchema.default(defaultControlCodes.end),
        undo: controlCodeSchema.default(defaultControlCodes.undo),
        reject: controlCodeSchema.default(defaultControlCodes.reject),
      })
      .default({ ...defaultControlCodes }),
  })
  .refine((rules) => new Set(Object.values(rules.controlCodes)).size === controlActions.length, {
    message: 'the END, UNDO and REJECT control codes must differ from each other',
    path: ['controlCodes'],
  })
  .superRefine((rules, ctx) => {
    const problem = rules.pattern !== undefined && rules.checkDigit !== undefined && compiles(rules.pattern) ? checkDigitPatternProblem(rules.pattern, rules.checkDigit) : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['checkDigit'] });
  });

export type BarcodeRulesInput = z.input<typeof barcodeRulesSchema>;
export type BarcodeRules = z.output<typeof barcodeRulesSchema>;

export interface CompiledBarcodeRules {
  readonly rules: BarcodeRules;
  /** The anchored pattern, or null when the project has none. */
  readonly pattern: RegExp | null;
  /** Control code → action, for an exact lookup. */
  readonly controls: ReadonlyMap<string, ControlAction>;
}

const compiled = new WeakMap<BarcodeRules, CompiledBarcodeRules>();

/** Compiles once per rules object (the config is parsed once; scans come many times). */
export function compileBarcodeRules(rules: BarcodeRules): CompiledBarcodeRules {
  const hit = compiled.get(rules);
  if (hit) return hit;
  const result: CompiledBarcodeRules = {
    rules,
    // The non-capturing group keeps an alternation like "A\d+|B\d+" anchored on both branches.
    pattern: rules.pattern === undefined ? null : new RegExp(`^(?:${rules.pattern})$`),
    controls: new Map(controlActions.map((action) => [rules.controlCodes[action], action] as const)),
  };
  compiled.set(rules, result);
  return result;
}
