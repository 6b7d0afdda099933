/**
 * The RFC's crash (000_*), before it happens: after converting ptdesc alone (`convert ptdesc
 * --write`, Page.lru still there for the other kinds), one stale `list_add(page.lru, …)` on a
 * page-table page remains. `audit ptdesc` must name that exact line and column, exit 1 and say
 * why; the same list use on a buddy page (the twin) is not a ptdesc blocker.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';
import { auditPath } from '../../src/stage2/audit.ts';
import type { AuditResult } from '../../src/stage2/types.ts';
import { memdescSpec } from './spec.ts';
import { markerAt, planted, PLANTED_FILE } from './planted.ts';

const REPO = join(import.meta.dirname, '..', '..');
const PLANTED = planted('lru');

let base: string;
let tree: string;
let audit: AuditResult;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-audit-rfc-'));
  tree = join(base, 'corpus');
  cpSync(join(REPO, 'corpus'), tree, { recursive: true });
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'memdesc.mjs'), 'convert', 'ptdesc', tree, '--write'], {
    encoding: 'utf8', env: { ...process.env, MEMDESC_CACHE_DIR: join(base, '.cache') },
  });
  if (r.status !== 0) throw new Error(`convert ptdesc --write failed (${r.status}): ${r.stderr}`);
  writeFileSync(join(tree, PLANTED_FILE), PLANTED);
  audit = auditPath(tree, { spec: memdescSpec(), kinds: ['ptdesc'] });
}, 240_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

const io = captureOutput();

describe("the RFC's stale page.lru use after the ptdesc conversion", () => {
  it('is named at its exact line and column as a write to the memdesc word', () => {
    const at = markerAt(PLANTED, 'PLANT:rfc', 'lru');
    const hits = audit.blockers.filter((b) => b.file === PLANTED_FILE && b.line === at.line);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ ...at, kind: 'ptdesc', reason: 'memdesc-word-write', field: 'lru', function: 'planted_stale_pgd_list' });
    expect(hits[0]!.detail).toMatch(/hands `page\.lru` \(w1-w2\) to code that writes through it/);
  });

  it('leaves the buddy twin alone', () => {
    const { line } = markerAt(PLANTED, 'TWIN:buddy-lru', '//');
    expect(audit.blockers.filter((b) => b.file === PLANTED_FILE && (b.line === line || b.line === line + 1))).toEqual([]);
  });

  it('exits 1 from the CLI and prints the site', async () => {
    const code = await main(['audit', 'ptdesc', tree]);
    expect(code).toBe(1);
    const at = markerAt(PLANTED, 'PLANT:rfc', 'lru');
    expect(io.out).toContain(`${PLANTED_FILE}:${at.line}:${at.column} planted_stale_pgd_list() lru (w1-w2):`);
    expect(io.out).toMatch(/^ptdesc: \d+ blockers?$/m);
    expect(io.err).toMatch(/^memdesc: audit: ptdesc has \d+ blockers?\n$/);
  }, 120_000);
});
