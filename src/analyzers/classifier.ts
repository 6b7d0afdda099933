/**
 * Classifier: gives each raw access a kind from layered evidence, strongest first:
 *   1. the receiver already has a descriptor type (a converted access);
 *   2. a dominating page-type test on the receiver;
 *   3. provenance: the page came from a kind's allocator or converter;
 *   4. the owning function, then the owning file, from the spec.
 * The strongest layer with evidence decides; two kinds in that layer, or a decision that a
 * negative guard rules out, give "unknown" with the reason. Weaker evidence is kept as context.
 */
import { ts } from '@ts-morph/common';
import { UNKNOWN_KIND } from '../model/spec.ts';
import { skipOuter } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import type { RawAccess } from './finder.ts';
import type { Guards } from './guards.ts';
import { genericOf, ownersOf } from './owners.ts';
import { renderOrigin, type Provenance } from './provenance.ts';

export interface Classification {
  kind: string;
  evidence: string[];
}

interface Layer {
  name: string;
  items: Array<{ kind: string; sentence: string }>;
}

export class Classifier {
  constructor(private ctx: AnalysisContext, private guards: Guards, private prov: Provenance) {}

  classify(a: RawAccess): Classification {
    if (a.converted?.implementation) {
      return { kind: a.converted.kind.name, evidence: [`inside descriptor class \`${a.converted.className}\` (the ${a.converted.kind.name} accessors)`] };
    }
    if (a.converted && a.converted.className === this.ctx.spec.page.class) {
      return { kind: a.converted.kind.name, evidence: [`\`${a.converted.descriptorField}\` is the ${a.converted.kind.name} name of ${this.ctx.spec.page.class} field \`${a.field}\``] };
    }
    if (a.converted) {
      return { kind: a.converted.kind.name, evidence: [`\`${a.receiverText}\` has descriptor type \`${a.converted.className}\``] };
    }
    const recv = a.receiver && ts.isCallExpression(skipOuter(a.receiver)) ? 'the page' : `\`${a.receiverText}\``;
    const layers: Layer[] = [];
    const excluded = new Map<string, string>();
    const allowed: Array<{ kinds: Set<string>; sentence: string }> = [];
    if (a.receiver) {
      const facts = this.guards.facts(a.expr, a.receiver);
      const pos: Layer['items'] = [];
      for (const f of facts) {
        if (f.positive && f.kinds.length === 1) pos.push({ kind: f.kinds[0]!, sentence: f.sentence });
        else if (f.positive) allowed.push({ kinds: new Set(f.kinds), sentence: f.sentence });
        else for (const k of f.kinds) if (!excluded.has(k)) excluded.set(k, f.sentence);
      }
      layers.push({ name: 'guard', items: pos });
      const p = this.prov.of(a.receiver);
      layers.push({ name: 'provenance', items: [...p.kinds].map(([kind, o]) => ({ kind, sentence: `${recv} comes from ${renderOrigin(o)}` })) });
      if (p.note) this.notes.set(a, `${recv}: ${p.note}`);
    }
    // Generic code belongs to no kind by ownership; only its type tests or provenance decide.
    const generic = genericOf(this.ctx, a.sf, a.expr);
    if (!generic) layers.push({ name: 'owner', items: ownersOf(this.ctx, a.sf, a.expr).map((h) => ({ kind: h.kind, sentence: h.sentence })) });

    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      const kinds = [...new Set(layer.items.map((x) => x.kind))];
      if (kinds.length === 0) continue;
      if (kinds.length > 1) {
        return { kind: UNKNOWN_KIND, evidence: [`conflicting ${layer.name} evidence: ${layer.items.map((x) => x.sentence).join('; ')}`] };
      }
      const k = kinds[0]!;
      const evidence = layer.items.map((x) => x.sentence);
      const ex = excluded.get(k);
      if (ex) return { kind: UNKNOWN_KIND, evidence: [`${evidence.join('; ')}, but ${ex}`] };
      const bad = allowed.find((c) => !c.kinds.has(k));
      if (bad) return { kind: UNKNOWN_KIND, evidence: [`${evidence.join('; ')}, but ${bad.sentence}`] };
      for (const c of allowed) evidence.push(c.sentence);
      for (const weaker of layers.slice(i + 1)) {
        for (const x of weaker.items) evidence.push(x.kind === k ? `also ${x.sentence}` : `overrides: ${x.sentence}`);
      }
      return { kind: k, evidence };
    }
    const why: string[] = [];
    if (allowed.length) why.push(...allowed.map((c) => `${c.sentence}: one of ${[...c.kinds].join(', ')}`));
    if (a.receiver) why.push(`no page-type test guards ${recv}`);
    const note = this.notes.get(a);
    why.push(note ?? (a.receiver ? `the origin of ${recv} is not known` : 'the receiver is not an expression that can be traced'));
    const fn = a.function;
    if (generic) {
      why.push(generic);
      return { kind: UNKNOWN_KIND, evidence: [`no decisive evidence: ${why.join('; ')}`] };
    }
    why.push(`${fn ? `\`${fn}()\` in ` : ''}${this.ctx.rel(a.sf)} is not owned by any kind`);
    return { kind: UNKNOWN_KIND, evidence: [`no decisive evidence: ${why.join('; ')}`] };
  }

  private notes = new Map<RawAccess, string>();
}
