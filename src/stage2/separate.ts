/**
 * `memdesc separate`: give kinds whose audit is clean their own descriptor storage (stage 2).
 * Library code: plans every kind in turn (each on the tree the previous one left), checks the
 * result type-checks and that a second run changes nothing, then returns the diff or writes all
 * files or none, under the same contract as `convert --write` (lock, recovery of an interrupted
 * write, clean git tree, staged atomic write with a journal).
 */
import { relative } from 'node:path';
import type { ts } from '@ts-morph/common';
import { CheckFailed, InputError, UsageError } from '../errors.ts';
import { loadProgram } from '../analyzers/project.ts';
import { formatError, typeErrors } from '../rewrite/check.ts';
import { overlayProgram } from '../ts/programs.ts';
import { unifiedDiff } from '../rewrite/diff.ts';
import { writeAll, type Recovery } from '../rewrite/staging.ts';
import { checkClean } from '../rewrite/gitGuard.ts';
import { lockTree, type TreeLock } from '../rewrite/treeLock.ts';
import { openWriteGate } from '../rewrite/writeGate.ts';
import type { Spec } from '../model/spec.ts';
import { auditProgram } from './audit.ts';
import type { KindPlan } from './separatePlan.ts';
import { planSeparation, type SeparationPlan } from './separateTag.ts';

/**
 * Test-only: `MEMDESC_TEST_SKIP_AUDIT=1` separates past the audit's blockers, so that a test can
 * show what a blocker does at run time (issue 14 item 8, the RFC's crash). Never for real use.
 */
export const SKIP_AUDIT_ENV = 'MEMDESC_TEST_SKIP_AUDIT';

const RFC_ORDER = ['ptdesc', 'zpdesc', 'vmalloc', 'slab', 'folio'];

export interface SeparateOptions {
  path: string;
  spec: Spec;
  /** Kinds to separate, in order; empty with `all`. */
  kinds: string[];
  all?: boolean;
  write?: boolean;
  force?: boolean;
  /** Write later (after a verification) with writeSeparation(); the lock is kept until then. */
  deferWrite?: boolean;
}

export interface SeparateResult {
  root: string;
  /** `embedded`: the kind's pages carry a misc word (its subtype) holding its field: no descriptor is allocated. */
  kinds: Array<Pick<KindPlan, 'kind' | 'already' | 'sites' | 'layout' | 'size'> & { embedded?: { subtype: string; field: string } }>;
  diff: string;
  files: Array<{ file: string; status: 'modified' | 'created' }>;
  texts: Map<string, string>;
  befores: Map<string, string | null>;
  written: boolean;
  recovered: Recovery[];
  auditSkipped: boolean;
  lock?: TreeLock;
}

/** The kinds `opts` names (checked against the spec), in the RFC's order for --all. */
export function separateKinds(spec: Spec, kinds: string[], all?: boolean): string[] {
  const separable = spec.kinds.filter((k) => k.descriptor !== null).map((k) => k.name);
  if (all) {
    // The plan's order for the kernel's kinds (ptdesc first, as the RFC; slab with its bootstrap
    // and folio last), then any other kind in the spec's order.
    const rank = (k: string) => { const i = RFC_ORDER.indexOf(k); return i < 0 ? RFC_ORDER.length : i; };
    return separable.map((k, i) => [k, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([k]) => k);
  }
  for (const k of kinds) {
    const kind = spec.kinds.find((x) => x.name === k);
    if (!kind) throw new UsageError(`unknown kind '${k}' (the spec's kinds: ${spec.kinds.map((x) => x.name).join(', ')})`);
    if (!kind.descriptor) throw new UsageError(`${k} has no descriptor class: it stays in ${spec.page.class}`);
  }
  return [...new Set(kinds)];
}

export function runSeparate(opts: SeparateOptions): SeparateResult {
  const names = separateKinds(opts.spec, opts.kinds, opts.all);
  if (names.length === 0) throw new UsageError('name the kinds to separate, or --all');
  let lock: TreeLock | undefined;
  let recovered: Recovery[] = [];
  if (opts.write) ({ lock, recovered } = openWriteGate(opts.path, !!opts.force));
  try {
    const { program, root } = loadProgram(opts.path);
    const before = typeErrors(program, root);
    if (before.length > 0) {
      throw new InputError(`${relative(process.cwd(), root) || '.'} does not type-check (${before.length} error${before.length === 1 ? '' : 's'}; first: ${formatError(before[0]!)})`);
    }
    const plans = planAll(program, root, opts.spec, names, true);
    const skipped = plans.skippedAudit;
    const texts = plans.texts;
    let diff = '';
    const files: SeparateResult['files'] = [];
    const befores = new Map<string, string | null>();
    for (const [file, after] of [...texts].sort((a, b) => a[0].localeCompare(b[0]))) {
      const prev = program.getSourceFile(file)?.text ?? null;
      if (prev === after) continue;
      befores.set(file, prev);
      const rel = relative(root, file).split('\\').join('/');
      diff += unifiedDiff(rel, prev, after);
      files.push({ file: rel, status: prev === null ? 'created' : 'modified' });
    }
    for (const f of [...texts.keys()]) if (!befores.has(f)) texts.delete(f);
    if (texts.size > 0) {
      const after = overlayProgram(program, texts);
      const errors = typeErrors(after, root);
      if (errors.length > 0) {
        throw new CheckFailed(`the separation does not type-check (${errors.length} error${errors.length === 1 ? '' : 's'}; first: ${formatError(errors[0]!)}); nothing was written`);
      }
      const again = planAll(after, root, opts.spec, names, false);
      const changed = [...again.texts].filter(([f, t]) => (after.getSourceFile(f)?.text ?? null) !== t).map(([f]) => relative(root, f));
      if (changed.length > 0) throw new CheckFailed(`a second run would change ${changed.join(', ')} again: the separation is not idempotent; nothing was written`);
    }
    let written = false;
    if (opts.write && !opts.deferWrite && texts.size > 0) {
      writeAll(root, texts, befores);
      written = true;
    }
    if (lock && !opts.deferWrite) lock.release();
    return {
      root, kinds: plans.kinds, diff, files, texts, befores, written, recovered, auditSkipped: skipped,
      ...(lock && opts.deferWrite ? { lock } : {}),
    };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

/** Write a separation planned with `deferWrite` (all files or none). */
export function writeSeparation(r: SeparateResult, force = false): boolean {
  const lock = r.lock ?? lockTree(r.root);
  try {
    if (r.texts.size === 0) return false;
    checkClean(r.root, force);
    writeAll(r.root, r.texts, r.befores);
    r.written = true;
    return true;
  } finally {
    lock.release();
  }
}

function planAll(program: ts.Program, root: string, spec: Spec, names: string[], gate: boolean) {
  let current = program;
  const texts = new Map<string, string>();
  const kinds: SeparateResult['kinds'] = [];
  let skippedAudit = false;
  for (const name of names) {
    const kind = spec.kinds.find((k) => k.name === name)!;
    // An already separated kind is a no-op: checked before the audit, which no longer applies.
    // A plan that cannot follow the code is reported after the audit, which says why first.
    let probe: SeparationPlan | 'already' | undefined;
    let planError: unknown;
    try {
      // A kind whose accessor checks a misc subtype keeps its data in the word (separateEmbed.ts).
      const p = planSeparation(current, root, spec, kind);
      probe = p.already ? 'already' : p;
    } catch (e) {
      if (!(e instanceof CheckFailed)) throw e;
      planError = e;
    }
    if (probe === 'already') {
      kinds.push({ kind: name, already: true, sites: { allocs: [], frees: [] }, layout: [], size: 0 });
      continue;
    }
    if (gate) {
      const audit = auditProgram(current, root, { spec, kinds: [name] });
      const n = audit.summary.byKind[name] ?? 0;
      if (n > 0) {
        if (process.env[SKIP_AUDIT_ENV] === '1') skippedAudit = true;
        else throw new CheckFailed(`separate: ${name} has ${n} audit blocker${n === 1 ? '' : 's'} (\`memdesc audit ${name}\` lists them); nothing was written`);
      }
    }
    if (planError !== undefined || probe === undefined) throw planError;
    const plan = probe;
    kinds.push({
      kind: plan.kind, already: false, sites: plan.sites, layout: plan.layout, size: plan.size,
      ...(plan.embedded ? { embedded: plan.embedded } : {}),
    });
    for (const [f, t] of plan.texts) texts.set(f, t);
    current = overlayProgram(current, plan.texts);
  }
  return { texts, kinds, skippedAudit };
}
