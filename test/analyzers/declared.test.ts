/**
 * declaredMember() (declared.ts) answers a member read through a receiver declared as the page
 * class from the declaration, without typing the receiver at the site: wherever it answers, the
 * answer must be the checker's (getSymbolAtLocation of the member name). Checked on every member
 * read of the corpus and on a table of narrowing traps (instanceof, `in`, declared and inferred
 * type predicates, assertion functions, `this is` methods, subclasses, unions, optional
 * parameters, module variables, aliases of the class).
 */
import { ts } from '@ts-morph/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { declaredMember, plainType } from '../../src/analyzers/declared.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

/**
 * Every `x.m` / `x['m']` / `x[k]` of the context's files: how many declaredMember answered, how many
 * receivers plainType typed, and each disagreement with the checker.
 */
function compare(ctx: AnalysisContext): { answered: number; total: number; typed: number; wrong: string[] } {
  const { checker } = ctx;
  let answered = 0;
  let total = 0;
  let typed = 0;
  const wrong: string[] = [];
  for (const sf of ctx.files) {
    const visit = (n: ts.Node): void => {
      let recv: ts.Expression | undefined;
      let name: ts.Node | undefined;
      if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.name)) [recv, name] = [n.expression, n.name];
      else if (ts.isElementAccessExpression(n) && ts.isStringLiteral(n.argumentExpression)) [recv, name] = [n.expression, n.argumentExpression];
      if (ts.isElementAccessExpression(n) && !ts.isStringLiteral(n.argumentExpression)) recv = n.expression;
      // Where the finder asks: computed keys and the spec's member names (asking at every read costs a whole check).
      if (recv && (!name || ctx.memberNames.has((name as ts.Identifier | ts.StringLiteral).text))) {
        // The type itself: what the checker types the receiver as at the read, null and undefined aside.
        const t = plainType(ctx, recv);
        if (t) {
          typed++;
          const at = checker.getNonNullableType(checker.getTypeAtLocation(recv));
          if (at !== t) {
            const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
            wrong.push(`${sf.fileName}:${line + 1}:${character + 1} ${n.getText(sf)}: declared ${checker.typeToString(t)}, checker ${checker.typeToString(at)}`);
          }
        }
      }
      if (recv && name && ctx.memberNames.has((name as ts.Identifier | ts.StringLiteral).text)) {
        total++;
        const fast = declaredMember(ctx, recv, (name as ts.Identifier | ts.StringLiteral).text);
        if (fast) {
          answered++;
          const slow = checker.getSymbolAtLocation(name);
          if (fast !== slow) {
            const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
            wrong.push(`${sf.fileName}:${line + 1}:${character + 1} ${n.getText(sf)}: declared ${fast.name}, checker ${slow?.name}`);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { answered, total, typed, wrong };
}

/** A project of `files` in a temporary folder (a tsconfig as the corpus's), loaded as analyze loads one. */
function tempProgram(files: Record<string, string>): { program: ts.Program; root: string; dispose: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-declared-'));
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, types: [], lib: ['ES2022'] }, include: ['*.ts'] }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  const { program } = loadProgram(root);
  return { program, root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

const SPEC: Spec = { ...builtinSpec(), page: { ...builtinSpec().page, file: 'page.ts' } };

describe('declaredMember', () => {
  it('answers as the checker does on every read of the corpus the finder asks about, for most of them', () => {
    const { program, root } = loadProgram(BUNDLED_CORPUS);
    const r = compare(new AnalysisContext(builtinSpec(), program, root));
    expect(r.wrong).toEqual([]);
    // It must take over a real share of the reads (the corpus passes pages around as typed parameters).
    expect(r.answered).toBeGreaterThan(r.total / 2);
    expect(r.typed).toBeGreaterThan(200);
  });

  it('answers as the checker does, or not at all, on narrowing traps', () => {
    const files = {
      'page.ts': `
export class Page { lru = 0; index = 0; mapping = 0; private_ = 0; isTail(): boolean { return false; } }
export class Tail extends Page { override index = 1; }
export interface Other { index: string; extra: number }
export interface Indexed { lru: string }
`,
      'use.ts': `
import { Page, Tail, type Other, type Indexed } from './page.ts';
import { Page as P2 } from './page.ts';
declare function isOther(x: unknown): x is Other;
declare function assertIndexed(x: unknown): asserts x is Indexed;
function inferred(x: unknown) { return typeof x === 'object' && x !== null && 'extra' in x; }
function plain(x: Page): boolean { return x.lru > 0; }
function twoReturns(x: unknown) { if (!x) return false; return x instanceof Tail; }
const arrowGuard = (x: unknown): x is Other => !!x;
export function a(page: Page): number { return page.index + page['lru']; }
export function b(page: Page): number { if (page instanceof Tail) return page.index; return page.index; }
export function c(page: Page): string | number { if (isOther(page)) return page.index; return page.lru; }
export function d(page: Page): string | number { assertIndexed(page); return page.lru; }
export function e(page: Page): number { if ('extra' in page) return page.index; return page.lru; }
export function f(page: Page): number { if (inferred(page)) return page.index; return page.lru; }
export function g(page: Page): number { if (plain(page)) return page.index; return page.lru; }
export function h(page: Page): string | number { if (arrowGuard(page)) return page.index; return page.lru; }
export function i(page?: Page): number { return page ? page.lru : 0; }
export function j(page: Page | null): number { return page ? page.lru : 0; }
export function k(page: P2): number { const q: Page = page; return q.mapping + page.mapping; }
export function l(page: Tail): number { return page.index; }
export function m(...pages: Page[]): number { const [first] = pages; return first!.lru; }
const top: Page = new Page();
export function n(): number { return top.lru; }
export function o(page: Page): number { const inner = () => (isOther(page) ? 1 : page.lru); return inner(); }
export function p(page: Page): number { let x: Page = page; x = new Tail(); return x.index; }
export function q(page: Page): number { if (twoReturns(page)) return page.index; return page.lru; }
`,
    };
    const { program, root, dispose } = tempProgram(files);
    onTestFinished(dispose);
    const ctx = new AnalysisContext(SPEC, program, root);
    const r = compare(ctx);
    expect(r.wrong).toEqual([]);
    // Where narrowing may change the type it must stay out; where nothing narrows it must answer.
    const answeredIn = new Set<string>();
    const use = program.getSourceFile(join(root, 'use.ts'))!;
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && declaredMember(ctx, n.expression, n.name.text)) {
        for (let q: ts.Node | undefined = n; q; q = q.parent) if (ts.isFunctionDeclaration(q) && q.name) answeredIn.add(q.name.text);
      }
      ts.forEachChild(n, visit);
    };
    visit(use);
    expect([...answeredIn].sort()).toEqual(['a', 'g', 'i', 'j', 'k', 'l', 'p', 'plain', 'q']);
  });
});
