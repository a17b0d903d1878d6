/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_clock.h - monotonic nanosecond clock from the TSC.
 *
 * gv_clock_init() checks that the CPU has an invariant TSC (constant rate,
 * runs in every C-state) and calibrates its rate against CLOCK_MONOTONIC_RAW.
 * After that gv_clock_ns() is a rdtsc plus a 128-bit multiply and shift: no
 * system call. Without an invariant TSC (or off x86) it falls back to
 * clock_gettime(CLOCK_MONOTONIC_RAW), which is slower but still correct.
 *
 * The book never reads a clock (it is a deterministic state machine);
 * timestamps reach it with the sequenced input. This header is for the
 * dataplane, benchmarks and the control plane.
 */
#ifndef GV_CLOCK_H
#define GV_CLOCK_H

#include <time.h>

#include "gv_common.h"

__extension__ typedef unsigned __int128 gv_u128;

struct gv_clock {
	uint64_t tsc_hz;   /* calibrated TSC rate; 0 until init */
	uint64_t mult;     /* ns = (cycles * mult) >> GV_CLOCK_SHIFT */
	uint64_t tsc0;     /* TSC at calibration ... */
	uint64_t ns0;      /* ... and CLOCK_MONOTONIC_RAW then */
	bool use_tsc;      /* gv_clock_ns reads the TSC */
	bool initialized;
};

#define GV_CLOCK_SHIFT 32

extern struct gv_clock g_gv_clock;

/*
 * Calibrate the clock; `calib_ms` is how long to measure (0 = 20 ms).
 * Idempotent and not thread-safe: call it once at start, before the
 * dataplane threads run.
 * Returns 0, or -GV_ENOTSC when the TSC is unusable (the clock then works
 * through clock_gettime and gv_clock_ns still returns correct values).
 */
int gv_clock_init(unsigned calib_ms);

/* Calibrated TSC rate in Hz, or 0 when the fallback is in use. */
static inline uint64_t gv_clock_tsc_hz(void)
{
	return g_gv_clock.use_tsc ? g_gv_clock.tsc_hz : 0;
}

/* Raw cycle counter: cheapest stamp for intervals on one core. */
static inline uint64_t gv_clock_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * Convert a cycle interval to ns. Exact for intervals on one core; works
 * whenever the TSC was calibrated, even if it is not invariant.
 */
static inline uint64_t gv_clock_cycles_to_ns(uint64_t cycles)
{
	if (g_gv_clock.mult == 0) /* not x86: cycles are already ns */
		return cycles;
	return (uint64_t)(((gv_u128)cycles * g_gv_clock.mult) >> GV_CLOCK_SHIFT);
}

/* Nanoseconds on a monotonic timeline (that of CLOCK_MONOTONIC_RAW). */
static inline uint64_t gv_clock_ns(void)
{
	struct timespec ts;

	if (gv_likely(g_gv_clock.use_tsc))
		return g_gv_clock.ns0 +
		       gv_clock_cycles_to_ns(gv_clock_cycles() - g_gv_clock.tsc0);
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall clock, ns since the Unix epoch (control plane, logon checks). */
uint64_t gv_clock_realtime_ns(void);

#endif /* GV_CLOCK_H */
