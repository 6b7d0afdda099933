/**
 * `memdesc init`: draft a spec for a class of the user's project, read with the type checker.
 *
 * - object: the class, its file, its fields and the words they share (layout.ts), the wrappers
 *   and assertions found, the allocators that belong to no kind (neutralSources), the word size.
 * - kinds: one candidate per group of type tests with the same stem (isDoor, isDoorCell -> door;
 *   PageSlab -> slab). Which functions are type tests comes from their code (evidence.ts: a
 *   pure boolean function of the class that tests its type or flags bits); names only name and
 *   group them. A kind's provenance is the allocators whose name holds its stem, its owners
 *   the files named after it or declaring those allocators (not the class's file, nor a file
 *   allocating for several kinds), its field map the fields used there: guesses from names,
 *   which each kind's description lists. Candidates with nothing but a type test are listed
 *   last and say so in their description.
 * - wrappers and assertions: by their code (functions.ts, callees.ts); calls are followed to the
 *   function they resolve to, never by name.
 * - oracle: package.json "bin"/"main", else src/main.ts or main.ts, when the file exists.
 *
 * The draft is meant to be edited; it always validates against the spec schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { ts } from '@ts-morph/common';
import { InputError } from '../errors.ts';
import { isProjectFile, loadProgram } from '../analyzers/project.ts';
import { validateSpec } from '../model/spec-validate.ts';
import type { Spec } from '../model/spec.ts';
import { analyzeProgram } from '../analyzers/analyze.ts';
import { bitTester } from './evidence.ts';
import { allocators, assertions, scanFunctions, typeTests, wrappers, type FunctionInfo } from './functions.ts';
import { classLayout } from './layout.ts';

export interface InitOptions {
  /** A directory holding tsconfig.json, or the tsconfig file. */
  path: string;
  className: string;
  /** The spec's "$schema" value (where the draft will be, relative to the schema). */
  schemaRef?: string;
}

export interface DraftKind {
  name: string;
  typeTests: string[];
  provenance: string[];
  owners: string[];
  fields: string[];
  /** Evidence beyond the type test (an allocator or an owner file). */
  corroborated: boolean;
}

export interface InitDraft {
  root: string;
  /** The spec JSON (neutral keys). */
  spec: Record<string, unknown>;
  /** What was found, for the summary. */
  found: { fields: number; words: number; wordSize?: number; kinds: DraftKind[]; wrappers: number; assertions: number; oracle?: string; classFile: string };
}

/**
 * Each kind's fields also from the code: the fields of the sites a first analysis with the draft
 * decides for the kind by the strongest code evidence (its type tests guarding them, data flow; not
 * the owner hint the draft guessed from names), e.g. `b.head` in `case BufKind.Rx:` of
 * `switch (kindOf(b))`. The type tag stays on the object.
 */
function addFieldsFromCode(program: ts.Program, root: string, spec: Spec, specKinds: Array<Record<string, unknown>>, kinds: DraftKind[],
  tagFields: ReadonlySet<string>, order: readonly string[]): void {
  const byCode = new Map<string, Set<string>>();
  for (const f of analyzeProgram(program, root, { spec }).findings) {
    // The strongest evidence only: a callgraph join skips callers without evidence, too weak to draft from.
    if (f.confidence !== 'guard' && f.confidence !== 'provenance') continue;
    if (tagFields.has(f.field)) continue;
    byCode.set(f.kind, (byCode.get(f.kind) ?? new Set()).add(f.field));
  }
  for (const [i, k] of kinds.entries()) {
    const code = byCode.get(k.name);
    if (!code) continue;
    const all = new Set([...k.fields, ...code]);
    k.fields = order.filter((f) => all.has(f));
    const sk = specKinds[i]!;
    sk.fields = Object.fromEntries(k.fields.map((f) => [f, f]));
    const shown = order.filter((f) => code.has(f)).join(', ');
    sk.description = `${String(sk.description).replace(/; guessed from names: /, `; fields where the code decides the kind: ${shown}; guessed from names: `)}`;
  }
}

function normalized(s: string): string {
  return s.replace(/[_-]/g, '').toLowerCase();
}

/** The stem of a type test: its name without the class name and an is/has prefix (isDoor -> Door). */
export function stemOf(name: string, className: string): string {
  let s = name.replace(/^_+/, '');
  const at = s.toLowerCase().indexOf(className.toLowerCase());
  if (at >= 0 && s.length > className.length) s = s.slice(0, at) + s.slice(at + className.length);
  s = s.replace(/^_+|_+$/g, '').replace(/^(is|has)(?=[A-Z_])/i, '').replace(/^_+|_+$/g, '');
  return s;
}

function pascal(stem: string): string {
  return stem.split(/[_-]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The entry program of the project, if it has an obvious one. */
function findOracle(root: string): string | undefined {
  const candidates: string[] = [];
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: unknown; main?: unknown };
    if (typeof pkg.bin === 'string') candidates.push(pkg.bin);
    else if (pkg.bin && typeof pkg.bin === 'object') candidates.push(...Object.values(pkg.bin as Record<string, unknown>).filter((v): v is string => typeof v === 'string'));
    if (typeof pkg.main === 'string') candidates.push(pkg.main);
  } catch {
    // No package.json, or not JSON: no entry from it.
  }
  candidates.push('src/main.ts', 'main.ts');
  return candidates.map((c) => c.replace(/^\.\//, '')).find((c) => existsSync(join(root, c)));
}

/**
 * Classes of the project laid out over words (two fields or more at address offsets): what
 * `init` without --class proposes.
 */
export function candidateClasses(path: string): Array<{ name: string; file: string; fields: number }> {
  const { root, program } = loadProgram(path);
  const checker = program.getTypeChecker();
  const out: Array<{ name: string; file: string; fields: number }> = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !isProjectFile(root, sf.fileName)) continue;
    for (const st of sf.statements) {
      if (!ts.isClassDeclaration(st) || !st.name) continue;
      const layout = classLayout(st, checker);
      if (layout.located >= 2) out.push({ name: st.name.text, file: relative(root, sf.fileName).split(sep).join('/'), fields: layout.located });
    }
  }
  return out.sort((a, b) => b.fields - a.fields || a.name.localeCompare(b.name));
}

/** Draft a spec for `className` (see the module comment). Throws InputError for a bad path or class. */
export function draftSpec(opts: InitOptions): InitDraft {
  const { root, program } = loadProgram(opts.path);
  const checker = program.getTypeChecker();
  const files = program.getSourceFiles()
    .filter((sf) => !sf.isDeclarationFile && isProjectFile(root, sf.fileName))
    .map((sf) => ({ sf, rel: relative(root, sf.fileName).split(sep).join('/') }));
  const isType = (st: ts.Statement): st is ts.ClassDeclaration | ts.InterfaceDeclaration => ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st);
  const decls = files.flatMap(({ sf, rel }) => sf.statements.filter(isType).filter((c) => c.name?.text === opts.className).map((c) => ({ c, rel })));
  if (decls.length === 0) throw new InputError(`no class or interface ${opts.className} in ${root} (init drafts a spec for a type declared in the project)`);
  if (decls.length > 1) throw new InputError(`class ${opts.className} is declared ${decls.length} times (${decls.map((d) => d.rel).join(', ')}): init needs one`);
  const { c: decl, rel: classFile } = decls[0]!;
  const cls = checker.getSymbolAtLocation(decl.name!)!;
  const layout = classLayout(decl, checker);
  if (layout.fields.length === 0) throw new InputError(`class ${opts.className} (${classFile}) has no instance fields or accessors: nothing to lay out`);
  const fieldNames = new Set(layout.fields.map((f) => f.name));

  const fns = scanFunctions(files, cls, checker);
  const byNode = new Map<ts.Node, FunctionInfo>(fns.map((f) => [f.node, f]));
  // Which functions are type tests: their code tests a type or flags bit of the class (evidence.ts).
  const testsBits = bitTester(program, root, opts.className, classFile, layout.fields);
  const tests = typeTests(fns, (f) => testsBits(f.node, f.classParams[0]!));
  const testNodes = new Set<ts.Node>(tests.map((t) => t.node));
  const allocs = allocators(fns).filter((f) => !testNodes.has(f.node));
  const wraps = wrappers(fns, fieldNames, checker).filter((w) => !testNodes.has(w.node));
  const asserts = assertions(fns, checker);

  // Field uses outside the class, per file; and the fields type tests read (through their callees).
  const usesPerFile = new Map<string, Set<string>>();
  const uses = new Map<string, number>();
  // An object of the class, possibly null or undefined there (`s?.tag` of a `Slot | undefined`).
  const isClassValue = (e: ts.Expression): boolean => checker.getNonNullableType(checker.getTypeAtLocation(e)).getSymbol() === cls;
  const usedIn = (node: ts.Node, into: Set<string>, seen = new Set<ts.Node>()): void => {
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && fieldNames.has(n.name.text) && isClassValue(n.expression)) into.add(n.name.text);
      // A method of the class called on one of its objects (`s.isEntry()`): what its body reads.
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && isClassValue(n.expression.expression)) {
        const m = checker.getSymbolAtLocation(n.expression.name)?.declarations?.find((d): d is ts.MethodDeclaration => ts.isMethodDeclaration(d) && !!d.body);
        if (m && !seen.has(m)) {
          seen.add(m);
          usedIn(m.body!, into, seen);
        }
      }
      // A field asked of the layout by name, with the object (page_own_count(page, 'page_type')).
      if (ts.isCallExpression(n) && n.arguments.some((a) => checker.getTypeAtLocation(a).getSymbol() === cls)) {
        for (const a of n.arguments) if (ts.isStringLiteralLike(a) && fieldNames.has(a.text)) into.add(a.text);
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
  };
  for (const { sf, rel } of files) {
    const set = new Set<string>();
    const visit = (n: ts.Node): void => {
      if (n === decl) return;
      if (ts.isPropertyAccessExpression(n) && fieldNames.has(n.name.text) && isClassValue(n.expression)) {
        set.add(n.name.text);
        uses.set(n.name.text, (uses.get(n.name.text) ?? 0) + 1);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    usesPerFile.set(rel, set);
  }
  // Candidate kinds: type tests grouped by stem.
  const groups = new Map<string, { stem: string; tests: FunctionInfo[] }>();
  for (const t of tests) {
    const stem = stemOf(t.name, opts.className);
    const key = normalized(stem);
    if (!key || key === 'unknown' || !/^[a-z_]/.test(key)) continue;
    const g = groups.get(key) ?? { stem, tests: [] };
    g.tests.push(t);
    groups.set(key, g);
  }
  // The type tag: a field that the tests of several kinds read (in their body or the functions they
  // call) tells the kinds apart; it stays on the object (track never). Several: at least 2, and a
  // tenth of the candidates, so that one state test reading a data word does not count.
  const readers = new Map<string, Set<string>>();
  for (const [key, g] of groups) {
    for (const t of g.tests) {
      const read = new Set<string>();
      usedIn(t.body, read);
      // Through the functions it calls, a few calls deep: a test often asks a shared helper
      // (PageTable() -> page_type_is() -> page_type_of()) where the field is read.
      const seen = new Set<ts.Node>([t.node]);
      let frontier = [...t.calls];
      for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
        const next: ts.Node[] = [];
        for (const c of frontier) {
          const callee = byNode.get(c);
          if (!callee || seen.has(c)) continue;
          seen.add(c);
          usedIn(callee.body, read);
          next.push(...callee.calls);
        }
        frontier = next;
      }
      for (const f of read) readers.set(f, (readers.get(f) ?? new Set()).add(key));
    }
  }
  const tagMin = Math.max(2, Math.ceil(groups.size / 10));
  const tagFields = new Set([...readers].filter(([, ks]) => ks.size >= tagMin).map(([f]) => f));

  const keys = [...groups.keys()];
  /** The kind an allocator belongs to: the longest stem its name holds. */
  const kindOf = (name: string): string | undefined => keys.filter((k) => normalized(name).includes(k)).sort((a, b) => b.length - a.length)[0];
  const neutral = allocs.filter((a) => kindOf(a.name) === undefined).map((a) => a.name);
  const kinds: DraftKind[] = [];
  for (const [key, g] of groups) {
    const provenance = allocs.filter((a) => kindOf(a.name) === key);
    // A file of this kind's allocators owns its code, unless it is the class's file or also
    // allocates for another kind (then it is shared code).
    const owners = new Set(provenance.map((p) => p.file).filter((f) => f !== classFile && !allocs.some((a) => a.file === f && kindOf(a.name) !== undefined && kindOf(a.name) !== key)));
    for (const { rel } of files) {
      if (rel !== classFile && normalized(basename(rel).replace(/\.[cm]?tsx?$/, '')).includes(key)) owners.add(rel);
    }
    const fields = new Set<string>();
    for (const o of owners) for (const f of usesPerFile.get(o) ?? []) if (!tagFields.has(f)) fields.add(f);
    kinds.push({
      name: key, typeTests: g.tests.map((t) => t.name), provenance: provenance.map((p) => p.name),
      owners: [...owners].sort(), fields: layout.fields.map((f) => f.name).filter((f) => fields.has(f)),
      corroborated: provenance.length > 0 || owners.size > 0,
    });
  }
  // Corroborated candidates first (stable: in the order their tests were found).
  kinds.sort((a, b) => Number(b.corroborated) - Number(a.corroborated));

  const testArg = new Map(tests.map((t) => [t.name, t.classParams[0]!]));
  const stemOfKind = new Map([...groups].map(([k, g]) => [k, g.stem]));
  const specKinds = kinds.map((k) => {
    let cls = pascal(stemOfKind.get(k.name)!);
    if (cls === opts.className || !/^[A-Za-z_$][\w$]*$/.test(cls)) cls = `${pascal(k.name)}Desc`;
    const several = k.typeTests.length > 1;
    const evidence = [
      `type test${several ? 's' : ''} ${k.typeTests.map((t) => `${t}()`).join(', ')} (by ${several ? 'their' : 'its'} code: a test of ${opts.className}'s type or flags bits)`,
      ...(k.provenance.length > 0 ? [`allocated by ${k.provenance.map((p) => `${p}()`).join(', ')}`] : []),
      ...(k.owners.length > 0 ? [`code in ${k.owners.join(', ')}`] : []),
    ];
    // What rests on names only: the reader checks these.
    const guessed = [
      `the kind's name${several ? ' and which tests it groups' : ''} (from the test${several ? 's\'' : '\'s'} name${several ? 's' : ''})`,
      ...(k.provenance.length > 0 ? ['its allocators (their names hold it)'] : []),
      ...(k.owners.length > 0 ? ['its code files (named after it, or holding those allocators)'] : []),
    ];
    return {
      name: k.name,
      description: `drafted from ${evidence.join('; ')}; guessed from names: ${guessed.join(', ')}${k.corroborated ? '' : ' (a type test alone: remove it if this is no kind)'}`,
      descriptor: cls,
      ...(k.fields.length > 0 ? { fields: Object.fromEntries(k.fields.map((f) => [f, f])) } : {}),
      typeTests: k.typeTests.map((t) => ((testArg.get(t) ?? 0) > 0 ? { name: t, objectArg: testArg.get(t) } : t)),
      ...(k.owners.length > 0 ? { owners: k.owners } : {}),
      ...(k.provenance.length > 0 ? { provenance: k.provenance } : {}),
    };
  });

  const objectFields = Object.fromEntries(layout.fields.map((f) => {
    const track = tagFields.has(f.name) || (uses.get(f.name) ?? 0) === 0 ? 'never' : 'always';
    return [f.name, { words: f.words, ...(f.bits ? { bits: f.bits } : {}), ...(f.embedded ? { embedded: true } : {}), track }];
  }));
  const oracle = findOracle(root);
  const object = {
    class: opts.className,
    file: classFile,
    fields: objectFields,
    ...(wraps.length > 0 ? { wrappers: wraps.map((w) => ({ name: w.name, field: w.field, access: w.access, ...(w.objectArg ? { objectArg: w.objectArg } : {}) })) } : {}),
    ...(asserts.length > 0 ? { assertions: asserts.map((a) => ({ name: a.name, ...(a.condArg ? { condArg: a.condArg } : {}), means: a.means })) } : {}),
    ...(layout.addressMembers.length > 0 ? { addressMembers: layout.addressMembers } : {}),
    ...(neutral.length > 0 ? { neutralSources: neutral } : {}),
    ...(layout.wordSize !== undefined ? { wordSize: layout.wordSize } : {}),
  };
  const spec: Record<string, unknown> = {
    ...(opts.schemaRef ? { $schema: opts.schemaRef } : {}),
    name: basename(root),
    object,
    kinds: specKinds,
    ...(oracle ? { oracle: { entry: oracle } } : {}),
  };
  if (specKinds.length === 0) {
    // A spec needs a kind: a placeholder the user renames, mapping every field.
    spec.kinds = [{ name: 'kind1', description: `no type test of ${opts.className} found: name this kind and its descriptor`, descriptor: `${opts.className}Kind1`, fields: Object.fromEntries(layout.fields.map((f) => [f.name, f.name])) }];
  }
  const validated = (): Spec => {
    try {
      return validateSpec(spec, 'draft');
    } catch (e) {
      throw new Error(`the drafted spec does not validate: ${(e as Error).message}`);
    }
  };
  if (specKinds.length > 0) addFieldsFromCode(program, root, validated(), specKinds, kinds, tagFields, layout.fields.map((f) => f.name));
  validated();
  const words = new Set(layout.fields.flatMap((f) => f.words)).size;
  return {
    root, spec,
    found: {
      fields: layout.fields.length, words, ...(layout.wordSize !== undefined ? { wordSize: layout.wordSize } : {}), kinds,
      wrappers: wraps.length, assertions: asserts.length, ...(oracle ? { oracle } : {}), classFile,
    },
  };
}
