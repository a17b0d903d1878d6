/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_goe.c - GOE/1 codec (docs/protocol.md section 1).
 *
 * Structure: one table per direction, indexed by the message type byte,
 * gives each message's wire length, whether it is sequenced and where its
 * reserved bytes lie. Parsing walks the datagram once: framing (every
 * message header complete, len >= 4 and inside the datagram), then per
 * message type, length, reserved bytes and the sequenced/unsequenced rule,
 * then decodes the body. The walk is bounded by the datagram length (at most
 * (1472 - 32) / 4 messages) and decodes at most `count` <= 64 of them.
 *
 * Drop reasons, first found wins, in this order:
 *   SHORT, TOO_LONG, MAGIC, VERSION, COUNT (count > 64), then per message:
 *   LENGTH (incomplete message header, len < 4, or len past the end),
 *   COUNT (more messages than count), MSG_TYPE, MSG_LEN, RESERVED, MIXED;
 *   at the end COUNT (fewer messages than count).
 * So bytes after the last message that do not frame as a message are
 * LENGTH; a well-framed message beyond `count` is COUNT.
 *
 * Integers are read and written as whole little-endian words through
 * gv_wire_pvt.h (memcpy plus a swap on big-endian hosts): no alignment or
 * host byte order assumptions, no packed structs.
 *
 * The MAC is SipHash-2-4 over the datagram with bytes 24..31 as zero.
 * One datagram at a time, libsodium's crypto_shorthash_siphash24 does it
 * (a well-kept library): an inbound datagram is copied with that word
 * cleared and hashed (libsodium has no streaming SipHash, and the input
 * buffer stays read-only); gv_goe_finish hashes the writer's buffer, whose
 * MAC field is still zero, in place. The engine's hot path hashes bursts
 * of datagrams side by side instead (gv_mac.h: libsodium has no batched
 * form), held to libsodium by the tests; gv_goe_seal leaves the MAC to
 * it.
 *
 * Cost on the engine's path: execution reports are encoded by
 * gv_goe_encode_event straight into a zeroed 64-byte slot (the resend
 * ring's) and appended to a datagram by gv_goe_put_slot, one fixed-size
 * copy, with no length-dependent memset or memcpy call.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "gv_goe.h"
#include "gv_wire_pvt.h"

GV_STATIC_ASSERT(crypto_shorthash_siphash24_BYTES == 8, "SipHash-2-4 64");
GV_STATIC_ASSERT(crypto_shorthash_siphash24_KEYBYTES == GV_KEY_LEN,
                 "GOE/1 keys are SipHash keys");

GV_STATIC_ASSERT(GV_GOE_MAC_OFF + 8 == GV_DGRAM_HDR_LEN,
                 "the MAC ends the datagram header");
GV_STATIC_ASSERT(GV_DGRAM_MSGS_MAX <= UINT8_MAX, "count is a u8");
GV_STATIC_ASSERT(GV_DGRAM_MAX <= UINT16_MAX, "message len is a u16");

/* ---- little-endian helpers -------------------------------------------- */

/* Short local names for the GOE/1 (little-endian) accessors. */
#define get16 gv_get_le16
#define get32 gv_get_le32
#define get64 gv_get_le64
#define put16 gv_put_le16
#define put32 gv_put_le32
#define put64 gv_put_le64

/* ---- message tables --------------------------------------------------- */

/*
 * Reserved bytes are checked a word at a time: each range (at most 8
 * bytes) is covered by one little-endian u64 load at rsv_off, inside the
 * message, ANDed with rsv_mask. A range of 0 bytes has mask 0 (its load,
 * at offset 0 of a message of 8 bytes or more, is harmless).
 */
struct msg_spec {
	uint8_t len;              /* wire length; 0 = not a type here */
	uint8_t sequenced;
	uint8_t rsv_off[2];       /* word holding each reserved range */
	uint64_t rsv_mask[2];     /* the range's bytes in that word */
};

/* The word for `n` bytes at `o` of an `l`-byte message, and its mask. */
#define RSV_WORD(l, o) ((o) + 8 <= (l) || (l) < 8 ? (o) : (l) - 8)
#define RSV_BYTES(n) ((n) == 0 ? 0ull : ~0ull >> ((8 * (8 - (n))) & 63))
#define RSV_MASK(l, o, n) (RSV_BYTES(n) << (8 * ((o) - RSV_WORD(l, o))))
#define SPEC(l, s, o0, n0, o1, n1)                                        \
	{ (l), (s), { RSV_WORD(l, o0), RSV_WORD(l, o1) },                 \
	  { RSV_MASK(l, o0, n0), RSV_MASK(l, o1, n1) } }

static const struct msg_spec in_spec[256] = {
	[GV_GOE_LOGON] = SPEC(GV_GOE_LEN_LOGON, 0, 9, 7, 0, 0),
	[GV_GOE_LOGOUT] = SPEC(GV_GOE_LEN_LOGOUT, 0, 0, 0, 0, 0),
	[GV_GOE_HEARTBEAT] = SPEC(GV_GOE_LEN_HEARTBEAT, 0, 0, 0, 0, 0),
	[GV_GOE_RESEND] = SPEC(GV_GOE_LEN_RESEND, 0, 14, 2, 0, 0),
	[GV_GOE_NEW] = SPEC(GV_GOE_LEN_NEW, 1, 53, 3, 0, 0),
	[GV_GOE_CANCEL] = SPEC(GV_GOE_LEN_CANCEL, 1, 4, 4, 0, 0),
	[GV_GOE_REPLACE] = SPEC(GV_GOE_LEN_REPLACE, 1, 4, 4, 0, 0),
	[GV_GOE_MASS_CANCEL] = SPEC(GV_GOE_LEN_MASS_CANCEL, 1, 9, 3, 0, 0),
};

static const struct msg_spec out_spec[256] = {
	[GV_GOE_LOGON_ACK] = SPEC(GV_GOE_LEN_LOGON_ACK, 0, 4, 4, 0, 0),
	[GV_GOE_ACCEPTED] = SPEC(GV_GOE_LEN_ACCEPTED, 1, 43, 5, 0, 0),
	[GV_GOE_REJECTED] = SPEC(GV_GOE_LEN_REJECTED, 1, 6, 2, 16, 8),
	[GV_GOE_FILL] = SPEC(GV_GOE_LEN_FILL, 1, 57, 7, 0, 0),
	[GV_GOE_CANCELLED] = SPEC(GV_GOE_LEN_CANCELLED, 1, 6, 2, 32, 8),
	[GV_GOE_REPLACED] = SPEC(GV_GOE_LEN_REPLACED, 1, 49, 7, 0, 0),
	[GV_GOE_STOP_TRIGGERED] = SPEC(GV_GOE_LEN_STOP_TRIGGERED, 1, 0, 0, 0, 0),
	[GV_GOE_MASS_CANCEL_ACK] = SPEC(GV_GOE_LEN_MASS_CANCEL_ACK, 1, 16, 8, 0, 0),
	[GV_GOE_SEQ_GAP] = SPEC(GV_GOE_LEN_SEQ_GAP, 0, 4, 4, 0, 0),
	[GV_GOE_HEARTBEAT_OUT] = SPEC(GV_GOE_LEN_HEARTBEAT_OUT, 0, 0, 0, 0, 0),
};

#undef SPEC
#undef RSV_MASK
#undef RSV_BYTES
#undef RSV_WORD

static const char *const drop_names[GV_GOE_DROP_MAX] = {
	[GV_GOE_OK] = "ok",
	[GV_GOE_DROP_SHORT] = "short",
	[GV_GOE_DROP_TOO_LONG] = "too_long",
	[GV_GOE_DROP_MAGIC] = "magic",
	[GV_GOE_DROP_VERSION] = "version",
	[GV_GOE_DROP_COUNT] = "count",
	[GV_GOE_DROP_LENGTH] = "length",
	[GV_GOE_DROP_MSG_TYPE] = "msg_type",
	[GV_GOE_DROP_MSG_LEN] = "msg_len",
	[GV_GOE_DROP_RESERVED] = "reserved",
	[GV_GOE_DROP_MIXED] = "mixed",
	[GV_GOE_DROP_SESSION] = "session",
	[GV_GOE_DROP_SOURCE] = "source",
	[GV_GOE_DROP_MAC] = "mac",
};

const char *gv_goe_drop_name(enum gv_goe_drop d)
{
	if ((unsigned)d >= GV_GOE_DROP_MAX)
		return "unknown";
	return drop_names[d];
}

/* ---- framing ---------------------------------------------------------- */

static enum gv_goe_drop check_header(const uint8_t *buf, uint32_t len)
{
	if (len < GV_DGRAM_HDR_LEN)
		return GV_GOE_DROP_SHORT;
	if (len > GV_DGRAM_MAX)
		return GV_GOE_DROP_TOO_LONG;
	if (buf[0] != 'G' || buf[1] != 'V')
		return GV_GOE_DROP_MAGIC;
	if (buf[2] != GV_GOE_VERSION)
		return GV_GOE_DROP_VERSION;
	if (buf[3] > GV_DGRAM_MSGS_MAX)
		return GV_GOE_DROP_COUNT;
	return GV_GOE_OK;
}

static inline bool reserved_zero(const uint8_t *m, const struct msg_spec *s)
{
	uint64_t acc = m[3];

	/* 4-byte messages have no reserved range and no word to load. */
	if (s->len >= 8)
		acc |= (get64(m + s->rsv_off[0]) & s->rsv_mask[0]) |
		       (get64(m + s->rsv_off[1]) & s->rsv_mask[1]);
	return acc == 0;
}

typedef void (*decode_fn)(const uint8_t *m, uint32_t idx, void *arg);

/*
 * Walk the messages of a datagram whose header passed check_header,
 * checking each against `spec`, and call `decode` for each good one.
 * Nothing is decoded past `count` messages. Inlined into both callers so
 * that `decode` is a direct (inlined) call, not an indirect one per message.
 */
static inline __attribute__((always_inline)) enum gv_goe_drop
walk(const uint8_t *buf, uint32_t len, const struct msg_spec *spec,
     decode_fn decode, void *arg)
{
	uint32_t count = buf[3];
	bool sequenced = get64(buf + 8) != 0;
	uint32_t off = GV_DGRAM_HDR_LEN;
	uint32_t n = 0;

	while (off < len) {
		const uint8_t *m = buf + off;
		const struct msg_spec *s;
		uint32_t mlen;

		if (len - off < GV_MSG_HDR_LEN)
			return GV_GOE_DROP_LENGTH;
		mlen = get16(m);
		if (mlen < GV_MSG_HDR_LEN || mlen > len - off)
			return GV_GOE_DROP_LENGTH;
		if (n == count)
			return GV_GOE_DROP_COUNT;
		s = &spec[m[2]];
		if (s->len == 0)
			return GV_GOE_DROP_MSG_TYPE;
		if (mlen != s->len)
			return GV_GOE_DROP_MSG_LEN;
		if (!reserved_zero(m, s))
			return GV_GOE_DROP_RESERVED;
		if ((bool)s->sequenced != sequenced)
			return GV_GOE_DROP_MIXED;
		GV_ASSERT(n < GV_DGRAM_MSGS_MAX);
		decode(m, n, arg);
		n++;
		off += mlen;
	}
	GV_ASSERT(off == len);
	return n == count ? GV_GOE_OK : GV_GOE_DROP_COUNT;
}

/* ---- client -> gavel decoding ----------------------------------------- */

static void decode_in(const uint8_t *m, uint32_t idx, void *arg)
{
	struct gv_goe_dgram *d = arg;
	struct gv_goe_msg *o = &d->msg[idx];
	struct gv_cmd *c = &o->u.cmd;

	memset(o, 0, sizeof(*o));
	o->type = m[2];
	switch (m[2]) {
	case GV_GOE_LOGON:
		o->u.logon.heartbeat_ms = get32(m + 4);
		o->u.logon.cancel_on_disconnect = m[8];
		return;
	case GV_GOE_RESEND:
		o->u.resend.from_seq = get64(m + 4);
		o->u.resend.count = get16(m + 12);
		return;
	case GV_GOE_LOGOUT:
	case GV_GOE_HEARTBEAT:
		return;
	}
	c->session = d->session;
	switch (m[2]) {
	case GV_GOE_NEW:
		c->type = GV_CMD_NEW;
		c->u.new_order.symbol = get32(m + 4);
		c->u.new_order.cl_ord_id = get64(m + 8);
		c->u.new_order.price = (int64_t)get64(m + 16);
		c->u.new_order.qty = get64(m + 24);
		c->u.new_order.stop_price = (int64_t)get64(m + 32);
		c->u.new_order.display_qty = get64(m + 40);
		c->u.new_order.side = m[48];
		c->u.new_order.type = m[49];
		c->u.new_order.tif = m[50];
		c->u.new_order.flags = m[51];
		c->u.new_order.stp = m[52];
		break;
	case GV_GOE_CANCEL:
		c->type = GV_CMD_CANCEL;
		c->u.cancel.cl_ord_id = get64(m + 8);
		break;
	case GV_GOE_REPLACE:
		c->type = GV_CMD_REPLACE;
		c->u.replace.orig_cl_ord_id = get64(m + 8);
		c->u.replace.new_cl_ord_id = get64(m + 16);
		c->u.replace.new_price = (int64_t)get64(m + 24);
		c->u.replace.new_qty = get64(m + 32);
		break;
	case GV_GOE_MASS_CANCEL:
		c->type = GV_CMD_MASS_CANCEL;
		c->u.mass_cancel.symbol = get32(m + 4);
		c->u.mass_cancel.side = m[8];
		break;
	default:
		gv_panic(__FILE__, __LINE__, __func__,
		         "inbound table and decoder disagree");
	}
}

enum gv_goe_drop gv_goe_parse(const uint8_t *buf, uint32_t len,
                              struct gv_goe_dgram *out)
{
	enum gv_goe_drop d = check_header(buf, len);

	if (d != GV_GOE_OK)
		return d;
	out->session = get32(buf + 4);
	out->count = buf[3];
	out->seq = get64(buf + 8);
	out->sequenced = out->seq != 0;
	out->ts_ns = get64(buf + 16);
	out->mac = get64(buf + GV_GOE_MAC_OFF);
	return walk(buf, len, in_spec, decode_in, out);
}

/* ---- MAC -------------------------------------------------------------- */

/*
 * Any length up to GV_DGRAM_MAX is hashed (the bytes of 24..31 that exist
 * taken as zero), so that shorter inputs give plain SipHash; a longer one
 * is no datagram and gets 0 (and gv_goe_mac_ok says false).
 */
static uint64_t mac_of(const uint8_t *buf, uint32_t len,
                       const uint8_t key[GV_KEY_LEN])
{
	uint8_t copy[GV_DGRAM_MAX], h[8];

	GV_ASSERT(len <= GV_DGRAM_MAX);
	memcpy(copy, buf, len);
	if (len > GV_GOE_MAC_OFF)
		memset(copy + GV_GOE_MAC_OFF, 0,
		       GV_MIN(len, (uint32_t)GV_DGRAM_HDR_LEN) - GV_GOE_MAC_OFF);
	crypto_shorthash_siphash24(h, copy, len, key);
	return get64(h);
}

uint64_t gv_goe_mac(const uint8_t *buf, uint32_t len,
                    const uint8_t key[GV_KEY_LEN])
{
	if (len > GV_DGRAM_MAX)
		return 0;
	return mac_of(buf, len, key);
}

bool gv_goe_mac_ok(const uint8_t *buf, uint32_t len,
                   const uint8_t key[GV_KEY_LEN])
{
	/* One 64-bit compare: constant time in the MAC's bytes. */
	if (len < GV_DGRAM_HDR_LEN || len > GV_DGRAM_MAX)
		return false;
	return (mac_of(buf, len, key) ^ get64(buf + GV_GOE_MAC_OFF)) == 0;
}

/* ---- encoding --------------------------------------------------------- */

void gv_goe_begin(struct gv_goe_writer *w, uint8_t *buf, uint32_t session,
                  uint64_t seq, uint64_t ts_ns)
{
	w->buf = buf;
	w->len = GV_DGRAM_HDR_LEN;
	w->count = 0;
	/* 'G' 'V' version count(0) session, as one word. */
	put64(buf, (uint64_t)'G' | (uint64_t)'V' << 8 |
	           (uint64_t)GV_GOE_VERSION << 16 | (uint64_t)session << 32);
	put64(buf + 8, seq);
	put64(buf + 16, ts_ns);
	put64(buf + GV_GOE_MAC_OFF, 0);
}

uint32_t gv_goe_seal(struct gv_goe_writer *w)
{
	GV_VERIFY(w->len >= GV_DGRAM_HDR_LEN && w->len <= GV_DGRAM_MAX);
	GV_VERIFY(w->count <= GV_DGRAM_MSGS_MAX);
	w->buf[3] = w->count;
	put64(w->buf + GV_GOE_MAC_OFF, 0);
	return w->len;
}

uint32_t gv_goe_finish(struct gv_goe_writer *w,
                       const uint8_t key[GV_KEY_LEN])
{
	/* The MAC field is zero after sealing: hash the buffer in place. */
	gv_goe_seal(w);
	crypto_shorthash_siphash24(w->buf + GV_GOE_MAC_OFF, w->buf, w->len,
	                           key);
	return w->len;
}

/* Room for one message of `len` bytes: zeroed, its header written. */
static uint8_t *reserve(struct gv_goe_writer *w, uint32_t len, uint8_t type)
{
	uint8_t *m;

	/* w->len is below the header only in gv_goe_encode_event's writer. */
	GV_ASSERT(w->len <= GV_DGRAM_MAX);
	GV_ASSERT(len >= GV_MSG_HDR_LEN && len <= GV_DGRAM_MAX);
	if (w->count >= GV_DGRAM_MSGS_MAX || len > GV_DGRAM_MAX - w->len)
		return NULL;
	m = w->buf + w->len;
	memset(m, 0, len);
	put16(m, (uint16_t)len);
	m[2] = type;
	w->len += len;
	w->count++;
	return m;
}

int gv_goe_put_raw(struct gv_goe_writer *w, const uint8_t *msg, uint32_t len)
{
	uint8_t *m;

	if (len < GV_MSG_HDR_LEN || len > GV_DGRAM_MAX - GV_DGRAM_HDR_LEN ||
	    get16(msg) != len)
		return -EINVAL;
	m = reserve(w, len, msg[2]);
	if (m == NULL)
		return -ENOSPC;
	memcpy(m, msg, len);
	return 0;
}

/* Each execution report's message: type byte and wire length. */
static const struct {
	uint8_t type, len;
} ev_msg[GV_EV_MAX] = {
	[GV_EV_ACCEPTED] = { GV_GOE_ACCEPTED, GV_GOE_LEN_ACCEPTED },
	[GV_EV_REJECTED] = { GV_GOE_REJECTED, GV_GOE_LEN_REJECTED },
	[GV_EV_FILL] = { GV_GOE_FILL, GV_GOE_LEN_FILL },
	[GV_EV_CANCELLED] = { GV_GOE_CANCELLED, GV_GOE_LEN_CANCELLED },
	[GV_EV_REPLACED] = { GV_GOE_REPLACED, GV_GOE_LEN_REPLACED },
	[GV_EV_STOP_TRIGGERED] = { GV_GOE_STOP_TRIGGERED,
	                           GV_GOE_LEN_STOP_TRIGGERED },
	[GV_EV_MASS_CANCEL_ACK] = { GV_GOE_MASS_CANCEL_ACK,
	                            GV_GOE_LEN_MASS_CANCEL_ACK },
};

/*
 * The body of an execution report, into a message whose bytes after the
 * header are zero and whose header is written: only non-zero fields are
 * stored, each as one word.
 */
static void put_ev_body(uint8_t *m, const struct gv_event *e)
{
	switch (e->type) {
	case GV_EV_ACCEPTED:
		put32(m + 4, e->instrument);
		put64(m + 8, e->u.ord.cl_ord_id);
		put64(m + 16, e->u.ord.order_id);
		put64(m + 24, (uint64_t)e->u.ord.price);
		put64(m + 32, e->u.ord.qty);
		m[40] = e->side;
		m[41] = e->u.ord.ord_type;
		m[42] = e->u.ord.tif;
		return;
	case GV_EV_REJECTED:
		put16(m + 4, e->u.ord.reason);
		put64(m + 8, e->u.ord.cl_ord_id);
		return;
	case GV_EV_FILL:
		put32(m + 4, e->instrument);
		put64(m + 8, e->u.ord.cl_ord_id);
		put64(m + 16, e->u.ord.order_id);
		put64(m + 24, e->u.ord.aux);
		put64(m + 32, (uint64_t)e->u.ord.price);
		put64(m + 40, e->u.ord.qty);
		put64(m + 48, e->u.ord.open_qty);
		m[56] = e->u.ord.liquidity;
		return;
	case GV_EV_CANCELLED:
		put16(m + 4, e->u.ord.reason);
		put64(m + 8, e->u.ord.cl_ord_id);
		put64(m + 16, e->u.ord.order_id);
		put64(m + 24, e->u.ord.qty);
		return;
	case GV_EV_REPLACED:
		put32(m + 4, e->instrument);
		put64(m + 8, e->u.ord.aux);
		put64(m + 16, e->u.ord.cl_ord_id);
		put64(m + 24, e->u.ord.order_id);
		put64(m + 32, (uint64_t)e->u.ord.price);
		put64(m + 40, e->u.ord.open_qty);
		m[48] = e->u.ord.priority_kept;
		return;
	case GV_EV_STOP_TRIGGERED:
		put32(m + 4, e->instrument);
		put64(m + 8, e->u.ord.cl_ord_id);
		put64(m + 16, e->u.ord.order_id);
		return;
	case GV_EV_MASS_CANCEL_ACK:
		put32(m + 4, e->instrument);
		put64(m + 8, e->u.ord.qty);
		return;
	}
	gv_panic(__FILE__, __LINE__, __func__, "ev_msg and encoder disagree");
}

static inline uint32_t ev_len(const struct gv_event *e)
{
	return e->type < GV_EV_MAX ? ev_msg[e->type].len : 0;
}

int gv_goe_put_event(struct gv_goe_writer *w, const struct gv_event *e)
{
	uint32_t len = ev_len(e);
	uint8_t *m;

	if (len == 0)
		return -EINVAL;
	m = reserve(w, len, ev_msg[e->type].type);
	if (m == NULL)
		return -ENOSPC;
	put_ev_body(m, e);
	return 0;
}

int gv_goe_encode_event(uint8_t out[GV_GOE_LEN_MAX],
                        const struct gv_event *e)
{
	uint32_t len = ev_len(e);

	if (len == 0)
		return -EINVAL;
	/* A constant-size clear: a few stores, where a len-sized one is a
	 * call. It also makes the whole slot deterministic. */
	memset(out, 0, GV_GOE_LEN_MAX);
	put16(out, (uint16_t)len);
	out[2] = ev_msg[e->type].type;
	put_ev_body(out, e);
	return (int)len;
}

int gv_goe_put_logon_ack(struct gv_goe_writer *w, uint64_t next_in,
                         uint64_t next_out)
{
	uint8_t *m = reserve(w, GV_GOE_LEN_LOGON_ACK, GV_GOE_LOGON_ACK);

	if (m == NULL)
		return -ENOSPC;
	put64(m + 8, next_in);
	put64(m + 16, next_out);
	return 0;
}

int gv_goe_put_seq_gap(struct gv_goe_writer *w, uint64_t expected_in)
{
	uint8_t *m = reserve(w, GV_GOE_LEN_SEQ_GAP, GV_GOE_SEQ_GAP);

	if (m == NULL)
		return -ENOSPC;
	put64(m + 8, expected_in);
	return 0;
}

int gv_goe_put_heartbeat(struct gv_goe_writer *w)
{
	return reserve(w, GV_GOE_LEN_HEARTBEAT_OUT, GV_GOE_HEARTBEAT_OUT)
	               ? 0 : -ENOSPC;
}

/* ---- client-side encoders --------------------------------------------- */

static int put_new(struct gv_goe_writer *w, const struct gv_cmd *c)
{
	uint8_t *m = reserve(w, GV_GOE_LEN_NEW, GV_GOE_NEW);

	if (m == NULL)
		return -ENOSPC;
	put32(m + 4, c->u.new_order.symbol);
	put64(m + 8, c->u.new_order.cl_ord_id);
	put64(m + 16, (uint64_t)c->u.new_order.price);
	put64(m + 24, c->u.new_order.qty);
	put64(m + 32, (uint64_t)c->u.new_order.stop_price);
	put64(m + 40, c->u.new_order.display_qty);
	m[48] = c->u.new_order.side;
	m[49] = c->u.new_order.type;
	m[50] = c->u.new_order.tif;
	m[51] = c->u.new_order.flags;
	m[52] = c->u.new_order.stp;
	return 0;
}

int gv_goe_put_cmd(struct gv_goe_writer *w, const struct gv_cmd *c)
{
	uint8_t *m;

	switch (c->type) {
	case GV_CMD_NEW:
		return put_new(w, c);
	case GV_CMD_CANCEL:
		m = reserve(w, GV_GOE_LEN_CANCEL, GV_GOE_CANCEL);
		if (m == NULL)
			return -ENOSPC;
		put64(m + 8, c->u.cancel.cl_ord_id);
		return 0;
	case GV_CMD_REPLACE:
		m = reserve(w, GV_GOE_LEN_REPLACE, GV_GOE_REPLACE);
		if (m == NULL)
			return -ENOSPC;
		put64(m + 8, c->u.replace.orig_cl_ord_id);
		put64(m + 16, c->u.replace.new_cl_ord_id);
		put64(m + 24, (uint64_t)c->u.replace.new_price);
		put64(m + 32, c->u.replace.new_qty);
		return 0;
	case GV_CMD_MASS_CANCEL:
		m = reserve(w, GV_GOE_LEN_MASS_CANCEL, GV_GOE_MASS_CANCEL);
		if (m == NULL)
			return -ENOSPC;
		put32(m + 4, c->u.mass_cancel.symbol);
		m[8] = c->u.mass_cancel.side;
		return 0;
	}
	return -EINVAL;
}

int gv_goe_put_logon(struct gv_goe_writer *w, uint32_t heartbeat_ms,
                     bool cancel_on_disconnect)
{
	uint8_t *m = reserve(w, GV_GOE_LEN_LOGON, GV_GOE_LOGON);

	if (m == NULL)
		return -ENOSPC;
	put32(m + 4, heartbeat_ms);
	m[8] = cancel_on_disconnect ? 1 : 0;
	return 0;
}

int gv_goe_put_logout(struct gv_goe_writer *w)
{
	return reserve(w, GV_GOE_LEN_LOGOUT, GV_GOE_LOGOUT) ? 0 : -ENOSPC;
}

int gv_goe_put_client_heartbeat(struct gv_goe_writer *w)
{
	return reserve(w, GV_GOE_LEN_HEARTBEAT, GV_GOE_HEARTBEAT) ? 0 : -ENOSPC;
}

int gv_goe_put_resend(struct gv_goe_writer *w, uint64_t from_seq,
                      uint16_t count)
{
	uint8_t *m = reserve(w, GV_GOE_LEN_RESEND, GV_GOE_RESEND);

	if (m == NULL)
		return -ENOSPC;
	put64(m + 4, from_seq);
	put16(m + 12, count);
	return 0;
}

/* ---- decoding gavel's replies ----------------------------------------- */

struct reply_ctx {
	struct gv_goe_reply *out;
	uint32_t session;
	uint64_t seq;
};

static void decode_ord_reply(const uint8_t *m, struct gv_event *e)
{
	switch (m[2]) {
	case GV_GOE_ACCEPTED:
		e->type = GV_EV_ACCEPTED;
		e->instrument = (uint16_t)get32(m + 4);
		e->u.ord.cl_ord_id = get64(m + 8);
		e->u.ord.order_id = get64(m + 16);
		e->u.ord.price = (int64_t)get64(m + 24);
		e->u.ord.qty = get64(m + 32);
		e->side = m[40];
		e->u.ord.ord_type = m[41];
		e->u.ord.tif = m[42];
		return;
	case GV_GOE_REJECTED:
		e->type = GV_EV_REJECTED;
		e->u.ord.reason = get16(m + 4);
		e->u.ord.cl_ord_id = get64(m + 8);
		return;
	case GV_GOE_FILL:
		e->type = GV_EV_FILL;
		e->instrument = (uint16_t)get32(m + 4);
		e->u.ord.cl_ord_id = get64(m + 8);
		e->u.ord.order_id = get64(m + 16);
		e->u.ord.aux = get64(m + 24);
		e->u.ord.price = (int64_t)get64(m + 32);
		e->u.ord.qty = get64(m + 40);
		e->u.ord.open_qty = get64(m + 48);
		e->u.ord.liquidity = m[56];
		return;
	case GV_GOE_CANCELLED:
		e->type = GV_EV_CANCELLED;
		e->u.ord.reason = get16(m + 4);
		e->u.ord.cl_ord_id = get64(m + 8);
		e->u.ord.order_id = get64(m + 16);
		e->u.ord.qty = get64(m + 24);
		return;
	}
	gv_panic(__FILE__, __LINE__, __func__,
	         "outbound table and decoder disagree");
}

static void decode_out(const uint8_t *m, uint32_t idx, void *arg)
{
	struct reply_ctx *x = arg;
	struct gv_goe_reply *r = &x->out[idx];
	struct gv_event *e = &r->ev;

	memset(r, 0, sizeof(*r));
	r->type = m[2];
	e->session = x->session;
	if (out_spec[m[2]].sequenced)
		r->seq = x->seq + idx;
	switch (m[2]) {
	case GV_GOE_LOGON_ACK:
		r->next_in = get64(m + 8);
		r->next_out = get64(m + 16);
		return;
	case GV_GOE_SEQ_GAP:
		r->expected_in = get64(m + 8);
		return;
	case GV_GOE_HEARTBEAT_OUT:
		return;
	case GV_GOE_REPLACED:
		e->type = GV_EV_REPLACED;
		e->instrument = (uint16_t)get32(m + 4);
		e->u.ord.aux = get64(m + 8);
		e->u.ord.cl_ord_id = get64(m + 16);
		e->u.ord.order_id = get64(m + 24);
		e->u.ord.price = (int64_t)get64(m + 32);
		e->u.ord.open_qty = get64(m + 40);
		e->u.ord.priority_kept = m[48];
		return;
	case GV_GOE_STOP_TRIGGERED:
		e->type = GV_EV_STOP_TRIGGERED;
		e->instrument = (uint16_t)get32(m + 4);
		e->u.ord.cl_ord_id = get64(m + 8);
		e->u.ord.order_id = get64(m + 16);
		return;
	case GV_GOE_MASS_CANCEL_ACK:
		e->type = GV_EV_MASS_CANCEL_ACK;
		e->instrument = (uint16_t)get32(m + 4);
		e->u.ord.qty = get64(m + 8);
		return;
	}
	decode_ord_reply(m, e);
}

int gv_goe_parse_replies(const uint8_t *buf, uint32_t len,
                         struct gv_goe_reply *out, uint32_t max)
{
	struct reply_ctx x = { .out = out };
	enum gv_goe_drop d = check_header(buf, len);

	if (d != GV_GOE_OK)
		return -(int)d;
	/* Never write past `max`: a datagram with more is refused whole. */
	if (buf[3] > max)
		return -(int)GV_GOE_DROP_COUNT;
	x.session = get32(buf + 4);
	x.seq = get64(buf + 8);
	d = walk(buf, len, out_spec, decode_out, &x);
	if (d != GV_GOE_OK)
		return -(int)d;
	return buf[3];
}
