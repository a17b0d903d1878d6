/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_common.h - what every gavel module needs and nothing more.
 *
 * Three assertion levels (TigerBeetle, SQLite):
 *   GV_STATIC_ASSERT  compile time; sizes and offsets of wire and hot structs.
 *   GV_VERIFY         always on; cheap internal invariants. A failure is a
 *                     bug in gavel, never bad input, and aborts the process.
 *   GV_ASSERT         debug builds (-Ddebug_asserts=true or buildtype debug);
 *                     expensive invariants, free in release builds.
 * Bad input is rejected with a reason and counted; it is never asserted.
 */
#ifndef GV_COMMON_H
#define GV_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define GV_CACHE_LINE 64
#define GV_CACHE_ALIGNED __attribute__((aligned(GV_CACHE_LINE)))

#define gv_likely(x)   __builtin_expect(!!(x), 1)
#define gv_unlikely(x) __builtin_expect(!!(x), 0)

#define GV_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#define GV_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GV_MIN(a, b) ((a) < (b) ? (a) : (b))
#define GV_MAX(a, b) ((a) > (b) ? (a) : (b))
#define GV_IS_POW2(x) ((x) != 0 && (((x) & ((x) - 1)) == 0))
#define GV_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#define GV_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#define GV_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)

#define GV_NORETURN __attribute__((noreturn))
#define GV_COLD __attribute__((cold, noinline))
#define GV_UNUSED __attribute__((unused))

/*
 * Report a failed assertion and abort. Cold and out of line so that the
 * check itself costs one predictable branch on the hot path.
 */
GV_NORETURN GV_COLD void gv_panic(const char *file, int line,
                                  const char *func, const char *expr);

#define GV_VERIFY(cond)                                                   \
	do {                                                              \
		if (gv_unlikely(!(cond)))                                 \
			gv_panic(__FILE__, __LINE__, __func__, #cond);    \
	} while (0)

#ifdef GV_DEBUG_ASSERTS
#define GV_ASSERT(cond) GV_VERIFY(cond)
#define GV_ASSERTS_ON 1
#else
/* Type-checks the expression without evaluating it. */
#define GV_ASSERT(cond) ((void)sizeof(!(cond)))
#define GV_ASSERTS_ON 0
#endif

#endif /* GV_COMMON_H */
