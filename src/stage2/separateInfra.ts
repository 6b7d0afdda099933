/**
 * `memdesc separate`: where the tree's stage-2 infrastructure lives. The names are the kernel's
 * (the RFC's `alloc_pages_memdesc()` family, the descriptor caches, the typed accessors); the
 * files that declare them are found in the program, never assumed.
 */
import { ts } from '@ts-morph/common';
import { InputError } from '../errors.ts';
import type { KindSpec, Spec } from '../model/spec.ts';

/** Exported name -> the file that declares it. */
export type ExportIndex = Map<string, string>;

export function exportIndex(program: ts.Program, root: string): ExportIndex {
  const out: ExportIndex = new Map();
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    for (const st of sf.statements) {
      const exported = ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (!exported) continue;
      if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name && !out.has(st.name.text)) out.set(st.name.text, sf.fileName);
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && !out.has(d.name.text)) out.set(d.name.text, sf.fileName);
      }
    }
  }
  return out;
}

/** The names one kind's separation uses, each with its file. */
export interface Infra {
  /** `MEMDESC_TYPE_<KIND>`; the tree may not declare it when the accessor accepts several tags. */
  typeTag: string;
  /** The typed accessor with its debug check (`memdesc_ptdesc`), or null: `memdesc_desc(page, TAG)`. */
  accessor: string | null;
  where: ExportIndex;
}

const REQUIRED = [
  'alloc_pages_memdesc', '__free_pages_memdesc', 'memdesc_cache', 'memdesc_cache_create', 'memdesc_alloc', 'memdesc_free',
  'memdesc_create', 'memdesc_set_desc_page', 'memdesc_desc_page', 'memdesc_desc', 'MEMDESC_DESC_HEADER', 'page_count',
];

/** The infrastructure `kind` needs, or an InputError naming what the tree lacks. */
export function findInfra(index: ExportIndex, spec: Spec, kind: KindSpec): Infra {
  const missing = REQUIRED.filter((n) => !index.has(n));
  const toAddress = spec.page.addressHelpers?.toAddress ?? 'page_address';
  const fromAddress = spec.page.addressHelpers?.fromAddress ?? 'virt_to_page';
  for (const n of [toAddress, fromAddress]) if (!index.has(n)) missing.push(n);
  if (missing.length > 0) {
    throw new InputError(`the tree has no stage-2 infrastructure to separate ${kind.name} into: ${missing.join(', ')} not found`);
  }
  const typeTag = `MEMDESC_TYPE_${kind.name.toUpperCase()}`;
  const accessor = index.has(`memdesc_${kind.name}`) ? `memdesc_${kind.name}` : null;
  // A kind with several tags (a folio: file or anon) has none named after it: its typed
  // accessor says which it accepts (separateMultiTag.ts kindTags()).
  if (!index.has(typeTag) && !accessor) {
    throw new InputError(`${kind.name} has no memdesc type tag (${typeTag} not found): it cannot have a descriptor of its own yet`);
  }
  return { typeTag, accessor, where: index };
}
