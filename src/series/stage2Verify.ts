/**
 * The tip of a series with stage-2 patches runs in its real placement too (descriptors from slab,
 * memmap shrunk), checked after every operation (docs/verify.md, part (b) across layouts): the
 * comparison with the base (placement-preserving, the verifier's) cannot see a descriptor that
 * leaks or a memdesc word that points at the wrong descriptor; these checks can.
 */
import { availableParallelism } from 'node:os';
import { Pool } from '../verify/run.ts';
import { makePlan, prepareTree, runLayoutChecks, runMatrices, type LayoutChecks } from '../verify/verify.ts';
import type { TreeTexts } from './steps.ts';
import type { SeriesVerifyOptions } from './verifySteps.ts';

/** Why a task of a cancelled lane did not run. */
export class LaneCancelled extends Error {
  constructor() {
    super('cancelled: checks started ahead are no longer needed');
  }
}

/**
 * A lane of `pool` for work started ahead of need: its tasks take the pool's slots in its order,
 * but at most `limit` of them at a time (default: all but one slot, so the work the pool is
 * there for — the steps' runs, one after another — always finds a slot instead of queueing
 * behind a whole tip's batches); `widen()` lifts that once nothing else is left to wait for.
 * Once `signal` is aborted none of its tasks starts any more: one still waiting rejects with
 * LaneCancelled (and frees its slot at once), so when the work turns out not to be needed (a
 * stage-2 patch failed) the checks asked for next do not wait behind it; tasks running finish.
 */
export class Lane extends Pool {
  private limit: number;
  private inParent = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly parent: Pool, private readonly signal?: AbortSignal, limit = Math.max(1, parent.size - 1)) {
    super(parent.size);
    this.limit = Math.max(1, Math.min(limit, parent.size));
    // Tasks waiting in the lane itself give up at once.
    signal?.addEventListener('abort', () => this.wake(), { once: true });
  }

  /** Let the lane's tasks take every slot of the pool. */
  widen(): void {
    this.limit = this.parent.size;
    this.wake();
  }

  private wake(): void {
    while (this.waiting.length && (this.signal?.aborted || this.inParent < this.limit)) {
      // Counted as taken: a task woken by the abort gives it back at once.
      this.inParent++;
      this.waiting.shift()!();
    }
  }

  override async run<T>(task: () => Promise<T>, affinity?: string): Promise<T> {
    if (this.signal?.aborted) throw new LaneCancelled();
    // A slot of the lane is handed over by wake() (counted there) or taken here.
    if (this.inParent >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    else this.inParent++;
    if (this.signal?.aborted) {
      this.release();
      throw new LaneCancelled();
    }
    try {
      return await this.parent.run(() => (this.signal?.aborted ? Promise.reject(new LaneCancelled()) : task()), affinity);
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.inParent--;
    this.wake();
  }
}

/**
 * One background Lane of `pool` per signal (the checks checkStage2() starts ahead share theirs),
 * and the pool itself for checks asked for when judged; `widen()` widens every lane.
 */
export function lanesOf(pool: Pool): { of(signal?: AbortSignal): Pool; widen(): void } {
  const lanes = new Map<AbortSignal, Lane>();
  return {
    of(signal) {
      if (!signal) return pool;
      let l = lanes.get(signal);
      if (!l) lanes.set(signal, (l = new Lane(pool, signal)));
      return l;
    },
    widen() {
      for (const l of lanes.values()) l.widen();
    },
  };
}

/**
 * Real-placement checks of the base with `texts` applied, under the tip's plan (its workloads,
 * seeds and operations). `pool`: the verifier's, so these runs share its workers (warm on the
 * tip's bundle) and its cores instead of starting as many again; default: a pool of their own.
 */
export async function tipLayoutChecks(baseDir: string, texts: TreeTexts, opts: SeriesVerifyOptions = {}, pool?: Pool): Promise<LayoutChecks> {
  const tree = await prepareTree({ dir: baseDir, overrides: Object.fromEntries(texts), label: 'tip' }, { cacheDir: opts.cacheDir });
  try {
    const plan = makePlan(tree, {
      ...(opts.tipWorkloads ? { workloads: opts.tipWorkloads } : {}),
      ...(opts.tipSeeds ? { seeds: opts.tipSeeds } : {}),
      ...(opts.tipOps !== undefined ? { ops: opts.tipOps } : {}),
    });
    const runs = pool ?? new Pool(opts.jobs ?? availableParallelism());
    // The placement-preserving runs tell a debug check the tree always hits (judged by the
    // comparison with the base) from one only the real placement hits. They are the tip's own
    // verification runs (the run cache has them once that is done), needed only to judge a real
    // run that failed: the real runs go first, and the preserved ones are asked for only then.
    const real = await runLayoutChecks(tree, 'candidate', new Map(), plan, runs);
    if (real.ok) return real;
    const [preserved] = await runMatrices([tree], plan, runs);
    const judged = await runLayoutChecks(tree, 'candidate', preserved!, plan, runs);
    return { ...judged, ms: real.ms + judged.ms };
  } finally {
    tree.cleanup();
  }
}

export function layoutChecksText(c: LayoutChecks): string {
  const what = `real placement${c.invariants ? ' with --check' : ''}, ${c.runs} run${c.runs === 1 ? '' : 's'}`;
  if (c.ok) return `${what}: all passed, ${(c.ms / 1000).toFixed(1)} s`;
  const f = c.failures[0]!;
  return `${what}: ${c.failures.length} FAILED (${f.workload} seed ${f.seed}: ${f.reason})`;
}

/** A verdict on one tree: the verifier's (ok or not, and its text), whatever verified it. */
export interface Verdict<V> {
  value: V;
  /** Undefined when it passed; else why not, for the plan and the message. */
  bad?: string;
}

/** A stage-2 step the series keeps, with its checks. */
export interface CheckedStep<S, V> {
  step: S;
  verification: V;
  /** The series' tip: its real placement, checked. */
  layoutChecks?: LayoutChecks;
  /** Checked as the series' tip (the whole plan) after a later patch failed. */
  retipped?: boolean;
}

export interface Stage2Checked<S, V> {
  /** The verified prefix, in order: what the series commits. */
  kept: Array<CheckedStep<S, V>>;
  /** The steps that did not verify (the first stops stage 2), in the order found, each with why. */
  failed: Array<{ index: number; reason: string }>;
  /** Steps never tried because an earlier one failed (each builds on the ones before it). */
  skipped: number[];
  /**
   * No stage-2 step kept while some were planned: the stage-1 tip is the series' tip, and was
   * verified under a step's plan only. The caller verifies it under the tip's (it owns those trees).
   */
  stage1IsTip: boolean;
}

/**
 * Verify the stage-2 steps in order, as a failing stage-1 step is handled, except that a later
 * stage-2 patch cannot carry an earlier one (each builds on the separation before it): the first
 * step that does not verify stops stage 2, and the steps after it are not tried. The series then
 * ends at the last step that verified, which becomes its tip: it is verified again under the tip's
 * whole plan (every workload × the tip's seeds) and, when a layout check is given, in its real
 * placement. A step that fails that too leaves the prefix, and the one before it is tried as the
 * tip, down to the stage-1 tip (`stage1IsTip`). Nothing is committed here: the caller commits
 * `kept`, so no half-checked patch is ever on the branch.
 */
export async function checkStage2<S extends { texts: TreeTexts }, V>(steps: S[], check: {
  /** `signal`: given to checks started ahead; aborted once they are not needed (run them in a Lane). */
  verify: (texts: TreeTexts, tip: boolean, signal?: AbortSignal) => Promise<Verdict<V>>;
  layout?: (texts: TreeTexts, signal?: AbortSignal) => Promise<LayoutChecks>;
  /**
   * Start the planned tip's checks (its whole plan, and its real placement) at once, beside the
   * steps before it, instead of after them: its runs fill the cores while the steps wait for one
   * another. Each verdict is still judged in order; one never needed (a step before the tip
   * failed, or the tip's own verification did, for its real placement) is dropped unread, so the
   * result is the same; their runs still waiting are cancelled then (`signal`), so the checks
   * asked for next (the new tip's) do not queue behind them. Off: every check is asked for only
   * when it is judged.
   */
  ahead?: boolean;
  /**
   * Every step before the tip is judged (their runs are over): work started ahead may now take
   * every core (Lane.widen()).
   */
  onStepsJudged?: () => void;
}): Promise<Stage2Checked<S, V>> {
  const kept: Array<CheckedStep<S, V>> = [];
  const failed: Stage2Checked<S, V>['failed'] = [];
  // Checks started ahead, by tree: taken (once) when that tree is judged as the tip.
  const early = new Map<TreeTexts, { v: Promise<Verdict<V>>; layout?: Promise<LayoutChecks> }>();
  const planned = steps.at(-1)?.texts;
  const aheadDone = new AbortController();
  if (check.ahead && planned) {
    const v = check.verify(planned, true, aheadDone.signal);
    const layout = check.layout?.(planned, aheadDone.signal);
    v.catch(() => {});
    layout?.catch(() => {});
    early.set(planned, { v, ...(layout ? { layout } : {}) });
  }
  const asTip = async (texts: TreeTexts): Promise<{ v: Verdict<V>; layoutChecks?: LayoutChecks; bad?: string }> => {
    const pre = early.get(texts);
    early.delete(texts);
    const v = await (pre?.v ?? check.verify(texts, true));
    const layoutChecks = !v.bad && check.layout ? await (pre?.layout ?? check.layout(texts)) : undefined;
    const bad = v.bad ?? (layoutChecks && !layoutChecks.ok ? layoutChecksText(layoutChecks) : undefined);
    return { v, ...(layoutChecks ? { layoutChecks } : {}), ...(bad ? { bad } : {}) };
  };
  for (const [i, step] of steps.entries()) {
    const tip = i === steps.length - 1;
    if (tip) check.onStepsJudged?.();
    const got = tip ? await asTip(step.texts) : { v: await check.verify(step.texts, false), layoutChecks: undefined, bad: undefined };
    const bad = got.bad ?? got.v.bad;
    if (bad) {
      failed.push({ index: i, reason: bad });
      break;
    }
    kept.push({ step, verification: got.v.value, ...(got.layoutChecks ? { layoutChecks: got.layoutChecks } : {}) });
  }
  const stop = failed[0]?.index;
  const skipped = stop === undefined ? [] : steps.map((_, i) => i).filter((i) => i > stop);
  if (stop !== undefined) {
    if (stop < steps.length - 1) check.onStepsJudged?.();
    // What was started ahead (the planned tip's checks) is no longer needed: its runs still
    // waiting for a slot give way to the new tip's.
    aheadDone.abort();
    // The last step kept is the tip now: the tip's plan and its real placement, or it goes too.
    while (kept.length > 0) {
      const last = kept[kept.length - 1]!;
      const got = await asTip(last.step.texts);
      if (!got.bad) {
        last.verification = got.v.value;
        if (got.layoutChecks) last.layoutChecks = got.layoutChecks;
        last.retipped = true;
        break;
      }
      failed.push({ index: kept.length - 1, reason: `as the series' tip: ${got.bad}` });
      kept.pop();
    }
  }
  return { kept, failed, skipped, stage1IsTip: steps.length > 0 && kept.length === 0 };
}

/** The exit message of a series whose stage 2 stopped at `subject` (the first patch that failed). */
export function stage2StopText(subject: string, reason: string, kept: number): string {
  return `the series stops short: stage-2 patch "${subject}" does not verify (${reason}); the branch ends ${kept ? `after ${kept} stage-2 patch${kept === 1 ? '' : 'es'}` : 'at the stage-1 tip'}, checked as the tip`;
}
