/**
 * Syntax the audit looks at beyond the analyzer's findings (which cover only tracked fields):
 * accesses of every page field overlaying the memdesc word (compound_head too) and the small
 * helpers that do them for their page parameter (compound_head(), set_compound_head()), whose
 * call sites are reported instead; page-pointer arithmetic (`new Page(p.addr + i * SIZE)`,
 * `pfn_to_page(page_to_pfn(p) + i)`) and single-expression helpers doing it (nth_page());
 * descriptor addresses used as page addresses, and converter round trips. Words outside the memdesc
 * word read or written by offset or through an offset table of the class (`OffsetSite`) are
 * collected for the audit to judge per kind.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { accessKind, enclosingFunction, functionName, isFunctionLike, outerOf, shortText, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { RawAccess } from '../analyzers/finder.ts';
import { mayBeWrapper } from '../analyzers/wrappers.ts';
import { isOffsetTable } from './shrinkUses.ts';
import { specWords } from '../model/words.ts';
import type { WordField } from './words.ts';
import { Symbols } from './separateSymbols.ts';
import { memdescTestsOf } from './memdescTests.ts';

/** An access (direct, or a helper's call site) of a page field overlaying the memdesc word. */
export interface WordSite extends RawAccess {
  /** The member as written (buddy_list for lru). */
  member: string;
  /** For a helper's call site: the helper. */
  helper?: string;
  /** For an access by offset (`write64(page.addr + 8, v)`): the call, as written. */
  byOffset?: string;
}

/**
 * A word outside the memdesc word read or written by its offset (`read64(page.addr +
 * PAGE_INDEX_OFFSET)`) or through a static offset table of the class indexed by a key
 * (`page_own_word(page, 'index')` over `Page.OWN_WORDS`): no member is named, so the analyzer has
 * no finding there; the audit judges it per kind by the fields the kind maps on that word.
 */
export interface OffsetSite {
  sf: ts.SourceFile;
  node: ts.Node;
  expr: ts.Expression;
  /** The page. */
  receiver: ts.Expression;
  word: number;
  /** First byte of the access inside the word (the access is taken to run to the word's end). */
  byte: number;
  access: 'read' | 'write';
  /** What the code does, for the detail. */
  how: string;
}

export interface ArithSite {
  sf: ts.SourceFile;
  node: ts.Node;
  /** The page (or descriptor) the arithmetic starts from. */
  base: ts.Expression;
  /** What the code does, for the detail. */
  how: string;
}

export interface AddrSite {
  sf: ts.SourceFile;
  node: ts.Node;
  kind: string;
  reason: 'round-trip' | 'shared-address' | 'page-arithmetic';
  how: string;
}

const MAX_HELPER_STATEMENTS = 3;
export const AWARE_TAG = 'memdesc-aware';

function hasAwareTag(fn: FunctionLike): boolean {
  const holders: ts.Node[] = [fn];
  // An arrow or function expression documents itself on its variable statement.
  if (tsv.isVariableDeclaration(fn.parent)) holders.push(fn.parent, fn.parent.parent.parent);
  return holders.some((h) => tsv.getJSDocTags(h).some((t) => t.tagName.text === AWARE_TAG));
}
const HELPER_ROUNDS = 3;

function paramIndex(ctx: AnalysisContext, e: ts.Expression, fn: FunctionLike | undefined): number {
  if (!fn) return -1;
  const x = skipOuter(e);
  if (!tsv.isIdentifier(x)) return -1;
  const d = ctx.symbolOf(x)?.valueDeclaration;
  return d && tsv.isParameter(d) && d.parent === fn ? fn.parameters.indexOf(d) : -1;
}

function statementCount(fn: FunctionLike): number {
  if (!fn.body) return Infinity;
  return tsv.isBlock(fn.body) ? fn.body.statements.length : 1;
}

function isArith(n: ts.Node): n is ts.BinaryExpression {
  return tsv.isBinaryExpression(n) && ([tsv.SyntaxKind.PlusToken, tsv.SyntaxKind.MinusToken, tsv.SyntaxKind.AsteriskToken] as ts.SyntaxKind[]).includes(n.operatorToken.kind);
}

/** Calls by the function they resolve to. */
function callsOf(ctx: AnalysisContext, calls: Map<string, ts.CallExpression[]>, fn: FunctionLike): ts.CallExpression[] {
  const name = functionName(fn);
  if (!name) return [];
  return (calls.get(name) ?? []).filter((c) => {
    const callee = skipOuter(c.expression);
    const sym = ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    return (sym?.declarations ?? []).some((d) => d === fn || (tsv.isVariableDeclaration(d) && d.initializer && skipOuter(d.initializer) === fn));
  });
}

export class SiteScanner {
  readonly words: WordSite[] = [];
  readonly arith: ArithSite[] = [];
  readonly addrs: AddrSite[] = [];
  /** Words outside the memdesc word by offset or through an offset table (judged by the kinds' fields). */
  readonly offsets: OffsetSite[] = [];
  /** The class's static offset tables (isOffsetTable()): symbol -> its name and entries (key -> byte offset). */
  private tables = new Map<ts.Symbol, { name: string; entries: Map<string, number> }>();
  /** References to those tables outside the class, found by scan(). */
  private tableRefs: Array<{ ref: ts.PropertyAccessExpression; table: { name: string; entries: Map<string, number> } }> = [];
  /** Descriptor class declarations and the kinds' converter functions: the implementation, never a site. */
  private implementation = new Set<ts.Node>();
  /** Descriptor class declaration -> its address members (constructor parameter properties). */
  private addressMembers = new Map<ts.Node, Set<string>>();
  private converterKinds = new Map<string, { kind: string; role: 'fromPage' | 'toPage' | 'fromAddress' | 'toAddress' }[]>();
  /**
   * The converters by symbol: the spec names them (a hint of last resort that finds the tree's
   * exported declaration, Symbols.named()); calls and declarations count by what they resolve to,
   * so a same-named local function elsewhere is no converter.
   */
  private converterSyms?: Map<ts.Symbol, { kind: string; role: string }[]>;
  private symbols: Symbols;

  constructor(private ctx: AnalysisContext, private wordFields: Map<string, WordField>, private memdescField: string, private memdescWords: readonly number[],
    private calls: Map<string, ts.CallExpression[]>, private descriptorKind: (e: ts.Expression) => string | undefined) {
    this.symbols = new Symbols(ctx.program, ctx.root);
    for (const decl of [...ctx.pageDecls, ...ctx.descDecls.keys()]) {
      this.implementation.add(decl);
      const members = new Set<string>(ctx.spec.page.addressMembers);
      if (tsv.isClassDeclaration(decl)) {
        for (const m of decl.members) {
          if (!tsv.isConstructorDeclaration(m)) continue;
          for (const p of m.parameters) {
            if (tsv.getModifiers(p)?.length && tsv.isIdentifier(p.name)) members.add(p.name.text);
          }
        }
      }
      this.addressMembers.set(decl, members);
      if (tsv.isClassDeclaration(decl)) this.findTables(decl);
    }
    for (const k of ctx.spec.kinds) {
      for (const role of ['fromPage', 'toPage', 'fromAddress', 'toAddress'] as const) {
        for (const name of k.converters[role] ?? []) {
          const l = this.converterKinds.get(name) ?? [];
          l.push({ kind: k.name, role });
          this.converterKinds.set(name, l);
        }
      }
    }
  }

  private awareMemo = new Map<FunctionLike, boolean>();
  /** Functions found memdesc-aware, for the report (a reviewer checks the claim). */
  readonly awareFunctions = new Set<FunctionLike>();

  /**
   * Code that handles the memdesc word itself: a function tagged `@memdesc-aware` in its doc
   * comment (it tells a memdesc word from what else the word holds), or one that reads or tests
   * it (the spec's memdesc field, PageMemdesc()). Its reads and writes of those words are
   * deliberate, not blockers.
   */
  aware(n: ts.Node): boolean {
    for (let p: ts.Node | undefined = n; p; p = p.parent) {
      if (!isFunctionLike(p)) continue;
      let hit = this.awareMemo.get(p);
      if (hit === undefined) {
        hit = hasAwareTag(p) || this.readsMemdesc(p);
        this.awareMemo.set(p, hit);
      }
      if (hit) {
        this.awareFunctions.add(p);
        return true;
      }
    }
    return false;
  }

  /**
   * Does the function look at the memdesc word: read the page's memdesc member (the spec's field,
   * a member of the class: by its declaration), or call a test of the word (memdescTests.ts: a
   * boolean function of one page whose code tests the word or a mark its writers keep; by symbol)? Code that only sets the word up (alloc_pages_memdesc()) does not count: it may still
   * clobber it. Evidence from the code: a function is never a test because of its name.
   */
  private readsMemdesc(fn: FunctionLike): boolean {
    if (!fn.body) return false;
    const tests = memdescTestsOf(this.ctx, this.memdescField);
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (tsv.isPropertyAccessExpression(n) && this.isMemdescMember(n.name) && this.isPage(n.expression)) found = true;
      else if (tsv.isCallExpression(n)) {
        const callee = skipOuter(n.expression);
        const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
        if (sym && tests.isTest(sym)) found = true;
      }
      if (!found) tsv.forEachChild(n, visit);
    };
    visit(fn.body);
    return found;
  }

  /** Is `name` (of a property access) the class's memdesc member, by its declaration? */
  private isMemdescMember(name: ts.MemberName): boolean {
    if (name.text !== this.memdescField) return false;
    const sym = this.ctx.symbolOf(name);
    return !!sym?.declarations?.some((d) => !!d.parent && this.ctx.pageDecls.has(d.parent));
  }

  private offsetMemo?: Set<ts.Symbol>;

  /**
   * Does the offset name the memdesc word's own offset (`page.addr + PAGE_MEMDESC_OFFSET`): a
   * constant the class's memdesc member itself reads the word at? Such an access is deliberate.
   * By symbol, from the member's code, not from the constant's name.
   */
  private namesMemdescOffset(off: ts.Expression): boolean {
    if (!this.offsetMemo) {
      const out = new Set<ts.Symbol>();
      for (const decl of this.ctx.pageDecls) {
        if (!tsv.isClassDeclaration(decl)) continue;
        for (const m of decl.members) {
          if (!m.name || !tsv.isIdentifier(m.name) || m.name.text !== this.memdescField) continue;
          const walk = (x: ts.Node): void => {
            if (tsv.isIdentifier(x) && x !== m.name) {
              const sym = this.ctx.symbolOf(x);
              if (sym && sym.flags & tsv.SymbolFlags.Variable) out.add(sym);
            }
            tsv.forEachChild(x, walk);
          };
          walk(m);
        }
      }
      this.offsetMemo = out;
    }
    let hit = false;
    const walk = (x: ts.Node): void => {
      if (hit) return;
      if (tsv.isIdentifier(x)) {
        const sym = this.ctx.symbolOf(x);
        if (sym && this.offsetMemo!.has(sym)) hit = true;
      }
      tsv.forEachChild(x, walk);
    };
    walk(off);
    return hit;
  }

  /** The converters by symbol (converterSyms). */
  private converters(): Map<ts.Symbol, { kind: string; role: string }[]> {
    if (this.converterSyms) return this.converterSyms;
    const out = new Map<ts.Symbol, { kind: string; role: string }[]>();
    for (const [name, roles] of this.converterKinds) for (const sym of this.symbols.named(name)) out.set(sym, roles);
    this.converterSyms = out;
    return out;
  }

  private inImplementation(n: ts.Node): boolean {
    for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
      if (this.implementation.has(p)) return true;
      if (isFunctionLike(p)) {
        const sym = this.symbols.of(p as ts.FunctionLikeDeclaration);
        if (sym && this.converters().has(sym)) return true;
      }
    }
    return false;
  }

  private isPage(e: ts.Expression): boolean {
    return this.ctx.typeIsPage(this.ctx.checker.getTypeAtLocation(e));
  }

  /** Is `e` the address member of a page or descriptor (`page.addr`, `ptdesc.addr`)? The object, and its kind if a descriptor. */
  private addressOf(e: ts.Expression): { obj: ts.Expression; kind?: string } | undefined {
    const x = skipOuter(e);
    if (!tsv.isPropertyAccessExpression(x)) return undefined;
    const name = x.name.text;
    // Type queries only for names some address member has.
    if (![...this.addressMembers.values()].some((m) => m.has(name))) return undefined;
    const obj = x.expression;
    const kind = this.descriptorKind(obj);
    if (kind) {
      const decl = [...this.ctx.descDecls].find(([, k]) => k.name === kind)?.[0];
      return decl && this.addressMembers.get(decl)?.has(name) ? { obj, kind } : undefined;
    }
    if (!this.isPage(obj)) return undefined;
    const members = [...this.ctx.pageDecls].flatMap((d) => [...(this.addressMembers.get(d) ?? [])]);
    return members.includes(name) ? { obj } : undefined;
  }

  scan(): void {
    const direct: WordSite[] = [];
    const arithDirect: ArithSite[] = [];
    const untracked = new Set([...this.wordFields].filter(([, w]) => w.field.track !== 'always').map(([n]) => n));
    for (const sf of this.ctx.files) {
      const visit = (n: ts.Node): void => {
        if (this.implementation.has(n)) return;
        if (tsv.isPropertyAccessExpression(n) && this.tables.size > 0) {
          const sym = this.ctx.symbolOf(n.name);
          const table = sym && this.tables.get(sym);
          if (table && !this.inImplementation(n)) this.tableRefs.push({ ref: n, table });
        }
        if (tsv.isPropertyAccessExpression(n) && untracked.has(n.name.text) && this.isPage(n.expression)) {
          if (!this.inImplementation(n) && !this.aware(n)) direct.push(this.wordSite(sf, n, n.expression, n.name.text));
        }
        if (tsv.isPropertyAccessExpression(n)) this.addressUse(sf, n);
        if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.PlusToken) {
          const s = this.offsetAccess(sf, n);
          if (s && !this.inImplementation(n) && !this.aware(n)) direct.push(s);
        }
        if (isArith(n) && !isArith(outerOf(n).parent ?? n)) this.arithmetic(sf, n, arithDirect);
        if (tsv.isCallExpression(n)) this.roundTrip(sf, n);
        tsv.forEachChild(n, visit);
      };
      visit(sf);
    }
    direct.push(...this.tableSites());
    this.words.push(...this.liftWordHelpers(direct));
    this.arith.push(...this.liftArithHelpers(arithDirect));
  }

  private wordSite(sf: ts.SourceFile, expr: ts.Expression, receiver: ts.Expression, member: string): WordSite {
    const w = this.wordFields.get(member)!;
    const node = tsv.isPropertyAccessExpression(expr) ? expr.name : expr;
    const access = accessKind(expr, w.field.embedded, this.ctx.spec.page.addressMembers);
    const fn = enclosingFunction(expr);
    const name = fn && functionName(fn);
    return { sf, node, expr, receiver, receiverText: shortText(receiver, sf), field: w.field.name, member, access, ...(name ? { function: name } : {}) };
  }

  /**
   * `write64(page.addr + 8, v)`, `read64(page.addr + C)`: a word of the page by its offset (a
   * constant), handed to a call that does not give back a page. A call that returns nothing is
   * taken as a store. An offset named after the memdesc word (PAGE_MEMDESC_OFFSET) is deliberate.
   */
  private offsetAccess(sf: ts.SourceFile, n: ts.BinaryExpression): WordSite | undefined {
    const sides = [[n.left, n.right], [n.right, n.left]] as const;
    for (const [addr, off] of sides) {
      const a = this.addressOf(addr);
      if (!a || a.kind) continue;
      const t = this.ctx.checker.getTypeAtLocation(off);
      if (!t.isNumberLiteral()) continue;
      const wordSize = this.ctx.spec.page.wordSize ?? 8;
      const word = Math.floor(t.value / wordSize);
      const onMemdesc = this.memdescWords.includes(word);
      if (onMemdesc && this.namesMemdescOffset(off)) return undefined;
      const use = outerOf(n);
      const call = use.parent;
      if (!call || !tsv.isCallExpression(call) || !call.arguments.some((x) => x === use)) return undefined;
      const result = this.ctx.checker.getTypeAtLocation(call);
      if (this.ctx.typeIsPage(result) || this.descriptorKind(call)) return undefined;
      const access = result.flags & (tsv.TypeFlags.Void | tsv.TypeFlags.Undefined) ? 'write' : 'read';
      if (!onMemdesc) {
        // Another word: whose field it is depends on the kind (judged by the audit).
        if (t.value >= 0 && !this.inImplementation(n)) {
          this.offsets.push({ sf, node: n, expr: call, receiver: a.obj, word, byte: t.value % wordSize, access,
            how: `\`${shortText(call, sf, 50)}\` ${access === 'write' ? 'writes' : 'reads'} w${word} of \`${shortText(a.obj, sf)}\` by its offset` });
        }
        return undefined;
      }
      const fn = enclosingFunction(call);
      const name = fn && functionName(fn);
      return {
        sf, node: n, expr: call, receiver: a.obj, receiverText: shortText(a.obj, sf), field: this.memdescField, member: `w${word}`,
        access, byOffset: shortText(call, sf, 50), ...(name ? { function: name } : {}),
      };
    }
    return undefined;
  }

  /** The class's static offset tables (`static readonly OWN_WORDS = { index: PAGE_INDEX_OFFSET, … }`) and their entries. */
  private findTables(decl: ts.ClassDeclaration): void {
    for (const m of decl.members) {
      if (!isOffsetTable(m, decl) || !tsv.isPropertyDeclaration(m)) continue;
      const sym = this.ctx.symbolOf(m.name);
      let init: ts.Expression = m.initializer!;
      while (tsv.isAsExpression(init) || tsv.isSatisfiesExpression(init) || tsv.isParenthesizedExpression(init)) init = init.expression;
      if (!sym || !tsv.isObjectLiteralExpression(init)) continue;
      const entries = new Map<string, number>();
      for (const p of init.properties) {
        const key = p.name && (tsv.isIdentifier(p.name) || tsv.isStringLiteralLike(p.name) || tsv.isNumericLiteral(p.name)) ? p.name.text : undefined;
        const t = tsv.isPropertyAssignment(p) ? this.ctx.checker.getTypeAtLocation(p.initializer) : p.name ? this.ctx.checker.getTypeAtLocation(p.name) : undefined;
        if (key !== undefined && t?.isNumberLiteral()) entries.set(key, t.value);
      }
      this.tables.set(sym, { name: `${decl.name?.text ?? ''}.${m.name.getText()}`, entries });
    }
  }

  /**
   * Calls that read or write a page's word through an offset table of the class by a key
   * (`page_own_word(page, 'index')`): a function indexing a table with its own parameter, given a
   * page parameter, is a table reader; so is a function handing its parameters on to one (a few
   * rounds). At the other calls the key is a literal: the entry's word is the site's. A key that
   * is no literal (a loop over the table) or no entry names no word: nothing to say.
   */
  private tableSites(): WordSite[] {
    interface Reader { pageArg: number; keyArg: number; table: { name: string; entries: Map<string, number> } }
    let readers = new Map<FunctionLike, Reader>();
    for (const { ref, table } of this.tableRefs) {
      const fn = enclosingFunction(ref);
      if (!fn || !fn.body || readers.has(fn)) continue;
      const pageArg = fn.parameters.findIndex((p) => this.isPage(p.name as ts.Expression));
      if (pageArg < 0) continue;
      // The table itself, or a const local holding it.
      const holders = new Set<ts.Symbol>();
      const use = outerOf(ref);
      if (use.parent && tsv.isVariableDeclaration(use.parent) && use.parent.initializer === use && tsv.isIdentifier(use.parent.name)) {
        const local = this.ctx.symbolOf(use.parent.name);
        if (local) holders.add(local);
      }
      let keyArg = -1;
      const visit = (x: ts.Node): void => {
        if (keyArg >= 0) return;
        if (tsv.isElementAccessExpression(x)) {
          const obj = skipOuter(x.expression);
          const isTable = obj === ref || (tsv.isIdentifier(obj) && holders.has(this.ctx.symbolOf(obj)!));
          if (isTable) keyArg = paramIndex(this.ctx, x.argumentExpression, fn);
        }
        tsv.forEachChild(x, visit);
      };
      visit(fn.body);
      if (keyArg >= 0 && keyArg !== pageArg) readers.set(fn, { pageArg, keyArg, table });
    }
    const all = new Map(readers);
    const out: WordSite[] = [];
    const wordSize = this.ctx.spec.page.wordSize ?? 8;
    for (let round = 0; round <= HELPER_ROUNDS && readers.size > 0; round++) {
      const next = new Map<FunctionLike, Reader>();
      for (const [fn, r] of readers) {
        for (const call of callsOf(this.ctx, this.calls, fn)) {
          const page = call.arguments[r.pageArg];
          const key = call.arguments[r.keyArg];
          if (!page || !key) continue;
          const caller = enclosingFunction(call);
          const callerPage = paramIndex(this.ctx, page, caller);
          const callerKey = paramIndex(this.ctx, key, caller);
          if (caller && callerPage >= 0 && callerKey >= 0) {
            // Hands its own page and key on: a reader too, judged at its callers.
            if (!all.has(caller) && round < HELPER_ROUNDS) next.set(caller, { pageArg: callerPage, keyArg: callerKey, table: r.table });
            continue;
          }
          if (this.inImplementation(call)) continue;
          const kt = this.ctx.checker.getTypeAtLocation(key);
          const off = kt.isStringLiteral() ? r.table.entries.get(kt.value) : undefined;
          if (off === undefined || off < 0) continue;
          const sf = call.getSourceFile();
          const result = this.ctx.checker.getTypeAtLocation(call);
          const access = result.flags & (tsv.TypeFlags.Void | tsv.TypeFlags.Undefined) ? 'write' : 'read';
          const word = Math.floor(off / wordSize);
          const how = `\`${shortText(call, sf, 50)}\` ${access === 'write' ? 'writes' : 'reads'} w${word} of \`${shortText(page, sf)}\` through \`${r.table.name}\``;
          if (!this.memdescWords.includes(word)) {
            this.offsets.push({ sf, node: call, expr: call, receiver: page, word, byte: off % wordSize, access, how });
            continue;
          }
          if (this.aware(call)) continue;
          const cname = caller && functionName(caller);
          out.push({
            sf, node: call, expr: call, receiver: page, receiverText: shortText(page, sf), field: this.memdescField, member: `w${word}`,
            access, byOffset: shortText(call, sf, 50), ...(cname ? { function: cname } : {}),
          });
        }
      }
      for (const [k, v] of next) all.set(k, v);
      readers = next;
    }
    return out;
  }

  /**
   * Small functions whose every memdesc-word access is on a parameter (compound_head()) are
   * helpers: their call sites are the sites, with the argument as the page. Single-expression
   * functions handing their parameter to a helper are helpers too (page_count()).
   */
  private liftWordHelpers(direct: WordSite[]): WordSite[] {
    const byFn = new Map<FunctionLike, WordSite[]>();
    const loose: WordSite[] = [];
    for (const s of direct) {
      const fn = enclosingFunction(s.expr);
      if (!fn) { loose.push(s); continue; }
      const l = byFn.get(fn) ?? [];
      l.push(s);
      byFn.set(fn, l);
    }
    const out: WordSite[] = [...loose];
    // fn -> accesses it makes for its parameter (index), reported at its callers.
    let helpers = new Map<FunctionLike, Array<{ site: WordSite; pageArg: number }>>();
    for (const [fn, list] of byFn) {
      const on = list.map((s) => ({ site: s, pageArg: paramIndex(this.ctx, s.receiver!, fn) }));
      const small = statementCount(fn) <= MAX_HELPER_STATEMENTS && functionName(fn) !== undefined;
      if (small && on.every((x) => x.pageArg >= 0) && callsOf(this.ctx, this.calls, fn).length > 0) helpers.set(fn, on);
      else out.push(...list);
    }
    const all = new Map(helpers);
    for (let round = 0; round < HELPER_ROUNDS && helpers.size > 0; round++) {
      const next = new Map<FunctionLike, Array<{ site: WordSite; pageArg: number }>>();
      for (const [fn, list] of helpers) {
        const name = functionName(fn)!;
        for (const call of callsOf(this.ctx, this.calls, fn)) {
          const sf = call.getSourceFile();
          const caller = enclosingFunction(call);
          for (const { site, pageArg } of list) {
            const arg = call.arguments[pageArg];
            if (!arg) continue;
            const callerArg = paramIndex(this.ctx, arg, caller);
            if (caller && callerArg >= 0 && mayBeWrapper(caller) && !all.has(caller) && callsOf(this.ctx, this.calls, caller).length > 0) {
              const l = next.get(caller) ?? [];
              l.push({ site: { ...site, helper: site.helper ?? name }, pageArg: callerArg });
              next.set(caller, l);
              continue;
            }
            const callee = skipOuter(call.expression);
            const cname = functionName(caller ?? fn);
            out.push({
              ...site, sf, node: tsv.isPropertyAccessExpression(callee) ? callee.name : callee, expr: call, receiver: arg,
              receiverText: shortText(arg, sf), helper: name,
              ...(caller && cname ? { function: cname } : { function: undefined }),
            });
          }
        }
      }
      for (const [k, v] of next) all.set(k, v);
      helpers = next;
    }
    return out;
  }

  /** `new Page(p.addr ± …)`, `pfn_to_page(page_to_pfn(p) ± …)`: arithmetic whose result is a page or descriptor again. */
  private arithmetic(sf: ts.SourceFile, top: ts.BinaryExpression, out: ArithSite[]): void {
    if (this.inImplementation(top)) return;
    const use = outerOf(top);
    const parent = use.parent;
    if (!parent || !(tsv.isNewExpression(parent) || tsv.isCallExpression(parent)) || !(parent.arguments ?? ([] as readonly ts.Expression[])).some((x) => x === use)) return;
    const result = this.ctx.checker.getTypeAtLocation(parent);
    const toPage = this.ctx.typeIsPage(result);
    const resultKind = !toPage ? this.descriptorKind(parent) : undefined;
    if (!toPage && !resultKind) return;
    const base = this.arithBase(top);
    if (!base) return;
    out.push({ sf, node: parent, base, how: `\`${shortText(parent, sf, 60)}\` computes another ${toPage ? specWords(this.ctx.spec).noun : `${resultKind} descriptor`} from \`${shortText(base, sf, 30)}\`` });
  }

  /** The page or descriptor an arithmetic expression starts from: `p.addr` or a number-valued call on a page (page_to_pfn(p)). */
  private arithBase(e: ts.Expression): ts.Expression | undefined {
    const x = skipOuter(e);
    if (isArith(x)) return this.arithBase(x.left) ?? this.arithBase(x.right);
    const a = this.addressOf(x);
    if (a) return a.obj;
    if (tsv.isCallExpression(x) && x.arguments.length >= 1) {
      const t = this.ctx.checker.getTypeAtLocation(x);
      if (!(t.flags & tsv.TypeFlags.NumberLike)) return undefined;
      const arg = x.arguments.find((g) => this.isPage(g) || this.descriptorKind(g));
      return arg;
    }
    return undefined;
  }

  /** Single-expression helpers (nth_page()) whose arithmetic starts from a parameter: reported at their call sites. */
  private liftArithHelpers(direct: ArithSite[]): ArithSite[] {
    const out: ArithSite[] = [];
    for (const s of direct) {
      const fn = enclosingFunction(s.node);
      const idx = paramIndex(this.ctx, s.base, fn);
      const callers = fn && idx >= 0 && mayBeWrapper(fn) ? callsOf(this.ctx, this.calls, fn) : [];
      if (callers.length === 0) { out.push(s); continue; }
      const name = functionName(fn!)!;
      for (const call of callers) {
        const arg = call.arguments[idx];
        if (!arg) continue;
        const sf = call.getSourceFile();
        out.push({ sf, node: call, base: arg, how: `\`${shortText(call, sf, 60)}\` computes another ${specWords(this.ctx.spec).noun} from \`${shortText(arg, sf, 30)}\` (\`${name}()\` is pointer arithmetic)` });
      }
    }
    return out;
  }

  /** `ptdesc.addr` outside the descriptor class and the converters: the descriptor's address taken as the page's. */
  private addressUse(sf: ts.SourceFile, n: ts.PropertyAccessExpression): void {
    const a = this.addressOf(n);
    if (!a?.kind || this.inImplementation(n)) return;
    const use = outerOf(n);
    const p = use.parent;
    const text = shortText(n, sf, 40);
    if (p && tsv.isBinaryExpression(p) && ([tsv.SyntaxKind.EqualsEqualsEqualsToken, tsv.SyntaxKind.ExclamationEqualsEqualsToken,
      tsv.SyntaxKind.EqualsEqualsToken, tsv.SyntaxKind.ExclamationEqualsToken] as ts.SyntaxKind[]).includes(p.operatorToken.kind)) {
      const other = p.left === use ? p.right : p.left;
      const o = this.addressOf(other);
      if (o?.kind === a.kind) return; // two descriptors of the kind compared: still valid once separate
      this.addrs.push({ sf, node: n, kind: a.kind, reason: 'round-trip', how: `\`${shortText(p, sf, 70)}\` compares a ${a.kind} descriptor's address with \`${shortText(other, sf, 40)}\`: it assumes the descriptor and its ${specWords(this.ctx.spec).noun} share an address` });
      return;
    }
    if (p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && p.right === use && this.descriptorLink(p.left, a.kind)) return;
    if (p && isArith(p)) {
      this.addrs.push({ sf, node: n, kind: a.kind, reason: 'page-arithmetic', how: `\`${shortText(p, sf, 60)}\` does arithmetic on the ${a.kind} descriptor's address as if descriptors were an array beside the ${specWords(this.ctx.spec).nouns}` });
      return;
    }
    this.addrs.push({ sf, node: n, kind: a.kind, reason: 'shared-address', how: `\`${text}\` uses the ${a.kind} descriptor's address${p && tsv.isNewExpression(p) ? ` to make \`${shortText(p, sf, 40)}\`` : ''}: once separate it is not the ${specWords(this.ctx.spec).noun}'s address` });
  }

  private linkMemo = new Map<ts.Symbol, boolean>();

  /**
   * `prev.next = zpdesc.addr`: a descriptor's address stored in a member of a descriptor of the
   * same kind is a link between descriptors (the kernel's `zpdesc->next`), still right once they
   * are separate, provided no read of that member (directly or through a const local) can become
   * a page again: an argument of something that gives back a page (`new Page(next)`,
   * `virt_to_page(next)`) or arithmetic keeps the store a blocker. `new Zpdesc(next)`, a test or a
   * copy into the same member is fine.
   */
  private descriptorLink(target: ts.Expression, kind: string): boolean {
    const t = skipOuter(target);
    if (!tsv.isPropertyAccessExpression(t) || this.descriptorKind(t.expression) !== kind) return false;
    const sym = this.ctx.symbolOf(t.name);
    if (!sym) return false;
    let ok = this.linkMemo.get(sym);
    if (ok !== undefined) return ok;
    // A use that could make the address a page again: an argument of something giving back a
    // page (`new Page(next)`, `virt_to_page(next)`), or arithmetic on it.
    const staysNoPage = (e: ts.Node): boolean => {
      const use = outerOf(e as ts.Expression);
      const p = use.parent;
      if (!p) return true;
      if (isArith(p)) return false;
      if ((tsv.isNewExpression(p) || tsv.isCallExpression(p)) && (p.arguments ?? ([] as readonly ts.Expression[])).some((x) => x === use)) {
        return !this.ctx.typeIsPage(this.ctx.checker.getTypeAtLocation(p));
      }
      return true;
    };
    ok = true;
    const name = t.name.text;
    for (const sf of this.ctx.files) {
      const visit = (n: ts.Node): void => {
        if (!ok) return;
        if (tsv.isPropertyAccessExpression(n) && n.name.text === name && this.ctx.symbolOf(n.name) === sym && !this.inImplementation(n)) {
          const use = outerOf(n);
          const p = use.parent;
          const written = p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && p.left === use;
          const copied = p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && p.right === use
            && tsv.isPropertyAccessExpression(skipOuter(p.left)) && this.ctx.symbolOf((skipOuter(p.left) as ts.PropertyAccessExpression).name) === sym;
          if (!written && !copied) {
            if (p && tsv.isVariableDeclaration(p) && p.initializer === use && tsv.isIdentifier(p.name) && tsv.getCombinedNodeFlags(p.parent) & tsv.NodeFlags.Const) {
              const local = this.ctx.symbolOf(p.name);
              const scope = enclosingFunction(p) ?? sf;
              const uses: ts.Identifier[] = [];
              const find = (m: ts.Node): void => {
                if (tsv.isIdentifier(m) && m !== p.name && this.ctx.symbolOf(m) === local) uses.push(m);
                tsv.forEachChild(m, find);
              };
              find(scope);
              if (!uses.every(staysNoPage)) ok = false;
            } else if (!staysNoPage(n)) ok = false;
          }
        }
        tsv.forEachChild(n, visit);
      };
      visit(sf);
      if (!ok) break;
    }
    this.linkMemo.set(sym, ok);
    return ok;
  }

  /** toPage(fromPage(p)) (or the reverse, or through addresses) of one kind: the same address assumed both ways. */
  private roundTrip(sf: ts.SourceFile, call: ts.CallExpression): void {
    const outer = this.converterOf(call);
    if (!outer || call.arguments.length === 0 || this.inImplementation(call)) return;
    const inner = skipOuter(call.arguments[0]!);
    if (!tsv.isCallExpression(inner)) return;
    const back = this.converterOf(inner);
    if (!back) return;
    const pairs: Record<string, string> = { toPage: 'fromPage', fromPage: 'toPage', toAddress: 'fromAddress', fromAddress: 'toAddress' };
    for (const o of outer) {
      if (back.some((b) => b.kind === o.kind && b.role === pairs[o.role])) {
        this.addrs.push({ sf, node: call, kind: o.kind, reason: 'round-trip', how: `\`${shortText(call, sf, 60)}\` converts there and back: with a separate ${o.kind} descriptor it yields the ${specWords(this.ctx.spec).noun} the descriptor points back to (its first), not necessarily the one it started from` });
        return;
      }
    }
  }

  /** The converter a call resolves to (aliases followed), by symbol. */
  private converterOf(call: ts.CallExpression): Array<{ kind: string; role: string }> | undefined {
    const sym = this.symbols.callee(call);
    return sym ? this.converters().get(sym) : undefined;
  }
}
