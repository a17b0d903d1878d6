/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_itch.h - market data out: NASDAQ TotalView-ITCH 5.0 messages (their
 * standard layouts, big-endian) in MoldUDP64 packets, one stream per shard
 * (docs/protocol.md section 3). Encoders for the dataplane, decoders for
 * the tools and tests. Pure C, no DPDK.
 *
 * Conventions: stock locate = instrument id; tracking number = shard id;
 * timestamp = ns since midnight UTC of the event's engine timestamp (6
 * bytes); prices in ticks (4 bytes), shares in lots (4 bytes); order
 * references are the book's MD references.
 */
#ifndef GV_ITCH_H
#define GV_ITCH_H

#include "gv_book.h"
#include "gv_common.h"

#define GV_MOLD_SESSION_LEN 10
#define GV_MOLD_HDR_LEN 20
#define GV_MOLD_END_OF_SESSION 0xFFFFu

/* ITCH 5.0 message lengths used by gavel. */
enum {
	GV_ITCH_LEN_S = 12,  /* system event */
	GV_ITCH_LEN_R = 39,  /* stock directory */
	GV_ITCH_LEN_H = 25,  /* stock trading action */
	GV_ITCH_LEN_A = 36,  /* add order, no MPID */
	GV_ITCH_LEN_E = 31,  /* order executed */
	GV_ITCH_LEN_X = 23,  /* order cancel */
	GV_ITCH_LEN_D = 19,  /* order delete */
	GV_ITCH_LEN_U = 35,  /* order replace */
	GV_ITCH_LEN_P = 44,  /* trade (non-cross) */
	GV_ITCH_LEN_MAX = 44,
};

/* System event codes used. */
enum {
	GV_ITCH_SYS_START_MESSAGES = 'O',
	GV_ITCH_SYS_START_MARKET = 'Q',
	GV_ITCH_SYS_END_MARKET = 'M',
	GV_ITCH_SYS_END_MESSAGES = 'C',
};

/*
 * A MoldUDP64 packet under construction in a caller buffer of `cap` bytes
 * (at most GV_DGRAM_MAX). Messages are appended while they fit.
 */
struct gv_mold_writer {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
	uint16_t count;
};

/* Session: 10 ASCII bytes, e.g. "GAVEL00001" for shard 1. */
void gv_mold_session_name(char out[GV_MOLD_SESSION_LEN], uint32_t shard);

void gv_mold_begin(struct gv_mold_writer *w, uint8_t *buf, uint32_t cap,
                   const char session[GV_MOLD_SESSION_LEN], uint64_t seq);
/* Sets the count; returns the packet length. A packet with no message is
 * a heartbeat; gv_mold_end_of_session makes the count 0xFFFF. */
uint32_t gv_mold_finish(struct gv_mold_writer *w);
uint32_t gv_mold_end_of_session(struct gv_mold_writer *w);

/*
 * Append the ITCH message for a book market-data event:
 * MD_ADD -> 'A', MD_EXEC -> 'E', MD_REDUCE -> 'X', MD_DELETE -> 'D',
 * MD_REPLACE -> 'U', MD_TRADING_STATE -> 'H'. `stock` is the instrument's
 * symbol, space-padded to 8 (used by 'A' and 'H'). Returns 0, -ENOSPC if it
 * does not fit (nothing written), -EINVAL for other event types.
 */
int gv_itch_put_event(struct gv_mold_writer *w, const struct gv_event *e,
                      uint16_t tracking, uint64_t ts_ns,
                      const char stock[GV_SYMBOL_LEN]);

int gv_itch_put_system_event(struct gv_mold_writer *w, uint8_t code,
                             uint16_t tracking, uint64_t ts_ns);
/* 'R': one per instrument at start. round_lot = 1 (lots are the unit). */
int gv_itch_put_stock_directory(struct gv_mold_writer *w, uint16_t locate,
                                const char stock[GV_SYMBOL_LEN],
                                uint16_t tracking, uint64_t ts_ns);

/* ---- decoding (tools, tests) ------------------------------------------ */

struct gv_mold_hdr {
	char session[GV_MOLD_SESSION_LEN];
	uint64_t seq;
	uint16_t count;
};

/* Any decoded ITCH message; fields a type lacks are 0. */
struct gv_itch_msg {
	uint8_t type;
	uint16_t locate, tracking;
	uint64_t ts_ns;                   /* ns since midnight */
	uint64_t ref, new_ref;            /* order reference(s) */
	uint8_t side;                     /* 'B' / 'S' */
	uint32_t shares;
	uint32_t price;
	uint64_t match;
	char stock[GV_SYMBOL_LEN + 1];    /* NUL-ended, padding kept */
	uint8_t code;                     /* S: event code; H: trading state */
};

/*
 * Walk a MoldUDP64 packet: fills hdr, calls fn for each message (its bytes
 * and length). Returns the number of messages, or -EINVAL if the framing
 * is broken (lengths overrun the packet, trailing bytes).
 */
int gv_mold_parse(const uint8_t *buf, uint32_t len, struct gv_mold_hdr *hdr,
                  void (*fn)(void *arg, const uint8_t *msg, uint32_t len),
                  void *arg);

/* Decode one ITCH message. 0, or -EINVAL (unknown type, wrong length). */
int gv_itch_decode(const uint8_t *msg, uint32_t len, struct gv_itch_msg *out);

#endif /* GV_ITCH_H */
