/**
 * The steps of a series and the tree after each. Every step's tree is one run of the converter
 * on the *base* with a wider scope than the step before (the kinds done so far everywhere, the
 * current kind in the functions converted so far; the descriptor types of every kind started),
 * so each tree is a whole conversion the converter stands behind, the patch of a step is the
 * difference between consecutive trees (the function converted, boundary conversions its callers
 * now need or no longer need), and the last tree is the one-shot conversion itself.
 */
import { relative, sep } from 'node:path';
import { ts } from '@ts-morph/common';
import { resolveSpecifier } from '../rewrite/imports.ts';
import { formatError, overlayProgram, typeErrors, type TypeError } from '../rewrite/check.ts';
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
      acc.push(...u.names);
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
}

function relTexts(root: string, plan: ConvertPlan): TreeTexts {
  return new Map(plan.changes.map((c) => [relative(root, c.file).split(sep).join('/'), c.after] as const));
}

/** Files importing any of `changed`, transitively, plus `changed` (what a type error could reach). */
function affected(program: ts.Program, root: string, changed: Set<string>): Set<string> {
  const importers = new Map<string, Set<string>>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    for (const st of sf.statements) {
      const spec = (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
      const target = spec && resolveSpecifier(sf.fileName, spec);
      if (!target) continue;
      let s = importers.get(target);
      if (!s) importers.set(target, (s = new Set()));
      s.add(sf.fileName);
    }
  }
  const out = new Set<string>();
  const stack = [...changed].map((f) => `${root}/${f}`);
  while (stack.length) {
    const f = stack.pop()!;
    if (out.has(f)) continue;
    out.add(f);
    stack.push(...(importers.get(f) ?? []));
  }
  return out;
}

/**
 * Type errors of `program` in the files a change could have broken: the previous tree
 * type-checked, and type information flows only along imports, so the other files keep
 * their (empty) diagnostics. `all` checks every file (the tip).
 */
function errorsIn(program: ts.Program, root: string, changed: Set<string>, all: boolean): { errors: TypeError[]; files: number } {
  if (all) return { errors: typeErrors(program, root), files: program.getSourceFiles().filter((f) => !f.isDeclarationFile).length };
  const files = affected(program, root, changed);
  const diags: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const f of files) {
    const sf = program.getSourceFile(f);
    if (!sf) continue;
    diags.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  const errors: TypeError[] = [];
  for (const d of diags) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      errors.push({ file: relative(root, d.file.fileName).split(sep).join('/'), line: line + 1, column: character + 1, message });
    } else errors.push({ file: '', line: 0, column: 0, message });
  }
  return { errors, files: files.size };
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
  /** Called after each step's tree is known (lets verification start while planning goes on). */
  onTree?: (t: StepTree, index: number) => Promise<void> | void;
}

/**
 * The tree after every step. A tree that does not type-check is kept out (`typecheck.ok`
 * false): its changes go into the next step that does, and the type-check of the following
 * trees is taken against the last good one.
 */
export async function buildTrees(program: ts.Program, root: string, steps: StepSpec[], opts: BuildTreesOptions): Promise<StepTree[]> {
  const out: StepTree[] = [];
  let good: TreeTexts = new Map();
  const full = relTexts(root, opts.oneShot);
  for (const [i, step] of steps.entries()) {
    const t0 = performance.now();
    const last = i === steps.length - 1;
    let texts: TreeTexts;
    let report: ConvertReport;
    if (last) {
      // The tip is the one-shot conversion (retire included), not a re-plan of it.
      texts = full;
      report = opts.oneShot.report;
    } else {
      const plan = planConversion(program, root, { spec: opts.spec, kinds: step.kinds, scope: step.scope, scaffold: step.scaffold, retire: false });
      texts = relTexts(root, plan);
      report = plan.report;
    }
    const t1 = performance.now();
    const changed = [...new Set([...texts.keys(), ...good.keys()])].filter((f) => texts.get(f) !== good.get(f)).sort();
    const tree: StepTree = { step, texts, report, changed, empty: changed.length === 0, typecheck: { ok: true, errors: 0, files: 0, ms: 0, cpuMs: 0 }, planMs: t1 - t0 };
    if (!tree.empty) {
      const c0 = process.cpuUsage();
      const abs = new Map([...texts].map(([f, t]) => [`${root}/${f}`, t] as const));
      const { errors, files } = errorsIn(overlayProgram(program, abs), root, new Set(changed), last);
      tree.typecheck = { ok: errors.length === 0, errors: errors.length, ...(errors[0] ? { first: formatError(errors[0]) } : {}), files, ms: performance.now() - t1, cpuMs: cpuMs(c0) };
      if (tree.typecheck.ok) good = texts;
    }
    out.push(tree);
    await opts.onTree?.(tree, i);
  }
  return out;
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
