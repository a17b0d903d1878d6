/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_pool.h - fixed-capacity object pool.
 *
 * All memory is taken at create time (and touched, so the hot path never
 * page-faults); get and put are O(1) and never allocate. Free objects are
 * kept on a LIFO stack of u32 indices, so the most recently freed (and most
 * likely cached) object is reused first. A bitmap of live objects makes a
 * double put or a foreign pointer a GV_VERIFY failure (one bit test).
 *
 * A pool belongs to one thread (one shard); it does no locking.
 * An empty pool is an operating condition: gv_pool_get returns NULL and
 * counts it in get_fail; the caller rejects with CAPACITY or pushes back.
 */
#ifndef GV_POOL_H
#define GV_POOL_H

#include "gv_common.h"

struct gv_pool {
	uint8_t *base;        /* capacity * elt_size bytes, cache aligned */
	uint32_t *free_stack; /* indices of free objects; top is n_free - 1 */
	uint64_t *live;       /* bit i set while object i is handed out */
	uint32_t elt_size;    /* rounded up to the alignment */
	uint32_t elt_shift;   /* log2(elt_size) if a power of two, else 0 */
	uint32_t capacity;
	uint32_t n_free;
	uint32_t high_water;  /* most objects ever in use at once */
	uint64_t get_fail;    /* gets refused because the pool was empty */
	char name[32];
};

/*
 * Create a pool of `capacity` objects of `elt_size` bytes, each aligned to
 * `align` (a power of two, at least 8; 0 means the cache line). Objects
 * start zeroed.
 * Returns NULL and sets gv_errno: EINVAL (zero or too large a capacity or
 * size, bad alignment), ENOMEM.
 */
struct gv_pool *gv_pool_create(const char *name, uint32_t capacity,
                               uint32_t elt_size, uint32_t align);

/* Free a pool and every object in it. NULL is a no-op. */
void gv_pool_free(struct gv_pool *pool);

/* Objects in use now. */
static inline uint32_t gv_pool_in_use(const struct gv_pool *pool)
{
	return pool->capacity - pool->n_free;
}

/* Byte offset -> index; a shift for power-of-two sizes (no division). */
static inline size_t gv_pool_div(const struct gv_pool *pool, size_t off)
{
	return pool->elt_shift ? off >> pool->elt_shift : off / pool->elt_size;
}

static inline uint32_t gv_pool_index(const struct gv_pool *pool,
                                     const void *obj)
{
	size_t off = (size_t)((const uint8_t *)obj - pool->base);

	GV_ASSERT(off % pool->elt_size == 0);
	return (uint32_t)gv_pool_div(pool, off);
}

static inline void *gv_pool_at(const struct gv_pool *pool, uint32_t idx)
{
	GV_ASSERT(idx < pool->capacity);
	return pool->base + (size_t)idx * pool->elt_size;
}

/* True if `obj` is a live object of this pool. */
static inline bool gv_pool_is_live(const struct gv_pool *pool,
                                   const void *obj)
{
	const uint8_t *p = obj;
	size_t off, idx;

	if (p < pool->base)
		return false;
	off = (size_t)(p - pool->base);
	idx = gv_pool_div(pool, off);
	if (idx >= pool->capacity || idx * pool->elt_size != off)
		return false;
	return (pool->live[idx / 64] >> (idx % 64)) & 1;
}

/*
 * Take an object, or NULL when the pool is empty (counted in get_fail).
 * The object holds whatever its last user left in it.
 */
static inline void *gv_pool_get(struct gv_pool *pool)
{
	uint32_t idx, used;

	if (gv_unlikely(pool->n_free == 0)) {
		pool->get_fail++;
		return NULL;
	}
	idx = pool->free_stack[--pool->n_free];
	GV_VERIFY(idx < pool->capacity);
	GV_ASSERT(!((pool->live[idx / 64] >> (idx % 64)) & 1));
	pool->live[idx / 64] |= UINT64_C(1) << (idx % 64);
	used = pool->capacity - pool->n_free;
	if (used > pool->high_water)
		pool->high_water = used;
	return pool->base + (size_t)idx * pool->elt_size;
}

/*
 * Return an object. Putting back a free object is a bug (GV_VERIFY);
 * so is a foreign one (caught when the pointer lands outside the pool,
 * always in debug builds).
 */
static inline void gv_pool_put(struct gv_pool *pool, void *obj)
{
	size_t off = (size_t)((uint8_t *)obj - pool->base);
	uint32_t idx = (uint32_t)gv_pool_div(pool, off);
	uint64_t bit = UINT64_C(1) << (idx % 64);

	GV_ASSERT(gv_pool_is_live(pool, obj));
	GV_VERIFY(off < (size_t)pool->capacity * pool->elt_size &&
	          (pool->live[idx / 64] & bit));
	pool->live[idx / 64] &= ~bit;
	GV_ASSERT(pool->n_free < pool->capacity);
	pool->free_stack[pool->n_free++] = idx;
}

#endif /* GV_POOL_H */
