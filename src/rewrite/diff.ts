/**
 * Unified diffs (git style) of whole files, 3 lines of context, for `convert --dry-run`;
 * `git apply` accepts the output. The line diff and its hunks are jsdiff's (`structuredPatch`);
 * this module writes git's headers and hunk ranges (a count of 1 is omitted, as git does).
 */
import { createRequire } from 'node:module';

type JsDiff = typeof import('diff');
let jsdiff: JsDiff | undefined;

/** jsdiff, required on first use: commands that print no diff do not load it at start-up. */
function lib(): JsDiff {
  jsdiff ??= createRequire(import.meta.url)('diff') as JsDiff;
  return jsdiff;
}

/** `-start,count` as git prints it: the count is left out when it is 1. */
function range(start: number, count: number): string {
  // A hunk with no lines on one side names the line before it (0 for the top of the file).
  const at = count === 0 ? start - 1 : start;
  return count === 1 ? `${at}` : `${at},${count}`;
}

/** A unified diff of one file; '' when equal. `before` null = a new file, `after` null = deleted. */
export function unifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  if (before === after) return '';
  const patch = lib().structuredPatch(`a/${path}`, `b/${path}`, before ?? '', after ?? '', undefined, undefined, { context });
  let out = `diff --git a/${path} b/${path}\n`;
  if (before === null) out += 'new file mode 100644\n';
  if (after === null) out += 'deleted file mode 100644\n';
  out += `--- ${before === null ? '/dev/null' : `a/${path}`}\n+++ ${after === null ? '/dev/null' : `b/${path}`}\n`;
  for (const h of patch.hunks) {
    out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n`;
    for (const line of h.lines) out += `${line}\n`;
  }
  return out;
}
