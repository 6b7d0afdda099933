/**
 * Ownership: the spec's owner files and owner functions. A function-level owner (the
 * page-table functions of mm/memory.ts) beats a file-level one (mm/memory.ts is folio code).
 */
import type { ts } from '@ts-morph/common';
import type { KindSpec } from '../model/spec.ts';
import { enclosingFunction, enclosingFunctionNames } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import { matchAnyName, matchAnyPath } from './glob.ts';

export interface OwnerHit {
  kind: string;
  level: 'function' | 'file';
  sentence: string;
}

/** Owner hits per context and innermost enclosing function (or file): they depend on nothing else. */
const ownerMemo = new WeakMap<AnalysisContext, Map<ts.Node, readonly OwnerHit[]>>();

export function ownersOf(ctx: AnalysisContext, sf: ts.SourceFile, node: ts.Node): readonly OwnerHit[] {
  let memo = ownerMemo.get(ctx);
  if (!memo) ownerMemo.set(ctx, memo = new Map());
  const key = enclosingFunction(node) ?? sf;
  let hits = memo.get(key);
  if (!hits) memo.set(key, hits = computeOwners(ctx, sf, node));
  return hits;
}

function computeOwners(ctx: AnalysisContext, sf: ts.SourceFile, node: ts.Node): OwnerHit[] {
  const rel = ctx.rel(sf);
  const names = enclosingFunctionNames(node);
  const fnHits: OwnerHit[] = [];
  const fileHits: OwnerHit[] = [];
  for (const k of ctx.spec.kinds) {
    for (const o of k.owners) {
      if (!matchAnyPath(o.files, rel)) continue;
      if (o.functions) {
        const name = names.find((n) => matchAnyName(o.functions!, n));
        if (name && !fnHits.some((h) => h.kind === k.name)) {
          fnHits.push({ kind: k.name, level: 'function', sentence: `in \`${name}()\` (${rel}), owned by ${k.name}` });
        }
      } else if (!fileHits.some((h) => h.kind === k.name)) {
        fileHits.push({ kind: k.name, level: 'file', sentence: `in ${rel}, owned by ${k.name}` });
      }
    }
  }
  return fnHits.length > 0 ? fnHits : fileHits;
}

/**
 * The spec's generic code around `node` (dump_page, free-time checks): a sentence naming the
 * function and why it is generic, or null.
 */
export function genericOf(ctx: AnalysisContext, sf: ts.SourceFile, node: ts.Node): string | null {
  const rel = ctx.rel(sf);
  const names = enclosingFunctionNames(node);
  for (const g of ctx.spec.page.generic ?? []) {
    if (!matchAnyPath(g.files, rel)) continue;
    const name = names.find((n) => matchAnyName(g.functions, n));
    if (name) return `\`${name}()\` in ${rel} is generic code: ${g.reason}`;
  }
  return null;
}

/** Kinds whose field map names `field` (for fields tracked only in owner code). */
export function kindsMapping(kinds: readonly KindSpec[], field: string): Set<string> {
  return new Set(kinds.filter((k) => k.fields.some((f) => f.field === field)).map((k) => k.name));
}
