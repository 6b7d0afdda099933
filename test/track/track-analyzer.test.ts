/**
 * The analyzer's incremental option: onlyFiles gives the full analysis restricted to those
 * files, and callerDeps names the functions whose callers a file's classification read.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { importClosure } from '../../src/analyzers/imports.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { resolveSpec } from '../../src/model/builtin.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/rewrite/blobworld');
const spec = resolveSpec(join(FIXTURE, 'spec.json'));

describe('analyzeDetailed onlyFiles', () => {
  const { program, root } = loadProgram(FIXTURE);
  const full = analyzeDetailed(program, root, { spec });
  const files = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && sf.fileName.startsWith(`${root}/`));

  it.each(files.map((sf) => [sf.fileName.slice(root.length + 1), sf.fileName]))('%s alone equals the full analysis of it', (rel, abs) => {
    const fresh = loadProgram(FIXTURE);
    const part = analyzeDetailed(fresh.program, fresh.root, { spec, onlyFiles: new Set([abs]) });
    expect(part.result.findings).toEqual(full.result.findings.filter((f) => f.file === rel));
    expect(part.result.residue).toEqual(full.result.residue.filter((r) => r.file === rel));
  });

  it('there is something to compare: findings in several files', () => {
    expect(new Set(full.result.findings.map((f) => f.file)).size).toBeGreaterThan(2);
  });

  it('callerDeps: parameter provenance read the callers of cache_move() and netbuf_next_seq()', () => {
    const deps = new Map([...full.callerDeps].map(([sf, names]) => [sf.fileName.slice(root.length + 1), [...names].sort()]));
    expect(deps.get('src/cache.ts')).toContain('cache_move');
    expect(deps.get('src/net/buf.ts')).toContain('netbuf_next_seq');
    // Findings decided without provenance record nothing but the wrappers the file defines:
    // whether blob_owner() is a wrapper (its body no finding) depends on calls of it anywhere.
    expect(deps.get('src/helpers.ts')).toEqual(['blob_owner', 'set_blob_owner']);
  });

  it('importClosure follows imports transitively, not importers', () => {
    const sf = program.getSourceFile(join(root, 'src/net/buf.ts'))!;
    const names = [...importClosure(program, [sf])].map((s) => s.fileName.slice(root.length + 1)).filter((n) => n.startsWith('src/')).sort();
    expect(names).toEqual(['src/blob.ts', 'src/helpers.ts', 'src/link.ts', 'src/mem.ts', 'src/net/buf.ts']);
  });
});
