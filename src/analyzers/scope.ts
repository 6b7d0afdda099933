/**
 * Name resolution by the binder's own symbol tables (`locals` of each scope, a module's exports),
 * for the plain case only: an identifier read as a value, declared in an enclosing function,
 * block or module. It answers what `checker.getSymbolAtLocation()` followed by alias resolution
 * answers, without the checker's per-query work (its name lookup, and the expression checks
 * around it); anything unusual — a global, a script file, a parameter initializer, a named
 * function or class expression, an enum, a namespace, a merged symbol, a name that is not a
 * value there — returns undefined and the caller asks the checker. test/analyzers/scope.test.ts
 * compares both answers on every identifier of the corpus and a table of edge cases.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';

/** Parents under which an identifier child is a value read (where it is a child at all, see valueRead()). */
const VALUE_PARENTS = new Set<ts.SyntaxKind>([
  tsv.SyntaxKind.CallExpression, tsv.SyntaxKind.NewExpression, tsv.SyntaxKind.ElementAccessExpression, tsv.SyntaxKind.BinaryExpression,
  tsv.SyntaxKind.PrefixUnaryExpression, tsv.SyntaxKind.PostfixUnaryExpression, tsv.SyntaxKind.ParenthesizedExpression, tsv.SyntaxKind.NonNullExpression,
  tsv.SyntaxKind.AsExpression, tsv.SyntaxKind.SatisfiesExpression, tsv.SyntaxKind.TypeAssertionExpression, tsv.SyntaxKind.ConditionalExpression,
  tsv.SyntaxKind.ReturnStatement, tsv.SyntaxKind.ExpressionStatement, tsv.SyntaxKind.ArrayLiteralExpression, tsv.SyntaxKind.SpreadElement,
  tsv.SyntaxKind.TemplateSpan, tsv.SyntaxKind.IfStatement, tsv.SyntaxKind.WhileStatement, tsv.SyntaxKind.DoStatement, tsv.SyntaxKind.ForStatement,
  tsv.SyntaxKind.ForOfStatement, tsv.SyntaxKind.ForInStatement, tsv.SyntaxKind.SwitchStatement, tsv.SyntaxKind.CaseClause, tsv.SyntaxKind.ThrowStatement,
  tsv.SyntaxKind.AwaitExpression, tsv.SyntaxKind.TypeOfExpression, tsv.SyntaxKind.VoidExpression, tsv.SyntaxKind.DeleteExpression,
]);

/** Is `id` read as a value (not a declaration's name, a member name, a type, a label, a property key)? */
function valueRead(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return false;
  switch (p.kind) {
    case tsv.SyntaxKind.PropertyAccessExpression:
      return (p as ts.PropertyAccessExpression).expression === id;
    case tsv.SyntaxKind.VariableDeclaration:
      return (p as ts.VariableDeclaration).initializer === id;
    case tsv.SyntaxKind.PropertyAssignment:
      return (p as ts.PropertyAssignment).initializer === id;
    case tsv.SyntaxKind.ArrowFunction:
      return (p as ts.ArrowFunction).body === id;
    case tsv.SyntaxKind.ForStatement:
      // `for (i; …)`: an initializer that is a name is a read too, but keep to the conditions and updates.
      return (p as ts.ForStatement).initializer !== id;
    case tsv.SyntaxKind.ForOfStatement:
    case tsv.SyntaxKind.ForInStatement:
      return (p as ts.ForOfStatement).expression === id;
    default:
      return VALUE_PARENTS.has(p.kind);
  }
}

/** NodeFlags.InWithStatement (internal: not in the public typings). */
const IN_WITH = (tsv.NodeFlags as unknown as { InWithStatement: number }).InWithStatement;

type WithLocals = ts.Node & { locals?: ts.SymbolTable };
type InternalSymbol = ts.Symbol & { mergeId?: number; exportSymbol?: ts.Symbol };

/**
 * The symbol `id` denotes, aliases resolved (what `ctx.symbolOf` returns), when the binder's tables
 * decide it; undefined when the checker must be asked. `aliased`: the checker's getAliasedSymbol (a
 * caller may memoize it: every read of an imported name asks it).
 */
export function boundSymbol(id: ts.Identifier, checker: ts.TypeChecker, aliased: (s: ts.Symbol) => ts.Symbol = (s) => checker.getAliasedSymbol(s)): ts.Symbol | undefined {
  if (id.text === 'arguments' || id.flags & IN_WITH || !valueRead(id)) return undefined;
  const name = id.escapedText;
  let last: ts.Node = id;
  for (let loc: ts.Node | undefined = id.parent; loc; last = loc, loc = loc.parent) {
    switch (loc.kind) {
      // Scopes whose lookup rules differ from a plain table (parameter initializers, own names,
      // enum members, namespace exports, decorators, computed names, heritage clauses, catch variables).
      case tsv.SyntaxKind.Parameter:
      case tsv.SyntaxKind.Decorator:
      case tsv.SyntaxKind.ComputedPropertyName:
      case tsv.SyntaxKind.HeritageClause:
      case tsv.SyntaxKind.EnumDeclaration:
      case tsv.SyntaxKind.ModuleDeclaration:
      case tsv.SyntaxKind.ModuleBlock:
      case tsv.SyntaxKind.CatchClause:
      case tsv.SyntaxKind.TypeParameter:
      case tsv.SyntaxKind.ClassStaticBlockDeclaration:
      case tsv.SyntaxKind.JsxExpression:
        return undefined;
      case tsv.SyntaxKind.FunctionExpression:
      case tsv.SyntaxKind.ClassExpression: {
        const own = (loc as ts.FunctionExpression | ts.ClassExpression).name;
        if (own && own.escapedText === name) return undefined;
        break;
      }
      default:
        break;
    }
    // Inside a function, only its body sees its locals plainly (parameters, return types: checker rules).
    if (tsv.isFunctionLike(loc) && (loc as ts.FunctionLikeDeclaration).body !== last) return undefined;
    if (tsv.isSourceFile(loc) && !tsv.isExternalModule(loc)) return undefined;
    const locals = (loc as WithLocals).locals;
    let sym = locals?.get(name) as InternalSymbol | undefined;
    if (!sym) {
      if (!tsv.isSourceFile(loc)) continue;
      // A module's own exports (declared only there: `export { x as y }` aside) come after its locals.
      return undefined;
    }
    if (sym.flags & tsv.SymbolFlags.ExportValue && !(sym.flags & tsv.SymbolFlags.Value)) {
      // An exported declaration: its local stands in for the module's export, which the checker returns.
      sym = sym.exportSymbol as InternalSymbol | undefined;
      if (!sym) return undefined;
    }
    // A symbol merged into another (an augmentation): the checker answers with the merged one.
    if (sym.mergeId) return undefined;
    if (sym.flags & tsv.SymbolFlags.Alias) {
      const target = aliased(sym);
      return target.flags & tsv.SymbolFlags.Value ? target : undefined;
    }
    return sym.flags & tsv.SymbolFlags.Value ? sym : undefined;
  }
  return undefined;
}
