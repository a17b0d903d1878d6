/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gv_clock.h"
#include "gv_common.h"
#include "gv_errno.h"
#include "gv_test.h"

static uint64_t mono_raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int setup(void)
{
	int rc = gv_clock_init(0);

	printf("clock: %s, tsc_hz=%llu\n", rc == 0 ? "tsc" : gv_strerror(rc),
	       (unsigned long long)g_gv_clock.tsc_hz);
	return 0;
}

static void test_init_idempotent(void)
{
	struct gv_clock before = g_gv_clock;

	gv_clock_init(0);
	CU_ASSERT_EQUAL(before.tsc_hz, g_gv_clock.tsc_hz);
	CU_ASSERT_EQUAL(before.mult, g_gv_clock.mult);
	CU_ASSERT_EQUAL(before.use_tsc, g_gv_clock.use_tsc);
	CU_ASSERT(g_gv_clock.initialized);
}

static void test_monotonic_tight_loop(void)
{
	uint64_t prev = gv_clock_ns(), now, backwards = 0;
	int i;

	for (i = 0; i < 2000000; i++) {
		now = gv_clock_ns();
		backwards += now < prev;
		prev = now;
	}
	CU_ASSERT_EQUAL(backwards, 0);
}

static void test_cycles_monotonic(void)
{
	uint64_t prev = gv_clock_cycles(), now;
	int i, backwards = 0;

	for (i = 0; i < 1000000; i++) {
		now = gv_clock_cycles();
		backwards += now < prev;
		prev = now;
	}
	CU_ASSERT_EQUAL(backwards, 0);
}

/*
 * The TSC timeline tracks CLOCK_MONOTONIC_RAW. This checks calibration
 * correctness, not speed: the tolerance (2 % of the interval, plus 1 ms
 * for a preemption between the two reads) only catches a wrong rate or
 * a broken conversion.
 */
static void test_tracks_monotonic_raw(void)
{
	uint64_t a_ns = gv_clock_ns(), a_raw = mono_raw_ns(), b_ns, b_raw;
	int64_t drift;
	struct timespec nap = { 0, 100 * 1000000L };

	nanosleep(&nap, NULL);
	b_ns = gv_clock_ns();
	b_raw = mono_raw_ns();
	drift = (int64_t)(b_ns - a_ns) - (int64_t)(b_raw - a_raw);
	printf("drift over %llu ns: %lld ns\n",
	       (unsigned long long)(b_raw - a_raw), (long long)drift);
	CU_ASSERT(llabs(drift) <= (int64_t)((b_raw - a_raw) / 50) + 1000000);
	/* And the absolute timeline is that of CLOCK_MONOTONIC_RAW. */
	CU_ASSERT(llabs((int64_t)(gv_clock_ns() - mono_raw_ns())) < 5000000);
}

static void test_cycles_to_ns_scales(void)
{
	if (!g_gv_clock.use_tsc) {
		printf("no invariant TSC: cycles are not scaled\n");
		return;
	}
	/* One second of cycles is one second, to within a rounding step. */
	CU_ASSERT(llabs((int64_t)gv_clock_cycles_to_ns(g_gv_clock.tsc_hz) -
	                1000000000ll) <= 1);
	CU_ASSERT_EQUAL(gv_clock_cycles_to_ns(0), 0);
	/* No overflow for a day of cycles. */
	CU_ASSERT(llabs((int64_t)gv_clock_cycles_to_ns(g_gv_clock.tsc_hz * 86400) -
	                86400000000000ll) <= 86400);
	CU_ASSERT_EQUAL(gv_clock_tsc_hz(), g_gv_clock.tsc_hz);
}

static void test_realtime_is_epoch(void)
{
	/* After 2020-01-01 and before 2100-01-01. */
	uint64_t t = gv_clock_realtime_ns();

	CU_ASSERT(t > 1577836800ull * 1000000000ull);
	CU_ASSERT(t < 4102444800ull * 1000000000ull);
}

static const struct gv_test tests[] = {
	GV_TEST(test_init_idempotent),
	GV_TEST(test_monotonic_tight_loop),
	GV_TEST(test_cycles_monotonic),
	GV_TEST(test_tracks_monotonic_raw),
	GV_TEST(test_cycles_to_ns_scales),
	GV_TEST(test_realtime_is_epoch),
};

int main(void)
{
	return gv_test_main("clock", tests, GV_ARRAY_SIZE(tests), setup, NULL);
}
