/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gv_common.h"
#include "gv_errno.h"
#include "gv_mem.h"

#define HUGE_ALIGN GV_MEM_HUGE_MIN

static bool mapped(size_t size)
{
	return size >= GV_MEM_HUGE_MIN;
}

static size_t map_len(size_t size)
{
	return GV_ALIGN_UP(size, HUGE_ALIGN);
}

void *gv_mem_alloc(size_t size, size_t align, bool prefault)
{
	uint8_t *raw, *p;
	size_t len, head, tail;

	if (align == 0)
		align = GV_CACHE_LINE;
	if (size == 0 || !GV_IS_POW2(align) || align < GV_CACHE_LINE ||
	    align > 4096) {
		gv_errno = EINVAL;
		return NULL;
	}
	if (!mapped(size)) {
		size_t n = GV_ALIGN_UP(size, align);

		p = aligned_alloc(align, n);
		if (p == NULL) {
			gv_errno = ENOMEM;
			return NULL;
		}
		memset(p, 0, n); /* zeroed, and every page touched */
		return p;
	}
	len = map_len(size);
	if (len < size || len + HUGE_ALIGN < len) {
		gv_errno = ENOMEM;
		return NULL;
	}
	/* Over-map by one huge page, keep the aligned middle. */
	raw = mmap(NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		gv_errno = ENOMEM;
		return NULL;
	}
	p = (uint8_t *)GV_ALIGN_UP((uintptr_t)raw, HUGE_ALIGN);
	head = (size_t)(p - raw);
	tail = HUGE_ALIGN - head;
	if (head > 0)
		munmap(raw, head);
	if (tail > 0)
		munmap(p + len, tail);
	/* A hint: EINVAL where THP is not built in; the memory is the same. */
	(void)madvise(p, len, MADV_HUGEPAGE);
	if (prefault)
		memset(p, 0, len); /* anonymous memory is zero already */
	return p;
}

void gv_mem_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (!mapped(size))
		free(p);
	else
		munmap(p, map_len(size));
}

size_t gv_mem_huge_bytes(const void *p, size_t size)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + size, a = 0, b = 0;
	size_t total = 0, kb;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long x, y;

		if (sscanf(line, "%lx-%lx ", &x, &y) == 2) { /* a mapping */
			a = x;
			b = y;
			continue;
		}
		/* Counted per mapping (neighbouring tables may share one):
		 * at most the part of it inside [lo, hi). */
		if (a < hi && b > lo &&
		    sscanf(line, "AnonHugePages: %zu kB", &kb) == 1)
			total += GV_MIN(kb * 1024,
			                (size_t)(GV_MIN(b, hi) - GV_MAX(a, lo)));
	}
	fclose(f);
	return total;
}
