/**
 * Mutant generation: wrong conversions written as source splices, derived from the spec and
 * the analyzer's findings on the original tree. Each operator models a converter bug:
 *
 *  wrong-field  one access maps to the wrong word (slab `counters` read from `index`)
 *  swap-fields  two fields swapped throughout one function
 *  wrong-kind   an owner file converted with another kind's field table (descriptor field #i of
 *               the owner's kind emitted as field #i of the other kind: a table-lookup bug; a
 *               lookup by raw field would land on the same word and is equivalent by MATCH)
 *  wrong-object the descriptor is taken from the neighbouring object at a boundary where a
 *               converter would insert `page_<kind>(page)`: `nth_page(page, 1)` where the tree
 *               has the kernel's helper, else `new Cls(obj.ADDR + size)` for a class built from
 *               its address (ADDR: the spec's addressMembers)
 *
 * Generation is pure and deterministic; selection is seeded and stratified by operator and kind.
 */
import { posix } from 'node:path';
import { ts } from '@ts-morph/common';
import type { Finding } from '../model/findings.ts';
import { UNKNOWN_KIND, type KindSpec, type Spec } from '../model/spec.ts';
import { matchAnyName, matchAnyPath } from '../analyzers/glob.ts';
import { assertionsOf } from '../analyzers/assertions.ts';
import type { AnalysisContext } from '../analyzers/context.ts';

export type Operator = 'wrong-field' | 'swap-fields' | 'wrong-kind' | 'wrong-object' | 'desc-wrong-word' | 'desc-swap-words' | 'desc-wrong-object';
/** Operators on the original tree, then on the converter's output (mutants-desc.ts). */
export const OPERATORS: readonly Operator[] = ['wrong-field', 'swap-fields', 'wrong-kind', 'wrong-object', 'desc-wrong-word', 'desc-swap-words', 'desc-wrong-object'];
/** Earlier names, still accepted by --operators. */
export const OPERATOR_ALIASES: Readonly<Record<string, Operator>> = { 'wrong-page': 'wrong-object', 'desc-wrong-page': 'desc-wrong-object' };

/** An --operators name as an operator (aliases resolved), or undefined when it is none. */
export function operatorNamed(name: string): Operator | undefined {
  return OPERATORS.includes(name as Operator) ? (name as Operator) : OPERATOR_ALIASES[name];
}

export interface Splice {
  /** Relative to the tree root, forward slashes. */
  file: string;
  start: number;
  end: number;
  text: string;
}

export interface Mutant {
  id: string;
  operator: Operator;
  kind: string;
  file: string;
  line: number;
  function?: string;
  description: string;
  splices: Splice[];
  /** The receivers of the mutated sites (`text` = their source): where a reachability probe goes. */
  probe: Splice[];
  /**
   * False when the mutation can act without a probed site running (a module-level constant):
   * such a mutant runs on every pair, not only where its probes fired.
   */
  probeCovers?: boolean;
  /** Set when the mutant is equivalent by construction (it is then counted, never run). */
  equivalent?: string;
}

/** Identifier the wrong-object splices call (imported under this name so it cannot clash). */
export const NTH_PAGE_ALIAS = '__mutant_nth_page';
/** The class the wrong-object splices construct, imported under this name. */
export const NEIGHBOUR_ALIAS = '__mutant_neighbour';

/** How to reach the neighbouring object of the spec's class without the kernel's nth_page(). */
export interface Neighbour {
  /** Tree-relative file declaring the class. */
  file: string;
  className: string;
  /** The member holding the object's address. */
  addressMember: string;
  /** Bytes per object: wordSize x words. */
  bytes: number;
}

/**
 * The neighbour of an object of the spec's class, when the class is built from its address alone
 * (a constructor of one parameter, and a member named in the spec's addressMembers).
 */
export function neighbourOf(spec: Spec, files: Map<string, ts.SourceFile>): Neighbour | undefined {
  const bytes = (spec.page.wordSize ?? 8) * (Math.max(...spec.page.fields.flatMap((f) => f.words)) + 1);
  for (const [file, sf] of files) {
    if (!matchAnyPath([spec.page.file], file)) continue;
    for (const st of sf.statements) {
      if (!ts.isClassDeclaration(st) || st.name?.text !== spec.page.class) continue;
      if (!st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return undefined;
      const ctor = st.members.find(ts.isConstructorDeclaration);
      if (!ctor || ctor.parameters.length !== 1) return undefined;
      const names = new Set(st.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : [])));
      for (const p of ctor.parameters) if (ts.isIdentifier(p.name) && p.modifiers?.length) names.add(p.name.text);
      const addressMember = spec.page.addressMembers.find((a) => names.has(a));
      return addressMember ? { file, className: st.name.text, addressMember, bytes } : undefined;
    }
  }
  return undefined;
}

interface Site {
  finding: Finding;
  sf: ts.SourceFile;
  form: 'direct' | 'wrapper';
  /** direct: the property access; wrapper: the call. */
  node: ts.PropertyAccessExpression | ts.CallExpression;
  receiver: ts.Expression;
  /** wrapper: the value argument of a setter. */
  value?: ts.Expression;
  wrapperAccess?: 'read' | 'write';
}

export interface GenContext {
  spec: Spec;
  /** Tree-relative path -> parsed source file. */
  files: Map<string, ts.SourceFile>;
  findings: Finding[];
  /**
   * The analysis of the program `files` belong to (analyzeDetailed's ctx): which calls are
   * assertions and which never return is read from the code of what they call (assertions.ts),
   * not from their names.
   */
  ctx: AnalysisContext;
  /** Tree-relative path of the file exporting nth_page (for the wrong-object import). */
  nthPageFile?: string;
  /** Without nth_page: the class's own constructor reaches the neighbour. */
  neighbour?: Neighbour;
}

/** Single-word, whole-word raw fields: the ones a wrong mapping can swap and still type-check. */
export function wordFields(spec: Spec): string[] {
  return spec.page.fields.filter((f) => !f.embedded && !f.bits && f.words.length === 1 && f.track !== 'never').map((f) => f.name);
}

function nodeAt<T extends ts.Node>(sf: ts.SourceFile, pos: number, test: (n: ts.Node) => n is T): T | undefined {
  let found: T | undefined;
  const visit = (n: ts.Node): void => {
    if (pos < n.getStart(sf) || pos >= n.end) return;
    if (test(n)) found = n;
    n.forEachChild(visit);
  };
  sf.forEachChild(visit);
  return found;
}

function locate(ctx: GenContext, f: Finding): Site | undefined {
  const sf = ctx.files.get(f.file);
  if (!sf) return undefined;
  let pos: number;
  try {
    pos = sf.getPositionOfLineAndCharacter(f.line - 1, f.column - 1);
  } catch {
    return undefined;
  }
  if (f.access === 'call') {
    const seed = ctx.spec.page.wrappers.find((w) => w.name === f.wrapper);
    if (!seed || (seed.access !== 'read' && seed.access !== 'write')) return undefined;
    const call = nodeAt(sf, pos, (n): n is ts.CallExpression => ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.getStart(sf) === pos);
    const receiver = call?.arguments[seed.pageArg];
    if (!call || !receiver) return undefined;
    if (seed.access === 'write' && call.arguments.length !== 2) return undefined;
    return { finding: f, sf, form: 'wrapper', node: call, receiver, wrapperAccess: seed.access, ...(seed.access === 'write' ? { value: call.arguments[1 - seed.pageArg] } : {}) };
  }
  const pae = nodeAt(sf, pos, (n): n is ts.PropertyAccessExpression => ts.isPropertyAccessExpression(n) && n.name.getStart(sf) === pos && n.name.text === f.field);
  if (!pae) return undefined;
  return { finding: f, sf, form: 'direct', node: pae, receiver: pae.expression };
}

function text(site: Site, n: ts.Node): string {
  return n.getText(site.sf);
}

/** The splice that makes `site` access raw field `to` instead. */
function retarget(site: Site, to: string): Splice | undefined {
  const file = site.finding.file;
  if (site.form === 'direct') {
    const name = (site.node as ts.PropertyAccessExpression).name;
    return { file, start: name.getStart(site.sf), end: name.end, text: to };
  }
  const call = site.node as ts.CallExpression;
  const recv = `(${text(site, site.receiver)}).${to}`;
  const replacement = site.wrapperAccess === 'write' ? `(${recv} = ${text(site, site.value!)})` : recv;
  return { file, start: call.getStart(site.sf), end: call.end, text: replacement };
}

/** Where a reachability probe for a site goes: its receiver (text = the receiver's source). */
function probeOf(site: Site): Splice {
  return { file: site.finding.file, start: site.receiver.getStart(site.sf), end: site.receiver.end, text: text(site, site.receiver) };
}

export const PROBE_MARKER = 'memdesc-probe-hits:';

/**
 * Probe splices for many mutants at once: each probed receiver first sets its site's flag in a
 * byte array that is printed to stderr at exit (`memdesc-probe-hits: 3,17,…`, site indices).
 * The probes change no simulated state. Sites whose ranges overlap are left out; `placed` holds
 * the mutants whose every site got a probe, `sites` the mutant ids of each site index.
 */
export function probeSplices(mutants: Array<{ id: string; probe: Splice[] }>): { splices: Splice[]; placed: Set<string>; sites: string[][] } {
  const bySite = new Map<string, { s: Splice; ids: string[] }>();
  for (const m of mutants) {
    for (const p of m.probe) {
      const key = `${p.file}\0${p.start}\0${p.end}`;
      const e = bySite.get(key) ?? { s: p, ids: [] };
      if (!e.ids.includes(m.id)) e.ids.push(m.id);
      bySite.set(key, e);
    }
  }
  const sorted = [...bySite.values()].sort((a, b) => (a.s.file < b.s.file ? -1 : a.s.file > b.s.file ? 1 : a.s.start - b.s.start || b.s.end - a.s.end));
  const kept: Array<{ s: Splice; ids: string[] }> = [];
  const dropped = new Set<string>();
  for (const e of sorted) {
    const prev = kept.at(-1);
    if (prev && prev.s.file === e.s.file && e.s.start < prev.s.end) {
      for (const id of e.ids) dropped.add(id);
      continue;
    }
    kept.push(e);
  }
  const n = kept.length;
  const init = `((a: Uint8Array) => (process.once('exit', () => process.stderr.write('${PROBE_MARKER} ' + a.reduce((l: number[], v, i) => (v ? [...l, i] : l), []).join(',') + '\\n')), a))(new Uint8Array(${n}))`;
  const splices = kept.map(({ s }, i) => ({ ...s, text: `(((globalThis as any).__memdesc_probe_hits ??= ${init})[${i}] = 1, ${s.text})` }));
  const placed = new Set(mutants.filter((m) => m.probe.length > 0 && !dropped.has(m.id)).map((m) => m.id));
  return { splices, placed, sites: kept.map((e) => e.ids) };
}

function descName(kind: KindSpec | undefined, field: string): string {
  const e = kind?.fields.find((x) => x.field === field);
  return e ? `${e.to.join('/')} (${field})` : field;
}

function siteLabel(site: Site): string {
  const f = site.finding;
  return `${f.file}:${f.line}${f.function ? ` in ${f.function}()` : ''}`;
}

function accessText(site: Site): string {
  return text(site, site.node).replace(/\s+/g, ' ');
}

function importSplice(ctx: GenContext, file: string): Splice | undefined {
  const from = ctx.nthPageFile ?? ctx.neighbour?.file;
  if (!from) return undefined;
  let rel = posix.relative(posix.dirname(file), from);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const what = ctx.nthPageFile ? `nth_page as ${NTH_PAGE_ALIAS}` : `${ctx.neighbour!.className} as ${NEIGHBOUR_ALIAS}`;
  return { file, start: 0, end: 0, text: `import { ${what} } from '${rel}';\n` };
}

/**
 * Functions nothing in the tree uses: declared (`function f`), and the name appears nowhere else
 * except in import/export lists. A wrong conversion inside one cannot change a run.
 */
export function deadFunctions(files: Map<string, ts.SourceFile>): Set<string> {
  const declared = new Map<string, string[]>();
  const used = new Set<string>();
  for (const [file, sf] of files) {
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionDeclaration(n) && n.name) declared.set(n.name.text, [...(declared.get(n.name.text) ?? []), file]);
      if (ts.isIdentifier(n)) {
        const p = n.parent;
        const isDecl = p && ts.isFunctionDeclaration(p) && p.name === n;
        const inList = p && (ts.isImportSpecifier(p) || ts.isExportSpecifier(p));
        if (!isDecl && !inList) used.add(n.text);
      }
      n.forEachChild(visit);
    };
    visit(sf);
  }
  const dead = new Set<string>();
  for (const [name, where] of declared) if (!used.has(name)) for (const f of where) dead.add(`${f}\0${name}`);
  return dead;
}

/**
 * Calls that only matter on a failure path, by the code of what they call: a function that never
 * returns (BUG(), bad_page(): its call's type is `never`), and an assertion's arguments other than
 * its condition (assertions.ts: `if (cond) throw`, `asserts cond`, wrappers; aliases followed, a
 * same-named local or a logger is none). Answers cached per call.
 */
class FailureCalls {
  private readonly never = new Map<ts.CallExpression, boolean>();

  constructor(private readonly ctx: AnalysisContext) {}

  /** Does the call never return (a throw in all but name)? */
  neverReturns(call: ts.CallExpression): boolean {
    let r = this.never.get(call);
    if (r === undefined) {
      // Only a callee some `never`-typed declaration may name goes to the checker (context.ts).
      r = this.ctx.mayNeverReturn(call.expression) && !!(this.ctx.checker.getTypeAtLocation(call).flags & ts.TypeFlags.Never);
      this.never.set(call, r);
    }
    return r;
  }

  /** The index of the call's condition argument when it is an assertion, else undefined. */
  conditionArg(call: ts.CallExpression): number | undefined {
    return assertionsOf(this.ctx).of(call).value?.condArg;
  }
}

/**
 * Is `node` evaluated only on a failure path: inside a throw, inside a block that ends by throwing
 * or calling a never-returning function, or in an argument of an assertion other than its
 * condition (VM_BUG_ON_PAGE(cond, page, why): `page` and `why` only matter when the check fires)?
 * A healthy run never gets there, and a run that does differs from a healthy reference anyway.
 */
function onFailurePath(node: ts.Node, calls: FailureCalls): boolean {
  const fails = (st: ts.Statement): boolean => ts.isThrowStatement(st) ||
    (ts.isExpressionStatement(st) && ts.isCallExpression(st.expression) && calls.neverReturns(st.expression));
  for (let n: ts.Node = node; n.parent; n = n.parent) {
    const p = n.parent;
    if (ts.isThrowStatement(p)) return true;
    if (ts.isCallExpression(p) && p.expression !== n && p.arguments.includes(n as ts.Expression)) {
      if (calls.neverReturns(p)) return true;
      const cond = calls.conditionArg(p);
      if (cond !== undefined && p.arguments.indexOf(n as ts.Expression) !== cond) return true;
    }
    if (ts.isBlock(p) && p.statements.some(fails) && !ts.isFunctionLike(p.parent)) return true;
    if (ts.isFunctionLike(p)) return false;
  }
  return false;
}

/** Every candidate mutant, in a stable order (before selection). */
export function generateCandidates(ctx: GenContext): Mutant[] {
  const words = wordFields(ctx.spec);
  const dead = deadFunctions(ctx.files);
  const failures = new FailureCalls(ctx.ctx);
  const inDead = (ss: Site[]): { equivalent: string } | Record<string, never> => {
    const fns = [...new Set(ss.map((x) => x.finding.function))];
    if (ss.length > 0 && ss.every((x) => x.finding.function && dead.has(`${x.finding.file}\0${x.finding.function}`))) {
      return { equivalent: `only in ${fns.map((f) => `${f}()`).join(', ')}, which nothing in the tree calls` };
    }
    if (ss.length > 0 && ss.every((x) => onFailurePath(x.node, failures))) {
      return { equivalent: 'only on a failure path (a throw, a BUG(), or a debug check\'s report arguments): no healthy run evaluates it' };
    }
    return {};
  };
  const kinds = new Map(ctx.spec.kinds.map((k) => [k.name, k]));
  // Sites of no kind are the ones a converter leaves alone (dump_page, __PageMovable): no
  // conversion can get them wrong, so they are not mutated.
  const sites = ctx.findings.filter((f) => !f.converted && f.kind !== UNKNOWN_KIND).map((f) => locate(ctx, f)).filter((s): s is Site => !!s);
  const out: Mutant[] = [];
  const add = (m: Omit<Mutant, 'id'>, ss: Site[]): void => {
    out.push({ id: '', ...inDead(ss), ...m });
  };

  // wrong-field: every word-field site, to each other word field.
  for (const s of sites) {
    const f = s.finding;
    if (!words.includes(f.field)) continue;
    for (const to of words) {
      if (to === f.field) continue;
      const sp = retarget(s, to);
      if (!sp) continue;
      add({
        operator: 'wrong-field', kind: f.kind, file: f.file, line: f.line, ...(f.function ? { function: f.function } : {}),
        description: `${siteLabel(s)}: \`${accessText(s)}\` uses ${to} instead of ${f.field} (${f.kind} ${descName(kinds.get(f.kind), f.field)} mapped to the wrong word)`,
        splices: [sp], probe: [probeOf(s)],
      }, [s]);
    }
  }

  // swap-fields: two word fields exchanged throughout one function.
  const byFn = new Map<string, Site[]>();
  for (const s of sites) {
    if (!s.finding.function || !words.includes(s.finding.field)) continue;
    const key = `${s.finding.file}\0${s.finding.function}`;
    byFn.set(key, [...(byFn.get(key) ?? []), s]);
  }
  for (const group of byFn.values()) {
    const fields = [...new Set(group.map((s) => s.finding.field))].sort();
    for (let i = 0; i < fields.length; i++) {
      for (let j = i + 1; j < fields.length; j++) {
        const [a, b] = [fields[i]!, fields[j]!];
        const swapped = group.filter((s) => s.finding.field === a || s.finding.field === b);
        const splices = swapped.map((s) => retarget(s, s.finding.field === a ? b : a)).filter((x): x is Splice => !!x);
        const f0 = swapped[0]!.finding;
        const values = new Set(swapped.map(writtenValue));
        const same = values.size === 1 && [...values][0] !== undefined ? [...values][0] : undefined;
        add({
          ...(same !== undefined ? { equivalent: `every swapped access writes the same value (${same})` } : {}),
          operator: 'swap-fields', kind: f0.kind, file: f0.file, line: f0.line, function: f0.function!,
          description: `${f0.file}: ${a} and ${b} swapped in ${f0.function}() (${swapped.length} accesses from line ${f0.line})`,
          splices, probe: swapped.map(probeOf),
        }, swapped);
      }
    }
  }

  // wrong-kind: an owner file of kind A converted with kind B's field table, slot by slot.
  for (const a of ctx.spec.kinds) {
    const aSlots = a.fields.filter((e) => words.includes(e.field) || e.field === 'lru');
    const files = [...new Set(sites.filter((s) => s.finding.kind === a.name && ownedBy(a, s.finding)).map((s) => s.finding.file))].sort();
    for (const file of files) {
      const fileSites = sites.filter((s) => s.finding.file === file && s.finding.kind === a.name && words.includes(s.finding.field));
      for (const b of ctx.spec.kinds) {
        if (b === a || !b.descriptor) continue;
        const bSlots = b.fields.filter((e) => words.includes(e.field) || e.field === 'lru');
        const remap = new Map<string, { to: string; from: string; desc: string }>();
        aSlots.forEach((e, i) => {
          const other = bSlots[i];
          if (other && other.field !== e.field && words.includes(e.field) && words.includes(other.field)) {
            remap.set(e.field, { to: other.field, from: e.to[0]!, desc: other.to[0]! });
          }
        });
        if (remap.size === 0) continue;
        const hit = fileSites.filter((s) => remap.has(s.finding.field));
        if (hit.length === 0) continue;
        const splices = hit.map((s) => retarget(s, remap.get(s.finding.field)!.to)).filter((x): x is Splice => !!x);
        const how = [...remap].map(([f, r]) => `${r.from}->${b.name} ${r.desc} (${f}->${r.to})`).join(', ');
        add({
          operator: 'wrong-kind', kind: a.name, file, line: hit[0]!.finding.line,
          description: `${file} (${a.name} owner) converted with ${b.name}'s field table: ${how}; ${hit.length} accesses`,
          splices, probe: hit.map(probeOf),
        }, hit);
      }
    }
  }

  // wrong-object: the access goes to the neighbouring object (struct page, Shelf, ...).
  for (const s of sites) {
    const f = s.finding;
    if (s.receiver.kind === ts.SyntaxKind.ThisKeyword) continue;
    const imp = importSplice(ctx, f.file);
    if (!imp) break;
    const r = text(s, s.receiver);
    const nb = ctx.nthPageFile ? undefined : ctx.neighbour!;
    const to = nb ? `new ${NEIGHBOUR_ALIAS}((${r}).${nb.addressMember} + ${nb.bytes})` : `${NTH_PAGE_ALIAS}(${r}, 1)`;
    const shown = nb ? `new ${nb.className}((${r}).${nb.addressMember} + ${nb.bytes})` : `nth_page(${r}, 1)`;
    add({
      operator: 'wrong-object', kind: f.kind, file: f.file, line: f.line, ...(f.function ? { function: f.function } : {}),
      description: `${siteLabel(s)}: \`${accessText(s)}\` on the neighbouring ${ctx.spec.page.class}: ${r} -> ${shown} (${f.kind} ${descName(kinds.get(f.kind), f.field)})`,
      splices: [imp, { file: f.file, start: s.receiver.getStart(s.sf), end: s.receiver.end, text: to }],
      probe: [probeOf(s)],
    }, [s]);
  }
  return out;
}

/** The text of the value a site writes (`page.f = V`, `set_page_private(page, V)`); undefined for reads. */
function writtenValue(site: Site): string | undefined {
  if (site.form === 'wrapper') return site.wrapperAccess === 'write' ? text(site, site.value!) : undefined;
  let n: ts.Node = site.node;
  while (n.parent && ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  return p && ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken ? text(site, p.right) : undefined;
}

function ownedBy(k: KindSpec, f: Finding): boolean {
  return k.owners.some((o) => matchAnyPath(o.files, f.file) && (!o.functions || (!!f.function && matchAnyName(o.functions, f.function))));
}

/** Apply splices to texts (tree-relative path -> text); undefined when two splices overlap. */
export function applySplices(texts: Map<string, string>, splices: Splice[]): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const byFile = new Map<string, Splice[]>();
  for (const s of splices) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  for (const [file, list] of byFile) {
    let t = texts.get(file);
    if (t === undefined) return undefined;
    const sorted = [...list].sort((x, y) => y.start - x.start || y.end - x.end);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.end > sorted[i - 1]!.start) return undefined;
    }
    for (const s of sorted) t = t.slice(0, s.start) + s.text + t.slice(s.end);
    out.set(file, t);
  }
  return out;
}

/** Mulberry32: small seeded PRNG for the selection. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Order candidates for selection: shuffled (seeded) within each (operator, kind) stratum, then
 * taken round-robin over operators and, within an operator, over kinds, so small kinds
 * (vmalloc, ptdesc, zpdesc) are as well represented as slab. Ids are assigned in this order.
 */
export function selectionOrder(candidates: Mutant[], seed: number): Mutant[] {
  const rand = prng(seed);
  const strata = new Map<Operator, Map<string, Mutant[]>>();
  for (const m of candidates) {
    const byKind = strata.get(m.operator) ?? new Map<string, Mutant[]>();
    strata.set(m.operator, byKind);
    byKind.set(m.kind, [...(byKind.get(m.kind) ?? []), m]);
  }
  const queues = new Map<Operator, Mutant[][]>();
  for (const op of OPERATORS) {
    const byKind = strata.get(op);
    if (!byKind) continue;
    const lists = [...byKind.keys()].sort().map((k) => shuffle(byKind.get(k)!, rand));
    queues.set(op, lists);
  }
  const order: Mutant[] = [];
  const kindTurn = new Map<Operator, number>();
  for (;;) {
    let took = false;
    for (const op of OPERATORS) {
      const lists = queues.get(op);
      if (!lists) continue;
      for (let tries = 0; tries < lists.length; tries++) {
        const t = kindTurn.get(op) ?? 0;
        kindTurn.set(op, t + 1);
        const list = lists[t % lists.length]!;
        const m = list.shift();
        if (m) {
          order.push(m);
          took = true;
          break;
        }
      }
    }
    if (!took) break;
  }
  order.forEach((m, i) => (m.id = `M${String(i + 1).padStart(3, '0')}`));
  return order;
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
