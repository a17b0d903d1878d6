/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gavel_pcapgen.c - write a pcap of GOE/1 client traffic to gavel, for
 * replays (gavel reads it through net_pcap) and tests.
 *
 *   gavel-pcapgen --config FILE --out FILE (--lobstream FILE | --lobster DIR)
 *                 [--sessions N] [--instrument ID] [--price-offset TICKS]
 *                 [--start-ns T] [--rate MSGS_PER_S] [--batch K]
 *                 [--loss P] [--dup P] [--reorder P] [--seed S] [--resend]
 *                 [--resend-delay-us U] [--heartbeat-ms MS] [--cod]
 *                 [--logout]
 *
 * Frames: Ethernet II (locally administered MACs: gavel 02:00:00:00:00:01,
 * client k 02:00:00:00:10:k), IPv4 (DF, TTL 64, checksum set), UDP
 * (checksum set) from the session's client address and port to the
 * config's engine.order_entry. Nanosecond pcap, DLT_EN10MB.
 *
 * Sessions. The first N sessions of the config that the instrument's shard
 * serves, in file order. Session k (0-based) sends from port 40001 + k and
 * from the address network(allowed) + k + 1 (the prefix address itself
 * for a /32; 10.1.0.k+1 when the prefix is /0); an address outside the
 * prefix, or an IPv6 prefix, is an error.
 *
 * Orders. Each new order (lobstream A/I, LOBSTER new / execution / seed)
 * goes to the next session round robin; its cancels and replaces go to the
 * same session. cl_ord_ids come from one counter shared by all sessions
 * (so they increase in each): A and I take the next one, R a fresh new one.
 * lobstream: A = GTC limit, I = IOC limit, C = cancel, R = replace; prices
 * are ticks. LOBSTER (prices / 100 = ticks of $0.01, exact): the book is
 * first seeded with one GTC order per level of orderbook line 1 (event 1
 * undone), then 1 new = GTC limit; 2 partial cancel = replace at the same
 * price to open - size (cancel if nothing is left); 3 delete = cancel;
 * 4 execution = IOC limit of the opposite side at that price and size;
 * an event on an unknown (pre-09:30) id acts on the seed order at its price
 * (2, 3) or is the IOC above (4); 5, 6, 7 and unknown ids with no seed are
 * skipped (counted). The tool models each order's open quantity from the
 * events only (no matching model). --price-offset is added to every price
 * and the result must lie in 1..max_price of the instrument.
 *
 * Time. Message slot j (logons first, then the stream's messages) is at
 * start + j * 1e9 / rate ns; a datagram is written at the slot of its last
 * message. Capture times strictly increase (a frame due at or before the
 * previous one is written 1 ns after it). The GOE/1 header ts_ns of every
 * datagram is its capture time (for duplicates and reordered datagrams:
 * the time of the first copy's intended slot).
 *
 * Capture contents, in capture-time order:
 *  1. one Logon per session (seq 0, heartbeat --heartbeat-ms, --cod);
 *  2. the stream's messages in sequenced datagrams: each session's
 *     messages in stream order, grouped --batch at a time (a datagram is
 *     closed when it holds K messages or would exceed 1472 bytes), seq from
 *     1 per session. With several sessions and K > 1 the interleaving of
 *     different sessions differs from the stream's (never within one);
 *  3. a Heartbeat (seq 0) for every session that has sent nothing gavel
 *     saw for --heartbeat-ms (so none reaches the 3x timeout);
 *  4. at the end, every session's partial batch, then with --logout one
 *     Logout per session.
 * Impairments (sequenced datagrams only, first transmissions only; one
 * seeded draw each): with probability loss % a datagram is not written;
 * else with reorder % (when none is held back) it is held back and written
 * just after the session's next sequenced datagram (a swap); else it is
 * written, and then with dup % written twice in a row.
 * --resend adds the client's recovery, modelled on gavel's rules (section
 * 1.2): the tool tracks gavel's expected_in per session. When a written
 * datagram starts above expected_in (gavel drops it and answers 'g') or a
 * datagram is lost (the client sees no answer), the client, --resend-delay-us
 * later, resends go-back-N: every datagram of the session from expected_in
 * up to its last one sent, with the original boundaries and sequence
 * numbers, a new ts_ns and MAC. Resends are never impaired. At the end of
 * the stream any session still behind is resent the same way (before the
 * logouts). So with --resend every sequenced message reaches gavel's
 * expected_in exactly once, in order; the other copies (lost-gap
 * datagrams, duplicates, late reordered ones) are what gavel counts as gaps
 * or duplicates. Without --resend the gaps stay.
 *
 * Bad input stops the tool with "FILE:LINE: what" and exit status 1.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gv_config.h"
#include "gv_goe.h"

#define PROG             "gavel-pcapgen"
#define START_NS_DEFAULT (1767364200ull * 1000000000ull) /* 2026-01-02T14:30Z */
#define CLIENT_PORT_BASE 40001u
#define ETH_HDR_LEN      14
#define IP_HDR_LEN       20
#define UDP_HDR_LEN      8
#define FRAME_MAX        (ETH_HDR_LEN + IP_HDR_LEN + UDP_HDR_LEN + GV_DGRAM_MAX)
#define LOB_PRICE_UNIT   100       /* LOBSTER price units per $0.01 tick */
#define LOB_LEVELS       10
#define LINE_MAX_LEN     4096

GV_STATIC_ASSERT(FRAME_MAX <= 1514, "one Ethernet frame per datagram");

struct pg_cfg {
	const char *config_path;
	const char *lobstream_path;
	const char *lobster_dir;
	const char *out_path;
	uint32_t n_sessions;
	uint32_t instrument;           /* 0 = the config's first */
	int64_t price_offset_ticks;
	uint64_t start_ns;
	double rate_msgs_per_s;
	uint32_t batch;
	double loss_pct, dup_pct, reorder_pct;
	uint64_t seed;
	bool resend;
	uint32_t resend_delay_us;
	uint32_t heartbeat_ms;
	bool cod;
	bool logout;
};

struct dg_span {
	uint64_t first;                /* seq of its first message */
	uint32_t count;
};

struct pg_session {
	const struct gv_session_config *sc;
	uint8_t ip[4];
	uint8_t mac[6];
	uint16_t port;
	uint16_t ip_id;
	uint64_t next_seq;             /* of the next sequenced message */
	uint64_t last_tx_ns;           /* last frame gavel saw from it */
	struct gv_cmd pend[GV_DGRAM_MSGS_MAX]; /* batch being filled */
	uint32_t n_pend, pend_bytes;
	uint64_t exp_in;               /* gavel's expected_in (model) */
	uint64_t resend_at_ns;         /* 0 = none scheduled */
	struct gv_cmd *hist;           /* --resend: message seq-1 */
	uint64_t hist_cap;
	struct dg_span *dg;            /* --resend: datagrams sent */
	uint64_t n_dg, dg_cap;
	bool stashed;                  /* a reordered datagram held back */
	uint8_t stash[GV_DGRAM_MAX];
	uint32_t stash_len;
	struct dg_span stash_span;
};

struct pg_stats {
	uint64_t frames, msgs, bytes, payload_bytes;
	uint64_t logons, heartbeats, logouts;
	uint64_t seq_dgrams, seq_msgs;  /* first transmissions, as generated */
	uint64_t lost, dups, reordered, resent_dgrams, resends;
	uint64_t stream_msgs, skipped_events, seed_orders;
	uint64_t first_ns, last_ns;
};

struct gen {
	const struct pg_cfg *cfg;
	struct gv_config *conf;
	const struct gv_instrument_config *inst;
	struct pg_session *s;
	uint32_t n_s;
	uint32_t rr;                   /* next session for a new order */
	uint64_t next_cl;
	uint64_t slot;                 /* next message slot */
	double ns_per_msg;
	uint64_t now_ns;               /* last capture time written */
	uint64_t next_due_ns;          /* lower bound of heartbeats/resends */
	uint64_t rng;
	uint8_t gavel_ip[4];
	uint16_t gavel_port;
	pcap_t *pcap;
	pcap_dumper_t *dump;
	struct pg_stats st;
	/* input position for messages */
	const char *path;
	uint64_t lineno;
};

/* ---- helpers ----------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fprintf(stderr, PROG ": out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return q;
}

/* The capture being written: removed when the tool fails. */
static const char *g_out_path;

static void remove_output(void)
{
	if (g_out_path != NULL && strcmp(g_out_path, "-") != 0)
		unlink(g_out_path);
}

GV_NORETURN __attribute__((format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	remove_output();
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

GV_NORETURN __attribute__((format(printf, 2, 3)))
static void die_at(const struct gen *g, const char *fmt, ...)
{
	va_list ap;

	remove_output();
	fprintf(stderr, PROG ": %s:%" PRIu64 ": ", g->path, g->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* splitmix64: one seeded generator drives every impairment draw. */
static uint64_t rnd_u64(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 100). */
static double rnd_pct(struct gen *g)
{
	return (double)(rnd_u64(g) >> 11) * (100.0 / 9007199254740992.0);
}

static uint32_t wire_len(const struct gv_cmd *c)
{
	switch (c->type) {
	case GV_CMD_NEW: return GV_GOE_LEN_NEW;
	case GV_CMD_CANCEL: return GV_GOE_LEN_CANCEL;
	case GV_CMD_REPLACE: return GV_GOE_LEN_REPLACE;
	default: return GV_GOE_LEN_MASS_CANCEL;
	}
}

/* ---- frames ------------------------------------------------------------ */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet + IPv4 + UDP around a datagram; returns the frame length. */
static uint32_t build_frame(const struct gen *g, struct pg_session *s,
                            const uint8_t *dgram, uint32_t len, uint8_t *f)
{
	static const uint8_t gavel_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *ip = f + ETH_HDR_LEN, *udp = ip + IP_HDR_LEN;
	uint16_t udp_len = (uint16_t)(UDP_HDR_LEN + len), c;
	uint32_t sum;

	GV_VERIFY(len <= GV_DGRAM_MAX);
	memcpy(f, gavel_mac, 6);
	memcpy(f + 6, s->mac, 6);
	put_be16(f + 12, 0x0800);
	memset(ip, 0, IP_HDR_LEN);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(IP_HDR_LEN + udp_len));
	put_be16(ip + 4, s->ip_id++);
	put_be16(ip + 6, 0x4000);                  /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, s->ip, 4);
	memcpy(ip + 16, g->gavel_ip, 4);
	put_be16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR_LEN)));
	put_be16(udp, s->port);
	put_be16(udp + 2, g->gavel_port);
	put_be16(udp + 4, udp_len);
	put_be16(udp + 6, 0);
	memcpy(udp + UDP_HDR_LEN, dgram, len);
	sum = csum_add(0, ip + 12, 8) + 17 + udp_len;
	c = csum_fold(csum_add(sum, udp, udp_len));
	put_be16(udp + 6, c == 0 ? 0xffff : c);
	return ETH_HDR_LEN + IP_HDR_LEN + udp_len;
}

/* The capture time for a frame due at t: strictly after the last one. */
static uint64_t claim_time(struct gen *g, uint64_t t)
{
	if (g->st.frames > 0 && t <= g->now_ns)
		t = g->now_ns + 1;
	g->now_ns = t;
	return t;
}

static void write_frame(struct gen *g, struct pg_session *s,
                        const uint8_t *dgram, uint32_t len, uint32_t nmsg,
                        uint64_t t)
{
	uint8_t frame[FRAME_MAX];
	struct pcap_pkthdr h;
	uint32_t flen = build_frame(g, s, dgram, len, frame);

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(t / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(t % 1000000000u); /* ns: nano pcap */
	h.caplen = h.len = flen;
	pcap_dump((u_char *)g->dump, &h, frame);
	if (g->st.frames == 0)
		g->st.first_ns = t;
	g->st.last_ns = t;
	g->st.frames++;
	g->st.msgs += nmsg;
	g->st.bytes += flen;
	g->st.payload_bytes += len;
	s->last_tx_ns = t;
}

/* ---- unsequenced datagrams -------------------------------------------- */

enum { U_LOGON, U_HEARTBEAT, U_LOGOUT };

static void send_unseq(struct gen *g, struct pg_session *s, int kind,
                       uint64_t t)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	uint32_t len;
	int rc;

	t = claim_time(g, t);
	gv_goe_begin(&w, buf, s->sc->id, 0, t);
	if (kind == U_LOGON)
		rc = gv_goe_put_logon(&w, g->cfg->heartbeat_ms, g->cfg->cod);
	else if (kind == U_HEARTBEAT)
		rc = gv_goe_put_client_heartbeat(&w);
	else
		rc = gv_goe_put_logout(&w);
	GV_VERIFY(rc == 0);
	len = gv_goe_finish(&w, s->sc->key);
	write_frame(g, s, buf, len, 1, t);
	g->st.logons += kind == U_LOGON;
	g->st.heartbeats += kind == U_HEARTBEAT;
	g->st.logouts += kind == U_LOGOUT;
}

/* ---- sequenced datagrams ---------------------------------------------- */

static uint32_t encode_seq(const struct pg_session *s, const struct gv_cmd *c,
                           uint32_t n, uint64_t first, uint64_t t,
                           uint8_t *buf)
{
	struct gv_goe_writer w;
	uint32_t i;

	gv_goe_begin(&w, buf, s->sc->id, first, t);
	for (i = 0; i < n; i++)
		GV_VERIFY(gv_goe_put_cmd(&w, &c[i]) == 0);
	return gv_goe_finish(&w, s->sc->key);
}

static void schedule_resend(struct gen *g, struct pg_session *s, uint64_t t)
{
	if (!g->cfg->resend || s->resend_at_ns != 0)
		return;
	s->resend_at_ns = t + (uint64_t)g->cfg->resend_delay_us * 1000u;
	g->next_due_ns = GV_MIN(g->next_due_ns, s->resend_at_ns);
}

/*
 * Write a sequenced datagram at capture time t (already claimed) and apply
 * gavel's sequencing (protocol.md 1.2) to the model of expected_in.
 */
static void deliver_at(struct gen *g, struct pg_session *s,
                       const uint8_t *buf, uint32_t len, struct dg_span sp,
                       uint64_t t)
{
	write_frame(g, s, buf, len, sp.count, t);
	if (sp.first > s->exp_in)
		schedule_resend(g, s, t);          /* gavel answers 'g' */
	else if (sp.first + sp.count > s->exp_in)
		s->exp_in = sp.first + sp.count;
}

static void deliver(struct gen *g, struct pg_session *s, const uint8_t *buf,
                    uint32_t len, struct dg_span sp, uint64_t t)
{
	deliver_at(g, s, buf, len, sp, claim_time(g, t));
}

static void remember(struct gen *g, struct pg_session *s, struct dg_span sp)
{
	if (!g->cfg->resend)
		return;
	if (sp.first - 1 + sp.count > s->hist_cap) {
		s->hist_cap = GV_MAX(s->hist_cap * 2, 4096u);
		s->hist = xrealloc(s->hist, s->hist_cap * sizeof(*s->hist));
	}
	memcpy(&s->hist[sp.first - 1], s->pend, sp.count * sizeof(*s->pend));
	if (s->n_dg == s->dg_cap) {
		s->dg_cap = GV_MAX(s->dg_cap * 2, 1024u);
		s->dg = xrealloc(s->dg, s->dg_cap * sizeof(*s->dg));
	}
	s->dg[s->n_dg++] = sp;
}

/* Go-back-N from gavel's expected_in through the last datagram sent. */
static void do_resend(struct gen *g, struct pg_session *s)
{
	uint8_t buf[GV_DGRAM_MAX];
	uint64_t lo = 0, hi = s->n_dg, t = s->resend_at_ns;

	s->resend_at_ns = 0;
	if (s->exp_in >= s->next_seq)
		return;                            /* caught up meanwhile */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (s->dg[mid].first < s->exp_in)
			lo = mid + 1;
		else
			hi = mid;
	}
	GV_VERIFY(lo < s->n_dg && s->dg[lo].first == s->exp_in);
	g->st.resends++;
	for (; lo < s->n_dg; lo++) {
		struct dg_span sp = s->dg[lo];
		uint64_t at = claim_time(g, t);
		uint32_t len = encode_seq(s, &s->hist[sp.first - 1], sp.count,
		                          sp.first, at, buf);

		deliver_at(g, s, buf, len, sp, at);
		g->st.resent_dgrams++;
		GV_VERIFY(s->exp_in == sp.first + sp.count);
	}
}

static void heartbeat_or_resend(struct gen *g, struct pg_session *s,
                                uint64_t hb_due)
{
	if (s->resend_at_ns != 0 && s->resend_at_ns <= hb_due)
		do_resend(g, s);
	else
		send_unseq(g, s, U_HEARTBEAT, hb_due);
}

/* Everything due before t (heartbeats, resends), in time order. */
static void advance(struct gen *g, uint64_t t)
{
	uint64_t hb_ns = (uint64_t)g->cfg->heartbeat_ms * 1000000u;

	while (g->next_due_ns < t) {
		uint64_t best = UINT64_MAX;
		uint32_t i, bi = 0;

		for (i = 0; i < g->n_s; i++) {
			const struct pg_session *s = &g->s[i];
			uint64_t due = s->last_tx_ns + hb_ns;

			if (s->resend_at_ns != 0)
				due = GV_MIN(due, s->resend_at_ns);
			if (due < best) {
				best = due;
				bi = i;
			}
		}
		g->next_due_ns = best;
		if (best >= t)
			break;
		heartbeat_or_resend(g, &g->s[bi], best);
	}
}

/* First transmission of a datagram, through the impairments. */
static void transmit(struct gen *g, struct pg_session *s, const uint8_t *buf,
                     uint32_t len, struct dg_span sp, uint64_t t)
{
	const struct pg_cfg *cfg = g->cfg;
	bool had_stash = s->stashed;
	double r = rnd_pct(g), d = rnd_pct(g);

	if (r < cfg->loss_pct) {
		g->st.lost++;
		schedule_resend(g, s, t);          /* no answer comes */
	} else if (r < cfg->loss_pct + cfg->reorder_pct && !had_stash) {
		memcpy(s->stash, buf, len);
		s->stash_len = len;
		s->stash_span = sp;
		s->stashed = true;
		g->st.reordered++;
	} else {
		deliver(g, s, buf, len, sp, t);
		if (d < cfg->dup_pct) {
			deliver(g, s, buf, len, sp, t);
			g->st.dups++;
		}
	}
	if (had_stash) {
		s->stashed = false;
		deliver(g, s, s->stash, s->stash_len, s->stash_span, t);
	}
}

static void flush_batch(struct gen *g, struct pg_session *s, uint64_t t)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct dg_span sp = { .first = s->next_seq, .count = s->n_pend };
	uint32_t len;

	if (s->n_pend == 0)
		return;
	t = GV_MAX(t, g->now_ns + 1);
	len = encode_seq(s, s->pend, s->n_pend, sp.first, t, buf);
	remember(g, s, sp);
	s->next_seq += s->n_pend;
	s->n_pend = 0;
	s->pend_bytes = 0;
	g->st.seq_dgrams++;
	g->st.seq_msgs += sp.count;
	transmit(g, s, buf, len, sp, t);
}

static uint64_t slot_time(struct gen *g)
{
	return g->cfg->start_ns + (uint64_t)((double)g->slot++ *
	                                     g->ns_per_msg + 0.5);
}

/* One stream message for session si. */
static void emit(struct gen *g, uint32_t si, struct gv_cmd *c)
{
	struct pg_session *s = &g->s[si];
	uint64_t t = slot_time(g);
	uint32_t wl = wire_len(c);

	advance(g, t);
	c->session = s->sc->id;
	c->ts_ns = 0;
	if (s->pend_bytes + wl > GV_DGRAM_MAX - GV_DGRAM_HDR_LEN)
		flush_batch(g, s, t);
	s->pend[s->n_pend++] = *c;
	s->pend_bytes += wl;
	g->st.stream_msgs++;
	if (s->n_pend == g->cfg->batch)
		flush_batch(g, s, t);
}

/* A new order: the next session round robin. Returns the session index. */
static uint32_t emit_new(struct gen *g, uint8_t side, uint8_t tif,
                         int64_t price, uint64_t qty, uint64_t *cl)
{
	struct gv_cmd c = { .type = GV_CMD_NEW };
	uint32_t si = g->rr;

	g->rr = (g->rr + 1) % g->n_s;
	c.u.new_order.symbol = g->inst->id;
	c.u.new_order.side = side;
	c.u.new_order.type = GV_TYPE_LIMIT;
	c.u.new_order.tif = tif;
	c.u.new_order.cl_ord_id = *cl = g->next_cl++;
	c.u.new_order.price = price;
	c.u.new_order.qty = qty;
	emit(g, si, &c);
	return si;
}

static void emit_cancel(struct gen *g, uint32_t si, uint64_t cl)
{
	struct gv_cmd c = { .type = GV_CMD_CANCEL };

	c.u.cancel.cl_ord_id = cl;
	emit(g, si, &c);
}

/* Returns the new cl_ord_id. */
static uint64_t emit_replace(struct gen *g, uint32_t si, uint64_t cl,
                             int64_t price, uint64_t qty)
{
	struct gv_cmd c = { .type = GV_CMD_REPLACE };

	c.u.replace.orig_cl_ord_id = cl;
	c.u.replace.new_cl_ord_id = g->next_cl++;
	c.u.replace.new_price = price;
	c.u.replace.new_qty = qty;
	emit(g, si, &c);
	return c.u.replace.new_cl_ord_id;
}

/* Input price (ticks) + offset, checked against the instrument. */
static int64_t map_price(const struct gen *g, uint64_t ticks)
{
	int64_t p;

	if (ticks > (uint64_t)INT64_MAX / 2 ||
	    __builtin_add_overflow((int64_t)ticks, g->cfg->price_offset_ticks,
	                           &p) ||
	    p < 1 || (uint64_t)p > g->inst->max_price_ticks)
		die_at(g, "price %" PRIu64 " ticks %+" PRId64 " (--price-offset)"
		       " is outside 1..%" PRIu64 " (max_price of instrument %u)",
		       ticks, g->cfg->price_offset_ticks,
		       g->inst->max_price_ticks, g->inst->id);
	return p;
}

static uint64_t check_qty(const struct gen *g, uint64_t q)
{
	if (q < 1 || q > g->inst->max_qty_lots)
		die_at(g, "quantity %" PRIu64 " is outside 1..%" PRIu64
		       " (max_qty of instrument %u)", q,
		       g->inst->max_qty_lots, g->inst->id);
	return q;
}

/* ---- lobstream v1 input ----------------------------------------------- */

/* Live lobstream ids (A ids increase, so the arrays stay sorted). */
struct idmap {
	uint64_t *id, *cl;             /* cl 0 = cancelled */
	uint32_t *si;
	uint64_t n, cap;
};

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static uint64_t tok_u64(const struct gen *g, const char **pp,
                        const char *name)
{
	const char *p = skip_blanks(*pp);
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		die_at(g, "expected %s (a number)", name);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			die_at(g, "%s too large", name);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0' && *p != ' ' && *p != '\t')
		die_at(g, "bad character after %s", name);
	if (v == 0)
		die_at(g, "%s must be positive", name);
	*pp = p;
	return v;
}

static uint8_t tok_side(const struct gen *g, const char **pp)
{
	const char *p = skip_blanks(*pp);
	uint8_t side = *p == 'B' ? GV_SIDE_BUY : *p == 'S' ? GV_SIDE_SELL : 0;

	if (side == 0 || (p[1] != ' ' && p[1] != '\t'))
		die_at(g, "expected side B or S");
	*pp = p + 1;
	return side;
}

static void tok_end(const struct gen *g, const char *p)
{
	if (*skip_blanks(p) != '\0')
		die_at(g, "trailing characters");
}

static uint64_t idmap_find(const struct gen *g, const struct idmap *m,
                           uint64_t id)
{
	uint64_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (m->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n || m->id[lo] != id)
		die_at(g, "order id %" PRIu64 " was never added by an A "
		       "(an I never rests)", id);
	if (m->cl[lo] == 0)
		die_at(g, "order id %" PRIu64 " was already cancelled", id);
	return lo;
}

static void lobstream_msg(struct gen *g, struct idmap *m, const char *line,
                          uint64_t *last_id)
{
	char kind = line[0];
	const char *p = line + 1;
	uint64_t id, qty, cl, k;
	uint8_t side;
	int64_t px;

	if (kind == '\0' || (line[1] != ' ' && line[1] != '\t'))
		die_at(g, "expected a message: A, I, C or R and fields");
	id = tok_u64(g, &p, "id");
	if (kind == 'A' || kind == 'I') {
		side = tok_side(g, &p);
		px = map_price(g, tok_u64(g, &p, "price"));
		qty = check_qty(g, tok_u64(g, &p, "qty"));
		tok_end(g, p);
		if (id <= *last_id)
			die_at(g, "A/I ids must be unique and increasing");
		*last_id = id;
		k = emit_new(g, side, kind == 'A' ? GV_TIF_GTC : GV_TIF_IOC,
		             px, qty, &cl);
		if (kind == 'I')
			return;
		if (m->n == m->cap) {
			m->cap = GV_MAX(m->cap * 2, 65536u);
			m->id = xrealloc(m->id, m->cap * sizeof(*m->id));
			m->cl = xrealloc(m->cl, m->cap * sizeof(*m->cl));
			m->si = xrealloc(m->si, m->cap * sizeof(*m->si));
		}
		m->id[m->n] = id;
		m->cl[m->n] = cl;
		m->si[m->n++] = (uint32_t)k;
	} else if (kind == 'C') {
		tok_end(g, p);
		k = idmap_find(g, m, id);
		emit_cancel(g, m->si[k], m->cl[k]);
		m->cl[k] = 0;
	} else if (kind == 'R') {
		px = map_price(g, tok_u64(g, &p, "newprice"));
		qty = check_qty(g, tok_u64(g, &p, "newqty"));
		tok_end(g, p);
		k = idmap_find(g, m, id);
		m->cl[k] = emit_replace(g, m->si[k], m->cl[k], px, qty);
	} else {
		die_at(g, "unknown message type '%c' (expected A, I, C or R)",
		       kind);
	}
}

static void read_lobstream(struct gen *g, const char *path)
{
	struct idmap m = { 0 };
	uint64_t seed, warmup, n, nmsg = 0, last_id = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	g->path = path;
	g->lineno = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		int end = -1;

		g->lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		                   line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len != strlen(line))
			die_at(g, "NUL byte in line");
		if (g->lineno == 1) {
			if (sscanf(line, "# lobstream v1 seed=%" SCNu64
			           " warmup=%" SCNu64 " n=%" SCNu64 "%n", &seed,
			           &warmup, &n, &end) != 3 || end < 0 ||
			    line[end] != '\0')
				die_at(g, "expected header "
				       "'# lobstream v1 seed=S warmup=W n=N'");
			continue;
		}
		if (nmsg == n)
			die_at(g, "more messages than the header's n=%" PRIu64,
			       n);
		lobstream_msg(g, &m, line, &last_id);
		nmsg++;
	}
	if (ferror(f))
		die("%s: read error", path);
	g->lineno++;
	if (g->lineno == 1)
		die_at(g, "empty file (expected a lobstream v1 header)");
	if (nmsg != n)
		die_at(g, "%" PRIu64 " messages, the header says n=%" PRIu64,
		       nmsg, n);
	free(line);
	fclose(f);
	free(m.id);
	free(m.cl);
	free(m.si);
}

/* ---- LOBSTER input ----------------------------------------------------- */

struct lob_ord {
	uint64_t lob_id;               /* 0 = empty slot */
	uint64_t cl;
	uint64_t open;                 /* modelled open quantity */
	int64_t price;                 /* ticks, before the offset */
	uint32_t si;
	uint8_t side;
	bool live;
};

struct lob_state {
	struct lob_ord *tab;           /* open addressing, power of two */
	uint64_t cap, used;
	struct lob_ord seed[2 * LOB_LEVELS + 1];
	uint32_t n_seed;
};

struct lob_ev {
	int type;
	uint64_t id, size;
	int64_t price;                 /* ticks (types 1-6) */
	uint8_t side;
};

static struct lob_ord *lob_slot(struct lob_state *ls, uint64_t id)
{
	uint64_t i = (id * 0x9e3779b97f4a7c15ull) >> 20;

	for (;; i++) {
		struct lob_ord *o = &ls->tab[i & (ls->cap - 1)];

		if (o->lob_id == id || o->lob_id == 0)
			return o;
	}
}

static void lob_grow(struct lob_state *ls)
{
	struct lob_ord *old = ls->tab;
	uint64_t i, n = ls->cap;

	ls->cap = n ? n * 2 : 8192;
	ls->tab = xrealloc(NULL, ls->cap * sizeof(*ls->tab));
	memset(ls->tab, 0, ls->cap * sizeof(*ls->tab));
	for (i = 0; i < n; i++)
		if (old[i].lob_id != 0)
			*lob_slot(ls, old[i].lob_id) = old[i];
	free(old);
}

static int64_t lob_ticks(const struct gen *g, long long raw)
{
	if (raw <= 0 || raw % LOB_PRICE_UNIT != 0)
		die_at(g, "price %lld is not a positive multiple of %d "
		       "(LOBSTER dollars x 10000, $0.01 ticks)", raw,
		       LOB_PRICE_UNIT);
	return raw / LOB_PRICE_UNIT;
}

/* "time,type,id,size,price,direction"; time is checked, not used. */
static void lob_parse(const struct gen *g, const char *line,
                      struct lob_ev *e)
{
	long long f[5];
	char *end;
	const char *p;
	int i;

	strtod(line, &end);
	if (end == line || *end != ',')
		die_at(g, "expected time_s,type,order_id,size,price,direction");
	p = end;
	for (i = 0; i < 5; i++) {
		if (*p != ',')
			die_at(g, "expected 6 comma-separated fields");
		errno = 0;
		f[i] = strtoll(p + 1, &end, 10);
		if (end == p + 1 || errno != 0)
			die_at(g, "field %d is not an integer", i + 2);
		p = end;
	}
	if (*p != '\0')
		die_at(g, "trailing characters after direction");
	if (f[0] < 1 || f[0] > 7)
		die_at(g, "event type %lld (expected 1..7)", f[0]);
	if (f[4] != 1 && f[4] != -1)
		die_at(g, "direction %lld (expected 1 or -1)", f[4]);
	e->type = (int)f[0];
	e->side = f[4] == 1 ? GV_SIDE_BUY : GV_SIDE_SELL;
	e->id = (uint64_t)f[1];
	e->size = (uint64_t)f[2];
	e->price = 0;
	if (e->type >= 5)
		return;                  /* hidden, cross, halt: skipped */
	if (f[1] <= 0 || f[2] <= 0)
		die_at(g, "order id and size must be positive");
	e->price = lob_ticks(g, f[3]);
}

static void lob_read_line(struct gen *g, FILE *f, char *line, const char *p)
{
	size_t n;

	if (fgets(line, LINE_MAX_LEN, f) == NULL)
		die("%s: no line %" PRIu64, p, g->lineno + 1);
	g->lineno++;
	n = strcspn(line, "\r\n");
	if (line[n] == '\0' && !feof(f))
		die_at(g, "line longer than %d bytes", LINE_MAX_LEN - 2);
	line[n] = '\0';
}

/* The seed: orderbook line 1 with event 1 undone, one order per level. */
static void lob_seed(struct gen *g, struct lob_state *ls, const char *path,
                     const struct lob_ev *e1)
{
	char line[LINE_MAX_LEN];
	const char *p = line;
	FILE *f = fopen(path, "r");
	int lv, si;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	g->path = path;
	g->lineno = 0;
	lob_read_line(g, f, line, path);
	fclose(f);
	for (lv = 0; lv < LOB_LEVELS; lv++) {
		for (si = 1; si >= 0; si--) {   /* ask then bid */
			struct lob_ord *o = &ls->seed[ls->n_seed];
			long long px, qty;
			char *end;

			px = strtoll(p, &end, 10);
			if (end == p || *end != ',')
				die_at(g, "expected ask/bid price,size pairs");
			p = end + 1;
			qty = strtoll(p, &end, 10);
			if (end == p || (*end != ',' && *end != '\0'))
				die_at(g, "expected ask/bid price,size pairs");
			p = *end ? end + 1 : end;
			if (qty <= 0 || px == 9999999999LL ||
			    px == -9999999999LL)
				continue;       /* empty level */
			memset(o, 0, sizeof(*o));
			o->price = lob_ticks(g, px);
			o->side = si ? GV_SIDE_SELL : GV_SIDE_BUY;
			o->open = (uint64_t)qty;
			ls->n_seed++;
		}
	}
	for (lv = 0; lv < (int)ls->n_seed; lv++) {
		struct lob_ord *o = &ls->seed[lv];

		if (e1->type == 1 && o->side == e1->side &&
		    o->price == e1->price)
			o->open = o->open > e1->size ? o->open - e1->size : 0;
		if (o->open == 0)
			continue;
		o->si = emit_new(g, o->side, GV_TIF_GTC,
		                 map_price(g, (uint64_t)o->price),
		                 check_qty(g, o->open), &o->cl);
		o->live = true;
		g->st.seed_orders++;
	}
}

static struct lob_ord *lob_seed_at(struct lob_state *ls, uint8_t side,
                                   int64_t price)
{
	uint32_t i;

	for (i = 0; i < ls->n_seed; i++)
		if (ls->seed[i].live && ls->seed[i].side == side &&
		    ls->seed[i].price == price)
			return &ls->seed[i];
	return NULL;
}

/* Cut an order's modelled open quantity: replace in place, or cancel. */
static void lob_cut(struct gen *g, struct lob_ord *o, uint64_t size,
                    bool delete)
{
	if (delete || size >= o->open) {
		emit_cancel(g, o->si, o->cl);
		o->live = false;
		return;
	}
	o->open -= size;
	o->cl = emit_replace(g, o->si, o->cl,
	                     map_price(g, (uint64_t)o->price), o->open);
}

static void lob_event(struct gen *g, struct lob_state *ls,
                      const struct lob_ev *e)
{
	struct lob_ord *o = NULL, *seed;
	uint64_t cl;

	if (e->type == 5 || e->type == 6 || e->type == 7) {
		g->st.skipped_events++;
		return;
	}
	if (ls->used * 2 >= ls->cap)
		lob_grow(ls);
	o = lob_slot(ls, e->id);
	if (e->type == 1) {
		if (o->lob_id == e->id && o->live)
			die_at(g, "order id %" PRIu64 " is already live",
			       e->id);
		if (o->lob_id == 0)
			ls->used++;
		o->lob_id = e->id;
		o->price = e->price;
		o->side = e->side;
		o->open = check_qty(g, e->size);
		o->si = emit_new(g, e->side, GV_TIF_GTC,
		                 map_price(g, (uint64_t)e->price), o->open,
		                 &o->cl);
		o->live = true;
		return;
	}
	seed = lob_seed_at(ls, e->side, e->price);
	if (e->type == 4) {
		/* The hit order's side is e->side: the IOC takes the other. */
		emit_new(g, e->side == GV_SIDE_BUY ? GV_SIDE_SELL : GV_SIDE_BUY,
		         GV_TIF_IOC, map_price(g, (uint64_t)e->price),
		         check_qty(g, e->size), &cl);
		if (o->lob_id == e->id && o->live)
			o->live = (o->open -= GV_MIN(o->open, e->size)) > 0;
		else if (seed != NULL)
			seed->live = (seed->open -= GV_MIN(seed->open,
			                                   e->size)) > 0;
		return;
	}
	if (o->lob_id == e->id && o->live)
		lob_cut(g, o, e->size, e->type == 3);
	else if (seed != NULL)
		lob_cut(g, seed, e->size, false);
	else
		g->st.skipped_events++;
}

static void lob_find(const char *dir, char *msg, char *book, size_t len)
{
	static const char tag[] = "_message_";
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	if (d == NULL)
		die("%s: %s", dir, strerror(errno));
	while (!found && (de = readdir(d)) != NULL) {
		const char *m = strstr(de->d_name, tag);
		size_t nl = strlen(de->d_name);

		if (m == NULL || nl < 4 ||
		    strcmp(de->d_name + nl - 4, ".csv") != 0)
			continue;
		snprintf(msg, len, "%s/%s", dir, de->d_name);
		snprintf(book, len, "%s/%.*s_orderbook_%s", dir,
		         (int)(m - de->d_name), de->d_name,
		         m + sizeof(tag) - 1);
		found = true;
	}
	closedir(d);
	if (!found)
		die("%s: no LOBSTER *_message_*.csv file", dir);
}

static void read_lobster(struct gen *g, const char *dir)
{
	char msg_path[PATH_MAX], book_path[PATH_MAX], line[LINE_MAX_LEN];
	struct lob_state ls = { 0 };
	struct lob_ev e;
	bool first = true;
	FILE *f;

	lob_find(dir, msg_path, book_path, sizeof(msg_path));
	f = fopen(msg_path, "r");
	if (f == NULL)
		die("%s: %s", msg_path, strerror(errno));
	lob_grow(&ls);
	g->lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, "\r\n");

		g->path = msg_path;
		g->lineno++;
		if (line[n] == '\0' && !feof(f))
			die_at(g, "line longer than %zu bytes",
			       sizeof(line) - 2);
		line[n] = '\0';
		if (n == 0)
			continue;
		lob_parse(g, line, &e);
		if (first) {
			uint64_t ln = g->lineno;

			lob_seed(g, &ls, book_path, &e);
			g->path = msg_path;
			g->lineno = ln;
			first = false;
		}
		lob_event(g, &ls, &e);
	}
	if (ferror(f))
		die("%s: read error", msg_path);
	if (first)
		die("%s: no events", msg_path);
	fclose(f);
	free(ls.tab);
}

/* ---- set-up ------------------------------------------------------------ */

/* Session k's client address: network(allowed) + k + 1, in the prefix. */
static void client_addr(const struct gv_session_config *sc, uint32_t k,
                        uint8_t ip[4])
{
	const struct gv_prefix *pf = &sc->allowed;
	uint32_t net, host_bits, a;

	if (pf->family != AF_INET)
		die("session %u: allowed prefix is IPv6; the capture is IPv4 "
		    "(give the session an IPv4 'allow')", sc->id);
	net = (uint32_t)pf->addr[0] << 24 | (uint32_t)pf->addr[1] << 16 |
	      (uint32_t)pf->addr[2] << 8 | pf->addr[3];
	host_bits = 32u - pf->len;
	if (pf->len == 0)
		a = 0x0a010000u + k + 1;           /* 10.1.0.k+1 */
	else if (pf->len == 32)
		a = net;
	else if (host_bits < 32 && (uint64_t)k + 1 >= (1ull << host_bits))
		die("session %u: allowed prefix /%u has no host address for "
		    "client %u (the tool uses network + %u)", sc->id, pf->len,
		    k, k + 1);
	else
		a = (net & ~((1u << host_bits) - 1)) + k + 1;
	ip[0] = (uint8_t)(a >> 24);
	ip[1] = (uint8_t)(a >> 16);
	ip[2] = (uint8_t)(a >> 8);
	ip[3] = (uint8_t)a;
	GV_VERIFY(gv_prefix_contains(pf, AF_INET, ip));
}

static void pick_sessions(struct gen *g)
{
	const struct gv_config *c = g->conf;
	uint32_t i, n = 0;

	g->s = xrealloc(NULL, g->cfg->n_sessions * sizeof(*g->s));
	memset(g->s, 0, g->cfg->n_sessions * sizeof(*g->s));
	for (i = 0; i < c->n_sessions && n < g->cfg->n_sessions; i++) {
		struct pg_session *s = &g->s[n];

		if (c->sessions[i].shard != g->inst->shard)
			continue;
		s->sc = &c->sessions[i];
		client_addr(s->sc, n, s->ip);
		s->port = (uint16_t)(CLIENT_PORT_BASE + n);
		memcpy(s->mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0x10,
		                             (uint8_t)(n + 1) }, 6);
		s->next_seq = 1;
		s->exp_in = 1;
		n++;
	}
	if (n < g->cfg->n_sessions)
		die("%s: --sessions %u but shard %u (of instrument %u) serves "
		    "only %u configured session(s)", g->conf->path,
		    g->cfg->n_sessions, g->inst->shard, g->inst->id, n);
	g->n_s = n;
}

static void setup(struct gen *g, const struct pg_cfg *cfg)
{
	const struct gv_endpoint *oe;
	char err[512];
	uint32_t i;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->conf = gv_config_load(cfg->config_path, err, sizeof(err));
	if (g->conf == NULL)
		die("%s", err);
	if (g->conf->n_instruments == 0)
		die("%s: no instruments", cfg->config_path);
	g->inst = cfg->instrument ? gv_config_instrument(g->conf,
	                                                 cfg->instrument)
	                          : &g->conf->instruments[0];
	if (g->inst == NULL)
		die("%s: no instrument %u", cfg->config_path, cfg->instrument);
	oe = &g->conf->engine.order_entry;
	if (oe->family != AF_INET)
		die("%s: engine.order_entry must be an IPv4 address (%s)",
		    cfg->config_path, oe->family ? "IPv6 given" : "unset");
	memcpy(g->gavel_ip, oe->addr, 4);
	g->gavel_port = oe->port;
	pick_sessions(g);
	g->next_cl = 1;
	g->ns_per_msg = 1e9 / cfg->rate_msgs_per_s;
	g->rng = cfg->seed;
	g->next_due_ns = UINT64_MAX;
	g->pcap = pcap_open_dead_with_tstamp_precision(
		DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (g->pcap == NULL)
		die("pcap_open_dead failed");
	g->dump = pcap_dump_open(g->pcap, cfg->out_path);
	if (g->dump == NULL)
		die("%s: %s", cfg->out_path, pcap_geterr(g->pcap));
	g_out_path = cfg->out_path;
	for (i = 0; i < g->n_s; i++)
		send_unseq(g, &g->s[i], U_LOGON, slot_time(g));
	g->next_due_ns = 0;
}

static void finish(struct gen *g)
{
	uint64_t t, end = 0;
	uint32_t i;

	t = slot_time(g);
	advance(g, t);
	for (i = 0; i < g->n_s; i++)
		flush_batch(g, &g->s[i], t);
	for (i = 0; i < g->n_s; i++) {
		struct pg_session *s = &g->s[i];

		if (s->stashed) {
			s->stashed = false;
			deliver(g, s, s->stash, s->stash_len, s->stash_span,
			        t);
		}
		if (s->exp_in < s->next_seq)
			schedule_resend(g, s, g->now_ns);
		end = GV_MAX(end, s->resend_at_ns);
	}
	if (end != 0)
		advance(g, end + 1);
	for (i = 0; g->cfg->logout && i < g->n_s; i++)
		send_unseq(g, &g->s[i], U_LOGOUT, slot_time(g));
}

static void summary(const struct gen *g)
{
	const struct pg_stats *st = &g->st;
	uint64_t span = st->last_ns - st->first_ns;

	fprintf(stderr, PROG ": datagrams=%" PRIu64 " messages=%" PRIu64
	        " sessions=%u bytes=%" PRIu64 " payload_bytes=%" PRIu64
	        " span_ns=%" PRIu64 " first_ns=%" PRIu64 " last_ns=%" PRIu64
	        "\n", st->frames, st->msgs, g->n_s, st->bytes,
	        st->payload_bytes, span, st->first_ns, st->last_ns);
	fprintf(stderr, PROG ": stream_msgs=%" PRIu64 " seq_datagrams=%" PRIu64
	        " logons=%" PRIu64 " heartbeats=%" PRIu64 " logouts=%" PRIu64
	        " lost=%" PRIu64 " dups=%" PRIu64 " reordered=%" PRIu64
	        " resends=%" PRIu64 " resent_datagrams=%" PRIu64
	        " seed_orders=%" PRIu64 " skipped_events=%" PRIu64 "\n",
	        st->stream_msgs, st->seq_dgrams, st->logons, st->heartbeats,
	        st->logouts, st->lost, st->dups, st->reordered, st->resends,
	        st->resent_dgrams, st->seed_orders, st->skipped_events);
	fprintf(stderr, PROG ": time span %.6f s, instrument %u (%s)\n",
	        (double)span / 1e9, g->inst->id, g->inst->symbol);
}

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: " PROG " --config FILE --out FILE "
	      "(--lobstream FILE | --lobster DIR)\n"
	      "  [--sessions N] [--instrument ID] [--price-offset TICKS]\n"
	      "  [--start-ns T] [--rate MSGS_PER_S] [--batch K (1..64)]\n"
	      "  [--loss P] [--dup P] [--reorder P] [--seed S] [--resend]\n"
	      "  [--resend-delay-us U] [--heartbeat-ms MS] [--cod] "
	      "[--logout]\n", f);
}

static uint64_t opt_u64(const char *name, const char *s, uint64_t lo,
                        uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '-' || end == s || *end != '\0' || errno != 0 || v < lo ||
	    v > hi)
		die("--%s: expected an integer in %" PRIu64 "..%" PRIu64
		    ", got '%s'", name, lo, hi, s);
	return v;
}

static double opt_double(const char *name, const char *s, double lo,
                         double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= lo && v <= hi))
		die("--%s: expected a number in %g..%g, got '%s'", name, lo,
		    hi, s);
	return v;
}

static void parse_opts(int argc, char **argv, struct pg_cfg *cfg)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "lobstream", required_argument, NULL, 'f' },
		{ "lobster", required_argument, NULL, 'L' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "instrument", required_argument, NULL, 'i' },
		{ "price-offset", required_argument, NULL, 'p' },
		{ "start-ns", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "loss", required_argument, NULL, 1 },
		{ "dup", required_argument, NULL, 2 },
		{ "reorder", required_argument, NULL, 3 },
		{ "seed", required_argument, NULL, 's' },
		{ "resend", no_argument, NULL, 4 },
		{ "resend-delay-us", required_argument, NULL, 5 },
		{ "heartbeat-ms", required_argument, NULL, 6 },
		{ "cod", no_argument, NULL, 7 },
		{ "logout", no_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	*cfg = (struct pg_cfg){ .n_sessions = 1, .start_ns = START_NS_DEFAULT,
		.rate_msgs_per_s = 1e6, .batch = 1, .seed = 1,
		.resend_delay_us = 100, .heartbeat_ms = 1000 };
	while ((o = getopt_long(argc, argv, "c:o:f:L:n:i:p:t:r:b:s:h", opts,
	                        NULL)) != -1) {
		switch (o) {
		case 'c': cfg->config_path = optarg; break;
		case 'o': cfg->out_path = optarg; break;
		case 'f': cfg->lobstream_path = optarg; break;
		case 'L': cfg->lobster_dir = optarg; break;
		case 'n': cfg->n_sessions = (uint32_t)opt_u64("sessions",
		          optarg, 1, 250); break;
		case 'i': cfg->instrument = (uint32_t)opt_u64("instrument",
		          optarg, 1, GV_INSTRUMENT_ID_MAX); break;
		case 'p': {
			char *end;

			errno = 0;
			cfg->price_offset_ticks = strtoll(optarg, &end, 0);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    llabs(cfg->price_offset_ticks) > GV_PRICE_MAX)
				die("--price-offset: expected an integer in "
				    "-%u..%u, got '%s'", GV_PRICE_MAX,
				    GV_PRICE_MAX, optarg);
			break;
		}
		case 't': cfg->start_ns = opt_u64("start-ns", optarg, 1,
		          UINT64_MAX / 2); break;
		case 'r': cfg->rate_msgs_per_s = opt_double("rate", optarg,
		          1e-3, 1e9); break;
		case 'b': cfg->batch = (uint32_t)opt_u64("batch", optarg, 1,
		          GV_DGRAM_MSGS_MAX); break;
		case 1: cfg->loss_pct = opt_double("loss", optarg, 0, 100);
		        break;
		case 2: cfg->dup_pct = opt_double("dup", optarg, 0, 100);
		        break;
		case 3: cfg->reorder_pct = opt_double("reorder", optarg, 0,
		        100); break;
		case 's': cfg->seed = opt_u64("seed", optarg, 0, UINT64_MAX);
		          break;
		case 4: cfg->resend = true; break;
		case 5: cfg->resend_delay_us = (uint32_t)opt_u64(
		        "resend-delay-us", optarg, 1, 10000000); break;
		case 6: cfg->heartbeat_ms = (uint32_t)opt_u64("heartbeat-ms",
		        optarg, GV_HEARTBEAT_MS_MIN, GV_HEARTBEAT_MS_MAX);
		        break;
		case 7: cfg->cod = true; break;
		case 8: cfg->logout = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (cfg->config_path == NULL || cfg->out_path == NULL ||
	    (cfg->lobstream_path == NULL) == (cfg->lobster_dir == NULL)) {
		usage(stderr);
		die("--config, --out and one of --lobstream/--lobster are "
		    "required");
	}
	if (cfg->loss_pct + cfg->reorder_pct > 100)
		die("--loss + --reorder exceed 100 %%");
}

int main(int argc, char **argv)
{
	struct pg_cfg cfg;
	struct gen g;
	uint32_t i;

	parse_opts(argc, argv, &cfg);
	setup(&g, &cfg);
	if (cfg.lobstream_path != NULL)
		read_lobstream(&g, cfg.lobstream_path);
	else
		read_lobster(&g, cfg.lobster_dir);
	finish(&g);
	if (pcap_dump_flush(g.dump) != 0)
		die("%s: write error", cfg.out_path);
	pcap_dump_close(g.dump);
	pcap_close(g.pcap);
	summary(&g);
	for (i = 0; i < g.n_s; i++) {
		free(g.s[i].hist);
		free(g.s[i].dg);
	}
	free(g.s);
	gv_config_free(g.conf);
	return 0;
}
