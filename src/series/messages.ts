/**
 * Kernel-style commit messages in the spec's own words: a subject with the project's subject
 * prefix (its git history's, the spec's, else one the file's path suggests: src/series/prefix.ts),
 * a body that says what changed and why, and the cover letter's title and blurb. Types are named
 * as the spec writes them ("Stock"), or as the kernel does for its own spec ("struct slab").
 */
import type { SpecWords } from '../model/words.ts';
import type { KindPlan } from '../rewrite/kinds.ts';
import type { ConvertReport } from '../rewrite/plan.ts';
import type { Unit } from './units.ts';
import type { StepTree } from './steps.ts';

/**
 * The kernel's subsystem prefix of one project-relative file (`mm/zsmalloc.ts` -> "mm/zsmalloc",
 * `arch/x86/mm/pgtable.ts` -> "x86/mm", `include/linux/mm.ts` -> "mm").
 */
export function filePrefix(file: string): string {
  const parts = file.replace(/\.(m|c)?tsx?$/, '').split('/');
  if (parts[0] === 'src' || parts[0] === 'lib') parts.shift();
  if (parts[0] === 'arch' && parts.length >= 3) return parts[2] === 'mm' ? `${parts[1]}/mm` : parts[1]!;
  if (parts[0] === 'include' && parts.length >= 3) {
    const name = parts[parts.length - 1]!;
    return name.startsWith('mm') ? 'mm' : name;
  }
  if (parts[0] === 'mm' && parts.length === 2) return parts[1] === 'memory' || parts[1]!.startsWith('mm') ? 'mm' : `mm/${parts[1]}`;
  if (parts[0] === 'kernel' && parts.length === 2) return parts[1]!;
  return parts.join('/');
}

/** One kernel prefix for several files: theirs when they agree, else the common top directory, else "mm". */
export function prefixOf(files: string[]): string {
  const ps = [...new Set(files.map(filePrefix))];
  if (ps.length === 1) return ps[0]!;
  const tops = [...new Set(ps.map((p) => p.split('/')[0]!))];
  return tops.length === 1 ? tops[0]! : 'mm';
}

function listNames(names: string[], max = 3): string {
  const shown = names.slice(0, names.length > max ? max - 1 : max);
  const rest = names.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** A unit's names as a subject shows them: functions and methods as `f()`, top-level code of a file as the file. */
function unitNames(u: Unit): string[] {
  if (u.names.length === 1 && u.files.length === 1 && u.names[0] === u.files[0]) return [u.names[0]!];
  return u.names.map((n) => `${n}()`);
}

export interface MessageContext {
  kinds: Map<string, KindPlan>;
  /** The spec's class ("Page", "Shelf"). */
  pageClass: string;
  /** The file the spec's class lives in (retire's prefix). */
  pageFile: string;
  /** The files the spec places each kind's descriptor in. */
  placement: (k: KindPlan) => string;
  /** How the texts name the spec's types (src/model/words.ts). */
  words: SpecWords;
  /** The subject prefix of a patch touching these project-relative files (src/series/prefix.ts). */
  prefix: (files: string[]) => string;
}

/** "Convert f() to use slabs" (the kernel names the struct, not the variable) / "… to use Stock". */
function plural(k: KindPlan, m: MessageContext): string {
  return m.words.uses(k.desc ?? k.name);
}

/** "shelves holding stock" (the spec's description), else "stock Shelf objects" / "slab pages". */
function kindObjects(k: KindPlan, m: MessageContext): string {
  return k.spec.description ?? (m.words.kernel ? `${k.name} pages` : `${k.name} ${m.pageClass} objects`);
}

/** The cover letter's title: "Split struct page into memory descriptors", "Separate stock from Shelf". */
export function seriesTitle(kinds: string[], m: MessageContext, all: boolean): string {
  return all ? `Split ${m.words.object} into ${m.words.descriptor}s` : `Separate ${kinds.join(', ')} from ${m.words.object}`;
}

/** How the series is built, for the cover letter. */
export function seriesMethod(m: MessageContext): string {
  return `For each kind: create the ${m.words.descriptor} (an overlay on the same words, with a MATCH assert on every offset), convert its functions callees first (callers that still hold the old type convert at the call), then the rest; the ${m.words.kernel ? 'dead union members' : `members of ${m.pageClass} no kind uses any more`} go last.`;
}

/** The subject of one step. */
export function stepSubject(t: StepTree, m: MessageContext, files: string[]): string {
  const s = t.step;
  const page = m.words.object;
  if (s.role === 'retire') {
    const r = t.report.retired;
    const members = r.members.map((x) => x.split('.').pop()!);
    const what = members.length ? `${listNames(members)} from ${page}` : `${listNames(r.helpers.map((h) => `${h}()`))}`;
    return `${m.prefix([m.pageFile])}: Remove ${what}`;
  }
  const k = m.kinds.get(s.kind!)!;
  if (s.role === 'scaffold') {
    if (!k.desc) return `${m.prefix(files.length ? files : [m.placement(k)])}: Add ${k.name} names to ${page}`;
    return `${m.prefix([m.placement(k)])}: Create ${m.words.type(k.desc)}`;
  }
  if (s.role === 'rest') return `${m.prefix(files)}: Convert the remaining ${k.name} sites to ${k.desc ? plural(k, m) : `${k.name} names`}`;
  const names = unitNames(s.unit!);
  return `${m.prefix(s.unit!.files.length ? s.unit!.files : files)}: ${unitAction(k, names, s.unit!.keepsPage, m)}`;
}

/**
 * "Convert f() to use ptdescs" (the kernel's wording for a function that now works on the
 * descriptor); "Use struct ptdesc in f()" when f() keeps a page-typed parameter or return and only
 * its body goes through the descriptor (the page is still used as a page there, e.g. handed to
 * generic code); "Use buddy names in f()" for a kind without a descriptor class.
 */
function unitAction(k: KindPlan, names: string[], keepsPage: boolean, m: MessageContext): string {
  if (!k.desc) return `Use ${k.name} names in ${listNames(names)}`;
  return keepsPage ? `Use ${m.words.type(k.desc)} in ${listNames(names)}` : `Convert ${listNames(names)} to use ${plural(k, m)}`;
}

/** Subject of a commit that holds several steps (the ones before it did not type-check or verify). */
export function mergedSubject(trees: StepTree[], m: MessageContext, files: string[]): string {
  if (trees.length === 1) return stepSubject(trees[0]!, m, files);
  const convert = trees.filter((t) => t.step.role === 'convert');
  const kinds = new Set(trees.map((t) => t.step.kind));
  if (convert.length === trees.length && kinds.size === 1) {
    const k = m.kinds.get(trees[0]!.step.kind!)!;
    const names = convert.flatMap((t) => unitNames(t.step.unit!));
    const unitFiles = [...new Set(convert.flatMap((t) => t.step.unit!.files))];
    return `${m.prefix(unitFiles)}: ${unitAction(k, names, convert.some((t) => t.step.unit!.keepsPage), m)}`;
  }
  return `${stepSubject(trees[trees.length - 1]!, m, files)} (with ${trees.length - 1} earlier step${trees.length === 2 ? '' : 's'})`;
}

function wrapLines(text: string, width = 72): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) { out.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

function para(text: string): string {
  return wrapLines(text).join('\n');
}

/** Body of one step: what changed, where, and the analyzer's evidence. */
function stepBody(t: StepTree, prev: ConvertReport | undefined, m: MessageContext): string {
  const s = t.step;
  const parts: string[] = [];
  if (s.role === 'retire') {
    const r = t.report.retired;
    const helpers = r.helpers.map((h) => `${h}()`);
    if (r.members.length === 0) {
      parts.push(para(`Every call of ${listNames(helpers, 6)} was inlined by the earlier patches of this series, so nothing calls ${helpers.length === 1 ? 'it' : 'them'} any more: remove ${helpers.length === 1 ? 'it' : 'them'}.`));
      return parts.join('\n\n');
    }
    parts.push(para(`Every access to ${listNames(r.members)} has been converted to a ${m.words.descriptor} by the earlier patches of this series, so nothing names ${r.members.length === 1 ? 'it' : 'them'} any more: remove ${r.members.length === 1 ? 'it' : 'them'}${r.helpers.length ? `, and the helpers ${helpers.join(', ')} whose every call was inlined` : ''}. Whatever another kind or generic code still uses stays.`));
    return parts.join('\n\n');
  }
  const k = m.kinds.get(s.kind!)!;
  if (s.role === 'scaffold') {
    const made = t.report.created.filter((c) => !prev?.created.includes(c));
    if (k.desc) {
      const fields = [...k.fields].map(([raw, to]) => `${raw} -> ${to.join(' | ')}`).join(', ');
      const intro = m.words.kernel ? `Add ${m.words.type(k.desc)} (${k.desc}), the memory descriptor of` : `Add ${k.desc}, the ${m.words.descriptor} of`;
      parts.push(para(`${intro} ${kindObjects(k, m)}. It overlays ${m.pageClass}: the same address, each field on the word of the ${m.pageClass} field it replaces (${fields}); ${k.match} checks every offset when the module loads, so a wrong word cannot go unnoticed. Nothing uses it yet: the following patches convert the ${k.name} code one function at a time.`));
    } else {
      parts.push(para(`Give the ${k.name} users of ${m.pageClass} their own names for the words they use (${[...k.fields].map(([raw, to]) => `${raw} -> ${to.join(' | ')}`).join(', ')}), as members over the same words. Nothing uses them yet.`));
    }
    if (made.length) parts.push(`Created:\n${made.map((c) => `  ${c}`).join('\n')}`);
    return parts.join('\n\n');
  }
  const sites = s.unit?.sites ?? [];
  const retyped = s.unit?.retyped ?? [];
  if (s.role === 'convert') {
    const names = unitNames(s.unit!);
    const target = k.desc ? m.words.type(k.desc) : `the ${k.name} names`;
    const it = names.length === 1 ? 'it' : 'them';
    parts.push(para(`${listNames(names, 6)} ${names.length === 1 ? 'uses' : 'use'} ${m.pageClass} fields only as ${kindObjects(k, m)} do: ` +
      (!s.unit!.keepsPage
        ? `convert ${it} to ${target}.${retyped.length ? ' Where a parameter or return value is only ever used as one, it takes the descriptor type itself; callers that still hold the old type convert at the call.' : ''}`
        : `reach those fields through ${target}. The ${m.pageClass} itself stays where ${it} also ${names.length === 1 ? 'uses' : 'use'} it as a ${m.words.kernel ? m.pageClass.toLowerCase() : m.pageClass} (${m.words.typeTest}s, generic helpers).`)));
  } else {
    parts.push(para(`Convert the ${k.name} accesses the earlier patches left (outside the functions converted one by one).`));
  }
  if (retyped.length) parts.push(`Retyped:\n${retyped.map((r) => `  ${r}`).join('\n')}`);
  if (sites.length) {
    const byField = new Map<string, number>();
    for (const x of sites) byField.set(`${x.field} (${x.access})`, (byField.get(`${x.field} (${x.access})`) ?? 0) + 1);
    const ev = [...new Set(sites.map((x) => x.evidence).filter(Boolean))].slice(0, 4);
    parts.push(para(`Sites (lines of the base): ${sites.length} (${[...byField].map(([f, n]) => `${f} x${n}`).join(', ')}), e.g. ${sites.slice(0, 3).map((x) => `${x.file}:${x.line}`).join(', ')}.`));
    if (ev.length) parts.push(`Evidence:\n${ev.map((e) => `  - ${wrapLines(e, 66).join('\n    ')}`).join('\n')}`);
  }
  return parts.join('\n\n');
}

/**
 * The cover letter's "what ran and why" for a patch verified with the simulation: coverage's
 * choice ("1 of 2 runs: it executes free_slab()", "all: module-level change in mm/slub.ts",
 * "none: no run enters f()"), else every run of its plan (the tip, or --verify-all).
 */
export function ranAndWhy(v: { selection?: { why: string } }, tip: boolean): string {
  return v.selection?.why ?? (tip ? 'all: the tip runs its whole plan' : 'all (--verify-all)');
}

/** The whole message of one commit (several steps when earlier ones were merged into it). */
export function commitMessage(trees: StepTree[], prev: ConvertReport | undefined, m: MessageContext, files: string[], verdict: string, merged: string[]): string {
  const subject = mergedSubject(trees, m, files);
  const bodies = trees.map((t, i) => stepBody(t, i === 0 ? prev : trees[i - 1]!.report, m));
  const parts = [subject, ...bodies];
  if (merged.length) parts.push(para(`This patch also carries ${merged.length === 1 ? 'a step' : 'steps'} that could not stand on ${merged.length === 1 ? 'its' : 'their'} own (${merged.join('; ')}).`));
  parts.push(`Checked by memdesc series:\n${verdict.split('; ').map((v) => `  ${v}`).join('\n')}`);
  return `${parts.join('\n\n')}\n`;
}
