/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_off_sw.c - "sw": the reference offload backend (prio 0, always
 * probes, the fallback). It is the executable form of the mirror rules in
 * gv_offload.h; every other backend must produce its event stream bit for
 * bit (tests/offload/test_offload.c, the conformance suite).
 *
 * Structure: per side a sorted array of at most `depth` (price, qty), best
 * first (bids descending, asks ascending), and a truncated flag; a ring of
 * results. submit_burst applies commands in order and appends their
 * results; poll_burst drains the ring.
 *
 * Complexity and bounds: SET/ADD/REDUCE are a binary search plus a memmove
 * of at most depth-1 entries; MATCH walks at most depth levels. A command is
 * taken only if the ring has room for its worst case (MATCH: depth LEVELs
 * and a DONE; otherwise one ERROR), so submit may take fewer than n.
 *
 * Choices where gv_offload.h is silent (the hardware must agree):
 *  - event fields a type does not use are 0 (DONE.price, ERROR.price/qty);
 *  - SET/ADD of 0 to a price not held changes nothing (not even truncated);
 *  - a side other than 1 or 2 (except for CLEAR, which ignores it) and an
 *    unknown command type are ERROR -EINVAL; reserved is ignored.
 */
#include <errno.h>
#include <string.h>

#include "gv_offload.h"

#define SIDE_BUY 1
#define SIDE_SELL 2

struct sw_level {
	uint32_t price;
	uint32_t qty;
};

struct sw_side {
	uint32_t n;
	bool truncated;
	struct sw_level lv[GV_OFFLOAD_DEPTH_MAX];
};

struct sw_ctx {
	uint32_t depth;
	uint32_t ring_mask;
	uint64_t head;               /* next event to poll */
	uint64_t tail;               /* next free slot */
	struct sw_side side[2];      /* [0] bids, [1] asks */
	struct gv_off_ev ring[];     /* ring_mask + 1 entries */
};

/* Room for a full burst of worst-case MATCHes. */
static uint32_t ring_size(uint32_t depth)
{
	uint32_t need = 32u * (depth + 1u), sz = 64;

	while (sz < need)
		sz <<= 1;
	return sz;
}

static size_t sw_ctx_size(const struct gv_offload_params *p)
{
	return sizeof(struct sw_ctx) +
	       (size_t)ring_size(p->depth) * sizeof(struct gv_off_ev);
}

static int sw_init(void *ctx, const struct gv_offload_params *p)
{
	struct sw_ctx *s = ctx;

	if (p->depth < 1 || p->depth > GV_OFFLOAD_DEPTH_MAX)
		return -EINVAL;
	/* The framework hands over zeroed state. */
	GV_ASSERT(s->head == 0 && s->tail == 0);
	s->depth = p->depth;
	s->ring_mask = ring_size(p->depth) - 1;
	GV_VERIFY(GV_IS_POW2(s->ring_mask + 1));
	return 0;
}

static void sw_fini(void *ctx)
{
	(void)ctx;
}

static bool better(int si, uint32_t a, uint32_t b)
{
	return si == 0 ? a > b : a < b;
}

/* Index of `price` in the side, or where it would go (best first). */
static uint32_t find_pos(const struct sw_side *sd, int si, uint32_t price)
{
	uint32_t lo = 0, hi = sd->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (better(si, sd->lv[mid].price, price))
			lo = mid + 1;
		else
			hi = mid;
	}
	GV_ASSERT(lo <= sd->n);
	return lo;
}

static void remove_at(struct sw_side *sd, uint32_t i)
{
	GV_ASSERT(i < sd->n);
	memmove(&sd->lv[i], &sd->lv[i + 1],
	        (size_t)(sd->n - i - 1) * sizeof(sd->lv[0]));
	sd->n--;
}

/*
 * A new price (not held) with qty > 0, under the depth rules. i == n means
 * worse than the worst held level (or no level held): never held on a
 * truncated side, full or not, since the host may hold better prices that
 * the mirror dropped; on a full side it truncates. A better price into a
 * full side evicts the worst held level.
 */
static void insert_new(struct sw_side *sd, uint32_t depth, uint32_t i,
                       uint32_t price, uint32_t qty)
{
	GV_ASSERT(qty > 0 && sd->n <= depth && i <= sd->n);
	if (i == sd->n && (sd->truncated || sd->n == depth)) {
		sd->truncated = true;
		return;                     /* worse than the worst held */
	}
	if (sd->n == depth) {
		sd->truncated = true;
		sd->n--;                    /* evict the worst */
	}
	memmove(&sd->lv[i + 1], &sd->lv[i],
	        (size_t)(sd->n - i) * sizeof(sd->lv[0]));
	sd->lv[i].price = price;
	sd->lv[i].qty = qty;
	sd->n++;
	GV_ASSERT(sd->n <= depth);
}

/* SET, ADD, REDUCE: 0 or the -errno of the ERROR to report. */
static int apply_level(struct sw_ctx *s, const struct gv_off_cmd *c)
{
	int si = c->side - 1;
	struct sw_side *sd = &s->side[si];
	uint32_t i = find_pos(sd, si, c->price);
	bool held = i < sd->n && sd->lv[i].price == c->price;

	switch (c->type) {
	case GV_OFF_CMD_ADD:
		if (!held)
			break;
		if (c->qty > UINT32_MAX - sd->lv[i].qty)
			return -ERANGE;
		sd->lv[i].qty += c->qty;
		return 0;
	case GV_OFF_CMD_REDUCE:
		if (!held || c->qty > sd->lv[i].qty)
			return -EINVAL;
		sd->lv[i].qty -= c->qty;
		if (sd->lv[i].qty == 0)
			remove_at(sd, i);
		return 0;
	default:
		GV_ASSERT(c->type == GV_OFF_CMD_SET);
		break;
	}
	/* SET, or ADD to a price not held (which is a SET). */
	if (held && c->qty == 0)
		remove_at(sd, i);
	else if (held)
		sd->lv[i].qty = c->qty;
	else if (c->qty > 0)
		insert_new(sd, s->depth, i, c->price, c->qty);
	return 0;
}

static struct gv_off_ev *push(struct sw_ctx *s, uint8_t type, uint32_t tag)
{
	struct gv_off_ev *e = &s->ring[s->tail & s->ring_mask];

	GV_ASSERT(s->tail - s->head <= s->ring_mask);
	s->tail++;
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->tag = tag;
	return e;
}

static void do_match(struct sw_ctx *s, const struct gv_off_cmd *c)
{
	int si = c->side == SIDE_BUY ? 1 : 0;  /* the opposite side */
	const struct sw_side *sd = &s->side[si];
	uint32_t rem = c->qty, i;
	struct gv_off_ev *e;

	for (i = 0; i < sd->n && rem > 0; i++) {
		const struct sw_level *l = &sd->lv[i];

		if (si == 1 ? l->price > c->price : l->price < c->price)
			break;
		e = push(s, GV_OFF_EV_LEVEL, c->tag);
		e->price = l->price;
		e->qty = GV_MIN(l->qty, rem);
		rem -= e->qty;
	}
	e = push(s, GV_OFF_EV_DONE, c->tag);
	e->qty = rem;
	e->beyond = rem > 0 && i == sd->n && sd->truncated;
	GV_ASSERT(i <= s->depth && rem <= c->qty);
}

static void apply(struct sw_ctx *s, const struct gv_off_cmd *c)
{
	bool side_ok = c->side == SIDE_BUY || c->side == SIDE_SELL;
	int rc = -EINVAL;

	switch (c->type) {
	case GV_OFF_CMD_SET:
	case GV_OFF_CMD_ADD:
	case GV_OFF_CMD_REDUCE:
		if (side_ok)
			rc = apply_level(s, c);
		break;
	case GV_OFF_CMD_MATCH:
		if (!side_ok)
			break;
		do_match(s, c);
		return;
	case GV_OFF_CMD_CLEAR:
		s->side[0].n = s->side[1].n = 0;
		s->side[0].truncated = s->side[1].truncated = false;
		rc = 0;
		break;
	default:
		break;
	}
	if (rc < 0)
		push(s, GV_OFF_EV_ERROR, c->tag)->code = rc;
}

static int sw_submit_burst(void *ctx, const struct gv_off_cmd *c, uint32_t n)
{
	struct sw_ctx *s = ctx;
	uint32_t i;

	if (c == NULL && n > 0)
		return -EINVAL;
	n = GV_MIN(n, (uint32_t)INT32_MAX);
	for (i = 0; i < n; i++) {
		uint64_t used = s->tail - s->head;
		uint64_t room = (uint64_t)s->ring_mask + 1 - used;
		bool match = c[i].type == GV_OFF_CMD_MATCH;

		if (room < (match ? s->depth + 1u : 1u))
			break;
		apply(s, &c[i]);
		GV_ASSERT(s->side[0].n <= s->depth && s->side[1].n <= s->depth);
	}
	GV_ASSERT(s->tail - s->head <= (uint64_t)s->ring_mask + 1);
	return (int)i;
}

static int sw_poll_burst(void *ctx, struct gv_off_ev *ev, uint32_t n)
{
	struct sw_ctx *s = ctx;
	uint64_t avail = s->tail - s->head;
	uint32_t i, k;

	if (ev == NULL && n > 0)
		return -EINVAL;
	n = GV_MIN(n, (uint32_t)INT32_MAX);
	GV_ASSERT(avail <= (uint64_t)s->ring_mask + 1);
	k = (uint32_t)GV_MIN((uint64_t)n, avail);
	for (i = 0; i < k; i++)
		ev[i] = s->ring[(s->head + i) & s->ring_mask];
	s->head += k;
	return (int)k;
}

static const struct gv_offload_ops sw_ops = {
	.abi = GV_OFFLOAD_ABI,
	.name = "sw",
	.prio = 0,
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS,
	.probe = NULL,               /* always usable */
	.ctx_size = sw_ctx_size,
	.init = sw_init,
	.fini = sw_fini,
	.submit_burst = sw_submit_burst,
	.poll_burst = sw_poll_burst,
};

GV_OFFLOAD_REGISTER(sw_ops)
