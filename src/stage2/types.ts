/**
 * What `memdesc audit` produces: the blockers that stop a kind's descriptor from leaving struct
 * page (stage 2), each with its site, function, page word and why. The JSON form is a documented
 * contract: docs/stage2.md and docs/schemas/audit.schema.json.
 */

/**
 * Why a site blocks separating a kind, in the order the text output groups them:
 * - raw-access: a raw access of one of the kind's fields remains (the analyzer's finding of the
 *   kind, or an unknown one that pages of the kind reach);
 * - memdesc-word-write: code writes (or hands to list code) a word the memdesc word will occupy,
 *   on a page that can be of the kind (the RFC's crash);
 * - memdesc-word-read: code reads such a word of such a page (dump_page, free-time checks,
 *   pfn walkers following compound_head): after separation it reads the memdesc word instead;
 * - page-arithmetic: page-pointer arithmetic on the kind's pages or descriptors (nth_page,
 *   page + i, pfn ± i back to a page): descriptors are no longer an array beside the memmap;
 * - round-trip: X_page(page_X(p)) or a comparison that assumes descriptor and page share an address;
 * - shared-address: any other use of a descriptor's address as its page's.
 */
export type BlockerReason = 'raw-access' | 'memdesc-word-write' | 'memdesc-word-read' | 'page-arithmetic' | 'round-trip' | 'shared-address';

export const BLOCKER_REASONS: readonly BlockerReason[] = ['raw-access', 'memdesc-word-write', 'memdesc-word-read', 'page-arithmetic', 'round-trip', 'shared-address'];

/** One line each, for the text output's group headings. */
export const REASON_TITLES: Record<BlockerReason, string> = {
  'raw-access': 'raw accesses of the kind\'s fields that remain',
  'memdesc-word-write': 'writes to the words the memdesc word will occupy',
  'memdesc-word-read': 'readers of the words the memdesc word will occupy',
  'page-arithmetic': 'pointer arithmetic on the kind\'s objects or descriptors',
  'round-trip': 'round trips and comparisons assuming a descriptor shares its object\'s address',
  'shared-address': 'a descriptor\'s address used as its object\'s',
};

export interface Blocker {
  /** Path relative to the audited root, with forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** Enclosing named function; null at top level. */
  function: string | null;
  kind: string;
  /** The page field (or, for a converted access, the page field its descriptor field overlays); null when no field is involved. */
  field: string | null;
  /** The struct page words the site touches (those of `field`), empty when no field is involved. */
  words: number[];
  reason: BlockerReason;
  /** Why, as a reviewer checks it: what the code does and the evidence that pages of the kind get there. */
  detail: string;
}

export interface AuditSummary {
  blockers: number;
  /** Every audited kind, in spec order, with its number of blockers (0 when clean). */
  byKind: Record<string, number>;
  /** kind -> reason -> count (only reasons that occur). */
  byReason: Record<string, Partial<Record<BlockerReason, number>>>;
}

export interface AuditResult {
  version: 1;
  root: string;
  spec: string;
  kinds: string[];
  /** Words of the god type the memdesc word occupies (the spec's page field `memdesc`). */
  memdescWords: number[];
  blockers: Blocker[];
  summary: AuditSummary;
  /**
   * Functions trusted to handle the memdesc word themselves (tagged `@memdesc-aware`, or reading
   * the memdesc field): their accesses of its words are not blockers. Listed for review.
   */
  memdescAware: Array<{ file: string; line: number; column: number; function: string | null }>;
  /** What the analyzer could not follow (a wrapper used as a value, …): not audited, listed so nobody takes silence for clean. */
  residue: Array<{ file: string; line: number; column: number; reason: string; field?: string }>;
}
