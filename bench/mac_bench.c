/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mac_bench.c - the GOE/1 MAC (SipHash-2-4) per datagram, by
 * implementation and burst size (docs/benchmarks.md).
 *
 * usage: mac_bench [--runs K]
 *
 * For each implementation this CPU runs (avx512, avx2, scalar = libsodium)
 * and each burst size n in 1 2 4 8 16 32, and two datagram lengths (96
 * bytes: one order and its header; 800 bytes: 16 orders), gv_mac_burst is
 * called on n datagrams with different keys until about 0.2 s have
 * passed; the figure is ns per datagram, the median of K runs (default 5).
 * A checksum of every MAC is printed so that the work cannot be skipped,
 * and every implementation must give the same one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_clock.h"
#include "gv_mac.h"

#define NMAX 32

static uint8_t g_buf[NMAX][GV_DGRAM_MAX];
static uint8_t g_key[NMAX][GV_KEY_LEN];

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ns per datagram over about 0.2 s of bursts of n; *sum folds the MACs. */
static double one_run(uint32_t n, uint32_t len, uint64_t *sum)
{
	struct gv_mac_job job[NMAX];
	uint64_t mac[NMAX], t0, t1, iters = 0, target;

	for (uint32_t i = 0; i < n; i++)
		job[i] = (struct gv_mac_job){ g_buf[i], len, g_key[i] };
	target = gv_clock_ns() + 200 * 1000 * 1000;
	t0 = gv_clock_ns();
	do {
		for (int r = 0; r < 64; r++) {
			gv_mac_burst(job, n, mac);
			g_buf[0][40] ^= (uint8_t)mac[0]; /* a dependency */
			for (uint32_t i = 0; i < n; i++)
				*sum += mac[i];
		}
		iters += 64;
		t1 = gv_clock_ns();
	} while (t1 < target);
	return (double)(t1 - t0) / (double)(iters * n);
}

int main(int argc, char **argv)
{
	static const uint32_t ns[] = { 1, 2, 4, 8, 16, 32 };
	static const uint32_t lens[] = { 96, 800 };
	uint64_t check[GV_MAC_IMPL_MAX] = { 0 };
	int runs = 5, bad = 0;
	bool first = true;
	uint64_t want = 0;

	if (argc == 3 && strcmp(argv[1], "--runs") == 0)
		runs = atoi(argv[2]);
	if (runs < 1 || runs > 99 || (argc != 1 && argc != 3)) {
		fprintf(stderr, "usage: mac_bench [--runs K]\n");
		return 2;
	}
	if (gv_clock_init(50) != 0)
		fprintf(stderr, "mac_bench: no invariant TSC, timing by clock_gettime\n");
	for (uint32_t i = 0; i < NMAX; i++)
		for (uint32_t j = 0; j < GV_DGRAM_MAX; j++)
			g_buf[i][j] = (uint8_t)(i * 131 + j * 7 + 1);
	for (uint32_t i = 0; i < NMAX; i++)
		for (uint32_t j = 0; j < GV_KEY_LEN; j++)
			g_key[i][j] = (uint8_t)(i + j * 17);
	printf("ns per datagram, median of %d runs\n", runs);
	printf("%-8s %5s", "impl", "len");
	for (size_t k = 0; k < GV_ARRAY_SIZE(ns); k++)
		printf("  n=%-5u", ns[k]);
	printf("\n");
	for (enum gv_mac_impl im = 0; im < GV_MAC_IMPL_MAX; im++) {
		uint8_t save[NMAX][GV_DGRAM_MAX];

		if (gv_mac_set_impl(im) != 0)
			continue;
		memcpy(save, g_buf, sizeof(save));
		for (size_t l = 0; l < GV_ARRAY_SIZE(lens); l++) {
			printf("%-8s %5u", gv_mac_impl_name(im), lens[l]);
			for (size_t k = 0; k < GV_ARRAY_SIZE(ns); k++) {
				double t[99];

				for (int r = 0; r < runs; r++)
					t[r] = one_run(ns[k], lens[l], &check[im]);
				qsort(t, (size_t)runs, sizeof(t[0]), cmp_dbl);
				printf("  %7.1f", t[runs / 2]);
				fflush(stdout);
			}
			printf("\n");
		}
		memcpy(g_buf, save, sizeof(save));
		/* the same inputs through one call each: a fixed checksum */
		check[im] = 0;
		for (uint32_t i = 0; i < NMAX; i++) {
			struct gv_mac_job j = { g_buf[i], 32 + i * 41, g_key[i] };
			uint64_t m;

			gv_mac_burst(&j, 1, &m);
			check[im] = check[im] * 31 + m;
		}
		{
			struct gv_mac_job j[NMAX];
			uint64_t m[NMAX], c = 0;

			for (uint32_t i = 0; i < NMAX; i++)
				j[i] = (struct gv_mac_job){ g_buf[i], 32 + i * 41,
				                            g_key[i] };
			gv_mac_burst(j, NMAX, m);
			for (uint32_t i = 0; i < NMAX; i++)
				c = c * 31 + m[i];
			if (c != check[im])
				bad = 1;
		}
		if (first)
			want = check[im];
		else if (check[im] != want)
			bad = 1;
		first = false;
	}
	printf("result: check=%016llx %s\n", (unsigned long long)want,
	       bad ? "MISMATCH" : "ok");
	return bad;
}
