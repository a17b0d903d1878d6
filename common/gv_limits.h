/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_limits.h - every compile-time limit of gavel, in one place, with the
 * static asserts that relate them. Runtime sizes (pool capacities, history
 * depth) come from the config and must stay within these bounds.
 */
#ifndef GV_LIMITS_H
#define GV_LIMITS_H

#include "gv_common.h"

/* Topology. */
#define GV_MAX_SHARDS        64     /* shard ids 0..63 */
#define GV_MAX_LCORES        128    /* DPDK RTE_MAX_LCORE in Debian's build */
#define GV_MAX_PORTS         16
#define GV_MAX_INSTRUMENTS   1024   /* configured instruments, all shards */
#define GV_MAX_SESSIONS      4096   /* configured sessions, all shards */
#define GV_BURST_MAX         32     /* rx/tx/event bursts */

/* Identifiers and ranges fixed by the wire protocol (protocol.md). */
#define GV_INSTRUMENT_ID_MAX 65535u      /* the ITCH stock locate is a u16 */
#define GV_SYMBOL_LEN        8           /* ITCH stock field */
#define GV_PRICE_MAX         4294967295u /* ITCH price fields are 4 bytes */
#define GV_QTY_MAX           4294967295u /* ITCH shares fields are 4 bytes */
#define GV_KEY_LEN           16          /* SipHash-2-4 128-bit key */
#define GV_BAND_BPS_MAX      10000u      /* 100 %: a wider band is no band */

/* GOE/1 framing. */
#define GV_DGRAM_MAX         1472   /* UDP payload in one 1500-byte frame */
#define GV_DGRAM_HDR_LEN     32
#define GV_DGRAM_MSGS_MAX    64
#define GV_MSG_HDR_LEN       4
#define GV_HEARTBEAT_MS_MIN  100
#define GV_HEARTBEAT_MS_MAX  60000
#define GV_RESEND_HISTORY_DEFAULT 65536
#define GV_RESEND_HISTORY_MAX     (1u << 20)
#define GV_RESEND_COUNT_MAX  1000

/* Book sizing: a shard's order pool and price-level array. */
#define GV_ORDERS_PER_SHARD_MAX (1u << 24)
#define GV_LEVELS_PER_BOOK_MAX  (1u << 24) /* ticks addressable per side */

GV_STATIC_ASSERT(GV_IS_POW2(GV_BURST_MAX), "burst must be a power of two");
GV_STATIC_ASSERT(GV_BURST_MAX <= 64, "bursts are capped at 64 by style");
GV_STATIC_ASSERT(GV_MAX_SHARDS <= GV_MAX_LCORES, "a shard owns one lcore");
GV_STATIC_ASSERT(GV_MAX_INSTRUMENTS <= GV_INSTRUMENT_ID_MAX,
                 "instrument ids must fit the ITCH stock locate");
GV_STATIC_ASSERT(GV_DGRAM_HDR_LEN + GV_DGRAM_MSGS_MAX * GV_MSG_HDR_LEN
                         <= GV_DGRAM_MAX,
                 "a full datagram of the smallest messages must fit");
GV_STATIC_ASSERT(GV_IS_POW2(GV_RESEND_HISTORY_DEFAULT) &&
                         GV_IS_POW2(GV_RESEND_HISTORY_MAX),
                 "resend history is a power-of-two ring");
GV_STATIC_ASSERT(GV_RESEND_HISTORY_DEFAULT <= GV_RESEND_HISTORY_MAX,
                 "default history within the maximum");
GV_STATIC_ASSERT(GV_RESEND_COUNT_MAX < GV_RESEND_HISTORY_DEFAULT,
                 "one resend request must fit the default history");
GV_STATIC_ASSERT(GV_ORDERS_PER_SHARD_MAX <= UINT32_MAX,
                 "order pool indices are u32");

#endif /* GV_LIMITS_H */
