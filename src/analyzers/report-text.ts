/**
 * Text report: a kind x field table of remaining (raw) and converted accesses, then every
 * site as `file:line:col: kind: message` (Coccinelle's report mode), then residue.
 */
import { CONFIDENCES, type AnalysisResult, type Cell, type Finding } from '../model/findings.ts';

export interface TextOptions {
  /** Prefix for site paths (the analyzed root as the user should see it), e.g. "corpus/". */
  pathPrefix?: string;
  sites?: boolean;
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
    if (r.residue.length) {
      out.push('');
      for (const x of r.residue) out.push(`${pre}${x.file}:${x.line}:${x.column}: residue: ${x.reason}`);
    }
  }
  return `${out.join('\n')}\n`;
}
