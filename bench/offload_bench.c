/* SPDX-License-Identifier: Apache-2.0 */
/*
 * offload_bench - ns per MATCH through gv_offload_match for a buy that
 * crosses 1, 4 and 16 ask levels of a 64-deep mirror, per backend ("sw",
 * and "fpga-sim" when built: that one measures the simulation's speed, the
 * hardware's own latency is in cycles in docs/offload.md).
 *
 *   offload_bench [ITERATIONS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "gv_clock.h"
#include "gv_offload.h"

static int seed(struct gv_offload *o)
{
	struct gv_off_cmd c[64];
	struct gv_off_ev ev[8];
	uint32_t i;

	for (i = 0; i < 64; i++)
		c[i] = (struct gv_off_cmd){ .type = GV_OFF_CMD_SET, .side = 2,
		                            .price = 1000 + i, .qty = 10 };
	for (i = 0; i < 64;) {
		int n = o->ops->submit_burst(o->ctx, c + i, 64 - i);

		if (n < 0)
			return n;
		i += (uint32_t)n;
		while (o->ops->poll_burst(o->ctx, ev, 8) > 0)
			;
	}
	return 0;
}

static void run(const char *name, uint64_t iters)
{
	struct gv_offload_params p = { .depth = 64 };
	struct gv_off_ev lv[64];
	static const uint32_t cross[] = { 1, 4, 16 };
	char why[256];
	struct gv_offload *o = gv_offload_create(name, &p, why, sizeof(why));
	uint32_t k, nlv, rem;
	bool beyond;

	if (o == NULL) {
		printf("%-9s not available: %s\n", name, why);
		return;
	}
	if (seed(o) != 0) {
		printf("%-9s seeding failed\n", name);
		gv_offload_free(o);
		return;
	}
	for (k = 0; k < 3; k++) {
		uint64_t t0, i;
		double ns;

		t0 = gv_clock_cycles();
		for (i = 0; i < iters; i++)
			if (gv_offload_match(o, 1, 1000 + cross[k] - 1, 1000000,
			                     lv, 64, &nlv, &rem, &beyond) != 0 ||
			    nlv != cross[k])
				break;
		ns = (double)gv_clock_cycles_to_ns(gv_clock_cycles() - t0) /
		     (double)(i ? i : 1);
		printf("%-9s match crossing %2u levels: %9.1f ns/op (%.0f ops/s, "
		       "%" PRIu64 " ops)\n", name, cross[k], ns, 1e9 / ns, i);
	}
	gv_offload_free(o);
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;

	gv_clock_init(0);
	run("sw", iters);
	run("fpga-sim", iters / 100 ? iters / 100 : 1);
	return 0;
}
