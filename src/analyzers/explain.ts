/**
 * `memdesc analyze --explain FILE:LINE[:COL]`: the evidence chain of the finding(s) at one
 * place, hop by hop with locations (which guard, where the value came from, which owner hint,
 * what was overridden or conflicts). Library part: parse the place, pick the sites, render.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import type { SiteDetail } from './analyze.ts';
import { siteMessage } from './report-text.ts';

export interface Place {
  file: string;
  line: number;
  column?: number;
}

/** "mm/slub.ts:120" or "corpus/mm/slub.ts:120:5" (a file name may itself hold colons). */
export function parsePlace(text: string): Place {
  const m = /^(.+?):(\d+)(?::(\d+))?$/.exec(text);
  if (!m || Number(m[2]) < 1 || (m[3] !== undefined && Number(m[3]) < 1)) {
    throw new UsageError(`--explain expects FILE:LINE or FILE:LINE:COL (1-based), got '${text}'`);
  }
  return { file: m[1]!, line: Number(m[2]), ...(m[3] !== undefined ? { column: Number(m[3]) } : {}) };
}

/**
 * The file as the analysis names it (relative to the root, forward slashes): a path as printed
 * by `analyze` (relative to the current directory, or absolute) or relative to the root.
 */
export function placeFile(file: string, root: string, cwd: string, known: ReadonlySet<string>): string | undefined {
  const candidates = [relative(root, resolve(cwd, file)), isAbsolute(file) ? undefined : file];
  for (const c of candidates) {
    if (c === undefined) continue;
    const rel = c.split('\\').join('/').replace(/^\.\//, '');
    if (known.has(rel)) return rel;
  }
  return undefined;
}

/** The sites at `place` (every column of the line when no column is given); InputError when there is none. */
export function sitesAt(sites: readonly SiteDetail[], place: Place, root: string, cwd: string): SiteDetail[] {
  const file = placeFile(place.file, root, cwd, new Set(sites.map((s) => s.finding.file)));
  const got = file === undefined ? [] : sites.filter((s) => s.finding.file === file && s.finding.line === place.line &&
    (place.column === undefined || s.finding.column === place.column));
  if (got.length === 0) {
    const where = `${place.file}:${place.line}${place.column !== undefined ? `:${place.column}` : ''}`;
    throw new InputError(`no finding at ${where}${file === undefined ? ' (no finding in that file)' : ''}`);
  }
  return got;
}

/** One block per site: the finding as `analyze` prints it, then its evidence hop by hop. */
export function renderExplain(sites: readonly SiteDetail[], pathPrefix = ''): string {
  const out: string[] = [];
  for (const s of sites) {
    const f = s.finding;
    if (out.length) out.push('');
    out.push(`${pathPrefix}${f.file}:${f.line}:${f.column}: ${f.kind} (confidence: ${f.confidence})${f.function ? ` in ${f.function}()` : ''}`);
    out.push(`  ${siteMessage(f)}`);
    const chain = s.chain ?? f.evidence.map((text) => ({ text, at: `${f.file}:${f.line}` }));
    chain.forEach((h, i) => out.push(`  ${i + 1}. ${pathPrefix}${h.at}: ${h.text}`));
  }
  return `${out.join('\n')}\n`;
}
