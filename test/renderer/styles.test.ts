/**
 * The stylesheets are merged by hand from several branches; a lost closing brace nests every rule
 * after it into the one before, and the browser silently drops them (Vite's build does not object).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(import.meta.dirname, '../../renderer/styles');

/** Depth of `{` nesting after each line, comments and strings left out; the lines where it is wrong. */
function braceProblems(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/'[^'\n]*'|"[^"\n]*"/g, (q) => ' '.repeat(q.length));
  const problems: string[] = [];
  let depth = 0;
  text.split('\n').forEach((line, i) => {
    for (const ch of line) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      if (depth < 0) problems.push(`line ${i + 1}: a } closes nothing`);
      if (depth < 0) depth = 0;
    }
    // Only @media/@supports blocks hold rules, so a rule's own `{` never opens at depth 2 or more.
    if (depth > 2) problems.push(`line ${i + 1}: nested ${depth} deep — a } is missing above`);
  });
  if (depth !== 0) problems.push(`end of file: ${depth} block(s) not closed`);
  return problems;
}

describe('stylesheets', () => {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.css'))) {
    it(`${file}: every block is closed`, () => {
      expect(braceProblems(fs.readFileSync(path.join(dir, file), 'utf8'))).toEqual([]);
    });
  }

  it('catches a lost closing brace', () => {
    expect(braceProblems('.a {\n  color: red;\n.b {\n  color: blue;\n}\n')).toEqual(['end of file: 1 block(s) not closed']);
  });
});
