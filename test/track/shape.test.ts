/**
 * A dependency's shape (what another file's analysis can see of it): comments and whitespace
 * between statements are left out as long as no token moves; everything else counts.
 */
import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { shapeHash } from '../../src/track/shape.ts';

const MENTIONS = /\b(?:owner|slot|Blob)\b/;

function shape(text: string, name = 'a.ts'): string | undefined {
  return shapeHash(ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true), MENTIONS);
}

const BASE = `import { f } from './f.ts';

/** Doc comment. */
export function g(p: number): number {
  // a comment between statements
  const x = f(p, 1); // trailing comment
  return x + 1;
}

export class C {
  /* member comment */
  m(): number {
    return g(2);
  }
}

export const h = (q: number) => {
  return q * 2;
};
// the end
`;

describe('shapeHash', () => {
  const base = shape(BASE);

  it('is defined for a TypeScript file that parses', () => {
    expect(base).toMatch(/^[0-9a-f]{40}$/);
  });

  it.each([
    ['an appended comment line', `${BASE}// bench edit 1\n`],
    ['an edited trailing comment', BASE.replace('// trailing comment', '// another trailing comment, longer')],
    ['an edited comment between statements', BASE.replace('// a comment between statements', '// changed')],
    ['an edited doc comment', BASE.replace('/** Doc comment. */', '/** Doc comment, reworded at length. */')],
    ['an edited class member comment', BASE.replace('/* member comment */', '/* other */')],
    ['trailing spaces', BASE.replace('return x + 1;', 'return x + 1;   ')],
  ])('ignores %s', (_, text) => {
    expect(shape(text)).toBe(base);
  });

  it.each([
    ['a code edit', BASE.replace('x + 1', 'x + 2')],
    ['a line shift (a comment line inserted above code)', BASE.replace('/** Doc comment. */', '/**\n * Doc comment.\n */')],
    ['a column shift', BASE.replace('  const x = f(p, 1);', '  /* c */ const x = f(p, 1);')],
    ['a comment inside an expression', BASE.replace('f(p, 1)', 'f(p, /* one */ 1)')],
    ['whitespace inside an expression', BASE.replace('f(p, 1)', 'f(p,\t1)')],
    ['a comment inside an arrow function body', BASE.replace('return q * 2;', 'return q * 2; // twice')],
    ['a header pragma', `// @ts-nocheck\n${BASE}`],
    ['a triple-slash reference', `/// <reference lib="dom" />\n${BASE}`],
    ['a comment naming a tracked name (the finder reads such files)', BASE.replace('// the end', '// the owner')],
    ['an edit inside a template literal', BASE.replace('// the end', 'export const t = `a${1}/* b */`;')],
  ])('sees %s', (_, text) => {
    expect(shape(text)).not.toBe(base);
  });

  it('sees a comment inside an expression edited in place (no token moves)', () => {
    const one = BASE.replace('f(p, 1)', 'f(p, /* one */ 1)');
    expect(shape(one)).not.toBe(shape(one.replace('/* one */', '/* two */')));
    const arrow = BASE.replace('return q * 2;', 'return q * 2; // one');
    expect(shape(arrow)).not.toBe(shape(arrow.replace('// one', '// two')));
  });

  it('sees the text of template literals and regular expressions, which hold comment-like text', () => {
    const t = 'export const t = `a${1}/* b */`;\nexport const r = /a\\/\\/b/;\n';
    expect(shape(t)).not.toBe(shape(t.replace('/* b */', '/* c */')));
    expect(shape(t)).not.toBe(shape(t.replace('b/;', 'c/;')));
  });

  it('has none for JavaScript (JSDoc types it), files that do not parse, and JSON', () => {
    expect(shape('/** @type {number} */\nexport const x = 1;\n', 'a.js')).toBeUndefined();
    expect(shape('export function f(: number {}\n')).toBeUndefined();
    expect(shape('{"a": 1}', 'a.json')).toBeUndefined();
  });
});
