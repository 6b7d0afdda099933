/**
 * `memdesc shrink`: remove from the spec's class (struct page) every word no code uses any more,
 * pack the words that remain, and update the size the memmap is carved at. Library code: plans
 * from the program (shrinkLayout.ts reads the layout from the class's code, shrinkUses.ts finds who
 * uses each word), rewrites the one file that declares the layout (offset constants renumbered,
 * members of removed words gone, literal `this.addr + N` offsets moved, the size constant and its
 * shift), drops imports of removed constants elsewhere, checks the result type-checks and that a
 * second run removes nothing more, then returns the diff or writes all files or none under the
 * contract of `convert --write` (lock, recovery, clean git tree, staged atomic write).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { analyzeDetailed } from '../analyzers/analyze.ts';
import { loadProgram } from '../analyzers/project.ts';
import { writeAtomic } from '../commands/write-atomic.ts';
import { CheckFailed, InputError, UsageError } from '../errors.ts';
import type { Spec } from '../model/spec.ts';
import { formatError, typeErrors } from '../rewrite/check.ts';
import { unifiedDiff } from '../rewrite/diff.ts';
import { writeAll, type Recovery } from '../rewrite/staging.ts';
import { openWriteGate } from '../rewrite/writeGate.ts';
import { overlayProgram } from '../ts/programs.ts';
import { readLayout, type ClassLayout } from './shrinkLayout.ts';
import { findUses, projectFiles, type WordUse } from './shrinkUses.ts';

export interface ShrinkOptions {
  path: string;
  spec: Spec;
  write?: boolean;
  force?: boolean;
  /** The spec's own file (never the built-in one), for `writeSpec`. */
  specFile?: string;
  /** Also write the spec's page fields with their new words (the user asked for it by name). */
  writeSpec?: boolean;
}

export interface ShrinkWord {
  word: number;
  /** Fields of the spec on it, as the code places them. */
  fields: string[];
  /** Its word after the shrink; null when it goes. */
  to: number | null;
  uses: WordUse[];
}

export interface ShrinkPlan {
  root: string;
  className: string;
  /** The file declaring the class, relative to the root. */
  layoutFile: string;
  wordSize: number;
  oldSize: number;
  newSize: number;
  /** The constant holding sizeof (null: the code has none, e.g. a class of plain fields). */
  sizeConstant: string | null;
  words: ShrinkWord[];
  removed: Array<{ field: string; words: number[]; reason: string }>;
  moved: Array<{ field: string; from: number[]; to: number[] }>;
  /** Kinds with a descriptor whose fields still live in the class, with their uses' count. */
  pendingKinds: Record<string, number>;
  /** The spec's page.fields after the shrink (words renumbered; removed fields gone). */
  specFields: Record<string, { words: number[]; bits?: string; embedded?: boolean; track: string }>;
  /** Where the spec disagrees with the code (a spec left stale by an earlier shrink). */
  specMismatch: string[];
}

export interface ShrinkResult extends ShrinkPlan {
  diff: string;
  files: Array<{ file: string; status: 'modified' }>;
  written: boolean;
  recovered: Recovery[];
  /** The spec file written with the new field table, relative to the current directory. */
  specWritten?: string;
}

/** The spec file's text with its class's fields on their new words (removed fields dropped). */
export function specWithFields(text: string, file: string, plan: ShrinkPlan): string {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message}); the spec was not written`);
  }
  const key = json.object !== undefined ? 'object' : 'page';
  const cls = json[key] as { fields?: Record<string, Record<string, unknown>> } | undefined;
  if (!cls || typeof cls.fields !== 'object' || cls.fields === null) {
    throw new InputError(`${file} has no "${key}.fields" of its own (it inherits them): copy the table shrink prints into it instead; the spec was not written`);
  }
  const fields: Record<string, Record<string, unknown>> = {};
  for (const [name, f] of Object.entries(cls.fields)) {
    const now = plan.specFields[name];
    if (!now) continue;
    fields[name] = { ...f, words: now.words };
  }
  cls.fields = fields;
  // A kind's map of a removed field goes with it (its descriptor field lives in the descriptor now).
  for (const k of Array.isArray(json.kinds) ? json.kinds as Array<{ fields?: Record<string, unknown> | unknown[] }> : []) {
    if (!k.fields || typeof k.fields !== 'object') continue;
    if (Array.isArray(k.fields)) k.fields = k.fields.filter((e) => !(e && typeof e === 'object' && 'field' in e && !(String((e as { field: unknown }).field) in fields)));
    else for (const name of Object.keys(k.fields)) if (!(name in fields) && plan.removed.some((r) => r.field === name)) delete k.fields[name];
  }
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
  // Word lists stay on one line, as people write them.
  return `${JSON.stringify(json, null, indent).replace(/\[\s+(-?\d+(?:,\s+-?\d+)*)\s+\]/g, (_, xs: string) => `[${xs.split(/,\s+/).join(', ')}]`)}\n`;
}

/** Plan (and the new texts) on a program; `withAnalysis` adds the analyzer's kinds and residue. */
export function planShrink(program: ts.Program, root: string, spec: Spec, withAnalysis = true): { plan: ShrinkPlan; texts: Map<string, string>; layout: ClassLayout } {
  const layout = readLayout(program, root, spec);
  let findings: Parameters<typeof findUses>[3]['findings'];
  let residue: Parameters<typeof findUses>[3]['residue'];
  if (withAnalysis) {
    const det = analyzeDetailed(program, root, { spec });
    const broken = [...det.broken].map((sf) => det.ctx.rel(sf)).sort();
    if (broken.length > 0) throw new InputError(`${broken[0]} does not parse: shrink cannot tell what it uses; fix it first`);
    findings = det.result.findings;
    residue = det.result.residue;
  }
  const found = findUses(program, root, layout, { spec, findings, residue });
  // Code that enumerates an offset table of the class takes whatever entries the layout has and,
  // for a word the layout no longer has, answers from the page's state: right only for pages that
  // carry a memdesc word. A kind still in the class (pending) has pages without one, whose words
  // hold live data, so while any kind is pending the table's entries pin their words.
  const pendingNow = new Set(found.filter((u) => u.kind).map((u) => u.kind!));
  const uses = pendingNow.size > 0
    ? found.map((u) => u.how === 'enumerated' ? { ...u, text: `${u.text} (kept while ${[...pendingNow].sort().join(', ')} ${pendingNow.size === 1 ? 'is' : 'are'} not separated)` } : u)
    : found.filter((u) => u.how !== 'enumerated');
  const byWord = new Map<number, WordUse[]>();
  for (const w of layout.wordList) byWord.set(w, []);
  for (const u of uses) for (const w of u.words) byWord.get(w)?.push(u);
  let next = 0;
  const to = new Map<number, number | null>();
  for (const w of layout.wordList) to.set(w, byWord.get(w)!.length > 0 ? next++ : null);
  const fieldsOn = (w: number) => spec.page.fields.filter((f) => layout.fieldWords.get(f.name)?.includes(w)).map((f) => f.name);
  const words: ShrinkWord[] = [...byWord].map(([word, u]) => ({ word, fields: fieldsOn(word), to: to.get(word)!, uses: u }));
  const removed: ShrinkPlan['removed'] = [];
  const moved: ShrinkPlan['moved'] = [];
  const specFields: ShrinkPlan['specFields'] = {};
  for (const f of spec.page.fields) {
    const ws = layout.fieldWords.get(f.name) ?? f.words;
    const nw = ws.map((w) => to.get(w));
    if (nw.every((x) => x === null || x === undefined)) {
      const refs = layout.members.get(f.name) ? `no reference to ${layout.className}.${f.name} outside the class` : 'no member reads it';
      removed.push({ field: f.name, words: ws, reason: `no access left: ${refs}, no offset constant of w${ws.join('-w')} used, no residue of the analysis on it` });
      continue;
    }
    const kept = nw.filter((x): x is number => typeof x === 'number');
    if (kept.join() !== ws.join()) moved.push({ field: f.name, from: ws, to: kept });
    specFields[f.name] = { words: kept, ...(f.bits ? { bits: f.bits } : {}), ...(f.embedded ? { embedded: true } : {}), track: f.track };
  }
  const pendingKinds: Record<string, number> = {};
  for (const u of uses) if (u.kind) pendingKinds[u.kind] = (pendingKinds[u.kind] ?? 0) + 1;
  const plan: ShrinkPlan = {
    root, className: layout.className, layoutFile: relative(root, layout.sf.fileName).split('\\').join('/'),
    wordSize: layout.wordSize, oldSize: layout.words * layout.wordSize, newSize: next * layout.wordSize, sizeConstant: layout.size?.name ?? null,
    words, removed, moved, pendingKinds, specFields, specMismatch: layout.specMismatch,
  };
  const texts = next < layout.words ? rewrite(program, root, layout, to, uses) : new Map<string, string>();
  return { plan, texts, layout };
}

interface Edit { start: number; end: number; text: string }

function applyEdits(text: string, edits: Edit[]): string {
  // Removals side by side (members of removed words one after another) may each take the blank
  // line between them: one removal of their union.
  const merged: Edit[] = [];
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && last.text === '' && e.text === '' && e.start < last.end) last.end = Math.max(last.end, e.end);
    else merged.push({ ...e });
  }
  const sorted = merged.sort((a, b) => b.start - a.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.end > sorted[i - 1]!.start) throw new Error('shrink: overlapping edits');
  }
  for (const e of sorted) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}

/**
 * [start, end) of a declaration with its own doc comment, its whole lines and one blank line of
 * the two around it. Other comments before it (a file header, a section comment) stay.
 */
function wholeRange(n: ts.Node, last: ts.Node = n): { start: number; end: number } {
  const sf = n.getSourceFile();
  const text = sf.text;
  const docs = (n as { jsDoc?: ts.JSDoc[] }).jsDoc;
  let start = docs?.length ? docs[0]!.getStart(sf) : n.getStart(sf);
  let end = last.end;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (/^[ \t]*$/.test(text.slice(lineStart, start))) start = lineStart;
  const nl = text.indexOf('\n', end);
  if (nl >= 0 && /^[ \t]*$/.test(text.slice(end, nl))) end = nl + 1;
  // A blank line before and after: one of them goes too.
  if (start >= 2 && text[start - 1] === '\n' && text[start - 2] === '\n' && /^[ \t]*\n/.test(text.slice(end))) {
    end += /^[ \t]*\n/.exec(text.slice(end))![0].length;
  } else if (start >= 2 && text[start - 1] === '\n' && text[start - 2] === '\n' && /^[ \t]*\}/.test(text.slice(end))) {
    start -= 1; // the last member: no blank line before the closing brace
  }
  return { start, end };
}

function rewrite(program: ts.Program, root: string, layout: ClassLayout, to: Map<number, number | null>, uses: WordUse[]): Map<string, string> {
  const checker = program.getTypeChecker();
  const { sf, wordSize } = layout;
  const rel = relative(root, sf.fileName);
  const edits: Edit[] = [];
  const gone = (w: number) => to.get(w) === null;
  const newOffset = (v: number) => to.get(Math.floor(v / wordSize))! * wordSize + (v % wordSize);
  // A word read by a numeric offset outside the layout cannot follow a move.
  const stuck = uses.filter((u) => u.how === 'by-offset' && u.words.some((w) => to.get(w) !== w));
  if (stuck.length > 0) {
    const u = stuck[0]!;
    throw new CheckFailed(`${u.file}:${u.line}:${u.column}: \`${u.text}\` reads w${u.words[0]} of ${layout.className} by a number, outside the layout; the word would move to w${to.get(u.words[0]!)} and it would read another: use a member or an offset constant of ${rel}${stuck.length > 1 ? ` (and ${stuck.length - 1} more)` : ''}; nothing was written`);
  }
  // Members: those touching a removed word go (a container_of table loses only its entries).
  for (const lm of layout.members.values()) {
    const table = lm.decls.find((d): d is ts.PropertyDeclaration => tsv.isPropertyDeclaration(d) && !!d.initializer && lm.offsets.length === 0);
    if (table) {
      let init: ts.Expression = table.initializer!;
      while (tsv.isAsExpression(init) || tsv.isSatisfiesExpression(init) || tsv.isParenthesizedExpression(init)) init = init.expression;
      if (tsv.isObjectLiteralExpression(init)) {
        // Every entry goes: the table is empty, `{}`.
        if (init.properties.length > 0 && init.properties.every((p) => constWords(p, layout).some(gone))) {
          edits.push({ start: init.getStart(sf), end: init.end, text: '{}' });
          continue;
        }
        for (const p of init.properties) {
          const ws = constWords(p, layout);
          if (!ws.some(gone)) continue;
          // The entry and one separating comma.
          const i = init.properties.indexOf(p);
          const ps = init.properties;
          if (i < ps.length - 1) edits.push({ start: p.getStart(sf), end: ps[i + 1]!.getStart(sf), text: '' });
          else if (i > 0 && !constWords(ps[i - 1]!, layout).some(gone)) edits.push({ start: ps[i - 1]!.end, end: p.end, text: '' });
          else edits.push({ start: p.getStart(sf), end: p.end, text: '' });
        }
        continue;
      }
    }
    if ([...lm.words].some(gone)) {
      // A getter and its setter side by side go as one block.
      const idx = lm.decls.map((d) => layout.decl.members.indexOf(d)).sort((a, b) => a - b);
      if (idx.every((x, i) => i === 0 || x === idx[i - 1]! + 1)) {
        edits.push({ ...wholeRange(layout.decl.members[idx[0]!]!, layout.decl.members[idx[idx.length - 1]!]!), text: '' });
      } else for (const d of lm.decls) edits.push({ ...wholeRange(d), text: '' });
      continue;
    }
    for (const o of lm.offsets) {
      const nv = newOffset(o.value);
      if (nv === o.value) continue;
      if (tsv.isNumericLiteral(o.expr)) edits.push({ start: o.expr.getStart(sf), end: o.expr.end, text: String(nv) });
      else if (!(tsv.isIdentifier(o.expr) && layout.consts.has(o.expr.text))) {
        throw new InputError(`${rel}: ${layout.className}.${lm.name} reads at \`this.${layout.addr} + ${o.expr.getText(sf)}\`, which shrink cannot renumber (a number or one offset constant); nothing was written`);
      }
    }
  }
  // Offset constants: removed with their word, else renumbered.
  const removedConsts = new Set<string>();
  const statements = new Map<ts.VariableStatement, { all: number; gone: number }>();
  for (const c of layout.consts.values()) {
    const s = statements.get(c.statement) ?? { all: c.statement.declarationList.declarations.length, gone: 0 };
    statements.set(c.statement, s);
    if (gone(c.word)) {
      removedConsts.add(c.name);
      s.gone++;
      continue;
    }
    const nv = newOffset(c.value);
    if (nv === c.value) continue;
    const init = c.decl.initializer!;
    if (!tsv.isNumericLiteral(init)) throw new InputError(`${rel}: ${c.name} = ${init.getText(sf)} is not a number shrink can renumber; nothing was written`);
    edits.push({ start: init.getStart(sf), end: init.end, text: String(nv) });
  }
  for (const [st, s] of statements) {
    if (s.gone === 0) continue;
    if (s.gone !== s.all) throw new InputError(`${rel}: \`${st.getText(sf).split('\n')[0]}\` declares kept and removed offsets together; split it first; nothing was written`);
    edits.push({ ...wholeRange(st), text: '' });
  }
  // The size, and its shift when there is one.
  const kept = [...to.values()].filter((x) => x !== null).length;
  const newSize = kept * wordSize;
  if (layout.size) edits.push({ start: layout.size.decl.initializer!.getStart(sf), end: layout.size.decl.initializer!.end, text: String(newSize) });
  if (layout.size && layout.shift) {
    const shift = Math.log2(newSize);
    if (Number.isInteger(shift)) {
      edits.push({ start: layout.shift.decl.initializer!.getStart(sf), end: layout.shift.decl.initializer!.end, text: String(shift) });
    } else {
      const refs = references(program, root, layout.shift.decl, checker);
      if (refs.length > 0) {
        throw new CheckFailed(`${layout.className} would be ${newSize} bytes, not a power of two, but ${layout.shift.name} (log2 of its size) is used at ${refs[0]}${refs.length > 1 ? ` (and ${refs.length - 1} more)` : ''}: divide by ${layout.size.name} there first; nothing was written`);
      }
      const st = layout.shift.decl.parent.parent as ts.VariableStatement;
      if (st.declarationList.declarations.length !== 1) throw new InputError(`${rel}: ${layout.shift.name} shares its statement; split it first; nothing was written`);
      edits.push({ ...wholeRange(st), text: '' });
      removedConsts.add(layout.shift.name);
    }
  }
  const texts = new Map<string, string>([[sf.fileName, applyEdits(sf.text, edits)]]);
  // Imports of removed constants elsewhere (unused by construction: a used one kept its word).
  if (removedConsts.size > 0) {
    for (const other of projectFiles(program, root)) {
      if (other === sf) continue;
      const es: Edit[] = [];
      for (const st of other.statements) {
        if (!tsv.isImportDeclaration(st) || !st.importClause?.namedBindings || !tsv.isNamedImports(st.importClause.namedBindings)) continue;
        const target = checker.getSymbolAtLocation(st.moduleSpecifier)?.valueDeclaration;
        if (target !== sf) continue;
        const els = st.importClause.namedBindings.elements;
        const drop = els.filter((e) => removedConsts.has((e.propertyName ?? e.name).text));
        if (drop.length === 0) continue;
        if (drop.length === els.length && !st.importClause.name) {
          es.push({ ...wholeRange(st), text: '' });
          continue;
        }
        const keep = els.filter((e) => !drop.includes(e)).map((e) => e.getText(other));
        const nb = st.importClause.namedBindings;
        es.push({ start: nb.getStart(other), end: nb.end, text: keep.length ? `{ ${keep.join(', ')} }` : '{}' });
      }
      if (es.length > 0) texts.set(other.fileName, applyEdits(other.text, es));
    }
  }
  return texts;
}

function constWords(n: ts.Node, layout: ClassLayout): number[] {
  const out: number[] = [];
  const visit = (x: ts.Node): void => {
    if (tsv.isIdentifier(x)) {
      const c = layout.consts.get(x.text);
      if (c) out.push(c.word);
    }
    tsv.forEachChild(x, visit);
  };
  visit(n);
  return out;
}

/** `file:line` of every reference to a const outside its own declaration (imports excluded). */
function references(program: ts.Program, root: string, d: ts.VariableDeclaration, checker: ts.TypeChecker): string[] {
  const out: string[] = [];
  for (const sf of projectFiles(program, root)) {
    const visit = (n: ts.Node): void => {
      if (tsv.isIdentifier(n) && n !== d.name && !tsv.isImportSpecifier(n.parent)) {
        let sym = checker.getSymbolAtLocation(n);
        if (sym && sym.flags & tsv.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        if (sym?.valueDeclaration === d) out.push(`${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`);
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

function isInside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
}

/** Plan, check (type-check, second run) and, with `write`, write all files or none. */
export function runShrink(opts: ShrinkOptions): ShrinkResult {
  const gate = opts.write ? openWriteGate(opts.path, !!opts.force) : undefined;
  const recovered: Recovery[] = gate?.recovered ?? [];
  const lock = gate?.lock;
  try {
    const { program, root } = loadProgram(opts.path);
    const before = typeErrors(program, root);
    if (before.length > 0) {
      throw new InputError(`${relative(process.cwd(), root) || '.'} does not type-check (${before.length} error${before.length === 1 ? '' : 's'}; first: ${formatError(before[0]!)})`);
    }
    const { plan, texts } = planShrink(program, root, opts.spec);
    let diff = '';
    const files: ShrinkResult['files'] = [];
    const befores = new Map<string, string | null>();
    for (const [file, after] of [...texts].sort((a, b) => a[0].localeCompare(b[0]))) {
      const prev = program.getSourceFile(file)!.text;
      befores.set(file, prev);
      const r = relative(root, file).split('\\').join('/');
      diff += unifiedDiff(r, prev, after);
      files.push({ file: r, status: 'modified' });
    }
    if (texts.size > 0) {
      const after = overlayProgram(program, texts);
      const errors = typeErrors(after, root);
      if (errors.length > 0) {
        throw new CheckFailed(`the shrunken ${plan.className} does not type-check (${errors.length} error${errors.length === 1 ? '' : 's'}; first: ${formatError(errors[0]!)}); nothing was written`);
      }
      // A second run must find nothing more to remove.
      const again = planShrink(after, root, opts.spec);
      if (again.texts.size > 0) {
        throw new CheckFailed(`a second run would shrink ${plan.className} again (to ${again.plan.newSize} bytes): the shrink is not idempotent; nothing was written`);
      }
    }
    let specWritten: string | undefined;
    let specAfter: string | undefined;
    const specFile = opts.specFile ? resolve(opts.specFile) : undefined;
    if (opts.writeSpec) {
      if (!specFile) throw new UsageError("--write-spec needs the spec's own file (--spec FILE, or the project's memdesc.spec.json): the built-in spec is not written");
      const prev = readFileSync(specFile, 'utf8');
      specAfter = specWithFields(prev, specFile, plan);
      if (specAfter === prev) specAfter = undefined;
      else {
        diff += unifiedDiff(relative(process.cwd(), specFile), prev, specAfter);
        // Inside the project it is written with the tree, all files or none.
        if (isInside(root, specFile)) {
          texts.set(specFile, specAfter);
          befores.set(specFile, prev);
          files.push({ file: relative(root, specFile).split('\\').join('/'), status: 'modified' });
          specAfter = undefined;
          specWritten = relative(process.cwd(), specFile);
        }
      }
    }
    let written = false;
    if (opts.write && texts.size > 0) {
      writeAll(root, texts, befores);
      written = true;
    }
    if (opts.write && specAfter !== undefined && specFile) {
      writeAtomic(specFile, specAfter, 'the spec');
      specWritten = relative(process.cwd(), specFile);
    }
    if (!opts.write) specWritten = undefined;
    return { ...plan, diff, files, written, recovered, ...(specWritten ? { specWritten } : {}) };
  } finally {
    lock?.release();
  }
}
