/**
 * The RFC's crash (000_*), before it happens: after converting ptdesc alone (`convert ptdesc
 * --write`, the run's shared tree; Page.lru still there for the other kinds), one stale
 * `list_add(page.lru, …)` on a page-table page remains. `audit ptdesc` must name that exact line
 * and column, exit 1 and say why; the same list use on a buddy page (the twin) is not a ptdesc
 * blocker. The same use planted in the corpus's own _pgd_free() (test/stage2/planted.ts) is named
 * too: crash.test.ts runs that line, separated past the audit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';
import { auditPath } from '../../src/stage2/audit.ts';
import type { AuditResult } from '../../src/stage2/types.ts';
import { memdescSpec } from './spec.ts';
import { markerAt, PGD_FREE_FILE, planted, PLANTED_FILE, plantPgdFreeStale } from './planted.ts';
import { copyTree, ptdescCorpus } from './trees.ts';

const PLANTED = planted('lru');

let base: string;
let tree: string;
let audit: AuditResult;
let pgdFreeLine: number;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-audit-rfc-'));
  // The run's shared `convert ptdesc --write` of the corpus (test/stage2/trees.ts), copied.
  tree = copyTree((await ptdescCorpus()).dir, join(base, 'corpus'));
  writeFileSync(join(tree, PLANTED_FILE), PLANTED);
  pgdFreeLine = plantPgdFreeStale(tree);
  audit = auditPath(tree, { spec: memdescSpec(), kinds: ['ptdesc'] });
}, 600_000);
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

  it("names the same use planted in the corpus's own _pgd_free() (the line crash.test.ts then runs)", () => {
    const hits = audit.blockers.filter((b) => b.file === PGD_FREE_FILE && b.line === pgdFreeLine);
    expect(hits.map((b) => [b.kind, b.field, b.reason])).toContainEqual(['ptdesc', 'lru', 'memdesc-word-write']);
    expect(hits[0]!.function).toBe('_pgd_free');
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
