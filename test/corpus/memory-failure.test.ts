import { describe, it, expect, beforeEach } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { memory_failure, poisoned_pages } from '../../corpus/mm/memory-failure.ts';
import { free_blocks, nr_free_pages, pcp_pages } from '../../corpus/mm/page_alloc.ts';
import { pfn_to_page, page_to_pfn, virt_to_page } from '../../corpus/include/linux/mm.ts';
import { PageHWPoison } from '../../corpus/include/linux/page-flags.ts';
import { kmalloc } from '../../corpus/include/linux/slab.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { process_create, fork_process } from '../../corpus/kernel/fork.ts';
import { do_mmap_anon, PROT_READ, PROT_WRITE } from '../../corpus/mm/mmap.ts';
import { handle_mm_fault, follow_page, walk_page_table } from '../../corpus/mm/memory.ts';
import { pmd_pfn } from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { find_task_by_vpid } from '../../corpus/kernel/pid.ts';
import { zs_create_pool, zs_malloc, zs_obj_location } from '../../corpus/mm/zsmalloc.ts';
import { swapper_pg_dir } from '../../corpus/arch/x86/mm/init_64.ts';
import { vmalloc, vmalloc_to_page } from '../../corpus/include/linux/vmalloc.ts';

describe('memory_failure', () => {
  beforeEach(() => boot({ ram: 32 * 1024 * 1024 }));

  it('takes a free buddy page off the free lists for good', () => {
    const [block] = free_blocks().find(([, order]) => order >= 3)!;
    const before = nr_free_pages() + pcp_pages();
    const r = memory_failure(block + 3);
    expect(r).toMatchObject({ type: 'free buddy page', result: 'Recovered' });
    expect(nr_free_pages() + pcp_pages()).toBe(before - 1);
    expect(free_blocks().some(([pfn, order]) => block + 3 >= pfn && block + 3 < pfn + (1 << order))).toBe(false);
    expect(PageHWPoison(pfn_to_page(block + 3))).toBe(true);
    expect(poisoned_pages()).toBe(1);
    expect(memory_failure(block + 3)).toMatchObject({ type: 'already poisoned page' });
  });

  it('reports the cache of a slab page', () => {
    const obj = kmalloc(64, GFP_KERNEL);
    const r = memory_failure(page_to_pfn(virt_to_page(obj)));
    expect(r).toMatchObject({ type: 'kernel slab page', result: 'Ignored', owner: 'cache kmalloc-64' });
  });

  it('finds the mm of a PTE table through pgd_list and kills its process', () => {
    const task = process_create('victim')!;
    const addr = do_mmap_anon(task, 8192, PROT_READ | PROT_WRITE);
    handle_mm_fault(task, addr, true);
    const pte_table_pfn = pmd_pfn(walk_page_table(task.mm!, addr).pmd);
    const bystander = process_create('bystander')!;
    const r = memory_failure(pte_table_pfn);
    expect(r.type).toBe('page table page');
    expect(r.owner).toContain(`victim:${task.pid}`);
    expect(r.killed).toEqual([task.pid]);
    expect(find_task_by_vpid(task.pid)).toBeUndefined();
    expect(find_task_by_vpid(bystander.pid)).toBe(bystander);
  });

  it('reads the owner of a pgd page from page->index', () => {
    const task = process_create('pgd-owner')!;
    const r = memory_failure(page_to_pfn(virt_to_page(task.mm!.pgd)));
    expect(r).toMatchObject({ type: 'page table page', killed: [task.pid] });
  });

  it('leaves kernel page tables alone', () => {
    expect(memory_failure(page_to_pfn(virt_to_page(swapper_pg_dir)))).toMatchObject({ result: 'Ignored' });
  });

  it('reports the pool and class of a zsmalloc page', () => {
    const pool = zs_create_pool('test');
    const handle = zs_malloc(pool, 200, GFP_KERNEL);
    const r = memory_failure(page_to_pfn(zs_obj_location(handle).page));
    expect(r.type).toBe('zsmalloc page');
    expect(r.owner).toMatch(/^pool test class \d+$/);
  });

  it('finds the vmalloc area and caller of a vmalloc page', () => {
    const addr = vmalloc(5 * 4096, 'test_driver_probe');
    const page = vmalloc_to_page(addr + 2 * 4096)!;
    const r = memory_failure(page_to_pfn(page));
    expect(r.type).toBe('vmalloc page');
    expect(r.owner).toMatch(/^area ffffc9[0-9a-f]+-ffffc9[0-9a-f]+ caller test_driver_probe$/);
  });

  it('unmaps an anonymous page and kills every process that maps it', () => {
    const parent = process_create('parent')!;
    const addr = do_mmap_anon(parent, 4096, PROT_READ | PROT_WRITE);
    handle_mm_fault(parent, addr, true);
    const child = fork_process(parent)!;
    const other = process_create('other')!;
    const page = follow_page(parent.mm!, addr)!;
    const r = memory_failure(page_to_pfn(page));
    expect(r.type).toBe('anonymous LRU page');
    expect(r.killed.sort()).toEqual([parent.pid, child.pid].sort());
    expect(find_task_by_vpid(other.pid)).toBe(other);
    expect(r.result).toBe('Recovered');
  });

  it('ignores reserved pages and rejects invalid pfns', () => {
    expect(memory_failure(0)).toMatchObject({ type: 'reserved kernel page', result: 'Ignored' });
    expect(memory_failure(1 << 30)).toMatchObject({ result: 'Failed' });
  });
});
