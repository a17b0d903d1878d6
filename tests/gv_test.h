/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_test.h - the CUnit harness every gavel test program uses.
 *
 * A test program is one CUnit suite: a table of GV_TEST(fn) entries and a
 * main() that calls gv_test_main(). Failures are printed with file and line;
 * the exit code is 0 only if every assertion passed (CU_basic_run_tests
 * alone reports success even when asserts fail), 77 when the program
 * called gv_test_skip() because a facility it needs is absent.
 *
 * Randomised tests take their seed from gv_test_seed(), which prints it; set
 * GV_TEST_SEED=<n> to reproduce a failing run.
 */
#ifndef GV_TEST_H
#define GV_TEST_H

#include <stdint.h>
#include <CUnit/CUnit.h>

#define GV_TEST_SKIP_RC 77

struct gv_test {
	const char *name;
	void (*fn)(void);
};

#define GV_TEST(fn) { #fn, fn }

/* Run the tests as suite `suite`; returns the process exit code. */
int gv_test_main(const char *suite, const struct gv_test *tests, size_t n,
                 int (*setup)(void), int (*teardown)(void));

/* Exit 77 (meson: skipped) with a reason on stderr. */
__attribute__((noreturn)) void gv_test_skip(const char *why);

/* The seed for a randomised test: GV_TEST_SEED if set, else `dflt`. Printed. */
uint64_t gv_test_seed(uint64_t dflt);

/* A small, fast, seedable generator (splitmix64) for tests and fuzz loops. */
static inline uint64_t gv_test_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t gv_test_below(uint64_t *state, uint64_t n)
{
	return gv_test_rand(state) % n;
}

#endif /* GV_TEST_H */
