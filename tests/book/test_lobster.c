/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lobster.c - replay real NASDAQ order flow (LOBSTER sample, AAPL
 * 2012-06-21, the first events of the day) through gavel's book and check,
 * after every event, that gavel's ten best levels per side (price and
 * displayed size) equal LOBSTER's orderbook line for that event.
 *
 * argv[1] is the data directory (../shared/data/lobster from meson); it must
 * hold one *_message_10.csv and its *_orderbook_10.csv. Absent: skip (77).
 *
 * Replay, one gavel command (or a few) per LOBSTER event:
 *   prices       LOBSTER dollars x 10000 -> ticks of $0.01 (/100, exact).
 *   1 new        NEW GTC limit from the maker session of its side (buy and
 *                sell makers are separate sessions and accounts).
 *   2 partial    REPLACE at the same price to open - size; must come back
 *     cancel     REPLACED with priority_kept = 1.
 *   3 delete     CANCEL; the size must equal gavel's open quantity.
 *   4 execution  IOC limit of the opposite side, at that price, for that
 *                size, from a taker session/account. It must fill in full,
 *                at that price, against that very order (so gavel's FIFO
 *                must agree with NASDAQ's: the order is the head of its
 *                level), and nothing else.
 *   5 hidden     nothing (no visible change): the orderbook line must equal
 *     execution  the previous one. 6 cross trade: the same.
 *   7 halt       price -1: HALT, 1: RESUME, 0 (quote-only): nothing.
 *
 * Pre-existing liquidity. The book is not empty at 09:30. The state before
 * event 1 is orderbook line 1 with event 1 undone; it is seeded as one GTC
 * order per level from a seed session/account, before any replayed order,
 * so a seed is at the head of its level, as the older real orders are. A
 * delete or partial cancel of an unknown LOBSTER id (a pre-existing order)
 * cuts the seed orders at that price (REPLACE keeping priority, or CANCEL
 * at 0), newest seed first; an execution of an unknown id is the taker IOC
 * above, and every share it fills must come from seed orders. Only the
 * aggregate of a level is observable, so one seed order stands for all the
 * real orders it replaces; what is checked is that aggregate.
 *
 * Levels beyond the tenth. LOBSTER's 10-level message file carries only the
 * events that touch the ten visible levels: an order added, cancelled or
 * deleted deeper than that is absent from it (at event 13 the ask level
 * $587.65 x 1160, pushed to the 11th place by event 4, comes back into view
 * empty with no event that deletes it). So gavel's book is trusted only in
 * the region the previous orderbook line showed: per side, the prices at or
 * better than that line's 10th level (the "frontier"; the whole side when
 * the line showed fewer than 10 levels). After each event, levels of the new
 * line beyond the previous frontier (come into view because better levels
 * went) are resynchronised from the line: gavel's levels there are cut to
 * LOBSTER's size from the back of the queue (newest order first; a replayed
 * order cut to 0 is forgotten, as NASDAQ dropped it unseen), or topped up
 * with a new seed order at the back. Those level positions are counted as
 * "resync" and not as verified comparisons; every other position of the 20
 * per event is a verified comparison, and all 20 must then be equal.
 * Resync can only ever touch prices nobody could see one event earlier. A
 * resync seed joins the back of its level, which may not be where NASDAQ
 * had that liquidity; an execution that then disagreed would fail the FIFO
 * check above rather than pass silently (none does in this sample). An
 * event on an unknown id at an unseen price changes nothing (counted).
 *
 * Event 1's positions count as verified although its line is where the
 * seed comes from: they check only that event 1 is applied right.
 *
 * With the AAPL sample (999 records: the last line has no newline, so
 * `wc -l` says 998): 19,980 positions, 19,662 verified, 318 resync, of
 * which 14 levels needed a change (11 topped up, 3 cut); 98 executions,
 * 20 of them at the head of a queue of 2 or more orders.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gv_book.h"
#include "gv_test.h"

enum {
	MAX_EVENTS = 4096,     /* messages (and orderbook lines) loaded */
	LEVELS = 10,           /* levels per side in an orderbook line */
	MAX_DEPTH = 512,       /* levels fetched from gavel per side */
	MAX_AT_PRICE = 256,    /* orders inspected at one price */
	ID_SLOTS = 16384,      /* LOBSTER id table, open addressing */
	CAP_EVENTS = 1024,     /* events one command may produce */
	EVBUF = 64,            /* the engine's output buffer */
	LINE_MAX_LEN = 1024,
};

GV_STATIC_ASSERT(GV_IS_POW2(ID_SLOTS), "id table is a power of two");
GV_STATIC_ASSERT(ID_SLOTS >= 2 * MAX_EVENTS, "id table at most half full");

#define SYM          1u
#define PRICE_UNIT   100        /* LOBSTER price units per $0.01 tick */
#define LOB_NO_ASK   9999999999LL
#define LOB_NO_BID   (-9999999999LL)
/* 2012-06-21 00:00:00 UTC; LOBSTER times are seconds after midnight. */
#define DAY_EPOCH_NS (1340236800ull * 1000000000ull)

enum { SES_BUY = 1, SES_SELL = 2, SES_SEED = 3, SES_TAKER = 4 };
enum { BID = 0, ASK = 1 }; /* side index: gv side - 1 */

struct lob_msg {
	uint64_t ts_ns;
	int type;
	uint64_t id;
	uint64_t size;
	int64_t price;          /* ticks (types 1-6); raw for type 7 */
	uint8_t side;           /* enum gv_side */
	char text[96];          /* the CSV line, for messages */
};

struct lob_level {
	int64_t price;          /* ticks */
	uint64_t qty;
};

struct lob_line {
	struct lob_level lvl[2][LEVELS]; /* [BID|ASK][best first] */
	uint32_t n[2];
};

/* A replayed (known) LOBSTER order and the gavel order standing for it. */
struct known {
	uint64_t lob_id;        /* 0: empty slot */
	uint64_t cl_ord_id;     /* current one (REPLACE changes it) */
	uint64_t order_id;
	uint32_t session;
	uint8_t side;
	uint8_t live;           /* 0: done (a tombstone in the table) */
	int64_t price;
};

struct stats {
	uint64_t by_type[8];
	uint64_t verified;      /* level positions compared and equal */
	uint64_t resync_pos;    /* positions beyond the previous frontier */
	uint64_t resync_add_lv, resync_add_qty;
	uint64_t resync_cut_lv, resync_cut_qty, resync_dropped;
	uint64_t unknown_ids;   /* events on pre-existing orders */
	uint64_t unknown_deep;  /* ... beyond the frontier: nothing to do */
	uint64_t unchanged_lines; /* type 5/6/7 lines equal to the previous */
	uint64_t fills;         /* maker fills seen in replayed executions */
	uint64_t fifo_queued;   /* executions at a level of 2+ orders */
	uint64_t seed_orders, seed_qty;
	uint64_t checks;        /* gv_book_check() calls, all 0 */
};

struct replay {
	struct gv_book *b;
	struct gv_evbuf out;
	struct gv_event buf[EVBUF];
	struct gv_event ev[CAP_EVENTS]; /* the last command's events */
	uint32_t n_ev;
	bool ev_overflow;
	uint64_t next_cl;       /* one counter: increasing in every session */
	uint64_t ts_ns;
	int64_t frontier[2];    /* see the design comment */
	bool whole[2];          /* the previous line showed the whole side */
	struct known ids[ID_SLOTS];
	struct stats st;
	char why[512];
};

static const char *g_dir;
static struct lob_msg g_msg[MAX_EVENTS];
static struct lob_line g_line[MAX_EVENTS];
static uint32_t g_n;
static struct replay g_r;

/* ---- loading ------------------------------------------------------------ */

static int find_files(const char *dir, char *msg, char *book, size_t len)
{
	static const char suffix[] = "_message_10.csv";
	size_t sl = sizeof(suffix) - 1;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = -1;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);

		if (nl <= sl || strcmp(de->d_name + nl - sl, suffix) != 0)
			continue;
		snprintf(msg, len, "%s/%s", dir, de->d_name);
		snprintf(book, len, "%s/%.*sorderbook_10.csv", dir,
		         (int)(nl - sl + 1), de->d_name);
		rc = access(msg, R_OK) == 0 && access(book, R_OK) == 0 ? 0 : -1;
		break;
	}
	closedir(d);
	return rc;
}

/* "34200.004241176" -> ns since the epoch, with no floating point. */
static int parse_time(const char *s, uint64_t *ns)
{
	char *end;
	uint64_t sec = strtoull(s, &end, 10), frac = 0;
	int digits = 0;

	if (end == s)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 9)
				frac = frac * 10 + (uint64_t)(*end - '0');
	if (*end != ',')
		return -1;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = DAY_EPOCH_NS + sec * 1000000000ull + frac;
	return 0;
}

static int to_ticks(int64_t lob_price, int64_t *ticks)
{
	if (lob_price <= 0 || lob_price % PRICE_UNIT != 0)
		return -1;
	*ticks = lob_price / PRICE_UNIT;
	return 0;
}

static int parse_msg(const char *line, struct lob_msg *m)
{
	long long f[5];
	const char *p = strchr(line, ',');
	int i;

	if (p == NULL || parse_time(line, &m->ts_ns) != 0)
		return -1;
	for (i = 0; i < 5; i++) {
		char *end;

		if (*p != ',')
			return -1;
		f[i] = strtoll(p + 1, &end, 10);
		if (end == p + 1)
			return -1;
		p = end;
	}
	m->type = (int)f[0];
	m->id = (uint64_t)f[1];
	m->size = (uint64_t)f[2];
	m->side = f[4] == 1 ? GV_SIDE_BUY : GV_SIDE_SELL;
	snprintf(m->text, sizeof(m->text), "%.*s", (int)strcspn(line, "\r\n"),
	         line);
	if (m->type < 1 || m->type > 7 || (f[4] != 1 && f[4] != -1))
		return -1;
	if (m->type == 7) {
		m->price = f[3];
		return 0;
	}
	return m->size == 0 || f[1] < 0 || to_ticks(f[3], &m->price) != 0
	               ? -1 : 0;
}

static int parse_pair(const char **p, bool last, long long *price,
                      long long *qty)
{
	char *end;

	*price = strtoll(*p, &end, 10);
	if (end == *p || *end != ',')
		return -1;
	*p = end + 1;
	*qty = strtoll(*p, &end, 10);
	if (end == *p || (!last && *end != ','))
		return -1;
	*p = end + 1;
	return 0;
}

/* ask_price_1, ask_size_1, bid_price_1, bid_size_1, ... to level 10. */
static int parse_book(const char *line, struct lob_line *l)
{
	const char *p = line;
	int lv, si;

	memset(l, 0, sizeof(*l));
	for (lv = 0; lv < LEVELS; lv++) {
		for (si = ASK; si >= BID; si--) {
			bool last = lv == LEVELS - 1 && si == BID;
			long long price, qty;

			if (parse_pair(&p, last, &price, &qty) != 0)
				return -1;
			if (price == LOB_NO_ASK || price == LOB_NO_BID) {
				if (qty != 0)
					return -1;
				continue;
			}
			/* Empty levels only at the end of a side. */
			if ((uint32_t)lv != l->n[si] || qty <= 0 ||
			    to_ticks(price, &l->lvl[si][lv].price) != 0)
				return -1;
			l->lvl[si][lv].qty = (uint64_t)qty;
			l->n[si]++;
		}
	}
	return 0;
}

static int load_file(const char *path, bool is_book)
{
	char line[LINE_MAX_LEN];
	FILE *f = fopen(path, "r");
	uint32_t n = 0;
	int rc = 0;

	if (f == NULL)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		if (n == MAX_EVENTS) {
			rc = -1;
			break;
		}
		rc = is_book ? parse_book(line, &g_line[n])
		             : parse_msg(line, &g_msg[n]);
		if (rc != 0)
			fprintf(stderr, "%s:%u: cannot parse\n", path, n + 1);
		n++;
	}
	fclose(f);
	if (rc == 0 && !is_book)
		g_n = n;
	else if (rc == 0 && n != g_n)
		rc = -1;
	return rc;
}

/* ---- driving the engine ------------------------------------------------- */

static void capture(void *arg, const struct gv_event *ev, uint32_t n)
{
	struct replay *r = arg;
	uint32_t room = CAP_EVENTS - r->n_ev;

	if (n > room) {
		r->ev_overflow = true;
		n = room;
	}
	memcpy(&r->ev[r->n_ev], ev, n * sizeof(*ev));
	r->n_ev += n;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int apply(struct replay *r, struct gv_cmd *c)
{
	c->ts_ns = r->ts_ns;
	r->n_ev = 0;
	r->ev_overflow = false;
	gv_book_apply(r->b, c, &r->out);
	if (r->out.n != 0) {
		r->out.flush(r->out.arg, r->out.ev, r->out.n);
		r->out.n = 0;
	}
	if (r->ev_overflow)
		return fail(r, "more than %d events for one command",
		            CAP_EVENTS);
	if (r->n_ev == 0)
		return fail(r, "command type %u: no event", c->type);
	if (r->ev[0].type == GV_EV_REJECTED)
		return fail(r, "command type %u rejected, reason %u", c->type,
		            r->ev[0].u.ord.reason);
	return 0;
}

static uint64_t cl_next(struct replay *r)
{
	return r->next_cl++;
}

/* NEW limit order; ACCEPTED first, its order_id in *order_id. */
static int new_limit(struct replay *r, uint32_t session, uint8_t side,
                     uint8_t tif, int64_t price, uint64_t qty,
                     uint64_t *cl_ord_id, uint64_t *order_id)
{
	struct gv_cmd c = { .type = GV_CMD_NEW, .session = session };

	c.u.new_order.symbol = SYM;
	c.u.new_order.side = side;
	c.u.new_order.type = GV_TYPE_LIMIT;
	c.u.new_order.tif = tif;
	c.u.new_order.cl_ord_id = cl_next(r);
	c.u.new_order.price = price;
	c.u.new_order.qty = qty;
	*cl_ord_id = c.u.new_order.cl_ord_id;
	if (apply(r, &c) != 0)
		return -1;
	if (r->ev[0].type != GV_EV_ACCEPTED)
		return fail(r, "NEW answered with event type %u",
		            r->ev[0].type);
	*order_id = r->ev[0].u.ord.order_id;
	return 0;
}

/* A resting order must rest in full, without trading. */
static int new_resting(struct replay *r, uint32_t session, uint8_t side,
                       int64_t price, uint64_t qty, uint64_t *cl_ord_id,
                       uint64_t *order_id)
{
	uint32_t i;

	if (new_limit(r, session, side, GV_TIF_GTC, price, qty, cl_ord_id,
	              order_id) != 0)
		return -1;
	for (i = 1; i < r->n_ev; i++)
		if (r->ev[i].type != GV_EV_MD_ADD)
			return fail(r, "resting NEW %" PRId64 " x %" PRIu64
			            " traded or was cancelled (event type %u)",
			            price, qty, r->ev[i].type);
	return 0;
}

static int cancel(struct replay *r, uint32_t session, uint64_t cl_ord_id,
                  uint64_t expect_qty)
{
	struct gv_cmd c = { .type = GV_CMD_CANCEL, .session = session };

	c.u.cancel.cl_ord_id = cl_ord_id;
	if (apply(r, &c) != 0)
		return -1;
	if (r->ev[0].type != GV_EV_CANCELLED ||
	    r->ev[0].u.ord.reason != GV_CXL_USER ||
	    r->ev[0].u.ord.qty != expect_qty)
		return fail(r, "CANCEL: event type %u reason %u qty %" PRIu64
		            ", expected CANCELLED USER qty %" PRIu64,
		            r->ev[0].type, r->ev[0].u.ord.reason,
		            r->ev[0].u.ord.qty, expect_qty);
	return 0;
}

/* Cut an order to new_qty (> 0) at its price, keeping priority. */
static int reduce(struct replay *r, uint32_t session, uint64_t cl_ord_id,
                  int64_t price, uint64_t new_qty, uint64_t *new_cl)
{
	struct gv_cmd c = { .type = GV_CMD_REPLACE, .session = session };

	c.u.replace.orig_cl_ord_id = cl_ord_id;
	c.u.replace.new_cl_ord_id = cl_next(r);
	c.u.replace.new_price = price;
	c.u.replace.new_qty = new_qty;
	*new_cl = c.u.replace.new_cl_ord_id;
	if (apply(r, &c) != 0)
		return -1;
	if (r->ev[0].type != GV_EV_REPLACED ||
	    r->ev[0].u.ord.priority_kept != 1 ||
	    r->ev[0].u.ord.open_qty != new_qty)
		return fail(r, "REPLACE to %" PRIu64 ": event type %u "
		            "priority_kept %u open %" PRIu64, new_qty,
		            r->ev[0].type, r->ev[0].u.ord.priority_kept,
		            r->ev[0].u.ord.open_qty);
	return 0;
}

/* ---- LOBSTER id table --------------------------------------------------- */

static struct known *id_slot(struct replay *r, uint64_t lob_id, bool insert)
{
	uint32_t h = (uint32_t)((lob_id * 0x9e3779b97f4a7c15ull) >> 40);
	uint32_t i;

	for (i = 0; i < ID_SLOTS; i++) {
		struct known *k = &r->ids[(h + i) & (ID_SLOTS - 1)];

		if (k->lob_id == lob_id)
			return k->live || insert ? k : NULL;
		if (k->lob_id == 0)
			return insert ? k : NULL;
	}
	return NULL;
}

static struct known *id_by_cl(struct replay *r, uint64_t cl_ord_id)
{
	uint32_t i;

	/* Rare (resync only): a scan is fine. */
	for (i = 0; i < ID_SLOTS; i++)
		if (r->ids[i].live && r->ids[i].cl_ord_id == cl_ord_id)
			return &r->ids[i];
	return NULL;
}

/* ---- book views --------------------------------------------------------- */

struct at_price {
	int64_t price;
	uint32_t n;
	bool overflow;
	struct gv_order_view o[MAX_AT_PRICE];
};

static void collect(void *arg, const struct gv_order_view *o)
{
	struct at_price *a = arg;

	if (o->price != a->price)
		return;
	if (a->n == MAX_AT_PRICE) {
		a->overflow = true;
		return;
	}
	a->o[a->n++] = *o;
}

/* The orders resting at one price, in time priority. */
static int orders_at(struct replay *r, uint8_t side, int64_t price,
                     struct at_price *a)
{
	a->price = price;
	a->n = 0;
	a->overflow = false;
	if (gv_book_foreach_order(r->b, SYM, side, collect, a) < 0 ||
	    a->overflow)
		return fail(r, "cannot list the orders at %" PRId64, price);
	return 0;
}

/* Buy: higher is better; sell: lower is better. */
static bool at_or_better(int si, int64_t a, int64_t b)
{
	return si == BID ? a >= b : a <= b;
}

static bool beyond_frontier(const struct replay *r, int si, int64_t price)
{
	return !r->whole[si] && !at_or_better(si, price, r->frontier[si]);
}

static void set_frontier(struct replay *r, const struct lob_line *l)
{
	int si;

	for (si = BID; si <= ASK; si++) {
		r->whole[si] = l->n[si] < LEVELS;
		r->frontier[si] = r->whole[si] ? 0 : l->lvl[si][LEVELS - 1].price;
	}
}

/* ---- replaying one event ------------------------------------------------ */

/*
 * Cut `qty` from the orders at a price, newest first; with seeds_only, only
 * the seed (pre-existing) orders. Orders cut to 0 are cancelled; a known
 * order cancelled here is forgotten.
 */
static int cut_level(struct replay *r, uint8_t side, int64_t price,
                     uint64_t qty, bool seeds_only)
{
	static struct at_price a;
	uint32_t i;

	if (orders_at(r, side, price, &a) != 0)
		return -1;
	for (i = a.n; i-- > 0 && qty > 0;) {
		const struct gv_order_view *o = &a.o[i];
		uint64_t cut = GV_MIN(qty, o->open_qty), new_cl;
		struct known *k;

		if (seeds_only && o->session != SES_SEED)
			continue;
		k = o->session == SES_SEED ? NULL : id_by_cl(r, o->cl_ord_id);
		if (cut == o->open_qty) {
			if (cancel(r, o->session, o->cl_ord_id, cut) != 0)
				return -1;
			if (k != NULL) {
				k->live = 0;
				r->st.resync_dropped++;
			}
		} else {
			if (reduce(r, o->session, o->cl_ord_id, price,
			           o->open_qty - cut, &new_cl) != 0)
				return -1;
			if (k != NULL)
				k->cl_ord_id = new_cl;
		}
		qty -= cut;
	}
	if (qty != 0)
		return fail(r, "%" PRIu64 " lots more than the %s orders at "
		            "%" PRId64, qty, seeds_only ? "seed" : "resting",
		            price);
	return 0;
}

static int add_seed(struct replay *r, uint8_t side, int64_t price,
                    uint64_t qty)
{
	uint64_t cl, oid;

	r->st.seed_orders++;
	r->st.seed_qty += qty;
	return new_resting(r, SES_SEED, side, price, qty, &cl, &oid);
}

/*
 * Type 4: a marketable IOC from the taker, at the price, for the size. The
 * orders it must hit are the level's head: `k` alone, or seed orders.
 */
static int execute(struct replay *r, const struct lob_msg *m,
                   const struct known *k)
{
	static struct at_price a;
	uint8_t taker = m->side == GV_SIDE_BUY ? GV_SIDE_SELL : GV_SIDE_BUY;
	uint64_t cl, oid, need = m->size, taken = 0, made = 0;
	uint32_t i;

	if (orders_at(r, m->side, m->price, &a) != 0)
		return -1;
	for (i = 0; i < a.n && need > 0; i++) {
		const struct gv_order_view *o = &a.o[i];

		if (k != NULL ? o->order_id != k->order_id
		              : o->session != SES_SEED)
			return fail(r, "FIFO disagrees: position %u at the level"
			            " is gavel order %" PRIu64 " (session %u),"
			            " NASDAQ executed %s", i + 1, o->order_id,
			            o->session,
			            k != NULL ? "the replayed order" : "a seed");
		need -= GV_MIN(need, o->open_qty);
	}
	if (need != 0)
		return fail(r, "execution of %" PRIu64 ": level too small",
		            m->size);
	r->st.fifo_queued += a.n > 1;
	if (new_limit(r, SES_TAKER, taker, GV_TIF_IOC, m->price, m->size, &cl,
	              &oid) != 0)
		return -1;
	for (i = 1; i < r->n_ev; i++) {
		const struct gv_event *e = &r->ev[i];

		if (e->type == GV_EV_MD_EXEC)
			continue;
		if (e->type != GV_EV_FILL || e->u.ord.price != m->price)
			return fail(r, "execution: unexpected event type %u "
			            "(price %" PRId64 ")", e->type,
			            e->u.ord.price);
		if (e->u.ord.liquidity == GV_LIQ_TAKER) {
			taken += e->u.ord.qty;
			continue;
		}
		if (k != NULL ? e->u.ord.order_id != k->order_id
		              : e->session != SES_SEED)
			return fail(r, "execution filled gavel order %" PRIu64
			            " (session %u), not the one NASDAQ did",
			            e->u.ord.order_id, e->session);
		made += e->u.ord.qty;
		r->st.fills++;
	}
	if (taken != m->size || made != m->size)
		return fail(r, "execution of %" PRIu64 ": taker filled %" PRIu64
		            ", makers %" PRIu64, m->size, taken, made);
	return 0;
}

static int on_new(struct replay *r, const struct lob_msg *m)
{
	struct known *k = id_slot(r, m->id, true);

	if (k == NULL || k->live)
		return fail(r, "LOBSTER id %" PRIu64 " reused or table full",
		            m->id);
	k->lob_id = m->id;
	k->session = m->side == GV_SIDE_BUY ? SES_BUY : SES_SELL;
	k->side = m->side;
	k->price = m->price;
	k->live = 1;
	return new_resting(r, k->session, m->side, m->price, m->size,
	                   &k->cl_ord_id, &k->order_id);
}

static int open_qty(struct replay *r, const struct known *k, uint64_t *qty)
{
	static struct at_price a;
	uint32_t i;

	if (orders_at(r, k->side, k->price, &a) != 0)
		return -1;
	for (i = 0; i < a.n; i++)
		if (a.o[i].order_id == k->order_id) {
			*qty = a.o[i].open_qty;
			return 0;
		}
	return fail(r, "replayed order %" PRIu64 " not in the book",
	            k->order_id);
}

/* Types 2, 3, 4 on an order this replay added. */
static int on_known(struct replay *r, const struct lob_msg *m,
                    struct known *k)
{
	uint64_t open = 0, new_cl;

	if (k->side != m->side || k->price != m->price)
		return fail(r, "event side/price differ from order %" PRIu64,
		            m->id);
	if (open_qty(r, k, &open) != 0)
		return -1;
	if (m->size > open || (m->type == 3 && m->size != open))
		return fail(r, "size %" PRIu64 " vs open %" PRIu64, m->size,
		            open);
	if (m->type == 4) {
		if (execute(r, m, k) != 0)
			return -1;
	} else if (m->size == open) {
		if (cancel(r, k->session, k->cl_ord_id, open) != 0)
			return -1;
	} else {
		if (reduce(r, k->session, k->cl_ord_id, k->price,
		           open - m->size, &new_cl) != 0)
			return -1;
		k->cl_ord_id = new_cl;
	}
	if (m->size == open)
		k->live = 0;
	return 0;
}

/* Types 2, 3, 4 on an order that rested before the file starts. */
static int on_unknown(struct replay *r, const struct lob_msg *m)
{
	r->st.unknown_ids++;
	if (beyond_frontier(r, m->side - 1, m->price)) {
		/* Unseen level: resync fixes it if it comes into view. */
		r->st.unknown_deep++;
		return 0;
	}
	if (m->type == 4)
		return execute(r, m, NULL);
	return cut_level(r, m->side, m->price, m->size, true);
}

static int on_admin(struct replay *r, const struct lob_msg *m)
{
	struct gv_cmd c = { .type = 0 };

	if (m->type == 7 && m->price != 0) {
		c.type = m->price < 0 ? GV_CMD_HALT : GV_CMD_RESUME;
		c.u.instrument.symbol = SYM;
		if (apply(r, &c) != 0)
			return -1;
		if (r->ev[0].type != GV_EV_MD_TRADING_STATE)
			return fail(r, "HALT/RESUME: event type %u",
			            r->ev[0].type);
	}
	return 0;
}

static int apply_msg(struct replay *r, const struct lob_msg *m)
{
	struct known *k;

	r->ts_ns = m->ts_ns;
	r->st.by_type[m->type]++;
	switch (m->type) {
	case 1:
		return on_new(r, m);
	case 2:
	case 3:
	case 4:
		k = id_slot(r, m->id, false);
		return k != NULL ? on_known(r, m, k) : on_unknown(r, m);
	default:
		return on_admin(r, m);
	}
}

/* ---- checking against the orderbook line -------------------------------- */

static uint64_t line_qty(const struct lob_line *l, int si, int64_t price)
{
	uint32_t j;

	for (j = 0; j < l->n[si]; j++)
		if (l->lvl[si][j].price == price)
			return l->lvl[si][j].qty;
	return 0;
}

static int depth(struct replay *r, int si, struct gv_level_view *lv)
{
	int n = gv_book_depth(r->b, SYM, (enum gv_side)(si + 1), lv, MAX_DEPTH);

	if (n < 0 || n == MAX_DEPTH)
		return fail(r, "gv_book_depth: %d", n);
	return n;
}

/* Levels beyond the previous frontier take LOBSTER's sizes. */
static int resync_side(struct replay *r, const struct lob_line *l, int si)
{
	static struct gv_level_view lv[MAX_DEPTH];
	uint8_t side = (uint8_t)(si + 1);
	bool full = l->n[si] == LEVELS;
	int n, i;
	uint32_t j;

	if ((n = depth(r, si, lv)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t want = line_qty(l, si, lv[i].price);

		if (full && !at_or_better(si, lv[i].price,
		                          l->lvl[si][LEVELS - 1].price))
			break;
		if (!beyond_frontier(r, si, lv[i].price) ||
		    lv[i].visible_qty <= want)
			continue;
		r->st.resync_cut_lv++;
		r->st.resync_cut_qty += lv[i].visible_qty - want;
		if (cut_level(r, side, lv[i].price, lv[i].visible_qty - want,
		              false) != 0)
			return -1;
	}
	if ((n = depth(r, si, lv)) < 0)
		return -1;
	for (j = 0; j < l->n[si]; j++) {
		const struct lob_level *e = &l->lvl[si][j];
		uint64_t have = 0;

		if (!beyond_frontier(r, si, e->price))
			continue;
		for (i = 0; i < n; i++)
			if (lv[i].price == e->price)
				have = lv[i].visible_qty;
		if (have >= e->qty)
			continue;
		r->st.resync_add_lv++;
		r->st.resync_add_qty += e->qty - have;
		if (add_seed(r, side, e->price, e->qty - have) != 0)
			return -1;
	}
	return 0;
}

static void print_side(const char *what, const char *name,
                       const struct gv_level_view *lv, int n,
                       const struct lob_line *l, int si)
{
	int j;

	fprintf(stderr, "  %s %s:", what, name);
	if (lv != NULL)
		for (j = 0; j < n && j < LEVELS; j++)
			fprintf(stderr, " %" PRId64 "x%" PRIu64, lv[j].price,
			        lv[j].visible_qty);
	else
		for (j = 0; j < (int)l->n[si]; j++)
			fprintf(stderr, " %" PRId64 "x%" PRIu64,
			        l->lvl[si][j].price, l->lvl[si][j].qty);
	fprintf(stderr, "\n");
}

static void print_levels(struct replay *r, const struct lob_line *l)
{
	static struct gv_level_view lv[MAX_DEPTH];
	static const char *const names[2] = { "bids", "asks" };
	int si, n;

	for (si = BID; si <= ASK; si++) {
		n = gv_book_depth(r->b, SYM, (enum gv_side)(si + 1), lv,
		                  MAX_DEPTH);
		print_side("expected", names[si], NULL, 0, l, si);
		print_side("gavel   ", names[si], lv, n, l, si);
	}
}

/* The 10 best levels of one side equal the line's (after resync). */
static int compare_side(struct replay *r, const struct lob_line *l, int si)
{
	static struct gv_level_view lv[MAX_DEPTH];
	int n;
	uint32_t j;

	if ((n = depth(r, si, lv)) < 0)
		return -1;
	for (j = 0; j < LEVELS; j++) {
		bool have = j < (uint32_t)n, want = j < l->n[si];
		const struct lob_level *e = &l->lvl[si][j];

		if (want ? beyond_frontier(r, si, e->price) : !r->whole[si])
			r->st.resync_pos++;
		else
			r->st.verified++;
		if (have && lv[j].total_qty != lv[j].visible_qty)
			return fail(r, "hidden quantity at %" PRId64,
			            lv[j].price);
		if (have != want || (want && (lv[j].price != e->price ||
		                              lv[j].visible_qty != e->qty)))
			return fail(r, "%s level %u differs",
			            si == BID ? "bid" : "ask", j + 1);
	}
	return 0;
}

static int check_line(struct replay *r, uint32_t k)
{
	const struct lob_line *l = &g_line[k];
	int si;

	if (gv_book_check(r->b, r->why, sizeof(r->why)) != 0)
		return -1;
	r->st.checks++;
	if (g_msg[k].type >= 5 && k > 0) {
		if (memcmp(l, &g_line[k - 1], sizeof(*l)) != 0)
			return fail(r, "type %d changed the visible book",
			            g_msg[k].type);
		r->st.unchanged_lines++;
	}
	for (si = BID; si <= ASK; si++)
		if (resync_side(r, l, si) != 0 || compare_side(r, l, si) != 0)
			return -1;
	set_frontier(r, l);
	return 0;
}

/* ---- seeding ------------------------------------------------------------ */

/* Line 1 with event 1 undone: the visible book just before event 1. */
static int pre_state(struct replay *r, struct lob_line *s)
{
	const struct lob_msg *m = &g_msg[0];
	int si = m->side - 1;
	uint32_t j, n;

	*s = g_line[0];
	if (m->type > 4)
		return 0;
	n = s->n[si];
	for (j = 0; j < n && at_or_better(si, s->lvl[si][j].price, m->price) &&
	            s->lvl[si][j].price != m->price;
	     j++)
		;
	if (m->type == 1) {
		if (j == n || s->lvl[si][j].price != m->price ||
		    s->lvl[si][j].qty < m->size)
			return fail(r, "event 1 is not in line 1");
		s->lvl[si][j].qty -= m->size;
		if (s->lvl[si][j].qty == 0) {
			memmove(&s->lvl[si][j], &s->lvl[si][j + 1],
			        (n - j - 1) * sizeof(s->lvl[si][0]));
			s->n[si]--;
		}
		return 0;
	}
	if (j < n && s->lvl[si][j].price == m->price) {
		s->lvl[si][j].qty += m->size;
		return 0;
	}
	/* Event 1 removed a whole level: put it back (the 10th, if there
	 * were 10, falls out of the seeded view). */
	if (j == LEVELS)
		return 0;
	n = GV_MIN(n, LEVELS - 1);
	memmove(&s->lvl[si][j + 1], &s->lvl[si][j],
	        (n - j) * sizeof(s->lvl[si][0]));
	s->lvl[si][j].price = m->price;
	s->lvl[si][j].qty = m->size;
	s->n[si] = n + 1;
	return 0;
}

static int seed(struct replay *r)
{
	struct lob_line s;
	uint32_t j;
	int si;

	if (pre_state(r, &s) != 0)
		return -1;
	r->ts_ns = g_msg[0].ts_ns;
	for (si = BID; si <= ASK; si++)
		for (j = 0; j < s.n[si]; j++)
			if (add_seed(r, (uint8_t)(si + 1), s.lvl[si][j].price,
			             s.lvl[si][j].qty) != 0)
				return -1;
	/*
	 * Known down to line 1's 10th level (for event 1's own side too: the
	 * undo changed one level inside that range).
	 */
	set_frontier(r, &g_line[0]);
	return 0;
}

/* ---- the test ----------------------------------------------------------- */

static int setup_book(struct replay *r)
{
	struct gv_book_params bp = {
		.shard_id = 0,
		.max_orders = 2 * MAX_EVENTS,
		.max_sessions = 4,
		.max_instruments = 1,
		.max_level_pages = 256,
	};
	struct gv_instrument_params ip = {
		.id = SYM,
		.symbol = "AAPL",
		.min_qty_lots = 1,
		.max_qty_lots = 1000000,
		.max_price_ticks = 10000000, /* $100,000 */
		.max_notional = 0,
		.price_band_bps = 0,
		.reference_price_ticks = 0,
		.stp_default = GV_STP_NONE,
	};
	static const uint32_t sessions[] = { SES_BUY, SES_SELL, SES_SEED,
	                                     SES_TAKER };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->out.ev = r->buf;
	r->out.cap = EVBUF;
	r->out.flush = capture;
	r->out.arg = r;
	r->next_cl = 1;
	r->b = gv_book_create(&bp);
	if (r->b == NULL)
		return -1;
	if (gv_book_add_instrument(r->b, &ip) != 0)
		return -1;
	for (i = 0; i < GV_ARRAY_SIZE(sessions); i++)
		if (gv_book_add_session(r->b, sessions[i], 100 + sessions[i]))
			return -1;
	return 0;
}

static void print_summary(struct replay *r)
{
	const struct stats *s = &r->st;

	printf("lobster: %u events: new %" PRIu64 ", partial cancel %" PRIu64
	       ", delete %" PRIu64 ", execution %" PRIu64 ", hidden exec %"
	       PRIu64 ", cross %" PRIu64 ", halt %" PRIu64 "\n", g_n,
	       s->by_type[1], s->by_type[2], s->by_type[3], s->by_type[4],
	       s->by_type[5], s->by_type[6], s->by_type[7]);
	printf("lobster: level positions %u (20 per event): verified %" PRIu64
	       ", resync (beyond the previous line's 10th level) %" PRIu64
	       "\n", 2 * LEVELS * g_n, s->verified, s->resync_pos);
	printf("lobster: resync: %" PRIu64 " levels topped up (+%" PRIu64
	       " lots), %" PRIu64 " cut (-%" PRIu64 " lots, %" PRIu64
	       " replayed orders dropped)\n", s->resync_add_lv,
	       s->resync_add_qty, s->resync_cut_lv, s->resync_cut_qty,
	       s->resync_dropped);
	printf("lobster: seed orders %" PRIu64 " (%" PRIu64 " lots), events on "
	       "pre-existing orders %" PRIu64 " (%" PRIu64 " unseen, skipped)"
	       ", unchanged lines after type 5-7 %" PRIu64 "\n",
	       s->seed_orders, s->seed_qty, s->unknown_ids, s->unknown_deep,
	       s->unchanged_lines);
	printf("lobster: executions hitting the head of a queue of 2+ orders %"
	       PRIu64 "\n", s->fifo_queued);
	printf("lobster: maker fills in executions %" PRIu64 ", engine fills %"
	       PRIu64 ", volume %" PRIu64 ", book checks %" PRIu64
	       ", live orders %u, hash %016" PRIx64 "\n", s->fills,
	       gv_book_counter(r->b, GV_CNT_FILLS),
	       gv_book_counter(r->b, GV_CNT_VOLUME), s->checks,
	       gv_book_live_orders(r->b), gv_book_hash(r->b));
}

static void test_replay_matches_nasdaq_top10(void)
{
	struct replay *r = &g_r;
	uint32_t k;

	CU_ASSERT_FATAL(g_n > 0);
	CU_ASSERT_FATAL(setup_book(r) == 0);
	if (seed(r) != 0) {
		fprintf(stderr, "seeding: %s\n", r->why);
		CU_FAIL("seeding the pre-existing book failed");
		goto out_free_book;
	}
	for (k = 0; k < g_n; k++) {
		if (apply_msg(r, &g_msg[k]) == 0 && check_line(r, k) == 0)
			continue;
		fprintf(stderr, "lobster: event %u (%s): %s\n", k + 1,
		        g_msg[k].text, r->why);
		print_levels(r, &g_line[k]);
		break;
	}
	print_summary(r);
	/* CU_FAIL and CU_ASSERT are blocks: braces, not if/else alone. */
	if (k != g_n) {
		CU_FAIL("gavel's book differs from NASDAQ's (see above)");
	} else {
		CU_ASSERT_EQUAL(r->st.verified + r->st.resync_pos,
		                (uint64_t)2 * LEVELS * g_n);
	}
out_free_book:
	gv_book_free(r->b);
	r->b = NULL;
}

static const struct gv_test tests[] = {
	GV_TEST(test_replay_matches_nasdaq_top10),
};

int main(int argc, char **argv)
{
	char msg[4096], book[4096];

	if (argc < 2 || find_files(argv[1], msg, book, sizeof(msg)) != 0)
		gv_test_skip("no LOBSTER data (argv[1]: a directory with "
		             "*_message_10.csv and *_orderbook_10.csv)");
	g_dir = argv[1];
	if (load_file(msg, false) != 0 || load_file(book, true) != 0) {
		fprintf(stderr, "%s: bad LOBSTER data\n", g_dir);
		return 1;
	}
	return gv_test_main("lobster", tests, GV_ARRAY_SIZE(tests), NULL,
	                    NULL);
}
