/**
 * Function conversion ("mm: Convert X() to use ptdescs"): decide which parameters, locals and
 * returns take the descriptor type. An entity whose raw field accesses are all of one kind is a
 * seed; entities without accesses take the kind of their flow neighbours. Then, to a fixed point
 * across the call graph, an entity keeps its descriptor type only while that needs no more
 * conversions at its boundaries (ptdesc_page(ptdesc) for generic uses, page_ptdesc(page) where
 * a caller still holds a page) than keeping the page would need. Only components with a raw
 * access left to convert are considered, so a second run changes nothing.
 */
import { UNKNOWN_KIND } from '../model/spec.ts';
import type { SiteDetail } from '../analyzers/analyze.ts';
import type { Edge, Entity, FlowGraph, Port } from './flow.ts';
import type { KindPlan } from './kinds.ts';

const INF = 1e6;

export interface DecideOptions {
  kinds: KindPlan[];
  /** Is this site convertible (selected kind, supported form, inside --only)? Returns the reason if not. */
  siteProblem(site: SiteDetail): string | undefined;
  /** Entities outside the --only scope cannot be retyped (`evidence`: the kinds its own accesses say). */
  inScope(e: Entity, evidence: Set<string>): boolean;
  /**
   * Is the entity's code owned by this kind (spec owners)? An entity without accesses of its
   * own takes a kind from its neighbours only there: generic helpers stay generic.
   */
  owned(e: Entity, kind: string): boolean;
}

export function decide(g: FlowGraph, opts: DecideOptions): void {
  const byName = new Map(opts.kinds.map((k) => [k.name, k] as const));
  const kindOfSite = (s: SiteDetail): KindPlan | undefined => (s.finding.kind === UNKNOWN_KIND ? undefined : byName.get(s.finding.kind));

  // 1. evidence: the kinds each entity's own accesses say (any kind, unknown included)
  const evidence = new Map<Entity, Set<string>>();
  const direct = new Set<Entity>();
  for (const e of g.entities) {
    e.label = null;
    const ev = new Set<string>();
    const uses = [...e.fieldUses.map((u) => u.site), ...e.destructures.flatMap((d) => d.sites)];
    if (uses.length > 0) direct.add(e);
    for (const s of uses) ev.add(s.finding.kind);
    for (const ed of e.edges) {
      if (ed.wrapperCall) { ev.add(ed.wrapperCall.site.finding.kind); direct.add(e); }
      const t = other(ed, e);
      if (t.t === 'terminal' && t.what === 'container' && t.site) { ev.add(t.site.finding.kind); direct.add(e); }
      if (t.t === 'terminal' && (t.what === 'toPage' || t.what === 'fromPage') && t.kind) ev.add(t.kind.name);
    }
    evidence.set(e, ev);
    if (e.blocked) continue;
    if (!opts.inScope(e, ev)) { e.blocked = 'outside --only'; continue; }
    for (const s of uses) {
      const k = kindOfSite(s);
      const why = opts.siteProblem(s);
      if (!k || why || !k.desc) { e.blocked = why ?? (k && !k.desc ? `${k.name} has no descriptor type` : `a ${s.finding.kind} access (${s.finding.field})`); break; }
    }
    if (!e.blocked && ev.size > 1) e.blocked = `accesses of several kinds (${[...ev].join(', ')})`;
  }

  // 2. propagation to entities with no evidence of their own, in rounds (deterministic)
  const kindOf = new Map<Entity, string | null>();
  for (const [e, ev] of evidence) kindOf.set(e, ev.size === 1 ? [...ev][0]! : ev.size > 1 ? null : undefined as never);
  for (let round = 0; round < 10000; round++) {
    const next = new Map<Entity, string | null>();
    for (const e of g.entities) {
      if (kindOf.get(e) !== undefined) continue;
      const ks = new Set<string>();
      for (const ed of e.edges) {
        const y = other(ed, e);
        if (y.t !== 'entity') continue;
        const yk = kindOf.get(y);
        if (typeof yk === 'string') ks.add(yk);
      }
      if (ks.size === 1) next.set(e, [...ks][0]!);
      else if (ks.size > 1) next.set(e, null);
    }
    if (next.size === 0) break;
    for (const [e, k] of next) kindOf.set(e, k);
  }

  // 3. active components (something raw to convert) and initial labels
  const comp = new Map<Entity, number>();
  let nc = 0;
  for (const e of g.entities) {
    if (comp.has(e)) continue;
    const stack = [e];
    comp.set(e, nc);
    while (stack.length) {
      const x = stack.pop()!;
      for (const ed of x.edges) {
        const y = other(ed, x);
        if (y.t === 'entity' && !comp.has(y)) { comp.set(y, nc); stack.push(y); }
      }
    }
    nc++;
  }
  const active = new Set<number>();
  for (const e of g.entities) {
    if (e.blocked) continue;
    const k = kindOf.get(e);
    if (direct.has(e) && typeof k === 'string' && byName.has(k)) active.add(comp.get(e)!);
  }
  for (const e of g.entities) {
    const k = kindOf.get(e);
    if (e.blocked || typeof k !== 'string' || !active.has(comp.get(e)!)) continue;
    if (!direct.has(e) && evidence.get(e)!.size === 0 && !opts.owned(e, k)) continue;
    const plan = byName.get(k);
    if (plan?.desc) e.label = plan;
  }

  // 4. fixed point: drop descriptor types that cost more conversions than they save
  for (let round = 0; round < 1000; round++) {
    const flips: Entity[] = [];
    for (const e of g.entities) {
      if (!e.label) continue;
      const withK = cost(e, e.label);
      const without = cost(e, null);
      // Ties keep the descriptor where the entity touches fields itself, not on pass-through ones.
      if (withK > without || without === 0 || (withK === without && !direct.has(e))) flips.push(e);
    }
    if (flips.length === 0) break;
    for (const e of flips) e.label = null;
  }
}

function other(ed: Edge, e: Port): Port {
  return ed.from === e ? ed.to : ed.from;
}

/** Conversions needed around `e` if it had label `k`, given its neighbours' labels. */
export function cost(e: Entity, k: KindPlan | null): number {
  let c = 0;
  for (const u of e.fieldUses) c += k ? (k.name === u.site.finding.kind ? 0 : INF) : 1;
  for (const d of e.destructures) c += k ? (d.sites.every((s) => s.finding.kind === k.name) ? 0 : INF) : 1;
  c += k ? e.memberUses.length : 0;
  for (const ed of e.edges) c += edgeCost(ed, e, k);
  return c;
}

function between(a: KindPlan | null, b: KindPlan | null): number {
  if (a === b) return 0;
  if (!a || !b) return 1;
  return 2;
}

function edgeCost(ed: Edge, e: Entity, k: KindPlan | null): number {
  const y = other(ed, e);
  if (ed.wrapperCall) {
    const siteKind = ed.wrapperCall.site.finding.kind;
    const p = ed.to.t === 'entity' ? ed.to : undefined;
    if (ed.to === e) {
      // e is the wrapper's parameter; y the argument.
      const a = y.t === 'entity' ? y.label ?? null : null;
      return k ? between(a, k) : (a && a.name === siteKind ? 0 : 1);
    }
    // e is the argument.
    const pl = p ? p.label ?? null : null;
    if (pl) return between(k, pl);
    return k ? (k.name === siteKind ? 0 : INF) : 1;
  }
  if (y.t === 'entity') {
    if (y === e) return 0;
    return between(k, y.label ?? null);
  }
  switch (y.what) {
    case 'address':
    case 'neutral':
    case 'ctor':
      return 0;
    case 'container':
      if (!k) return y.kind && y.kind.desc ? 1 : 0;
      if (y.kind && y.kind.name === k.name) return 0;
      if (y.shape === 'array') return INF;
      return y.kind?.desc ? 2 : 1;
    case 'toPage':
    case 'fromPage':
      if (!k) return 1;
      return y.kind && y.kind.name === k.name ? 0 : 2;
    case 'toAddress':
      return k ? (k.toAddress ? 0 : 1) : 0;
    case 'opaque':
    case 'opaqueSink':
      return k ? 1 : 0;
  }
}
