/**
 * `memdesc separate`: which memdesc word a kind's pages carry, read from the tree. A kind's typed
 * accessor (`memdesc_<kind>()`, beside `memdesc_ptdesc()` in the tree's memdesc header) names
 * the constants it checks the word against: a type tag (`MEMDESC_TYPE_PTDESC`: the word points
 * at a descriptor from the kind's cache; separateMultiTag.ts kindTags()) or a misc subtype
 * (`MEMDESC_MISC_VMALLOC`: type 0, "miscellaneous memory with no further data", whose word has
 * no pointer — the kind's fields live in the word's data bits, separateEmbed.ts). The constants
 * are the ones the accessor itself passes on (`memdesc_vmalloc()` passes its subtype to
 * `memdesc_misc_desc()`, which checks it). Nothing here names a kind.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { InputError } from '../errors.ts';
import type { KindSpec, Spec } from '../model/spec.ts';
import { exportIndex, findAccessor, findInfra, type ExportIndex } from './separateInfra.ts';
import { planKind, type KindPlan } from './separatePlan.ts';
import { planEmbedded } from './separateEmbed.ts';

/** The common prefix of the tree's misc subtypes, as `MEMDESC_TYPE_` is its tags'. */
export const MISC_PREFIX = 'MEMDESC_MISC_';

/** A kind whose pages carry a misc word: its subtype constant and the accessor that checks it. */
export interface MiscTag {
  subtype: string;
  /** The typed accessor: the page's embedded descriptor (the word's address), checked. */
  accessor: string;
}

function declared(program: ts.Program, index: ExportIndex, name: string): ts.FunctionDeclaration | undefined {
  const file = index.get(name);
  const sf = file ? program.getSourceFile(file) : undefined;
  return sf?.statements.find((s): s is ts.FunctionDeclaration => tsv.isFunctionDeclaration(s) && s.name?.text === name && !!s.body);
}

/**
 * The misc subtypes an accessor's body names: identifiers that are exported constants of the
 * tree with the misc prefix, in source order. Only the accessor's own arguments count, not the
 * helpers it calls (`memdesc_misc_page()` names no subtype: it takes one).
 */
export function accessorSubtypes(fn: ts.FunctionDeclaration, index: ExportIndex): string[] {
  const out: string[] = [];
  const walk = (n: ts.Node): void => {
    if (tsv.isIdentifier(n) && n.text.startsWith(MISC_PREFIX) && index.has(n.text) && !out.includes(n.text)) out.push(n.text);
    tsv.forEachChild(n, walk);
  };
  if (fn.body) walk(fn.body);
  return out;
}

/**
 * The misc tag of `kind` when its typed accessor checks exactly one misc subtype; null when it
 * has no accessor or checks a type tag (a pointer word). Several subtypes are the caller's error
 * to report (an accessor that accepts several cannot say which word to write).
 */
export function miscTag(program: ts.Program, index: ExportIndex, kind: string, accessor: string | null = `memdesc_${kind}`): MiscTag | { several: string[] } | null {
  if (!accessor) return null;
  const fn = declared(program, index, accessor);
  if (!fn) return null;
  const subtypes = accessorSubtypes(fn, index);
  if (subtypes.length === 0) return null;
  if (subtypes.length > 1) return { several: subtypes };
  return { subtype: subtypes[0]!, accessor };
}

/** One kind's separation plan, by the word its pages carry: embedded in a misc word, or a descriptor of its own. */
export type SeparationPlan = KindPlan & { embedded?: { subtype: string; field: string } };

/**
 * Plan one kind's separation on `program` (what `separate` and a series' stage 2 both do): a
 * kind whose accessor checks a misc subtype is embedded in the word (separateEmbed.ts), any
 * other gets a descriptor from its cache (separatePlan.ts).
 */
export function planSeparation(program: ts.Program, root: string, spec: Spec, kind: KindSpec): SeparationPlan {
  const index = exportIndex(program, root);
  // The typed accessor from its code (the kernel's name a hint): separateInfra.ts findAccessor().
  const accessor = findAccessor(program, root, index, spec, kind)?.name ?? null;
  const misc = miscTag(program, index, kind.name, accessor);
  if (misc && 'several' in misc) {
    throw new InputError(`${kind.name}: ${accessor}() accepts several misc subtypes (${misc.several.join(', ')}): which word its pages carry cannot be told`);
  }
  return misc ? planEmbedded({ program, root, spec, kind, index, tag: misc }) : planKind({ program, root, spec, kind, infra: findInfra(index, spec, kind, { program, root }) });
}
