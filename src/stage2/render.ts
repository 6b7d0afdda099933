/** Text form of an audit: per kind, the blockers grouped by reason, each site with its function, word and why. */
import { BLOCKER_REASONS, REASON_TITLES, type AuditResult } from './types.ts';

export interface RenderOptions {
  /** Prefix for file paths so they open from the current directory. */
  pathPrefix?: string;
  /** The spec's god class (Page), named where a kind is clean. */
  className?: string;
}

export function renderAudit(r: AuditResult, opts: RenderOptions = {}): string {
  const prefix = opts.pathPrefix ?? '';
  const cls = opts.className ?? 'its class';
  const words = r.memdescWords.map((w) => `w${w}`).join('-');
  const out = [`memdesc audit: ${r.root} (spec ${r.spec}; the memdesc word occupies ${words})`, ''];
  const width = Math.max(4, ...r.kinds.map((k) => k.length));
  out.push(`${'kind'.padEnd(width)}  blockers`);
  for (const k of r.kinds) out.push(`${k.padEnd(width)}  ${String(r.summary.byKind[k] ?? 0).padStart(8)}${r.summary.byKind[k] ? '' : `  (clean: can leave ${cls})`}`);
  for (const k of r.kinds) {
    const mine = r.blockers.filter((b) => b.kind === k);
    if (mine.length === 0) continue;
    out.push('', `${k}: ${mine.length} blocker${mine.length === 1 ? '' : 's'}`);
    for (const reason of BLOCKER_REASONS) {
      const group = mine.filter((b) => b.reason === reason);
      if (group.length === 0) continue;
      out.push(`  ${reason} (${group.length}): ${REASON_TITLES[reason]}`);
      for (const b of group) {
        const where = `${prefix}${b.file}:${b.line}:${b.column}`;
        const word = b.field ? ` ${b.field}${b.words.length ? ` (${b.words.map((w) => `w${w}`).join('-')})` : ''}` : '';
        out.push(`    ${where} ${b.function ? `${b.function}()` : '(top level)'}${word}: ${b.detail}`);
      }
    }
  }
  if (r.residue.length > 0) {
    out.push('', `not audited (${r.residue.length}): what the analysis could not follow`);
    for (const x of r.residue) out.push(`    ${prefix}${x.file}:${x.line}:${x.column}${x.field ? ` ${x.field}` : ''}: ${x.reason}`);
  }
  const total = r.summary.blockers;
  out.push('', total === 0 ? `no blockers: ${r.kinds.join(', ')} can leave ${cls}` : `${total} blocker${total === 1 ? '' : 's'} in ${r.kinds.filter((k) => r.summary.byKind[k]).length} of ${r.kinds.length} kind${r.kinds.length === 1 ? '' : 's'}`);
  return `${out.join('\n')}\n`;
}
