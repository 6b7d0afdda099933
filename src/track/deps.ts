/**
 * What one file's analysis depends on in other files, by declaration rather than by file.
 *
 * Every project file is cut into units, one per top-level statement (a function, a class with its
 * members and method bodies, an interface, a variable statement, an import). A unit has:
 *
 * - a hash of its shape (shape.ts: tokens and the text inside expressions, not the comments
 *   between statements), with lines counted from the unit's first line, so that a unit moved
 *   down by an edit above it keeps its hash (where a result cites a line, cache.ts compares the
 *   unit at that line); a file with parse errors or in JavaScript: the statement's exact text;
 * - the names it declares: its top-level names (an import's are its file's own);
 * - the names it mentions: every identifier and identifier-like string inside it.
 *
 * A unit depends on every unit in the project declaring a name it mentions. That is decided by
 * name alone, never by the checker, so it over-approximates. Every type the checker meets in a
 * file comes from a declaration reached through names: aliases, re-exports, namespace imports,
 * a method called on a value of an inferred type, a field read through a type the file never
 * names — each step of such a chain is a unit mentioning the next top-level name (members are
 * reached with the class, interface or variable holding them). What the analyzer
 * reads of another file (the types the checker derives from its declarations, the returns of
 * the functions a page came from, wrapper bodies, functions that mark their parameter, the
 * bodies of the spec's type tests and allocators) is reached through names: a unit's hash
 * covers its body, so a body edit of a function reaches exactly the units that (transitively)
 * mention it. A file's key is the Merkle hash of what its own units reach (strongly connected
 * components hashed together), so an edit anywhere else keeps it.
 *
 * Always part of every key: units that declare nothing (a top-level expression, `export *`,
 * `declare global`, `export =`: what they change is not named), files that are not code (JSON:
 * their content id), each file's header (pragmas, references), format and
 * whether it mentions a tracked name, and the units declaring what the spec names (type tests,
 * allocators, wrappers: the analyzer reads them for every file). Callers, stores into fields
 * and value use — facts that flow in from files that do not import this one — are not reached
 * by names; the analyzer reports them per file and cache.ts verifies them after the lookup.
 */
import { createHash } from 'node:crypto';
import { ts } from '@ts-morph/common';
import type { Spec } from '../model/spec.ts';
import { scanShape } from './shape.ts';

export interface Unit {
  /** Shape hash, lines relative to the unit's first line (a split function: its signature). */
  hash: string;
  /** A function whose body no other file's analysis reads (see `bodyPrivate`): the body's hash. */
  body?: string;
  /** Names the body mentions (reached from the file's own key only). */
  bodyMentions?: string[];
  /** 0-based line of the unit's first token, and of its last. */
  startLine: number;
  endLine: number;
  declares: string[];
  mentions: string[];
  /** Part of every key (declares nothing nameable). */
  always: boolean;
  /** An import: its names are the file's own, reached only from the file's other units. */
  local: boolean;
}

export interface FileUnits {
  /** The file's header, module format and mention flag. */
  file: string;
  units: Unit[];
}

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Top-level names a statement declares (empty: it declares nothing nameable). */
function topNames(st: ts.Statement): string[] {
  const out: string[] = [];
  const mods = ts.canHaveModifiers(st) ? ts.getModifiers(st) ?? [] : [];
  if (mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) out.push('default');
  if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) ||
    ts.isEnumDeclaration(st)) && st.name) out.push(st.name.text);
  else if (ts.isModuleDeclaration(st) && ts.isIdentifier(st.name)) out.push(st.name.text);
  else if (ts.isVariableStatement(st)) {
    const bind = (n: ts.BindingName): void => {
      if (ts.isIdentifier(n)) out.push(n.text);
      else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
    };
    for (const d of st.declarationList.declarations) bind(d.name);
  } else if (ts.isImportDeclaration(st) && st.importClause) {
    const c = st.importClause;
    if (c.name) out.push(c.name.text);
    const b = c.namedBindings;
    if (b && ts.isNamespaceImport(b)) out.push(b.name.text);
    else if (b) for (const e of b.elements) out.push(e.name.text);
  } else if (ts.isImportEqualsDeclaration(st)) out.push(st.name.text);
  else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
    for (const e of st.exportClause.elements) out.push(e.name.text);
  } else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamespaceExport(st.exportClause)) out.push(st.exportClause.name.text);
  else if (ts.isExportAssignment(st) && !st.isExportEquals) out.push('default');
  return out;
}

/**
 * Names mentioned inside `st`: identifiers, and strings that could name a member (`page['lru']`,
 * list_entry(ptr, Page, 'lru')). A default import reads the other module's `default`.
 */
function mentionsOf(st: ts.Node, out: Set<string>): void {
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) out.add(n.text);
    else if (ts.isStringLiteralLike(n) && IDENT.test(n.text)) out.add(n.text);
    else if (ts.isImportClause(n) && n.name) out.add('default');
    ts.forEachChild(n, visit);
  };
  visit(st);
}

const PRIMITIVE = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword, ts.SyntaxKind.BooleanKeyword, ts.SyntaxKind.VoidKeyword,
  ts.SyntaxKind.BigIntKeyword, ts.SyntaxKind.UndefinedKeyword, ts.SyntaxKind.NeverKeyword, ts.SyntaxKind.SymbolKeyword,
]);

/** A type annotation naming only primitives (`number`, `string | undefined`, a literal): no object can flow through it. */
function primitiveType(t: ts.TypeNode | undefined): boolean {
  if (!t) return false;
  if (PRIMITIVE.has(t.kind)) return true;
  if (ts.isLiteralTypeNode(t)) return true;
  if (ts.isUnionTypeNode(t)) return t.types.every(primitiveType);
  if (ts.isParenthesizedTypeNode(t)) return primitiveType(t.type);
  return false;
}

/**
 * Whether no other file's analysis reads the body of function `st`: its return type and every
 * parameter are annotated with primitives only. Then no object of the spec's class is returned
 * (provenance follows returns), none is a parameter (a wrapper wraps its parameter's field, a
 * marker marks its parameter, an assertion or a type test takes one), and the checker takes its
 * type from the annotations, not the body. Its callers depend on its signature alone.
 */
function bodyPrivate(st: ts.Statement): st is ts.FunctionDeclaration & { body: ts.Block } {
  if (!ts.isFunctionDeclaration(st) || !st.body || st.asteriskToken || !primitiveType(st.type)) return false;
  if (st.typeParameters?.length) return false;
  if (ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return false;
  return st.parameters.every((p) => ts.isIdentifier(p.name) && !p.dotDotDotToken && primitiveType(p.type));
}

/** `sf` cut into units, or undefined when it has no shape (it is then part of every key by its content id). */
export function fileUnits(sf: ts.SourceFile, mentions: RegExp): FileUnits | undefined {
  const stmts = sf.statements;
  const starts = stmts.map((st) => sf.getLineAndCharacterOfPosition(st.getStart(sf)).line);
  const hashes = stmts.map(() => createHash('sha1'));
  // Functions whose body is the file's own: [body start, body end, its hash].
  const split = stmts.map((st) => (bodyPrivate(st) ? { from: st.body.getStart(sf), to: st.body.getEnd(), h: createHash('sha1') } : undefined));
  const file = createHash('sha1');
  file.update(`mentions ${mentions.test(sf.text)}\0${sf.impliedNodeFormat ?? ''}\0`);
  const ok = scanShape(sf, {
    piece: (top, tag, line, col, text, at) => {
      if (top < 0) {
        // The header's comments change nothing another file sees but its directives and
        // pragmas (`/// <reference …>`, `// @ts-nocheck`); lines do not matter (units count their own).
        for (const l of text.split('\n')) if (/\/\/\/|@/.test(l)) file.update(`${l.trim()}\n`);
        return;
      }
      const b = split[top];
      const h = b && at >= b.from && at < b.to ? b.h : hashes[top]!;
      h.update(`${tag}${line - starts[top]!},${col},${text.length}\0`);
      h.update(text);
    },
  });
  // No shape (parse errors, JavaScript where comments are types): each statement by its exact
  // text, leading comments included, and the whole header.
  const exact = !ok && /\.(?:[cm]?[jt]sx?)$/.test(sf.fileName);
  if (!ok && !exact) return undefined;
  const fileHash = exact ? sha1(`exact\0${sf.text.slice(0, stmts[0]?.getStart(sf) ?? sf.text.length)}`) : file.digest('hex');
  const units = stmts.map((st, i): Unit => {
    const top = topNames(st);
    const mentioned = new Set<string>();
    const b = split[i];
    let bodyMentions: Set<string> | undefined;
    if (b && !exact) {
      // The signature's names reach other files' units; the body's only from the file's own key.
      bodyMentions = new Set();
      mentionsOf((st as ts.FunctionDeclaration).body!, bodyMentions);
      const sig = new Set<string>();
      for (const c of (st as ts.FunctionDeclaration).getChildren(sf)) if (c !== (st as ts.FunctionDeclaration).body) mentionsOf(c, sig);
      for (const m of sig) mentioned.add(m);
    } else mentionsOf(st, mentioned);
    const local = ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st);
    return {
      hash: exact ? sha1(`exact\0${st.getFullText(sf)}`) : hashes[i]!.digest('hex'),
      ...(bodyMentions ? { body: b!.h.digest('hex'), bodyMentions: [...bodyMentions] } : {}),
      startLine: starts[i]!,
      endLine: sf.getLineAndCharacterOfPosition(st.getEnd()).line,
      declares: top,
      mentions: [...mentioned],
      // `declare global`, `export *`, `export =`, a top-level call: nothing names what it changes.
      always: !local && (top.length === 0 || (ts.isModuleDeclaration(st) && !ts.isIdentifier(st.name))),
      local,
    };
  });
  return { file: fileHash, units };
}

/** Units of parsed files, each computed once (a SourceFile object is shared by the commits whose blob it is). */
export class UnitCache {
  private memo = new WeakMap<ts.SourceFile, FileUnits | null>();

  constructor(private mentions: RegExp) {}

  of(sf: ts.SourceFile): FileUnits | undefined {
    let u = this.memo.get(sf);
    if (u === undefined) {
      u = fileUnits(sf, this.mentions) ?? null;
      this.memo.set(sf, u);
    }
    return u ?? undefined;
  }
}

interface Node {
  /** The unit's own part: its file's part, its hash, where it is. */
  own: string;
  mentions: readonly string[];
  /** Its file's imports by local name (a side-effect import under ''). */
  imports?: Map<string, Node[]>;
  edges?: Node[];
  /** Tarjan's bookkeeping. */
  index: number;
  low: number;
  onStack: boolean;
  scc?: Scc;
}

interface Scc {
  nodes: Node[];
  hash?: string;
}

/**
 * One commit's unit graph: the Merkle hash of what a file's units reach. `files`: the project's
 * files with their units (undefined: no shape, its `id` is always included); `rootNames`: names
 * every file reaches (the spec's).
 */
export class UnitGraph {
  private byName = new Map<string, Node[]>();
  private nodesOf = new Map<ts.SourceFile, Node[]>();
  private always: Node[] = [];
  private fileHashes = new Map<ts.SourceFile, string>();
  private counter = 0;
  private stack: Node[] = [];
  /** Hash of what every file reaches: the always units, unshaped files, the spec's names. */
  readonly common: string;

  constructor(files: ReadonlyArray<{ sf: ts.SourceFile; rel: string; id: string; units: FileUnits | undefined }>, rootNames: readonly string[]) {
    const unshaped: string[] = [];
    for (const f of files) {
      if (!f.units) {
        unshaped.push(`${f.rel}\0${f.id}`);
        continue;
      }
      const imports = new Map<string, Node[]>();
      const nodes = f.units.units.map((u): Node => {
        const n: Node = { own: `${f.rel}\0${f.units!.file}\0${u.hash}`, mentions: u.mentions, imports, index: -1, low: 0, onStack: false };
        if (u.local) {
          for (const d of u.declares.length ? u.declares : ['']) {
            const l = imports.get(d);
            if (l) l.push(n);
            else imports.set(d, [n]);
          }
          return n;
        }
        for (const d of u.declares) {
          const l = this.byName.get(d);
          if (l) l.push(n);
          else this.byName.set(d, [n]);
        }
        if (u.always) this.always.push(n);
        return n;
      });
      // Bodies no other file reads: reached from this file's own key alone.
      for (const u of f.units.units) {
        if (u.body) nodes.push({ own: `${f.rel}\0body\0${u.body}`, mentions: u.bodyMentions!, imports, index: -1, low: 0, onStack: false });
      }
      this.nodesOf.set(f.sf, nodes);
    }
    const root: Node = { own: `spec\0${[...rootNames].sort().join(',')}`, mentions: rootNames, index: -1, low: 0, onStack: false };
    const top: Node = { own: `always\0${unshaped.sort().join('\n')}`, mentions: [], edges: [root, ...this.always], index: -1, low: 0, onStack: false };
    this.common = this.hashOf(top);
  }

  private edgesOf(n: Node): Node[] {
    if (!n.edges) {
      const set = new Set<Node>();
      for (const m of n.mentions) for (const x of this.byName.get(m) ?? []) if (x !== n) set.add(x);
      if (n.imports) {
        // The file's own imports: those naming what the unit mentions, and side-effect imports.
        for (const m of ['', ...n.mentions]) for (const x of n.imports.get(m) ?? []) if (x !== n) set.add(x);
      }
      n.edges = [...set];
    }
    return n.edges;
  }

  /** The Merkle hash of what `n` reaches (its strongly connected component and everything below). */
  private hashOf(n: Node): string {
    if (n.index < 0) this.tarjan(n);
    return n.scc!.hash!;
  }

  /** Iterative Tarjan: components are finished (and hashed) children first. */
  private tarjan(start: Node): void {
    const work: Array<{ n: Node; i: number }> = [];
    const open = (n: Node): void => {
      n.index = n.low = this.counter++;
      n.onStack = true;
      this.stack.push(n);
      work.push({ n, i: 0 });
    };
    open(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = this.edgesOf(top.n);
      if (top.i < edges.length) {
        const m = edges[top.i++]!;
        if (m.index < 0) open(m);
        else if (m.onStack) top.n.low = Math.min(top.n.low, m.index);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) parent.n.low = Math.min(parent.n.low, top.n.low);
      if (top.n.low !== top.n.index) continue;
      const scc: Scc = { nodes: [] };
      for (;;) {
        const x = this.stack.pop()!;
        x.onStack = false;
        x.scc = scc;
        scc.nodes.push(x);
        if (x === top.n) break;
      }
      const below = new Set<string>();
      for (const x of scc.nodes) for (const y of this.edgesOf(x)) if (y.scc !== scc) below.add(y.scc!.hash!);
      scc.hash = sha1(`${scc.nodes.map((x) => x.own).sort().join('\n')}\n--\n${[...below].sort().join('\n')}`);
    }
  }

  /** Hash of everything `sf`'s units reach, with what every file reaches. */
  fileHash(sf: ts.SourceFile): string {
    let h = this.fileHashes.get(sf);
    if (h === undefined) {
      const nodes = this.nodesOf.get(sf);
      h = nodes ? sha1(`${this.common}\n${[...new Set(nodes.map((n) => this.hashOf(n)))].sort().join('\n')}`) : this.common;
      this.fileHashes.set(sf, h);
    }
    return h;
  }
}

/**
 * Names the analysis of every file reads, whether or not the file names them: the spec's class
 * (no class, no analysis), its descriptor classes, and its kinds' type tests (their bodies
 * define the kinds' marker constants, which type marks in any file are read against).
 */
export function specRootNames(spec: Spec): string[] {
  const out = new Set<string>([spec.page.class]);
  for (const k of spec.kinds) {
    if (k.descriptor) out.add(k.descriptor.class);
    for (const t of k.pageTypeTests) out.add(t.name);
  }
  return [...out].sort();
}
