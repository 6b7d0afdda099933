/**
 * Memory descriptors (include/linux/memdesc.h, the memdesc plan): the per-kind descriptor
 * caches' counters. Work in progress: the memdesc word and the caches land next.
 */

/** One row of memdesc_stats(): a descriptor kind's cache and how many descriptors it holds. */
export interface memdesc_stat {
  kind: string;
  tag: number;
  object_size: number;
  objects: number;
  peak_objects: number;
}

/** Counters of every descriptor cache created since boot, in creation order ([] while none). */
export function memdesc_stats(): memdesc_stat[] {
  return [];
}
