/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_book.c - scenario tests for the matching engine (book/gv_book.c).
 *
 * Every test builds a fresh shard: four instruments and four sessions on
 * three accounts (see the table below), applies a handful of commands and
 * checks each command's whole event sequence against the event contract of
 * gv_book.h (type, reason, quantities, prices, sides, liquidity, ids
 * relative to each other, MD references), then the resulting book through
 * gv_book_depth() and gv_book_foreach_order(). gv_book_check() runs after
 * every command, and gv_book_apply()'s return value is compared with the
 * number of events the command really produced.
 *
 * Failures are reported at the line of the test that made the command or
 * the expectation, not at the line of the helper.
 *
 * Where the spec leaves a detail open, the test says which reading it takes
 * in an "Assumption:" comment.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gv_book.h"
#include "gv_common.h"
#include "gv_test.h"

/* ---- the shard every test starts from --------------------------------- */

#define SHARD 3u

/* Sessions. S1 and S3 trade for the same account (STP scope). */
enum { S1 = 1, S2 = 2, S3 = 3, S4 = 4 };
enum { ACCT_X = 100, ACCT_Y = 200, ACCT_Z = 300 };

/*
 * Instruments:
 *  SA  plain; STP default cancel-newest.
 *  SB  plain; STP default none (self-trades allowed unless asked).
 *  SC  limits: band 10 % around reference 1000, max notional 200000,
 *      max qty 1000.
 *  SD  quantity/price limits: min qty 5, max qty 1000, max price 5000.
 */
enum { SA = 1, SB = 2, SC = 3, SD = 4 };
#define NOSYM 999u

#define BUY GV_SIDE_BUY
#define SELL GV_SIDE_SELL
#define LIM GV_TYPE_LIMIT
#define MKT GV_TYPE_MARKET
#define STOPM GV_TYPE_STOP
#define STOPL GV_TYPE_STOP_LIMIT
#define GTC GV_TIF_GTC
#define IOC GV_TIF_IOC
#define FOK GV_TIF_FOK
#define DAY GV_TIF_DAY
#define POST GV_FLAG_POST_ONLY
#define TAKER GV_LIQ_TAKER
#define MAKER GV_LIQ_MAKER

static const struct gv_instrument_params g_instruments[] = {
	{ .id = SA, .symbol = "AAA", .min_qty_lots = 1,
	  .max_qty_lots = 1000000, .max_price_ticks = 100000,
	  .stp_default = GV_STP_CANCEL_NEWEST },
	{ .id = SB, .symbol = "BBB", .min_qty_lots = 1,
	  .max_qty_lots = 1000000, .max_price_ticks = 100000,
	  .stp_default = GV_STP_NONE },
	{ .id = SC, .symbol = "CCC", .min_qty_lots = 1, .max_qty_lots = 1000,
	  .max_price_ticks = 100000, .max_notional = 200000,
	  .price_band_bps = 1000, .reference_price_ticks = 1000,
	  .stp_default = GV_STP_CANCEL_NEWEST },
	{ .id = SD, .symbol = "DDD", .min_qty_lots = 5, .max_qty_lots = 1000,
	  .max_price_ticks = 5000, .stp_default = GV_STP_CANCEL_NEWEST },
};

static const struct {
	uint32_t id, account;
} g_sessions[] = {
	{ S1, ACCT_X }, { S2, ACCT_Y }, { S3, ACCT_X }, { S4, ACCT_Z },
};

/* ---- harness ---------------------------------------------------------- */

#define LOG_MAX 16384
#define EVBUF_MAX 1024
#define MAX_SESS 8

/* Where flushed events go: the whole event log of one book. */
struct sink {
	struct gv_event *ev;
	uint32_t n, cap;
	uint32_t overflow;
};

/* One engine under test with its event buffer and log. */
struct tb {
	struct gv_book *b;
	struct gv_evbuf eb;
	struct gv_event buf[EVBUF_MAX];
	struct sink log;
	struct gv_event logv[LOG_MAX];
	uint64_t ts;
	uint64_t next_cl[MAX_SESS];
};

static struct tb g_tb[2];
static struct tb *cur = &g_tb[0];
static uint32_t g_sym = SA;  /* instrument of the helpers and the checks */
static uint64_t g_last_cl;   /* cl_ord_id of the last NEW/REPLACE sent */

/* The events of one command: a window into the book's log. */
struct res {
	const struct gv_event *ev;
	uint32_t n;
};

/* What a test knows about one of its orders. */
struct ord {
	uint32_t sess;
	uint8_t side;
	uint64_t cl, oid, ref;
};

/* A NEW command, field by field; cl 0 = the session's next cl_ord_id. */
struct spec {
	uint32_t sess, sym;
	uint8_t side, type, tif, flags, stp;
	int64_t price, stop;
	uint64_t qty, disp, cl;
};

__attribute__((format(printf, 3, 4)))
static void check(int line, int ok, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ok) {
		CU_assertImplementation(CU_TRUE, (unsigned)line, "ok", __FILE__,
		                        "", CU_FALSE);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	CU_assertImplementation(CU_FALSE, (unsigned)line, msg, __FILE__, "",
	                        CU_FALSE);
}

static void sink_flush(void *arg, const struct gv_event *ev, uint32_t n)
{
	struct sink *s = arg;
	uint32_t room = s->cap - s->n;

	if (n > room) {
		s->overflow += n - room;
		n = room;
	}
	memcpy(&s->ev[s->n], ev, (size_t)n * sizeof(*ev));
	s->n += n;
}

static void add_instruments_and_sessions(struct gv_book *b)
{
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(g_instruments); i++)
		CU_ASSERT_EQUAL_FATAL(
			gv_book_add_instrument(b, &g_instruments[i]), 0);
	for (i = 0; i < GV_ARRAY_SIZE(g_sessions); i++)
		CU_ASSERT_EQUAL_FATAL(
			gv_book_add_session(b, g_sessions[i].id,
			                    g_sessions[i].account),
			0);
}

static void open_tb(struct tb *x, uint32_t max_orders, uint32_t pages,
                    uint32_t evcap)
{
	struct gv_book_params p = {
		.shard_id = SHARD,
		.max_orders = max_orders,
		.max_sessions = MAX_SESS,
		.max_instruments = 4,
		.max_level_pages = pages,
	};

	memset(x, 0, sizeof(*x));
	x->b = gv_book_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->b);
	add_instruments_and_sessions(x->b);
	x->eb = (struct gv_evbuf){
		.ev = x->buf, .cap = evcap, .flush = sink_flush, .arg = &x->log,
	};
	x->log = (struct sink){ .ev = x->logv, .cap = LOG_MAX };
	x->ts = 1700000000000000000ull;
	cur = x;
	g_sym = SA;
	g_last_cl = 0;
}

static void open_book(void)
{
	open_tb(&g_tb[0], 64, 64, EVBUF_MAX);
}

static void close_tb(struct tb *x)
{
	char why[256] = "";

	if (x->b == NULL)
		return;
	CU_ASSERT_EQUAL(x->log.overflow, 0);
	if (gv_book_check(x->b, why, sizeof(why)) != 0)
		check(__LINE__, 0, "gv_book_check at the end: %s", why);
	gv_book_free(x->b);
	x->b = NULL;
	cur = &g_tb[0];
}

static void close_book(void)
{
	close_tb(&g_tb[0]);
	close_tb(&g_tb[1]);
}

static struct res run_cmd(int line, struct gv_cmd *c)
{
	uint32_t start = cur->log.n, got, made;
	char why[256] = "";

	c->ts_ns = (cur->ts += 1000);
	got = gv_book_apply(cur->b, c, &cur->eb);
	if (cur->eb.n > 0) {
		sink_flush(&cur->log, cur->eb.ev, cur->eb.n);
		cur->eb.n = 0;
	}
	made = cur->log.n - start;
	check(line, got == made, "gv_book_apply returned %u for %u events",
	      got, made);
	if (gv_book_check(cur->b, why, sizeof(why)) != 0)
		check(line, 0, "gv_book_check after the command: %s", why);
	return (struct res){ &cur->log.ev[start], made };
}

static uint64_t next_cl(uint32_t sess, uint64_t cl)
{
	uint32_t i = sess < MAX_SESS ? sess : 0;

	if (cl == 0)
		cl = cur->next_cl[i] + 1;
	if (cl > cur->next_cl[i])
		cur->next_cl[i] = cl;
	g_last_cl = cl;
	return cl;
}

static struct res submit_at(int line, const struct spec *s, uint8_t cflags)
{
	struct gv_cmd c = { .type = GV_CMD_NEW, .flags = cflags };

	c.session = s->sess;
	c.u.new_order.symbol = s->sym ? s->sym : g_sym;
	c.u.new_order.side = s->side;
	c.u.new_order.type = s->type;
	c.u.new_order.tif = s->tif;
	c.u.new_order.flags = s->flags;
	c.u.new_order.cl_ord_id = next_cl(s->sess, s->cl);
	c.u.new_order.price = s->price;
	c.u.new_order.qty = s->qty;
	c.u.new_order.stop_price = s->stop;
	c.u.new_order.display_qty = s->disp;
	c.u.new_order.stp = s->stp;
	return run_cmd(line, &c);
}

static struct res limit_at(int line, uint32_t sess, uint8_t side,
                           int64_t px, uint64_t q, uint8_t tif)
{
	struct spec s = { .sess = sess, .side = side, .type = LIM, .tif = tif,
	                  .price = px, .qty = q };

	return submit_at(line, &s, 0);
}

static struct res market_at(int line, uint32_t sess, uint8_t side,
                            uint64_t q, uint8_t tif)
{
	struct spec s = { .sess = sess, .side = side, .type = MKT, .tif = tif,
	                  .qty = q };

	return submit_at(line, &s, 0);
}

static struct res stop_at(int line, uint32_t sess, uint8_t side, uint8_t type,
                          uint8_t tif, int64_t px, int64_t stop, uint64_t q)
{
	struct spec s = { .sess = sess, .side = side, .type = type,
	                  .tif = tif, .price = px, .stop = stop, .qty = q };

	return submit_at(line, &s, 0);
}

static struct res cancel_at(int line, uint32_t sess, uint64_t cl,
                            uint8_t cflags)
{
	struct gv_cmd c = { .type = GV_CMD_CANCEL, .flags = cflags,
	                    .session = sess };

	c.u.cancel.cl_ord_id = cl;
	return run_cmd(line, &c);
}

static struct res replace_at(int line, uint32_t sess, uint64_t orig,
                             uint64_t newcl, int64_t px, uint64_t q,
                             uint8_t cflags)
{
	struct gv_cmd c = { .type = GV_CMD_REPLACE, .flags = cflags,
	                    .session = sess };

	c.u.replace.orig_cl_ord_id = orig;
	c.u.replace.new_cl_ord_id = next_cl(sess, newcl);
	c.u.replace.new_price = px;
	c.u.replace.new_qty = q;
	return run_cmd(line, &c);
}

static struct res mass_at(int line, uint32_t sess, uint32_t sym,
                          uint8_t side, uint8_t cflags)
{
	struct gv_cmd c = { .type = GV_CMD_MASS_CANCEL, .flags = cflags,
	                    .session = sess };

	c.u.mass_cancel.symbol = sym;
	c.u.mass_cancel.side = side;
	return run_cmd(line, &c);
}

static struct res admin_at(int line, uint8_t type, uint32_t sym)
{
	struct gv_cmd c = { .type = type };

	c.u.instrument.symbol = sym;
	return run_cmd(line, &c);
}

static struct res cancel_all_at(int line, uint32_t sess, uint16_t reason,
                                uint8_t cflags)
{
	struct gv_cmd c = { .type = GV_CMD_SESSION_CANCEL_ALL,
	                    .flags = cflags, .session = sess };

	c.u.cancel_all.reason = reason;
	return run_cmd(line, &c);
}

static struct res enable_at(int line, uint32_t sess)
{
	struct gv_cmd c = { .type = GV_CMD_SESSION_ENABLE, .session = sess };

	return run_cmd(line, &c);
}

#define SUBMIT(...) submit_at(__LINE__, &(const struct spec){ __VA_ARGS__ }, 0)
#define SUBMIT_F(fl, ...) \
	submit_at(__LINE__, &(const struct spec){ __VA_ARGS__ }, (fl))
#define LIMIT(...) limit_at(__LINE__, __VA_ARGS__)
#define MARKET(...) market_at(__LINE__, __VA_ARGS__)
#define STOP(...) stop_at(__LINE__, __VA_ARGS__)
#define CANCEL(ss, cl) cancel_at(__LINE__, (ss), (cl), 0)
#define CANCEL_F(ss, cl, fl) cancel_at(__LINE__, (ss), (cl), (fl))
#define REPLACE(ss, orig, px, q) \
	replace_at(__LINE__, (ss), (orig), 0, (px), (q), 0)
#define REPLACE_CL(ss, orig, ncl, px, q) \
	replace_at(__LINE__, (ss), (orig), (ncl), (px), (q), 0)
#define REPLACE_F(ss, orig, px, q, fl) \
	replace_at(__LINE__, (ss), (orig), 0, (px), (q), (fl))
#define MASS(ss, sym, sd) mass_at(__LINE__, (ss), (sym), (sd), 0)
#define MASS_F(ss, sym, sd, fl) mass_at(__LINE__, (ss), (sym), (sd), (fl))
#define HALT(sym) admin_at(__LINE__, GV_CMD_HALT, (sym))
#define RESUME(sym) admin_at(__LINE__, GV_CMD_RESUME, (sym))
#define END_OF_DAY() admin_at(__LINE__, GV_CMD_END_OF_DAY, 0)
#define CANCEL_ALL(ss, why, fl) cancel_all_at(__LINE__, (ss), (why), (fl))
#define ENABLE(ss) enable_at(__LINE__, (ss))

/* ---- event expectations ----------------------------------------------- */

static const char *ev_name(uint8_t type)
{
	static const char *const names[GV_EV_MAX] = {
		[GV_EV_ACCEPTED] = "ACCEPTED",
		[GV_EV_REJECTED] = "REJECTED",
		[GV_EV_FILL] = "FILL",
		[GV_EV_CANCELLED] = "CANCELLED",
		[GV_EV_REPLACED] = "REPLACED",
		[GV_EV_STOP_TRIGGERED] = "STOP_TRIGGERED",
		[GV_EV_MASS_CANCEL_ACK] = "MASS_CANCEL_ACK",
		[GV_EV_MD_ADD] = "MD_ADD",
		[GV_EV_MD_EXEC] = "MD_EXEC",
		[GV_EV_MD_REDUCE] = "MD_REDUCE",
		[GV_EV_MD_DELETE] = "MD_DELETE",
		[GV_EV_MD_REPLACE] = "MD_REPLACE",
		[GV_EV_MD_TRADING_STATE] = "MD_TRADING_STATE",
	};

	return type < GV_EV_MAX && names[type] ? names[type] : "?";
}

static void expect_n(int line, struct res r, uint32_t n)
{
	uint32_t i;
	char seq[256] = "";
	size_t off = 0;

	if (r.n == n) {
		check(line, 1, "ok");
		return;
	}
	for (i = 0; i < r.n && off < sizeof(seq) - 20; i++)
		off += (size_t)snprintf(seq + off, sizeof(seq) - off, " %s",
		                        ev_name(r.ev[i].type));
	check(line, 0, "%u events, want %u:%s", r.n, n, seq);
}

/* The i-th event if it has the wanted type, else NULL (and a failure). */
static const struct gv_event *ev_at(int line, struct res r, uint32_t i,
                                    uint8_t type)
{
	if (i >= r.n) {
		check(line, 0, "event %u (%s) missing: only %u events", i,
		      ev_name(type), r.n);
		return NULL;
	}
	if (r.ev[i].type != type) {
		check(line, 0, "event %u is %s, want %s", i,
		      ev_name(r.ev[i].type), ev_name(type));
		return NULL;
	}
	return &r.ev[i];
}

static void field(int line, uint32_t i, const char *what, uint64_t got,
                  uint64_t want)
{
	check(line, got == want, "event %u: %s is %lld, want %lld", i, what,
	      (long long)got, (long long)want);
}

/* Execution reports go to a session and carry the instrument. */
static void ord_head(int line, const struct gv_event *e, uint32_t i,
                     uint32_t sess)
{
	field(line, i, "session", e->session, sess);
	field(line, i, "instrument", e->instrument, g_sym);
}

/* Market data events go to no session. */
static void md_head(int line, const struct gv_event *e, uint32_t i)
{
	field(line, i, "session", e->session, 0);
	field(line, i, "instrument", e->instrument, g_sym);
}

static uint64_t expect_accepted(int line, struct res r, uint32_t i,
                                uint32_t sess, uint64_t cl, uint8_t side,
                                uint8_t type, uint8_t tif, int64_t px,
                                uint64_t q)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_ACCEPTED);

	if (e == NULL)
		return 0;
	ord_head(line, e, i, sess);
	field(line, i, "cl_ord_id", e->u.ord.cl_ord_id, cl);
	field(line, i, "side", e->side, side);
	field(line, i, "ord_type", e->u.ord.ord_type, type);
	field(line, i, "tif", e->u.ord.tif, tif);
	field(line, i, "price", (uint64_t)e->u.ord.price, (uint64_t)px);
	field(line, i, "qty", e->u.ord.qty, q);
	check(line, e->u.ord.order_id != 0, "event %u: order_id 0", i);
	return e->u.ord.order_id;
}

static void expect_rejected(int line, struct res r, uint32_t i, uint32_t sess,
                            uint64_t cl, uint16_t reason)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_REJECTED);

	if (e == NULL)
		return;
	field(line, i, "session", e->session, sess);
	field(line, i, "cl_ord_id", e->u.ord.cl_ord_id, cl);
	field(line, i, "reason", e->u.ord.reason, reason);
}

static void expect_fill(int line, struct res r, uint32_t i,
                        const struct ord *o, int64_t px, uint64_t q,
                        uint64_t open, uint8_t liq, uint64_t match)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_FILL);

	if (e == NULL)
		return;
	ord_head(line, e, i, o->sess);
	field(line, i, "cl_ord_id", e->u.ord.cl_ord_id, o->cl);
	field(line, i, "order_id", e->u.ord.order_id, o->oid);
	field(line, i, "side", e->side, o->side);
	field(line, i, "price", (uint64_t)e->u.ord.price, (uint64_t)px);
	field(line, i, "qty", e->u.ord.qty, q);
	field(line, i, "open_qty", e->u.ord.open_qty, open);
	field(line, i, "liquidity", e->u.ord.liquidity, liq);
	field(line, i, "match_id", e->u.ord.aux, match);
}

static void expect_cancelled(int line, struct res r, uint32_t i,
                             const struct ord *o, uint64_t q, uint64_t open,
                             uint16_t reason)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_CANCELLED);

	if (e == NULL)
		return;
	ord_head(line, e, i, o->sess);
	field(line, i, "cl_ord_id", e->u.ord.cl_ord_id, o->cl);
	field(line, i, "order_id", e->u.ord.order_id, o->oid);
	field(line, i, "side", e->side, o->side);
	field(line, i, "qty", e->u.ord.qty, q);
	field(line, i, "open_qty", e->u.ord.open_qty, open);
	field(line, i, "reason", e->u.ord.reason, reason);
}

/* o->cl is the new cl_ord_id. */
static void expect_replaced(int line, struct res r, uint32_t i,
                            const struct ord *o, uint64_t orig_cl, int64_t px,
                            uint64_t open, uint8_t kept)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_REPLACED);

	if (e == NULL)
		return;
	ord_head(line, e, i, o->sess);
	field(line, i, "cl_ord_id", e->u.ord.cl_ord_id, o->cl);
	field(line, i, "orig_cl_ord_id", e->u.ord.aux, orig_cl);
	field(line, i, "order_id", e->u.ord.order_id, o->oid);
	field(line, i, "side", e->side, o->side);
	field(line, i, "price", (uint64_t)e->u.ord.price, (uint64_t)px);
	field(line, i, "open_qty", e->u.ord.open_qty, open);
	field(line, i, "priority_kept", e->u.ord.priority_kept, kept);
}

static void expect_triggered(int line, struct res r, uint32_t i,
                             const struct ord *o)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_STOP_TRIGGERED);

	if (e == NULL)
		return;
	ord_head(line, e, i, o->sess);
	field(line, i, "cl_ord_id", e->u.ord.cl_ord_id, o->cl);
	field(line, i, "order_id", e->u.ord.order_id, o->oid);
	field(line, i, "side", e->side, o->side);
}

static void expect_mass_ack(int line, struct res r, uint32_t i, uint32_t sess,
                            uint32_t sym, uint64_t count)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MASS_CANCEL_ACK);

	if (e == NULL)
		return;
	field(line, i, "session", e->session, sess);
	field(line, i, "instrument", e->instrument, sym);
	field(line, i, "qty (orders cancelled)", e->u.ord.qty, count);
}

static uint64_t expect_md_add(int line, struct res r, uint32_t i, uint8_t side,
                              int64_t px, uint64_t q)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MD_ADD);

	if (e == NULL)
		return 0;
	md_head(line, e, i);
	field(line, i, "side", e->side, side);
	field(line, i, "price", (uint64_t)e->u.md.price, (uint64_t)px);
	field(line, i, "qty", e->u.md.qty, q);
	check(line, e->u.md.ref != 0, "event %u: MD ref 0", i);
	return e->u.md.ref;
}

static void expect_md_exec(int line, struct res r, uint32_t i, uint64_t ref,
                           int64_t px, uint64_t q, uint64_t match)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MD_EXEC);

	if (e == NULL)
		return;
	md_head(line, e, i);
	field(line, i, "ref", e->u.md.ref, ref);
	field(line, i, "price", (uint64_t)e->u.md.price, (uint64_t)px);
	field(line, i, "qty", e->u.md.qty, q);
	field(line, i, "match_id", e->u.md.match_id, match);
}

static void expect_md_reduce(int line, struct res r, uint32_t i, uint64_t ref,
                             uint64_t q)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MD_REDUCE);

	if (e == NULL)
		return;
	md_head(line, e, i);
	field(line, i, "ref", e->u.md.ref, ref);
	field(line, i, "qty", e->u.md.qty, q);
}

static void expect_md_delete(int line, struct res r, uint32_t i, uint64_t ref)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MD_DELETE);

	if (e == NULL)
		return;
	md_head(line, e, i);
	field(line, i, "ref", e->u.md.ref, ref);
}

static uint64_t expect_md_replace(int line, struct res r, uint32_t i,
                                  uint64_t ref, int64_t px, uint64_t q)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MD_REPLACE);

	if (e == NULL)
		return 0;
	md_head(line, e, i);
	field(line, i, "ref", e->u.md.ref, ref);
	field(line, i, "price", (uint64_t)e->u.md.price, (uint64_t)px);
	field(line, i, "qty", e->u.md.qty, q);
	check(line, e->u.md.new_ref != 0 && e->u.md.new_ref != ref,
	      "event %u: new_ref %llu must be new (old %llu)", i,
	      (unsigned long long)e->u.md.new_ref, (unsigned long long)ref);
	return e->u.md.new_ref;
}

static void expect_state(int line, struct res r, uint32_t i, uint32_t sym,
                         uint8_t halted)
{
	const struct gv_event *e = ev_at(line, r, i, GV_EV_MD_TRADING_STATE);

	if (e == NULL)
		return;
	field(line, i, "session", e->session, 0);
	field(line, i, "instrument", e->instrument, sym);
	field(line, i, "halted", e->u.md.halted, halted);
}

/* One trade: FILL taker, FILL maker, MD_EXEC of the maker's reference. */
static void expect_trade(int line, struct res r, uint32_t i,
                         const struct ord *tk, const struct ord *mk,
                         int64_t px, uint64_t q, uint64_t tk_open,
                         uint64_t mk_open, uint64_t match)
{
	expect_fill(line, r, i, tk, px, q, tk_open, TAKER, match);
	expect_fill(line, r, i + 1, mk, px, q, mk_open, MAKER, match);
	expect_md_exec(line, r, i + 2, mk->ref, px, q, match);
}

#define EXPECT_N(r, n) expect_n(__LINE__, (r), (n))
#define EV_ACCEPTED(r, i, ...) expect_accepted(__LINE__, (r), (i), __VA_ARGS__)
#define EV_REJECTED(r, i, ...) expect_rejected(__LINE__, (r), (i), __VA_ARGS__)
#define EV_FILL(r, i, ...) expect_fill(__LINE__, (r), (i), __VA_ARGS__)
#define EV_CANCELLED(r, i, ...) \
	expect_cancelled(__LINE__, (r), (i), __VA_ARGS__)
#define EV_REPLACED(r, i, ...) expect_replaced(__LINE__, (r), (i), __VA_ARGS__)
#define EV_TRIGGERED(r, i, o) expect_triggered(__LINE__, (r), (i), (o))
#define EV_MASS_ACK(r, i, ...) expect_mass_ack(__LINE__, (r), (i), __VA_ARGS__)
#define EV_MD_ADD(r, i, ...) expect_md_add(__LINE__, (r), (i), __VA_ARGS__)
#define EV_MD_EXEC(r, i, ...) expect_md_exec(__LINE__, (r), (i), __VA_ARGS__)
#define EV_MD_REDUCE(r, i, ...) \
	expect_md_reduce(__LINE__, (r), (i), __VA_ARGS__)
#define EV_MD_DELETE(r, i, ref) expect_md_delete(__LINE__, (r), (i), (ref))
#define EV_MD_REPLACE(r, i, ...) \
	expect_md_replace(__LINE__, (r), (i), __VA_ARGS__)
#define EV_STATE(r, i, ...) expect_state(__LINE__, (r), (i), __VA_ARGS__)
#define EV_TRADE(r, i, ...) expect_trade(__LINE__, (r), (i), __VA_ARGS__)

/* A single rejection: exactly one REJECTED event. */
static void expect_reject_only(int line, struct res r, uint32_t sess,
                               uint64_t cl, uint16_t reason)
{
	expect_n(line, r, 1);
	expect_rejected(line, r, 0, sess, cl, reason);
}

/* The command runs before `cl` is read (it may be g_last_cl). */
#define REJECTED_ONLY(r, ss, cl, why)                                    \
	do {                                                              \
		struct res r_ = (r);                                      \
		expect_reject_only(__LINE__, r_, (ss), (cl), (why));      \
	} while (0)

/* The order a command's ACCEPTED event describes (no MD reference yet). */
static struct ord ord_of(struct res r)
{
	struct ord o = { 0 };

	if (r.n > 0 && r.ev[0].type == GV_EV_ACCEPTED) {
		o.sess = r.ev[0].session;
		o.side = r.ev[0].side;
		o.cl = r.ev[0].u.ord.cl_ord_id;
		o.oid = r.ev[0].u.ord.order_id;
	}
	return o;
}

/* A limit order that must rest whole: exactly ACCEPTED then MD_ADD. */
static struct ord rest_at(int line, uint32_t sess, uint8_t side, int64_t px,
                          uint64_t q, uint8_t tif, uint64_t disp)
{
	struct spec s = { .sess = sess, .side = side, .type = LIM, .tif = tif,
	                  .price = px, .qty = q, .disp = disp };
	struct res r = submit_at(line, &s, 0);
	struct ord o;

	expect_n(line, r, 2);
	o = ord_of(r);
	expect_accepted(line, r, 0, sess, g_last_cl, side, LIM, tif, px, q);
	o.ref = expect_md_add(line, r, 1, side, px, disp ? disp : q);
	return o;
}

/* A stop or stop-limit that must wait: exactly ACCEPTED. */
static struct ord pending_at(int line, uint32_t sess, uint8_t side,
                             uint8_t type, uint8_t tif, int64_t px,
                             int64_t stop, uint64_t q)
{
	struct res r = stop_at(line, sess, side, type, tif, px, stop, q);

	expect_n(line, r, 1);
	expect_accepted(line, r, 0, sess, g_last_cl, side, type, tif,
	                type == STOPM ? 0 : px, q);
	return ord_of(r);
}

#define REST(ss, sd, px, q) rest_at(__LINE__, (ss), (sd), (px), (q), GTC, 0)
#define REST_DAY(ss, sd, px, q) \
	rest_at(__LINE__, (ss), (sd), (px), (q), DAY, 0)
#define REST_ICE(ss, sd, px, q, d) \
	rest_at(__LINE__, (ss), (sd), (px), (q), GTC, (d))
#define PENDING(...) pending_at(__LINE__, __VA_ARGS__)

/* ---- book views ------------------------------------------------------- */

#define MAX_LEVELS 32
#define MAX_VIEW 128

struct olist {
	struct gv_order_view v[MAX_VIEW];
	int n;
};

static void collect_order(void *arg, const struct gv_order_view *o)
{
	struct olist *l = arg;

	if (l->n < MAX_VIEW)
		l->v[l->n] = *o;
	l->n++;
}

static int orders_of(uint32_t sym, uint8_t side, struct olist *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	rc = gv_book_foreach_order(cur->b, sym, (enum gv_side)side,
	                           collect_order, l);
	CU_ASSERT_EQUAL(rc, l->n);
	return l->n;
}

static void check_depth(int line, uint32_t sym, uint8_t side,
                        const struct gv_level_view *want, int n)
{
	struct gv_level_view lv[MAX_LEVELS];
	int got, i;

	memset(lv, 0, sizeof(lv));
	got = gv_book_depth(cur->b, sym, (enum gv_side)side, lv, MAX_LEVELS);
	check(line, got == n, "%s depth: %d levels, want %d",
	      side == BUY ? "bid" : "ask", got, n);
	for (i = 0; i < n && i < got; i++)
		check(line,
		      lv[i].price == want[i].price &&
		              lv[i].visible_qty == want[i].visible_qty &&
		              lv[i].total_qty == want[i].total_qty &&
		              lv[i].orders == want[i].orders,
		      "%s level %d is {%lld, %llu, %llu, %u}, want "
		      "{%lld, %llu, %llu, %u}",
		      side == BUY ? "bid" : "ask", i, (long long)lv[i].price,
		      (unsigned long long)lv[i].visible_qty,
		      (unsigned long long)lv[i].total_qty, lv[i].orders,
		      (long long)want[i].price,
		      (unsigned long long)want[i].visible_qty,
		      (unsigned long long)want[i].total_qty, want[i].orders);
}

/* The resting orders of one side, in priority order, by order id. */
static void check_queue(int line, uint32_t sym, uint8_t side,
                        const uint64_t *oids, int n)
{
	struct olist l;
	int i;

	orders_of(sym, side, &l);
	check(line, l.n == n, "%s queue: %d orders, want %d",
	      side == BUY ? "bid" : "ask", l.n, n);
	for (i = 0; i < n && i < l.n; i++)
		check(line, l.v[i].order_id == oids[i],
		      "%s queue position %d: order %llx, want %llx",
		      side == BUY ? "bid" : "ask", i,
		      (unsigned long long)l.v[i].order_id,
		      (unsigned long long)oids[i]);
}

/* {price, visible, total, orders} per level, best first. */
#define LEVELS(...) ((const struct gv_level_view[]){ __VA_ARGS__ })
#define DEPTH(sym, sd, ...)                                               \
	check_depth(__LINE__, (sym), (sd), LEVELS(__VA_ARGS__),           \
	            (int)(sizeof(LEVELS(__VA_ARGS__)) /                   \
	                  sizeof(struct gv_level_view)))
#define NO_DEPTH(sym, sd) check_depth(__LINE__, (sym), (sd), NULL, 0)
#define QUEUE(sym, sd, ...)                                               \
	check_queue(__LINE__, (sym), (sd), (const uint64_t[]){ __VA_ARGS__ }, \
	            (int)(sizeof((const uint64_t[]){ __VA_ARGS__ }) /     \
	                  sizeof(uint64_t)))

/* Find one resting order's view; returns 0 if it is not in the book. */
static int view_of(uint32_t sym, uint8_t side, uint64_t oid,
                   struct gv_order_view *v)
{
	static struct olist l;
	int i;

	orders_of(sym, side, &l);
	for (i = 0; i < l.n && i < MAX_VIEW; i++)
		if (l.v[i].order_id == oid) {
			*v = l.v[i];
			return 1;
		}
	return 0;
}

/* Everything visible from outside about every instrument. */
struct snap {
	struct gv_level_view lv[4][2][MAX_LEVELS];
	int nlv[4][2];
	struct olist ol[4][2];
	uint32_t live;
	int64_t last[4];
};

static void take_snap(struct snap *s)
{
	uint32_t i;
	int k;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 4; i++) {
		for (k = 0; k < 2; k++) {
			s->nlv[i][k] = gv_book_depth(cur->b, i + 1,
			                             (enum gv_side)(k + 1),
			                             s->lv[i][k], MAX_LEVELS);
			orders_of(i + 1, (uint8_t)(k + 1), &s->ol[i][k]);
		}
		s->last[i] = gv_book_last_price(cur->b, i + 1);
	}
	s->live = gv_book_live_orders(cur->b);
}

static int same_view(const struct gv_order_view *a,
                     const struct gv_order_view *b)
{
	return a->order_id == b->order_id && a->cl_ord_id == b->cl_ord_id &&
	       a->session == b->session && a->instrument == b->instrument &&
	       a->price == b->price && a->stop_price == b->stop_price &&
	       a->open_qty == b->open_qty && a->visible_qty == b->visible_qty &&
	       a->side == b->side && a->ord_type == b->ord_type &&
	       a->tif == b->tif && a->pending_stop == b->pending_stop;
}

static void check_unchanged(int line, const struct snap *before)
{
	struct snap now;
	int i, k, j, same = 1;

	take_snap(&now);
	for (i = 0; i < 4; i++) {
		for (k = 0; k < 2; k++) {
			same &= now.nlv[i][k] == before->nlv[i][k];
			same &= memcmp(now.lv[i][k], before->lv[i][k],
			               sizeof(now.lv[i][k])) == 0;
			same &= now.ol[i][k].n == before->ol[i][k].n;
			for (j = 0; j < now.ol[i][k].n && j < MAX_VIEW; j++)
				same &= same_view(&now.ol[i][k].v[j],
				                  &before->ol[i][k].v[j]);
		}
		same &= now.last[i] == before->last[i];
	}
	same &= now.live == before->live;
	check(line, same, "the book changed (depth, orders, last price or "
	                  "live count)");
}

#define UNCHANGED(s) check_unchanged(__LINE__, (s))

static uint64_t oid_seq(uint64_t oid)
{
	return (oid >> 24) & ((1ull << 34) - 1);
}

/* ======================================================================= */
/* ---- scenarios -------------------------------------------------------- */
/* ======================================================================= */

/* ---- resting and crossing --------------------------------------------- */

static void test_limit_rests(void)
{
	struct res r;
	struct ord a, b, c, d, e;
	struct gv_order_view v;
	uint64_t oid;

	open_book();
	r = LIMIT(S1, BUY, 100, 10, GTC);
	EXPECT_N(r, 2);
	oid = EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 100, 10);
	EV_MD_ADD(r, 1, BUY, 100, 10);
	DEPTH(SA, BUY, { 100, 10, 10, 1 });
	NO_DEPTH(SA, SELL);
	NO_DEPTH(SB, BUY);
	QUEUE(SA, BUY, oid);
	CU_ASSERT_FATAL(view_of(SA, BUY, oid, &v));
	CU_ASSERT_EQUAL(v.cl_ord_id, g_last_cl);
	CU_ASSERT_EQUAL(v.session, S1);
	CU_ASSERT_EQUAL(v.instrument, SA);
	CU_ASSERT_EQUAL(v.price, 100);
	CU_ASSERT_EQUAL(v.open_qty, 10);
	CU_ASSERT_EQUAL(v.visible_qty, 10);
	CU_ASSERT_EQUAL(v.side, BUY);
	CU_ASSERT_EQUAL(v.ord_type, LIM);
	CU_ASSERT_EQUAL(v.tif, GTC);
	CU_ASSERT_EQUAL(v.pending_stop, 0);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SA), 0);

	/* Levels sort best first on both sides; equal prices aggregate. */
	a = REST(S2, BUY, 101, 5);
	b = REST(S4, BUY, 99, 7);
	c = REST(S2, BUY, 100, 3);
	d = REST(S2, SELL, 105, 4);
	e = REST(S4, SELL, 103, 6);
	DEPTH(SA, BUY, { 101, 5, 5, 1 }, { 100, 13, 13, 2 }, { 99, 7, 7, 1 });
	DEPTH(SA, SELL, { 103, 6, 6, 1 }, { 105, 4, 4, 1 });
	QUEUE(SA, BUY, a.oid, oid, c.oid, b.oid);
	QUEUE(SA, SELL, e.oid, d.oid);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 6);
	CU_ASSERT_EQUAL(gv_book_depth(cur->b, NOSYM, BUY, NULL, 0), -ENOENT);
	close_book();
}

/* A crossing limit trades at the resting price: FILL taker, FILL maker,
 * MD_EXEC; an aggressor filled whole produces nothing more. */
static void test_cross_trades_at_resting_price(void)
{
	struct res r;
	struct ord m, tk, bid;

	open_book();
	m = REST(S2, SELL, 100, 10);
	r = LIMIT(S1, BUY, 102, 4, GTC);
	EXPECT_N(r, 4);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 102, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &m, 100, 4, 0, 6, 1);
	DEPTH(SA, SELL, { 100, 6, 6, 1 });
	NO_DEPTH(SA, BUY);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SA), 100);

	/* A sell aggressor trades at the bid's price. */
	bid = REST(S2, BUY, 99, 5);
	r = LIMIT(S4, SELL, 97, 3, GTC);
	EXPECT_N(r, 4);
	EV_ACCEPTED(r, 0, S4, g_last_cl, SELL, LIM, GTC, 97, 3);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &bid, 99, 3, 0, 2, 2);
	DEPTH(SA, BUY, { 99, 2, 2, 1 });
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SA), 99);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_FILLS), 2);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_VOLUME), 7);
	close_book();
}

static void test_partial_fill_rests_remainder(void)
{
	struct res r;
	struct ord m, tk;

	open_book();
	m = REST(S2, SELL, 100, 10);
	r = LIMIT(S1, BUY, 100, 15, GTC);
	EXPECT_N(r, 5);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 100, 15);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &m, 100, 10, 5, 0, 1);
	tk.ref = EV_MD_ADD(r, 4, BUY, 100, 5);
	NO_DEPTH(SA, SELL);
	DEPTH(SA, BUY, { 100, 5, 5, 1 });
	QUEUE(SA, BUY, tk.oid);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);
	/* The maker is gone: MD_EXEC of its whole size removed it. */
	REJECTED_ONLY(CANCEL(S2, m.cl), S2, m.cl, GV_REJ_UNKNOWN_ORDER);
	close_book();
}

static void test_sweep_several_levels(void)
{
	struct res r;
	struct ord a, b, c, d, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	b = REST(S4, SELL, 101, 5);
	c = REST(S2, SELL, 103, 5);
	d = REST(S2, SELL, 104, 5);
	r = LIMIT(S1, BUY, 103, 12, GTC);
	EXPECT_N(r, 10);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 103, 12);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 7, 0, 1);
	EV_TRADE(r, 4, &tk, &b, 101, 5, 2, 0, 2);
	EV_TRADE(r, 7, &tk, &c, 103, 2, 0, 3, 3);
	DEPTH(SA, SELL, { 103, 3, 3, 1 }, { 104, 5, 5, 1 });
	QUEUE(SA, SELL, c.oid, d.oid);
	NO_DEPTH(SA, BUY);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SA), 103);

	/* Swept up to its limit, the remainder rests at the limit price. */
	r = LIMIT(S1, BUY, 103, 5, GTC);
	EXPECT_N(r, 5);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &c, 103, 3, 2, 0, 4);
	EV_MD_ADD(r, 4, BUY, 103, 2);
	DEPTH(SA, BUY, { 103, 2, 2, 1 });
	DEPTH(SA, SELL, { 104, 5, 5, 1 });
	close_book();
}

/* Better price first, then arrival order within a price. */
static void test_price_time_priority(void)
{
	struct res r;
	struct ord a, b, c, d, tk;

	open_book();
	a = REST(S2, SELL, 101, 5);
	b = REST(S4, SELL, 100, 5);
	c = REST(S2, SELL, 100, 5);
	d = REST(S4, SELL, 99, 5);
	QUEUE(SA, SELL, d.oid, b.oid, c.oid, a.oid);
	r = LIMIT(S1, BUY, 101, 17, GTC);
	EXPECT_N(r, 13);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &d, 99, 5, 12, 0, 1);
	EV_TRADE(r, 4, &tk, &b, 100, 5, 7, 0, 2);
	EV_TRADE(r, 7, &tk, &c, 100, 5, 2, 0, 3);
	EV_TRADE(r, 10, &tk, &a, 101, 2, 0, 3, 4);
	DEPTH(SA, SELL, { 101, 3, 3, 1 });
	close_book();
}

static void test_cancel_middle_keeps_fifo(void)
{
	struct res r;
	struct ord a, b, c, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	b = REST(S4, SELL, 100, 6);
	c = REST(S2, SELL, 100, 7);
	r = CANCEL(S4, b.cl);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &b, 6, 0, GV_CXL_USER);
	EV_MD_DELETE(r, 1, b.ref);
	DEPTH(SA, SELL, { 100, 12, 12, 2 });
	QUEUE(SA, SELL, a.oid, c.oid);

	r = LIMIT(S1, BUY, 100, 8, GTC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 3, 0, 1);
	EV_TRADE(r, 4, &tk, &c, 100, 3, 0, 4, 2);
	DEPTH(SA, SELL, { 100, 4, 4, 1 });
	REJECTED_ONLY(CANCEL(S4, b.cl), S4, b.cl, GV_REJ_UNKNOWN_ORDER);
	close_book();
}

static void test_partial_fill_keeps_queue_position(void)
{
	struct res r;
	struct ord a, b, tk;
	struct gv_order_view v;

	open_book();
	a = REST(S2, SELL, 100, 10);
	b = REST(S4, SELL, 100, 10);
	r = LIMIT(S1, BUY, 100, 4, GTC);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 4, 0, 6, 1);
	QUEUE(SA, SELL, a.oid, b.oid);
	CU_ASSERT_FATAL(view_of(SA, SELL, a.oid, &v));
	CU_ASSERT_EQUAL(v.open_qty, 6);
	CU_ASSERT_EQUAL(v.visible_qty, 6);
	DEPTH(SA, SELL, { 100, 16, 16, 2 });

	r = LIMIT(S1, BUY, 100, 8, GTC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 6, 2, 0, 2);
	EV_TRADE(r, 4, &tk, &b, 100, 2, 0, 8, 3);
	QUEUE(SA, SELL, b.oid);
	close_book();
}

/* ---- cancel ----------------------------------------------------------- */

static void test_cancel(void)
{
	struct res r;
	struct ord a, b;

	open_book();
	a = REST(S2, SELL, 100, 10);
	b = REST(S1, BUY, 90, 4);
	r = LIMIT(S4, BUY, 100, 3, GTC); /* a: open 7 */
	EXPECT_N(r, 4);

	/* cl_ord_ids are per session: S4 cannot name S2's order (S4's own
	 * order with that cl_ord_id is filled). */
	REJECTED_ONLY(CANCEL(S4, a.cl), S4, a.cl, GV_REJ_UNKNOWN_ORDER);
	REJECTED_ONLY(CANCEL(S2, 12345), S2, 12345, GV_REJ_UNKNOWN_ORDER);

	/* The cancelled quantity is what was still open. */
	r = CANCEL(S2, a.cl);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &a, 7, 0, GV_CXL_USER);
	EV_MD_DELETE(r, 1, a.ref);
	NO_DEPTH(SA, SELL);
	REJECTED_ONLY(CANCEL(S2, a.cl), S2, a.cl, GV_REJ_UNKNOWN_ORDER);

	r = CANCEL(S1, b.cl);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &b, 4, 0, GV_CXL_USER);
	EV_MD_DELETE(r, 1, b.ref);
	NO_DEPTH(SA, BUY);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);
	close_book();
}

/* ---- replace ---------------------------------------------------------- */

/* Same price, open quantity not growing: priority kept, MD_REDUCE by the
 * cut (nothing when the displayed size is unchanged). */
static void test_replace_keeps_priority(void)
{
	struct res r;
	struct ord a, b, a2, tk;
	uint64_t oid_before;

	open_book();
	a = REST(S2, SELL, 100, 10);
	b = REST(S4, SELL, 100, 10);
	oid_before = a.oid;
	r = REPLACE(S2, a.cl, 100, 6);
	EXPECT_N(r, 2);
	a2 = a;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 6, 1);
	EV_MD_REDUCE(r, 1, a.ref, 4);
	DEPTH(SA, SELL, { 100, 16, 16, 2 });
	QUEUE(SA, SELL, a.oid, b.oid);
	CU_ASSERT_EQUAL(a2.oid, oid_before);

	/* Unchanged size: REPLACED only. */
	a = a2;
	r = REPLACE(S2, a.cl, 100, 6);
	EXPECT_N(r, 1);
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 6, 1);
	QUEUE(SA, SELL, a.oid, b.oid);

	/* Still first in the queue, still the same MD reference. */
	r = LIMIT(S1, BUY, 100, 7, GTC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a2, 100, 6, 1, 0, 1);
	EV_TRADE(r, 4, &tk, &b, 100, 1, 0, 9, 2);
	close_book();
}

static void test_replace_bigger_qty_loses_priority(void)
{
	struct res r;
	struct ord a, b, a2, tk;

	open_book();
	a = REST(S2, SELL, 100, 10);
	b = REST(S4, SELL, 100, 10);
	r = REPLACE(S2, a.cl, 100, 12);
	EXPECT_N(r, 2);
	a2 = a;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 12, 0);
	a2.ref = EV_MD_REPLACE(r, 1, a.ref, 100, 12);
	DEPTH(SA, SELL, { 100, 22, 22, 2 });
	QUEUE(SA, SELL, b.oid, a.oid);

	r = LIMIT(S1, BUY, 100, 11, GTC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &b, 100, 10, 1, 0, 1);
	EV_TRADE(r, 4, &tk, &a2, 100, 1, 0, 11, 2);
	close_book();
}

static void test_replace_new_price_loses_priority(void)
{
	struct res r;
	struct ord a, b, a2;

	open_book();
	a = REST(S2, SELL, 101, 10);
	b = REST(S4, SELL, 100, 10);
	/* A smaller quantity does not save priority at a new price. */
	r = REPLACE(S2, a.cl, 100, 5);
	EXPECT_N(r, 2);
	a2 = a;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 5, 0);
	a2.ref = EV_MD_REPLACE(r, 1, a.ref, 100, 5);
	DEPTH(SA, SELL, { 100, 15, 15, 2 });
	QUEUE(SA, SELL, b.oid, a.oid);

	/* Back to a price with no other order: still a new reference. */
	r = REPLACE(S2, a2.cl, 102, 5);
	EXPECT_N(r, 2);
	a = a2;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 102, 5, 0);
	a2.ref = EV_MD_REPLACE(r, 1, a.ref, 102, 5);
	DEPTH(SA, SELL, { 100, 10, 10, 1 }, { 102, 5, 5, 1 });
	close_book();
}

/* new_qty is the new OPEN quantity: after a partial fill it is compared
 * with what is open, not with the original size. */
static void test_replace_after_partial_fill(void)
{
	struct res r;
	struct ord a, b, a2, tk;
	struct gv_order_view v;

	open_book();
	a = REST(S2, SELL, 100, 10);
	b = REST(S4, SELL, 100, 10);
	r = LIMIT(S1, BUY, 100, 4, GTC);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 4, 0, 6, 1);

	/* 6 = the open quantity: unchanged, priority kept, no MD. */
	r = REPLACE(S2, a.cl, 100, 6);
	EXPECT_N(r, 1);
	a2 = a;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 6, 1);
	QUEUE(SA, SELL, a.oid, b.oid);

	/* 8 > 6 open (though < 10 original): the order grows, loses its
	 * place and gets a new reference. */
	a = a2;
	r = REPLACE(S2, a.cl, 100, 8);
	EXPECT_N(r, 2);
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 8, 0);
	a2.ref = EV_MD_REPLACE(r, 1, a.ref, 100, 8);
	QUEUE(SA, SELL, b.oid, a.oid);
	DEPTH(SA, SELL, { 100, 18, 18, 2 });
	CU_ASSERT_FATAL(view_of(SA, SELL, a.oid, &v));
	CU_ASSERT_EQUAL(v.open_qty, 8);
	CU_ASSERT_EQUAL(v.cl_ord_id, a2.cl);

	/* And shrinking again keeps the new place. */
	a = a2;
	r = REPLACE(S2, a.cl, 100, 5);
	EXPECT_N(r, 2);
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 5, 1);
	EV_MD_REDUCE(r, 1, a.ref, 3);
	QUEUE(SA, SELL, b.oid, a.oid);
	close_book();
}

/* Assumption: REPLACED carries the new open quantity before matching
 * (like ACCEPTED), and its price is the new price. */
static void test_replace_crossing_trades(void)
{
	struct res r;
	struct ord a, b, m, m2;

	open_book();
	a = REST(S2, SELL, 101, 5);
	b = REST(S4, SELL, 102, 5);
	m = REST(S1, BUY, 99, 8);
	r = REPLACE(S1, m.cl, 101, 8);
	EXPECT_N(r, 6);
	m2 = m;
	m2.cl = g_last_cl;
	EV_REPLACED(r, 0, &m2, m.cl, 101, 8, 0);
	EV_MD_DELETE(r, 1, m.ref);
	EV_TRADE(r, 2, &m2, &a, 101, 5, 3, 0, 1);
	m2.ref = EV_MD_ADD(r, 5, BUY, 101, 3);
	check(__LINE__, m2.ref != m.ref, "the remainder needs a new ref");
	DEPTH(SA, BUY, { 101, 3, 3, 1 });
	DEPTH(SA, SELL, { 102, 5, 5, 1 });
	QUEUE(SA, BUY, m.oid);

	/* The cl_ord_id changed: the old one is unknown now. */
	REJECTED_ONLY(CANCEL(S1, m.cl), S1, m.cl, GV_REJ_UNKNOWN_ORDER);
	r = CANCEL(S1, m2.cl);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &m2, 3, 0, GV_CXL_USER);
	EV_MD_DELETE(r, 1, m2.ref);

	/* Replaced to cross completely: nothing rests, no MD_ADD. */
	m = REST(S1, BUY, 99, 5);
	r = REPLACE(S1, m.cl, 102, 5);
	EXPECT_N(r, 5);
	m2 = m;
	m2.cl = g_last_cl;
	EV_REPLACED(r, 0, &m2, m.cl, 102, 5, 0);
	EV_MD_DELETE(r, 1, m.ref);
	EV_TRADE(r, 2, &m2, &b, 102, 5, 0, 0, 2);
	NO_DEPTH(SA, BUY);
	NO_DEPTH(SA, SELL);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);
	close_book();
}

/* A rejected replace leaves the order as it was, uses up the new
 * cl_ord_id, and answers with the new cl_ord_id. */
static void test_replace_rejects(void)
{
	struct snap s;
	struct ord a, f;
	uint64_t ncl;
	struct res r;

	open_book();
	a = REST(S1, BUY, 100, 10);
	take_snap(&s);
	r = REPLACE(S1, 999, 100, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNKNOWN_ORDER);
	r = REPLACE(S2, a.cl, 100, 5); /* another session's cl_ord_id */
	REJECTED_ONLY(r, S2, g_last_cl, GV_REJ_UNKNOWN_ORDER);
	r = REPLACE(S1, a.cl, 100, 0);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_QTY);
	r = REPLACE(S1, a.cl, 100, 1000001);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_QTY);
	r = REPLACE(S1, a.cl, 0, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_PRICE);
	r = REPLACE(S1, a.cl, -3, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_PRICE);
	r = REPLACE(S1, a.cl, 100001, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_PRICE);
	UNCHANGED(&s);

	/* The rejected new cl_ord_id is used up... */
	ncl = g_last_cl;
	r = REPLACE_CL(S1, a.cl, ncl, 100, 5);
	REJECTED_ONLY(r, S1, ncl, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	r = REPLACE_CL(S1, a.cl, ncl - 1, 100, 5);
	REJECTED_ONLY(r, S1, ncl - 1, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	UNCHANGED(&s);
	/* ...and the original still names the order. */
	r = REPLACE(S1, a.cl, 100, 5);
	EXPECT_N(r, 2);
	f = a;
	f.cl = g_last_cl;
	EV_REPLACED(r, 0, &f, a.cl, 100, 5, 1);
	EV_MD_REDUCE(r, 1, a.ref, 5);

	/* A filled order cannot be replaced. */
	r = LIMIT(S2, SELL, 100, 5, GTC);
	EXPECT_N(r, 4);
	r = REPLACE(S1, f.cl, 100, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNKNOWN_ORDER);
	close_book();
}

/* Protocol 1.5: "new_qty must be 1..max qty". Assumption: a replace may go
 * below the instrument's min qty (the rule names only 1..max). */
static void test_replace_qty_limits(void)
{
	struct res r;
	struct ord a, a2;

	open_book();
	g_sym = SD;
	a = REST(S1, BUY, 100, 10);
	r = REPLACE(S1, a.cl, 100, 1001);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_QTY);
	r = REPLACE(S1, a.cl, 5001, 10);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_PRICE);
	r = REPLACE(S1, a.cl, 100, 1000);
	EXPECT_N(r, 2);
	a2 = a;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 1000, 0);
	a2.ref = EV_MD_REPLACE(r, 1, a.ref, 100, 1000);
	a = a2;
	r = REPLACE(S1, a.cl, 100, 3);
	EXPECT_N(r, 2);
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 100, 3, 1);
	EV_MD_REDUCE(r, 1, a.ref, 997);
	DEPTH(SD, BUY, { 100, 3, 3, 1 });
	close_book();
}

/* ---- IOC, FOK --------------------------------------------------------- */

static void test_ioc_remainder_never_rests(void)
{
	struct res r;
	struct ord a, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	r = LIMIT(S1, BUY, 101, 8, IOC);
	EXPECT_N(r, 5);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, IOC, 101, 8);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 3, 0, 1);
	EV_CANCELLED(r, 4, &tk, 3, 0, GV_CXL_IOC_REMAINDER);
	NO_DEPTH(SA, BUY);
	NO_DEPTH(SA, SELL);

	/* Nothing to trade with: all of it is cancelled. */
	r = LIMIT(S1, SELL, 90, 8, IOC);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, g_last_cl, SELL, LIM, IOC, 90, 8);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 8, 0, GV_CXL_IOC_REMAINDER);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);
	close_book();
}

static void test_fok_fills_completely(void)
{
	struct res r;
	struct ord a, b, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	b = REST(S4, SELL, 101, 5);
	r = LIMIT(S1, BUY, 101, 10, FOK);
	EXPECT_N(r, 7);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, FOK, 101, 10);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 5, 0, 1);
	EV_TRADE(r, 4, &tk, &b, 101, 5, 0, 0, 2);
	NO_DEPTH(SA, SELL);
	close_book();
}

/* A FOK that cannot fill: CANCELLED FOK_UNFILLED right after ACCEPTED and
 * nothing else changed. The hash is compared with a twin book where the
 * FOK is replaced by an IOC that cannot trade at all (both use up one
 * cl_ord_id and one order sequence number; "nothing else changed" means
 * no other difference in the deterministic state). */
static void test_fok_unfilled_changes_nothing(void)
{
	struct res r;
	struct ord tk;
	struct snap s;
	uint64_t h0;
	int k;

	for (k = 0; k < 2; k++) {
		open_tb(&g_tb[k], 64, 64, EVBUF_MAX);
		REST(S2, SELL, 100, 5);
		REST(S4, SELL, 101, 5);
		REST(S4, SELL, 102, 5);
		REST(S2, BUY, 90, 5);
	}
	cur = &g_tb[0];
	take_snap(&s);
	h0 = gv_book_hash(cur->b);
	r = LIMIT(S1, BUY, 101, 11, FOK);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, FOK, 101, 11);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 11, 0, GV_CXL_FOK_UNFILLED);
	UNCHANGED(&s);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_FILLS), 0);
	CU_ASSERT_NOT_EQUAL(gv_book_hash(cur->b), h0);

	cur = &g_tb[1];
	r = LIMIT(S1, BUY, 95, 11, IOC);
	EXPECT_N(r, 2);
	CU_ASSERT_EQUAL(gv_book_hash(g_tb[0].b), gv_book_hash(g_tb[1].b));

	/* A sell FOK the same way, then a FOK market. */
	cur = &g_tb[0];
	take_snap(&s);
	r = LIMIT(S1, SELL, 90, 6, FOK);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 6, 0, GV_CXL_FOK_UNFILLED);
	r = MARKET(S1, BUY, 16, FOK);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, MKT, FOK, 0, 16);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 16, 0, GV_CXL_FOK_UNFILLED);
	UNCHANGED(&s);
	close_book();
}

/* A FOK that could fill only by trading with its own account's orders is
 * FOK_UNFILLED and changes nothing, whatever its STP mode: the own order
 * is not cancelled either. */
static void test_fok_unfilled_because_of_own_orders(void)
{
	struct res r;
	struct ord own, other, tk;
	struct snap s;
	uint8_t modes[] = { 0, GV_STP_CANCEL_NEWEST, GV_STP_CANCEL_OLDEST,
	                    GV_STP_CANCEL_BOTH, GV_STP_DECREMENT };
	size_t i;

	open_book();
	own = REST(S3, SELL, 100, 5);  /* account X, like S1 */
	other = REST(S2, SELL, 100, 5);
	take_snap(&s);
	for (i = 0; i < GV_ARRAY_SIZE(modes); i++) {
		r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = FOK,
		           .price = 100, .qty = 10, .stp = modes[i]);
		EXPECT_N(r, 2);
		EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, FOK, 100, 10);
		tk = ord_of(r);
		EV_CANCELLED(r, 1, &tk, 10, 0, GV_CXL_FOK_UNFILLED);
		UNCHANGED(&s);
	}
	/* Cancel-newest stops at the own order, first in the queue: even 5
	 * cannot be filled. */
	r = LIMIT(S1, BUY, 100, 5, FOK);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 5, 0, GV_CXL_FOK_UNFILLED);
	UNCHANGED(&s);

	/* Cancel-oldest removes the own order and goes on: 5 can fill. */
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = FOK,
	           .price = 100, .qty = 5, .stp = GV_STP_CANCEL_OLDEST);
	EXPECT_N(r, 6);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &own, 5, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 2, own.ref);
	EV_TRADE(r, 3, &tk, &other, 100, 5, 0, 0, 1);
	NO_DEPTH(SA, SELL);
	close_book();
}

/* Own order behind enough other liquidity: the FOK fills before reaching
 * it; one lot more and it would reach it (cancel-newest): FOK_UNFILLED. */
static void test_fok_own_order_behind(void)
{
	struct res r;
	struct ord own, other, tk;
	struct snap s;

	open_book();
	other = REST(S2, SELL, 100, 5);
	own = REST(S3, SELL, 100, 5);
	take_snap(&s);
	r = LIMIT(S1, BUY, 100, 6, FOK);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 6, 0, GV_CXL_FOK_UNFILLED);
	UNCHANGED(&s);
	r = LIMIT(S1, BUY, 100, 5, FOK);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &other, 100, 5, 0, 0, 1);
	QUEUE(SA, SELL, own.oid);
	close_book();
}

/* A FOK counts an iceberg's hidden quantity, and the slices that come
 * back behind other orders at the same level. */
static void test_fok_with_iceberg(void)
{
	struct res r;
	struct ord ice, o, tk;
	struct snap s;

	open_book();
	ice = REST_ICE(S2, SELL, 100, 10, 3);
	o = REST(S4, SELL, 100, 2);
	take_snap(&s);
	r = LIMIT(S1, BUY, 100, 13, FOK);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 13, 0, GV_CXL_FOK_UNFILLED);
	UNCHANGED(&s);

	r = LIMIT(S1, BUY, 100, 12, FOK);
	EXPECT_N(r, 1 + 3 + 1 + 3 + 3 + 1 + 3 + 1 + 3);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &ice, 100, 3, 9, 7, 1);
	ice.ref = EV_MD_ADD(r, 4, SELL, 100, 3);
	EV_TRADE(r, 5, &tk, &o, 100, 2, 7, 0, 2);
	EV_TRADE(r, 8, &tk, &ice, 100, 3, 4, 4, 3);
	ice.ref = EV_MD_ADD(r, 11, SELL, 100, 3);
	EV_TRADE(r, 12, &tk, &ice, 100, 3, 1, 1, 4);
	ice.ref = EV_MD_ADD(r, 15, SELL, 100, 1);
	EV_TRADE(r, 16, &tk, &ice, 100, 1, 0, 0, 5);
	NO_DEPTH(SA, SELL);
	close_book();
}

/* ---- market orders ---------------------------------------------------- */

static void test_market_orders(void)
{
	struct res r;
	struct ord a, b, bid, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	b = REST(S4, SELL, 101, 5);
	r = MARKET(S1, BUY, 8, IOC);
	EXPECT_N(r, 7);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, MKT, IOC, 0, 8);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 3, 0, 1);
	EV_TRADE(r, 4, &tk, &b, 101, 3, 0, 2, 2);

	/* The remainder never rests: NO_LIQUIDITY. */
	r = MARKET(S1, BUY, 5, IOC);
	EXPECT_N(r, 5);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &b, 101, 2, 3, 0, 3);
	EV_CANCELLED(r, 4, &tk, 3, 0, GV_CXL_NO_LIQUIDITY);
	NO_DEPTH(SA, SELL);
	NO_DEPTH(SA, BUY);

	r = MARKET(S1, BUY, 5, IOC);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 5, 0, GV_CXL_NO_LIQUIDITY);
	r = MARKET(S1, SELL, 5, FOK);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, g_last_cl, SELL, MKT, FOK, 0, 5);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 5, 0, GV_CXL_FOK_UNFILLED);

	/* IOC/FOK only. */
	r = MARKET(S1, BUY, 5, GTC);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = MARKET(S1, BUY, 5, DAY);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);

	/* A market FOK that can fill. */
	bid = REST(S2, BUY, 90, 5);
	r = MARKET(S1, SELL, 5, FOK);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &bid, 90, 5, 0, 0, 4);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);

	/* Assumption: the price field of a market order is ignored
	 * (protocol 1.3), so a non-zero one is no fault; ACCEPTED says 0. */
	r = SUBMIT(.sess = S1, .side = BUY, .type = MKT, .tif = IOC,
	           .price = 77, .qty = 1);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, MKT, IOC, 0, 1);
	close_book();
}

/* A market buy never trades above the band around the reference at its
 * arrival, even once its own trades have moved the last price. */
static void test_market_bounded_by_band_buy(void)
{
	struct res r;
	struct ord x, tk;

	open_book();
	g_sym = SC; /* band 10 %, reference 1000 */
	x = REST(S2, SELL, 1100, 10);
	r = LIMIT(S4, BUY, 1100, 2, IOC);
	EXPECT_N(r, 4);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SC), 1100);
	REST(S2, SELL, 1200, 10);    /* inside 990..1210 now */
	REST(S4, BUY, 1000, 2);
	r = LIMIT(S2, SELL, 1000, 2, IOC);
	EXPECT_N(r, 4);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SC), 1000); /* 900..1100 */

	r = MARKET(S1, BUY, 20, IOC);
	EXPECT_N(r, 5);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, MKT, IOC, 0, 20);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &x, 1100, 8, 12, 0, 3); /* edge: inclusive */
	EV_CANCELLED(r, 4, &tk, 12, 0, GV_CXL_NO_LIQUIDITY);
	DEPTH(SC, SELL, { 1200, 10, 10, 1 });
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SC), 1100);
	close_book();
}

static void test_market_bounded_by_band_sell(void)
{
	struct res r;
	struct ord p, q, tk;

	open_book();
	g_sym = SC;
	p = REST(S4, BUY, 900, 10);  /* the lower edge, reference 1000 */
	REST(S2, SELL, 1100, 2);
	r = LIMIT(S4, BUY, 1100, 2, IOC);
	EXPECT_N(r, 4);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SC), 1100); /* 990..1210 */
	q = REST(S4, BUY, 1000, 5);

	r = MARKET(S1, SELL, 20, IOC);
	EXPECT_N(r, 5);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &q, 1000, 5, 15, 0, 2);
	EV_CANCELLED(r, 4, &tk, 15, 0, GV_CXL_NO_LIQUIDITY);
	DEPTH(SC, BUY, { 900, 10, 10, 1 });

	/* Reference 1000 now: 900 is the edge, inclusive. */
	r = MARKET(S1, SELL, 11, FOK);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 11, 0, GV_CXL_FOK_UNFILLED);
	r = MARKET(S1, SELL, 3, IOC);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &p, 900, 3, 0, 7, 3);
	DEPTH(SC, BUY, { 900, 7, 7, 1 });
	close_book();
}

/* ---- price band, qty and notional limits ------------------------------ */

static void test_price_band_edges(void)
{
	struct res r;
	struct ord a, s, a2;

	open_book();
	g_sym = SC; /* reference 1000, 10 %: 900..1100 inclusive */
	REJECTED_ONLY(LIMIT(S1, BUY, 899, 5, GTC), S1, g_last_cl,
	              GV_REJ_PRICE_BAND);
	REJECTED_ONLY(LIMIT(S1, BUY, 1101, 5, GTC), S1, g_last_cl,
	              GV_REJ_PRICE_BAND);
	REJECTED_ONLY(LIMIT(S1, SELL, 1101, 5, GTC), S1, g_last_cl,
	              GV_REJ_PRICE_BAND);
	REJECTED_ONLY(LIMIT(S1, SELL, 899, 5, IOC), S1, g_last_cl,
	              GV_REJ_PRICE_BAND);
	a = REST(S1, BUY, 900, 5);
	s = REST(S1, SELL, 1100, 10);
	NO_DEPTH(SA, BUY);

	/* The reference becomes the last trade: 1100, band 990..1210. */
	r = LIMIT(S4, BUY, 1100, 5, IOC);
	EXPECT_N(r, 4);
	REJECTED_ONLY(LIMIT(S4, BUY, 989, 5, GTC), S4, g_last_cl,
	              GV_REJ_PRICE_BAND);
	REJECTED_ONLY(LIMIT(S4, BUY, 900, 5, GTC), S4, g_last_cl,
	              GV_REJ_PRICE_BAND);
	REJECTED_ONLY(LIMIT(S4, SELL, 1211, 5, GTC), S4, g_last_cl,
	              GV_REJ_PRICE_BAND);
	REST(S4, BUY, 990, 5);
	REST(S4, SELL, 1210, 5);

	/* Replace: the band is checked only if the price changes. The bid at
	 * 900 is outside the band now but may still shrink... */
	r = REPLACE(S1, a.cl, 900, 4);
	EXPECT_N(r, 2);
	a2 = a;
	a2.cl = g_last_cl;
	EV_REPLACED(r, 0, &a2, a.cl, 900, 4, 1);
	EV_MD_REDUCE(r, 1, a.ref, 1);
	/* ...or grow in place, but not move to 901 (outside 990..1210). */
	r = REPLACE(S1, a2.cl, 900, 6);
	EXPECT_N(r, 2);
	a2.cl = g_last_cl;
	r = REPLACE(S1, a2.cl, 901, 6);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_PRICE_BAND);
	r = REPLACE(S1, s.cl, 1211, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_PRICE_BAND);
	close_book();
}

/* Assumption: max_notional is inclusive (price x qty equal to it is ok). */
static void test_qty_price_notional_limits(void)
{
	struct res r;
	struct ord tk;

	open_book();
	g_sym = SD; /* min 5, max 1000 lots, max price 5000 */
	REJECTED_ONLY(LIMIT(S1, BUY, 100, 4, GTC), S1, g_last_cl,
	              GV_REJ_BAD_QTY);
	REJECTED_ONLY(LIMIT(S1, BUY, 100, 1001, GTC), S1, g_last_cl,
	              GV_REJ_BAD_QTY);
	REJECTED_ONLY(LIMIT(S1, BUY, 100, 0, GTC), S1, g_last_cl,
	              GV_REJ_BAD_QTY);
	REJECTED_ONLY(LIMIT(S1, SELL, 5001, 5, GTC), S1, g_last_cl,
	              GV_REJ_BAD_PRICE);
	REJECTED_ONLY(LIMIT(S1, SELL, 0, 5, GTC), S1, g_last_cl,
	              GV_REJ_BAD_PRICE);
	REJECTED_ONLY(LIMIT(S1, SELL, -5, 5, GTC), S1, g_last_cl,
	              GV_REJ_BAD_PRICE);
	REST(S1, BUY, 100, 5);
	REST(S1, BUY, 99, 1000);
	REST(S1, SELL, 5000, 5);
	NO_DEPTH(SA, BUY);

	g_sym = SC; /* max notional 200000 at reference 1000 */
	REJECTED_ONLY(LIMIT(S1, BUY, 1000, 201, GTC), S1, g_last_cl,
	              GV_REJ_MAX_NOTIONAL);
	REST(S1, BUY, 1000, 200);
	/* Market orders are checked at the reference price. */
	REJECTED_ONLY(MARKET(S2, SELL, 201, IOC), S2, g_last_cl,
	              GV_REJ_MAX_NOTIONAL);
	r = MARKET(S2, SELL, 200, IOC);
	EXPECT_N(r, 4);
	/* ...and the reference is the last trade once there is one. */
	REST(S2, SELL, 1100, 10);
	r = LIMIT(S4, BUY, 1100, 1, IOC);
	EXPECT_N(r, 4);
	REJECTED_ONLY(MARKET(S4, BUY, 182, IOC), S4, g_last_cl,
	              GV_REJ_MAX_NOTIONAL);       /* 200200 */
	r = MARKET(S4, BUY, 181, IOC);           /* 199100 */
	EXPECT_N(r, 5);
	tk = ord_of(r);
	EV_CANCELLED(r, 4, &tk, 172, 0, GV_CXL_NO_LIQUIDITY);
	/* Stops too: a stop at the reference 1100. */
	r = STOP(S4, BUY, STOPM, IOC, 0, 1200, 182);
	REJECTED_ONLY(r, S4, g_last_cl, GV_REJ_MAX_NOTIONAL);
	close_book();
}

/* ---- time in force, end of day ---------------------------------------- */

static void test_end_of_day_expires_day_orders(void)
{
	struct res r;
	struct ord a, b, c, d, e, f;

	open_book();
	a = REST_DAY(S2, BUY, 100, 5);
	b = REST_DAY(S1, BUY, 99, 5);
	c = REST(S1, BUY, 98, 5);
	d = PENDING(S1, BUY, STOPL, DAY, 110, 110, 3);
	e = PENDING(S1, BUY, STOPL, GTC, 111, 111, 3);
	f = REST_DAY(S2, SELL, 105, 5);
	r = LIMIT(S4, BUY, 105, 2, IOC); /* f: 3 open; last 105 */
	EXPECT_N(r, 4);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 6);

	/* Sessions in the order they were added (S1 before S2), each
	 * session's orders in acceptance order. */
	r = END_OF_DAY();
	EXPECT_N(r, 7);
	EV_CANCELLED(r, 0, &b, 5, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 1, b.ref);
	EV_CANCELLED(r, 2, &d, 3, 0, GV_CXL_DAY_EXPIRY); /* pending: no MD */
	EV_CANCELLED(r, 3, &a, 5, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 4, a.ref);
	EV_CANCELLED(r, 5, &f, 3, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 6, f.ref);
	DEPTH(SA, BUY, { 98, 5, 5, 1 });
	NO_DEPTH(SA, SELL);
	QUEUE(SA, BUY, c.oid);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 2);
	REJECTED_ONLY(CANCEL(S1, d.cl), S1, d.cl, GV_REJ_UNKNOWN_ORDER);

	/* GTC survives; a second end of day has nothing to do. */
	r = END_OF_DAY();
	EXPECT_N(r, 0);
	r = CANCEL(S1, e.cl);
	EXPECT_N(r, 1);
	EV_CANCELLED(r, 0, &e, 3, 0, GV_CXL_USER);
	close_book();
}

/* ---- post-only -------------------------------------------------------- */

static void test_post_only(void)
{
	struct res r;
	struct ord p, q, tk;
	struct snap s;

	open_book();
	REST(S2, SELL, 100, 5);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .flags = POST, .price = 99, .qty = 5);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 99, 5);
	p = ord_of(r);
	p.ref = EV_MD_ADD(r, 1, BUY, 99, 5);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = DAY,
	           .flags = POST, .price = 98, .qty = 5);
	EXPECT_N(r, 2);
	q = ord_of(r);
	q.ref = EV_MD_ADD(r, 1, BUY, 98, 5);

	take_snap(&s);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .flags = POST, .price = 100, .qty = 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_POST_ONLY_WOULD_TAKE);
	r = SUBMIT(.sess = S4, .side = SELL, .type = LIM, .tif = DAY,
	           .flags = POST, .price = 99, .qty = 1);
	REJECTED_ONLY(r, S4, g_last_cl, GV_REJ_POST_ONLY_WOULD_TAKE);
	UNCHANGED(&s);

	/* Post-only with anything that cannot rest as a plain limit. */
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = IOC,
	           .flags = POST, .price = 90, .qty = 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = FOK,
	           .flags = POST, .price = 90, .qty = 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = MKT, .tif = IOC,
	           .flags = POST, .qty = 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = STOPM, .tif = IOC,
	           .flags = POST, .stop = 120, .qty = 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = STOPL, .tif = GTC,
	           .flags = POST, .price = 120, .stop = 120, .qty = 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	UNCHANGED(&s);

	/* The resting post-only orders trade as makers like any other. */
	r = LIMIT(S4, SELL, 98, 7, GTC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &p, 99, 5, 2, 0, 1);
	EV_TRADE(r, 4, &tk, &q, 98, 2, 0, 3, 2);
	DEPTH(SA, SELL, { 100, 5, 5, 1 });
	close_book();
}

/* A post-only replaced to a crossing price is rejected and stays as it was
 * (its cl_ord_id too); the rejected new cl_ord_id is used up. */
static void test_post_only_replace(void)
{
	struct res r;
	struct ord p, p2;
	struct snap s;
	uint64_t ncl;

	open_book();
	REST(S2, SELL, 100, 5);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .flags = POST, .price = 98, .qty = 5);
	EXPECT_N(r, 2);
	p = ord_of(r);
	p.ref = r.ev[1].u.md.ref;
	take_snap(&s);

	r = REPLACE(S1, p.cl, 100, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_POST_ONLY_WOULD_TAKE);
	ncl = g_last_cl;
	r = REPLACE(S1, p.cl, 101, 3);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_POST_ONLY_WOULD_TAKE);
	UNCHANGED(&s);
	r = REPLACE_CL(S1, p.cl, ncl, 99, 5);
	REJECTED_ONLY(r, S1, ncl, GV_REJ_CL_ORD_ID_NOT_INCREASING);

	/* Not crossing: fine, and still post-only afterwards. */
	r = REPLACE(S1, p.cl, 99, 5);
	EXPECT_N(r, 2);
	p2 = p;
	p2.cl = g_last_cl;
	EV_REPLACED(r, 0, &p2, p.cl, 99, 5, 0);
	p2.ref = EV_MD_REPLACE(r, 1, p.ref, 99, 5);
	r = REPLACE(S1, p2.cl, 100, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_POST_ONLY_WOULD_TAKE);
	DEPTH(SA, BUY, { 99, 5, 5, 1 });
	DEPTH(SA, SELL, { 100, 5, 5, 1 });
	close_book();
}

/* ---- iceberg ---------------------------------------------------------- */

/* Only the display is visible; when the slice is used up a new one (new
 * ref) goes to the back of the level, behind orders that came later. */
static void test_iceberg_refresh_goes_to_back(void)
{
	struct res r;
	struct ord ice, o, tk;
	struct gv_order_view v;

	open_book();
	ice = REST_ICE(S2, SELL, 100, 10, 3);
	DEPTH(SA, SELL, { 100, 3, 10, 1 });
	CU_ASSERT_FATAL(view_of(SA, SELL, ice.oid, &v));
	CU_ASSERT_EQUAL(v.open_qty, 10);
	CU_ASSERT_EQUAL(v.visible_qty, 3);
	o = REST(S4, SELL, 100, 2);
	DEPTH(SA, SELL, { 100, 5, 12, 2 });

	r = LIMIT(S1, BUY, 100, 4, GTC);
	EXPECT_N(r, 8);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &ice, 100, 3, 1, 7, 1);
	ice.ref = EV_MD_ADD(r, 4, SELL, 100, 3);
	EV_TRADE(r, 5, &tk, &o, 100, 1, 0, 1, 2);
	QUEUE(SA, SELL, o.oid, ice.oid);
	DEPTH(SA, SELL, { 100, 4, 8, 2 });
	CU_ASSERT_FATAL(view_of(SA, SELL, ice.oid, &v));
	CU_ASSERT_EQUAL(v.open_qty, 7);
	CU_ASSERT_EQUAL(v.visible_qty, 3);

	/* The new slice trades under its new reference. */
	r = LIMIT(S1, BUY, 100, 2, GTC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &o, 100, 1, 1, 0, 3);
	EV_TRADE(r, 4, &tk, &ice, 100, 1, 0, 6, 4);
	DEPTH(SA, SELL, { 100, 2, 6, 1 });

	/* Cancel: the whole open quantity, the current reference. */
	r = CANCEL(S2, ice.cl);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &ice, 6, 0, GV_CXL_USER);
	EV_MD_DELETE(r, 1, ice.ref);
	close_book();
}

/* Alone at its level, the same aggressor trades with every new slice in
 * turn; the last slice is what is left of the hidden quantity. */
static void test_iceberg_same_aggressor_takes_new_slices(void)
{
	struct res r;
	struct ord ice, ice2, tk;

	open_book();
	ice = REST_ICE(S2, SELL, 100, 10, 4);
	r = LIMIT(S1, BUY, 100, 9, GTC);
	EXPECT_N(r, 12);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &ice, 100, 4, 5, 6, 1);
	ice.ref = EV_MD_ADD(r, 4, SELL, 100, 4);
	EV_TRADE(r, 5, &tk, &ice, 100, 4, 1, 2, 2);
	ice.ref = EV_MD_ADD(r, 8, SELL, 100, 2);
	EV_TRADE(r, 9, &tk, &ice, 100, 1, 0, 1, 3);
	DEPTH(SA, SELL, { 100, 1, 1, 1 });

	/* Fully used up with an aggressor to spare: no new slice after the
	 * last one; the rest of the aggressor rests. */
	ice2 = REST_ICE(S2, SELL, 101, 7, 3);
	r = LIMIT(S4, BUY, 101, 11, GTC);
	EXPECT_N(r, 16);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &ice, 100, 1, 10, 0, 4);
	EV_TRADE(r, 4, &tk, &ice2, 101, 3, 7, 4, 5);
	ice2.ref = EV_MD_ADD(r, 7, SELL, 101, 3);
	EV_TRADE(r, 8, &tk, &ice2, 101, 3, 4, 1, 6);
	ice2.ref = EV_MD_ADD(r, 11, SELL, 101, 1);
	EV_TRADE(r, 12, &tk, &ice2, 101, 1, 3, 0, 7);
	EV_MD_ADD(r, 15, BUY, 101, 3);
	NO_DEPTH(SA, SELL);
	DEPTH(SA, BUY, { 101, 3, 3, 1 });
	close_book();
}

/* An iceberg taking liquidity trades its whole quantity (an aggressor is
 * never displayed); only its resting remainder is sliced. Assumption:
 * display_qty limits what is shown, not what the aggressor may take. */
static void test_iceberg_as_aggressor(void)
{
	struct res r;
	struct ord a, tk;
	struct gv_order_view v;

	open_book();
	a = REST(S2, SELL, 100, 10);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .price = 100, .qty = 15, .disp = 2);
	EXPECT_N(r, 5);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 100, 15);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 10, 5, 0, 1);
	tk.ref = EV_MD_ADD(r, 4, BUY, 100, 2);
	DEPTH(SA, BUY, { 100, 2, 5, 1 });
	CU_ASSERT_FATAL(view_of(SA, BUY, tk.oid, &v));
	CU_ASSERT_EQUAL(v.open_qty, 5);
	CU_ASSERT_EQUAL(v.visible_qty, 2);
	close_book();
}

static void test_iceberg_rules(void)
{
	struct res r;
	struct snap s;

	open_book();
	take_snap(&s);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = IOC,
	           .price = 100, .qty = 10, .disp = 3);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = FOK,
	           .price = 100, .qty = 10, .disp = 3);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = MKT, .tif = IOC,
	           .qty = 10, .disp = 3);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = STOPL, .tif = GTC,
	           .price = 100, .stop = 100, .qty = 10, .disp = 3);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = STOPM, .tif = IOC,
	           .stop = 100, .qty = 10, .disp = 3);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .price = 100, .qty = 10, .disp = 11);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_QTY);
	/* UNSUPPORTED is checked before BAD_QTY. */
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = IOC,
	           .price = 100, .qty = 10, .disp = 11);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	UNCHANGED(&s);

	/* display == qty: all visible; DAY icebergs are fine. */
	REST_ICE(S1, BUY, 100, 10, 10);
	DEPTH(SA, BUY, { 100, 10, 10, 1 });
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = DAY,
	           .price = 99, .qty = 10, .disp = 1);
	EXPECT_N(r, 2);
	EV_MD_ADD(r, 1, BUY, 99, 1);
	DEPTH(SA, BUY, { 100, 10, 10, 1 }, { 99, 1, 10, 1 });
	close_book();
}

/* Assumption: a replace that shrinks an iceberg takes from the hidden
 * quantity first (as the STP decrement does), so the display only shrinks
 * once nothing is hidden. */
static void test_iceberg_replace_shrinks_hidden_first(void)
{
	struct res r;
	struct ord ice, i2;

	open_book();
	ice = REST_ICE(S2, SELL, 100, 10, 3);
	r = REPLACE(S2, ice.cl, 100, 5);
	EXPECT_N(r, 1);
	i2 = ice;
	i2.cl = g_last_cl;
	EV_REPLACED(r, 0, &i2, ice.cl, 100, 5, 1);
	DEPTH(SA, SELL, { 100, 3, 5, 1 });
	ice = i2;
	r = REPLACE(S2, ice.cl, 100, 2);
	EXPECT_N(r, 2);
	i2.cl = g_last_cl;
	EV_REPLACED(r, 0, &i2, ice.cl, 100, 2, 1);
	EV_MD_REDUCE(r, 1, ice.ref, 1);
	DEPTH(SA, SELL, { 100, 2, 2, 1 });

	/* Losing priority: MD_REPLACE shows the displayed slice only. */
	ice = REST_ICE(S4, SELL, 101, 10, 3);
	r = REPLACE(S4, ice.cl, 101, 12); /* grows: new ref */
	EXPECT_N(r, 2);
	i2 = ice;
	i2.cl = g_last_cl;
	EV_REPLACED(r, 0, &i2, ice.cl, 101, 12, 0);
	i2.ref = EV_MD_REPLACE(r, 1, ice.ref, 101, 3);
	ice = i2;
	r = REPLACE(S4, ice.cl, 102, 12);
	EXPECT_N(r, 2);
	i2.cl = g_last_cl;
	EV_REPLACED(r, 0, &i2, ice.cl, 102, 12, 0);
	EV_MD_REPLACE(r, 1, ice.ref, 102, 3);
	DEPTH(SA, SELL, { 100, 2, 2, 1 }, { 102, 3, 12, 1 });
	close_book();
}

/* ---- stops ------------------------------------------------------------ */

static void test_stop_pending_then_triggers_buy(void)
{
	struct res r;
	struct ord st, b, tk;
	struct olist l;

	open_book();
	st = PENDING(S1, BUY, STOPM, IOC, 0, 105, 5);
	NO_DEPTH(SA, BUY);
	NO_DEPTH(SA, SELL);
	CU_ASSERT_EQUAL(orders_of(SA, BUY, &l), 0);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);

	REST(S2, SELL, 104, 1);
	b = REST(S2, SELL, 105, 10);
	/* 104 < 105: nothing. */
	r = LIMIT(S4, BUY, 104, 1, GTC);
	EXPECT_N(r, 4);
	/* A trade on another instrument does not count. */
	g_sym = SB;
	REST(S2, SELL, 200, 1);
	r = LIMIT(S4, BUY, 200, 1, GTC);
	EXPECT_N(r, 4);
	g_sym = SA;

	/* last = 105 >= 105: triggers after the order that traded is done,
	 * and runs as a market order (no second ACCEPTED). */
	r = LIMIT(S4, BUY, 105, 1, GTC);
	EXPECT_N(r, 8);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &b, 105, 1, 0, 9, 3);
	EV_TRIGGERED(r, 4, &st);
	EV_TRADE(r, 5, &st, &b, 105, 5, 0, 4, 4);
	DEPTH(SA, SELL, { 105, 4, 4, 1 });
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1); /* b */
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_STOPS_TRIGGERED), 1);
	close_book();
}

static void test_stop_triggers_sell(void)
{
	struct res r;
	struct ord st, b, tk;

	open_book();
	REST(S2, SELL, 100, 1);
	r = LIMIT(S4, BUY, 100, 1, GTC); /* last 100 */
	EXPECT_N(r, 4);
	st = PENDING(S1, SELL, STOPM, FOK, 0, 95, 3);
	REST(S2, BUY, 96, 1);
	b = REST(S2, BUY, 95, 10);
	r = LIMIT(S4, SELL, 96, 1, IOC); /* 96 > 95: nothing */
	EXPECT_N(r, 4);
	r = LIMIT(S4, SELL, 95, 1, IOC);
	EXPECT_N(r, 8);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &b, 95, 1, 0, 9, 3);
	EV_TRIGGERED(r, 4, &st);
	EV_TRADE(r, 5, &st, &b, 95, 3, 0, 6, 4);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);
	close_book();
}

/* A condition that already holds on arrival: ACCEPTED, STOP_TRIGGERED and
 * the execution, all answering the NEW. */
static void test_stop_already_true_on_arrival(void)
{
	struct res r;
	struct ord a, st;

	open_book();
	REST(S2, SELL, 100, 1);
	r = LIMIT(S4, BUY, 100, 1, GTC);
	EXPECT_N(r, 4); /* last 100 */
	a = REST(S2, SELL, 101, 10);

	r = STOP(S1, BUY, STOPM, IOC, 0, 100, 4);
	EXPECT_N(r, 5);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, STOPM, IOC, 0, 4);
	st = ord_of(r);
	EV_TRIGGERED(r, 1, &st);
	EV_TRADE(r, 2, &st, &a, 101, 4, 0, 6, 2);

	/* Sell stop, last 101 <= 102; no bid: NO_LIQUIDITY like a market. */
	r = STOP(S1, SELL, STOPM, IOC, 0, 102, 2);
	EXPECT_N(r, 3);
	EV_ACCEPTED(r, 0, S1, g_last_cl, SELL, STOPM, IOC, 0, 2);
	st = ord_of(r);
	EV_TRIGGERED(r, 1, &st);
	EV_CANCELLED(r, 2, &st, 2, 0, GV_CXL_NO_LIQUIDITY);

	/* A stop-limit becomes a limit with its price and tif: it rests. */
	r = STOP(S1, BUY, STOPL, GTC, 99, 100, 3);
	EXPECT_N(r, 3);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, STOPL, GTC, 99, 3);
	st = ord_of(r);
	EV_TRIGGERED(r, 1, &st);
	st.ref = EV_MD_ADD(r, 2, BUY, 99, 3);
	DEPTH(SA, BUY, { 99, 3, 3, 1 });
	QUEUE(SA, BUY, st.oid);

	/* A triggered stop-limit IOC that cannot trade: IOC_REMAINDER. */
	r = STOP(S1, BUY, STOPL, IOC, 100, 101, 3);
	EXPECT_N(r, 3);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, STOPL, IOC, 100, 3);
	st = ord_of(r);
	EV_TRIGGERED(r, 1, &st);
	EV_CANCELLED(r, 2, &st, 3, 0, GV_CXL_IOC_REMAINDER);
	DEPTH(SA, SELL, { 101, 6, 6, 1 });
	QUEUE(SA, SELL, a.oid);
	close_book();
}

/* Stops whose condition holds run earliest accepted first, not best
 * stop price first. */
static void test_stops_run_in_acceptance_order(void)
{
	struct res r;
	struct ord s1, s2, a, b, tk;

	open_book();
	a = REST(S2, SELL, 105, 1);
	b = REST(S2, SELL, 106, 20);
	s1 = PENDING(S1, BUY, STOPM, IOC, 0, 105, 2);
	s2 = PENDING(S4, BUY, STOPM, IOC, 0, 103, 3);
	r = LIMIT(S3, BUY, 105, 1, GTC);
	EXPECT_N(r, 12);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 105, 1, 0, 0, 1);
	EV_TRIGGERED(r, 4, &s1);
	EV_TRADE(r, 5, &s1, &b, 106, 2, 0, 18, 2);
	EV_TRIGGERED(r, 8, &s2);
	EV_TRADE(r, 9, &s2, &b, 106, 3, 0, 15, 3);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);
	close_book();
}

/* A triggered stop's trade triggers another: the check is made again
 * after each stop, so the cascade runs to the end in one command. */
static void test_stop_cascade(void)
{
	struct res r;
	struct ord hi, lo, a, b, tk;

	open_book();
	a = REST(S2, SELL, 105, 1);
	b = REST(S2, SELL, 107, 10);
	hi = PENDING(S4, BUY, STOPM, IOC, 0, 107, 1); /* accepted first */
	lo = PENDING(S1, BUY, STOPM, IOC, 0, 105, 2);
	r = LIMIT(S3, BUY, 105, 1, GTC);
	EXPECT_N(r, 12);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 105, 1, 0, 0, 1);
	EV_TRIGGERED(r, 4, &lo);    /* hi's 107 does not hold at 105 */
	EV_TRADE(r, 5, &lo, &b, 107, 2, 0, 8, 2);
	EV_TRIGGERED(r, 8, &hi);    /* now it does */
	EV_TRADE(r, 9, &hi, &b, 107, 1, 0, 7, 3);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1); /* b */
	close_book();
}

/* Stops are checked when the order is done, on the last trade price then:
 * a sweep that passes through 100 and ends at 105 does not trigger a sell
 * stop at 101. */
static void test_stops_checked_when_order_done(void)
{
	struct res r;
	struct ord st;

	open_book();
	REST(S2, SELL, 110, 1);
	EXPECT_N(LIMIT(S4, BUY, 110, 1, GTC), 4);  /* last 110 */
	st = PENDING(S1, SELL, STOPM, IOC, 0, 101, 1);
	REST(S2, SELL, 100, 1);
	REST(S2, SELL, 105, 1);
	r = LIMIT(S4, BUY, 105, 2, GTC);
	EXPECT_N(r, 7);
	CU_ASSERT_EQUAL(gv_book_last_price(cur->b, SA), 105);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);
	r = CANCEL(S1, st.cl);
	EXPECT_N(r, 1);
	close_book();
}

/* A triggered stop meets its own account's order: STP as for any
 * incoming order (instrument default: cancel newest). */
static void test_triggered_stop_stp(void)
{
	struct res r;
	struct ord a, own, st, tk;

	open_book();
	a = REST(S2, SELL, 100, 1);
	own = REST(S3, SELL, 101, 5);
	st = PENDING(S1, BUY, STOPM, IOC, 0, 100, 4);
	r = LIMIT(S4, BUY, 100, 1, GTC);
	EXPECT_N(r, 6);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 1, 0, 0, 1);
	EV_TRIGGERED(r, 4, &st);
	EV_CANCELLED(r, 5, &st, 4, 0, GV_CXL_STP);
	QUEUE(SA, SELL, own.oid);
	close_book();
}

/* Assumption: before the instrument's first trade there is no last price,
 * so no stop can trigger (a sell stop does not read "last 0 <= stop"). */
static void test_sell_stop_waits_for_first_trade(void)
{
	struct res r;
	struct ord st, bid, tk;

	open_book();
	st = PENDING(S1, SELL, STOPM, IOC, 0, 95, 2);
	bid = REST(S2, BUY, 94, 10);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 2);
	r = LIMIT(S4, SELL, 94, 1, IOC);
	EXPECT_N(r, 8);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &bid, 94, 1, 0, 9, 1);
	EV_TRIGGERED(r, 4, &st);
	EV_TRADE(r, 5, &st, &bid, 94, 2, 0, 7, 2);
	close_book();
}

/* A stop-limit that triggers because of a replace's trade. */
static void test_stop_triggered_by_replace(void)
{
	struct res r;
	struct ord a, m, m2, st;

	open_book();
	a = REST(S2, SELL, 101, 5);
	st = PENDING(S4, BUY, STOPL, GTC, 100, 101, 2);
	m = REST(S1, BUY, 99, 5);
	r = REPLACE(S1, m.cl, 101, 5);
	EXPECT_N(r, 7);
	m2 = m;
	m2.cl = g_last_cl;
	EV_REPLACED(r, 0, &m2, m.cl, 101, 5, 0);
	EV_MD_DELETE(r, 1, m.ref);
	EV_TRADE(r, 2, &m2, &a, 101, 5, 0, 0, 1);
	EV_TRIGGERED(r, 5, &st);
	EV_MD_ADD(r, 6, BUY, 100, 2);
	DEPTH(SA, BUY, { 100, 2, 2, 1 });
	close_book();
}

/* A triggered stop is a market order bounded by the band around the
 * reference at its trigger (here 1150: 1035..1265), not at its arrival. */
static void test_triggered_stop_bounded_by_band(void)
{
	struct res r;
	struct ord a, st, tk;

	open_book();
	g_sym = SC; /* band 10 % */
	REST(S2, SELL, 1100, 1);
	EXPECT_N(LIMIT(S4, BUY, 1100, 1, IOC), 4);  /* last 1100 */
	REST(S2, SELL, 1200, 1);
	EXPECT_N(LIMIT(S4, BUY, 1200, 1, IOC), 4);  /* last 1200 */
	REST(S2, SELL, 1300, 5);                     /* in 1080..1320 */
	REST(S4, BUY, 1100, 1);
	EXPECT_N(LIMIT(S2, SELL, 1100, 1, IOC), 4); /* last 1100 */
	a = REST(S2, SELL, 1150, 2);
	st = PENDING(S1, BUY, STOPM, IOC, 0, 1150, 10);

	r = LIMIT(S4, BUY, 1150, 1, GTC);
	EXPECT_N(r, 9);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 1150, 1, 0, 1, 4);
	EV_TRIGGERED(r, 4, &st);
	EV_TRADE(r, 5, &st, &a, 1150, 1, 9, 0, 5);
	EV_CANCELLED(r, 8, &st, 9, 0, GV_CXL_NO_LIQUIDITY);
	DEPTH(SC, SELL, { 1300, 5, 5, 1 });
	close_book();
}

/* A DAY stop-limit that triggered and rests is a DAY order: it expires. */
static void test_triggered_day_stop_limit_expires(void)
{
	struct res r;
	struct ord st, g;

	open_book();
	REST(S2, SELL, 100, 1);
	st = PENDING(S1, BUY, STOPL, DAY, 99, 100, 3);
	g = PENDING(S1, BUY, STOPL, GTC, 98, 100, 2);
	r = LIMIT(S4, BUY, 100, 1, GTC);
	EXPECT_N(r, 8);
	EV_TRIGGERED(r, 4, &st);
	st.ref = EV_MD_ADD(r, 5, BUY, 99, 3);
	EV_TRIGGERED(r, 6, &g);
	g.ref = EV_MD_ADD(r, 7, BUY, 98, 2);
	r = END_OF_DAY();
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &st, 3, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 1, st.ref);
	DEPTH(SA, BUY, { 98, 2, 2, 1 });
	close_book();
}

static void test_counters(void)
{
	struct ord a;

	open_book();
	a = REST(S2, SELL, 100, 10);
	PENDING(S1, BUY, STOPM, IOC, 0, 100, 2);
	EXPECT_N(LIMIT(S4, BUY, 100, 3, GTC), 8);   /* + the stop's trade */
	EXPECT_N(LIMIT(S4, BUY, 100, 0, GTC), 1);   /* rejected */
	EXPECT_N(REPLACE(S2, a.cl, 100, 4), 2);
	EXPECT_N(CANCEL(S2, g_last_cl), 2);
	EXPECT_N(MASS(S1, 0, 0), 1);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_NEW), 4);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_CANCEL), 1);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_REPLACE), 1);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_MASS_CANCEL), 1);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_ACCEPTED), 3);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_REJECTED), 1);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_FILLS), 2);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_VOLUME), 5);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_STOPS_TRIGGERED), 1);
	CU_ASSERT(gv_book_counter(cur->b, GV_CNT_CMDS) >= 7);
	/* By reason: the zero-qty reject; the user cancel, the mass cancel
	 * found nothing live of S1's. */
	CU_ASSERT_EQUAL(gv_book_rejects(cur->b, GV_REJ_BAD_QTY), 1);
	CU_ASSERT_EQUAL(gv_book_rejects(cur->b, GV_REJ_HALTED), 0);
	CU_ASSERT_EQUAL(gv_book_rejects(cur->b, GV_REJ_MAX), 0);
	CU_ASSERT_EQUAL(gv_book_cancels(cur->b, GV_CXL_USER), 1);
	CU_ASSERT_EQUAL(gv_book_cancels(cur->b, GV_CXL_MASS_CANCEL), 0);
	CU_ASSERT_EQUAL(gv_book_cancels(cur->b, GV_CXL_MAX), 0);
	close_book();
}

static void test_stop_rules(void)
{
	struct res r;
	struct ord st, sl;
	struct snap s;

	open_book();
	/* A stop (type 3) must be IOC or FOK. */
	REJECTED_ONLY(STOP(S1, BUY, STOPM, GTC, 0, 105, 5), S1, g_last_cl,
	              GV_REJ_UNSUPPORTED);
	REJECTED_ONLY(STOP(S1, BUY, STOPM, DAY, 0, 105, 5), S1, g_last_cl,
	              GV_REJ_UNSUPPORTED);
	/* stop_price > 0 on stops, == 0 on everything else. */
	REJECTED_ONLY(STOP(S1, BUY, STOPM, IOC, 0, 0, 5), S1, g_last_cl,
	              GV_REJ_BAD_STOP_PRICE);
	REJECTED_ONLY(STOP(S1, BUY, STOPM, IOC, 0, -5, 5), S1, g_last_cl,
	              GV_REJ_BAD_STOP_PRICE);
	REJECTED_ONLY(STOP(S1, BUY, STOPL, GTC, 100, 0, 5), S1, g_last_cl,
	              GV_REJ_BAD_STOP_PRICE);
	REJECTED_ONLY(STOP(S1, BUY, LIM, GTC, 100, 5, 5), S1, g_last_cl,
	              GV_REJ_BAD_STOP_PRICE);
	REJECTED_ONLY(STOP(S1, BUY, MKT, IOC, 0, 5, 5), S1, g_last_cl,
	              GV_REJ_BAD_STOP_PRICE);
	/* A stop-limit's price is checked like a limit's. */
	REJECTED_ONLY(STOP(S1, BUY, STOPL, GTC, 0, 105, 5), S1, g_last_cl,
	              GV_REJ_BAD_PRICE);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);

	/* Any tif on a stop-limit (last trade 100: none of these holds). */
	REST(S2, SELL, 100, 1);
	r = LIMIT(S4, BUY, 100, 1, GTC);
	EXPECT_N(r, 4);
	PENDING(S1, BUY, STOPL, IOC, 106, 105, 1);
	PENDING(S1, BUY, STOPL, FOK, 106, 105, 1);
	PENDING(S1, BUY, STOPL, DAY, 106, 105, 1);
	sl = PENDING(S1, BUY, STOPL, GTC, 106, 105, 1);
	st = PENDING(S1, SELL, STOPM, FOK, 0, 95, 4);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 5);

	/* A pending stop cannot be replaced... */
	take_snap(&s);
	r = REPLACE(S1, st.cl, 0, 2);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = REPLACE(S1, sl.cl, 106, 1);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	UNCHANGED(&s);
	/* ...but it can be cancelled: no MD, nothing was displayed. */
	r = CANCEL(S1, st.cl);
	EXPECT_N(r, 1);
	EV_CANCELLED(r, 0, &st, 4, 0, GV_CXL_USER);
	r = CANCEL(S1, sl.cl);
	EXPECT_N(r, 1);
	EV_CANCELLED(r, 0, &sl, 1, 0, GV_CXL_USER);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 3);
	close_book();
}

/* Per-session cancels go in acceptance order across instruments. */
static void test_session_cancels_across_instruments(void)
{
	struct res r;
	struct ord a, b, c, d, e, f;

	open_book();
	a = REST_DAY(S1, BUY, 100, 1);
	g_sym = SB;
	b = REST_DAY(S1, SELL, 200, 2);
	g_sym = SA;
	c = REST_DAY(S1, SELL, 110, 3);

	r = END_OF_DAY();
	EXPECT_N(r, 6);
	EV_CANCELLED(r, 0, &a, 1, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 1, a.ref);
	g_sym = SB;
	EV_CANCELLED(r, 2, &b, 2, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 3, b.ref);
	g_sym = SA;
	EV_CANCELLED(r, 4, &c, 3, 0, GV_CXL_DAY_EXPIRY);
	EV_MD_DELETE(r, 5, c.ref);

	d = REST(S1, BUY, 100, 1);
	g_sym = SB;
	e = REST(S1, SELL, 200, 2);
	g_sym = SA;
	f = REST(S1, SELL, 110, 3);
	r = MASS(S1, 0, 0);
	EXPECT_N(r, 7);
	EV_MASS_ACK(r, 0, S1, 0, 3);
	EV_CANCELLED(r, 1, &d, 1, 0, GV_CXL_MASS_CANCEL);
	g_sym = SB;
	EV_CANCELLED(r, 3, &e, 2, 0, GV_CXL_MASS_CANCEL);
	EV_MD_DELETE(r, 4, e.ref);
	g_sym = SA;
	EV_CANCELLED(r, 5, &f, 3, 0, GV_CXL_MASS_CANCEL);

	d = REST(S1, BUY, 100, 1);
	g_sym = SB;
	e = REST(S1, SELL, 200, 2);
	g_sym = SA;
	f = REST(S1, SELL, 110, 3);
	r = CANCEL_ALL(S1, GV_CXL_COD, 0);
	EXPECT_N(r, 6);
	EV_CANCELLED(r, 0, &d, 1, 0, GV_CXL_COD);
	g_sym = SB;
	EV_CANCELLED(r, 2, &e, 2, 0, GV_CXL_COD);
	g_sym = SA;
	EV_CANCELLED(r, 4, &f, 3, 0, GV_CXL_COD);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);
	close_book();
}

/* ---- mass cancel ------------------------------------------------------ */

static void test_mass_cancel(void)
{
	struct res r;
	struct ord a, b, c, st, d, e, f;

	open_book();
	a = REST(S1, BUY, 100, 5);
	g_sym = SB;
	b = REST(S1, BUY, 50, 5);
	g_sym = SA;
	c = REST(S1, SELL, 105, 5);
	st = PENDING(S1, BUY, STOPM, IOC, 0, 110, 1);
	d = REST(S2, BUY, 99, 5);
	e = REST(S3, BUY, 98, 5); /* same account, other session */

	/* ACK first with the count, then each order in acceptance order. */
	r = MASS(S1, SA, 0);
	EXPECT_N(r, 6);
	EV_MASS_ACK(r, 0, S1, SA, 3);
	EV_CANCELLED(r, 1, &a, 5, 0, GV_CXL_MASS_CANCEL);
	EV_MD_DELETE(r, 2, a.ref);
	EV_CANCELLED(r, 3, &c, 5, 0, GV_CXL_MASS_CANCEL);
	EV_MD_DELETE(r, 4, c.ref);
	EV_CANCELLED(r, 5, &st, 1, 0, GV_CXL_MASS_CANCEL);
	DEPTH(SA, BUY, { 99, 5, 5, 1 }, { 98, 5, 5, 1 });
	NO_DEPTH(SA, SELL);
	DEPTH(SB, BUY, { 50, 5, 5, 1 });
	QUEUE(SA, BUY, d.oid, e.oid);

	/* All symbols, one side. */
	f = REST(S1, SELL, 106, 5);
	r = MASS(S1, 0, BUY);
	EXPECT_N(r, 3);
	EV_MASS_ACK(r, 0, S1, 0, 1);
	g_sym = SB;
	EV_CANCELLED(r, 1, &b, 5, 0, GV_CXL_MASS_CANCEL);
	EV_MD_DELETE(r, 2, b.ref);
	g_sym = SA;
	NO_DEPTH(SB, BUY);
	DEPTH(SA, SELL, { 106, 5, 5, 1 });

	/* One symbol, one side. */
	REST(S1, BUY, 97, 5);
	r = MASS(S1, SA, SELL);
	EXPECT_N(r, 3);
	EV_MASS_ACK(r, 0, S1, SA, 1);
	EV_CANCELLED(r, 1, &f, 5, 0, GV_CXL_MASS_CANCEL);
	EV_MD_DELETE(r, 2, f.ref);
	DEPTH(SA, BUY, { 99, 5, 5, 1 }, { 98, 5, 5, 1 }, { 97, 5, 5, 1 });

	/* Nothing to cancel: just the ACK. */
	r = MASS(S4, 0, 0);
	EXPECT_N(r, 1);
	EV_MASS_ACK(r, 0, S4, 0, 0);
	close_book();
}

/* ---- halt / resume ---------------------------------------------------- */

static void test_halt_resume(void)
{
	struct res r;
	struct ord a, b;
	struct snap s;

	open_book();
	a = REST(S2, SELL, 100, 5);
	b = REST(S1, BUY, 95, 5);
	r = HALT(SA);
	EXPECT_N(r, 1);
	EV_STATE(r, 0, SA, 1);
	take_snap(&s);

	REJECTED_ONLY(LIMIT(S1, BUY, 100, 5, GTC), S1, g_last_cl,
	              GV_REJ_HALTED);
	REJECTED_ONLY(MARKET(S1, BUY, 5, IOC), S1, g_last_cl, GV_REJ_HALTED);
	REJECTED_ONLY(STOP(S1, BUY, STOPM, IOC, 0, 90, 5), S1, g_last_cl,
	              GV_REJ_HALTED);
	REJECTED_ONLY(REPLACE(S1, b.cl, 96, 5), S1, g_last_cl, GV_REJ_HALTED);
	REJECTED_ONLY(REPLACE(S1, b.cl, 95, 4), S1, g_last_cl, GV_REJ_HALTED);
	UNCHANGED(&s);

	/* Other instruments trade on. */
	g_sym = SB;
	REST(S1, BUY, 10, 1);
	g_sym = SA;

	/* Cancels are allowed; b's cl_ord_id is still its own. */
	r = CANCEL(S1, b.cl);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &b, 5, 0, GV_CXL_USER);
	EV_MD_DELETE(r, 1, b.ref);
	/* Assumption: a mass cancel is a cancel, allowed while halted. */
	r = MASS(S2, SA, 0);
	EXPECT_N(r, 3);
	EV_MASS_ACK(r, 0, S2, SA, 1);
	EV_CANCELLED(r, 1, &a, 5, 0, GV_CXL_MASS_CANCEL);

	r = RESUME(SA);
	EXPECT_N(r, 1);
	EV_STATE(r, 0, SA, 0);
	REST(S1, BUY, 100, 5);

	/* Unknown instrument: REJECTED UNKNOWN_SYMBOL, cl_ord_id 0. */
	r = HALT(NOSYM);
	EXPECT_N(r, 1);
	{
		const struct gv_event *e = r.n ? &r.ev[0] : NULL;

		CU_ASSERT(e != NULL && e->type == GV_EV_REJECTED &&
		          e->u.ord.reason == GV_REJ_UNKNOWN_SYMBOL &&
		          e->u.ord.cl_ord_id == 0);
	}
	r = RESUME(NOSYM);
	EXPECT_N(r, 1);
	CU_ASSERT(r.n == 1 && r.ev[0].type == GV_EV_REJECTED &&
	          r.ev[0].u.ord.reason == GV_REJ_UNKNOWN_SYMBOL);
	close_book();
}

/* ---- self-trade prevention -------------------------------------------- */

static struct res buy_stp(int line, uint32_t sess, int64_t px, uint64_t q,
                          uint8_t stp)
{
	struct spec s = { .sess = sess, .side = BUY, .type = LIM, .tif = GTC,
	                  .price = px, .qty = q, .stp = stp };

	return submit_at(line, &s, 0);
}

#define BUY_STP(ss, px, q, m) buy_stp(__LINE__, (ss), (px), (q), (m))

static void test_stp_cancel_newest(void)
{
	struct res r;
	struct ord a, b, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	b = REST(S3, SELL, 100, 5); /* S3: account X like S1 */
	r = BUY_STP(S1, 100, 8, GV_STP_CANCEL_NEWEST);
	EXPECT_N(r, 5);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 3, 0, 1);
	EV_CANCELLED(r, 4, &tk, 3, 0, GV_CXL_STP);
	DEPTH(SA, SELL, { 100, 5, 5, 1 });
	QUEUE(SA, SELL, b.oid);
	NO_DEPTH(SA, BUY);

	/* stp 0 = the instrument's default, cancel-newest on SA. */
	r = BUY_STP(S1, 100, 2, 0);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 2, 0, GV_CXL_STP);
	/* Same session too. */
	r = BUY_STP(S3, 101, 1, 0);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 1, 0, GV_CXL_STP);
	QUEUE(SA, SELL, b.oid);
	close_book();
}

static void test_stp_cancel_oldest(void)
{
	struct res r;
	struct ord a, b, tk;

	open_book();
	a = REST(S3, SELL, 100, 5);
	b = REST(S2, SELL, 100, 5);
	r = BUY_STP(S1, 100, 8, GV_STP_CANCEL_OLDEST);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &a, 5, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 2, a.ref);
	EV_TRADE(r, 3, &tk, &b, 100, 5, 3, 0, 1);
	EV_MD_ADD(r, 6, BUY, 100, 3);
	NO_DEPTH(SA, SELL);
	DEPTH(SA, BUY, { 100, 3, 3, 1 });
	close_book();
}

static void test_stp_cancel_both(void)
{
	struct res r;
	struct ord a, b, c, tk;

	open_book();
	a = REST(S3, SELL, 100, 5);
	b = REST(S2, SELL, 100, 5);
	r = BUY_STP(S1, 100, 8, GV_STP_CANCEL_BOTH);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &a, 5, 0, GV_CXL_STP);  /* resting first */
	EV_MD_DELETE(r, 2, a.ref);
	EV_CANCELLED(r, 3, &tk, 8, 0, GV_CXL_STP);
	QUEUE(SA, SELL, b.oid);
	NO_DEPTH(SA, BUY);

	/* After a partial fill: the incoming remainder is cancelled. */
	c = REST(S2, SELL, 99, 2);
	a = REST(S3, SELL, 99, 5);
	r = BUY_STP(S1, 100, 8, GV_STP_CANCEL_BOTH);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &c, 99, 2, 6, 0, 1);
	EV_CANCELLED(r, 4, &a, 5, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 5, a.ref);
	EV_CANCELLED(r, 6, &tk, 6, 0, GV_CXL_STP);
	QUEUE(SA, SELL, b.oid);
	close_book();
}

/* Decrement, incoming larger: the resting order (open == s) is
 * cancelled, the incoming is reduced by s and goes on matching. */
static void test_stp_decrement_incoming_larger(void)
{
	struct res r;
	struct ord a, b, tk;

	open_book();
	a = REST(S3, SELL, 100, 5);
	b = REST(S2, SELL, 100, 5);
	r = BUY_STP(S1, 100, 8, GV_STP_DECREMENT);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &a, 5, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 2, a.ref);
	EV_CANCELLED(r, 3, &tk, 5, 3, GV_CXL_STP);
	EV_TRADE(r, 4, &tk, &b, 100, 3, 0, 2, 1);
	DEPTH(SA, SELL, { 100, 2, 2, 1 });
	NO_DEPTH(SA, BUY);

	/* Reduced and left over: the rest rests. */
	a = REST(S3, SELL, 101, 2);
	r = BUY_STP(S1, 101, 10, GV_STP_DECREMENT);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &b, 100, 2, 8, 0, 2);
	EV_CANCELLED(r, 4, &a, 2, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 5, a.ref);
	EV_CANCELLED(r, 6, &tk, 2, 6, GV_CXL_STP);
	EV_MD_ADD(r, 7, BUY, 101, 6);
	EXPECT_N(r, 8);
	close_book();
}

/* Decrement, resting larger: the resting order is reduced (stays live,
 * MD_REDUCE), the incoming is cancelled. */
static void test_stp_decrement_resting_larger(void)
{
	struct res r;
	struct ord a, tk;
	struct gv_order_view v;

	open_book();
	a = REST(S3, SELL, 100, 8);
	r = BUY_STP(S1, 100, 5, GV_STP_DECREMENT);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &a, 5, 3, GV_CXL_STP);
	EV_MD_REDUCE(r, 2, a.ref, 5);
	EV_CANCELLED(r, 3, &tk, 5, 0, GV_CXL_STP);
	DEPTH(SA, SELL, { 100, 3, 3, 1 });
	CU_ASSERT_FATAL(view_of(SA, SELL, a.oid, &v));
	CU_ASSERT_EQUAL(v.open_qty, 3);
	NO_DEPTH(SA, BUY);
	close_book();
}

static void test_stp_decrement_equal(void)
{
	struct res r;
	struct ord a, tk;

	open_book();
	a = REST(S3, SELL, 100, 5);
	r = BUY_STP(S1, 100, 5, GV_STP_DECREMENT);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &a, 5, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 2, a.ref);
	EV_CANCELLED(r, 3, &tk, 5, 0, GV_CXL_STP);
	NO_DEPTH(SA, SELL);
	NO_DEPTH(SA, BUY);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 0);
	close_book();
}

/* Decrement on a resting iceberg: its hidden quantity shrinks first. */
static void test_stp_decrement_iceberg(void)
{
	struct res r;
	struct ord ice, tk;

	open_book();
	ice = REST_ICE(S3, SELL, 100, 10, 4);
	r = BUY_STP(S1, 100, 3, GV_STP_DECREMENT);
	EXPECT_N(r, 3);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &ice, 3, 7, GV_CXL_STP); /* hidden 6 -> 3 */
	EV_CANCELLED(r, 2, &tk, 3, 0, GV_CXL_STP);
	DEPTH(SA, SELL, { 100, 4, 7, 1 });

	r = BUY_STP(S1, 100, 5, GV_STP_DECREMENT);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &ice, 5, 2, GV_CXL_STP); /* hidden 3 -> 0, 4 -> 2 */
	EV_MD_REDUCE(r, 2, ice.ref, 2);
	EV_CANCELLED(r, 3, &tk, 5, 0, GV_CXL_STP);
	DEPTH(SA, SELL, { 100, 2, 2, 1 });
	close_book();
}

/* A replace that crosses its own account's order is an incoming order for
 * STP (the order's own mode, here the default cancel-newest). */
static void test_stp_on_replace(void)
{
	struct res r;
	struct ord own, m, m2;

	open_book();
	own = REST(S3, SELL, 100, 5);
	m = REST(S1, BUY, 99, 5);
	r = REPLACE(S1, m.cl, 100, 5);
	EXPECT_N(r, 3);
	m2 = m;
	m2.cl = g_last_cl;
	EV_REPLACED(r, 0, &m2, m.cl, 100, 5, 0);
	EV_MD_DELETE(r, 1, m.ref);
	EV_CANCELLED(r, 2, &m2, 5, 0, GV_CXL_STP);
	NO_DEPTH(SA, BUY);
	QUEUE(SA, SELL, own.oid);
	close_book();
}

/* Cancel-oldest on an iceberg cancels all of it, hidden included. */
static void test_stp_cancel_oldest_iceberg(void)
{
	struct res r;
	struct ord ice;

	open_book();
	ice = REST_ICE(S3, SELL, 100, 10, 3);
	r = BUY_STP(S1, 100, 4, GV_STP_CANCEL_OLDEST);
	EXPECT_N(r, 4);
	EV_ACCEPTED(r, 0, S1, g_last_cl, BUY, LIM, GTC, 100, 4);
	EV_CANCELLED(r, 1, &ice, 10, 0, GV_CXL_STP);
	EV_MD_DELETE(r, 2, ice.ref);
	EV_MD_ADD(r, 3, BUY, 100, 4);
	NO_DEPTH(SA, SELL);
	close_book();
}

/* No STP between different accounts; on an instrument whose default is
 * GV_STP_NONE the same account trades with itself unless the order asks. */
static void test_stp_scope_and_none_default(void)
{
	struct res r;
	struct ord a, tk;

	open_book();
	a = REST(S2, SELL, 100, 5);
	r = BUY_STP(S4, 100, 1, GV_STP_CANCEL_BOTH); /* accounts Z vs Y */
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 1, 0, 4, 1);

	g_sym = SB;
	a = REST(S3, SELL, 100, 5);
	r = LIMIT(S1, BUY, 100, 2, GTC);
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 2, 0, 3, 2);
	r = BUY_STP(S1, 100, 1, GV_STP_CANCEL_NEWEST);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 1, 0, GV_CXL_STP);
	DEPTH(SB, SELL, { 100, 3, 3, 1 });
	close_book();
}

/* ---- session commands: COD, kill switch ------------------------------- */

static void test_cancel_on_disconnect(void)
{
	struct res r;
	struct ord a, b, st, o;

	open_book();
	a = REST(S1, BUY, 100, 5);
	o = REST(S2, BUY, 99, 5);
	st = PENDING(S1, BUY, STOPM, IOC, 0, 120, 2);
	b = REST(S1, SELL, 110, 5);

	r = CANCEL_ALL(S1, GV_CXL_COD, 0);
	EXPECT_N(r, 5);
	EV_CANCELLED(r, 0, &a, 5, 0, GV_CXL_COD);
	EV_MD_DELETE(r, 1, a.ref);
	EV_CANCELLED(r, 2, &st, 2, 0, GV_CXL_COD);
	EV_CANCELLED(r, 3, &b, 5, 0, GV_CXL_COD);
	EV_MD_DELETE(r, 4, b.ref);
	QUEUE(SA, BUY, o.oid);
	NO_DEPTH(SA, SELL);

	/* Not killed: the session goes on trading. */
	REST(S1, BUY, 98, 1);
	/* A session with no orders: no event. */
	r = CANCEL_ALL(S4, GV_CXL_ADMIN, 0);
	EXPECT_N(r, 0);
	r = CANCEL_ALL(S2, GV_CXL_ADMIN, 0);
	EXPECT_N(r, 2);
	EV_CANCELLED(r, 0, &o, 5, 0, GV_CXL_ADMIN);
	EV_MD_DELETE(r, 1, o.ref);
	close_book();
}

/* With GV_CMD_F_KILL every later NEW/CANCEL/REPLACE/MASS_CANCEL of the
 * session is REJECTED KILLED (before THROTTLED, before the cl_ord_id check,
 * so a KILLED message does not use up its cl_ord_id); SESSION_ENABLE
 * restores it without an event. */
static void test_kill_switch(void)
{
	struct res r;
	struct ord a, b, st, c;
	struct snap s;

	open_book();
	a = REST(S1, BUY, 100, 5);
	st = PENDING(S1, BUY, STOPM, IOC, 0, 120, 2);
	b = REST(S1, SELL, 110, 5);
	c = REST(S3, BUY, 99, 5); /* same account, other session */

	r = CANCEL_ALL(S1, GV_CXL_KILL_SWITCH, GV_CMD_F_KILL);
	EXPECT_N(r, 5);
	EV_CANCELLED(r, 0, &a, 5, 0, GV_CXL_KILL_SWITCH);
	EV_MD_DELETE(r, 1, a.ref);
	EV_CANCELLED(r, 2, &st, 2, 0, GV_CXL_KILL_SWITCH);
	EV_CANCELLED(r, 3, &b, 5, 0, GV_CXL_KILL_SWITCH);
	EV_MD_DELETE(r, 4, b.ref);
	QUEUE(SA, BUY, c.oid);

	take_snap(&s);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .price = 100, .qty = 5, .cl = 50);
	REJECTED_ONLY(r, S1, 50, GV_REJ_KILLED);
	r = SUBMIT_F(GV_CMD_F_THROTTLED, .sess = S1, .side = BUY, .type = LIM,
	             .tif = GTC, .price = 100, .qty = 5, .cl = 50);
	REJECTED_ONLY(r, S1, 50, GV_REJ_KILLED);
	r = SUBMIT(.sess = S1, .side = 9, .type = LIM, .tif = GTC,
	           .price = 0, .qty = 0, .cl = 1);
	REJECTED_ONLY(r, S1, 1, GV_REJ_KILLED);
	r = CANCEL(S1, a.cl);
	REJECTED_ONLY(r, S1, a.cl, GV_REJ_KILLED);
	r = REPLACE_CL(S1, a.cl, 50, 100, 5);
	REJECTED_ONLY(r, S1, 50, GV_REJ_KILLED);
	r = MASS(S1, 0, 0);
	REJECTED_ONLY(r, S1, 0, GV_REJ_KILLED);
	UNCHANGED(&s);

	/* Other sessions, even of the same account, are not killed. */
	r = LIMIT(S3, BUY, 98, 1, GTC);
	EXPECT_N(r, 2);

	r = ENABLE(S1);
	EXPECT_N(r, 0);
	r = SUBMIT(.sess = S1, .side = BUY, .type = LIM, .tif = GTC,
	           .price = 100, .qty = 5, .cl = 50);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, 50, BUY, LIM, GTC, 100, 5);
	EV_MD_ADD(r, 1, BUY, 100, 5);
	close_book();
}

/* ---- cl_ord_id, throttling -------------------------------------------- */

#define NEW_CL(ss, id, n) \
	SUBMIT(.sess = (ss), .side = BUY, .type = LIM, .tif = GTC, \
	       .price = 100, .qty = (n), .cl = (id))

static void test_cl_ord_id_strictly_increasing(void)
{
	struct res r;
	struct ord a;

	open_book();
	r = NEW_CL(S1, 5, 1);
	EXPECT_N(r, 2);
	a = ord_of(r);
	REJECTED_ONLY(NEW_CL(S1, 5, 1), S1, 5, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	REJECTED_ONLY(NEW_CL(S1, 4, 1), S1, 4, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	/* Per session: S2 may use any. */
	r = NEW_CL(S2, 1, 1);
	EXPECT_N(r, 2);

	/* A rejected N uses up its cl_ord_id. */
	REJECTED_ONLY(NEW_CL(S1, 6, 0), S1, 6, GV_REJ_BAD_QTY);
	REJECTED_ONLY(NEW_CL(S1, 6, 1), S1, 6, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	/* A THROTTLED one does not: it comes before the check. */
	r = SUBMIT_F(GV_CMD_F_THROTTLED, .sess = S1, .side = BUY, .type = LIM,
	             .tif = GTC, .price = 100, .qty = 1, .cl = 7);
	REJECTED_ONLY(r, S1, 7, GV_REJ_THROTTLED);
	r = NEW_CL(S1, 7, 1);
	EXPECT_N(r, 2);
	EV_ACCEPTED(r, 0, S1, 7, BUY, LIM, GTC, 100, 1);

	/* Replace: the new cl_ord_id must increase too, and a rejected one
	 * is used up. */
	r = REPLACE_CL(S1, a.cl, 7, 100, 1);
	REJECTED_ONLY(r, S1, 7, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	r = REPLACE_CL(S1, a.cl, 8, 100, 0);
	REJECTED_ONLY(r, S1, 8, GV_REJ_BAD_QTY);
	r = REPLACE_CL(S1, a.cl, 8, 100, 1);
	REJECTED_ONLY(r, S1, 8, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	r = REPLACE_CL(S1, a.cl, 9, 100, 1);
	EXPECT_N(r, 1);
	a.cl = 9;
	EV_REPLACED(r, 0, &a, 5, 100, 1, 1);
	/* Cancels carry no new cl_ord_id: nothing is used up. */
	r = CANCEL(S1, 9);
	EXPECT_N(r, 2);
	r = NEW_CL(S1, 10, 1);
	EXPECT_N(r, 2);
	close_book();
}

/* Every message can be throttled; the book does not change. */
static void test_throttled(void)
{
	struct res r;
	struct ord a;
	struct snap s;

	open_book();
	a = REST(S1, BUY, 100, 5);
	take_snap(&s);
	r = CANCEL_F(S1, a.cl, GV_CMD_F_THROTTLED);
	REJECTED_ONLY(r, S1, a.cl, GV_REJ_THROTTLED);
	r = REPLACE_F(S1, a.cl, 101, 5, GV_CMD_F_THROTTLED);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_THROTTLED);
	r = MASS_F(S1, 0, 0, GV_CMD_F_THROTTLED);
	REJECTED_ONLY(r, S1, 0, GV_REJ_THROTTLED);
	/* THROTTLED comes before every content check. */
	r = SUBMIT_F(GV_CMD_F_THROTTLED, .sess = S1, .sym = NOSYM, .side = 0,
	             .type = 0, .tif = 0, .qty = 0);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_THROTTLED);
	UNCHANGED(&s);
	close_book();
}

/* ---- validation ------------------------------------------------------- */

struct vcase {
	const char *what;
	struct spec s;
	uint8_t cflags;
	uint8_t kill;     /* kill S1 first */
	uint32_t halt;    /* halt this instrument first */
	uint64_t prev_cl; /* S1 uses this cl_ord_id first (valid order on SA) */
	uint8_t cross;    /* S2 rests a sell at 1000 x 5 on s.sym first */
	uint16_t want;
};

/* Run each case on a fresh book: exactly one REJECTED with the expected
 * reason and the message's cl_ord_id, and nothing changed. */
static void run_vcases(int line, const struct vcase *vc, size_t n,
                       uint32_t *seen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vcase *v = &vc[i];
		struct spec sp = v->s;
		struct snap s;
		struct res r;
		uint64_t cl;

		open_book();
		if (v->prev_cl) {
			struct spec p = { .sess = S1, .sym = SA, .side = BUY,
			                  .type = LIM, .tif = GTC, .price = 1,
			                  .qty = 1, .cl = v->prev_cl };

			r = submit_at(line, &p, 0);
			check(line, r.n == 2, "%s: setup", v->what);
		}
		if (v->cross) {
			struct spec p = { .sess = S2, .sym = sp.sym,
			                  .side = SELL, .type = LIM,
			                  .tif = GTC, .price = 1000, .qty = 5 };

			r = submit_at(line, &p, 0);
			check(line, r.n == 2, "%s: setup", v->what);
		}
		if (v->halt)
			admin_at(line, GV_CMD_HALT, v->halt);
		if (v->kill)
			cancel_all_at(line, S1, GV_CXL_KILL_SWITCH,
			              GV_CMD_F_KILL);
		if (sp.sess == 0)
			sp.sess = S1;
		take_snap(&s);
		r = submit_at(line, &sp, v->cflags);
		cl = g_last_cl;
		check(line, r.n == 1 && r.ev[0].type == GV_EV_REJECTED,
		      "%s: %u events, first %s", v->what, r.n,
		      r.n ? ev_name(r.ev[0].type) : "-");
		if (r.n >= 1 && r.ev[0].type == GV_EV_REJECTED) {
			check(line, r.ev[0].u.ord.reason == v->want,
			      "%s: reason %u, want %u", v->what,
			      r.ev[0].u.ord.reason, v->want);
			check(line, r.ev[0].u.ord.cl_ord_id == cl,
			      "%s: cl_ord_id %llu, want %llu", v->what,
			      (unsigned long long)r.ev[0].u.ord.cl_ord_id,
			      (unsigned long long)cl);
			check(line, r.ev[0].session == sp.sess,
			      "%s: session %u", v->what, r.ev[0].session);
			if (seen != NULL && r.ev[0].u.ord.reason < 32)
				*seen |= 1u << r.ev[0].u.ord.reason;
		}
		check_unchanged(line, &s);
		close_book();
	}
}

#define O(sd, ty, tf, p, q) \
	.side = (sd), .type = (ty), .tif = (tf), .price = (p), .qty = (q)

/* One fault at a time: every reject reason of protocol 1.4 a NEW can get. */
static const struct vcase g_single[] = {
	{ "unknown symbol", { .sym = NOSYM, O(BUY, LIM, GTC, 100, 1) },
	  .want = GV_REJ_UNKNOWN_SYMBOL },
	{ "side 0", { O(0, LIM, GTC, 100, 1) }, .want = GV_REJ_BAD_SIDE },
	{ "side 3", { O(3, LIM, GTC, 100, 1) }, .want = GV_REJ_BAD_SIDE },
	{ "type 0", { O(BUY, 0, GTC, 100, 1) }, .want = GV_REJ_BAD_TYPE },
	{ "type 5", { O(BUY, 5, GTC, 100, 1) }, .want = GV_REJ_BAD_TYPE },
	{ "tif 0", { O(BUY, LIM, 0, 100, 1) }, .want = GV_REJ_BAD_TIF },
	{ "tif 5", { O(BUY, LIM, 5, 100, 1) }, .want = GV_REJ_BAD_TIF },
	{ "price 0", { O(BUY, LIM, GTC, 0, 1) }, .want = GV_REJ_BAD_PRICE },
	{ "price -1", { O(BUY, LIM, GTC, -1, 1) }, .want = GV_REJ_BAD_PRICE },
	{ "price > max", { .sym = SD, O(BUY, LIM, GTC, 5001, 5) },
	  .want = GV_REJ_BAD_PRICE },
	{ "band", { .sym = SC, O(BUY, LIM, GTC, 1101, 1) },
	  .want = GV_REJ_PRICE_BAND },
	{ "qty 0", { O(BUY, LIM, GTC, 100, 0) }, .want = GV_REJ_BAD_QTY },
	{ "qty < min", { .sym = SD, O(BUY, LIM, GTC, 100, 4) },
	  .want = GV_REJ_BAD_QTY },
	{ "qty > max", { .sym = SD, O(BUY, LIM, GTC, 100, 1001) },
	  .want = GV_REJ_BAD_QTY },
	{ "display > qty", { O(BUY, LIM, GTC, 100, 5), .disp = 6 },
	  .want = GV_REJ_BAD_QTY },
	{ "cl not increasing", { O(BUY, LIM, GTC, 100, 1), .cl = 10 },
	  .prev_cl = 10,
	  .want = GV_REJ_CL_ORD_ID_NOT_INCREASING },
	{ "halted", { O(BUY, LIM, GTC, 100, 1) },
	  .halt = SA, .want = GV_REJ_HALTED },
	{ "post-only would take",
	  { .sym = SC, O(BUY, LIM, GTC, 1000, 1), .flags = POST },
	  .cross = 1, .want = GV_REJ_POST_ONLY_WOULD_TAKE },
	{ "throttled", { O(BUY, LIM, GTC, 100, 1) },
	  .cflags = GV_CMD_F_THROTTLED,
	  .want = GV_REJ_THROTTLED },
	{ "flag bit 1", { O(BUY, LIM, GTC, 100, 1), .flags = 0x02 },
	  .want = GV_REJ_BAD_FLAGS },
	{ "flag bit 7", { O(BUY, LIM, GTC, 100, 1), .flags = 0x80 },
	  .want = GV_REJ_BAD_FLAGS },
	{ "stp 5", { O(BUY, LIM, GTC, 100, 1), .stp = 5 },
	  .want = GV_REJ_BAD_FLAGS },
	{ "stp 9", { O(BUY, LIM, GTC, 100, 1), .stp = 9 },
	  .want = GV_REJ_BAD_FLAGS },
	{ "market GTC", { O(BUY, MKT, GTC, 0, 1) },
	  .want = GV_REJ_UNSUPPORTED },
	{ "market DAY", { O(BUY, MKT, DAY, 0, 1) },
	  .want = GV_REJ_UNSUPPORTED },
	{ "post-only IOC", { O(BUY, LIM, IOC, 100, 1), .flags = POST },
	  .want = GV_REJ_UNSUPPORTED },
	{ "iceberg IOC", { O(BUY, LIM, IOC, 100, 5), .disp = 2 },
	  .want = GV_REJ_UNSUPPORTED },
	{ "stop GTC", { O(BUY, STOPM, GTC, 0, 1), .stop = 100 },
	  .want = GV_REJ_UNSUPPORTED },
	{ "notional", { .sym = SC, O(BUY, LIM, GTC, 1000, 201) },
	  .want = GV_REJ_MAX_NOTIONAL },
	{ "market notional", { .sym = SC, O(BUY, MKT, IOC, 0, 201) },
	  .want = GV_REJ_MAX_NOTIONAL },
	{ "stop price 0", { O(BUY, STOPM, IOC, 0, 1) },
	  .want = GV_REJ_BAD_STOP_PRICE },
	{ "stop price on a limit", { O(BUY, LIM, GTC, 100, 1), .stop = 100 },
	  .want = GV_REJ_BAD_STOP_PRICE },
	{ "killed", { O(BUY, LIM, GTC, 100, 1) },
	  .kill = 1, .want = GV_REJ_KILLED },
};

/* Two faults: the first in protocol 1.5's order wins. */
static const struct vcase g_pairs[] = {
	{ "KILLED > THROTTLED", { O(BUY, LIM, GTC, 100, 1) }, .kill = 1,
	  .cflags = GV_CMD_F_THROTTLED, .want = GV_REJ_KILLED },
	{ "THROTTLED > CL_ORD_ID", { O(BUY, LIM, GTC, 100, 1), .cl = 5 },
	  .prev_cl = 10,
	  .cflags = GV_CMD_F_THROTTLED, .want = GV_REJ_THROTTLED },
	{ "CL_ORD_ID > UNKNOWN_SYMBOL",
	  { .sym = NOSYM, O(BUY, LIM, GTC, 100, 1), .cl = 10 },
	  .prev_cl = 10, .want = GV_REJ_CL_ORD_ID_NOT_INCREASING },
	{ "UNKNOWN_SYMBOL > BAD_SIDE", { .sym = NOSYM, O(0, LIM, GTC, 100, 1) },
	  .want = GV_REJ_UNKNOWN_SYMBOL },
	{ "BAD_SIDE > BAD_TYPE", { O(3, 0, GTC, 100, 1) },
	  .want = GV_REJ_BAD_SIDE },
	{ "BAD_SIDE > UNSUPPORTED", { O(0, MKT, GTC, 0, 1) },
	  .want = GV_REJ_BAD_SIDE },
	{ "BAD_TYPE > BAD_TIF", { O(BUY, 5, 0, 100, 1) },
	  .want = GV_REJ_BAD_TYPE },
	{ "BAD_TIF > BAD_FLAGS", { O(BUY, LIM, 5, 100, 1), .flags = 0x80 },
	  .want = GV_REJ_BAD_TIF },
	{ "BAD_TIF > UNSUPPORTED", { O(BUY, MKT, 0, 0, 1) },
	  .want = GV_REJ_BAD_TIF },
	{ "BAD_FLAGS > UNSUPPORTED", { O(BUY, MKT, GTC, 0, 1), .stp = 5 },
	  .want = GV_REJ_BAD_FLAGS },
	{ "BAD_FLAGS (bits) > UNSUPPORTED",
	  { O(BUY, LIM, IOC, 100, 1), .flags = POST | 0x04 },
	  .want = GV_REJ_BAD_FLAGS },
	{ "UNSUPPORTED > BAD_QTY", { O(BUY, MKT, GTC, 0, 0) },
	  .want = GV_REJ_UNSUPPORTED },
	{ "UNSUPPORTED (iceberg) > BAD_QTY (display)",
	  { O(BUY, LIM, IOC, 100, 5), .disp = 6 }, .want = GV_REJ_UNSUPPORTED },
	{ "UNSUPPORTED > BAD_STOP_PRICE", { O(BUY, STOPM, GTC, 0, 1) },
	  .want = GV_REJ_UNSUPPORTED },
	{ "BAD_QTY > BAD_PRICE", { O(BUY, LIM, GTC, 0, 0) },
	  .want = GV_REJ_BAD_QTY },
	{ "BAD_QTY (display) > BAD_PRICE",
	  { O(BUY, LIM, GTC, 0, 5), .disp = 6 },
	  .want = GV_REJ_BAD_QTY },
	{ "BAD_QTY > BAD_STOP_PRICE", { O(BUY, LIM, GTC, 100, 0), .stop = 5 },
	  .want = GV_REJ_BAD_QTY },
	{ "BAD_PRICE > BAD_STOP_PRICE", { O(BUY, LIM, GTC, 0, 1), .stop = 5 },
	  .want = GV_REJ_BAD_PRICE },
	{ "BAD_STOP_PRICE > HALTED", { O(BUY, LIM, GTC, 100, 1), .stop = 5 },
	  .halt = SA,
	  .want = GV_REJ_BAD_STOP_PRICE },
	{ "BAD_STOP_PRICE > PRICE_BAND",
	  { .sym = SC, O(BUY, LIM, GTC, 2000, 1), .stop = 5 },
	  .want = GV_REJ_BAD_STOP_PRICE },
	{ "HALTED > PRICE_BAND", { .sym = SC, O(BUY, LIM, GTC, 2000, 1) },
	  .halt = SC,
	  .want = GV_REJ_HALTED },
	{ "HALTED > POST_ONLY",
	  { .sym = SC, O(BUY, LIM, GTC, 1000, 1), .flags = POST },
	  .cross = 1, .halt = SC, .want = GV_REJ_HALTED },
	{ "PRICE_BAND > MAX_NOTIONAL",
	  { .sym = SC, O(BUY, LIM, GTC, 1101, 500) },
	  .want = GV_REJ_PRICE_BAND },
	{ "PRICE_BAND > POST_ONLY",
	  { .sym = SC, O(BUY, LIM, GTC, 1101, 1), .flags = POST },
	  .cross = 1, .want = GV_REJ_PRICE_BAND },
	{ "MAX_NOTIONAL > POST_ONLY",
	  { .sym = SC, O(BUY, LIM, GTC, 1000, 300), .flags = POST }, .cross = 1,
	  .want = GV_REJ_MAX_NOTIONAL },
};

#undef O

static void test_every_reject_reason(void)
{
	uint32_t seen = 0, want = 0;
	struct res r;
	int i;

	run_vcases(__LINE__, g_single, GV_ARRAY_SIZE(g_single), &seen);

	/* UNKNOWN_ORDER: cancel and replace. */
	open_book();
	r = CANCEL(S1, 77);
	REJECTED_ONLY(r, S1, 77, GV_REJ_UNKNOWN_ORDER);
	if (r.n == 1)
		seen |= 1u << r.ev[0].u.ord.reason;
	close_book();

	/* CAPACITY: a pool of one order. */
	open_tb(&g_tb[0], 1, 8, EVBUF_MAX);
	REST(S1, BUY, 100, 1);
	r = LIMIT(S1, BUY, 99, 1, GTC);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_CAPACITY);
	if (r.n == 1)
		seen |= 1u << r.ev[0].u.ord.reason;
	close_book();

	for (i = GV_REJ_UNKNOWN_SYMBOL; i < GV_REJ_MAX; i++)
		if (i != 13)
			want |= 1u << i;
	check(__LINE__, seen == want, "reasons seen %#x, want %#x", seen,
	      want);
}

static void test_validation_order_new(void)
{
	run_vcases(__LINE__, g_pairs, GV_ARRAY_SIZE(g_pairs), NULL);
}

/* The same order for replaces (new_cl_ord_id in the REJECTED). */
static void test_validation_order_replace(void)
{
	struct res r;
	struct ord a, st, c;
	struct snap s;
	uint64_t last;

	open_book();
	a = REST(S1, BUY, 100, 5);
	st = PENDING(S1, BUY, STOPM, IOC, 0, 110, 1);
	g_sym = SC;
	c = REST(S1, BUY, 1000, 5);
	REST(S2, SELL, 1050, 5);
	g_sym = SA;
	take_snap(&s);
	last = g_last_cl;

	r = REPLACE_F(S1, 999, 0, 0, GV_CMD_F_THROTTLED);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_THROTTLED);
	r = REPLACE_CL(S1, 999, last, 100, 0);
	REJECTED_ONLY(r, S1, last, GV_REJ_CL_ORD_ID_NOT_INCREASING);
	r = REPLACE(S1, 999, 0, 0);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNKNOWN_ORDER);
	r = REPLACE(S1, st.cl, 0, 0);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_UNSUPPORTED);
	r = REPLACE(S1, a.cl, 0, 0);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_QTY);
	r = HALT(SC);
	EXPECT_N(r, 1);
	g_sym = SC;
	r = REPLACE(S1, c.cl, 0, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_BAD_PRICE);
	r = REPLACE(S1, c.cl, 2000, 5);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_HALTED);
	r = RESUME(SC);
	EXPECT_N(r, 1);
	r = REPLACE(S1, c.cl, 2000, 500);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_PRICE_BAND);
	/* Assumption: a replace's notional is checked like a new order's. */
	r = REPLACE(S1, c.cl, 1000, 201);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_MAX_NOTIONAL);
	g_sym = SA;
	UNCHANGED(&s);
	close_book();
}

/* ---- capacity --------------------------------------------------------- */

static void test_capacity_and_recovery(void)
{
	struct res r;
	struct ord a, b, c, d, e, f, tk;
	struct snap s;

	open_tb(&g_tb[0], 3, 64, EVBUF_MAX);
	a = REST(S1, BUY, 100, 5);
	b = REST(S2, BUY, 99, 5);
	c = REST(S4, BUY, 98, 5);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 3);
	take_snap(&s);
	REJECTED_ONLY(LIMIT(S1, BUY, 97, 5, GTC), S1, g_last_cl,
	              GV_REJ_CAPACITY);
	REJECTED_ONLY(STOP(S1, BUY, STOPM, IOC, 0, 120, 1), S1, g_last_cl,
	              GV_REJ_CAPACITY);
	/* POST_ONLY_WOULD_TAKE is checked before CAPACITY. */
	r = SUBMIT(.sess = S2, .side = SELL, .type = LIM, .tif = GTC,
	           .flags = POST, .price = 100, .qty = 1);
	REJECTED_ONLY(r, S2, g_last_cl, GV_REJ_POST_ONLY_WOULD_TAKE);
	UNCHANGED(&s);

	/* A cancel frees a slot. */
	r = CANCEL(S2, b.cl);
	EXPECT_N(r, 2);
	d = REST(S1, BUY, 97, 5);
	REJECTED_ONLY(LIMIT(S1, BUY, 96, 5, GTC), S1, g_last_cl,
	              GV_REJ_CAPACITY);
	/* So does a full fill, seen from the next order. */
	r = CANCEL(S1, d.cl);
	EXPECT_N(r, 2);
	r = LIMIT(S2, SELL, 100, 5, GTC); /* fills a */
	EXPECT_N(r, 4);
	tk = ord_of(r);
	EV_TRADE(r, 1, &tk, &a, 100, 5, 0, 0, 1);
	CU_ASSERT_EQUAL(gv_book_live_orders(cur->b), 1);
	e = REST(S2, BUY, 90, 1);
	f = REST(S2, BUY, 89, 1);
	REJECTED_ONLY(LIMIT(S2, BUY, 88, 1, GTC), S2, g_last_cl,
	              GV_REJ_CAPACITY);
	QUEUE(SA, BUY, c.oid, e.oid, f.oid);
	close_book();
}

/* A GTC/DAY order that needs a price-level page when none is free is
 * REJECTED CAPACITY; an IOC at the same price needs no page. Assumption:
 * pages are taken on demand, so one page serves nearby prices and a price
 * 4096 ticks away needs another. */
static void test_level_page_capacity(void)
{
	struct res r;
	struct ord tk;

	open_tb(&g_tb[0], 64, 1, EVBUF_MAX);
	REST(S1, BUY, 100, 1);
	REST(S1, BUY, 101, 1);
	r = LIMIT(S1, BUY, 100 + 4096, 1, GTC);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_CAPACITY);
	r = LIMIT(S1, BUY, 100 + 4096, 1, DAY);
	REJECTED_ONLY(r, S1, g_last_cl, GV_REJ_CAPACITY);
	r = LIMIT(S1, BUY, 100 + 4096, 1, IOC);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	EV_CANCELLED(r, 1, &tk, 1, 0, GV_CXL_IOC_REMAINDER);
	DEPTH(SA, BUY, { 101, 1, 1, 1 }, { 100, 1, 1, 1 });
	close_book();
}

/* ---- identifiers ------------------------------------------------------ */

static void test_identifiers(void)
{
	struct res r;
	struct ord a, b, c, tk, b2;
	uint64_t new_ref;

	open_book();
	a = REST(S1, BUY, 100, 5);
	CU_ASSERT_EQUAL(a.oid >> 58, SHARD);
	CU_ASSERT_EQUAL(oid_seq(a.oid), 1);
	CU_ASSERT((a.oid & 0xffffff) < 64);
	CU_ASSERT_EQUAL(a.ref, 1);

	/* A rejected order takes no sequence number. */
	REJECTED_ONLY(LIMIT(S1, BUY, 100, 0, GTC), S1, g_last_cl,
	              GV_REJ_BAD_QTY);
	b = REST(S2, SELL, 110, 5);
	CU_ASSERT_EQUAL(oid_seq(b.oid), 2);
	CU_ASSERT_EQUAL(b.ref, 2);
	/* An IOC that never rests takes one, but no MD reference. */
	r = LIMIT(S1, BUY, 90, 1, IOC);
	EXPECT_N(r, 2);
	tk = ord_of(r);
	CU_ASSERT_EQUAL(oid_seq(tk.oid), 3);
	c = REST(S4, SELL, 111, 5);
	CU_ASSERT_EQUAL(oid_seq(c.oid), 4);
	CU_ASSERT_EQUAL(c.ref, 3);
	CU_ASSERT_NOT_EQUAL(a.oid, b.oid);
	CU_ASSERT_NOT_EQUAL(b.oid, c.oid);

	/* A replace that loses priority: the next reference. */
	r = REPLACE(S2, b.cl, 111, 5);
	EXPECT_N(r, 2);
	b2 = b;
	b2.cl = g_last_cl;
	EV_REPLACED(r, 0, &b2, b.cl, 111, 5, 0);
	new_ref = EV_MD_REPLACE(r, 1, b.ref, 111, 5);
	CU_ASSERT_EQUAL(new_ref, 4);
	b2.ref = new_ref;

	/* Match ids count trades from 1; both sides share one. */
	r = LIMIT(S1, BUY, 111, 7, IOC);
	EXPECT_N(r, 7);
	tk = ord_of(r);
	CU_ASSERT_EQUAL(oid_seq(tk.oid), 5);
	EV_TRADE(r, 1, &tk, &c, 111, 5, 2, 0, 1);
	EV_TRADE(r, 4, &tk, &b2, 111, 2, 0, 3, 2);
	close_book();
}

/* ---- bad commands ----------------------------------------------------- */

static void test_bad_commands_counted_without_event(void)
{
	struct gv_cmd c;
	struct res r;
	struct snap s;
	uint64_t h;

	open_book();
	REST(S1, BUY, 100, 5);
	take_snap(&s);
	h = gv_book_hash(cur->b);

	memset(&c, 0, sizeof(c));
	c.type = GV_CMD_NEW;
	c.session = 99;
	c.u.new_order.symbol = SA;
	c.u.new_order.side = BUY;
	c.u.new_order.type = LIM;
	c.u.new_order.tif = GTC;
	c.u.new_order.cl_ord_id = 1;
	c.u.new_order.price = 100;
	c.u.new_order.qty = 1;
	r = run_cmd(__LINE__, &c);
	EXPECT_N(r, 0);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_BAD_CMD), 1);

	memset(&c, 0, sizeof(c));
	c.type = 99;
	c.session = S1;
	r = run_cmd(__LINE__, &c);
	EXPECT_N(r, 0);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_BAD_CMD), 2);
	UNCHANGED(&s);
	/* Assumption: counters are statistics, not part of the hash. */
	CU_ASSERT_EQUAL(gv_book_hash(cur->b), h);
	close_book();
}

/* Session 0 is never valid, even as the engine's first command (its
 * last-session lookup cache starts empty, keyed 0). */
static void test_session_zero_is_bad_command(void)
{
	struct gv_cmd c;
	struct res r;

	open_book();
	memset(&c, 0, sizeof(c));
	c.type = GV_CMD_SESSION_CANCEL_ALL;
	c.session = 0;
	c.u.cancel_all.reason = GV_CXL_ADMIN;
	c.flags = GV_CMD_F_KILL;
	r = run_cmd(__LINE__, &c);
	EXPECT_N(r, 0);
	CU_ASSERT_EQUAL(gv_book_counter(cur->b, GV_CNT_BAD_CMD), 1);
	/* Nobody was killed: the first session still trades. */
	REST(S1, BUY, 100, 5);
	close_book();
}

/* The control plane's scalar views follow the book. */
static void test_instrument_and_session_views(void)
{
	struct gv_instrument_view v;

	open_book();
	CU_ASSERT_EQUAL(gv_book_instrument_view(cur->b, 999, &v), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(gv_book_instrument_view(cur->b, SA, &v), 0);
	CU_ASSERT(!v.halted && v.last_price == 0 && v.levels[0] == 0 &&
	          v.orders[1] == 0 && v.stops == 0);
	REST(S1, BUY, 100, 5);
	REST(S2, BUY, 100, 1);
	REST(S2, BUY, 98, 1);
	REST(S2, SELL, 105, 4);
	PENDING(S1, BUY, STOPM, IOC, 0, 120, 2);
	LIMIT(S4, SELL, 100, 2, IOC);
	CU_ASSERT_EQUAL_FATAL(gv_book_instrument_view(cur->b, SA, &v), 0);
	CU_ASSERT_EQUAL(v.last_price, 100);
	CU_ASSERT_EQUAL(v.levels[0], 2);
	CU_ASSERT_EQUAL(v.orders[0], 3);
	CU_ASSERT_EQUAL(v.levels[1], 1);
	CU_ASSERT_EQUAL(v.orders[1], 1);
	CU_ASSERT_EQUAL(v.stops, 1);
	CU_ASSERT_EQUAL(v.accepted, 6);
	CU_ASSERT_EQUAL(v.fills, 1); /* 2 lots from the first bid */
	CU_ASSERT_EQUAL(v.volume, 2);
	HALT(SA);
	CU_ASSERT(gv_book_instrument_view(cur->b, SA, &v) == 0 && v.halted);
	CU_ASSERT(!gv_book_session_killed(cur->b, S1));
	CANCEL_ALL(S1, GV_CXL_KILL_SWITCH, GV_CMD_F_KILL);
	CU_ASSERT(gv_book_session_killed(cur->b, S1));
	CU_ASSERT(!gv_book_session_killed(cur->b, S2));
	CU_ASSERT(!gv_book_session_killed(cur->b, 12345));
	close_book();
}

/* ---- determinism, hash, event buffer ---------------------------------- */

/* A seeded stream of orders, cancels and replaces over two instruments. */
static uint32_t make_script(struct gv_cmd *cmds, uint32_t n, uint64_t seed)
{
	uint64_t rng = seed, cl[5] = { 0 };
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct gv_cmd *c = &cmds[i];
		uint32_t sess = 1 + (uint32_t)gv_test_below(&rng, 4);
		uint64_t k = gv_test_below(&rng, 100);

		memset(c, 0, sizeof(*c));
		c->session = sess;
		if (k < 60 || cl[sess] == 0) {
			uint64_t t = gv_test_below(&rng, 10);
			uint8_t type = t < 7 ? LIM : t < 8 ? MKT : STOPL;
			int64_t px = 95 + (int64_t)gv_test_below(&rng, 11);

			c->type = GV_CMD_NEW;
			c->u.new_order.symbol =
				1 + (uint32_t)gv_test_below(&rng, 2);
			c->u.new_order.side =
				(uint8_t)(1 + gv_test_below(&rng, 2));
			c->u.new_order.type = type;
			c->u.new_order.tif =
				(uint8_t)(1 + gv_test_below(&rng, 4));
			if (type == MKT)
				c->u.new_order.tif = IOC;
			c->u.new_order.cl_ord_id = ++cl[sess];
			c->u.new_order.price = px;
			c->u.new_order.qty = 1 + gv_test_below(&rng, 20);
			if (type == STOPL)
				c->u.new_order.stop_price = px;
			if (type == LIM && gv_test_below(&rng, 5) == 0)
				c->u.new_order.display_qty =
					1 + gv_test_below(&rng, 3);
			c->u.new_order.stp = (uint8_t)gv_test_below(&rng, 5);
		} else if (k < 80) {
			c->type = GV_CMD_CANCEL;
			c->u.cancel.cl_ord_id =
				1 + gv_test_below(&rng, cl[sess]);
		} else if (k < 95) {
			c->type = GV_CMD_REPLACE;
			c->u.replace.orig_cl_ord_id =
				1 + gv_test_below(&rng, cl[sess]);
			c->u.replace.new_cl_ord_id = ++cl[sess];
			c->u.replace.new_price =
				95 + (int64_t)gv_test_below(&rng, 11);
			c->u.replace.new_qty = 1 + gv_test_below(&rng, 20);
		} else if (k < 97) {
			c->type = GV_CMD_MASS_CANCEL;
			c->u.mass_cancel.side = (uint8_t)gv_test_below(&rng, 3);
		} else if (k < 98) {
			c->type = GV_CMD_END_OF_DAY;
			c->session = 0;
		} else {
			c->type = GV_CMD_SESSION_CANCEL_ALL;
			c->u.cancel_all.reason = GV_CXL_COD;
		}
	}
	return n;
}

#define SCRIPT_LEN 400

static void play(struct tb *x, const struct gv_cmd *cmds, uint32_t n,
                 uint64_t *hashes)
{
	uint32_t i;

	cur = x;
	for (i = 0; i < n; i++) {
		struct gv_cmd c = cmds[i];

		run_cmd(__LINE__, &c);
		if (hashes != NULL)
			hashes[i] = gv_book_hash(x->b);
	}
}

static void test_determinism(void)
{
	static struct gv_cmd cmds[SCRIPT_LEN];
	static uint64_t h0[SCRIPT_LEN], h1[SCRIPT_LEN];
	uint64_t seed = gv_test_seed(20261121);
	uint32_t i, diff = 0;

	make_script(cmds, SCRIPT_LEN, seed);
	open_tb(&g_tb[0], 256, 64, EVBUF_MAX);
	open_tb(&g_tb[1], 256, 64, EVBUF_MAX);
	play(&g_tb[0], cmds, SCRIPT_LEN, h0);
	play(&g_tb[1], cmds, SCRIPT_LEN, h1);
	CU_ASSERT(g_tb[0].log.n > SCRIPT_LEN);
	CU_ASSERT(gv_book_counter(g_tb[0].b, GV_CNT_FILLS) > 10);
	CU_ASSERT_EQUAL(g_tb[0].log.n, g_tb[1].log.n);
	CU_ASSERT(memcmp(g_tb[0].log.ev, g_tb[1].log.ev,
	                 (size_t)g_tb[0].log.n * sizeof(struct gv_event)) == 0);
	for (i = 0; i < SCRIPT_LEN; i++)
		diff += h0[i] != h1[i];
	CU_ASSERT_EQUAL(diff, 0);
	CU_ASSERT_EQUAL(gv_book_hash(g_tb[0].b), gv_book_hash(g_tb[1].b));
	close_book();
}

static void test_hash_follows_state(void)
{
	struct ord a;
	uint64_t h0, h1, h2;

	open_tb(&g_tb[0], 64, 64, EVBUF_MAX);
	open_tb(&g_tb[1], 64, 64, EVBUF_MAX);
	CU_ASSERT_EQUAL(gv_book_hash(g_tb[0].b), gv_book_hash(g_tb[1].b));
	cur = &g_tb[0];
	h0 = gv_book_hash(cur->b);
	a = REST(S1, BUY, 100, 5);
	h1 = gv_book_hash(cur->b);
	CU_ASSERT_NOT_EQUAL(h0, h1);
	EXPECT_N(REPLACE(S1, a.cl, 100, 4), 2);
	h2 = gv_book_hash(cur->b);
	CU_ASSERT_NOT_EQUAL(h1, h2);
	/* Same orders at another price: another hash. */
	cur = &g_tb[1];
	a = REST(S1, BUY, 101, 5);
	CU_ASSERT_NOT_EQUAL(gv_book_hash(g_tb[1].b), h1);
	close_book();
}

/* With an event buffer of 1, 2 or 3 entries the flush callback sees the
 * same events in the same order as with a big one. */
static void test_evbuf_flush_small_buffers(void)
{
	static struct gv_cmd cmds[SCRIPT_LEN];
	uint32_t cap;

	make_script(cmds, SCRIPT_LEN, 7);
	open_tb(&g_tb[0], 256, 64, EVBUF_MAX);
	play(&g_tb[0], cmds, SCRIPT_LEN, NULL);
	for (cap = 1; cap <= 3; cap++) {
		open_tb(&g_tb[1], 256, 64, cap);
		play(&g_tb[1], cmds, SCRIPT_LEN, NULL);
		check(__LINE__, g_tb[1].log.n == g_tb[0].log.n,
		      "cap %u: %u events, want %u", cap, g_tb[1].log.n,
		      g_tb[0].log.n);
		check(__LINE__,
		      g_tb[1].log.n == g_tb[0].log.n &&
		              memcmp(g_tb[0].log.ev, g_tb[1].log.ev,
		                     (size_t)g_tb[0].log.n *
		                             sizeof(struct gv_event)) == 0,
		      "cap %u: the events differ", cap);
		CU_ASSERT_EQUAL(gv_book_hash(g_tb[0].b),
		                gv_book_hash(g_tb[1].b));
		close_tb(&g_tb[1]);
	}
	close_book();
}

/* ---- the suite -------------------------------------------------------- */

static const struct gv_test tests[] = {
	GV_TEST(test_limit_rests),
	GV_TEST(test_cross_trades_at_resting_price),
	GV_TEST(test_partial_fill_rests_remainder),
	GV_TEST(test_sweep_several_levels),
	GV_TEST(test_price_time_priority),
	GV_TEST(test_cancel_middle_keeps_fifo),
	GV_TEST(test_partial_fill_keeps_queue_position),
	GV_TEST(test_cancel),
	GV_TEST(test_replace_keeps_priority),
	GV_TEST(test_replace_bigger_qty_loses_priority),
	GV_TEST(test_replace_new_price_loses_priority),
	GV_TEST(test_replace_after_partial_fill),
	GV_TEST(test_replace_crossing_trades),
	GV_TEST(test_replace_rejects),
	GV_TEST(test_replace_qty_limits),
	GV_TEST(test_ioc_remainder_never_rests),
	GV_TEST(test_fok_fills_completely),
	GV_TEST(test_fok_unfilled_changes_nothing),
	GV_TEST(test_fok_unfilled_because_of_own_orders),
	GV_TEST(test_fok_own_order_behind),
	GV_TEST(test_fok_with_iceberg),
	GV_TEST(test_market_orders),
	GV_TEST(test_market_bounded_by_band_buy),
	GV_TEST(test_market_bounded_by_band_sell),
	GV_TEST(test_price_band_edges),
	GV_TEST(test_qty_price_notional_limits),
	GV_TEST(test_end_of_day_expires_day_orders),
	GV_TEST(test_post_only),
	GV_TEST(test_post_only_replace),
	GV_TEST(test_iceberg_refresh_goes_to_back),
	GV_TEST(test_iceberg_same_aggressor_takes_new_slices),
	GV_TEST(test_iceberg_as_aggressor),
	GV_TEST(test_iceberg_rules),
	GV_TEST(test_iceberg_replace_shrinks_hidden_first),
	GV_TEST(test_stop_pending_then_triggers_buy),
	GV_TEST(test_stop_triggers_sell),
	GV_TEST(test_stop_already_true_on_arrival),
	GV_TEST(test_stops_run_in_acceptance_order),
	GV_TEST(test_stop_cascade),
	GV_TEST(test_sell_stop_waits_for_first_trade),
	GV_TEST(test_stops_checked_when_order_done),
	GV_TEST(test_triggered_stop_stp),
	GV_TEST(test_stop_triggered_by_replace),
	GV_TEST(test_triggered_stop_bounded_by_band),
	GV_TEST(test_triggered_day_stop_limit_expires),
	GV_TEST(test_stop_rules),
	GV_TEST(test_session_cancels_across_instruments),
	GV_TEST(test_mass_cancel),
	GV_TEST(test_halt_resume),
	GV_TEST(test_stp_cancel_newest),
	GV_TEST(test_stp_cancel_oldest),
	GV_TEST(test_stp_cancel_both),
	GV_TEST(test_stp_decrement_incoming_larger),
	GV_TEST(test_stp_decrement_resting_larger),
	GV_TEST(test_stp_decrement_equal),
	GV_TEST(test_stp_decrement_iceberg),
	GV_TEST(test_stp_on_replace),
	GV_TEST(test_stp_cancel_oldest_iceberg),
	GV_TEST(test_stp_scope_and_none_default),
	GV_TEST(test_cancel_on_disconnect),
	GV_TEST(test_kill_switch),
	GV_TEST(test_cl_ord_id_strictly_increasing),
	GV_TEST(test_throttled),
	GV_TEST(test_every_reject_reason),
	GV_TEST(test_validation_order_new),
	GV_TEST(test_validation_order_replace),
	GV_TEST(test_capacity_and_recovery),
	GV_TEST(test_level_page_capacity),
	GV_TEST(test_identifiers),
	GV_TEST(test_bad_commands_counted_without_event),
	GV_TEST(test_session_zero_is_bad_command),
	GV_TEST(test_instrument_and_session_views),
	GV_TEST(test_counters),
	GV_TEST(test_determinism),
	GV_TEST(test_hash_follows_state),
	GV_TEST(test_evbuf_flush_small_buffers),
};

int main(void)
{
	return gv_test_main("book", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
