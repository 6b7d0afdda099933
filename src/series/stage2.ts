/**
 * Stage 2 of a series: after the stage-1 tip (every kind an overlay on struct page), per kind whose
 * audit is clean, one patch that gives its descriptor its own storage (`memdesc separate`), in
 * the plan's order (ptdesc, zpdesc, vmalloc, slab, folio), then one that shrinks struct page
 * (`memdesc shrink`) when it has something to remove. Each tree is planned on the one before, with
 * the same library entry points the commands use, and type-checked. Kinds whose audit is not clean
 * are left out and listed with their blockers. Library code: returns values, never prints.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { loadProgram, resolveTsconfig } from '../analyzers/project.ts';
import type { ts } from '@ts-morph/common';
import { MemdescError } from '../errors.ts';
import type { Spec } from '../model/spec.ts';
import { formatError, toTypeErrors } from '../rewrite/check.ts';
import { IncrementalChecker } from '../ts/incremental.ts';
import { auditProgram } from '../stage2/audit.ts';
import { separateKinds } from '../stage2/separate.ts';
import { planSeparation } from '../stage2/separateTag.ts';
import { planShrink } from '../stage2/shrink.ts';
import { MEMDESC_FIELD } from '../stage2/words.ts';
import type { TreeTexts } from './steps.ts';

export interface Stage2Step {
  role: 'separate' | 'shrink';
  /** The kind separated (separate steps). */
  kind?: string;
  /** The whole tree after this step: project-relative path -> content, every file that differs from the base. */
  texts: TreeTexts;
  /** Project-relative files this step changes (against the tree before it). */
  changed: string[];
  typecheck: { files: number; ms: number };
  /** Shrink steps: struct page's size before and after, and the fields removed. */
  shrink?: { oldSize: number; newSize: number; removed: string[] };
  /** Separate steps of a kind embedded in a misc memdesc word: its subtype (no descriptor is allocated). */
  embedded?: string;
}

export interface Stage2Blocked {
  kind: string;
  blockers: number;
}

export interface Stage2Plan {
  steps: Stage2Step[];
  /** Kinds whose audit is not clean on the tree before them: not separated. */
  blocked: Stage2Blocked[];
  /** Kinds or the shrink that could not be planned or did not type-check: why. */
  problems: Array<{ what: string; reason: string }>;
  /** Set when the spec has no stage 2 at all (no memdesc word, no kind with a descriptor). */
  none?: string;
}

/** Whether the spec has a stage 2: a memdesc word and a kind with a descriptor. */
export function stage2Applies(spec: Spec): string | undefined {
  if (!spec.page.fields.some((f) => f.name === MEMDESC_FIELD)) return `the spec has no page field '${MEMDESC_FIELD}'`;
  if (!spec.kinds.some((k) => k.descriptor !== null)) return 'no kind of the spec has a descriptor';
  return undefined;
}

function rel(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** The stage-1 tip as a program: `projectDir`'s program with the conversion's texts, type-checked in full (runConvert's `converted`). */
export interface ConvertedTree {
  program: ts.Program;
  /** The project root its files are under (the tsconfig's folder). */
  root: string;
}

/**
 * Plan stage 2 on a copy of `projectDir` with the stage-1 tip's texts (`stage1`: project-relative
 * path -> content) written into it: files the conversion created must exist on disk for the
 * planners (as they do for `memdesc separate`), and after each step the copy holds its tree. The
 * copy is removed at the end. Returns the steps' trees (relative to the base, so each is a whole
 * tree the verifier can build), the blocked kinds and anything that went wrong. `only`: separate
 * just these kinds. `converted`: the stage-1 tip's program, checked (runConvert's): planned on it
 * directly, with no copy (the planners resolve modules through the program's files first).
 */
export async function planStage2(projectDir: string, spec: Spec, stage1: Map<string, string>, only?: string[], converted?: ConvertedTree): Promise<Stage2Plan> {
  const none = stage2Applies(spec);
  if (none) return { steps: [], blocked: [], problems: [], none };
  if (converted) {
    // The stage-1 tip is there already, checked: no copy, no load, no first full check.
    const abs = new Map([...stage1].map(([f, t]) => [join(converted.root, ...f.split('/')), t] as const));
    return await planOn(converted.program, converted.root, spec, abs, only, () => {}, true);
  }
  const base = mkdtempSync(join(tmpdir(), 'memdesc-stage2-'));
  const dir = join(base, basename(projectDir));
  try {
    cpSync(projectDir, dir, { recursive: true, filter: (src) => basename(src) !== '.git' });
    const put = (rel: string, text: string): void => {
      const p = join(dir, ...rel.split('/'));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    };
    for (const [f, t] of stage1) put(f, t);
    // The planners walk parent links: a checker binds every file first (as the commands' type-check does).
    const program = loadProgram(dir).program;
    program.getTypeChecker();
    const { root } = resolveTsconfig(dir);
    // Awaited here: the copy is removed only once the planning is over.
    return await planOn(program, root, spec, new Map([...stage1].map(([f, t]) => [join(root, ...f.split('/')), t] as const)), only, (f, t) => put(rel(root, f), t), false);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * The event loop gets a turn between the planners' passes: a series plans stage 2 (seconds of
 * this thread's work) while its verifier's workers run the base's batches, and each worker waits
 * for this thread to read its results and hand it the next batch.
 */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function planOn(program: ts.Program, root: string, spec: Spec, stage1: Map<string, string>, only: string[] | undefined,
  write: (file: string, text: string) => void, programChecked: boolean): Promise<Stage2Plan> {
  const steps: Stage2Step[] = [];
  const blocked: Stage2Blocked[] = [];
  const problems: Stage2Plan['problems'] = [];
  let current = program;
  const tree = new Map(stage1);
  // Stage 2's files so far, over `program` (the stage-1 tip as loaded): every candidate is that
  // tree with its own changes on top. One incremental checker serves the chain: after the first
  // candidate, only the files a change can have affected are checked again (src/ts/incremental.ts;
  // the errors are a full check's), and the checked program is the next kind's to plan on, instead
  // of the tree loaded and bound again from disk.
  const taken = new Map<string, string>();
  const checker = new IncrementalChecker(program, programChecked);
  // Every step's candidate is type-checked before it is taken; a failing one leaves the tree as it was.
  const take = (texts: Map<string, string>): { after: ts.Program; files: number; ms: number; changed: string[] } | string => {
    const changed = [...texts].filter(([f, t]) => (current.getSourceFile(f)?.text ?? null) !== t).map(([f]) => f);
    if (changed.length === 0) return 'no change';
    const t0 = performance.now();
    const r = checker.check(new Map([...taken, ...changed.map((f) => [f, texts.get(f)!] as const)]));
    const errors = toTypeErrors(r.diagnostics, root);
    if (errors.length > 0) return `does not type-check (${errors.length} error${errors.length === 1 ? '' : 's'}; first: ${formatError(errors[0]!)})`;
    const after = r.program;
    return { after, files: after.getSourceFiles().filter((sf) => !sf.isDeclarationFile).length, ms: performance.now() - t0, changed };
  };
  const push = (role: Stage2Step['role'], texts: Map<string, string>, got: Exclude<ReturnType<typeof take>, string>, extra: Partial<Stage2Step>): void => {
    for (const f of got.changed) {
      tree.set(f, texts.get(f)!);
      taken.set(f, texts.get(f)!);
      // On a copy's disk too (tsconfig globs, tools that read files); the planners resolve modules through the program first.
      write(f, texts.get(f)!);
    }
    // The next kind is planned on the tree just checked (new modules included).
    current = got.after;
    steps.push({
      role, ...extra,
      texts: new Map([...tree].map(([f, t]) => [rel(root, f), t] as const)),
      changed: got.changed.map((f) => rel(root, f)).sort(),
      typecheck: { files: got.files, ms: got.ms },
    });
  };
  for (const name of separateKinds(spec, [], true).filter((k) => !only || only.includes(k))) {
    const kind = spec.kinds.find((k) => k.name === name)!;
    const audit = (): number => auditProgram(current, root, { spec, kinds: [name] }).summary.byKind[name] ?? 0;
    let plan;
    await turn();
    try {
      plan = planSeparation(current, root, spec, kind);
    } catch (e) {
      if (!(e instanceof MemdescError)) throw e;
      // A kind the corpus has no infrastructure for yet is listed by its audit when that has blockers too.
      const n = audit();
      if (n > 0) blocked.push({ kind: name, blockers: n });
      else problems.push({ what: `separate ${name}`, reason: e.message });
      continue;
    }
    try {
      // An already separated kind is no step (its audit no longer applies).
      if (plan.already) continue;
      await turn();
      const n = audit();
      if (n > 0) {
        blocked.push({ kind: name, blockers: n });
        continue;
      }
      await turn();
      const got = take(plan.texts);
      if (typeof got === 'string') problems.push({ what: `separate ${name}`, reason: got });
      else push('separate', plan.texts, got, { kind: name, ...(plan.embedded ? { embedded: plan.embedded.subtype } : {}) });
    } catch (e) {
      if (!(e instanceof MemdescError)) throw e;
      problems.push({ what: `separate ${name}`, reason: e.message });
    }
  }
  await turn();
  try {
    const { plan, texts } = planShrink(current, root, spec);
    if (texts.size > 0) {
      await turn();
      const got = take(texts);
      if (typeof got === 'string') problems.push({ what: 'shrink', reason: got });
      else push('shrink', texts, got, { shrink: { oldSize: plan.oldSize, newSize: plan.newSize, removed: plan.removed.map((r) => r.field) } });
    }
  } catch (e) {
    if (!(e instanceof MemdescError)) throw e;
    problems.push({ what: 'shrink', reason: e.message });
  }
  return { steps, blocked, problems };
}

/** The subject of a stage-2 patch (without its prefix). */
export function stage2Subject(s: Stage2Step, spec: Spec, kernel: boolean, object: string): string {
  if (s.role === 'shrink') return `Shrink ${object} to ${s.shrink!.newSize} bytes`;
  const k = spec.kinds.find((x) => x.name === s.kind)!;
  // A misc word has no pointer: the kind's data moves into the word, nothing is allocated.
  if (s.embedded) return `Embed ${kernel ? k.name : k.descriptor!.class} in the memdesc word`;
  return kernel ? `Allocate ${k.name} from slab` : `Allocate ${k.descriptor!.class} separately from ${spec.page.class}`;
}

/** The body of a stage-2 patch: what it does and why it may. */
export function stage2Body(s: Stage2Step, spec: Spec, object: string): string {
  if (s.role === 'shrink') {
    const r = s.shrink!;
    return `No code uses ${r.removed.length ? r.removed.join(', ') : 'its last words'} any more: ${object} goes from ${r.oldSize} to ${r.newSize} bytes and the memmap is carved at the new size.`;
  }
  const k = spec.kinds.find((x) => x.name === s.kind)!;
  if (s.embedded) {
    return `The audit of ${k.name} is clean: nothing but its own descriptor reads or writes its words, and nothing else writes the memdesc word on its pages. Its pages carry the misc memdesc word ${s.embedded}, which has no pointer: ${k.descriptor!.class}'s field moves into the word's data bits, page_${k.name}() reads the word, its pages are allocated with the word and freed through __free_pages_memdesc(), and the overlay asserts go.`;
  }
  return `The audit of ${k.name} is clean: nothing but its own descriptor reads or writes its words, and nothing else writes the memdesc word on its pages. ${k.descriptor!.class} now has its own storage (allocated with its pages, with a back pointer to the first one), page_${k.name}() reads the memdesc word, and the overlay asserts go.`;
}

/** What stage 2 of a series committed: the kinds separated, in order, and the shrink's sizes. */
export interface Stage2Done {
  separated: string[];
  /** Separated kinds embedded in a misc memdesc word (nothing allocated), by kind. */
  embedded?: Record<string, string>;
  shrink?: { oldSize: number; newSize: number };
}

/** What the committed stage-2 steps (in order) did. */
export function stage2Done(steps: Stage2Step[]): Stage2Done {
  const sep = steps.filter((s) => s.role === 'separate' && s.kind);
  const shrink = steps.find((s) => s.role === 'shrink')?.shrink;
  const embedded = Object.fromEntries(sep.filter((s) => s.embedded).map((s) => [s.kind!, s.embedded!] as const));
  return {
    separated: sep.map((s) => s.kind!),
    ...(Object.keys(embedded).length ? { embedded } : {}),
    ...(shrink ? { shrink: { oldSize: shrink.oldSize, newSize: shrink.newSize } } : {}),
  };
}

/**
 * What the cover letter says about stage 2: the kinds separated (what was committed, which may be
 * less than planned when a patch did not verify), the shrink, the kinds left in stage 1 and why.
 */
export function blockedLines(p: Stage2Plan, done?: Stage2Done, object = 'struct page'): string[] {
  const lines: string[] = [];
  if (done && (done.separated.length || done.shrink)) {
    if (done.separated.length) {
      // One kind a line, as the blocked ones below (a cover letter's lines stay short).
      lines.push("Kinds separated (one patch each, in the plan's order):");
      for (const k of done.separated) lines.push(`  ${k}${done.embedded?.[k] ? `: embedded in the memdesc word (${done.embedded[k]})` : ''}`);
    }
    if (done.shrink) lines.push(`The last patch shrinks ${object} from ${done.shrink.oldSize} to ${done.shrink.newSize} bytes.`);
  }
  if (p.blocked.length) {
    if (lines.length) lines.push('');
    lines.push('Kinds not separated (their audit is not clean on the tree before them):');
    for (const b of p.blocked) lines.push(`  ${b.kind}: ${b.blockers} blocker${b.blockers === 1 ? '' : 's'}; run \`memdesc audit ${b.kind}\``);
  }
  if (p.problems.length) {
    if (lines.length) lines.push('');
    lines.push('Stage-2 steps left out:');
    for (const q of p.problems) lines.push(`  ${q.what}: ${q.reason}`);
  }
  return lines;
}
