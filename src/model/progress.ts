/**
 * What `memdesc track`, `memdesc status` and `memdesc plan` produce: per-commit progress of each
 * kind's conversion, and imported series plans. Shared by src/track (producer) and the HTML
 * report and series code (consumers), so it lives in the model.
 */
import type { Residue } from './findings.ts';

/** Where a kind is in stage 2 (allocated separately or still an overlay on struct page). */
export type Stage2State = 'separated' | 'overlay' | 'undeclared';

/** One kind's counts at one point (a commit, or the working tree). */
export interface KindProgress {
  /** Raw accesses still going through struct page. */
  remaining: number;
  /** Accesses already going through the kind's descriptor. */
  converted: number;
  /** converted / (converted + remaining) * 100, rounded to one decimal; 100 when both are 0. */
  percent: number;
}

/** One point of the history (or the working tree in `status`). */
export interface ProgressPoint {
  /** Full commit id; "WORKTREE" for the working tree. */
  commit: string;
  /** First line of the commit message. */
  subject: string;
  /** Committer date, ISO 8601. */
  date: string;
  /** Spec kinds in spec order (not "unknown"). */
  kinds: Record<string, KindProgress>;
  /** Findings the analyzer could not attribute to a kind. */
  unknown: number;
  /** Residue count (undecidable sites: any-typed receivers, broken files, …). */
  residue: number;
  /** Files analyzed at this point. */
  files: number;
  /**
   * Stage 2 per kind with a descriptor (src/track/separated.ts): `separated` when its page ->
   * descriptor converter reads the memdesc word (its descriptor has its own storage), `overlay`
   * while it still overlays the page's words, `undeclared` before stage 1 made it. Absent on
   * points measured without it.
   */
  stage2?: Record<string, Stage2State>;
  /**
   * Only on a commit track could not analyze (no tsconfig.json, an invalid one, no TypeScript
   * files, …): why. Such a point has no numbers: `kinds` is empty and the counts are 0.
   */
  gap?: string;
}

export interface TrackReport {
  version: 1;
  /** The repository root as given (for display). */
  repo: string;
  /** Subdirectory analyzed inside each commit ("" for the whole tree). */
  path: string;
  spec: string;
  /** Kind names in spec order. */
  kinds: string[];
  /** Oldest first. */
  points: ProgressPoint[];
  /** Residue of the newest point that is not a gap, with sites (for the report's residue list). */
  residue: Residue[];
  /** Cache statistics of the walk: files analyzed vs reused from the blob cache. */
  cache: { analyzedFiles: number; reusedFiles: number };
  /** Present with `--plan FILE`: each planned patch's state at the newest point. */
  plan?: PlanProgress;
}

/** An imported series cover letter (`memdesc plan import --json`). */
export interface SeriesPlan {
  title: string;
  /** Series version (1 when the subject has no vN). */
  version: number;
  author: string;
  /** Patches 1..N; the cover letter (0/N) is not one of them. */
  patches: Array<{ number: number; subject: string }>;
}

export type PlannedPatchState = 'done' | 'not done' | 'not applicable';

export interface PlanProgress {
  title: string;
  version: number;
  patches: Array<{ number: number; subject: string; state: PlannedPatchState; reason: string }>;
}
