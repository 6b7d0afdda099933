/**
 * memdesc audit: everything that stops a kind's descriptor from leaving struct page (stage 2),
 * computed from the analyzer's own results (findings, kinds, wrappers, guards, provenance, call
 * graph) plus the syntax of sites.ts. A site blocks kind K when:
 *   - it is a raw access the analyzer gives kind K, or an unknown one of a field K maps that
 *     pages of K can reach (reach.ts); a word read or written by its offset, or through a static
 *     offset table of the class by key (page_own_word(page, 'index')), is the field K maps there;
 *   (none of them where a test says the page carries no memdesc word: memdescGuard.ts);
 *   - it writes or reads a word the memdesc word occupies (spec: page field `memdesc`) on a page
 *     that is K's by the analyzer's classification, or unknown and reachable by K's pages;
 *   - it does page-pointer arithmetic on a page the analyzer gives kind K, or on K's descriptor;
 *   - it converts K's page and descriptor there and back, or takes K's descriptor address as a
 *     page address.
 * Accesses through K's own descriptor type move with the descriptor and never block it.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { analyzeDetailed } from '../analyzers/analyze.ts';
import { enclosingFunctionNames, functionName, shortText } from '../analyzers/ast.ts';
import type { Classification } from '../analyzers/classifier.ts';
import { Guards } from '../analyzers/guards.ts';
import { loadProgram } from '../analyzers/project.ts';
import { Provenance } from '../analyzers/provenance.ts';
import { InputError, UsageError } from '../errors.ts';
import { compareSites, NOISE_CAUSES } from '../model/findings.ts';
import { UNKNOWN_KIND, type KindSpec, type Spec } from '../model/spec.ts';
import { specWords } from '../model/words.ts';
import { MemdescGuard } from './memdescGuard.ts';
import { Reacher, type Reach } from './reach.ts';
import { SiteScanner, type WordSite } from './sites.ts';
import { BLOCKER_REASONS, type AuditResult, type Blocker, type BlockerReason } from './types.ts';
import { MEMDESC_FIELD, memdescWords, memdescWordFields } from './words.ts';

export interface AuditOptions {
  spec: Spec;
  /** Kinds to audit; empty or absent: every kind with a descriptor (`--all`). */
  kinds?: string[];
  /** Root shown in the result (defaults to the project root). */
  displayRoot?: string;
}

/** Kinds that can leave struct page: those with a descriptor type. */
export function separableKinds(spec: Spec): KindSpec[] {
  return spec.kinds.filter((k) => k.descriptor !== null);
}

/** Check the kinds and the spec before any work (UsageError / InputError). */
export function checkAuditOptions(opts: AuditOptions): string[] {
  const separable = separableKinds(opts.spec).map((k) => k.name);
  for (const k of opts.kinds ?? []) {
    const spec = opts.spec.kinds.find((x) => x.name === k);
    if (!spec) throw new UsageError(`unknown kind '${k}' (kinds with a descriptor: ${separable.join(', ')})`);
    if (!spec.descriptor) throw new UsageError(`kind '${k}' has no descriptor class: it stays in ${specWords(opts.spec).object}, there is nothing to separate (kinds with a descriptor: ${separable.join(', ')})`);
  }
  memdescWords(opts.spec);
  if (separable.length === 0) throw new UsageError(`spec ${opts.spec.source} has no kind with a descriptor class: nothing can leave ${specWords(opts.spec).object}`);
  const chosen = opts.kinds?.length ? new Set(opts.kinds) : new Set(separable);
  return separable.filter((k) => chosen.has(k));
}

export function auditPath(path: string, opts: AuditOptions): AuditResult {
  checkAuditOptions(opts);
  const { program, root } = loadProgram(path);
  return auditProgram(program, root, opts);
}

/** Priority when one site blocks a kind for several reasons: the most specific wins. */
const PRIORITY: BlockerReason[] = ['memdesc-word-write', 'memdesc-word-read', 'round-trip', 'page-arithmetic', 'shared-address', 'raw-access'];

export function auditProgram(program: ts.Program, root: string, opts: AuditOptions): AuditResult {
  const kinds = checkAuditOptions(opts);
  const { spec } = opts;
  const words = memdescWords(spec);
  const wordFields = memdescWordFields(spec, words);
  const det = analyzeDetailed(program, root, { spec });
  const ctx = det.ctx;
  // A file that does not parse was not analyzed: clean could not be told from unread.
  const broken = [...det.broken].map((sf) => ctx.rel(sf)).sort();
  if (broken.length > 0) {
    throw new InputError(`${broken[0]}${broken.length > 1 ? ` (and ${broken.length - 1} more)` : ''} does not parse: the audit cannot tell what it does; fix it first`);
  }
  const guards = new Guards(ctx);
  const prov = new Provenance(ctx, guards, det.calls);
  const memdescGuard = new MemdescGuard(ctx, MEMDESC_FIELD);
  const reacher = new Reacher(ctx, guards, prov, det.calls, memdescGuard);
  // Under a test that the page carries no memdesc word, no separated kind's page gets there.
  const noMemdesc = (anchor: ts.Node, page: ts.Expression | undefined): boolean => !!page && !!memdescGuard.without(anchor, page);
  const scanner = new SiteScanner(ctx, wordFields, MEMDESC_FIELD, words, det.calls, (e) => reacher.descriptorKind(e));
  scanner.scan();
  const fieldWords = new Map(spec.page.fields.map((f) => [f.name, f.words]));
  const chosen = new Set(kinds);
  const kindFields = new Map(spec.kinds.map((k) => [k.name, new Set(k.fields.map((f) => f.field))]));

  const found = new Map<string, Blocker>();
  const add = (sf: ts.SourceFile, node: ts.Node, kind: string, field: string | null, reason: BlockerReason, detail: string): void => {
    if (!chosen.has(kind)) return;
    const s = ctx.site(sf, node);
    const key = `${s.file}:${s.line}:${s.column}:${kind}`;
    const old = found.get(key);
    if (old && PRIORITY.indexOf(old.reason) <= PRIORITY.indexOf(reason)) return;
    const fn = enclosingFunctionNames(node)[0] ?? null;
    found.set(key, { ...s, function: fn, kind, field, words: field ? [...(fieldWords.get(field) ?? [])] : [], reason, detail });
  };
  const reachSentence = (r: Reach, kind: string): string | undefined => r.kinds.get(kind) ?? r.any;
  const wordsText = (ws: readonly number[]): string => ws.map((w) => `w${w}`).join('-');
  const memdescText = `the memdesc word (${wordsText(words)})`;
  const words_ = specWords(spec);

  // 1. Raw accesses the analyzer found: the kind's own, and unknown ones its pages reach.
  for (const { finding: f, access: a } of det.sites) {
    if (f.converted) continue;
    const onWord = wordFields.has(f.field);
    const how = f.wrapper ? `\`${f.wrapper}()\` (${f.wrapperAccess} of \`${f.field}\`)` : `${f.access} of \`${f.field}\``;
    if (noMemdesc(a.expr, a.receiver)) continue;
    if (f.kind !== UNKNOWN_KIND) {
      // On the memdesc word's words it is judged below, unless code that handles the word makes it: still a raw access.
      if (!onWord || scanner.aware(a.expr)) add(a.sf, a.node, f.kind, f.field, 'raw-access', `${how} on \`${f.receiver}\` is still a raw ${words_.object} access: ${f.evidence[0]}`);
      continue;
    }
    if (onWord || !a.receiver) continue;
    const r = reacher.at(a.receiver, a.expr);
    for (const k of kinds) {
      if (!kindFields.get(k)!.has(f.field)) continue;
      const why = reachSentence(r, k);
      if (why) add(a.sf, a.node, k, f.field, 'raw-access', `${how} on \`${f.receiver}\`, a raw access the analyzer cannot give a kind (${f.evidence[0]}), and ${k} ${words_.nouns} reach it: ${why}`);
    }
  }

  // 1b. Other words by offset or through an offset table of the class: no member is named, so the
  // word's field is whichever the kind maps there (w4 is ptdesc's pt_mm, zpdesc's next, …).
  const pageFields = spec.page.fields.filter((f) => f.name !== MEMDESC_FIELD);
  const wordSize = spec.page.wordSize ?? 8;
  for (const s of scanner.offsets) {
    if (noMemdesc(s.expr, s.receiver) || reacher.descriptorKind(s.receiver)) continue;
    // The fields the access can touch: on its word, from its first byte on.
    const touched = new Set(pageFields.filter((f) => f.words.includes(s.word) && bitsFrom(f.bits, wordSize) > s.byte * 8).map((f) => f.name));
    if (touched.size === 0) continue;
    const r = reacher.at(s.receiver, s.expr);
    for (const k of kinds) {
      const field = [...kindFields.get(k)!].find((f) => touched.has(f));
      if (!field) continue;
      const why = reachSentence(r, k);
      if (why) add(s.sf, s.node, k, field, 'raw-access', `${s.how}, ${k}'s \`${field}\`: a raw access the analyzer cannot give a kind (no member is named), and ${k} ${words_.nouns} reach it: ${why}`);
    }
  }

  // 2 and 3. Writes and reads of the words the memdesc word will occupy.
  const wordSites: Array<{ site: WordSite; cls?: Classification }> = [];
  for (const { finding: f, access: a } of det.sites) {
    if (!wordFields.has(f.field) && !(a.converted && wordFields.has(a.converted.descriptorField))) continue;
    if (f.converted && a.converted && a.converted.className !== spec.page.class) continue; // through a descriptor: moves with it
    if (scanner.aware(a.expr)) continue;
    wordSites.push({
      site: { ...a, member: f.descriptorField ?? f.field, ...(f.wrapper ? { helper: f.wrapper } : {}) },
      cls: { kind: f.kind, evidence: f.evidence, confidence: f.confidence, chain: [] },
    });
  }
  for (const s of scanner.words) wordSites.push({ site: s });
  for (const { site, cls: given } of wordSites) {
    if (!site.receiver) continue;
    if (reacher.descriptorKind(site.receiver)) continue;
    if (noMemdesc(site.expr, site.receiver)) continue;
    let cls = given ?? det.classify(site);
    if (site.converted) {
      // A renamed member (buddy_list for lru) names the kind its author meant; the code's own
      // evidence about the page (a type test, where it came from) wins when it says otherwise.
      const byPage = det.classify({ ...site, converted: undefined });
      if (byPage.kind === cls.kind || (byPage.kind !== UNKNOWN_KIND && byPage.confidence === 'owner-hint')) continue;
      cls = byPage;
    }
    // list_for_each_entry(list, Page, 'lru'): walks the pages' links (reads), the list was threaded elsewhere.
    const walk = site.receiver === site.expr && tsv.isCallExpression(site.expr) && !site.helper;
    const access = walk ? 'read' : site.access === 'call' ? (site.wrapperAccess ?? 'read') : site.access;
    const writes = access !== 'read';
    const reason: BlockerReason = writes ? 'memdesc-word-write' : 'memdesc-word-read';
    const fw = fieldWords.get(site.field) ?? [];
    const verb = site.byOffset ? `${writes ? 'writes' : 'reads'} ${site.member} of \`${site.receiverText}\` by its offset (\`${site.byOffset}\`)`
      : walk ? `follows \`${site.member}\` (${wordsText(fw)}) of the ${words_.nouns} on a list (\`${shortText(site.expr, site.sf, 50)}\`)`
      : access === 'reference' ? `hands \`${site.receiverText}.${site.member}\` (${wordsText(fw)}) to code that writes through it`
      : `${access === 'read' ? 'reads' : 'writes'} \`${site.member}\` (${wordsText(fw)}) of \`${site.receiverText}\``;
    const how = site.helper ? `\`${site.helper}()\` ${verb}` : verb;
    const clobber = writes ? `, which ${memdescText} occupies: it would clobber the descriptor pointer` : `, which ${memdescText} occupies: it would read the descriptor pointer and type instead`;
    if (cls.kind !== UNKNOWN_KIND) {
      add(site.sf, site.node, cls.kind, site.field, reason, `${how}${clobber}; the ${words_.noun} is ${cls.kind}'s: ${cls.evidence[0]}`);
      // Code evidence decides whose page it is; an owner hint is a file list, which never rules a kind out here.
      if (cls.confidence !== 'owner-hint') continue;
    }
    const r = reacher.at(site.receiver, site.expr);
    for (const k of kinds) {
      if (k === cls.kind) continue;
      const why = reachSentence(r, k);
      if (why) add(site.sf, site.node, k, site.field, reason, `${how}${clobber}; ${k} ${words_.nouns} reach it: ${why}`);
    }
  }

  // 4. Page-pointer arithmetic on the kind's pages.
  for (const s of scanner.arith) {
    const dk = reacher.descriptorKind(s.base);
    if (dk) {
      add(s.sf, s.node, dk, null, 'page-arithmetic', `${s.how}: descriptors are no longer an array beside the ${words_.nouns}`);
      continue;
    }
    if (noMemdesc(s.node, s.base)) continue;
    const cls = det.classify({ sf: s.sf, node: s.node, expr: s.node, receiver: s.base, receiverText: shortText(s.base, s.sf), field: '', access: 'read' });
    if (cls.kind === UNKNOWN_KIND) continue;
    add(s.sf, s.node, cls.kind, null, 'page-arithmetic', `${s.how}, a ${cls.kind} ${words_.noun} (${cls.evidence[0]}): once the descriptor is separate, the ${words_.nouns} next to it say nothing about it`);
  }

  // 5. Round trips and the descriptor's address taken as the page's.
  for (const s of scanner.addrs) add(s.sf, s.node, s.kind, null, s.reason, s.how);

  const blockers = [...found.values()].sort((a, b) => compareSites(a, b) || a.kind.localeCompare(b.kind));
  const byKind: Record<string, number> = {};
  const byReason: Record<string, Partial<Record<BlockerReason, number>>> = {};
  for (const k of kinds) {
    byKind[k] = 0;
    byReason[k] = {};
  }
  for (const b of blockers) {
    byKind[b.kind]!++;
    byReason[b.kind]![b.reason] = (byReason[b.kind]![b.reason] ?? 0) + 1;
  }
  for (const k of kinds) {
    const ordered: Partial<Record<BlockerReason, number>> = {};
    for (const r of BLOCKER_REASONS) if (byReason[k]![r]) ordered[r] = byReason[k]![r];
    byReason[k] = ordered;
  }
  return {
    version: 1, root: opts.displayRoot ?? root, spec: spec.name, kinds, memdescWords: words, blockers,
    summary: { blockers: blockers.length, byKind, byReason },
    // Residue that may really be the class; receivers typed any and unresolved imports are noise.
    residue: det.result.residue.filter((r) => !r.cause || !NOISE_CAUSES.has(r.cause)).map((r) => ({ file: r.file, line: r.line, column: r.column, reason: r.reason, ...(r.field ? { field: r.field } : {}) })),
    memdescAware: [...scanner.awareFunctions].map((fn) => ({ ...ctx.site(fn.getSourceFile(), fn), function: functionName(fn) ?? null }))
      .sort((a, b) => compareSites(a, b)),
  };
}

/** The bit just past a field inside its word ("LOW:WIDTH"; a whole word without bits). */
function bitsFrom(bits: string | undefined, wordSize: number): number {
  if (!bits) return wordSize * 8;
  const [low, width] = bits.split(':').map(Number);
  return low! + width!;
}
