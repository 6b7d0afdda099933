/**
 * What a memdesc type tag means in stage-1 terms, read from the tree's own type tests, and the
 * stores that make such a test true.
 *
 * A type test that knows the tag branches on the page: one side (a condition, or a branch)
 * compares the page's tag with the tag constant, the other tests bits of a word as before stage 2
 * (`PageAnon()`: a page whose tag is not `MEMDESC_TYPE_ANON` is not anonymous, else it tests
 * `mapping & PAGE_MAPPING_ANON`). That other side is the tag's meaning: a word and its bits. A
 * side naming several of the kind's tags tells none apart. A store makes it true when it writes
 * that word (through the page or anything computed from it: its descriptor) with a value whose
 * constant terms carry the bits (`folio.mapping = anon_vma.addr + PAGE_MAPPING_ANON`; the other
 * terms of such a value are addresses, aligned, so they carry none of a flag's low bits).
 *
 * Tags are known by their declaration (through import aliases), words by their property name.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';

/** One meaning of a tag: the word and bits its test reads on a page without a memdesc word. */
export interface TagTest {
  tag: string;
  /** The type test that says it, and where. */
  test: string;
  at: string;
  word: string;
  mask: number;
  /** `(word & mask) === equals`; null: `(word & mask) !== 0`. */
  equals: number | null;
  /** The bits' test as written (`mapping & PAGE_MAPPING_ANON`). */
  text: string;
}

export function strip(e: ts.Expression): ts.Expression {
  while (tsv.isParenthesizedExpression(e) || tsv.isNonNullExpression(e) || tsv.isAsExpression(e) || tsv.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

export function inTree(sf: ts.SourceFile, root: string): boolean {
  return sf.fileName.startsWith(`${root}/`) && !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/');
}

export function where(root: string, n: ts.Node): string {
  const sf = n.getSourceFile();
  return `${relative(root, sf.fileName).split('\\').join('/')}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
}

/** The declared symbol an identifier names, import aliases followed. */
export function declared(checker: ts.TypeChecker, n: ts.Node): ts.Symbol | undefined {
  let sym = checker.getSymbolAtLocation(n);
  if (sym && sym.flags & tsv.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return sym;
}

/** The value of a constant expression (literals, `const` names, arithmetic and bit operators), or undefined. */
export function constValue(checker: ts.TypeChecker, e: ts.Expression, depth = 0): number | undefined {
  if (depth > 8) return undefined;
  e = strip(e);
  if (tsv.isNumericLiteral(e)) return Number(e.text);
  if (tsv.isPrefixUnaryExpression(e)) {
    const v = constValue(checker, e.operand, depth + 1);
    if (v === undefined) return undefined;
    return e.operator === tsv.SyntaxKind.MinusToken ? -v : e.operator === tsv.SyntaxKind.TildeToken ? ~v : e.operator === tsv.SyntaxKind.PlusToken ? v : undefined;
  }
  if (tsv.isBinaryExpression(e)) {
    const a = constValue(checker, e.left, depth + 1);
    const b = a === undefined ? undefined : constValue(checker, e.right, depth + 1);
    if (a === undefined || b === undefined) return undefined;
    switch (e.operatorToken.kind) {
      case tsv.SyntaxKind.BarToken: return a | b;
      case tsv.SyntaxKind.AmpersandToken: return a & b;
      case tsv.SyntaxKind.CaretToken: return a ^ b;
      case tsv.SyntaxKind.PlusToken: return a + b;
      case tsv.SyntaxKind.MinusToken: return a - b;
      case tsv.SyntaxKind.AsteriskToken: return a * b;
      case tsv.SyntaxKind.LessThanLessThanToken: return a << b;
      case tsv.SyntaxKind.GreaterThanGreaterThanToken: return a >> b;
      default: return undefined;
    }
  }
  if (tsv.isIdentifier(e)) {
    const d = declared(checker, e)?.valueDeclaration;
    if (d && tsv.isVariableDeclaration(d) && d.initializer && tsv.isVariableDeclarationList(d.parent) && d.parent.flags & tsv.NodeFlags.Const) {
      return constValue(checker, d.initializer, depth + 1);
    }
  }
  return undefined;
}

/**
 * Finds the tag constants code names, by declaration. Identifiers are resolved only when their
 * text can be a tag (its name, or a name it is imported or exported as), and calls only when the
 * tree has a function of that name whose body names a tag: a walk of the whole tree stays cheap.
 */
class TagNames {
  private readonly texts = new Set<string>();
  private readonly callees = new Set<string>();

  constructor(private readonly checker: ts.TypeChecker, files: readonly ts.SourceFile[], private readonly tags: ReadonlySet<string>) {
    for (const t of tags) this.texts.add(t);
    for (const sf of files) {
      const walk = (n: ts.Node): void => {
        if ((tsv.isImportSpecifier(n) || tsv.isExportSpecifier(n)) && this.texts.has((n.propertyName ?? n.name).getText())) this.texts.add(n.name.text);
        tsv.forEachChild(n, walk);
      };
      walk(sf);
    }
    for (const sf of files) {
      for (const st of sf.statements) {
        if (tsv.isFunctionDeclaration(st) && st.name && st.body && this.named(st.body, false).size > 0) this.callees.add(st.name.text);
      }
    }
  }

  /** The tags `n` names; with `deep`, also those named by the functions it calls directly. */
  named(n: ts.Node, deep = true): Set<string> {
    const out = new Set<string>();
    const walk = (x: ts.Node): void => {
      if (tsv.isIdentifier(x) && this.texts.has(x.text)) {
        const sym = declared(this.checker, x);
        if (sym && this.tags.has(sym.name) && sym.valueDeclaration && tsv.isVariableDeclaration(sym.valueDeclaration)) out.add(sym.name);
      }
      // A helper the branch calls may compare the tag itself (`memdesc_movable_ops(page)`).
      if (deep && tsv.isCallExpression(x)) {
        const callee = tsv.isPropertyAccessExpression(x.expression) ? x.expression.name : x.expression;
        if (tsv.isIdentifier(callee) && this.callees.has(callee.text)) {
          const d = declared(this.checker, callee)?.valueDeclaration;
          if (d && tsv.isFunctionDeclaration(d) && d.body) for (const t of this.named(d.body, false)) out.add(t);
        }
      }
      tsv.forEachChild(x, walk);
    };
    walk(n);
    return out;
  }
}

/** Bit tests of a word in `n`: `X.word & MASK` (nonzero), `(X.word & MASK) === V`. */
function bitTests(checker: ts.TypeChecker, n: ts.Node): Array<Pick<TagTest, 'word' | 'mask' | 'equals' | 'text'>> {
  const out: Array<Pick<TagTest, 'word' | 'mask' | 'equals' | 'text'>> = [];
  const walk = (x: ts.Node): void => {
    if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.AmpersandToken) {
      for (const [w, m] of [[x.left, x.right], [x.right, x.left]] as const) {
        const word = strip(w);
        const mask = constValue(checker, m);
        if (!tsv.isPropertyAccessExpression(word) || mask === undefined || mask === 0) continue;
        let up: ts.Node = x;
        while (tsv.isParenthesizedExpression(up.parent)) up = up.parent;
        const cmp = up.parent;
        let equals: number | null | undefined = null;
        if (tsv.isPrefixUnaryExpression(cmp) && cmp.operator === tsv.SyntaxKind.ExclamationToken) equals = undefined;
        else if (tsv.isBinaryExpression(cmp) && (cmp.left === up || cmp.right === up)) {
          const k = cmp.operatorToken.kind;
          const v = constValue(checker, cmp.left === up ? cmp.right : cmp.left);
          if (k === tsv.SyntaxKind.EqualsEqualsEqualsToken || k === tsv.SyntaxKind.EqualsEqualsToken) equals = v === undefined || v === 0 ? undefined : v;
          else if (k === tsv.SyntaxKind.ExclamationEqualsEqualsToken || k === tsv.SyntaxKind.ExclamationEqualsToken) equals = v === 0 ? null : undefined;
        }
        // A test for absent bits, or against a value not known, says nothing a store can make true.
        if (equals === undefined) continue;
        out.push({ word: word.name.text, mask, equals, text: `${word.name.text} & ${strip(m).getText()}${equals === null ? '' : ` === ${equals}`}` });
      }
    }
    tsv.forEachChild(x, walk);
  };
  walk(n);
  return out;
}

/** Does a statement always leave the function (return or throw, last in its block)? */
function leaves(st: ts.Statement): boolean {
  if (tsv.isReturnStatement(st) || tsv.isThrowStatement(st)) return true;
  return tsv.isBlock(st) && st.statements.length > 0 && leaves(st.statements[st.statements.length - 1]!);
}

function functionName(f: ts.Node): string {
  if ((tsv.isFunctionDeclaration(f) || tsv.isMethodDeclaration(f)) && f.name && tsv.isIdentifier(f.name)) return f.name.text;
  if (tsv.isVariableDeclaration(f.parent) && tsv.isIdentifier(f.parent.name)) return f.parent.name.text;
  return '(anonymous)';
}

/**
 * The tree's type tests for `tags`: every function that branches (if/else, an `if` that returns
 * and what follows it, a conditional expression) with one side naming a tag (the condition with
 * its branch, or the other branch) and another testing a word's bits without naming it.
 */
export function tagTests(program: ts.Program, root: string, tags: readonly string[]): TagTest[] {
  const checker = program.getTypeChecker();
  const files = program.getSourceFiles().filter((sf) => inTree(sf, root));
  const names = new TagNames(checker, files, new Set(tags));
  const out: TagTest[] = [];
  const seen = new Set<string>();
  // `cond` names the tag itself; `branch` may through a helper it calls (a condition calling a
  // type test is no test of the tag: `if (PageAnon(page) && …)`).
  const pair = (fn: ts.Node, cond: ts.Node | undefined, branch: ts.Node | undefined, bitSide: readonly ts.Node[]): void => {
    // One tag only: a side naming several (`page_has_desc_type(page, ANON, FILE)`) tells none apart.
    const named = new Set([...(cond ? names.named(cond, false) : []), ...(branch ? names.named(branch) : [])]);
    if (named.size !== 1) return;
    for (const side of bitSide) {
      const others = names.named(side);
      for (const b of bitTests(checker, side)) {
        for (const tag of named) {
          if (others.has(tag)) continue;
          const t: TagTest = { tag, test: functionName(fn), at: where(root, fn), ...b };
          const key = `${t.tag} ${t.test} ${t.word} ${t.mask} ${t.equals}`;
          if (!seen.has(key)) { seen.add(key); out.push(t); }
        }
      }
    }
  };
  for (const sf of files) {
    const walk = (n: ts.Node, fn: ts.Node | undefined): void => {
      if (tsv.isFunctionLike(n)) fn = n;
      if (fn && tsv.isIfStatement(n)) {
        // Without an else, what follows is the other branch only when the then-branch leaves.
        const rest = n.elseStatement ? [n.elseStatement] : leaves(n.thenStatement) && tsv.isBlock(n.parent) ? n.parent.statements.slice(n.parent.statements.indexOf(n) + 1) : [];
        pair(fn, n.expression, n.thenStatement, rest);
        pair(fn, n.expression, undefined, [n.thenStatement]);
        if (n.elseStatement) pair(fn, undefined, n.elseStatement, [n.thenStatement]);
      }
      if (fn && tsv.isConditionalExpression(n)) {
        pair(fn, n.condition, n.whenTrue, [n.whenFalse]);
        pair(fn, n.condition, undefined, [n.whenTrue]);
        pair(fn, undefined, n.whenFalse, [n.whenTrue]);
      }
      tsv.forEachChild(n, (c) => walk(c, fn));
    };
    walk(sf, undefined);
  }
  return out;
}

/**
 * The constant bits a stored value carries: its constant terms over `|` and `+` (the other terms
 * are aligned addresses), parameters read as the arguments `args` binds them to, or undefined
 * when it has none.
 */
export function storedBits(checker: ts.TypeChecker, value: ts.Expression, args?: ReadonlyMap<string, ts.Expression>, depth = 0): number | undefined {
  if (depth > 8) return undefined;
  const whole = constValue(checker, value);
  if (whole !== undefined) return whole;
  const v = strip(value);
  // A parameter: what the caller handed it (`set_mapping(page, anon_vma | PAGE_MAPPING_ANON)`).
  const arg = tsv.isIdentifier(v) ? args?.get(v.text) : undefined;
  if (arg) return storedBits(checker, arg, undefined, depth + 1);
  if (tsv.isBinaryExpression(v) && (v.operatorToken.kind === tsv.SyntaxKind.BarToken || v.operatorToken.kind === tsv.SyntaxKind.PlusToken)) {
    const a = storedBits(checker, v.left, args, depth + 1);
    const b = storedBits(checker, v.right, args, depth + 1);
    return a === undefined ? b : b === undefined ? a : a | b;
  }
  return undefined;
}

/** Does writing `bits` to `test.word` make the test true? */
export function makesTrue(test: TagTest, bits: number | undefined): boolean {
  if (bits === undefined) return false;
  return test.equals === null ? (bits & test.mask) !== 0 : (bits & test.mask) === test.equals;
}
