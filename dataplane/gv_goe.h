/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_goe.h - GOE/1, gavel's order-entry protocol (docs/protocol.md
 * section 1): datagram framing, MAC, message decoding into book commands,
 * and encoding of gavel's replies.
 *
 * Pure C, no DPDK: the dataplane, the tools, the fuzzer and the tests all
 * use this one codec. All integers are little-endian on the wire and are
 * read and written as whole words with an explicit byte order (no struct
 * overlays, no alignment assumptions).
 *
 * Decoding never trusts the input: every length, count, type, reserved byte
 * and field is checked; a datagram is accepted whole or dropped with a
 * reason (enum gv_goe_drop) that the caller counts.
 */
#ifndef GV_GOE_H
#define GV_GOE_H

#include <errno.h>
#include <string.h>

#include "gv_book.h"
#include "gv_common.h"
#include "gv_limits.h"

#define GV_GOE_VERSION 1
#define GV_GOE_MAC_OFF 24

/* Message types. */
enum {
	/* client -> gavel */
	GV_GOE_LOGON = 'L',
	GV_GOE_LOGOUT = 'O',
	GV_GOE_HEARTBEAT = 'H',
	GV_GOE_RESEND = 'Q',
	GV_GOE_NEW = 'N',
	GV_GOE_CANCEL = 'C',
	GV_GOE_REPLACE = 'R',
	GV_GOE_MASS_CANCEL = 'M',
	/* gavel -> client */
	GV_GOE_LOGON_ACK = 'l',
	GV_GOE_ACCEPTED = 'a',
	GV_GOE_REJECTED = 'j',
	GV_GOE_FILL = 'f',
	GV_GOE_CANCELLED = 'x',
	GV_GOE_REPLACED = 'r',
	GV_GOE_STOP_TRIGGERED = 't',
	GV_GOE_MASS_CANCEL_ACK = 'e',
	GV_GOE_SEQ_GAP = 'g',
	GV_GOE_HEARTBEAT_OUT = 'h',
};

/* Wire sizes of every message (header included). */
enum {
	GV_GOE_LEN_LOGON = 16,
	GV_GOE_LEN_LOGOUT = 4,
	GV_GOE_LEN_HEARTBEAT = 4,
	GV_GOE_LEN_RESEND = 16,
	GV_GOE_LEN_NEW = 56,
	GV_GOE_LEN_CANCEL = 16,
	GV_GOE_LEN_REPLACE = 40,
	GV_GOE_LEN_MASS_CANCEL = 12,
	GV_GOE_LEN_LOGON_ACK = 24,
	GV_GOE_LEN_ACCEPTED = 48,
	GV_GOE_LEN_REJECTED = 24,
	GV_GOE_LEN_FILL = 64,
	GV_GOE_LEN_CANCELLED = 40,
	GV_GOE_LEN_REPLACED = 56,
	GV_GOE_LEN_STOP_TRIGGERED = 24,
	GV_GOE_LEN_MASS_CANCEL_ACK = 24,
	GV_GOE_LEN_SEQ_GAP = 16,
	GV_GOE_LEN_HEARTBEAT_OUT = 4,
	GV_GOE_LEN_MAX = 64,
};

/* Why a datagram was dropped. 0 = accepted. Each is counted. */
enum gv_goe_drop {
	GV_GOE_OK = 0,
	GV_GOE_DROP_SHORT,        /* shorter than the 32-byte header */
	GV_GOE_DROP_TOO_LONG,     /* over 1472 bytes */
	GV_GOE_DROP_MAGIC,        /* not 'G' 'V' */
	GV_GOE_DROP_VERSION,
	GV_GOE_DROP_COUNT,        /* count > 64, or count disagrees */
	GV_GOE_DROP_LENGTH,       /* message lengths do not add up */
	GV_GOE_DROP_MSG_TYPE,     /* unknown or outbound-only type */
	GV_GOE_DROP_MSG_LEN,      /* length other than its type's */
	GV_GOE_DROP_RESERVED,     /* a reserved byte is non-zero */
	GV_GOE_DROP_MIXED,        /* sequenced types in seq 0 or vice versa */
	GV_GOE_DROP_SESSION,      /* session 0 or unknown (caller's check) */
	GV_GOE_DROP_SOURCE,       /* source outside the allowed prefix */
	GV_GOE_DROP_MAC,
	GV_GOE_DROP_MAX,
};

/* One decoded client message. */
struct gv_goe_msg {
	uint8_t type;                     /* GV_GOE_LOGON .. GV_GOE_MASS_CANCEL */
	union {
		struct {
			uint32_t heartbeat_ms;
			uint8_t cancel_on_disconnect;
		} logon;
		struct {
			uint64_t from_seq;
			uint16_t count;
		} resend;
		/* N, C, R, M: the book command (type, session and the
		 * command's fields; ts_ns and flags left for the caller). */
		struct gv_cmd cmd;
	} u;
};

struct gv_goe_dgram {
	uint32_t session;
	uint8_t count;
	bool sequenced;                   /* seq != 0 */
	uint64_t seq;                     /* of the first message */
	uint64_t ts_ns;                   /* sender's clock */
	uint64_t mac;
	struct gv_goe_msg msg[GV_DGRAM_MSGS_MAX];
};

/*
 * Check a datagram's framing and decode every message. Does not check the
 * session or the MAC (see gv_goe_mac_ok), which need the caller's tables.
 * Returns GV_GOE_OK, or the first reason found (no partial output is to be
 * used then). Field values (side, price, ...) are not judged here: the
 * book rejects bad ones with a reason.
 */
enum gv_goe_drop gv_goe_parse(const uint8_t *buf, uint32_t len,
                              struct gv_goe_dgram *out);

/*
 * SipHash-2-4 of the datagram with its MAC field taken as 0, keyed with
 * key (k0 = LE u64 of bytes 0-7, k1 = bytes 8-15), as the wire u64.
 */
uint64_t gv_goe_mac(const uint8_t *buf, uint32_t len,
                    const uint8_t key[GV_KEY_LEN]);

/* Does the datagram's MAC field match? Constant time in the MAC. */
bool gv_goe_mac_ok(const uint8_t *buf, uint32_t len,
                   const uint8_t key[GV_KEY_LEN]);

/* Short name of a drop reason ("mac", "short", ...) for counters. */
const char *gv_goe_drop_name(enum gv_goe_drop d);

/* ---- encoding --------------------------------------------------------- */

/*
 * A datagram under construction in a caller buffer of GV_DGRAM_MAX bytes.
 * gv_goe_begin writes the header; gv_goe_put_* append messages while they
 * fit (64 messages, 1472 bytes) and return 0, or -ENOSPC when the datagram
 * is full (nothing written: finish it and begin another); gv_goe_finish
 * sets count and the MAC and returns the datagram's length.
 */
struct gv_goe_writer {
	uint8_t *buf;
	uint32_t len;
	uint8_t count;
};

void gv_goe_begin(struct gv_goe_writer *w, uint8_t *buf, uint32_t session,
                  uint64_t seq, uint64_t ts_ns);
uint32_t gv_goe_finish(struct gv_goe_writer *w,
                       const uint8_t key[GV_KEY_LEN]);

/* gv_goe_finish without the MAC: count set, MAC field zero, length
 * returned. For callers that MAC many datagrams at once (gv_mac.h) and
 * then store each MAC little-endian at GV_GOE_MAC_OFF. */
uint32_t gv_goe_seal(struct gv_goe_writer *w);

/*
 * Append the reply for a book execution-report event (ACCEPTED -> 'a',
 * REJECTED -> 'j', FILL -> 'f', CANCELLED -> 'x', REPLACED -> 'r',
 * STOP_TRIGGERED -> 't', MASS_CANCEL_ACK -> 'e'). -EINVAL for an event
 * type that has no GOE/1 message (market-data events).
 */
int gv_goe_put_event(struct gv_goe_writer *w, const struct gv_event *e);

/*
 * Encode the message for a book event (as gv_goe_put_event) on its own,
 * into `out`, with no datagram around it: the resend history keeps
 * messages this way. All GV_GOE_LEN_MAX bytes of `out` are written (zero
 * past the message). Returns its length, or -EINVAL.
 */
int gv_goe_encode_event(uint8_t out[GV_GOE_LEN_MAX], const struct gv_event *e);

int gv_goe_put_logon_ack(struct gv_goe_writer *w, uint64_t next_in,
                         uint64_t next_out);
int gv_goe_put_seq_gap(struct gv_goe_writer *w, uint64_t expected_in);
int gv_goe_put_heartbeat(struct gv_goe_writer *w);

/* Append a raw, already encoded message. -EINVAL if msg's own length
 * field is not len or len is out of range; -ENOSPC. */
int gv_goe_put_raw(struct gv_goe_writer *w, const uint8_t *msg, uint32_t len);

/*
 * Bytes a writer's buffer needs past GV_DGRAM_MAX for gv_goe_put_slot.
 * (A message is >= 4 bytes, so a 64-byte copy ends at most 60 bytes past.)
 */
#define GV_GOE_SLOT_SLACK GV_GOE_LEN_MAX

/*
 * Append the message at the start of `slot`, a GV_GOE_LEN_MAX-byte buffer
 * filled by gv_goe_encode_event (the resend ring's), `len` being its own
 * length (trusted: the caller encoded it). Copies the whole slot, a
 * fixed-size copy of a few moves where a len-sized one is a library call,
 * so the writer's buffer must have GV_GOE_SLOT_SLACK bytes of room past
 * GV_DGRAM_MAX; bytes past the datagram's length are not part of it.
 * 0, or -ENOSPC (datagram full, nothing appended).
 */
static inline int gv_goe_put_slot(struct gv_goe_writer *w,
                                  const uint8_t slot[GV_GOE_LEN_MAX],
                                  uint32_t len)
{
	if (w->count >= GV_DGRAM_MSGS_MAX || len > GV_DGRAM_MAX - w->len)
		return -ENOSPC;
	memcpy(w->buf + w->len, slot, GV_GOE_LEN_MAX);
	w->len += len;
	w->count++;
	return 0;
}

/*
 * Append the reply for execution-report event `e` (as gv_goe_put_event),
 * encoded in place by gv_goe_encode_event: all GV_GOE_LEN_MAX bytes from
 * the message's start are written (zero past it), so the writer's buffer
 * needs GV_GOE_SLOT_SLACK bytes of room past GV_DGRAM_MAX, as for
 * gv_goe_put_slot. Returns the message, or NULL when the datagram is full
 * or `e` has no GOE/1 message (nothing appended; bytes past the
 * datagram's length may have changed).
 */
static inline uint8_t *gv_goe_put_encoded(struct gv_goe_writer *w,
                                          const struct gv_event *e)
{
	uint8_t *m = w->buf + w->len;
	int len;

	if (w->count >= GV_DGRAM_MSGS_MAX)
		return NULL;
	len = gv_goe_encode_event(m, e);
	if (len < 0 || (uint32_t)len > GV_DGRAM_MAX - w->len)
		return NULL;
	w->len += (uint32_t)len;
	w->count++;
	return m;
}

/* Client-side encoders (tools, tests): the message for a book command
 * (N, C, R, M), a logon, a logout, a heartbeat, a resend request. */
int gv_goe_put_cmd(struct gv_goe_writer *w, const struct gv_cmd *c);
int gv_goe_put_logon(struct gv_goe_writer *w, uint32_t heartbeat_ms,
                     bool cancel_on_disconnect);
int gv_goe_put_logout(struct gv_goe_writer *w);
int gv_goe_put_client_heartbeat(struct gv_goe_writer *w);
int gv_goe_put_resend(struct gv_goe_writer *w, uint64_t from_seq,
                      uint16_t count);

/* ---- decoding gavel's replies (tools, tests) --------------------------- */

/*
 * One decoded reply message: its type and the event it stands for (for
 * 'a' 'j' 'f' 'x' 'r' 't' 'e'), or the session fields ('l' 'g' 'h').
 * Fields the message does not carry are 0 (e.g. a 'j' has no instrument).
 */
struct gv_goe_reply {
	uint8_t type;
	uint64_t seq;                     /* 0 for l, g, h */
	struct gv_event ev;
	uint64_t next_in, next_out;       /* 'l' */
	uint64_t expected_in;             /* 'g' */
};

/*
 * Decode a datagram from gavel into at most `max` replies. Checks framing
 * like gv_goe_parse (for outbound types). Returns the number of replies,
 * or -(enum gv_goe_drop).
 */
int gv_goe_parse_replies(const uint8_t *buf, uint32_t len,
                         struct gv_goe_reply *out, uint32_t max);

#endif /* GV_GOE_H */
