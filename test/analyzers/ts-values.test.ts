/**
 * src/analyzers/tsValues.ts: the TypeScript API values the analyzers, the rewriter and stage 2
 * read, as plain properties (TypeScript's namespace object answers each read through a getter on
 * a dictionary-mode object). Each copy must be the real value, and those modules must read values
 * through it, not through `ts.` (types still come from `ts`): a `ts.isIdentifier(n)` in a hot loop
 * costs again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { describe, expect, it } from 'vitest';
import { tsv } from '../../src/analyzers/tsValues.ts';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const DIRS = ['analyzers', 'rewrite', 'stage2'];

describe('tsValues', () => {
  it('holds the real values: functions as they are, enum members by value', () => {
    const real = ts as unknown as Record<string, unknown>;
    for (const [name, v] of Object.entries(tsv)) {
      if (typeof v === 'object' && v !== null && real[name] !== v) {
        // An enum's members the analyzers read.
        const e = real[name] as Record<string, unknown>;
        expect(typeof e, name).toBe('object');
        for (const [m, x] of Object.entries(v)) expect(x, `${name}.${m}`).toBe(e[m]);
      } else expect(v, name).toBe(real[name]);
    }
  });

  it('the analyzer, rewriter and stage-2 modules read no value through `ts.`', () => {
    const reads: string[] = [];
    for (const f of DIRS.flatMap((d) => readdirSync(join(SRC, d)).filter((x) => x.endsWith('.ts') && x !== 'tsValues.ts').map((x) => join(d, x)))) {
      const sf = ts.createSourceFile(f, readFileSync(join(SRC, f), 'utf8'), ts.ScriptTarget.ES2022, true);
      const visit = (n: ts.Node): void => {
        // A value read is a property access; a type (`ts.Node`) is a qualified name. An enum's
        // member name looked up for a message (`ts.SyntaxKind[k]`) needs the whole enum.
        if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'ts' &&
          !(ts.isElementAccessExpression(n.parent) && n.parent.expression === n)) {
          reads.push(`${f}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${n.getText(sf)}`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(reads).toEqual([]);
  });
});
