/**
 * Checks started ahead (the planned tip's whole plan and real placement, stage2Verify.ts
 * checkStage2() with `ahead`) run in a Lane of the verifier's pool; when a stage-2 patch fails they
 * are no longer needed, and their runs still waiting for a slot must not hold the pool: the new
 * tip's checks run next. The verifier is the test double of stage2Double.ts (verdicts planted per
 * tree); the pool is the real one, its single slot held by a task the test releases itself, so the
 * order is forced with no timing involved.
 */
import { describe, expect, it } from 'vitest';
import { double, steps, type Planted } from './stage2Double.ts';
import { checkStage2, Lane, LaneCancelled } from '../../src/series/stage2Verify.ts';
import { Pool } from '../../src/verify/run.ts';

/** A pool of one slot, held until release() is called. */
function heldPool(): { pool: Pool; release: () => void } {
  const pool = new Pool(1);
  let release!: () => void;
  void pool.run(() => new Promise<void>((r) => { release = r; }));
  return { pool, release: () => release() };
}

describe('Lane', () => {
  it('a cancelled lane starts none of its waiting tasks; tasks queued after them run at once', async () => {
    const { pool, release } = heldPool();
    const ac = new AbortController();
    const lane = new Lane(pool, ac.signal);
    const ran: string[] = [];
    const task = (name: string) => async () => { ran.push(name); return name; };
    const ahead = ['a1', 'a2', 'a3'].map((n) => lane.run(task(n)));
    for (const p of ahead) p.catch(() => {});
    const next = pool.run(task('next'));
    ac.abort();
    release();
    expect(await next).toBe('next');
    for (const p of ahead) await expect(p).rejects.toBeInstanceOf(LaneCancelled);
    expect(ran).toEqual(['next']);
    // Asked after the abort: refused without waiting for a slot.
    await expect(lane.run(task('late'))).rejects.toBeInstanceOf(LaneCancelled);
    expect(ran).toEqual(['next']);
  });

  it('a lane not cancelled runs its tasks in the pool, in order, within the pool\'s size', async () => {
    const { pool, release } = heldPool();
    const lane = new Lane(pool, new AbortController().signal);
    const ran: string[] = [];
    let active = 0;
    let most = 0;
    const task = (name: string) => async () => {
      active++;
      most = Math.max(most, active);
      ran.push(name);
      await Promise.resolve();
      active--;
      return name;
    };
    const all = [lane.run(task('a')), pool.run(task('b')), lane.run(task('c'))];
    release();
    expect(await Promise.all(all)).toEqual(['a', 'b', 'c']);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
  });
});

describe('Lane: background work leaves the pool a slot', () => {
  /** A task that runs until its release() is called; `running` holds the names of those started and not released. */
  function gated() {
    const running = new Set<string>();
    const gates = new Map<string, () => void>();
    const task = (name: string) => () => new Promise<string>((done) => {
      running.add(name);
      gates.set(name, () => { running.delete(name); done(name); });
    });
    const release = async (name: string) => {
      gates.get(name)!();
      // Let the pool hand the slot over (promise callbacks only, no timers).
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    const settle = async () => { for (let i = 0; i < 10; i++) await Promise.resolve(); };
    return { running, task, release, settle };
  }

  it('with two slots a lane holds one: a task asked for later still starts at once', async () => {
    const pool = new Pool(2);
    const lane = new Lane(pool);
    const g = gated();
    const background = ['b1', 'b2', 'b3'].map((n) => lane.run(g.task(n)));
    await g.settle();
    expect([...g.running]).toEqual(['b1']);
    const step = pool.run(g.task('step'));
    await g.settle();
    expect([...g.running].sort()).toEqual(['b1', 'step']);
    await g.release('b1');
    expect([...g.running].sort()).toEqual(['b2', 'step']);
    await g.release('step');
    expect(await step).toBe('step');
    // The freed slot stays the pool's: the lane still runs one at a time.
    expect([...g.running]).toEqual(['b2']);
    // Widened (the steps are over), it takes every slot.
    lane.widen();
    await g.settle();
    expect([...g.running].sort()).toEqual(['b2', 'b3']);
    await g.release('b2');
    await g.release('b3');
    expect(await Promise.all(background)).toEqual(['b1', 'b2', 'b3']);
  });

  it('a cancelled lane drops the tasks waiting in it too', async () => {
    const pool = new Pool(2);
    const ac = new AbortController();
    const lane = new Lane(pool, ac.signal);
    const g = gated();
    const background = ['b1', 'b2', 'b3'].map((n) => lane.run(g.task(n)));
    for (const p of background) p.catch(() => {});
    await g.settle();
    ac.abort();
    await expect(background[1]).rejects.toBeInstanceOf(LaneCancelled);
    await expect(background[2]).rejects.toBeInstanceOf(LaneCancelled);
    // The one running finishes; afterwards the lane has no slot of the pool left.
    await g.release('b1');
    expect(await background[0]).toBe('b1');
    const a = pool.run(g.task('x'));
    const b = pool.run(g.task('y'));
    await g.settle();
    expect([...g.running].sort()).toEqual(['x', 'y']);
    await g.release('x');
    await g.release('y');
    await Promise.all([a, b]);
  });
});

/**
 * The double's checks, each run as a task of `pool` (in a Lane when given a signal, as the series
 * does): `ran` records what actually got a slot, `asked` what was asked for.
 */
function pooled(plan: Planted, pool: Pool, onAsk: (call: string) => void = () => {}) {
  const d = double(plan);
  const ran: string[] = [];
  const asked: string[] = [];
  const via = (signal?: AbortSignal): Pool => (signal ? new Lane(pool, signal) : pool);
  return {
    asked,
    ran,
    verify: (texts: Map<string, string>, tip: boolean, signal?: AbortSignal) => {
      const call = `verify ${texts.get('mm/x.ts')} ${tip ? 'tip' : 'step'}`;
      asked.push(call);
      onAsk(call);
      // Steps are judged at once; the tips' checks take a slot of the pool.
      if (!tip) return d.verify(texts, tip);
      return via(signal).run(async () => { ran.push(call); return d.verify(texts, tip); });
    },
    layout: (texts: Map<string, string>, signal?: AbortSignal) => {
      asked.push(`layout ${texts.get('mm/x.ts')}`);
      return via(signal).run(async () => {
        ran.push(`layout ${texts.get('mm/x.ts')}`);
        return d.layout(texts);
      });
    },
  };
}

describe('checkStage2 ahead: a failed stage-2 patch cancels the planned tip\'s waiting checks', () => {
  const cases: Array<[string, Planted, string[]]> = [
    ['a middle patch fails', { stepFails: ['zpdesc'] }, ['verify ptdesc tip', 'layout ptdesc']],
    ['the first patch fails', { stepFails: ['ptdesc'] }, []],
    ['a kept patch fails as the new tip too', { stepFails: ['slab'], tipFails: ['zpdesc'] }, ['verify zpdesc tip', 'verify ptdesc tip', 'layout ptdesc']],
  ];
  for (const [what, plan, retip] of cases) {
    it(`${what}: the new tip's checks run, the planned tip's never do; the result is the in-order check's`, async () => {
      const { pool, release } = heldPool();
      // The slot is held until the first check that is not ahead and needs the pool is asked
      // for (the new tip's), or the check is over: by then the ahead checks are cancelled or not.
      const c = pooled(plan, pool, (call) => { if (call.endsWith(' tip') && !call.startsWith('verify shrink')) release(); });
      const running = checkStage2(steps, { verify: c.verify, layout: c.layout, ahead: true });
      const r = await running.finally(release);
      expect(c.ran).toEqual(retip);
      // They were asked for first, ahead of every step.
      expect(c.asked.slice(0, 2)).toEqual(['verify shrink tip', 'layout shrink']);
      const inOrder = await checkStage2(steps, double(plan));
      expect(r.kept.map((k) => [k.step.name, k.verification, !!k.retipped])).toEqual(inOrder.kept.map((k) => [k.step.name, k.verification, !!k.retipped]));
      expect(r.failed).toEqual(inOrder.failed);
      expect(r.skipped).toEqual(inOrder.skipped);
      expect(r.stage1IsTip).toBe(inOrder.stage1IsTip);
    });
  }

  it('all verify: the checks started ahead are the ones judged, nothing cancelled', async () => {
    const { pool, release } = heldPool();
    const c = pooled({}, pool);
    const running = checkStage2(steps, { verify: c.verify, layout: c.layout, ahead: true, onStepsJudged: () => c.asked.push('steps judged') });
    release();
    const r = await running;
    expect(c.ran).toEqual(['verify shrink tip', 'layout shrink']);
    // The lanes are widened once the last step before the tip is judged, not before.
    expect(c.asked).toEqual(['verify shrink tip', 'layout shrink', 'verify ptdesc step', 'verify zpdesc step', 'verify slab step', 'steps judged']);
    expect(r.kept.at(-1)!.layoutChecks?.ok).toBe(true);
  });

  it('the planned tip fails its whole plan: its real placement, started ahead, never runs', async () => {
    const { pool, release } = heldPool();
    const ran: string[] = [];
    const d = double({ tipFails: ['shrink'] });
    // The tip's verdict is given without the pool; its layout check waits for the slot.
    let holdLayout = true;
    const r = checkStage2(steps, {
      verify: async (texts, tip) => {
        if (tip && texts.get('mm/x.ts') !== 'shrink') holdLayout = false;
        if (!holdLayout) release();
        return d.verify(texts, tip);
      },
      layout: (texts, signal) => (signal ? new Lane(pool, signal) : pool).run(async () => { ran.push(`layout ${texts.get('mm/x.ts')}`); return d.layout(texts); }),
      ahead: true,
    });
    const got = await r.finally(release);
    expect(ran).toEqual(['layout slab']);
    expect(got.kept.map((k) => k.step.name)).toEqual(['ptdesc', 'zpdesc', 'slab']);
  });
});
