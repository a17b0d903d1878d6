/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gv_common.h"
#include "gv_errno.h"
#include "gv_pool.h"
#include "gv_test.h"

struct obj {
	uint64_t a, b;
	char pad[40];
};

static void test_create_rejects_bad_args(void)
{
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_pool_create("x", 0, 8, 0));
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
	CU_ASSERT_PTR_NULL(gv_pool_create("x", 8, 0, 0));
	CU_ASSERT_PTR_NULL(gv_pool_create("x", 8, 8, 24));  /* not pow2 */
	CU_ASSERT_PTR_NULL(gv_pool_create("x", 8, 8, 4));   /* too small */
	CU_ASSERT_PTR_NULL(gv_pool_create("x", UINT32_MAX, 8, 0));
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
}

static void test_elements_aligned_and_distinct(void)
{
	struct gv_pool *p = gv_pool_create("t", 100, sizeof(struct obj), 64);
	void *seen[100];
	uint32_t i, j;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(p->elt_size, 64);
	for (i = 0; i < 100; i++) {
		seen[i] = gv_pool_get(p);
		CU_ASSERT_FATAL(seen[i] != NULL);
		CU_ASSERT_EQUAL((uintptr_t)seen[i] % 64, 0);
		CU_ASSERT_EQUAL(gv_pool_index(p, seen[i]), i); /* fresh: in order */
		CU_ASSERT_PTR_EQUAL(gv_pool_at(p, i), seen[i]);
		CU_ASSERT(gv_pool_is_live(p, seen[i]));
		memset(seen[i], 0xab, sizeof(struct obj));
	}
	for (i = 0; i < 100; i++)
		for (j = i + 1; j < 100; j++)
			CU_ASSERT((uint8_t *)seen[j] - (uint8_t *)seen[i] >= 64);
	gv_pool_free(p);
}

static void test_exhaustion_counts_and_recovers(void)
{
	struct gv_pool *p = gv_pool_create("t", 4, 16, 8);
	void *o[4];
	int i;

	CU_ASSERT_FATAL(p != NULL);
	for (i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(o[i] = gv_pool_get(p));
	CU_ASSERT_EQUAL(gv_pool_in_use(p), 4);
	CU_ASSERT_PTR_NULL(gv_pool_get(p));
	CU_ASSERT_PTR_NULL(gv_pool_get(p));
	CU_ASSERT_EQUAL(p->get_fail, 2);
	CU_ASSERT_EQUAL(p->high_water, 4);

	gv_pool_put(p, o[2]);
	CU_ASSERT(!gv_pool_is_live(p, o[2]));
	CU_ASSERT_EQUAL(gv_pool_in_use(p), 3);
	/* LIFO: the object just freed is the next one handed out. */
	CU_ASSERT_PTR_EQUAL(gv_pool_get(p), o[2]);
	CU_ASSERT_PTR_NULL(gv_pool_get(p));
	CU_ASSERT_EQUAL(p->get_fail, 3);
	for (i = 0; i < 4; i++)
		gv_pool_put(p, o[i]);
	CU_ASSERT_EQUAL(gv_pool_in_use(p), 0);
	CU_ASSERT_EQUAL(p->high_water, 4);
	gv_pool_free(p);
}

static void test_is_live_rejects_foreign_pointers(void)
{
	struct gv_pool *p = gv_pool_create("t", 8, 32, 32);
	uint8_t *o;
	int local;

	CU_ASSERT_FATAL(p != NULL);
	o = gv_pool_get(p);
	CU_ASSERT(gv_pool_is_live(p, o));
	CU_ASSERT(!gv_pool_is_live(p, o + 1));           /* misaligned */
	CU_ASSERT(!gv_pool_is_live(p, o + 32));          /* free object */
	CU_ASSERT(!gv_pool_is_live(p, o + 32 * 8));      /* past the end */
	CU_ASSERT(!gv_pool_is_live(p, &local));
	gv_pool_put(p, o);
	gv_pool_free(p);
}

/* A double put is a bug: GV_VERIFY aborts. Run it in a child. */
static void test_double_put_aborts(void)
{
	pid_t pid = fork();
	int status = 0;

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct gv_pool *p = gv_pool_create("t", 2, 8, 8);
		void *o = gv_pool_get(p);

		/* Silence the expected panic message. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		gv_pool_put(p, o);
		gv_pool_put(p, o);
		_exit(0);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* Random get/put against a shadow set: counts and liveness always agree. */
static void test_random_get_put_accounting(void)
{
	enum { CAP = 257, STEPS = 200000 };
	uint64_t rng = gv_test_seed(42);
	struct gv_pool *p = gv_pool_create("t", CAP, 24, 8);
	void *held[CAP];
	uint32_t n = 0, hw = 0, fails = 0;
	int step;

	CU_ASSERT_FATAL(p != NULL);
	for (step = 0; step < STEPS; step++) {
		if (gv_test_below(&rng, 2) == 0) {
			void *o = gv_pool_get(p);

			if (n == CAP) {
				CU_ASSERT_PTR_NULL(o);
				fails++;
			} else {
				CU_ASSERT_FATAL(o != NULL);
				CU_ASSERT(gv_pool_is_live(p, o));
				held[n++] = o;
				hw = GV_MAX(hw, n);
			}
		} else if (n > 0) {
			uint32_t k = (uint32_t)gv_test_below(&rng, n);

			gv_pool_put(p, held[k]);
			CU_ASSERT(!gv_pool_is_live(p, held[k]));
			held[k] = held[--n];
		}
		if (gv_pool_in_use(p) != n) {
			CU_FAIL("in_use disagrees with the shadow count");
			break;
		}
	}
	CU_ASSERT_EQUAL(p->high_water, hw);
	CU_ASSERT_EQUAL(p->get_fail, fails);
	gv_pool_free(p);
}

static void test_free_null_is_noop(void)
{
	gv_pool_free(NULL);
	CU_PASS("no crash");
}

static const struct gv_test tests[] = {
	GV_TEST(test_create_rejects_bad_args),
	GV_TEST(test_elements_aligned_and_distinct),
	GV_TEST(test_exhaustion_counts_and_recovers),
	GV_TEST(test_is_live_rejects_foreign_pointers),
	GV_TEST(test_double_put_aborts),
	GV_TEST(test_random_get_put_accounting),
	GV_TEST(test_free_null_is_noop),
};

int main(void)
{
	return gv_test_main("pool", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
