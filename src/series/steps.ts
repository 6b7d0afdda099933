/**
 * The steps of a series and the tree after each. Every step's tree is one run of the converter
 * on the *base* with a wider scope than the step before (the kinds done so far everywhere, the
 * current kind in the functions converted so far; the descriptor types of every kind started),
 * so each tree is a whole conversion the converter stands behind, the patch of a step is the
 * difference between consecutive trees (the function converted, boundary conversions its callers
 * now need or no longer need), and the last tree is the one-shot conversion itself.
 */
import { relative, sep } from 'node:path';
import type { ts } from '@ts-morph/common';
import { analyzeDetailed, type DetailedAnalysis } from '../analyzers/analyze.ts';
import { formatError, toTypeErrors, typeErrors, type TypeError } from '../rewrite/check.ts';
import { IncrementalChecker } from '../ts/incremental.ts';
import { overlayProgram } from '../ts/programs.ts';
import { planConversion, type ConvertPlan, type ConvertReport } from '../rewrite/plan.ts';
import type { KindPlan } from '../rewrite/kinds.ts';
import type { Spec } from '../model/spec.ts';
import type { Unit } from './units.ts';

export type StepRole = 'scaffold' | 'convert' | 'rest' | 'retire';

export interface StepSpec {
  role: StepRole;
  /** The kind the step works on (none for retire). */
  kind?: string;
  unit?: Unit;
  /** Converter options for the tree after this step (retire steps use the one-shot plan). */
  kinds: string[];
  scope: Record<string, string[]>;
  scaffold: string[];
}

/** Per kind (spec order): create its types, convert its units callees first, then anything left; retire last. */
export function seriesSteps(kinds: KindPlan[], units: Map<string, Unit[]>, retires: boolean): StepSpec[] {
  const steps: StepSpec[] = [];
  const done: string[] = [];
  for (const k of kinds) {
    const us = units.get(k.name);
    if (!us || us.length === 0) continue;
    const sel = [...done, k.name];
    steps.push({ role: 'scaffold', kind: k.name, kinds: sel, scope: { [k.name]: [] }, scaffold: sel });
    const acc: string[] = [];
    for (const u of us) {
      acc.push(...u.scope);
      steps.push({ role: 'convert', kind: k.name, unit: u, kinds: sel, scope: { [k.name]: [...acc] }, scaffold: sel });
    }
    done.push(k.name);
    steps.push({ role: 'rest', kind: k.name, kinds: [...done], scope: {}, scaffold: [...done] });
  }
  if (retires) steps.push({ role: 'retire', kinds: [...done], scope: {}, scaffold: [...done] });
  return steps;
}

/** Project-relative path (forward slashes) -> content, for every file that differs from the base. */
export type TreeTexts = Map<string, string>;

export interface StepTree {
  step: StepSpec;
  texts: TreeTexts;
  report: ConvertReport;
  /** Files whose content differs from the previous good tree. */
  changed: string[];
  /** Empty: the step changes nothing (its work was done by an earlier step). */
  empty: boolean;
  typecheck: { ok: boolean; errors: number; first?: string; files: number; ms: number; cpuMs: number };
  planMs: number;
  /** CPU milliseconds of this process planning the step (the wall time above waits for a core on a busy machine). */
  planCpuMs: number;
}

function relTexts(root: string, plan: ConvertPlan): TreeTexts {
  return new Map(plan.changes.map((c) => [relative(root, c.file).split(sep).join('/'), c.after] as const));
}

/**
 * Type errors of a step's tree. Steps before the tip are checked incrementally (the checker
 * re-checks only the files the change since the previous step can have affected; the errors are
 * those of a full check). The tip, the series' result, is checked from scratch as convert does,
 * unless the caller says the one-shot conversion (the tip's texts) was already checked that way.
 */
function errorsIn(checker: IncrementalChecker, program: ts.Program, root: string, texts: TreeTexts, tip: boolean, tipChecked: boolean): { errors: TypeError[]; files: number } {
  const abs = new Map([...texts].map(([f, t]) => [`${root}/${f}`, t] as const));
  if (tip && !tipChecked) {
    const after = overlayProgram(program, abs);
    return { errors: typeErrors(after, root), files: after.getSourceFiles().filter((f) => !f.isDeclarationFile).length };
  }
  const r = checker.check(abs);
  return { errors: toTypeErrors(r.diagnostics, root), files: r.checked.length };
}

/** CPU milliseconds of this process since `since` (the check's own cost on a busy machine). */
function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

export interface BuildTreesOptions {
  spec: Spec;
  /** The one-shot conversion: the last tree (retire step) is exactly its result. */
  oneShot: ConvertPlan;
  /**
   * `analyzeDetailed(program, root, { spec })`: every step is planned on the same base program, so
   * one analysis serves them all (made here when not given).
   */
  analysis?: DetailedAnalysis;
  /**
   * The one-shot conversion's texts were type-checked from scratch already (`runConvert` does):
   * the tip is then checked incrementally like the other steps (the same errors, test/ts/incremental.test.ts).
   */
  oneShotChecked?: boolean;
  /** Called after each step's tree is known (lets verification start while planning goes on). */
  onTree?: (t: StepTree, index: number) => Promise<void> | void;
}

/**
 * The tree after every step. A tree that does not type-check is kept out (`typecheck.ok`
 * false): its changes go into the next step that does (`changed` is taken against the last
 * good tree). Every check gives the errors of the whole tree, whatever the trees before it.
 */
export async function buildTrees(program: ts.Program, root: string, steps: StepSpec[], opts: BuildTreesOptions): Promise<StepTree[]> {
  const out: StepTree[] = [];
  let good: TreeTexts = new Map();
  const full = relTexts(root, opts.oneShot);
  const checker = new IncrementalChecker(program);
  let analysis = opts.analysis;
  for (const [i, step] of steps.entries()) {
    const t0 = performance.now();
    const p0 = process.cpuUsage();
    const last = i === steps.length - 1;
    let texts: TreeTexts;
    let report: ConvertReport;
    if (last) {
      // The tip is the one-shot conversion (retire included), not a re-plan of it.
      texts = full;
      report = opts.oneShot.report;
    } else {
      analysis ??= analyzeDetailed(program, root, { spec: opts.spec });
      const plan = planConversion(program, root, { spec: opts.spec, kinds: step.kinds, scope: step.scope, scaffold: step.scaffold, retire: false, analysis });
      texts = relTexts(root, plan);
      report = plan.report;
    }
    // A file the step leaves as the tree before had it keeps that tree's string: the trees (kept
    // until the series ends) share their unchanged files, and comparing them is by identity.
    const before = out.at(-1)?.texts;
    if (before) for (const [f, t] of texts) if (before.get(f) === t) texts.set(f, before.get(f)!);
    // The verifier's child processes (runs ending, builds done) are served between planning and
    // checking too: a run that ended waits for this loop before the next one starts.
    const planMs = performance.now() - t0;
    const planCpuMs = cpuMs(p0);
    await new Promise<void>((r) => setImmediate(r));
    const t1 = performance.now();
    const changed = [...new Set([...texts.keys(), ...good.keys()])].filter((f) => texts.get(f) !== good.get(f)).sort();
    const tree: StepTree = { step, texts, report, changed, empty: changed.length === 0, typecheck: { ok: true, errors: 0, files: 0, ms: 0, cpuMs: 0 }, planMs, planCpuMs };
    if (!tree.empty) {
      const c0 = process.cpuUsage();
      const { errors, files } = errorsIn(checker, program, root, texts, last, !!opts.oneShotChecked);
      tree.typecheck = { ok: errors.length === 0, errors: errors.length, ...(errors[0] ? { first: formatError(errors[0]) } : {}), files, ms: performance.now() - t1, cpuMs: cpuMs(c0) };
      if (tree.typecheck.ok) good = texts;
    }
    out.push(tree);
    await opts.onTree?.(tree, i);
  }
  return out;
}

/**
 * The tree the series ends on: the last one that changes something and type-checks (-1: none).
 * It is the tip, which runs its whole verification plan, even when later steps were empty.
 */
export function lastCommittable(trees: StepTree[]): number {
  let i = trees.length - 1;
  while (i >= 0 && (trees[i]!.empty || !trees[i]!.typecheck.ok)) i--;
  return i;
}

export interface CommitGroup {
  /** The steps one commit carries: the ones that could not stand alone, then the one that can. */
  trees: StepTree[];
  indices: number[];
  /** Why each carried step could not be committed on its own. */
  carried: Array<{ index: number; reason: string }>;
}

/**
 * Which trees become commits: a tree that changes nothing is dropped; one that fails
 * (`failure` returns why: it does not type-check or verify) is never committed, its changes
 * go into the next tree that passes. Trees that fail after the last pass are `leftover`.
 */
export function groupCommits(trees: StepTree[], failure: (t: StepTree, index: number) => string | undefined): {
  groups: CommitGroup[]; empty: number[]; leftover: Array<{ index: number; reason: string }>;
} {
  const groups: CommitGroup[] = [];
  const empty: number[] = [];
  let cur: CommitGroup = { trees: [], indices: [], carried: [] };
  for (const [i, t] of trees.entries()) {
    if (t.empty) { empty.push(i); continue; }
    cur.trees.push(t);
    cur.indices.push(i);
    const why = failure(t, i);
    if (why) { cur.carried.push({ index: i, reason: why }); continue; }
    groups.push(cur);
    cur = { trees: [], indices: [], carried: [] };
  }
  return { groups, empty, leftover: cur.carried };
}
