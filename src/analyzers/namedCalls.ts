/**
 * Is a call one of the functions a spec names by role (a neutral source like `pfn_to_page`, the
 * address helpers `virt_to_page`/`page_address`, a converter, a kind's allocator by its glob)? By the declaration it resolves to,
 * not the name it is spelled with: an aliased import or a renamed re-export is the function it
 * names, a same-named local, parameter or method of some object is another function. The spelled
 * name decides only where the callee resolves to no declaration (an unresolved module, `any`).
 *
 * Cheap on hot paths: a plain name is resolved in the binder's scopes (context.ts symbolOf, memoized
 * per node); a member call (`x.f()`) is resolved only when its member is spelled like one of the
 * names or its object is a namespace import (`ns.g()` may be a renamed re-export).
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { isModuleLevel } from './assertions.ts';
import { skipOuter } from './ast.ts';
import type { AnalysisContext } from './context.ts';

type Names = ReadonlySet<string> | ReadonlyMap<string, unknown> | readonly string[];

function has(names: Names, n: string): boolean {
  return Array.isArray(names) ? names.includes(n) : (names as ReadonlySet<string>).has(n);
}

/** The name of `names` the call resolves to (a module-level declaration of that name), else undefined. */
export function namedCallee(ctx: AnalysisContext, call: ts.CallExpression, names: Names): string | undefined {
  return calleeMatching(ctx, call, (n) => has(names, n));
}

/**
 * The declared name of the module-level function the call resolves to, when `accept` takes that
 * name (names given as globs: the spec's `alloc_*`); the spelled name where the callee resolves to
 * no declaration; else undefined (a local, a parameter, a member of some object, a name `accept`
 * refuses).
 */
export function calleeMatching(ctx: AnalysisContext, call: ts.CallExpression, accept: (name: string) => boolean): string | undefined {
  const callee = skipOuter(call.expression);
  let id: ts.Node;
  if (tsv.isIdentifier(callee)) id = callee;
  else if (tsv.isPropertyAccessExpression(callee)) {
    id = callee.name;
    if (!accept(callee.name.text)) {
      const obj = skipOuter(callee.expression);
      const target = tsv.isIdentifier(obj) ? ctx.symbolOf(obj) : undefined;
      if (!target || !(target.flags & tsv.SymbolFlags.ValueModule)) return undefined;
    }
  } else return undefined;
  const sym = ctx.symbolOf(id);
  if (!sym?.declarations?.length) {
    const spelled = tsv.isIdentifier(id) ? id.text : undefined;
    return spelled !== undefined && accept(spelled) ? spelled : undefined;
  }
  return accept(sym.name) && sym.declarations.some(isModuleLevel) ? sym.name : undefined;
}
