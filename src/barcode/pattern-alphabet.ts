/**
 * Whether a barcode pattern leaves room for its check digit: GS1 mod 10 and Luhn are computed over
 * digits only, Code 39 mod 43 over the 43 characters of standard Code 39. A pattern whose checked
 * text (its `(?<checked>…)` group, else the whole code) can never consist of those characters alone
 * would have every scan refused as a label problem; it is refused when the config loads instead.
 *
 * The rule is exact for what it decides: over a text made only of the alphabet's characters, every
 * character class can match only its characters within the alphabet, so the pattern matches such a
 * text exactly when the pattern with each class cut down to the alphabet does; and that can match
 * anything unless some part that must match (not optional, in every alternative) is left with no
 * character. Lookarounds, back-references and anchors are taken as satisfiable (a pattern is never
 * refused for what this cannot tell).
 */
import { checkDigitSchemes, code39Alphabet, type CheckDigitSchemeId } from './check-digits.js';
import { parsePattern, type Node } from './pattern-safety.js';
import { checkedGroupName } from './rules.js';

const alphabets: Record<CheckDigitSchemeId, { characters: string; words: string }> = {
  'gs1-mod10': { characters: '0123456789', words: 'digits only' },
  luhn: { characters: '0123456789', words: 'digits only' },
  'code39-mod43': { characters: code39Alphabet, words: 'standard Code 39 characters only (0-9, A-Z, - . space $ / + %)' },
};

/** Whether `alternatives`, its classes cut down to `characters`, can match some text. */
function satisfiable(alternatives: Node[][], characters: string): boolean {
  return alternatives.some((sequence) => sequence.every((node) => optional(node) || nodeSatisfiable(node, characters)));
}

function optional(node: Node): boolean {
  return node.q !== null && node.q.min === 0;
}

function nodeSatisfiable(node: Node, characters: string): boolean {
  switch (node.kind) {
    case 'atom': {
      const atom = new RegExp(`^(?:${node.source})$`);
      return [...characters].some((c) => atom.test(c));
    }
    case 'group':
      return node.lookaround || satisfiable(node.alternatives, characters);
    case 'assert':
    case 'backref':
      return true;
  }
}

/** The `(?<checked>…)` group of `alternatives`, at any depth. */
function checkedGroup(alternatives: Node[][]): Extract<Node, { kind: 'group' }> | null {
  for (const node of alternatives.flat()) {
    if (node.kind !== 'group') continue;
    if (node.source.startsWith(`(?<${checkedGroupName}>`)) return node;
    const inner = checkedGroup(node.alternatives);
    if (inner) return inner;
  }
  return null;
}

/**
 * Why `checkDigit` can never pass on a code `pattern` accepts, for the config's error; null when it
 * can (or the pattern cannot be followed here: pattern-safety refuses those itself).
 */
export function checkDigitPatternProblem(pattern: string, checkDigit: CheckDigitSchemeId): string | null {
  let alternatives: Node[][];
  try {
    alternatives = parsePattern(pattern);
  } catch {
    return null;
  }
  const { characters, words } = alphabets[checkDigit];
  const group = checkedGroup(alternatives);
  const label = checkDigitSchemes[checkDigit].label;
  if (group) {
    if (nodeSatisfiable({ ...group, q: null }, characters)) return null;
    return `${checkDigit} (${label}) is computed over the (?<${checkedGroupName}>…) group of linking.barcode.pattern, which needs ${words}, but that group ${group.source} can never match such a text, so every scan would be refused. Make the group cover only the characters the check digit is computed over, or choose another checkDigit`;
  }
  if (satisfiable(alternatives, characters)) return null;
  const blocking = [...new Set(alternatives.map((sequence) => sequence.find((node) => !optional(node) && !nodeSatisfiable(node, characters))).map((node) => (node ? written(node) : '')))];
  const example = suggestion(alternatives, characters) ?? (checkDigit === 'code39-mod43' ? 'abc-(?<checked>[0-9A-Z]{8})' : 'NMNH-(?<checked>\\d{8})');
  return `${checkDigit} (${label}) needs ${words}, but linking.barcode.pattern ${pattern} can never match such a code: ${blocking.join(', ')} ${blocking.length === 1 ? 'matches' : 'match'} none of those characters, so every scan would be refused. Put the part the check digit is computed over in a (?<${checkedGroupName}>…) group, e.g. ${example}, or choose another checkDigit`;
}

/** A node as written (a literal character may come back escaped, which means the same). */
function written(node: Node): string {
  return node.kind === 'atom' || node.kind === 'group' ? `${node.source}${node.q?.text ?? ''}` : '';
}

/**
 * The pattern with the part after its last character the check digit cannot cover put in the
 * checked group (NMNH-\d{8} → NMNH-(?<checked>\d{8})); null for a pattern of several alternatives,
 * anchors or back-references, or with no such part.
 */
function suggestion(alternatives: Node[][], characters: string): string | null {
  const [sequence] = alternatives;
  if (alternatives.length !== 1 || !sequence || sequence.some((node) => node.kind === 'assert' || node.kind === 'backref')) return null;
  const last = sequence.findLastIndex((node) => !optional(node) && !nodeSatisfiable(node, characters));
  const rest = sequence.slice(last + 1);
  if (rest.length === 0 || !satisfiable([rest], characters)) return null;
  return `${sequence.slice(0, last + 1).map(written).join('')}(?<${checkedGroupName}>${rest.map(written).join('')})`;
}
