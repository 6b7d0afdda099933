/**
 * Classifier: gives each raw access a kind from the code first, the spec's owner lists last:
 *   1. the receiver already has a descriptor type (a converted access);
 *   2. code evidence: a page-type test that holds at the access (confidence "guard"), where the
 *      page came from (a kind's allocator or converter: "provenance"; through what every caller
 *      passes: "callgraph");
 *   3. the spec's owner function, then owner file: a fallback hint ("owner-hint").
 * Code evidence that disagrees (two guards, two origins, a guard against an origin) is never
 * resolved by rank: the access is "unknown" with both sides listed. Code evidence beats an owner
 * hint, and the evidence says so. A negative guard that rules the decided kind out gives
 * "unknown" too. Each decision carries a chain of hops with locations for `analyze --explain`.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { Confidence } from '../model/findings.ts';
import { UNKNOWN_KIND } from '../model/spec.ts';
import { specWords } from '../model/words.ts';
import { ELEMENT_CALLBACKS, isFunctionLike, shortText, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import type { RawAccess } from './finder.ts';
import type { Guards } from './guards.ts';
import { genericOf, ownersOf } from './owners.ts';
import { renderOrigin, type Hop, type Origin, type Prov, type Provenance } from './provenance.ts';
import type { RawResidue } from './finder.ts';
import type { WrapperDef } from './wrappers.ts';

/** Array methods that call their callback with each element as its first argument. */

export interface Classification {
  kind: string;
  evidence: string[];
  confidence: Confidence;
  /** The evidence hop by hop, with locations (what `analyze --explain` prints). */
  chain: Hop[];
}

interface Item {
  kind: string;
  sentence: string;
  hops: Hop[];
  origin?: Origin;
}

export class Classifier {
  constructor(private ctx: AnalysisContext, private guards: Guards, private prov: Provenance) {}

  /** See wrapperValueKind(). */
  classifyWrapperValue(ref: ts.Identifier, wrappers: readonly WrapperDef[]): Pick<Classification, 'kind' | 'confidence' | 'evidence'> | undefined {
    const w = wrapperNamed(this.ctx, ref, wrappers);
    if (!w) return undefined;
    const decl = w.fn as FunctionLike;
    const sf = ref.getSourceFile();
    const name = `\`${w.name}()\``;
    const from = (p: Prov, how: string): { kind: string; evidence: string } | undefined => {
      if (p.kinds.size !== 1 || p.mixed) return undefined;
      const [kind, o] = [...p.kinds][0]!;
      return { kind, evidence: `${how}: ${renderOrigin(o)}` };
    };
    const call = ref.parent;
    if (w.pageArg === 0 && tsv.isCallExpression(call) && call.arguments[0] === ref && tsv.isPropertyAccessExpression(skipOuter(call.expression))) {
      const callee = skipOuter(call.expression) as ts.PropertyAccessExpression;
      if (ELEMENT_CALLBACKS.has(callee.name.text)) {
        const recv = skipOuter(callee.expression);
        const shown = `\`${shortText(recv, sf, 50)}\``;
        // `xs.filter(isLoan)`: every element passed the type test (named, or written in place).
        const f = this.prov.filteredKind(recv);
        if (f) {
          return { kind: f.kind, confidence: 'guard', evidence: [`${name} is passed as a value at ${this.ctx.at(sf, ref)}: it receives the elements of ${shown}, which passed the ${specWords(this.ctx.spec).typeTest} \`${f.test}\``] };
        }
        const got = from(this.prov.elementsOf(recv), `${name} is passed as a value at ${this.ctx.at(sf, ref)}: it receives the elements of ${shown}`);
        if (got) return { kind: got.kind, confidence: 'provenance', evidence: [got.evidence] };
      }
    }
    const p = this.prov.parameterOf(decl, w.pageArg);
    const got = from(p, `${name} is used as a value at ${this.ctx.at(sf, ref)}; what it receives there is not traced, and its parameter is decided by the call graph`);
    if (got) return { kind: got.kind, confidence: 'callgraph', evidence: [got.evidence] };
    return { kind: UNKNOWN_KIND, confidence: 'unknown', evidence: [`${name} is used as a value at ${this.ctx.at(sf, ref)}: the ${specWords(this.ctx.spec).nouns} it receives there cannot be traced, and its callers do not decide its parameter${p.mixed ? ` (${p.mixed.sentence})` : p.kinds.size > 1 ? ` (${specWords(this.ctx.spec).nouns} of ${[...p.kinds.keys()].join(', ')} reach it)` : p.note ? ` (${p.note})` : ''}`] };
  }

  classify(a: RawAccess): Classification {
    const here = this.ctx.at(a.sf, a.node);
    const one = (kind: string, sentence: string): Classification =>
      ({ kind, evidence: [sentence], confidence: 'provenance', chain: [{ text: sentence, at: here }] });
    if (a.converted?.implementation) {
      return one(a.converted.kind.name, `inside descriptor class \`${a.converted.className}\` (the ${a.converted.kind.name} accessors)`);
    }
    if (a.converted && a.converted.className === this.ctx.spec.page.class) {
      return one(a.converted.kind.name, `\`${a.converted.descriptorField}\` is the ${a.converted.kind.name} name of ${this.ctx.spec.page.class} field \`${a.field}\``);
    }
    if (a.converted) return one(a.converted.kind.name, `\`${a.receiverText}\` has descriptor type \`${a.converted.className}\``);

    const recv = a.receiver && tsv.isCallExpression(skipOuter(a.receiver)) ? `the ${specWords(this.ctx.spec).noun}` : `\`${a.receiverText}\``;
    const guardItems: Item[] = [];
    const provItems: Item[] = [];
    const excluded = new Map<string, { sentence: string; at: string }>();
    const allowed: Array<{ kinds: Set<string>; sentence: string; at: string }> = [];
    let note: string | undefined;
    let mixed: { sentence: string; hops: Hop[] } | undefined;
    // Calls named like a type test that are none by their code (said when nothing else decides).
    const notGuards: string[] = [];
    if (a.receiver) {
      for (const f of this.guards.facts(a.expr, a.receiver, notGuards)) {
        if (f.positive && f.kinds.length === 1) guardItems.push({ kind: f.kinds[0]!, sentence: f.sentence, hops: [{ text: f.sentence, at: f.at }] });
        else if (f.positive) allowed.push({ kinds: new Set(f.kinds), sentence: f.sentence, at: f.at });
        else for (const k of f.kinds) if (!excluded.has(k)) excluded.set(k, { sentence: f.sentence, at: f.at });
      }
      const p = this.prov.of(a.receiver);
      for (const [kind, o] of p.kinds) {
        provItems.push({ kind, sentence: `${recv} comes from ${renderOrigin(o)}`, hops: o.hops, origin: o });
      }
      if (p.note) note = `${recv}: ${p.note}`;
      mixed = p.mixed;
    }
    // Generic code belongs to no kind by ownership; only its type tests or provenance decide.
    const generic = genericOf(this.ctx, a.sf, a.expr);
    const ownerItems: Item[] = generic ? [] : ownersOf(this.ctx, a.sf, a.expr).map((h) => ({ kind: h.kind, sentence: h.sentence, hops: [{ text: `owner hint: ${h.sentence}`, at: here }] }));
    const kindsOf = (items: Item[]): string[] => [...new Set(items.map((x) => x.kind))];
    const unknown = (evidence: string[], chain: Hop[]): Classification => ({ kind: UNKNOWN_KIND, evidence, confidence: 'unknown', chain });

    const gk = kindsOf(guardItems);
    let pk = kindsOf(provItems);
    if (gk.length > 1) return unknown([`conflicting guard evidence: ${sentences(guardItems)}`], hopsOf(guardItems));
    // A type mark on some paths to the site only: what the page is depends on the path. A guard
    // at the site still decides (below, against the kinds of both sides); nothing else does.
    if (mixed && gk.length === 0) {
      // Pages of several kinds reach the site anyway: generic, each kind listed, then the paths.
      const each = provItems.map((x) => `${x.kind} from ${x.origin ? renderOrigin(x.origin) : x.sentence}`);
      const generic = pk.length > 1 ? [`generic: ${specWords(this.ctx.spec).nouns} of ${pk.join(', ')} reach ${recv}: ${each.join('; ')}`] : [];
      return unknown([...generic, `conflicting code evidence: ${mixed.sentence}`], mixed.hops);
    }
    // Pages of several kinds reach the site (callers disagree, definitions disagree): only guards
    // picking one of them decide; otherwise the site is unknown, each kind listed.
    let narrowed: string | undefined;
    const rest = pk.filter((k) => !excluded.has(k));
    if (pk.length > 1 && gk.length === 0 && rest.length === 1) {
      // Negative guards rule out all kinds but one: `if (PageSlab(page)) return;` with slab and ptdesc callers.
      const why = pk.filter((k) => k !== rest[0]).map((k) => excluded.get(k)!.sentence);
      narrowed = `${specWords(this.ctx.spec).nouns} of ${pk.join(', ')} reach ${recv} (${sentences(provItems)}), and ${[...new Set(why)].join('; ')}: only ${rest[0]} remains`;
      provItems.splice(0, provItems.length, ...provItems.filter((x) => x.kind === rest[0]));
    } else if (pk.length > 1) {
      if (gk.length !== 1 || !pk.includes(gk[0]!)) {
        const guard = gk.length === 1 ? `${sentences(guardItems)} (${gk[0]}), but ` : '';
        if (!guard) {
          // Pages of several kinds reach the site: generic code, each kind with where it comes from.
          const each = provItems.map((x) => `${x.kind} from ${x.origin ? renderOrigin(x.origin) : x.sentence}`);
          return unknown([`generic: ${specWords(this.ctx.spec).nouns} of ${pk.join(', ')} reach ${recv}: ${each.join('; ')}`], hopsOf(provItems));
        }
        return unknown([`conflicting code evidence: ${guard}${sentences(provItems)}`], [...hopsOf(guardItems), ...hopsOf(provItems)]);
      }
      narrowed = `${specWords(this.ctx.spec).nouns} of ${pk.join(', ')} reach ${recv} (${sentences(provItems)}): the guard keeps ${gk[0]}`;
      provItems.splice(0, provItems.length, ...provItems.filter((x) => x.kind === gk[0]));
    }
    pk = kindsOf(provItems);
    if (gk.length === 1 && pk.length === 1 && gk[0] !== pk[0]) {
      return unknown([`conflicting code evidence: ${sentences(guardItems)} (${gk[0]}), but ${sentences(provItems)} (${pk[0]})`],
        [...hopsOf(guardItems), ...hopsOf(provItems)]);
    }
    let decided: { kind: string; items: Item[]; confidence: Confidence; weaker: Item[] } | undefined;
    if (gk.length === 1) decided = { kind: gk[0]!, items: guardItems, confidence: 'guard', weaker: [...provItems, ...ownerItems] };
    else if (pk.length === 1) decided = { kind: pk[0]!, items: provItems, confidence: provItems[0]!.origin!.callgraph ? 'callgraph' : 'provenance', weaker: ownerItems };
    else {
      const ok = kindsOf(ownerItems);
      if (ok.length > 1) return unknown([`conflicting owner evidence: ${sentences(ownerItems)}`], hopsOf(ownerItems));
      if (ok.length === 1) {
        // Reported as what it is: the spec's list, not the code.
        const items = ownerItems.map((x) => ({ ...x, sentence: `owner hint (no code evidence): ${x.sentence}` }));
        decided = { kind: ok[0]!, items, confidence: 'owner-hint', weaker: [] };
      }
    }
    if (decided) {
      const k = decided.kind;
      const evidence = decided.items.map((x) => x.sentence);
      const chain = hopsOf(decided.items);
      const ex = excluded.get(k);
      if (ex) return unknown([`${evidence.join('; ')}, but ${ex.sentence}`], [...chain, { text: `but ${ex.sentence} rules ${k} out`, at: ex.at }]);
      const bad = allowed.find((c) => !c.kinds.has(k));
      if (bad) return unknown([`${evidence.join('; ')}, but ${bad.sentence}`], [...chain, { text: `but ${bad.sentence}: one of ${[...bad.kinds].join(', ')}`, at: bad.at }]);
      for (const c of allowed) {
        evidence.push(c.sentence);
        chain.push({ text: c.sentence, at: c.at });
      }
      if (narrowed) evidence.push(narrowed);
      for (const x of decided.weaker) {
        const overridden = x.kind !== k;
        evidence.push(overridden ? `overrides: ${x.sentence}` : `also ${x.sentence}`);
        const isOwner = ownerItems.includes(x);
        chain.push(...x.hops.map((h, i) => (i === 0 && overridden && isOwner
          ? { text: `${h.text} (${x.kind}): contradicted by the code, which wins`, at: h.at }
          : i === 0 ? { text: `${overridden ? 'overridden: ' : 'also: '}${h.text}`, at: h.at } : h)));
      }
      return { kind: k, evidence, confidence: decided.confidence, chain };
    }
    const why: string[] = [];
    const chain: Hop[] = [];
    for (const c of allowed) {
      why.push(`${c.sentence}: one of ${[...c.kinds].join(', ')}`);
      chain.push({ text: `${c.sentence}: one of ${[...c.kinds].join(', ')}`, at: c.at });
    }
    if (a.receiver) why.push(`no ${specWords(this.ctx.spec).typeTest} guards ${recv}${notGuards.length > 0 ? ` (${notGuards.join('; ')})` : ''}`);
    why.push(note ?? (a.receiver ? `the origin of ${recv} is not known` : 'the receiver is not an expression that can be traced'));
    const fn = a.function;
    why.push(generic ?? `${fn ? `\`${fn}()\` in ` : ''}${this.ctx.rel(a.sf)} is not owned by any kind`);
    chain.push(...why.slice(allowed.length).map((text) => ({ text, at: here })));
    return unknown([`no decisive evidence: ${why.join('; ')}`], chain);
  }
}

/**
 * A wrapper used as a value (`slots.filter(isLoan).map(dueDateOf)`): the kind of what its page
 * parameter receives there. Handed to an array method, it receives the elements (a `filter` by a
 * type test keeps that test's kind: a guard); otherwise, or when the elements tell nothing, what
 * every caller of it passes (the call graph). Undefined for other residue; `unknown` with the
 * reason when nothing decides.
 */
/** The wrapper a value use names (`map(dueDateOf)`), by the declaration its symbol resolves to. */
export function wrapperNamed(ctx: AnalysisContext, ref: ts.Identifier, wrappers: readonly WrapperDef[]): WrapperDef | undefined {
  const sym = ctx.symbolOf(ref);
  const decl = (sym?.declarations ?? []).map((d) => (tsv.isVariableDeclaration(d) && d.initializer ? skipOuter(d.initializer) : d)).find(isFunctionLike);
  return decl && wrappers.find((x) => x.fn === decl);
}

export function wrapperValueKind(cl: Classifier, r: RawResidue, wrappers: readonly WrapperDef[]): Pick<Classification, 'kind' | 'confidence' | 'evidence'> | undefined {
  if (r.cause !== undefined || !tsv.isIdentifier(r.node)) return undefined;
  return cl.classifyWrapperValue(r.node, wrappers);
}

function sentences(items: Item[]): string {
  return items.map((x) => x.sentence).join('; ');
}

function hopsOf(items: Item[]): Hop[] {
  return items.flatMap((x) => x.hops);
}
