/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_shard.h - one shard's deterministic engine: the GOE/1 session layer,
 * the book and the market-data stream, fed with UDP payloads and engine
 * timestamps, producing UDP payloads. No DPDK: the dataplane (dp_*.c)
 * moves packets to and from it; tests and tools drive it directly.
 *
 * A session belongs to one shard (config `sessions[].shard`) and trades the
 * instruments of that shard; an order for another shard's instrument is
 * rejected UNKNOWN_SYMBOL. So every piece of a session's state (logon,
 * sequence numbers, resend history, rate limit) lives in one shard, and a
 * shard's whole state is a function of its input: (payload, source,
 * engine time) in order. gv_shard_hash() covers all of it.
 *
 * Session rules (docs/protocol.md 1.1-1.2):
 *  - drop silently (counted, never answered): bad framing, unknown session,
 *    source outside the session's prefix, bad MAC, sequenced messages of a
 *    session that is not logged on;
 *  - Logon: heartbeat_ms 100..60000, cancel_on_disconnect 0/1, ts_ns above
 *    the last accepted Logon's and within +-5 s of the engine clock, else
 *    ignored; answered 'l' to its source, which becomes the session's peer;
 *  - sequenced datagrams: messages below expected_in are duplicates
 *    (ignored, counted); a first message above it drops the datagram and
 *    answers 'g'; others are applied in order. Each applied message takes a
 *    token from the session's bucket (rate, burst; refilled by engine
 *    time); without one it reaches the book flagged THROTTLED;
 *  - outbound 'a j f x r t e' carry the session's outbound sequence from 1
 *    and are kept in a resend ring (config engine.resend_history); 'Q'
 *    resends them with their original numbers, older ones are answered 'g';
 *    a session that is not logged on still numbers and keeps its messages;
 *  - a logged-on client silent for 3 x heartbeat_ms is disconnected when
 *    the engine clock passes the deadline (gv_shard_tick, which gv_shard_rx
 *    runs first); a Logout or a disconnect with cancel_on_disconnect
 *    cancels the session's orders (COD) through the book;
 *  - gavel sends 'h' to a logged-on peer after heartbeat_ms without output.
 * Market data: MoldUDP64 session "GAVELnnnnn" (nn = shard), sequence from
 * 1; at create: S 'O', one R per instrument, S 'Q'; a heartbeat packet
 * after 1 s without market data; end of day (config engine.end_of_day, or
 * gv_shard_end_of_day) expires DAY orders; gv_shard_close sends S 'M',
 * S 'C' and an end-of-session packet.
 */
#ifndef GV_SHARD_H
#define GV_SHARD_H

#include "gv_book.h"
#include "gv_config.h"
#include "gv_goe.h"

/* An IPv4 endpoint in host byte order. */
struct gv_addr {
	uint32_t ip;
	uint16_t port;
};

/* Where output goes: called for each finished UDP payload. */
struct gv_shard_out {
	void (*emit)(void *arg, const struct gv_addr *dst, const uint8_t *payload,
	             uint32_t len);
	void *arg;
};

enum gv_shard_counter {
	GV_SH_RX_DGRAMS,          /* datagrams handed to gv_shard_rx */
	GV_SH_RX_ACCEPTED,        /* passed framing, session, source, MAC */
	GV_SH_DROP_FIRST,         /* + enum gv_goe_drop: drops by reason */
	GV_SH_DROP_NOT_LOGGED_ON = GV_SH_DROP_FIRST + GV_GOE_DROP_MAX,
	GV_SH_MSGS_IN,            /* client messages applied */
	GV_SH_DUPLICATES,         /* sequenced messages below expected_in */
	GV_SH_GAPS,               /* datagrams dropped for a gap ('g' sent) */
	GV_SH_THROTTLED,
	GV_SH_LOGONS,
	GV_SH_LOGONS_IGNORED,     /* replayed, stale or out-of-range Logons */
	GV_SH_LOGOUTS,
	GV_SH_DISCONNECTS,        /* heartbeat timeouts */
	GV_SH_RESEND_REQUESTS,
	GV_SH_RESENT_MSGS,
	GV_SH_MSGS_OUT,           /* execution reports numbered */
	GV_SH_TX_DGRAMS,          /* GOE/1 datagrams emitted */
	GV_SH_MD_MSGS,            /* ITCH messages */
	GV_SH_MD_PKTS,            /* MoldUDP64 packets emitted (heartbeats too) */
	GV_SH_IGNORED,            /* well-formed but not applicable (e.g. 'H'
	                             from a session that is not logged on) */
	GV_SH_IN_TYPE_FIRST,      /* + index of the type in "NCRMLOHQ": client
	                             messages in accepted datagrams, by type */
	GV_SH_MAX = GV_SH_IN_TYPE_FIRST + 8,
};

struct gv_shard;

/*
 * Build shard `shard_id` from the config: its instruments, its sessions,
 * pools sized from engine.orders_per_shard. `out` receives every packet.
 * `start_ns` is the engine time at start (stamps the opening messages).
 * Returns NULL and sets gv_errno (EINVAL: the shard has no lcore entry, an
 * instrument does not fit ITCH; ENOMEM).
 */
struct gv_shard *gv_shard_create(const struct gv_config *cfg,
                                 uint32_t shard_id,
                                 const struct gv_shard_out *out,
                                 uint64_t start_ns);

/* Emit the closing market-data messages and free everything. NULL: no-op. */
void gv_shard_close(struct gv_shard *sh, uint64_t now_ns);

/*
 * One received UDP payload from `src`, at engine time now_ns (monotonic
 * per shard; a replay uses the capture's clock). Runs the timers up to
 * now_ns first. Replies and market data are emitted before it returns.
 */
void gv_shard_rx(struct gv_shard *sh, const uint8_t *payload, uint32_t len,
                 const struct gv_addr *src, uint64_t now_ns);

/* One received datagram, for gv_shard_rx_burst. */
struct gv_shard_in {
	const uint8_t *payload;
	uint32_t len;
	struct gv_addr src;
	uint64_t now_ns;
};

/*
 * n datagrams, exactly as n calls of gv_shard_rx in order (same state,
 * same output), but the MACs of each GV_BURST_MAX of them are checked
 * together (gv_mac_burst), which is several times cheaper per datagram.
 */
void gv_shard_rx_burst(struct gv_shard *sh, const struct gv_shard_in *in,
                       uint32_t n);

/*
 * Batching: with it on, gv_shard_rx leaves each session's reply datagram
 * and the market-data packet open, so that the replies to a whole burst of
 * input share datagrams (fewer frames, fewer MACs); gv_shard_flush emits
 * them. Messages, their sequence numbers and their order within a session
 * or the market-data stream are the same either way; only how they are cut
 * into datagrams changes. Timers and operator actions still emit at once.
 * Finished datagrams wait in a queue of 32 whose GOE/1 MACs are computed
 * together; it is emitted when full and by gv_shard_flush. Off by default.
 */
void gv_shard_set_batching(struct gv_shard *sh, bool on);
void gv_shard_flush(struct gv_shard *sh);

/* Run the timers (disconnects, end of day, heartbeats) up to now_ns. */
void gv_shard_tick(struct gv_shard *sh, uint64_t now_ns);

/* Operator actions, applied as engine events at now_ns. */
int gv_shard_end_of_day(struct gv_shard *sh, uint64_t now_ns);
int gv_shard_halt(struct gv_shard *sh, uint32_t instrument, bool halt,
                  uint64_t now_ns);
int gv_shard_kill(struct gv_shard *sh, uint32_t session, bool kill,
                  uint64_t now_ns);

uint64_t gv_shard_counter(const struct gv_shard *sh, enum gv_shard_counter c);

/*
 * A session's state for the control plane; i < gv_shard_sessions(). Like
 * the counters, it may be read from another thread: plain aligned loads,
 * possibly a moment old. Returns 0 or -ENOENT.
 */
struct gv_shard_session_view {
	uint32_t id;
	bool logged_on;
	bool killed;
	uint64_t next_in;         /* expected inbound sequence number */
	uint64_t next_out;        /* next outbound sequence number */
};
uint32_t gv_shard_sessions(const struct gv_shard *sh);
int gv_shard_session_view(const struct gv_shard *sh, uint32_t i,
                          struct gv_shard_session_view *v);
const struct gv_book *gv_shard_book(const struct gv_shard *sh);
/* Hash of the whole deterministic state: book, sessions, MD sequence. */
uint64_t gv_shard_hash(const struct gv_shard *sh);

/* Index of a client message type in "NCRMLOHQ" (GV_SH_IN_TYPE_FIRST + i),
 * or -1 for any other byte. */
int gv_shard_type_index(uint8_t type);

/* Which shard serves a session id (from the config); -1 if none. The
 * dataplane steers datagrams with it before any other check. */
int gv_config_session_shard(const struct gv_config *cfg, uint32_t session);

#endif /* GV_SHARD_H */
