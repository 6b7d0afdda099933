/**
 * The functions of a built simulation bundle, named so that two builds of related trees can be
 * compared function by function, and V8 coverage of a run mapped onto them.
 *
 * A function's identity is its module (esbuild's `// path` marker, relative to the tree) and the
 * names around it (`mm/slub.ts::free_slab`, `…::Slab.get counters`, `…::f/<anonymous>`), with an
 * occurrence number when a name repeats. Its "own text" is its source with every nested
 * function replaced by that function's identity: a change inside a nested function changes only
 * the nested one. A module's skeleton is its top-level code the same way; it runs in every run.
 * Constructors and class fields are not functions here (they stay in their class's text), so a
 * change to them is a change of whatever holds the class: the module, for a top-level class.
 */
import { createHash } from 'node:crypto';
import { ts } from '@ts-morph/common';

export interface BundleFunction {
  id: string;
  /** How a person names it: `free_slab()`, `Slab.get counters()`. */
  display: string;
  module: string;
  /** sha1 of its own text. */
  hash: string;
  /** Its own text (nested functions replaced by their identities). */
  own: string;
  start: number;
  end: number;
  /** Index of the innermost enclosing function, -1 at module level. */
  parent: number;
}

export interface BundleModule {
  path: string;
  /**
   * sha1 of its top-level code with functions replaced by their identities, top-level function
   * declarations left out: they run nothing where they stand (hoisted), and are compared as
   * functions, their names as bindings (`declared`).
   */
  hash: string;
  /** Its top-level code as hashed. */
  own: string;
  /** Names of its top-level function declarations. */
  declared: string[];
}

export interface BundleMap {
  /** Modules in bundle order (the order their top-level code runs in). */
  modules: BundleModule[];
  functions: BundleFunction[];
  byId: Map<string, BundleFunction>;
}

const MARKER = /^\/\/ (\S.*)$/gm;
const ENTRY = 'sim/main.ts';

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function isFunction(n: ts.Node): n is ts.FunctionLikeDeclaration {
  return ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n);
}

function propName(n: ts.PropertyName | undefined, sf: ts.SourceFile): string {
  if (!n) return '<anonymous>';
  if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) return n.text;
  return n.getText(sf);
}

/** The name a function or class goes by: its own, else the variable or property it is assigned to. */
function nameOf(n: ts.Node, parent: ts.Node | undefined, sf: ts.SourceFile): string {
  if (ts.isMethodDeclaration(n)) return propName(n.name, sf);
  if (ts.isGetAccessorDeclaration(n)) return `get ${propName(n.name, sf)}`;
  if (ts.isSetAccessorDeclaration(n)) return `set ${propName(n.name, sf)}`;
  const own = (n as ts.FunctionDeclaration | ts.ClassLikeDeclaration).name;
  if (own && ts.isIdentifier(own)) return own.text;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent)) return propName(parent.name, sf);
  if (parent && ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) return parent.left.getText(sf);
  return '<anonymous>';
}

/** `// path` marker lines; with `sf`, only those between top-level statements (not inside a template literal). */
function moduleMarkers(text: string, sf?: ts.SourceFile): Array<{ at: number; path: string }> {
  const spans = sf ? sf.statements.map((s) => [s.getStart(sf), s.end] as const) : [];
  const out: Array<{ at: number; path: string }> = [];
  let i = 0;
  for (const m of text.matchAll(MARKER)) {
    const at = m.index!;
    while (i < spans.length && spans[i]![1] <= at) i++;
    if (i < spans.length && spans[i]![0] < at) continue;
    out.push({ at, path: m[1]! });
  }
  // Paths are relative to wherever the bundle was built: make them relative to the tree (the entry's marker names its root).
  const entry = out.find((m) => m.path === ENTRY || m.path.endsWith(`/${ENTRY}`));
  const prefix = entry ? entry.path.slice(0, entry.path.length - ENTRY.length) : '';
  return out.map((m) => ({ at: m.at, path: prefix && m.path.startsWith(prefix) ? m.path.slice(prefix.length) : m.path }));
}

/** One module section parsed on its own: positions relative to the section, parents within it. */
interface Section {
  ok: boolean;
  hash: string;
  own: string;
  declared: string[];
  functions: BundleFunction[];
}

/** Sections by content: a series' builds share most modules, so each is parsed once. */
const sections = new Map<string, Section>();
const MAX_SECTIONS = 20_000;
/**
 * Per module, the section of the bundle mapped last: a step's bundle differs from the one before
 * in a module or two, and an unchanged section is found by comparing its text (no hash of it).
 */
const lastSection = new Map<string, { text: string; section: Section }>();

function parseSection(text: string, module: string): Section {
  const last = lastSection.get(module);
  if (last && last.text === text) return last.section;
  const section = parseSectionByHash(text, module);
  // A flat copy: a slice would keep the whole bundle it was cut from alive.
  lastSection.set(module, { text: flat(text), section });
  return section;
}

function flat(text: string): string {
  return (` ${text}`).slice(1);
}

function parseSectionByHash(text: string, module: string): Section {
  const key = sha1(`${module}\0${text}`);
  const hit = sections.get(key);
  if (hit) return hit;
  const sf = ts.createSourceFile('section.mjs', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const ok = ((sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? []).length === 0;
  const functions: BundleFunction[] = [];
  const children = new Map<number, number[]>();
  const seen = new Map<string, number>();
  const walk = (n: ts.Node, parent: ts.Node | undefined, names: string[], fn: number): void => {
    if (isFunction(n)) {
      const name = nameOf(n, parent, sf);
      const start = n.getStart(sf);
      const path = [...names, name].join('/');
      const base = `${module}::${path}`;
      const k = seen.get(base) ?? 0;
      seen.set(base, k + 1);
      const index = functions.length;
      functions.push({ id: k ? `${base}#${k}` : base, display: `${path.replace(/\//g, ' > ')}()`, module, hash: '', own: '', start, end: n.end, parent: fn });
      const list = children.get(fn) ?? [];
      list.push(index);
      children.set(fn, list);
      n.forEachChild((c) => walk(c, n, [...names, name], index));
      return;
    }
    if (ts.isClassLike(n)) {
      const name = nameOf(n, parent, sf);
      n.forEachChild((c) => walk(c, n, [...names, name], fn));
      return;
    }
    n.forEachChild((c) => walk(c, n, names, fn));
  };
  for (const st of sf.statements) walk(st, undefined, [], -1);
  /** Text of [start, end) with the functions directly inside replaced by their identities. */
  const own = (start: number, end: number, inner: number[]): string => {
    let out = '';
    let at = start;
    for (const i of inner) {
      const f = functions[i]!;
      if (f.start < start || f.end > end) continue;
      out += text.slice(at, f.start) + `\u0000${f.id}\u0000`;
      at = f.end;
    }
    return out + text.slice(at, end);
  };
  for (const [i, f] of functions.entries()) {
    f.own = own(f.start, f.end, children.get(i) ?? []);
    f.hash = sha1(f.own);
  }
  // Top-level function declarations leave the module's code: hoisted, they run nothing where they stand.
  const decls = sf.statements.filter((st): st is ts.FunctionDeclaration => ts.isFunctionDeclaration(st) && !!st.name);
  const declared = decls.map((d) => d.name!.text);
  const skip = new Set(decls.map((d) => d.getStart(sf)));
  const top = (children.get(-1) ?? []).filter((i) => !skip.has(functions[i]!.start));
  let code = '';
  for (const st of sf.statements) if (!skip.has(st.getStart(sf))) code += `${own(st.getStart(sf), st.end, top)}\n`;
  const section: Section = { ok, hash: sha1(code), own: code, declared, functions };
  if (sections.size >= MAX_SECTIONS) sections.clear();
  sections.set(key, section);
  return section;
}

/** Parse a bundle's text into its modules and functions (each module section parsed once per content). */
export function mapBundle(text: string): BundleMap {
  let markers = moduleMarkers(text);
  let parsed = split(text, markers);
  // A marker-like line inside a template literal cut a section short: find the real markers with a full parse.
  if (parsed.some((p) => !p.section.ok)) {
    markers = moduleMarkers(text, ts.createSourceFile('bundle.mjs', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS));
    parsed = split(text, markers);
  }
  const modules: BundleModule[] = [];
  const functions: BundleFunction[] = [];
  for (const { at, path, section } of parsed) {
    modules.push({ path, hash: section.hash, own: section.own, declared: section.declared });
    const base = functions.length;
    for (const f of section.functions) functions.push({ ...f, start: f.start + at, end: f.end + at, parent: f.parent < 0 ? -1 : f.parent + base });
  }
  return { modules, functions, byId: new Map(functions.map((f) => [f.id, f])) };
}

/**
 * The bundle cut at its markers; a module with several sections numbers the later ones (`mm/x.ts#2`).
 * A section starts after its marker line: the marker spells the path as the build saw it (a
 * scratch folder of each step), so leaving it out lets builds of other folders share the parse.
 */
function split(text: string, markers: Array<{ at: number; path: string }>): Array<{ at: number; path: string; section: Section }> {
  const cuts = markers.map((m) => {
    const nl = text.indexOf('\n', m.at);
    return { at: nl < 0 ? text.length : nl + 1, mark: m.at, path: m.path };
  });
  if (cuts.length === 0 || cuts[0]!.mark !== 0) cuts.unshift({ at: 0, mark: 0, path: '(bundle)' });
  const count = new Map<string, number>();
  return cuts.map((c, i) => {
    const n = (count.get(c.path) ?? 0) + 1;
    count.set(c.path, n);
    const path = n > 1 ? `${c.path}#${n}` : c.path;
    const body = text.slice(c.at, i + 1 < cuts.length ? cuts[i + 1]!.mark : text.length);
    return { at: c.at, path, section: parseSection(body, path) };
  });
}

/** V8's per-script coverage entry (NODE_V8_COVERAGE files: result[].functions). */
export interface V8Function {
  functionName: string;
  ranges: Array<{ startOffset: number; endOffset: number; count: number }>;
}

/**
 * The identities of the functions a run entered: each V8 function with a non-zero count is the
 * innermost bundle function containing its start. Functions V8 never compiled are absent from its
 * list, which is the same as not entered.
 */
export function executedFunctions(map: BundleMap, v8: V8Function[]): Set<string> {
  const starts = map.functions.map((f) => f.start);
  const out = new Set<string>();
  for (const f of v8) {
    const r = f.ranges[0];
    if (!r || r.count === 0) continue;
    // The last function starting at or before the offset, then outwards to one that contains it.
    let lo = 0;
    let hi = starts.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= r.startOffset) { k = mid; lo = mid + 1; } else hi = mid - 1;
    }
    while (k >= 0 && !(map.functions[k]!.start <= r.startOffset && r.startOffset < map.functions[k]!.end)) k = map.functions[k]!.parent;
    if (k >= 0) out.add(map.functions[k]!.id);
  }
  return out;
}
