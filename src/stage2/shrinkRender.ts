/** `memdesc shrink`: the text report (old and new layout, what went and why, what still uses each word). */
import type { ShrinkPlan } from './shrink.ts';
import type { WordUse } from './shrinkUses.ts';

const HOW: Record<WordUse['how'], string> = {
  read: 'reads', write: 'writes', reference: 'takes', 'offset-constant': 'uses the offset', 'by-offset': 'accesses by number',
  overlay: 'overlay descriptor', residue: 'analysis residue', enumerated: 'enumerates',
};

function useLine(u: WordUse, prefix: string): string {
  const fn = u.function ? ` ${u.function}()` : '';
  const kind = u.kind ? ` [${u.kind}]` : '';
  return `${prefix}${u.file}:${u.line}:${u.column}${fn}: ${HOW[u.how]} ${u.member}${kind}: ${u.text}`;
}

/** `maxUses`: sites listed per word (the rest counted). */
export function renderShrink(plan: ShrinkPlan, opts: { pathPrefix?: string; maxUses?: number } = {}): string {
  const max = opts.maxUses ?? 5;
  const p = opts.pathPrefix ?? '';
  const out: string[] = [];
  const w = (n: number) => `w${n}`;
  out.push(`${plan.className} (${p}${plan.layoutFile}): ${plan.oldSize} bytes -> ${plan.newSize} bytes (${plan.oldSize / plan.wordSize} -> ${plan.newSize / plan.wordSize} words of ${plan.wordSize})`);
  out.push('');
  out.push('word  now   fields                                   uses');
  for (const x of plan.words) {
    const now = x.to === null ? 'gone' : w(x.to);
    out.push(`${w(x.word).padEnd(5)} ${now.padEnd(5)} ${(x.fields.join(', ') || '-').padEnd(40)} ${x.uses.length}`);
  }
  if (plan.removed.length > 0) {
    out.push('', 'removed:');
    for (const r of plan.removed) out.push(`  ${r.field} (w${r.words.join('-w')}): ${r.reason}`);
  }
  if (plan.moved.length > 0) {
    out.push('', 'moved:');
    for (const m of plan.moved) out.push(`  ${m.field}: w${m.from.join('-w')} -> w${m.to.join('-w')}`);
  }
  const kinds = Object.entries(plan.pendingKinds);
  if (kinds.length > 0) {
    out.push('', `kinds not separated yet (their fields still live in ${plan.className}): ${kinds.map(([k, n]) => `${k} (${n} use${n === 1 ? '' : 's'})`).join(', ')}`);
  }
  const kept = plan.words.filter((x) => x.to !== null);
  if (kept.length > 0) {
    out.push('', 'what still uses each word:');
    for (const x of kept) {
      const kindsHere = [...new Set(x.uses.map((u) => u.kind).filter(Boolean))];
      out.push(`  ${w(x.word)} (${x.fields.join(', ') || 'no field'}): ${x.uses.length} use${x.uses.length === 1 ? '' : 's'}${kindsHere.length ? `, by kinds not separated: ${kindsHere.join(', ')}` : ''}`);
      // Kind uses first: they say what has to happen before the word can go.
      const sorted = [...x.uses].sort((a, b) => Number(!!b.kind) - Number(!!a.kind));
      for (const u of sorted.slice(0, max)) out.push(useLine({ ...u, file: `${p}${u.file}` }, '    '));
      if (x.uses.length > max) out.push(`    ... and ${x.uses.length - max} more`);
    }
  }
  if (plan.specMismatch.length > 0) {
    out.push('', 'the spec disagrees with the code (the code wins):');
    for (const m of plan.specMismatch) out.push(`  ${m}`);
  }
  if (plan.newSize < plan.oldSize || plan.specMismatch.length > 0) {
    out.push('', `the spec's ${plan.className} fields after the shrink (--write-spec writes them into the spec file; the spec is never rewritten otherwise):`);
    const rows = Object.entries(plan.specFields).map(([name, f]) => `    ${JSON.stringify(name)}: ${JSON.stringify(f).replace(/^\{/, '{ ').replace(/\}$/, ' }').replace(/,"/g, ', "').replace(/":/g, '": ')}`);
    out.push(`  "fields": {\n${rows.join(',\n')}\n  }`);
  }
  return `${out.join('\n')}\n`;
}
