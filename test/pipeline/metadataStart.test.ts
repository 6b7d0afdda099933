/**
 * startMetadata().started: `memdesc start` waits for it before the series, whose first seconds
 * are this thread's own work that never yields — the base's metadata runs must already have their
 * processes by then, or the other core idles until the series first awaits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { startMetadata } from '../../src/pipeline/metadata.ts';
import { copyTree } from '../rewrite/helpers.ts';

describe('startMetadata().started', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'memdesc-metadata-start-'));
  const copies: string[] = [];
  const copy = (): string => {
    const dir = copyTree(BUNDLED_CORPUS);
    copies.push(dirname(dir));
    return dir;
  };
  afterAll(() => {
    for (const d of [tmp, ...copies]) rmSync(d, { recursive: true, force: true });
  });

  it('settles only once every base run has its process, and the runs still give the table', async () => {
    let spawned = 0;
    // 100 operations a run: what is tested is when started settles and that compare() gives the rows, not the figures
    // (the table at the end of a whole mixed run is test/pipeline/stage2-metadata.test.ts's).
    const runs = startMetadata(BUNDLED_CORPUS, { rams: ['16M', '32M'], ops: 100, cacheDir: join(tmp, 'cache'), onSpawn: () => { spawned++; } });
    await runs.started;
    // Both base runs are running (or done): nothing of them waits for this thread any more.
    expect(spawned).toBe(2);
    const rows = await runs.compare(BUNDLED_CORPUS);
    expect(rows.map((r) => r.ram)).toEqual(['16M', '32M']);
    expect(rows[0]!.before).toEqual(rows[0]!.after);
    expect(rows[1]!.before.ram_bytes).toBe(32 << 20);
    // The tip's runs came after.
    expect(spawned).toBe(4);
  }, 180_000);

  it('settles without any run when the base has no metadata report (no table, no wait forever)', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'sim', 'main.ts'), `declare const process: { argv: string[]; stdout: { write(s: string): void } };
if (process.argv.includes('--manifest')) process.stdout.write(JSON.stringify({ manifest_version: 1, workloads: [{ name: 'mixed', description: 'm', default_ops: 1, verify_ops: 1 }], default_workload: 'mixed', layout_dependent: [] }) + '\\n');
`);
    let spawned = 0;
    const runs = startMetadata(dir, { rams: ['64M'], cacheDir: join(tmp, 'cache'), onSpawn: () => { spawned++; } });
    await runs.started;
    expect(spawned).toBe(0);
    expect(await runs.compare(dir)).toEqual([]);
  }, 120_000);

  it('settles when the base cannot be built (the failure is compare()\'s to report)', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'sim', 'main.ts'), 'this is not TypeScript (\n');
    const runs = startMetadata(dir, { rams: ['64M'], cacheDir: join(tmp, 'cache') });
    await runs.started;
    await expect(runs.compare(dir)).rejects.toThrow();
  }, 120_000);
});
