/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_offload.c - the offload framework, the sw reference backend, the
 * fault backend, the conformance suite that every backend must pass, and
 * the host-side failover recipe.
 *
 *   test_offload          registry, sw rules, fault, conformance over the
 *                         non-hardware backends, failover   (suite fast)
 *   test_offload --hw     the same, with the hardware backends (fpga-sim,
 *                         fpga) in the conformance suite     (suite sim);
 *                         exits 77 when none of them probes.
 *
 * Randomised parts print their seed (GV_TEST_SEED reproduces a run).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gv_errno.h"
#include "gv_offload.h"
#include "gv_test.h"

/* For struct fault_ctx (its counters); the library registers "fault". */
#define GV_OFF_FAULT_NO_REGISTER
#include "gv_off_fault.c"

#define BUY 1
#define SELL 2
#define DEFAULT_SEED 0x6761766cull

static bool g_hw;                 /* --hw: include CAP_HW backends */
static uint64_t g_seed;

/* ---- fake backends for the registry tests ------------------------- */

/* "test-nodev": the best priority, but its probe fails (like fpga with no
 * card). "test-mute": takes commands and never answers (or, with device
 * "full", never takes any), to drive the MATCH helper into its bound. */
struct mute_ctx {
	bool full;
};

static int nodev_probe(const struct gv_offload_params *p, char *why,
                       size_t n)
{
	(void)p;
	snprintf(why, n, "test-nodev: no test card present");
	return -ENODEV;
}

static size_t mute_ctx_size(const struct gv_offload_params *p)
{
	(void)p;
	return sizeof(struct mute_ctx);
}

static int mute_init(void *ctx, const struct gv_offload_params *p)
{
	struct mute_ctx *m = ctx;

	m->full = p->device != NULL && strcmp(p->device, "full") == 0;
	return 0;
}

static int mute_submit(void *ctx, const struct gv_off_cmd *c, uint32_t n)
{
	const struct mute_ctx *m = ctx;

	(void)c;
	return m->full ? 0 : (int)n;
}

static int mute_poll(void *ctx, struct gv_off_ev *ev, uint32_t n)
{
	(void)ctx;
	(void)ev;
	(void)n;
	return 0;
}

static const struct gv_offload_ops nodev_ops = {
	.abi = GV_OFFLOAD_ABI, .name = "test-nodev", .prio = 1000,
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS,
	.probe = nodev_probe, .ctx_size = mute_ctx_size, .init = mute_init,
	.submit_burst = mute_submit, .poll_burst = mute_poll,
};

static const struct gv_offload_ops mute_ops = {
	.abi = GV_OFFLOAD_ABI, .name = "test-mute", .prio = -2,
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS,
	.ctx_size = mute_ctx_size, .init = mute_init,
	.submit_burst = mute_submit, .poll_burst = mute_poll,
};

/* A second "sw": must be refused. */
static const struct gv_offload_ops dup_sw_ops = {
	.abi = GV_OFFLOAD_ABI, .name = "sw", .prio = 5,
	.ctx_size = mute_ctx_size, .init = mute_init,
	.submit_burst = mute_submit, .poll_burst = mute_poll,
};

/* ---- helpers ------------------------------------------------------- */

static struct gv_offload_params params(uint32_t depth)
{
	struct gv_offload_params p = { .depth = depth };

	return p;
}

static struct gv_offload *mk(const char *name, uint32_t depth)
{
	struct gv_offload_params p = params(depth);
	char why[256];
	struct gv_offload *o = gv_offload_create(name, &p, why, sizeof(why));

	if (o == NULL)
		fprintf(stderr, "create %s: %s (%s)\n", name,
		        gv_strerror(gv_errno), why);
	CU_ASSERT_FATAL(o != NULL);
	return o;
}

static struct gv_off_cmd cmd(uint8_t type, uint8_t side, uint32_t price,
                             uint32_t qty, uint32_t tag)
{
	struct gv_off_cmd c = {
		.type = type, .side = side, .tag = tag,
		.price = price, .qty = qty,
	};

	return c;
}

/* Submit all of c (synchronous backends take everything there is room
 * for), then drain; returns the number of events. */
static uint32_t exec(struct gv_offload *o, const struct gv_off_cmd *c,
                     uint32_t n, struct gv_off_ev *ev, uint32_t max)
{
	uint32_t done = 0, got = 0, spins;
	int rc = 1;

	for (spins = 0; spins < 100000 && (done < n || rc > 0); spins++) {
		rc = o->ops->submit_burst(o->ctx, c + done, n - done);
		CU_ASSERT_FATAL(rc >= 0);
		done += (uint32_t)rc;
		rc = o->ops->poll_burst(o->ctx, ev + got, max - got);
		CU_ASSERT_FATAL(rc >= 0);
		got += (uint32_t)rc;
		CU_ASSERT_FATAL(got <= max);
	}
	CU_ASSERT_FATAL(done == n);
	return got;
}

static uint32_t exec1(struct gv_offload *o, struct gv_off_cmd c,
                      struct gv_off_ev *ev, uint32_t max)
{
	return exec(o, &c, 1, ev, max);
}

static void set_levels(struct gv_offload *o, uint8_t side,
                       const uint32_t *prices, uint32_t n, uint32_t qty)
{
	struct gv_off_ev ev[4];
	uint32_t i;

	for (i = 0; i < n; i++)
		CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, side, prices[i], qty,
		                       i), ev, 4) == 0);
}

static void check_ev(const struct gv_off_ev *e, uint8_t type, uint32_t tag,
                     uint32_t price, uint32_t qty, uint8_t beyond,
                     int32_t code)
{
	CU_ASSERT_EQUAL(e->type, type);
	CU_ASSERT_EQUAL(e->tag, tag);
	CU_ASSERT_EQUAL(e->price, price);
	CU_ASSERT_EQUAL(e->qty, qty);
	CU_ASSERT_EQUAL(e->beyond, beyond);
	CU_ASSERT_EQUAL(e->code, code);
	CU_ASSERT_EQUAL(e->reserved, 0);
}

/* ---- registry ------------------------------------------------------ */

static const struct gv_offload_ops *lookup(const char *name)
{
	uint32_t i;

	for (i = 0; i < gv_offload_count(); i++)
		if (strcmp(gv_offload_at(i)->name, name) == 0)
			return gv_offload_at(i);
	return NULL;
}

static void test_registry_names(void)
{
	const struct gv_offload_ops *sw = lookup("sw"), *f = lookup("fault");
	uint32_t i, j, n = gv_offload_count();

	CU_ASSERT_FATAL(sw != NULL && f != NULL);
	CU_ASSERT(n <= GV_OFFLOAD_MAX_BACKENDS);
	CU_ASSERT(gv_offload_at(n) == NULL);
	CU_ASSERT_EQUAL(sw->prio, 0);
	CU_ASSERT_EQUAL(sw->caps, GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS);
	CU_ASSERT_EQUAL(f->prio, -1);
	CU_ASSERT_STRING_EQUAL(fault_ops.name, f->name);
	for (i = 0; i < n; i++) {
		const struct gv_offload_ops *a = gv_offload_at(i);

		printf("  backend %-10s prio %5d caps %#x abi %u\n", a->name,
		       a->prio, a->caps, a->abi);
		CU_ASSERT(a->abi >= 1);
		/* sw is the fallback: lowest priority that auto considers */
		if (a->prio >= 0)
			CU_ASSERT(a->prio >= sw->prio);
		if (i > 0)
			CU_ASSERT(gv_offload_at(i - 1)->prio >= a->prio);
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(gv_offload_at(j)->name, a->name) != 0);
	}
}

static void test_registry_auto(void)
{
	struct gv_offload_params p = params(16);
	const struct gv_offload_ops *want = NULL;
	struct gv_offload *o;
	char why[256];
	uint32_t i;

	/* the best that probes and starts */
	for (i = 0; i < gv_offload_count() && want == NULL; i++) {
		const struct gv_offload_ops *a = gv_offload_at(i);

		if (a->prio < 0)
			continue;
		o = gv_offload_create(a->name, &p, why, sizeof(why));
		want = o != NULL ? a : NULL;
		gv_offload_free(o);
	}
	CU_ASSERT_FATAL(want != NULL);
	o = gv_offload_create("auto", &p, why, sizeof(why));
	CU_ASSERT_FATAL(o != NULL);
	printf("  auto -> %s\n", o->ops->name);
	CU_ASSERT(o->ops == want);
	CU_ASSERT(strcmp(o->ops->name, "test-nodev") != 0);
	CU_ASSERT(strcmp(o->ops->name, "fault") != 0);
	CU_ASSERT(((uintptr_t)o->ctx % GV_CACHE_LINE) == 0);
	gv_offload_free(o);
	gv_offload_free(NULL);
}

static void expect_fail(const char *name, struct gv_offload_params p,
                        int err, const char *in_why)
{
	char why[256] = "junk";
	struct gv_offload *o = gv_offload_create(name, &p, why, sizeof(why));

	CU_ASSERT(o == NULL);
	CU_ASSERT_EQUAL(gv_errno, err);
	if (in_why != NULL)
		CU_ASSERT(strstr(why, in_why) != NULL);
	CU_ASSERT(why[0] != '\0');
	printf("  %s: %s: %s\n", name, gv_strerror(gv_errno), why);
	gv_offload_free(o);
}

static void test_registry_errors(void)
{
	struct gv_offload_params p = params(16);

	expect_fail("nope", p, ENOENT, "nope");
	expect_fail("test-nodev", p, ENODEV, "no test card present");
	expect_fail("sw", params(0), EINVAL, "depth");
	expect_fail("sw", params(GV_OFFLOAD_DEPTH_MAX + 1), EINVAL, "depth");
	p.inner = "nope";
	expect_fail("fault", p, ENODEV, "nope");
	p.inner = "fault";
	expect_fail("fault", p, ENODEV, "itself");
	p.inner = "test-nodev";
	expect_fail("fault", p, ENODEV, "no test card present");
	CU_ASSERT(gv_offload_create(NULL, &p, NULL, 0) == NULL);
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
	CU_ASSERT(gv_offload_create("sw", NULL, NULL, 0) == NULL);
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
}

/* A real card's probe must fail cleanly (ENODEV and a reason) without
 * one; with one present, creating it must work. */
static void test_registry_fpga_probe(void)
{
	struct gv_offload_params p = params(16);
	struct gv_offload *o;
	char why[256] = "";

	if (lookup("fpga") == NULL) {
		printf("  no fpga backend built\n");
		return;
	}
	o = gv_offload_create("fpga", &p, why, sizeof(why));
	if (o != NULL) {
		printf("  fpga: a card is present\n");
		gv_offload_free(o);
		return;
	}
	printf("  fpga: %s: %s\n", gv_strerror(gv_errno), why);
	CU_ASSERT(gv_errno == ENODEV || gv_errno == ENOENT);
	CU_ASSERT(why[0] != '\0');
}

static void test_registry_duplicate(void)
{
	uint32_t n = gv_offload_count();
	struct gv_offload *o;

	gv_offload_register(&dup_sw_ops);
	CU_ASSERT_EQUAL(gv_offload_count(), n);
	CU_ASSERT(lookup("sw") != &dup_sw_ops);
	o = mk("sw", 4);
	CU_ASSERT(o->ops != &dup_sw_ops);
	gv_offload_free(o);
}

/* Filling the table past GV_OFFLOAD_MAX_BACKENDS is a bug: it aborts. */
static void test_registry_overflow(void)
{
	static struct gv_offload_ops fake[GV_OFFLOAD_MAX_BACKENDS + 1];
	static char names[GV_OFFLOAD_MAX_BACKENDS + 1][16];
	int status = 0;
	pid_t pid;
	uint32_t i;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		/* gv_panic's report is expected: keep the log clean */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		for (i = 0; i <= GV_OFFLOAD_MAX_BACKENDS; i++) {
			snprintf(names[i], sizeof(names[i]), "test-x%u", i);
			fake[i] = mute_ops;
			fake[i].name = names[i];
			gv_offload_register(&fake[i]);
		}
		_exit(0);   /* not reached */
	}
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- sw: one test per mirror rule ---------------------------------- */

static void test_sw_match_walks_best_first(void)
{
	struct gv_offload *o = mk("sw", 16);
	uint32_t asks[] = { 103, 101, 102 }, bids[] = { 99, 100, 97 };
	struct gv_off_ev ev[32];
	uint32_t n, k;

	set_levels(o, SELL, asks, 3, 5);
	set_levels(o, BUY, bids, 3, 4);
	for (k = 0; k < 2; k++) {   /* MATCH does not change the mirror */
		n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 102, 12, 77), ev, 32);
		CU_ASSERT_FATAL(n == 3);
		check_ev(&ev[0], GV_OFF_EV_LEVEL, 77, 101, 5, 0, 0);
		check_ev(&ev[1], GV_OFF_EV_LEVEL, 77, 102, 5, 0, 0);
		check_ev(&ev[2], GV_OFF_EV_DONE, 77, 0, 2, 0, 0);
	}
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 98, 6, 0xdeadbeef), ev, 32);
	CU_ASSERT_FATAL(n == 3);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 0xdeadbeef, 100, 4, 0, 0);
	check_ev(&ev[1], GV_OFF_EV_LEVEL, 0xdeadbeef, 99, 2, 0, 0);
	check_ev(&ev[2], GV_OFF_EV_DONE, 0xdeadbeef, 0, 0, 0, 0);
	/* nothing crosses; quantity 0 walks nothing */
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 100, 5, 1), ev, 32);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 1, 0, 5, 0, 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 200, 0, 2), ev, 32);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 2, 0, 0, 0, 0);
	/* every level crossed, remainder, but not truncated: beyond = 0 */
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 100, 3), ev, 32);
	CU_ASSERT_FATAL(n == 4);
	check_ev(&ev[3], GV_OFF_EV_DONE, 3, 0, 88, 0, 0);
	gv_offload_free(o);
}

static void test_sw_truncate_worse(void)
{
	struct gv_offload *o = mk("sw", 3);
	uint32_t asks[] = { 101, 102, 103 };
	struct gv_off_ev ev[8];
	uint32_t n;

	set_levels(o, SELL, asks, 3, 1);
	/* full side, worse price, qty 0: nothing happens, not truncated */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 104, 0, 9), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 1000, 10, 5), ev, 8);
	CU_ASSERT_FATAL(n == 4);
	check_ev(&ev[3], GV_OFF_EV_DONE, 5, 0, 7, 0, 0);
	/* full side, worse price: not held, truncated */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 104, 9, 9), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 1000, 10, 6), ev, 8);
	CU_ASSERT_FATAL(n == 4);
	check_ev(&ev[2], GV_OFF_EV_LEVEL, 6, 103, 1, 0, 0);
	check_ev(&ev[3], GV_OFF_EV_DONE, 6, 0, 7, 1, 0);
	/* not every held level crossed: beyond = 0 */
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 102, 10, 7), ev, 8);
	CU_ASSERT_FATAL(n == 3);
	check_ev(&ev[2], GV_OFF_EV_DONE, 7, 0, 8, 0, 0);
	/* everything crossed but nothing remains: beyond = 0 */
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 1000, 3, 8), ev, 8);
	CU_ASSERT_FATAL(n == 4);
	check_ev(&ev[3], GV_OFF_EV_DONE, 8, 0, 0, 0, 0);
	/* the other side is not truncated */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 90, 1, 9), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 5, 9), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[1], GV_OFF_EV_DONE, 9, 0, 4, 0, 0);
	gv_offload_free(o);
}

static void test_sw_truncate_evict(void)
{
	struct gv_offload *o = mk("sw", 3);
	uint32_t bids[] = { 100, 99, 98 };
	struct gv_off_ev ev[8];
	uint32_t n;

	set_levels(o, BUY, bids, 3, 2);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 101, 1, 1), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 100, 2), ev, 8);
	CU_ASSERT_FATAL(n == 4);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 2, 101, 1, 0, 0);
	check_ev(&ev[1], GV_OFF_EV_LEVEL, 2, 100, 2, 0, 0);
	check_ev(&ev[2], GV_OFF_EV_LEVEL, 2, 99, 2, 0, 0);
	check_ev(&ev[3], GV_OFF_EV_DONE, 2, 0, 95, 1, 0);
	/* a truncated side that empties stays truncated */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 101, 0, 3), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_REDUCE, BUY, 100, 2, 3), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 99, 0, 3), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 5, 4), ev, 8);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 4, 0, 5, 1, 0);
	/* CLEAR empties both sides and the truncated flags */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 120, 3, 5), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_CLEAR, 0, 0, 0, 5), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 5, 6), ev, 8);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 6, 0, 5, 0, 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 1000, 5, 7), ev, 8);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 7, 0, 5, 0, 0);
	gv_offload_free(o);
}

/*
 * The hole the old rules left (docs/offload.md): depth 16, 20 ask levels
 * on the host (101..120). The mirror holds 101..116, truncated. The best
 * goes: 15 held, not full. The host's 21st price (121) must not be held,
 * or a MATCH would report 102..116 then 121, skipping 117..120.
 */
static void test_sw_truncated_hole(void)
{
	struct gv_offload *o = mk("sw", 16);
	uint32_t asks[20], k, n;
	struct gv_off_ev ev[32];

	for (k = 0; k < 20; k++)
		asks[k] = 101 + k;
	set_levels(o, SELL, asks, 20, 3);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 101, 3, 1), ev,
	                32) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 121, 3, 2), ev, 32) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 125, 3, 3), ev, 32) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, UINT32_MAX, 100, 4), ev, 32);
	CU_ASSERT_FATAL(n == 16);
	for (k = 0; k < 15; k++)
		check_ev(&ev[k], GV_OFF_EV_LEVEL, 4, 102 + k, 3, 0, 0);
	check_ev(&ev[15], GV_OFF_EV_DONE, 4, 0, 55, 1, 0);
	/* not held: REDUCE is an error */
	n = exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 121, 1, 5), ev, 32);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 5, 0, 0, 0, -EINVAL);
	/* better than the worst held, side not full: inserted (16 held) */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 110, 0, 6), ev, 32) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 100, 2, 7), ev, 32) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 110, 4, 8), ev, 32) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 1000, 100, 9), ev, 32);
	CU_ASSERT_FATAL(n == 17);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 9, 100, 2, 0, 0);
	check_ev(&ev[8], GV_OFF_EV_LEVEL, 9, 109, 3, 0, 0);
	check_ev(&ev[9], GV_OFF_EV_LEVEL, 9, 110, 4, 0, 0);
	check_ev(&ev[15], GV_OFF_EV_LEVEL, 9, 116, 3, 0, 0);
	check_ev(&ev[16], GV_OFF_EV_DONE, 9, 0, 100 - 2 - 4 - 14 * 3, 1, 0);
	/* full again: a better price evicts the worst (116) */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 99, 1, 10), ev, 32) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 116, 1, 11), ev, 32);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 11, 0, 0, 0, -EINVAL);
	gv_offload_free(o);
}

/* A truncated side with no level held takes no new price until CLEAR. */
static void test_sw_truncated_empty(void)
{
	struct gv_offload *o = mk("sw", 1);
	uint32_t asks[] = { 200, 201 };
	struct gv_off_ev ev[8];
	uint32_t n;

	set_levels(o, SELL, asks, 2, 1);        /* 201: truncates */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 200, 1, 1), ev,
	                8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 150, 4, 2), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 250, 4, 3), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, UINT32_MAX, 9, 4), ev, 8);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 4, 0, 9, 1, 0);
	/* the bid side was never truncated: it takes a new price */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 90, 2, 5), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 9, 6), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 6, 90, 2, 0, 0);
	check_ev(&ev[1], GV_OFF_EV_DONE, 6, 0, 7, 0, 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_CLEAR, 0, 0, 0, 7), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 250, 4, 8), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, UINT32_MAX, 9, 9), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 9, 250, 4, 0, 0);
	check_ev(&ev[1], GV_OFF_EV_DONE, 9, 0, 5, 0, 0);
	gv_offload_free(o);
}

static void test_sw_add_set_reduce(void)
{
	struct gv_offload *o = mk("sw", 4);
	struct gv_off_ev ev[8];
	uint32_t n;

	/* ADD to a price not held inserts it; ADD to a held one sums */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 50, 3, 1), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 50, 4, 1), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, SELL, 51, 0, 1), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 60, 100, 2), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 2, 50, 7, 0, 0);
	/* SET replaces; REDUCE subtracts; REDUCE to 0 removes */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 50, 10, 3), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 50, 4, 3), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 50, 0, 3), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 60, 100, 4), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 4, 50, 6, 0, 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_REDUCE, SELL, 50, 6, 5), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, BUY, 60, 100, 6), ev, 8);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 6, 0, 100, 0, 0);
	/* SET 0 removes; SET 0 of a price not held is no error */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 40, 5, 7), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 40, 0, 7), ev, 8) == 0);
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 41, 0, 7), ev, 8) == 0);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 1, 8), ev, 8);
	CU_ASSERT_FATAL(n == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 8, 0, 1, 0, 0);
	gv_offload_free(o);
}

static void test_sw_errors(void)
{
	struct gv_offload *o = mk("sw", 4);
	struct gv_off_ev ev[8];
	uint32_t n;

	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, BUY, 10, 5, 1), ev, 8) == 0);
	/* REDUCE of a price not held, REDUCE below zero: -EINVAL */
	CU_ASSERT_FATAL(exec1(o, cmd(GV_OFF_CMD_REDUCE, BUY, 11, 1, 21),
	                      ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 21, 0, 0, 0, -EINVAL);
	CU_ASSERT_FATAL(exec1(o, cmd(GV_OFF_CMD_REDUCE, BUY, 10, 6, 22),
	                      ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 22, 0, 0, 0, -EINVAL);
	/* ADD overflow: -ERANGE, level unchanged; up to UINT32_MAX is fine */
	CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_ADD, BUY, 10, UINT32_MAX - 6, 23),
	                ev, 8) == 0);
	CU_ASSERT_FATAL(exec1(o, cmd(GV_OFF_CMD_ADD, BUY, 10, 2, 24),
	                      ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 24, 0, 0, 0, -ERANGE);
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, UINT32_MAX, 25), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 25, 10, UINT32_MAX - 1, 0, 0);
	check_ev(&ev[1], GV_OFF_EV_DONE, 25, 0, 1, 0, 0);
	/* bad side, bad type: -EINVAL (and a bad MATCH has no DONE) */
	CU_ASSERT_FATAL(exec1(o, cmd(GV_OFF_CMD_SET, 0, 1, 1, 26), ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 26, 0, 0, 0, -EINVAL);
	CU_ASSERT_FATAL(exec1(o, cmd(GV_OFF_CMD_MATCH, 3, 1, 1, 27),
	                      ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 27, 0, 0, 0, -EINVAL);
	CU_ASSERT_FATAL(exec1(o, cmd(0, BUY, 1, 1, 28), ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 28, 0, 0, 0, -EINVAL);
	CU_ASSERT_FATAL(exec1(o, cmd(99, BUY, 1, 1, 29), ev, 8) == 1);
	check_ev(&ev[0], GV_OFF_EV_ERROR, 29, 0, 0, 0, -EINVAL);
	/* errors changed nothing */
	n = exec1(o, cmd(GV_OFF_CMD_MATCH, SELL, 0, 1, 30), ev, 8);
	CU_ASSERT_FATAL(n == 2);
	check_ev(&ev[0], GV_OFF_EV_LEVEL, 30, 10, 1, 0, 0);
	gv_offload_free(o);
}

/* The result ring is bounded: submit takes only what it has room for. */
static void test_sw_ring_bound(void)
{
	static struct gv_off_cmd c[200];
	static struct gv_off_ev ev[200 * (GV_OFFLOAD_DEPTH_MAX + 1)];
	struct gv_offload *o = mk("sw", GV_OFFLOAD_DEPTH_MAX);
	struct gv_off_cmd set;
	uint32_t i, n;
	int taken, rc;

	for (i = 0; i < GV_OFFLOAD_DEPTH_MAX; i++)
		CU_ASSERT(exec1(o, cmd(GV_OFF_CMD_SET, SELL, 1000 + i, 1, i),
		                ev, 1) == 0);
	for (i = 0; i < 200; i++)
		c[i] = cmd(GV_OFF_CMD_MATCH, BUY, UINT32_MAX, UINT32_MAX, i);
	taken = o->ops->submit_burst(o->ctx, c, 200);
	printf("  took %d of 200 full-depth MATCHes\n", taken);
	CU_ASSERT(taken > 0 && taken < 200);
	/* full: nothing more goes in, not even a SET */
	set = cmd(GV_OFF_CMD_SET, BUY, 1, 1, 0);
	while ((rc = o->ops->submit_burst(o->ctx, c + taken, 1)) == 1)
		taken++;
	CU_ASSERT(rc == 0);
	rc = o->ops->poll_burst(o->ctx, ev, 1);
	CU_ASSERT(rc == 1);
	CU_ASSERT(o->ops->submit_burst(o->ctx, &set, 1) == 1);
	n = exec(o, c + taken, 200 - (uint32_t)taken, ev + 1,
	         GV_ARRAY_SIZE(ev) - 1) + 1;
	CU_ASSERT_EQUAL(n, 200 * (GV_OFFLOAD_DEPTH_MAX + 1));
	for (i = 0; i < 200; i++) {
		const struct gv_off_ev *d = &ev[(i + 1) * 257 - 1];

		CU_ASSERT(d->type == GV_OFF_EV_DONE && d->tag == i);
		CU_ASSERT(d->qty == UINT32_MAX - GV_OFFLOAD_DEPTH_MAX);
	}
	gv_offload_free(o);
}

/* ---- the MATCH helper ---------------------------------------------- */

static void test_match_helper(void)
{
	struct gv_offload *o = mk("sw", 8);
	uint32_t asks[] = { 10, 11, 12 }, nlv = 99, rem = 99;
	struct gv_off_ev lv[4], ev[4];
	bool beyond = true;

	set_levels(o, SELL, asks, 3, 2);
	CU_ASSERT(gv_offload_match(o, BUY, 11, 5, lv, 4, &nlv, &rem,
	                           &beyond) == 0);
	CU_ASSERT(nlv == 2 && rem == 1 && !beyond);
	CU_ASSERT(lv[0].price == 10 && lv[0].qty == 2);
	CU_ASSERT(lv[1].price == 11 && lv[1].qty == 2);
	CU_ASSERT(o->submitted == 1 && o->polled == 3 && o->errors == 0);
	/* too many levels: -ENOSPC, and the queue is left clean */
	CU_ASSERT(gv_offload_match(o, BUY, 99, 99, lv, 1, &nlv, &rem,
	                           &beyond) == -ENOSPC);
	CU_ASSERT(nlv == 1);
	CU_ASSERT(o->ops->poll_burst(o->ctx, ev, 4) == 0);
	/* an ERROR (ours or an earlier command's) comes back as -errno */
	CU_ASSERT(gv_offload_match(o, 7, 99, 99, lv, 4, &nlv, &rem,
	                           &beyond) == -EINVAL);
	CU_ASSERT(o->errors == 1);
	{
		struct gv_off_cmd bad = cmd(GV_OFF_CMD_REDUCE, SELL, 13, 1, 5);

		CU_ASSERT(o->ops->submit_burst(o->ctx, &bad, 1) == 1);
	}
	CU_ASSERT(gv_offload_match(o, BUY, 99, 1, lv, 4, &nlv, &rem,
	                           &beyond) == -EINVAL);
	CU_ASSERT(o->errors == 2);
	CU_ASSERT(o->ops->poll_burst(o->ctx, ev, 4) == 0);
	CU_ASSERT(gv_offload_match(NULL, BUY, 1, 1, lv, 4, &nlv, &rem,
	                           &beyond) == -EINVAL);
	gv_offload_free(o);
}

static void test_match_helper_bounds(void)
{
	struct gv_offload_params p = params(4);
	struct gv_offload *o;
	struct gv_off_ev lv[4];
	uint32_t nlv, rem;
	bool beyond;

	o = gv_offload_create("test-mute", &p, NULL, 0);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT(gv_offload_match(o, BUY, 1, 1, lv, 4, &nlv, &rem,
	                           &beyond) == -ETIMEDOUT);
	gv_offload_free(o);
	p.device = "full";
	o = gv_offload_create("test-mute", &p, NULL, 0);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT(gv_offload_match(o, BUY, 1, 1, lv, 4, &nlv, &rem,
	                           &beyond) == -ETIMEDOUT);
	CU_ASSERT(o->submitted == 0);
	gv_offload_free(o);
	/* a failing backend: -EIO */
	p = params(4);
	p.fail_at = 2;
	o = gv_offload_create("fault", &p, NULL, 0);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT(gv_offload_match(o, BUY, 1, 1, lv, 4, &nlv, &rem,
	                           &beyond) == -EIO);
	CU_ASSERT(o->errors == 1);
	gv_offload_free(o);
}

/* ---- fault --------------------------------------------------------- */

static struct gv_offload *mk_fault(uint64_t fail_at, bool forever,
                                   const char *inner, uint32_t depth)
{
	struct gv_offload_params p = params(depth);

	p.fail_at = fail_at;
	p.fail_forever = forever;
	p.inner = inner;
	return gv_offload_create("fault", &p, NULL, 0);
}

static void test_fault_once(void)
{
	struct gv_offload *o;
	const struct fault_ctx *f;
	struct gv_off_cmd c = cmd(GV_OFF_CMD_MATCH, BUY, 1, 1, 0);
	struct gv_off_ev ev[4];

	/* a failed submit takes nothing: the next poll finds nothing */
	o = mk_fault(3, false, NULL, 8);
	CU_ASSERT_FATAL(o != NULL);
	f = o->ctx;
	CU_ASSERT(o->ops->submit_burst(o->ctx, &c, 1) == 1);
	CU_ASSERT(o->ops->poll_burst(o->ctx, ev, 4) == 1);
	CU_ASSERT(o->ops->submit_burst(o->ctx, &c, 1) == -EIO);
	CU_ASSERT(o->ops->poll_burst(o->ctx, ev, 4) == 0);
	CU_ASSERT(o->ops->submit_burst(o->ctx, &c, 1) == 1);
	CU_ASSERT(f->calls == 5 && f->submits == 3 && f->polls == 2);
	CU_ASSERT(f->failures == 1);
	gv_offload_free(o);
	/* a failed poll returns nothing; the results stay in the inner one */
	o = mk_fault(2, false, "sw", 8);
	CU_ASSERT_FATAL(o != NULL);
	f = o->ctx;
	c.tag = 42;
	CU_ASSERT(o->ops->submit_burst(o->ctx, &c, 1) == 1);
	CU_ASSERT(o->ops->poll_burst(o->ctx, ev, 4) == -EIO);
	CU_ASSERT_FATAL(o->ops->poll_burst(o->ctx, ev, 4) == 1);
	check_ev(&ev[0], GV_OFF_EV_DONE, 42, 0, 1, 0, 0);
	CU_ASSERT(f->calls == 3 && f->failures == 1);
	gv_offload_free(o);
}

static void test_fault_forever(void)
{
	struct gv_offload *o = mk_fault(5, true, NULL, 8);
	const struct fault_ctx *f;
	struct gv_off_ev ev[4];
	uint32_t i;

	CU_ASSERT_FATAL(o != NULL);
	f = o->ctx;
	for (i = 1; i <= 20; i++) {
		int rc = i % 2 ? o->ops->poll_burst(o->ctx, ev, 4)
		               : o->ops->submit_burst(o->ctx, NULL, 0);

		CU_ASSERT(i < 5 ? rc == 0 : rc == -EIO);
	}
	CU_ASSERT(f->calls == 20 && f->failures == 16);
	gv_offload_free(o);
	/* fail_at = 0 never fails */
	o = mk_fault(0, true, "auto", 8);
	CU_ASSERT_FATAL(o != NULL);
	f = o->ctx;
	for (i = 0; i < 100; i++)
		CU_ASSERT(o->ops->poll_burst(o->ctx, ev, 4) == 0);
	CU_ASSERT(f->calls == 100 && f->failures == 0);
	gv_offload_free(o);
}

static void test_fault_nth(void)
{
	uint64_t n;

	/* fails exactly the Nth call, counting submits and polls together */
	for (n = 1; n <= 8; n++) {
		struct gv_offload *o = mk_fault(n, false, NULL, 8);
		uint32_t i, bad = 0;
		struct gv_off_ev ev[4];

		CU_ASSERT_FATAL(o != NULL);
		for (i = 1; i <= 10; i++) {
			int rc = i % 3 ? o->ops->poll_burst(o->ctx, ev, 4)
			               : o->ops->submit_burst(o->ctx, NULL, 0);

			if (rc == -EIO) {
				CU_ASSERT(i == n);
				bad++;
			} else {
				CU_ASSERT(rc == 0);
			}
		}
		CU_ASSERT(bad == 1);
		CU_ASSERT(((const struct fault_ctx *)o->ctx)->failures == 1);
		gv_offload_free(o);
	}
}

/* ---- conformance: seeded random streams ---------------------------- */

#define PR 4096u                 /* price window of the generator */
#define PBASE 1000000u
#define TAG_MUL 2654435761u      /* odd: tags are distinct and busy */

struct gen {
	uint64_t rng;
	uint32_t mid;            /* offset of the touch in the window */
	uint32_t depth;
	bool bounded;            /* never more than depth levels a side */
	uint32_t nlv[2];
	uint32_t q[2][PR];       /* host's level map: [side-1][offset] */
};

static bool below(struct gen *g, uint32_t pct)
{
	return gv_test_below(&g->rng, 100) < pct;
}

static uint32_t near(struct gen *g, uint32_t span)
{
	return (uint32_t)gv_test_below(&g->rng, span);
}

/* The host's view: the mirror rules without depth. Returns false for a
 * command the mirror rejects (ERROR). */
static bool host_apply(uint32_t (*q)[PR], uint32_t *nlv,
                       const struct gv_off_cmd *c)
{
	uint32_t *l;

	if (c->type == GV_OFF_CMD_CLEAR) {
		memset(q, 0, sizeof(uint32_t) * 2 * PR);
		nlv[0] = nlv[1] = 0;
		return true;
	}
	if (c->type == GV_OFF_CMD_MATCH)
		return true;
	l = &q[c->side - 1][c->price - PBASE];
	if (c->type == GV_OFF_CMD_REDUCE && (*l == 0 || c->qty > *l))
		return false;
	if (c->type == GV_OFF_CMD_ADD && c->qty > UINT32_MAX - *l)
		return false;
	nlv[c->side - 1] -= *l != 0;
	if (c->type == GV_OFF_CMD_SET)
		*l = c->qty;
	else if (c->type == GV_OFF_CMD_ADD)
		*l += c->qty;
	else
		*l -= c->qty;
	nlv[c->side - 1] += *l != 0;
	return true;
}

/* A price near the touch: bids below mid, asks above, sometimes through. */
static uint32_t gen_price(struct gen *g, uint8_t side)
{
	uint32_t d = below(g, 70) ? near(g, 12) : near(g, 48);

	if (below(g, 5))
		return g->mid - 24 + near(g, 48);
	return side == BUY ? g->mid - 1 - d : g->mid + d;
}

static uint32_t gen_qty(struct gen *g)
{
	if (below(g, 2))
		return UINT32_MAX - near(g, 1000);
	return 1 + near(g, below(g, 80) ? 100 : 100000);
}

/* A held level of the host map near the touch, or 0. */
static uint32_t gen_held(struct gen *g, uint8_t side)
{
	uint32_t k, p;

	for (k = 0; k < 8; k++) {
		p = gen_price(g, side);
		if (g->q[side - 1][p] != 0)
			return p;
	}
	return 0;
}

static struct gv_off_cmd gen_level_cmd(struct gen *g, uint8_t side)
{
	uint32_t r = near(g, 100), p = gen_price(g, side);
	uint32_t held = gen_held(g, side);

	if (r < 35)
		return cmd(GV_OFF_CMD_SET, side, p,
		           below(g, 15) ? 0 : gen_qty(g), 0);
	if (r < 65)
		return cmd(GV_OFF_CMD_ADD, side, p, gen_qty(g), 0);
	/* REDUCE: mostly part or all of a held level, sometimes wrong */
	if (held != 0 && !below(g, 10)) {
		uint32_t have = g->q[side - 1][held];

		return cmd(GV_OFF_CMD_REDUCE, side, held, below(g, 40) ? have :
		           1 + (uint32_t)gv_test_below(&g->rng, have), 0);
	}
	return cmd(GV_OFF_CMD_REDUCE, side, p, 1 + near(g, 50), 0);
}

static struct gv_off_cmd gen_match(struct gen *g)
{
	uint8_t side = below(g, 50) ? BUY : SELL;
	uint32_t lim = g->mid - 30 + near(g, 60), qty;

	if (below(g, 10))
		lim = side == BUY ? UINT32_MAX : 0;
	else
		lim += PBASE;
	qty = below(g, 5) ? 0 : below(g, 5) ? UINT32_MAX : gen_qty(g) % 400;
	return cmd(GV_OFF_CMD_MATCH, side, lim, qty, 0);
}

/* In bounded mode a new level on a full side becomes a removal. */
static void bound(struct gen *g, struct gv_off_cmd *c)
{
	uint32_t s = c->side - 1, p;

	if (!g->bounded || c->type == GV_OFF_CMD_MATCH ||
	    c->type == GV_OFF_CMD_CLEAR || c->type == GV_OFF_CMD_REDUCE ||
	    c->qty == 0 ||
	    g->q[s][c->price - PBASE] != 0 || g->nlv[s] < g->depth)
		return;
	for (p = 0; p < PR && g->q[s][p] == 0; p++)
		;
	GV_VERIFY(p < PR);
	*c = cmd(GV_OFF_CMD_SET, c->side, PBASE + p, 0, 0);
}

static struct gv_off_cmd gen_one(struct gen *g, uint32_t i)
{
	struct gv_off_cmd c;
	uint32_t r = near(g, 1000);

	if (r < 50)
		g->mid += near(g, 3) - 1;
	g->mid = GV_MAX(g->mid, 200u);
	g->mid = GV_MIN(g->mid, PR - 200);
	if (r == 999)
		c = cmd(GV_OFF_CMD_CLEAR, 0, 0, 0, 0);
	else if (r < 250)
		c = gen_match(g);
	else {
		c = gen_level_cmd(g, r % 2 ? BUY : SELL);
		c.price += PBASE;
		bound(g, &c);
	}
	c.tag = i * TAG_MUL;
	host_apply(g->q, g->nlv, &c);
	return c;
}

static struct gv_off_cmd *gen_stream(uint64_t seed, uint32_t depth,
                                     uint32_t n, bool bounded)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct gv_off_cmd *c = calloc(n, sizeof(*c));
	uint32_t i;

	GV_VERIFY(g != NULL && c != NULL && n > 1);
	g->rng = seed;
	g->mid = PR / 2;
	g->depth = depth;
	g->bounded = bounded;
	for (i = 0; i + 1 < n; i++)
		c[i] = gen_one(g, i);
	/* the sentinel: a MATCH whose DONE ends the run */
	c[n - 1] = cmd(GV_OFF_CMD_MATCH, BUY, 0, 0, (n - 1) * TAG_MUL);
	free(g);
	return c;
}

/* Run a stream through a backend in random bursts (1..32 commands, 1..32
 * events), until the sentinel's DONE. Returns the number of events. */
static uint32_t run_stream(struct gv_offload *o, const struct gv_off_cmd *c,
                           uint32_t n, struct gv_off_ev *out, uint32_t max,
                           uint64_t burst_seed)
{
	uint32_t sub = 0, got = 0, idle = 0;
	uint64_t rng = burst_seed;
	bool end = false;
	int rc;

	while (!end && idle < 1000000) {
		uint32_t b = 1 + (uint32_t)gv_test_below(&rng, 32), i;

		rc = sub < n ? o->ops->submit_burst(o->ctx, c + sub,
		                                     GV_MIN(b, n - sub)) : 0;
		CU_ASSERT_FATAL(rc >= 0 && (uint32_t)rc <= b);
		sub += (uint32_t)rc;
		idle = rc > 0 ? 0 : idle + 1;
		b = 1 + (uint32_t)gv_test_below(&rng, 32);
		rc = o->ops->poll_burst(o->ctx, out + got,
		                        GV_MIN(b, max - got));
		CU_ASSERT_FATAL(rc >= 0 && (uint32_t)rc <= b);
		for (i = 0; i < (uint32_t)rc; i++)
			end |= out[got + i].tag == c[n - 1].tag &&
			       out[got + i].type != GV_OFF_EV_LEVEL;
		got += (uint32_t)rc;
		idle = rc > 0 ? 0 : idle;
		CU_ASSERT_FATAL(got < max || end);
	}
	CU_ASSERT(end);
	CU_ASSERT(sub == n);
	return got;
}

static bool ev_equal(const struct gv_off_ev *a, const struct gv_off_ev *b)
{
	return a->type == b->type && a->beyond == b->beyond &&
	       a->reserved == b->reserved && a->tag == b->tag &&
	       a->price == b->price && a->qty == b->qty && a->code == b->code;
}

static void print_ev(const char *who, const struct gv_off_ev *e)
{
	fprintf(stderr, "    %-8s type %u tag %#x price %u qty %u beyond %u "
	        "code %d (command %u)\n", who, e->type, e->tag, e->price,
	        e->qty, e->beyond, e->code, e->tag * 244002641u);
}

/* Field by field; the first difference is printed with the seed. */
static bool same_events(const char *name, const struct gv_off_ev *want,
                        uint32_t nwant, const struct gv_off_ev *got,
                        uint32_t ngot, uint64_t seed)
{
	uint32_t i, n = GV_MIN(nwant, ngot);

	for (i = 0; i < n && ev_equal(&want[i], &got[i]); i++)
		;
	if (i == n && nwant == ngot)
		return true;
	fprintf(stderr, "  %s differs from sw at event %u of %u/%u (stream "
	        "seed %" PRIu64 "; GV_TEST_SEED=%" PRIu64 " reproduces)\n",
	        name, i, nwant, ngot, seed, g_seed);
	if (i < nwant)
		print_ev("sw", &want[i]);
	if (i < ngot)
		print_ev(name, &got[i]);
	return false;
}

struct tally {
	uint32_t level, done, beyond, error;
};

static struct tally count_events(const struct gv_off_ev *e, uint32_t n)
{
	struct tally t = { 0 };
	uint32_t i;

	for (i = 0; i < n; i++) {
		t.level += e[i].type == GV_OFF_EV_LEVEL;
		t.done += e[i].type == GV_OFF_EV_DONE;
		t.beyond += e[i].type == GV_OFF_EV_DONE && e[i].beyond;
		t.error += e[i].type == GV_OFF_EV_ERROR;
	}
	return t;
}

static bool conformance_candidate(const struct gv_offload_ops *a)
{
	if (strcmp(a->name, "fault") == 0 || strncmp(a->name, "test-", 5) == 0)
		return false;
	if ((a->caps & GV_OFF_CAP_HW) && !g_hw)
		return false;
	return (a->caps & (GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS)) ==
	       (GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS);
}

/* One stream against every candidate backend (and fault(sw) passing
 * everything through); returns how many backends ran. */
static uint32_t conform(uint32_t depth, uint32_t n, uint64_t seed)
{
	struct gv_offload_params p = params(depth);
	struct gv_off_cmd *c = gen_stream(seed, depth, n, false);
	uint32_t max = n * (depth + 1), nref, ngot, i, ran = 0;
	struct gv_off_ev *ref = calloc(max, sizeof(*ref));
	struct gv_off_ev *got = calloc(max, sizeof(*got));
	struct gv_offload *o = mk("sw", depth);
	struct tally t;
	char why[256];

	GV_VERIFY(ref != NULL && got != NULL);
	nref = run_stream(o, c, n, ref, max, seed ^ 1);
	gv_offload_free(o);
	t = count_events(ref, nref);
	printf("  depth %u: %u commands, %u events: %u LEVEL, %u DONE "
	       "(%u beyond), %u ERROR\n", depth, n, nref, t.level, t.done,
	       t.beyond, t.error);
	CU_ASSERT(t.done > 0 && t.level > 0 && t.error > 0);
	if (depth <= 16)
		CU_ASSERT(t.beyond > 0);
	for (i = 0; i <= gv_offload_count(); i++) {
		const struct gv_offload_ops *a = gv_offload_at(i);
		const char *name = a != NULL ? a->name : "fault";

		if (a != NULL && !conformance_candidate(a))
			continue;
		p.inner = "sw";
		why[0] = '\0';
		if (a != NULL && a->probe != NULL &&
		    a->probe(&p, why, sizeof(why)) < 0) {
			printf("  depth %u: %s: not run: %s\n", depth, name,
			       why);
			continue;
		}
		/* it probes, so it must start */
		o = gv_offload_create(name, &p, why, sizeof(why));
		if (o == NULL) {
			fprintf(stderr, "  depth %u: %s probes but does not "
			        "start: %s\n", depth, name, why);
			CU_FAIL("a backend that probes must start");
			continue;
		}
		ngot = run_stream(o, c, n, got, max, seed + 2 + i);
		CU_ASSERT(same_events(name, ref, nref, got, ngot, seed));
		printf("  depth %u: %s: %u events, identical\n", depth, name,
		       ngot);
		gv_offload_free(o);
		ran++;
	}
	free(got);
	free(ref);
	free(c);
	return ran;
}

static void test_conformance(void)
{
	uint64_t seed = g_seed;

	CU_ASSERT(conform(16, 20000, seed) >= 2);
	conform(1, 4000, seed + 1);
	conform(4, 6000, seed + 4);
	conform(GV_OFFLOAD_DEPTH_MAX, 3000, seed + 256);
}

/* ---- failover: the host-side recipe -------------------------------- */

/*
 * The host keeps the full level map. Commands go one at a time; a command
 * completes when its results are in (MATCH: its DONE or ERROR; others:
 * when the queue is empty, which a synchronous backend makes exact). Only
 * then does the host apply it to its map. When a call fails, the host
 * drops the instance and any partial results of the command in flight,
 * makes a fresh one, re-seeds it (CLEAR, then SET of its best `depth`
 * levels per side) and replays that command.
 */
struct host {
	uint32_t depth;
	uint32_t nlv[2];
	uint32_t q[2][PR];
	struct gv_offload *o;
	uint32_t failovers, left;     /* done, still to inject */
	uint32_t sub_fail, poll_fail, partial;
	uint64_t rng;
};

static void host_new_instance(struct host *h)
{
	gv_offload_free(h->o);
	if (h->left > 0) {
		h->left--;
		h->o = mk_fault(1 + gv_test_below(&h->rng, 150),
		                gv_test_below(&h->rng, 2), "sw", h->depth);
	} else {
		h->o = mk("sw", h->depth);
	}
	CU_ASSERT_FATAL(h->o != NULL);
}

static int host_send(struct host *h, const struct gv_off_cmd *c)
{
	int rc = h->o->ops->submit_burst(h->o->ctx, c, 1);

	if (rc < 0)
		h->sub_fail++;
	CU_ASSERT(rc != 0);        /* the host drains after every command */
	return rc < 0 ? rc : 0;
}

/* Best first: bids from the top of the window, asks from the bottom. */
static int host_reseed(struct host *h)
{
	struct gv_off_cmd c = cmd(GV_OFF_CMD_CLEAR, 0, 0, 0, 0);
	struct gv_off_ev ev[4];
	uint32_t s, k, p, sent;
	int rc = host_send(h, &c);

	for (s = 0; s < 2 && rc == 0; s++) {
		for (k = 0, sent = 0; k < PR && sent < h->depth && rc == 0;
		     k++) {
			p = s == 0 ? PR - 1 - k : k;
			if (h->q[s][p] == 0)
				continue;
			c = cmd(GV_OFF_CMD_SET, (uint8_t)(s + 1), PBASE + p,
			        h->q[s][p], 0);
			rc = host_send(h, &c);
			sent++;
		}
	}
	if (rc < 0)
		return rc;
	rc = h->o->ops->poll_burst(h->o->ctx, ev, 4);
	if (rc < 0)
		h->poll_fail++;
	CU_ASSERT(rc <= 0);       /* a re-seed never fails */
	return rc;
}

static void host_failover(struct host *h)
{
	do {
		h->failovers++;
		host_new_instance(h);
	} while (host_reseed(h) < 0);
}

/* One command to completion on the current instance: its events, or
 * -EIO (with the partial events dropped). */
static int host_try(struct host *h, const struct gv_off_cmd *c,
                    struct gv_off_ev *ev, uint32_t *nev, uint32_t max)
{
	uint32_t n = 0, b, spins;
	bool match = c->type == GV_OFF_CMD_MATCH;
	int rc = host_send(h, c);

	for (spins = 0; rc == 0 && spins < 1000000; spins++) {
		b = 1 + (uint32_t)gv_test_below(&h->rng, 4);
		rc = h->o->ops->poll_burst(h->o->ctx, ev + n,
		                           GV_MIN(b, max - n));
		if (rc < 0) {
			h->poll_fail++;
			h->partial += n > 0;
			return rc;
		}
		n += (uint32_t)rc;
		if (match ? n > 0 && ev[n - 1].type != GV_OFF_EV_LEVEL
		          : rc == 0)
			break;
		rc = 0;
	}
	*nev = n;
	return rc;
}

static uint32_t host_run(struct host *h, const struct gv_off_cmd *c,
                         uint32_t n, struct gv_off_ev *out, uint32_t max)
{
	uint32_t i, got = 0, k;

	for (i = 0; i < n; i++) {
		for (k = 0; host_try(h, &c[i], out + got, &k, max - got) < 0;)
			host_failover(h);
		got += k;
		host_apply(h->q, h->nlv, &c[i]);
	}
	return got;
}

static void test_failover(void)
{
	const uint32_t depth = 16, n = 20000;
	uint64_t seed = g_seed + 7;
	struct gv_off_cmd *c = gen_stream(seed, depth, n, true);
	uint32_t max = n * (depth + 1), nref, ngot;
	struct gv_off_ev *ref = calloc(max, sizeof(*ref));
	struct gv_off_ev *got = calloc(max, sizeof(*got));
	struct host *h = calloc(1, sizeof(*h));
	struct gv_offload *o = mk("sw", depth);

	GV_VERIFY(ref != NULL && got != NULL && h != NULL);
	nref = run_stream(o, c, n, ref, max, seed);
	gv_offload_free(o);

	h->depth = depth;
	h->rng = seed ^ 0x5a5a;
	h->left = 300;
	host_new_instance(h);   /* the first of 300 fault(sw) instances */
	ngot = host_run(h, c, n, got, max);
	printf("  %u failovers (%u failed submits, %u failed polls, %u with "
	       "partial MATCH results dropped), %u events\n", h->failovers,
	       h->sub_fail, h->poll_fail, h->partial, ngot);
	CU_ASSERT(h->left == 0 && h->failovers == 300);
	CU_ASSERT(h->sub_fail > 0 && h->poll_fail > 0 && h->partial > 0);
	CU_ASSERT(strcmp(h->o->ops->name, "sw") == 0);
	CU_ASSERT(same_events("failover", ref, nref, got, ngot, seed));
	gv_offload_free(h->o);
	free(h);
	free(got);
	free(ref);
	free(c);
}

static const struct gv_test tests[] = {
	GV_TEST(test_registry_names),
	GV_TEST(test_registry_auto),
	GV_TEST(test_registry_errors),
	GV_TEST(test_registry_fpga_probe),
	GV_TEST(test_registry_duplicate),
	GV_TEST(test_registry_overflow),
	GV_TEST(test_sw_match_walks_best_first),
	GV_TEST(test_sw_truncate_worse),
	GV_TEST(test_sw_truncate_evict),
	GV_TEST(test_sw_truncated_hole),
	GV_TEST(test_sw_truncated_empty),
	GV_TEST(test_sw_add_set_reduce),
	GV_TEST(test_sw_errors),
	GV_TEST(test_sw_ring_bound),
	GV_TEST(test_match_helper),
	GV_TEST(test_match_helper_bounds),
	GV_TEST(test_fault_once),
	GV_TEST(test_fault_forever),
	GV_TEST(test_fault_nth),
	GV_TEST(test_conformance),
	GV_TEST(test_failover),
};

static bool hw_backend_probes(void)
{
	struct gv_offload_params p = params(16);
	char why[256];
	uint32_t i;

	for (i = 0; i < gv_offload_count(); i++) {
		const struct gv_offload_ops *a = gv_offload_at(i);

		if (!(a->caps & GV_OFF_CAP_HW) || !conformance_candidate(a))
			continue;
		if (a->probe == NULL || a->probe(&p, why, sizeof(why)) == 0)
			return true;
		printf("%s: %s\n", a->name, why);
	}
	return false;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hw") == 0) {
			g_hw = true;
		} else {
			fprintf(stderr, "usage: %s [--hw]\n", argv[0]);
			return 2;
		}
	}
	gv_offload_register(&nodev_ops);
	gv_offload_register(&mute_ops);
	if (g_hw && !hw_backend_probes())
		gv_test_skip("no hardware offload backend probes here");
	g_seed = gv_test_seed(DEFAULT_SEED);
	return gv_test_main(g_hw ? "offload-hw" : "offload", tests,
	                    GV_ARRAY_SIZE(tests), NULL, NULL);
}
