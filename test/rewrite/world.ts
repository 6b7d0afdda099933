/**
 * A tiny struct page world on disk for converter tests: memory primitives, a Page view over
 * words with the corpus's accessor style, list helpers with container_of, the page_private()
 * wrappers, address helpers and page-type tests, plus the case files under test. One project
 * (one program, one conversion) per table.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const MEMORY = `
const words = new Map<number, number>();
export function read64(a: number): number { return words.get(a) ?? 0; }
export function write64(a: number, v: number): void { words.set(a, v); }
export function read32(a: number): number { return (words.get(a) ?? 0) >>> 0; }
export function write32(a: number, v: number): void { words.set(a, v >>> 0); }
`;

const MM_TYPES = `
import { read32, read64, write32, write64 } from '../../sim/memory.ts';
import { ListHead } from './list.ts';

export const PAGE_FLAGS_OFFSET = 0;
export const PAGE_LRU_OFFSET = 8;
export const PAGE_MAPPING_OFFSET = 24;
export const PAGE_INDEX_OFFSET = 32;
export const PAGE_PRIVATE_OFFSET = 40;
export const PAGE_TYPE_OFFSET = 48;

export class Page {
  constructor(readonly addr: number) {}

  static readonly OFFSETOF = { lru: PAGE_LRU_OFFSET } as const;

  get flags(): number {
    return read32(this.addr + PAGE_FLAGS_OFFSET);
  }
  set flags(v: number) {
    write32(this.addr + PAGE_FLAGS_OFFSET, v);
  }

  /** The list_head at w1-w2. */
  get lru(): ListHead {
    return new ListHead(this.addr + PAGE_LRU_OFFSET);
  }

  get mapping(): number {
    return read64(this.addr + PAGE_MAPPING_OFFSET);
  }
  set mapping(v: number) {
    write64(this.addr + PAGE_MAPPING_OFFSET, v);
  }

  get index(): number {
    return read64(this.addr + PAGE_INDEX_OFFSET);
  }
  set index(v: number) {
    write64(this.addr + PAGE_INDEX_OFFSET, v);
  }

  get private(): number {
    return read64(this.addr + PAGE_PRIVATE_OFFSET);
  }
  set private(v: number) {
    write64(this.addr + PAGE_PRIVATE_OFFSET, v);
  }

  get page_type(): number {
    return read32(this.addr + PAGE_TYPE_OFFSET);
  }
  set page_type(v: number) {
    write32(this.addr + PAGE_TYPE_OFFSET, v);
  }
}
`;

const LIST = `
import { read64, write64 } from '../../sim/memory.ts';

export class ListHead {
  constructor(readonly addr: number) {}
  get next(): number { return read64(this.addr); }
  set next(v: number) { write64(this.addr, v); }
}
export interface ListOwner<T> { new (addr: number): T; readonly OFFSETOF: { readonly [K in keyof T]?: number } }
export function list_add(e: ListHead, h: ListHead): void { e.next = h.next; h.next = e.addr; }
export function list_del(e: ListHead): void { e.next = 0; }
export function list_entry<T, K extends keyof T & string>(ptr: number, type: ListOwner<T>, member: K): T {
  return new type(ptr - (type.OFFSETOF[member] ?? 0));
}
export function list_first_entry_or_null<T, K extends keyof T & string>(h: ListHead, type: ListOwner<T>, member: K): T | null {
  return h.next === h.addr ? null : list_entry(h.next, type, member);
}
export function list_for_each_entry<T, K extends keyof T & string>(h: ListHead, type: ListOwner<T>, member: K): T[] {
  return h.next ? [list_entry(h.next, type, member)] : [];
}
`;

const MM = `
import { Page } from './mm_types.ts';

export function page_private(page: Page): number {
  return page.private;
}

export function set_page_private(page: Page, v: number): void {
  page.private = v;
}

export function virt_to_page(vaddr: number): Page {
  return new Page(vaddr >> 6);
}

export function page_address(page: Page): number {
  return page.addr << 6;
}

export function alloc_page(gfp: number): Page | null {
  return gfp ? new Page(gfp * 64) : null;
}

export function VM_BUG_ON_PAGE(cond: boolean, page: Page, why?: string): void {
  if (cond) throw new Error(\`\${why ?? 'bug'} at \${page.addr}\`);
}

export function dump(page: Page): string {
  return String(page.flags);
}
`;

const FLAGS = `
import { Page } from './mm_types.ts';
export const PageSlab = (p: Page) => p.page_type === 0xf5;
export const PageTable = (p: Page) => p.page_type === 0xf3;
export const PageZsmalloc = (p: Page) => p.page_type === 0xf6;
export const PageBuddy = (p: Page) => p.page_type === 0xf0;
`;

const DECOY = `
export class Decoy {
  index = 0;
  private = 0;
}
export class Page {
  index = 0;
}
`;

export const WORLD: Record<string, string> = {
  'sim/memory.ts': MEMORY,
  'include/linux/mm_types.ts': MM_TYPES,
  'include/linux/list.ts': LIST,
  'include/linux/mm.ts': MM,
  'include/linux/page-flags.ts': FLAGS,
  'lib/decoy.ts': DECOY,
};

export const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true,
    noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'],
  },
  include: ['.'],
}, null, 2);

/** The import prelude a case file at `file` gets. */
export function prelude(file: string): string {
  const up = '../'.repeat(file.split('/').length - 1) || './';
  return `import { Page } from '${up}include/linux/mm_types.ts';\n` +
    `import { ListHead, list_add, list_del, list_entry, list_first_entry_or_null, list_for_each_entry } from '${up}include/linux/list.ts';\n` +
    `import { page_private, set_page_private, virt_to_page, page_address, alloc_page, VM_BUG_ON_PAGE, dump } from '${up}include/linux/mm.ts';\n` +
    `import { PageSlab, PageTable, PageZsmalloc, PageBuddy } from '${up}include/linux/page-flags.ts';\n` +
    `import { Decoy, Page as OtherPage } from '${up}lib/decoy.ts';\n`;
}

/** Write the world plus `files` (path -> text, prelude added to .ts case files when asked) into a temp dir. */
export function makeProject(files: Record<string, string>, opts: { prelude?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-rw-'));
  const all: Record<string, string> = { 'tsconfig.json': TSCONFIG, ...WORLD };
  for (const [f, t] of Object.entries(files)) all[f] = opts.prelude ? prelude(f) + t : t;
  for (const [f, t] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
  return dir;
}
