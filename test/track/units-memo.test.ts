/**
 * deps.ts fileUnits with the walk's statement memo (UnitCache): a file version is cut only where
 * its statements differ from the versions cut before. Whatever the edits, the units and shapes
 * must equal those of a fresh cut: random histories of corpus files (seed printed) whose versions
 * edit a statement, shift the lines below it, put a statement on the line of the one before
 * (columns), add a header pragma, drop or duplicate statements, turn a module into a script and
 * break the parse, each version cut with the memo and without.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ts } from '@ts-morph/common';
import { resolveSpec } from '../../src/model/builtin.ts';
import { SpecNames } from '../../src/analyzers/context.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { fileUnits, specNamePredicate, type StatementMemo } from '../../src/track/deps.ts';
import { prng } from '../../src/verify/mutants-gen.ts';

const SEED = Number(process.env.MEMDESC_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const spec = resolveSpec(undefined);
const mentions = new SpecNames(spec).textFilter;
const isSpecName = specNamePredicate(spec);

const parse = (name: string, text: string): ts.SourceFile => ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);

/** The memo's cut and a fresh one of the same text (separate parses: nothing shared but the memo). */
function both(memo: StatementMemo, name: string, text: string): [string, string] {
  return [JSON.stringify(fileUnits(parse(name, text), mentions, isSpecName, memo)), JSON.stringify(fileUnits(parse(name, text), mentions, isSpecName))];
}

/** One random edit of `text` (statement boundaries from its parse). */
function editOf(text: string, rand: () => number): string {
  const sts = parse('/e.ts', text).statements;
  if (sts.length === 0) return `${text}\nexport const x = 1;\n`;
  const st = sts[Math.floor(rand() * sts.length)]!;
  const at = st.getStart();
  switch (Math.floor(rand() * 8)) {
    case 0: {
      // A token inside the statement.
      const i = text.indexOf('(', at);
      return i >= 0 && i < st.end ? `${text.slice(0, i + 1)}0 + ${text.slice(i + 1)}` : `${text.slice(0, st.end)} void 0;${text.slice(st.end)}`;
    }
    case 1:
      // Lines below move (a comment line above the statement).
      return `${text.slice(0, at)}// moved\n\n${text.slice(at)}`;
    case 2:
      // On the line of the statement before: its columns change, not its text.
      return st.pos > 0 ? `${text.slice(0, st.pos).trimEnd()} ${text.slice(st.pos).trimStart()}` : text;
    case 3:
      return `// @ts-nocheck\n/// <reference lib="es2022" />\n${text}`;
    case 4:
      return `${text.slice(0, st.pos)}${text.slice(st.end)}`;
    case 5:
      return `${text.slice(0, st.end)}\n${text.slice(at, st.end)}${text.slice(st.end)}`;
    case 6:
      // No import or export left: a script, parsed as one.
      return sts.filter((s) => !ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)).map((s) => s.getFullText().replace(/^(\s*)export /, '$1')).join('');
    default:
      // A parse error (the file is then cut from its exact text), or one mended.
      return text.includes('@@') ? text.replace('@@', '') : `${text.slice(0, st.end)}@@${text.slice(st.end)}`;
  }
}

describe(`fileUnits with the statement memo (seed ${SEED})`, () => {
  it('equals a fresh cut on random edit histories of corpus files', () => {
    console.log(`units-memo property test: seed ${SEED} (replay with MEMDESC_TEST_SEED=${SEED})`);
    const rand = prng(SEED);
    const files = readdirSync(join(BUNDLED_CORPUS, 'mm')).filter((f) => f.endsWith('.ts')).sort();
    const memo: StatementMemo = new Map();
    for (let h = 0; h < 6; h++) {
      const name = files[Math.floor(rand() * files.length)]!;
      let text = readFileSync(join(BUNDLED_CORPUS, 'mm', name), 'utf8');
      for (let v = 0; v < 12; v++) {
        const [withMemo, fresh] = both(memo, `/mm/${name}`, text);
        expect(withMemo, `seed ${SEED}: ${name}, version ${v}`).toBe(fresh);
        text = editOf(text, rand);
      }
    }
  });

  it('cuts only the statements a version changed', () => {
    const text = readFileSync(join(BUNDLED_CORPUS, 'mm', 'slub.ts'), 'utf8');
    const memo: StatementMemo = new Map();
    both(memo, '/mm/slub.ts', text);
    const before = memo.size;
    // A comment above one function (every line below shifts) and one inside another's body: two new parts.
    const sts = parse('/mm/slub.ts', text).statements.filter((s) => ts.isFunctionDeclaration(s));
    const [a, b] = [sts[2]!, sts[sts.length - 2]!];
    const edited = `${text.slice(0, a.getStart())}// note\n${text.slice(a.getStart(), b.end - 1)}/* x */}${text.slice(b.end)}`;
    const [withMemo, fresh] = both(memo, '/mm/slub.ts', edited);
    expect(withMemo).toBe(fresh);
    expect(memo.size - before).toBe(2);
  });
});
