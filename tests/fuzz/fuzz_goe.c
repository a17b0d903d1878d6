/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_goe.c - libFuzzer target for the GOE/1 codec (dataplane/gv_goe.c).
 *
 * Every input goes through gv_goe_mac, gv_goe_mac_ok, gv_goe_parse and
 * gv_goe_parse_replies (ASan and UBSan watch the reads). Then the
 * properties:
 *   - an accepted client datagram, re-encoded message by message with the
 *     client encoders, gives the same bytes (MAC field aside), parses back
 *     to the same messages and carries a good MAC;
 *   - an accepted reply datagram, re-encoded with gv_goe_put_event and the
 *     session encoders, decodes back to the same replies;
 *   - the MAC never depends on the MAC field.
 * A failed property aborts, which libFuzzer reports as a crash.
 *
 * Built and run by tests/fuzz/run_fuzz.sh (clang only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_goe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key the corpus datagrams are MACed with: 00 01 .. 0f. */
static const uint8_t g_key[GV_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "fuzz_goe: %s:%d: %s\n", __FILE__, \
			        __LINE__, #cond);                         \
			abort();                                          \
		}                                                         \
	} while (0)

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static int put_msg(struct gv_goe_writer *w, const struct gv_goe_msg *m)
{
	switch (m->type) {
	case GV_GOE_LOGON:
		return gv_goe_put_logon(w, m->u.logon.heartbeat_ms,
		                        m->u.logon.cancel_on_disconnect != 0);
	case GV_GOE_LOGOUT:
		return gv_goe_put_logout(w);
	case GV_GOE_HEARTBEAT:
		return gv_goe_put_client_heartbeat(w);
	case GV_GOE_RESEND:
		return gv_goe_put_resend(w, m->u.resend.from_seq,
		                         m->u.resend.count);
	case GV_GOE_NEW:
	case GV_GOE_CANCEL:
	case GV_GOE_REPLACE:
	case GV_GOE_MASS_CANCEL:
		return gv_goe_put_cmd(w, &m->u.cmd);
	}
	CHECK(!"parse returned an unknown message type");
	return -1;
}

static void check_client(const uint8_t *data, uint32_t len,
                         struct gv_goe_dgram *d)
{
	static uint8_t buf[GV_DGRAM_MAX], want[GV_DGRAM_MAX];
	static struct gv_goe_dgram d2;
	struct gv_goe_writer w;
	uint32_t i, off, n;

	CHECK(len >= GV_DGRAM_HDR_LEN && len <= GV_DGRAM_MAX);
	CHECK(d->count == data[3] && d->count <= GV_DGRAM_MSGS_MAX);
	CHECK(d->sequenced == (d->seq != 0));
	memcpy(want, data, len);
	gv_goe_begin(&w, buf, d->session, d->seq, d->ts_ns);
	for (i = 0, off = GV_DGRAM_HDR_LEN; i < d->count; i++) {
		struct gv_goe_msg *m = &d->msg[i];

		CHECK(put_msg(&w, m) == 0);
		/* The encoder takes cancel_on_disconnect as a bool. */
		if (m->type == GV_GOE_LOGON &&
		    m->u.logon.cancel_on_disconnect > 1) {
			m->u.logon.cancel_on_disconnect = 1;
			want[off + 8] = 1;
		}
		if (m->type == GV_GOE_NEW || m->type == GV_GOE_CANCEL ||
		    m->type == GV_GOE_REPLACE || m->type == GV_GOE_MASS_CANCEL)
			CHECK(m->u.cmd.session == d->session);
		off += (uint32_t)le(want + off, 2);
	}
	CHECK(off == len);
	n = gv_goe_finish(&w, g_key);
	CHECK(n == len);
	CHECK(memcmp(buf, want, GV_GOE_MAC_OFF) == 0);
	CHECK(memcmp(buf + GV_DGRAM_HDR_LEN, want + GV_DGRAM_HDR_LEN,
	             len - GV_DGRAM_HDR_LEN) == 0);
	CHECK(gv_goe_mac_ok(buf, n, g_key));

	CHECK(gv_goe_parse(buf, n, &d2) == GV_GOE_OK);
	CHECK(d2.session == d->session && d2.count == d->count &&
	      d2.sequenced == d->sequenced && d2.seq == d->seq &&
	      d2.ts_ns == d->ts_ns);
	CHECK(d2.mac == gv_goe_mac(buf, n, g_key));
	for (i = 0; i < d->count; i++)
		CHECK(memcmp(&d2.msg[i], &d->msg[i], sizeof(d->msg[i])) == 0);
}

static int put_reply(struct gv_goe_writer *w, const struct gv_goe_reply *r)
{
	switch (r->type) {
	case GV_GOE_LOGON_ACK:
		return gv_goe_put_logon_ack(w, r->next_in, r->next_out);
	case GV_GOE_SEQ_GAP:
		return gv_goe_put_seq_gap(w, r->expected_in);
	case GV_GOE_HEARTBEAT_OUT:
		return gv_goe_put_heartbeat(w);
	}
	return gv_goe_put_event(w, &r->ev);
}

static void check_replies(const uint8_t *data, uint32_t len,
                          const struct gv_goe_reply *r, int n)
{
	static uint8_t buf[GV_DGRAM_MAX];
	static struct gv_goe_reply r2[GV_DGRAM_MSGS_MAX];
	struct gv_goe_writer w;
	uint32_t session = (uint32_t)le(data + 4, 4);
	uint64_t seq = le(data + 8, 8);
	int i;

	CHECK(len >= GV_DGRAM_HDR_LEN && len <= GV_DGRAM_MAX);
	CHECK(n == data[3]);
	gv_goe_begin(&w, buf, session, seq, le(data + 16, 8));
	for (i = 0; i < n; i++) {
		CHECK(r[i].ev.session == session);
		CHECK(r[i].seq == (r[i].ev.type != 0 ? seq + (uint64_t)i : 0));
		CHECK(put_reply(&w, &r[i]) == 0);
	}
	len = gv_goe_finish(&w, g_key);
	CHECK(gv_goe_parse_replies(buf, len, r2, GV_DGRAM_MSGS_MAX) == n);
	for (i = 0; i < n; i++)
		CHECK(memcmp(&r2[i], &r[i], sizeof(r[i])) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gv_goe_dgram d;
	static struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	static uint8_t copy[GV_DGRAM_MAX];
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	uint64_t mac = gv_goe_mac(data, len, g_key);
	bool ok = gv_goe_mac_ok(data, len, g_key);
	int n;

	if (len >= GV_DGRAM_HDR_LEN && len <= GV_DGRAM_MAX) {
		/* The MAC ignores its own field; mac_ok agrees with mac. */
		memcpy(copy, data, len);
		memset(copy + GV_GOE_MAC_OFF, 0xff, 8);
		CHECK(gv_goe_mac(copy, len, g_key) == mac);
		for (n = 0; n < 8; n++)
			copy[GV_GOE_MAC_OFF + n] = (uint8_t)(mac >> (8 * n));
		CHECK(gv_goe_mac_ok(copy, len, g_key));
		CHECK(ok == (memcmp(copy, data, len) == 0));
	} else {
		CHECK(!ok);
	}

	n = gv_goe_parse_replies(data, len, r, GV_DGRAM_MSGS_MAX);
	CHECK(n >= -(int)GV_GOE_DROP_MAX);
	if (n >= 0)
		check_replies(data, len, r, n);
	if (gv_goe_parse(data, len, &d) == GV_GOE_OK)
		check_client(data, len, &d);
	return 0;
}
