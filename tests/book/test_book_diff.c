/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_book_diff.c - seeded randomised differential test: the engine
 * (book/gv_book.c) against the reference model (ref_book.c).
 *
 *   test_book_diff [--steps N] [--seed S] [--trace]
 *
 * Both get the same parameters and the same command stream: random but
 * sensible orders of every type, tif, flag and STP mode around a moving
 * mid price per instrument, icebergs, stops near the last price, cancels
 * and replaces of live orders and of unknown ones, mass cancels, halts,
 * end of day, cancel-all/kill/enable, and a few per cent of commands with
 * faults of every reject class (some with two faults, for the validation
 * order). After every command the two event streams must agree field by
 * field (order ids compared >> 24: the model uses slot 0),
 * gv_book_check() must pass, and both books must show the same levels and
 * the same orders in the same order; every 1000 steps gv_book_hash() must
 * not change across the read-only calls. A twin engine fed the same
 * commands must give the same event bytes and the same hash
 * (determinism). The first difference prints
 * "FAIL seed=S step=K", the command, both event streams and the commands
 * before it, and stops the run. A summary of what was exercised is
 * printed; with 100000 steps or more every event type, reject reason and
 * cancel reason must have occurred, so the test cannot pass vacuously.
 *
 * With --offload NAME (sw, fpga-sim, fault, liar, auto) the engine's
 * matching step goes through that offload backend (--depth levels per
 * side, 8 by default so that matches often run past the mirror); the
 * twin stays without offload, so "same event bytes, same hash" then
 * proves that results do not depend on the backend. --fail-at N
 * [--fail-forever] [--inner NAME] set up the fault backend; "liar",
 * defined here, wraps sw and corrupts one answer in 40 (a level's
 * quantity, a dropped level, a wrong remainder or `beyond`): the book
 * must notice, fall back and still agree with the model (--lie K: the
 * first instrument's lie; the others take the next ones).
 *
 * The engine is given enough pages of price levels for every price of
 * every book (max_level_pages below), so its level-page CAPACITY rule,
 * which the model leaves out, never applies.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_book.h"
#include "gv_test.h"
#include "ref_book.h"

#define N_INS     3
#define N_SESS    5
#define MAX_ORD   300
#define HIST      24
#define MAX_LV    4096

static uint64_t g_steps = 100000;
static const char *g_offload;
static struct gv_offload_params g_offp = { .depth = 8 };
static uint64_t g_seed;
static bool g_seed_set;
static bool g_trace;

struct evvec {
	struct gv_event *ev;
	size_t n, cap;
};

struct stats {
	uint64_t ev[GV_EV_MAX];
	uint64_t rej[GV_REJ_MAX];
	uint64_t cxl[GV_CXL_MAX];
	uint64_t refresh;         /* iceberg slice shown after an MD_EXEC */
	uint64_t stp_reduce;      /* STP cancel that leaves the order live */
	uint64_t kept, lost;      /* replaces keeping / losing priority */
	uint64_t replace_trades;  /* REPLACED, MD_DELETE, then a trade */
	uint64_t cascades;        /* commands triggering two stops or more */
	uint64_t rehit;           /* an aggressor trading one maker twice */
	uint64_t band_stop;       /* market stopped by the band, book left */
	uint64_t max_live;
};

struct world {
	struct gv_book *eng;
	struct gv_book *twin;     /* same commands: must be byte-identical */
	struct ref_book *ref;
	uint64_t rng;             /* commands */
	uint64_t crng;            /* checks: never changes the commands */
	struct gv_instrument_params ins[N_INS];
	int64_t mid[N_INS];
	uint32_t sess_id[N_SESS];
	uint64_t hi_cl[N_SESS];   /* highest cl_ord_id generated */
	struct gv_event eng_buf[7], ref_buf[64], twin_buf[1];
	struct evvec eng_ev, ref_ev, twin_ev;
	struct gv_cmd hist[HIST];
	uint64_t step;
	struct stats st;
	char why[256];
};

/* ---- event collection ------------------------------------------------- */

static void vec_flush(void *arg, const struct gv_event *ev, uint32_t n)
{
	struct evvec *v = arg;

	if (v->n + n > v->cap) {
		v->cap = GV_MAX(v->cap * 2, v->n + n + 64);
		v->ev = realloc(v->ev, v->cap * sizeof(*v->ev));
		if (v->ev == NULL)
			abort();
	}
	memcpy(v->ev + v->n, ev, n * sizeof(*ev));
	v->n += n;
}

static const char *ev_name(uint8_t t)
{
	static const char *const names[GV_EV_MAX] = {
		"?", "ACCEPTED", "REJECTED", "FILL", "CANCELLED", "REPLACED",
		"STOP_TRIGGERED", "MASS_CANCEL_ACK", "MD_ADD", "MD_EXEC",
		"MD_REDUCE", "MD_DELETE", "MD_REPLACE", "MD_TRADING_STATE",
	};

	return t < GV_EV_MAX ? names[t] : "?";
}

static void print_ev(const struct gv_event *e)
{
	printf("    %-16s sess=%u ins=%u side=%u ", ev_name(e->type), e->session,
	       e->instrument, e->side);
	if (e->type >= GV_EV_MD_ADD)
		printf("ref=%" PRIu64 " new_ref=%" PRIu64 " px=%" PRId64
		       " qty=%" PRIu64 " match=%" PRIu64 " halted=%u\n",
		       e->u.md.ref, e->u.md.new_ref, e->u.md.price,
		       e->u.md.qty, e->u.md.match_id, e->u.md.halted);
	else
		printf("cl=%" PRIu64 " oid>>24=%" PRIu64 " px=%" PRId64
		       " qty=%" PRIu64 " open=%" PRIu64 " aux=%" PRIu64
		       " reason=%u type=%u tif=%u liq=%u kept=%u\n",
		       e->u.ord.cl_ord_id, e->u.ord.order_id >> 24,
		       e->u.ord.price, e->u.ord.qty, e->u.ord.open_qty,
		       e->u.ord.aux, e->u.ord.reason, e->u.ord.ord_type,
		       e->u.ord.tif, e->u.ord.liquidity,
		       e->u.ord.priority_kept);
}

static void print_cmd(const struct gv_cmd *c)
{
	printf("  cmd type=%u flags=%u session=%u ", c->type, c->flags,
	       c->session);
	switch (c->type) {
	case GV_CMD_NEW:
		printf("NEW sym=%u side=%u type=%u tif=%u flags=%u cl=%" PRIu64
		       " px=%" PRId64 " qty=%" PRIu64 " stop=%" PRId64
		       " disp=%" PRIu64 " stp=%u\n",
		       c->u.new_order.symbol, c->u.new_order.side,
		       c->u.new_order.type, c->u.new_order.tif,
		       c->u.new_order.flags, c->u.new_order.cl_ord_id,
		       c->u.new_order.price, c->u.new_order.qty,
		       c->u.new_order.stop_price, c->u.new_order.display_qty,
		       c->u.new_order.stp);
		break;
	case GV_CMD_CANCEL:
		printf("CANCEL cl=%" PRIu64 "\n", c->u.cancel.cl_ord_id);
		break;
	case GV_CMD_REPLACE:
		printf("REPLACE orig=%" PRIu64 " new=%" PRIu64 " px=%" PRId64
		       " qty=%" PRIu64 "\n",
		       c->u.replace.orig_cl_ord_id, c->u.replace.new_cl_ord_id,
		       c->u.replace.new_price, c->u.replace.new_qty);
		break;
	case GV_CMD_MASS_CANCEL:
		printf("MASS_CANCEL sym=%u side=%u\n", c->u.mass_cancel.symbol,
		       c->u.mass_cancel.side);
		break;
	case GV_CMD_HALT:
	case GV_CMD_RESUME:
		printf("%s sym=%u\n", c->type == GV_CMD_HALT ? "HALT" : "RESUME",
		       c->u.instrument.symbol);
		break;
	case GV_CMD_SESSION_CANCEL_ALL:
		printf("CANCEL_ALL reason=%u\n", c->u.cancel_all.reason);
		break;
	default:
		printf("(type %u)\n", c->type);
		break;
	}
}

/* ---- comparison ------------------------------------------------------- */

#define SAME(f) (a->f == b->f)

static bool ord_same(const struct gv_event *ea, const struct gv_event *eb)
{
	const __typeof__(ea->u.ord) *a = &ea->u.ord, *b = &eb->u.ord;
	bool id = SAME(cl_ord_id) && (a->order_id >> 24) == (b->order_id >> 24);

	switch (ea->type) {
	case GV_EV_ACCEPTED:
		return id && SAME(price) && SAME(qty) && SAME(ord_type) &&
		       SAME(tif);
	case GV_EV_REJECTED:
		return SAME(cl_ord_id) && SAME(reason);
	case GV_EV_FILL:
		return id && SAME(price) && SAME(qty) && SAME(open_qty) &&
		       SAME(liquidity) && SAME(aux);
	case GV_EV_CANCELLED:
		return id && SAME(qty) && SAME(open_qty) && SAME(reason);
	case GV_EV_REPLACED:
		return id && SAME(aux) && SAME(price) && SAME(open_qty) &&
		       SAME(priority_kept);
	case GV_EV_STOP_TRIGGERED:
		return id;
	case GV_EV_MASS_CANCEL_ACK:
		return SAME(qty);
	default:
		return false;
	}
}

static bool md_same(const struct gv_event *ea, const struct gv_event *eb)
{
	const __typeof__(ea->u.md) *a = &ea->u.md, *b = &eb->u.md;

	switch (ea->type) {
	case GV_EV_MD_ADD:
		return SAME(ref) && SAME(price) && SAME(qty);
	case GV_EV_MD_EXEC:
		return SAME(ref) && SAME(qty) && SAME(price) && SAME(match_id);
	case GV_EV_MD_REDUCE:
		return SAME(ref) && SAME(qty);
	case GV_EV_MD_DELETE:
		return SAME(ref);
	case GV_EV_MD_REPLACE:
		return SAME(ref) && SAME(new_ref) && SAME(price) && SAME(qty);
	case GV_EV_MD_TRADING_STATE:
		return SAME(halted);
	default:
		return false;
	}
}

#undef SAME

/* Fields by type as documented in gv_book.h (struct gv_event). */
static bool ev_same(const struct gv_event *a, const struct gv_event *b)
{
	bool has_side;

	if (a->type != b->type || a->session != b->session)
		return false;
	/* REJECTED's instrument is not specified (GOE/1 'j' has none). */
	if (a->type != GV_EV_REJECTED && a->instrument != b->instrument)
		return false;
	has_side = a->type == GV_EV_ACCEPTED || a->type == GV_EV_FILL ||
	           a->type == GV_EV_CANCELLED || a->type == GV_EV_REPLACED ||
	           a->type == GV_EV_STOP_TRIGGERED || a->type == GV_EV_MD_ADD;
	if (has_side && a->side != b->side)
		return false;
	if (a->type >= GV_EV_MD_ADD)
		return md_same(a, b);
	return ord_same(a, b);
}

static bool fail(struct world *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool fail(struct world *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return false;
}

static bool compare_events(struct world *w, uint32_t ne, uint32_t nr)
{
	size_t i;

	if (ne != w->eng_ev.n || nr != w->ref_ev.n)
		return fail(w, "apply() returned %u/%u for %zu/%zu events", ne,
		            nr, w->eng_ev.n, w->ref_ev.n);
	if (w->twin_ev.n != w->eng_ev.n ||
	    memcmp(w->twin_ev.ev, w->eng_ev.ev,
	           w->eng_ev.n * sizeof(*w->eng_ev.ev)) != 0)
		return fail(w, "not deterministic: a twin engine given the "
		            "same commands gave other bytes");
	if (w->eng_ev.n != w->ref_ev.n)
		return fail(w, "engine gave %zu events, model %zu",
		            w->eng_ev.n, w->ref_ev.n);
	for (i = 0; i < w->eng_ev.n; i++)
		if (!ev_same(&w->eng_ev.ev[i], &w->ref_ev.ev[i]))
			return fail(w, "event %zu differs", i);
	return true;
}

struct olist {
	struct gv_order_view v[MAX_ORD];
	uint32_t n;
};

static void olist_add(void *arg, const struct gv_order_view *o)
{
	struct olist *l = arg;

	if (l->n < MAX_ORD)
		l->v[l->n] = *o;
	l->n++;
}

static bool view_same(const struct gv_order_view *a,
                      const struct gv_order_view *b)
{
	return (a->order_id >> 24) == (b->order_id >> 24) &&
	       a->cl_ord_id == b->cl_ord_id && a->session == b->session &&
	       a->instrument == b->instrument && a->price == b->price &&
	       a->open_qty == b->open_qty && a->visible_qty == b->visible_qty &&
	       a->side == b->side && a->ord_type == b->ord_type &&
	       a->tif == b->tif && a->pending_stop == b->pending_stop;
}

static bool compare_orders(struct world *w, uint32_t id, enum gv_side side)
{
	static struct olist le, lr;
	int ne, nr;
	uint32_t i;

	le.n = lr.n = 0;
	ne = gv_book_foreach_order(w->eng, id, side, olist_add, &le);
	nr = ref_book_foreach_order(w->ref, id, side, olist_add, &lr);
	if (ne != nr || le.n != lr.n || (uint32_t)ne != le.n)
		return fail(w, "ins %u side %u: engine lists %d (%u) orders, "
		            "model %d", id, side, ne, le.n, nr);
	for (i = 0; i < le.n; i++) {
		const struct gv_order_view *a = &le.v[i], *b = &lr.v[i];

		if (!view_same(a, b))
			return fail(w, "ins %u side %u order %u: engine oid>>24 "
			            "%" PRIu64 " cl %" PRIu64 " px %" PRId64
			            " open %" PRIu64 " vis %" PRIu64 " type %u;"
			            " model oid>>24 %" PRIu64 " cl %" PRIu64
			            " px %" PRId64 " open %" PRIu64 " vis %" PRIu64
			            " type %u", id, side, i, a->order_id >> 24,
			            a->cl_ord_id, a->price, a->open_qty,
			            a->visible_qty, a->ord_type, b->order_id >> 24,
			            b->cl_ord_id, b->price, b->open_qty,
			            b->visible_qty, b->ord_type);
	}
	return true;
}

static bool compare_depth(struct world *w, uint32_t id, enum gv_side side)
{
	static struct gv_level_view le[MAX_LV], lr[MAX_LV];
	uint32_t n = MAX_LV;
	int ne, nr, i;

	if (gv_test_below(&w->crng, 16) == 0)
		n = 1 + (uint32_t)gv_test_below(&w->crng, 4); /* truncated */
	ne = gv_book_depth(w->eng, id, side, le, n);
	nr = ref_book_depth(w->ref, id, side, lr, n);
	if (ne != nr)
		return fail(w, "ins %u side %u: engine depth %d levels, model "
		            "%d (n %u)", id, side, ne, nr, n);
	for (i = 0; i < ne; i++)
		if (le[i].price != lr[i].price ||
		    le[i].visible_qty != lr[i].visible_qty ||
		    le[i].total_qty != lr[i].total_qty ||
		    le[i].orders != lr[i].orders)
			return fail(w, "ins %u side %u level %d: engine px %"
			            PRId64 " vis %" PRIu64 " tot %" PRIu64
			            " n %u; model px %" PRId64 " vis %" PRIu64
			            " tot %" PRIu64 " n %u", id, side, i,
			            le[i].price, le[i].visible_qty,
			            le[i].total_qty, le[i].orders, lr[i].price,
			            lr[i].visible_qty, lr[i].total_qty,
			            lr[i].orders);
	return true;
}

static bool compare_state(struct world *w)
{
	char why[200];
	uint32_t i;
	int s;

	if (gv_book_check(w->eng, why, sizeof(why)) != 0)
		return fail(w, "gv_book_check: %s", why);
	if (gv_book_live_orders(w->eng) != ref_book_live_orders(w->ref))
		return fail(w, "live orders: engine %u, model %u",
		            gv_book_live_orders(w->eng),
		            ref_book_live_orders(w->ref));
	for (i = 0; i < N_INS; i++) {
		uint32_t id = w->ins[i].id;

		if (gv_book_last_price(w->eng, id) !=
		    ref_book_last_price(w->ref, id))
			return fail(w, "ins %u last price: engine %" PRId64
			            ", model %" PRId64, id,
			            gv_book_last_price(w->eng, id),
			            ref_book_last_price(w->ref, id));
		for (s = GV_SIDE_BUY; s <= GV_SIDE_SELL; s++)
			if (!compare_depth(w, id, (enum gv_side)s) ||
			    !compare_orders(w, id, (enum gv_side)s))
				return false;
	}
	return true;
}

/* Every 1000 steps: the read-only calls must not change the state. */
static bool check_hash(struct world *w)
{
	uint64_t h0 = gv_book_hash(w->eng), h1;
	struct gv_level_view lv[2];
	char why[200];

	(void)gv_book_check(w->eng, why, sizeof(why));
	(void)compare_state(w);
	if (gv_book_depth(w->eng, 1000, GV_SIDE_BUY, lv, 2) != -ENOENT)
		return fail(w, "depth of an unknown instrument is not -ENOENT");
	h1 = gv_book_hash(w->eng);
	if (h0 != h1 || gv_book_hash(w->eng) != h1)
		return fail(w, "gv_book_hash changed across read-only calls");
	if (gv_book_counter(w->eng, GV_CNT_BAD_CMD) !=
	    ref_book_bad_cmds(w->ref))
		return fail(w, "GV_CNT_BAD_CMD: engine %" PRIu64 ", model %"
		            PRIu64, gv_book_counter(w->eng, GV_CNT_BAD_CMD),
		            ref_book_bad_cmds(w->ref));
	if (gv_book_hash(w->twin) != h1)
		return fail(w, "not deterministic: a twin engine given the "
		            "same commands has another hash");
	return true;
}

/* ---- statistics ------------------------------------------------------- */

/* Paths that are easy to miss; counted so the summary shows them. */
static void count_paths(struct world *w, const struct gv_cmd *c)
{
	const struct gv_event *e = w->ref_ev.ev;
	size_t i, j, n = w->ref_ev.n, stops = 0;
	struct gv_level_view lv;

	for (i = 0; i < n; i++) {
		if (e[i].type == GV_EV_STOP_TRIGGERED)
			stops++;
		if (e[i].type == GV_EV_REPLACED && i + 2 < n &&
		    e[i + 1].type == GV_EV_MD_DELETE &&
		    e[i + 2].type == GV_EV_FILL)
			w->st.replace_trades++;
		if (e[i].type == GV_EV_CANCELLED &&
		    e[i].u.ord.reason == GV_CXL_NO_LIQUIDITY &&
		    c->type == GV_CMD_NEW && stops == 0 &&
		    ref_book_depth(w->ref, e[i].instrument,
		                   (enum gv_side)(3 - e[i].side), &lv, 1) > 0)
			w->st.band_stop++;
		if (e[i].type != GV_EV_FILL ||
		    e[i].u.ord.liquidity != GV_LIQ_MAKER)
			continue;
		for (j = i + 1; j < n; j++)
			if (e[j].type == GV_EV_FILL &&
			    e[j].u.ord.liquidity == GV_LIQ_MAKER &&
			    e[j].u.ord.order_id == e[i].u.ord.order_id &&
			    e[j - 1].u.ord.order_id == e[i - 1].u.ord.order_id) {
				w->st.rehit++;
				break;
			}
	}
	if (stops >= 2)
		w->st.cascades++;
}

static void count_events(struct world *w)
{
	const struct gv_event *e = w->ref_ev.ev;
	size_t i;

	count_paths(w, &w->hist[w->step % HIST]);
	for (i = 0; i < w->ref_ev.n; i++) {
		w->st.ev[e[i].type]++;
		if (e[i].type == GV_EV_REJECTED)
			w->st.rej[e[i].u.ord.reason]++;
		if (e[i].type == GV_EV_CANCELLED) {
			w->st.cxl[e[i].u.ord.reason]++;
			if (e[i].u.ord.reason == GV_CXL_STP &&
			    e[i].u.ord.open_qty != 0)
				w->st.stp_reduce++;
		}
		if (e[i].type == GV_EV_MD_ADD && i > 0 &&
		    e[i - 1].type == GV_EV_MD_EXEC)
			w->st.refresh++;
		if (e[i].type == GV_EV_REPLACED) {
			if (e[i].u.ord.priority_kept)
				w->st.kept++;
			else
				w->st.lost++;
		}
	}
}

static void print_summary(const struct world *w)
{
	int i;

	printf("summary: %" PRIu64 " steps, max live orders %" PRIu64 "\n",
	       w->step, w->st.max_live);
	printf("  events:");
	for (i = 1; i < GV_EV_MAX; i++)
		printf(" %s=%" PRIu64, ev_name((uint8_t)i), w->st.ev[i]);
	printf("\n  rejects by reason:");
	for (i = 1; i < GV_REJ_MAX; i++)
		printf(" %d=%" PRIu64, i, w->st.rej[i]);
	printf("\n  cancels by reason:");
	for (i = 1; i < GV_CXL_MAX; i++)
		printf(" %d=%" PRIu64, i, w->st.cxl[i]);
	printf("\n  fills (trades)=%" PRIu64 " stop triggers=%" PRIu64
	       " iceberg refreshes=%" PRIu64 " stp reductions=%" PRIu64
	       " replaces kept/lost=%" PRIu64 "/%" PRIu64 "\n",
	       w->st.ev[GV_EV_MD_EXEC], w->st.ev[GV_EV_STOP_TRIGGERED],
	       w->st.refresh, w->st.stp_reduce, w->st.kept, w->st.lost);
	printf("  replaces that trade=%" PRIu64 " stop cascades=%" PRIu64
	       " iceberg re-hit by one aggressor=%" PRIu64
	       " market stopped by the band=%" PRIu64 "\n",
	       w->st.replace_trades, w->st.cascades, w->st.rehit,
	       w->st.band_stop);
}

static void assert_coverage(const struct world *w)
{
	int i;

	for (i = 1; i < GV_EV_MAX; i++)
		CU_ASSERT(w->st.ev[i] > 0);
	for (i = 1; i < GV_REJ_MAX; i++)
		if (i != 13) /* reserved */
			CU_ASSERT(w->st.rej[i] > 0);
	for (i = 1; i < GV_CXL_MAX; i++)
		CU_ASSERT(w->st.cxl[i] > 0);
	CU_ASSERT(w->st.refresh > 0);
	CU_ASSERT(w->st.stp_reduce > 0);
	CU_ASSERT(w->st.kept > 0 && w->st.lost > 0);
	CU_ASSERT(w->st.replace_trades > 0);
	CU_ASSERT(w->st.cascades > 0);
	CU_ASSERT(w->st.rehit > 0);
	CU_ASSERT(w->st.band_stop > 0);
}

/* ---- "liar": an offload backend that gives wrong answers ---------------- */

struct liar {
	struct gv_offload *sw;
	uint64_t matches;         /* DONEs seen */
	bool lying;               /* corrupting the current match */
	uint32_t how;
};

static size_t liar_ctx_size(const struct gv_offload_params *p)
{
	(void)p;
	return sizeof(struct liar);
}

static uint32_t g_lie;            /* --lie K: the first instance's lie */

static int liar_init(void *ctx, const struct gv_offload_params *p)
{
	static uint32_t instances;
	struct liar *l = ctx;

	l->how = g_lie + instances++;    /* each instrument its own lie */

	l->sw = gv_offload_create("sw", p, NULL, 0);
	return l->sw != NULL ? 0 : -ENOMEM;
}

static void liar_fini(void *ctx)
{
	gv_offload_free(((struct liar *)ctx)->sw);
}

static int liar_submit(void *ctx, const struct gv_off_cmd *c, uint32_t n)
{
	struct liar *l = ctx;

	return l->sw->ops->submit_burst(l->sw->ctx, c, n);
}

/* One match in 40 gets the instance's lie (one of four). */
static int liar_poll(void *ctx, struct gv_off_ev *ev, uint32_t n)
{
	struct liar *l = ctx;
	int rc = l->sw->ops->poll_burst(l->sw->ctx, ev, n), i, k = 0;

	for (i = 0; i < rc; i++) {
		struct gv_off_ev e = ev[i];

		l->lying = l->lying || (l->matches % 40 == 39);
		if (l->lying && e.type == GV_OFF_EV_LEVEL) {
			if (l->how % 4 == 0 && e.qty > 1)
				e.qty--;
			else if (l->how % 4 == 1)
				continue;            /* drop the level */
		}
		if (e.type == GV_OFF_EV_DONE) {
			if (l->lying && l->how % 4 == 2)
				e.qty++;
			else if (l->lying && l->how % 4 == 3)
				e.beyond = 0;
			l->lying = false;
			l->matches++;
		}
		ev[k++] = e;
	}
	return rc < 0 ? rc : k;
}

static const struct gv_offload_ops liar_ops = {
	.abi = GV_OFFLOAD_ABI,
	.name = "liar",
	.prio = -1,                  /* never picked by "auto" */
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS,
	.ctx_size = liar_ctx_size,
	.init = liar_init,
	.fini = liar_fini,
	.submit_burst = liar_submit,
	.poll_burst = liar_poll,
};

GV_OFFLOAD_REGISTER(liar_ops)

/* ---- set-up ----------------------------------------------------------- */

static void setup_instruments(struct world *w)
{
	static const uint32_t band[] = { 0, 300, 600, 1000 };
	struct gv_instrument_params *p = w->ins;
	int i;

	memset(p, 0, sizeof(w->ins));
	p[0].id = 7;
	strcpy(p[0].symbol, "ALPHA");
	p[0].min_qty_lots = 1;
	p[0].max_qty_lots = 1000;
	p[0].max_price_ticks = 200;
	p[0].price_band_bps = 0;
	p[0].reference_price_ticks = 100;

	p[1].id = 42;
	strcpy(p[1].symbol, "BETA");
	p[1].min_qty_lots = 5;
	p[1].max_qty_lots = 500;
	p[1].max_price_ticks = 1000;
	p[1].max_notional = 60000;
	p[1].price_band_bps = band[1 + gv_test_below(&w->rng, 2)];
	p[1].reference_price_ticks = 500;

	p[2].id = 65535;
	strcpy(p[2].symbol, "GAMMA");
	p[2].min_qty_lots = 1;
	p[2].max_qty_lots = 2000;
	p[2].max_price_ticks = 2000;
	p[2].max_notional = 400000;
	/* No reference until the first trade (notional and market band
	 * skipped), or a band, which needs a reference. */
	if (gv_test_below(&w->rng, 2) == 0) {
		p[2].price_band_bps = band[1 + gv_test_below(&w->rng, 3)];
		p[2].reference_price_ticks = 1000;
	}

	for (i = 0; i < N_INS; i++) {
		p[i].max_qty_lots = GV_MAX(p[i].max_qty_lots, 1);
		p[i].stp_default =
			(uint8_t)(1 + gv_test_below(&w->rng, GV_STP_NONE));
		w->mid[i] = p[i].reference_price_ticks != 0
		                    ? (int64_t)p[i].reference_price_ticks
		                    : (int64_t)p[i].max_price_ticks / 2;
	}
}

static bool setup(struct world *w)
{
	static const uint32_t account[N_SESS] = { 1, 1, 2, 2, 3 };
	struct gv_book_params bp;
	uint32_t pages = 0;
	int i;

	setup_instruments(w);
	memset(&bp, 0, sizeof(bp));
	bp.shard_id = (uint32_t)gv_test_below(&w->rng, GV_MAX_SHARDS);
	bp.max_orders = MAX_ORD;
	bp.max_sessions = N_SESS + 2;
	bp.max_instruments = N_INS + 1;
	/* Every price of every book, in pages of 64 levels, and more: the
	 * level-page CAPACITY rule (not in the model) must never apply. */
	for (i = 0; i < N_INS; i++)
		pages += 2 * (uint32_t)(w->ins[i].max_price_ticks / 64 + 2);
	bp.max_level_pages = pages;
	w->twin = gv_book_create(&bp);
	bp.offload = g_offload;
	bp.offload_params = g_offp;
	w->eng = gv_book_create(&bp);
	w->ref = ref_book_create(&bp);
	CU_ASSERT_FATAL(w->eng != NULL && w->twin != NULL && w->ref != NULL);
	for (i = 0; i < N_INS; i++) {
		int rc = gv_book_add_instrument(w->eng, &w->ins[i]);

		if (rc == -ENODEV) {
			printf("offload %s: %s: skipped\n", g_offload,
			       gv_book_offload_why(w->eng));
			exit(77);
		}
		CU_ASSERT_FATAL(gv_book_add_instrument(w->twin, &w->ins[i]) ==
		                rc);

		if (rc != 0)
			printf("gv_book_add_instrument(%u): %d (%s)\n",
			       w->ins[i].id, rc, gv_book_offload_why(w->eng));
		CU_ASSERT_FATAL(rc == 0);
		CU_ASSERT_FATAL(ref_book_add_instrument(w->ref, &w->ins[i]) ==
		                0);
	}
	for (i = 0; i < N_SESS; i++) {
		w->sess_id[i] = 101 + (uint32_t)i;
		CU_ASSERT_FATAL(gv_book_add_session(w->eng, w->sess_id[i],
		                                    account[i]) == 0);
		CU_ASSERT_FATAL(gv_book_add_session(w->twin, w->sess_id[i],
		                                    account[i]) == 0);
		CU_ASSERT_FATAL(ref_book_add_session(w->ref, w->sess_id[i],
		                                     account[i]) == 0);
	}
	printf("shard %u, stp defaults %u/%u/%u, bands %u/%u/%u bps\n",
	       bp.shard_id, w->ins[0].stp_default, w->ins[1].stp_default,
	       w->ins[2].stp_default, w->ins[0].price_band_bps,
	       w->ins[1].price_band_bps, w->ins[2].price_band_bps);
	return true;
}

/* ---- command generation ----------------------------------------------- */

static uint64_t below(struct world *w, uint64_t n)
{
	return gv_test_below(&w->rng, n);
}

/* 1 in n. */
static bool one_in(struct world *w, uint64_t n)
{
	return gv_test_below(&w->rng, n) == 0;
}

static uint64_t next_cl(struct world *w, uint32_t s)
{
	if (one_in(w, 50) && w->hi_cl[s] > 0)
		return w->hi_cl[s] - below(w, GV_MIN(w->hi_cl[s], 3) + 1);
	w->hi_cl[s] += 1 + (one_in(w, 8) ? below(w, 5) : 0);
	return w->hi_cl[s];
}

static int64_t clamp_px(const struct world *w, uint32_t i, int64_t px)
{
	return GV_MAX(1, GV_MIN(px, (int64_t)w->ins[i].max_price_ticks));
}

static void move_mids(struct world *w)
{
	uint32_t i;

	for (i = 0; i < N_INS; i++) {
		int64_t last = ref_book_last_price(w->ref, w->ins[i].id);
		int64_t top = (int64_t)w->ins[i].max_price_ticks;

		if (one_in(w, 16))
			w->mid[i] += (int64_t)below(w, 3) - 1;
		int64_t ref = last != 0 ? last
		        : (int64_t)w->ins[i].reference_price_ticks;
		int64_t half = ref * w->ins[i].price_band_bps / 20000;

		if (last != 0 && one_in(w, 8))
			w->mid[i] = (w->mid[i] + last) / 2;
		if (half > 0) /* stay in the band: a stale last price sticks */
			w->mid[i] = GV_MAX(ref - half,
			                   GV_MIN(w->mid[i], ref + half));
		w->mid[i] = GV_MAX(top / 10, GV_MIN(w->mid[i], top - top / 10));
	}
}

static uint64_t gen_qty(struct world *w, uint32_t i)
{
	uint64_t q = 1 + below(w, 10);

	if (one_in(w, 8))
		q += below(w, 40);
	return GV_MAX(q, w->ins[i].min_qty_lots);
}

/* Limit price for side: mostly passive, sometimes crossing by a few. */
static int64_t gen_px(struct world *w, uint32_t i, uint8_t side)
{
	int64_t off = (int64_t)below(w, 18) - 2;

	if (one_in(w, 100)) /* the edges of the price range, still valid */
		return one_in(w, 2) ? 1 + (int64_t)below(w, 2)
		                    : (int64_t)w->ins[i].max_price_ticks -
		                              (int64_t)below(w, 2);
	return clamp_px(w, i, side == GV_SIDE_BUY ? w->mid[i] - off
	                                          : w->mid[i] + off);
}

static void gen_type_tif(struct world *w, struct gv_cmd *c)
{
	static const uint8_t lim_tif[] = { 1, 1, 1, 1, 4, 4, 2, 2, 2, 3 };
	uint64_t r = below(w, 100);

	if (r < 70) {
		c->u.new_order.type = GV_TYPE_LIMIT;
		c->u.new_order.tif = lim_tif[below(w, 10)];
	} else if (r < 78) {
		c->u.new_order.type = GV_TYPE_MARKET;
		c->u.new_order.tif = (uint8_t)(2 + below(w, 2));
	} else if (r < 88) {
		c->u.new_order.type = GV_TYPE_STOP;
		c->u.new_order.tif = (uint8_t)(2 + below(w, 2));
	} else {
		c->u.new_order.type = GV_TYPE_STOP_LIMIT;
		c->u.new_order.tif = (uint8_t)(1 + below(w, 4));
	}
}

static void gen_new_prices(struct world *w, struct gv_cmd *c, uint32_t i)
{
	uint8_t side = c->u.new_order.side, type = c->u.new_order.type;
	int64_t last = ref_book_last_price(w->ref, w->ins[i].id);
	int64_t base = last != 0 ? last : w->mid[i];
	int64_t d = (int64_t)below(w, 7) - 1;

	if (type == GV_TYPE_LIMIT || type == GV_TYPE_STOP_LIMIT)
		c->u.new_order.price = gen_px(w, i, side);
	else if (one_in(w, 4))
		c->u.new_order.price = (int64_t)below(w, 3000) - 100; /* ignored */
	if (type == GV_TYPE_STOP || type == GV_TYPE_STOP_LIMIT) {
		/* Buy stops above the last price, sell stops below. */
		c->u.new_order.stop_price = clamp_px(
			w, i, side == GV_SIDE_BUY ? base + d : base - d);
		if (type == GV_TYPE_STOP_LIMIT)
			c->u.new_order.price = clamp_px(
				w, i, side == GV_SIDE_BUY
				              ? c->u.new_order.stop_price + 2
				              : c->u.new_order.stop_price - 2);
	}
}

static void gen_unsupported(struct world *w, struct gv_cmd *c)
{
	switch (below(w, 5)) {
	case 0:
		c->u.new_order.type = GV_TYPE_MARKET;
		c->u.new_order.tif = one_in(w, 2) ? GV_TIF_GTC : GV_TIF_DAY;
		c->u.new_order.stop_price = 0;
		break;
	case 1:
		c->u.new_order.flags |= GV_FLAG_POST_ONLY;
		if (c->u.new_order.type == GV_TYPE_LIMIT)
			c->u.new_order.tif = GV_TIF_IOC;
		break;
	case 2:
		c->u.new_order.display_qty = 1;
		if (c->u.new_order.type == GV_TYPE_LIMIT)
			c->u.new_order.tif = GV_TIF_FOK;
		break;
	case 3:
		c->u.new_order.type = GV_TYPE_STOP;
		c->u.new_order.tif = one_in(w, 2) ? GV_TIF_GTC : GV_TIF_DAY;
		c->u.new_order.stop_price = 50;
		break;
	default:
		c->u.new_order.flags |= GV_FLAG_POST_ONLY;
		c->u.new_order.type = GV_TYPE_STOP_LIMIT;
		c->u.new_order.stop_price = 50;
		break;
	}
}

/* Spoil one field of a NEW: every reject class the command can cause. */
static void gen_fault(struct world *w, struct gv_cmd *c, uint32_t i)
{
	struct gv_instrument_params *ip = &w->ins[i];
	uint64_t r = below(w, 11);

	switch (r) {
	case 0:
		c->u.new_order.side = one_in(w, 2) ? 0 : 3;
		break;
	case 1:
		c->u.new_order.type = one_in(w, 2) ? 0 : 5;
		break;
	case 2:
		c->u.new_order.tif = one_in(w, 2) ? 0 : 5;
		break;
	case 3:
		if (one_in(w, 2))
			c->u.new_order.flags |= (uint8_t)(2u << below(w, 7));
		else
			c->u.new_order.stp = (uint8_t)(5 + below(w, 3));
		break;
	case 4:
		gen_unsupported(w, c);
		break;
	case 5:
		switch (below(w, 4)) {
		case 0: c->u.new_order.qty = 0; break;
		case 1: c->u.new_order.qty = ip->min_qty_lots - 1; break;
		case 2: c->u.new_order.qty = ip->max_qty_lots + 1; break;
		default:
			c->u.new_order.display_qty = c->u.new_order.qty + 1;
			break;
		}
		break;
	case 6:
		c->u.new_order.price = one_in(w, 3) ? 0 : one_in(w, 2)
		        ? -(int64_t)below(w, 5) - 1
		        : (int64_t)ip->max_price_ticks + 1;
		break;
	case 7:
		c->u.new_order.stop_price = c->u.new_order.stop_price != 0
		        ? -(int64_t)below(w, 2) : 5;
		break;
	case 8: /* far from the mid: PRICE_BAND where there is a band */
		c->u.new_order.price = clamp_px(w, i, w->mid[i] * (one_in(w, 2)
		                                       ? 3 : 1) / 2);
		break;
	case 9: /* MAX_NOTIONAL where there is one */
		c->u.new_order.qty = ip->max_qty_lots / 2 + below(w, 100);
		break;
	default:
		c->flags |= GV_CMD_F_THROTTLED;
		break;
	}
}

static void gen_new(struct world *w, struct gv_cmd *c)
{
	uint32_t s = (uint32_t)below(w, N_SESS);
	uint32_t i = (uint32_t)below(w, N_INS);

	c->type = GV_CMD_NEW;
	c->session = w->sess_id[s];
	c->u.new_order.cl_ord_id = next_cl(w, s);
	c->u.new_order.symbol = w->ins[i].id;
	if (one_in(w, 100))
		c->u.new_order.symbol = one_in(w, 2) ? 0 : 9999;
	c->u.new_order.side = (uint8_t)(1 + below(w, 2));
	gen_type_tif(w, c);
	c->u.new_order.qty = gen_qty(w, i);
	if (c->u.new_order.type != GV_TYPE_LIMIT && one_in(w, 8))
		c->u.new_order.qty *= 4 + below(w, 8); /* sweeps the book */
	gen_new_prices(w, c, i);
	if (c->u.new_order.type == GV_TYPE_LIMIT &&
	    (c->u.new_order.tif == GV_TIF_GTC ||
	     c->u.new_order.tif == GV_TIF_DAY)) {
		if (one_in(w, 6))
			c->u.new_order.display_qty =
				1 + below(w, c->u.new_order.qty);
		if (one_in(w, 10))
			c->u.new_order.flags |= GV_FLAG_POST_ONLY;
	}
	if (one_in(w, 3))
		c->u.new_order.stp = (uint8_t)(1 + below(w, 4));
	if (one_in(w, 25)) {
		gen_fault(w, c, i);
		if (one_in(w, 4))
			gen_fault(w, c, i); /* two faults: validation order */
	}
}

struct pick_ctx {
	uint32_t want, i;
	struct gv_order_view v;
	bool got;
};

static void pick_fn(void *arg, const struct gv_order_view *o)
{
	struct pick_ctx *p = arg;

	if (p->i++ == p->want) {
		p->v = *o;
		p->got = true;
	}
}

/* A random live order of the model (resting or pending stop). */
static bool pick_live(struct world *w, struct gv_order_view *v)
{
	struct pick_ctx p;
	uint32_t n = ref_book_live_orders(w->ref);

	if (n == 0)
		return false;
	memset(&p, 0, sizeof(p));
	p.want = (uint32_t)below(w, n);
	ref_book_foreach_live(w->ref, pick_fn, &p);
	*v = p.v;
	return p.got;
}

static uint32_t sess_index(const struct world *w, uint32_t id)
{
	uint32_t s;

	for (s = 0; s < N_SESS; s++)
		if (w->sess_id[s] == id)
			return s;
	return 0;
}

static void gen_cancel(struct world *w, struct gv_cmd *c)
{
	struct gv_order_view v;
	uint32_t s = (uint32_t)below(w, N_SESS);

	c->type = GV_CMD_CANCEL;
	if (!one_in(w, 6) && pick_live(w, &v)) {
		c->session = v.session;
		c->u.cancel.cl_ord_id = v.cl_ord_id;
		if (one_in(w, 20))
			c->session = w->sess_id[s]; /* maybe another's */
	} else {
		c->session = w->sess_id[s];
		c->u.cancel.cl_ord_id = below(w, w->hi_cl[s] + 2);
	}
	if (one_in(w, 100))
		c->flags |= GV_CMD_F_THROTTLED;
}

static void gen_replace_fault(struct world *w, struct gv_cmd *c,
                              const struct gv_instrument_params *ip)
{
	switch (below(w, 5)) {
	case 0:
		c->u.replace.new_qty = one_in(w, 2) ? 0 : ip->max_qty_lots + 1;
		break;
	case 1:
		c->u.replace.new_price = one_in(w, 2) ? 0
		        : (int64_t)ip->max_price_ticks + 1;
		break;
	case 2:
		c->u.replace.new_price = c->u.replace.new_price * 3 / 2;
		break;
	case 3:
		c->u.replace.new_qty = ip->max_qty_lots / 2 + below(w, 50);
		break;
	default:
		c->flags |= GV_CMD_F_THROTTLED;
		break;
	}
}

static void gen_replace(struct world *w, struct gv_cmd *c)
{
	struct gv_order_view v;
	uint32_t s = (uint32_t)below(w, N_SESS), i;
	uint64_t r;

	c->type = GV_CMD_REPLACE;
	if (one_in(w, 8) || !pick_live(w, &v)) {
		c->session = w->sess_id[s];
		c->u.replace.orig_cl_ord_id = below(w, w->hi_cl[s] + 2);
		c->u.replace.new_cl_ord_id = next_cl(w, s);
		c->u.replace.new_price = w->mid[below(w, N_INS)];
		c->u.replace.new_qty = 1 + below(w, 20);
		return;
	}
	s = sess_index(w, v.session);
	for (i = 0; i < N_INS && w->ins[i].id != v.instrument; i++)
		;
	c->session = v.session;
	c->u.replace.orig_cl_ord_id = v.cl_ord_id;
	c->u.replace.new_cl_ord_id = next_cl(w, s);
	r = below(w, 10);
	c->u.replace.new_price = v.price;
	if (r >= 5 && r < 8)
		c->u.replace.new_price =
			clamp_px(w, i, v.price + (int64_t)below(w, 7) - 3);
	else if (r >= 8)
		c->u.replace.new_price = gen_px(w, i, v.side);
	r = below(w, 10);
	c->u.replace.new_qty = v.open_qty;
	if (r < 3 && v.open_qty > 1)
		c->u.replace.new_qty = 1 + below(w, v.open_qty - 1);
	else if (r >= 6)
		c->u.replace.new_qty = v.open_qty + 1 + below(w, 10);
	if (one_in(w, 30))
		gen_replace_fault(w, c, &w->ins[i]);
}

static void gen_mass_cancel(struct world *w, struct gv_cmd *c)
{
	uint64_t r = below(w, 20);

	c->type = GV_CMD_MASS_CANCEL;
	c->session = w->sess_id[below(w, N_SESS)];
	c->u.mass_cancel.symbol = r < 8 ? 0 : r < 19
	        ? w->ins[below(w, N_INS)].id : 77;
	c->u.mass_cancel.side = (uint8_t)below(w, 3);
	if (one_in(w, 30))
		c->u.mass_cancel.side = (uint8_t)(3 + below(w, 3));
	if (one_in(w, 50))
		c->flags |= GV_CMD_F_THROTTLED;
}

/* Resume a halted instrument or enable a killed session, now and then. */
static bool gen_recovery(struct world *w, struct gv_cmd *c)
{
	uint32_t i = (uint32_t)below(w, N_INS), s = (uint32_t)below(w, N_SESS);

	if (ref_book_halted(w->ref, w->ins[i].id) == 1 && one_in(w, 12)) {
		c->type = GV_CMD_RESUME;
		c->u.instrument.symbol = w->ins[i].id;
		return true;
	}
	if (ref_book_killed(w->ref, w->sess_id[s]) == 1 && one_in(w, 12)) {
		c->type = GV_CMD_SESSION_ENABLE;
		c->session = w->sess_id[s];
		return true;
	}
	return false;
}

static void gen_admin(struct world *w, struct gv_cmd *c, uint64_t r)
{
	static const uint16_t reason[] = { GV_CXL_COD, GV_CXL_KILL_SWITCH,
	                                   GV_CXL_ADMIN };

	if (r < 4) {
		c->type = (uint8_t)(one_in(w, 4) ? GV_CMD_RESUME : GV_CMD_HALT);
		c->u.instrument.symbol = one_in(w, 10) ? 12345
		        : w->ins[below(w, N_INS)].id;
	} else if (r < 6) {
		c->type = GV_CMD_END_OF_DAY;
	} else if (r < 9) {
		c->type = GV_CMD_SESSION_CANCEL_ALL;
		c->session = w->sess_id[below(w, N_SESS)];
		c->u.cancel_all.reason = reason[below(w, 3)];
		if (one_in(w, 3))
			c->flags |= GV_CMD_F_KILL;
		if (one_in(w, 20)) /* not COD/KILL_SWITCH/ADMIN: bad command */
			c->u.cancel_all.reason = one_in(w, 2) ? 0 : GV_CXL_USER;
	} else if (r < 10) {
		c->type = GV_CMD_SESSION_ENABLE;
		c->session = w->sess_id[below(w, N_SESS)];
	} else {
		/* Unknown session or command type: no event. */
		c->type = (uint8_t)(one_in(w, 2) ? GV_CMD_NEW : 10 + below(w, 5));
		c->session = one_in(w, 2) ? 999 : w->sess_id[0];
	}
}

static void gen_cmd(struct world *w, struct gv_cmd *c)
{
	uint64_t r = below(w, 1000);
	uint32_t live = ref_book_live_orders(w->ref);

	memset(c, 0, sizeof(*c));
	c->ts_ns = 1700000000000000000ull + w->step * 1000;
	if (gen_recovery(w, c))
		return;
	/* One phase in four fills the pool up (CAPACITY); otherwise, near a
	 * full pool, cancel more than we add. */
	if ((w->step / 4000) % 4 == 3) {
		if (r >= 600 && !one_in(w, 8))
			r = below(w, 600);
	} else if (live + 10 >= MAX_ORD && r < 600 && one_in(w, 3)) {
		r = 600 + below(w, 280);
	}
	if (r < 600)
		gen_new(w, c);
	else if (r < 720)
		gen_cancel(w, c);
	else if (r < 880)
		gen_replace(w, c);
	else if (r < 884)
		gen_mass_cancel(w, c);
	else if (r < 890)
		gen_admin(w, c, below(w, 11));
	else
		gen_new(w, c);
}

/* ---- the loop --------------------------------------------------------- */

static uint32_t apply_both(struct world *w, const struct gv_cmd *c,
                           uint32_t *nr)
{
	struct gv_evbuf eb = { w->eng_buf, 0, GV_ARRAY_SIZE(w->eng_buf),
	                       vec_flush, &w->eng_ev };
	struct gv_evbuf rb = { w->ref_buf, 0, GV_ARRAY_SIZE(w->ref_buf),
	                       vec_flush, &w->ref_ev };
	struct gv_evbuf tb = { w->twin_buf, 0, GV_ARRAY_SIZE(w->twin_buf),
	                       vec_flush, &w->twin_ev };
	uint32_t ne;

	w->eng_ev.n = w->ref_ev.n = w->twin_ev.n = 0;
	ne = gv_book_apply(w->eng, c, &eb);
	if (eb.n != 0)
		vec_flush(&w->eng_ev, eb.ev, eb.n);
	(void)gv_book_apply(w->twin, c, &tb);
	if (tb.n != 0)
		vec_flush(&w->twin_ev, tb.ev, tb.n);
	*nr = ref_book_apply(w->ref, c, &rb);
	if (rb.n != 0)
		vec_flush(&w->ref_ev, rb.ev, rb.n);
	return ne;
}

static void report(const struct world *w, uint64_t seed)
{
	size_t i;
	uint64_t k;

	printf("FAIL seed=%" PRIu64 " step=%" PRIu64 ": %s\n", seed, w->step,
	       w->why);
	printf("previous commands:\n");
	for (k = w->step > HIST ? w->step - HIST + 1 : 0; k < w->step; k++)
		print_cmd(&w->hist[k % HIST]);
	printf("failing command:\n");
	print_cmd(&w->hist[w->step % HIST]);
	printf("  engine events (%zu):\n", w->eng_ev.n);
	for (i = 0; i < w->eng_ev.n; i++)
		print_ev(&w->eng_ev.ev[i]);
	printf("  model events (%zu):\n", w->ref_ev.n);
	for (i = 0; i < w->ref_ev.n; i++)
		print_ev(&w->ref_ev.ev[i]);
	fflush(stdout);
}

static bool one_step(struct world *w)
{
	struct gv_cmd *c = &w->hist[w->step % HIST];
	uint32_t ne, nr;

	move_mids(w);
	gen_cmd(w, c);
	ne = apply_both(w, c, &nr);
	if (g_trace) {
		size_t i;

		printf("step %" PRIu64 "\n", w->step);
		print_cmd(c);
		for (i = 0; i < w->ref_ev.n; i++)
			print_ev(&w->ref_ev.ev[i]);
	}
	if (!compare_events(w, ne, nr) || !compare_state(w))
		return false;
	if (w->step % 1000 == 999 && !check_hash(w))
		return false;
	count_events(w);
	w->st.max_live = GV_MAX(w->st.max_live, ref_book_live_orders(w->ref));
	return true;
}

/* The offload was used, and failed over exactly when it had to. */
static void check_offload(const struct world *w)
{
	struct gv_book_offload_info info;
	bool faulty = g_offp.fail_at != 0 || strcmp(g_offload, "liar") == 0;

	gv_book_offload_info(w->eng, &info);
	printf("offload %s (depth %u): now %s, %" PRIu64 " matches, %" PRIu64
	       " commands, %" PRIu64 " faults, %" PRIu64 " fallbacks\n",
	       g_offload, g_offp.depth, info.backend, info.matches, info.ops,
	       info.faults, info.fallbacks);
	CU_ASSERT(info.matches > 0);
	CU_ASSERT(info.ops > info.matches);
	if (faulty) {
		CU_ASSERT(info.faults > 0 && info.fallbacks > 0);
		CU_ASSERT(strcmp(info.backend, "sw") == 0 ||
		          strcmp(info.backend, "mixed") == 0);
	} else if (strcmp(g_offload, "auto") != 0) {
		CU_ASSERT(info.faults == 0 && info.fallbacks == 0);
		CU_ASSERT(strcmp(info.backend, g_offload) == 0);
	}
}

static void test_differential(void)
{
	static struct world w;
	uint64_t seed = g_seed_set ? g_seed : gv_test_seed(20240611);
	bool ok = true;

	if (g_seed_set)
		printf("seed=%" PRIu64 "\n", seed);
	memset(&w, 0, sizeof(w));
	w.rng = seed;
	w.crng = ~seed;
	if (!setup(&w))
		return;
	for (w.step = 0; w.step < g_steps; w.step++) {
		ok = one_step(&w);
		if (!ok)
			break;
	}
	if (!ok) {
		report(&w, seed);
		CU_FAIL("engine and model disagree (see FAIL above)");
	}
	print_summary(&w);
	if (ok && g_steps >= 100000)
		assert_coverage(&w);
	if (g_offload != NULL)
		check_offload(&w);
	gv_book_free(w.eng);
	gv_book_free(w.twin);
	ref_book_free(w.ref);
	free(w.twin_ev.ev);
	free(w.eng_ev.ev);
	free(w.ref_ev.ev);
}

static const struct gv_test tests[] = {
	GV_TEST(test_differential),
};

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
			g_steps = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			g_seed = strtoull(argv[++i], NULL, 0);
			g_seed_set = true;
		} else if (strcmp(argv[i], "--trace") == 0) {
			g_trace = true;
		} else if (strcmp(argv[i], "--offload") == 0 && i + 1 < argc) {
			g_offload = argv[++i];
		} else if (strcmp(argv[i], "--depth") == 0 && i + 1 < argc) {
			g_offp.depth = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--fail-at") == 0 && i + 1 < argc) {
			g_offp.fail_at = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--lie") == 0 && i + 1 < argc) {
			g_lie = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--fail-forever") == 0) {
			g_offp.fail_forever = true;
		} else if (strcmp(argv[i], "--inner") == 0 && i + 1 < argc) {
			g_offp.inner = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--steps N] [--seed S] "
			        "[--trace] [--offload NAME [--depth D] "
			        "[--fail-at N [--fail-forever] "
			        "[--inner NAME]] [--lie K]]\n", argv[0]);
			return 2;
		}
	}
	return gv_test_main("book_diff", tests, GV_ARRAY_SIZE(tests), NULL,
	                    NULL);
}
