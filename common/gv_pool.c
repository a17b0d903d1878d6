/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_errno.h"
#include "gv_limits.h"
#include "gv_pool.h"

/* Objects larger than this are not what a pool is for. */
#define POOL_ELT_SIZE_MAX (1u << 20)
#define POOL_CAPACITY_MAX GV_ORDERS_PER_SHARD_MAX

static void *zalloc_aligned(size_t align, size_t size)
{
	void *p;

	size = GV_ALIGN_UP(size, align);
	p = aligned_alloc(align, size);
	if (p != NULL)
		memset(p, 0, size); /* also pre-faults every page */
	return p;
}

struct gv_pool *gv_pool_create(const char *name, uint32_t capacity,
                               uint32_t elt_size, uint32_t align)
{
	struct gv_pool *pool;
	size_t bytes;
	uint32_t i;

	if (align == 0)
		align = GV_CACHE_LINE;
	if (capacity == 0 || capacity > POOL_CAPACITY_MAX || elt_size == 0 ||
	    elt_size > POOL_ELT_SIZE_MAX || !GV_IS_POW2(align) || align < 8 ||
	    align > 4096) {
		gv_errno = EINVAL;
		return NULL;
	}
	pool = zalloc_aligned(GV_CACHE_LINE, sizeof(*pool));
	if (pool == NULL)
		goto out_nomem;
	pool->elt_size = GV_ALIGN_UP(elt_size, align);
	if (GV_IS_POW2(pool->elt_size))
		pool->elt_shift = (uint32_t)__builtin_ctz(pool->elt_size);
	pool->capacity = capacity;
	snprintf(pool->name, sizeof(pool->name), "%s", name ? name : "pool");

	bytes = (size_t)capacity * pool->elt_size;
	pool->base = zalloc_aligned(GV_MAX(align, (uint32_t)GV_CACHE_LINE), bytes);
	if (pool->base == NULL)
		goto out_free_pool;
	pool->free_stack = zalloc_aligned(GV_CACHE_LINE,
	                                  (size_t)capacity * sizeof(uint32_t));
	if (pool->free_stack == NULL)
		goto out_free_base;
	pool->live = zalloc_aligned(GV_CACHE_LINE,
	                            ((size_t)capacity + 63) / 64 * 8);
	if (pool->live == NULL)
		goto out_free_stack;

	/* Lowest index on top, so a fresh pool hands out objects in order. */
	for (i = 0; i < capacity; i++)
		pool->free_stack[i] = capacity - 1 - i;
	pool->n_free = capacity;
	return pool;

out_free_stack:
	free(pool->free_stack);
out_free_base:
	free(pool->base);
out_free_pool:
	free(pool);
out_nomem:
	gv_errno = ENOMEM;
	return NULL;
}

void gv_pool_free(struct gv_pool *pool)
{
	if (pool == NULL)
		return;
	free(pool->live);
	free(pool->free_stack);
	free(pool->base);
	free(pool);
}
