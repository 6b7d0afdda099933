/**
 * A dependency's contribution to another file's cache key: what of its text another file's
 * analysis can see. The analysis of file A reads a file D it imports (or a caller of A's
 * functions) through D's syntax tree and the types the checker derives from it, through the
 * line numbers of D's nodes (evidence sentences cite `d.ts:88`), and through the source text
 * of expressions in D (guard tests, call arguments, receivers quoted in evidence; provenance
 * matches argument text). So D's shape is:
 *
 * - every token with its text, line and column (the tree, and where every node is);
 * - the exact text of every run of whitespace and comments lying inside an expression, or
 *   inside anything that is not plainly a statement or declaration (`getText()` of an
 *   expression includes what is between its tokens);
 * - the file's header (everything before its first token: triple-slash references and
 *   pragmas such as `// @ts-nocheck` or `/// <reference lib>` live there);
 * - whether the text mentions a tracked name at all, comments included (the finder looks at
 *   the files in scope only when their text does).
 *
 * Left out: comments and whitespace between statements and declarations (doc comments on
 * functions, commented-out code, trailing comments), as long as no token moves. The checker
 * ignores JSDoc in TypeScript files. A file that does not parse, JavaScript (where JSDoc is
 * typing) and anything that is not TypeScript keep their exact content id.
 */
import { createHash } from 'node:crypto';
import { ts } from '@ts-morph/common';

/**
 * Nodes whose own text no analysis quotes and that are no expression: a comment between two of
 * their tokens (and not inside any expression around them) is invisible to other files.
 */
const STATEMENT_LEVEL = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.SourceFile, ts.SyntaxKind.Block, ts.SyntaxKind.ModuleBlock, ts.SyntaxKind.ModuleDeclaration,
  ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.ClassDeclaration, ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration, ts.SyntaxKind.EnumDeclaration, ts.SyntaxKind.EnumMember,
  ts.SyntaxKind.MethodDeclaration, ts.SyntaxKind.Constructor, ts.SyntaxKind.GetAccessor, ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.PropertyDeclaration, ts.SyntaxKind.PropertySignature, ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.ClassStaticBlockDeclaration, ts.SyntaxKind.VariableStatement, ts.SyntaxKind.VariableDeclarationList,
  ts.SyntaxKind.VariableDeclaration, ts.SyntaxKind.ImportDeclaration, ts.SyntaxKind.ImportClause, ts.SyntaxKind.NamedImports,
  ts.SyntaxKind.ImportSpecifier, ts.SyntaxKind.ExportDeclaration, ts.SyntaxKind.NamedExports, ts.SyntaxKind.ExportSpecifier,
  ts.SyntaxKind.ExpressionStatement, ts.SyntaxKind.IfStatement, ts.SyntaxKind.DoStatement, ts.SyntaxKind.WhileStatement,
  ts.SyntaxKind.ForStatement, ts.SyntaxKind.ForInStatement, ts.SyntaxKind.ForOfStatement, ts.SyntaxKind.ContinueStatement,
  ts.SyntaxKind.BreakStatement, ts.SyntaxKind.ReturnStatement, ts.SyntaxKind.SwitchStatement, ts.SyntaxKind.CaseBlock,
  ts.SyntaxKind.CaseClause, ts.SyntaxKind.DefaultClause, ts.SyntaxKind.LabeledStatement, ts.SyntaxKind.ThrowStatement,
  ts.SyntaxKind.TryStatement, ts.SyntaxKind.CatchClause, ts.SyntaxKind.EmptyStatement, ts.SyntaxKind.DebuggerStatement,
]);

const FREE_TRIVIA = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.WhitespaceTrivia, ts.SyntaxKind.NewLineTrivia, ts.SyntaxKind.SingleLineCommentTrivia, ts.SyntaxKind.MultiLineCommentTrivia,
]);

/** Read once: TypeScript's namespace members are getters on a dictionary-mode object (deps.ts T). */
const SK = ts.SyntaxKind;
const forEachChild = ts.forEachChild;

const TYPESCRIPT = /\.(?:[cm]?tsx?)$/;

/**
 * Hash of `sf`'s shape (see above), or undefined when only its exact content will do.
 * `mentions`: the finder's text filter (whether the file names anything tracked).
 */
export function shapeHash(sf: ts.SourceFile, mentions: RegExp): string | undefined {
  // Gathered as strings and hashed once (one hash update per token is slow).
  const parts = [`mentions ${mentions.test(sf.text)}\n`];
  return scanShape(sf, {
    piece: (_top, tag, line, col, text) => {
      parts.push(`${tag}${line},${col},${text.length}\0`, text);
    },
  }) ? createHash('sha1').update(parts.join('')).digest('hex') : undefined;
}

/**
 * What the shape is made of, piece by piece: `top` is the index of the top-level statement the
 * piece lies in (-1: the file's header and its end), `tag` W for kept trivia, T for a token,
 * `at` its offset in the text.
 */
export interface ShapeSink {
  piece(top: number, tag: 'W' | 'T', line: number, col: number, text: string, at: number): void;
  /**
   * Whether top-level statement `top` is left out of the scan (its pieces known from an earlier
   * version of the file: deps.ts StatementMemo). What a statement yields depends on its own text
   * alone (see there), so the scan resumes after it as if it had been scanned.
   */
  skip?(top: number): boolean;
}

/** Feed `sf`'s shape to `sink`; false when only its exact content will do (not TypeScript, parse errors). */
export function scanShape(sf: ts.SourceFile, sink: ShapeSink): boolean {
  if (!TYPESCRIPT.test(sf.fileName)) return false;
  const diags = (sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
  if (!diags || diags.length > 0) return false;
  const text = sf.text;
  /** The top-level statement being scanned (-1 before the first and at the end). */
  let top = -1;
  const scanner = ts.createScanner(sf.languageVersion, false, sf.languageVariant, text);
  let cursor = 0;
  let first = true;
  let ok = true;
  const lineStarts = sf.getLineStarts();
  let line = 0;
  /** Line of `pos`, searching forward from the last one (positions only grow). */
  const lineOf = (pos: number): number => {
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= pos) line++;
    return line;
  };
  // Trivia from the cursor to a token at `start`: kept when the header, or when an expression
  // starting before the token (exprStart) spans it, or when it is anything but whitespace and comments.
  const trivia = (end: number, exprStart: number): void => {
    if (end <= cursor) return;
    let keep = first || exprStart < end;
    if (!keep) {
      scanner.resetTokenState(cursor);
      for (;;) {
        const k = scanner.scan();
        if (scanner.getTokenStart() >= end) break;
        if (!FREE_TRIVIA.has(k) || scanner.getTokenEnd() > end) {
          keep = true;
          break;
        }
      }
    }
    if (keep) {
      const l = lineOf(cursor);
      // The header belongs to no statement: it is the file's (pragmas, references).
      sink.piece(first ? -1 : top, 'W', l, cursor - lineStarts[l]!, text.slice(cursor, end), cursor);
    }
    cursor = end;
  };
  const token = (start: number, end: number, exprStart: number): void => {
    trivia(start, exprStart);
    const l = lineOf(start);
    sink.piece(top, 'T', l, start - lineStarts[l]!, text.slice(start, end), start);
    first = false;
    cursor = end;
  };
  // Tokens between the cursor and `end` that belong to no child node: punctuation and keywords.
  const gap = (end: number, exprStart: number): void => {
    while (ok && cursor < end) {
      scanner.resetTokenState(cursor);
      let k = scanner.scan();
      // Trivia first, as one run up to the next token.
      let start = scanner.getTokenStart();
      while (FREE_TRIVIA.has(k) && scanner.getTokenEnd() < end) {
        k = scanner.scan();
        start = scanner.getTokenStart();
      }
      if (FREE_TRIVIA.has(k) || k === SK.EndOfFileToken) {
        // Only trivia up to `end`.
        if (scanner.getTokenEnd() > end) ok = false;
        trivia(end, exprStart);
        return;
      }
      if (scanner.getTokenEnd() > end) {
        ok = false;
        return;
      }
      token(start, scanner.getTokenEnd(), exprStart);
    }
  };
  const visit = (n: ts.Node, exprStart: number): void => {
    if (!ok) return;
    if (exprStart === Infinity && !STATEMENT_LEVEL.has(n.kind)) exprStart = n.getStart(sf);
    let children = false;
    const child = (c: ts.Node): void => {
      children = true;
      if (c.pos < cursor) ok = false;
      if (!ok) return;
      if (n === sf) {
        top = c.kind === SK.EndOfFileToken ? -1 : top + 1;
        if (top >= 0 && sink.skip?.(top)) {
          // Scanned, it would end at its last token: the cursor's place after it.
          cursor = c.end;
          first = false;
          return;
        }
      }
      visit(c, exprStart);
    };
    forEachChild(n, child, (list) => list.forEach(child));
    if (!ok) return;
    if (!children && n.kind !== SK.SourceFile) {
      // A leaf: identifier, literal, keyword, operator token; its text is one token (template
      // parts and regular expressions included, which the scanner alone could misread).
      gap(n.pos, exprStart);
      const start = n.getStart(sf);
      if (start < cursor) {
        ok = false;
        return;
      }
      if (n.kind === SK.EndOfFileToken) {
        // Nothing quotes the end of a file: only the trivia before it counts (when it must).
        trivia(start, exprStart);
        return;
      }
      token(start, n.end, exprStart);
      return;
    }
    gap(n.end, exprStart);
  };
  visit(sf, Infinity);
  return ok && cursor === text.length;
}

/** Shapes of parsed files, each computed once (a file's SourceFile object is shared by the commits whose blob it is). */
export class Shapes {
  private memo = new WeakMap<ts.SourceFile, string | null>();

  constructor(private mentions: RegExp) {}

  /** The shape hash, or undefined when the exact content id must be used. */
  of(sf: ts.SourceFile): string | undefined {
    let s = this.memo.get(sf);
    if (s === undefined) {
      s = shapeHash(sf, this.mentions) ?? null;
      this.memo.set(sf, s);
    }
    return s ?? undefined;
  }
}
