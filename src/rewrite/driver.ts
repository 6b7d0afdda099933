/**
 * `memdesc convert`: plan the conversion, check that the result type-checks and that a second
 * run would change nothing, then either return the diff (dry run) or write all files or none.
 * Library code: returns values, throws typed errors.
 */
import { relative } from 'node:path';
import type { ts } from '@ts-morph/common';
import { CheckFailed, InputError } from '../errors.ts';
import { loadProgram } from '../analyzers/project.ts';
import { analyzeDetailed, type DetailedAnalysis } from '../analyzers/analyze.ts';
import { formatError, typeErrors } from './check.ts';
import { overlayProgram } from '../ts/programs.ts';
import { unifiedDiff } from './diff.ts';
import { planConversion, type ConvertOptions, type ConvertPlan } from './plan.ts';
import { writeAll, type Recovery } from './staging.ts';
import { checkClean } from './gitGuard.ts';
import { lockTree, type TreeLock } from './treeLock.ts';
import { openWriteGate } from './writeGate.ts';

export interface RunOptions extends ConvertOptions {
  /** Project directory (tsconfig.json) or tsconfig file. */
  path: string;
  write?: boolean;
  force?: boolean;
  /**
   * With `write`: do the write's preparations (roll back an interrupted run, refuse a dirty
   * tree) and all checks, but leave the writing to writeConversion() (after a verification).
   */
  deferWrite?: boolean;
}

export interface RunResult {
  root: string;
  /** The project's program as loaded (before the conversion): a caller that goes on planning reuses it. */
  program: ts.Program;
  plan: ConvertPlan;
  /** The converted tree's program, type-checked in full (a caller that goes on from the result reuses it). */
  converted: ts.Program;
  /** `analyzeDetailed(program, root, { spec })`: the plan's analysis of the base, for a caller that goes on planning on `program`. */
  analysis: DetailedAnalysis;
  /** Unified diff of every changed or created file (paths relative to root). */
  diff: string;
  files: Array<{ file: string; status: 'modified' | 'created' }>;
  checks: { typecheck: 'passed'; secondRun: 'no-op'; retireDropped?: string };
  written: boolean;
  /** What was done with stages that interrupted writes left behind. */
  recovered: Recovery[];
  timings: Record<string, number>;
  /** With `write`: the tree's write lock, held until the write (release() it if you do not write). */
  lock?: TreeLock;
}

export function runConvert(opts: RunOptions): RunResult {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => { timings[name] = Math.round(performance.now() - since); return performance.now(); };
  let recovered: Recovery[] = [];
  let lock: TreeLock | undefined;
  if (opts.write) ({ lock, recovered } = openWriteGate(opts.path, !!opts.force));
  try {
  const { program, root } = loadProgram(opts.path);
  let t = lap('load', t0);
  // The base's one analysis: the plan (and a retry without retiring) reads it, and it is returned.
  const analysis = analyzeDetailed(program, root, { spec: opts.spec });
  t = lap('analyze', t);
  let plan = planConversion(program, root, { ...opts, analysis });
  t = lap('plan', t);
  const texts = (p: ConvertPlan) => new Map(p.changes.map((c) => [c.file, c.after] as const));
  let after = overlayProgram(program, texts(plan));
  let errors = typeErrors(after, root);
  let retireDropped: string | undefined;
  if (errors.length > 0) {
    const before = typeErrors(program, root);
    if (before.length > 0) {
      throw new InputError(`${relative(process.cwd(), root) || '.'} does not type-check before conversion (${before.length} error${before.length === 1 ? '' : 's'}; first: ${formatError(before[0]!)})`);
    }
    const retired = plan.report.retired.helpers.length + plan.report.retired.members.length;
    if (retired > 0 && opts.retire !== false) {
      // Something the analyzer cannot see still names a retired member: convert, keep the members.
      const first = formatError(errors[0]!);
      const p2 = planConversion(program, root, { ...opts, retire: false, analysis });
      const a2 = overlayProgram(program, texts(p2));
      const e2 = typeErrors(a2, root);
      if (e2.length === 0) {
        plan = p2;
        after = a2;
        errors = e2;
        retireDropped = `retiring members broke the type-check (${first}); nothing was retired`;
      }
    }
    if (errors.length > 0) {
      throw new CheckFailed(`the conversion does not type-check (${errors.length} error${errors.length === 1 ? '' : 's'}; first: ${formatError(errors[0]!)}); nothing was written`);
    }
  }
  t = lap('typecheck', t);
  const again = planConversion(after, root, { ...opts, ...(retireDropped ? { retire: false } : {}) });
  if (again.changes.length > 0) {
    const files = again.changes.map((c) => relative(root, c.file)).join(', ');
    throw new CheckFailed(`a second run would change ${files} again: the conversion is not idempotent; nothing was written`);
  }
  t = lap('second-run', t);
  let diff = '';
  const files: RunResult['files'] = [];
  for (const c of plan.changes) {
    const rel = relative(root, c.file).split('\\').join('/');
    diff += unifiedDiff(rel, c.before, c.after);
    files.push({ file: rel, status: c.before === null ? 'created' : 'modified' });
  }
  let written = false;
  if (opts.write && !opts.deferWrite && plan.changes.length > 0) {
    writeAll(root, texts(plan), befores(plan));
    written = true;
  }
  lap('write', t);
  timings.total = Math.round(performance.now() - t0);
  if (lock && !opts.deferWrite) lock.release();
  return {
    root, program, plan, converted: after, analysis, diff, files, checks: { typecheck: 'passed', secondRun: 'no-op', ...(retireDropped ? { retireDropped } : {}) }, written, recovered, timings,
    ...(lock && opts.deferWrite ? { lock } : {}),
  };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

/** The text each planned file had when it was read (null: to be created). */
function befores(p: ConvertPlan): Map<string, string | null> {
  return new Map(p.changes.map((c) => [c.file, c.before] as const));
}

/** Write a conversion planned with `deferWrite` (all files or none); returns whether anything was written. */
export function writeConversion(r: RunResult, force = false): boolean {
  const lock = r.lock ?? lockTree(r.root);
  try {
    if (r.plan.changes.length === 0) return false;
    // The tree may have changed while the conversion was verified: writeAll compares every file too.
    checkClean(r.root, force);
    writeAll(r.root, new Map(r.plan.changes.map((c) => [c.file, c.after] as const)), befores(r.plan));
    r.written = true;
    return true;
  } finally {
    lock.release();
  }
}
