/**
 * unifiedDiff() against git itself: whatever the two texts (lines added, removed, changed, the
 * final newline added or dropped, files created or deleted), `git apply` of the diff turns the
 * old tree into the new one. The property test prints its seed; rerun one with FC_SEED=<seed>.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/rewrite/diff.ts';
import { propertySeed } from '../propertySeed.ts';

const root = mkdtempSync(join(tmpdir(), 'memdesc-diff-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** Apply `patch` with git in a folder holding `files`; the files afterwards (null: absent). */
function gitApply(files: Record<string, string | null>, patch: string): Record<string, string | null> {
  const dir = join(root, `t${n++}`);
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) if (text !== null) writeFileSync(join(dir, f), text);
  writeFileSync(join(dir, 'p.diff'), patch);
  const r = spawnSync('git', ['apply', '--whitespace=nowarn', 'p.diff'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git apply failed: ${r.stderr}\n${patch}`);
  return Object.fromEntries(Object.keys(files).map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null]));
}

describe('unifiedDiff', () => {
  it('a change of the final newline alone is a hunk (it was an empty diff before jsdiff)', () => {
    const d = unifiedDiff('a.ts', 'a\nb\nc\n', 'a\nb\nc');
    expect(d).toBe('diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1,3 +1,3 @@\n a\n b\n-c\n+c\n\\ No newline at end of file\n');
    expect(gitApply({ 'a.ts': 'a\nb\nc\n' }, d)).toEqual({ 'a.ts': 'a\nb\nc' });
  });

  it('deleted files', () => {
    const d = unifiedDiff('gone.ts', 'x\ny\n', null);
    expect(d).toContain('deleted file mode 100644\n--- a/gone.ts\n+++ /dev/null\n@@ -1,2 +0,0 @@\n');
    expect(gitApply({ 'gone.ts': 'x\ny\n' }, d)).toEqual({ 'gone.ts': null });
  });

  it('git apply reproduces the new text (property)', () => {
    const seed = propertySeed('diff');
    // Few distinct lines, so that the diff has to choose between equal candidates.
    const line = fc.constantFrom('a', 'b', 'c', '', '  x();', '}', 'return 1;');
    const text = fc.tuple(fc.array(line, { maxLength: 30 }), fc.boolean()).map(([ls, nl]) => (ls.length === 0 ? '' : ls.join('\n') + (nl ? '\n' : '')));
    const file = fc.option(text, { freq: 5 });
    // context >= 1: git apply refuses hunks without context (unless --unidiff-zero).
    fc.assert(
      fc.property(file, file, fc.integer({ min: 1, max: 4 }), (before, after, context) => {
        fc.pre(!(before === null && after === null));
        const d = unifiedDiff('f.ts', before, after, context);
        if (before === after) return d === '';
        return gitApply({ 'f.ts': before }, d)['f.ts'] === after;
      }),
      { seed, numRuns: 60 },
    );
  });
});
