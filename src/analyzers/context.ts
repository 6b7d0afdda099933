/**
 * The analysis context: the spec resolved against one program (page class and descriptor
 * class declarations, tracked names), plus position and symbol helpers shared by the passes.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { InputError } from '../errors.ts';
import { reverseFieldMap, type KindSpec, type PageFieldSpec, type Spec } from '../model/spec.ts';
import { tokensSpelled } from './ast.ts';
import { matchPath } from './glob.ts';
import { boundSymbol } from './scope.ts';
import { isDependencyFile, isProjectFile } from './project.ts';

export interface Site {
  file: string;
  line: number;
  column: number;
}

/** What the spec names, independent of any program: tracked fields, descriptor and renamed fields, the finder's text filter. */
export class SpecNames {
  /** Tracked raw fields by name. */
  readonly fields = new Map<string, PageFieldSpec>();
  /** Descriptor field name -> [kind, raw page field] pairs. */
  readonly descFields = new Map<string, Array<[KindSpec, string]>>();
  /**
   * Kinds without a descriptor type (buddy) convert by renaming: page-class members named by
   * their field map (buddy_list, order) are that kind's converted accesses. Name -> [kind, raw field].
   */
  readonly renamedFields = new Map<string, Array<[KindSpec, string]>>();
  /** Every member name the finder looks at (raw and descriptor fields). */
  readonly memberNames = new Set<string>();
  /** Cheap text filter: files never mentioning any of these need no type query. */
  readonly textFilter: RegExp;

  constructor(readonly spec: Spec) {
    for (const f of spec.page.fields) if (f.track !== 'never') this.fields.set(f.name, f);
    for (const k of spec.kinds) {
      if (!k.descriptor) {
        for (const [to, raw] of reverseFieldMap(k)) {
          if (to === raw || this.fields.has(to)) continue;
          const l = this.renamedFields.get(to) ?? [];
          l.push([k, raw]);
          this.renamedFields.set(to, l);
        }
        continue;
      }
      for (const [to, raw] of reverseFieldMap(k)) {
        const l = this.descFields.get(to) ?? [];
        l.push([k, raw]);
        this.descFields.set(to, l);
      }
    }
    for (const n of this.fields.keys()) this.memberNames.add(n);
    for (const n of this.descFields.keys()) this.memberNames.add(n);
    for (const n of this.renamedFields.keys()) this.memberNames.add(n);
    const words = [...this.memberNames, spec.page.class].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.textFilter = new RegExp(`\\b(?:${words.join('|')})\\b`);
  }
}

export class AnalysisContext extends SpecNames {
  readonly checker: ts.TypeChecker;
  /** Files analyzed (the project's own, non-declaration source files). */
  readonly files: ts.SourceFile[];
  /** Declarations of the page class (class / interface / type alias nodes). */
  readonly pageDecls = new Set<ts.Node>();
  /** Descriptor type declaration -> kind. */
  readonly descDecls = new Map<ts.Node, KindSpec>();

  constructor(spec: Spec, readonly program: ts.Program, readonly root: string) {
    super(spec);
    this.checker = program.getTypeChecker();
    this.files = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && isProjectFile(root, sf.fileName));
    this.findTypeDecls();
  }

  private relMemo = new Map<string, string>();

  /** The file's path relative to the root (asked for every hop and site: computed once per file). */
  rel(sf: ts.SourceFile): string {
    let r = this.relMemo.get(sf.fileName);
    if (r === undefined) this.relMemo.set(sf.fileName, r = relative(this.root, sf.fileName).split('\\').join('/'));
    return r;
  }

  site(sf: ts.SourceFile, n: ts.Node): Site {
    const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    return { file: this.rel(sf), line: line + 1, column: character + 1 };
  }

  /** "mm/slub.ts:212" */
  at(sf: ts.SourceFile, n: ts.Node): string {
    const s = this.site(sf, n);
    return `${s.file}:${s.line}`;
  }

  private findTypeDecls(): void {
    const { spec } = this;
    const descByName = new Map<string, KindSpec[]>();
    for (const k of spec.kinds) {
      if (!k.descriptor) continue;
      const l = descByName.get(k.descriptor.class) ?? [];
      l.push(k);
      descByName.set(k.descriptor.class, l);
    }
    const pageAnywhere: ts.Node[] = [];
    for (const sf of this.program.getSourceFiles()) {
      if (sf.isDeclarationFile && isDependencyFile(this.root, sf.fileName)) continue;
      const rel = this.rel(sf);
      for (const st of sf.statements) {
        if (!(tsv.isClassDeclaration(st) || tsv.isInterfaceDeclaration(st) || tsv.isTypeAliasDeclaration(st)) || !st.name) continue;
        const name = st.name.text;
        if (name === spec.page.class) {
          if (matchPath(spec.page.file, rel)) this.pageDecls.add(st);
          else pageAnywhere.push(st);
        }
        for (const k of descByName.get(name) ?? []) {
          if (!k.descriptor!.file || matchPath(k.descriptor!.file, rel)) this.descDecls.set(st, k);
        }
      }
    }
    if (this.pageDecls.size === 0) {
      throw new InputError(`the spec's class ${spec.page.class} is not declared in ${spec.page.file} (spec ${spec.source}, project ${this.root})${spec.source === 'builtin' ? ': for a project of your own, give its spec with --spec FILE or as memdesc.spec.json in the project (memdesc init drafts one)' : ''}`);
    }
  }

  private declaredNames?: Set<string> | null;

  /**
   * Whether a member named `name` may resolve to a symbol memberOwner() places on the class or a
   * descriptor: only a member declared directly in one of their declarations can (memberOwner
   * reads each declaration's container; a mapped type such as Partial<Page> keeps the member's
   * declaration, and keeps its name unless it renames keys, which links no declaration). So a
   * name none of those declarations spells needs no type query. A member whose name is computed
   * from anything but a literal could be any name: then every name may.
   */
  mayBeClassMember(name: string): boolean {
    if (this.declaredNames === undefined) this.declaredNames = this.collectDeclaredNames();
    return this.declaredNames === null || this.declaredNames.has(name);
  }

  private collectDeclaredNames(): Set<string> | null {
    const names = new Set<string>();
    for (const d of [...this.pageDecls, ...this.descDecls.keys()]) {
      let members: ts.NodeArray<ts.ClassElement | ts.TypeElement> | undefined;
      if (tsv.isClassDeclaration(d) || tsv.isInterfaceDeclaration(d)) members = d.members;
      else if (tsv.isTypeAliasDeclaration(d) && tsv.isTypeLiteralNode(d.type)) members = d.type.members;
      for (const m of members ?? []) {
        const n = m.name;
        if (!n) continue;
        if (tsv.isIdentifier(n) || tsv.isPrivateIdentifier(n) || tsv.isStringLiteral(n) || tsv.isNumericLiteral(n) || tsv.isNoSubstitutionTemplateLiteral(n)) names.add(n.text);
        else if (tsv.isComputedPropertyName(n) && (tsv.isStringLiteral(n.expression) || tsv.isNumericLiteral(n.expression) || tsv.isNoSubstitutionTemplateLiteral(n.expression))) names.add(n.expression.text);
        else return null;
      }
    }
    return names;
  }

  private aliasMemo = new Map<ts.Symbol, ts.Symbol>();

  resolveAlias(sym: ts.Symbol): ts.Symbol {
    if (!(sym.flags & tsv.SymbolFlags.Alias)) return sym;
    // One checker call per import binding, not per read of it.
    let t = this.aliasMemo.get(sym);
    if (!t) this.aliasMemo.set(sym, t = this.checker.getAliasedSymbol(sym));
    return t;
  }

  /** The type or class node a member declaration belongs to. */
  private containerOf(decl: ts.Declaration): ts.Node | undefined {
    let c: ts.Node | undefined = decl.parent;
    if (c && tsv.isTypeLiteralNode(c)) c = c.parent;
    return c;
  }

  /**
   * Who declares property symbol `sym`: the page class, a descriptor (kind), several
   * (a union of page and another type: "mixed"), or neither.
   */
  memberOwner(sym: ts.Symbol): { page: true } | { kind: KindSpec } | 'mixed' | undefined {
    let page = false;
    let unrelated = false;
    const kinds = new Set<KindSpec>();
    for (const d of sym.declarations ?? []) {
      const c = this.containerOf(d);
      const kind = c && this.descDecls.get(c);
      if (c && this.pageDecls.has(c)) page = true;
      else if (kind) kinds.add(kind);
      else unrelated = true;
    }
    if (page) return unrelated || kinds.size ? 'mixed' : { page: true };
    if (kinds.size === 1 && !unrelated) return { kind: [...kinds][0]! };
    return undefined;
  }

  /** The kind whose descriptor class `t` is (its symbol declared as one), else undefined. */
  descriptorKind(t: ts.Type): KindSpec | undefined {
    const nn = this.checker.getNonNullableType(t);
    const sym = nn.getSymbol();
    for (const d of sym?.declarations ?? []) {
      const k = this.descDecls.get(d);
      if (k) return k;
    }
    return undefined;
  }

  /** Does `t` denote the page class (or a subclass, a constrained type parameter, an intersection with it)? */
  typeIsPage(t: ts.Type, depth = 0): boolean {
    if (depth > 5) return false;
    if (t.isUnion()) {
      const parts = t.types.filter((p) => !(p.flags & (tsv.TypeFlags.Null | tsv.TypeFlags.Undefined | tsv.TypeFlags.Void)));
      return parts.length > 0 && parts.every((p) => this.typeIsPage(p, depth + 1));
    }
    if (t.isIntersection()) return t.types.some((p) => this.typeIsPage(p, depth + 1));
    if (t.flags & tsv.TypeFlags.TypeParameter) {
      const c = this.checker.getBaseConstraintOfType(t);
      return !!c && c !== t && this.typeIsPage(c, depth + 1);
    }
    const sym = t.getSymbol();
    if (sym?.declarations?.some((d) => this.pageDecls.has(d))) return true;
    if (t.isClassOrInterface()) return this.checker.getBaseTypes(t).some((b) => this.typeIsPage(b, depth + 1));
    return false;
  }

  /** Is `e` a value reference to the page class itself (the `Page` in list_entry(ptr, Page, 'lru'))? */
  isPageClassRef(e: ts.Expression): boolean {
    // A name no declaration could make the class's is not it: no type query (asked for every argument of calls provenance follows).
    if (tsv.isIdentifier(e) ? !this.classRefNames().has(e.text) : tsv.isPropertyAccessExpression(e) && !this.classRefNames().has(e.name.text)) return false;
    // A plain name: an import declaration aliases it in its own file only.
    if (tsv.isIdentifier(e) && !this.sharedRefNames!.has(e.text) && !this.fileImportNames(e.getSourceFile()).has(e.text)) return false;
    // symbolOf(): memoized per node, a plain name by the binder's scopes (scope.ts).
    const sym = this.symbolOf(e);
    if (!sym) return false;
    return (sym.declarations ?? []).some((d) => this.pageDecls.has(d));
  }

  private refNames?: Set<string>;
  /** classRefNames() but the names top-level import declarations of module files declare (each visible in its own file only). */
  private sharedRefNames?: Set<string>;
  private importNames = new Map<ts.SourceFile, Set<string>>();

  /** The names the top-level import declarations of `sf` declare. */
  private fileImportNames(sf: ts.SourceFile): Set<string> {
    let names = this.importNames.get(sf);
    if (names) return names;
    names = new Set();
    for (const st of sf.statements) if (tsv.isImportDeclaration(st)) importDeclarationNames(st, names);
    this.importNames.set(sf, names);
    return names;
  }

  /**
   * Every name an identifier or member name may have when it refers to the page class: the
   * class's own, and each name an import or export declares anywhere (an alias of it may be any
   * of those). Syntax only; a name in the set still goes to the type checker. A plain name that
   * only a top-level import declares is looked for in the importing file alone (fileImportNames()).
   */
  private classRefNames(): Set<string> {
    if (this.refNames) return this.refNames;
    const names = new Set<string>([this.spec.page.class]);
    const shared = new Set<string>([this.spec.page.class]);
    const visit = (st: ts.Statement, local: boolean): void => {
      if (tsv.isImportDeclaration(st)) {
        importDeclarationNames(st, names);
        // A module file's top-level imports are its own (fileImportNames()).
        if (!local) importDeclarationNames(st, shared);
        return;
      }
      const add = (n: string): void => {
        names.add(n);
        shared.add(n);
      };
      if (tsv.isExportDeclaration(st)) {
        const ec = st.exportClause;
        if (ec && tsv.isNamespaceExport(ec)) add(ec.name.text);
        else if (ec) for (const el of ec.elements) add(el.name.text);
      } else if (tsv.isImportEqualsDeclaration(st)) add(st.name.text);
      else if (tsv.isModuleDeclaration(st)) {
        let body = st.body;
        while (body && tsv.isModuleDeclaration(body)) body = body.body;
        if (body && tsv.isModuleBlock(body)) for (const s of body.statements) visit(s, false);
      }
    };
    for (const sf of this.program.getSourceFiles()) {
      const local = tsv.isExternalModule(sf);
      for (const st of sf.statements) visit(st, local);
    }
    this.sharedRefNames = shared;
    return (this.refNames = names);
  }

  private neverNames?: Set<string>;

  /**
   * Whether the callee `n` (a call's expression, or the name of its member) may be declared to
   * return `never` (what neverReturns() asks the checker): a name qualifies only if a declaration
   * whose type is spelled `never` has it, or an import or export renames such a name to it (a
   * default import or an import-equals, whose target name is not spelled, always). Anything but a
   * name goes to the checker.
   */
  mayNeverReturn(n: ts.Node): boolean {
    const id = tsv.isPropertyAccessExpression(n) ? n.name : n;
    if (!tsv.isIdentifier(id) && !tsv.isPrivateIdentifier(id)) return true;
    this.neverNames ??= this.collectNeverNames();
    return this.neverNames.has(id.text);
  }

  private collectNeverNames(): Set<string> {
    const names = new Set<string>();
    const isNever = (n: ts.Node): n is ts.KeywordTypeNode => n.kind === tsv.SyntaxKind.NeverKeyword;
    const renames: Array<{ from: string; to: string }> = [];
    for (const sf of this.program.getSourceFiles()) {
      if (/\bnever\b/.test(sf.text)) {
        for (const kw of tokensSpelled(sf, ['never'], isNever)) {
          // The declaration it types, or the variable holding the function it types: every named node above it (more is only slower).
          for (let p: ts.Node | undefined = kw.parent; p; p = p.parent) {
            const name = (p as ts.Node & { name?: ts.Node }).name;
            if (name && (tsv.isIdentifier(name) || tsv.isPrivateIdentifier(name) || tsv.isStringLiteral(name) || tsv.isNumericLiteral(name))) names.add(name.text);
          }
        }
      }
      const visit = (st: ts.Statement): void => {
        if (tsv.isImportDeclaration(st)) {
          const c = st.importClause;
          if (c?.name) names.add(c.name.text);
          const nb = c?.namedBindings;
          if (nb && tsv.isNamedImports(nb)) for (const el of nb.elements) renames.push({ from: (el.propertyName ?? el.name).text, to: el.name.text });
        } else if (tsv.isExportDeclaration(st) && st.exportClause && tsv.isNamedExports(st.exportClause)) {
          for (const el of st.exportClause.elements) renames.push({ from: (el.propertyName ?? el.name).text, to: el.name.text });
        } else if (tsv.isImportEqualsDeclaration(st)) names.add(st.name.text);
        else if (tsv.isModuleDeclaration(st)) {
          let body = st.body;
          while (body && tsv.isModuleDeclaration(body)) body = body.body;
          if (body && tsv.isModuleBlock(body)) for (const s of body.statements) visit(s);
        }
      };
      for (const st of sf.statements) visit(st);
    }
    // `default` stands for any name; renames chain (import { a as b }, export { b as c }).
    names.add('default');
    for (let changed = true; changed;) {
      changed = false;
      for (const r of renames) {
        if (names.has(r.from) && !names.has(r.to)) {
          names.add(r.to);
          changed = true;
        }
      }
    }
    return names;
  }

  /** Resolved symbols by node; null: none (one lookup per hit: asked for nearly every identifier the passes meet). */
  private symCache = new Map<ts.Node, ts.Symbol | null>();

  symbolOf(n: ts.Node): ts.Symbol | undefined {
    const hit = this.symCache.get(n);
    if (hit !== undefined) return hit ?? undefined;
    // A plain name read: the binder's scopes decide it without a checker query (scope.ts); else the checker.
    let s = n.kind === tsv.SyntaxKind.Identifier ? boundSymbol(n as ts.Identifier, this.checker, (a) => this.resolveAlias(a)) : undefined;
    if (!s) {
      s = this.checker.getSymbolAtLocation(n);
      if (s) s = this.resolveAlias(s);
    }
    this.symCache.set(n, s ?? null);
    return s;
  }
}

/** The local names an import declaration declares, added to `out`. */
function importDeclarationNames(st: ts.ImportDeclaration, out: Set<string>): void {
  const c = st.importClause;
  if (c?.name) out.add(c.name.text);
  const nb = c?.namedBindings;
  if (nb && tsv.isNamespaceImport(nb)) out.add(nb.name.text);
  else if (nb) for (const el of nb.elements) out.add(el.name.text);
}
