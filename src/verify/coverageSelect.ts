/**
 * What changed between two builds of a tree, in the terms coverage can judge: nothing, some
 * functions (their own text, nested functions aside), or something every run executes (a
 * module's top-level code, the set or order of modules, a file the bundle does not hold). And
 * which runs that change can reach: a run that enters none of the changed functions executes
 * exactly what it executed before (docs/verify.md, "Coverage-selected verification").
 */
import type { BundleMap } from './coverageMap.ts';

export type BundleChange =
  | { kind: 'none' }
  | { kind: 'all'; why: string }
  | { kind: 'functions'; ids: Set<string>; display: Map<string, string> };

/** Each map's top-level function names (a step's map is compared with two or three others). */
const declaredOf = new WeakMap<BundleMap, Set<string>>();

function declared(m: BundleMap): Set<string> {
  let d = declaredOf.get(m);
  if (!d) declaredOf.set(m, (d = new Set(m.modules.flatMap((x) => x.declared))));
  return d;
}

/** Files whose content can reach a run only through the bundle: TypeScript and JavaScript sources. */
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs|jsx|json)$/;

/**
 * The difference between builds `a` and `b` of a tree. `files`: the project-relative files whose
 * text differs between the two trees: one the bundle cannot hold (data read at run time) changes
 * everything.
 */
export function bundleChange(a: BundleMap, b: BundleMap, files: string[] = []): BundleChange {
  const foreign = files.find((f) => !SOURCE.test(f));
  if (foreign) return { kind: 'all', why: `${foreign} changed, which the bundle does not hold` };
  const am = a.modules.map((m) => m.path);
  const bm = b.modules.map((m) => m.path);
  if (am.join('\n') !== bm.join('\n')) {
    const added = bm.filter((p) => !am.includes(p));
    const removed = am.filter((p) => !bm.includes(p));
    const what = added.length ? `module ${added[0]} added` : removed.length ? `module ${removed[0]} removed` : 'modules in another order';
    return { kind: 'all', why: `${what} (module-level code runs in every run)` };
  }
  for (const [i, m] of a.modules.entries()) {
    if (m.hash !== b.modules[i]!.hash) return { kind: 'all', why: `module-level change in ${m.path}` };
  }
  const ids = new Set<string>();
  const display = new Map<string, string>();
  for (const f of a.functions) {
    const g = b.byId.get(f.id);
    if (!g || g.hash !== f.hash) {
      ids.add(f.id);
      display.set(f.id, f.display);
    }
  }
  // A top-level function declared in one build only (esbuild drops one nobody calls any more) runs
  // nothing by being there; code that names it may now find or miss it, so that code changed.
  const [da, db] = [declared(a), declared(b)];
  const names = [...da].filter((n) => !db.has(n)).concat([...db].filter((n) => !da.has(n)));
  if (names.length) {
    const named = new RegExp(`(?<![\\w$])(?:${names.map((n) => n.replace(/[$]/g, '\\$')).join('|')})(?![\\w$])`);
    const top = b.modules.find((m) => named.test(m.own)) ?? a.modules.find((m) => named.test(m.own));
    if (top) return { kind: 'all', why: `module-level change in ${top.path} (it names ${names.length === 1 ? names[0] : 'functions'} added or removed)` };
    for (const f of [...a.functions, ...b.functions]) {
      if (a.byId.has(f.id) && named.test(f.own)) {
        ids.add(f.id);
        display.set(f.id, f.display);
      }
    }
  }
  // A function only `b` has can run only where its enclosing code changed (it holds the new
  // function's identity), and that code is in `ids` or a module's top level.
  return ids.size === 0 ? { kind: 'none' } : { kind: 'functions', ids, display };
}

/** The changed functions a run entered (empty: the run cannot see the change). */
export function reached(change: BundleChange & { kind: 'functions' }, executed: Set<string>): string[] {
  return [...change.ids].filter((id) => executed.has(id));
}

/** "free_slab()", "free_slab() and put_slab()", "free_slab(), put_slab() and 3 more". */
export function listFunctions(names: string[], max = 2): string {
  const uniq = [...new Set(names)];
  if (uniq.length <= max) return uniq.length === 2 ? `${uniq[0]} and ${uniq[1]}` : uniq.join('');
  return `${uniq.slice(0, max).join(', ')} and ${uniq.length - max} more`;
}
