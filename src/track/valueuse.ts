/**
 * Value use across files, for the incremental analysis (src/analyzers/valueuse.ts): a site the
 * code left open takes the kind its value's use has at sites decided elsewhere, and a site the
 * code decided (not by a guard) turns unknown when its use is another kind's everywhere else. The
 * analysis of some files (`onlyFiles`) learns only from the sites it classifies, so the files
 * that can teach a site must be analyzed with it: the files naming a declaration its uses meet
 * (`page.private` passed to `counters_objects()`: the files mentioning `counters_objects`; a
 * use is matched by that declaration, which a file reaches only by naming it), and, since a
 * site decided by value use teaches in turn, the files naming what their sites' uses meet, to a
 * fixed point. Those names, and what the teachers' own results depend on, are what a site
 * decided this way depends on: not every file.
 */
import type { ts } from '@ts-morph/common';
import type { DetailedAnalysis } from '../analyzers/analyze.ts';
import { ValueUses } from '../analyzers/valueuse.ts';
import type { Finding } from '../model/findings.ts';

/** Sites whose kind value use can set or overturn: not converted, not decided by a guard. */
function learner(f: Finding): boolean {
  return !f.converted && f.confidence !== 'guard';
}

/**
 * Per file (relative name), the names of the declarations its learner sites' uses meet (files
 * without such uses are left out); undefined when a use cannot be named (then any file may teach).
 */
export function valueUseNames(d: DetailedAnalysis, files: ReadonlySet<string>): Map<string, Set<string>> | undefined {
  const vu = new ValueUses(d.ctx);
  const sigs = new Map<string, string[]>();
  for (const s of d.sites) {
    if (!files.has(s.finding.file) || !learner(s.finding)) continue;
    const uses = vu.of(s.access);
    if (uses.length === 0) continue;
    const l = sigs.get(s.finding.file) ?? [];
    for (const u of uses) l.push(u.sig);
    sigs.set(s.finding.file, l);
  }
  if (sigs.size === 0) return new Map();
  // A use's signature names its declaration by the instance's symbol number (valueuse.ts `id`).
  const ids = (vu as unknown as { ids?: unknown }).ids;
  if (!(ids instanceof Map)) return undefined;
  const byId = new Map<number, ts.Symbol>();
  for (const [sym, n] of ids as Map<ts.Symbol, number>) byId.set(n, sym);
  const out = new Map<string, Set<string>>();
  for (const [file, list] of sigs) {
    const names = new Set<string>();
    for (const sig of list) {
      const m = /(?:~[frc]|>)(\d+)(?::\d+)?$/.exec(sig);
      const sym = m ? byId.get(Number(m[1])) : undefined;
      if (!sym || !/^[A-Za-z_$][\w$]*$/.test(sym.name)) return undefined;
      names.add(sym.name);
    }
    out.set(file, names);
  }
  return out;
}
