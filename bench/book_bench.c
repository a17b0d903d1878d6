/* SPDX-License-Identifier: Apache-2.0 */
/*
 * book_bench.c - replay a lobstream v1 file (../shared/bench-stream.md)
 * through gavel's book and measure it (docs/benchmarks.md).
 *
 *   book_bench FILE [--runs K] [--cpu N]
 *
 * Structure:
 *  1. Parse the whole file into an array of struct gv_cmd, resolving every
 *     lobstream id to a GOE/1 cl_ord_id of one session: each A and I takes
 *     the next cl_ord_id, an R takes a fresh new_cl_ord_id and the id maps
 *     to it from then on; C and R carry the live cl_ord_id. A reverse map
 *     cl_ord_id -> lobstream id serves the checksum. The timed loops do
 *     nothing but gv_book_apply, the clock reads and the event consumer.
 *  2. Size the book with one untimed sizing replay (peak live orders);
 *     the benchmark books get max_orders = 2 x that peak.
 *  3. Each run, from fresh books: a latency pass (warm-up untimed, then a
 *     gv_clock_cycles() pair around every gv_book_apply, cycles stored in a
 *     preallocated array and converted at the end) and a throughput pass
 *     (warm-up, then the timed messages between two clock reads only, so
 *     the per-message stamps do not inflate it). Both must give the same
 *     result: line, and so must every run; otherwise exit 1.
 *
 * The event consumer is what a client of the engine does cheaply: it walks
 * every event, counts one fill per (aggressor, resting order) pair from
 * the MAKER-side FILL events, with volume and notional, and counts
 * rejects. Events are flushed after every command.
 *
 * The stream has one trader, so the instrument's stp_default is NONE:
 * self-trade prevention is off and does not change the result.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_book.h"
#include "gv_clock.h"
#include "gv_errno.h"

#define BENCH_SESSION    1u
#define BENCH_ACCOUNT    1u
#define BENCH_INSTRUMENT 1u
#define EVBUF_CAP        256u
#define PAGE_LEVELS_MIN  64u     /* smallest page a book might use */
#define OVERHEAD_SAMPLES 1000000u

/* ---- the parsed stream ------------------------------------------------- */

enum { MSG_A, MSG_C, MSG_I, MSG_R, MSG_KINDS };

struct stream {
	const char *path;
	uint64_t seed, warmup, n;   /* from the header; n = all messages */
	struct gv_cmd *cmd;         /* n commands, file order */
	uint8_t *kind;              /* MSG_* of each command */
	uint64_t *lob_id;           /* cl_ord_id -> lobstream id */
	uint64_t n_cl;              /* cl_ord_ids used (1..n_cl) */
	uint64_t kinds[MSG_KINDS];
	uint64_t pmin, pmax;        /* prices seen */
	uint64_t live_bound;        /* max over prefixes of #A - #C */
};

/* Live (added, not cancelled) lobstream ids, sorted: A ids increase. */
struct idmap {
	uint64_t *id;
	uint64_t *cl;               /* current cl_ord_id, 0 once cancelled */
	uint64_t n, cap;
};

struct parser {
	struct stream *st;
	struct idmap map;
	uint64_t lineno;
	uint64_t last_new_id;       /* A and I ids must increase */
	uint64_t nmsg, live;
	uint64_t cap_cl;
	const char *p;              /* cursor in the current line */
};

/* --offload: the matching step through this backend (NULL: none). */
static const char *g_offload;
static uint32_t g_offload_depth = 64;

struct bench_cfg {
	const char *path;
	unsigned runs;
	int cpu;                    /* -1 = not pinned */
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "book_bench: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "book_bench: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return q;
}

GV_NORETURN static void parse_fail(const struct parser *ps, const char *what)
{
	fprintf(stderr, "book_bench: %s:%" PRIu64 ": %s\n", ps->st->path,
	        ps->lineno, what);
	exit(1);
}

/* ---- tokens ---------------------------------------------------------- */

static void skip_blanks(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* A decimal number in 1..max, followed by a blank or the end of line. */
static uint64_t tok_u64(struct parser *ps, const char *name, uint64_t max)
{
	char msg[128];
	uint64_t v = 0;
	bool big = false;

	skip_blanks(ps);
	if (*ps->p < '0' || *ps->p > '9') {
		snprintf(msg, sizeof(msg), "expected %s (a number)", name);
		parse_fail(ps, msg);
	}
	while (*ps->p >= '0' && *ps->p <= '9') {
		uint64_t d = (uint64_t)(*ps->p++ - '0');

		if (v > (UINT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (*ps->p != '\0' && *ps->p != ' ' && *ps->p != '\t') {
		snprintf(msg, sizeof(msg), "bad character after %s", name);
		parse_fail(ps, msg);
	}
	if (big || v > max) {
		snprintf(msg, sizeof(msg), "%s too large (max %" PRIu64 ")",
		         name, max);
		parse_fail(ps, msg);
	}
	if (v < 1) {
		snprintf(msg, sizeof(msg), "%s %" PRIu64 " out of range 1..%"
		         PRIu64, name, v, max);
		parse_fail(ps, msg);
	}
	return v;
}

static uint8_t tok_side(struct parser *ps)
{
	uint8_t side;

	skip_blanks(ps);
	if (*ps->p == 'B')
		side = GV_SIDE_BUY;
	else if (*ps->p == 'S')
		side = GV_SIDE_SELL;
	else
		parse_fail(ps, "expected side B or S");
	ps->p++;
	if (*ps->p != ' ' && *ps->p != '\t')
		parse_fail(ps, "expected side B or S");
	return side;
}

static void tok_end(struct parser *ps)
{
	skip_blanks(ps);
	if (*ps->p != '\0')
		parse_fail(ps, "trailing characters");
}

/* ---- id map ---------------------------------------------------------- */

static void idmap_add(struct parser *ps, uint64_t id, uint64_t cl)
{
	struct idmap *m = &ps->map;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 65536;
		m->id = xrealloc(m->id, m->cap * sizeof(*m->id));
		m->cl = xrealloc(m->cl, m->cap * sizeof(*m->cl));
	}
	m->id[m->n] = id; /* ids increase, so the array stays sorted */
	m->cl[m->n] = cl;
	m->n++;
}

/* The live entry of `id`, or a parse error. */
static uint64_t *idmap_live(struct parser *ps, uint64_t id)
{
	const struct idmap *m = &ps->map;
	uint64_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (m->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n || m->id[lo] != id)
		parse_fail(ps, "order id was never added by an A "
		           "(an I never rests)");
	if (m->cl[lo] == 0)
		parse_fail(ps, "order id was already cancelled");
	return &m->cl[lo];
}

static uint64_t next_cl(struct parser *ps, uint64_t lob_id)
{
	struct stream *st = ps->st;

	if (st->n_cl + 1 >= ps->cap_cl) {
		ps->cap_cl = ps->cap_cl ? ps->cap_cl * 2 : 65536;
		st->lob_id = xrealloc(st->lob_id,
		                      ps->cap_cl * sizeof(*st->lob_id));
	}
	st->lob_id[++st->n_cl] = lob_id;
	return st->n_cl;
}

/* ---- messages -------------------------------------------------------- */

static void note_price(struct stream *st, uint64_t price)
{
	st->pmin = GV_MIN(st->pmin, price);
	st->pmax = GV_MAX(st->pmax, price);
}

/* A or I: a new limit order, GTC or IOC. */
static void parse_new(struct parser *ps, struct gv_cmd *c, bool ioc)
{
	uint64_t id = tok_u64(ps, "id", UINT64_MAX);
	uint8_t side = tok_side(ps);
	uint64_t price = tok_u64(ps, "price", GV_PRICE_MAX);
	uint64_t qty = tok_u64(ps, "qty", GV_QTY_MAX);

	tok_end(ps);
	if (id <= ps->last_new_id)
		parse_fail(ps, "A/I ids must be unique and increasing");
	ps->last_new_id = id;
	c->type = GV_CMD_NEW;
	c->u.new_order.symbol = BENCH_INSTRUMENT;
	c->u.new_order.side = side;
	c->u.new_order.type = GV_TYPE_LIMIT;
	c->u.new_order.tif = ioc ? GV_TIF_IOC : GV_TIF_GTC;
	c->u.new_order.cl_ord_id = next_cl(ps, id);
	c->u.new_order.price = (int64_t)price;
	c->u.new_order.qty = qty;
	note_price(ps->st, price);
	if (!ioc) { /* an IOC never rests: C and R cannot name it */
		idmap_add(ps, id, c->u.new_order.cl_ord_id);
		ps->live++;
		ps->st->live_bound = GV_MAX(ps->st->live_bound, ps->live);
	}
}

static void parse_cancel(struct parser *ps, struct gv_cmd *c)
{
	uint64_t id = tok_u64(ps, "id", UINT64_MAX);
	uint64_t *cl;

	tok_end(ps);
	cl = idmap_live(ps, id);
	c->type = GV_CMD_CANCEL;
	c->u.cancel.cl_ord_id = *cl;
	*cl = 0;
	ps->live--;
}

static void parse_replace(struct parser *ps, struct gv_cmd *c)
{
	uint64_t id = tok_u64(ps, "id", UINT64_MAX);
	uint64_t price = tok_u64(ps, "newprice", GV_PRICE_MAX);
	uint64_t qty = tok_u64(ps, "newqty", GV_QTY_MAX);
	uint64_t *cl;

	tok_end(ps);
	cl = idmap_live(ps, id);
	c->type = GV_CMD_REPLACE;
	c->u.replace.orig_cl_ord_id = *cl;
	c->u.replace.new_cl_ord_id = next_cl(ps, id);
	c->u.replace.new_price = (int64_t)price;
	c->u.replace.new_qty = qty;
	*cl = c->u.replace.new_cl_ord_id;
	note_price(ps->st, price);
}

static void parse_header(struct parser *ps, const char *line)
{
	struct stream *st = ps->st;
	int end = -1;

	if (sscanf(line, "# lobstream v1 seed=%" SCNu64 " warmup=%" SCNu64
	           " n=%" SCNu64 "%n", &st->seed, &st->warmup, &st->n,
	           &end) != 3 || end < 0 || line[end] != '\0')
		parse_fail(ps, "expected header "
		           "'# lobstream v1 seed=S warmup=W n=N'");
	if (st->warmup > st->n)
		parse_fail(ps, "warmup exceeds n (n counts every message, "
		           "the warm-up included)");
	if (st->n > (uint64_t)SIZE_MAX / sizeof(struct gv_cmd))
		parse_fail(ps, "n too large");
	st->cmd = xmalloc(st->n * sizeof(*st->cmd));
	st->kind = xmalloc(st->n);
}

static void parse_line(struct parser *ps, char *line)
{
	struct stream *st = ps->st;
	struct gv_cmd *c;
	char kind = line[0];

	if (ps->lineno == 1) {
		parse_header(ps, line);
		return;
	}
	if (ps->nmsg == st->n)
		parse_fail(ps, "more messages than the header's n");
	if (kind == '\0' || (line[1] != ' ' && line[1] != '\t'))
		parse_fail(ps, "expected a message: A, I, C or R and fields");
	c = &st->cmd[ps->nmsg];
	memset(c, 0, sizeof(*c));
	c->session = BENCH_SESSION;
	c->ts_ns = 1000000000ull + ps->nmsg; /* sequenced order, 1 ns apart */
	ps->p = line + 1;
	switch (kind) {
	case 'A':
		parse_new(ps, c, false);
		st->kinds[MSG_A]++;
		break;
	case 'I':
		parse_new(ps, c, true);
		st->kinds[MSG_I]++;
		break;
	case 'C':
		parse_cancel(ps, c);
		st->kinds[MSG_C]++;
		break;
	case 'R':
		parse_replace(ps, c);
		st->kinds[MSG_R]++;
		break;
	default:
		parse_fail(ps, "unknown message type (expected A, I, C or R)");
	}
	st->kind[ps->nmsg] = kind == 'A' ? MSG_A : kind == 'I' ? MSG_I
	                   : kind == 'C' ? MSG_C : MSG_R;
	ps->nmsg++;
}

static void stream_load(struct stream *st, const char *path)
{
	struct parser ps;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	memset(st, 0, sizeof(*st));
	memset(&ps, 0, sizeof(ps));
	st->path = path;
	st->pmin = UINT64_MAX;
	ps.st = st;
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "book_bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		ps.lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		                   line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len != strlen(line))
			parse_fail(&ps, "NUL byte in line");
		parse_line(&ps, line);
	}
	if (ferror(f)) {
		fprintf(stderr, "book_bench: %s: read error\n", path);
		exit(1);
	}
	ps.lineno++;
	if (ps.lineno == 1)
		parse_fail(&ps, "empty file (no lobstream header)");
	if (ps.nmsg != st->n) {
		char msg[128];

		snprintf(msg, sizeof(msg), "end of file after %" PRIu64
		         " messages; the header says n=%" PRIu64, ps.nmsg,
		         st->n);
		parse_fail(&ps, msg);
	}
	fclose(f);
	free(line);
	free(ps.map.id);
	free(ps.map.cl);
}

/* ---- the engine ------------------------------------------------------ */

struct sizing {
	uint32_t max_orders;
	uint32_t level_pages;
	uint64_t max_price;
	uint32_t peak_live;         /* from the sizing replay */
};

/* What a client of the engine does with the events, cheaply. */
struct consumer {
	uint64_t fills, volume, notional;
	uint64_t events;
	uint64_t rejected;
	uint16_t first_reject;      /* reason of the first REJECTED */
};

struct result {
	uint64_t fills, volume, notional;
	uint64_t resting;
	uint64_t checksum;
};

static void consume(void *arg, const struct gv_event *ev, uint32_t n)
{
	struct consumer *c = arg;
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct gv_event *e = &ev[i];

		if (e->type == GV_EV_FILL &&
		    e->u.ord.liquidity == GV_LIQ_MAKER) {
			c->fills++;
			c->volume += e->u.ord.qty;
			c->notional += e->u.ord.qty * (uint64_t)e->u.ord.price;
		} else if (gv_unlikely(e->type == GV_EV_REJECTED)) {
			if (c->rejected++ == 0)
				c->first_reject = e->u.ord.reason;
		}
	}
	c->events += n;
}

static void evbuf_init(struct gv_evbuf *eb, struct consumer *c)
{
	static struct gv_event ev[EVBUF_CAP] GV_CACHE_ALIGNED;

	memset(c, 0, sizeof(*c));
	eb->ev = ev;
	eb->n = 0;
	eb->cap = EVBUF_CAP;
	eb->flush = consume;
	eb->arg = c;
}

static inline void evbuf_drain(struct gv_evbuf *eb)
{
	if (eb->n != 0) {
		eb->flush(eb->arg, eb->ev, eb->n);
		eb->n = 0;
	}
}

static struct gv_book *book_make(const struct sizing *sz)
{
	struct gv_book_params bp = {
		.shard_id = 0,
		.max_orders = sz->max_orders,
		.max_sessions = 1,
		.max_instruments = 1,
		.max_level_pages = sz->level_pages,
		.offload = g_offload,
		.offload_params = { .depth = g_offload_depth },
	};
	struct gv_instrument_params ip = {
		.id = BENCH_INSTRUMENT,
		.symbol = "LOBBENCH",
		.min_qty_lots = 1,
		.max_qty_lots = GV_QTY_MAX,
		.max_price_ticks = sz->max_price,
		.max_notional = 0,          /* none */
		.price_band_bps = 0,        /* off */
		.reference_price_ticks = 0,
		.stp_default = GV_STP_NONE, /* one trader: no STP */
	};
	struct gv_book *b = gv_book_create(&bp);
	int rc;

	if (b == NULL) {
		fprintf(stderr, "book_bench: gv_book_create: %s\n",
		        gv_strerror(gv_errno));
		exit(1);
	}
	rc = gv_book_add_instrument(b, &ip);
	if (rc == 0)
		rc = gv_book_add_session(b, BENCH_SESSION, BENCH_ACCOUNT);
	if (rc != 0) {
		fprintf(stderr, "book_bench: book set-up: %s %s\n",
		        gv_strerror(rc), gv_book_offload_why(b));
		exit(1);
	}
	return b;
}

static void replay(struct gv_book *b, const struct gv_cmd *cmd, uint64_t from,
                   uint64_t to, struct gv_evbuf *eb)
{
	uint64_t i;

	for (i = from; i < to; i++) {
		gv_book_apply(b, &cmd[i], eb);
		evbuf_drain(eb);
	}
}

/* The same, with a cycle stamp pair around every gv_book_apply. */
static void replay_stamped(struct gv_book *b, const struct gv_cmd *cmd,
                           uint64_t from, uint64_t to, struct gv_evbuf *eb,
                           uint64_t *lat_cycles)
{
	uint64_t i;

	for (i = from; i < to; i++) {
		uint64_t t0 = gv_clock_cycles();

		gv_book_apply(b, &cmd[i], eb);
		lat_cycles[i - from] = gv_clock_cycles() - t0;
		evbuf_drain(eb);
	}
}

struct walk {
	const struct stream *st;
	uint64_t h;
	uint64_t n;
	uint64_t side;              /* 0 bid, 1 ask */
	bool bad_id;
};

static void walk_order(void *arg, const struct gv_order_view *o)
{
	struct walk *w = arg;
	uint64_t v[4], id = 0;
	unsigned i;

	if (o->cl_ord_id >= 1 && o->cl_ord_id <= w->st->n_cl)
		id = w->st->lob_id[o->cl_ord_id];
	else
		w->bad_id = true;
	v[0] = w->side;
	v[1] = (uint64_t)o->price;
	v[2] = id;
	v[3] = o->open_qty;
	for (i = 0; i < 4; i++) {
		w->h ^= v[i];
		w->h *= 0x100000001b3ull;
	}
	w->n++;
}

static void result_of(const struct gv_book *b, const struct stream *st,
                      const struct consumer *c, struct result *r)
{
	struct walk w = { .st = st, .h = 0xcbf29ce484222325ull };

	w.side = 0;
	if (gv_book_foreach_order(b, BENCH_INSTRUMENT, GV_SIDE_BUY,
	                          walk_order, &w) < 0)
		goto fail;
	w.side = 1;
	if (gv_book_foreach_order(b, BENCH_INSTRUMENT, GV_SIDE_SELL,
	                          walk_order, &w) < 0)
		goto fail;
	if (w.bad_id) {
		fprintf(stderr, "book_bench: a resting order has a cl_ord_id "
		        "the stream never sent\n");
		exit(1);
	}
	r->fills = c->fills;
	r->volume = c->volume;
	r->notional = c->notional;
	r->resting = w.n;
	r->checksum = w.h;
	return;
fail:
	fprintf(stderr, "book_bench: gv_book_foreach_order failed\n");
	exit(1);
}

static bool result_eq(const struct result *a, const struct result *b)
{
	return a->fills == b->fills && a->volume == b->volume &&
	       a->notional == b->notional && a->resting == b->resting &&
	       a->checksum == b->checksum;
}

static void result_print(FILE *f, const struct result *r)
{
	fprintf(f, "result: fills=%" PRIu64 " volume=%" PRIu64
	        " notional=%" PRIu64 " resting=%" PRIu64
	        " checksum=%016" PRIx64 "\n", r->fills, r->volume,
	        r->notional, r->resting, r->checksum);
}

/*
 * Engine self-checks after a replay (untimed): invariants, the engine's
 * own trade counters against the consumer's, and rejects (a correct
 * stream replayed by a correct engine has none).
 */
static int book_verify(const struct gv_book *b, const struct consumer *c,
                       const char *pass)
{
	char why[256];
	int rc = gv_book_check(b, why, sizeof(why));

	if (rc != 0) {
		fprintf(stderr, "book_bench: %s: gv_book_check: %s\n", pass,
		        why);
		return -1;
	}
	if (gv_book_counter(b, GV_CNT_FILLS) != c->fills ||
	    gv_book_counter(b, GV_CNT_VOLUME) != c->volume) {
		fprintf(stderr, "book_bench: %s: engine counters fills=%"
		        PRIu64 " volume=%" PRIu64 " but the events give %"
		        PRIu64 " and %" PRIu64 "\n", pass,
		        gv_book_counter(b, GV_CNT_FILLS),
		        gv_book_counter(b, GV_CNT_VOLUME), c->fills,
		        c->volume);
		return -1;
	}
	return 0;
}

/*
 * Untimed replay with a pool that cannot run out (the number of A minus C
 * bounds the live orders of a valid stream) to find the peak of live
 * orders; also reports where the engine first rejects a message.
 */
static void size_book(const struct stream *st, struct sizing *sz)
{
	struct gv_evbuf eb;
	struct consumer c;
	struct gv_book *b;
	uint64_t i, span, reject_line = 0;
	uint32_t peak = 0;

	/* Pages of the smallest size a book might use cover the range. */
	span = st->n ? st->pmax / PAGE_LEVELS_MIN - st->pmin / PAGE_LEVELS_MIN
	             + 1 : 1;
	sz->level_pages = (uint32_t)GV_MIN(2 * span + 16, UINT32_MAX / 2);
	sz->max_price = 1u << 20;
	while (sz->max_price < 2 * st->pmax && sz->max_price < GV_PRICE_MAX)
		sz->max_price *= 2;
	sz->max_price = GV_MIN(sz->max_price, (uint64_t)GV_PRICE_MAX);
	sz->max_orders = (uint32_t)GV_MIN(st->live_bound + 64,
	                                  (uint64_t)GV_ORDERS_PER_SHARD_MAX);
	b = book_make(sz);
	evbuf_init(&eb, &c);
	for (i = 0; i < st->n; i++) {
		uint64_t rej = c.rejected;

		gv_book_apply(b, &st->cmd[i], &eb);
		evbuf_drain(&eb);
		if (c.rejected != rej && reject_line == 0)
			reject_line = i + 2; /* line 1 is the header */
		peak = GV_MAX(peak, gv_book_live_orders(b));
	}
	if (c.rejected != 0)
		fprintf(stderr, "book_bench: warning: the engine rejected %"
		        PRIu64 " messages; the first at line %" PRIu64
		        " (reason %u)\n", c.rejected, reject_line,
		        c.first_reject);
	if (book_verify(b, &c, "sizing replay") != 0)
		exit(1);
	gv_book_free(b);
	sz->peak_live = peak;
	sz->max_orders = (uint32_t)GV_MIN(GV_MAX(2 * (uint64_t)peak, 1024),
	                                  (uint64_t)GV_ORDERS_PER_SHARD_MAX);
}

/* ---- measurement ------------------------------------------------------- */

enum { P50, P90, P99, P999, P9999, PMAX, NPCT };

static const char *const pct_name[NPCT] = {
	"p50", "p90", "p99", "p99.9", "p99.99", "max",
};
static const double pct_val[NPCT] = { 50, 90, 99, 99.9, 99.99, 100 };

struct run_stats {
	double mps;                 /* throughput pass, msgs/s */
	double mps_stamped;         /* latency pass, stamps included */
	uint64_t lat_ns[NPCT];
	uint64_t kind_ns[MSG_KINDS][NPCT]; /* the same by message type */
};

static const char kind_letter[MSG_KINDS] = { 'A', 'C', 'I', 'R' };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), n >= 1. */
static uint64_t percentile(const uint64_t *v, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)((p / 100.0) * (double)n + 0.999999);

	rank = GV_MAX(rank, 1);
	return v[GV_MIN(rank, n) - 1];
}

static double msgs_per_s(uint64_t msgs, uint64_t cycles)
{
	uint64_t ns = gv_clock_cycles_to_ns(cycles);

	return ns ? (double)msgs * 1e9 / (double)ns : 0.0;
}

/*
 * Percentiles of one message type's latencies (lat in message order,
 * scratch as large); 0 for a type with no timed message.
 */
static void kind_stats(const struct stream *st, const uint64_t *lat,
                       uint64_t *scratch, int kind, uint64_t *out_ns)
{
	uint64_t i, n = 0, timed = st->n - st->warmup;
	int j;

	for (i = 0; i < timed; i++)
		if (st->kind[st->warmup + i] == kind)
			scratch[n++] = lat[i];
	if (n == 0) {
		memset(out_ns, 0, NPCT * sizeof(*out_ns));
		return;
	}
	qsort(scratch, n, sizeof(*scratch), cmp_u64);
	for (j = 0; j < NPCT; j++)
		out_ns[j] = gv_clock_cycles_to_ns(percentile(scratch, n,
		                                             pct_val[j]));
}

/* One run: a latency pass and a throughput pass, each from a fresh book. */
static void run_once(const struct stream *st, const struct sizing *sz,
                     uint64_t *lat, uint64_t *scratch, struct result *res,
                     struct run_stats *rs)
{
	uint64_t timed = st->n - st->warmup, t0, t1, t2, t3;
	struct result r2;
	struct gv_evbuf eb;
	struct consumer c;
	struct gv_book *b;
	int i;

	b = book_make(sz);
	evbuf_init(&eb, &c);
	replay(b, st->cmd, 0, st->warmup, &eb);
	t0 = gv_clock_cycles();
	replay_stamped(b, st->cmd, st->warmup, st->n, &eb, lat);
	t1 = gv_clock_cycles();
	result_of(b, st, &c, res);
	if (book_verify(b, &c, "latency pass") != 0)
		exit(1);
	gv_book_free(b);

	b = book_make(sz);
	evbuf_init(&eb, &c);
	replay(b, st->cmd, 0, st->warmup, &eb);
	t2 = gv_clock_cycles();
	replay(b, st->cmd, st->warmup, st->n, &eb);
	t3 = gv_clock_cycles();
	result_of(b, st, &c, &r2);
	if (book_verify(b, &c, "throughput pass") != 0)
		exit(1);
	gv_book_free(b);
	if (!result_eq(res, &r2)) {
		fprintf(stderr, "book_bench: the two passes of one run "
		        "disagree:\n");
		result_print(stderr, res);
		result_print(stderr, &r2);
		exit(1);
	}

	rs->mps = msgs_per_s(timed, t3 - t2);
	rs->mps_stamped = msgs_per_s(timed, t1 - t0);
	for (i = 0; i < MSG_KINDS; i++)
		kind_stats(st, lat, scratch, i, rs->kind_ns[i]);
	qsort(lat, timed, sizeof(*lat), cmp_u64);
	for (i = 0; i < NPCT; i++)
		rs->lat_ns[i] = gv_clock_cycles_to_ns(
		        percentile(lat, timed, pct_val[i]));
}

static void print_pct(const uint64_t *ns)
{
	int i;

	for (i = 0; i < NPCT; i++)
		printf(" %s=%" PRIu64, pct_name[i], ns[i]);
	printf("\n");
}

static void print_stats(const char *prefix, const struct run_stats *rs)
{
	printf("%sthroughput: %.2f M msgs/s (with per-message stamps: %.2f M "
	       "msgs/s)\n", prefix, rs->mps / 1e6, rs->mps_stamped / 1e6);
	printf("%slatency_ns:", prefix);
	print_pct(rs->lat_ns);
}

static void print_kinds(const struct stream *st, const struct run_stats *rs)
{
	uint64_t n[MSG_KINDS] = { 0 }, i;
	int k;

	for (i = st->warmup; i < st->n; i++)
		n[st->kind[i]]++;
	for (k = 0; k < MSG_KINDS; k++) {
		printf("latency_ns[%c] (%" PRIu64 " msgs):", kind_letter[k],
		       n[k]);
		print_pct(rs->kind_ns[k]);
	}
}

/* Median of each figure across runs (mean of the middle two if even). */
static void median_stats(const struct run_stats *rs, unsigned k,
                         struct run_stats *med)
{
	double *d = xmalloc(k * sizeof(*d));
	uint64_t *u = xmalloc(k * sizeof(*u));
	unsigned i;
	int j;

	for (i = 0; i < k; i++)
		d[i] = rs[i].mps;
	qsort(d, k, sizeof(*d), cmp_double);
	med->mps = (d[(k - 1) / 2] + d[k / 2]) / 2;
	for (i = 0; i < k; i++)
		d[i] = rs[i].mps_stamped;
	qsort(d, k, sizeof(*d), cmp_double);
	med->mps_stamped = (d[(k - 1) / 2] + d[k / 2]) / 2;
	for (j = 0; j < NPCT; j++) {
		int t;

		for (i = 0; i < k; i++)
			u[i] = rs[i].lat_ns[j];
		qsort(u, k, sizeof(*u), cmp_u64);
		med->lat_ns[j] = (u[(k - 1) / 2] + u[k / 2]) / 2;
		for (t = 0; t < MSG_KINDS; t++) {
			for (i = 0; i < k; i++)
				u[i] = rs[i].kind_ns[t][j];
			qsort(u, k, sizeof(*u), cmp_u64);
			med->kind_ns[t][j] = (u[(k - 1) / 2] + u[k / 2]) / 2;
		}
	}
	free(d);
	free(u);
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Cost of the stamps themselves: a gv_clock_cycles() pair with nothing
 * between. Also the counter's step: some hypervisors advance the TSC in
 * coarse steps (26 cycles on our KVM test VM), which quantises every
 * latency below. The step is the GCD of the pair costs that occur in at
 * least 0.1 % of the samples (rare odd values are rounding artefacts of
 * the scaled guest TSC); 1 on bare metal.
 */
static void timer_overhead(uint64_t *min_c, uint64_t *med_c, uint64_t *step_c)
{
	uint64_t *v = xmalloc(OVERHEAD_SAMPLES * sizeof(*v));
	uint32_t i, j;

	for (i = 0; i < OVERHEAD_SAMPLES; i++) {
		uint64_t t0 = gv_clock_cycles();

		v[i] = gv_clock_cycles() - t0;
	}
	qsort(v, OVERHEAD_SAMPLES, sizeof(*v), cmp_u64);
	*min_c = v[0];
	*med_c = v[OVERHEAD_SAMPLES / 2];
	*step_c = 0;
	for (i = 0; i < OVERHEAD_SAMPLES; i = j) {
		for (j = i; j < OVERHEAD_SAMPLES && v[j] == v[i]; j++)
			;
		if (v[i] != 0 && j - i >= OVERHEAD_SAMPLES / 1000)
			*step_c = gcd_u64(*step_c, v[i]);
	}
	*step_c = GV_MAX(*step_c, 1);
	free(v);
}

/* ---- main ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: book_bench FILE [--runs K] [--cpu N]\n"
	        "  FILE      a lobstream v1 file (bench/lobgen writes one)\n"
	        "  --runs K  replay K times from fresh books (default 1); "
	        "the result must match\n"
	        "  --cpu N   pin to CPU N (sched_setaffinity)\n"
	        "  --offload NAME  the matching step through an offload "
	        "backend (sw, fpga-sim, ...)\n"
	        "  --offload-depth D  its levels per side (default 64)\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' || *v > max ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct bench_cfg *cfg)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "offload", required_argument, NULL, 'o' },
		{ "offload-depth", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	cfg->runs = 1;
	cfg->cpu = -1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_uint(optarg, 1000, &v) != 0 || v == 0)
				goto bad;
			cfg->runs = (unsigned)v;
			break;
		case 'c':
			if (parse_uint(optarg, CPU_SETSIZE - 1, &v) != 0)
				goto bad;
			cfg->cpu = (int)v;
			break;
		case 'o':
			g_offload = optarg;
			break;
		case 'd':
			if (parse_uint(optarg, GV_OFFLOAD_DEPTH_MAX, &v) != 0 ||
			    v == 0)
				goto bad;
			g_offload_depth = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return -EINVAL;
	}
	cfg->path = argv[optind];
	return 0;
bad:
	fprintf(stderr, "book_bench: bad value '%s'\n", optarg);
	return -EINVAL;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "book_bench: sched_setaffinity(cpu %d): %s\n",
		        cpu, strerror(errno));
		exit(1);
	}
}

static void print_setup(const struct stream *st, const struct sizing *sz,
                        const struct bench_cfg *cfg)
{
	uint64_t oh_min, oh_med, res;

	printf("stream: %s seed=%" PRIu64 " warmup=%" PRIu64 " n=%" PRIu64
	       " (timed %" PRIu64 "): A=%" PRIu64 " C=%" PRIu64 " I=%" PRIu64
	       " R=%" PRIu64 "\n", st->path, st->seed, st->warmup, st->n,
	       st->n - st->warmup, st->kinds[MSG_A], st->kinds[MSG_C],
	       st->kinds[MSG_I], st->kinds[MSG_R]);
	printf("book: 1 instrument, 1 session; max_orders=%" PRIu32
	       " (2 x peak live %" PRIu32 "), level pages=%" PRIu32
	       ", max price=%" PRIu64 " ticks, price band off, "
	       "no max notional\n", sz->max_orders, sz->peak_live,
	       sz->level_pages, sz->max_price);
	printf("note: one trader, stp_default=NONE: self-trade prevention is "
	       "off and does not change the result\n");
	printf("offload: %s", g_offload != NULL ? g_offload : "none");
	if (g_offload != NULL)
		printf(" (%u levels per side): the matching step goes through "
		       "the offload interface", g_offload_depth);
	printf("\n");
	timer_overhead(&oh_min, &oh_med, &res);
	printf("clock: TSC %.3f MHz (%s); cpu: ", (double)g_gv_clock.tsc_hz /
	       1e6, g_gv_clock.use_tsc ? "invariant" :
	       "NOT invariant, intervals on one core only");
	if (cfg->cpu >= 0)
		printf("pinned to %d\n", cfg->cpu);
	else
		printf("not pinned\n");
	printf("timer: empty gv_clock_cycles() pair min=%" PRIu64 " median=%"
	       PRIu64 " cycles (%" PRIu64 "/%" PRIu64 " ns), counter step %"
	       PRIu64 " cycles (%" PRIu64 " ns); latency_ns below is raw, "
	       "this overhead is NOT subtracted\n", oh_min, oh_med,
	       gv_clock_cycles_to_ns(oh_min), gv_clock_cycles_to_ns(oh_med),
	       res, gv_clock_cycles_to_ns(res));
	printf("method: throughput = timed messages / time of a pass without "
	       "per-message stamps (the stamped pass's figure in brackets)\n");
}

int main(int argc, char **argv)
{
	struct result first, res;
	struct run_stats *rs, med;
	struct bench_cfg cfg;
	struct stream st;
	struct sizing sz;
	uint64_t *lat, *scratch, timed;
	char prefix[32];
	unsigned r;

	if (parse_args(argc, argv, &cfg) != 0)
		return 1;
	if (cfg.cpu >= 0)
		pin_cpu(cfg.cpu);
	(void)gv_clock_init(0);
	if (g_gv_clock.tsc_hz == 0 || g_gv_clock.mult == 0) {
		fprintf(stderr, "book_bench: could not calibrate the TSC\n");
		return 1;
	}
	stream_load(&st, cfg.path);
	timed = st.n - st.warmup;
	if (timed == 0) {
		fprintf(stderr, "book_bench: %s: no timed messages "
		        "(warmup = n)\n", cfg.path);
		return 1;
	}
	size_book(&st, &sz);
	print_setup(&st, &sz, &cfg);
	fflush(stdout);

	lat = xmalloc(timed * sizeof(*lat));
	scratch = xmalloc(timed * sizeof(*scratch));
	memset(lat, 0, timed * sizeof(*lat)); /* fault the pages in now */
	memset(scratch, 0, timed * sizeof(*scratch));
	rs = xmalloc(cfg.runs * sizeof(*rs));
	for (r = 0; r < cfg.runs; r++) {
		run_once(&st, &sz, lat, scratch, &res, &rs[r]);
		if (r == 0) {
			first = res;
		} else if (!result_eq(&first, &res)) {
			fprintf(stderr, "book_bench: run %u gives a different "
			        "result from run 1:\n", r + 1);
			result_print(stderr, &first);
			result_print(stderr, &res);
			return 1;
		}
		snprintf(prefix, sizeof(prefix), "run %u/%u: ", r + 1,
		         cfg.runs);
		print_stats(prefix, &rs[r]);
		fflush(stdout);
	}
	result_print(stdout, &first);
	median_stats(rs, cfg.runs, &med);
	if (cfg.runs > 1)
		printf("median of %u runs:\n", cfg.runs);
	print_stats("", &med);
	print_kinds(&st, &med);
	free(rs);
	free(scratch);
	free(lat);
	free(st.kind);
	free(st.cmd);
	free(st.lob_id);
	return 0;
}
