/**
 * `memdesc separate` decides from symbols, not names (the guide: evidence from the code). A call
 * is the allocator, a helper, a converter or a page-type setter when its callee *resolves* to that
 * declaration through the type checker — import aliases (`import { alloc_pages as ap }`), renamed
 * re-exports (`export { alloc_pages as get_pages }`) and namespace imports followed — never
 * because the identifier reads the same: a same-named local function elsewhere, a parameter that
 * shadows one, or a method `x.alloc_pages()` is something else. A local variable is known by its
 * symbol too, so a shadowing declaration in an inner scope is another variable.
 *
 * Names remain only where the spec (or the kernel's API the built-in spec stands for) *is* a name:
 * `alloc_pages`, `__SetPageTable`, the converters `page_ptdesc()`. They are hints of last resort
 * that find the one declaration each stands for (`named()`): the tree's exported top-level
 * function of that name; from there on, only symbols count.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';

export class Symbols {
  readonly checker: ts.TypeChecker;
  private namedMemo = new Map<string, Set<ts.Symbol>>();
  private ids = new Map<ts.Symbol, number>();
  private exported?: Map<string, ts.Symbol[]>;
  /** callee() by call: the planners' fixed-point passes ask for the same calls every round. */
  private callees = new Map<ts.CallExpression, ts.Symbol | undefined>();

  constructor(private program: ts.Program, private root: string) {
    // Binding sets the parent links the walks up from a node need.
    this.checker = program.getTypeChecker();
  }

  /** `sym` with import aliases and re-exports followed to what they name. */
  resolve(sym: ts.Symbol | undefined): ts.Symbol | undefined {
    if (!sym || !(sym.flags & tsv.SymbolFlags.Alias)) return sym;
    try {
      return this.checker.getAliasedSymbol(sym);
    } catch {
      return sym;
    }
  }

  /** The symbol an identifier refers to, aliases followed. */
  at(n: ts.Node): ts.Symbol | undefined {
    return this.resolve(this.checker.getSymbolAtLocation(n));
  }

  /**
   * What a call calls, aliases followed: a function's symbol (`f()`, `ns.f()` through a namespace
   * import), a method's or a parameter's for `x.f()` and a callback; undefined when not named.
   */
  callee(call: ts.CallExpression): ts.Symbol | undefined {
    if (this.callees.has(call)) return this.callees.get(call);
    const e = strip(call.expression);
    const sym = tsv.isIdentifier(e) ? this.at(e) : tsv.isPropertyAccessExpression(e) ? this.at(e.name) : undefined;
    this.callees.set(call, sym);
    return sym;
  }

  /** The symbol the callee identifier names as written (the import's own, before aliases): what an import's use count counts. */
  local(call: ts.CallExpression): ts.Symbol | undefined {
    const e = strip(call.expression);
    if (tsv.isIdentifier(e)) return this.checker.getSymbolAtLocation(e);
    if (tsv.isPropertyAccessExpression(e)) {
      const obj = strip(e.expression);
      return tsv.isIdentifier(obj) ? this.checker.getSymbolAtLocation(obj) : undefined;
    }
    return undefined;
  }

  /** A function's own symbol: its name's, or that of the variable an arrow or function expression initializes. */
  of(f: ts.FunctionLikeDeclaration): ts.Symbol | undefined {
    if (f.name) return this.checker.getSymbolAtLocation(f.name);
    if (tsv.isVariableDeclaration(f.parent) && f.parent.initializer === f) return this.checker.getSymbolAtLocation(f.parent.name);
    return undefined;
  }

  /**
   * The declaration(s) a name of the spec or the kernel's API stands for: the tree's exported
   * top-level functions (or function-valued constants) of that name. A hint of last resort —
   * the one place a name decides — so that calls are then matched by symbol.
   */
  named(name: string): Set<ts.Symbol> {
    let out = this.namedMemo.get(name);
    if (out) return out;
    if (!this.exported) this.exported = this.exportedFunctions();
    out = new Set(this.exported.get(name) ?? []);
    this.namedMemo.set(name, out);
    return out;
  }

  /** Does the call's callee resolve to the declaration of `name` (named())? */
  calls(call: ts.CallExpression, name: string): boolean {
    const s = this.callee(call);
    return !!s && this.named(name).has(s);
  }

  /** The name of `names` whose declaration the call's callee resolves to, if any. */
  nameIn(call: ts.CallExpression, names: Iterable<string>): string | undefined {
    const s = this.callee(call);
    if (!s) return undefined;
    for (const n of names) if (this.named(n).has(s)) return n;
    return undefined;
  }

  /** Symbols of `names` (named()), as one set. */
  namedAll(names: Iterable<string>): Set<ts.Symbol> {
    const out = new Set<ts.Symbol>();
    for (const n of names) for (const s of this.named(n)) out.add(s);
    return out;
  }

  /** A stable key for a variable or parameter: one per symbol (a shadowing declaration is another key). */
  keyOfSymbol(sym: ts.Symbol): string {
    let id = this.ids.get(sym);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(sym, id);
    }
    return `\0sym${id}`;
  }

  /** The key of an identifier: its symbol's, or its text when it resolves to nothing. */
  keyOfIdentifier(id: ts.Identifier): string {
    const s = this.checker.getSymbolAtLocation(id);
    return s ? this.keyOfSymbol(s) : id.text;
  }

  private exportedFunctions(): Map<string, ts.Symbol[]> {
    const out = new Map<string, ts.Symbol[]>();
    const add = (name: ts.Identifier): void => {
      const s = this.checker.getSymbolAtLocation(name);
      if (!s) return;
      const list = out.get(name.text) ?? [];
      if (!list.includes(s)) list.push(s);
      out.set(name.text, list);
    };
    for (const sf of this.program.getSourceFiles()) {
      if (!sf.fileName.startsWith(`${this.root}/`) || sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
      for (const st of sf.statements) {
        if (!(tsv.canHaveModifiers(st) && tsv.getModifiers(st)?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword))) continue;
        if (tsv.isFunctionDeclaration(st) && st.name) add(st.name);
        if (tsv.isVariableStatement(st)) {
          for (const d of st.declarationList.declarations) {
            const init = d.initializer && strip(d.initializer);
            if (tsv.isIdentifier(d.name) && init && (tsv.isArrowFunction(init) || tsv.isFunctionExpression(init))) add(d.name);
          }
        }
      }
    }
    return out;
  }
}

function strip(e: ts.Expression): ts.Expression {
  while (tsv.isParenthesizedExpression(e) || tsv.isNonNullExpression(e) || tsv.isAsExpression(e)) e = e.expression;
  return e;
}
