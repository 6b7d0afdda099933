/**
 * zsmalloc memory allocator: the public interface (include/linux/zsmalloc.h).
 * The implementation lives in mm/zsmalloc.ts; this header re-exports what callers (zswap,
 * workloads, reports) use.
 */

/**
 * enum zs_mapmode: how a mapped object is used. RO objects are not copied back on unmap,
 * WO objects are not copied in on map (no read/write fast path for objects spanning pages).
 */
export type zs_mapmode = 'ro' | 'wo' | 'rw';
export const ZS_MM_RW: zs_mapmode = 'rw';
export const ZS_MM_RO: zs_mapmode = 'ro';
export const ZS_MM_WO: zs_mapmode = 'wo';

/** struct zs_pool_stats: how many pages compaction has given back. */
export interface ZsPoolStats {
  pages_compacted: number;
}

export {
  ZsPool, zs_create_pool, zs_destroy_pool, zs_malloc, zs_free, zs_map_object, zs_unmap_object,
  zs_get_total_pages, zs_compact, zs_pool_stats, zs_huge_class_size, zs_lookup_class_index,
  zs_class_table, type ZsClassInfo,
} from '../../mm/zsmalloc.ts';
