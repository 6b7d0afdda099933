/**
 * Text report: a kind x field table of remaining (raw) and converted accesses, then every
 * site as `file:line:col: kind: message` (Coccinelle's report mode), then residue.
 */
import { CONFIDENCES, NOISE_CAUSES, RESIDUE_CAUSES, residueGroups, type AnalysisResult, type Cell, type Finding, type Residue, type ResidueCause } from '../model/findings.ts';

export interface TextOptions {
  /** Prefix for site paths (the analyzed root as the user should see it), e.g. "corpus/". */
  pathPrefix?: string;
  sites?: boolean;
  /**
   * Residue: 'ranked' (default) lists the sites that may be the class first, grouped by cause and
   * receiver type, and collapses any-typed receivers and unresolved modules into counts; 'all'
   * lists every site, grouped alike.
   */
  residue?: 'ranked' | 'all';
  /** The spec's class, as residue headings name it. */
  className?: string;
}

/** How each cause reads as a group heading, `cls` the spec's class. */
function causeTitle(c: ResidueCause, cls: string): string {
  switch (c) {
    case 'supertype': return `may be a ${cls}: through an interface or supertype ${cls} implements or extends`;
    case 'union': return `may be a ${cls}: a union that holds it`;
    case 'structural': return `may be a ${cls}: through a type ${cls} satisfies structurally`;
    case 'computed-key': return `on a ${cls}, field unknown: computed keys`;
    case 'wrapper': return 'wrappers called without their argument or used as values (what they reach cannot be traced)';
    case 'parse-error': return 'files that do not parse';
    case 'any': return 'receivers typed any or unknown';
    case 'unresolved-type': return 'receivers whose type did not resolve';
    case 'unresolved-module': return 'imports that do not resolve';
  }
}

function cell(c: Cell | undefined): string {
  if (!c || c.converted + c.remaining === 0) return '-';
  return `${c.remaining}/${c.converted}`;
}

export function renderTable(r: AnalysisResult): string {
  const kinds = Object.keys(r.summary.byKind);
  const fields = [...new Set(kinds.flatMap((k) => Object.keys(r.summary.byKind[k]!)))];
  const rows: string[][] = [['kind', ...fields, 'total']];
  const colTotals = fields.map(() => ({ converted: 0, remaining: 0 }));
  for (const k of kinds) {
    const row = r.summary.byKind[k]!;
    const total = { converted: 0, remaining: 0 };
    fields.forEach((f, i) => {
      const c = row[f];
      if (!c) return;
      total.converted += c.converted;
      total.remaining += c.remaining;
      colTotals[i]!.converted += c.converted;
      colTotals[i]!.remaining += c.remaining;
    });
    if (total.converted + total.remaining === 0 && k === 'unknown') continue;
    rows.push([k, ...fields.map((f) => cell(row[f])), cell(total)]);
  }
  const all = colTotals.reduce((a, c) => ({ converted: a.converted + c.converted, remaining: a.remaining + c.remaining }), { converted: 0, remaining: 0 });
  rows.push(['total', ...colTotals.map(cell), cell(all)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function siteMessage(f: Finding): string {
  const what = f.access === 'call'
    ? `call of ${f.wrapper}() (${f.wrapperAccess} of ${f.field})`
    : f.converted
      ? `${f.access} of ${f.field} as ${f.descriptorField} (converted)`
      : `${f.access} of ${f.field}`;
  return `${f.kind}: ${what} on \`${f.receiver}\` [${f.confidence}]: ${f.evidence.join('; ')}`;
}

function verb(a: string): string {
  return a === 'read' ? 'reads' : a === 'write' ? 'writes' : a === 'readwrite' ? 'updates' : 'references';
}

export function renderText(r: AnalysisResult, opts: TextOptions = {}): string {
  const pre = opts.pathPrefix ?? '';
  const s = r.summary;
  const out: string[] = [];
  out.push(`memdesc analyze: ${r.root} (spec ${r.spec}, ${s.files} files)`);
  out.push('');
  out.push(renderTable(r));
  out.push('cells: remaining raw accesses / converted accesses');
  out.push('');
  out.push(`${s.findings} accesses: ${s.remaining} remaining, ${s.converted} converted, ${s.unknown} unknown; ${s.residue} residue; ${s.wrappers} wrappers`);
  if (s.byConfidence) out.push(`decided by: ${CONFIDENCES.map((c) => `${c} ${s.byConfidence[c]}`).join(', ')}`);
  if (opts.sites !== false) {
    if (r.findings.length) out.push('');
    for (const f of r.findings) out.push(`${pre}${f.file}:${f.line}:${f.column}: ${siteMessage(f)}`);
    if (r.wrappers.length) {
      out.push('');
      for (const w of r.wrappers) {
        out.push(`${pre}${w.file}:${w.line}:${w.column}: wrapper: ${w.name}() ${verb(w.access)} ${w.field} of argument ${w.pageArg} (${w.origin}, ${w.callSites} call sites)`);
      }
    }
    if (r.residue.length) out.push('', ...renderResidue(r.residue, opts.className ?? cls(r), pre, opts.residue ?? 'ranked'));
  }
  return `${out.join('\n')}\n`;
}

/** The spec's class as the residue wording names it (the result says only the spec's name). */
function cls(r: AnalysisResult): string {
  return r.residue.find((x) => x.mayBe)?.mayBe ?? 'the class';
}

/**
 * Residue by cause in rank order, each cause's sites grouped by receiver type (or module). With
 * 'ranked', the noise causes are one line per group with its count.
 */
export function renderResidue(residue: Residue[], className: string, pre = '', mode: 'ranked' | 'all' = 'ranked'): string[] {
  const out: string[] = [];
  const counts = RESIDUE_CAUSES.map((c) => [c, residue.filter((x) => (x.cause ?? 'unresolved-type') === c).length] as const).filter(([, n]) => n > 0);
  const mayBe = residue.filter((x) => x.mayBe).length;
  out.push(`residue: ${residue.length} site${residue.length === 1 ? '' : 's'}${mayBe ? `, ${mayBe} that may be a ${className}` : ''} (${counts.map(([c, n]) => `${c} ${n}`).join(', ')})`);
  const groups = residueGroups(residue);
  let collapsed = false;
  for (const [cause] of counts) {
    const mine = groups.filter((g) => g.cause === cause);
    const total = mine.reduce((n, g) => n + g.count, 0);
    out.push(`  ${causeTitle(cause, className)} (${total}):`);
    if (mode === 'ranked' && NOISE_CAUSES.has(cause)) {
      collapsed = true;
      const shown = mine.slice(0, 8).map((g) => `${g.key === '' ? '(no type)' : cause === 'unresolved-module' ? `'${g.key}'` : g.key} x${g.count}`);
      out.push(`    ${shown.join(', ')}${mine.length > 8 ? `, and ${mine.length - 8} more` : ''}`);
      continue;
    }
    for (const g of mine) {
      const sites = residue.filter((x) => (x.cause ?? 'unresolved-type') === cause && (x.module ?? x.receiverType ?? '') === g.key);
      if (g.key !== '' && cause !== 'parse-error') out.push(`    ${cause === 'unresolved-module' ? `module '${g.key}'` : `receiver type ${g.key}`} (${g.count}):`);
      for (const x of sites) out.push(`      ${pre}${x.file}:${x.line}:${x.column}: residue: ${x.reason}${x.kind ? ` (${x.kind} [${x.confidence}]: ${x.evidence?.[0] ?? ''})` : ''}`);
    }
  }
  if (collapsed) out.push('  (counts only: --residue all or --json lists every site)');
  return out;
}
