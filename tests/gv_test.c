/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "gv_test.h"

static void print_failures(void)
{
	const CU_FailureRecord *f = CU_get_failure_list();

	for (; f != NULL; f = f->pNext)
		fprintf(stderr, "FAIL %s:%u: %s: %s\n",
		        f->strFileName ? f->strFileName : "?", f->uiLineNumber,
		        f->pTest ? f->pTest->pName : "?",
		        f->strCondition ? f->strCondition : "?");
}

int gv_test_main(const char *suite, const struct gv_test *tests, size_t n,
                 int (*setup)(void), int (*teardown)(void))
{
	CU_pSuite s;
	unsigned failures, tests_failed;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, setup, teardown);
	if (s == NULL)
		goto out_registry;
	for (i = 0; i < n; i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			goto out_registry;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto out_registry;
	failures = CU_get_number_of_failures();
	tests_failed = CU_get_number_of_tests_failed();
	if (CU_get_number_of_suites_failed() != 0) {
		fprintf(stderr, "suite %s: setup or teardown failed\n", suite);
		failures++;
	}
	print_failures();
	printf("suite %s: %zu tests, %u failed, %u assertion failures\n", suite,
	       n, tests_failed, failures);
	CU_cleanup_registry();
	return failures != 0 ? 1 : 0;

out_registry:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

void gv_test_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(GV_TEST_SKIP_RC);
}

uint64_t gv_test_seed(uint64_t dflt)
{
	const char *env = getenv("GV_TEST_SEED");
	uint64_t seed = dflt;

	if (env != NULL && *env != '\0')
		seed = strtoull(env, NULL, 0);
	printf("seed=%" PRIu64 " (set GV_TEST_SEED to reproduce)\n", seed);
	fflush(stdout);
	return seed;
}
