/**
 * vmalloc's stage 2 on a copy of the corpus, no test hook: after `convert --all --write`, `audit
 * vmalloc` is clean (the pages array is stored through vm_area_set_page(), which takes the
 * page), and `separate vmalloc --write` embeds Vmdesc in the page's memdesc word: vmalloc pages
 * are misc words of subtype MEMDESC_MISC_VMALLOC (the 2025 table) whose data bits hold the owning
 * vm_struct, so no descriptor is allocated. `verify --against` the stage-1 copy passes on the two
 * workloads that use vmalloc x 1 seed (placement preserved, then the real placement's checks);
 * all 7 workloads x 16 seeds were run by hand (docs/stage2.md). The negative twins: the stale
 * store of a descriptor's address as the page's is named by the audit and refused by separate;
 * a Vmdesc of two words does not fit the word (exit 2, nothing written).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage1Tree, type Stage1Tree } from './stage1Tree.ts';

let t: Stage1Tree;
let base: string;
let stage1: string;
let tree: string;

function memdesc(args: string[]) {
  return t.memdesc(args);
}

beforeAll(async () => {
  t = await stage1Tree('memdesc-separate-vmalloc-');
  ({ base, stage1, tree } = t);
}, 300_000);
afterAll(() => t?.cleanup());

/** A copy of the stage-1 tree with one file's text changed by `edit` (which must change it). */
function variant(name: string, file: string, edit: (text: string) => string): string {
  const dir = join(base, name);
  cpSync(stage1, dir, { recursive: true });
  const text = readFileSync(join(dir, file), 'utf8');
  const changed = edit(text);
  expect(changed).not.toBe(text);
  writeFileSync(join(dir, file), changed);
  return dir;
}

describe('stage 2 on the corpus: vmalloc', () => {
  it('after convert --all, audit vmalloc is clean (exit 0)', () => {
    const r = memdesc(['audit', 'vmalloc', tree, '--json']);
    expect(r.status, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: { byKind: Record<string, number> } }).summary.byKind).toEqual({ vmalloc: 0 });
  }, 120_000);

  it('the stale store of the descriptor\'s address as the page\'s is a blocker: audit names it, separate refuses', () => {
    const dir = variant('stale', 'mm/vmalloc.ts', (t) => t.replace('vm_area_set_page(area, i, page);', 'write64(pages + i * 8, page_vmdesc(page).addr);'));
    const a = memdesc(['audit', 'vmalloc', dir, '--json']);
    expect(a.status).toBe(1);
    const audit = JSON.parse(a.stdout) as { blockers: Array<{ file: string; function: string | null; reason: string }> };
    expect(audit.blockers).toEqual([expect.objectContaining({ file: 'mm/vmalloc.ts', function: '__vmalloc_area_node', reason: 'shared-address' })]);
    const s = memdesc(['separate', 'vmalloc', dir, '--write']);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/vmalloc has 1 audit blocker .*nothing was written/);
    expect(existsSync(join(dir, 'include/linux/vmalloc_memdesc.ts'))).toBe(false);
  }, 120_000);

  it('a Vmdesc of two words does not fit the misc word: exit 2, nothing written', () => {
    const dir = variant('two-words', 'include/linux/vmalloc.ts', (t) => t
      .replace('const VMDESC_VM_OFFSET = 40;', 'const VMDESC_VM_OFFSET = 40;\nconst VMDESC_X_OFFSET = 48;')
      .replace(/(\n  set vm\(v: number\) \{\n[^}]*\}\n)/, '$1  get x(): number {\n    return read64(this.addr + VMDESC_X_OFFSET);\n  }\n'));
    const before = readFileSync(join(dir, 'include/linux/vmalloc.ts'), 'utf8');
    const s = memdesc(['separate', 'vmalloc', dir, '--write']);
    expect(s.status, s.stderr).toBe(2);
    expect(s.stderr).toMatch(/Vmdesc's fields \(vm, x\) are 2 words; a misc memdesc word \(MEMDESC_MISC_VMALLOC\) embeds one pointer/);
    expect(readFileSync(join(dir, 'include/linux/vmalloc.ts'), 'utf8')).toBe(before);
  }, 120_000);

  it('separate vmalloc --write embeds Vmdesc in the misc word; its allocation and free (not vmap()ed pages\') follow; a second run changes nothing', () => {
    const r = memdesc(['separate', 'vmalloc', tree, '--write']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('vmalloc: no descriptor to allocate: vm embedded in the memdesc word (misc, MEMDESC_MISC_VMALLOC)');
    expect(r.stdout).toMatch(/allocates with its descriptor: mm\/vmalloc\.ts:\d+ __vmalloc_area_node\(\)/);
    expect(r.stdout.match(/frees with its descriptor: /g)).toHaveLength(1);
    expect(r.stdout).toMatch(/frees with its descriptor: mm\/vmalloc\.ts:\d+ __vunmap\(\)/);
    const mod = readFileSync(join(tree, 'include/linux/vmalloc_memdesc.ts'), 'utf8');
    expect(mod).toContain('return page && new Vmdesc(memdesc_vmalloc(page));');
    expect(mod).toContain('alloc_pages_memdesc(gfp, order, memdesc_misc(MEMDESC_MISC_VMALLOC, order))');
    const cls = readFileSync(join(tree, 'include/linux/vmalloc.ts'), 'utf8');
    expect(cls).toContain('const VMDESC_VM_OFFSET = 0;');
    expect(cls).toContain('return memdesc_misc_data(read64(this.addr + VMDESC_VM_OFFSET));');
    expect(cls).not.toContain('VMDESC_MATCH');
    expect(cls).not.toContain('PAGE_PRIVATE_OFFSET');
    // vmap()ed pages handed over with VM_MAP_PUT_PAGES are the caller's: still a plain free.
    const vm = readFileSync(join(tree, 'mm/vmalloc.ts'), 'utf8');
    expect(vm).toMatch(/if \(!own\) \{[^}]*__free_pages\(page, 0\);/);
    expect(vm).toContain('vmalloc_free_pages(page, 0);');
    const again = memdesc(['separate', 'vmalloc', tree]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('vmalloc: already separated, nothing to do');
    const status = memdesc(['status', tree, '--json']);
    expect((JSON.parse(status.stdout) as { stage2: Record<string, string> }).stage2.vmalloc).toBe('separated');
  }, 180_000);

  it('verify --against the stage-1 tree: identical with placement preserved, and the real placement passes its checks', () => {
    const r = memdesc(['verify', tree, '--against', stage1, '--workloads', 'vmalloc,hwpoison', '--seeds', '1', '--ops', '600', '--json']);
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as {
      ok: boolean; pairs: number;
      layouts?: { maskedPairs?: number; candidate?: { descriptors: string[] }; checks?: { placement: string; invariants: boolean; runs: number; ok: boolean } };
    };
    expect(v.ok).toBe(true);
    expect(v.pairs).toBe(2);
    // The misc word marks the layout (no cache does): compared by the layout-blind digest.
    expect(v.layouts?.candidate?.descriptors).toEqual(['misc:vmalloc']);
    expect(v.layouts?.maskedPairs).toBe(2);
    expect(v.layouts?.checks).toMatchObject({ placement: 'real', invariants: true, runs: 2, ok: true });
  }, 300_000);
});
