/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "gv_common.h"
#include "gv_errno.h"
#include "gv_test.h"

static void test_strerror_errno_both_signs(void)
{
	CU_ASSERT_STRING_EQUAL(gv_strerror(ENOMEM), gv_strerror(-ENOMEM));
	CU_ASSERT_PTR_NOT_NULL(strstr(gv_strerror(-ENOBUFS), "buffer"));
	CU_ASSERT_STRING_EQUAL(gv_strerror(-EINVAL), "Invalid argument");
}

static void test_strerror_gavel_codes(void)
{
	CU_ASSERT_STRING_EQUAL(gv_strerror(GV_ECONFIG), "invalid configuration");
	CU_ASSERT_STRING_EQUAL(gv_strerror(-GV_ENOTSC), "no usable invariant TSC");
}

static void test_strerror_unknown(void)
{
	CU_ASSERT_STRING_EQUAL(gv_strerror(GV_EMAX), "unknown error");
	CU_ASSERT_STRING_EQUAL(gv_strerror(999), "unknown error");
	CU_ASSERT_PTR_NOT_NULL(gv_strerror(0));
	CU_ASSERT_PTR_NOT_NULL(gv_strerror(-2147483647));
}

static void test_gv_errno_is_per_thread_lvalue(void)
{
	gv_errno = GV_ECONFIG;
	CU_ASSERT_EQUAL(gv_errno, GV_ECONFIG);
	gv_errno = 0;
	CU_ASSERT_EQUAL(gv_errno, 0);
}

static void test_align_and_pow2_macros(void)
{
	CU_ASSERT_EQUAL(GV_ALIGN_UP(1u, 64u), 64u);
	CU_ASSERT_EQUAL(GV_ALIGN_UP(64u, 64u), 64u);
	CU_ASSERT_EQUAL(GV_ALIGN_UP(65ull, 8ull), 72ull);
	CU_ASSERT(GV_IS_POW2(1u) && GV_IS_POW2(4096u));
	CU_ASSERT(!GV_IS_POW2(0u) && !GV_IS_POW2(96u));
}

static const struct gv_test tests[] = {
	GV_TEST(test_strerror_errno_both_signs),
	GV_TEST(test_strerror_gavel_codes),
	GV_TEST(test_strerror_unknown),
	GV_TEST(test_gv_errno_is_per_thread_lvalue),
	GV_TEST(test_align_and_pow2_macros),
};

int main(void)
{
	return gv_test_main("errno", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
