/**
 * `memdesc start` reports the series' own analysis of the base (the one the one-shot conversion
 * and every step plan with, returned by runConvert) instead of analyzing the corpus once more:
 * that is sound only if it is the analysis `memdesc analyze` gives. Checked on the bundled corpus
 * (the tree start runs on) and on blobworld (another spec), whole results compared.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { BLOBWORLD } from '../rewrite/helpers.ts';

describe("the conversion's analysis is analyze's", () => {
  const cases: Array<[string, string, ReturnType<typeof builtinSpec>]> = [
    ['the bundled corpus', BUNDLED_CORPUS, builtinSpec()],
    ['blobworld', BLOBWORLD, loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec())],
  ];
  for (const [what, path, spec] of cases) {
    it(`${what}: the same findings, summary and residue`, () => {
      const one = runConvert({ path, spec, kinds: [], all: true, retire: true });
      expect(one.analysis.ctx.program).toBe(one.program);
      const direct = analyzePath(path, { spec });
      expect(direct.summary.findings).toBeGreaterThan(0);
      expect(one.analysis.result).toEqual(direct);
    }, 240_000);
  }
});
