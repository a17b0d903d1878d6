/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_itch.c - ITCH 5.0 / MoldUDP64 codec: byte-exact messages against
 * hand-written arrays (the NASDAQ TotalView-ITCH 5.0 layouts), round trips,
 * framing, capacity, malformed input, and, when tshark is installed, an
 * independent decode of the MoldUDP64 framing by Wireshark.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gv_errno.h"
#include "gv_itch.h"
#include "gv_test.h"

#define NS_PER_DAY 86400000000000ull

/* 5 days + 0x0A0B0C0D0E0F ns: the timestamp bytes are 0A 0B 0C 0D 0E 0F. */
#define TS_TEST (5 * NS_PER_DAY + 0x0A0B0C0D0E0Full)
#define TS_BYTES 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F

static uint8_t g_buf[GV_DGRAM_MAX + 64];

static struct gv_event md_event(uint8_t type, uint16_t instrument)
{
	struct gv_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.instrument = instrument;
	return e;
}

/* Begin a packet for shard 3 at sequence 42 in g_buf. */
static void begin(struct gv_mold_writer *w, uint32_t cap)
{
	char session[GV_MOLD_SESSION_LEN];

	gv_mold_session_name(session, 3);
	gv_mold_begin(w, g_buf, cap, session, 42);
}

/* The only message of a finished packet: checks the Mold block around it. */
static const uint8_t *only_msg(struct gv_mold_writer *w, uint32_t mlen)
{
	uint32_t len = gv_mold_finish(w);

	CU_ASSERT_EQUAL(len, GV_MOLD_HDR_LEN + 2 + mlen);
	CU_ASSERT_EQUAL(g_buf[18], 0);
	CU_ASSERT_EQUAL(g_buf[19], 1);
	CU_ASSERT_EQUAL(g_buf[20], 0);
	CU_ASSERT_EQUAL(g_buf[21], mlen);
	return g_buf + GV_MOLD_HDR_LEN + 2;
}

static void test_session_name(void)
{
	char s[GV_MOLD_SESSION_LEN + 1] = { 0 };

	gv_mold_session_name(s, 1);
	CU_ASSERT_STRING_EQUAL(s, "GAVEL00001");
	gv_mold_session_name(s, 63);
	CU_ASSERT_STRING_EQUAL(s, "GAVEL00063");
	gv_mold_session_name(s, 0);
	CU_ASSERT_STRING_EQUAL(s, "GAVEL00000");
	CU_ASSERT_EQUAL(s[GV_MOLD_SESSION_LEN], '\0'); /* writes 10 bytes */
}

static void test_heartbeat_bytes(void)
{
	static const uint8_t want[GV_MOLD_HDR_LEN] = {
		'G', 'A', 'V', 'E', 'L', '0', '0', '0', '0', '3',
		0, 0, 0, 0, 0, 0, 0, 42, /* sequence = next expected */
		0, 0,                    /* count 0 = heartbeat */
	};
	struct gv_mold_writer w;

	memset(g_buf, 0xEE, sizeof(g_buf));
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_mold_finish(&w), GV_MOLD_HDR_LEN);
	CU_ASSERT_EQUAL(memcmp(g_buf, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(g_buf[GV_MOLD_HDR_LEN], 0xEE);
}

static void test_end_of_session_bytes(void)
{
	static const uint8_t want[GV_MOLD_HDR_LEN] = {
		'G', 'A', 'V', 'E', 'L', '0', '0', '0', '0', '3',
		0, 0, 0, 0, 0, 0, 0, 42,
		0xFF, 0xFF,
	};
	struct gv_mold_writer w;
	struct gv_mold_hdr h;

	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_mold_end_of_session(&w), GV_MOLD_HDR_LEN);
	CU_ASSERT_EQUAL(memcmp(g_buf, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(gv_mold_parse(g_buf, GV_MOLD_HDR_LEN, &h, NULL, NULL),
	                0);
	CU_ASSERT_EQUAL(h.count, GV_MOLD_END_OF_SESSION);
	CU_ASSERT_EQUAL(h.seq, 42);
	CU_ASSERT_EQUAL(memcmp(h.session, "GAVEL00003", 10), 0);
}

static void test_add_bytes(void)
{
	static const uint8_t want[GV_ITCH_LEN_A] = {
		'A', 0x00, 0x07, 0x00, 0x03, TS_BYTES,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* ref */
		'B',
		0x00, 0x00, 0x00, 0x64,                         /* shares */
		'A', 'A', 'P', 'L', ' ', ' ', ' ', ' ',
		0x00, 0x00, 0x30, 0x39,                         /* price */
	};
	struct gv_event e = md_event(GV_EV_MD_ADD, 7);
	struct gv_mold_writer w;

	e.side = GV_SIDE_BUY;
	e.u.md.ref = 0x0102030405060708ull;
	e.u.md.qty = 100;
	e.u.md.price = 12345;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 3, TS_TEST, "AAPL    "), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want)), want, sizeof(want)),
	                0);

	/* A sell, and a symbol that ends early with a NUL is space-padded. */
	e.side = GV_SIDE_SELL;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 3, TS_TEST,
	                                  "AAPL\0\0\0\0"), 0);
	CU_ASSERT_EQUAL(only_msg(&w, GV_ITCH_LEN_A)[19], 'S');
	CU_ASSERT_EQUAL(memcmp(g_buf + 22, want, 19), 0);
	CU_ASSERT_EQUAL(memcmp(g_buf + 22 + 20, want + 20, 16), 0);
}

static void test_exec_bytes(void)
{
	static const uint8_t want[GV_ITCH_LEN_E] = {
		'E', 0xFF, 0xFF, 0x00, 0x3F, TS_BYTES,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* ref */
		0x01, 0x02, 0x03, 0x04,                         /* executed */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, /* match */
	};
	struct gv_event e = md_event(GV_EV_MD_EXEC, 0xFFFF);
	struct gv_mold_writer w;

	e.u.md.ref = 0x1122334455667788ull;
	e.u.md.qty = 0x01020304;
	e.u.md.price = 777; /* not in 'E' */
	e.u.md.match_id = 99;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 63, TS_TEST, "XXXXXXXX"), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want)), want, sizeof(want)),
	                0);
}

static void test_replace_bytes(void)
{
	static const uint8_t want[GV_ITCH_LEN_U] = {
		'U', 0x00, 0x01, 0x00, 0x00, TS_BYTES,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* original */
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, /* new */
		0x00, 0x01, 0x86, 0xA0,                         /* shares */
		0xFF, 0xFF, 0xFF, 0xFF,                         /* price */
	};
	struct gv_event e = md_event(GV_EV_MD_REPLACE, 1);
	struct gv_mold_writer w;

	e.side = GV_SIDE_SELL;
	e.u.md.ref = 5;
	e.u.md.new_ref = 0x100000006ull;
	e.u.md.qty = 100000;
	e.u.md.price = (int64_t)GV_PRICE_MAX;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 0, TS_TEST, "IBM     "), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want)), want, sizeof(want)),
	                0);
}

static void test_cancel_delete_bytes(void)
{
	static const uint8_t want_x[GV_ITCH_LEN_X] = {
		'X', 0x00, 0x02, 0x00, 0x01, TS_BYTES,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x0A,
	};
	static const uint8_t want_d[GV_ITCH_LEN_D] = {
		'D', 0x00, 0x02, 0x00, 0x01, TS_BYTES,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	};
	struct gv_event e = md_event(GV_EV_MD_REDUCE, 2);
	struct gv_mold_writer w;

	e.u.md.ref = 256;
	e.u.md.qty = 10;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 1, TS_TEST, "ABCDEFGH"), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want_x)), want_x,
	                       sizeof(want_x)), 0);
	e.type = GV_EV_MD_DELETE;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 1, TS_TEST, "ABCDEFGH"), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want_d)), want_d,
	                       sizeof(want_d)), 0);
}

static void test_trading_action_bytes(void)
{
	static const uint8_t want[GV_ITCH_LEN_H] = {
		'H', 0x00, 0x09, 0x00, 0x02, TS_BYTES,
		'E', 'U', 'R', 'U', 'S', 'D', ' ', ' ',
		'H',                 /* trading state: halted */
		' ',                 /* reserved */
		' ', ' ', ' ', ' ',  /* reason */
	};
	struct gv_event e = md_event(GV_EV_MD_TRADING_STATE, 9);
	struct gv_mold_writer w;
	const uint8_t *m;

	e.u.md.halted = 1;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 2, TS_TEST, "EURUSD  "), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want)), want, sizeof(want)),
	                0);
	e.u.md.halted = 0;
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 2, TS_TEST, "EURUSD  "), 0);
	m = only_msg(&w, sizeof(want));
	CU_ASSERT_EQUAL(m[19], 'T');
	CU_ASSERT_EQUAL(memcmp(m, want, 19), 0);
	CU_ASSERT_EQUAL(memcmp(m + 20, want + 20, 5), 0);
}

static void test_system_event_bytes(void)
{
	static const uint8_t want[GV_ITCH_LEN_S] = {
		'S', 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* midnight */
		'O',
	};
	struct gv_mold_writer w;

	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_system_event(&w, GV_ITCH_SYS_START_MESSAGES,
	                                         1, 20000 * NS_PER_DAY), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want)), want, sizeof(want)),
	                0);
}

static void test_stock_directory_bytes(void)
{
	static const uint8_t want[GV_ITCH_LEN_R] = {
		'R', 0x12, 0x34, 0x00, 0x03, TS_BYTES,
		'B', 'T', 'C', 'U', 'S', 'D', ' ', ' ', /* stock */
		' ',                    /* market category */
		' ',                    /* financial status */
		0x00, 0x00, 0x00, 0x01, /* round lot size */
		'N',                    /* round lots only */
		' ',                    /* issue classification */
		' ', ' ',               /* issue sub-type */
		'P',                    /* authenticity */
		' ',                    /* short sale threshold */
		' ',                    /* IPO flag */
		' ',                    /* LULD reference price tier */
		' ',                    /* ETP flag */
		0x00, 0x00, 0x00, 0x00, /* ETP leverage factor */
		'N',                    /* inverse indicator */
	};
	char sym[GV_SYMBOL_LEN + 1] = "BTCUSD"; /* NUL-padded, as configured */
	struct gv_mold_writer w;

	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_stock_directory(&w, 0x1234, sym, 3,
	                                            TS_TEST), 0);
	CU_ASSERT_EQUAL(memcmp(only_msg(&w, sizeof(want)), want, sizeof(want)),
	                0);
}

static void test_put_rejects_other_events(void)
{
	static const uint8_t types[] = {
		GV_EV_ACCEPTED, GV_EV_REJECTED, GV_EV_FILL, GV_EV_CANCELLED,
		GV_EV_REPLACED, GV_EV_STOP_TRIGGERED, GV_EV_MASS_CANCEL_ACK, 0,
		GV_EV_MAX, 200,
	};
	struct gv_mold_writer w;
	struct gv_event e;
	size_t i;

	begin(&w, GV_DGRAM_MAX);
	for (i = 0; i < GV_ARRAY_SIZE(types); i++) {
		e = md_event(types[i], 1);
		CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 0, 0, "X       "),
		                -EINVAL);
	}
	/* An add with no side cannot be encoded. */
	e = md_event(GV_EV_MD_ADD, 1);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 0, 0, "X       "), -EINVAL);
	CU_ASSERT_EQUAL(w.count, 0);
	CU_ASSERT_EQUAL(gv_mold_finish(&w), GV_MOLD_HDR_LEN);
}

/* ---- round trips ----------------------------------------------------- */

struct collect {
	uint32_t n;
	uint32_t len[GV_DGRAM_MAX];
	struct gv_itch_msg m[GV_DGRAM_MAX];
	int rc[GV_DGRAM_MAX];
};

static void collect_fn(void *arg, const uint8_t *msg, uint32_t len)
{
	struct collect *c = arg;

	CU_ASSERT_FATAL(c->n < GV_DGRAM_MAX);
	c->len[c->n] = len;
	c->rc[c->n] = gv_itch_decode(msg, len, &c->m[c->n]);
	c->n++;
}

static struct collect g_col;

static int parse_all(uint32_t len, struct gv_mold_hdr *h)
{
	memset(&g_col, 0, sizeof(g_col));
	return gv_mold_parse(g_buf, len, h, collect_fn, &g_col);
}

static void check_common(const struct gv_itch_msg *m, uint8_t type,
                         uint16_t locate, uint16_t tracking, uint64_t ts)
{
	CU_ASSERT_EQUAL(m->type, type);
	CU_ASSERT_EQUAL(m->locate, locate);
	CU_ASSERT_EQUAL(m->tracking, tracking);
	CU_ASSERT_EQUAL(m->ts_ns, ts % NS_PER_DAY);
}

static void put_all_types(struct gv_mold_writer *w, uint64_t ts)
{
	struct gv_event e;

	CU_ASSERT_EQUAL(gv_itch_put_system_event(w, GV_ITCH_SYS_START_MARKET,
	                                         4, ts), 0);
	CU_ASSERT_EQUAL(gv_itch_put_stock_directory(w, 11, "ESZ5    ", 4, ts),
	                0);
	e = md_event(GV_EV_MD_ADD, 11);
	e.side = GV_SIDE_SELL;
	e.u.md.ref = 1000;
	e.u.md.qty = 5;
	e.u.md.price = 600025;
	CU_ASSERT_EQUAL(gv_itch_put_event(w, &e, 4, ts + 1, "ESZ5    "), 0);
	e = md_event(GV_EV_MD_EXEC, 11);
	e.u.md.ref = 1000;
	e.u.md.qty = 2;
	e.u.md.price = 600025;
	e.u.md.match_id = 77;
	CU_ASSERT_EQUAL(gv_itch_put_event(w, &e, 4, ts + 2, "ESZ5    "), 0);
	e = md_event(GV_EV_MD_REDUCE, 11);
	e.u.md.ref = 1000;
	e.u.md.qty = 1;
	CU_ASSERT_EQUAL(gv_itch_put_event(w, &e, 4, ts + 3, "ESZ5    "), 0);
	e = md_event(GV_EV_MD_REPLACE, 11);
	e.u.md.ref = 1000;
	e.u.md.new_ref = 1001;
	e.u.md.qty = 9;
	e.u.md.price = 600050;
	CU_ASSERT_EQUAL(gv_itch_put_event(w, &e, 4, ts + 4, "ESZ5    "), 0);
	e = md_event(GV_EV_MD_DELETE, 11);
	e.u.md.ref = 1001;
	CU_ASSERT_EQUAL(gv_itch_put_event(w, &e, 4, ts + 5, "ESZ5    "), 0);
	e = md_event(GV_EV_MD_TRADING_STATE, 11);
	e.u.md.halted = 1;
	CU_ASSERT_EQUAL(gv_itch_put_event(w, &e, 4, ts + 6, "ESZ5    "), 0);
	CU_ASSERT_EQUAL(gv_itch_put_system_event(w, GV_ITCH_SYS_END_MESSAGES,
	                                         4, ts + 7), 0);
}

static void test_round_trip_every_type(void)
{
	const uint64_t ts = 3 * NS_PER_DAY + 34200000000000ull; /* 09:30 */
	const struct gv_itch_msg *m = g_col.m;
	struct gv_mold_writer w;
	struct gv_mold_hdr h;
	uint32_t len, i;

	begin(&w, GV_DGRAM_MAX);
	put_all_types(&w, ts);
	len = gv_mold_finish(&w);
	CU_ASSERT_EQUAL(len, 20 + 9 * 2 + 12 + 39 + 36 + 31 + 23 + 35 + 19 +
	                             25 + 12);
	CU_ASSERT_EQUAL_FATAL(parse_all(len, &h), 9);
	CU_ASSERT_EQUAL(h.seq, 42);
	CU_ASSERT_EQUAL(h.count, 9);
	CU_ASSERT_EQUAL(memcmp(h.session, "GAVEL00003", 10), 0);
	CU_ASSERT_EQUAL_FATAL(g_col.n, 9);
	for (i = 0; i < 9; i++)
		CU_ASSERT_EQUAL(g_col.rc[i], 0);

	check_common(&m[0], 'S', 0, 4, ts);
	CU_ASSERT_EQUAL(m[0].code, GV_ITCH_SYS_START_MARKET);
	check_common(&m[1], 'R', 11, 4, ts);
	CU_ASSERT_STRING_EQUAL(m[1].stock, "ESZ5    ");
	check_common(&m[2], 'A', 11, 4, ts + 1);
	CU_ASSERT(m[2].ref == 1000 && m[2].side == 'S' && m[2].shares == 5 &&
	          m[2].price == 600025);
	CU_ASSERT_STRING_EQUAL(m[2].stock, "ESZ5    ");
	check_common(&m[3], 'E', 11, 4, ts + 2);
	CU_ASSERT(m[3].ref == 1000 && m[3].shares == 2 && m[3].match == 77 &&
	          m[3].price == 0);
	check_common(&m[4], 'X', 11, 4, ts + 3);
	CU_ASSERT(m[4].ref == 1000 && m[4].shares == 1 && m[4].match == 0);
	check_common(&m[5], 'U', 11, 4, ts + 4);
	CU_ASSERT(m[5].ref == 1000 && m[5].new_ref == 1001 &&
	          m[5].shares == 9 && m[5].price == 600050);
	check_common(&m[6], 'D', 11, 4, ts + 5);
	CU_ASSERT(m[6].ref == 1001 && m[6].shares == 0);
	check_common(&m[7], 'H', 11, 4, ts + 6);
	CU_ASSERT_EQUAL(m[7].code, 'H');
	CU_ASSERT_STRING_EQUAL(m[7].stock, "ESZ5    ");
	check_common(&m[8], 'S', 0, 4, ts + 7);
	CU_ASSERT_EQUAL(m[8].code, GV_ITCH_SYS_END_MESSAGES);
}

/* Random MD events of every type, over many packets: decode(encode) = id. */
static void test_round_trip_random(void)
{
	static const uint8_t types[] = {
		GV_EV_MD_ADD, GV_EV_MD_EXEC, GV_EV_MD_REDUCE, GV_EV_MD_DELETE,
		GV_EV_MD_REPLACE, GV_EV_MD_TRADING_STATE,
	};
	static const uint8_t itch[] = { 'A', 'E', 'X', 'D', 'U', 'H' };
	uint64_t rng = gv_test_seed(20240601);
	struct gv_event ev[GV_DGRAM_MAX / 21];
	uint64_t ts[GV_DGRAM_MAX / 21];
	struct gv_mold_writer w;
	struct gv_mold_hdr h;
	uint32_t n, i, k, pkt, bad = 0;

	for (pkt = 0; pkt < 2000 && bad == 0; pkt++) {
		begin(&w, 64 + (uint32_t)gv_test_below(&rng, GV_DGRAM_MAX - 63));
		for (n = 0; n < GV_ARRAY_SIZE(ev); n++) {
			k = (uint32_t)gv_test_below(&rng, GV_ARRAY_SIZE(types));
			ev[n] = md_event(types[k],
			                 (uint16_t)gv_test_rand(&rng));
			ev[n].side = (uint8_t)(1 + gv_test_below(&rng, 2));
			ev[n].u.md.ref = gv_test_rand(&rng);
			ev[n].u.md.new_ref = gv_test_rand(&rng);
			ev[n].u.md.qty = (uint32_t)gv_test_rand(&rng);
			ev[n].u.md.price = (uint32_t)gv_test_rand(&rng);
			ev[n].u.md.match_id = gv_test_rand(&rng);
			ev[n].u.md.halted = (uint8_t)gv_test_below(&rng, 2);
			ts[n] = gv_test_rand(&rng);
			if (gv_itch_put_event(&w, &ev[n], (uint16_t)pkt, ts[n],
			                      "SYM     ") != 0)
				break;
		}
		CU_ASSERT(n > 0);
		if (parse_all(gv_mold_finish(&w), &h) != (int)n) {
			bad = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			const struct gv_itch_msg *m = &g_col.m[i];
			const struct gv_event *e = &ev[i];
			uint8_t t = itch[e->type - GV_EV_MD_ADD];
			int ok = g_col.rc[i] == 0 && m->type == t &&
			         m->locate == e->instrument &&
			         m->tracking == (uint16_t)pkt &&
			         m->ts_ns == ts[i] % NS_PER_DAY;

			if (t == 'A' || t == 'E' || t == 'X' || t == 'D' ||
			    t == 'U')
				ok = ok && m->ref == e->u.md.ref;
			if (t == 'A' || t == 'E' || t == 'X' || t == 'U')
				ok = ok && m->shares == e->u.md.qty;
			if (t == 'A' || t == 'U')
				ok = ok && m->price == (uint64_t)e->u.md.price;
			if (t == 'A')
				ok = ok && m->side == (e->side == 1 ? 'B' : 'S');
			if (t == 'E')
				ok = ok && m->match == e->u.md.match_id;
			if (t == 'U')
				ok = ok && m->new_ref == e->u.md.new_ref;
			if (t == 'H')
				ok = ok && m->code == (e->u.md.halted ? 'H' : 'T');
			if (!ok) {
				fprintf(stderr, "packet %u message %u differs\n",
				        pkt, i);
				bad = 1;
				break;
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- framing and capacity ------------------------------------------- */

static void test_sequence_and_count(void)
{
	char session[GV_MOLD_SESSION_LEN];
	struct gv_mold_writer w;
	struct gv_mold_hdr h;
	uint32_t len, i;

	gv_mold_session_name(session, 17);
	gv_mold_begin(&w, g_buf, GV_DGRAM_MAX, session,
	              0x0102030405060708ull);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(gv_itch_put_system_event(&w, 'Q', 17, i), 0);
	len = gv_mold_finish(&w);
	CU_ASSERT_EQUAL(len, 20 + 5 * 14);
	CU_ASSERT_EQUAL(memcmp(g_buf, "GAVEL00017", 10), 0);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(g_buf[10 + i], i + 1);
	CU_ASSERT_EQUAL(g_buf[18], 0);
	CU_ASSERT_EQUAL(g_buf[19], 5);
	CU_ASSERT_EQUAL(parse_all(len, &h), 5);
	CU_ASSERT_EQUAL(h.seq, 0x0102030405060708ull);
	CU_ASSERT_EQUAL(h.count, 5);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(g_col.len[i], GV_ITCH_LEN_S);
		CU_ASSERT_EQUAL(g_col.m[i].ts_ns, i);
	}

	/* A heartbeat parses to no message. */
	gv_mold_begin(&w, g_buf, GV_DGRAM_MAX, session, 99);
	len = gv_mold_finish(&w);
	CU_ASSERT_EQUAL(parse_all(len, &h), 0);
	CU_ASSERT_EQUAL(h.count, 0);
	CU_ASSERT_EQUAL(h.seq, 99);
	CU_ASSERT_EQUAL(g_col.n, 0);
}

/* Exactly-fitting capacity succeeds; one byte less is -ENOSPC, untouched. */
static void test_enospc_at_capacity(void)
{
	static const struct {
		uint8_t type;
		uint32_t len;
	} k[] = {
		{ GV_EV_MD_ADD, GV_ITCH_LEN_A },
		{ GV_EV_MD_EXEC, GV_ITCH_LEN_E },
		{ GV_EV_MD_REDUCE, GV_ITCH_LEN_X },
		{ GV_EV_MD_DELETE, GV_ITCH_LEN_D },
		{ GV_EV_MD_REPLACE, GV_ITCH_LEN_U },
		{ GV_EV_MD_TRADING_STATE, GV_ITCH_LEN_H },
		{ 0, GV_ITCH_LEN_S },
		{ 1, GV_ITCH_LEN_R },
	};
	struct gv_mold_writer w;
	struct gv_event e;
	size_t i;
	uint32_t cap, j;
	int rc;

	for (i = 0; i < GV_ARRAY_SIZE(k); i++) {
		for (cap = 20 + 2 + k[i].len - 1; cap <= 20 + 2 + k[i].len;
		     cap++) {
			memset(g_buf, 0xEE, sizeof(g_buf));
			begin(&w, cap);
			e = md_event(k[i].type, 1);
			e.side = GV_SIDE_BUY;
			if (k[i].type == 0)
				rc = gv_itch_put_system_event(&w, 'O', 0, 0);
			else if (k[i].type == 1)
				rc = gv_itch_put_stock_directory(&w, 1, "A       ", 0,
				                                 0);
			else
				rc = gv_itch_put_event(&w, &e, 0, 0, "A       ");
			if (cap < 20 + 2 + k[i].len) {
				CU_ASSERT_EQUAL(rc, -ENOSPC);
				CU_ASSERT_EQUAL(w.len, 20);
				CU_ASSERT_EQUAL(w.count, 0);
				for (j = 20; j < sizeof(g_buf); j++)
					if (g_buf[j] != 0xEE)
						break;
				CU_ASSERT_EQUAL(j, sizeof(g_buf));
			} else {
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT_EQUAL(w.len, cap);
				CU_ASSERT_EQUAL(g_buf[cap], 0xEE);
			}
		}
	}
}

/* Fill a full datagram: stops at the first message that does not fit. */
static void test_fill_datagram(void)
{
	struct gv_mold_writer w;
	struct gv_event e = md_event(GV_EV_MD_DELETE, 1);
	struct gv_mold_hdr h;
	uint32_t n = 0, len;

	memset(g_buf, 0xEE, sizeof(g_buf));
	begin(&w, GV_DGRAM_MAX);
	for (;;) {
		e.u.md.ref = n + 1;
		if (gv_itch_put_event(&w, &e, 0, 0, "A       ") != 0)
			break;
		n++;
	}
	CU_ASSERT_EQUAL(n, (GV_DGRAM_MAX - 20) / (2 + GV_ITCH_LEN_D));
	/* 3 bytes left: too few for an 'S' (14) too. */
	CU_ASSERT_EQUAL(gv_itch_put_system_event(&w, 'C', 0, 0), -ENOSPC);
	len = gv_mold_finish(&w);
	CU_ASSERT_EQUAL(len, 20 + n * 21);
	CU_ASSERT(len <= GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(g_buf[len], 0xEE);
	CU_ASSERT_EQUAL(parse_all(len, &h), (int)n);
	CU_ASSERT_EQUAL(g_col.m[n - 1].ref, n);
}

static void test_timestamp_wrap_at_midnight(void)
{
	static const struct {
		uint64_t ts, want;
		int known;  /* bytes[] given */
		uint8_t bytes[6];
	} k[] = {
		{ 0, 0, 1, { 0, 0, 0, 0, 0, 0 } },
		{ NS_PER_DAY - 1, NS_PER_DAY - 1, 1,
		  { 0x4E, 0x94, 0x91, 0x4E, 0xFF, 0xFF } },
		{ NS_PER_DAY, 0, 1, { 0, 0, 0, 0, 0, 0 } },
		{ NS_PER_DAY + 1, 1, 1, { 0, 0, 0, 0, 0, 1 } },
		{ 19999 * NS_PER_DAY + NS_PER_DAY - 1, NS_PER_DAY - 1, 1,
		  { 0x4E, 0x94, 0x91, 0x4E, 0xFF, 0xFF } },
		/* Unreduced, these would not fit 6 bytes. */
		{ 1ull << 48, (1ull << 48) % NS_PER_DAY, 0, { 0 } },
		{ UINT64_MAX, UINT64_MAX % NS_PER_DAY, 0, { 0 } },
	};
	struct gv_mold_writer w;
	struct gv_mold_hdr h;
	const uint8_t *m;
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(k); i++) {
		begin(&w, GV_DGRAM_MAX);
		CU_ASSERT_EQUAL(gv_itch_put_system_event(&w, 'S', 0, k[i].ts),
		                0);
		m = only_msg(&w, GV_ITCH_LEN_S);
		if (k[i].known)
			CU_ASSERT_EQUAL(memcmp(m + 5, k[i].bytes, 6), 0);
		CU_ASSERT_EQUAL(parse_all(20 + 2 + GV_ITCH_LEN_S, &h), 1);
		CU_ASSERT_EQUAL(g_col.m[0].ts_ns, k[i].want);
		CU_ASSERT(g_col.m[0].ts_ns < NS_PER_DAY);
	}
}

/* ---- malformed input ------------------------------------------------- */

static uint32_t g_calls;

static void count_fn(void *arg, const uint8_t *msg, uint32_t len)
{
	(void)arg;
	(void)msg;
	(void)len;
	g_calls++;
}

/* A valid 2-message packet in g_buf (S then D); returns its length. */
static uint32_t two_msg_packet(void)
{
	struct gv_mold_writer w;
	struct gv_event e = md_event(GV_EV_MD_DELETE, 1);

	memset(g_buf, 0, sizeof(g_buf));
	begin(&w, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_itch_put_system_event(&w, 'O', 0, 0), 0);
	CU_ASSERT_EQUAL(gv_itch_put_event(&w, &e, 0, 0, "A       "), 0);
	return gv_mold_finish(&w); /* 20 + 14 + 21 = 55 */
}

static int parse_count(uint32_t len)
{
	struct gv_mold_hdr h;

	g_calls = 0;
	return gv_mold_parse(g_buf, len, &h, count_fn, NULL);
}

static void test_parse_rejects_malformed(void)
{
	uint32_t len = two_msg_packet(), l;

	CU_ASSERT_EQUAL(len, 55);
	CU_ASSERT_EQUAL(parse_count(len), 2);
	CU_ASSERT_EQUAL(g_calls, 2);

	/* Truncated header; every truncation of the packet. */
	for (l = 0; l < len; l++) {
		CU_ASSERT_EQUAL(parse_count(l), -EINVAL);
		CU_ASSERT_EQUAL(g_calls, 0);
	}
	CU_ASSERT_EQUAL(gv_mold_parse(NULL, 20, NULL, NULL, NULL), -EINVAL);
	/* Trailing bytes. */
	CU_ASSERT_EQUAL(parse_count(len + 1), -EINVAL);
	CU_ASSERT_EQUAL(g_calls, 0);
	/* Second message's length overruns the packet by one. */
	g_buf[20 + 14 + 1] = GV_ITCH_LEN_D + 1;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	CU_ASSERT_EQUAL(g_calls, 0); /* not even the first, valid one */
	/* ... and a huge one. */
	g_buf[20 + 14] = 0xFF;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	/* Shorter length: the rest are trailing bytes. */
	g_buf[20 + 14] = 0;
	g_buf[20 + 14 + 1] = GV_ITCH_LEN_D - 1;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	CU_ASSERT_EQUAL(g_calls, 0);
	/* Zero-length block. */
	len = two_msg_packet();
	g_buf[20] = 0;
	g_buf[21] = 0;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	/* Count larger than the blocks present (length field cut off). */
	len = two_msg_packet();
	g_buf[19] = 3;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	CU_ASSERT_EQUAL(parse_count(len + 1), -EINVAL);
	/* Count smaller: trailing bytes. */
	g_buf[19] = 1;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	CU_ASSERT_EQUAL(g_calls, 0);
	/* Heartbeat and end of session with bytes after the header. */
	g_buf[19] = 0;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	CU_ASSERT_EQUAL(parse_count(20), 0);
	g_buf[18] = 0xFF;
	g_buf[19] = 0xFF;
	CU_ASSERT_EQUAL(parse_count(len), -EINVAL);
	CU_ASSERT_EQUAL(parse_count(21), -EINVAL);
	CU_ASSERT_EQUAL(parse_count(20), 0);
	CU_ASSERT_EQUAL(g_calls, 0);
}

/* Random corruption: never reads out of bounds (ASan), lengths add up. */
static void test_parse_random_bytes(void)
{
	uint64_t rng = gv_test_seed(7);
	uint8_t *pkt;
	uint32_t len, i, it;
	int n;

	for (it = 0; it < 20000; it++) {
		len = two_msg_packet();
		if (gv_test_below(&rng, 2))
			len = (uint32_t)gv_test_below(&rng, 64);
		for (i = 0; i < 1 + gv_test_below(&rng, 4); i++)
			g_buf[18 + gv_test_below(&rng, 40)] =
			        (uint8_t)gv_test_rand(&rng);
		/* An exact-size heap copy so ASan sees any overrun. */
		pkt = malloc(len ? len : 1);
		CU_ASSERT_FATAL(pkt != NULL);
		memcpy(pkt, g_buf, len);
		memset(&g_col, 0, sizeof(g_col));
		n = gv_mold_parse(pkt, len, NULL, collect_fn, &g_col);
		if (n > 0) {
			uint32_t sum = GV_MOLD_HDR_LEN;

			for (i = 0; i < (uint32_t)n; i++)
				sum += 2 + g_col.len[i];
			CU_ASSERT_EQUAL(sum, len);
		} else {
			CU_ASSERT(n == 0 || n == -EINVAL);
		}
		free(pkt);
	}
}

static void test_decode_rejects_bad_length_and_type(void)
{
	static const struct {
		uint8_t type;
		uint32_t len;
	} k[] = {
		{ 'S', GV_ITCH_LEN_S }, { 'R', GV_ITCH_LEN_R },
		{ 'H', GV_ITCH_LEN_H }, { 'A', GV_ITCH_LEN_A },
		{ 'E', GV_ITCH_LEN_E }, { 'X', GV_ITCH_LEN_X },
		{ 'D', GV_ITCH_LEN_D }, { 'U', GV_ITCH_LEN_U },
		{ 'P', GV_ITCH_LEN_P },
	};
	static const uint8_t unknown[] = { 'F', 'C', 'Q', 'B', 'I', 'a', 0 };
	uint8_t msg[GV_ITCH_LEN_MAX + 2];
	struct gv_itch_msg m;
	size_t i;
	uint32_t l;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < GV_ARRAY_SIZE(k); i++) {
		msg[0] = k[i].type;
		for (l = 1; l <= sizeof(msg); l++)
			CU_ASSERT_EQUAL(gv_itch_decode(msg, l, &m),
			                l == k[i].len ? 0 : -EINVAL);
	}
	for (i = 0; i < GV_ARRAY_SIZE(unknown); i++) {
		msg[0] = unknown[i];
		for (l = 1; l <= sizeof(msg); l++)
			CU_ASSERT_EQUAL(gv_itch_decode(msg, l, &m), -EINVAL);
	}
	CU_ASSERT_EQUAL(gv_itch_decode(msg, 0, &m), -EINVAL);
	CU_ASSERT_EQUAL(gv_itch_decode(NULL, 12, &m), -EINVAL);
}

/* 'P' (non-cross trade) is decoded though gavel does not send it. */
static void test_decode_trade(void)
{
	static const uint8_t p[GV_ITCH_LEN_P] = {
		'P', 0x00, 0x05, 0x00, 0x02, TS_BYTES,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ref 0 */
		'B',
		0x00, 0x00, 0x01, 0x00,                         /* shares */
		'M', 'S', 'F', 'T', ' ', ' ', ' ', ' ',
		0x00, 0x06, 0x1A, 0x80,                         /* price */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x39, /* match */
	};
	struct gv_itch_msg m;

	CU_ASSERT_EQUAL_FATAL(gv_itch_decode(p, sizeof(p), &m), 0);
	check_common(&m, 'P', 5, 2, TS_TEST);
	CU_ASSERT_EQUAL(m.ref, 0);
	CU_ASSERT_EQUAL(m.side, 'B');
	CU_ASSERT_EQUAL(m.shares, 256);
	CU_ASSERT_STRING_EQUAL(m.stock, "MSFT    ");
	CU_ASSERT_EQUAL(m.price, 400000);
	CU_ASSERT_EQUAL(m.match, 12345);
	CU_ASSERT_EQUAL(m.new_ref, 0);
	CU_ASSERT_EQUAL(m.code, 0);
}

/* ---- independent decoder: Wireshark's MoldUDP64 dissector ------------ */

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Append one Ethernet/IPv4/UDP frame (port 26400) carrying `pl`. */
static void pcap_frame(FILE *f, const uint8_t *pl, uint32_t len)
{
	static const uint8_t eth[14] = {
		0x01, 0x00, 0x5e, 0x01, 0x01, 0x01, 0x02, 0, 0, 0, 0, 0x01,
		0x08, 0x00,
	};
	uint8_t rec[16], ip[20], udp[8];
	uint32_t sum = 0, i;

	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[6] = 0x40;      /* don't fragment */
	ip[8] = 64;
	ip[9] = 17;        /* UDP */
	memcpy(ip + 12, "\x0a\x00\x00\x01\xef\x01\x01\x01", 8);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	put_be16(ip + 10, (uint16_t)~sum);
	put_be16(udp, 26400);
	put_be16(udp + 2, 26400);
	put_be16(udp + 4, (uint16_t)(8 + len));
	put_be16(udp + 6, 0); /* no checksum */
	memset(rec, 0, sizeof(rec));
	put_le32(rec + 8, 14 + 20 + 8 + len);
	put_le32(rec + 12, 14 + 20 + 8 + len);
	CU_ASSERT(fwrite(rec, 1, 16, f) == 16 && fwrite(eth, 1, 14, f) == 14 &&
	          fwrite(ip, 1, 20, f) == 20 && fwrite(udp, 1, 8, f) == 8 &&
	          fwrite(pl, 1, len, f) == len);
}

static int write_pcap(const char *path, const uint8_t *p1, uint32_t l1,
                      const uint8_t *p2, uint32_t l2, const uint8_t *p3,
                      uint32_t l3)
{
	uint8_t gh[24];
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	memset(gh, 0, sizeof(gh));
	put_le32(gh, 0xa1b2c3d4);
	put_le16(gh + 4, 2);
	put_le16(gh + 6, 4);
	put_le32(gh + 16, 65535);
	put_le32(gh + 20, 1); /* LINKTYPE_ETHERNET */
	CU_ASSERT(fwrite(gh, 1, sizeof(gh), f) == sizeof(gh));
	pcap_frame(f, p1, l1);
	pcap_frame(f, p2, l2);
	pcap_frame(f, p3, l3);
	return fclose(f);
}

static void hex(char *out, const uint8_t *p, uint32_t n)
{
	static const char digits[] = "0123456789abcdef";
	uint32_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The line tshark should print for the data packet (see the -e list). */
static void expected_line(char *out, size_t cap, const uint8_t *pkt,
                          uint32_t len)
{
	char lens[256] = "", seqs[256] = "", data[2 * GV_DGRAM_MAX + 64] = "";
	uint32_t off = GV_MOLD_HDR_LEN, i;
	uint16_t n = (uint16_t)(pkt[18] << 8 | pkt[19]);
	size_t dl = 0;

	for (i = 0; i < n; i++) {
		uint32_t ml = (uint32_t)pkt[off] << 8 | pkt[off + 1];

		snprintf(lens + strlen(lens), sizeof(lens) - strlen(lens),
		         "%s%u", i ? "," : "", ml);
		snprintf(seqs + strlen(seqs), sizeof(seqs) - strlen(seqs),
		         "%s%u", i ? "," : "", 42 + i);
		if (i)
			data[dl++] = ',';
		hex(data + dl, pkt + off + 2, ml);
		dl += 2 * ml;
		off += 2 + ml;
	}
	CU_ASSERT_EQUAL(off, len);
	snprintf(out, cap, "GAVEL00003\t42\t%u\t%s\t%s\t%s\tMoldUDP64 Messages",
	         n, seqs, lens, data);
}

/*
 * Read one tshark line and compare all but its last column (expert info)
 * with `want`. The expert column may hold comments, never a warning or an
 * error: Wireshark 4.0 comments "Number of Requested Messages" on any
 * header-only packet with a non-zero count, end of session included.
 */
static void check_tshark_line(FILE *p, const char *want)
{
	static char line[4 * GV_DGRAM_MAX];
	char *expert;

	if (fgets(line, sizeof(line), p) == NULL) {
		CU_FAIL("tshark printed too few lines");
		return;
	}
	line[strcspn(line, "\n")] = '\0';
	expert = strrchr(line, '\t');
	CU_ASSERT_FATAL(expert != NULL);
	*expert++ = '\0';
	if (strcmp(line, want) != 0 || (*expert != '\0' &&
	                                strstr(expert, "(Comment/") == NULL))
		fprintf(stderr, "\ntshark: %s [%s]\nwant:   %s\n", line,
		        expert, want);
	CU_ASSERT_STRING_EQUAL(line, want);
	CU_ASSERT(*expert == '\0' || strstr(expert, "(Comment/") != NULL);
	CU_ASSERT(strstr(expert, "Error") == NULL &&
	          strstr(expert, "Warning") == NULL &&
	          strstr(expert, "Malformed") == NULL);
}

/*
 * Wireshark's MoldUDP64 dissector, an independent decoder, must read our
 * data packet, heartbeat and end of session as we mean them: session,
 * sequences, counts, block lengths and message bytes, with no expert
 * warning. (Its "nasdaq_itch" dissector knows ITCH 2.0-4.1 only, not
 * 5.0, so the ITCH layouts are checked by the byte-exact tests above.)
 */
static void test_tshark_decodes_mold(void)
{
	static char want[4 * GV_DGRAM_MAX];
	char dir[] = "/tmp/gv_itch_XXXXXX", path[64], cmd[512];
	uint8_t data[GV_DGRAM_MAX], hb[GV_MOLD_HDR_LEN], eos[GV_MOLD_HDR_LEN];
	struct gv_mold_writer w;
	uint32_t len;
	FILE *p;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		printf("\n  NOTE: tshark not installed; independent MoldUDP64 "
		       "decode skipped\n");
		return;
	}
	begin(&w, GV_DGRAM_MAX);
	put_all_types(&w, 3 * NS_PER_DAY + 34200000000000ull);
	len = gv_mold_finish(&w);
	memcpy(data, g_buf, len);
	begin(&w, GV_DGRAM_MAX);
	gv_mold_finish(&w);
	memcpy(hb, g_buf, sizeof(hb));
	begin(&w, GV_DGRAM_MAX);
	gv_mold_end_of_session(&w);
	memcpy(eos, g_buf, sizeof(eos));

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/itch.pcap", dir);
	CU_ASSERT_FATAL(write_pcap(path, data, len, hb, sizeof(hb), eos,
	                           sizeof(eos)) == 0);
	snprintf(cmd, sizeof(cmd),
	         "tshark -r %s -d udp.port==26400,moldudp64 -T fields "
	         "-e moldudp64.session -e moldudp64.sequence "
	         "-e moldudp64.count -e moldudp64.msgseq -e moldudp64.msglen "
	         "-e moldudp64.msgdata -e _ws.col.Info -e _ws.expert "
	         "-E aggregator=, 2>/dev/null", path);
	p = popen(cmd, "r");
	CU_ASSERT_FATAL(p != NULL);
	expected_line(want, sizeof(want), data, len);
	check_tshark_line(p, want);
	check_tshark_line(p, "GAVEL00003\t42\t0\t\t\t\tMoldUDP64 Heartbeat");
	check_tshark_line(p, "GAVEL00003\t42\t65535\t\t\t\t"
	                     "MoldUDP64 End Of Session");
	CU_ASSERT(fgets(want, sizeof(want), p) == NULL);
	CU_ASSERT_EQUAL(pclose(p), 0);
	unlink(path);
	rmdir(dir);
}

static const struct gv_test tests[] = {
	GV_TEST(test_session_name),
	GV_TEST(test_heartbeat_bytes),
	GV_TEST(test_end_of_session_bytes),
	GV_TEST(test_add_bytes),
	GV_TEST(test_exec_bytes),
	GV_TEST(test_replace_bytes),
	GV_TEST(test_cancel_delete_bytes),
	GV_TEST(test_trading_action_bytes),
	GV_TEST(test_system_event_bytes),
	GV_TEST(test_stock_directory_bytes),
	GV_TEST(test_put_rejects_other_events),
	GV_TEST(test_round_trip_every_type),
	GV_TEST(test_round_trip_random),
	GV_TEST(test_sequence_and_count),
	GV_TEST(test_enospc_at_capacity),
	GV_TEST(test_fill_datagram),
	GV_TEST(test_timestamp_wrap_at_midnight),
	GV_TEST(test_parse_rejects_malformed),
	GV_TEST(test_parse_random_bytes),
	GV_TEST(test_decode_rejects_bad_length_and_type),
	GV_TEST(test_decode_trade),
	GV_TEST(test_tshark_decodes_mold),
};

int main(void)
{
	return gv_test_main("itch", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
