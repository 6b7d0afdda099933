/**
 * Issue 14 item 8: the RFC's crash (000_*) on purpose. A copy of the corpus with ptdesc converted
 * (stage 1; the run's shared tree, test/stage2/trees.ts) keeps one stale `page.lru` use on
 * page-table pages: the pgd's page is put on a list through page->lru and taken off again
 * (list_del() poisons the two words) just before the pgd is freed (test/stage2/planted.ts). `audit
 * ptdesc` names that line beforehand (rfc.test.ts) and `separate` refuses (separate.test.ts), both
 * on the same plant; forced past the audit (the test-only MEMDESC_TEST_SKIP_AUDIT=1), the
 * separated tree boots and runs until a process exits, where the debug check on the memdesc word
 * fires with a dump showing the clobbered word (`memdesc dead000000000100`, LIST_POISON1), as in
 * the seed's dump. The same tree without the stale lines runs clean (the same 600 operations), so
 * the failure is the stale use's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_AUDIT_ENV } from '../../src/stage2/separate.ts';
import { withEnv } from '../env.ts';
import { runMain } from '../inProcess.ts';
import { PGD_FREE_FILE, PGD_FREE_STALE, plantPgdFreeStale } from './planted.ts';
import { copyTree, ptdescCorpus } from './trees.ts';

const REPO = join(import.meta.dirname, '..', '..');
const FILE = PGD_FREE_FILE;
const STALE = PGD_FREE_STALE;

let base: string;
let tree: string;
let env: NodeJS.ProcessEnv;

/** A spawned CLI: simulate hands the terminal to the simulation. */
function memdesc(args: string[]) {
  return spawnSync(process.execPath, [join(REPO, 'bin', 'memdesc.mjs'), ...args], { encoding: 'utf8', env });
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-crash-'));
  tree = join(base, 'corpus');
  env = { ...process.env };
  delete env[SKIP_AUDIT_ENV];
  // The run's shared `convert ptdesc --write` of the corpus (test/stage2/trees.ts), copied.
  copyTree((await ptdescCorpus()).dir, tree);
  // Plant the stale use in _pgd_free(), right after it looks the pgd's page up.
  plantPgdFreeStale(tree);
}, 600_000);
afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("the RFC's crash, on purpose", () => {
  it('forced past the audit, the simulation fails with the debug check and a dump of the clobbered memdesc word', async () => {
    // Past the audit: the test-only hook, set for this call only.
    const sep = await withEnv({ [SKIP_AUDIT_ENV]: '1' }, () => runMain(['separate', 'ptdesc', tree, '--write']));
    expect(sep.status, sep.stderr).toBe(0);
    expect(sep.stdout).toContain('audit blockers skipped');
    expect(existsSync(join(tree, 'include/linux/ptdesc_memdesc.ts'))).toBe(true);
    const run = memdesc(['simulate', tree, '--workload', 'mm', '--seed', '1', '--ops', '600']);
    const out = run.stdout + run.stderr;
    expect(run.status, out.slice(0, 2000)).toBe(1);
    expect(out).toMatch(/kernel BUG: memdesc_ptdesc: memdesc type 0 \(misc\), expected 8 \(ptdesc\)/);
    // The dump: the memdesc line first, then w1-w2 holding the list poison (LIST_POISON1/2).
    expect(out).toMatch(/^memdesc dead000000000100 type:0\(misc\)/m);
    expect(out).toMatch(/^raw: [0-9a-f]{16} dead000000000100 dead000000000122 /m);
    expect(out).toMatch(/page dumped because: VM_BUG_ON_PAGE\(memdesc_ptdesc/);

    // The control: the same separated tree without the stale lines runs clean.
    const path = join(tree, FILE);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(STALE[0]);
    writeFileSync(path, text.replace(`${STALE.join('\n')}\n`, ''));
    const clean = memdesc(['simulate', tree, '--workload', 'mm', '--seed', '1', '--ops', '600']);
    expect(clean.status, (clean.stdout + clean.stderr).slice(0, 2000)).toBe(0);
    expect(clean.stdout).toMatch(/^ptdesc\s+8\s/m);
  }, 600_000);
});
