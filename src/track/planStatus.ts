/**
 * Which patches of an imported series plan the analyzed tree already has. A subject is read
 * for what it names, then measured against the analysis; nothing about a particular codebase
 * is built in (kinds and descriptor names come from the spec).
 *
 * The kind a subject is about: the first spec kind named by a plain word of the subject after
 * its "subsys:" prefix (kind name, descriptor class or variable name, plural allowed: "use
 * ptdescs", "struct slab"); else one named by the series title ("Split ptdesc from struct page");
 * else one appearing as a part of a named function (pmd_ptdesc()); else one in the prefix.
 *
 * Rules, first match wins:
 *  1. "Create/Add/Introduce struct D" (D a descriptor): done when the kind's descriptor class is
 *     declared in the tree, not done otherwise.
 *     "Add K names to struct page" (K without a descriptor): done when the page class declares
 *     the member names K's field map gives.
 *  2. "Remove … from struct page": done when the kind has no raw accesses left, not done otherwise;
 *     with no kind named, the page fields named ("Remove lru and private from struct page"):
 *     done when the page class no longer declares them.
 *  2b. "Convert the remaining K sites …": done when K has no raw accesses left.
 *  3. "Remove f() …": done when none of the named functions is declared any more.
 *  4. Patches naming functions (f(), brace groups like pgtable_{pte,pmd}_page_{ctor,dtor} expand):
 *     only the named functions declared in the tree count (a port need not have every arch
 *     function); not applicable when none is; not done when any of them still has raw accesses
 *     of the kind, or, for "Convert f() …", still takes or returns the page class and not the
 *     descriptor ("Use struct X in f()" asks only for the body); done otherwise. The reason lists
 *     the functions left and the ones absent.
 *  5. "… page->F …" (F a tracked page field): done when the kind has no raw accesses of F left.
 *  Everything else (no kind, no function, nothing measurable): not applicable, saying why.
 */
import { ts } from '@ts-morph/common';
import type { DetailedAnalysis } from '../analyzers/analyze.ts';
import { functionName, isFunctionLike, typeReferenceNames } from '../analyzers/ast.ts';
import type { AnalysisResult } from '../model/findings.ts';
import type { PlannedPatchState, PlanProgress, SeriesPlan } from '../model/progress.ts';
import type { KindSpec, Spec } from '../model/spec.ts';
import { specWords } from '../model/words.ts';
import type { Stage2State } from '../model/progress.ts';
import { stage2States } from './separated.ts';
import { readLayout } from '../stage2/shrinkLayout.ts';
import { MemdescError } from '../errors.ts';

/** What the rules need to know about a tree; planProgress takes it or a DetailedAnalysis. */
export interface TreeFacts {
  result: AnalysisResult;
  /**
   * Functions, methods and function-valued variables declared in the tree, each with the type
   * names its parameters and return type refer to (a converted function takes a descriptor).
   */
  functions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Kinds whose descriptor class is declared in the tree. */
  descriptors: ReadonlySet<string>;
  /** Member names of the page class's declarations (renamed members, retired union members). */
  pageMembers: ReadonlySet<string>;
  /** Stage 2, per kind with a descriptor: separated, overlay or undeclared (read from the code). */
  stage2?: Readonly<Record<string, Stage2State>>;
  /**
   * sizeof the page class as its code lays it out (shrink's reading: the size constant, else the
   * words its accessors read), or undefined when the code does not tell; asked only for a
   * "Shrink … to N bytes" subject (it needs the type checker).
   */
  pageBytes?: () => number | undefined;
}

/** Facts from the program the analyzer already built: a walk over its syntax trees, no type queries. */
export function treeFacts(d: DetailedAnalysis): TreeFacts {
  const functions = new Map<string, Set<string>>();
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n) && !ts.isConstructorDeclaration(n)) {
      const name = functionName(n);
      if (name) {
        const types = functions.get(name) ?? new Set<string>();
        for (const t of [...n.parameters.map((p) => p.type), n.type]) if (t) typeReferenceNames(t, types);
        functions.set(name, types);
      }
    }
    ts.forEachChild(n, visit);
  };
  for (const sf of d.ctx.files) visit(sf);
  const pageMembers = new Set<string>();
  for (const decl of d.ctx.pageDecls) {
    if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) {
      for (const m of decl.members) if (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) pageMembers.add(m.name.text);
    }
  }
  return {
    result: d.result, functions, descriptors: new Set([...d.ctx.descDecls.values()].map((k) => k.name)), pageMembers,
    ...(d.ctx.program ? { stage2: stage2States(d.ctx.program, d.ctx.root, d.ctx.spec), pageBytes: once(() => classBytes(d.ctx.program, d.ctx.root, d.ctx.spec)) } : {}),
  };
}

function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) { v = f(); done = true; }
    return v;
  };
}

/** The page class's size from its code, or undefined when the code does not fix one (shrink's own error). */
function classBytes(program: ts.Program, root: string, spec: Spec): number | undefined {
  try {
    const l = readLayout(program, root, spec);
    return l.words * l.wordSize;
  } catch (e) {
    if (e instanceof MemdescError) return undefined;
    throw e;
  }
}

type Verdict = { state: PlannedPatchState; reason: string };

export function planProgress(plan: SeriesPlan, analysis: DetailedAnalysis | TreeFacts, spec: Spec): PlanProgress {
  const facts = 'ctx' in analysis ? treeFacts(analysis) : analysis;
  return {
    title: plan.title,
    version: plan.version,
    patches: plan.patches.map((p) => ({ number: p.number, subject: p.subject, ...judge(p.subject, plan.title, facts, spec) })),
  };
}

function judge(subject: string, title: string, facts: TreeFacts, spec: Spec): Verdict {
  const { prefix, body } = splitPrefix(subject);
  const functions = namedFunctions(body);
  const kind = kindIn(body, spec, false) ?? kindIn(title, spec, false) ?? kindOfIdentifiers(functions, spec) ?? kindIn(prefix, spec, false);
  const pageClass = spec.page.class.toLowerCase();

  // "Create struct slab" (the kernel's words), or "Create Stock": a descriptor class as the spec writes it.
  const created = /\b(?:create|add|introduce|define)\s+(?:a\s+|the\s+|new\s+)*(struct\s+)?(\w+)/i.exec(body);
  const createdKind = !created ? undefined : created[1] ? kindIn(created[2]!, spec, true) : spec.kinds.find((k) => k.descriptor?.class === created[2]);
  if (createdKind) {
    const cls = createdKind.descriptor?.class;
    if (!cls) return na(`kind ${createdKind.name} has no descriptor class in the spec`);
    return facts.descriptors.has(createdKind.name)
      ? { state: 'done', reason: `descriptor class ${cls} is declared in the tree` }
      : { state: 'not done', reason: `descriptor class ${cls} is not declared in the tree` };
  }

  // Stage 2: "Allocate ptdesc from slab" / "Allocate Stock separately from Shelf" / "Embed vmalloc in
  // the memdesc word" (what separate writes): done when the code reads the kind through the memdesc word.
  const allocated = /\ballocate\s+(?:struct\s+)?(\w+)\s+(?:from\s+slab|separately)\b/i.exec(body)
    ?? /\bembed\s+(?:struct\s+)?(\w+)\s+in\s+the\s+memdesc\s+word\b/i.exec(body);
  const allocatedKind = allocated ? kindIn(allocated[1]!, spec, true) ?? spec.kinds.find((k) => k.descriptor?.class === allocated[1]) : undefined;
  if (allocatedKind && facts.stage2) {
    const state = facts.stage2[allocatedKind.name];
    if (state === undefined) return na(`kind ${allocatedKind.name} has no descriptor class in the spec`);
    return state === 'separated'
      ? { state: 'done', reason: `${allocatedKind.name} is separated: its descriptor is reached through the memdesc word` }
      : { state: 'not done', reason: `${allocatedKind.name} is ${state === 'overlay' ? 'still an overlay of' : 'not declared beside'} ${spec.page.class}` };
  }

  // Stage 2: "Shrink struct page to 24 bytes" (what shrink writes): done when the class, as its code
  // lays it out, is at most that size (a later shrink below it keeps this one done).
  const shrunk = new RegExp(`^shrink\\s+(?:struct\\s+)?${escape(pageClass)}\\s+to\\s+(\\d+)\\s+bytes?\\b`, 'i').exec(body);
  if (shrunk && facts.pageBytes) {
    const want = Number(shrunk[1]);
    const size = facts.pageBytes();
    if (size === undefined) return na(`the code of ${spec.page.class} does not fix its size`);
    return size <= want
      ? { state: 'done', reason: `${spec.page.class} is ${size} bytes in the code` }
      : { state: 'not done', reason: `${spec.page.class} is still ${size} bytes in the code` };
  }

  // "Add buddy names to struct page": a kind without a descriptor gets its own member names.
  const named = new RegExp(`\\b(?:add|introduce|define)\\s+(\\w+)\\s+names\\s+(?:to|in)\\s+(?:struct\\s+)?${escape(pageClass)}\\b`, 'i').exec(body);
  const namedKind = named ? kindIn(named[1]!, spec, true) : undefined;
  if (namedKind && !namedKind.descriptor) {
    const names = [...new Set(namedKind.fields.flatMap((e) => e.to).filter((t) => !spec.page.fields.some((f) => f.name === t)))];
    if (names.length === 0) return na(`kind ${namedKind.name} renames no ${spec.page.class} field`);
    // A name whose field is no longer declared either left with its word (a later shrink removed
    // both): the patch was made; only a name missing beside its field is work left.
    const fieldsOf = (n: string): string[] => namedKind.fields.filter((e) => e.to.includes(n)).map((e) => e.field);
    const absent = names.filter((n) => !facts.pageMembers.has(n));
    const shrunk = absent.filter((n) => fieldsOf(n).every((f) => !facts.pageMembers.has(f)));
    const missing = absent.filter((n) => !shrunk.includes(n));
    const declared = names.filter((n) => facts.pageMembers.has(n));
    const gone = shrunk.length ? `${declared.length ? '; ' : ''}${shrunk.join(', ')} left with ${[...new Set(shrunk.flatMap(fieldsOf))].join(', ')} (no longer declared)` : '';
    return missing.length === 0
      ? { state: 'done', reason: `${declared.length ? `${spec.page.class} declares ${declared.join(', ')}` : ''}${gone}` }
      : { state: 'not done', reason: `${spec.page.class} does not declare ${missing.join(', ')}` };
  }

  if (new RegExp(`\\bremove\\b.*\\bfrom\\s+(?:struct\\s+)?${escape(pageClass)}\\b`, 'i').test(body)) {
    // "Remove lru and private from struct page": the members themselves, whoever used them.
    const fields = kindIn(body, spec, false) ? [] : spec.page.fields.filter((f) => new RegExp(`\\b${escape(f.name)}\\b`).test(body.replace(/\bfrom\b.*$/i, '')));
    if (fields.length > 0) {
      const still = fields.filter((f) => facts.pageMembers.has(f.name)).map((f) => f.name);
      return still.length === 0
        ? { state: 'done', reason: `${spec.page.class} no longer declares ${fields.map((f) => f.name).join(', ')}` }
        : { state: 'not done', reason: `${spec.page.class} still declares ${still.join(', ')}` };
    }
    if (!kind) return na(`the subject names no descriptor kind or ${objectField(spec)} of the spec`);
    const left = raw(facts, kind.name);
    return left === 0
      ? { state: 'done', reason: `${kind.name} has no raw ${spec.page.class} accesses left` }
      : { state: 'not done', reason: `${kind.name} still has ${plural(left, 'raw access', 'raw accesses')}` };
  }

  // "Convert the remaining slab sites to slabs": the kind has no raw accesses left.
  if (kind && functions.length === 0 && /\bremaining\b/i.test(body)) {
    const left = raw(facts, kind.name);
    return left === 0
      ? { state: 'done', reason: `${kind.name} has no raw ${spec.page.class} accesses left` }
      : { state: 'not done', reason: `${kind.name} still has ${plural(left, 'raw access', 'raw accesses')}` };
  }

  if (functions.length > 0 && /^(?:remove|drop|delete|kill)\b/i.test(body)) {
    const still = functions.filter((f) => facts.functions.has(f));
    return still.length === 0
      ? { state: 'done', reason: `${list(functions)} ${functions.length === 1 ? 'is' : 'are'} no longer declared in the tree` }
      : { state: 'not done', reason: `${list(still)} ${still.length === 1 ? 'is' : 'are'} still declared in the tree` };
  }

  if (functions.length > 0) {
    const present = functions.filter((f) => facts.functions.has(f));
    const absent = functions.filter((f) => !facts.functions.has(f));
    if (present.length === 0) return na(`${list(functions)} ${functions.length === 1 ? 'is' : 'are'} not declared in the tree`);
    if (!kind) return na(`the subject names no descriptor kind of the spec for ${list(present)}`);
    // "Convert f() to use Xs" retypes f; "Use struct X in f()" only changes its body.
    const retypes = /^convert\b/i.test(body);
    const left = present.map((f) => leftIn(f, kind, facts, spec, retypes)).filter((x): x is string => x !== undefined);
    const missing = absent.length > 0 ? `; ${list(absent)} not in the tree` : '';
    if (left.length > 0) return { state: 'not done', reason: `${left.join('; ')}${missing}` };
    return { state: 'done', reason: `${list(present)} ${present.length === 1 ? 'has' : 'have'} no raw ${kind.name} accesses left${missing}` };
  }

  const fieldRef = new RegExp(`\\b${escape(pageClass)}(?:->|\\.)(\\w+)`, 'i').exec(body);
  const field = fieldRef && spec.page.fields.find((f) => f.name === fieldRef[1] && f.track !== 'never');
  if (field) {
    if (!kind) return na(`the subject names no descriptor kind whose ${field.name} accesses to count`);
    const left = raw(facts, kind.name, (x) => x.field === field.name);
    return left === 0
      ? { state: 'done', reason: `${kind.name} has no raw ${field.name} accesses left` }
      : { state: 'not done', reason: `${kind.name} still has ${plural(left, `raw ${field.name} access`, `raw ${field.name} accesses`)}` };
  }

  return na(functions.length === 0 && !kind
    ? `the subject names no function, descriptor or ${objectField(spec)} the analysis can measure`
    : `the subject names no function or ${objectField(spec)} the analysis can measure`);
}

/** "page field" in the kernel's words, "Shelf field" in a user's. */
function objectField(spec: Spec): string {
  return `${specWords(spec).kernel ? 'page' : spec.page.class} field`;
}

/**
 * What keeps function f from being converted to kind K, or undefined: raw K accesses in its body;
 * for a wrapper (its body is a raw access, so it has no findings of its own), raw K call sites;
 * a signature still typed with the page class and not the descriptor.
 */
function leftIn(f: string, kind: KindSpec, facts: TreeFacts, spec: Spec, retypes: boolean): string | undefined {
  const inBody = raw(facts, kind.name, (x) => x.function === f);
  if (inBody > 0) return `${f}() has ${plural(inBody, `raw ${kind.name} access`, `raw ${kind.name} accesses`)}`;
  const wrapper = facts.result.wrappers.find((w) => w.name === f);
  if (wrapper) {
    const calls = raw(facts, kind.name, (x) => x.wrapper === f);
    if (calls > 0) return `${f}() is a raw ${wrapper.field} wrapper with ${plural(calls, `${kind.name} call site`, `${kind.name} call sites`)}`;
  }
  if (!retypes) return undefined;
  const types = facts.functions.get(f)!;
  const desc = kind.descriptor?.class;
  if (desc && types.has(spec.page.class) && !types.has(desc)) return `${f}() still takes or returns ${spec.page.class}, not ${desc}`;
  return undefined;
}

function na(reason: string): Verdict {
  return { state: 'not applicable', reason };
}

function raw(facts: TreeFacts, kind: string, where: (f: AnalysisResult['findings'][number]) => boolean = () => true): number {
  return facts.result.findings.filter((f) => !f.converted && f.kind === kind && where(f)).length;
}

/** "mm/slab: Convert x()" -> prefix "mm/slab", body "Convert x()". */
function splitPrefix(subject: string): { prefix: string; body: string } {
  const m = /^([\w./,{}\- ]+?):\s+(.*)$/.exec(subject);
  return m ? { prefix: m[1]!, body: m[2]! } : { prefix: '', body: subject };
}

/** Function names in a subject: identifiers followed by "()", with {a, b} groups expanded. */
export function namedFunctions(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/((?:[A-Za-z0-9_]|\{[^{}()]*\})+)\(\)/g)) {
    for (const name of expandBraces(m[1]!)) if (/^[A-Za-z_]\w*$/.test(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

function expandBraces(s: string): string[] {
  const m = /\{([^{}]*)\}/.exec(s);
  if (!m) return [s];
  const head = s.slice(0, m.index);
  const tail = s.slice(m.index + m[0].length);
  return m[1]!.split(',').map((alt) => alt.trim()).flatMap((alt) => expandBraces(`${head}${alt}${tail}`));
}

function kindWords(k: KindSpec): string[] {
  const words = [k.name];
  if (k.descriptor) words.push(k.descriptor.class, ...(k.descriptor.variable ? [k.descriptor.variable] : []));
  return [...new Set(words.map((w) => w.toLowerCase()))];
}

/** The kind named first by a plain word of `text` ("ptdescs", "struct slab"); whole text only when `exact`. */
function kindIn(text: string, spec: Spec, exact: boolean): KindSpec | undefined {
  let best: { at: number; kind: KindSpec } | undefined;
  for (const k of spec.kinds) {
    for (const w of kindWords(k)) {
      // Underscores are word characters, so pmd_ptdesc does not name the kind here.
      const re = new RegExp(exact ? `^${escape(w)}s?$` : `(?<![\\w>.-])${escape(w)}s?(?![\\w(])`, 'i');
      const m = re.exec(text);
      if (m && (!best || m.index < best.at)) best = { at: m.index, kind: k };
    }
  }
  return best?.kind;
}

function kindOfIdentifiers(functions: string[], spec: Spec): KindSpec | undefined {
  for (const f of functions) {
    const parts = f.toLowerCase().split('_');
    const k = spec.kinds.find((k) => kindWords(k).some((w) => parts.includes(w) || parts.includes(`${w}s`)));
    if (k) return k;
  }
  return undefined;
}

function list(names: string[]): string {
  return names.map((n) => `${n}()`).join(', ');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
