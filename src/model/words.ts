/**
 * The words reports and generated texts use for a spec's types: the user's own names as written
 * ("Shelf", "Stock"), or, for the Linux spec whose class is the kernel's struct page, the kernel's
 * ("struct page", "struct slab", "memory descriptor"), so kernel series read as kernel series do.
 * Kernel wording is decided by the spec, never by a guess at the code: the spec's class and the
 * file declaring it are the built-in spec's (a spec that `extends` the built-in one keeps them).
 */
import { builtinSpec } from './builtin.ts';
import type { Spec } from './spec.ts';

export interface SpecWords {
  /** The spec describes the kernel's struct page (the built-in spec, or one extending it). */
  kernel: boolean;
  /** The spec's class in prose: "struct page" / "Shelf". */
  object: string;
  /** A descriptor (or the spec's) class in prose: "struct slab" / "Stock". */
  type(cls: string): string;
  /** What the descriptor classes are called: "memory descriptor" / "descriptor". */
  descriptor: string;
  /** Functions that test an object's kind: "page-type test" / "type test". */
  typeTest: string;
  /** "Convert f() to use slabs" / "… to use Stock": the kernel names the struct in the plural. */
  uses(cls: string): string;
  /** One instance of the spec's class in evidence: "a slab page" / "a slab Shelf". */
  noun: string;
  /** Several: "pages of slab, folio reach `p`" / "Shelf objects of stock, hold reach `s`". */
  nouns: string;
}

const memo = new WeakMap<object, SpecWords>();

export function isKernelSpec(spec: Pick<Spec, 'page'>): boolean {
  const b = builtinSpec();
  return spec.page.class === b.page.class && spec.page.file === b.page.file;
}

/** The words for a spec (computed once per spec's class description). */
export function specWords(spec: Pick<Spec, 'page'>): SpecWords {
  let w = memo.get(spec.page);
  if (!w) memo.set(spec.page, (w = wordsOf(spec)));
  return w;
}

function wordsOf(spec: Pick<Spec, 'page'>): SpecWords {
  const kernel = isKernelSpec(spec);
  const type = (cls: string): string => (kernel ? `struct ${cls.toLowerCase()}` : cls);
  return {
    kernel,
    object: type(spec.page.class),
    type,
    descriptor: kernel ? 'memory descriptor' : 'descriptor',
    typeTest: kernel ? 'page-type test' : 'type test',
    uses: (cls) => (kernel ? `${cls.toLowerCase()}s` : cls),
    noun: kernel ? 'page' : spec.page.class,
    nouns: kernel ? 'pages' : `${spec.page.class} objects`,
  };
}
