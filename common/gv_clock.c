/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TSC calibration: take (TSC, CLOCK_MONOTONIC_RAW) pairs at the start and
 * end of a short sleep; each pair is the one with the tightest bracket of
 * a few tries, so a preemption between the two reads does not skew it.
 * 20 ms gives a rate within a few ppm on the machines we run on.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "gv_clock.h"
#include "gv_errno.h"

struct gv_clock g_gv_clock;

#define NS_PER_S 1000000000ull

static uint64_t mono_raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t gv_clock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static bool tsc_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	/* CPUID 0x80000007 EDX bit 8: invariant TSC. */
	if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000007u &&
	    __get_cpuid(0x80000007u, &a, &b, &c, &d) && (d & (1u << 8)))
		return true;
	/* Hypervisors often hide the bit but tell Linux the TSC is stable. */
	{
		char line[4096];
		bool ok = false;
		FILE *f = fopen("/proc/cpuinfo", "r");

		if (f == NULL)
			return false;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "flags", 5) == 0) {
				ok = strstr(line, " constant_tsc") != NULL &&
				     strstr(line, " nonstop_tsc") != NULL;
				break;
			}
		}
		fclose(f);
		return ok;
	}
#else
	return false;
#endif
}

/* One (tsc, ns) pair read as close together as possible. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	int i;

	*tsc = 0;
	*ns = 0;
	for (i = 0; i < 5; i++) {
		uint64_t t0 = gv_clock_cycles();
		uint64_t n = mono_raw_ns();
		uint64_t t1 = gv_clock_cycles();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = n;
		}
	}
}

/* Measure the TSC rate over `calib_ms`; 0 if it looks wrong. */
static uint64_t calibrate(unsigned calib_ms, uint64_t *tsc_end, uint64_t *ns_end)
{
	uint64_t tsc_a, ns_a, hz;
	struct timespec nap;

	sample(&tsc_a, &ns_a);
	nap.tv_sec = calib_ms / 1000;
	nap.tv_nsec = (long)(calib_ms % 1000) * 1000000L;
	while (nanosleep(&nap, &nap) != 0)
		;
	sample(tsc_end, ns_end);
	if (*tsc_end <= tsc_a || *ns_end <= ns_a)
		return 0;
	hz = (uint64_t)(((gv_u128)(*tsc_end - tsc_a) * NS_PER_S) /
	                (*ns_end - ns_a));
	return hz < 100000000ull ? 0 : hz; /* under 100 MHz is no TSC */
}

int gv_clock_init(unsigned calib_ms)
{
	uint64_t tsc = 0, ns = 0, hz = 0;

	if (g_gv_clock.initialized)
		return g_gv_clock.use_tsc ? 0 : -GV_ENOTSC;
	if (calib_ms == 0)
		calib_ms = 20;
#if defined(__x86_64__) || defined(__i386__)
	hz = calibrate(calib_ms, &tsc, &ns);
#endif
	if (hz != 0) {
		g_gv_clock.tsc_hz = hz;
		g_gv_clock.mult =
		        (uint64_t)(((gv_u128)NS_PER_S << GV_CLOCK_SHIFT) / hz);
		g_gv_clock.tsc0 = tsc;
		g_gv_clock.ns0 = ns;
		g_gv_clock.use_tsc = tsc_invariant();
	}
	g_gv_clock.initialized = true;
	return g_gv_clock.use_tsc ? 0 : -GV_ENOTSC;
}
