/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_off_fault.c - "fault": fault injection around another backend (SQLite
 * test_vfs.c style). Prio -1: "auto" never picks it; tests name it.
 *
 * It wraps an instance of params->inner (default "sw") and forwards every
 * op. Submit and poll calls are counted together, 1-based; the
 * params->fail_at-th call returns -EIO without reaching the inner backend,
 * and so does every later call if params->fail_forever. fail_at = 0 never
 * fails. A failed call has no effect: what the host does next (re-seed a
 * fresh "sw" from its own levels and replay) is its business.
 *
 * Tests read the counters through struct fault_ctx by including this file
 * with GV_OFF_FAULT_NO_REGISTER defined.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gv_errno.h"
#include "gv_offload.h"

struct fault_ctx {
	struct gv_offload *inner;
	uint64_t fail_at;
	bool fail_forever;
	uint64_t calls;              /* submit + poll calls made to us */
	uint64_t submits, polls;
	uint64_t failures;           /* calls answered with -EIO */
};

static const char *inner_name(const struct gv_offload_params *p)
{
	return p->inner != NULL ? p->inner : "sw";
}

static int fault_probe(const struct gv_offload_params *p, char *why,
                       size_t n)
{
	const char *name = inner_name(p);
	const struct gv_offload_ops *ops = NULL;
	uint32_t i;

	if (strcmp(name, "fault") == 0) {
		snprintf(why, n, "fault: cannot wrap itself");
		return -EINVAL;
	}
	if (strcmp(name, "auto") == 0)
		return 0;
	for (i = 0; i < gv_offload_count() && ops == NULL; i++)
		if (strcmp(gv_offload_at(i)->name, name) == 0)
			ops = gv_offload_at(i);
	if (ops == NULL) {
		snprintf(why, n, "fault: no inner backend \"%s\"", name);
		return -ENOENT;
	}
	return ops->probe != NULL ? ops->probe(p, why, n) : 0;
}

static size_t fault_ctx_size(const struct gv_offload_params *p)
{
	(void)p;
	return sizeof(struct fault_ctx);
}

static int fault_init(void *ctx, const struct gv_offload_params *p)
{
	struct fault_ctx *f = ctx;
	struct gv_offload_params ip = *p;

	ip.inner = NULL;
	ip.fail_at = 0;
	ip.fail_forever = false;
	f->inner = gv_offload_create(inner_name(p), &ip, NULL, 0);
	if (f->inner == NULL)
		return -gv_errno;
	GV_VERIFY(f->inner->ops != NULL && f->inner->ctx != NULL);
	f->fail_at = p->fail_at;
	f->fail_forever = p->fail_forever;
	GV_ASSERT(f->calls == 0 && f->failures == 0);
	return 0;
}

static void fault_fini(void *ctx)
{
	struct fault_ctx *f = ctx;

	gv_offload_free(f->inner);
	f->inner = NULL;
}

/* Count a call; true if this one is to fail. */
static bool fault_now(struct fault_ctx *f)
{
	bool fail;

	f->calls++;
	fail = f->fail_at != 0 &&
	       (f->calls == f->fail_at ||
	        (f->fail_forever && f->calls > f->fail_at));
	f->failures += fail;
	GV_ASSERT(f->failures <= f->calls);
	return fail;
}

static int fault_submit_burst(void *ctx, const struct gv_off_cmd *c,
                              uint32_t n)
{
	struct fault_ctx *f = ctx;

	f->submits++;
	if (fault_now(f))
		return -EIO;
	GV_ASSERT(f->inner != NULL);
	if (f->inner->ops->submit_burst == NULL)
		return -ENOTSUP;
	return f->inner->ops->submit_burst(f->inner->ctx, c, n);
}

static int fault_poll_burst(void *ctx, struct gv_off_ev *ev, uint32_t n)
{
	struct fault_ctx *f = ctx;

	f->polls++;
	if (fault_now(f))
		return -EIO;
	GV_ASSERT(f->inner != NULL);
	if (f->inner->ops->poll_burst == NULL)
		return -ENOTSUP;
	return f->inner->ops->poll_burst(f->inner->ctx, ev, n);
}

static const struct gv_offload_ops fault_ops = {
	.abi = GV_OFFLOAD_ABI,
	.name = "fault",
	.prio = -1,
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS,
	.probe = fault_probe,
	.ctx_size = fault_ctx_size,
	.init = fault_init,
	.fini = fault_fini,
	.submit_burst = fault_submit_burst,
	.poll_burst = fault_poll_burst,
};

#ifndef GV_OFF_FAULT_NO_REGISTER
GV_OFFLOAD_REGISTER(fault_ops)
#endif
