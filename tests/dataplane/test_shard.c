/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_shard.c - the per-shard engine (dataplane/gv_shard.c) driven the way
 * the dataplane drives it: GOE/1 datagrams built with the client encoders
 * of gv_goe.h and MACed with the session key, fed with a source address
 * and an engine time; every emitted payload is captured and decoded with
 * gv_goe_parse_replies, gv_mold_parse and gv_itch_decode.
 *
 * The config (text below, parsed with gv_config_parse) has two shards.
 * Shard 0 trades BTCUSD (id 1, STP off) and ETH (id 7); shard 1 SOLUSD.
 * Sessions of shard 0: S1 (allowed 10.0.0.0/8), S2 (any IPv4 source),
 * S3 (10 msgs/s, burst 3), S5 (an IPv6 prefix: never matches); S4 belongs
 * to shard 1. Engine time starts at 20:00:00 UTC; end of day is 21:00.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gv_config.h"
#include "gv_errno.h"
#include "gv_goe.h"
#include "gv_itch.h"
#include "gv_mac.h"
#include "gv_shard.h"
#include "gv_test.h"

#define NS 1000000000ull
#define MS 1000000ull
#define DAY (86400ull * NS)
#define T0 (1699992000ull * NS)          /* 2023-11-14 20:00:00 UTC */
#define T_EOD (T0 + 3600ull * NS)        /* 21:00:00 */

static const char *const g_conf_text =
	"engine = {\n"
	"  end_of_day = \"21:00\";\n"
	"  orders_per_shard = 4096;\n"
	"  resend_history = 1024;\n"
	"  shards = ( { id = 0; lcore = 1; }, { id = 1; lcore = 2; } );\n"
	"  market_data = { address = \"239.1.2.3\"; port = 26400; };\n"
	"};\n"
	"instruments = (\n"
	"  { id = 1; symbol = \"BTCUSD\"; tick_size = \"0.01\";\n"
	"    lot_size = \"0.0001\"; max_qty = 1000000; max_price = 10000000;\n"
	"    shard = 0; stp = \"none\"; },\n"
	"  { id = 7; symbol = \"ETH\"; tick_size = \"0.01\";\n"
	"    lot_size = \"0.001\"; max_qty = 1000000; max_price = 1000000;\n"
	"    shard = 0; },\n"
	"  { id = 3; symbol = \"SOLUSD\"; tick_size = \"0.001\";\n"
	"    lot_size = \"0.01\"; max_qty = 1000; max_price = 100000;\n"
	"    shard = 1; }\n"
	");\n"
	"sessions = (\n"
	"  { id = 1; account = 100; key = \"000102030405060708090a0b0c0d0e0f\";\n"
	"    allow = \"10.0.0.0/8\"; },\n"
	"  { id = 2; account = 200; key = \"101112131415161718191a1b1c1d1e1f\"; },\n"
	"  { id = 3; account = 300; key = \"202122232425262728292a2b2c2d2e2f\";\n"
	"    rate_msgs_per_s = 10; rate_burst = 3; },\n"
	"  { id = 4; account = 400; key = \"303132333435363738393a3b3c3d3e3f\";\n"
	"    shard = 1; },\n"
	"  { id = 5; account = 500; key = \"404142434445464748494a4b4c4d4e4f\";\n"
	"    allow = \"2001:db8::/32\"; }\n"
	");\n";

static struct gv_config *g_cfg;

#define MD_IP 0xef010203u   /* 239.1.2.3 */
#define MD_PORT 26400
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* ---- captured output ----------------------------------------------------- */

struct pkt {
	struct gv_addr dst;
	uint32_t len;
	uint8_t b[GV_DGRAM_MAX];
};

#define MAX_PKTS 4096
static struct pkt g_pkt[MAX_PKTS];
static uint32_t g_npkt;

static void cap_emit(void *arg, const struct gv_addr *dst,
                     const uint8_t *payload, uint32_t len)
{
	(void)arg;
	CU_ASSERT_FATAL(g_npkt < MAX_PKTS);
	CU_ASSERT_FATAL(len <= GV_DGRAM_MAX);
	g_pkt[g_npkt].dst = *dst;
	g_pkt[g_npkt].len = len;
	memcpy(g_pkt[g_npkt].b, payload, len);
	g_npkt++;
}

static const struct gv_shard_out g_out = { .emit = cap_emit };

static struct gv_shard *mk(uint32_t shard, uint64_t t)
{
	struct gv_shard *sh;

	g_npkt = 0;
	sh = gv_shard_create(g_cfg, shard, &g_out, t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	return sh;
}

static void book_ok(struct gv_shard *sh)
{
	char why[256] = "";

	CU_ASSERT_EQUAL(gv_book_check(gv_shard_book(sh), why, sizeof(why)),
	                0);
	if (why[0] != '\0')
		fprintf(stderr, "\n  book_check: %s\n", why);
}

static bool is_md(const struct pkt *p)
{
	return p->dst.ip == MD_IP && p->dst.port == MD_PORT;
}

static bool same_addr(const struct gv_addr *a, const struct gv_addr *b)
{
	return a->ip == b->ip && a->port == b->port;
}

/* GOE/1 replies in packets [from, g_npkt) sent to `dst`, in order. */
#define MAX_REPLIES 4096
static struct gv_goe_reply g_rep[MAX_REPLIES];

static int replies(uint32_t from, const struct gv_addr *dst)
{
	int n = 0;
	uint32_t i;

	for (i = from; i < g_npkt; i++) {
		int k;

		if (is_md(&g_pkt[i]) || !same_addr(&g_pkt[i].dst, dst))
			continue;
		k = gv_goe_parse_replies(g_pkt[i].b, g_pkt[i].len, g_rep + n,
		                         (uint32_t)(MAX_REPLIES - n));
		CU_ASSERT_FATAL(k >= 0);
		n += k;
	}
	return n;
}

/* GOE/1 datagrams to anyone in [from, g_npkt). */
static uint32_t goe_dgrams(uint32_t from)
{
	uint32_t i, n = 0;

	for (i = from; i < g_npkt; i++)
		n += !is_md(&g_pkt[i]);
	return n;
}

/* ITCH messages in the MoldUDP64 packets of [from, g_npkt). */
#define MAX_ITCH 4096
static struct gv_itch_msg g_itch[MAX_ITCH];
static int g_nitch;

static void on_itch(void *arg, const uint8_t *msg, uint32_t len)
{
	(void)arg;
	CU_ASSERT_FATAL(g_nitch < MAX_ITCH);
	CU_ASSERT_EQUAL(gv_itch_decode(msg, len, &g_itch[g_nitch]), 0);
	g_nitch++;
}

static int itch(uint32_t from)
{
	struct gv_mold_hdr h;
	uint32_t i;

	g_nitch = 0;
	for (i = from; i < g_npkt; i++)
		if (is_md(&g_pkt[i]))
			CU_ASSERT(gv_mold_parse(g_pkt[i].b, g_pkt[i].len, &h,
			                        on_itch, NULL) >= 0);
	return g_nitch;
}

/* Every MoldUDP64 packet since create: session name, contiguous
 * sequence numbers. Returns the next sequence number. */
static uint64_t md_continuity(uint32_t shard)
{
	char name[GV_MOLD_SESSION_LEN];
	uint64_t next = 1;
	uint32_t i;

	gv_mold_session_name(name, shard);
	for (i = 0; i < g_npkt; i++) {
		struct gv_mold_hdr h;

		if (!is_md(&g_pkt[i]))
			continue;
		CU_ASSERT(gv_mold_parse(g_pkt[i].b, g_pkt[i].len, &h, NULL,
		                        NULL) >= 0);
		CU_ASSERT_EQUAL(memcmp(h.session, name, sizeof(name)), 0);
		CU_ASSERT_EQUAL(h.seq, next);
		if (h.count != GV_MOLD_END_OF_SESSION)
			next += h.count;
	}
	return next;
}

/* ---- a client ------------------------------------------------------------ */

struct client {
	uint32_t id;
	uint8_t key[GV_KEY_LEN];
	struct gv_addr addr;
	uint64_t seq;          /* next outbound (client -> gavel) */
	uint64_t cl;           /* next cl_ord_id */
};

static struct client cl_make(uint32_t id, uint32_t ip)
{
	const struct gv_session_config *sc = gv_config_session(g_cfg, id);
	struct client c = { .id = id, .addr = { ip, 40000 + (uint16_t)id },
	                    .seq = 1, .cl = 1 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	memcpy(c.key, sc->key, GV_KEY_LEN);
	return c;
}

static uint8_t g_buf[GV_DGRAM_MAX];
static uint32_t g_len;
static struct gv_goe_writer g_w;

static void dg_begin(const struct client *c, uint64_t seq, uint64_t ts)
{
	gv_goe_begin(&g_w, g_buf, c->id, seq, ts);
}

static void dg_finish(const struct client *c)
{
	g_len = gv_goe_finish(&g_w, c->key);
}

static void dg_send(struct gv_shard *sh, const struct client *c,
                    uint64_t now)
{
	gv_shard_rx(sh, g_buf, g_len, &c->addr, now);
}

static void logon_at(struct gv_shard *sh, const struct client *c,
                     uint32_t hb_ms, bool cod, uint64_t ts, uint64_t now)
{
	dg_begin(c, 0, ts);
	CU_ASSERT_EQUAL(gv_goe_put_logon(&g_w, hb_ms, cod), 0);
	dg_finish(c);
	dg_send(sh, c, now);
}

static void logon(struct gv_shard *sh, const struct client *c,
                  uint32_t hb_ms, bool cod, uint64_t now)
{
	logon_at(sh, c, hb_ms, cod, now, now);
}

/* One unsequenced message of type L/O/H/Q. */
static void unseq(struct gv_shard *sh, const struct client *c, uint8_t type,
                  uint64_t from_seq, uint16_t count, uint64_t now)
{
	dg_begin(c, 0, now);
	if (type == GV_GOE_LOGOUT)
		CU_ASSERT_EQUAL(gv_goe_put_logout(&g_w), 0);
	if (type == GV_GOE_HEARTBEAT)
		CU_ASSERT_EQUAL(gv_goe_put_client_heartbeat(&g_w), 0);
	if (type == GV_GOE_RESEND)
		CU_ASSERT_EQUAL(gv_goe_put_resend(&g_w, from_seq, count), 0);
	dg_finish(c);
	dg_send(sh, c, now);
}

static struct gv_cmd new_order(uint32_t sym, uint64_t cl, uint8_t side,
                               int64_t price, uint64_t qty, uint8_t tif)
{
	struct gv_cmd k;

	memset(&k, 0, sizeof(k));
	k.type = GV_CMD_NEW;
	k.u.new_order.symbol = sym;
	k.u.new_order.cl_ord_id = cl;
	k.u.new_order.side = side;
	k.u.new_order.type = GV_TYPE_LIMIT;
	k.u.new_order.tif = tif;
	k.u.new_order.price = price;
	k.u.new_order.qty = qty;
	return k;
}

/* A sequenced datagram of n commands at the client's next seq. */
static void send_cmds(struct gv_shard *sh, struct client *c,
                      const struct gv_cmd *k, uint32_t n, uint64_t now)
{
	uint32_t i;

	dg_begin(c, c->seq, now);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(gv_goe_put_cmd(&g_w, &k[i]), 0);
	dg_finish(c);
	dg_send(sh, c, now);
	c->seq += n;
}

/* One limit order with the client's next cl_ord_id. */
static void order(struct gv_shard *sh, struct client *c, uint32_t sym,
                  uint8_t side, int64_t price, uint64_t qty, uint8_t tif,
                  uint64_t now)
{
	struct gv_cmd k = new_order(sym, c->cl++, side, price, qty, tif);

	send_cmds(sh, c, &k, 1, now);
}

static void cancel(struct gv_shard *sh, struct client *c, uint64_t cl,
                   uint64_t now)
{
	struct gv_cmd k;

	memset(&k, 0, sizeof(k));
	k.type = GV_CMD_CANCEL;
	k.u.cancel.cl_ord_id = cl;
	send_cmds(sh, c, &k, 1, now);
}

static uint64_t cnt(const struct gv_shard *sh, enum gv_shard_counter c)
{
	return gv_shard_counter(sh, c);
}

static uint64_t drops(const struct gv_shard *sh, enum gv_goe_drop d)
{
	return gv_shard_counter(sh, GV_SH_DROP_FIRST + d);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_create_md_opening(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct gv_mold_hdr h;
	int n;

	CU_ASSERT_EQUAL(g_npkt, 1);
	CU_ASSERT(is_md(&g_pkt[0]));
	CU_ASSERT_EQUAL(gv_mold_parse(g_pkt[0].b, g_pkt[0].len, &h, NULL,
	                              NULL), 4);
	CU_ASSERT_EQUAL(memcmp(h.session, "GAVEL00000", 10), 0);
	CU_ASSERT_EQUAL(h.seq, 1);
	n = itch(0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(g_itch[0].type, 'S');
	CU_ASSERT_EQUAL(g_itch[0].code, 'O');
	CU_ASSERT_EQUAL(g_itch[0].ts_ns, 20ull * 3600 * NS);
	CU_ASSERT_EQUAL(g_itch[1].type, 'R');
	CU_ASSERT_EQUAL(g_itch[1].locate, 1);
	CU_ASSERT_STRING_EQUAL(g_itch[1].stock, "BTCUSD  ");
	CU_ASSERT_EQUAL(g_itch[2].type, 'R');
	CU_ASSERT_EQUAL(g_itch[2].locate, 7);
	CU_ASSERT_STRING_EQUAL(g_itch[2].stock, "ETH     ");
	CU_ASSERT_EQUAL(g_itch[3].type, 'S');
	CU_ASSERT_EQUAL(g_itch[3].code, 'Q');
	CU_ASSERT_EQUAL(g_itch[1].tracking, 0);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_MSGS), 4);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_PKTS), 1);
	gv_shard_close(sh, T0);
}

static void test_create_shard1_and_errors(void)
{
	struct gv_shard *sh;
	struct gv_mold_hdr h;

	g_npkt = 0;
	sh = gv_shard_create(g_cfg, 1, &g_out, T0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_EQUAL_FATAL(g_npkt, 1);
	/* shard k sends to port + k */
	CU_ASSERT_EQUAL(g_pkt[0].dst.ip, MD_IP);
	CU_ASSERT_EQUAL(g_pkt[0].dst.port, MD_PORT + 1);
	CU_ASSERT_EQUAL(gv_mold_parse(g_pkt[0].b, g_pkt[0].len, &h, NULL,
	                              NULL), 3);
	CU_ASSERT_EQUAL(memcmp(h.session, "GAVEL00001", 10), 0);
	gv_shard_close(sh, T0);

	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_shard_create(g_cfg, 2, &g_out, T0));
	CU_ASSERT_EQUAL(gv_errno, EINVAL);

	CU_ASSERT_EQUAL(gv_config_session_shard(g_cfg, 1), 0);
	CU_ASSERT_EQUAL(gv_config_session_shard(g_cfg, 4), 1);
	CU_ASSERT_EQUAL(gv_config_session_shard(g_cfg, 99), -1);
	gv_shard_close(NULL, T0);
}

/* No IPv4 market-data endpoint: packets are built, counted and emitted
 * with dst {0, 0} (the dataplane has no route for them). */
static void test_md_without_destination(void)
{
	static const char text[] =
		"engine = { shards = ( { id = 0; lcore = 1; } );\n"
		"  market_data = { address = \"ff15::1:2\"; port = 26400; }; };\n"
		"instruments = ( { id = 1; symbol = \"X\"; tick_size = \"1\";\n"
		"  lot_size = \"1\"; max_qty = 10; max_price = 10; shard = 0; } );\n";
	static const char *const texts[2] = {
		text,
		"engine = { orders_per_shard = 1024;\n"
		"  shards = ( { id = 0; lcore = 1; } ); };\n"
		"instruments = ( { id = 1; symbol = \"X\"; tick_size = \"1\";\n"
		"  lot_size = \"1\"; max_qty = 10; max_price = 10; shard = 0; } );\n",
	};
	unsigned i;

	for (i = 0; i < 2; i++) {
		char err[256] = "";
		struct gv_config *cfg = gv_config_parse(texts[i], "t.conf", err,
		                                        sizeof(err));
		struct gv_shard *sh;

		if (cfg == NULL)
			fprintf(stderr, "\n  config: %s\n", err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		g_npkt = 0;
		sh = gv_shard_create(cfg, 0, &g_out, T0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
		CU_ASSERT_EQUAL(g_npkt, 1);
		CU_ASSERT_EQUAL(g_pkt[0].dst.ip, 0);
		CU_ASSERT_EQUAL(g_pkt[0].dst.port, 0);
		CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_PKTS), 1);
		CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_MSGS), 3);
		gv_shard_tick(sh, T0 + NS);
		CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_PKTS), 2);
		gv_shard_close(sh, T0 + NS);
		gv_config_free(cfg);
	}
}

static void test_close(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct gv_mold_hdr h;
	uint32_t from = g_npkt;
	int n;

	gv_shard_close(sh, T0 + 5 * NS);
	CU_ASSERT_EQUAL_FATAL(g_npkt, from + 2);
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_itch[0].code, 'M');
	CU_ASSERT_EQUAL(g_itch[1].code, 'C');
	CU_ASSERT_EQUAL(gv_mold_parse(g_pkt[from + 1].b, g_pkt[from + 1].len,
	                              &h, NULL, NULL), 0);
	CU_ASSERT_EQUAL(h.count, GV_MOLD_END_OF_SESSION);
	CU_ASSERT_EQUAL(h.seq, 7);
	CU_ASSERT_EQUAL(md_continuity(0), 7);
}

static void test_logon(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client c = cl_make(2, IP(192, 168, 0, 2));
	struct gv_addr a = c.addr, b = { IP(192, 168, 0, 99), 5555 };
	uint64_t now = T0 + NS, t;
	uint32_t from = g_npkt;
	int n;

	logon(sh, &c, 60000, false, now);
	n = replies(from, &a);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_LOGON_ACK);
	CU_ASSERT_EQUAL(g_rep[0].seq, 0);
	CU_ASSERT_EQUAL(g_rep[0].next_in, 1);
	CU_ASSERT_EQUAL(g_rep[0].next_out, 1);
	CU_ASSERT_EQUAL(goe_dgrams(from), 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGONS), 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RX_ACCEPTED), 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_TX_DGRAMS), 1);

	/* Replayed (same ts), stale, outside +-5 s: ignored, no answer. */
	from = g_npkt;
	logon_at(sh, &c, 60000, false, now, now + MS);
	logon_at(sh, &c, 60000, false, now - 1, now + 2 * MS);
	logon_at(sh, &c, 60000, false, now + 3 * MS + 5 * NS + 1,
	         now + 3 * MS);
	t = now + 6 * NS;
	logon_at(sh, &c, 60000, false, t - 5 * NS - 1, t);
	/* Out-of-range fields. */
	logon(sh, &c, 99, false, t + 10 * MS);
	logon(sh, &c, 60001, false, t + 20 * MS);
	dg_begin(&c, 0, t + 30 * MS);
	CU_ASSERT_EQUAL(gv_goe_put_logon(&g_w, 1000, true), 0);
	g_buf[GV_DGRAM_HDR_LEN + 8] = 2; /* cancel_on_disconnect 2 */
	dg_finish(&c);
	dg_send(sh, &c, t + 30 * MS);
	CU_ASSERT_EQUAL(goe_dgrams(from), 0);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGONS_IGNORED), 7);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGONS), 1);

	/* The edges: exactly 5 s ahead; heartbeat 100 and 60000. */
	logon_at(sh, &c, 100, false, t + 40 * MS + 5 * NS, t + 40 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGONS), 2);
	logon_at(sh, &c, 60000, false, t + 50 * MS + 5 * NS + 1,
	         t + 50 * MS + 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGONS), 3);
	CU_ASSERT_EQUAL(replies(from, &a), 2);

	/* A new Logon from another address moves the peer: replies to
	 * orders (from any allowed source) now go there. */
	c.addr = b;
	from = g_npkt;
	logon_at(sh, &c, 60000, false, t + 60 * MS + 5 * NS, t + 100 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGONS), 4);
	CU_ASSERT_EQUAL(replies(from, &b), 1);
	CU_ASSERT_EQUAL(replies(from, &a), 0);
	c.addr = a;
	order(sh, &c, 1, GV_SIDE_BUY, 100, 1, GV_TIF_GTC, t + 200 * MS);
	CU_ASSERT_EQUAL(replies(from, &a), 0);
	n = replies(from, &b);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_rep[1].type, GV_GOE_ACCEPTED);
	CU_ASSERT_EQUAL(g_rep[1].seq, 1);
	gv_shard_close(sh, t + NS);
}

static void test_silent_drops(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client c1 = cl_make(1, IP(10, 1, 2, 3));
	struct client c2 = cl_make(2, IP(192, 168, 0, 2));
	struct client c4 = cl_make(4, IP(10, 0, 0, 4));
	struct client c5 = cl_make(5, IP(10, 0, 0, 5));
	struct client ghost = c2;
	uint64_t now = T0 + NS;
	uint32_t from = g_npkt;
	uint8_t shortbuf[10] = { 'G', 'V', 1 };

	/* Unknown session. */
	ghost.id = 99;
	logon(sh, &ghost, 1000, false, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_SESSION), 1);
	/* Another shard's session. */
	logon(sh, &c4, 1000, false, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_SESSION), 2);
	/* Source outside the prefix; an IPv6 prefix never matches. */
	c1.addr.ip = IP(11, 0, 0, 1);
	logon(sh, &c1, 1000, false, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_SOURCE), 1);
	logon(sh, &c5, 1000, false, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_SOURCE), 2);
	/* Bad MAC: another session's key, a flipped byte. */
	c1.addr.ip = IP(10, 1, 2, 3);
	dg_begin(&c1, 0, now);
	CU_ASSERT_EQUAL(gv_goe_put_logon(&g_w, 1000, false), 0);
	g_len = gv_goe_finish(&g_w, c2.key);
	dg_send(sh, &c1, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_MAC), 1);
	dg_begin(&c1, 0, now);
	CU_ASSERT_EQUAL(gv_goe_put_logon(&g_w, 1000, false), 0);
	dg_finish(&c1);
	g_buf[GV_DGRAM_HDR_LEN + 4] ^= 1;
	dg_send(sh, &c1, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_MAC), 2);
	/* Framing. */
	gv_shard_rx(sh, shortbuf, sizeof(shortbuf), &c1.addr, now);
	CU_ASSERT_EQUAL(drops(sh, GV_GOE_DROP_SHORT), 1);
	/* Sequenced before Logon: passed the checks, then dropped. */
	order(sh, &c2, 1, GV_SIDE_BUY, 100, 1, GV_TIF_GTC, now);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DROP_NOT_LOGGED_ON), 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RX_ACCEPTED), 1);
	/* 'H', 'O', 'Q' before Logon: ignored. */
	unseq(sh, &c2, GV_GOE_HEARTBEAT, 0, 0, now);
	unseq(sh, &c2, GV_GOE_LOGOUT, 0, 0, now);
	unseq(sh, &c2, GV_GOE_RESEND, 1, 1, now);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_IGNORED), 3);

	CU_ASSERT_EQUAL(goe_dgrams(from), 0); /* nothing was answered */
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RX_DGRAMS), 11);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RX_ACCEPTED), 4);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 0);
	CU_ASSERT_EQUAL(gv_book_counter(gv_shard_book(sh), GV_CNT_CMDS), 0);

	/* The session is intact: it logs on and starts at seq 1. */
	logon(sh, &c1, 1000, false, now + MS);
	CU_ASSERT_EQUAL_FATAL(replies(from, &c1.addr), 1);
	CU_ASSERT_EQUAL(g_rep[0].next_in, 1);
	gv_shard_close(sh, now + NS);
}

/* Session views and per-type counters (what the control plane reads),
 * and batching: the same messages, fewer datagrams. */
static void test_views_counters_batching(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct gv_shard_session_view v;
	uint64_t now = T0 + NS;
	uint32_t i, from, dg_before;

	CU_ASSERT(gv_shard_sessions(sh) >= 1);
	CU_ASSERT_EQUAL(gv_shard_session_view(sh, gv_shard_sessions(sh), &v),
	                -ENOENT);
	logon(sh, &a, 1000, false, now);
	for (i = 0; i < gv_shard_sessions(sh); i++)
		if (gv_shard_session_view(sh, i, &v) == 0 && v.id == 1)
			break;
	CU_ASSERT_FATAL(i < gv_shard_sessions(sh));
	CU_ASSERT(v.logged_on && !v.killed && v.next_in == 1 && v.next_out == 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_IN_TYPE_FIRST + gv_shard_type_index('L')),
	                1);
	gv_shard_set_batching(sh, true);
	from = g_npkt;
	dg_before = (uint32_t)cnt(sh, GV_SH_TX_DGRAMS);
	for (i = 0; i < 5; i++)
		order(sh, &a, 1, GV_SIDE_SELL, 100 + i, 1, GV_TIF_GTC, now + MS);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 0); /* still open */
	gv_shard_flush(sh);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 5);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_TX_DGRAMS) - dg_before, 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_IN_TYPE_FIRST + gv_shard_type_index('N')),
	                5);
	CU_ASSERT(gv_shard_session_view(sh, i = 0, &v) == 0);
	CU_ASSERT_EQUAL(gv_shard_type_index('Z'), -1);
	CU_ASSERT_EQUAL(gv_shard_type_index(0), -1);
	gv_shard_kill(sh, 1, true, now + 2 * MS);
	for (i = 0; i < gv_shard_sessions(sh); i++)
		if (gv_shard_session_view(sh, i, &v) == 0 && v.id == 1)
			CU_ASSERT(v.killed && v.next_in == 6);
	book_ok(sh);
	gv_shard_close(sh, now + 3 * MS);
}

static void test_orders_and_fills(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct client b = cl_make(2, IP(192, 168, 0, 2));
	uint64_t now = T0 + NS;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, now);
	logon(sh, &b, 1000, false, now);
	from = g_npkt;
	order(sh, &a, 1, GV_SIDE_SELL, 100, 10, GV_TIF_GTC, now + MS);
	order(sh, &b, 1, GV_SIDE_BUY, 100, 4, GV_TIF_GTC, now + 2 * MS);

	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_ACCEPTED);
	CU_ASSERT_EQUAL(g_rep[0].seq, 1);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.cl_ord_id, 1);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.qty, 10);
	CU_ASSERT_EQUAL(g_rep[1].type, GV_GOE_FILL);
	CU_ASSERT_EQUAL(g_rep[1].seq, 2);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.qty, 4);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.open_qty, 6);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.liquidity, GV_LIQ_MAKER);

	n = replies(from, &b.addr);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_ACCEPTED);
	CU_ASSERT_EQUAL(g_rep[0].seq, 1);
	CU_ASSERT_EQUAL(g_rep[1].type, GV_GOE_FILL);
	CU_ASSERT_EQUAL(g_rep[1].seq, 2);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.liquidity, GV_LIQ_TAKER);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.price, 100);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 2);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_OUT), 4);

	/* A reject is numbered too; an unknown instrument of shard 1. */
	from = g_npkt;
	order(sh, &b, 3, GV_SIDE_BUY, 100, 4, GV_TIF_GTC, now + 3 * MS);
	n = replies(from, &b.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_REJECTED);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.reason, GV_REJ_UNKNOWN_SYMBOL);
	CU_ASSERT_EQUAL(g_rep[0].seq, 3);
	book_ok(sh);
	gv_shard_close(sh, now + NS);
}

static void test_many_replies_split(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct gv_cmd k[64];
	uint64_t now = T0 + NS, seq;
	uint32_t from, i, j, pk;
	int n, m;

	logon(sh, &a, 1000, false, now);
	for (j = 0; j < 4; j++) {
		for (i = 0; i < 25; i++)
			k[i] = new_order(1, a.cl++, GV_SIDE_BUY,
			                 100 + (int64_t)(j * 25 + i), 1,
			                 GV_TIF_GTC);
		send_cmds(sh, &a, k, 25, now);
	}
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 100);
	from = g_npkt;
	memset(k, 0, sizeof(k[0]));
	k[0].type = GV_CMD_MASS_CANCEL;
	send_cmds(sh, &a, k, 1, now + MS);
	/* 'e' then 100 'x': several datagrams, contiguous numbers. */
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 101);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_MASS_CANCEL_ACK);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.qty, 100);
	for (m = 0; m < n; m++)
		CU_ASSERT_EQUAL(g_rep[m].seq, 101 + (uint64_t)m);
	CU_ASSERT(goe_dgrams(from) >= 3);
	/* 100 'D': over one MoldUDP64 packet; numbers stay contiguous. */
	n = itch(from);
	CU_ASSERT_EQUAL(n, 100);
	for (pk = 0, i = from; i < g_npkt; i++)
		pk += is_md(&g_pkt[i]);
	CU_ASSERT(pk >= 2);
	seq = md_continuity(0);
	CU_ASSERT_EQUAL(seq, 1 + 4 + 100 + 100);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_MSGS), seq - 1);
	book_ok(sh);
	gv_shard_close(sh, now + NS);
}

static void test_duplicates_and_gap(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct gv_cmd k[3];
	uint64_t now = T0 + NS;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, now);
	k[0] = new_order(1, 1, GV_SIDE_BUY, 100, 1, GV_TIF_GTC);
	k[1] = new_order(1, 2, GV_SIDE_BUY, 101, 1, GV_TIF_GTC);
	send_cmds(sh, &a, k, 2, now);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 2);
	/* The same datagram again: duplicates, nothing answered. */
	from = g_npkt;
	dg_send(sh, &a, now + MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DUPLICATES), 2);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 2);
	CU_ASSERT_EQUAL(goe_dgrams(from), 0);
	/* Overlap: seq 2..3, 2 is a duplicate, 3 applied. */
	a.seq = 2;
	k[0] = new_order(1, 2, GV_SIDE_BUY, 101, 1, GV_TIF_GTC);
	k[1] = new_order(1, 3, GV_SIDE_BUY, 102, 1, GV_TIF_GTC);
	send_cmds(sh, &a, k, 2, now + 2 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DUPLICATES), 3);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 3);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.cl_ord_id, 3);
	CU_ASSERT_EQUAL(g_rep[0].seq, 3);

	/* Gap: seq 6 while 4 is expected: dropped, 'g' 4. */
	from = g_npkt;
	a.seq = 6;
	k[0] = new_order(1, 6, GV_SIDE_BUY, 103, 1, GV_TIF_GTC);
	send_cmds(sh, &a, k, 1, now + 3 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_GAPS), 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 3);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_SEQ_GAP);
	CU_ASSERT_EQUAL(g_rep[0].expected_in, 4);
	CU_ASSERT_EQUAL(g_rep[0].seq, 0);
	/* The client resends from 4. */
	from = g_npkt;
	a.seq = 4;
	k[0] = new_order(1, 4, GV_SIDE_BUY, 103, 1, GV_TIF_GTC);
	k[1] = new_order(1, 5, GV_SIDE_BUY, 104, 1, GV_TIF_GTC);
	k[2] = new_order(1, 6, GV_SIDE_BUY, 105, 1, GV_TIF_GTC);
	send_cmds(sh, &a, k, 3, now + 4 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 6);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(g_rep[0].seq, 4);
	CU_ASSERT_EQUAL(g_rep[2].seq, 6);
	CU_ASSERT_EQUAL(g_rep[2].ev.u.ord.cl_ord_id, 6);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 6);
	gv_shard_close(sh, now + NS);
}

/* Message bytes of sequenced replies to `dst` in [from, g_npkt), by seq. */
struct raw {
	uint32_t len;
	uint8_t b[GV_GOE_LEN_MAX];
};

static struct raw g_raw[1200];

static void raw_collect(uint32_t from, const struct gv_addr *dst)
{
	uint32_t i, off, k;

	memset(g_raw, 0, sizeof(g_raw));
	for (i = from; i < g_npkt; i++) {
		const struct pkt *p = &g_pkt[i];
		uint64_t seq = 0;

		if (is_md(p) || !same_addr(&p->dst, dst))
			continue;
		for (k = 0; k < 8; k++)
			seq |= (uint64_t)p->b[8 + k] << (8 * k);
		if (seq == 0)
			continue;
		for (off = GV_DGRAM_HDR_LEN, k = 0; off < p->len; k++) {
			uint32_t len = p->b[off] | (uint32_t)p->b[off + 1] << 8;

			CU_ASSERT_FATAL(seq + k < GV_ARRAY_SIZE(g_raw));
			g_raw[seq + k].len = len;
			memcpy(g_raw[seq + k].b, p->b + off, len);
			off += len;
		}
	}
}

static void test_resend_request(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct client b = cl_make(2, IP(192, 168, 0, 2));
	struct raw orig[8];
	uint64_t now = T0 + NS;
	uint32_t from;
	int n, i;

	logon(sh, &a, 1000, false, now);
	logon(sh, &b, 1000, false, now);
	from = g_npkt;
	order(sh, &a, 1, GV_SIDE_SELL, 100, 10, GV_TIF_GTC, now);
	order(sh, &b, 1, GV_SIDE_BUY, 100, 4, GV_TIF_GTC, now);
	cancel(sh, &a, 1, now);
	raw_collect(from, &a.addr);
	memcpy(orig, g_raw, sizeof(orig)); /* a: 'a' 1, 'f' 2, 'x' 3 */
	CU_ASSERT_EQUAL(orig[3].b[2], GV_GOE_CANCELLED);

	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 1, 3, now + MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RESEND_REQUESTS), 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RESENT_MSGS), 3);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(g_rep[i].seq, (uint64_t)i + 1);
	raw_collect(from, &a.addr);
	for (i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL(g_raw[i].len, orig[i].len);
		CU_ASSERT_EQUAL(memcmp(g_raw[i].b, orig[i].b, orig[i].len), 0);
	}
	/* Past what exists: only what exists; all of it unnumbered: none. */
	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 2, 1000, now + 2 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_rep[0].seq, 2);
	CU_ASSERT_EQUAL(g_rep[1].seq, 3);
	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 4, 10, now + 3 * MS);
	CU_ASSERT_EQUAL(goe_dgrams(from), 0);
	/* Count outside 1..1000: ignored. */
	unseq(sh, &a, GV_GOE_RESEND, 1, 0, now + 4 * MS);
	unseq(sh, &a, GV_GOE_RESEND, 1, 1001, now + 4 * MS);
	CU_ASSERT_EQUAL(goe_dgrams(from), 0);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_IGNORED), 2);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_RESEND_REQUESTS), 3);
	/* from_seq 0 is before any history: 'g', then 1..2. */
	unseq(sh, &a, GV_GOE_RESEND, 0, 3, now + 5 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_SEQ_GAP);
	CU_ASSERT_EQUAL(g_rep[1].seq, 1);
	CU_ASSERT_EQUAL(g_rep[2].seq, 2);
	gv_shard_close(sh, now + NS);
}

/* Reports for a logged-out session are numbered and kept: after the next
 * Logon a resend brings them back, the same as if it had been there. */
static void test_resend_logged_out(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct client b = cl_make(2, IP(192, 168, 0, 2));
	uint64_t now = T0 + NS;
	uint64_t cl = a.cl;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, now);
	logon(sh, &b, 1000, false, now);
	order(sh, &a, 1, GV_SIDE_SELL, 100, 10, GV_TIF_GTC, now); /* 'a' 1 */
	unseq(sh, &a, GV_GOE_LOGOUT, 0, 0, now + MS);
	from = g_npkt;
	/* Two fills of a's order while a is away: its 2 and 3. */
	order(sh, &b, 1, GV_SIDE_BUY, 100, 4, GV_TIF_IOC, now + 2 * MS);
	order(sh, &b, 1, GV_SIDE_BUY, 100, 5, GV_TIF_IOC, now + 3 * MS);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 0);
	logon(sh, &a, 1000, false, now + 4 * MS);
	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 1, 10, now + 5 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_ACCEPTED);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.cl_ord_id, cl);
	CU_ASSERT_EQUAL(g_rep[1].type, GV_GOE_FILL);
	CU_ASSERT_EQUAL(g_rep[1].seq, 2);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.cl_ord_id, cl);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.qty, 4);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.open_qty, 6);
	CU_ASSERT_EQUAL(g_rep[2].type, GV_GOE_FILL);
	CU_ASSERT_EQUAL(g_rep[2].seq, 3);
	CU_ASSERT_EQUAL(g_rep[2].ev.u.ord.qty, 5);
	CU_ASSERT_EQUAL(g_rep[2].ev.u.ord.open_qty, 1);
	/* What follows is numbered after them and sent at once. */
	from = g_npkt;
	order(sh, &a, 1, GV_SIDE_SELL, 101, 1, GV_TIF_GTC, now + 6 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].seq, 4);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.cl_ord_id, cl + 1);
	book_ok(sh);
	gv_shard_close(sh, now + NS);
}

static void test_history_overflow(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct gv_cmd k[64];
	uint64_t now = T0 + NS;
	uint32_t from, i, j;
	int n;

	CU_ASSERT_EQUAL_FATAL(g_cfg->engine.resend_history, 1024);
	logon(sh, &a, 1000, false, now);
	from = g_npkt;
	/* 1100 rejects (unknown symbol): outbound 1..1100. */
	for (j = 0; j < 1100; j += 25) {
		for (i = 0; i < 25; i++)
			k[i] = new_order(99, a.cl++, GV_SIDE_BUY, 1, 1,
			                 GV_TIF_GTC);
		send_cmds(sh, &a, k, 25, now);
	}
	raw_collect(from, &a.addr);
	CU_ASSERT_EQUAL(g_raw[1100].b[2], GV_GOE_REJECTED);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_OUT), 1100);
	/* The ring keeps 77..1100: 1..10 is gone. */
	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 1, 10, now + MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_SEQ_GAP);
	CU_ASSERT_EQUAL(g_rep[0].expected_in, 1101);
	/* Straddling the edge: 'g', then 77..80. */
	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 70, 11, now + 2 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_SEQ_GAP);
	CU_ASSERT_EQUAL(g_rep[1].seq, 77);
	CU_ASSERT_EQUAL(g_rep[4].seq, 80);
	CU_ASSERT_EQUAL(g_rep[4].ev.u.ord.cl_ord_id, 80);
	/* The oldest kept and the newest. */
	from = g_npkt;
	unseq(sh, &a, GV_GOE_RESEND, 77, 1000, now + 3 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1000);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_REJECTED);
	CU_ASSERT_EQUAL(g_rep[0].seq, 77);
	CU_ASSERT_EQUAL(g_rep[999].seq, 1076);
	CU_ASSERT_EQUAL(g_rep[999].ev.u.ord.cl_ord_id, 1076);
	gv_shard_close(sh, now + NS);
}

static void test_throttling(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client c = cl_make(3, IP(192, 168, 0, 3));
	struct gv_cmd k[5];
	uint64_t now = T0 + NS;
	uint32_t from, i;
	int n;

	logon(sh, &c, 60000, false, now);
	from = g_npkt;
	for (i = 0; i < 5; i++)
		k[i] = new_order(1, c.cl++, GV_SIDE_BUY, 100 + i, 1,
		                 GV_TIF_GTC);
	send_cmds(sh, &c, k, 5, now);
	n = replies(from, &c.addr);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(g_rep[i].type, GV_GOE_ACCEPTED);
	for (i = 3; i < 5; i++) {
		CU_ASSERT_EQUAL(g_rep[i].type, GV_GOE_REJECTED);
		CU_ASSERT_EQUAL(g_rep[i].ev.u.ord.reason, GV_REJ_THROTTLED);
	}
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_THROTTLED), 2);
	/* 99 ms later: not yet a token. */
	from = g_npkt;
	k[0] = new_order(1, c.cl++, GV_SIDE_BUY, 90, 1, GV_TIF_GTC);
	send_cmds(sh, &c, k, 1, now + 99 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_THROTTLED), 3);
	/* 100 ms after the first: one token. */
	for (i = 0; i < 2; i++)
		k[i] = new_order(1, c.cl++, GV_SIDE_BUY, 91 + i, 1,
		                 GV_TIF_GTC);
	send_cmds(sh, &c, k, 2, now + 100 * MS);
	n = replies(from, &c.addr);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_REJECTED);
	CU_ASSERT_EQUAL(g_rep[1].type, GV_GOE_ACCEPTED);
	CU_ASSERT_EQUAL(g_rep[2].type, GV_GOE_REJECTED);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_THROTTLED), 4);
	/* Ten seconds idle: the bucket refills to its burst of 3, no more. */
	from = g_npkt;
	for (i = 0; i < 4; i++)
		k[i] = new_order(1, c.cl++, GV_SIDE_BUY, 80 + i, 1,
		                 GV_TIF_GTC);
	send_cmds(sh, &c, k, 4, now + 10 * NS);
	n = replies(from, &c.addr);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(g_rep[2].type, GV_GOE_ACCEPTED);
	CU_ASSERT_EQUAL(g_rep[3].type, GV_GOE_REJECTED);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_THROTTLED), 5);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_IN), 12);
	/* Unlimited session: never throttled. */
	gv_shard_close(sh, now + 11 * NS);
}

static void test_heartbeat_timeout_cod(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct client b = cl_make(2, IP(192, 168, 0, 2));
	uint64_t now = T0 + NS, t;
	uint32_t from;
	int n, i;

	logon(sh, &a, 100, true, now);
	logon(sh, &b, 100, false, now);
	order(sh, &a, 1, GV_SIDE_SELL, 200, 5, GV_TIF_GTC, now + 50 * MS);
	order(sh, &b, 1, GV_SIDE_BUY, 100, 5, GV_TIF_GTC, now + 60 * MS);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 2);
	/* a's deadline: its last datagram + 300 ms, exactly: still on. */
	t = now + 350 * MS;
	gv_shard_tick(sh, t);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DISCONNECTS), 0);
	from = g_npkt;
	gv_shard_tick(sh, t + 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DISCONNECTS), 1);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 1);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 0); /* the 'x' is kept */
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_itch[0].type, 'D');
	/* b is silent too: disconnected, no COD, its order stays. */
	gv_shard_tick(sh, now + 360 * MS + 1);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DISCONNECTS), 2);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 1);
	/* Sequenced messages are dropped now. */
	order(sh, &a, 1, GV_SIDE_SELL, 200, 5, GV_TIF_GTC, now + 400 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DROP_NOT_LOGGED_ON), 1);
	a.seq--;
	/* Logon again: 'l' shows next_out 3 ('a' 1, COD 'x' 2). */
	from = g_npkt;
	logon(sh, &a, 1000, false, now + 500 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].next_out, 3);
	CU_ASSERT_EQUAL(g_rep[0].next_in, 2);
	unseq(sh, &a, GV_GOE_RESEND, 2, 1, now + 501 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_rep[1].type, GV_GOE_CANCELLED);
	CU_ASSERT_EQUAL(g_rep[1].seq, 2);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.reason, GV_CXL_COD);
	/* Heartbeats keep a session alive for as long as they come. */
	for (i = 1; i <= 10; i++)
		unseq(sh, &a, GV_GOE_HEARTBEAT, 0, 0,
		      now + 501 * MS + (uint64_t)i * 2 * NS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DISCONNECTS), 2);
	book_ok(sh);
	gv_shard_close(sh, now + 30 * NS);
}

static void test_heartbeat_out(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	uint64_t now = T0 + 10 * MS;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, now);
	from = g_npkt;
	gv_shard_tick(sh, now + 999 * MS);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 0);
	gv_shard_tick(sh, now + 1000 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_HEARTBEAT_OUT);
	CU_ASSERT_EQUAL(g_rep[0].seq, 0);
	/* Output resets the interval: an order at +1.5 s, then no 'h'
	 * before +2.5 s. */
	unseq(sh, &a, GV_GOE_HEARTBEAT, 0, 0, now + 1200 * MS);
	order(sh, &a, 1, GV_SIDE_BUY, 100, 1, GV_TIF_GTC, now + 1500 * MS);
	from = g_npkt;
	gv_shard_tick(sh, now + 2499 * MS);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 0);
	gv_shard_tick(sh, now + 2500 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_HEARTBEAT_OUT);
	gv_shard_close(sh, now + 3 * NS);
}

static void test_logout_cod(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	uint64_t now = T0 + NS;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, true, now);
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_GTC, now);
	order(sh, &a, 7, GV_SIDE_SELL, 300, 3, GV_TIF_DAY, now);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 2);
	from = g_npkt;
	/* From another source in the prefix: still the session's Logout. */
	a.addr.ip = IP(10, 9, 9, 9);
	unseq(sh, &a, GV_GOE_LOGOUT, 0, 0, now + MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGOUTS), 1);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 0);
	CU_ASSERT_EQUAL(gv_book_counter(gv_shard_book(sh), GV_CNT_CANCELLED),
	                2);
	n = itch(from);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MSGS_OUT), 4);
	CU_ASSERT_EQUAL(goe_dgrams(from), 0);
	/* Logged out: sequenced dropped, 'O' and 'H' ignored. */
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_GTC, now + 2 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DROP_NOT_LOGGED_ON), 1);
	unseq(sh, &a, GV_GOE_LOGOUT, 0, 0, now + 3 * MS);
	unseq(sh, &a, GV_GOE_HEARTBEAT, 0, 0, now + 3 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_IGNORED), 2);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGOUTS), 1);
	/* Logout without COD keeps the orders. */
	a.seq--;
	logon(sh, &a, 1000, false, now + 4 * MS);
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_GTC, now + 5 * MS);
	unseq(sh, &a, GV_GOE_LOGOUT, 0, 0, now + 6 * MS);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_LOGOUTS), 2);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 1);
	/* No more 'h' nor timeout for a session that is logged out. */
	from = g_npkt;
	gv_shard_tick(sh, now + 10 * NS);
	CU_ASSERT_EQUAL(goe_dgrams(from), 0);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_DISCONNECTS), 0);
	book_ok(sh);
	gv_shard_close(sh, now + 20 * NS);
}

static void test_end_of_day(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	uint64_t t = T_EOD - NS;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, t);
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_DAY, t);
	order(sh, &a, 1, GV_SIDE_BUY, 101, 3, GV_TIF_GTC, t);
	from = g_npkt;
	gv_shard_tick(sh, T_EOD - 1);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 2);
	gv_shard_tick(sh, T_EOD);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 1);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_CANCELLED);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.reason, GV_CXL_DAY_EXPIRY);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.cl_ord_id, 1);
	CU_ASSERT_EQUAL(g_rep[0].seq, 3);
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_itch[0].type, 'D');
	CU_ASSERT_EQUAL(g_itch[0].ts_ns, 21ull * 3600 * NS);
	/* Once: another DAY order now lives until tomorrow's. */
	order(sh, &a, 1, GV_SIDE_BUY, 102, 3, GV_TIF_DAY, T_EOD + MS);
	gv_shard_tick(sh, T_EOD + 2 * MS);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 2);
	CU_ASSERT_EQUAL(gv_book_counter(gv_shard_book(sh), GV_CNT_CANCELLED),
	                1);
	/* The operator's end of day, at any time. */
	CU_ASSERT_EQUAL(gv_shard_end_of_day(sh, T_EOD + 3 * MS), 0);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 1);
	/* Next day's (the session timed out meanwhile: no COD). */
	logon(sh, &a, 60000, false, T_EOD + DAY - NS);
	order(sh, &a, 1, GV_SIDE_BUY, 103, 3, GV_TIF_DAY, T_EOD + DAY - NS);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 2);
	from = g_npkt;
	gv_shard_tick(sh, T_EOD + DAY + 5 * NS);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 1);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.reason, GV_CXL_DAY_EXPIRY);
	/* A clock jump over several days: one end of day. */
	order(sh, &a, 1, GV_SIDE_BUY, 104, 3, GV_TIF_DAY, T_EOD + DAY + 6 * NS);
	gv_shard_tick(sh, T_EOD + 4 * DAY + NS);
	CU_ASSERT_EQUAL(gv_book_counter(gv_shard_book(sh), GV_CNT_CANCELLED),
	                4);
	book_ok(sh);
	gv_shard_close(sh, T_EOD + 5 * DAY);
}

static void test_md_events(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	struct client b = cl_make(2, IP(192, 168, 0, 2));
	uint64_t now = T0 + NS;
	uint64_t ref;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, now);
	logon(sh, &b, 1000, false, now);
	from = g_npkt;
	order(sh, &a, 7, GV_SIDE_SELL, 250, 10, GV_TIF_GTC, now + 5 * MS);
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_itch[0].type, 'A');
	CU_ASSERT_EQUAL(g_itch[0].locate, 7);
	CU_ASSERT_EQUAL(g_itch[0].side, 'S');
	CU_ASSERT_EQUAL(g_itch[0].shares, 10);
	CU_ASSERT_EQUAL(g_itch[0].price, 250);
	CU_ASSERT_STRING_EQUAL(g_itch[0].stock, "ETH     ");
	CU_ASSERT_EQUAL(g_itch[0].ts_ns, 20ull * 3600 * NS + NS + 5 * MS);
	ref = g_itch[0].ref;
	from = g_npkt;
	order(sh, &b, 7, GV_SIDE_BUY, 260, 4, GV_TIF_IOC, now + 6 * MS);
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_itch[0].type, 'E');
	CU_ASSERT_EQUAL(g_itch[0].ref, ref);
	CU_ASSERT_EQUAL(g_itch[0].shares, 4);
	CU_ASSERT_EQUAL(g_itch[0].match, 1);
	from = g_npkt;
	cancel(sh, &a, 1, now + 7 * MS);
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_itch[0].type, 'D');
	CU_ASSERT_EQUAL(g_itch[0].ref, ref);
	/* Halt and resume: 'H'; unknown instrument: -ENOENT, nothing. */
	from = g_npkt;
	CU_ASSERT_EQUAL(gv_shard_halt(sh, 1, true, now + 8 * MS), 0);
	CU_ASSERT_EQUAL(gv_shard_halt(sh, 3, true, now + 8 * MS), -ENOENT);
	n = itch(from);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_itch[0].type, 'H');
	CU_ASSERT_EQUAL(g_itch[0].code, 'H');
	CU_ASSERT_STRING_EQUAL(g_itch[0].stock, "BTCUSD  ");
	from = g_npkt;
	order(sh, &a, 1, GV_SIDE_SELL, 250, 10, GV_TIF_GTC, now + 9 * MS);
	CU_ASSERT_EQUAL(replies(from, &a.addr), 1);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.reason, GV_REJ_HALTED);
	CU_ASSERT_EQUAL(gv_shard_halt(sh, 1, false, now + 10 * MS), 0);
	CU_ASSERT_EQUAL(md_continuity(0), cnt(sh, GV_SH_MD_MSGS) + 1);
	gv_shard_close(sh, now + NS);
	CU_ASSERT_EQUAL(md_continuity(0), 1 + 4 + 3 + 2 + 2);
}

static void test_kill_switch(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1));
	uint64_t now = T0 + NS;
	uint32_t from;
	int n;

	logon(sh, &a, 1000, false, now);
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_GTC, now);
	from = g_npkt;
	CU_ASSERT_EQUAL(gv_shard_kill(sh, 1, true, now + MS), 0);
	CU_ASSERT_EQUAL(gv_shard_kill(sh, 4, true, now + MS), -ENOENT);
	CU_ASSERT_EQUAL(gv_book_live_orders(gv_shard_book(sh)), 0);
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_GTC, now + 2 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(g_rep[0].ev.u.ord.reason, GV_CXL_KILL_SWITCH);
	CU_ASSERT_EQUAL(g_rep[1].ev.u.ord.reason, GV_REJ_KILLED);
	CU_ASSERT_EQUAL(gv_shard_kill(sh, 1, false, now + 3 * MS), 0);
	from = g_npkt;
	order(sh, &a, 1, GV_SIDE_BUY, 100, 3, GV_TIF_GTC, now + 4 * MS);
	n = replies(from, &a.addr);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(g_rep[0].type, GV_GOE_ACCEPTED);
	gv_shard_close(sh, now + NS);
}

static void test_md_heartbeat(void)
{
	struct gv_shard *sh = mk(0, T0);
	struct gv_mold_hdr h;
	uint32_t from = g_npkt;

	gv_shard_tick(sh, T0 + NS - 1);
	CU_ASSERT_EQUAL(g_npkt, from);
	gv_shard_tick(sh, T0 + NS);
	CU_ASSERT_EQUAL_FATAL(g_npkt, from + 1);
	CU_ASSERT(is_md(&g_pkt[from]));
	CU_ASSERT_EQUAL(gv_mold_parse(g_pkt[from].b, g_pkt[from].len, &h,
	                              NULL, NULL), 0);
	CU_ASSERT_EQUAL(h.count, 0);
	CU_ASSERT_EQUAL(h.seq, 5);
	CU_ASSERT_EQUAL(cnt(sh, GV_SH_MD_PKTS), 2);
	/* Next one a second later; a long gap gives one, not many. */
	gv_shard_tick(sh, T0 + 2 * NS - 1);
	CU_ASSERT_EQUAL(g_npkt, from + 1);
	gv_shard_tick(sh, T0 + 30 * NS);
	CU_ASSERT_EQUAL(g_npkt, from + 2);
	CU_ASSERT_EQUAL(md_continuity(0), 5);
	gv_shard_close(sh, T0 + 31 * NS);
}

/* ---- determinism ---------------------------------------------------------- */

struct run {
	uint32_t npkt;
	uint64_t hash;
	uint64_t digest;   /* FNV of every emitted byte and destination */
	uint64_t cnt[GV_SH_MAX];
	uint64_t fills;
};

static uint64_t digest_pkts(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i, j;

	for (i = 0; i < g_npkt; i++) {
		h = (h ^ g_pkt[i].dst.ip) * 0x100000001b3ull;
		h = (h ^ g_pkt[i].dst.port) * 0x100000001b3ull;
		for (j = 0; j < g_pkt[i].len; j++)
			h = (h ^ g_pkt[i].b[j]) * 0x100000001b3ull;
	}
	return h;
}

/* A client that follows gavel's 'l' next_in and 'g' expected_in. */
static void client_sync(struct client *x, uint32_t from)
{
	int n = replies(from, &x->addr), i;

	for (i = 0; i < n; i++) {
		if (g_rep[i].type == GV_GOE_LOGON_ACK)
			x->seq = g_rep[i].next_in;
		if (g_rep[i].type == GV_GOE_SEQ_GAP)
			x->seq = g_rep[i].expected_in;
	}
}

/* A seeded random session: orders, cancels, replaces, gaps, resends,
 * duplicates, heartbeats and ticks from three sessions. */
static struct run scripted(uint64_t seed, uint32_t steps)
{
	struct gv_shard *sh = mk(0, T0);
	struct client c[3] = { cl_make(1, IP(10, 0, 0, 1)),
	                       cl_make(2, IP(192, 168, 0, 2)),
	                       cl_make(3, IP(192, 168, 0, 3)) };
	uint64_t rng = seed, now = T0 + NS;
	struct run r;
	uint32_t i, k;

	for (k = 0; k < 3; k++)
		logon(sh, &c[k], 500, k == 0, now);
	for (i = 0; i < steps; i++) {
		struct client *x = &c[gv_test_below(&rng, 3)];
		uint64_t op = gv_test_below(&rng, 100);
		uint64_t lost = cnt(sh, GV_SH_DROP_NOT_LOGGED_ON);
		uint32_t from = g_npkt;
		struct gv_cmd cmd;

		now += gv_test_below(&rng, 40 * MS);
		if (op < 55) {
			cmd = new_order(gv_test_below(&rng, 2) ? 1 : 7,
			                x->cl++, 1 + (uint8_t)gv_test_below(&rng, 2),
			                95 + (int64_t)gv_test_below(&rng, 10),
			                1 + gv_test_below(&rng, 20),
			                1 + (uint8_t)gv_test_below(&rng, 4));
		} else if (op < 70) {
			memset(&cmd, 0, sizeof(cmd));
			cmd.type = GV_CMD_CANCEL;
			cmd.u.cancel.cl_ord_id = 1 + gv_test_below(&rng, x->cl);
		} else if (op < 80) {
			memset(&cmd, 0, sizeof(cmd));
			cmd.type = GV_CMD_REPLACE;
			cmd.u.replace.orig_cl_ord_id =
				1 + gv_test_below(&rng, x->cl);
			cmd.u.replace.new_cl_ord_id = x->cl++;
			cmd.u.replace.new_price =
				95 + (int64_t)gv_test_below(&rng, 10);
			cmd.u.replace.new_qty = 1 + gv_test_below(&rng, 20);
		} else if (op < 88) {
			/* A gap or a duplicate, then the client goes on. */
			uint64_t seq = x->seq;

			uint64_t d = 1 + gv_test_below(&rng, 3);

			if (op < 84)
				x->seq += d;
			else /* GV_MIN evaluates its arguments twice */
				x->seq -= GV_MIN(x->seq - 1, d);
			cmd = new_order(1, x->cl++, 1, 90, 1, 1);
			send_cmds(sh, x, &cmd, 1, now);
			x->seq = seq;
			client_sync(x, from);
			continue;
		} else if (op < 92) {
			unseq(sh, x, GV_GOE_RESEND,
			      gv_test_below(&rng, 50),
			      (uint16_t)(1 + gv_test_below(&rng, 20)), now);
			continue;
		} else if (op < 96) {
			unseq(sh, x, GV_GOE_HEARTBEAT, 0, 0, now);
			continue;
		} else if (op < 98) {
			gv_shard_tick(sh, now + gv_test_below(&rng, 2 * NS));
			now += 2 * NS;
			continue;
		} else {
			logon(sh, x, 500, gv_test_below(&rng, 2), now);
			client_sync(x, from);
			continue;
		}
		send_cmds(sh, x, &cmd, 1, now);
		if (cnt(sh, GV_SH_DROP_NOT_LOGGED_ON) != lost) {
			/* Disconnected: log on again, resend from next_in. */
			now++;
			logon(sh, x, 500, gv_test_below(&rng, 2), now);
		}
		client_sync(x, from);
	}
	book_ok(sh);
	r.hash = gv_shard_hash(sh);
	for (k = 0; k < GV_SH_MAX; k++)
		r.cnt[k] = cnt(sh, (enum gv_shard_counter)k);
	r.fills = gv_book_counter(gv_shard_book(sh), GV_CNT_FILLS);
	gv_shard_close(sh, now + NS);
	r.npkt = g_npkt;
	r.digest = digest_pkts();
	return r;
}

static void test_determinism(void)
{
	uint64_t seed = gv_test_seed(20240601);
	struct run r1 = scripted(seed, 2000);
	struct run r2 = scripted(seed, 2000);
	struct run r3 = scripted(seed + 1, 2000);

	/* The script reaches every path it means to. */
	CU_ASSERT(r1.npkt > 100);
	CU_ASSERT(r1.fills > 50);
	CU_ASSERT(r1.cnt[GV_SH_GAPS] > 10);
	CU_ASSERT(r1.cnt[GV_SH_DUPLICATES] > 10);
	CU_ASSERT(r1.cnt[GV_SH_RESENT_MSGS] > 10);
	CU_ASSERT(r1.cnt[GV_SH_THROTTLED] > 10);
	CU_ASSERT(r1.cnt[GV_SH_DISCONNECTS] > 0);
	CU_ASSERT(r1.cnt[GV_SH_DROP_NOT_LOGGED_ON] > 0);
	CU_ASSERT(r1.cnt[GV_SH_LOGONS] > 3);
	CU_ASSERT(r1.cnt[GV_SH_MSGS_IN] > 500);
	CU_ASSERT_EQUAL(r1.npkt, r2.npkt);
	CU_ASSERT_EQUAL(r1.digest, r2.digest);
	CU_ASSERT_EQUAL(r1.hash, r2.hash);
	CU_ASSERT_NOT_EQUAL(r1.hash, r3.hash);
	CU_ASSERT_NOT_EQUAL(r1.digest, r3.digest);
}

/* ---- bursts: gv_shard_rx_burst == gv_shard_rx, datagram by datagram ---- */

#define BURST_DGRAMS 700
static uint8_t g_in[BURST_DGRAMS][GV_DGRAM_MAX];
static struct gv_shard_in g_inv[BURST_DGRAMS];

/* Logons, then sequenced datagrams of 1..6 commands from three sessions,
 * some spoiled: a flipped bit (MAC), an unknown session, a foreign
 * source, a truncated datagram, a gap, a resent duplicate. Returns n. */
static uint32_t burst_input(uint64_t seed)
{
	struct client c[3] = { cl_make(1, IP(10, 0, 0, 1)),
	                       cl_make(2, IP(192, 168, 0, 2)),
	                       cl_make(3, IP(192, 168, 0, 3)) };
	uint64_t rng = seed, now = T0 + NS;
	uint32_t n = 0;

	for (uint32_t k = 0; k < 3; k++, n++) {
		gv_goe_begin(&g_w, g_in[n], c[k].id, 0, now);
		CU_ASSERT_FATAL(gv_goe_put_logon(&g_w, 60000, false) == 0);
		g_inv[n] = (struct gv_shard_in){ g_in[n],
		        gv_goe_finish(&g_w, c[k].key), c[k].addr, now };
	}
	for (; n < BURST_DGRAMS; n++) {
		uint64_t bad = gv_test_below(&rng, 100);
		/* session 1 for a foreign source: only it has a prefix */
		struct client *x = bad >= 4 && bad < 6
		                   ? &c[0] : &c[gv_test_below(&rng, 3)];
		uint32_t m = 1 + (uint32_t)gv_test_below(&rng, 6);
		uint64_t seq = x->seq;
		struct gv_addr src = x->addr;

		now += gv_test_below(&rng, MS);
		if (bad >= 90 && bad < 93)
			seq += 2;                        /* a gap */
		else if (bad >= 93 && bad < 96 && seq > 3)
			seq -= 2;                        /* a duplicate */
		gv_goe_begin(&g_w, g_in[n], bad >= 96 && bad < 98 ? 999 : x->id,
		             seq, now);
		for (uint32_t i = 0; i < m; i++) {
			struct gv_cmd k;

			if (gv_test_below(&rng, 4) == 0 && x->cl > 1) {
				memset(&k, 0, sizeof(k));
				k.type = GV_CMD_CANCEL;
				k.u.cancel.cl_ord_id =
					1 + gv_test_below(&rng, x->cl - 1);
			} else {
				k = new_order(1, x->cl++,
				              1 + (uint8_t)gv_test_below(&rng, 2),
				              95 + (int64_t)gv_test_below(&rng, 10),
				              1 + gv_test_below(&rng, 20),
				              GV_TIF_GTC);
			}
			CU_ASSERT_FATAL(gv_goe_put_cmd(&g_w, &k) == 0);
		}
		g_inv[n] = (struct gv_shard_in){ g_in[n],
		        gv_goe_finish(&g_w, x->key), src, now };
		if (bad < 4)
			g_in[n][GV_DGRAM_HDR_LEN + 5] ^= 0x10; /* bad MAC */
		else if (bad < 6)
			g_inv[n].src.ip ^= 0x01000000;      /* foreign source */
		else if (bad < 7)
			g_inv[n].len = GV_DGRAM_HDR_LEN - 1; /* truncated */
		if (bad >= 7 && bad < 90)
			x->seq += m;
	}
	return n;
}

/* Chunks of 1..40 (more than one rx_macs burst), flushed after each:
 * one datagram at a time, or as bursts. */
static struct run burst_run(uint32_t n, uint64_t seed, bool burst)
{
	struct gv_shard *sh = mk(0, T0);
	uint64_t rng = seed;
	struct run r;

	gv_shard_set_batching(sh, true);
	for (uint32_t at = 0; at < n;) {
		uint32_t want = 1 + (uint32_t)gv_test_below(&rng, 40);
		uint32_t k = GV_MIN(n - at, want); /* GV_MIN: no side effects */

		if (burst)
			gv_shard_rx_burst(sh, g_inv + at, k);
		else
			for (uint32_t i = at; i < at + k; i++)
				gv_shard_rx(sh, g_inv[i].payload, g_inv[i].len,
				            &g_inv[i].src, g_inv[i].now_ns);
		gv_shard_flush(sh);
		at += k;
	}
	book_ok(sh);
	r.hash = gv_shard_hash(sh);
	for (uint32_t k = 0; k < GV_SH_MAX; k++)
		r.cnt[k] = cnt(sh, (enum gv_shard_counter)k);
	r.fills = gv_book_counter(gv_shard_book(sh), GV_CNT_FILLS);
	gv_shard_close(sh, g_inv[n - 1].now_ns + NS);
	r.npkt = g_npkt;
	r.digest = digest_pkts();
	return r;
}

static bool same_run(const struct run *a, const struct run *b)
{
	return a->npkt == b->npkt && a->digest == b->digest &&
	       a->hash == b->hash && a->fills == b->fills &&
	       memcmp(a->cnt, b->cnt, sizeof(a->cnt)) == 0;
}

static void test_rx_burst(void)
{
	uint64_t seed = gv_test_seed(20261122);
	uint32_t n = burst_input(seed);
	enum gv_mac_impl was = gv_mac_impl();
	struct run one = burst_run(n, seed, false);
	struct run all = burst_run(n, seed, true);

	/* The input reaches what it means to. */
	CU_ASSERT(one.cnt[GV_SH_MSGS_IN] > 1000);
	CU_ASSERT(one.cnt[GV_SH_DROP_FIRST + GV_GOE_DROP_MAC] > 5);
	CU_ASSERT(one.cnt[GV_SH_DROP_FIRST + GV_GOE_DROP_SESSION] > 2);
	CU_ASSERT(one.cnt[GV_SH_DROP_FIRST + GV_GOE_DROP_SOURCE] > 2);
	CU_ASSERT(one.cnt[GV_SH_GAPS] > 2);
	CU_ASSERT(one.cnt[GV_SH_DUPLICATES] > 2);
	CU_ASSERT(one.fills > 100);
	CU_ASSERT(same_run(&one, &all));
	/* Every MAC implementation, the same output. */
	for (enum gv_mac_impl i = 0; i < GV_MAC_IMPL_MAX; i++) {
		struct run r;

		if (gv_mac_set_impl(i) != 0)
			continue;
		r = burst_run(n, seed, true);
		CU_ASSERT(same_run(&one, &r));
	}
	CU_ASSERT(gv_mac_set_impl(was) == 0);
}

static void test_hash_covers_sessions(void)
{
	struct gv_shard *s1 = mk(0, T0);
	struct gv_shard *s2 = mk(0, T0);
	struct client a = cl_make(1, IP(10, 0, 0, 1)), a2;

	CU_ASSERT_EQUAL(gv_shard_hash(s1), gv_shard_hash(s2));
	/* A Logon changes no book state, but the hash. */
	logon(s1, &a, 1000, false, T0 + MS);
	CU_ASSERT_NOT_EQUAL(gv_shard_hash(s1), gv_shard_hash(s2));
	CU_ASSERT_EQUAL(gv_book_hash(gv_shard_book(s1)),
	                gv_book_hash(gv_shard_book(s2)));
	logon(s2, &a, 1000, false, T0 + MS);
	CU_ASSERT_EQUAL(gv_shard_hash(s1), gv_shard_hash(s2));
	/* A duplicate changes nothing but a counter. */
	a2 = a;
	order(s2, &a2, 1, GV_SIDE_BUY, 100, 1, GV_TIF_GTC, T0 + 2 * MS);
	order(s1, &a, 1, GV_SIDE_BUY, 100, 1, GV_TIF_GTC, T0 + 2 * MS);
	CU_ASSERT_EQUAL(gv_shard_hash(s1), gv_shard_hash(s2));
	dg_send(s1, &a, T0 + 2 * MS);
	CU_ASSERT_EQUAL(cnt(s1, GV_SH_DUPLICATES), 1);
	CU_ASSERT_EQUAL(gv_shard_hash(s1), gv_shard_hash(s2));
	gv_shard_close(s1, T0 + NS);
	gv_shard_close(s2, T0 + NS);
}

/* ---- main -------------------------------------------------------------------- */

static int setup(void)
{
	char err[512] = "";

	g_cfg = gv_config_parse(g_conf_text, "test_shard.conf", err,
	                        sizeof(err));
	if (g_cfg == NULL) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void)
{
	gv_config_free(g_cfg);
	return 0;
}

static const struct gv_test tests[] = {
	GV_TEST(test_views_counters_batching),
	GV_TEST(test_create_md_opening),
	GV_TEST(test_create_shard1_and_errors),
	GV_TEST(test_md_without_destination),
	GV_TEST(test_close),
	GV_TEST(test_logon),
	GV_TEST(test_silent_drops),
	GV_TEST(test_orders_and_fills),
	GV_TEST(test_many_replies_split),
	GV_TEST(test_duplicates_and_gap),
	GV_TEST(test_resend_request),
	GV_TEST(test_resend_logged_out),
	GV_TEST(test_history_overflow),
	GV_TEST(test_throttling),
	GV_TEST(test_heartbeat_timeout_cod),
	GV_TEST(test_heartbeat_out),
	GV_TEST(test_logout_cod),
	GV_TEST(test_end_of_day),
	GV_TEST(test_md_events),
	GV_TEST(test_kill_switch),
	GV_TEST(test_md_heartbeat),
	GV_TEST(test_determinism),
	GV_TEST(test_rx_burst),
	GV_TEST(test_hash_covers_sessions),
};

int main(void)
{
	return gv_test_main("dataplane/shard", tests, GV_ARRAY_SIZE(tests),
	                    setup, teardown);
}
