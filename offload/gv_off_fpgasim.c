/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_off_fpgasim.c - "fpga-sim": the matching core's RTL (hw/) under
 * Verilator, driven by the same register-level driver (gv_off_drv.c) as a
 * real card; only the bus differs: the shim's read32/write32 advance the
 * simulated clock instead of crossing PCIe.
 *
 * The model is verilated at one DEPTH (gv_hw_sim_depth(), 64); any
 * configured depth up to it is set through the DEPTH_LIMIT register, so
 * the mirror rules hold for that depth exactly as in "sw".
 */
#include <errno.h>
#include <stdio.h>

#include "gv_hw_sim.h"
#include "gv_off_drv.h"

struct fpgasim_ctx {
	struct gv_hw_sim *sim;
	struct gv_off_drv drv;
};

static int fpgasim_probe(const struct gv_offload_params *p, char *why,
                         size_t n)
{
	if (p->depth < 1 || p->depth > gv_hw_sim_depth()) {
		snprintf(why, n, "fpga-sim: depth %u, the simulated core holds "
		         "1..%u levels per side", p->depth, gv_hw_sim_depth());
		return -ENODEV;
	}
	return 0;
}

static size_t fpgasim_ctx_size(const struct gv_offload_params *p)
{
	(void)p;
	return sizeof(struct fpgasim_ctx);
}

static int fpgasim_init(void *ctx, const struct gv_offload_params *p)
{
	struct fpgasim_ctx *f = ctx;
	struct gv_off_bus bus;
	char why[128];
	int rc;

	f->sim = gv_hw_sim_create();
	if (f->sim == NULL)
		return -ENOMEM;
	bus.read32 = gv_hw_sim_read32;
	bus.write32 = gv_hw_sim_write32;
	bus.arg = f->sim;
	rc = gv_off_drv_init(&f->drv, &bus, p->depth, why, sizeof(why));
	if (rc < 0)
		goto out_free_sim;
	GV_VERIFY(f->drv.depth_hw == gv_hw_sim_depth());
	return 0;

out_free_sim:
	gv_hw_sim_free(f->sim);
	f->sim = NULL;
	return rc;
}

static void fpgasim_fini(void *ctx)
{
	struct fpgasim_ctx *f = ctx;

	gv_hw_sim_free(f->sim);
	f->sim = NULL;
}

static int fpgasim_submit_burst(void *ctx, const struct gv_off_cmd *c,
                                uint32_t n)
{
	struct fpgasim_ctx *f = ctx;

	GV_ASSERT(f->sim != NULL);
	return gv_off_drv_submit_burst(&f->drv, c, n);
}

static int fpgasim_poll_burst(void *ctx, struct gv_off_ev *ev, uint32_t n)
{
	struct fpgasim_ctx *f = ctx;

	GV_ASSERT(f->sim != NULL);
	return gv_off_drv_poll_burst(&f->drv, ev, n);
}

static const struct gv_offload_ops fpgasim_ops = {
	.abi = GV_OFFLOAD_ABI,
	.name = "fpga-sim",
	.prio = 50,
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS | GV_OFF_CAP_HW,
	.probe = fpgasim_probe,
	.ctx_size = fpgasim_ctx_size,
	.init = fpgasim_init,
	.fini = fpgasim_fini,
	.submit_burst = fpgasim_submit_burst,
	.poll_burst = fpgasim_poll_burst,
};

GV_OFFLOAD_REGISTER(fpgasim_ops)
