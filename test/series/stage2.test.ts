/**
 * Stage 2 in a series, the parts that need no series run: which specs have a stage 2, `--stage`
 * checked before any work, and how the cover letter lists the kinds left in the class. The
 * series with stage 2 on a copy of the corpus (separations, the shrink, real placement, `git am`,
 * status at the tip) is test/series/corpus.test.ts: one series build serves both stages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { blockedLines, stage2Applies } from '../../src/series/stage2.ts';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';

const spec = builtinSpec();

describe('a spec without stage 2', () => {
  it('has no memdesc word: no stage-2 patches, and no error', () => {
    const plain = { ...spec, page: { ...spec.page, fields: spec.page.fields.filter((f) => f.name !== 'memdesc') } };
    expect(stage2Applies(plain)).toMatch(/no page field 'memdesc'/);
    expect(stage2Applies({ ...spec, kinds: spec.kinds.map((k) => ({ ...k, descriptor: null })) })).toMatch(/no kind .* descriptor/);
    expect(stage2Applies(spec)).toBeUndefined();
  });
});

describe('series --stage', () => {
  const io = captureOutput();
  it('takes 1 or 2 only: anything else exits 2 with one line, before any work', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-stage-')), 'patches');
    expect(await main(['series', '--all', '--corpus', '--stage', '3', '--out', out])).toBe(2);
    expect(io.err).toMatch(/--stage 3: expected 1 or 2/);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    rmSync(dirname(out), { recursive: true, force: true });
  });
});

describe('the cover letter on the kinds not separated', () => {
  it('lists each blocked kind with its blocker count and the audit to run, then the stage-2 steps left out with the reason', () => {
    const lines = blockedLines({
      steps: [], blocked: [{ kind: 'vmalloc', blockers: 1 }, { kind: 'slab', blockers: 3 }],
      problems: [{ what: 'separate folio', reason: 'its pages are allocated inside a helper' }],
    });
    expect(lines).toEqual([
      'Kinds not separated (their audit is not clean on the tree before them):',
      '  vmalloc: 1 blocker; run `memdesc audit vmalloc`',
      '  slab: 3 blockers; run `memdesc audit slab`',
      '',
      'Stage-2 steps left out:',
      '  separate folio: its pages are allocated inside a helper',
    ]);
    // Nothing blocked and nothing left out: nothing said.
    expect(blockedLines({ steps: [], blocked: [], problems: [] })).toEqual([]);
  });
});
