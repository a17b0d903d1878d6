/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_mem.h - the big tables' memory: zeroed, cache-line aligned and, from
 * 2 MiB up, on transparent huge pages where the kernel allows it.
 *
 * The book's order pool, order map and level pages are read at random:
 * on 4 KiB pages most lookups also miss the TLB (a nested page walk under
 * a hypervisor). gv_mem_alloc maps a large table 2 MiB-aligned and asks
 * for huge pages (madvise MADV_HUGEPAGE: Debian's THP default is
 * "madvise", so without the call there are none). Where THP is off or
 * unsupported the memory is the same, on small pages. All of it is
 * start-up work: one mmap and one madvise per table.
 */
#ifndef GV_MEM_H
#define GV_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* Tables from this size up are mapped on their own, 2 MiB-aligned. */
#define GV_MEM_HUGE_MIN ((size_t)2 << 20)

/*
 * `size` zeroed bytes, aligned to `align` (a power of two from
 * GV_CACHE_LINE to 4096; 0 means GV_CACHE_LINE), 2 MiB-aligned from
 * GV_MEM_HUGE_MIN up. With `prefault`, every page is touched now so
 * that the hot path never faults; without, pages fault in as they are
 * first written (for tables that may be far bigger than what is used).
 * NULL with gv_errno ENOMEM (or EINVAL for size 0 or a bad align).
 */
void *gv_mem_alloc(size_t size, size_t align, bool prefault);

/* Release what gv_mem_alloc(size, ...) returned (the same size); NULL
 * is ignored. */
void gv_mem_free(void *p, size_t size);

/* Bytes of [p, p + size) the kernel backs with huge pages now (from
 * /proc/self/smaps; 0 if unknown). For tests and the start-up log. */
size_t gv_mem_huge_bytes(const void *p, size_t size);

#endif /* GV_MEM_H */
