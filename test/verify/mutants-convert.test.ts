/**
 * The mutant self-check converts its copy with the rewriter in process (runConvert) instead of
 * spawning `memdesc convert --all COPY --write`: the copy it gets must be byte for byte what the
 * command writes, and a conversion that fails is a reason, not a crash (no desc-* mutants then).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { convertCopy } from '../../src/verify/mutants.ts';
import { BLOBWORLD, cli, copyTree } from '../rewrite/helpers.ts';

function files(dir: string, out = new Map<string, string>(), root = dir): Map<string, string> {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, out, root);
    else out.set(relative(root, p), readFileSync(p, 'utf8'));
  }
  return out;
}

/** blobworld with a sim/main.ts: the self-check takes corpus-shaped trees only. */
function tree(): string {
  const dir = copyTree(BLOBWORLD);
  mkdirSync(join(dir, 'sim'));
  writeFileSync(join(dir, 'sim', 'main.ts'), 'export {};\n');
  return dir;
}

describe('convertCopy (verify --mutants)', () => {
  const specFile = join(BLOBWORLD, 'spec.json');
  const spec = loadSpecFile(specFile, builtinSpec());

  it('writes the copy exactly as `memdesc convert --all COPY --write` does, and leaves the source alone', async () => {
    const src = tree();
    const before = files(src);
    const viaCli = tree();
    const x = cli(['convert', '--all', viaCli, '--write', '--spec', specFile]);
    expect(x.status, x.stderr).toBe(0);
    const c = await convertCopy(src, spec);
    expect(c.error).toBeUndefined();
    try {
      const got = files(c.tree!.dir);
      const want = files(viaCli);
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [f, t] of want) expect(got.get(f), f).toBe(t);
      expect(got).not.toEqual(before);
      expect(files(src)).toEqual(before);
    } finally {
      c.tree!.cleanup();
    }
  }, 120_000);

  it('a tree that does not type-check gives the reason, no tree', async () => {
    const src = tree();
    writeFileSync(join(src, 'src', 'broken.ts'), 'export const x: number = "not a number";\n');
    const c = await convertCopy(src, spec);
    expect(c.tree).toBeUndefined();
    expect(c.error).toMatch(/does not type-check before conversion/);
  }, 120_000);
});
