/**
 * Check-digit schemes a project can require of its object barcodes. Each scheme computes the check
 * character for a payload and validates a full code (payload + check character as its last
 * character). Validation never throws: it says what is wrong, so the refusal shown to the
 * technician can name the expected and the scanned check character.
 *
 * - GS1 mod 10 (GS1 General Specifications, "standard check digit calculation"): weights 3,1,3,…
 *   from the rightmost payload digit; the same rule for GTIN-8/12/13/14, GLN, GSIN and SSCC, so any
 *   all-digit length is accepted here and the project's pattern decides the length.
 * - Code 39 mod 43 (ISO/IEC 16388): the 43 characters of standard Code 39 valued 0–42, sum mod 43.
 *   Full-ASCII Code 39 has no mod 43 check character, so lower case and other characters are refused.
 * - Luhn (ISO/IEC 7812-1): doubling every second digit from the right of the full number.
 */

export const checkDigitSchemeIds = ['gs1-mod10', 'code39-mod43', 'luhn'] as const;
export type CheckDigitSchemeId = (typeof checkDigitSchemeIds)[number];

export type CheckDigitResult =
  | { ok: true }
  /** The code is well formed but its last character is not the one its payload gives. */
  | { ok: false; problem: 'mismatch'; expected: string; found: string }
  /** The code cannot carry this scheme at all (wrong characters, too short). */
  | { ok: false; problem: 'malformed'; message: string };

export interface CheckDigitScheme {
  readonly id: CheckDigitSchemeId;
  /** For messages: "GS1 mod 10". */
  readonly label: string;
  /** The check character for `payload`; throws a RangeError when the payload cannot carry one. */
  compute(payload: string): string;
  validate(code: string): CheckDigitResult;
}

const digitsOnly = /^[0-9]+$/;

function gs1Sum(payload: string): number {
  let sum = 0;
  // The rightmost payload digit gets weight 3, whatever the length: that is what makes one rule
  // serve GTIN-8 up to SSCC-18 (a GTIN padded with leading zeros keeps its check digit).
  for (let i = payload.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += (payload.charCodeAt(i) - 48) * weight;
  }
  return sum;
}

export function computeGs1Mod10(payload: string): string {
  if (!digitsOnly.test(payload)) throw new RangeError(`a GS1 check digit needs digits only, got "${payload}"`);
  return String((10 - (gs1Sum(payload) % 10)) % 10);
}

/** The 43 characters of standard Code 39 in value order (ISO/IEC 16388 table of check character values). */
export const code39Alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';

export function computeCode39Mod43(payload: string): string {
  if (payload.length === 0) throw new RangeError('a Code 39 check character needs at least one data character');
  let sum = 0;
  for (const ch of payload) {
    const value = code39Alphabet.indexOf(ch);
    if (value < 0) throw new RangeError(`"${ch}" is not a standard Code 39 character (0-9, A-Z, - . space $ / + %)`);
    sum += value;
  }
  return code39Alphabet.charAt(sum % 43);
}

export function computeLuhn(payload: string): string {
  if (!digitsOnly.test(payload)) throw new RangeError(`a Luhn check digit needs digits only, got "${payload}"`);
  let sum = 0;
  // Counting from the right of the payload, the first digit is the one doubled (the check digit
  // that will follow it is position 1, not doubled).
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function validateWith(compute: (payload: string) => string, code: string, label: string): CheckDigitResult {
  if (code.length < 2) {
    return { ok: false, problem: 'malformed', message: `a ${label} code needs at least one character before its check character` };
  }
  const payload = code.slice(0, -1);
  const found = code.slice(-1);
  let expected: string;
  try {
    expected = compute(payload);
    // The check character itself must come from the same alphabet (a letter cannot be a GS1 check digit).
    compute(found);
  } catch (err) {
    return { ok: false, problem: 'malformed', message: (err as Error).message };
  }
  return expected === found ? { ok: true } : { ok: false, problem: 'mismatch', expected, found };
}

export const gs1Mod10: CheckDigitScheme = {
  id: 'gs1-mod10',
  label: 'GS1 mod 10',
  compute: computeGs1Mod10,
  validate: (code) => validateWith(computeGs1Mod10, code, 'GS1 mod 10'),
};

export const code39Mod43: CheckDigitScheme = {
  id: 'code39-mod43',
  label: 'Code 39 mod 43',
  compute: computeCode39Mod43,
  validate: (code) => validateWith(computeCode39Mod43, code, 'Code 39 mod 43'),
};

export const luhn: CheckDigitScheme = {
  id: 'luhn',
  label: 'Luhn',
  compute: computeLuhn,
  validate: (code) => validateWith(computeLuhn, code, 'Luhn'),
};

export const checkDigitSchemes: Readonly<Record<CheckDigitSchemeId, CheckDigitScheme>> = {
  'gs1-mod10': gs1Mod10,
  'code39-mod43': code39Mod43,
  luhn,
};
