/**
 * Tests of the memdesc word itself as guards: in `if (PageMemdesc(page)) return …;` and after it,
 * or under `!PageMemdesc(page)`, the page carries no memdesc word. Once a kind is separated every
 * page of it carries one (its allocation sets the word on each page), so code that runs only on
 * pages without a word cannot touch a separated kind's page: what it reads and writes there is
 * struct page's own (a stage-2 dump_page() printing a stage-1 page's mapping and index).
 *
 * The tests are found in the program, never by a list of names: a function named after the
 * spec's memdesc field that takes one page and returns a boolean (PageMemdesc()). The analyzer's
 * guard machinery (every form it knows: early exits, else branches, `||`, locals) evaluates them,
 * as the test of a pseudo kind that never names a real one.
 */
import { ts } from '@ts-morph/common';
import type { AnalysisContext } from '../analyzers/context.ts';
import { Guards } from '../analyzers/guards.ts';
import type { Spec } from '../model/spec.ts';

/** The pseudo kind the memdesc test "is": never a spec kind's name (a NUL cannot be in one). */
const HAS_MEMDESC = '\0memdesc';

export class MemdescGuard {
  /** The tests found, for the report's wording. */
  readonly tests: string[] = [];
  private guards: Guards | undefined;

  constructor(ctx: AnalysisContext, memdescField: string) {
    const needle = memdescField.toLowerCase();
    const found = new Map<string, number>();
    for (const sf of ctx.files) {
      for (const st of sf.statements) {
        if (!ts.isFunctionDeclaration(st) || !st.name || !st.body || !st.name.text.toLowerCase().includes(needle)) continue;
        const sig = ctx.checker.getSignatureFromDeclaration(st);
        if (!sig || !(ctx.checker.getReturnTypeOfSignature(sig).flags & ts.TypeFlags.BooleanLike)) continue;
        const pages = st.parameters.map((p, i) => [p, i] as const).filter(([p]) => ctx.typeIsPage(ctx.checker.getTypeAtLocation(p)));
        if (pages.length !== 1) continue;
        found.set(st.name.text, pages[0]![1]);
      }
    }
    if (found.size === 0) return;
    this.tests.push(...[...found.keys()].sort());
    // The analyzer's Guards read their tests from the spec's kinds: give them a spec whose only
    // kind is the memdesc test (negates: its false branch is a fact too).
    const spec: Spec = {
      ...ctx.spec,
      kinds: [{
        ...ctx.spec.kinds[0]!, name: HAS_MEMDESC, descriptor: null, fields: [],
        pageTypeTests: [...found].map(([name, pageArg]) => ({ name, pageArg, negates: true })),
      }],
    };
    const view = Object.create(ctx) as AnalysisContext;
    Object.defineProperty(view, 'spec', { value: spec });
    this.guards = new Guards(view);
  }

  /** The sentence saying `page` carries no memdesc word at `anchor`, or undefined when no test says so. */
  without(anchor: ts.Node, page: ts.Expression): string | undefined {
    if (!this.guards) return undefined;
    const f = this.guards.facts(anchor, page).find((x) => !x.positive && x.kinds.includes(HAS_MEMDESC));
    return f?.sentence;
  }
}
