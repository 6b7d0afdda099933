/**
 * Scaffold ("pgtable: Create struct ptdesc"): from a kind's spec, create its descriptor class
 * as an overlay view on the page's memory (same address; each field at the byte offset of the
 * page word the spec maps it to, read and written exactly like the page's own accessor), the
 * converters (page_ptdesc / ptdesc_page, null-preserving casts; virt_to_ptdesc / ptdesc_address
 * next to the page's address helpers) and a load-time MATCH assert (the kernel's TABLE_MATCH)
 * comparing each descriptor offset with the offset the page class itself uses. Kinds without a
 * descriptor (buddy) get their names as extra page members over the same words instead.
 */
import { dirname, join } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import { InputError } from '../errors.ts';
import { pageField } from '../model/page-layout.ts';
import { extensionStyle, moduleSpecifier } from './imports.ts';
import { classWord, classWords, upperName, type KindPlan } from './kinds.ts';
import { moduleNames } from './hoist.ts';
import { declarationLines } from './retire.ts';
import { copyAccessor, PageClass, specOffset, staticValue, wrap } from './pageClass.ts';
import type { EditSet } from './splices.ts';

interface Needed {
  /** module file -> names */
  imports: Map<string, Set<string>>;
}

function needName(n: Needed, module: string, name: string): void {
  let s = n.imports.get(module);
  if (!s) n.imports.set(module, (s = new Set()));
  s.add(name);
}

/** Identifiers a copied accessor body uses, resolved to their modules (for imports in the new place). */
function collectImports(ctx: AnalysisContext, node: ts.Node, skip: Set<string>, out: Needed, target: string): void {
  const visit = (n: ts.Node): void => {
    if (tsv.isIdentifier(n) && !skip.has(n.text) && !(tsv.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
      const sym = ctx.symbolOf(n);
      const d = sym?.declarations?.[0];
      const sf = d?.getSourceFile();
      if (sf && !sf.isDeclarationFile && sf.fileName !== target && isTopLevel(d!)) needName(out, sf.fileName, n.text);
    }
    tsv.forEachChild(n, visit);
  };
  visit(node);
}

function isTopLevel(d: ts.Node): boolean {
  let p = d.parent;
  if (p && tsv.isVariableDeclarationList(p)) p = p.parent?.parent;
  return !!p && tsv.isSourceFile(p);
}

export interface ScaffoldPlan {
  kinds: KindPlan[];
  /** Converter name -> file it lives in (existing or created). */
  names: Map<string, string>;
  /** Descriptor class -> file. */
  classFiles: Map<KindPlan, string>;
  /** The file of the page's address helpers (where address converters go), if any. */
  addressFile?: string;
}

export interface ScaffoldOutput {
  newFiles: Map<string, string>;
  /** What was created, for the report. */
  created: string[];
}

/** Where each kind's class and converters live (existing declarations win). */
export function planModules(ctx: AnalysisContext, kinds: KindPlan[]): ScaffoldPlan {
  const fns = new Map<string, string>();
  for (const sf of ctx.files) {
    for (const st of sf.statements) {
      if (tsv.isFunctionDeclaration(st) && st.name && !fns.has(st.name.text)) fns.set(st.name.text, sf.fileName);
    }
  }
  const helpers = ctx.spec.page.addressHelpers;
  const addressFile = (helpers?.fromAddress && fns.get(helpers.fromAddress)) || (helpers?.toAddress && fns.get(helpers.toAddress)) || undefined;
  const names = new Map<string, string>();
  const classFiles = new Map<KindPlan, string>();
  for (const k of kinds) {
    if (!k.desc) continue;
    const existing = [...ctx.descDecls].find(([, kk]) => kk.name === k.name)?.[0];
    const classFile = existing ? existing.getSourceFile().fileName : join(ctx.root, k.placement);
    classFiles.set(k, classFile);
    names.set(k.fromPage, fns.get(k.fromPage) ?? classFile);
    names.set(k.toPage, fns.get(k.toPage) ?? classFile);
    for (const n of [k.fromAddress, k.toAddress]) if (n) { const f = fns.get(n) ?? addressFile; if (f) names.set(n, f); }
  }
  return { kinds, names, classFiles, ...(addressFile ? { addressFile } : {}) };
}

/**
 * Create what `used` kinds need and does not exist yet. Imports into existing files are added
 * to `imports` (file -> module -> names) for the caller to emit with its own.
 */
export function scaffold(ctx: AnalysisContext, plan: ScaffoldPlan, used: KindPlan[], edits: EditSet,
  imports: Map<string, Map<string, Set<string>>>): ScaffoldOutput {
  const page = new PageClass(ctx);
  const out: ScaffoldOutput = { newFiles: new Map(), created: [] };
  const fns = new Set<string>();
  for (const sf of ctx.files) for (const st of sf.statements) if (tsv.isFunctionDeclaration(st) && st.name) fns.add(st.name.text);
  const blocks = new Map<string, { text: string[]; need: Needed }>();
  const block = (file: string) => {
    let b = blocks.get(file);
    if (!b) blocks.set(file, (b = { text: [], need: { imports: new Map() } }));
    return b;
  };
  const pageFile = page.sf.fileName;
  const P = ctx.spec.page.class;

  for (const k of used) {
    if (!k.desc) {
      renameMembers(ctx, page, k, edits, out);
      continue;
    }
    const classFile = plan.classFiles.get(k)!;
    const exists = [...ctx.descDecls.values()].some((kk) => kk.name === k.name);
    const b = block(classFile);
    const view = viewOf(page, k);
    if (!exists) {
      b.text.push(view ? viewClass(ctx, page, k, view, classFile, b.need) : descriptorClass(ctx, page, k, classFile, b.need));
      out.created.push(`${k.desc} in ${rel(ctx, classFile)}`);
    }
    const conv: string[] = [];
    if (view) {
      if (!fns.has(k.fromPage)) conv.push(castFn(k.fromPage, P, k.pageWord, k.desc, `new ${k.desc}(${k.pageWord})`, `the ${k.desc} view of \`${k.pageWord}\` (a new view of the same ${P}`));
      if (!fns.has(k.toPage)) conv.push(castFn(k.toPage, k.desc, k.variable, P, `${k.variable}.${view}`, `the ${P} that \`${k.variable}\` views (a cast`));
    } else {
      if (!fns.has(k.fromPage)) conv.push(castFn(k.fromPage, P, k.pageWord, k.desc, `new ${k.desc}(${k.pageWord}.${page.addr})`, `the ${k.desc} overlaying \`${k.pageWord}\` (a cast: the same address`));
      if (!fns.has(k.toPage)) conv.push(castFn(k.toPage, k.desc, k.variable, P, `new ${P}(${k.variable}.${page.addr})`, `the ${P} that \`${k.variable}\` overlays (a cast: the same address`));
    }
    if (conv.length) {
      if (classFile !== pageFile) needName(b.need, pageFile, P);
      b.text.push(conv.join('\n'));
      out.created.push(`${[!fns.has(k.fromPage) && k.fromPage, !fns.has(k.toPage) && k.toPage].filter(Boolean).join(', ')} in ${rel(ctx, classFile)}`);
    }
    if (plan.addressFile) {
      const ab = block(plan.addressFile);
      const made = addressConverters(ctx, k, fns, ab.need, plan, classFile);
      if (made.text) {
        ab.text.push(made.text);
        out.created.push(`${made.names.join(', ')} in ${rel(ctx, plan.addressFile)}`);
      }
    }
  }

  // What the copied accessors use must be importable: a file-local constant or helper of the
  // class's module (const A_OFFSET = 4) gets `export` (adding an export changes no behaviour).
  for (const [file, b] of blocks) {
    if (b.text.length === 0) continue;
    for (const [mod, names] of b.need.imports) {
      const msf = mod === file ? undefined : ctx.program.getSourceFile(mod);
      if (msf) for (const n of names) exportTopLevel(msf, n, edits);
    }
  }
  for (const [file, b] of blocks) {
    if (b.text.length === 0) continue;
    const body = b.text.join('\n');
    const sf = ctx.program.getSourceFile(file);
    if (!sf) {
      const ext = extensionStyle(undefined);
      let head = `/**\n * Memory descriptors overlaying ${P}, created by \`memdesc convert\`.\n */\n`;
      for (const [mod, names] of [...b.need.imports].sort(([a], [c]) => (a < c ? -1 : 1))) {
        head += `import { ${[...names].join(', ')} } from '${moduleSpecifier(file, mod, styleFor(ctx, file) ?? ext)}';\n`;
      }
      out.newFiles.set(file, `${head}\n${body}`);
      continue;
    }
    const e = edits.for(file);
    for (const [mod, names] of b.need.imports) {
      if (mod === file) continue;
      let m = imports.get(file);
      if (!m) imports.set(file, (m = new Map()));
      let set = m.get(mod);
      if (!set) m.set(mod, (set = new Set()));
      for (const n of names) set.add(n);
    }
    // After the page class in its own file; after the page's address helpers; else at the end.
    let pos = sf.text.length;
    let lead = '\n';
    if (file === pageFile) pos = page.decl.end;
    else if (file === plan.addressFile) pos = lastHelperEnd(ctx, sf) ?? pos;
    if (pos === sf.text.length && !sf.text.endsWith('\n')) lead = '\n\n';
    else if (pos !== sf.text.length) lead = '\n\n';
    e.insert(pos, pos === sf.text.length ? `${lead === '\n' ? '\n' : lead}${body}` : `${lead}${body.replace(/\n$/, '')}`, 1e9);
  }
  return out;
}

function exportTopLevel(sf: ts.SourceFile, name: string, edits: EditSet): void {
  for (const st of sf.statements) {
    const declares = ((tsv.isFunctionDeclaration(st) || tsv.isClassDeclaration(st)) && st.name?.text === name) ||
      (tsv.isVariableStatement(st) && st.declarationList.declarations.some((d) => tsv.isIdentifier(d.name) && d.name.text === name));
    if (!declares) continue;
    if (tsv.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword)) return;
    // `export { A_OFFSET }` elsewhere in the file counts too.
    if (sf.statements.some((o) => tsv.isExportDeclaration(o) && !o.moduleSpecifier && o.exportClause && tsv.isNamedExports(o.exportClause) &&
      o.exportClause.elements.some((e) => (e.propertyName ?? e.name).text === name))) return;
    edits.for(sf.fileName).insert(st.getStart(sf), 'export ', 0);
    return;
  }
}

function styleFor(ctx: AnalysisContext, file: string): '.ts' | '.js' | '' | undefined {
  const near = ctx.files.find((sf) => dirname(sf.fileName) === dirname(file)) ?? ctx.files[0];
  return near ? extensionStyle(near) : undefined;
}

function rel(ctx: AnalysisContext, file: string): string {
  return file.startsWith(`${ctx.root}/`) ? file.slice(ctx.root.length + 1) : file;
}

function lastHelperEnd(ctx: AnalysisContext, sf: ts.SourceFile): number | undefined {
  const h = ctx.spec.page.addressHelpers;
  let end: number | undefined;
  for (const st of sf.statements) {
    if (tsv.isFunctionDeclaration(st) && st.name && (st.name.text === h?.fromAddress || st.name.text === h?.toAddress)) end = Math.max(end ?? 0, st.end);
  }
  return end;
}

/** A null-preserving converter; `what` ends inside the parenthesis its comment closes. */
function castFn(name: string, from: string, param: string, to: string, value: string, what: string): string {
  const note = what.includes('(') ? `${what}; null stays null)` : `${what} (null stays null)`;
  return `/** ${name}(): ${note}. */\n` +
    `export function ${name}(${param}: ${from}): ${to};\n` +
    `export function ${name}(${param}: ${from} | null): ${to} | null;\n` +
    `export function ${name}(${param}: ${from} | null | undefined): ${to} | null | undefined;\n` +
    `export function ${name}(${param}: ${from} | null | undefined): ${to} | null | undefined {\n` +
    `  return ${param} && ${value};\n}\n`;
}

/**
 * The member a view descriptor keeps its object in, when the kind maps a plain field of the
 * class (no getter reading a word at its address: nothing to overlay, `next = 0`): a view
 * holding the object, each descriptor field reading and writing the object's. Undefined: an
 * overlay at the object's address (every mapped field is an accessor of a word).
 */
function viewOf(page: PageClass, k: KindPlan): string | undefined {
  if (![...k.fields.keys()].some((raw) => !page.accessor(raw).get && page.property(raw))) return undefined;
  const taken = new Set([...k.fields.values()].flat());
  let name = k.pageWord;
  while (taken.has(name)) name = `${name}_`;
  return name;
}

function viewClass(ctx: AnalysisContext, page: PageClass, k: KindPlan, ref: string, file: string, need: Needed): string {
  const D = k.desc!;
  const P = ctx.spec.page.class;
  const ind = page.indent;
  const members: string[] = [];
  const layout: string[] = [];
  if (file !== page.sf.fileName) needName(need, page.sf.fileName, P);
  for (const [raw, tos] of k.fields) {
    const acc = page.accessor(raw);
    const prop = page.property(raw);
    if (!acc.get && !prop) throw new InputError(`cannot create ${D}: ${P} has no field or getter '${raw}' to view`);
    const writable = prop ? prop.writable : !!acc.set;
    for (const d of tos) {
      layout.push(` *   ${d.padEnd(18)} (${P}.${raw})`);
      members.push(`${ind}get ${d}(): ${P}['${raw}'] {\n${ind}${ind}return this.${ref}.${raw};\n${ind}}` +
        (writable ? `\n${ind}set ${d}(v: ${P}['${raw}']) {\n${ind}${ind}this.${ref}.${raw} = v;\n${ind}}` : ''));
    }
  }
  const desc = k.spec.description ?? `${k.name} ${classWords(ctx.spec)}`;
  const about = wrap(`${D}: the memory descriptor of ${desc}. A typed view of a ${P}: each field is the ${P} field it replaces (the ${P} keeps the storage; \`${ref}\` is the ${P} viewed).`, 96);
  return `/**\n${about.map((l) => ` * ${l}`).join('\n')}\n${layout.join('\n')}\n */\n` +
    `export class ${D} {\n${ctor(ctx, ref, P, ind)}\n\n${members.join('\n\n')}\n}\n`;
}

function descriptorClass(ctx: AnalysisContext, page: PageClass, k: KindPlan, file: string, need: Needed): string {
  const D = k.desc!;
  const P = ctx.spec.page.class;
  const ind = page.indent;
  const consts: string[] = [];
  const members: string[] = [];
  const matches: string[] = [];
  const layout: string[] = [];
  const embedded: string[] = [];
  const taken = ctx.program.getSourceFile(file) ? moduleNames(ctx.program.getSourceFile(file)!) : new Set<string>();
  for (const [raw, tos] of k.fields) {
    const pf = pageField(ctx.spec, raw)!;
    const acc = page.accessor(raw);
    if (!acc.get) throw new InputError(`cannot create ${D}: ${P} has no getter for field '${raw}' to overlay`);
    const want = specOffset(ctx, raw);
    if (!acc.offset) throw new InputError(`cannot create ${D}: ${P}.${raw} does not read \`this.${page.addr} + OFFSET\`, so its word cannot be overlaid`);
    const have = staticValue(ctx, acc.offset);
    if (have !== undefined && have !== want) {
      throw new InputError(`spec puts ${P} field '${raw}' at byte ${want} (word ${pf.words[0]}), but ${P}.${raw} uses offset ${have}: fix the spec's word layout`);
    }
    const words = pf.words.length > 1 ? `w${pf.words[0]}-w${pf.words[pf.words.length - 1]}` : `w${pf.words[0]}${pf.bits ? ` bits ${pf.bits}` : ''}`;
    for (const d of tos) {
      const c = `${upperName(k.style, D)}_${upperName(k.style, d)}_OFFSET`;
      if (taken.has(c)) throw new InputError(`cannot create ${D}: ${c} is already declared in ${file}`);
      consts.push(`const ${c} = ${want};`);
      layout.push(` *   ${words.padEnd(8)} ${d.padEnd(18)} (${P}.${raw})`);
      members.push(`${ind}${copyAccessor(page.sf, acc.get, d, page.addr, c)}${acc.set ? `\n${ind}${copyAccessor(page.sf, acc.set, d, page.addr, c)}` : ''}`);
      collectImports(ctx, acc.get, new Set([page.addr]), need, file);
      if (acc.set) collectImports(ctx, acc.set, new Set([page.addr, ...acc.set.parameters.map((p) => p.name.getText())]), need, file);
      collectImports(ctx, acc.offset, new Set(), need, file);
      matches.push(`${k.match}(${acc.offset.getText(page.sf)}, ${c}, '${raw}, ${d}');`);
      if (pf.embedded) embedded.push(`${d}: ${c}`);
    }
  }
  const desc = k.spec.description ?? `${k.name} ${classWords(ctx.spec)}`;
  const om = page.offsetMember();
  const table = embedded.length > 0 && om
    ? `\n${ind}/** offsetof(${D}, member) for the embedded list heads (container_of). */\n${ind}static readonly ${om.name} = { ${embedded.join(', ')} } as const;\n` : '';
  const about = wrap(`${D}: the memory descriptor of ${desc}. It overlays ${P}: the same address, and each field on the ${P} word it replaces (${k.match} checks this when the module loads).`, 96);
  return `/* Byte offsets of ${D}'s fields: the ${P} words they overlay. */\n${consts.join('\n')}\n\n` +
    `/**\n${about.map((l) => ` * ${l}`).join('\n')}\n${layout.join('\n')}\n */\n` +
    `export class ${D} {\n${ctor(ctx, page.addr, 'number', ind)}\n${table}\n${members.join('\n\n')}\n}\n\n` +
    `/** ${k.match}: a ${D} field must sit on the ${P} word it replaces. */\n` +
    `function ${k.match}(${k.pageWord}: number, ${k.variable}: number, fields: string): void {\n` +
    `${ind}if (${k.pageWord} !== ${k.variable}) throw new Error(\`${k.match}(\${fields}): ${P} offset \${${k.pageWord}} != ${D} offset \${${k.variable}}\`);\n}\n` +
    `${matches.join('\n')}\n`;
}

/** The descriptor's constructor: a parameter property, unless the project allows only erasable syntax. */
function ctor(ctx: AnalysisContext, name: string, type: string, ind: string): string {
  if (!ctx.program.getCompilerOptions().erasableSyntaxOnly) return `${ind}constructor(readonly ${name}: ${type}) {}`;
  return `${ind}readonly ${name}: ${type};\n\n${ind}constructor(${name}: ${type}) {\n${ind}${ind}this.${name} = ${name};\n${ind}}`;
}

function addressConverters(ctx: AnalysisContext, k: KindPlan, fns: Set<string>, need: Needed, plan: ScaffoldPlan, classFile: string): { text: string; names: string[] } {
  const h = ctx.spec.page.addressHelpers ?? {};
  const file = plan.addressFile!;
  const sf = ctx.program.getSourceFile(file)!;
  const decl = (name?: string) => sf.statements.find((s): s is ts.FunctionDeclaration => tsv.isFunctionDeclaration(s) && s.name?.text === name);
  const parts: string[] = [];
  const names: string[] = [];
  const D = k.desc!;
  const from = decl(h.fromAddress);
  if (k.fromAddress && !fns.has(k.fromAddress) && from) {
    const params = from.parameters.map((p) => p.getText(sf)).join(', ');
    const args = from.parameters.map((p) => p.name.getText(sf)).join(', ');
    parts.push(`/** ${k.fromAddress}(): the ${D} of the ${classWord(ctx.spec)} at \`${args}\` (${h.fromAddress}() then ${k.fromPage}()). */\n` +
      `export function ${k.fromAddress}(${params}): ${D} {\n  return ${k.fromPage}(${h.fromAddress}(${args}));\n}\n`);
    names.push(k.fromAddress);
    if (classFile !== file) { needName(need, classFile, D); needName(need, classFile, k.fromPage); }
  }
  const to = decl(h.toAddress);
  if (k.toAddress && !fns.has(k.toAddress) && to) {
    const ret = to.type ? `: ${to.type.getText(sf)}` : '';
    parts.push(`/** ${k.toAddress}(): the address of the ${classWord(ctx.spec)} \`${k.variable}\` overlays (${k.toPage}() then ${h.toAddress}()). */\n` +
      `export function ${k.toAddress}(${k.variable}: ${D})${ret} {\n  return ${h.toAddress}(${k.toPage}(${k.variable}));\n}\n`);
    names.push(k.toAddress);
    if (classFile !== file) { needName(need, classFile, D); needName(need, classFile, k.toPage); }
  }
  return { text: parts.join('\n'), names };
}

/** buddy: page.buddy_list / page.order, the same words as lru / private, as page members. */
function renameMembers(ctx: AnalysisContext, page: PageClass, k: KindPlan, edits: EditSet, out: ScaffoldOutput): void {
  const e = edits.for(page.sf.fileName);
  const made: string[] = [];
  const table = page.table(edits);
  for (const [raw, tos] of k.fields) {
    const acc = page.accessor(raw);
    if (!acc.get) throw new InputError(`cannot add ${k.name} names: ${ctx.spec.page.class} has no getter for '${raw}'`);
    for (const to of tos) {
      if (to === raw || page.accessor(to).get) continue;
      const ind = page.indent;
      // Before the raw member (which retire may remove): the new name takes its place.
      let text = `${ind}/** ${k.name}: ${to}, the same words as ${raw}. */\n${ind}${copyAccessor(page.sf, acc.get, to, page.addr, undefined)}`;
      if (acc.set) text += `\n${ind}${copyAccessor(page.sf, acc.set, to, page.addr, undefined)}`;
      e.insert(declarationLines(page.sf, acc.get)[0], `${text}\n\n`, -1e8);
      made.push(to);
      const pf = pageField(ctx.spec, raw);
      const entry = table?.entries.find(([k]) => k === raw);
      if (pf?.embedded && entry) table!.add.push([to, entry[1]]);
    }
  }
  if (made.length) out.created.push(`${ctx.spec.page.class}.${made.join(`, ${ctx.spec.page.class}.`)} (${k.name})`);
}

