/**
 * `memdesc separate`: where the tree's stage-2 infrastructure lives. The names are the kernel's
 * (the RFC's `alloc_pages_memdesc()` family, the descriptor caches, the typed accessors); the
 * files that declare them are found in the program, never assumed.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { InputError } from '../errors.ts';
import type { KindSpec, Spec } from '../model/spec.ts';
import { AnalysisContext } from '../analyzers/context.ts';
import { TypeTests } from '../analyzers/typeTests.ts';
import { Symbols } from './separateSymbols.ts';
import { constValue, strip } from './tagTests.ts';
import { MEMDESC_FIELD } from './words.ts';

/** Exported name -> the file that declares it. */
export type ExportIndex = Map<string, string>;

export function exportIndex(program: ts.Program, root: string): ExportIndex {
  const out: ExportIndex = new Map();
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    for (const st of sf.statements) {
      const exported = tsv.canHaveModifiers(st) && tsv.getModifiers(st)?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword);
      if (!exported) continue;
      if ((tsv.isFunctionDeclaration(st) || tsv.isClassDeclaration(st)) && st.name && !out.has(st.name.text)) out.set(st.name.text, sf.fileName);
      if (tsv.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (tsv.isIdentifier(d.name) && !out.has(d.name.text)) out.set(d.name.text, sf.fileName);
      }
    }
  }
  return out;
}

/** The names one kind's separation uses, each with its file. */
export interface Infra {
  /** `MEMDESC_TYPE_<KIND>`; the tree may not declare it when the accessor accepts several tags. */
  typeTag: string;
  /** The typed accessor with its debug check (`memdesc_ptdesc`), or null: `memdesc_desc(page, TAG)`. */
  accessor: string | null;
  where: ExportIndex;
}

const REQUIRED = [
  'alloc_pages_memdesc', '__free_pages_memdesc', 'memdesc_cache', 'memdesc_cache_create', 'memdesc_alloc', 'memdesc_free',
  'memdesc_create', 'memdesc_set_desc_page', 'memdesc_desc_page', 'memdesc_desc', 'MEMDESC_DESC_HEADER', 'page_count',
];

/**
 * The infrastructure `kind` needs, or an InputError naming what the tree lacks. With the program,
 * the typed accessor and the tag come from the code (findAccessor(), codeTag()); without it, from
 * the kernel's names alone.
 */
export function findInfra(index: ExportIndex, spec: Spec, kind: KindSpec, tree?: { program: ts.Program; root: string }): Infra {
  const missing = REQUIRED.filter((n) => !index.has(n));
  const toAddress = spec.page.addressHelpers?.toAddress ?? 'page_address';
  const fromAddress = spec.page.addressHelpers?.fromAddress ?? 'virt_to_page';
  for (const n of [toAddress, fromAddress]) if (!index.has(n)) missing.push(n);
  if (missing.length > 0) {
    throw new InputError(`the tree has no stage-2 infrastructure to separate ${kind.name} into: ${missing.join(', ')} not found`);
  }
  const hint = `MEMDESC_TYPE_${kind.name.toUpperCase()}`;
  const accessor = tree ? findAccessor(tree.program, tree.root, index, spec, kind)?.name ?? null : index.has(`memdesc_${kind.name}`) ? `memdesc_${kind.name}` : null;
  // With an accessor its own constants are the tags (separateMultiTag.ts kindTags()); the tag is for messages then.
  const typeTag = tree && !accessor ? codeTag(tree.program, tree.root, index, spec, kind) ?? hint : hint;
  // A kind with several tags (a folio: file or anon) has none named after it: its typed
  // accessor says which it accepts (separateMultiTag.ts kindTags()).
  if (!index.has(typeTag) && !accessor) {
    throw new InputError(`${kind.name} has no memdesc type tag (${typeTag} not found): it cannot have a descriptor of its own yet`);
  }
  return { typeTag, accessor, where: index };
}

/* ---------------------------------------------------------------------------------------- */
/* The typed accessor and the tags, from the code                                            */
/* ---------------------------------------------------------------------------------------- */

/** A kind's typed accessor as the code shows it, and the constants it checks the word against. */
export interface KindAccessor {
  name: string;
  /** Exported constants that reach the checked reader beside the page (tags or misc subtypes), in source order. */
  constants: string[];
  /** How it was found, for messages: the name hint the code confirms, or the code alone. */
  how: string;
}

/** One tree's accessor finder: verdicts cached per function. */
class AccessorFinder {
  private readonly s: Symbols;
  private readonly checker: ts.TypeChecker;
  private readonly readers = new Map<ts.Node, Map<number, boolean>>();
  /** The memdesc word's first byte in the class (its address is `page.addr + this`). */
  private readonly wordByte: number | undefined;

  constructor(private readonly program: ts.Program, private readonly root: string, private readonly index: ExportIndex, private readonly spec: Spec) {
    this.s = new Symbols(program, root);
    this.checker = this.s.checker;
    const word = spec.page.fields.find((f) => f.name === MEMDESC_FIELD)?.words[0];
    this.wordByte = word === undefined ? undefined : word * (spec.page.wordSize ?? 8);
  }

  /** The exported top-level function of that name (declared, or a const arrow/function expression). */
  exported(name: string): ts.FunctionLikeDeclaration | undefined {
    const file = this.index.get(name);
    const sf = file ? this.program.getSourceFile(file) : undefined;
    for (const st of sf?.statements ?? []) {
      if (tsv.isFunctionDeclaration(st) && st.name?.text === name && st.body) return st;
      if (tsv.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          const init = d.initializer && strip(d.initializer);
          if (tsv.isIdentifier(d.name) && d.name.text === name && init && (tsv.isArrowFunction(init) || tsv.isFunctionExpression(init))) return init;
        }
      }
    }
    return undefined;
  }

  private paramIs(e: ts.Expression, fn: ts.FunctionLikeDeclaration, i: number): boolean {
    const x = strip(e);
    const p = fn.parameters[i];
    return !!p && tsv.isIdentifier(x) && tsv.isIdentifier(p.name) && this.s.at(x) === this.checker.getSymbolAtLocation(p.name);
  }

  /**
   * Does `fn` read the memdesc word of its parameter `i` (the spec's member, or the word's
   * address: `page.addr + 8` for a word at w1), itself or through a function it hands the page to
   * (`memdesc_desc(page, T)`, which checks the tag)?
   */
  checkedReader(fn: ts.FunctionLikeDeclaration, i: number, depth = 0): boolean {
    let m = this.readers.get(fn);
    if (!m) this.readers.set(fn, m = new Map());
    const hit = m.get(i);
    if (hit !== undefined) return hit;
    m.set(i, false);
    let reads = false;
    let via = false;
    const visit = (n: ts.Node): void => {
      if (via || reads) return;
      if (tsv.isPropertyAccessExpression(n) && n.name.text === MEMDESC_FIELD && this.paramIs(n.expression, fn, i)) reads = true;
      if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.PlusToken && this.wordByte !== undefined) {
        const l = strip(n.left);
        if (tsv.isPropertyAccessExpression(l) && this.paramIs(l.expression, fn, i) && constValue(this.checker, n.right) === this.wordByte) reads = true;
      }
      if (tsv.isCallExpression(n)) {
        const g = depth < 4 ? functionOf(this.s.callee(n)) : undefined;
        if (g) n.arguments.forEach((a, j) => { if (!via && this.paramIs(a, fn, i) && this.checkedReader(g, j, depth + 1)) via = true; });
      }
      if (!(n !== fn.body && (tsv.isFunctionLike(n) || tsv.isClassLike(n)))) tsv.forEachChild(n, visit);
    };
    if (fn.body) visit(fn.body);
    const r = via || reads;
    m.set(i, r);
    return r;
  }


  /**
   * `name` as a typed accessor: an exported function of one page (the spec's class) that hands
   * it to a checked reader of the word with exported constants (what it checks the word
   * against); undefined when its code is none.
   */
  accessor(name: string): KindAccessor | undefined {
    const fn = this.exported(name);
    if (!fn || fn.parameters.length !== 1) return undefined;
    const t = this.checker.getTypeAtLocation(fn.parameters[0]!);
    if ((t.aliasSymbol ?? t.symbol)?.name !== this.spec.page.class || !this.checkedReader(fn, 0)) return undefined;
    const constants: string[] = [];
    const values = (e: ts.Expression, depth: number): void => {
      const x = strip(e);
      if (depth > 4) return;
      if (tsv.isConditionalExpression(x)) { values(x.whenTrue, depth + 1); values(x.whenFalse, depth + 1); return; }
      if (!tsv.isIdentifier(x)) return;
      const sym = this.s.at(x);
      const d = sym?.valueDeclaration;
      if (!sym || !d || !tsv.isVariableDeclaration(d)) return;
      // A local of the accessor: what it is given.
      if (d.getSourceFile() === fn.getSourceFile() && d.pos >= fn.pos && d.end <= fn.end) {
        if (d.initializer) values(d.initializer, depth + 1);
        return;
      }
      if (this.index.get(sym.name) === d.getSourceFile().fileName && constValue(this.checker, x) !== undefined && !constants.includes(sym.name)) constants.push(sym.name);
    };
    const visit = (n: ts.Node): void => {
      if (tsv.isCallExpression(n) && n.arguments.some((a) => this.paramIs(a, fn, 0))) for (const a of n.arguments) values(a, 0);
      tsv.forEachChild(n, visit);
    };
    if (fn.body) visit(fn.body);
    if (constants.length === 0) return undefined;
    return { name, constants, how: '' };
  }

  /** Every typed accessor the tree exports (accessor()), in name order. */
  all(): KindAccessor[] {
    return [...this.index.keys()].sort().flatMap((n) => this.accessor(n) ?? []);
  }

  /**
   * Constants the code ties to `kind`: those its type tests (the spec's, confirmed by their code:
   * typeTests.ts) compute with, and the tags the tree maps to one of them (`tag === T ? K : …`,
   * `memdesc_page_type()`'s `MEMDESC_TYPE_PTDESC ? PGTY_table`).
   */
  kindConstants(kind: KindSpec): { mine: Set<string>; mapped: Set<string> } {
    const out = new Set<string>();
    const mapped = new Set<string>();
    const names = new Set(kind.pageTypeTests.map((t) => t.name));
    if (names.size === 0) return { mine: out, mapped };
    const ctx = new AnalysisContext(this.spec, this.program, this.root);
    const tests = new TypeTests(ctx);
    for (const n of names) {
      const fn = this.exported(n);
      const sym = fn && this.s.of(fn);
      if (!fn?.body || !sym || tests.ofSymbol(sym).tests.length === 0) continue;
      const walk = (x: ts.Node): void => {
        if (tsv.isIdentifier(x)) {
          const c = this.s.at(x);
          const d = c?.valueDeclaration;
          if (c && d && this.index.get(c.name) === d.getSourceFile().fileName && constValue(this.checker, x) !== undefined) out.add(c.name);
        }
        tsv.forEachChild(x, walk);
      };
      walk(fn.body);
    }
    // Pairs the code states: `x === A ? B : …` ties A and B.
    const constName = (e: ts.Expression): string | undefined => {
      const x = strip(e);
      if (!tsv.isIdentifier(x)) return undefined;
      const c = this.s.at(x);
      const d = c?.valueDeclaration;
      return c && d && this.index.get(c.name) === d.getSourceFile().fileName && constValue(this.checker, x) !== undefined ? c.name : undefined;
    };
    const pairs: Array<[string, string]> = [];
    for (const sf of this.program.getSourceFiles()) {
      if (!sf.fileName.startsWith(`${this.root}/`) || sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
      const visit = (x: ts.Node): void => {
        if (tsv.isConditionalExpression(x)) {
          const c = strip(x.condition);
          const b = constName(x.whenTrue);
          if (b && tsv.isBinaryExpression(c) && c.operatorToken.kind === tsv.SyntaxKind.EqualsEqualsEqualsToken) {
            const a = constName(c.right) ?? constName(c.left);
            if (a) pairs.push([a, b]);
          }
        }
        tsv.forEachChild(x, visit);
      };
      visit(sf);
    }
    for (const [a, b] of pairs) {
      mapped.add(a);
      if (out.has(b)) out.add(a);
    }
    return { mine: out, mapped };
  }
}

/**
 * The typed accessor of `kind`, from the code: the function the kernel's name for it suggests
 * (`memdesc_<kind>`, a hint) when its code is one (accessor()); else the one accessor whose
 * constants the code ties to the kind (kindConstants()). Null when neither: the kind has no
 * accessor the code shows.
 */
export function findAccessor(program: ts.Program, root: string, index: ExportIndex, spec: Spec, kind: KindSpec): KindAccessor | null {
  const f = new AccessorFinder(program, root, index, spec);
  const hinted = f.accessor(`memdesc_${kind.name}`);
  if (hinted) return { ...hinted, how: `\`${hinted.name}()\` reads the memdesc word and checks it against ${hinted.constants.join(', ')}` };
  const { mine } = f.kindConstants(kind);
  if (mine.size === 0) return null;
  const found = f.all().filter((a) => a.constants.some((c) => mine.has(c)));
  if (found.length !== 1) return null;
  const a = found[0]!;
  return { ...a, how: `\`${a.name}()\` reads the memdesc word and checks it against ${a.constants.join(', ')}, which ${kind.name}'s type tests stand for` };
}

/**
 * A tag of `kind` when it has no typed accessor: the kernel's name (`MEMDESC_TYPE_<KIND>`, a
 * hint) when the tree exports it, else the one exported tag-like constant the code ties to the
 * kind (kindConstants(): its type tests' constants and what the tree maps to them) that the
 * word's tag store is given somewhere; undefined when none.
 */
export function codeTag(program: ts.Program, root: string, index: ExportIndex, spec: Spec, kind: KindSpec): string | undefined {
  const hint = `MEMDESC_TYPE_${kind.name.toUpperCase()}`;
  if (index.has(hint)) return hint;
  const f = new AccessorFinder(program, root, index, spec);
  const { mine, mapped } = f.kindConstants(kind);
  // Tags some accessor checks the word against, or the tree maps to a type: what a tag is, by the code.
  const tags = new Set([...f.all().flatMap((a) => a.constants), ...mapped]);
  const both = [...mine].filter((c) => tags.has(c));
  return both.length === 1 ? both[0] : undefined;
}

/**
 * Bytes before a kind's own fields in its descriptor, from the code: when the tree hands out the
 * descriptors of some tags as a group (`memdesc_counts(page)`: `memdesc_type_counted(type) ?
 * memdesc_desc(page, type) : 0`, the predicate `LIST.includes(type)` over a constant list) and
 * one of the kind's tags is in the group, its callers' offsets into that descriptor (`desc +
 * MEMDESC_COUNTS_MAPCOUNT`) are the group's header, rounded up to whole words. Undefined when the
 * code shows none (the common header then: the back pointer).
 */
export function groupHeaderBytes(program: ts.Program, root: string, index: ExportIndex, tags: readonly string[], wordSize: number): number | undefined {
  if (tags.length === 0) return undefined;
  const s = new Symbols(program, root);
  const checker = s.checker;
  const descSyms = s.named('memdesc_desc');
  if (descSyms.size === 0) return undefined;
  /** The constants a predicate admits: its body returns `LIST.includes(param)` over a const array of exported constants. */
  const admits = (pred: ts.FunctionLikeDeclaration | undefined): Set<string> => {
    const out = new Set<string>();
    const body = pred?.body;
    const ret = body && (tsv.isBlock(body) ? body.statements.find(tsv.isReturnStatement)?.expression : body);
    const call = ret && strip(ret);
    if (!call || !tsv.isCallExpression(call) || !tsv.isPropertyAccessExpression(call.expression) || call.expression.name.text !== 'includes') return out;
    const list = s.at(strip(call.expression.expression))?.valueDeclaration;
    const init = list && tsv.isVariableDeclaration(list) && list.initializer ? strip(list.initializer) : undefined;
    if (!init || !tsv.isArrayLiteralExpression(init)) return out;
    for (const el of init.elements) {
      const c = s.at(strip(el));
      if (c && index.has(c.name)) out.add(c.name);
    }
    return out;
  };
  // The group accessors: `P(t) ? memdesc_desc(page, t) : …` with a non-constant t and one of the kind's tags admitted by P.
  const groups = new Set<ts.Symbol>();
  for (const [name, file] of index) {
    const sf = program.getSourceFile(file);
    const st = sf?.statements.find((x) => (tsv.isFunctionDeclaration(x) && x.name?.text === name) || (tsv.isVariableStatement(x) && x.declarationList.declarations.some((d) => tsv.isIdentifier(d.name) && d.name.text === name)));
    if (!st) continue;
    const visit = (n: ts.Node): void => {
      if (tsv.isConditionalExpression(n)) {
        const t = strip(n.whenTrue);
        const c = strip(n.condition);
        if (tsv.isCallExpression(t) && descSyms.has(s.callee(t)!) && t.arguments[1] && constValue(checker, t.arguments[1]) === undefined && tsv.isCallExpression(c)) {
          const admitted = admits(functionOf(s.callee(c)));
          if (tags.some((x) => admitted.has(x))) {
            const sym = tsv.isFunctionDeclaration(st) ? s.at(st.name!) : s.at((st as ts.VariableStatement).declarationList.declarations[0]!.name);
            if (sym) groups.add(sym);
          }
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(st);
  }
  if (groups.size === 0) return undefined;
  // Offsets the callers use into the descriptor a group accessor returns (`const d = F(page); … d + C`).
  let max = -1;
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    const visit = (n: ts.Node): void => {
      if (tsv.isVariableDeclaration(n) && n.initializer && tsv.isIdentifier(n.name)) {
        const init = strip(n.initializer);
        const held = tsv.isCallExpression(init) && groups.has(s.callee(init)!) ? s.at(n.name) : undefined;
        const scope = held && tsv.findAncestor(n, (a) => tsv.isFunctionLike(a) || tsv.isSourceFile(a));
        if (held && scope) {
          const uses = (x: ts.Node): void => {
            if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.PlusToken && tsv.isIdentifier(strip(x.left)) && s.at(strip(x.left)) === held) {
              const c = constValue(checker, x.right);
              if (c !== undefined && c > max) max = c;
            }
            tsv.forEachChild(x, uses);
          };
          uses(scope);
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }
  return max < 0 ? undefined : Math.ceil((max + 1) / wordSize) * wordSize;
}

/** The function a symbol declares: a function declaration with a body, or a const bound to an arrow/function expression. */
function functionOf(sym: ts.Symbol | undefined): ts.FunctionLikeDeclaration | undefined {
  for (const d of sym?.declarations ?? []) {
    if (tsv.isFunctionDeclaration(d) && d.body) return d;
    if (tsv.isVariableDeclaration(d) && d.initializer) {
      const init = strip(d.initializer);
      if (tsv.isArrowFunction(init) || tsv.isFunctionExpression(init)) return init;
    }
  }
  return undefined;
}
