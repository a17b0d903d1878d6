/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_itch.c - NASDAQ TotalView-ITCH 5.0 messages in MoldUDP64 packets.
 *
 * Design: a writer appends `u16 length + message` blocks to a caller buffer
 * after the 20-byte MoldUDP64 header; the count is written once, when the
 * packet is finished. Every field is stored big-endian as whole words
 * (gv_wire_pvt.h: memcpy plus an explicit byte swap; no struct overlays,
 * no alignment assumptions), so the output is the same on every host. A
 * message's block header (length, type, locate, tracking, 48-bit
 * timestamp: 13 bytes) is two overlapping 8-byte stores. Each encoder
 * checks the room it needs first and
 * writes nothing when the message does not fit (-ENOSPC): the caller sends
 * the packet and starts a new one. Cost: O(message length) per message, no
 * loop without a fixed bound.
 *
 * Decoding is for tools and tests and never trusts its input:
 * gv_mold_parse validates the whole framing before it hands out a single
 * message, and gv_itch_decode accepts a message only at its type's exact
 * standard length. The decoder checks layout, not values (a side other
 * than 'B'/'S' is passed through as is).
 *
 * Stock Directory ('R') fields gavel does not model are constants, chosen
 * from the ITCH 5.0 "not available / not applicable" values where the
 * spec has one:
 *   market category      ' '  not available (gavel is not a NASDAQ tier)
 *   financial status     ' '  not available
 *   round lot size       1    shares fields already count lots
 *   round lots only      'N'  no restriction (any number of lots)
 *   issue classification ' '  not modelled (the spec lists no blank value)
 *   issue sub-type       "  " not modelled (ditto)
 *   authenticity         'P'  live/production
 *   short sale threshold ' '  not applicable
 *   IPO flag             ' '  not available
 *   LULD ref price tier  ' '  not applicable
 *   ETP flag             ' '  not available
 *   ETP leverage factor  0
 *   inverse indicator    'N'  not an inverse ETP
 * Stock Trading Action ('H'): state 'H' halted / 'T' trading, reserved
 * ' ', reason "    " (gavel's halts are administrative, no reason code).
 */
#include <string.h>

#include "gv_errno.h"
#include "gv_itch.h"
#include "gv_wire_pvt.h"

#define NS_PER_DAY 86400000000000ull
#define ITCH_HDR_LEN 11   /* type, locate, tracking, timestamp */
#define MOLD_BLOCK_HDR 2  /* u16 message length */

GV_STATIC_ASSERT(GV_MOLD_HDR_LEN == GV_MOLD_SESSION_LEN + 8 + 2,
                 "MoldUDP64 header: session, sequence, count");
GV_STATIC_ASSERT(GV_ITCH_LEN_MAX + MOLD_BLOCK_HDR + GV_MOLD_HDR_LEN
                         <= GV_DGRAM_MAX,
                 "a packet holds at least one message of every type");
GV_STATIC_ASSERT(NS_PER_DAY < (1ull << 48), "the timestamp fits 6 bytes");

/* ---- big-endian access ------------------------------------------------ */

/* Short local names for the ITCH/MoldUDP64 (big-endian) accessors. */
#define put16 gv_put_be16
#define put32 gv_put_be32
#define put64 gv_put_be64
#define get16 gv_get_be16
#define get32 gv_get_be32
#define get64 gv_get_be64

static inline uint64_t get48(const uint8_t *p)
{
	return (uint64_t)get16(p) << 32 | get32(p + 2);
}

/* ---- MoldUDP64 writer ------------------------------------------------ */

void gv_mold_session_name(char out[GV_MOLD_SESSION_LEN], uint32_t shard)
{
	uint32_t v = shard % 100000u; /* five digits; shards are < 64 */
	int i;

	GV_ASSERT(shard < 100000u);
	memcpy(out, "GAVEL", 5);
	for (i = GV_MOLD_SESSION_LEN - 1; i >= 5; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void gv_mold_begin(struct gv_mold_writer *w, uint8_t *buf, uint32_t cap,
                   const char session[GV_MOLD_SESSION_LEN], uint64_t seq)
{
	GV_VERIFY(cap >= GV_MOLD_HDR_LEN);
	GV_ASSERT(cap <= GV_DGRAM_MAX);
	w->buf = buf;
	w->cap = cap;
	w->len = GV_MOLD_HDR_LEN;
	w->count = 0;
	memcpy(buf, session, GV_MOLD_SESSION_LEN);
	put64(buf + GV_MOLD_SESSION_LEN, seq);
	put16(buf + GV_MOLD_SESSION_LEN + 8, 0);
}

uint32_t gv_mold_finish(struct gv_mold_writer *w)
{
	GV_ASSERT(w->len >= GV_MOLD_HDR_LEN && w->len <= w->cap);
	GV_ASSERT(w->count < GV_MOLD_END_OF_SESSION);
	put16(w->buf + GV_MOLD_SESSION_LEN + 8, w->count);
	return w->len;
}

uint32_t gv_mold_end_of_session(struct gv_mold_writer *w)
{
	/* An end-of-session packet carries no message (its sequence is the
	 * next one expected); appending first is a caller bug. */
	GV_ASSERT(w->count == 0);
	w->len = GV_MOLD_HDR_LEN;
	w->count = 0;
	put16(w->buf + GV_MOLD_SESSION_LEN + 8, GV_MOLD_END_OF_SESSION);
	return w->len;
}

/*
 * Open a block of `len` bytes: writes its length prefix and the ITCH common
 * header, returns the message start, or NULL (nothing written) if it does
 * not fit or the count would reach the end-of-session marker.
 */
static uint8_t *open_msg(struct gv_mold_writer *w, uint32_t len, uint8_t type,
                         uint16_t locate, uint16_t tracking, uint64_t ts_ns)
{
	uint8_t *p;

	GV_ASSERT(len >= ITCH_HDR_LEN && len <= GV_ITCH_LEN_MAX);
	GV_ASSERT(w->len >= GV_MOLD_HDR_LEN && w->len <= w->cap);
	if (w->cap - w->len < MOLD_BLOCK_HDR + len ||
	    w->count >= GV_MOLD_END_OF_SESSION - 1)
		return NULL;
	if (ts_ns >= NS_PER_DAY) /* callers mostly pass it reduced already */
		ts_ns %= NS_PER_DAY;
	p = w->buf + w->len;
	/* Block bytes 0-7: length, type, locate, tracking, ts bits 47..40;
	 * then 5-12: tracking and the whole 48-bit ts (5-7 written twice,
	 * the same bytes). */
	put64(p, (uint64_t)len << 48 | (uint64_t)type << 40 |
	         (uint64_t)locate << 24 | (uint64_t)tracking << 8 |
	         ts_ns >> 40);
	put64(p + 5, (uint64_t)tracking << 48 | ts_ns);
	p += MOLD_BLOCK_HDR;
	w->len += MOLD_BLOCK_HDR + len;
	w->count++;
	return p;
}

/*
 * Space-pad a symbol that ends early with a NUL (the bytes after it are
 * not used). Word-wise: the lowest flagged byte of the classic "has a
 * zero byte" test is exactly the first NUL (false positives only appear
 * above a true zero), and everything from it up becomes ' '.
 */
static void put_stock(uint8_t *p, const char stock[GV_SYMBOL_LEN])
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t v = gv_get_le64((const uint8_t *)stock);
	uint64_t z = (v - ones) & ~v & (ones << 7);

	GV_STATIC_ASSERT(GV_SYMBOL_LEN == 8, "a symbol is one word");
	if (z != 0) {
		uint64_t keep = (1ull << (__builtin_ctzll(z) & ~7u)) - 1;

		v = (v & keep) | (0x2020202020202020ull & ~keep);
	}
	gv_put_le64(p, v);
}

/* ---- encoders -------------------------------------------------------- */

/* Each market-data event's ITCH message: type byte and length. */
static const struct {
	uint8_t type, len;
} md_msg[GV_EV_MAX] = {
	[GV_EV_MD_ADD] = { 'A', GV_ITCH_LEN_A },
	[GV_EV_MD_EXEC] = { 'E', GV_ITCH_LEN_E },
	[GV_EV_MD_REDUCE] = { 'X', GV_ITCH_LEN_X },
	[GV_EV_MD_DELETE] = { 'D', GV_ITCH_LEN_D },
	[GV_EV_MD_REPLACE] = { 'U', GV_ITCH_LEN_U },
	[GV_EV_MD_TRADING_STATE] = { 'H', GV_ITCH_LEN_H },
};

/* The book refuses instruments whose prices or sizes exceed 32 bits. */
static uint32_t u32_field(uint64_t v)
{
	GV_ASSERT(v <= UINT32_MAX);
	return (uint32_t)v;
}

static void encode_body(uint8_t *p, const struct gv_event *e,
                        const char stock[GV_SYMBOL_LEN])
{
	switch (e->type) {
	case GV_EV_MD_ADD:
		put64(p + 11, e->u.md.ref);
		p[19] = e->side == GV_SIDE_BUY ? 'B' : 'S';
		put32(p + 20, u32_field(e->u.md.qty));
		put_stock(p + 24, stock);
		put32(p + 32, u32_field((uint64_t)e->u.md.price));
		break;
	case GV_EV_MD_EXEC:
		put64(p + 11, e->u.md.ref);
		put32(p + 19, u32_field(e->u.md.qty));
		put64(p + 23, e->u.md.match_id);
		break;
	case GV_EV_MD_REDUCE:
		put64(p + 11, e->u.md.ref);
		put32(p + 19, u32_field(e->u.md.qty));
		break;
	case GV_EV_MD_DELETE:
		put64(p + 11, e->u.md.ref);
		break;
	case GV_EV_MD_REPLACE:
		put64(p + 11, e->u.md.ref);
		put64(p + 19, e->u.md.new_ref);
		put32(p + 27, u32_field(e->u.md.qty));
		put32(p + 31, u32_field((uint64_t)e->u.md.price));
		break;
	case GV_EV_MD_TRADING_STATE:
		put_stock(p + 11, stock);
		p[19] = e->u.md.halted ? 'H' : 'T';
		p[20] = ' ';
		memcpy(p + 21, "    ", 4);
		break;
	default:
		GV_VERIFY(0); /* md_msg[] let only MD events through */
	}
}

int gv_itch_put_event(struct gv_mold_writer *w, const struct gv_event *e,
                      uint16_t tracking, uint64_t ts_ns,
                      const char stock[GV_SYMBOL_LEN])
{
	uint32_t len = e->type < GV_EV_MAX ? md_msg[e->type].len : 0;
	uint8_t *p;

	if (len == 0)
		return -EINVAL;
	if (e->type == GV_EV_MD_ADD && e->side != GV_SIDE_BUY &&
	    e->side != GV_SIDE_SELL)
		return -EINVAL;
	GV_ASSERT(e->u.md.price >= 0);
	p = open_msg(w, len, md_msg[e->type].type, e->instrument, tracking,
	             ts_ns);
	if (p == NULL)
		return -ENOSPC;
	encode_body(p, e, stock);
	return 0;
}

int gv_itch_put_system_event(struct gv_mold_writer *w, uint8_t code,
                             uint16_t tracking, uint64_t ts_ns)
{
	uint8_t *p = open_msg(w, GV_ITCH_LEN_S, 'S', 0, tracking, ts_ns);

	if (p == NULL)
		return -ENOSPC;
	p[11] = code;
	return 0;
}

int gv_itch_put_stock_directory(struct gv_mold_writer *w, uint16_t locate,
                                const char stock[GV_SYMBOL_LEN],
                                uint16_t tracking, uint64_t ts_ns)
{
	uint8_t *p = open_msg(w, GV_ITCH_LEN_R, 'R', locate, tracking, ts_ns);

	if (p == NULL)
		return -ENOSPC;
	put_stock(p + 11, stock);
	p[19] = ' ';              /* market category: not available */
	p[20] = ' ';              /* financial status: not available */
	put32(p + 21, 1);         /* round lot size: one lot */
	p[25] = 'N';              /* round lots only: no */
	p[26] = ' ';              /* issue classification */
	memcpy(p + 27, "  ", 2);  /* issue sub-type */
	p[29] = 'P';              /* authenticity: live/production */
	p[30] = ' ';              /* short sale threshold: not applicable */
	p[31] = ' ';              /* IPO flag: not available */
	p[32] = ' ';              /* LULD reference price tier: n/a */
	p[33] = ' ';              /* ETP flag: not available */
	put32(p + 34, 0);         /* ETP leverage factor */
	p[38] = 'N';              /* inverse indicator: no */
	return 0;
}

/* ---- decoding -------------------------------------------------------- */

/*
 * Check the framing of a packet whose header is known to be there.
 * Returns the number of messages, or -EINVAL.
 */
static int check_blocks(const uint8_t *buf, uint32_t len, uint16_t count)
{
	uint32_t off = GV_MOLD_HDR_LEN, i, mlen;

	/* Heartbeat (0) and end of session (0xFFFF) carry no message. */
	if (count == GV_MOLD_END_OF_SESSION)
		return len == GV_MOLD_HDR_LEN ? 0 : -EINVAL;
	for (i = 0; i < count; i++) {
		if (len - off < MOLD_BLOCK_HDR)
			return -EINVAL;
		mlen = get16(buf + off);
		off += MOLD_BLOCK_HDR;
		/* An empty block has no ITCH type byte: not ours. */
		if (mlen == 0 || mlen > len - off)
			return -EINVAL;
		off += mlen;
	}
	return off == len ? (int)count : -EINVAL;
}

int gv_mold_parse(const uint8_t *buf, uint32_t len, struct gv_mold_hdr *hdr,
                  void (*fn)(void *arg, const uint8_t *msg, uint32_t len),
                  void *arg)
{
	uint32_t off = GV_MOLD_HDR_LEN, mlen;
	uint16_t count;
	int n, i;

	if (buf == NULL || len < GV_MOLD_HDR_LEN)
		return -EINVAL;
	count = get16(buf + GV_MOLD_SESSION_LEN + 8);
	if (hdr != NULL) {
		memcpy(hdr->session, buf, GV_MOLD_SESSION_LEN);
		hdr->seq = get64(buf + GV_MOLD_SESSION_LEN);
		hdr->count = count;
	}
	/* Validate everything first: fn never sees part of a bad packet. */
	n = check_blocks(buf, len, count);
	if (n <= 0 || fn == NULL)
		return n;
	for (i = 0; i < n; i++) {
		mlen = get16(buf + off);
		off += MOLD_BLOCK_HDR;
		fn(arg, buf + off, mlen);
		off += mlen;
	}
	GV_ASSERT(off == len);
	return n;
}

static uint32_t msg_len(uint8_t type)
{
	switch (type) {
	case 'S': return GV_ITCH_LEN_S;
	case 'R': return GV_ITCH_LEN_R;
	case 'H': return GV_ITCH_LEN_H;
	case 'A': return GV_ITCH_LEN_A;
	case 'E': return GV_ITCH_LEN_E;
	case 'X': return GV_ITCH_LEN_X;
	case 'D': return GV_ITCH_LEN_D;
	case 'U': return GV_ITCH_LEN_U;
	case 'P': return GV_ITCH_LEN_P;
	default:  return 0;
	}
}

static void get_stock(char out[GV_SYMBOL_LEN + 1], const uint8_t *p)
{
	memcpy(out, p, GV_SYMBOL_LEN);
	out[GV_SYMBOL_LEN] = '\0';
}

/* 'A' and 'P' share their first 36 bytes. */
static void decode_order(const uint8_t *m, struct gv_itch_msg *out)
{
	out->ref = get64(m + 11);
	out->side = m[19];
	out->shares = get32(m + 20);
	get_stock(out->stock, m + 24);
	out->price = get32(m + 32);
}

static void decode_body(const uint8_t *m, struct gv_itch_msg *out)
{
	switch (out->type) {
	case 'S':
		out->code = m[11];
		break;
	case 'R':
		get_stock(out->stock, m + 11);
		break;
	case 'H':
		get_stock(out->stock, m + 11);
		out->code = m[19];
		break;
	case 'A':
		decode_order(m, out);
		break;
	case 'P':
		decode_order(m, out);
		out->match = get64(m + 36);
		break;
	case 'E':
		out->match = get64(m + 23);
		/* fall through */
	case 'X':
		out->shares = get32(m + 19);
		/* fall through */
	case 'D':
		out->ref = get64(m + 11);
		break;
	case 'U':
		out->ref = get64(m + 11);
		out->new_ref = get64(m + 19);
		out->shares = get32(m + 27);
		out->price = get32(m + 31);
		break;
	default:
		GV_VERIFY(0); /* msg_len() let only known types through */
	}
}

int gv_itch_decode(const uint8_t *msg, uint32_t len, struct gv_itch_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (msg == NULL || len == 0 || len != msg_len(msg[0]))
		return -EINVAL;
	out->type = msg[0];
	out->locate = get16(msg + 1);
	out->tracking = get16(msg + 3);
	out->ts_ns = get48(msg + 5);
	decode_body(msg, out);
	return 0;
}
