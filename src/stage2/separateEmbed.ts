/**
 * `memdesc separate` for a kind whose pages carry a misc memdesc word (type 0 with a subtype:
 * separateTag.ts). A misc word has no pointer, so such a kind gets no descriptor from a cache:
 * "some types embed all data in the word" (the plan). Its descriptor is the word itself:
 *
 *  - the class's one field moves into the word's data bits: its offset constant becomes 0 (the
 *    descriptor's address is the page's memdesc word), its getter reads the word through the
 *    tree's `memdesc_misc_data()`, its setter writes it back through `memdesc_misc_with_data()`
 *    (which keeps the word's header and refuses a value that does not fit). More than one field
 *    does not fit: exit 2, nothing written;
 *  - `page_X()` returns the descriptor from the kind's checked accessor (a page without the
 *    kind's misc word fires VM_BUG_ON_PAGE), `X_page()` the page whose word it is
 *    (`memdesc_misc_desc_page()`), in `<kind>_memdesc.ts` beside the class, as for other kinds;
 *  - allocation sites: a page allocation whose page the same function later hands to `page_X()`
 *    (no page-type setter marks such pages: the converter is where the code says it is the
 *    kind's) allocates with the word (`alloc_pages_memdesc(gfp, order, memdesc_misc(SUBTYPE,
 *    order))`); frees: a free of a page `page_X()` was given before it on the way there (the
 *    converter call's block encloses the free), or of a page allocated so, checks the word and
 *    gives the pages back through `__free_pages_memdesc()`.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { CheckFailed, InputError } from '../errors.ts';
import type { KindSpec, Spec } from '../model/spec.ts';
import { reverseFieldMap } from '../model/spec.ts';
import type { ExportIndex } from './separateInfra.ts';
import type { MiscTag } from './separateTag.ts';
import {
  Edits, addModuleImports, resolveImport, dropRewrittenImports, moveConverters, PAGE_ALLOCS, PAGE_FREES, WITH_ORDER, calleeName, callsIn, fnName, functionsOf, importPath, keyOf, moduleFileOf,
  removeElements, descriptorClass, refersTo, type KindPlan, type Views,
} from './separatePlan.ts';
import { Symbols } from './separateSymbols.ts';
import { addressOffset, localNameOf, wordAccessors } from './wordAccessors.ts';

/** The tree's names an embedded separation uses (its memdesc header's). */
const REQUIRED = ['memdesc_misc', 'memdesc_misc_data', 'memdesc_misc_with_data', 'memdesc_misc_desc_page', 'alloc_pages_memdesc', '__free_pages_memdesc'];

export interface EmbeddedPlan extends KindPlan {
  embedded: { subtype: string; field: string };
}

export interface EmbedInput {
  program: ts.Program;
  root: string;
  spec: Spec;
  kind: KindSpec;
  index: ExportIndex;
  tag: MiscTag;
}

const inTree = (sf: ts.SourceFile, root: string) => sf.fileName.startsWith(`${root}/`) && !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/');

export function planEmbedded({ program, root, spec, kind, index, tag }: EmbedInput): EmbeddedPlan {
  // Parent links (the checker's binding sets them) for the walks up from a call.
  const s = new Symbols(program, root);
  const cls = kind.descriptor!.class;
  const missing = REQUIRED.filter((n) => !index.has(n));
  if (missing.length > 0) throw new InputError(`the tree has no stage-2 infrastructure to embed ${kind.name} in its memdesc word: ${missing.join(', ')} not found`);
  const classDecl = descriptorClass(program, root, cls);
  const classSf = classDecl?.getSourceFile();
  if (!classDecl || !classSf) throw new InputError(`${kind.name}: no class ${cls} in the tree (run \`memdesc convert ${kind.name} --write\` first)`);
  const modFile = moduleFileOf(classSf.fileName, kind.name);
  const fromPage = kind.converters.fromPage[0];
  const toPage = kind.converters.toPage[0];
  if (!fromPage || !toPage) throw new InputError(`${kind.name}: the spec names no page/descriptor converters`);
  const base = { kind: kind.name, texts: new Map<string, string>(), sites: { allocs: [] as string[], frees: [] as string[] }, layout: [], size: 0, embedded: { subtype: tag.subtype, field: '' } };
  const modSf = program.getSourceFile(modFile);
  if (modSf && modSf.statements.some((s) => tsv.isFunctionDeclaration(s) && s.name?.text === fromPage)) return { ...base, already: true };
  if (modSf) throw new InputError(`${relative(root, modFile)} exists and is not ${kind.name}'s separated converters: refusing to overwrite it`);

  const edits = new Edits();
  const w = (name: string) => index.get(name)!;

  // ---- the field: one word of the overlay, into the word's data bits ----
  // A word is read and written through the functions the class's own accessors use for its words
  // (wordAccessors.ts: by symbol, whatever they are named).
  const words = wordAccessors(program, root, spec, s, { cls: classDecl, rawField: reverseFieldMap(kind) });
  const addr = spec.page.addressMembers ?? [];
  const accesses: Array<{ call: ts.CallExpression; constName: string; field: string; write: boolean }> = [];
  const walk = (n: ts.Node): void => {
    const callee = tsv.isCallExpression(n) ? s.callee(n) : undefined;
    if (callee && (callee === words.read || callee === words.write)) {
      const call = n as ts.CallExpression;
      const c = addressOffset(call, addr);
      const member = tsv.findAncestor(n, (a) => tsv.isGetAccessor(a) || tsv.isSetAccessor(a) || tsv.isMethodDeclaration(a)) as ts.AccessorDeclaration | undefined;
      if (c && member && tsv.isIdentifier(member.name)) accesses.push({ call, constName: c, field: member.name.text, write: callee === words.write });
    }
    tsv.forEachChild(n, walk);
  };
  walk(classDecl);
  const consts = [...new Set(accesses.map((a) => a.constName))];
  const fields = [...new Set(accesses.map((a) => a.field))];
  if (consts.length === 0) throw new InputError(`${kind.name}: ${cls} has no field on a word of ${spec.page.class} (${words.readName}/${words.writeName} of this.${addr[0] ?? 'ADDR'} + OFFSET) to embed`);
  if (consts.length > 1) {
    throw new InputError(`${kind.name}: ${cls}'s fields (${fields.join(', ')}) are ${consts.length} words; a misc memdesc word (${tag.subtype}) embeds one pointer: they do not fit`);
  }
  const constDecl = classSf.statements.flatMap((s) => (tsv.isVariableStatement(s) ? [...s.declarationList.declarations] : []))
    .find((d) => tsv.isIdentifier(d.name) && d.name.text === consts[0]);
  if (!constDecl?.initializer || !tsv.isNumericLiteral(constDecl.initializer)) throw new InputError(`${kind.name}: ${consts[0]} is not a numeric constant of ${relative(root, classSf.fileName)}`);
  edits.add(classSf, constDecl.initializer.getStart(), constDecl.initializer.getEnd(), '0');
  const stmt = constDecl.parent.parent;
  const lead = stmt.getFullText().slice(0, stmt.getStart() - stmt.getFullStart());
  const m = /\/\*[^]*?\*\//.exec(lead);
  const constDoc = `/* ${cls} is embedded in the memdesc word: its field is at the word's own address. */`;
  if (m) edits.add(classSf, stmt.getFullStart() + m.index, stmt.getFullStart() + m.index + m[0].length, constDoc);
  // The class's file reaches the reader and writer by its own names (an import alias too).
  const readLocal = accesses.find((a) => !a.write)?.call.expression.getText() ?? localNameOf(classSf, words.read, s);
  for (const a of accesses) {
    const target = a.call.arguments[0]!.getText();
    if (a.write) {
      const v = a.call.arguments[1]!.getText();
      const writer = a.call.expression.getText();
      if (readLocal === undefined) {
        throw new InputError(`${kind.name}: ${relative(root, classSf.fileName)} writes ${cls}'s field without importing ${words.readName}`);
      }
      edits.add(classSf, a.call.getStart(), a.call.getEnd(), `${writer}(${target}, memdesc_misc_with_data(${readLocal}(${target}), ${v}))`);
    } else edits.add(classSf, a.call.getStart(), a.call.getEnd(), `memdesc_misc_data(${a.call.expression.getText()}(${target}))`);
  }
  const rev = reverseFieldMap(kind);
  const field = fields.join(', ');
  const was = fields.map((f) => `${spec.page.class}.${rev.get(f) ?? '?'}`).join(', ');
  const doc = `/**\n * ${cls}: the memory descriptor of ${kind.description ?? kind.name}, embedded in the memdesc word\n * (stage 2): the word is a misc word of subtype ${tag.subtype}, and ${field} (was ${was})\n * is the pointer in its data bits. No descriptor is allocated: \`addr\` is the word's address.\n */`;
  const jsdoc = tsv.getJSDocCommentsAndTags(classDecl).find(tsv.isJSDoc);
  if (jsdoc) edits.add(classSf, jsdoc.getStart(), jsdoc.getEnd(), doc);
  else edits.add(classSf, classDecl.getStart(), classDecl.getStart(), `${doc}\n`);
  // The class's file takes the codec from the memdesc header.
  const lastImport = [...classSf.statements].filter(tsv.isImportDeclaration).pop();
  const at = lastImport ? lastImport.getEnd() : 0;
  edits.add(classSf, at, at, `\nimport { memdesc_misc_data, memdesc_misc_with_data } from '${importPath(classSf.fileName, w('memdesc_misc_data'))}';`);

  // ---- the overlay assertion goes ----
  const matchName = kind.descriptor!.match ?? `${cls.toUpperCase()}_MATCH`;
  const dropped: ts.Statement[] = [];
  for (const st of classSf.statements) {
    const isMatchFn = tsv.isFunctionDeclaration(st) && st.name?.text === matchName;
    const callee = tsv.isExpressionStatement(st) && tsv.isCallExpression(st.expression) ? s.callee(st.expression) : undefined;
    const isMatchCall = !!callee && classSf.statements.some((d) => tsv.isFunctionDeclaration(d) && d.name?.text === matchName && s.of(d) === callee);
    if (isMatchFn || isMatchCall) {
      edits.add(classSf, st.getFullStart(), st.getEnd(), '');
      dropped.push(st);
    }
  }
  // Imports only the assertion used (the page's offset constant it compared with) go with it.
  const idsIn = (n: ts.Node, out: string[] = []): string[] => {
    if (tsv.isIdentifier(n)) out.push(n.text);
    tsv.forEachChild(n, (c) => { idsIn(c, out); });
    return out;
  };
  const droppedIds = new Set(dropped.flatMap((st) => idsIn(st)));
  const keptIds = new Set(classSf.statements.filter((st) => !dropped.includes(st) && !tsv.isImportDeclaration(st)).flatMap((st) => idsIn(st)));
  for (const st of classSf.statements.filter(tsv.isImportDeclaration)) {
    const named = st.importClause?.namedBindings;
    if (!named || !tsv.isNamedImports(named)) continue;
    const gone = new Set(named.elements.filter((e) => droppedIds.has(e.name.text) && !keptIds.has(e.name.text)));
    if (gone.size === 0) continue;
    if (gone.size === named.elements.length && !st.importClause!.name) edits.add(classSf, st.getFullStart(), st.getEnd(), '');
    else removeElements(classSf, named.elements, gone, edits);
  }

  // What each file imports from the new module (converters, allocation helpers): one line.
  const moduleImports = new Map<ts.SourceFile, Set<string>>();
  const fromModule = (sf: ts.SourceFile, names: string[]) => {
    if (!moduleImports.has(sf)) moduleImports.set(sf, new Set());
    for (const n of names) moduleImports.get(sf)!.add(n);
  };

  // ---- converters move to their module ----
  const convNames = new Set([fromPage, toPage]);
  const moved = moveConverters(classSf, convNames, edits, (name, p) => name === fromPage
    ? {
      doc: `/** ${fromPage}(): the ${cls} of \`${p}\`: its memdesc word (checked: a page without a ${tag.subtype} word fires VM_BUG_ON_PAGE; null stays null). */`,
      body: `{\n  return ${p} && new ${cls}(${tag.accessor}(${p}));\n}`,
    }
    : {
      doc: `/** ${toPage}(): the page whose memdesc word \`${p}\` is (null stays null). */`,
      body: `{\n  return ${p} && memdesc_misc_desc_page(${p}.addr);\n}`,
    });
  if (!moved.some((t) => t.includes(`function ${fromPage}(`))) throw new InputError(`${kind.name}: ${fromPage}() is not declared beside ${cls} in ${relative(root, classSf.fileName)}`);
  // By symbol: the converters' declarations in the class's file, and what refers to them.
  const convDecls = classSf.statements.filter((st): st is ts.FunctionDeclaration => tsv.isFunctionDeclaration(st) && !!st.name && convNames.has(st.name.text));
  const convSyms = new Set(convDecls.map((d) => s.of(d)!));
  const fromSym = s.of(convDecls.find((d) => d.name!.text === fromPage)!);
  const selfUse = classSf.statements.some((st) => !convDecls.includes(st as ts.FunctionDeclaration) && refersTo(st, convSyms, s));
  if (selfUse) throw new InputError(`${relative(root, classSf.fileName)} calls ${[...convNames].join('/')} itself: move that code first`);
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root) || sf === classSf) continue;
    for (const st of sf.statements) {
      if (!tsv.isImportDeclaration(st) || !tsv.isStringLiteral(st.moduleSpecifier)) continue;
      const target = resolveImport(program, st.moduleSpecifier.text, sf.fileName);
      if (target !== classSf.fileName) continue;
      const named = st.importClause?.namedBindings;
      if (!named || !tsv.isNamedImports(named)) continue;
      const take = named.elements.filter((e) => convSyms.has(s.at(e.name)!));
      if (take.length === 0) continue;
      if (take.length === named.elements.length && !st.importClause!.name) edits.add(sf, st.getFullStart(), st.getEnd(), '');
      else removeElements(sf, named.elements, new Set(take), edits);
      fromModule(sf, take.map((e) => e.getText()));
    }
  }

  // ---- allocation and free sites: where the code hands a page to the converter ----
  const toAddr = spec.page.addressHelpers?.toAddress ?? 'page_address';
  const fromAddr = spec.page.addressHelpers?.fromAddress ?? 'virt_to_page';
  const views: Views = { s, set: s.namedAll([fromAddr, toAddr, ...kind.converters.fromAddress, ...(kind.converters.toAddress ?? [])]) };
  // The kernel's allocator and free names stand for their declarations; calls count by symbol.
  const allocName = (c: ts.CallExpression) => s.nameIn(c, Object.keys(PAGE_ALLOCS));
  const freeName = (c: ts.CallExpression) => s.nameIn(c, Object.keys(PAGE_FREES));
  const fn = (k: string) => `${kind.name}_${k}`;
  const need = new Set<string>();
  const allocs: string[] = [];
  const frees: string[] = [];
  const replaced = new Map<ts.SourceFile, Map<ts.Symbol, number>>();
  const where = (sf: ts.SourceFile, n: ts.Node) => `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const note = (sf: ts.SourceFile, c: ts.CallExpression, helper: string) => {
    const m2 = replaced.get(sf) ?? new Map<ts.Symbol, number>();
    replaced.set(sf, m2);
    const local = s.local(c);
    if (local) m2.set(local, (m2.get(local) ?? 0) + 1);
    fromModule(sf, [helper]);
  };
  const unfollowed: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root) || sf.fileName === modFile || sf === classSf) continue;
    for (const f of functionsOf(sf)) {
      const calls = callsIn(f);
      const described = calls.filter((c) => s.callee(c) === fromSym && c.arguments.length === 1);
      if (described.length === 0) continue;
      const name = fnName(f) ?? '(anonymous)';
      const allocKeys = new Set<string>();
      for (const c of calls) {
        const callee = allocName(c) ?? '';
        const shape = PAGE_ALLOCS[callee];
        if (!shape || !tsv.isVariableDeclaration(c.parent) || !tsv.isIdentifier(c.parent.name)) continue;
        const k = s.keyOfIdentifier(c.parent.name);
        if (!described.some((d) => d.getStart() > c.getEnd() && keyOf(d.arguments[0]!, f, views) === k)) continue;
        allocKeys.add(k);
        const gfp = c.arguments[0]!.getText();
        const order = WITH_ORDER.has(callee) ? c.arguments[1]!.getText() : '0';
        const helper = shape === 'page' ? fn('alloc_pages') : fn('get_free_pages');
        need.add(fn('alloc_pages'));
        need.add(helper);
        edits.add(sf, c.getStart(), c.getEnd(), `${helper}(${gfp}, ${order})`);
        note(sf, c, helper);
        allocs.push(`${where(sf, c)} ${name}()`);
      }
      // A page given to the converter that came from an allocator here but not through a
      // variable this plan follows: refuse rather than describe a page with no word.
      for (const d of described) {
        const inner = d.arguments[0]!;
        if (tsv.isCallExpression(inner) && allocName(inner)) unfollowed.push(`${where(sf, d)}: ${name}() hands ${calleeName(inner)}()'s page straight to ${fromPage}()`);
      }
      for (const c of calls) {
        const callee = freeName(c) ?? '';
        const shape = PAGE_FREES[callee];
        if (!shape || c.arguments.length === 0) continue;
        const k = keyOf(c.arguments[0]!, f, views);
        const before = described.some((d) => d.getEnd() < c.getStart() && keyOf(d.arguments[0]!, f, views) === k
          && !!tsv.findAncestor(c, (a) => a === tsv.findAncestor(d, tsv.isBlock)));
        if (!before && !allocKeys.has(k)) continue;
        const order = WITH_ORDER.has(callee) ? c.arguments[1]!.getText() : '0';
        const helper = shape === 'page' ? fn('free_pages') : fn('free_pages_addr');
        need.add(fn('free_pages'));
        need.add(helper);
        edits.add(sf, c.getStart(), c.getEnd(), `${helper}(${c.arguments[0]!.getText()}, ${order})`);
        note(sf, c, helper);
        frees.push(`${where(sf, c)} ${name}()`);
      }
    }
  }
  if (unfollowed.length > 0) throw new CheckFailed(`${kind.name}: ${unfollowed.length} site${unfollowed.length === 1 ? '' : 's'} the separation cannot follow (first: ${unfollowed[0]}); nothing was written`);
  if (allocs.length === 0) throw new InputError(`${kind.name}: no allocation site found (a page allocation whose page the same function hands to ${fromPage}())`);
  if (!need.has(fn('free_pages'))) throw new InputError(`${kind.name}: no free site found (a free of a page handed to ${fromPage}() before it)`);
  // Allocator imports that only the rewritten calls used go.
  dropRewrittenImports(replaced, edits, s);
  addModuleImports(moduleImports, modFile, edits);

  // ---- the module ----
  const P = spec.page.class;
  const S = tag.subtype;
  const imports = new Map<string, Set<string>>();
  const use = (n: string) => {
    const file = n === cls ? classSf.fileName : index.get(n);
    if (!file) throw new InputError(`${kind.name}: ${n} not found in the tree`);
    if (!imports.has(file)) imports.set(file, new Set());
    imports.get(file)!.add(n);
  };
  for (const n of [cls, P, tag.accessor, 'memdesc_misc_desc_page']) use(n);
  const parts = [...moved];
  if (need.has(fn('alloc_pages'))) {
    for (const n of ['alloc_pages_memdesc', 'memdesc_misc', S]) use(n);
    parts.push(`/** ${fn('alloc_pages')}(): 2^order pages for ${kind.name}, each with the misc memdesc word ${S} (no descriptor to allocate: its data is in the word). */
export function ${fn('alloc_pages')}(gfp: number, order: number): ${P} | null {
  return alloc_pages_memdesc(gfp, order, memdesc_misc(${S}, order));
}`);
  }
  if (need.has(fn('get_free_pages'))) {
    use(toAddr);
    parts.push(`/** ${fn('get_free_pages')}(): ${fn('alloc_pages')}() as a direct-map address, or 0. */
export function ${fn('get_free_pages')}(gfp: number, order: number): number {
  const page = ${fn('alloc_pages')}(gfp, order);
  return page ? ${toAddr}(page) : 0;
}`);
  }
  if (need.has(fn('free_pages'))) {
    use('__free_pages_memdesc');
    parts.push(`/** ${fn('free_pages')}(): drop a reference to pages from ${fn('alloc_pages')}() (their word checked first); with the last one they go back and their words are cleared. */
export function ${fn('free_pages')}(page: ${P}, order: number): void {
  ${tag.accessor}(page);
  __free_pages_memdesc(page, order);
}`);
  }
  if (need.has(fn('free_pages_addr'))) {
    use(fromAddr);
    parts.push(`/** ${fn('free_pages_addr')}(): ${fn('free_pages')}() by direct-map address. */
export function ${fn('free_pages_addr')}(addr: number, order: number): void {
  ${fn('free_pages')}(${fromAddr}(addr), order);
}`);
  }
  const header = `/**
 * ${cls} in the memdesc word (stage 2, written by \`memdesc separate ${kind.name}\`): the pages of
 * ${kind.name} carry the misc word ${S}, whose data bits hold ${cls}'s field; ${fromPage}() reads it
 * through its checked accessor, ${toPage}() names the page whose word it is, and the pages are
 * allocated with their word and freed through __free_pages_memdesc().
 */`;
  const importLines = [...imports].map(([file, names]) => `import { ${[...names].sort().join(', ')} } from '${importPath(modFile, file)}';`);
  const texts = edits.apply(program);
  texts.set(modFile, `${header}\n${importLines.join('\n')}\n\n${parts.join('\n\n')}\n`);
  return {
    ...base, texts, already: false, sites: { allocs, frees },
    layout: fields.map((f) => ({ field: f, offset: 0, bytes: 0, was: rev.get(f) ?? '?' })),
    embedded: { subtype: S, field },
  };
}
