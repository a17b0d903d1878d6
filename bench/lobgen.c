/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lobgen.c - write a lobstream v1 order stream (../shared/bench-stream.md)
 * for the book benchmark (bench/book_bench.c, docs/benchmarks.md).
 *
 *   lobgen [--seed S] [--n N] [--warmup W] [--out FILE] [--expect]
 *
 * Message count: N counts every message in the file, the warm-up included.
 * The file holds exactly N message lines after the header; the first W of
 * them are the warm-up and the last N - W are timed (W <= N). The header
 * `# lobstream v1 seed=S warmup=W n=N` therefore describes the whole file,
 * and "a 10^6-message file" is `--n 1000000`.
 *
 * Mix (per message, before steering): 60 % A passive adds, 25 % C cancels,
 * 10 % I marketable IOCs, 5 % R replaces that change the price.
 *  - A: side at random, price 1..20 ticks behind the opposite touch (a
 *    bid in [best ask - 20, best ask - 1]), so within 20 ticks of the
 *    inside market and never crossing; qty 1..100. With the other side
 *    empty: 0..19 ticks behind its own touch (or the last mid).
 *  - C: a live order chosen uniformly.
 *  - I: k = 1..6 resting orders of the opposite side, in priority order; the
 *    limit price is the k-th order's price and the quantity the first k-1
 *    orders' open quantity plus 1..open of the k-th, so the IOC trades with
 *    exactly those k orders. In one IOC out of five, when the k-th order is
 *    the last at its price, a few extra lots are asked for: they find
 *    nothing at the limit and are cancelled (IOC remainder).
 *  - R: a live order chosen uniformly gets a new price (as for an A but
 *    from 2 ticks through the opposite touch to 20 behind it, never its old
 *    price) and a new open quantity 1..100. It loses priority; if it
 *    crosses (about one R in eleven) it trades at once as the aggressor and
 *    any remainder rests.
 * Steering keeps about TARGET_LIVE resting orders: above the target an A
 * becomes a C with probability (live - target) / (target / 10), below it a
 * C becomes an A likewise; under half the target every message is an A
 * (the book fills up during the warm-up). One symbol, mid price starting
 * at START_MID ticks, prices always > 0.
 *
 * Model: each side is an array of order slots sorted by priority (best
 * price first, then arrival); insertion and removal are a binary search
 * plus a memmove over about a thousand entries. Live orders are also in an
 * unsorted array for uniform picks (swap-remove). The model applies each
 * message exactly as the engine must, so `--expect` prints on stderr the
 * `result:` line any correct engine prints for this file.
 *
 * Determinism: one splitmix64 generator seeded with S drives everything;
 * bounded draws use the multiply-shift reduction (bias at most
 * bound / 2^64, negligible here; the same on every machine).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_common.h"

#define TARGET_LIVE 1000u
#define START_MID   100000
#define ADD_DEPTH   20 /* A: price within this many ticks of the touch */
#define QTY_MAX     100
#define IOC_MAX_HIT 6

enum { BID = 0, ASK = 1 };

struct ord {
	uint64_t id;
	int64_t price;
	uint64_t qty;        /* open */
	uint64_t seq;        /* time priority, smaller = earlier */
	uint32_t live_idx;   /* position in model.live */
	uint8_t side;
};

struct side_arr {
	uint32_t *v;         /* slots, best priority first */
	uint32_t n, cap;
};

struct model {
	uint64_t rng;
	struct ord *ord;     /* slot pool */
	uint32_t nord, cap_ord;
	uint32_t *free_slots;
	uint32_t nfree;
	uint32_t *live;      /* live slots, unordered */
	uint32_t nlive;
	struct side_arr side[2];
	uint64_t next_id;
	uint64_t next_seq;
	int64_t mid;
	/* result line */
	uint64_t fills, volume, notional;
	/* message counts by type */
	uint64_t n_add, n_cancel, n_ioc, n_replace;
};

struct lobgen_cfg {
	uint64_t seed;
	uint64_t n;
	uint64_t warmup;
	const char *out;
	bool expect;
};

/* ---- PRNG ------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound), bound >= 1. */
static uint64_t rnd(struct model *m, uint64_t bound)
{
	__extension__ unsigned __int128 x =
	        (unsigned __int128)splitmix64(&m->rng) * bound;

	return (uint64_t)(x >> 64);
}

/* ---- memory ------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "lobgen: out of memory\n");
		exit(1);
	}
	return q;
}

static uint32_t slot_alloc(struct model *m)
{
	if (m->nfree > 0)
		return m->free_slots[--m->nfree];
	if (m->nord == m->cap_ord) {
		m->cap_ord = m->cap_ord ? m->cap_ord * 2 : 4096;
		m->ord = xrealloc(m->ord, m->cap_ord * sizeof(*m->ord));
		m->free_slots = xrealloc(m->free_slots,
		                         m->cap_ord * sizeof(*m->free_slots));
		m->live = xrealloc(m->live, m->cap_ord * sizeof(*m->live));
	}
	return m->nord++;
}

/* ---- sorted sides -------------------------------------------------------- */

/* Does a come before b in priority on side s? */
static bool ahead(int s, const struct ord *a, const struct ord *b)
{
	if (a->price != b->price)
		return s == BID ? a->price > b->price : a->price < b->price;
	return a->seq < b->seq;
}

/* First index whose order does not come before `o`. */
static uint32_t lower_bound(const struct model *m, int s, const struct ord *o)
{
	const struct side_arr *sa = &m->side[s];
	uint32_t lo = 0, hi = sa->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ahead(s, &m->ord[sa->v[mid]], o))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void side_insert(struct model *m, uint32_t slot)
{
	struct ord *o = &m->ord[slot];
	struct side_arr *sa = &m->side[o->side];
	uint32_t i = lower_bound(m, o->side, o);

	if (sa->n == sa->cap) {
		sa->cap = sa->cap ? sa->cap * 2 : 1024;
		sa->v = xrealloc(sa->v, sa->cap * sizeof(*sa->v));
	}
	memmove(&sa->v[i + 1], &sa->v[i], (sa->n - i) * sizeof(*sa->v));
	sa->v[i] = slot;
	sa->n++;
}

static void side_remove(struct model *m, uint32_t slot)
{
	struct ord *o = &m->ord[slot];
	struct side_arr *sa = &m->side[o->side];
	uint32_t i = lower_bound(m, o->side, o);

	GV_VERIFY(i < sa->n && sa->v[i] == slot);
	memmove(&sa->v[i], &sa->v[i + 1], (sa->n - i - 1) * sizeof(*sa->v));
	sa->n--;
}

static void live_add(struct model *m, uint32_t slot)
{
	m->ord[slot].live_idx = m->nlive;
	m->live[m->nlive++] = slot;
}

static void live_remove(struct model *m, uint32_t slot)
{
	uint32_t i = m->ord[slot].live_idx;
	uint32_t last = m->live[--m->nlive];

	GV_VERIFY(m->live[i] == slot);
	m->live[i] = last;
	m->ord[last].live_idx = i;
	m->free_slots[m->nfree++] = slot;
}

static bool side_empty(const struct model *m, int s)
{
	return m->side[s].n == 0;
}

static int64_t best(const struct model *m, int s)
{
	return m->ord[m->side[s].v[0]].price;
}

/* ---- matching -------------------------------------------------------- */

static bool crosses(int aggr_side, int64_t limit, int64_t resting)
{
	return aggr_side == BID ? resting <= limit : resting >= limit;
}

/*
 * Trade an aggressor of side s, limit price `limit`, open `qty` against the
 * other side in priority order; prints at the resting price. Returns the
 * aggressor's open quantity left.
 */
static uint64_t match(struct model *m, int s, int64_t limit, uint64_t qty)
{
	struct side_arr *opp = &m->side[!s];
	uint32_t done = 0;

	while (qty > 0 && done < opp->n) {
		uint32_t slot = opp->v[done];
		struct ord *r = &m->ord[slot];
		uint64_t t;

		if (!crosses(s, limit, r->price))
			break;
		t = GV_MIN(qty, r->qty);
		m->fills++;
		m->volume += t;
		m->notional += t * (uint64_t)r->price;
		qty -= t;
		r->qty -= t;
		if (r->qty == 0) {
			live_remove(m, slot);
			done++;
		}
	}
	memmove(&opp->v[0], &opp->v[done], (opp->n - done) * sizeof(*opp->v));
	opp->n -= done;
	return qty;
}

/* ---- message generators ------------------------------------------------ */

/*
 * A passive price for side s: 1..ADD_DEPTH ticks behind the opposite touch
 * (so within ADD_DEPTH ticks of the inside market and never crossing), or
 * 0..ADD_DEPTH-1 behind its own touch when the other side is empty.
 */
static int64_t passive_price(struct model *m, int s)
{
	int64_t d = (int64_t)rnd(m, ADD_DEPTH); /* 0..19 */

	if (s == BID) {
		if (!side_empty(m, ASK))
			return best(m, ASK) - 1 - d;
		return (side_empty(m, BID) ? m->mid - 1 : best(m, BID)) - d;
	}
	if (!side_empty(m, BID))
		return best(m, BID) + 1 + d;
	return (side_empty(m, ASK) ? m->mid + 1 : best(m, ASK)) + d;
}

static void gen_add(struct model *m, FILE *f)
{
	int s = (int)rnd(m, 2);
	int64_t p = passive_price(m, s);
	uint32_t slot;
	struct ord *o;

	if (p < 1) { /* no room for a bid above 0: add an ask instead */
		s = ASK;
		p = passive_price(m, s);
	}
	GV_VERIFY(p >= 1);
	GV_VERIFY(side_empty(m, !s) || !crosses(s, p, best(m, !s)));
	slot = slot_alloc(m);
	o = &m->ord[slot];
	o->id = ++m->next_id;
	o->price = p;
	o->qty = 1 + rnd(m, QTY_MAX);
	o->seq = ++m->next_seq;
	o->side = (uint8_t)s;
	side_insert(m, slot);
	live_add(m, slot);
	m->n_add++;
	fprintf(f, "A %" PRIu64 " %c %" PRId64 " %" PRIu64 "\n", o->id,
	        s == BID ? 'B' : 'S', o->price, o->qty);
}

static void gen_cancel(struct model *m, FILE *f)
{
	uint32_t slot = m->live[rnd(m, m->nlive)];

	fprintf(f, "C %" PRIu64 "\n", m->ord[slot].id);
	side_remove(m, slot);
	live_remove(m, slot);
	m->n_cancel++;
}

/* The other side must have an order. */
static void gen_ioc(struct model *m, FILE *f, int s)
{
	const struct side_arr *opp = &m->side[!s];
	uint32_t k = 1 + (uint32_t)rnd(m, IOC_MAX_HIT), i;
	uint64_t qty = 0, id = ++m->next_id;
	const struct ord *kth;
	int64_t limit;

	k = GV_MIN(k, opp->n);
	for (i = 0; i + 1 < k; i++)
		qty += m->ord[opp->v[i]].qty;
	kth = &m->ord[opp->v[k - 1]];
	limit = kth->price;
	qty += 1 + rnd(m, kth->qty);
	/*
	 * One IOC in five asks for a few lots more than the book holds up to
	 * its limit, when the k-th order is the last at that price: the extra
	 * finds nothing and is cancelled as the IOC remainder.
	 */
	if (rnd(m, 5) == 0 &&
	    (k == opp->n || m->ord[opp->v[k]].price != limit))
		qty += 1 + rnd(m, 20);
	m->n_ioc++;
	fprintf(f, "I %" PRIu64 " %c %" PRId64 " %" PRIu64 "\n", id,
	        s == BID ? 'B' : 'S', limit, qty);
	(void)match(m, s, limit, qty); /* the remainder is cancelled */
}

static void gen_replace(struct model *m, FILE *f)
{
	uint32_t slot = m->live[rnd(m, m->nlive)];
	struct ord *o = &m->ord[slot];
	int s = o->side;
	int64_t d = (int64_t)rnd(m, ADD_DEPTH + 2) - 2; /* -2..19 */
	uint64_t qty = 1 + rnd(m, QTY_MAX), left;
	int64_t p;

	/* As for an A, but up to 2 ticks through the opposite touch. */
	if (!side_empty(m, !s))
		p = s == BID ? best(m, ASK) - 1 - d : best(m, BID) + 1 + d;
	else
		p = s == BID ? best(m, BID) - d : best(m, ASK) + d;

	if (p == o->price)
		p += s == BID ? -1 : 1;
	if (p < 1)
		p = o->price == 1 ? 2 : 1;
	m->n_replace++;
	fprintf(f, "R %" PRIu64 " %" PRId64 " %" PRIu64 "\n", o->id, p, qty);
	side_remove(m, slot);
	left = match(m, s, p, qty);
	if (left == 0) {
		live_remove(m, slot);
		return;
	}
	o = &m->ord[slot];
	o->price = p;
	o->qty = left;
	o->seq = ++m->next_seq; /* the price changed: priority is lost */
	side_insert(m, slot);
}

/* ---- the stream ---------------------------------------------------------- */

enum msg { MSG_ADD, MSG_CANCEL, MSG_IOC, MSG_REPLACE };

/* Draw from the mix, then steer the live count towards TARGET_LIVE. */
static enum msg pick(struct model *m)
{
	uint64_t r = rnd(m, 100);
	enum msg t = r < 60 ? MSG_ADD : r < 85 ? MSG_CANCEL
	           : r < 95 ? MSG_IOC : MSG_REPLACE;
	uint64_t band = TARGET_LIVE / 10;

	if (m->nlive < TARGET_LIVE / 2)
		return MSG_ADD;
	if (t == MSG_ADD && m->nlive > TARGET_LIVE &&
	    rnd(m, band) < m->nlive - TARGET_LIVE)
		return MSG_CANCEL;
	if (t == MSG_CANCEL && m->nlive < TARGET_LIVE &&
	    rnd(m, band) < TARGET_LIVE - m->nlive)
		return MSG_ADD;
	return t;
}

static void gen_one(struct model *m, FILE *f)
{
	enum msg t = pick(m);
	int s;

	if (t != MSG_ADD && m->nlive == 0)
		t = MSG_ADD;
	switch (t) {
	case MSG_ADD:
		gen_add(m, f);
		break;
	case MSG_CANCEL:
		gen_cancel(m, f);
		break;
	case MSG_IOC:
		s = (int)rnd(m, 2);
		if (side_empty(m, !s))
			s = !s;
		gen_ioc(m, f, s);
		break;
	case MSG_REPLACE:
		gen_replace(m, f);
		break;
	}
	if (!side_empty(m, BID) && !side_empty(m, ASK)) {
		GV_VERIFY(best(m, BID) < best(m, ASK));
		m->mid = (best(m, BID) + best(m, ASK)) / 2;
	}
}

static uint64_t fnv1a(uint64_t h, uint64_t v)
{
	h ^= v;
	return h * 0x100000001b3ull;
}

/* The result line of bench-stream.md, from the model. */
static void print_expect(const struct model *m, FILE *f)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int s;
	uint32_t i;

	for (s = BID; s <= ASK; s++) {
		for (i = 0; i < m->side[s].n; i++) {
			const struct ord *o = &m->ord[m->side[s].v[i]];

			h = fnv1a(h, (uint64_t)s);
			h = fnv1a(h, (uint64_t)o->price);
			h = fnv1a(h, o->id);
			h = fnv1a(h, o->qty);
		}
	}
	fprintf(f,
	        "result: fills=%" PRIu64 " volume=%" PRIu64 " notional=%" PRIu64
	        " resting=%" PRIu32 " checksum=%016" PRIx64 "\n",
	        m->fills, m->volume, m->notional, m->nlive, h);
	fprintf(f,
	        "lobgen: A=%" PRIu64 " C=%" PRIu64 " I=%" PRIu64 " R=%" PRIu64
	        " bids=%" PRIu32 " asks=%" PRIu32 "\n",
	        m->n_add, m->n_cancel, m->n_ioc, m->n_replace, m->side[BID].n,
	        m->side[ASK].n);
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: lobgen [--seed S] [--n N] [--warmup W] [--out FILE] "
	        "[--expect]\n"
	        "  --seed S    PRNG seed (default 1)\n"
	        "  --n N       messages in the file, warm-up included "
	        "(default 1000000)\n"
	        "  --warmup W  the first W of them are warm-up (default 1000)\n"
	        "  --out FILE  output file (default stdout)\n"
	        "  --expect    print the expected result: line on stderr\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	return 0;
}

static int parse_args(int argc, char **argv, struct lobgen_cfg *cfg)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "n", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "expect", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->seed = 1;
	cfg->n = 1000000;
	cfg->warmup = 1000;
	cfg->out = NULL;
	cfg->expect = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 's':
			rc = parse_u64(optarg, &cfg->seed);
			break;
		case 'n':
			rc = parse_u64(optarg, &cfg->n);
			break;
		case 'w':
			rc = parse_u64(optarg, &cfg->warmup);
			break;
		case 'o':
			cfg->out = optarg;
			break;
		case 'e':
			cfg->expect = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (rc != 0) {
			fprintf(stderr, "lobgen: bad number '%s'\n", optarg);
			return rc;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	if (cfg->warmup > cfg->n) {
		fprintf(stderr, "lobgen: --warmup %" PRIu64
		        " exceeds --n %" PRIu64 " (n counts the warm-up)\n",
		        cfg->warmup, cfg->n);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char obuf[1 << 20];
	struct lobgen_cfg cfg;
	struct model m;
	FILE *f = stdout;
	uint64_t i;

	if (parse_args(argc, argv, &cfg) != 0)
		return 1;
	if (cfg.out != NULL) {
		f = fopen(cfg.out, "w");
		if (f == NULL) {
			fprintf(stderr, "lobgen: %s: %s\n", cfg.out,
			        strerror(errno));
			return 1;
		}
	}
	setvbuf(f, obuf, _IOFBF, sizeof(obuf));
	memset(&m, 0, sizeof(m));
	m.rng = cfg.seed;
	m.mid = START_MID;
	fprintf(f, "# lobstream v1 seed=%" PRIu64 " warmup=%" PRIu64
	        " n=%" PRIu64 "\n", cfg.seed, cfg.warmup, cfg.n);
	for (i = 0; i < cfg.n; i++)
		gen_one(&m, f);
	if (fflush(f) != 0 || ferror(f) || (f != stdout && fclose(f) != 0)) {
		fprintf(stderr, "lobgen: write error: %s\n", strerror(errno));
		return 1;
	}
	if (cfg.expect)
		print_expect(&m, stderr);
	free(m.ord);
	free(m.free_slots);
	free(m.live);
	free(m.side[BID].v);
	free(m.side[ASK].v);
	return 0;
}
