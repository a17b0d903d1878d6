/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_common.h"
#include "gv_errno.h"
#include "gv_mem.h"
#include "gv_test.h"

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void test_rejects_bad_args(void)
{
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_mem_alloc(0, 0, true));
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_mem_alloc(64, 96, true));   /* not pow2 */
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
	CU_ASSERT_PTR_NULL(gv_mem_alloc(64, 32, true));   /* below a line */
	CU_ASSERT_PTR_NULL(gv_mem_alloc(64, 8192, true)); /* above a page */
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_mem_alloc(SIZE_MAX - 4096, 0, false));
	CU_ASSERT_EQUAL(gv_errno, ENOMEM);
	gv_mem_free(NULL, 100); /* no-op */
}

/* Small and big, prefaulted or not: zeroed, aligned, writable to the
 * last byte, and freed (ASan and the map count would tell otherwise). */
static void test_sizes_zeroed_aligned(void)
{
	static const size_t sizes[] = {
		1, 63, 64, 4095, 4096, 100000, GV_MEM_HUGE_MIN - 1,
		GV_MEM_HUGE_MIN, GV_MEM_HUGE_MIN + 1, 3 * GV_MEM_HUGE_MIN + 77,
	};
	size_t i;
	int pf;

	for (pf = 0; pf < 2; pf++)
		for (i = 0; i < GV_ARRAY_SIZE(sizes); i++) {
			size_t n = sizes[i];
			uint8_t *p = gv_mem_alloc(n, i % 2 ? 4096 : 0, pf);

			CU_ASSERT_FATAL(p != NULL);
			CU_ASSERT_EQUAL((uintptr_t)p % (i % 2 ? 4096 : 64), 0);
			if (n >= GV_MEM_HUGE_MIN)
				CU_ASSERT_EQUAL((uintptr_t)p % GV_MEM_HUGE_MIN,
				                0);
			CU_ASSERT(all_zero(p, n));
			memset(p, 0xa5, n);
			CU_ASSERT_EQUAL(p[n - 1], 0xa5);
			gv_mem_free(p, n);
		}
}

/* Where the kernel has THP in "always" or "madvise" mode, a big table is
 * on huge pages once touched; elsewhere the test says so and checks
 * only that gv_mem_huge_bytes is 0 for small tables. */
static void test_huge_pages_where_enabled(void)
{
	char mode[128] = "";
	size_t n = 4 * GV_MEM_HUGE_MIN, h;
	uint8_t *p, *q;
	FILE *f;

	q = gv_mem_alloc(4096, 0, true);
	CU_ASSERT_FATAL(q != NULL);
	CU_ASSERT_EQUAL(gv_mem_huge_bytes(q, 4096), 0);
	gv_mem_free(q, 4096);
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f != NULL) {
		if (fgets(mode, sizeof(mode), f) == NULL)
			mode[0] = '\0';
		fclose(f);
	}
	if (strstr(mode, "[never]") != NULL || mode[0] == '\0') {
		printf("\n  THP unavailable (%s): huge pages not checked\n",
		       mode[0] ? "never" : "no sysfs");
		return;
	}
	p = gv_mem_alloc(n, 0, true);
	CU_ASSERT_FATAL(p != NULL);
	h = gv_mem_huge_bytes(p, n);
	/* Memory may be too fragmented for every page; one is enough to
	 * show the madvise took. */
	if (h == 0)
		printf("\n  THP %s, but no huge page was given\n", mode);
	CU_ASSERT(h > 0);
	CU_ASSERT(h <= n);
	gv_mem_free(p, n);
}

static const struct gv_test tests[] = {
	GV_TEST(test_rejects_bad_args),
	GV_TEST(test_sizes_zeroed_aligned),
	GV_TEST(test_huge_pages_where_enabled),
};

int main(void)
{
	return gv_test_main("mem", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
