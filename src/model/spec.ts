/**
 * Memdesc specs: what the tool knows about one codebase's "god type" (Linux's struct page)
 * and the memory descriptor kinds carved out of it. Everything the analyzer passes need
 * comes from here; nothing about the corpus is hard-wired in src/analyzers.
 *
 * The JSON form (built-in: specs/linux.json; users: --spec FILE; the schema:
 * docs/schemas/spec.schema.json) is validated by spec-validate.ts into these normalized types.
 * The JSON's neutral keys land on the internal names here: object -> Spec.page, objectArg ->
 * pageArg, typeTests -> KindSpec.pageTypeTests, fromObject/toObject -> Converters.fromPage/toPage.
 */

/** How a raw page field is tracked by the finder. */
export type TrackMode = 'always' | 'owners' | 'never';

export interface PageFieldSpec {
  name: string;
  /** Machine words of the god type this field overlays (struct page: w0..w7). */
  words: number[];
  /** Bit range inside the word ("0:24" = low 24 bits), when the field is a part of a word. */
  bits?: string;
  /** An embedded struct (list_head): handing it around is a "reference" to the field. */
  embedded: boolean;
  /**
   * always: every access is reported; owners: only inside code owned by a kind whose
   * field map names this field (e.g. page_type's low bits for zsmalloc); never: layout only.
   */
  track: TrackMode;
}

export interface WrapperSeed {
  /** Function name (a wrapper whose body is a raw access of its page parameter). */
  name: string;
  field: string;
  access: 'read' | 'write' | 'readwrite' | 'reference';
  /** Index of the page parameter. */
  pageArg: number;
}

/**
 * An assertion call and the sense of its condition argument afterwards: `fails-if` (the kernel's
 * VM_BUG_ON_PAGE(cond, page): the call fails when cond holds, so cond is false after it) or
 * `holds` (ensure(isDoor(d)), assert(x): cond is true after it).
 */
export interface AssertionSpec {
  name: string;
  condArg: number;
  /** Absent in specs written before the key existed: read as 'fails-if'. */
  means?: 'holds' | 'fails-if';
}

export interface PageSpec {
  /** Class name of the god type. */
  class: string;
  /** File (relative to the project root) declaring it; a glob is allowed. */
  file: string;
  fields: PageFieldSpec[];
  wrappers: WrapperSeed[];
  assertions: AssertionSpec[];
  /** Sub-members of embedded fields that take the field's address (page.lru.addr): a reference. */
  addressMembers: string[];
  /** Calls that hand out pages of no kind yet (the page allocator): provenance stops there. */
  neutralSources: string[];
  /** Bytes per word of the god type (struct page: 8). Used by the converter for descriptor offsets. */
  wordSize?: number;
  /**
   * The codebase's own address <-> page helpers (virt_to_page / page_address). The converter
   * places each kind's fromAddress / toAddress converters next to them and uses them at boundaries.
   */
  addressHelpers?: { fromAddress?: string; toAddress?: string };
  /**
   * Generic code: functions that handle pages of every kind (dump_page, the free-time checks).
   * Their unguarded accesses belong to no descriptor, whoever owns the file: they stay "unknown",
   * with the reason, and the converter leaves them alone. A page-type test still decides.
   */
  generic?: GenericSpec[];
}

export interface GenericSpec {
  files: string[];
  /** Function-name globs. */
  functions: string[];
  /** Why this code is generic, as a reviewer reads it ("checks pages of every kind being freed"). */
  reason: string;
}

export interface DescriptorSpec {
  class: string;
  /** Optional file glob restricting where the descriptor class is declared. */
  file?: string;
  /** Where the converter creates the class when it does not exist yet (default: the page class's file). */
  placement?: string;
  /** Name of the load-time layout assertion (TABLE_MATCH); default CLASS_MATCH. */
  match?: string;
  /** Name for variables of this type (ptdesc); default the class name in lower case. */
  variable?: string;
}

export interface FieldMapEntry {
  /** Raw page field. */
  field: string;
  /** Descriptor field names it becomes (zpdesc index -> next / handle). */
  to: string[];
  bits?: string;
  note?: string;
}

export interface Converters {
  /** page -> descriptor (page_slab). */
  fromPage: string[];
  /** descriptor -> page (slab_page): provenance for the page. */
  toPage: string[];
  /** address -> descriptor (virt_to_slab, virt_to_ptdesc). */
  fromAddress: string[];
  /** descriptor -> address (ptdesc_address). Optional. */
  toAddress?: string[];
}

export interface OwnerSpec {
  /** File globs relative to the project root. */
  files: string[];
  /** Function-name globs; when given, only these functions of the files are owned. */
  functions?: string[];
}

export interface ProvenanceSpec {
  /** Function name (glob) whose returned page belongs to the kind. */
  call: string;
  /** The call only counts in these files (globs). */
  files?: string[];
  /** The call only counts when argument `index`'s source text matches the regex. */
  arg?: { index: number; matches: string };
}

export interface PageTypeTest {
  name: string;
  pageArg: number;
  /**
   * Whether a false result rules the kind out. True for real page types (PageSlab); false for
   * state tests that only a kind's pages pass but not all of them (PageAnon, PageLRU for folios).
   */
  negates: boolean;
}

export interface KindSpec {
  name: string;
  /** Descriptor type; null for kinds that only rename fields (buddy). */
  descriptor: DescriptorSpec | null;
  fields: FieldMapEntry[];
  converters: Converters;
  pageTypeTests: PageTypeTest[];
  owners: OwnerSpec[];
  provenance: ProvenanceSpec[];
  description?: string;
}

/**
 * The project's own oracle (`"oracle"` in a spec): a shell command run in the project's tree, or
 * a TypeScript entry bundled with esbuild and run with node. `convert --verify` and `series` run
 * it on the original and the converted tree and compare exit codes and output (`compare`: a
 * regular expression selecting the lines compared, or "json" for stdout parsed as JSON).
 */
export type OracleSpec =
  | { run: string; compare?: string; timeout?: number }
  | { entry: string; args?: string[]; compare?: string; timeout?: number };

export interface Spec {
  name: string;
  /** Where the spec came from (built-in or a file path), for reports. */
  source: string;
  page: PageSpec;
  kinds: KindSpec[];
  /** How to check a conversion of a project that has no corpus simulation. */
  oracle?: OracleSpec;
  /** Subject prefix of generated patches ("game:"-style, without the colon) when history gives none. */
  subjectPrefix?: string;
}

export const UNKNOWN_KIND = 'unknown';

export function kindNames(spec: Spec): string[] {
  return spec.kinds.map((k) => k.name);
}

export function findKind(spec: Spec, name: string): KindSpec | undefined {
  return spec.kinds.find((k) => k.name === name);
}

/** Raw fields whose accesses the finder reports (always or in owner code). */
export function trackedFields(spec: Spec): PageFieldSpec[] {
  return spec.page.fields.filter((f) => f.track !== 'never');
}

/** Descriptor field -> raw page field, for one kind. */
export function reverseFieldMap(kind: KindSpec): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of kind.fields) for (const to of e.to) m.set(to, e.field);
  return m;
}
