/**
 * Tests of the memdesc word itself as guards: in `if (PageMemdesc(page)) return …;` and after it,
 * or under `!PageMemdesc(page)`, the page carries no memdesc word. Once a kind is separated every
 * page of it carries one (its allocation sets the word on each page), so code that runs only on
 * pages without a word cannot touch a separated kind's page: what it reads and writes there is
 * struct page's own (a stage-2 dump_page() printing a stage-1 page's mapping and index).
 *
 * The tests are found from the code, never by their names (memdescTests.ts): a boolean function of
 * one page that tests the word read through the spec's member, a mark the word's writers keep
 * with it and its checked readers require, or another such test. A function named like a test
 * that reads nothing of the word is none. The analyzer's guard machinery (every form it knows:
 * early exits, else branches, `||`, locals) evaluates them, as the tests of pseudo kinds that
 * never name a real one; since it matches calls by name, a fact whose call resolves to a
 * namesake (a same-named local that is no test) is dropped.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import { Guards } from '../analyzers/guards.ts';
import { skipOuter } from '../analyzers/ast.ts';
import type { Spec } from '../model/spec.ts';
import { memdescTestsOf, type MemdescTest } from './memdescTests.ts';

/** The pseudo kinds the tests "are": never a spec kind's name (a NUL cannot be in one). */
const HAS_MEMDESC = '\0memdesc';
const NO_MEMDESC = '\0no-memdesc';

export class MemdescGuard {
  /** The tests found, for the report's wording. */
  readonly tests: MemdescTest[] = [];
  private guards: Guards | undefined;
  /** Where a call spelled like a test resolves to something else (file:line, as Guards says `at`). */
  private readonly namesakes = new Set<string>();

  constructor(ctx: AnalysisContext, memdescField: string) {
    const found = memdescTestsOf(ctx, memdescField);
    if (found.tests.length === 0) return;
    this.tests.push(...found.tests);
    // Guards match calls by the name written at the call: every name a test is called by (its
    // own, or an import's alias) stands for it, and a call of such a name that resolves to
    // something else is a namesake.
    // Only names a test can be called by are resolved: its own, and the aliases imports and
    // re-exports give it (syntax first, then the symbol decides).
    const names = new Set(found.tests.map((t) => t.name));
    for (const sf of ctx.files) {
      const visit = (n: ts.Node): void => {
        if ((tsv.isImportSpecifier(n) || tsv.isExportSpecifier(n)) && n.propertyName && names.has(n.propertyName.text)) names.add(n.name.text);
        tsv.forEachChild(n, visit);
      };
      for (const st of sf.statements) if (tsv.isImportDeclaration(st) || tsv.isExportDeclaration(st)) visit(st);
    }
    const spelled = new Map<string, MemdescTest>(found.tests.map((t) => [t.name, t]));
    const calls: Array<[ts.SourceFile, ts.CallExpression, string, MemdescTest | undefined]> = [];
    for (const sf of ctx.files) {
      const visit = (n: ts.Node): void => {
        if (tsv.isCallExpression(n)) {
          const e = skipOuter(n.expression);
          const name = tsv.isIdentifier(e) ? e.text : tsv.isPropertyAccessExpression(e) ? e.name.text : undefined;
          if (name && names.has(name)) {
            const t = found.testOf(n);
            calls.push([sf, n, name, t]);
            if (t && !spelled.has(name)) spelled.set(name, t);
          }
        }
        tsv.forEachChild(n, visit);
      };
      visit(sf);
    }
    for (const [sf, call, name, t] of calls) {
      const as = spelled.get(name);
      if (as && (!t || t.sense !== as.sense || t.pageArg !== as.pageArg)) this.namesakes.add(ctx.at(sf, call));
    }
    // The analyzer's Guards read their tests from the spec's kinds: give them a spec whose only
    // kinds are the word's tests (negates: their other answer is a fact too, unused here).
    const kind = (name: string, sense: MemdescTest['sense']) => ({
      ...ctx.spec.kinds[0]!, name, descriptor: null, fields: [],
      pageTypeTests: [...spelled].filter(([, t]) => t.sense === sense).map(([n, t]) => ({ name: n, pageArg: t.pageArg, negates: true })),
    });
    const spec: Spec = { ...ctx.spec, kinds: [kind(HAS_MEMDESC, 'has'), kind(NO_MEMDESC, 'none')] };
    const view = Object.create(ctx) as AnalysisContext;
    Object.defineProperty(view, 'spec', { value: spec });
    // The tests by symbol, as found from their code: a call counts when it resolves to one.
    const bySymbol = new Map(found.tests.map((t) => [t.symbol, [{ kind: t.sense === 'has' ? HAS_MEMDESC : NO_MEMDESC, pageArg: t.pageArg, negates: true }]]));
    this.guards = new Guards(view, { tests: bySymbol });
  }

  /** The sentence saying `page` carries no memdesc word at `anchor`, or undefined when no test says so. */
  without(anchor: ts.Node, page: ts.Expression): string | undefined {
    if (!this.guards) return undefined;
    const f = this.guards.facts(anchor, page).find((x) => x.kinds.length === 1 && !this.namesakes.has(x.at)
      && ((!x.positive && x.kinds[0] === HAS_MEMDESC) || (x.positive && x.kinds[0] === NO_MEMDESC)));
    return f?.sentence;
  }
}
