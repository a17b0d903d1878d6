/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hw_sim.c - the matching core's RTL under Verilator (suite sim).
 *
 * Three layers: the register map and rings through the shim's bus and the
 * register-level driver (gv_off_drv.c); directed tests of every mirror
 * rule through the "fpga-sim" backend; and seeded random command streams
 * checked event by event against ref_*, a deliberately naive model of the
 * mirror rules written from gv_offload.h (linear scans, not the "sw"
 * backend's code). Also prints the core's cycles for a MATCH crossing 1,
 * 4 and 16 levels and the simulation's speed (docs/offload.md).
 *
 * Options: --steps N (random commands per depth, default 20000).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gv_test.h"
#include "gv_errno.h"
#include "gv_offload.h"
#include "gv_off_drv.h"
#include "gv_hw_sim.h"

#define MAXEV 4096

static uint64_t g_steps = 20000;

/* ---- reference model ---------------------------------------------------- */

struct ref_side {
	uint32_t n;
	bool trunc;
	uint32_t price[GV_OFFLOAD_DEPTH_MAX + 1];
	uint32_t qty[GV_OFFLOAD_DEPTH_MAX + 1];
};

struct ref {
	uint32_t depth;
	struct ref_side side[2];        /* [0] bids, [1] asks */
};

/* Is a strictly better than b on side si (bids: higher, asks: lower)? */
static bool ref_better(int si, uint32_t a, uint32_t b)
{
	return si == 0 ? a > b : a < b;
}

static void ref_remove(struct ref_side *s, uint32_t i)
{
	for (; i + 1 < s->n; i++) {
		s->price[i] = s->price[i + 1];
		s->qty[i] = s->qty[i + 1];
	}
	s->n--;
}

/* Insert a price not held, qty > 0: keep the best `depth`. A truncated
 * side never takes a price worse than its worst held level (or any price
 * when it holds none): the host may hold better ones that were dropped. */
static void ref_insert(struct ref *r, int si, uint32_t price, uint32_t qty)
{
	struct ref_side *s = &r->side[si];
	uint32_t i = s->n;

	if (s->trunc && (s->n == 0 || ref_better(si, s->price[s->n - 1],
	                                         price)))
		return;
	/* Append, bubble into place, then drop whatever is past depth. */
	s->price[i] = price;
	s->qty[i] = qty;
	s->n++;
	while (i > 0 && ref_better(si, s->price[i], s->price[i - 1])) {
		uint32_t tp = s->price[i], tq = s->qty[i];

		s->price[i] = s->price[i - 1];
		s->qty[i] = s->qty[i - 1];
		s->price[i - 1] = tp;
		s->qty[i - 1] = tq;
		i--;
	}
	if (s->n > r->depth) {
		s->n = r->depth;
		s->trunc = true;
	}
}

static int ref_find(const struct ref_side *s, uint32_t price)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->price[i] == price)
			return (int)i;
	return -1;
}

static struct gv_off_ev *ref_ev(struct gv_off_ev *ev, uint32_t *n,
                                uint8_t type, uint32_t tag)
{
	struct gv_off_ev *e = &ev[(*n)++];

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->tag = tag;
	return e;
}

static void ref_match(struct ref *r, const struct gv_off_cmd *c,
                      struct gv_off_ev *ev, uint32_t *n)
{
	int si = c->side == 1 ? 1 : 0;
	const struct ref_side *s = &r->side[si];
	uint32_t rem = c->qty, k = 0;

	while (k < s->n && rem > 0 &&
	       (si == 1 ? s->price[k] <= c->price : s->price[k] >= c->price)) {
		struct gv_off_ev *e = ref_ev(ev, n, GV_OFF_EV_LEVEL, c->tag);

		e->price = s->price[k];
		e->qty = s->qty[k] < rem ? s->qty[k] : rem;
		rem -= e->qty;
		k++;
	}
	struct gv_off_ev *d = ref_ev(ev, n, GV_OFF_EV_DONE, c->tag);
	d->qty = rem;
	d->beyond = rem > 0 && k == s->n && s->trunc;
}

/* Apply one command; append its events. */
static void ref_apply(struct ref *r, const struct gv_off_cmd *c,
                      struct gv_off_ev *ev, uint32_t *n)
{
	int si = c->side - 1, i, err = 0;
	struct ref_side *s;

	if (c->type == GV_OFF_CMD_CLEAR) {
		r->side[0].n = r->side[1].n = 0;
		r->side[0].trunc = r->side[1].trunc = false;
		return;
	}
	if (c->side < 1 || c->side > 2 || c->type < GV_OFF_CMD_SET ||
	    c->type > GV_OFF_CMD_MATCH) {
		ref_ev(ev, n, GV_OFF_EV_ERROR, c->tag)->code = -EINVAL;
		return;
	}
	if (c->type == GV_OFF_CMD_MATCH) {
		ref_match(r, c, ev, n);
		return;
	}
	s = &r->side[si];
	i = ref_find(s, c->price);
	if (c->type == GV_OFF_CMD_REDUCE) {
		if (i < 0 || c->qty > s->qty[i])
			err = -EINVAL;
		else if ((s->qty[i] -= c->qty) == 0)
			ref_remove(s, (uint32_t)i);
	} else if (i >= 0 && c->type == GV_OFF_CMD_ADD) {
		if ((uint64_t)s->qty[i] + c->qty > UINT32_MAX)
			err = -ERANGE;
		else
			s->qty[i] += c->qty;
	} else if (i >= 0) {
		if (c->qty == 0)
			ref_remove(s, (uint32_t)i);
		else
			s->qty[i] = c->qty;
	} else if (c->qty > 0) {
		ref_insert(r, si, c->price, c->qty);
	}
	if (err)
		ref_ev(ev, n, GV_OFF_EV_ERROR, c->tag)->code = err;
}

/* ---- helpers ------------------------------------------------------------ */

static struct gv_offload *mk(uint32_t depth)
{
	struct gv_offload_params p = { .depth = depth };
	char why[160];
	struct gv_offload *o = gv_offload_create("fpga-sim", &p, why,
	                                         sizeof(why));

	if (o == NULL)
		fprintf(stderr, "fpga-sim: %s\n", why);
	CU_ASSERT_FATAL(o != NULL);
	return o;
}

/* Submit all of c, polling as needed; collect every event. */
static uint32_t run(struct gv_offload *o, const struct gv_off_cmd *c,
                    uint32_t n, struct gv_off_ev *ev, uint32_t max)
{
	uint32_t done = 0, got = 0, spins = 0;
	int k;

	while (done < n || spins < 2) {
		if (done < n) {
			k = o->ops->submit_burst(o->ctx, c + done, n - done);
			CU_ASSERT_FATAL(k >= 0);
			done += (uint32_t)k;
		}
		k = o->ops->poll_burst(o->ctx, ev + got, max - got);
		CU_ASSERT_FATAL(k >= 0);
		got += (uint32_t)k;
		if (done == n && k == 0)
			spins++;
		CU_ASSERT_FATAL(got < max);
	}
	return got;
}

static void expect_evs(const struct gv_off_ev *got, uint32_t ngot,
                       const struct gv_off_ev *want, uint32_t nwant)
{
	CU_ASSERT_EQUAL(ngot, nwant);
	for (uint32_t i = 0; i < ngot && i < nwant; i++) {
		if (memcmp(&got[i], &want[i], sizeof(got[i])) == 0)
			continue;
		fprintf(stderr, "event %u: got type %u tag %u price %u qty %u "
		        "beyond %u code %d; want type %u tag %u price %u qty %u "
		        "beyond %u code %d\n", i, got[i].type, got[i].tag,
		        got[i].price, got[i].qty, got[i].beyond, got[i].code,
		        want[i].type, want[i].tag, want[i].price, want[i].qty,
		        want[i].beyond, want[i].code);
		CU_FAIL("event differs");
		return;
	}
}

/* Run cmds on a fresh depth-d instance and on the model; compare. */
static void check_script(uint32_t depth, const struct gv_off_cmd *c,
                         uint32_t n)
{
	static struct gv_off_ev got[MAXEV], want[MAXEV];
	struct ref *r = calloc(1, sizeof(*r));
	struct gv_offload *o = mk(depth);
	uint32_t nw = 0, ng;

	CU_ASSERT_FATAL(r != NULL);
	r->depth = depth;
	for (uint32_t i = 0; i < n; i++)
		ref_apply(r, &c[i], want, &nw);
	ng = run(o, c, n, got, MAXEV);
	expect_evs(got, ng, want, nw);
	gv_offload_free(o);
	free(r);
}

#define CMD(t, s, tg, p, q) { .type = GV_OFF_CMD_##t, .side = (s), \
	.tag = (tg), .price = (p), .qty = (q) }
#define EV(t, tg, p, q, b, c) { .type = GV_OFF_EV_##t, .tag = (tg), \
	.price = (p), .qty = (q), .beyond = (b), .code = (c) }

/* A script and the literal events it must give. */
static void check_literal(uint32_t depth, const struct gv_off_cmd *c,
                          uint32_t n, const struct gv_off_ev *want,
                          uint32_t nw)
{
	static struct gv_off_ev got[MAXEV];
	struct gv_offload *o = mk(depth);
	uint32_t ng = run(o, c, n, got, MAXEV);

	expect_evs(got, ng, want, nw);
	gv_offload_free(o);
	check_script(depth, c, n);      /* and the model agrees */
}

/* ---- directed: the mirror rules ---------------------------------------- */

static void test_truncate(void)
{
	const struct gv_off_cmd c[] = {
		CMD(SET, 1, 1, 100, 5), CMD(SET, 1, 2, 99, 6),
		CMD(SET, 1, 3, 98, 7),          /* worse than all: not held */
		CMD(MATCH, 2, 4, 0, 100),
		CMD(MATCH, 2, 5, 100, 100),     /* limit stops: no beyond */
		CMD(MATCH, 2, 6, 0, 11),        /* nothing remains */
	};
	const struct gv_off_ev w[] = {
		EV(LEVEL, 4, 100, 5, 0, 0), EV(LEVEL, 4, 99, 6, 0, 0),
		EV(DONE, 4, 0, 89, 1, 0),
		EV(LEVEL, 5, 100, 5, 0, 0), EV(DONE, 5, 0, 95, 0, 0),
		EV(LEVEL, 6, 100, 5, 0, 0), EV(LEVEL, 6, 99, 6, 0, 0),
		EV(DONE, 6, 0, 0, 0, 0),
	};
	check_literal(2, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

static void test_evict(void)
{
	const struct gv_off_cmd c[] = {
		CMD(SET, 2, 1, 100, 5), CMD(SET, 2, 2, 101, 6),
		CMD(ADD, 2, 3, 99, 7),          /* better: evicts 101 */
		CMD(MATCH, 1, 4, 200, 100),
		CMD(REDUCE, 2, 5, 101, 1),      /* evicted: not held */
	};
	const struct gv_off_ev w[] = {
		EV(LEVEL, 4, 99, 7, 0, 0), EV(LEVEL, 4, 100, 5, 0, 0),
		EV(DONE, 4, 0, 88, 1, 0), EV(ERROR, 5, 0, 0, 0, -EINVAL),
	};
	check_literal(2, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

static void test_errors(void)
{
	const struct gv_off_cmd c[] = {
		CMD(SET, 1, 1, 100, 0xfffffff0u),
		CMD(ADD, 1, 2, 100, 0x10),      /* overflow */
		CMD(REDUCE, 1, 3, 100, 0xfffffff1u),
		CMD(REDUCE, 1, 4, 101, 1),      /* not held */
		CMD(SET, 3, 5, 100, 1),         /* bad side */
		{ .type = 9, .side = 1, .tag = 6, .price = 1, .qty = 1 },
		{ .type = 0, .side = 1, .tag = 7, .price = 1, .qty = 1 },
		CMD(MATCH, 0, 8, 100, 1),       /* bad side */
		CMD(ADD, 1, 9, 100, 0xf),       /* exactly UINT32_MAX */
		CMD(MATCH, 2, 10, 0, 0xffffffffu),
	};
	const struct gv_off_ev w[] = {
		EV(ERROR, 2, 0, 0, 0, -ERANGE), EV(ERROR, 3, 0, 0, 0, -EINVAL),
		EV(ERROR, 4, 0, 0, 0, -EINVAL), EV(ERROR, 5, 0, 0, 0, -EINVAL),
		EV(ERROR, 6, 0, 0, 0, -EINVAL), EV(ERROR, 7, 0, 0, 0, -EINVAL),
		EV(ERROR, 8, 0, 0, 0, -EINVAL),
		EV(LEVEL, 10, 100, 0xffffffffu, 0, 0), EV(DONE, 10, 0, 0, 0, 0),
	};
	check_literal(4, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

static void test_remove_and_zero(void)
{
	const struct gv_off_cmd c[] = {
		CMD(SET, 1, 1, 100, 5), CMD(SET, 1, 2, 101, 5),
		CMD(SET, 1, 3, 100, 0),         /* remove */
		CMD(REDUCE, 1, 4, 101, 5),      /* to 0: remove */
		CMD(SET, 1, 5, 50, 0),          /* not held, 0: nothing */
		CMD(ADD, 1, 6, 60, 0),
		CMD(MATCH, 2, 7, 0, 10),
	};
	const struct gv_off_ev w[] = { EV(DONE, 7, 0, 10, 0, 0) };
	check_literal(2, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

static void test_beyond_empty_truncated(void)
{
	/* A side that was truncated and then emptied: beyond stays. */
	const struct gv_off_cmd c[] = {
		CMD(SET, 2, 1, 10, 1), CMD(SET, 2, 2, 11, 1),
		CMD(REDUCE, 2, 3, 10, 1),
		CMD(MATCH, 1, 4, 100, 3),
		CMD(MATCH, 2, 5, 0, 3),         /* bids: never truncated */
	};
	const struct gv_off_ev w[] = {
		EV(DONE, 4, 0, 3, 1, 0), EV(DONE, 5, 0, 3, 0, 0),
	};
	check_literal(1, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

/*
 * The hole (docs/offload.md): depth 16, 20 ask levels on the host. The
 * mirror holds the best 16, truncated. The best is removed: 15 held, not
 * full. A SET of the host's 21st price must not be held (17..20 are only
 * on the host), so a MATCH through everything reports 2..16 and beyond
 * (the old rules gave 2..16, then 21). A better price into the non-full
 * truncated side is inserted; into the full one it evicts the worst.
 */
static void test_truncated_hole(void)
{
	struct gv_off_cmd c[64];
	struct gv_off_ev w[64];
	uint32_t n = 0, nw = 0, t = 0;

	for (uint32_t k = 1; k <= 20; k++)      /* asks 101..120, qty k */
		c[n++] = (struct gv_off_cmd)CMD(SET, 2, ++t, 100 + k, k);
	c[n++] = (struct gv_off_cmd)CMD(REDUCE, 2, ++t, 101, 1);
	c[n++] = (struct gv_off_cmd)CMD(SET, 2, ++t, 121, 21);  /* not held */
	c[n++] = (struct gv_off_cmd)CMD(ADD, 2, ++t, 130, 5);   /* nor this */
	c[n++] = (struct gv_off_cmd)CMD(MATCH, 1, ++t, 0xffffffffu, 1000);
	for (uint32_t k = 2; k <= 16; k++)
		w[nw++] = (struct gv_off_ev)EV(LEVEL, t, 100 + k, k, 0, 0);
	w[nw++] = (struct gv_off_ev)EV(DONE, t, 0, 1000 - 135, 1, 0);
	/* better than the worst held, side not full: inserted, n = 16 */
	c[n++] = (struct gv_off_cmd)CMD(SET, 2, ++t, 100, 7);
	c[n++] = (struct gv_off_cmd)CMD(MATCH, 1, ++t, 102, 1000);
	w[nw++] = (struct gv_off_ev)EV(LEVEL, t, 100, 7, 0, 0);
	w[nw++] = (struct gv_off_ev)EV(LEVEL, t, 102, 2, 0, 0);
	w[nw++] = (struct gv_off_ev)EV(DONE, t, 0, 991, 0, 0);
	/* full again: a better price evicts the worst (116) */
	c[n++] = (struct gv_off_cmd)CMD(SET, 2, ++t, 99, 1);
	c[n++] = (struct gv_off_cmd)CMD(REDUCE, 2, ++t, 116, 1);
	w[nw++] = (struct gv_off_ev)EV(ERROR, t, 0, 0, 0, -EINVAL);
	GV_VERIFY(n <= GV_ARRAY_SIZE(c) && nw <= GV_ARRAY_SIZE(w));
	check_literal(16, c, n, w, nw);
}

/* A truncated side emptied: no new price is held until CLEAR. */
static void test_truncated_empty(void)
{
	const struct gv_off_cmd c[] = {
		CMD(SET, 2, 1, 200, 1),
		CMD(SET, 2, 2, 201, 1),         /* full, worse: truncates */
		CMD(REDUCE, 2, 3, 200, 1),      /* empty, still truncated */
		CMD(SET, 2, 4, 150, 4),         /* not held */
		CMD(ADD, 2, 5, 250, 4),         /* not held */
		CMD(REDUCE, 2, 6, 150, 1),      /* so: not held */
		CMD(MATCH, 1, 7, 0xffffffffu, 9),
		CMD(CLEAR, 0, 8, 0, 0),
		CMD(SET, 2, 9, 250, 4),         /* held again */
		CMD(MATCH, 1, 10, 0xffffffffu, 9),
	};
	const struct gv_off_ev w[] = {
		EV(ERROR, 6, 0, 0, 0, -EINVAL),
		EV(DONE, 7, 0, 9, 1, 0),
		EV(LEVEL, 10, 250, 4, 0, 0), EV(DONE, 10, 0, 5, 0, 0),
	};
	check_literal(1, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

static void test_match_readonly_and_clear(void)
{
	const struct gv_off_cmd c[] = {
		CMD(SET, 1, 1, 100, 5), CMD(SET, 1, 2, 99, 5),
		CMD(SET, 1, 3, 98, 5),          /* truncates (depth 2) */
		CMD(MATCH, 2, 4, 99, 7), CMD(MATCH, 2, 5, 99, 7),
		CMD(CLEAR, 0, 6, 0, 0),
		CMD(MATCH, 2, 7, 0, 7),         /* empty, not truncated */
		CMD(SET, 1, 8, 97, 1), CMD(MATCH, 2, 9, 0, 7),
	};
	const struct gv_off_ev w[] = {
		EV(LEVEL, 4, 100, 5, 0, 0), EV(LEVEL, 4, 99, 2, 0, 0),
		EV(DONE, 4, 0, 0, 0, 0),
		EV(LEVEL, 5, 100, 5, 0, 0), EV(LEVEL, 5, 99, 2, 0, 0),
		EV(DONE, 5, 0, 0, 0, 0),
		EV(DONE, 7, 0, 7, 0, 0),
		EV(LEVEL, 9, 97, 1, 0, 0), EV(DONE, 9, 0, 6, 0, 0),
	};
	check_literal(2, c, GV_ARRAY_SIZE(c), w, GV_ARRAY_SIZE(w));
}

/* Every depth from 1 to the core's, full sides, matches across all. */
static void test_full_depth(void)
{
	static struct gv_off_cmd c[3 * GV_OFFLOAD_DEPTH_MAX + 8];
	uint32_t hw = gv_hw_sim_depth();

	for (uint32_t d = 1; d <= hw; d = d < 8 ? d + 1 : d * 2) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < hw + 2; i++) {
			/* Interleave worse and better prices. */
			uint32_t k = i & 1 ? 1000 + i : 1000 - i;

			c[n++] = (struct gv_off_cmd)CMD(SET, 1, n, k, i + 1);
			c[n++] = (struct gv_off_cmd)CMD(SET, 2, n, k + 5000, i + 1);
		}
		c[n++] = (struct gv_off_cmd)CMD(MATCH, 2, n, 0, 0xffffffffu);
		c[n++] = (struct gv_off_cmd)CMD(MATCH, 1, n, 0xffffffffu, 100);
		c[n++] = (struct gv_off_cmd)CMD(MATCH, 1, n, 6000, 100000);
		check_script(d, c, n);
	}
}

/* ---- random streams against the model ----------------------------------- */

static struct gv_off_cmd rand_cmd(uint64_t *st, uint32_t tag)
{
	struct gv_off_cmd c = { .tag = tag };
	uint64_t r = gv_test_below(st, 100);

	c.side = (uint8_t)(1 + gv_test_below(st, 2));
	c.price = 1000 + (uint32_t)gv_test_below(st, 60) - 30;
	c.qty = (uint32_t)gv_test_below(st, 20);
	if (r < 30) {
		c.type = GV_OFF_CMD_SET;
	} else if (r < 55) {
		c.type = GV_OFF_CMD_ADD;
		if (gv_test_below(st, 50) == 0)
			c.qty = 0xfffffff0u;        /* drives -ERANGE */
	} else if (r < 80) {
		c.type = GV_OFF_CMD_REDUCE;
	} else if (r < 97) {
		c.type = GV_OFF_CMD_MATCH;
		c.qty = (uint32_t)gv_test_below(st, 200);
	} else if (r < 98) {
		c.type = GV_OFF_CMD_CLEAR;
	} else {
		c.type = (uint8_t)gv_test_below(st, 8);      /* maybe bad */
		c.side = (uint8_t)gv_test_below(st, 4);
	}
	return c;
}

static void random_stream(uint32_t depth, uint64_t seed, uint64_t steps)
{
	static struct gv_off_cmd c[64];
	static struct gv_off_ev got[MAXEV], want[MAXEV];
	struct ref *r = calloc(1, sizeof(*r));
	struct gv_offload *o = mk(depth);
	uint64_t st = seed, done = 0, nev = 0;
	uint32_t tag = 0, fails = CU_get_number_of_failures();

	CU_ASSERT_FATAL(r != NULL);
	r->depth = depth;
	while (done < steps && CU_get_number_of_failures() == fails) {
		uint32_t n = 1 + (uint32_t)gv_test_below(&st, 48), nw = 0, ng;

		for (uint32_t i = 0; i < n; i++) {
			c[i] = rand_cmd(&st, ++tag);
			ref_apply(r, &c[i], want, &nw);
		}
		ng = run(o, c, n, got, MAXEV);
		expect_evs(got, ng, want, nw);
		done += n;
		nev += ng;
	}
	printf("depth %u: %" PRIu64 " commands, %" PRIu64 " events match\n",
	       depth, done, nev);
	gv_offload_free(o);
	free(r);
}

static void test_random(void)
{
	uint64_t seed = gv_test_seed(0x6761766c);
	uint32_t depths[] = { 1, 3, 8, 16, 64 };

	for (size_t i = 0; i < GV_ARRAY_SIZE(depths); i++)
		random_stream(depths[i], seed + i, g_steps);
}

/* ---- the register map and the rings ------------------------------------- */

static struct gv_hw_sim *g_sim;
static struct gv_off_bus g_bus;

static uint32_t rd(uint32_t a)
{
	return gv_hw_sim_read32(g_sim, a);
}

static void wr(uint32_t a, uint32_t v)
{
	gv_hw_sim_write32(g_sim, a, v);
}

static int setup_sim(void)
{
	g_sim = gv_hw_sim_create();
	g_bus.read32 = gv_hw_sim_read32;
	g_bus.write32 = gv_hw_sim_write32;
	g_bus.arg = g_sim;
	return g_sim == NULL;
}

static int teardown_sim(void)
{
	gv_hw_sim_free(g_sim);
	return 0;
}

static void test_regs(void)
{
	struct gv_off_drv d;
	char why[128];

	gv_hw_sim_reset(g_sim);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ID), GV_OFF_HW_ID);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_VERSION), 0x00010000u);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_CAPS), GV_OFF_CAP_MATCH |
	                GV_OFF_CAP_LEVELS | GV_OFF_CAP_HW);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_DEPTH), gv_hw_sim_depth());
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_QSIZE), 128u << 16 | 32u);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_STATUS), GV_OFF_ST_EVT_EMPTY);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ERROR), 0);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_DEPTH_LIMIT), gv_hw_sim_depth());
	/* Unmapped: all-ones on read, BAD_ADDR on write. */
	CU_ASSERT_EQUAL(rd(0x0800), 0xffffffffu);
	wr(0x0800, 1);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ERROR), GV_OFF_ERR_BAD_ADDR);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_STATUS) & GV_OFF_ST_ERROR,
	                GV_OFF_ST_ERROR);
	wr(GV_OFF_REG_ERROR, GV_OFF_ERR_BAD_ADDR);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ERROR), 0);
	/* A doorbell past the ring is refused and flagged. */
	wr(GV_OFF_REG_CMD_TAIL, 33);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_CMD_TAIL), 0);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ERROR), GV_OFF_ERR_DOORBELL);
	wr(GV_OFF_REG_EVT_HEAD, 1);             /* past EVT_TAIL */
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ERROR), GV_OFF_ERR_DOORBELL |
	                GV_OFF_ERR_EVT_HEAD);
	/* The 64-bit cycle counter: LO latches HI. */
	uint32_t lo1 = rd(GV_OFF_REG_CYCLES_LO), lo2 = rd(GV_OFF_REG_CYCLES_LO);
	CU_ASSERT(lo2 - lo1 == 1);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_CYCLES_HI), 0);
	/* Soft reset clears the errors; the driver's init does one. */
	CU_ASSERT_EQUAL(gv_off_drv_init(&d, &g_bus, 16, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_ERROR), 0);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_DEPTH_LIMIT), 16);
	CU_ASSERT_EQUAL(gv_off_drv_init(&d, &g_bus, gv_hw_sim_depth() + 1, why,
	                                sizeof(why)), -EINVAL);
	CU_ASSERT(strstr(why, "depth") != NULL);
	CU_ASSERT_EQUAL(gv_off_drv_init(&d, &g_bus, 0, why, sizeof(why)),
	                -EINVAL);
}

/* Fill the event ring (the core stalls), then the command ring. */
static void test_queues_full_empty(void)
{
	struct gv_off_drv d;
	struct gv_off_cmd c[128];
	static struct gv_off_ev ev[MAXEV];
	char why[128];
	uint32_t hw = gv_hw_sim_depth(), n, got = 0, i;
	int k;

	CU_ASSERT_FATAL(gv_off_drv_init(&d, &g_bus, hw, why, sizeof(why)) == 0);
	CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, 16), 0);  /* empty */
	for (i = 0; i < hw; i++)
		c[i] = (struct gv_off_cmd)CMD(SET, 2, i, 100 + i, 1);
	for (n = 0; n < hw; n += (uint32_t)k) {
		k = gv_off_drv_submit_burst(&d, c + n, hw - n);
		CU_ASSERT_FATAL(k >= 0);
		/* Nothing to poll, but poll waits for the core to go idle. */
		CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, 16), 0);
	}
	CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, 16), 0);
	/* Each MATCH: hw LEVELs + DONE; 128 event slots hold < 2. */
	for (i = 0; i < 128; i++)
		c[i] = (struct gv_off_cmd)CMD(MATCH, 1, 1000 + i, 1u << 30, 1u << 30);
	/* 32 fit; the core runs until the event ring is full, then stalls
	 * (2 MATCHes out, the 3rd half done); 2 more fit; then none. */
	k = gv_off_drv_submit_burst(&d, c, 128);
	CU_ASSERT_EQUAL(k, 32);
	n = (uint32_t)k;
	gv_hw_sim_tick(g_sim, 1000);
	k = gv_off_drv_submit_burst(&d, c + n, 128 - n);
	CU_ASSERT_FATAL(k >= 0);
	n += (uint32_t)k;
	gv_hw_sim_tick(g_sim, 1000);
	CU_ASSERT_EQUAL(gv_off_drv_submit_burst(&d, c + n, 128 - n), 0);
	CU_ASSERT(n >= 32 && n < 40);   /* the command ring filled up */
	uint32_t st = rd(GV_OFF_REG_STATUS);
	CU_ASSERT(st & GV_OFF_ST_EVT_FULL);
	CU_ASSERT(st & GV_OFF_ST_CMD_FULL);
	CU_ASSERT(st & GV_OFF_ST_BUSY);
	CU_ASSERT(rd(GV_OFF_REG_CNT_STALLS) > 0);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_EVT_TAIL) - rd(GV_OFF_REG_EVT_HEAD), 128);
	/* Drain; the rest follows. */
	for (i = 0; i < 100000 && got < n * (hw + 1); i++) {
		k = gv_off_drv_poll_burst(&d, ev + got, MAXEV - got);
		CU_ASSERT_FATAL(k >= 0);
		got += (uint32_t)k;
	}
	CU_ASSERT_EQUAL(got, n * (hw + 1));
	for (i = 0; i < got; i++) {
		uint32_t m = i / (hw + 1), l = i % (hw + 1);

		CU_ASSERT_EQUAL(ev[i].tag, 1000 + m);
		CU_ASSERT_EQUAL(ev[i].type, l < hw ? GV_OFF_EV_LEVEL :
		                GV_OFF_EV_DONE);
		if (l < hw)
			CU_ASSERT_EQUAL(ev[i].price, 100 + l);
	}
	CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, 16), 0);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_STATUS), GV_OFF_ST_EVT_EMPTY);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_CNT_CMDS), hw + n);
	CU_ASSERT_EQUAL(rd(GV_OFF_REG_CNT_EVTS), got);
}

/* A device whose indices make no sense is -EIO, not a hang or a crash. */
static uint32_t dead_read32(void *arg, uint32_t addr)
{
	if (addr == GV_OFF_REG_ID)
		return arg == NULL ? GV_OFF_HW_ID : 0xffffffffu;
	return addr == GV_OFF_REG_QSIZE ? (128u << 16 | 32u) :
	       addr == GV_OFF_REG_VERSION ? 0x10000u :
	       addr == GV_OFF_REG_CAPS ? 7u :
	       addr == GV_OFF_REG_DEPTH ? 64u : 0xffffffffu;
}

static void dead_write32(void *arg, uint32_t addr, uint32_t v)
{
	(void)arg;
	(void)addr;
	(void)v;
}

static void test_dead_device(void)
{
	struct gv_off_bus bus = { dead_read32, dead_write32, NULL };
	struct gv_off_drv d;
	struct gv_off_cmd c[40] = { 0 };
	struct gv_off_ev ev[4];
	char why[128];

	CU_ASSERT_EQUAL(gv_off_drv_probe(&d, &bus, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(gv_off_drv_init(&d, &bus, 8, why, sizeof(why)),
	                -ENODEV);
	d.cq = 32;
	d.eq = 128;
	CU_ASSERT_EQUAL(gv_off_drv_submit_burst(&d, c, 32), 32);
	CU_ASSERT_EQUAL(gv_off_drv_submit_burst(&d, c, 8), -EIO);
	CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, 4), -EIO);
	bus.read32 = dead_read32;
	bus.arg = &bus;                         /* ID reads as 0xffffffff */
	CU_ASSERT_EQUAL(gv_off_drv_probe(&d, &bus, why, sizeof(why)), -ENODEV);
	CU_ASSERT(strstr(why, "not a gavel matching core") != NULL);
}

/* ---- latency and speed --------------------------------------------------- */

static void test_latency(void)
{
	struct gv_off_drv d;
	struct gv_off_cmd c[16];
	struct gv_off_ev ev[32];
	char why[128];
	uint32_t lv[] = { 1, 4, 16 };

	CU_ASSERT_FATAL(gv_off_drv_init(&d, &g_bus, 64, why, sizeof(why)) == 0);
	for (uint32_t i = 0; i < 16; i++)
		c[i] = (struct gv_off_cmd)CMD(SET, 2, i, 100 + i, 10);
	CU_ASSERT_EQUAL(gv_off_drv_submit_burst(&d, c, 16), 16);
	CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, 32), 0);
	printf("\n%-8s %12s %10s %10s %14s\n", "levels", "core cycles",
	       "ns@250MHz", "ns@322MHz", "host cycles");
	for (size_t i = 0; i < GV_ARRAY_SIZE(lv); i++) {
		/* Crosses exactly lv[i] levels, quantity left over. */
		struct gv_off_cmd m = CMD(MATCH, 1, 77, 100 + lv[i] - 1, 1000);
		uint64_t t0 = gv_hw_sim_cycles(g_sim), host;
		uint32_t got = 0, core;
		int k;

		CU_ASSERT_EQUAL(gv_off_drv_submit_burst(&d, &m, 1), 1);
		while (got == 0 || ev[got - 1].type != GV_OFF_EV_DONE) {
			k = gv_off_drv_poll_burst(&d, ev + got, 32 - got);
			CU_ASSERT_FATAL(k >= 0 && got + (uint32_t)k < 32);
			got += (uint32_t)k;
		}
		host = gv_hw_sim_cycles(g_sim) - t0;
		core = rd(GV_OFF_REG_LAST_CYCLES);
		CU_ASSERT_EQUAL(got, lv[i] + 1);
		CU_ASSERT_EQUAL(core, lv[i] + 2);
		printf("%-8u %12u %10.1f %10.1f %14" PRIu64 "\n", lv[i], core,
		       core * 4.0, core * 1000.0 / 322.0, host);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The driver over the shim, as "fpga-sim" runs it: commands and cycles a
 * wall-clock second, for a mix of updates and 25% MATCHes near the touch. */
static void test_sim_speed(void)
{
	static struct gv_off_cmd c[32];
	static struct gv_off_ev ev[MAXEV];
	struct gv_off_drv d;
	char why[128];
	uint64_t st = 42, ops = 0, cyc0;
	double t0, dt;
	int k;

	CU_ASSERT_FATAL(gv_off_drv_init(&d, &g_bus, 64, why, sizeof(why)) == 0);
	for (uint32_t i = 0; i < 128; i += 32) {
		for (uint32_t j = 0; j < 32; j++)
			c[j] = (struct gv_off_cmd)CMD(SET, 1 + (j & 1), j,
			        (j & 1) ? 1030 + i + j : 970 - i - j, 50);
		CU_ASSERT_EQUAL(gv_off_drv_submit_burst(&d, c, 32), 32);
		CU_ASSERT_EQUAL(gv_off_drv_poll_burst(&d, ev, MAXEV), 0);
	}
	cyc0 = gv_hw_sim_cycles(g_sim);
	t0 = now_s();
	while ((dt = now_s() - t0) < 1.0) {
		uint32_t n = 0;

		for (uint32_t j = 0; j < 32; j++) {
			c[j] = rand_cmd(&st, j);
			if (c[j].type != GV_OFF_CMD_MATCH)
				c[j].type = GV_OFF_CMD_ADD;     /* no CLEAR */
			c[j].side = (uint8_t)(1 + (j & 1));
		}
		while (n < 32) {
			k = gv_off_drv_submit_burst(&d, c + n, 32 - n);
			CU_ASSERT_FATAL(k >= 0);
			n += (uint32_t)k;
			while ((k = gv_off_drv_poll_burst(&d, ev, MAXEV)) > 0)
				;
			CU_ASSERT_FATAL(k == 0);
		}
		ops += 32;
	}
	printf("\nsimulation: %.0f commands/s, %.2f Mcycles/s, %.1f cycles a "
	       "command (%" PRIu64 " commands in %.2f s, DEPTH %u)\n",
	       (double)ops / dt,
	       (double)(gv_hw_sim_cycles(g_sim) - cyc0) / dt / 1e6,
	       (double)(gv_hw_sim_cycles(g_sim) - cyc0) / (double)ops, ops, dt,
	       gv_hw_sim_depth());
}

static const struct gv_test tests[] = {
	GV_TEST(test_regs),
	GV_TEST(test_queues_full_empty),
	GV_TEST(test_dead_device),
	GV_TEST(test_truncate),
	GV_TEST(test_evict),
	GV_TEST(test_errors),
	GV_TEST(test_remove_and_zero),
	GV_TEST(test_beyond_empty_truncated),
	GV_TEST(test_truncated_hole),
	GV_TEST(test_truncated_empty),
	GV_TEST(test_match_readonly_and_clear),
	GV_TEST(test_full_depth),
	GV_TEST(test_random),
	GV_TEST(test_latency),
	GV_TEST(test_sim_speed),
};

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--steps") == 0)
			g_steps = strtoull(argv[++i], NULL, 0);
	return gv_test_main("hw_sim", tests, GV_ARRAY_SIZE(tests), setup_sim,
	                    teardown_sim);
}
