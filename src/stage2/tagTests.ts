/**
 * What a memdesc type tag means in stage-1 terms, read from the tree's own type tests, and the
 * stores that make such a test true.
 *
 * A type test that knows the tag branches on the page: one branch compares the page's tag with
 * the tag constant, the other (a page without a word, as before stage 2) tests bits of a word
 * (`PageAnon()`: the tag against `MEMDESC_TYPE_ANON`, else `mapping & PAGE_MAPPING_ANON`). That
 * other branch is the tag's meaning: a word and its bits. A store makes it true when it writes
 * that word (through the page or anything computed from it: its descriptor) with a value whose
 * constant terms carry the bits (`folio.mapping = anon_vma.addr + PAGE_MAPPING_ANON`; the other
 * terms of such a value are addresses, aligned, so they carry none of a flag's low bits).
 *
 * Tags are known by their declaration (through import aliases), words by their property name.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';

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
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
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
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return sym;
}

/** The value of a constant expression (literals, `const` names, arithmetic and bit operators), or undefined. */
export function constValue(checker: ts.TypeChecker, e: ts.Expression, depth = 0): number | undefined {
  if (depth > 8) return undefined;
  e = strip(e);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e)) {
    const v = constValue(checker, e.operand, depth + 1);
    if (v === undefined) return undefined;
    return e.operator === ts.SyntaxKind.MinusToken ? -v : e.operator === ts.SyntaxKind.TildeToken ? ~v : e.operator === ts.SyntaxKind.PlusToken ? v : undefined;
  }
  if (ts.isBinaryExpression(e)) {
    const a = constValue(checker, e.left, depth + 1);
    const b = a === undefined ? undefined : constValue(checker, e.right, depth + 1);
    if (a === undefined || b === undefined) return undefined;
    switch (e.operatorToken.kind) {
      case ts.SyntaxKind.BarToken: return a | b;
      case ts.SyntaxKind.AmpersandToken: return a & b;
      case ts.SyntaxKind.CaretToken: return a ^ b;
      case ts.SyntaxKind.PlusToken: return a + b;
      case ts.SyntaxKind.MinusToken: return a - b;
      case ts.SyntaxKind.AsteriskToken: return a * b;
      case ts.SyntaxKind.LessThanLessThanToken: return a << b;
      case ts.SyntaxKind.GreaterThanGreaterThanToken: return a >> b;
      default: return undefined;
    }
  }
  if (ts.isIdentifier(e)) {
    const d = declared(checker, e)?.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.isVariableDeclarationList(d.parent) && d.parent.flags & ts.NodeFlags.Const) {
      return constValue(checker, d.initializer, depth + 1);
    }
  }
  return undefined;
}

/** The tag constants an expression or statement names (by declaration), one call deep. */
function tagsNamed(checker: ts.TypeChecker, n: ts.Node, tags: ReadonlySet<string>, deep = true): Set<string> {
  const out = new Set<string>();
  const walk = (x: ts.Node): void => {
    if (ts.isIdentifier(x)) {
      const sym = declared(checker, x);
      if (sym && tags.has(sym.name) && sym.valueDeclaration && ts.isVariableDeclaration(sym.valueDeclaration)) out.add(sym.name);
    }
    // A helper the branch calls may compare the tag itself (`memdesc_movable_ops(page)`).
    if (deep && ts.isCallExpression(x)) {
      const d = declared(checker, ts.isPropertyAccessExpression(x.expression) ? x.expression.name : x.expression)?.valueDeclaration;
      if (d && ts.isFunctionDeclaration(d) && d.body) for (const t of tagsNamed(checker, d.body, tags, false)) out.add(t);
    }
    ts.forEachChild(x, walk);
  };
  walk(n);
  return out;
}

/** Bit tests of a word in `n`: `X.word & MASK` (nonzero), `(X.word & MASK) === V`. */
function bitTests(checker: ts.TypeChecker, n: ts.Node): Array<Pick<TagTest, 'word' | 'mask' | 'equals' | 'text'>> {
  const out: Array<Pick<TagTest, 'word' | 'mask' | 'equals' | 'text'>> = [];
  const walk = (x: ts.Node): void => {
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandToken) {
      for (const [w, m] of [[x.left, x.right], [x.right, x.left]] as const) {
        const word = strip(w);
        const mask = constValue(checker, m);
        if (!ts.isPropertyAccessExpression(word) || mask === undefined || mask === 0) continue;
        let up: ts.Node = x;
        while (ts.isParenthesizedExpression(up.parent)) up = up.parent;
        const cmp = up.parent;
        let equals: number | null | undefined = null;
        if (ts.isBinaryExpression(cmp) && (cmp.left === up || cmp.right === up)) {
          const k = cmp.operatorToken.kind;
          const v = constValue(checker, cmp.left === up ? cmp.right : cmp.left);
          if (k === ts.SyntaxKind.EqualsEqualsEqualsToken || k === ts.SyntaxKind.EqualsEqualsToken) equals = v === undefined || v === 0 ? undefined : v;
          else if (k === ts.SyntaxKind.ExclamationEqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsToken) equals = v === 0 ? null : undefined;
        }
        // A test for absent bits, or against a value not known, says nothing a store can make true.
        if (equals === undefined) continue;
        out.push({ word: word.name.text, mask, equals, text: `${word.name.text} & ${strip(m).getText()}${equals === null ? '' : ` === ${equals}`}` });
      }
    }
    ts.forEachChild(x, walk);
  };
  walk(n);
  return out;
}

function functionName(f: ts.Node): string {
  if ((ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) && f.name && ts.isIdentifier(f.name)) return f.name.text;
  if (ts.isVariableDeclaration(f.parent) && ts.isIdentifier(f.parent.name)) return f.parent.name.text;
  return '(anonymous)';
}

/**
 * The tree's type tests for `tags`: every function that branches (if/else, an `if` that returns
 * and what follows it, a conditional expression) into one side naming a tag and another side
 * testing a word's bits without naming it.
 */
export function tagTests(program: ts.Program, root: string, tags: readonly string[]): TagTest[] {
  const checker = program.getTypeChecker();
  const want = new Set(tags);
  const out: TagTest[] = [];
  const seen = new Set<string>();
  const pair = (fn: ts.Node, tagSide: ts.Node, bitSide: ts.Node | readonly ts.Node[]): void => {
    const named = tagsNamed(checker, tagSide, want);
    if (named.size === 0) return;
    const sides = Array.isArray(bitSide) ? bitSide : [bitSide as ts.Node];
    for (const side of sides) {
      const others = tagsNamed(checker, side, want);
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
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    const walk = (n: ts.Node, fn: ts.Node | undefined): void => {
      if (ts.isFunctionLike(n)) fn = n;
      if (fn && ts.isIfStatement(n)) {
        const rest = n.elseStatement ? [n.elseStatement] : ts.isBlock(n.parent) ? n.parent.statements.slice(n.parent.statements.indexOf(n) + 1) : [];
        pair(fn, n.thenStatement, rest);
        if (n.elseStatement) pair(fn, n.elseStatement, n.thenStatement);
      }
      if (fn && ts.isConditionalExpression(n)) {
        pair(fn, n.whenTrue, n.whenFalse);
        pair(fn, n.whenFalse, n.whenTrue);
      }
      ts.forEachChild(n, (c) => walk(c, fn));
    };
    walk(sf, undefined);
  }
  return out;
}

/**
 * The constant bits a stored value carries: its constant terms over `|` and `+` (the other terms
 * are aligned addresses), or undefined when it has none.
 */
export function storedBits(checker: ts.TypeChecker, value: ts.Expression): number | undefined {
  const whole = constValue(checker, value);
  if (whole !== undefined) return whole;
  const v = strip(value);
  if (ts.isBinaryExpression(v) && (v.operatorToken.kind === ts.SyntaxKind.BarToken || v.operatorToken.kind === ts.SyntaxKind.PlusToken)) {
    const a = storedBits(checker, v.left);
    const b = storedBits(checker, v.right);
    return a === undefined ? b : b === undefined ? a : a | b;
  }
  return undefined;
}

/** Does writing `bits` to `test.word` make the test true? */
export function makesTrue(test: TagTest, bits: number | undefined): boolean {
  if (bits === undefined) return false;
  return test.equals === null ? (bits & test.mask) !== 0 : (bits & test.mask) === test.equals;
}
