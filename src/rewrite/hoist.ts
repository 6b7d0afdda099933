/**
 * One local instead of a cast per line: when a function converts the same page variable to the
 * same descriptor more than once (page_slab(page).freelist, page_slab(page).counters, …), the
 * conversions become one `const slab = page_slab(page);` placed right before the statement of
 * the first use, in the innermost block holding every use. Only for variables that are never
 * reassigned and cannot be null where declared (the cast is pure, so it may move earlier).
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { FunctionLike } from '../analyzers/ast.ts';

export interface HoistPlace {
  /** Insert position (start of the line of the first statement, before its leading comments). */
  pos: number;
  indent: string;
  /** True when the statement shares its line with code before it (insert inline). */
  inline: boolean;
  /** First and last statements (of the common block) holding a use. */
  first: ts.Statement;
  last: ts.Statement;
}

type StatementList = ts.Block | ts.SourceFile | ts.CaseClause | ts.DefaultClause | ts.ModuleBlock;

function isStatementList(n: ts.Node): n is StatementList {
  return tsv.isBlock(n) || tsv.isSourceFile(n) || tsv.isCaseClause(n) || tsv.isDefaultClause(n) || tsv.isModuleBlock(n);
}

/**
 * Where to declare a local used at `uses` (all in function `fn`), or undefined when no common
 * block holds them. `after`: a declaration the local must follow (the variable it converts).
 */
export function hoistPlace(sf: ts.SourceFile, fn: FunctionLike, uses: ts.Node[], after?: ts.Node): HoistPlace | undefined {
  if (uses.length === 0 || !fn.body || !tsv.isBlock(fn.body)) return undefined;
  const lists = uses.map((u) => {
    const l: ts.Node[] = [];
    for (let p: ts.Node | undefined = u.parent; p && p !== fn; p = p.parent) if (isStatementList(p)) l.push(p);
    return l;
  });
  // Innermost list common to all uses.
  const common = lists[0]!.find((c) => lists.every((l) => l.includes(c)));
  // A `const` among a case clause's statements is in scope in every clause of the switch (and
  // linters forbid it): the casts stay where they are unless the clause has a block of its own.
  if (!common || tsv.isCaseClause(common) || tsv.isDefaultClause(common)) return undefined;
  const stmts = (common as StatementList).statements;
  const first = uses.reduce((a, b) => (a.getStart(sf) <= b.getStart(sf) ? a : b));
  const lastUse = uses.reduce((a, b) => (a.end >= b.end ? a : b));
  const s0 = stmts.find((s) => s.pos <= first.getStart(sf) && first.end <= s.end);
  const sk = stmts.find((s) => s.pos <= lastUse.getStart(sf) && lastUse.end <= s.end);
  if (!s0 || !sk) return undefined;
  // Every use in one branch of an `if` without braces (`if (isHold(s)) return …`): a local
  // before the test would convert before the kind is known; the casts stay where they are.
  if (s0 === sk && tsv.isIfStatement(s0)) {
    const inside = (b: ts.Statement | undefined) => !!b && !tsv.isBlock(b) && uses.every((u) => b.pos <= u.getStart(sf) && u.end <= b.end);
    if (inside(s0.thenStatement) || inside(s0.elseStatement)) return undefined;
  }
  if (after) {
    // The converted variable must be declared before the local (not in s0 itself, not later).
    if (after.pos >= s0.pos && after.end <= s0.end) return undefined;
    if (after.getStart(sf) > s0.getStart(sf)) return undefined;
  }
  const start = s0.getStart(sf);
  const lineStart = sf.text.lastIndexOf('\n', start - 1) + 1;
  const before = sf.text.slice(lineStart, start);
  if (/\S/.test(before)) return { pos: start, indent: '', inline: true, first: s0, last: sk };
  const comments = tsv.getLeadingCommentRanges(sf.text, s0.pos) ?? [];
  let pos = lineStart;
  if (comments.length > 0) {
    const c0 = comments[0]!.pos;
    const cLine = sf.text.lastIndexOf('\n', c0 - 1) + 1;
    if (!/\S/.test(sf.text.slice(cLine, c0))) pos = cLine;
  }
  return { pos, indent: before, inline: false, first: s0, last: sk };
}

/** Is the variable (its references `refs`) assigned anywhere in [from, to)? */
export function reassigned(refs: ts.Identifier[], from = 0, to = Infinity): boolean {
  for (const r of refs) {
    if (r.pos < from || r.end > to) continue;
    let n: ts.Node = r;
    while (n.parent && (tsv.isParenthesizedExpression(n.parent) || tsv.isNonNullExpression(n.parent))) n = n.parent;
    const p = n.parent;
    if (!p) continue;
    if (tsv.isBinaryExpression(p) && p.left === n && p.operatorToken.kind >= tsv.SyntaxKind.FirstAssignment &&
      p.operatorToken.kind <= tsv.SyntaxKind.LastAssignment) return true;
    if ((tsv.isPrefixUnaryExpression(p) || tsv.isPostfixUnaryExpression(p)) &&
      (p.operator === tsv.SyntaxKind.PlusPlusToken || p.operator === tsv.SyntaxKind.MinusMinusToken)) return true;
  }
  return false;
}

/** Every identifier text in a subtree (for picking names that collide with nothing). */
export function identifiersIn(n: ts.Node, out = new Set<string>()): Set<string> {
  const visit = (x: ts.Node): void => {
    if (tsv.isIdentifier(x)) out.add(x.text);
    tsv.forEachChild(x, visit);
  };
  visit(n);
  return out;
}

/**
 * identifiersIn() of a node, kept per node (read only): a series plans every step on the same
 * parsed base, so a scope's or a statement's names are gathered once, not once per step.
 */
const idsOf = new WeakMap<ts.Node, ReadonlySet<string>>();

export function identifiersOf(n: ts.Node): ReadonlySet<string> {
  let s = idsOf.get(n);
  if (!s) idsOf.set(n, (s = identifiersIn(n)));
  return s;
}

/** moduleNames() per parsed file (read only), for the same reason. */
const modNames = new WeakMap<ts.SourceFile, ReadonlySet<string>>();

/** Names declared at the top level of a file (imports, functions, classes, variables). */
export function moduleNames(sf: ts.SourceFile): ReadonlySet<string> {
  const known = modNames.get(sf);
  if (known) return known;
  const out = new Set<string>();
  for (const st of sf.statements) {
    if (tsv.isImportDeclaration(st)) {
      const c = st.importClause;
      if (c?.name) out.add(c.name.text);
      const nb = c?.namedBindings;
      if (nb && tsv.isNamedImports(nb)) for (const e of nb.elements) out.add(e.name.text);
      if (nb && tsv.isNamespaceImport(nb)) out.add(nb.name.text);
    } else if ((tsv.isFunctionDeclaration(st) || tsv.isClassDeclaration(st) || tsv.isInterfaceDeclaration(st) ||
      tsv.isTypeAliasDeclaration(st) || tsv.isEnumDeclaration(st)) && st.name) {
      out.add(st.name.text);
    } else if (tsv.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) identifiersIn(d.name, out);
    }
  }
  modNames.set(sf, out);
  return out;
}
