/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref_book.c - reference model of the matching engine (see ref_book.h).
 *
 * Structure: a pool of max_orders order slots (a slot is taken when a NEW
 * is accepted, market/IOC/FOK included, and given back when the order is
 * done); per instrument and side an array of slot numbers kept in
 * price-time order by linear insertion (best price first, then arrival at
 * the level), so the best order is element 0 and the views are a walk.
 * Order lookups, stop checks and acceptance-order walks scan the pool.
 * FOK feasibility is decided by a dry run: the whole mutable state (struct
 * core) is copied, the order is matched against the copy with events
 * suppressed, and it is feasible iff it filled completely. Every operation
 * is O(live orders), except the sort of a mass cancel's orders.
 *
 * The model leaves out one rule: CAPACITY when no page of price levels is
 * free. Configure the engine with enough pages that it never applies.
 *
 * ------------------------------------------------------------------------
 * Details gv_book.h and docs/protocol.md leave open, and what the model does
 * ------------------------------------------------------------------------
 *  1. Price band: half-width w = floor(ref * bps / 10000) ticks, ref = last
 *     trade of the instrument, else its configured reference; no band when
 *     bps is 0 or there is no reference. A limit price p (limit and
 *     stop-limit, checked at acceptance only, and on a replace only when
 *     the price changes) is rejected PRICE_BAND iff |p - ref| > w. A market
 *     order (and a triggered stop) computes the bound once, when it starts
 *     to match: a buy trades at prices <= ref + w, a sell at >= ref - w
 *     (only the adverse edge binds; a resting order better than the band
 *     still trades). A triggered stop-limit is not band-checked again.
 *  2. Stops trigger only once the instrument has a trade (last price 0
 *     means "no trade": neither buy nor sell stops trigger). The stop price
 *     has no upper bound (protocol 1.5 names only <= 0 as BAD_STOP_PRICE).
 *  3. MAX_NOTIONAL for market and stop (type 3) orders uses the reference
 *     at acceptance (last, else configured) and is skipped without one;
 *     limit and stop-limit use their limit price. Replace: new_price x
 *     new_qty.
 *  4. POST_ONLY_WOULD_TAKE: the limit price reaches the best opposite
 *     price, whoever owns the resting order (STP is not considered).
 *  5. REPLACE validation: KILLED, THROTTLED, CL_ORD_ID_NOT_INCREASING (uses
 *     up new_cl_ord_id when it passes), UNKNOWN_ORDER (orig_cl_ord_id is not
 *     a live order of this session; replaced orders are known by their new
 *     id only), UNSUPPORTED (pending stop), BAD_QTY (new_qty 0 or above
 *     max qty; the instrument's min qty does not apply to a replace),
 *     BAD_PRICE, HALTED (a replace is refused on a halted instrument, even
 *     one that only reduces), PRICE_BAND (price changed), MAX_NOTIONAL,
 *     POST_ONLY_WOULD_TAKE. No CAPACITY. A replace to the same price and
 *     the same open qty is accepted: REPLACED, priority kept, no MD event.
 *  6. A replace that keeps priority cuts hidden iceberg quantity first; the
 *     displayed size becomes min(displayed, new_qty). A replace that loses
 *     priority shows a fresh slice min(display_qty, new_qty). It takes the
 *     "trades" path (MD_DELETE, matching, MD_ADD) iff its new price reaches
 *     the best opposite price, even if matching then only does STP actions.
 *  7. CANCEL has no cl_ord_id check of its own (the C message carries no
 *     new id); allowed when halted. MASS_CANCEL: KILLED, THROTTLED,
 *     UNKNOWN_SYMBOL (symbol != 0 and unknown), BAD_SIDE (side not 0/1/2);
 *     allowed when halted; the ack is sent even when nothing matches.
 *  8. HALT/RESUME always emit MD_TRADING_STATE, even when the state does
 *     not change. They, END_OF_DAY and the session commands ignore the
 *     THROTTLED flag; HALT/RESUME/END_OF_DAY ignore the session field.
 *  9. END_OF_DAY cancels DAY orders only; it resets nothing else (no
 *     cl_ord_id, sequence, halt or kill reset).
 *     An instrument with a band must have a reference price (else
 *     -EINVAL from add_instrument, as the engine does).
 * 10. SESSION_CANCEL_ALL with a reason other than COD, KILL_SWITCH, ADMIN
 *     is a bad command (GV_CNT_BAD_CMD, no event, no kill). An unknown
 *     session on any session command is a bad command.
 * 11. Events: REJECTED carries the command's session; its `instrument` is
 *     the known instrument of the command or 0 (the test does not compare
 *     it). Every execution report about an order carries the order's
 *     instrument and session and its current cl_ord_id (the new one after a
 *     replace); MD events carry session 0, the order's instrument and side.
 *     MD_EXEC's price is the resting order's. MASS_CANCEL_ACK: session of
 *     the command, instrument = the symbol field (0 = all), qty = count.
 * 12. Views: gv_book_foreach_order lists resting orders only (never
 *     pending stops: pending_stop is 0); ord_type is the type as accepted,
 *     so a triggered stop-limit that rests shows GV_TYPE_STOP_LIMIT; its
 *     stop_price is not compared. The FILL of an iceberg reports the open
 *     quantity (displayed + hidden) left.
 * 13. STP DECREMENT reduces a resting order's hidden quantity first
 *     (as the header says); FOK feasibility counts quantity lost to STP as
 *     unfilled (a FOK that meets its own order under CANCEL_NEWEST,
 *     CANCEL_BOTH or DECREMENT is FOK_UNFILLED; under CANCEL_OLDEST the own
 *     orders are skipped in the dry run and cancelled only if the FOK then
 *     runs).
 * ------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ref_book.h"

enum { ST_FREE, ST_ACTIVE, ST_RESTING, ST_STOP };

#define NONE UINT32_MAX

struct ord {
	uint64_t seq;             /* accepted-order sequence, from 1 */
	uint64_t cl_ord_id;       /* current (after replaces) */
	uint64_t ref;             /* MD reference while resting */
	int64_t price;            /* limit price; 0 for market and stop */
	int64_t stop_price;
	uint64_t open;            /* displayed + hidden */
	uint64_t visible;         /* displayed, while resting */
	uint64_t display;         /* iceberg slice size, 0 = all */
	uint32_t sess;            /* index into ref_book.sess */
	uint32_t ins;             /* index into ref_book.ins */
	uint8_t state, side, type, tif, stp, post_only;
};

struct instr {
	struct gv_instrument_params p;
	bool halted;
};

struct sess {
	uint32_t id;
	uint32_t account;
	uint64_t last_cl;         /* highest cl_ord_id used up */
	bool killed;
};

/* Everything matching can change: copied whole for a FOK dry run. */
struct core {
	struct ord *ord;          /* max_orders slots */
	uint32_t *side_ix;        /* [ins][side] x max_orders, price-time */
	uint32_t *side_n;         /* [ins][side] */
	int64_t *last;            /* [ins] last trade price, 0 = none */
	uint32_t live;
	uint64_t seq, match, ref;
};

struct ref_book {
	struct gv_book_params p;
	struct instr *ins;
	uint32_t n_ins;
	struct sess *sess;
	uint32_t n_sess;
	struct core main, scratch;
	struct core *c;           /* &main, or &scratch in a dry run */
	struct gv_evbuf *out;
	uint32_t emitted;
	uint64_t bad_cmds;
	struct pick { uint64_t seq; uint32_t k; } *picks;
};

/* ---- small helpers ---------------------------------------------------- */

static bool limit_like(uint8_t type)
{
	return type == GV_TYPE_LIMIT || type == GV_TYPE_STOP_LIMIT;
}

static bool stop_like(uint8_t type)
{
	return type == GV_TYPE_STOP || type == GV_TYPE_STOP_LIMIT;
}

static uint32_t *side_arr(const struct ref_book *b, const struct core *c,
                          uint32_t ins, uint8_t side)
{
	return c->side_ix + ((size_t)ins * 2 + side - 1) * b->p.max_orders;
}

static uint32_t *side_cnt(const struct core *c, uint32_t ins, uint8_t side)
{
	return &c->side_n[ins * 2 + side - 1];
}

static uint32_t find_ins(const struct ref_book *b, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < b->n_ins; i++)
		if (b->ins[i].p.id == id)
			return i;
	return NONE;
}

static uint32_t find_sess(const struct ref_book *b, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < b->n_sess; i++)
		if (b->sess[i].id == id)
			return i;
	return NONE;
}

/* The live order (resting or pending stop) of session s with cl_ord_id. */
static uint32_t find_order(const struct ref_book *b, uint32_t s, uint64_t cl)
{
	const struct core *c = b->c;
	uint32_t k;

	for (k = 0; k < b->p.max_orders; k++)
		if ((c->ord[k].state == ST_RESTING ||
		     c->ord[k].state == ST_STOP) &&
		    c->ord[k].sess == s && c->ord[k].cl_ord_id == cl)
			return k;
	return NONE;
}

static uint64_t order_id(const struct ref_book *b, const struct ord *o)
{
	return (uint64_t)b->p.shard_id << 58 | o->seq << 24;
}

/* Last trade, else the configured reference; 0 = none. */
static int64_t reference(const struct ref_book *b, uint32_t ins)
{
	if (b->c->last[ins] != 0)
		return b->c->last[ins];
	return (int64_t)b->ins[ins].p.reference_price_ticks;
}

/* Band half-width in ticks, or -1 for no band. */
static int64_t band_width(const struct ref_book *b, uint32_t ins)
{
	int64_t ref = reference(b, ins);
	uint64_t bps = b->ins[ins].p.price_band_bps;

	if (bps == 0 || ref == 0)
		return -1;
	return (int64_t)((uint64_t)ref * bps / 10000);
}

static bool in_band(const struct ref_book *b, uint32_t ins, int64_t price)
{
	int64_t w = band_width(b, ins), ref = reference(b, ins);

	if (w < 0)
		return true;
	return price >= ref - w && price <= ref + w;
}

static uint64_t slice(const struct ord *o)
{
	return o->display != 0 ? GV_MIN(o->display, o->open) : o->open;
}

static bool crosses(uint8_t side, int64_t limit, int64_t price)
{
	return side == GV_SIDE_BUY ? price <= limit : price >= limit;
}

/* Would a `side` order at `price` reach the opposite best price? */
static bool crosses_book(const struct ref_book *b, uint32_t ins, uint8_t side,
                         int64_t price)
{
	uint8_t opp = (uint8_t)(3 - side);
	uint32_t best;

	if (*side_cnt(b->c, ins, opp) == 0)
		return false;
	best = side_arr(b, b->c, ins, opp)[0];
	return crosses(side, price, b->c->ord[best].price);
}

/* ---- events ----------------------------------------------------------- */

static void emit(struct ref_book *b, const struct gv_event *e)
{
	struct gv_evbuf *out = b->out;

	if (b->c != &b->main)
		return; /* FOK dry run */
	out->ev[out->n++] = *e;
	b->emitted++;
	if (out->n == out->cap) {
		out->flush(out->arg, out->ev, out->n);
		out->n = 0;
	}
}

static struct gv_event ord_ev(const struct ref_book *b, uint8_t type,
                              const struct ord *o)
{
	struct gv_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.side = o->side;
	e.instrument = (uint16_t)b->ins[o->ins].p.id;
	e.session = b->sess[o->sess].id;
	e.u.ord.cl_ord_id = o->cl_ord_id;
	e.u.ord.order_id = order_id(b, o);
	return e;
}

static struct gv_event md_ev(const struct ref_book *b, uint8_t type,
                             const struct ord *o)
{
	struct gv_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.side = o->side;
	e.instrument = (uint16_t)b->ins[o->ins].p.id;
	e.u.md.ref = o->ref;
	e.u.md.price = o->price;
	return e;
}

static void reject(struct ref_book *b, const struct gv_cmd *cmd,
                   uint32_t ins, uint64_t cl, uint16_t reason)
{
	struct gv_event e;

	memset(&e, 0, sizeof(e));
	e.type = GV_EV_REJECTED;
	e.session = cmd->session;
	e.instrument = ins == NONE ? 0 : (uint16_t)b->ins[ins].p.id;
	e.u.ord.cl_ord_id = cl;
	e.u.ord.reason = reason;
	emit(b, &e);
}

static void ev_cancelled(struct ref_book *b, const struct ord *o,
                         uint64_t qty, uint16_t reason)
{
	struct gv_event e = ord_ev(b, GV_EV_CANCELLED, o);

	e.u.ord.qty = qty;
	e.u.ord.open_qty = o->open;
	e.u.ord.reason = reason;
	emit(b, &e);
}

static void md_add(struct ref_book *b, const struct ord *o)
{
	struct gv_event e = md_ev(b, GV_EV_MD_ADD, o);

	e.u.md.qty = o->visible;
	emit(b, &e);
}

static void md_reduce(struct ref_book *b, const struct ord *o, uint64_t cut)
{
	struct gv_event e = md_ev(b, GV_EV_MD_REDUCE, o);

	e.u.md.qty = cut;
	emit(b, &e);
}

static void md_delete(struct ref_book *b, const struct ord *o)
{
	struct gv_event e = md_ev(b, GV_EV_MD_DELETE, o);

	emit(b, &e);
}

/* ---- the book: price-time ordered arrays ------------------------------ */

static void book_insert(struct ref_book *b, uint32_t k)
{
	struct core *c = b->c;
	struct ord *o = &c->ord[k];
	uint32_t *a = side_arr(b, c, o->ins, o->side);
	uint32_t *n = side_cnt(c, o->ins, o->side);
	uint32_t i = 0;

	/* Behind every order at a price as good or better: back of level. */
	while (i < *n && crosses(o->side, c->ord[a[i]].price, o->price))
		i++;
	memmove(a + i + 1, a + i, (*n - i) * sizeof(*a));
	a[i] = k;
	(*n)++;
}

static void book_remove(struct ref_book *b, uint32_t k)
{
	struct core *c = b->c;
	struct ord *o = &c->ord[k];
	uint32_t *a = side_arr(b, c, o->ins, o->side);
	uint32_t *n = side_cnt(c, o->ins, o->side);
	uint32_t i = 0;

	while (i < *n && a[i] != k)
		i++;
	if (i == *n)
		abort(); /* a bug in the model */
	memmove(a + i, a + i + 1, (*n - i - 1) * sizeof(*a));
	(*n)--;
}

/* Show a fresh slice at the back of the order's level. */
static void rest(struct ref_book *b, uint32_t k)
{
	struct ord *o = &b->c->ord[k];

	o->state = ST_RESTING;
	o->visible = slice(o);
	o->ref = ++b->c->ref;
	book_insert(b, k);
	md_add(b, o);
}

static void release(struct ref_book *b, uint32_t k)
{
	b->c->ord[k].state = ST_FREE;
	b->c->live--;
}

/*
 * Cancel what is left of a live order: CANCELLED (+ MD_DELETE if resting).
 * A resting order or pending stop gives its slot back; the aggressor keeps
 * it until its runner is done (open is 0 from here).
 */
static void cancel_whole(struct ref_book *b, uint32_t k, uint16_t reason)
{
	struct ord *o = &b->c->ord[k];
	uint64_t qty = o->open;

	o->open = 0;
	ev_cancelled(b, o, qty, reason);
	if (o->state == ST_RESTING) {
		md_delete(b, o);
		book_remove(b, k);
	}
	if (o->state != ST_ACTIVE)
		release(b, k);
}

/* ---- matching --------------------------------------------------------- */

static uint8_t stp_mode(const struct ref_book *b, const struct ord *o)
{
	return o->stp != 0 ? o->stp : b->ins[o->ins].p.stp_default;
}

static void trade(struct ref_book *b, uint32_t k, uint32_t r)
{
	struct core *c = b->c;
	struct ord *o = &c->ord[k], *ro = &c->ord[r];
	uint64_t q = GV_MIN(o->open, ro->visible), mid = ++c->match;
	struct gv_event e;

	o->open -= q;
	ro->open -= q;
	ro->visible -= q;
	c->last[o->ins] = ro->price;

	e = ord_ev(b, GV_EV_FILL, o);
	e.u.ord.price = ro->price;
	e.u.ord.qty = q;
	e.u.ord.open_qty = o->open;
	e.u.ord.aux = mid;
	e.u.ord.liquidity = GV_LIQ_TAKER;
	emit(b, &e);
	e = ord_ev(b, GV_EV_FILL, ro);
	e.u.ord.price = ro->price;
	e.u.ord.qty = q;
	e.u.ord.open_qty = ro->open;
	e.u.ord.aux = mid;
	e.u.ord.liquidity = GV_LIQ_MAKER;
	emit(b, &e);
	e = md_ev(b, GV_EV_MD_EXEC, ro);
	e.u.md.qty = q;
	e.u.md.match_id = mid;
	emit(b, &e);

	if (ro->visible != 0)
		return;
	book_remove(b, r);
	if (ro->open != 0)
		rest(b, r); /* next iceberg slice, new ref, back of level */
	else
		release(b, r);
}

/* Resting order r loses `s` lots to STP DECREMENT, hidden lots first. */
static void stp_reduce(struct ref_book *b, uint32_t r, uint64_t s)
{
	struct ord *ro = &b->c->ord[r];
	uint64_t hcut = GV_MIN(ro->open - ro->visible, s);
	uint64_t vcut = s - hcut;

	ro->open -= s;
	ro->visible -= vcut;
	ev_cancelled(b, ro, s, GV_CXL_STP);
	if (vcut != 0)
		md_reduce(b, ro, vcut);
}

/* Self-trade between aggressor k and resting r; true if k goes on. */
static bool stp(struct ref_book *b, uint32_t k, uint32_t r)
{
	struct ord *o = &b->c->ord[k], *ro = &b->c->ord[r];
	uint64_t s;

	switch (stp_mode(b, o)) {
	case GV_STP_CANCEL_NEWEST:
		cancel_whole(b, k, GV_CXL_STP);
		return false;
	case GV_STP_CANCEL_OLDEST:
		cancel_whole(b, r, GV_CXL_STP);
		return true;
	case GV_STP_CANCEL_BOTH:
		cancel_whole(b, r, GV_CXL_STP);
		cancel_whole(b, k, GV_CXL_STP);
		return false;
	case GV_STP_DECREMENT:
		s = GV_MIN(o->open, ro->open);
		if (ro->open == s)
			cancel_whole(b, r, GV_CXL_STP);
		else
			stp_reduce(b, r, s);
		if (o->open == s) {
			cancel_whole(b, k, GV_CXL_STP);
			return false;
		}
		o->open -= s;
		ev_cancelled(b, o, s, GV_CXL_STP);
		return true;
	default:
		abort(); /* GV_STP_NONE never gets here */
	}
}

/* Match aggressor k up to `limit`; returns the lots it traded. */
static uint64_t match(struct ref_book *b, uint32_t k, int64_t limit)
{
	struct core *c = b->c;
	struct ord *o = &c->ord[k];
	uint8_t opp = (uint8_t)(3 - o->side);
	uint64_t filled = 0, before;

	while (o->open > 0 && *side_cnt(c, o->ins, opp) > 0) {
		uint32_t r = side_arr(b, c, o->ins, opp)[0];
		struct ord *ro = &c->ord[r];

		if (!crosses(o->side, limit, ro->price))
			break;
		if (b->sess[o->sess].account == b->sess[ro->sess].account &&
		    stp_mode(b, o) != GV_STP_NONE) {
			if (!stp(b, k, r))
				break;
			continue;
		}
		before = o->open;
		trade(b, k, r);
		filled += before - o->open;
	}
	return filled;
}

static void core_copy(const struct ref_book *b, struct core *d,
                      const struct core *s)
{
	size_t n = b->p.max_orders, ni = b->n_ins;

	memcpy(d->ord, s->ord, n * sizeof(*d->ord));
	memcpy(d->side_ix, s->side_ix, ni * 2 * n * sizeof(*d->side_ix));
	memcpy(d->side_n, s->side_n, ni * 2 * sizeof(*d->side_n));
	memcpy(d->last, s->last, ni * sizeof(*d->last));
	d->live = s->live;
	d->seq = s->seq;
	d->match = s->match;
	d->ref = s->ref;
}

/* FOK: would matching fill all of it? Runs on a copy, emits nothing. */
static bool fok_feasible(struct ref_book *b, uint32_t k, int64_t limit)
{
	uint64_t want = b->main.ord[k].open, got;

	core_copy(b, &b->scratch, &b->main);
	b->c = &b->scratch;
	got = match(b, k, limit);
	b->c = &b->main;
	return got == want;
}

/* How far aggressor k may trade: its limit, or the band for a market. */
static int64_t run_limit(const struct ref_book *b, const struct ord *o)
{
	int64_t w;

	if (limit_like(o->type))
		return o->price;
	w = band_width(b, o->ins);
	if (w < 0)
		return o->side == GV_SIDE_BUY ? INT64_MAX : INT64_MIN;
	if (o->side == GV_SIDE_BUY)
		return reference(b, o->ins) + w;
	return reference(b, o->ins) - w;
}

/* Run aggressor k (a new order, triggered stop or crossing replace). */
static void run_order(struct ref_book *b, uint32_t k)
{
	struct ord *o = &b->c->ord[k];
	int64_t limit = run_limit(b, o);

	o->state = ST_ACTIVE;
	if (o->tif == GV_TIF_FOK && !fok_feasible(b, k, limit)) {
		cancel_whole(b, k, GV_CXL_FOK_UNFILLED);
		release(b, k);
		return;
	}
	match(b, k, limit);
	if (o->open == 0) {
		release(b, k);
	} else if (!limit_like(o->type)) {
		cancel_whole(b, k, GV_CXL_NO_LIQUIDITY);
		release(b, k);
	} else if (o->tif == GV_TIF_IOC || o->tif == GV_TIF_FOK) {
		if (o->tif == GV_TIF_FOK)
			abort(); /* the dry run said it fills */
		cancel_whole(b, k, GV_CXL_IOC_REMAINDER);
		release(b, k);
	} else {
		rest(b, k);
	}
}

static bool stop_holds(const struct ref_book *b, const struct ord *o)
{
	int64_t last = b->c->last[o->ins];

	if (last == 0)
		return false;
	return o->side == GV_SIDE_BUY ? last >= o->stop_price
	                              : last <= o->stop_price;
}

static void trigger(struct ref_book *b, uint32_t k)
{
	struct gv_event e = ord_ev(b, GV_EV_STOP_TRIGGERED, &b->c->ord[k]);

	emit(b, &e);
	run_order(b, k);
}

/* Pending stops of `ins` whose condition holds, earliest first, to the end. */
static void run_stops(struct ref_book *b, uint32_t ins)
{
	struct core *c = b->c;
	uint32_t k, best;

	for (;;) {
		best = NONE;
		for (k = 0; k < b->p.max_orders; k++) {
			const struct ord *o = &c->ord[k];

			if (o->state != ST_STOP || o->ins != ins ||
			    !stop_holds(b, o))
				continue;
			if (best == NONE || o->seq < c->ord[best].seq)
				best = k;
		}
		if (best == NONE)
			return;
		trigger(b, best);
	}
}

/* ---- NEW -------------------------------------------------------------- */

static bool unsupported(const struct gv_cmd *cmd)
{
	uint8_t type = cmd->u.new_order.type, tif = cmd->u.new_order.tif;
	bool day_gtc = tif == GV_TIF_GTC || tif == GV_TIF_DAY;

	if (type == GV_TYPE_MARKET && day_gtc)
		return true;
	if ((cmd->u.new_order.flags & GV_FLAG_POST_ONLY) &&
	    (type != GV_TYPE_LIMIT || !day_gtc))
		return true;
	if (cmd->u.new_order.display_qty > 0 &&
	    (type != GV_TYPE_LIMIT || !day_gtc))
		return true;
	return type == GV_TYPE_STOP && day_gtc;
}

/* The fields' checks of protocol.md 1.5 after UNKNOWN_SYMBOL. */
static uint16_t check_fields(const struct ref_book *b, const struct gv_cmd *cmd,
                             uint32_t ins)
{
	const struct gv_instrument_params *ip = &b->ins[ins].p;
	uint8_t type = cmd->u.new_order.type, side = cmd->u.new_order.side;
	uint64_t qty = cmd->u.new_order.qty;
	int64_t price = cmd->u.new_order.price;
	int64_t stop = cmd->u.new_order.stop_price;

	if (side != GV_SIDE_BUY && side != GV_SIDE_SELL)
		return GV_REJ_BAD_SIDE;
	if (type < GV_TYPE_LIMIT || type > GV_TYPE_STOP_LIMIT)
		return GV_REJ_BAD_TYPE;
	if (cmd->u.new_order.tif < GV_TIF_GTC ||
	    cmd->u.new_order.tif > GV_TIF_DAY)
		return GV_REJ_BAD_TIF;
	if ((cmd->u.new_order.flags & ~GV_FLAG_POST_ONLY) != 0 ||
	    cmd->u.new_order.stp > GV_STP_DECREMENT)
		return GV_REJ_BAD_FLAGS;
	if (unsupported(cmd))
		return GV_REJ_UNSUPPORTED;
	if (qty == 0 || qty < ip->min_qty_lots || qty > ip->max_qty_lots ||
	    cmd->u.new_order.display_qty > qty)
		return GV_REJ_BAD_QTY;
	if (limit_like(type) &&
	    (price <= 0 || (uint64_t)price > ip->max_price_ticks))
		return GV_REJ_BAD_PRICE;
	if (stop_like(type) ? stop <= 0 : stop != 0)
		return GV_REJ_BAD_STOP_PRICE;
	return 0;
}

/* The book-state checks of protocol.md 1.5, from HALTED on. */
static uint16_t check_state(const struct ref_book *b, const struct gv_cmd *cmd,
                            uint32_t ins)
{
	const struct gv_instrument_params *ip = &b->ins[ins].p;
	uint8_t type = cmd->u.new_order.type;
	uint64_t qty = cmd->u.new_order.qty;
	int64_t px = limit_like(type) ? cmd->u.new_order.price
	                              : reference(b, ins);

	if (b->ins[ins].halted)
		return GV_REJ_HALTED;
	if (limit_like(type) && !in_band(b, ins, px))
		return GV_REJ_PRICE_BAND;
	if (ip->max_notional != 0 && px > 0 &&
	    (uint64_t)px * qty > ip->max_notional)
		return GV_REJ_MAX_NOTIONAL;
	if ((cmd->u.new_order.flags & GV_FLAG_POST_ONLY) &&
	    crosses_book(b, ins, cmd->u.new_order.side, px))
		return GV_REJ_POST_ONLY_WOULD_TAKE;
	if (b->c->live == b->p.max_orders)
		return GV_REJ_CAPACITY;
	return 0;
}

static uint32_t alloc_slot(struct ref_book *b)
{
	uint32_t k;

	for (k = 0; k < b->p.max_orders; k++)
		if (b->c->ord[k].state == ST_FREE)
			break;
	if (k == b->p.max_orders)
		abort(); /* CAPACITY was checked */
	b->c->live++;
	return k;
}

static void accept_new(struct ref_book *b, const struct gv_cmd *cmd,
                       uint32_t s, uint32_t ins)
{
	uint32_t k = alloc_slot(b);
	struct ord *o = &b->c->ord[k];
	struct gv_event e;

	memset(o, 0, sizeof(*o));
	o->seq = ++b->c->seq;
	o->cl_ord_id = cmd->u.new_order.cl_ord_id;
	o->side = cmd->u.new_order.side;
	o->type = cmd->u.new_order.type;
	o->tif = cmd->u.new_order.tif;
	o->stp = cmd->u.new_order.stp;
	o->post_only = cmd->u.new_order.flags & GV_FLAG_POST_ONLY;
	o->price = limit_like(o->type) ? cmd->u.new_order.price : 0;
	o->stop_price = cmd->u.new_order.stop_price;
	o->open = cmd->u.new_order.qty;
	o->display = cmd->u.new_order.display_qty;
	o->sess = s;
	o->ins = ins;
	o->state = ST_ACTIVE;

	e = ord_ev(b, GV_EV_ACCEPTED, o);
	e.u.ord.price = o->price;
	e.u.ord.qty = o->open;
	e.u.ord.ord_type = o->type;
	e.u.ord.tif = o->tif;
	emit(b, &e);

	if (stop_like(o->type)) {
		o->state = ST_STOP;
		if (stop_holds(b, o))
			trigger(b, k);
	} else {
		run_order(b, k);
	}
	run_stops(b, ins);
}

static void cmd_new(struct ref_book *b, const struct gv_cmd *cmd, uint32_t s)
{
	struct sess *se = &b->sess[s];
	uint64_t cl = cmd->u.new_order.cl_ord_id;
	uint32_t ins = NONE;
	uint16_t why;

	if (se->killed) {
		why = GV_REJ_KILLED;
	} else if (cmd->flags & GV_CMD_F_THROTTLED) {
		why = GV_REJ_THROTTLED;
	} else if (cl <= se->last_cl) {
		why = GV_REJ_CL_ORD_ID_NOT_INCREASING;
	} else {
		se->last_cl = cl; /* used up, accepted or not */
		ins = find_ins(b, cmd->u.new_order.symbol);
		if (ins == NONE)
			why = GV_REJ_UNKNOWN_SYMBOL;
		else if ((why = check_fields(b, cmd, ins)) == 0)
			why = check_state(b, cmd, ins);
	}
	if (why != 0) {
		reject(b, cmd, ins, cl, why);
		return;
	}
	accept_new(b, cmd, s, ins);
}

/* ---- CANCEL, REPLACE, MASS_CANCEL ------------------------------------- */

static void cmd_cancel(struct ref_book *b, const struct gv_cmd *cmd,
                       uint32_t s)
{
	uint64_t cl = cmd->u.cancel.cl_ord_id;
	uint32_t k;

	if (b->sess[s].killed) {
		reject(b, cmd, NONE, cl, GV_REJ_KILLED);
		return;
	}
	if (cmd->flags & GV_CMD_F_THROTTLED) {
		reject(b, cmd, NONE, cl, GV_REJ_THROTTLED);
		return;
	}
	k = find_order(b, s, cl);
	if (k == NONE) {
		reject(b, cmd, NONE, cl, GV_REJ_UNKNOWN_ORDER);
		return;
	}
	cancel_whole(b, k, GV_CXL_USER);
}

/* Replace checks after UNKNOWN_ORDER, on live order k. */
static uint16_t check_replace(const struct ref_book *b,
                              const struct gv_cmd *cmd, uint32_t k)
{
	const struct ord *o = &b->c->ord[k];
	const struct gv_instrument_params *ip = &b->ins[o->ins].p;
	int64_t px = cmd->u.replace.new_price;
	uint64_t qty = cmd->u.replace.new_qty;

	if (o->state == ST_STOP)
		return GV_REJ_UNSUPPORTED;
	if (qty == 0 || qty > ip->max_qty_lots)
		return GV_REJ_BAD_QTY;
	if (px <= 0 || (uint64_t)px > ip->max_price_ticks)
		return GV_REJ_BAD_PRICE;
	if (b->ins[o->ins].halted)
		return GV_REJ_HALTED;
	if (px != o->price && !in_band(b, o->ins, px))
		return GV_REJ_PRICE_BAND;
	if (ip->max_notional != 0 && (uint64_t)px * qty > ip->max_notional)
		return GV_REJ_MAX_NOTIONAL;
	if (o->post_only && crosses_book(b, o->ins, o->side, px))
		return GV_REJ_POST_ONLY_WOULD_TAKE;
	return 0;
}

static void replace_keep(struct ref_book *b, uint32_t k, uint64_t qty)
{
	struct ord *o = &b->c->ord[k];
	uint64_t vis = GV_MIN(o->visible, qty), cut = o->visible - vis;

	o->open = qty;
	o->visible = vis;
	if (cut != 0)
		md_reduce(b, o, cut);
}

static void replace_move(struct ref_book *b, uint32_t k, int64_t px,
                         uint64_t qty)
{
	struct ord *o = &b->c->ord[k];
	struct gv_event e;
	uint64_t old_ref = o->ref;

	book_remove(b, k);
	if (crosses_book(b, o->ins, o->side, px)) {
		md_delete(b, o);
		o->price = px;
		o->open = qty;
		run_order(b, k);
		run_stops(b, o->ins);
		return;
	}
	o->price = px;
	o->open = qty;
	o->visible = slice(o);
	o->ref = ++b->c->ref;
	book_insert(b, k);
	e = md_ev(b, GV_EV_MD_REPLACE, o);
	e.u.md.ref = old_ref;
	e.u.md.new_ref = o->ref;
	e.u.md.qty = o->visible;
	emit(b, &e);
}

static void cmd_replace(struct ref_book *b, const struct gv_cmd *cmd,
                        uint32_t s)
{
	struct sess *se = &b->sess[s];
	uint64_t cl = cmd->u.replace.new_cl_ord_id;
	int64_t px = cmd->u.replace.new_price;
	uint64_t qty = cmd->u.replace.new_qty;
	uint32_t k = NONE;
	uint16_t why = 0;
	struct ord *o;
	struct gv_event e;
	bool keep;

	if (se->killed) {
		why = GV_REJ_KILLED;
	} else if (cmd->flags & GV_CMD_F_THROTTLED) {
		why = GV_REJ_THROTTLED;
	} else if (cl <= se->last_cl) {
		why = GV_REJ_CL_ORD_ID_NOT_INCREASING;
	} else {
		se->last_cl = cl;
		k = find_order(b, s, cmd->u.replace.orig_cl_ord_id);
		why = k == NONE ? GV_REJ_UNKNOWN_ORDER
		                : check_replace(b, cmd, k);
	}
	if (why != 0) {
		reject(b, cmd, k == NONE ? NONE : b->c->ord[k].ins, cl, why);
		return;
	}
	o = &b->c->ord[k];
	keep = px == o->price && qty <= o->open;
	o->cl_ord_id = cl;
	e = ord_ev(b, GV_EV_REPLACED, o);
	e.u.ord.aux = cmd->u.replace.orig_cl_ord_id;
	e.u.ord.price = px;
	e.u.ord.open_qty = qty;
	e.u.ord.priority_kept = keep;
	emit(b, &e);
	if (keep)
		replace_keep(b, k, qty);
	else
		replace_move(b, k, px, qty);
}

static int pick_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Collect session s's live orders (all instruments if ins is NONE, both
 * sides if side is 0, DAY orders only if day) in acceptance order.
 */
static uint32_t collect(struct ref_book *b, uint32_t s, uint32_t ins,
                        uint8_t side, bool day)
{
	const struct core *c = b->c;
	uint32_t k, n = 0;

	for (k = 0; k < b->p.max_orders; k++) {
		const struct ord *o = &c->ord[k];

		if ((o->state != ST_RESTING && o->state != ST_STOP) ||
		    o->sess != s || (ins != NONE && o->ins != ins) ||
		    (side != 0 && o->side != side) ||
		    (day && o->tif != GV_TIF_DAY))
			continue;
		b->picks[n].seq = o->seq;
		b->picks[n].k = k;
		n++;
	}
	qsort(b->picks, n, sizeof(*b->picks), pick_cmp);
	return n;
}

static void cancel_picked(struct ref_book *b, uint32_t n, uint16_t reason)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		cancel_whole(b, b->picks[i].k, reason);
}

static void cmd_mass_cancel(struct ref_book *b, const struct gv_cmd *cmd,
                            uint32_t s)
{
	uint32_t sym = cmd->u.mass_cancel.symbol, ins = NONE, n;
	uint8_t side = cmd->u.mass_cancel.side;
	struct gv_event e;
	uint16_t why = 0;

	if (b->sess[s].killed)
		why = GV_REJ_KILLED;
	else if (cmd->flags & GV_CMD_F_THROTTLED)
		why = GV_REJ_THROTTLED;
	else if (sym != 0 && (ins = find_ins(b, sym)) == NONE)
		why = GV_REJ_UNKNOWN_SYMBOL;
	else if (side > GV_SIDE_SELL)
		why = GV_REJ_BAD_SIDE;
	if (why != 0) {
		reject(b, cmd, ins, 0, why);
		return;
	}
	n = collect(b, s, ins, side, false);
	memset(&e, 0, sizeof(e));
	e.type = GV_EV_MASS_CANCEL_ACK;
	e.session = cmd->session;
	e.instrument = (uint16_t)sym;
	e.u.ord.qty = n;
	emit(b, &e);
	cancel_picked(b, n, GV_CXL_MASS_CANCEL);
}

/* ---- admin and session commands --------------------------------------- */

static void cmd_halt(struct ref_book *b, const struct gv_cmd *cmd, bool halt)
{
	uint32_t ins = find_ins(b, cmd->u.instrument.symbol);
	struct gv_event e;

	if (ins == NONE) {
		reject(b, cmd, NONE, 0, GV_REJ_UNKNOWN_SYMBOL);
		return;
	}
	b->ins[ins].halted = halt;
	memset(&e, 0, sizeof(e));
	e.type = GV_EV_MD_TRADING_STATE;
	e.instrument = (uint16_t)b->ins[ins].p.id;
	e.u.md.halted = halt;
	emit(b, &e);
}

static void cmd_end_of_day(struct ref_book *b)
{
	uint32_t s;

	for (s = 0; s < b->n_sess; s++)
		cancel_picked(b, collect(b, s, NONE, 0, true),
		              GV_CXL_DAY_EXPIRY);
}

static void cmd_cancel_all(struct ref_book *b, const struct gv_cmd *cmd,
                           uint32_t s)
{
	uint16_t reason = cmd->u.cancel_all.reason;

	if (reason != GV_CXL_COD && reason != GV_CXL_KILL_SWITCH &&
	    reason != GV_CXL_ADMIN) {
		b->bad_cmds++;
		return;
	}
	if (cmd->flags & GV_CMD_F_KILL)
		b->sess[s].killed = true;
	cancel_picked(b, collect(b, s, NONE, 0, false), reason);
}

uint32_t ref_book_apply(struct ref_book *b, const struct gv_cmd *cmd,
                        struct gv_evbuf *out)
{
	uint32_t s = find_sess(b, cmd->session);

	b->out = out;
	b->emitted = 0;
	b->c = &b->main;
	switch (cmd->type) {
	case GV_CMD_HALT:
	case GV_CMD_RESUME:
		cmd_halt(b, cmd, cmd->type == GV_CMD_HALT);
		return b->emitted;
	case GV_CMD_END_OF_DAY:
		cmd_end_of_day(b);
		return b->emitted;
	case GV_CMD_NEW:
	case GV_CMD_CANCEL:
	case GV_CMD_REPLACE:
	case GV_CMD_MASS_CANCEL:
	case GV_CMD_SESSION_CANCEL_ALL:
	case GV_CMD_SESSION_ENABLE:
		break;
	default:
		b->bad_cmds++;
		return 0;
	}
	if (s == NONE) {
		b->bad_cmds++;
		return 0;
	}
	switch (cmd->type) {
	case GV_CMD_NEW:
		cmd_new(b, cmd, s);
		break;
	case GV_CMD_CANCEL:
		cmd_cancel(b, cmd, s);
		break;
	case GV_CMD_REPLACE:
		cmd_replace(b, cmd, s);
		break;
	case GV_CMD_MASS_CANCEL:
		cmd_mass_cancel(b, cmd, s);
		break;
	case GV_CMD_SESSION_CANCEL_ALL:
		cmd_cancel_all(b, cmd, s);
		break;
	default: /* GV_CMD_SESSION_ENABLE */
		b->sess[s].killed = false;
		break;
	}
	return b->emitted;
}

/* ---- set-up ----------------------------------------------------------- */

static int core_alloc(struct core *c, uint32_t max_orders, uint32_t max_ins)
{
	memset(c, 0, sizeof(*c));
	c->ord = calloc(max_orders, sizeof(*c->ord));
	c->side_ix = calloc((size_t)max_ins * 2 * max_orders,
	                    sizeof(*c->side_ix));
	c->side_n = calloc((size_t)max_ins * 2, sizeof(*c->side_n));
	c->last = calloc(max_ins, sizeof(*c->last));
	if (c->ord == NULL || c->side_ix == NULL || c->side_n == NULL ||
	    c->last == NULL)
		return -ENOMEM;
	return 0;
}

static void core_free(struct core *c)
{
	free(c->ord);
	free(c->side_ix);
	free(c->side_n);
	free(c->last);
}

struct ref_book *ref_book_create(const struct gv_book_params *p)
{
	struct ref_book *b;

	if (p->shard_id >= GV_MAX_SHARDS || p->max_orders == 0 ||
	    p->max_orders > GV_ORDERS_PER_SHARD_MAX || p->max_sessions == 0 ||
	    p->max_instruments == 0)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->p = *p;
	b->ins = calloc(p->max_instruments, sizeof(*b->ins));
	b->sess = calloc(p->max_sessions, sizeof(*b->sess));
	b->picks = calloc(p->max_orders, sizeof(*b->picks));
	if (b->ins == NULL || b->sess == NULL || b->picks == NULL ||
	    core_alloc(&b->main, p->max_orders, p->max_instruments) != 0 ||
	    core_alloc(&b->scratch, p->max_orders, p->max_instruments) != 0) {
		ref_book_free(b);
		return NULL;
	}
	b->c = &b->main;
	return b;
}

void ref_book_free(struct ref_book *b)
{
	if (b == NULL)
		return;
	core_free(&b->main);
	core_free(&b->scratch);
	free(b->ins);
	free(b->sess);
	free(b->picks);
	free(b);
}

int ref_book_add_instrument(struct ref_book *b,
                            const struct gv_instrument_params *p)
{
	uint32_t i;

	if (p->id == 0 || p->id > GV_INSTRUMENT_ID_MAX || p->symbol[0] == 0 ||
	    p->min_qty_lots == 0 || p->min_qty_lots > p->max_qty_lots ||
	    p->max_qty_lots > GV_QTY_MAX || p->max_price_ticks == 0 ||
	    p->max_price_ticks > GV_PRICE_MAX ||
	    p->price_band_bps > GV_BAND_BPS_MAX ||
	    p->reference_price_ticks > p->max_price_ticks ||
	    (p->price_band_bps != 0 && p->reference_price_ticks == 0) ||
	    p->stp_default < GV_STP_CANCEL_NEWEST ||
	    p->stp_default > GV_STP_NONE)
		return -EINVAL;
	for (i = 0; i < b->n_ins; i++)
		if (b->ins[i].p.id == p->id ||
		    strncmp(b->ins[i].p.symbol, p->symbol,
		            sizeof(p->symbol)) == 0)
			return -EEXIST;
	if (b->n_ins == b->p.max_instruments)
		return -ENOSPC;
	b->ins[b->n_ins].p = *p;
	b->ins[b->n_ins].halted = false;
	b->n_ins++;
	return 0;
}

int ref_book_add_session(struct ref_book *b, uint32_t session_id,
                         uint32_t account)
{
	if (session_id == 0 || account == 0)
		return -EINVAL;
	if (find_sess(b, session_id) != NONE)
		return -EEXIST;
	if (b->n_sess == b->p.max_sessions)
		return -ENOSPC;
	b->sess[b->n_sess].id = session_id;
	b->sess[b->n_sess].account = account;
	b->n_sess++;
	return 0;
}

/* ---- views ------------------------------------------------------------ */

static void view_of(const struct ref_book *b, const struct ord *o,
                    struct gv_order_view *v)
{
	memset(v, 0, sizeof(*v));
	v->order_id = order_id(b, o);
	v->cl_ord_id = o->cl_ord_id;
	v->session = b->sess[o->sess].id;
	v->instrument = b->ins[o->ins].p.id;
	v->price = o->price;
	v->stop_price = o->state == ST_STOP ? o->stop_price : 0;
	v->open_qty = o->open;
	v->visible_qty = o->state == ST_RESTING ? o->visible : 0;
	v->side = o->side;
	v->ord_type = o->type;
	v->tif = o->tif;
	v->pending_stop = o->state == ST_STOP;
}

int ref_book_depth(const struct ref_book *b, uint32_t instrument,
                   enum gv_side side, struct gv_level_view *lv, uint32_t n)
{
	uint32_t ins = find_ins(b, instrument), i, cnt, got = 0;
	const uint32_t *a;

	if (ins == NONE || (side != GV_SIDE_BUY && side != GV_SIDE_SELL))
		return -ENOENT;
	a = side_arr(b, &b->main, ins, (uint8_t)side);
	cnt = *side_cnt(&b->main, ins, (uint8_t)side);
	for (i = 0; i < cnt; i++) {
		const struct ord *o = &b->main.ord[a[i]];

		if (got == 0 || lv[got - 1].price != o->price) {
			if (got == n)
				break;
			memset(&lv[got], 0, sizeof(lv[got]));
			lv[got++].price = o->price;
		}
		lv[got - 1].visible_qty += o->visible;
		lv[got - 1].total_qty += o->open;
		lv[got - 1].orders++;
	}
	return (int)got;
}

int ref_book_foreach_order(const struct ref_book *b, uint32_t instrument,
                           enum gv_side side,
                           void (*fn)(void *arg,
                                      const struct gv_order_view *o),
                           void *arg)
{
	uint32_t ins = find_ins(b, instrument), i, cnt;
	const uint32_t *a;
	struct gv_order_view v;

	if (ins == NONE || (side != GV_SIDE_BUY && side != GV_SIDE_SELL))
		return -ENOENT;
	a = side_arr(b, &b->main, ins, (uint8_t)side);
	cnt = *side_cnt(&b->main, ins, (uint8_t)side);
	for (i = 0; i < cnt; i++) {
		view_of(b, &b->main.ord[a[i]], &v);
		fn(arg, &v);
	}
	return (int)cnt;
}

int ref_book_foreach_live(const struct ref_book *b,
                          void (*fn)(void *arg, const struct gv_order_view *o),
                          void *arg)
{
	struct gv_order_view v;
	uint32_t k;
	int n = 0;

	for (k = 0; k < b->p.max_orders; k++) {
		const struct ord *o = &b->main.ord[k];

		if (o->state != ST_RESTING && o->state != ST_STOP)
			continue;
		view_of(b, o, &v);
		fn(arg, &v);
		n++;
	}
	return n;
}

uint32_t ref_book_live_orders(const struct ref_book *b)
{
	return b->main.live;
}

int64_t ref_book_last_price(const struct ref_book *b, uint32_t instrument)
{
	uint32_t ins = find_ins(b, instrument);

	return ins == NONE ? 0 : b->main.last[ins];
}

int ref_book_halted(const struct ref_book *b, uint32_t instrument)
{
	uint32_t ins = find_ins(b, instrument);

	return ins == NONE ? -ENOENT : b->ins[ins].halted;
}

int ref_book_killed(const struct ref_book *b, uint32_t session_id)
{
	uint32_t s = find_sess(b, session_id);

	return s == NONE ? -ENOENT : b->sess[s].killed;
}

uint64_t ref_book_bad_cmds(const struct ref_book *b)
{
	return b->bad_cmds;
}
