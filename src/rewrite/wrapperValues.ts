/**
 * A read wrapper passed as a callback whose elements the code decides for a kind
 * (`bs.filter((b) => kindOf(b) === RX).map(payloadLen)`: every element passed rx's type test):
 * the value use becomes the wrapper inlined there for that kind, `(b) => bufToRx(b).len`, as a
 * call of it would be inlined. Only where the kind rests on the code that hands the elements over
 * (a guard or provenance at the value use, not the wrapper's callers) and the callback is an
 * argument (its parameter typed by the call it is passed to). retire.ts then removes the wrapper
 * when nothing else uses it.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { DetailedAnalysis } from '../analyzers/analyze.ts';
import { wrapperNamed } from '../analyzers/classifier.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';
import type { KindPlan } from './kinds.ts';
import { wrapperShape } from './syntax.ts';

export interface ValueInline {
  node: ts.Identifier;
  wrapper: WrapperDef;
  kind: KindPlan;
  /** The arrow that replaces the value use. */
  text: string;
}

/**
 * The value uses to inline: `kinds` the selected kinds by name; `inScope(kind, node)` whether
 * this run may convert the kind there (--only, a series step's scope).
 */
export function wrapperValueInlines(det: DetailedAnalysis, kinds: ReadonlyMap<string, KindPlan>, inScope: (kind: string, node: ts.Node) => boolean): ValueInline[] {
  const ctx = det.ctx;
  const bySite = new Map(det.result.residue.map((r) => [`${r.file}:${r.line}:${r.column}`, r] as const));
  const out: ValueInline[] = [];
  for (const raw of det.rawResidue) {
    if (raw.cause !== undefined || !tsv.isIdentifier(raw.node)) continue;
    const s = ctx.site(raw.sf, raw.node);
    const r = bySite.get(`${s.file}:${s.line}:${s.column}`);
    if (!r?.kind || (r.confidence !== 'guard' && r.confidence !== 'provenance')) continue;
    const k = kinds.get(r.kind);
    const w = wrapperNamed(ctx, raw.node, det.wrappers);
    const d = k?.desc && w ? k.fields.get(w.field)?.[0] : undefined;
    if (!k || !w || !d || !inScope(k.name, raw.node)) continue;
    const call = raw.node.parent;
    if (!tsv.isCallExpression(call) || !call.arguments.includes(raw.node)) continue;
    const shape = wrapperShape(w);
    const fn = w.fn as ts.FunctionLikeDeclaration;
    const p = fn.parameters[w.pageArg];
    if (shape?.kind !== 'read' || fn.parameters.length !== 1 || !p || !tsv.isIdentifier(p.name)) continue;
    const name = p.name.text === k.fromPage ? `${p.name.text}_` : p.name.text;
    out.push({ node: raw.node, wrapper: w, kind: k, text: `(${name}) => ${k.fromPage}(${name}).${d}${shape.suffix}` });
  }
  return out;
}
