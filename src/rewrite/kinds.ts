/**
 * What the converter needs to know about each kind, resolved from the spec with defaults:
 * descriptor class, variable name, converter names, placement file, MATCH name, field map.
 * Nothing here is corpus-specific: a spec for another codebase gets the same treatment.
 */
import { UsageError } from '../errors.ts';
import { UNKNOWN_KIND, type KindSpec, type Spec } from '../model/spec.ts';

export interface KindPlan {
  spec: KindSpec;
  name: string;
  /** Descriptor class; null for kinds that only rename page members (buddy). */
  desc: string | null;
  /** Variable name for descriptors of this kind (ptdesc). */
  variable: string;
  /** Project-relative file the class is created in. */
  placement: string;
  match: string;
  fromPage: string;
  toPage: string;
  fromAddress?: string;
  toAddress?: string;
  /** Raw page field -> descriptor field names (first is the default). */
  fields: Map<string, string[]>;
}

export function kindPlans(spec: Spec): KindPlan[] {
  return spec.kinds.map((k) => {
    const desc = k.descriptor?.class ?? null;
    const variable = k.descriptor?.variable ?? (desc ? desc.toLowerCase() : k.name);
    const pageWord = spec.page.class.toLowerCase();
    return {
      spec: k,
      name: k.name,
      desc,
      variable,
      placement: k.descriptor?.placement ?? spec.page.file,
      match: k.descriptor?.match ?? `${(desc ?? k.name).toUpperCase()}_MATCH`,
      fromPage: k.converters.fromPage[0] ?? `${pageWord}_${variable}`,
      toPage: k.converters.toPage[0] ?? `${variable}_${pageWord}`,
      ...(k.converters.fromAddress[0] ? { fromAddress: k.converters.fromAddress[0] } : {}),
      ...(k.converters.toAddress?.[0] ? { toAddress: k.converters.toAddress[0] } : {}),
      fields: new Map(k.fields.map((f) => [f.field, f.to])),
    };
  });
}

/** `convert <kind…|--all>`: the kinds to convert, in spec order. */
export function selectKinds(spec: Spec, kinds: string[], all: boolean): KindPlan[] {
  const plans = kindPlans(spec);
  if (all) {
    if (kinds.length > 0) throw new UsageError('give kinds or --all, not both');
    return plans;
  }
  if (kinds.length === 0) throw new UsageError(`no kind given: name kinds to convert (${plans.map((p) => p.name).join(', ')}) or pass --all`);
  for (const k of kinds) {
    if (k === UNKNOWN_KIND) throw new UsageError(`'${UNKNOWN_KIND}' is not a kind that can be converted: its sites have no decided descriptor`);
    if (!plans.some((p) => p.name === k)) throw new UsageError(`unknown kind '${k}' (known: ${plans.map((p) => p.name).join(', ')})`);
  }
  return plans.filter((p) => kinds.includes(p.name));
}

/** A descriptor-side name for a page-side variable: page -> ptdesc, first_page -> first_zpdesc, head -> head. */
export function descriptorName(pageName: string, pageWord: string, variable: string): string {
  if (pageName === pageWord) return variable;
  const re = new RegExp(`(^|_)${pageWord}(_|$)`);
  if (re.test(pageName)) return pageName.replace(re, `$1${variable}$2`);
  return pageName;
}
