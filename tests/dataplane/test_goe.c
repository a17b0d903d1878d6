/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_goe.c - GOE/1 codec: round trips of every message, the wire layout
 * against hand-written bytes, every drop class, the MAC and the writer's
 * limits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "gv_goe.h"
#include "gv_test.h"

static const uint8_t g_key[GV_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A datagram of one raw message of `type`, `len` bytes, body all zero. */
static uint32_t one_msg(uint8_t *buf, uint8_t type, uint32_t len, uint64_t seq)
{
	struct gv_goe_writer w;
	uint8_t m[2 * GV_GOE_LEN_MAX] = { 0 };

	set16(m, (uint16_t)len);
	m[2] = type;
	gv_goe_begin(&w, buf, 7, seq, 1);
	CU_ASSERT_FATAL(gv_goe_put_raw(&w, m, len) == 0);
	return gv_goe_finish(&w, g_key);
}

static struct gv_cmd new_cmd(void)
{
	struct gv_cmd c;

	memset(&c, 0, sizeof(c));
	c.type = GV_CMD_NEW;
	c.u.new_order.symbol = 0xa1b2c3d4u;
	c.u.new_order.cl_ord_id = 0x0102030405060708ull;
	c.u.new_order.price = -1234567890123ll;
	c.u.new_order.qty = 0xfffffffffffffffeull;
	c.u.new_order.stop_price = 0x7edcba9876543210ll;
	c.u.new_order.display_qty = 42;
	c.u.new_order.side = 2;
	c.u.new_order.type = 4;
	c.u.new_order.tif = 3;
	c.u.new_order.flags = 0x81;
	c.u.new_order.stp = 9;
	return c;
}

/* ---- round trips ------------------------------------------------------ */

static void test_roundtrip_unsequenced(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_goe_dgram d;
	uint32_t len;

	gv_goe_begin(&w, buf, 0xdeadbeefu, 0, 0x1122334455667788ull);
	CU_ASSERT(gv_goe_put_logon(&w, 1500, true) == 0);
	CU_ASSERT(gv_goe_put_logon(&w, 0xfedcba98u, false) == 0);
	CU_ASSERT(gv_goe_put_logout(&w) == 0);
	CU_ASSERT(gv_goe_put_client_heartbeat(&w) == 0);
	CU_ASSERT(gv_goe_put_resend(&w, 0x8000000000000001ull, 65535) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(len, 32 + 16 + 16 + 4 + 4 + 16);

	CU_ASSERT_EQUAL_FATAL(gv_goe_parse(buf, len, &d), GV_GOE_OK);
	CU_ASSERT_EQUAL(d.session, 0xdeadbeefu);
	CU_ASSERT_EQUAL(d.count, 5);
	CU_ASSERT(!d.sequenced);
	CU_ASSERT_EQUAL(d.seq, 0);
	CU_ASSERT_EQUAL(d.ts_ns, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(d.mac, gv_goe_mac(buf, len, g_key));
	CU_ASSERT(gv_goe_mac_ok(buf, len, g_key));

	CU_ASSERT_EQUAL(d.msg[0].type, GV_GOE_LOGON);
	CU_ASSERT_EQUAL(d.msg[0].u.logon.heartbeat_ms, 1500);
	CU_ASSERT_EQUAL(d.msg[0].u.logon.cancel_on_disconnect, 1);
	CU_ASSERT_EQUAL(d.msg[1].type, GV_GOE_LOGON);
	CU_ASSERT_EQUAL(d.msg[1].u.logon.heartbeat_ms, 0xfedcba98u);
	CU_ASSERT_EQUAL(d.msg[1].u.logon.cancel_on_disconnect, 0);
	CU_ASSERT_EQUAL(d.msg[2].type, GV_GOE_LOGOUT);
	CU_ASSERT_EQUAL(d.msg[3].type, GV_GOE_HEARTBEAT);
	CU_ASSERT_EQUAL(d.msg[4].type, GV_GOE_RESEND);
	CU_ASSERT_EQUAL(d.msg[4].u.resend.from_seq, 0x8000000000000001ull);
	CU_ASSERT_EQUAL(d.msg[4].u.resend.count, 65535);
}

static void test_roundtrip_sequenced(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_goe_dgram d;
	struct gv_cmd n = new_cmd(), c, r, m;
	const struct gv_cmd *g;
	uint32_t len;

	memset(&c, 0, sizeof(c));
	c.type = GV_CMD_CANCEL;
	c.u.cancel.cl_ord_id = 0xa0a1a2a3a4a5a6a7ull;
	memset(&r, 0, sizeof(r));
	r.type = GV_CMD_REPLACE;
	r.u.replace.orig_cl_ord_id = 11;
	r.u.replace.new_cl_ord_id = 0xffffffffffffffffull;
	r.u.replace.new_price = INT64_MIN;
	r.u.replace.new_qty = 0x100000000ull;
	memset(&m, 0, sizeof(m));
	m.type = GV_CMD_MASS_CANCEL;
	m.u.mass_cancel.symbol = 0xffffffffu;
	m.u.mass_cancel.side = 0xfe;

	gv_goe_begin(&w, buf, 3, 0xfffffffffffffff0ull, 9);
	CU_ASSERT(gv_goe_put_cmd(&w, &n) == 0);
	CU_ASSERT(gv_goe_put_cmd(&w, &c) == 0);
	CU_ASSERT(gv_goe_put_cmd(&w, &r) == 0);
	CU_ASSERT(gv_goe_put_cmd(&w, &m) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(len, 32 + 56 + 16 + 40 + 12);
	CU_ASSERT_EQUAL_FATAL(gv_goe_parse(buf, len, &d), GV_GOE_OK);
	CU_ASSERT(d.sequenced);
	CU_ASSERT_EQUAL(d.seq, 0xfffffffffffffff0ull);
	CU_ASSERT_EQUAL(d.count, 4);

	CU_ASSERT_EQUAL(d.msg[0].type, GV_GOE_NEW);
	g = &d.msg[0].u.cmd;
	CU_ASSERT_EQUAL(g->type, GV_CMD_NEW);
	CU_ASSERT_EQUAL(g->session, 3);
	CU_ASSERT_EQUAL(g->flags, 0);
	CU_ASSERT_EQUAL(g->ts_ns, 0);
	CU_ASSERT_EQUAL(g->u.new_order.symbol, n.u.new_order.symbol);
	CU_ASSERT_EQUAL(g->u.new_order.cl_ord_id, n.u.new_order.cl_ord_id);
	CU_ASSERT_EQUAL(g->u.new_order.price, n.u.new_order.price);
	CU_ASSERT_EQUAL(g->u.new_order.qty, n.u.new_order.qty);
	CU_ASSERT_EQUAL(g->u.new_order.stop_price, n.u.new_order.stop_price);
	CU_ASSERT_EQUAL(g->u.new_order.display_qty, n.u.new_order.display_qty);
	CU_ASSERT_EQUAL(g->u.new_order.side, 2);
	CU_ASSERT_EQUAL(g->u.new_order.type, 4);
	CU_ASSERT_EQUAL(g->u.new_order.tif, 3);
	CU_ASSERT_EQUAL(g->u.new_order.flags, 0x81);
	CU_ASSERT_EQUAL(g->u.new_order.stp, 9);

	CU_ASSERT_EQUAL(d.msg[1].type, GV_GOE_CANCEL);
	g = &d.msg[1].u.cmd;
	CU_ASSERT_EQUAL(g->type, GV_CMD_CANCEL);
	CU_ASSERT_EQUAL(g->session, 3);
	CU_ASSERT_EQUAL(g->u.cancel.cl_ord_id, c.u.cancel.cl_ord_id);

	CU_ASSERT_EQUAL(d.msg[2].type, GV_GOE_REPLACE);
	g = &d.msg[2].u.cmd;
	CU_ASSERT_EQUAL(g->type, GV_CMD_REPLACE);
	CU_ASSERT_EQUAL(g->session, 3);
	CU_ASSERT_EQUAL(g->u.replace.orig_cl_ord_id, 11);
	CU_ASSERT_EQUAL(g->u.replace.new_cl_ord_id, 0xffffffffffffffffull);
	CU_ASSERT_EQUAL(g->u.replace.new_price, INT64_MIN);
	CU_ASSERT_EQUAL(g->u.replace.new_qty, 0x100000000ull);

	CU_ASSERT_EQUAL(d.msg[3].type, GV_GOE_MASS_CANCEL);
	g = &d.msg[3].u.cmd;
	CU_ASSERT_EQUAL(g->type, GV_CMD_MASS_CANCEL);
	CU_ASSERT_EQUAL(g->session, 3);
	CU_ASSERT_EQUAL(g->u.mass_cancel.symbol, 0xffffffffu);
	CU_ASSERT_EQUAL(g->u.mass_cancel.side, 0xfe);
}

static struct gv_event ev(uint8_t type)
{
	struct gv_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.session = 5;
	return e;
}

/* Events for every reply type; fields the wire does not carry left 0. */
static uint32_t reply_events(struct gv_event *e)
{
	e[0] = ev(GV_EV_ACCEPTED);
	e[0].instrument = 65535;
	e[0].side = 1;
	e[0].u.ord.cl_ord_id = 0x0102030405060708ull;
	e[0].u.ord.order_id = 0x1112131415161718ull;
	e[0].u.ord.price = -5;
	e[0].u.ord.qty = 1000;
	e[0].u.ord.ord_type = 4;
	e[0].u.ord.tif = 2;
	e[1] = ev(GV_EV_REJECTED);
	e[1].u.ord.cl_ord_id = 99;
	e[1].u.ord.reason = GV_REJ_KILLED;
	e[2] = ev(GV_EV_FILL);
	e[2].instrument = 300;
	e[2].u.ord.cl_ord_id = 7;
	e[2].u.ord.order_id = 8;
	e[2].u.ord.aux = 0xabcdef0123456789ull;
	e[2].u.ord.price = INT64_MAX;
	e[2].u.ord.qty = 3;
	e[2].u.ord.open_qty = 4;
	e[2].u.ord.liquidity = GV_LIQ_TAKER;
	e[3] = ev(GV_EV_CANCELLED);
	e[3].u.ord.cl_ord_id = 12;
	e[3].u.ord.order_id = 13;
	e[3].u.ord.qty = 14;
	e[3].u.ord.reason = GV_CXL_NO_LIQUIDITY;
	e[4] = ev(GV_EV_REPLACED);
	e[4].instrument = 2;
	e[4].u.ord.cl_ord_id = 21;
	e[4].u.ord.aux = 20;
	e[4].u.ord.order_id = 22;
	e[4].u.ord.price = 23;
	e[4].u.ord.open_qty = 24;
	e[4].u.ord.priority_kept = 1;
	e[5] = ev(GV_EV_STOP_TRIGGERED);
	e[5].instrument = 9;
	e[5].u.ord.cl_ord_id = 31;
	e[5].u.ord.order_id = 32;
	e[6] = ev(GV_EV_MASS_CANCEL_ACK);
	e[6].instrument = 0;
	e[6].u.ord.qty = 77;
	return 7;
}

static void test_roundtrip_replies(void)
{
	static const uint8_t types[] = { 'a', 'j', 'f', 'x', 'r', 't', 'e' };
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	struct gv_event e[8];
	uint32_t n = reply_events(e), i, len;

	gv_goe_begin(&w, buf, 5, 100, 0);
	for (i = 0; i < n; i++)
		CU_ASSERT(gv_goe_put_event(&w, &e[i]) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(len, 32 + 48 + 24 + 64 + 40 + 56 + 24 + 24);
	CU_ASSERT_EQUAL_FATAL(gv_goe_parse_replies(buf, len, r, 64), (int)n);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(r[i].type, types[i]);
		CU_ASSERT_EQUAL(r[i].seq, 100 + i);
		CU_ASSERT_EQUAL(r[i].next_in, 0);
		CU_ASSERT_EQUAL(r[i].expected_in, 0);
		/* Every carried field back, every other one 0. */
		CU_ASSERT(memcmp(&r[i].ev, &e[i], sizeof(e[i])) == 0);
	}
	CU_ASSERT_EQUAL(r[0].ev.u.ord.ord_type, 4);
	CU_ASSERT_EQUAL(r[2].ev.u.ord.aux, 0xabcdef0123456789ull);
	CU_ASSERT_EQUAL(r[4].ev.u.ord.aux, 20);

	gv_goe_begin(&w, buf, 5, 0, 0);
	CU_ASSERT(gv_goe_put_logon_ack(&w, 0x0102030405060708ull, 9) == 0);
	CU_ASSERT(gv_goe_put_seq_gap(&w, 0xffffffffffffffffull) == 0);
	CU_ASSERT(gv_goe_put_heartbeat(&w) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(len, 32 + 24 + 16 + 4);
	CU_ASSERT_EQUAL_FATAL(gv_goe_parse_replies(buf, len, r, 3), 3);
	CU_ASSERT_EQUAL(r[0].type, 'l');
	CU_ASSERT_EQUAL(r[0].seq, 0);
	CU_ASSERT_EQUAL(r[0].ev.type, 0);
	CU_ASSERT_EQUAL(r[0].ev.session, 5);
	CU_ASSERT_EQUAL(r[0].next_in, 0x0102030405060708ull);
	CU_ASSERT_EQUAL(r[0].next_out, 9);
	CU_ASSERT_EQUAL(r[1].type, 'g');
	CU_ASSERT_EQUAL(r[1].seq, 0);
	CU_ASSERT_EQUAL(r[1].expected_in, 0xffffffffffffffffull);
	CU_ASSERT_EQUAL(r[2].type, 'h');
	CU_ASSERT_EQUAL(r[2].seq, 0);
	/* More replies than the caller can take: refused, nothing written. */
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 2),
	                -(int)GV_GOE_DROP_COUNT);
}

static void test_put_event_rejects_market_data(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_event e;
	uint8_t t;

	gv_goe_begin(&w, buf, 1, 1, 0);
	for (t = GV_EV_MD_ADD; t < GV_EV_MAX; t++) {
		e = ev(t);
		CU_ASSERT_EQUAL(gv_goe_put_event(&w, &e), -EINVAL);
	}
	e = ev(0);
	CU_ASSERT_EQUAL(gv_goe_put_event(&w, &e), -EINVAL);
	e = ev(GV_EV_MAX);
	CU_ASSERT_EQUAL(gv_goe_put_event(&w, &e), -EINVAL);
	CU_ASSERT_EQUAL(w.len, 32);
	CU_ASSERT_EQUAL(w.count, 0);
}

static void test_put_cmd_rejects_admin(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_cmd c;

	memset(&c, 0, sizeof(c));
	gv_goe_begin(&w, buf, 1, 1, 0);
	for (c.type = GV_CMD_HALT; c.type <= GV_CMD_SESSION_ENABLE; c.type++)
		CU_ASSERT_EQUAL(gv_goe_put_cmd(&w, &c), -EINVAL);
	c.type = 0;
	CU_ASSERT_EQUAL(gv_goe_put_cmd(&w, &c), -EINVAL);
	CU_ASSERT_EQUAL(w.len, 32);
	CU_ASSERT_EQUAL(w.count, 0);
}

/* Seeded random commands: encode, parse, compare. */
static void test_random_cmd_roundtrip(void)
{
	uint64_t rng = gv_test_seed(7);
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_cmd want[GV_DGRAM_MSGS_MAX];
	struct gv_goe_writer w;
	struct gv_goe_dgram d;
	int iter;

	for (iter = 0; iter < 2000; iter++) {
		uint32_t n = 0, i, len;

		gv_goe_begin(&w, buf, (uint32_t)gv_test_rand(&rng),
		             gv_test_rand(&rng) | 1, gv_test_rand(&rng));
		for (;;) {
			struct gv_cmd c;
			uint8_t *p = (uint8_t *)&c.u;

			memset(&c, 0, sizeof(c));
			for (i = 0; i < sizeof(c.u); i++)
				p[i] = (uint8_t)gv_test_rand(&rng);
			c.type = (uint8_t)(1 + gv_test_below(&rng, 4));
			/* Keep only what the wire carries (no padding). */
			if (c.type == GV_CMD_NEW) {
				struct gv_cmd k = c;

				memset(&c.u, 0, sizeof(c.u));
				c.u.new_order.symbol = k.u.new_order.symbol;
				c.u.new_order.side = k.u.new_order.side;
				c.u.new_order.type = k.u.new_order.type;
				c.u.new_order.tif = k.u.new_order.tif;
				c.u.new_order.flags = k.u.new_order.flags;
				c.u.new_order.cl_ord_id = k.u.new_order.cl_ord_id;
				c.u.new_order.price = k.u.new_order.price;
				c.u.new_order.qty = k.u.new_order.qty;
				c.u.new_order.stop_price = k.u.new_order.stop_price;
				c.u.new_order.display_qty =
					k.u.new_order.display_qty;
				c.u.new_order.stp = k.u.new_order.stp;
			} else if (c.type == GV_CMD_CANCEL) {
				uint64_t id = c.u.cancel.cl_ord_id;

				memset(&c.u, 0, sizeof(c.u));
				c.u.cancel.cl_ord_id = id;
			} else if (c.type == GV_CMD_REPLACE) {
				struct gv_cmd k = c;

				memset(&c.u, 0, sizeof(c.u));
				c.u.replace = k.u.replace;
			} else {
				uint32_t s = c.u.mass_cancel.symbol;
				uint8_t side = c.u.mass_cancel.side;

				memset(&c.u, 0, sizeof(c.u));
				c.u.mass_cancel.symbol = s;
				c.u.mass_cancel.side = side;
			}
			c.session = (uint32_t)get64(buf + 4);
			if (gv_goe_put_cmd(&w, &c) != 0)
				break;
			want[n++] = c;
		}
		len = gv_goe_finish(&w, g_key);
		if (gv_goe_parse(buf, len, &d) != GV_GOE_OK) {
			CU_FAIL("random datagram did not parse");
			break;
		}
		CU_ASSERT_EQUAL(d.count, n);
		for (i = 0; i < n; i++)
			if (memcmp(&d.msg[i].u.cmd, &want[i],
			           sizeof(want[i])) != 0) {
				CU_FAIL("decoded command differs");
				return;
			}
	}
}

/* ---- wire layout ------------------------------------------------------ */

static void test_layout_new(void)
{
	static const uint8_t want[32 + 56] = {
		'G', 'V', 1, 1,
		0x04, 0x03, 0x02, 0x01,                         /* session */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* seq */
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21, /* ts_ns */
		0, 0, 0, 0, 0, 0, 0, 0,                         /* mac */
		56, 0, 'N', 0,
		0xd4, 0xc3, 0xb2, 0xa1,                         /* symbol */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* cl_ord_id */
		0x35, 0xfb, 0x04, 0x8e, 0xe0, 0xfe, 0xff, 0xff, /* price */
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* qty */
		0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0x7e, /* stop */
		42, 0, 0, 0, 0, 0, 0, 0,                        /* display */
		2, 4, 3, 0x81, 9, 0, 0, 0,
	};
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_cmd n = new_cmd();
	uint32_t len;

	gv_goe_begin(&w, buf, 0x01020304u, 0x1112131415161718ull,
	             0x2122232425262728ull);
	CU_ASSERT(gv_goe_put_cmd(&w, &n) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL_FATAL(len, sizeof(want));
	CU_ASSERT(memcmp(buf, want, 24) == 0);
	CU_ASSERT(memcmp(buf + 32, want + 32, 56) == 0);
	CU_ASSERT_EQUAL(get64(buf + 24), gv_goe_mac(want, len, g_key));
}

static void test_layout_accepted_and_fill(void)
{
	static const uint8_t want_a[48] = {
		48, 0, 'a', 0,
		0x34, 0x12, 0, 0,                               /* symbol */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* cl_ord_id */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* order_id */
		0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* price -5 */
		0xe8, 0x03, 0, 0, 0, 0, 0, 0,                   /* open 1000 */
		1, 4, 2, 0, 0, 0, 0, 0,
	};
	static const uint8_t want_f[64] = {
		64, 0, 'f', 0,
		0x2c, 0x01, 0, 0,                               /* symbol 300 */
		7, 0, 0, 0, 0, 0, 0, 0,                         /* cl_ord_id */
		8, 0, 0, 0, 0, 0, 0, 0,                         /* order_id */
		0x89, 0x67, 0x45, 0x23, 0x01, 0xef, 0xcd, 0xab, /* match_id */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, /* price */
		3, 0, 0, 0, 0, 0, 0, 0,                         /* qty */
		4, 0, 0, 0, 0, 0, 0, 0,                         /* open_qty */
		2, 0, 0, 0, 0, 0, 0, 0,                         /* liquidity */
	};
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_event e[8];
	uint32_t len;

	reply_events(e);
	e[0].instrument = 0x1234;
	gv_goe_begin(&w, buf, 5, 1, 0);
	CU_ASSERT(gv_goe_put_event(&w, &e[0]) == 0);
	CU_ASSERT(gv_goe_put_event(&w, &e[2]) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL_FATAL(len, 32 + 48 + 64);
	CU_ASSERT_EQUAL(buf[3], 2);
	CU_ASSERT(memcmp(buf + 32, want_a, 48) == 0);
	CU_ASSERT(memcmp(buf + 80, want_f, 64) == 0);
}

/* ---- MAC -------------------------------------------------------------- */

static void test_siphash_reference_vector(void)
{
	uint8_t msg[15], out[8];
	uint32_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(gv_goe_mac(msg, sizeof(msg), g_key),
	                0xa129ca6149be45e5ull);
	crypto_shorthash_siphash24(out, msg, sizeof(msg), g_key);
	CU_ASSERT_EQUAL(get64(out), 0xa129ca6149be45e5ull);
	/* The wire carries the 8 output bytes as they come: e5 45 be ... */
	CU_ASSERT_EQUAL(out[0], 0xe5);
	CU_ASSERT_EQUAL(out[7], 0xa1);
}

static uint32_t sample(uint8_t *buf)
{
	struct gv_goe_writer w;
	struct gv_cmd n = new_cmd();

	gv_goe_begin(&w, buf, 42, 1, 123456789);
	CU_ASSERT(gv_goe_put_cmd(&w, &n) == 0);
	n.type = GV_CMD_CANCEL;
	CU_ASSERT(gv_goe_put_cmd(&w, &n) == 0);
	return gv_goe_finish(&w, g_key);
}

static void test_mac_ignores_mac_field(void)
{
	uint8_t buf[GV_DGRAM_MAX], copy[GV_DGRAM_MAX], zero[GV_DGRAM_MAX];
	uint8_t out[8];
	uint32_t len = sample(buf);
	uint64_t mac = get64(buf + 24);

	memcpy(zero, buf, len);
	memset(zero + 24, 0, 8);
	crypto_shorthash_siphash24(out, zero, len, g_key);
	CU_ASSERT_EQUAL(get64(out), mac);
	CU_ASSERT_EQUAL(gv_goe_mac(buf, len, g_key), mac);
	CU_ASSERT_EQUAL(gv_goe_mac(zero, len, g_key), mac);
	memcpy(copy, buf, len);
	memset(buf + 24, 0xa5, 8);
	CU_ASSERT_EQUAL(gv_goe_mac(buf, len, g_key), mac);
	CU_ASSERT(!gv_goe_mac_ok(buf, len, g_key));
	/* The input is not modified. */
	CU_ASSERT_EQUAL(buf[24], 0xa5);
	CU_ASSERT(gv_goe_mac_ok(copy, len, g_key));
	CU_ASSERT(memcmp(copy, zero, 24) == 0);
}

static void test_mac_tamper_detected(void)
{
	uint8_t buf[GV_DGRAM_MAX], key2[GV_KEY_LEN];
	uint32_t len = sample(buf), i;
	int bit;

	CU_ASSERT_FATAL(gv_goe_mac_ok(buf, len, g_key));
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (gv_goe_mac_ok(buf, len, g_key))
				CU_FAIL("flipped bit not detected");
			buf[i] ^= (uint8_t)(1u << bit);
		}
	CU_ASSERT(gv_goe_mac_ok(buf, len, g_key));
	CU_ASSERT(!gv_goe_mac_ok(buf, len - 1, g_key));
	CU_ASSERT(!gv_goe_mac_ok(buf, 31, g_key));
	CU_ASSERT(!gv_goe_mac_ok(buf, 0, g_key));
	CU_ASSERT(!gv_goe_mac_ok(buf, GV_DGRAM_MAX + 1, g_key));
	memcpy(key2, g_key, sizeof(key2));
	for (i = 0; i < GV_KEY_LEN; i++) {
		key2[i] ^= 0x40;
		CU_ASSERT(!gv_goe_mac_ok(buf, len, key2));
		key2[i] ^= 0x40;
	}
}

/* ---- drops ------------------------------------------------------------ */

static enum gv_goe_drop parse(const uint8_t *buf, uint32_t len)
{
	struct gv_goe_dgram d;

	return gv_goe_parse(buf, len, &d);
}

static void test_drop_header(void)
{
	uint8_t buf[GV_DGRAM_MAX + 8];
	struct gv_goe_writer w;
	uint32_t len;

	memset(buf, 0, sizeof(buf));
	gv_goe_begin(&w, buf, 1, 0, 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(len, 32);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_OK);  /* empty: valid */
	CU_ASSERT_EQUAL(parse(buf, 31), GV_GOE_DROP_SHORT);
	CU_ASSERT_EQUAL(parse(buf, 0), GV_GOE_DROP_SHORT);
	CU_ASSERT_EQUAL(parse(buf, GV_DGRAM_MAX + 1), GV_GOE_DROP_TOO_LONG);
	CU_ASSERT_EQUAL(parse(buf, UINT32_MAX), GV_GOE_DROP_TOO_LONG);
	buf[0] = 'g';
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_MAGIC);
	buf[0] = 'G';
	buf[1] = 'W';
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_MAGIC);
	buf[1] = 'V';
	buf[2] = 0;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_VERSION);
	buf[2] = 2;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_VERSION);
	buf[2] = 1;
	buf[3] = 65;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_COUNT);
	buf[3] = 255;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_COUNT);
	buf[3] = 1;  /* one message announced, none there */
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_COUNT);
	buf[3] = 0;
	buf[8] = 1;  /* sequenced and empty: valid too */
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_OK);
}

static void test_drop_count_and_length(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	uint32_t len;

	gv_goe_begin(&w, buf, 1, 0, 0);
	CU_ASSERT(gv_goe_put_client_heartbeat(&w) == 0);
	CU_ASSERT(gv_goe_put_resend(&w, 1, 1) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL_FATAL(parse(buf, len), GV_GOE_OK);
	/* count disagrees both ways */
	buf[3] = 1;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_COUNT);
	buf[3] = 3;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_COUNT);
	buf[3] = 0;
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_COUNT);
	buf[3] = 2;
	/* datagram cut short inside the last message */
	CU_ASSERT_EQUAL(parse(buf, len - 1), GV_GOE_DROP_LENGTH);
	/* ... or right after a message header */
	CU_ASSERT_EQUAL(parse(buf, 32 + 4 + 4), GV_GOE_DROP_LENGTH);
	/* ... or inside a message header */
	CU_ASSERT_EQUAL(parse(buf, 32 + 4 + 2), GV_GOE_DROP_LENGTH);
	/* trailing bytes that are no message */
	buf[len] = 0;
	CU_ASSERT_EQUAL(parse(buf, len + 1), GV_GOE_DROP_LENGTH);
	buf[len + 1] = 0;
	buf[len + 2] = 0;
	CU_ASSERT_EQUAL(parse(buf, len + 3), GV_GOE_DROP_LENGTH);
	/* trailing bytes that frame as a message beyond count */
	set16(buf + len, 4);
	buf[len + 2] = 'H';
	buf[len + 3] = 0;
	CU_ASSERT_EQUAL(parse(buf, len + 4), GV_GOE_DROP_COUNT);
	/* a message length running past the datagram */
	set16(buf + 36, 17);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_LENGTH);
	set16(buf + 36, 0xffff);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_LENGTH);
	set16(buf + 36, 16);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_OK);
	/* message len < 4 */
	set16(buf + 32, 0);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_LENGTH);
	set16(buf + 32, 3);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_LENGTH);
	set16(buf + 32, 4);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_OK);
}

static void test_drop_msg_type(void)
{
	static const uint8_t outbound[] = "lajfxrtegh";
	uint8_t buf[GV_DGRAM_MAX];
	uint32_t len, t, i;
	int unknown = 0;

	for (t = 0; t < 256; t++) {
		if (strchr("LOHQNCRM", (int)t) != NULL && t != 0)
			continue;
		len = one_msg(buf, (uint8_t)t, 4, 0);
		if (parse(buf, len) != GV_GOE_DROP_MSG_TYPE)
			CU_FAIL("type not dropped MSG_TYPE");
		len = one_msg(buf, (uint8_t)t, 4, 1);
		if (parse(buf, len) != GV_GOE_DROP_MSG_TYPE)
			CU_FAIL("type not dropped MSG_TYPE (sequenced)");
		unknown++;
	}
	CU_ASSERT_EQUAL(unknown, 256 - 8);
	/* Outbound types inbound, at their own (valid outbound) length. */
	for (i = 0; outbound[i] != 0; i++) {
		struct gv_goe_reply r[1];
		static const uint8_t lens[] = { 24, 48, 24, 64, 40, 56,
		                                24, 24, 16, 4 };
		bool seq = strchr("ajfxrte", outbound[i]) != NULL;

		len = one_msg(buf, outbound[i], lens[i], seq);
		CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_MSG_TYPE);
		CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 1), 1);
	}
	/* ... and inbound types to the reply decoder. */
	len = one_msg(buf, 'N', 56, 1);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_OK);
	{
		struct gv_goe_reply r[1];

		CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 1),
		                -(int)GV_GOE_DROP_MSG_TYPE);
	}
}

struct type_spec {
	uint8_t type;
	uint8_t len;
	bool seq;
};

/* Reserved bytes from protocol.md 1.3/1.4 (offsets from the message start). */
static bool is_reserved(uint8_t type, uint32_t off)
{
	switch (type) {
	case 'L': return off >= 9 && off <= 15;
	case 'Q': return off >= 14 && off <= 15;
	case 'N': return off >= 53 && off <= 55;
	case 'C': case 'R': return off >= 4 && off <= 7;
	case 'M': return off >= 9 && off <= 11;
	case 'l': case 'g': return off >= 4 && off <= 7;
	case 'a': return off >= 43 && off <= 47;
	case 'j': return (off >= 6 && off <= 7) || (off >= 16 && off <= 23);
	case 'f': return off >= 57 && off <= 63;
	case 'x': return (off >= 6 && off <= 7) || (off >= 32 && off <= 39);
	case 'r': return off >= 49 && off <= 55;
	case 'e': return off >= 16 && off <= 23;
	}
	return false;
}

static const struct type_spec g_in[] = {
	{ 'L', 16, false }, { 'O', 4, false },
	{ 'H', 4, false }, { 'Q', 16, false },
	{ 'N', 56, true }, { 'C', 16, true },
	{ 'R', 40, true }, { 'M', 12, true },
};

static const struct type_spec g_out[] = {
	{ 'l', 24, false }, { 'a', 48, true },
	{ 'j', 24, true }, { 'f', 64, true },
	{ 'x', 40, true }, { 'r', 56, true },
	{ 't', 24, true }, { 'e', 24, true },
	{ 'g', 16, false }, { 'h', 4, false },
};

static int parse_dir(bool out, const uint8_t *buf, uint32_t len)
{
	struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	int rc;

	if (!out)
		return (int)parse(buf, len);
	rc = gv_goe_parse_replies(buf, len, r, GV_DGRAM_MSGS_MAX);
	return rc < 0 ? -rc : GV_GOE_OK;
}

static void check_lens(bool out, const struct type_spec *s, size_t n)
{
	uint8_t buf[GV_DGRAM_MAX];
	uint32_t len, l;
	size_t i;

	for (i = 0; i < n; i++) {
		len = one_msg(buf, s[i].type, s[i].len, s[i].seq);
		CU_ASSERT_EQUAL(parse_dir(out, buf, len), GV_GOE_OK);
		for (l = 4; l <= GV_GOE_LEN_MAX + 4; l++) {
			if (l == s[i].len)
				continue;
			len = one_msg(buf, s[i].type, l, s[i].seq);
			if (parse_dir(out, buf, len) != GV_GOE_DROP_MSG_LEN)
				CU_FAIL("wrong length not dropped MSG_LEN");
		}
	}
}

static void test_drop_msg_len(void)
{
	check_lens(false, g_in, GV_ARRAY_SIZE(g_in));
	check_lens(true, g_out, GV_ARRAY_SIZE(g_out));
}

/* Every byte after the type: non-zero is a drop iff it is reserved. */
static void check_reserved(bool out, const struct type_spec *s, size_t n)
{
	uint8_t buf[GV_DGRAM_MAX];
	uint32_t len, off;
	size_t i;

	for (i = 0; i < n; i++) {
		len = one_msg(buf, s[i].type, s[i].len, s[i].seq);
		for (off = 3; off < s[i].len; off++) {
			int want = off == 3 || is_reserved(s[i].type, off)
			                   ? GV_GOE_DROP_RESERVED : GV_GOE_OK;

			buf[32 + off] = 0x80;
			if (parse_dir(out, buf, len) != want) {
				CU_FAIL("reserved map wrong");
				fprintf(stderr, "type %c off %u\n", s[i].type,
				        off);
			}
			buf[32 + off] = 0;
		}
	}
}

static void test_drop_reserved(void)
{
	check_reserved(false, g_in, GV_ARRAY_SIZE(g_in));
	check_reserved(true, g_out, GV_ARRAY_SIZE(g_out));
}

static void check_mixed(bool out, const struct type_spec *s, size_t n)
{
	uint8_t buf[GV_DGRAM_MAX];
	uint32_t len;
	size_t i;

	for (i = 0; i < n; i++) {
		len = one_msg(buf, s[i].type, s[i].len, !s[i].seq);
		CU_ASSERT_EQUAL(parse_dir(out, buf, len), GV_GOE_DROP_MIXED);
	}
}

static void test_drop_mixed(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_cmd c = new_cmd();
	struct gv_event e = ev(GV_EV_REJECTED);
	uint32_t len;

	check_mixed(false, g_in, GV_ARRAY_SIZE(g_in));
	check_mixed(true, g_out, GV_ARRAY_SIZE(g_out));
	/* both kinds in one datagram, either way round */
	gv_goe_begin(&w, buf, 1, 5, 0);
	CU_ASSERT(gv_goe_put_cmd(&w, &c) == 0);
	CU_ASSERT(gv_goe_put_client_heartbeat(&w) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_MIXED);
	gv_goe_begin(&w, buf, 1, 0, 0);
	CU_ASSERT(gv_goe_put_logout(&w) == 0);
	CU_ASSERT(gv_goe_put_cmd(&w, &c) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_DROP_MIXED);
	gv_goe_begin(&w, buf, 1, 0, 0);
	CU_ASSERT(gv_goe_put_heartbeat(&w) == 0);
	CU_ASSERT(gv_goe_put_event(&w, &e) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(parse_dir(true, buf, len), GV_GOE_DROP_MIXED);
}

static void test_replies_framing(void)
{
	uint8_t buf[GV_DGRAM_MAX + 1];
	struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	struct gv_goe_writer w;
	uint32_t len;

	gv_goe_begin(&w, buf, 1, 0, 0);
	CU_ASSERT(gv_goe_put_heartbeat(&w) == 0);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 64), 1);
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, 31, r, 64),
	                -(int)GV_GOE_DROP_SHORT);
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, GV_DGRAM_MAX + 1, r, 64),
	                -(int)GV_GOE_DROP_TOO_LONG);
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len - 1, r, 64),
	                -(int)GV_GOE_DROP_LENGTH);
	buf[3] = 2;
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 64),
	                -(int)GV_GOE_DROP_COUNT);
	buf[3] = 65;
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 64),
	                -(int)GV_GOE_DROP_COUNT);
	buf[3] = 1;
	buf[2] = 2;
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 64),
	                -(int)GV_GOE_DROP_VERSION);
	buf[2] = 1;
	buf[1] = 0;
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 64),
	                -(int)GV_GOE_DROP_MAGIC);
	buf[1] = 'V';
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, len, r, 0),
	                -(int)GV_GOE_DROP_COUNT);
	buf[3] = 0;
	CU_ASSERT_EQUAL(gv_goe_parse_replies(buf, 32, r, 0), 0);
}

static void test_drop_names(void)
{
	int i, j;

	for (i = 0; i < GV_GOE_DROP_MAX; i++) {
		const char *a = gv_goe_drop_name((enum gv_goe_drop)i);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT(strcmp(a, "unknown") != 0);
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(a, gv_goe_drop_name(
			                         (enum gv_goe_drop)j)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(gv_goe_drop_name(GV_GOE_DROP_MAC), "mac");
	CU_ASSERT_STRING_EQUAL(gv_goe_drop_name(GV_GOE_DROP_SHORT), "short");
	CU_ASSERT_STRING_EQUAL(gv_goe_drop_name(GV_GOE_DROP_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(gv_goe_drop_name((enum gv_goe_drop)-1),
	                       "unknown");
}

/* ---- writer limits ---------------------------------------------------- */

static void test_writer_message_limit(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_goe_dgram d;
	uint32_t i, len;

	memset(buf, 0xee, sizeof(buf));
	gv_goe_begin(&w, buf, 1, 0, 0);
	for (i = 0; i < GV_DGRAM_MSGS_MAX; i++)
		CU_ASSERT(gv_goe_put_client_heartbeat(&w) == 0);
	CU_ASSERT_EQUAL(w.count, 64);
	CU_ASSERT_EQUAL(w.len, 32 + 64 * 4);
	CU_ASSERT_EQUAL(gv_goe_put_client_heartbeat(&w), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_logout(&w), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_heartbeat(&w), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_seq_gap(&w, 1), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_logon_ack(&w, 1, 1), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_resend(&w, 1, 1), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_logon(&w, 1, 1), -ENOSPC);
	CU_ASSERT_EQUAL(w.count, 64);
	CU_ASSERT_EQUAL(w.len, 32 + 64 * 4);
	CU_ASSERT_EQUAL(buf[w.len], 0xee);  /* nothing written */
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(parse(buf, len), GV_GOE_OK);
	CU_ASSERT_EQUAL(gv_goe_parse(buf, len, &d), GV_GOE_OK);
	CU_ASSERT_EQUAL(d.count, 64);
	CU_ASSERT(gv_goe_mac_ok(buf, len, g_key));
}

static void test_writer_byte_limit(void)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_goe_dgram d;
	struct gv_cmd n = new_cmd(), r;
	struct gv_event e = ev(GV_EV_FILL);
	uint32_t i, len;

	memset(&r, 0, sizeof(r));
	r.type = GV_CMD_REPLACE;
	gv_goe_begin(&w, buf, 1, 1, 0);
	for (i = 0; i < 25; i++)
		CU_ASSERT(gv_goe_put_cmd(&w, &n) == 0);
	CU_ASSERT_EQUAL(w.len, 32 + 25 * 56);
	CU_ASSERT_EQUAL(gv_goe_put_cmd(&w, &n), -ENOSPC); /* 1488 > 1472 */
	CU_ASSERT_EQUAL(gv_goe_put_event(&w, &e), -ENOSPC);
	CU_ASSERT_EQUAL(w.len, 32 + 25 * 56);
	CU_ASSERT_EQUAL(w.count, 25);
	CU_ASSERT(gv_goe_put_cmd(&w, &r) == 0);           /* exactly 1472 */
	CU_ASSERT_EQUAL(w.len, GV_DGRAM_MAX);
	n.type = GV_CMD_CANCEL;
	CU_ASSERT_EQUAL(gv_goe_put_cmd(&w, &n), -ENOSPC);
	CU_ASSERT_EQUAL(gv_goe_put_client_heartbeat(&w), -ENOSPC);
	len = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(len, GV_DGRAM_MAX);
	CU_ASSERT_EQUAL(gv_goe_parse(buf, len, &d), GV_GOE_OK);
	CU_ASSERT_EQUAL(d.count, 26);
	CU_ASSERT(gv_goe_mac_ok(buf, len, g_key));
}

static void test_put_raw(void)
{
	uint8_t a[GV_DGRAM_MAX], b[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_event e[8];
	uint32_t n = reply_events(e), i, la, lb, off;

	gv_goe_begin(&w, a, 5, 10, 3);
	for (i = 0; i < n; i++)
		CU_ASSERT(gv_goe_put_event(&w, &e[i]) == 0);
	la = gv_goe_finish(&w, g_key);
	/* Resend every message from a's bytes: the same datagram. */
	gv_goe_begin(&w, b, 5, 10, 3);
	for (off = 32; off < la; off += a[off])
		CU_ASSERT(gv_goe_put_raw(&w, a + off, a[off]) == 0);
	lb = gv_goe_finish(&w, g_key);
	CU_ASSERT_EQUAL(la, lb);
	CU_ASSERT(memcmp(a, b, la) == 0);
	/* Malformed raw messages are refused. */
	CU_ASSERT_EQUAL(gv_goe_put_raw(&w, a + 32, 3), -EINVAL);
	CU_ASSERT_EQUAL(gv_goe_put_raw(&w, a + 32, 47), -EINVAL);
	CU_ASSERT_EQUAL(gv_goe_put_raw(&w, a + 32, GV_DGRAM_MAX), -EINVAL);
	CU_ASSERT_EQUAL(w.len, lb);
}

/* gv_goe_put_encoded builds the same datagram as gv_goe_put_event, and
 * stops at the same limits (bytes and messages), appending nothing. */
static void test_put_encoded(void)
{
	uint8_t a[GV_DGRAM_MAX], b[GV_DGRAM_MAX + GV_GOE_SLOT_SLACK];
	struct gv_goe_writer wa, wb;
	struct gv_event e[8], md = { .type = GV_EV_MD_ADD };
	uint32_t n = reply_events(e), i, la, lb;
	uint8_t *m;

	gv_goe_begin(&wa, a, 5, 10, 3);
	gv_goe_begin(&wb, b, 5, 10, 3);
	for (i = 0; ; i++) {
		int ra = gv_goe_put_event(&wa, &e[i % n]);

		m = gv_goe_put_encoded(&wb, &e[i % n]);
		CU_ASSERT_EQUAL(ra == 0, m != NULL);
		CU_ASSERT_EQUAL(wa.len, wb.len);
		CU_ASSERT_EQUAL(wa.count, wb.count);
		if (m == NULL)
			break;
		CU_ASSERT_EQUAL((uint32_t)(m - b) + ((uint32_t)m[0] |
		                (uint32_t)m[1] << 8), wb.len);
	}
	CU_ASSERT(i > 20);
	CU_ASSERT_EQUAL(gv_goe_put_encoded(&wb, &md), NULL);
	la = gv_goe_finish(&wa, g_key);
	lb = gv_goe_finish(&wb, g_key);
	CU_ASSERT_EQUAL_FATAL(la, lb);
	CU_ASSERT(memcmp(a, b, la) == 0);
	/* The message limit: 64 messages at most, whatever their bytes. */
	gv_goe_begin(&wb, b, 5, 10, 3);
	for (i = 0; i < GV_DGRAM_MSGS_MAX - 4; i++)
		CU_ASSERT(gv_goe_put_client_heartbeat(&wb) == 0);
	for (i = 0; i < 4; i++)
		CU_ASSERT(gv_goe_put_encoded(&wb, &e[1]) != NULL);
	la = wb.len;
	CU_ASSERT_EQUAL(la, 32 + 60 * 4 + 4 * GV_GOE_LEN_REJECTED);
	CU_ASSERT_EQUAL(gv_goe_put_encoded(&wb, &e[1]), NULL);
	CU_ASSERT_EQUAL(wb.count, 64);
	CU_ASSERT_EQUAL(wb.len, la);
	CU_ASSERT_EQUAL(gv_goe_put_encoded(&wb, &md), NULL);
}

/* gv_goe_encode_event gives the bytes gv_goe_put_event puts in a datagram. */
static void test_encode_event_matches_put_event(void)
{
	struct gv_event e = { .type = GV_EV_FILL, .side = GV_SIDE_SELL,
	                      .instrument = 7, .session = 9 };
	uint8_t dg[GV_DGRAM_MAX], one[GV_GOE_LEN_MAX];
	struct gv_goe_writer w;
	int len;

	e.u.ord.cl_ord_id = 11;
	e.u.ord.order_id = 22;
	e.u.ord.price = 33;
	e.u.ord.qty = 44;
	e.u.ord.open_qty = 55;
	e.u.ord.aux = 66;
	e.u.ord.liquidity = GV_LIQ_MAKER;
	gv_goe_begin(&w, dg, 9, 1, 0);
	CU_ASSERT_EQUAL_FATAL(gv_goe_put_event(&w, &e), 0);
	len = gv_goe_encode_event(one, &e);
	CU_ASSERT_EQUAL_FATAL(len, GV_GOE_LEN_FILL);
	CU_ASSERT_EQUAL(memcmp(one, dg + GV_DGRAM_HDR_LEN, (size_t)len), 0);
	e.type = GV_EV_MD_ADD;
	CU_ASSERT_EQUAL(gv_goe_encode_event(one, &e), -EINVAL);
}

static const struct gv_test tests[] = {
	GV_TEST(test_encode_event_matches_put_event),
	GV_TEST(test_roundtrip_unsequenced),
	GV_TEST(test_roundtrip_sequenced),
	GV_TEST(test_roundtrip_replies),
	GV_TEST(test_put_event_rejects_market_data),
	GV_TEST(test_put_cmd_rejects_admin),
	GV_TEST(test_random_cmd_roundtrip),
	GV_TEST(test_layout_new),
	GV_TEST(test_layout_accepted_and_fill),
	GV_TEST(test_siphash_reference_vector),
	GV_TEST(test_mac_ignores_mac_field),
	GV_TEST(test_mac_tamper_detected),
	GV_TEST(test_drop_header),
	GV_TEST(test_drop_count_and_length),
	GV_TEST(test_drop_msg_type),
	GV_TEST(test_drop_msg_len),
	GV_TEST(test_drop_reserved),
	GV_TEST(test_drop_mixed),
	GV_TEST(test_replies_framing),
	GV_TEST(test_drop_names),
	GV_TEST(test_writer_message_limit),
	GV_TEST(test_writer_byte_limit),
	GV_TEST(test_put_raw),
	GV_TEST(test_put_encoded),
};

static int setup(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	return gv_test_main("goe", tests, GV_ARRAY_SIZE(tests), setup, NULL);
}
