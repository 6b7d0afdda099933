/**
 * memdesc audit on a stage-1 copy of the corpus (`convert --all --write`, the run's shared tree)
 * with stale uses planted in it (test/stage2/planted.ts): each must be named at its line and column
 * with its reason, and each negative twin must not block ptdesc. Also: before stage 1 every raw
 * access of a kind is a blocker of that kind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeProgram } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { auditPath, auditProgram } from '../../src/stage2/audit.ts';
import type { AuditResult, Blocker } from '../../src/stage2/types.ts';
import { memdescSpec } from './spec.ts';
import { markerAt, planted, PLANTED_FILE } from './planted.ts';
import { copyOfStage1 } from '../stage1.ts';

const REPO = join(import.meta.dirname, '..', '..');
const CORPUS = join(REPO, 'corpus');

let base: string;
let converted: string;
let audit: AuditResult;
// convert --all retires Page.lru: the member left on w1-w2 is buddy_list.
const PLANTED = planted('buddy_list');

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-audit-'));
  // The run's shared stage-1 tree (test/stage1.ts: convert --all --write), copied.
  converted = await copyOfStage1(join(base, 'corpus'));
  writeFileSync(join(converted, PLANTED_FILE), PLANTED);
  audit = auditPath(converted, { spec: memdescSpec(), kinds: ['ptdesc', 'vmalloc'] });
}, 600_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

function plantedOn(marker: string, kind = 'ptdesc'): Blocker[] {
  const { line } = markerAt(PLANTED, marker, '//');
  return audit.blockers.filter((b) => b.file === PLANTED_FILE && b.line === line && b.kind === kind);
}

function expectNamed(marker: string, token: string, reason: Blocker['reason'], field: string | null): Blocker {
  const at = markerAt(PLANTED, marker, token);
  const hit = audit.blockers.find((b) => b.file === PLANTED_FILE && b.line === at.line && b.column === at.column && b.kind === 'ptdesc');
  expect(hit, `${marker} at ${PLANTED_FILE}:${at.line}:${at.column}; blockers there: ${JSON.stringify(plantedOn(marker))}`).toBeDefined();
  expect(hit).toMatchObject({ kind: 'ptdesc', reason, field });
  return hit!;
}

describe('audit ptdesc on a converted corpus copy with planted stale uses', () => {
  it("names a stale list_add(page.buddy_list, …) on a page-table page (the RFC's bug after convert --all) at its exact line", () => {
    const b = expectNamed('PLANT:rfc', 'buddy_list', 'memdesc-word-write', 'lru');
    expect(b.function).toBe('planted_stale_pgd_list');
    expect(b.words).toEqual([1, 2]);
    expect(b.detail).toMatch(/memdesc word \(w1\)/);
    expect(b.detail).toMatch(/virt_to_page/);
  });

  it('names a list write after code that only sets the memdesc word up (naming the word is not handling it)', () => {
    expectNamed('PLANT:setup', 'buddy_list', 'memdesc-word-write', 'lru');
  });

  it('names a read after a "test" that is one by its name only (it reads nothing of the word): the code wins', () => {
    expect(plantedOn('PLANT:named-test').map((b) => b.reason)).toContain('memdesc-word-read');
  });

  it('names words written and read by their offset (a constant from the spec\'s word size), not other words or the memdesc word by name', () => {
    expectNamed('PLANT:offset-write', 'page.addr + 8', 'memdesc-word-write', 'memdesc');
    // w2 is lru.prev: not the memdesc word (w1), but pt_list's second word: a raw access of ptdesc's lru, not a memdesc-word read.
    const prev = expectNamed('PLANT:offset-read', 'page.addr + 16', 'raw-access', 'lru');
    expect(prev.detail).toMatch(/reads w2 of `page` by its offset/);
    expect(plantedOn('PLANT:offset-read').map((b) => b.reason)).toEqual(['raw-access']);
  });

  it('names a direct write of a field overlapping the memdesc word', () => {
    expectNamed('PLANT:write', 'compound_head', 'memdesc-word-write', 'compound_head');
  });

  it('names generic readers: a dump_page-style printer and a pfn walker following compound heads', () => {
    const dump = expectNamed('PLANT:dump', 'buddy_list', 'memdesc-word-read', 'lru');
    expect(dump.function).toBe('planted_dump');
    expect(dump.detail).toMatch(/pfn_to_page\(\)/);
    // Reported where the helper is called, with the page the walker looked up.
    const walker = expectNamed('PLANT:walker', 'planted_head', 'memdesc-word-read', 'compound_head');
    expect(walker.function).toBe('planted_pfn_walker');
    expect(walker.detail).toMatch(/`planted_head\(\)` reads/);
  });

  it("names an unknown generic reader of the kind's own fields (dump_page-style) as a raw access, only for the kinds mapping that field", () => {
    // convert --all retired Page.index: the printer reads w4 through the class's offset table by
    // key (page_own_word(page, 'index') over Page.OWN_WORDS) and by its offset constant.
    const b = expectNamed('PLANT:dump-index', 'page_own_word', 'raw-access', 'index');
    expect(b.function).toBe('planted_dump');
    expect(b.words).toEqual([4]);
    expect(b.detail).toMatch(/reads w4 of `page` through `Page\.OWN_WORDS`/);
    expect(b.detail).toMatch(/cannot give a kind/);
    expect(b.detail).toMatch(/pfn_to_page\(\)/);
    const o = expectNamed('PLANT:dump-offset', 'page.addr + PAGE_INDEX_OFFSET', 'raw-access', 'index');
    expect(o.detail).toMatch(/reads w4 of `page` by its offset/);
    // vmalloc maps only private: a generic read of index is not its blocker, while the reads of private and of the memdesc word are.
    expect(plantedOn('PLANT:dump-index', 'vmalloc')).toEqual([]);
    expect(plantedOn('PLANT:dump-offset', 'vmalloc')).toEqual([]);
    for (const kind of ['ptdesc', 'vmalloc']) {
      expect(plantedOn('PLANT:dump-private', kind).map((x) => [x.reason, x.field]), kind).toEqual([['raw-access', 'private']]);
    }
    expect(plantedOn('PLANT:dump', 'vmalloc').map((x) => x.reason)).toEqual(['memdesc-word-read']);
  });

  it("names a write of the kind's own word through the offset table on its page, not a word it does not map", () => {
    const b = expectNamed('PLANT:own-reset', 'page_reset_own_word', 'raw-access', 'private');
    expect(b.detail).toMatch(/writes w5 of `page` through `Page\.OWN_WORDS`/);
    expect(b.detail).toMatch(/virt_to_page/);
  });

  it("does not make one kind's pages another kind's blockers", () => {
    for (const plant of ['PLANT:rfc', 'PLANT:write', 'PLANT:offset-read', 'PLANT:own-reset', 'PLANT:nth', 'PLANT:plus', 'PLANT:pfn', 'PLANT:roundtrip', 'PLANT:compare']) {
      expect(plantedOn(plant, 'vmalloc'), plant).toEqual([]);
    }
  });

  it('names page-pointer arithmetic on a page-table page', () => {
    expectNamed('PLANT:nth', 'nth_page', 'page-arithmetic', null);
    expectNamed('PLANT:plus', 'new Page', 'page-arithmetic', null);
    expectNamed('PLANT:pfn', 'pfn_to_page', 'page-arithmetic', null);
  });

  it('names round trips and comparisons that assume descriptor and page share an address', () => {
    expectNamed('PLANT:roundtrip', 'ptdesc_page', 'round-trip', null);
    expectNamed('PLANT:compare', 'page_ptdesc(page).addr', 'round-trip', null);
  });

  it("names a descriptor's address stored as a link when a read of the link becomes a page", () => {
    expectNamed('PLANT:link', 'page_ptdesc(virt_to_page(b)).addr', 'shared-address', null);
  });

  it('blocks nothing on the negative twins', () => {
    for (const twin of ['TWIN:buddy-lru', 'TWIN:aware', 'TWIN:tested', 'TWIN:offset-other-word', 'TWIN:offset-named', 'TWIN:buddy-read', 'TWIN:sum', 'TWIN:buddy-arith', 'TWIN:two-descs',
      'TWIN:link', 'TWIN:no-memdesc', 'TWIN:callers-no-memdesc', 'TWIN:own-other-word']) {
      expect(plantedOn(twin), twin).toEqual([]);
    }
    // The helper that handles the memdesc word is listed for review.
    expect(audit.memdescAware.map((a) => a.function)).toEqual(expect.arrayContaining(['planted_safe_head', 'planted_tested_reader']));
    expect(audit.memdescAware.map((a) => a.function)).not.toContain('planted_setup_then_list');
  });

  it('summarizes per kind and reason, and every blocker is of an audited kind', () => {
    expect(audit.kinds).toEqual(['ptdesc', 'vmalloc']);
    expect(audit.memdescWords).toEqual(memdescSpec().page.fields.find((f) => f.name === 'memdesc')!.words);
    for (const k of audit.kinds) {
      const mine = audit.blockers.filter((b) => b.kind === k).length;
      expect(audit.summary.byKind[k]).toBe(mine);
      expect(Object.values(audit.summary.byReason[k]!).reduce((a, b) => a + b, 0)).toBe(mine);
    }
    expect(audit.summary.blockers).toBe(audit.blockers.length);
    expect(new Set(audit.blockers.map((b) => b.kind))).toEqual(new Set(['ptdesc', 'vmalloc']));
  });
});

describe('audit before stage 1', () => {
  it('makes every remaining raw access of a kind a blocker of that kind', () => {
    const spec = memdescSpec();
    // One program for both (the audit analyzes it again itself).
    const { program, root } = loadProgram(CORPUS);
    const findings = analyzeProgram(program, root, { spec }).findings.filter((f) => f.kind === 'ptdesc' && !f.converted);
    expect(findings.length).toBeGreaterThan(0);
    const r = auditProgram(program, root, { spec, kinds: ['ptdesc'] });
    const sites = new Set(r.blockers.map((b) => `${b.file}:${b.line}:${b.column}`));
    const missing = findings.filter((f) => !sites.has(`${f.file}:${f.line}:${f.column}`)).map((f) => `${f.file}:${f.line}:${f.column}`);
    expect(missing).toEqual([]);
    expect(r.summary.byKind.ptdesc).toBeGreaterThanOrEqual(findings.length);
  }, 120_000);
});
