/**
 * The mark summaries of one commit (dataflow.ts: a function that marks its parameter on every
 * path marks what its callers pass), computed by the analyzer's own pass on the commit's program.
 *
 * A function whose body the track keeps apart from its signature but which passes a parameter on
 * (deps.ts `Unit.passes`) is read by its callers' analysis only through these summaries (and the
 * `body:` dependencies their queries record). So its callers reach the summary, not the body: a
 * body edit that leaves what the function marks as it was (most conversion steps) keeps every
 * caller's key, and one that changes it (a function starting or stopping to mark, directly or
 * through a callee, or a mark moving to another line) changes exactly the callers that reach it.
 * The names-only rule (deps.ts `mayMarkFixpoint`) is the fallback when the pass cannot run.
 * The commit's analyses reuse the context (its type checker) and the pass (analyze.ts `reuse`):
 * the whole-program mark pass runs once per commit, not once per analysis run.
 */
import { ts } from '@ts-morph/common';
import { AnalysisContext } from '../analyzers/context.ts';
import { DataFlow } from '../analyzers/dataflow.ts';
import { findAccesses } from '../analyzers/finder.ts';
import { Guards } from '../analyzers/guards.ts';
import { InputError } from '../errors.ts';
import type { Spec } from '../model/spec.ts';
import { sha1 } from './program.ts';

/** Per file (relative to the root), per top-level function name: the hash of what it marks. */
export type MarkSummaries = Map<string, Map<string, string>>;

/**
 * The summaries of every top-level function declaration that marks a parameter, or undefined when
 * the project does not fit the spec (the analysis itself says so, as a gap, when a file needs it).
 */
export function markSummaries(program: ts.Program, root: string, spec: Spec, rel: (sf: ts.SourceFile) => string):
  { summaries: MarkSummaries; reuse: { ctx: AnalysisContext; flow: DataFlow } } | undefined {
  let ctx: AnalysisContext;
  try {
    ctx = new AnalysisContext(spec, program, root);
  } catch (e) {
    if (e instanceof InputError) return undefined;
    throw e;
  }
  // Calls and functions by name: syntax only (no file in scope, no type query).
  const none = new Set<ts.SourceFile>();
  const found = findAccesses(ctx, none, none);
  const guards = new Guards(ctx);
  const flow = new DataFlow(ctx, found.functions, found.calls, (fn) => guards.isTestFunction(fn), guards.fieldMarker());
  const out: MarkSummaries = new Map();
  for (const [fn, text] of flow.paramSummaries()) {
    if (!ts.isFunctionDeclaration(fn) || !fn.name || !ts.isSourceFile(fn.parent)) continue;
    const r = rel(fn.parent);
    const byName = out.get(r) ?? new Map<string, string>();
    // Overloads and redeclarations share a name: one part holding each.
    const prev = byName.get(fn.name.text);
    byName.set(fn.name.text, sha1(prev === undefined ? text : `${prev}\n${text}`));
    out.set(r, byName);
  }
  // The commit's analyses reuse the context and the pass (analyze.ts `reuse`): made once per commit.
  return { summaries: out, reuse: { ctx, flow } };
}
