/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_book.h - gavel's matching engine core: one shard's instruments, order
 * books, sessions and accounts, as a deterministic state machine.
 *
 * Input is a sequence of commands (struct gv_cmd), each carrying the engine
 * timestamp it was sequenced at. Output is a stream of events (struct
 * gv_event) written to a caller-provided buffer, flushed through a callback
 * when it fills. The same commands always give the same events, byte for
 * byte, and the same gv_book_hash(): the engine reads no clock, allocates
 * nothing after gv_book_create(), and takes no lock. No DPDK here.
 *
 * Rules are those of docs/protocol.md sections 1.3-1.5 and 2 (GOE/1), and
 * section 3 for the visible-book (market data) events.
 *
 * ------------------------------------------------------------------------
 * Event order (the contract the dataplane encoders and the tests rely on)
 * ------------------------------------------------------------------------
 * Every order-entry command (NEW, CANCEL, REPLACE, MASS_CANCEL) produces
 * exactly one first answer: ACCEPTED, REJECTED, REPLACED, CANCELLED or
 * MASS_CANCEL_ACK. Then, in this order, as matching happens:
 *
 * NEW accepted (limit or market):
 *   ACCEPTED
 *   for each trade, in price-time order against resting orders:
 *     [STP actions for a same-account resting order, see below]
 *     FILL (aggressor side, liquidity TAKER)
 *     FILL (resting side, liquidity MAKER)
 *     MD_EXEC (the resting order's displayed reference)
 *     if the resting order's displayed slice is used up:
 *       if it is an iceberg with hidden quantity left: MD_ADD of a new slice
 *       (new reference) at the back of the level;
 *       else (order fully filled): nothing more (MD_EXEC of the whole
 *       displayed size removes it, as in ITCH)
 *   then for the remainder, one of:
 *     rests (GTC/DAY limit):                 MD_ADD (displayed slice)
 *     IOC limit remainder:                   CANCELLED IOC_REMAINDER
 *     market remainder:                      CANCELLED NO_LIQUIDITY
 *     STP cancel-newest / cancel-both:       CANCELLED STP
 *   FOK that cannot fill completely:         CANCELLED FOK_UNFILLED
 *                                            (right after ACCEPTED; nothing
 *                                            traded, nothing else changed)
 *   then stops whose condition now holds, one at a time, earliest accepted
 *   first: STOP_TRIGGERED, then that order runs as above (no second
 *   ACCEPTED), then the check is made again.
 * NEW accepted (stop or stop-limit): ACCEPTED; if its condition already
 *   holds: STOP_TRIGGERED and it runs at once; else it waits (no MD event).
 * CANCEL: CANCELLED USER, then MD_DELETE if the order was displayed.
 * REPLACE accepted: REPLACED, then
 *   priority kept:  MD_REDUCE by the cut in displayed size (none if the
 *                   displayed size is unchanged)
 *   priority lost, no trade: MD_REPLACE (old ref -> new ref, price, size)
 *   priority lost, trades:   MD_DELETE old ref, then the trades as for NEW
 *                            (the order is the aggressor), then MD_ADD for
 *                            a remainder that rests; then stops.
 * MASS_CANCEL: MASS_CANCEL_ACK (count), then per matching order of the
 *   session (resting orders and pending stops, in acceptance order, i.e.
 *   order-id order): CANCELLED MASS_CANCEL [+ MD_DELETE if displayed].
 *
 * Self-trade prevention (incoming order against a resting order of the
 * same account; mode = the incoming order's stp, or the instrument's
 * default when 0; GV_STP_NONE = no prevention):
 *   CANCEL_NEWEST: CANCELLED STP for the incoming remainder; matching stops.
 *   CANCEL_OLDEST: CANCELLED STP for the resting order (+ MD_DELETE);
 *                  matching goes on.
 *   CANCEL_BOTH:   CANCELLED STP resting (+ MD_DELETE), then CANCELLED STP
 *                  incoming remainder; matching stops.
 *   DECREMENT:     with s = min(incoming open, resting open): the side(s)
 *                  whose open equals s are cancelled, the other is reduced
 *                  by s. Resting side first: CANCELLED STP (qty s; for a
 *                  reduction the order stays live, its hidden quantity
 *                  shrinks first, then MD_REDUCE for any displayed cut, or
 *                  MD_DELETE if it is cancelled), then the incoming side:
 *                  CANCELLED STP (qty s). If the incoming order is still
 *                  live, matching goes on.
 *
 * Engine events (admin/session commands):
 *   HALT / RESUME: MD_TRADING_STATE. Rejected only for an unknown
 *     instrument (REJECTED UNKNOWN_SYMBOL, cl_ord_id 0).
 *   END_OF_DAY: CANCELLED DAY_EXPIRY (+ MD_DELETE if displayed) for every
 *     DAY order and pending DAY stop-limit: sessions in the order they were
 *     added, each session's orders in acceptance order.
 *   SESSION_CANCEL_ALL (reason COD, KILL_SWITCH or ADMIN): CANCELLED with
 *     that reason (+ MD_DELETE if displayed) for each of the session's
 *     orders in acceptance order. With GV_CMD_F_KILL the session is killed
 *     first: every later NEW, CANCEL, REPLACE, MASS_CANCEL of it is
 *     REJECTED KILLED. SESSION_ENABLE clears the kill (no event).
 *
 * Identifiers (deterministic, per shard):
 *   order_id = shard_id << 58 | seq << 24 | slot, where seq counts accepted
 *     orders from 1 and slot locates the order in the shard's pool (O(1)
 *     lookup). `order_id >> 24` alone is unique and increasing.
 *   match_id counts trades from 1. MD references (`ref`) count from 1: a new
 *     one for every MD_ADD and every MD_REPLACE's new_ref.
 * Validation: docs/protocol.md 1.5, in that order; GV_CMD_F_THROTTLED
 *   stands for the session layer's rate limit (checked after KILLED).
 *   A (type 3) stop must be IOC or FOK; a stop-limit may have any tif.
 *   Market and stop orders' notional is checked at the reference price
 *   (last trade, else configured; skipped if there is none). A triggered
 *   stop becomes a market order bounded by the band around the reference at
 *   its trigger. A GTC/DAY order that would need a new page of price levels
 *   when none is free (counting pages reserved for pending GTC/DAY
 *   stop-limits) is REJECTED CAPACITY, like a full order pool.
 * ------------------------------------------------------------------------
 *
 * Complexity: add, cancel, replace-with-priority O(1); the next best level
 * is found through a two-level occupancy bitmap (no scan); matching is
 * O(orders traded + levels crossed); FOK feasibility walks at most the
 * orders it would trade. Stops are checked in O(1) when none can trigger.
 */
#ifndef GV_BOOK_H
#define GV_BOOK_H

#include "gv_common.h"
#include "gv_limits.h"
#include "gv_offload.h"

/* ---- wire enums (values as on the GOE/1 wire) ------------------------ */

enum gv_side { GV_SIDE_BUY = 1, GV_SIDE_SELL = 2 };

enum gv_ord_type {
	GV_TYPE_LIMIT = 1,
	GV_TYPE_MARKET = 2,
	GV_TYPE_STOP = 3,
	GV_TYPE_STOP_LIMIT = 4,
};

enum gv_tif { GV_TIF_GTC = 1, GV_TIF_IOC = 2, GV_TIF_FOK = 3, GV_TIF_DAY = 4 };

#define GV_FLAG_POST_ONLY 0x01u

enum gv_stp {
	GV_STP_DEFAULT = 0,        /* on an order: use the instrument's */
	GV_STP_CANCEL_NEWEST = 1,
	GV_STP_CANCEL_OLDEST = 2,
	GV_STP_CANCEL_BOTH = 3,
	GV_STP_DECREMENT = 4,
	GV_STP_NONE = 5,           /* instrument default only: no prevention */
};

enum gv_reject_reason {
	GV_REJ_UNKNOWN_SYMBOL = 1,
	GV_REJ_BAD_SIDE = 2,
	GV_REJ_BAD_TYPE = 3,
	GV_REJ_BAD_TIF = 4,
	GV_REJ_BAD_PRICE = 5,
	GV_REJ_PRICE_BAND = 6,
	GV_REJ_BAD_QTY = 7,
	GV_REJ_CL_ORD_ID_NOT_INCREASING = 8,
	GV_REJ_UNKNOWN_ORDER = 9,
	GV_REJ_HALTED = 10,
	GV_REJ_POST_ONLY_WOULD_TAKE = 11,
	GV_REJ_THROTTLED = 12,
	GV_REJ_BAD_FLAGS = 14,
	GV_REJ_UNSUPPORTED = 15,
	GV_REJ_MAX_NOTIONAL = 16,
	GV_REJ_CAPACITY = 17,
	GV_REJ_BAD_STOP_PRICE = 18,
	GV_REJ_KILLED = 19,
	GV_REJ_MAX = 20,
};

enum gv_cancel_reason {
	GV_CXL_USER = 1,
	GV_CXL_IOC_REMAINDER = 2,
	GV_CXL_FOK_UNFILLED = 3,
	GV_CXL_STP = 4,
	GV_CXL_MASS_CANCEL = 5,
	GV_CXL_COD = 6,
	GV_CXL_KILL_SWITCH = 7,
	GV_CXL_DAY_EXPIRY = 8,
	GV_CXL_NO_LIQUIDITY = 9,
	GV_CXL_ADMIN = 10,
	GV_CXL_MAX = 11,
};

/* ---- configuration ---------------------------------------------------- */

struct gv_book_params {
	uint32_t shard_id;        /* 0..GV_MAX_SHARDS-1; in order ids and ITCH */
	uint32_t max_orders;      /* resting orders + pending stops, the pool */
	uint32_t max_sessions;    /* sessions this shard serves */
	uint32_t max_instruments; /* instruments this shard owns */
	uint32_t max_level_pages; /* pages of 64 price levels, all books */
	/*
	 * Price-level matching offload (docs/offload.md). NULL, "" or "none":
	 * the book walks its own levels. Otherwise a backend name or
	 * "auto": each instrument gets an instance made with
	 * offload_params, and "sw" stands by for live fallback.
	 */
	const char *offload;
	struct gv_offload_params offload_params;
};

struct gv_instrument_params {
	uint32_t id;              /* 1..65535 */
	char symbol[GV_SYMBOL_LEN + 1];
	uint64_t min_qty_lots;    /* >= 1 */
	uint64_t max_qty_lots;    /* <= GV_QTY_MAX */
	uint64_t max_price_ticks; /* <= GV_PRICE_MAX */
	uint64_t max_notional;    /* price x qty per order; 0 = none */
	uint32_t price_band_bps;  /* 0 = off */
	uint64_t reference_price_ticks; /* until the first trade; 0 = none */
	uint8_t stp_default;      /* GV_STP_CANCEL_NEWEST..GV_STP_NONE */
};

/* ---- commands --------------------------------------------------------- */

enum gv_cmd_type {
	GV_CMD_NEW = 1,
	GV_CMD_CANCEL,
	GV_CMD_REPLACE,
	GV_CMD_MASS_CANCEL,
	GV_CMD_HALT,              /* instrument; admin */
	GV_CMD_RESUME,
	GV_CMD_END_OF_DAY,
	GV_CMD_SESSION_CANCEL_ALL, /* session; reason in u.cancel_all */
	GV_CMD_SESSION_ENABLE,    /* clears a kill switch */
};

/* Set by the session layer: the session's rate limit refused this message. */
#define GV_CMD_F_THROTTLED 0x01u
/* SESSION_CANCEL_ALL: also kill the session (reject new orders KILLED). */
#define GV_CMD_F_KILL      0x02u

struct gv_cmd {
	uint8_t type;             /* enum gv_cmd_type */
	uint8_t flags;            /* GV_CMD_F_* */
	uint16_t reserved;
	uint32_t session;         /* session id (0 for HALT/RESUME/EOD) */
	uint64_t ts_ns;           /* engine timestamp, ns since the epoch */
	union {
		struct {          /* NEW: the GOE/1 'N' fields */
			uint32_t symbol;
			uint8_t side, type, tif, flags;
			uint64_t cl_ord_id;
			int64_t price;
			uint64_t qty;
			int64_t stop_price;
			uint64_t display_qty;
			uint8_t stp;
		} new_order;
		struct {          /* CANCEL */
			uint64_t cl_ord_id;
		} cancel;
		struct {          /* REPLACE */
			uint64_t orig_cl_ord_id;
			uint64_t new_cl_ord_id;
			int64_t new_price;
			uint64_t new_qty;   /* new open quantity */
		} replace;
		struct {          /* MASS_CANCEL */
			uint32_t symbol;    /* 0 = all */
			uint8_t side;       /* 0 = both */
		} mass_cancel;
		struct {          /* HALT, RESUME */
			uint32_t symbol;
		} instrument;
		struct {          /* SESSION_CANCEL_ALL */
			uint16_t reason;    /* GV_CXL_COD, _KILL_SWITCH, _ADMIN */
		} cancel_all;
	} u;
};

/* ---- events ----------------------------------------------------------- */

enum gv_event_type {
	/* Execution reports (GOE/1 'a' 'j' 'f' 'x' 'r' 't' 'e'). */
	GV_EV_ACCEPTED = 1,
	GV_EV_REJECTED,
	GV_EV_FILL,
	GV_EV_CANCELLED,
	GV_EV_REPLACED,
	GV_EV_STOP_TRIGGERED,
	GV_EV_MASS_CANCEL_ACK,
	/* Visible-book changes (ITCH 'A' 'E' 'X' 'D' 'U' 'H'). */
	GV_EV_MD_ADD,
	GV_EV_MD_EXEC,
	GV_EV_MD_REDUCE,
	GV_EV_MD_DELETE,
	GV_EV_MD_REPLACE,
	GV_EV_MD_TRADING_STATE,
	GV_EV_MAX,
};

#define GV_LIQ_MAKER 1
#define GV_LIQ_TAKER 2

/*
 * One event, one cache line. Field use by type:
 *  ACCEPTED   ord: cl_ord_id, order_id, price (0 for market/stop), qty =
 *             open qty at acceptance, side, ord_type, tif
 *  REJECTED   ord: cl_ord_id (new_cl_ord_id for REPLACE, 0 for MASS_CANCEL
 *             and admin commands), reason; side and instrument are 0
 *  FILL       ord: cl_ord_id, order_id, price, qty, open_qty after, side,
 *             liquidity, match_id
 *  CANCELLED  ord: cl_ord_id, order_id, qty = cancelled qty, open_qty =
 *             open left (0 unless an STP decrement), side, reason
 *  REPLACED   ord: cl_ord_id = new, orig_cl_ord_id, order_id, price,
 *             open_qty, side, priority_kept
 *  STOP_TRIGGERED ord: cl_ord_id, order_id, side
 *  MASS_CANCEL_ACK ord: qty = orders cancelled, symbol in `instrument`
 *             (0 = all)
 *  MD_ADD     md: ref, side, price, qty (displayed)
 *  MD_EXEC    md: ref, qty, price (the resting order's), match_id
 *  MD_REDUCE  md: ref, qty (cut from the displayed size)
 *  MD_DELETE  md: ref
 *  MD_REPLACE md: ref (old), new_ref, price, qty
 *  MD_TRADING_STATE md: halted
 * `session` is the session the execution report goes to (0 for MD events).
 */
struct gv_event {
	uint8_t type;             /* enum gv_event_type */
	uint8_t side;             /* enum gv_side, 0 if none */
	uint16_t instrument;      /* instrument id (ITCH stock locate) */
	uint32_t session;
	union {
		struct {
			uint64_t cl_ord_id;
			uint64_t order_id;
			int64_t price;
			uint64_t qty;
			uint64_t open_qty;
			uint64_t aux;       /* match_id | orig_cl_ord_id */
			uint16_t reason;
			uint8_t ord_type;
			uint8_t tif;
			uint8_t liquidity;  /* FILL */
			uint8_t priority_kept; /* REPLACED */
			uint8_t pad[2];
		} ord;
		struct {
			uint64_t ref;
			uint64_t new_ref;
			int64_t price;
			uint64_t qty;
			uint64_t match_id;
			uint8_t halted;
			uint8_t pad[15];
		} md;
	} u;
};

GV_STATIC_ASSERT(sizeof(struct gv_event) == 64, "an event is one cache line");

/*
 * Events go to a caller-owned array; when it is full the engine calls
 * flush(arg, ev, n) and starts again at ev[0]. The caller must also flush
 * what is left after each command (or batch), n = evbuf->n.
 */
struct gv_evbuf {
	struct gv_event *ev;
	uint32_t n;
	uint32_t cap;             /* >= 1 */
	void (*flush)(void *arg, const struct gv_event *ev, uint32_t n);
	void *arg;
};

/* ---- state and counters ---------------------------------------------- */

enum gv_book_counter {
	GV_CNT_CMDS,
	GV_CNT_NEW,
	GV_CNT_CANCEL,
	GV_CNT_REPLACE,
	GV_CNT_MASS_CANCEL,
	GV_CNT_ADMIN,
	GV_CNT_ACCEPTED,
	GV_CNT_REJECTED,
	GV_CNT_FILLS,             /* trades (one per aggressor/resting pair) */
	GV_CNT_VOLUME,            /* lots traded */
	GV_CNT_CANCELLED,
	GV_CNT_STOPS_TRIGGERED,
	GV_CNT_BAD_CMD,           /* unknown command type or session */
	GV_CNT_MAX,
};

struct gv_book; /* opaque: one shard's engine */

/*
 * Create a shard engine. Everything it will ever use is allocated here.
 * Returns NULL and sets gv_errno: EINVAL (a parameter out of range),
 * ENOMEM.
 */
struct gv_book *gv_book_create(const struct gv_book_params *p);

/* NULL is a no-op. */
void gv_book_free(struct gv_book *b);

/*
 * Add an instrument (before the first command).
 * Returns 0, -EINVAL (a parameter out of range, a band without a reference
 * price, a max price or qty over 2^32 - 1), -EEXIST (id or symbol taken),
 * -ENOSPC (max_instruments reached), -ENOMEM.
 */
int gv_book_add_instrument(struct gv_book *b,
                           const struct gv_instrument_params *p);

/*
 * Add a session and the account it trades for (STP scope).
 * Returns 0, -EINVAL (id or account 0), -EEXIST, -ENOSPC.
 */
int gv_book_add_session(struct gv_book *b, uint32_t session_id,
                        uint32_t account);

/*
 * Apply one command; its events are appended to `out`. Bad input is
 * answered with REJECTED (or, for an unknown session or command type,
 * counted in GV_CNT_BAD_CMD with no event) and never changes the book.
 * Returns the number of events it produced.
 */
uint32_t gv_book_apply(struct gv_book *b, const struct gv_cmd *cmd,
                       struct gv_evbuf *out);

/* A 64-bit hash (FNV-1a) of the whole deterministic state. */
uint64_t gv_book_hash(const struct gv_book *b);

/*
 * Check every internal invariant (uncrossed books, level totals equal the
 * sum of their orders, FIFO links, bitmaps, pool and hash accounting,
 * session lists). O(state); for tests and debug.
 * Returns 0, or -EFAULT with a description in `why`.
 */
int gv_book_check(const struct gv_book *b, char *why, size_t whylen);

uint64_t gv_book_counter(const struct gv_book *b, enum gv_book_counter c);

/*
 * The offload, for operators. `backend` is the backend the instruments
 * use now: the configured one, "sw" once every instrument has fallen
 * back, "mixed" in between, "none" without offload (or after even "sw"
 * failed: the host then walks alone, with the same results).
 */
struct gv_book_offload_info {
	char backend[16];
	uint64_t matches;         /* MATCHes answered by a backend */
	uint64_t ops;             /* commands submitted, all instruments */
	uint64_t faults;          /* backend errors and wrong answers */
	uint64_t fallbacks;       /* instruments switched to "sw" */
};

void gv_book_offload_info(const struct gv_book *b,
                          struct gv_book_offload_info *info);

/* Why the last gv_book_add_instrument() failed with -ENODEV/-ENOENT. */
const char *gv_book_offload_why(const struct gv_book *b);

/* REJECTED events by reason (enum gv_reject_reason) and CANCELLED events
 * by reason (enum gv_cancel_reason); 0 for a reason out of range. */
uint64_t gv_book_rejects(const struct gv_book *b, unsigned reason);
uint64_t gv_book_cancels(const struct gv_book *b, unsigned reason);

/* ---- read-only views (tests, control plane, benchmarks) -------------- */

struct gv_level_view {
	int64_t price;
	uint64_t visible_qty;     /* displayed */
	uint64_t total_qty;       /* displayed + hidden iceberg quantity */
	uint32_t orders;
};

/*
 * Fill up to `n` levels of one side of an instrument, best first.
 * Returns how many were filled, or -ENOENT for an unknown instrument.
 */
int gv_book_depth(const struct gv_book *b, uint32_t instrument,
                  enum gv_side side, struct gv_level_view *lv, uint32_t n);

struct gv_order_view {
	uint64_t order_id;
	uint64_t cl_ord_id;
	uint32_t session;
	uint32_t instrument;
	int64_t price;
	int64_t stop_price;       /* pending stops only */
	uint64_t open_qty;
	uint64_t visible_qty;
	uint8_t side, ord_type, tif, pending_stop;
};

/*
 * Call fn for every resting order of one side of an instrument, best price
 * first, time priority within a price. Returns the number of orders, or
 * -ENOENT for an unknown instrument.
 */
int gv_book_foreach_order(const struct gv_book *b, uint32_t instrument,
                          enum gv_side side,
                          void (*fn)(void *arg, const struct gv_order_view *o),
                          void *arg);

/* Live (resting or pending-stop) order counts for the shard. */
uint32_t gv_book_live_orders(const struct gv_book *b);

/* Last trade price of an instrument, 0 if none yet (or unknown). */
int64_t gv_book_last_price(const struct gv_book *b, uint32_t instrument);

/*
 * Scalar state of an instrument, for the control plane. It may read from
 * another thread than the shard's: each field is a plain aligned load,
 * possibly a moment old, never torn. Returns 0 or -ENOENT.
 */
struct gv_instrument_view {
	bool halted;
	int64_t last_price;
	uint32_t levels[2];       /* price levels: [0] bids, [1] asks */
	uint32_t orders[2];       /* resting orders */
	uint32_t stops;           /* pending stops */
	uint64_t accepted;        /* orders accepted (statistics) */
	uint64_t fills;           /* trades */
	uint64_t volume;          /* lots traded */
};
int gv_book_instrument_view(const struct gv_book *b, uint32_t instrument,
                            struct gv_instrument_view *v);

/* Is the session's kill switch on? (false for an unknown session) */
bool gv_book_session_killed(const struct gv_book *b, uint32_t session);

#endif /* GV_BOOK_H */
