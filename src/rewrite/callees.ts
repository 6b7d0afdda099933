/**
 * What a call is, by the function it resolves to rather than by the name it is spelled with (the
 * guide: a kind comes from type tests, data flow and the call graph; a spec's list of names is a
 * hint of last resort). The callee is resolved by symbol (import aliases, renamed re-exports and
 * namespaces followed), so a same-named local function or a method of another class is another
 * function, and an aliased import is the function it imports:
 *
 *  - a type test: what typeTests.ts decides from the function's code (a spec-named test whose
 *    code tests no type or flags bit is none; a wrapper or copy of one the spec does not list is one);
 *  - an assertion: a function whose code stops when its condition holds (`if (cond) throw …`, or a
 *    call of a never-returning function) or fails (`if (!cond) throw …`, `asserts cond`), or that
 *    hands its condition to one;
 *  - a module-level function the spec names by role (a converter, the address helper): its declared name.
 *
 * The spec's name is used only where the call resolves to no declaration (an unresolved module,
 * an `any` callee) or to one without a body to read; the verdict then says so (`byName`).
 * Verdicts are cached per function (symbol) and per analysis context.
 */
import { ts } from '@ts-morph/common';
import type { AnalysisContext } from '../analyzers/context.ts';
import { assertionsOf, calleeId, spelledName, type AssertionShape, type CalleeVerdict } from '../analyzers/assertions.ts';
import { namedCallee } from '../analyzers/namedCalls.ts';
import { TypeTests, type ResolvedTest } from '../analyzers/typeTests.ts';

export { assertionShape, spelledName, type AssertionShape, type CalleeVerdict } from '../analyzers/assertions.ts';

export class CalleeRoles {
  private readonly tests: TypeTests;
  private readonly testNames: Set<string>;

  constructor(private readonly ctx: AnalysisContext) {
    this.tests = new TypeTests(ctx);
    this.testNames = new Set(ctx.spec.kinds.flatMap((k) => k.pageTypeTests.map((t) => t.name)));
  }

  /** The symbol the call resolves to, when it has a declaration (aliases followed). */
  private resolved(call: ts.CallExpression): ts.Symbol | undefined {
    const sym = this.ctx.symbolOf(calleeId(call));
    return sym?.declarations?.length ? sym : undefined;
  }

  /**
   * The kinds' tests the call makes of its argument `arg` (typeTests.ts), or, when the callee
   * resolves to no declaration, the spec's test of that name (byName says so).
   */
  typeTestOf(call: ts.CallExpression, arg: number): CalleeVerdict<boolean> {
    const sym = this.resolved(call);
    if (!sym) {
      const name = spelledName(call);
      const named = name !== undefined && this.testNames.has(name);
      return named ? { value: true, byName: `\`${name}\` resolves to no declaration: taken as a type test by its name in the spec` } : { value: false };
    }
    const r: ResolvedTest = this.tests.ofSymbol(sym);
    const value = r.tests.some((t) => t.pageArg === arg);
    return value && r.byName ? { value, byName: r.byName } : { value };
  }

  /** The assertion the call is (its condition argument and sense), by its callee's code (assertions.ts). */
  assertionOf(call: ts.CallExpression): CalleeVerdict<AssertionShape | undefined> {
    return assertionsOf(this.ctx).of(call);
  }

  /**
   * Is the call one of `names` (the spec's or the converter's module-level functions)? By the
   * declaration it resolves to: its declared name, for a module-level function or variable (an
   * aliased import or re-export is the function it names); a local or a member is none. The
   * spelled name only where the callee resolves to no declaration.
   */
  isNamedFunction(call: ts.CallExpression, names: ReadonlySet<string> | ReadonlyMap<string, unknown>): string | undefined {
    return namedCallee(this.ctx, call, names);
  }
}

const cache = new WeakMap<AnalysisContext, CalleeRoles>();

/** The roles of calls in this analysis, one cache per context. */
export function calleeRoles(ctx: AnalysisContext): CalleeRoles {
  let r = cache.get(ctx);
  if (!r) cache.set(ctx, (r = new CalleeRoles(ctx)));
  return r;
}
