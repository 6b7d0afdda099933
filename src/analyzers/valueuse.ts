/**
 * Value use: what a page field's value is used as. A word written with `slab_counters(…)`,
 * compared with a `VmStruct`'s `ptr`, passed to `counters_objects()` or looked up in
 * `mm_structs` means the same at every site that uses it so: the sites the code already decided
 * (guards, provenance, call graph) teach which kind each use belongs to, and a site with no
 * other code evidence takes the kind its uses agree on. The same page variable read elsewhere in
 * the function (never reassigned) is that kind too. Uses are named by declarations (symbols),
 * never by variable names.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { Confidence } from '../model/findings.ts';
import { enclosingFunction, outerOf, shortText, skipOuter } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import type { RawAccess } from './finder.ts';
import type { Hop } from './provenance.ts';

export interface ValueUse {
  /** field + what the value meets, by declaration. */
  sig: string;
  /** "`page.private` is compared with `v.ptr`" */
  text: string;
}

interface Decision {
  kind: string;
  evidence: string[];
  confidence: Confidence;
  chain: Hop[];
}

const COMPARE = new Set<ts.SyntaxKind>([tsv.SyntaxKind.EqualsEqualsEqualsToken, tsv.SyntaxKind.ExclamationEqualsEqualsToken, tsv.SyntaxKind.EqualsEqualsToken, tsv.SyntaxKind.ExclamationEqualsToken]);

export class ValueUses {
  private ids = new Map<ts.Symbol, number>();

  constructor(private ctx: AnalysisContext) {}

  private id(s: ts.Symbol): number {
    let n = this.ids.get(s);
    if (n === undefined) this.ids.set(s, n = this.ids.size);
    return n;
  }

  /** What `a`'s value is used as (a read) or made of (a write). */
  of(a: RawAccess): ValueUse[] {
    if (a.converted || a.access === 'reference') return [];
    const sf = a.sf;
    const shown = `\`${shortText(a.expr, sf, 40)}\``;
    const out: ValueUse[] = [];
    const how = a.access === 'call' ? a.wrapperAccess : a.access;
    if (how === 'write' || how === 'readwrite') {
      let value: ts.Expression | undefined;
      if (tsv.isCallExpression(a.expr)) value = a.expr.arguments.find((x) => !a.receiver || skipOuter(x) !== skipOuter(a.receiver));
      else {
        const p = outerOf(a.expr).parent;
        if (p && tsv.isBinaryExpression(p)) value = p.right;
      }
      const d = value && this.describe(value);
      // Set from or compared with the same declaration: the same value, one use.
      if (d) out.push({ sig: `${a.field}~${d.id}`, text: `${shown} is set to ${d.text}` });
    }
    if (how === 'read' || how === 'readwrite') this.usesOf(outerOf(a.expr) as ts.Expression, a.field, shown, out, 0);
    return out;
  }

  private usesOf(v: ts.Expression, field: string, shown: string, out: ValueUse[], depth: number): void {
    const p = v.parent;
    if (!p) return;
    if (tsv.isParenthesizedExpression(p) || tsv.isNonNullExpression(p) || tsv.isAsExpression(p)) return this.usesOf(p, field, shown, out, depth);
    if (tsv.isBinaryExpression(p)) {
      // Compared with a value of a kind's own (not tested against a flag mask: a test is no use).
      if (!COMPARE.has(p.operatorToken.kind)) return;
      const d = this.describe(p.left === v ? p.right : p.left);
      if (d) out.push({ sig: `${field}~${d.id}`, text: `${shown} is compared with ${d.text}` });
      return;
    }
    if (tsv.isCallExpression(p) && p.arguments.includes(v)) {
      const i = p.arguments.indexOf(v);
      const callee = skipOuter(p.expression);
      let target: ts.Symbol | undefined;
      if (tsv.isPropertyAccessExpression(callee)) {
        const m = this.ctx.symbolOf(callee.name);
        // A library method (Map.get): what matters is the collection it is called on.
        target = m && (m.declarations ?? []).every((d) => d.getSourceFile().isDeclarationFile) ? this.ctx.symbolOf(tsv.isPropertyAccessExpression(skipOuter(callee.expression)) ? (skipOuter(callee.expression) as ts.PropertyAccessExpression).name : skipOuter(callee.expression)) : m;
      } else target = this.ctx.symbolOf(callee);
      if (target && !(target.declarations ?? []).every((d) => d.getSourceFile().isDeclarationFile)) {
        out.push({ sig: `${field}>${this.id(target)}:${i}`, text: `${shown} is passed to \`${shortText(p.expression, p.getSourceFile(), 30)}()\`` });
      }
      return;
    }
    if (depth === 0 && tsv.isVariableDeclaration(p) && p.initializer === v && tsv.isIdentifier(p.name) && p.parent.flags & tsv.NodeFlags.Const) {
      // `const c = page.private`: how the local is used.
      const sym = this.ctx.symbolOf(p.name);
      const scope = enclosingFunction(p) ?? p.getSourceFile();
      // The name once, not the source text per identifier of the scope.
      const name = p.name.text;
      const visit = (n: ts.Node): void => {
        if (tsv.isIdentifier(n) && n !== p.name && n.text === name && this.ctx.symbolOf(n) === sym) this.usesOf(n, field, shown, out, depth + 1);
        tsv.forEachChild(n, visit);
      };
      visit(scope);
    }
  }

  /** A value named by a declaration: a struct field, a function's result, a module constant. */
  private describe(e: ts.Expression, depth = 0): { id: string; text: string } | undefined {
    const x = skipOuter(e);
    const sf = x.getSourceFile();
    if (tsv.isPropertyAccessExpression(x)) {
      const s = this.ctx.symbolOf(x.name);
      if (!s || this.ctx.memberOwner(s)) return undefined;
      return { id: `f${this.id(s)}`, text: `\`${shortText(x, sf, 40)}\`` };
    }
    if (tsv.isCallExpression(x)) {
      const callee = skipOuter(x.expression);
      const s = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
      if (!s || (s.declarations ?? []).every((d) => d.getSourceFile().isDeclarationFile)) return undefined;
      return { id: `r${this.id(s)}`, text: `the result of \`${shortText(callee, sf, 30)}()\`` };
    }
    if (tsv.isIdentifier(x) && depth === 0) {
      const s = this.ctx.symbolOf(x);
      const d = s?.valueDeclaration;
      if (!s || !d || !tsv.isVariableDeclaration(d) || !d.initializer || !(d.parent.flags & tsv.NodeFlags.Const)) return undefined;
      if (tsv.isSourceFile(d.parent.parent.parent)) return { id: `c${this.id(s)}`, text: `\`${x.text}\`` };
      return this.describe(d.initializer, depth + 1);
    }
    return undefined;
  }

  /**
   * Decide what code evidence left open from value uses, in place: `decided` are the sites with
   * code evidence; `open` the rest (no evidence, or only an owner hint), decided here when their
   * uses agree on one kind. Returns the accesses it decided.
   */
  apply(items: Array<{ a: RawAccess; c: Decision }>): RawAccess[] {
    const uses = new Map<RawAccess, ValueUse[]>();
    /** use -> kind -> the sites (file:line) decided that kind with it. */
    const table = new Map<string, Map<string, string[]>>();
    const learn = (a: RawAccess, kind: string): void => {
      for (const u of uses.get(a) ?? []) {
        const m = table.get(u.sig) ?? new Map<string, string[]>();
        // Appended in place (no reader keeps a list across a learn()): a copy per site made this quadratic.
        const l = m.get(kind);
        if (l) l.push(this.ctx.at(a.sf, a.node));
        else m.set(kind, [this.ctx.at(a.sf, a.node)]);
        table.set(u.sig, m);
      }
    };
    const isCode = (c: Decision): boolean => c.confidence === 'guard' || c.confidence === 'provenance' || c.confidence === 'callgraph';
    const isOpen = (c: Decision): boolean => c.confidence === 'owner-hint' || c.confidence === 'unknown' && c.evidence[0]!.startsWith('no decisive evidence');
    for (const { a, c } of items) {
      if (!isCode(c) && !isOpen(c)) continue;
      uses.set(a, this.of(a));
      if (isCode(c) && !a.converted) learn(a, c.kind);
    }
    // Contradiction: a site the code decided whose value is used, everywhere else, as another kind's.
    for (const it of items) {
      if (!isCode(it.c) || it.a.converted || it.c.confidence === 'guard') continue;
      const here = this.ctx.at(it.a.sf, it.a.node);
      for (const u of uses.get(it.a) ?? []) {
        const others = [...(table.get(u.sig) ?? [])].map(([k, sites]) => [k, sites.filter((x) => x !== here)] as const).filter(([, sites]) => sites.length > 0);
        if (others.length !== 1 || others[0]![0] === it.c.kind) continue;
        const [kind, [at]] = others[0]!;
        const sentence = `conflicting code evidence: ${it.c.evidence[0]} (${it.c.kind}), but value use: ${u.text}, as at ${at} (${kind})`;
        it.c = { kind: 'unknown', evidence: [sentence], confidence: 'unknown', chain: [...it.c.chain, { text: `but ${u.text}, as at ${at}, a ${kind} site`, at: here }] };
        break;
      }
    }
    const decided: RawAccess[] = [];
    for (let round = 0, changed = true; round < 3 && changed; round++) {
      changed = false;
      for (const it of items) {
        if (!isOpen(it.c)) continue;
        const kinds = new Map<string, { u: ValueUse; at: string }>();
        for (const u of uses.get(it.a) ?? []) for (const [k, sites] of table.get(u.sig) ?? []) if (!kinds.has(k)) kinds.set(k, { u, at: sites[0]! });
        if (kinds.size !== 1) continue;
        const [kind, { u, at }] = [...kinds][0]!;
        const here = this.ctx.at(it.a.sf, it.a.node);
        const sentence = `value use: ${u.text}, as at ${at} (${kind})`;
        const evidence = [sentence];
        const chain: Hop[] = [{ text: `${u.text}`, at: here }, { text: `so is the value at ${at}, a ${kind} site`, at }];
        if (it.c.confidence === 'owner-hint') {
          const hint = it.c.evidence[0]!.replace(/^owner hint \(no code evidence\): /, '');
          const overridden = it.c.kind !== kind;
          evidence.push(overridden ? `overrides: ${hint}` : `also ${hint}`);
          chain.push({ text: `owner hint: ${hint}${overridden ? ` (${it.c.kind}): contradicted by the code, which wins` : ''}`, at: here });
        }
        it.c = { kind, evidence, confidence: 'provenance', chain };
        learn(it.a, kind);
        decided.push(it.a);
        changed = true;
      }
      decided.push(...this.siblings(items, isOpen, learn));
    }
    return decided;
  }

  /** Other reads of a page variable a value use decided, in the same function, never reassigned: the same page. */
  private siblings(items: Array<{ a: RawAccess; c: Decision }>, isOpen: (c: Decision) => boolean, learn: (a: RawAccess, kind: string) => void): RawAccess[] {
    const byVar = this.byVariable(items);
    const out: RawAccess[] = [];
    for (const list of byVar.values()) {
      const src = list.find((x) => x.c.evidence[0]!.startsWith('value use: '));
      if (!src || list.some((x) => x.c.confidence !== 'unknown' && x.c.confidence !== 'owner-hint' && x.c.kind !== src.c.kind)) continue;
      for (const it of list) {
        if (!isOpen(it.c)) continue;
        const at = this.ctx.at(src.a.sf, src.a.node);
        const recv = `\`${shortText(it.a.receiver!, it.a.sf, 30)}\``;
        const sentence = `${recv} is the page whose ${src.a.field} is used as ${src.c.kind}'s at ${at} (${src.c.evidence[0]})`;
        it.c = { kind: src.c.kind, evidence: [sentence], confidence: 'provenance', chain: [{ text: `${recv} is the same page as at ${at}`, at: this.ctx.at(it.a.sf, it.a.node) }, ...src.c.chain] };
        learn(it.a, src.c.kind);
        out.push(it.a);
      }
    }
    return out;
  }

  private groups?: { items: unknown; byVar: Map<ts.Symbol, Array<{ a: RawAccess; c: Decision }>> };

  /**
   * The items grouped by the page variable they read (a parameter never reassigned, or a const):
   * syntax and symbols only, so once per item list, not once per round (items are changed in place).
   */
  private byVariable(items: Array<{ a: RawAccess; c: Decision }>): Map<ts.Symbol, Array<{ a: RawAccess; c: Decision }>> {
    if (this.groups?.items === items) return this.groups.byVar;
    const byVar = new Map<ts.Symbol, Array<{ a: RawAccess; c: Decision }>>();
    /** Per parameter: assigned anywhere in its function (one walk per parameter, not per read). */
    const reassigned = new Map<ts.Symbol, boolean>();
    for (const it of items) {
      const r = it.a.receiver && skipOuter(it.a.receiver);
      if (!r || !tsv.isIdentifier(r)) continue;
      const s = this.ctx.symbolOf(r);
      const d = s?.valueDeclaration;
      if (!s || !d || !(tsv.isParameter(d) || tsv.isVariableDeclaration(d) && d.parent.flags & tsv.NodeFlags.Const)) continue;
      if (tsv.isParameter(d)) {
        let x = reassigned.get(s);
        if (x === undefined) reassigned.set(s, x = assigned(this.ctx, s, d.parent));
        if (x) continue;
      }
      const l = byVar.get(s) ?? [];
      l.push(it);
      byVar.set(s, l);
    }
    this.groups = { items, byVar };
    return byVar;
  }
}

function assigned(ctx: AnalysisContext, sym: ts.Symbol, scope: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isIdentifier(skipOuter(n.left)) && ctx.symbolOf(skipOuter(n.left)) === sym) found = true;
    tsv.forEachChild(n, visit);
  };
  visit(scope);
  return found;
}
