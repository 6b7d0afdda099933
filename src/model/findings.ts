/**
 * What `memdesc analyze` produces: findings (raw accesses, classified), residue (what could not
 * be decided), discovered wrappers, and a summary table. The JSON form is a documented contract:
 * docs/contracts.md and docs/schemas/findings.schema.json (test/model/schemas.test.ts checks them).
 */
import { UNKNOWN_KIND, type Spec } from './spec.ts';

export type Access = 'read' | 'write' | 'readwrite' | 'reference' | 'call';

/**
 * How a finding's kind was decided (docs/classification.md), strongest first: a page-type test
 * that holds at the site, where the page came from (its allocator, converter or descriptor
 * type), what every caller passes, the spec's owner lists as a fallback; "unknown" when
 * nothing decides or the code evidence conflicts.
 */
export type Confidence = 'guard' | 'provenance' | 'callgraph' | 'owner-hint' | 'unknown';
export const CONFIDENCES: readonly Confidence[] = ['guard', 'provenance', 'callgraph', 'owner-hint', 'unknown'];

export interface Finding {
  /** Path relative to the analyzed root, with forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** Raw page field (for converted accesses: the page field the descriptor field overlays). */
  field: string;
  access: Access;
  /** A spec kind or "unknown". */
  kind: string;
  /** Short sentences a reviewer can check, strongest first. */
  evidence: string[];
  /** What decided the kind ("unknown" exactly when kind is "unknown"). */
  confidence: Confidence;
  /** True when the access already goes through the kind's descriptor type. */
  converted: boolean;
  /** Source text of the receiver (the page expression). */
  receiver: string;
  /** Enclosing named function, if any. */
  function?: string;
  /** For access "call": the wrapper called, and what it does to the field. */
  wrapper?: string;
  wrapperAccess?: Exclude<Access, 'call'>;
  /** For converted accesses: the descriptor field used. */
  descriptorField?: string;
}

/**
 * Why a site is residue, in rank order: first the sites that may really be the class (a receiver
 * typed as an interface or supertype it implements, a union holding it, a type it satisfies
 * structurally, a computed key on it, a wrapper whose pages cannot be traced, a file that does not
 * parse), then the noise that is usually unrelated (receivers typed any/unknown, types that did not
 * resolve, imports that did not resolve).
 */
export type ResidueCause = 'supertype' | 'union' | 'structural' | 'computed-key' | 'wrapper' | 'parse-error' | 'any' | 'unresolved-type' | 'unresolved-module';
export const RESIDUE_CAUSES: readonly ResidueCause[] = ['supertype', 'union', 'structural', 'computed-key', 'wrapper', 'parse-error', 'any', 'unresolved-type', 'unresolved-module'];
/** Causes whose sites are mostly unrelated to the class: collapsed into counts in the text report. */
export const NOISE_CAUSES: ReadonlySet<ResidueCause> = new Set(['any', 'unresolved-type', 'unresolved-module']);

export interface Residue {
  file: string;
  line: number;
  column: number;
  reason: string;
  field?: string;
  /** Why it is residue (absent in entries written by an older memdesc, e.g. a track cache). */
  cause?: ResidueCause;
  /** The receiver's type as the checker prints it (member accesses). */
  receiverType?: string;
  /** The class the site may really be an access of (supertype, union, structural, computed-key). */
  mayBe?: string;
  /** unresolved-module: the module specifier. */
  module?: string;
  /**
   * A wrapper used as a value: the kind of what its page parameter receives there, how it was
   * decided and why (absent on other residue).
   */
  kind?: string;
  confidence?: Confidence;
  evidence?: string[];
}

/** One group of residue: a cause and a receiver type (or module), ranked (see residueGroups). */
export interface ResidueGroup {
  cause: ResidueCause;
  /** The receiver type, the module (unresolved-module), or "" when the sites have neither. */
  key: string;
  count: number;
  mayBe?: string;
}

function causeRank(c: ResidueCause | undefined): number {
  const i = RESIDUE_CAUSES.indexOf(c ?? 'unresolved-type');
  return i < 0 ? RESIDUE_CAUSES.length : i;
}

/** Residue grouped by cause and receiver type: causes in rank order, then the biggest groups first. */
export function residueGroups(residue: Residue[]): ResidueGroup[] {
  const groups = new Map<string, ResidueGroup>();
  for (const r of residue) {
    const cause = r.cause ?? 'unresolved-type';
    const key = r.module ?? r.receiverType ?? '';
    const id = `${cause}\0${key}`;
    const g = groups.get(id) ?? { cause, key, count: 0, ...(r.mayBe ? { mayBe: r.mayBe } : {}) };
    g.count++;
    groups.set(id, g);
  }
  return [...groups.values()].sort((a, b) => causeRank(a.cause) - causeRank(b.cause) || b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface WrapperInfo {
  name: string;
  file: string;
  line: number;
  column: number;
  field: string;
  access: Exclude<Access, 'call'>;
  pageArg: number;
  origin: 'discovered' | 'spec';
  callSites: number;
}

export interface Cell {
  converted: number;
  remaining: number;
}

export interface Summary {
  findings: number;
  converted: number;
  remaining: number;
  unknown: number;
  residue: number;
  wrappers: number;
  files: number;
  /** Findings per confidence, every confidence listed. */
  byConfidence: Record<Confidence, number>;
  /** Residue per cause, every cause listed, in rank order. */
  residueByCause: Record<ResidueCause, number>;
  /** kind -> field -> counts; kinds in spec order then "unknown", fields in spec order. */
  byKind: Record<string, Record<string, Cell>>;
}

export interface AnalysisResult {
  version: 1;
  root: string;
  spec: string;
  findings: Finding[];
  residue: Residue[];
  wrappers: WrapperInfo[];
  summary: Summary;
}

export function compareSites(a: { file: string; line: number; column: number }, b: { file: string; line: number; column: number }): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}

export function summarize(spec: Spec, findings: Finding[], residue: Residue[], wrappers: WrapperInfo[], files: number): Summary {
  const fields = spec.page.fields.filter((f) => f.track !== 'never').map((f) => f.name);
  const byKind: Record<string, Record<string, Cell>> = {};
  for (const k of [...spec.kinds.map((k) => k.name), UNKNOWN_KIND]) {
    byKind[k] = {};
    for (const f of fields) byKind[k][f] = { converted: 0, remaining: 0 };
  }
  for (const f of findings) {
    const row = (byKind[f.kind] ??= {});
    const cell = (row[f.field] ??= { converted: 0, remaining: 0 });
    if (f.converted) cell.converted++;
    else cell.remaining++;
  }
  const converted = findings.filter((f) => f.converted).length;
  const byConfidence = Object.fromEntries(CONFIDENCES.map((c) => [c, 0])) as Record<Confidence, number>;
  // Entries written by an older memdesc (a track cache) have no confidence: counted as unknown.
  for (const f of findings) byConfidence[f.confidence ?? 'unknown']++;
  const residueByCause = Object.fromEntries(RESIDUE_CAUSES.map((c) => [c, 0])) as Record<ResidueCause, number>;
  // Entries from an older memdesc have no cause: counted as a type that did not resolve (noise).
  for (const r of residue) residueByCause[r.cause ?? 'unresolved-type']++;
  return {
    findings: findings.length,
    converted,
    remaining: findings.length - converted,
    unknown: findings.filter((f) => f.kind === UNKNOWN_KIND).length,
    residue: residue.length,
    wrappers: wrappers.length,
    files,
    byConfidence,
    residueByCause,
    byKind,
  };
}
