/**
 * Where descriptors live: the machine's placement mode and the metadata arena.
 *
 * `real` (the default) is the kernel: descriptor caches are slab caches, their objects come out
 * of slab pages from the buddy allocator, like any other allocation. Separating a kind therefore
 * moves every later allocation, and a stage-2 tree's traces differ from its stage-1 original in
 * addresses and pfns, not in behaviour.
 *
 * `preserve` (placement-preserving, what `memdesc verify` runs a stage-2 tree in): descriptor
 * memory moves nothing else. The descriptor caches (mm/slab_common.ts, memdesc_cache_create())
 * are arena caches: same object size, 16-byte alignment and counters (memdesc_stats()), but their
 * objects are carved from a metadata arena mapped above RAM (sim/memory.ts, arena_map()), which
 * the kernel does not manage: no struct kmem_cache on slab_caches, no slab pages, no buddy pages,
 * no vmstat, no events. And boot carves the memmap at its stage-1 size even when struct page is
 * smaller (sim/boot.ts), leaving the saving unused. Every allocation the workload can see then
 * lands where it lands on the stage-1 tree, so events and reports are equal except the lines the
 * manifest declares layout-dependent.
 *
 * A stage-1 tree never creates a descriptor cache, so the arena is never opened and a `preserve`
 * run is the `real` run, byte for byte.
 */
import { arena_map } from './memory.ts';
import { PAGE_OFFSET, PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { SimConfigError } from './errors.ts';
import { BUG } from '../include/linux/mmdebug.ts';

export type Placement = 'real' | 'preserve';
export const PLACEMENTS: readonly Placement[] = ['real', 'preserve'];

let placement: Placement = 'real';

export function parse_placement(text: string): Placement {
  if (!(PLACEMENTS as readonly string[]).includes(text)) {
    throw new SimConfigError(`invalid placement "${text}" (choose from ${PLACEMENTS.join(', ')})`);
  }
  return text as Placement;
}

export function current_placement(): Placement {
  return placement;
}

/** Do descriptors come from the metadata arena (a placement-preserving run)? */
export function placement_preserving(): boolean {
  return placement === 'preserve';
}

/**
 * The arena's size: 256 bytes per page frame of RAM, room for one descriptor of any kind per
 * page (the most a machine can have live: one allocation per page) with the struct of each cache.
 */
const ARENA_BYTES_PER_PAGE = 256;

/** Bump pointer and end of the arena (kernel virtual addresses; 0 while it is not open). */
let arena_next = 0;
let arena_end = 0;
/** RAM of this machine: the arena is sized from it. */
let arena_ram = 0;

/** Descriptor kinds whose cache was created during this run, in creation order (both placements). */
let kinds_seen: string[] = [];

/** The room a machine of `ram` bytes keeps above RAM for its arena in `mode` (none in a real-placement run). */
export function arena_bytes(mode: Placement, ram: number): number {
  return mode === 'preserve' ? (ram / PAGE_SIZE) * ARENA_BYTES_PER_PAGE : 0;
}

/** At boot, after ram_init(): the placement of this run, a closed arena, no descriptor cache seen. */
export function arena_init(mode: Placement, ram: number): void {
  placement = mode;
  arena_next = 0;
  arena_end = 0;
  arena_ram = ram;
  kinds_seen = [];
}

function arena_open(): void {
  if (arena_end !== 0) return;
  const bytes = arena_bytes(placement, arena_ram);
  const phys = arena_map();
  arena_next = PAGE_OFFSET + phys;
  arena_end = arena_next + bytes;
}

/** `size` zeroed bytes of the arena, aligned; never freed (the structs of arena caches). */
export function arena_alloc(size: number, align = 16): number {
  if (!placement_preserving()) BUG('arena_alloc: the metadata arena exists only in a placement-preserving run');
  arena_open();
  const addr = Math.ceil(arena_next / align) * align;
  if (addr + size > arena_end) BUG(`metadata arena exhausted allocating ${size} bytes`);
  arena_next = addr + size;
  return addr;
}

/** An arena cache: fixed-size objects, freed ones reused last-in first-out (as a slab's freelist). */
export interface ArenaCache {
  readonly object_size: number;
  readonly align: number;
  readonly free: number[];
  readonly live: Set<number>;
}

export function arena_cache_create(object_size: number, align: number): ArenaCache {
  if (!placement_preserving()) BUG('arena_cache_create: not a placement-preserving run');
  arena_open();
  return { object_size, align, free: [], live: new Set() };
}

/** A zeroed object of the cache. */
export function arena_cache_alloc(c: ArenaCache, zero: (addr: number, len: number) => void): number {
  const reused = c.free.pop();
  const obj = reused ?? arena_alloc(c.object_size, c.align);
  if (reused !== undefined) zero(obj, c.object_size);
  c.live.add(obj);
  return obj;
}

export function arena_cache_free(c: ArenaCache, obj: number): void {
  if (!c.live.delete(obj)) BUG(`arena_cache_free: 0x${obj.toString(16)} is not a live object of this arena cache`);
  c.free.push(obj);
}

/** Record that a descriptor cache of `kind` exists in this run (memdesc_cache_create(), either placement). */
export function note_descriptor_cache(kind: string): void {
  if (!kinds_seen.includes(kind)) kinds_seen.push(kind);
}

/** Descriptor kinds whose cache existed at some point of the run: a stage-2 machine has at least one. */
export function descriptor_kinds_seen(): readonly string[] {
  return kinds_seen;
}
