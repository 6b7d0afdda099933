/**
 * The pipeline's metadata table (issue 14 item 6): the figures are the simulation's own
 * (`simulate --report metadata --json` of the corpus at the end of a `mixed` run), base and tip
 * side by side; a tree whose manifest declares no metadata report gets no table, and no error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { compareMetadata, renderMetadata, type MetadataRow } from '../../src/pipeline/metadata.ts';
import { runCorpusCaptured } from '../../src/simulate/runCorpus.ts';
import { copyTree } from '../rewrite/helpers.ts';

describe('the metadata table', () => {
  let rows: MetadataRow[];
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'memdesc-metadata-'));
    rows = await compareMetadata(BUNDLED_CORPUS, BUNDLED_CORPUS, { rams: ['64M'], cacheDir: join(tmp, 'cache') });
  }, 180_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("takes the simulation's own figures at the end of a mixed run", () => {
    expect(rows).toHaveLength(1);
    const sim = JSON.parse(runCorpusCaptured(BUNDLED_CORPUS, { workload: 'mixed', seed: '1', ram: '64M', report: 'metadata', json: true }).stdout);
    expect(rows[0]!.before).toEqual(sim);
    expect(rows[0]!.after).toEqual(sim);
    expect(rows[0]!.before.ram_bytes).toBe(64 << 20);
  }, 120_000);

  it('prints one row per tree and RAM size, with struct page bytes and % of RAM', () => {
    const text = renderMetadata(rows);
    const m = rows[0]!.before;
    expect(text).toMatch(/^metadata at the end of a mixed run/);
    expect(text).toMatch(new RegExp(`^64M\\s+base\\s+${m.struct_page_bytes} B .* ${m.percent.toFixed(3)}%$`, 'm'));
    expect(text).toMatch(new RegExp(`^64M\\s+tip\\s+${m.struct_page_bytes} B`, 'm'));
    // A tip with descriptors of its own lists them and its smaller page.
    const after = { ...m, struct_page_bytes: 16, memmap_bytes: m.memmap_bytes / 4, descriptor_bytes: { ptdesc: 4096 }, metadata_bytes: m.memmap_bytes / 4 + 4096, percent: 0.4 };
    const two = renderMetadata([{ ram: '64M', before: m, after }]);
    expect(two).toMatch(/^64M\s+tip\s+16 B .* 4\.0 KiB .* 0\.400%$/m);
    expect(two).toContain('descriptors at the tip: ptdesc');
  });

  it('a tree that declares no metadata report has no table', async () => {
    const dir = copyTree(BUNDLED_CORPUS);
    // The same tree, its manifest without the metadata report: main.ts answers --manifest itself.
    writeFileSync(join(dir, 'sim', 'main.ts'), `declare const process: { argv: string[]; stdout: { write(s: string): void } };
if (process.argv.includes('--manifest')) process.stdout.write(JSON.stringify({ manifest_version: 1, workloads: [{ name: 'mixed', description: 'm', default_ops: 1, verify_ops: 1 }], default_workload: 'mixed', layout_dependent: [] }) + '\\n');
`);
    expect(await compareMetadata(dir, dir, { rams: ['64M'], cacheDir: join(tmp, 'cache') })).toEqual([]);
  }, 120_000);
});
