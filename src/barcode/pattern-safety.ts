/**
 * Refuses barcode patterns that can backtrack catastrophically. The project's pattern runs on the
 * main thread on every scan, and on every code read in an image: a pattern such as `(\d+)+` takes
 * exponential time on a code that almost matches, and would freeze the station on one bad read.
 *
 * The rule, checked once at config load on the pattern's own syntax (JavaScript, no flags):
 *   - no repetition of a variable length inside a repetition, where either is unbounded (`*`, `+`,
 *     `{n,}`): `(a+)+`, `(\w*)*`, `(a+){10}`, `(\d{1,3})+` — "star height" above 1. Both bounded
 *     (`(\d{1,4}-){3}`) is fine, and so is a fixed count inside (`(\d{2})+` is `(\d\d)+`);
 *   - no unbounded repetition of a choice whose alternatives can begin with the same character
 *     (`(a|a)*`, `(\w|\d)+`, `(ab|ac)*`): each character could start either, so the matcher tries both.
 * It refuses some patterns that would in fact be fast; the message says how to write them instead.
 * The length of the text the pattern runs on is capped separately (BarcodeRules.maxLength).
 */

export interface Quantifier {
  min: number;
  max: number;
  /** As written, for messages. */
  text: string;
}

export type Node =
  | { kind: 'atom'; source: string; q: Quantifier | null }
  | { kind: 'group'; alternatives: Node[][]; lookaround: boolean; source: string; q: Quantifier | null }
  /** Zero-width: ^ $ \b \B. */
  | { kind: 'assert'; q: Quantifier | null }
  | { kind: 'backref'; q: Quantifier | null };

class Parser {
  private i = 0;
  constructor(private readonly p: string) {}

  parse(): Node[][] {
    const alternatives = this.alternatives();
    if (this.i < this.p.length) throw new SyntaxError(`unmatched ) at ${this.i + 1}`);
    return alternatives;
  }

  private alternatives(): Node[][] {
    const out: Node[][] = [[]];
    while (this.i < this.p.length && this.p[this.i] !== ')') {
      if (this.p[this.i] === '|') {
        this.i++;
        out.push([]);
        continue;
      }
      out.at(-1)!.push(this.quantified(this.term()));
    }
    return out;
  }

  private term(): Node {
    const p = this.p;
    const start = this.i;
    const c = p[this.i++]!;
    if (c === '(') {
      let lookaround = false;
      if (p.startsWith('?:', this.i)) this.i += 2;
      else if (p.startsWith('?=', this.i) || p.startsWith('?!', this.i)) [this.i, lookaround] = [this.i + 2, true];
      else if (p.startsWith('?<=', this.i) || p.startsWith('?<!', this.i)) [this.i, lookaround] = [this.i + 3, true];
      else if (p.startsWith('?<', this.i)) this.i = this.after('>');
      const alternatives = this.alternatives();
      if (p[this.i] !== ')') throw new SyntaxError('unterminated group');
      this.i++;
      return { kind: 'group', alternatives, lookaround, source: p.slice(start, this.i), q: null };
    }
    if (c === '[') {
      while (this.i < p.length && p[this.i] !== ']') this.i += p[this.i] === '\\' ? 2 : 1;
      this.i++;
      return { kind: 'atom', source: p.slice(start, this.i), q: null };
    }
    if (c === '^' || c === '$') return { kind: 'assert', q: null };
    if (c === '\\') {
      const e = p[this.i++] ?? '';
      if (e === 'b' || e === 'B') return { kind: 'assert', q: null };
      if (/[1-9]/.test(e)) {
        while (/\d/.test(p[this.i] ?? '')) this.i++;
        return { kind: 'backref', q: null };
      }
      if (e === 'k' && p[this.i] === '<') {
        this.i = this.after('>');
        return { kind: 'backref', q: null };
      }
      // Without the u flag, \u{…} is not an escape (and a malformed \u or \x is the letter itself).
      if (e === 'u' && /^[\da-f]{4}/i.test(p.slice(this.i))) this.i += 4;
      else if (e === 'x' && /^[\da-f]{2}/i.test(p.slice(this.i))) this.i += 2;
      else if (e === 'c' && /^[a-z]/i.test(p.slice(this.i))) this.i += 1;
      return { kind: 'atom', source: p.slice(start, this.i), q: null };
    }
    return { kind: 'atom', source: c === '.' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&'), q: null };
  }

  /** The index just after the next `end`. */
  private after(end: string): number {
    const at = this.p.indexOf(end, this.i);
    if (at < 0) throw new SyntaxError(`missing ${end}`);
    return at + 1;
  }

  private quantified(node: Node): Node {
    const p = this.p;
    const start = this.i;
    const c = p[this.i];
    let q: Quantifier | null = null;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      q = { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Infinity, text: c };
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.i));
      if (m) {
        this.i += m[0].length;
        q = { min: Number(m[1]), max: m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]), text: m[0] };
      }
    }
    if (!q) return node;
    if (p[this.i] === '?') this.i++;
    q.text = p.slice(start, this.i);
    return { ...node, q };
  }
}

const repeats = (q: Quantifier | null): boolean => q !== null && q.max > 1;
/** Repeats, and the matcher must choose how often (a fixed count such as {4} leaves no choice). */
const varies = (q: Quantifier | null): boolean => q !== null && q.max > 1 && q.max > q.min;
const unbounded = (q: Quantifier | null): boolean => q !== null && q.max === Infinity;

/** Every quantifier inside `alternatives`, at any depth. */
function quantifiersIn(alternatives: Node[][]): Quantifier[] {
  return alternatives.flat().flatMap((n) => [...(n.q ? [n.q] : []), ...(n.kind === 'group' ? quantifiersIn(n.alternatives) : [])]);
}

/**
 * The single-character atoms a branch can begin with, and whether it can match nothing at all;
 * null when unknown (a back-reference), which counts as "can begin with anything".
 */
function firstAtoms(branch: Node[]): { atoms: string[]; empty: boolean } | null {
  const atoms: string[] = [];
  for (const node of branch) {
    if (node.kind === 'assert' || (node.kind === 'group' && node.lookaround)) continue;
    if (node.kind === 'backref') return null;
    let canBeEmpty = node.q !== null && node.q.min === 0;
    if (node.kind === 'atom') atoms.push(node.source);
    else {
      for (const alt of node.alternatives) {
        const first = firstAtoms(alt);
        if (!first) return null;
        atoms.push(...first.atoms);
        canBeEmpty ||= first.empty;
      }
    }
    if (!canBeEmpty) return { atoms, empty: false };
  }
  return { atoms, empty: true };
}

/** The UTF-16 code units a branch can begin with (a lone-character regex run on each: a config-load cost, never a scan's). */
function firstUnits(branch: Node[]): Uint8Array | null {
  const first = firstAtoms(branch);
  if (!first) return null;
  const units = new Uint8Array(0x10000);
  // A literal character (the usual alternative, like the A of A|B) is itself; classes are enumerated.
  const literal = (atom: string) => (atom.length === 1 && atom !== '.' ? atom : /^\\[^\w]$/.test(atom) ? atom[1]! : null);
  const classes = first.atoms.filter((atom) => literal(atom) === null);
  for (const atom of first.atoms) if (literal(atom) !== null) units[literal(atom)!.charCodeAt(0)] = 1;
  if (classes.length === 0) return units;
  const re = new RegExp(`^(?:${classes.join('|')})$`);
  for (let c = 0; c < 0x10000; c++) if (re.test(String.fromCharCode(c))) units[c] = 1;
  return units;
}

/** Whether two of the branches can begin with the same character (an unknown beginning can be any). */
function overlap(branches: Node[][]): boolean {
  const seen = new Uint8Array(0x10000);
  for (const branch of branches) {
    const units = firstUnits(branch);
    if (!units) return true;
    for (let c = 0; c < units.length; c++) {
      if (!units[c]) continue;
      if (seen[c]) return true;
      seen[c] = 1;
    }
  }
  return false;
}

/** The first problem of `nodes` (walked depth first), in words for whoever writes the config. */
function problemIn(alternatives: Node[][]): string | null {
  for (const node of alternatives.flat()) {
    if (node.kind !== 'group') continue;
    const inner = quantifiersIn(node.alternatives);
    const written = `${node.source}${node.q?.text ?? ''}`;
    if (repeats(node.q) && inner.some((q) => varies(q) && (unbounded(q) || unbounded(node.q)))) {
      return `it repeats a part that itself repeats, ${written}: on a code that almost matches this takes exponential time (catastrophic backtracking) and would freeze the station. Repeat only once (NMNH-\\d+ rather than (NMNH-\\d+)+), or give both repetitions a bounded count (\\d{1,12} rather than \\d+, {0,5} rather than * after the group)`;
    }
    if (unbounded(node.q) && node.alternatives.length > 1 && overlap(node.alternatives)) {
      return `it repeats a choice whose alternatives can begin with the same character, ${written}: on a code that almost matches this takes exponential time (catastrophic backtracking) and would freeze the station. Make the alternatives begin differently (a[bc] rather than ab|ac; \\w rather than \\w|\\d), or list each only once`;
    }
    const deeper = problemIn(node.alternatives);
    if (deeper) return deeper;
  }
  return null;
}

/** `pattern`'s alternatives, each a sequence of nodes; throws a SyntaxError where this parser cannot follow it. */
export function parsePattern(pattern: string): Node[][] {
  return new Parser(pattern).parse();
}

/** Why `pattern` (a valid JavaScript regular expression) is refused as a barcode pattern, or null when it is safe to run on every scan. */
export function backtrackingProblem(pattern: string): string | null {
  try {
    return problemIn(parsePattern(pattern));
  } catch {
    // A pattern this parser misreads is refused rather than trusted.
    return 'it could not be checked for catastrophic backtracking; write it more simply (literal characters, classes such as \\d or [A-Z], groups and counts)';
  }
}
