/**
 * Analysis summary -> ProgressPoint: the one conversion `status` and `track` share, so a
 * working-tree point and a commit point are computed the same way.
 */
import type { AnalysisResult } from '../model/findings.ts';
import type { KindProgress, ProgressPoint } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';

/** Where the point comes from: a commit, or { commit: "WORKTREE", … } for the working tree. */
export interface PointMeta {
  commit: string;
  subject: string;
  date: string;
}

/** converted / (converted + remaining) * 100, one decimal; 100 when there is nothing to convert. */
export function percentDone(converted: number, remaining: number): number {
  const total = converted + remaining;
  return total === 0 ? 100 : Math.round((converted / total) * 1000) / 10;
}

export function progressPoint(result: AnalysisResult, spec: Spec, meta: PointMeta): ProgressPoint {
  const kinds: Record<string, KindProgress> = {};
  for (const k of spec.kinds) {
    let remaining = 0;
    let converted = 0;
    // byKind is per field; a kind's progress is the sum over its fields.
    for (const cell of Object.values(result.summary.byKind[k.name] ?? {})) {
      remaining += cell.remaining;
      converted += cell.converted;
    }
    kinds[k.name] = { remaining, converted, percent: percentDone(converted, remaining) };
  }
  return {
    commit: meta.commit,
    subject: meta.subject,
    date: meta.date,
    kinds,
    unknown: result.summary.unknown,
    residue: result.summary.residue,
    files: result.summary.files,
  };
}

/**
 * A commit without numbers (a gap): no kinds, counts 0, and `gap` saying why. Consumers tell it
 * by `gap` (a kind missing from `kinds` is drawn as a break, never as 0 remaining).
 */
export function gapPoint(meta: PointMeta, reason: string): ProgressPoint {
  return { commit: meta.commit, subject: meta.subject, date: meta.date, kinds: {}, unknown: 0, residue: 0, files: 0, gap: reason };
}
