/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_shard.c - one shard's deterministic engine: GOE/1 sessions in front of
 * the book, execution reports back to the sessions, ITCH/MoldUDP64 out.
 *
 * Structure
 *  - `sess[]`: the shard's sessions in configuration order (the book's
 *    order too, so end of day and the hash walk them alike), found by id
 *    through `by_id[]`, sorted by id (binary search, O(log n)), behind a
 *    64-entry direct-mapped cache (`sess_cache[]`, O(1) when it hits).
 *  - `ins[]`: the shard's instruments sorted by id, with the space-padded
 *    ITCH stock field (binary search for 'A' and 'H').
 *  - The book writes events to `evbuf`; its flush callback (on_events)
 *    routes each one: an execution report is numbered with the session's
 *    next_out, encoded once, in place at the end of the session's open
 *    sequenced datagram if the session is logged on (else into `enc`),
 *    and copied from there into its 64-byte slot of the session's resend
 *    ring with non-temporal stores (the ring is written once and read
 *    only by resends, which append a slot to the datagram with one fixed
 *    64-byte copy); a market-data event goes into the shard's open
 *    MoldUDP64 packet. A
 *    full datagram or packet goes to the tx queue (`txq[]`); what is
 *    left is queued when the input (a datagram, a tick, an operator
 *    action) is done.
 *  - MACs in bursts (gv_mac.h): the tx queue holds up to TXQ_CAP finished
 *    datagrams in emission order; when it is full or the input is done,
 *    the GOE/1 ones are MAC'd together and all are emitted in order.
 *    Queueing swaps buffers (the writer gets the slot's spare), so no
 *    datagram is copied. Inbound, gv_shard_rx_burst checks the MACs of a
 *    whole burst together before handling its datagrams one by one.
 *  - Timers (heartbeat timeouts, outgoing heartbeats, the market-data
 *    heartbeat, end of day) are checked only when the engine clock reaches
 *    `next_timer_ns`, the earliest deadline: a tick with nothing due is
 *    O(1), one with something due walks the sessions once, O(sessions).
 *    Deadlines only move later except at a Logon, which lowers
 *    next_timer_ns itself.
 *
 * Memory (all allocated at create, nothing after):
 *  - per session: the resend ring, resend_history x 64 bytes (one
 *    GV_GOE_LEN_MAX slot per message; the length is the message's own
 *    header, so none is stored): 4 MiB at the default 65,536; plus a
 *    reply datagram buffer (1,472 bytes and 64 of slack for
 *    gv_goe_put_slot's fixed-size copies and in-place encoding) and
 *    about 100 bytes of state;
 *    per shard, TXQ_CAP + 2 more such buffers (tx queue, market data,
 *    unsequenced replies).
 *    The rings are allocated line-aligned and zeroed at create, so
 *    their memory is committed then and the hot path takes no page
 *    fault: size resend_history for the sessions configured (4,096
 *    sessions at the default are 16 GiB).
 *  - the book: max_orders = engine.orders_per_shard, max_level_pages =
 *    max(256, orders_per_shard / 16) pages of 64 price levels (2,112 bytes
 *    each; 132 MiB at the default 2^20 orders; an order that would need
 *    one more is rejected CAPACITY).
 *
 * Decisions where gv_shard.h and the protocol are silent
 *  - Market data goes to engine.market_data's IPv4 address, port + shard
 *    id. If that endpoint is unset or IPv6 (or port + shard id passes
 *    65535), packets are still built, numbered and counted, and emitted
 *    with dst {0, 0}: the dataplane counts them as having no route.
 *  - Replies' datagram ts_ns is the engine time they are emitted at.
 *    Resent messages are byte-identical to the originals; their datagram
 *    headers (ts_ns, MAC) are new.
 *  - A datagram refreshes its session's liveness (deadline = its time +
 *    3 x heartbeat_ms) when it passed framing, session, source and MAC and
 *    the session is logged on (duplicates and gaps included). The session
 *    is disconnected when the clock is past the deadline (now > deadline);
 *    'h' goes out when now - last output >= heartbeat_ms.
 *  - Logout and heartbeat-timeout disconnects first mark the session not
 *    logged on, then cancel (COD): the cancels are numbered and kept in the
 *    resend ring, not sent (a new Logon's 'l' shows next_out; 'Q' gets
 *    them).
 *  - 'H', 'O' and 'Q' from a session that is not logged on, and 'Q' with a
 *    count outside 1..1000, are ignored (GV_SH_IGNORED).
 *  - 'Q' from_seq older than the ring (or 0) is answered 'g' with
 *    expected_in, then whatever part of the range is still in the ring is
 *    resent. Messages not yet numbered (>= next_out) are skipped.
 *  - Only sequenced messages (N C R M) take a token; GV_SH_MSGS_IN counts
 *    the messages applied to the book.
 *  - Token bucket: tokens are kept in units of 1e-9 token, so a refill over
 *    dt ns adds dt x rate exactly; a message costs 1e9; the bucket holds
 *    burst x 1e9 and starts full.
 *  - End of day (config): at the first end_of_day_s instant strictly after
 *    start_ns, then every 24 h. A clock jump over several instants applies
 *    END_OF_DAY once and schedules the next instant after now.
 *  - Operator actions run the timers up to now_ns first. halt/kill of an
 *    unknown instrument/session return -ENOENT and change nothing.
 *  - The opening 'R' messages come in instrument id order. A Logout is
 *    not answered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gv_errno.h"
#include "gv_itch.h"
#include "gv_mac.h"
#include "gv_shard.h"
#include "gv_wire_pvt.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define NS_PER_DAY (86400ull * NS_PER_S)
#define LOGON_SKEW_NS (5ull * NS_PER_S)
#define MD_HEARTBEAT_NS NS_PER_S
#define TOKEN NS_PER_S               /* one message, in bucket units */
#define EVBUF_CAP 64u
#define LEVEL_PAGES_MIN 256u
#define NO_TIME UINT64_MAX
#define SESS_CACHE 64u               /* a power of two */
/* A reply datagram buffer, with the room gv_goe_put_slot copies into. */
#define DGRAM_STRIDE (GV_DGRAM_MAX + GV_GOE_SLOT_SLACK)
#define TXQ_CAP 32u                  /* datagrams MAC'd together */

/* A finished datagram waiting in the tx queue. */
struct txq_ent {
	uint8_t *buf;                /* DGRAM_STRIDE bytes; when the slot
	                              * is free, its spare buffer */
	const uint8_t *key;          /* GOE/1: MAC with it; NULL: ITCH */
	struct gv_addr dst;
	uint32_t len;
};

struct ins_entry {
	uint32_t id;
	char stock[GV_SYMBOL_LEN];   /* space-padded ITCH stock field */
};

struct sess_key {
	uint32_t id;
	uint32_t idx;                /* into sess[] */
};

struct sess {
	/* configuration */
	uint32_t id;
	uint32_t rate;               /* msgs/s; 0 = unlimited */
	uint64_t cap;                /* burst x TOKEN */
	struct gv_prefix allowed;
	uint32_t src_net, src_mask;  /* `allowed` if IPv4, host order */
	bool src_v4;
	uint8_t key[GV_KEY_LEN];
	/* deterministic state */
	bool logged_on;
	bool cod;
	struct gv_addr peer;
	uint32_t heartbeat_ms;
	uint64_t logon_ts_ns;        /* sender ts of the last accepted Logon */
	uint64_t expected_in;        /* next inbound sequence number */
	uint64_t next_out;           /* next outbound sequence number */
	uint64_t tokens;
	uint64_t refill_ns;          /* engine time of the last refill */
	uint64_t last_rx_ns;         /* liveness */
	uint64_t last_tx_ns;         /* last output to the peer */
	/* output under construction */
	bool open;                   /* w holds a sequenced datagram */
	bool dirty;                  /* listed in sh->dirty */
	uint64_t w_next;             /* seq the next message in w must have */
	struct gv_goe_writer w;
	uint8_t *dgram;              /* DGRAM_STRIDE bytes */
	uint8_t *hist;               /* resend ring: hist_n x GV_GOE_LEN_MAX */
};

struct gv_shard {
	uint32_t id;
	struct gv_book *book;
	struct gv_shard_out out;
	uint64_t now_ns;             /* engine time of the input in progress */
	bool batching;               /* gv_shard_rx leaves output open */
	uint64_t cnt[GV_SH_MAX];

	uint32_t nsess;
	struct sess *sess;
	struct sess_key *by_id;
	uint32_t *dirty;             /* sessions with an open datagram */
	uint32_t ndirty;
	/* id -> session, direct-mapped in front of the binary search: every
	 * datagram and every execution report looks its session up. */
	struct sess *sess_cache[SESS_CACHE];
	uint32_t hist_n;             /* ring slots, a power of two */
	uint8_t *hist;               /* all rings */
	uint8_t *dgrams;             /* all datagram buffers */
	struct txq_ent txq[TXQ_CAP];
	uint32_t txq_n;

	uint32_t nins;
	struct ins_entry *ins;
	const struct ins_entry *last_ins; /* md routing cache */

	/* market data */
	char mold_session[GV_MOLD_SESSION_LEN];
	struct gv_addr md_dst;
	uint64_t md_next;            /* sequence of the next ITCH message */
	uint64_t md_last_ns;         /* last packet emitted */
	uint64_t tod_of, tod_ns;     /* ns_of_day(tod_of), a cache */
	bool md_open;
	struct gv_mold_writer mw;
	uint8_t *md_buf;             /* DGRAM_STRIDE bytes */

	/* timers */
	uint64_t next_timer_ns;
	uint64_t eod_ns;             /* next configured end of day; NO_TIME */

	struct gv_evbuf evbuf;
	/* a report for a logged-off session, encoded for its resend ring */
	uint8_t enc[GV_GOE_LEN_MAX];
	struct gv_event ev[EVBUF_CAP];
	uint8_t *scratch;            /* DGRAM_STRIDE bytes */
	struct gv_goe_dgram dg;      /* the datagram being handled */
} GV_CACHE_ALIGNED;

/* ---- lookups ------------------------------------------------------------ */

static struct sess *sess_search(const struct gv_shard *sh, uint32_t id)
{
	uint32_t lo = 0, hi = sh->nsess;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sh->by_id[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sh->nsess && sh->by_id[lo].id == id)
		return &sh->sess[sh->by_id[lo].idx];
	return NULL;
}

static inline struct sess *sess_find(struct gv_shard *sh, uint32_t id)
{
	struct sess **slot = &sh->sess_cache[id & (SESS_CACHE - 1)];

	if (gv_likely(*slot != NULL && (*slot)->id == id))
		return *slot;
	*slot = sess_search(sh, id);
	return *slot;
}

static const struct ins_entry *ins_find(const struct gv_shard *sh,
                                        uint32_t id)
{
	uint32_t lo = 0, hi = sh->nins;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sh->ins[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sh->nins && sh->ins[lo].id == id)
		return &sh->ins[lo];
	return NULL;
}

static inline uint32_t sess_index(const struct gv_shard *sh,
                                  const struct sess *s)
{
	return (uint32_t)(s - sh->sess);
}

static inline uint8_t *hist_slot(const struct gv_shard *sh,
                                 const struct sess *s, uint64_t seq)
{
	return s->hist + (size_t)(seq & (sh->hist_n - 1)) * GV_GOE_LEN_MAX;
}

static inline uint32_t msg_len(const uint8_t *msg)
{
	return (uint32_t)msg[0] | (uint32_t)msg[1] << 8;
}

/*
 * Keep message `seq`, the GV_GOE_LEN_MAX bytes at `msg`, in the session's
 * resend ring. The ring is far bigger than the caches and read back only
 * for resends: whole-line non-temporal stores neither read each line
 * before writing it nor evict the book's lines to hold it. (This core's
 * own later loads see them; no other thread reads the ring.)
 */
static inline void hist_keep(const struct gv_shard *sh, const struct sess *s,
                             uint64_t seq, const uint8_t *msg)
{
	uint8_t *slot = hist_slot(sh, s, seq);

#if defined(__SSE2__)
	for (uint32_t i = 0; i < GV_GOE_LEN_MAX; i += 16)
		_mm_stream_si128((__m128i *)(void *)(slot + i),
		                 _mm_loadu_si128((const __m128i *)(const void *)
		                                         (msg + i)));
#else
	memcpy(slot, msg, GV_GOE_LEN_MAX);
#endif
}

/* ---- output: GOE/1 ------------------------------------------------------ */

/* MAC the queued GOE/1 datagrams together, then emit all in order. */
static void tx_drain(struct gv_shard *sh)
{
	struct gv_mac_job job[TXQ_CAP];
	uint64_t mac[TXQ_CAP];
	uint8_t *at[TXQ_CAP];
	uint32_t i, nj = 0;

	GV_ASSERT(sh->txq_n <= TXQ_CAP);
	for (i = 0; i < sh->txq_n; i++) {
		const struct txq_ent *t = &sh->txq[i];

		if (t->key == NULL)
			continue;
		job[nj] = (struct gv_mac_job){ t->buf, t->len, t->key };
		at[nj++] = t->buf + GV_GOE_MAC_OFF;
	}
	if (nj > 0)
		gv_mac_burst(job, nj, mac);
	for (i = 0; i < nj; i++)
		gv_put_le64(at[i], mac[i]);
	for (i = 0; i < sh->txq_n; i++) {
		const struct txq_ent *t = &sh->txq[i];

		sh->out.emit(sh->out.arg, &t->dst, t->buf, t->len);
	}
	sh->txq_n = 0;
}

/*
 * Queue the finished datagram in *bufp (sealed, if GOE/1: key set) for
 * `dst`. *bufp gets the queue slot's spare buffer in exchange.
 */
static void tx_push(struct gv_shard *sh, uint8_t **bufp, uint32_t len,
                    const uint8_t *key, const struct gv_addr *dst)
{
	struct txq_ent *t;
	uint8_t *spare;

	if (sh->txq_n == TXQ_CAP)
		tx_drain(sh);
	t = &sh->txq[sh->txq_n++];
	spare = t->buf;
	t->buf = *bufp;
	*bufp = spare;
	t->key = key;
	t->dst = *dst;
	t->len = len;
}

/* Finish and emit the session's open sequenced datagram, if any. */
static void sess_flush(struct gv_shard *sh, struct sess *s)
{
	uint32_t len;

	if (!s->open)
		return;
	len = gv_goe_seal(&s->w);
	tx_push(sh, &s->dgram, len, s->key, &s->peer);
	sh->cnt[GV_SH_TX_DGRAMS]++;
	s->last_tx_ns = sh->now_ns;
	s->open = false;
}

/* Flush the session's open datagram and begin one whose first message
 * will be `seq`. */
static void sess_open(struct gv_shard *sh, struct sess *s, uint64_t seq)
{
	sess_flush(sh, s);
	gv_goe_begin(&s->w, s->dgram, s->id, seq, sh->now_ns);
	s->open = true;
	s->w_next = seq;
	if (!s->dirty) {
		s->dirty = true;
		sh->dirty[sh->ndirty++] = sess_index(sh, s);
	}
}

/* sess_put_seq's slow path: a new datagram, starting with message `seq`. */
static void sess_put_seq_new(struct gv_shard *sh, struct sess *s,
                             uint64_t seq, const uint8_t *slot, uint32_t len)
{
	sess_open(sh, s, seq);
	GV_VERIFY(gv_goe_put_slot(&s->w, slot, len) == 0);
	s->w_next = seq + 1;
}

/* Append message `seq` (already encoded in its ring slot) to the
 * session's sequenced datagram, starting a new one when it is full or not
 * contiguous. The common case, inlined into the router, is one check and
 * one fixed-size copy. */
static inline void sess_put_seq(struct gv_shard *sh, struct sess *s,
                                uint64_t seq, const uint8_t *slot)
{
	uint32_t len = msg_len(slot);

	GV_ASSERT(len >= GV_MSG_HDR_LEN && len <= GV_GOE_LEN_MAX);
	GV_ASSERT(seq >= 1 && seq < s->next_out + 1);
	GV_ASSERT(seq + sh->hist_n >= s->next_out);
	if (gv_likely(s->open && s->w_next == seq) &&
	    gv_goe_put_slot(&s->w, slot, len) == 0) {
		s->w_next++;
		return;
	}
	sess_put_seq_new(sh, s, seq, slot, len);
}

enum unseq_kind { U_LOGON_ACK, U_SEQ_GAP, U_HEARTBEAT };

/* Send one unsequenced message ('l', 'g', 'h') to the peer now, after the
 * session's pending sequenced datagram (output keeps its order). */
static void sess_send_unseq(struct gv_shard *sh, struct sess *s,
                            enum unseq_kind k)
{
	struct gv_goe_writer w;
	uint32_t len;
	int rc;

	sess_flush(sh, s);
	gv_goe_begin(&w, sh->scratch, s->id, 0, sh->now_ns);
	switch (k) {
	case U_LOGON_ACK:
		rc = gv_goe_put_logon_ack(&w, s->expected_in, s->next_out);
		break;
	case U_SEQ_GAP:
		rc = gv_goe_put_seq_gap(&w, s->expected_in);
		break;
	default:
		rc = gv_goe_put_heartbeat(&w);
		break;
	}
	GV_VERIFY(rc == 0);
	len = gv_goe_seal(&w);
	tx_push(sh, &sh->scratch, len, s->key, &s->peer);
	sh->cnt[GV_SH_TX_DGRAMS]++;
	s->last_tx_ns = sh->now_ns;
}

/*
 * An execution report: number it, send it if logged on, keep it. It is
 * encoded once, in place at the end of the session's open datagram (a
 * hot line) when logged on, else into the shard's `enc`, and copied from
 * there into the resend ring.
 */
static void route_report(struct gv_shard *sh, const struct gv_event *e)
{
	struct sess *s;
	uint64_t seq;
	uint8_t *msg;

	s = sess_find(sh, e->session);
	if (s == NULL)
		return; /* an admin command's REJECTED (session 0) */
	GV_ASSERT(s->next_out >= 1 && sess_index(sh, s) < sh->nsess);
	seq = s->next_out;
	if (s->logged_on) {
		msg = NULL;
		if (gv_likely(s->open && s->w_next == seq))
			msg = gv_goe_put_encoded(&s->w, e);
		if (msg == NULL) {
			sess_open(sh, s, seq);
			msg = gv_goe_put_encoded(&s->w, e);
			GV_VERIFY(msg != NULL); /* an execution report */
		}
		s->w_next = seq + 1;
	} else {
		msg = sh->enc;
		GV_VERIFY(gv_goe_encode_event(msg, e) > 0);
	}
	hist_keep(sh, s, seq, msg);
	sh->cnt[GV_SH_MSGS_OUT]++;
	s->next_out = seq + 1;
}

/* ---- output: market data ----------------------------------------------- */

static void md_flush(struct gv_shard *sh)
{
	uint32_t len;

	if (!sh->md_open)
		return;
	len = gv_mold_finish(&sh->mw);
	tx_push(sh, &sh->md_buf, len, NULL, &sh->md_dst);
	sh->cnt[GV_SH_MD_PKTS]++;
	sh->md_last_ns = sh->now_ns;
	sh->md_open = false;
}

static void md_begin(struct gv_shard *sh)
{
	gv_mold_begin(&sh->mw, sh->md_buf, GV_DGRAM_MAX,
	              sh->mold_session, sh->md_next);
	sh->md_open = true;
}

static inline uint64_t ns_of_day(uint64_t ts_ns)
{
	return ts_ns % NS_PER_DAY;
}

enum md_kind { MD_EVENT, MD_SYSTEM, MD_DIRECTORY };

static const char md_no_stock[GV_SYMBOL_LEN] = "        ";

static int md_encode(struct gv_shard *sh, enum md_kind k,
                     const struct gv_event *e, uint8_t code,
                     const struct ins_entry *in)
{
	const char *stock = in != NULL ? in->stock : md_no_stock;
	uint16_t trk = (uint16_t)sh->id;
	uint64_t ts;

	/* A division per message otherwise; the clock is one per input. */
	if (sh->tod_of != sh->now_ns) {
		sh->tod_of = sh->now_ns;
		sh->tod_ns = ns_of_day(sh->now_ns);
	}
	ts = sh->tod_ns;

	if (k == MD_EVENT)
		return gv_itch_put_event(&sh->mw, e, trk, ts, stock);
	if (k == MD_SYSTEM)
		return gv_itch_put_system_event(&sh->mw, code, trk, ts);
	return gv_itch_put_stock_directory(&sh->mw, (uint16_t)in->id, stock,
	                                   trk, ts);
}

/* One ITCH message into the open packet (a new one when it is full). */
static void md_put(struct gv_shard *sh, enum md_kind k,
                   const struct gv_event *e, uint8_t code,
                   const struct ins_entry *in)
{
	int rc;

	if (!sh->md_open)
		md_begin(sh);
	rc = md_encode(sh, k, e, code, in);
	if (rc == -ENOSPC) {
		md_flush(sh);
		md_begin(sh);
		rc = md_encode(sh, k, e, code, in);
	}
	GV_VERIFY(rc == 0);
	sh->md_next++;
	sh->cnt[GV_SH_MD_MSGS]++;
}

static void md_heartbeat(struct gv_shard *sh)
{
	GV_ASSERT(!sh->md_open);
	md_begin(sh);
	md_flush(sh);
}

/* An MD event's instrument: most events in a row are for the same one. */
static inline const struct ins_entry *md_ins(struct gv_shard *sh,
                                            uint32_t id)
{
	if (sh->last_ins == NULL || sh->last_ins->id != id)
		sh->last_ins = ins_find(sh, id);
	return sh->last_ins;
}

/* A market-data event. The common case (a packet open, the time of day
 * cached, room left) is one call; md_put does the rest. */
static inline void md_event(struct gv_shard *sh, const struct gv_event *e)
{
	const struct ins_entry *in = md_ins(sh, e->instrument);

	if (gv_likely(sh->md_open && sh->tod_of == sh->now_ns) &&
	    gv_itch_put_event(&sh->mw, e, (uint16_t)sh->id, sh->tod_ns,
	                      in != NULL ? in->stock : md_no_stock) == 0) {
		sh->md_next++;
		sh->cnt[GV_SH_MD_MSGS]++;
		return;
	}
	md_put(sh, MD_EVENT, e, 0, in);
}

/* The book's evbuf flush: route every event. */
static void on_events(void *arg, const struct gv_event *ev, uint32_t n)
{
	struct gv_shard *sh = arg;
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct gv_event *e = &ev[i];

		if (e->type < GV_EV_MD_ADD)
			route_report(sh, e);
		else
			md_event(sh, e);
	}
}

/* Emit everything still open: sessions' datagrams, then market data. */
static void flush_all(struct gv_shard *sh)
{
	uint32_t i;

	GV_ASSERT(sh->ndirty <= sh->nsess);
	for (i = 0; i < sh->ndirty; i++) {
		struct sess *s = &sh->sess[sh->dirty[i]];

		sess_flush(sh, s);
		s->dirty = false;
	}
	sh->ndirty = 0;
	md_flush(sh);
	tx_drain(sh);
}

/* Apply one command at the current engine time; route its events. */
static void apply(struct gv_shard *sh, struct gv_cmd *c)
{
	c->ts_ns = sh->now_ns;
	gv_book_apply(sh->book, c, &sh->evbuf);
	if (sh->evbuf.n > 0) {
		on_events(sh, sh->evbuf.ev, sh->evbuf.n);
		sh->evbuf.n = 0;
	}
}

/* ---- sessions ----------------------------------------------------------- */

static inline uint64_t timeout_ns(const struct sess *s)
{
	return 3ull * s->heartbeat_ms * NS_PER_MS;
}

static void lower_timer(struct gv_shard *sh, uint64_t t)
{
	if (t < sh->next_timer_ns)
		sh->next_timer_ns = t;
}

static void cancel_on_disconnect(struct gv_shard *sh, struct sess *s)
{
	struct gv_cmd c;

	if (!s->cod)
		return;
	memset(&c, 0, sizeof(c));
	c.type = GV_CMD_SESSION_CANCEL_ALL;
	c.session = s->id;
	c.u.cancel_all.reason = GV_CXL_COD;
	apply(sh, &c);
}

/* Take a token; false when the bucket is empty. */
static bool take_token(struct gv_shard *sh, struct sess *s)
{
	uint64_t now = sh->now_ns;

	if (s->rate == 0)
		return true;
	if (now > s->refill_ns) {
		uint64_t dt = now - s->refill_ns;
		uint64_t need = s->cap - s->tokens;

		/* dt * rate may overflow; it only matters up to `need`. */
		if (dt >= need / s->rate + 1)
			s->tokens = s->cap;
		else
			s->tokens = GV_MIN(s->cap, s->tokens + dt * s->rate);
		s->refill_ns = now;
	}
	if (s->tokens < TOKEN)
		return false;
	s->tokens -= TOKEN;
	return true;
}

static bool logon_ok(const struct gv_shard *sh, const struct sess *s,
                     const struct gv_goe_msg *m, uint64_t ts_ns)
{
	uint64_t now = sh->now_ns;
	uint64_t skew = ts_ns > now ? ts_ns - now : now - ts_ns;

	return m->u.logon.heartbeat_ms >= GV_HEARTBEAT_MS_MIN &&
	       m->u.logon.heartbeat_ms <= GV_HEARTBEAT_MS_MAX &&
	       m->u.logon.cancel_on_disconnect <= 1 &&
	       ts_ns > s->logon_ts_ns && skew <= LOGON_SKEW_NS;
}

static void on_logon(struct gv_shard *sh, struct sess *s,
                     const struct gv_goe_msg *m, const struct gv_addr *src)
{
	if (!logon_ok(sh, s, m, sh->dg.ts_ns)) {
		sh->cnt[GV_SH_LOGONS_IGNORED]++;
		return;
	}
	sh->cnt[GV_SH_LOGONS]++;
	sess_flush(sh, s); /* what was built goes to the old peer */
	s->logged_on = true;
	s->peer = *src;
	s->heartbeat_ms = m->u.logon.heartbeat_ms;
	s->cod = m->u.logon.cancel_on_disconnect != 0;
	s->logon_ts_ns = sh->dg.ts_ns;
	s->last_rx_ns = sh->now_ns;
	sess_send_unseq(sh, s, U_LOGON_ACK);
	lower_timer(sh, sh->now_ns + s->heartbeat_ms * NS_PER_MS);
}

static void on_resend(struct gv_shard *sh, struct sess *s,
                      const struct gv_goe_msg *m)
{
	uint64_t from = m->u.resend.from_seq;
	uint64_t oldest, end, seq;

	if (m->u.resend.count < 1 ||
	    m->u.resend.count > GV_RESEND_COUNT_MAX) {
		sh->cnt[GV_SH_IGNORED]++;
		return;
	}
	sh->cnt[GV_SH_RESEND_REQUESTS]++;
	oldest = s->next_out > sh->hist_n ? s->next_out - sh->hist_n : 1;
	end = from > UINT64_MAX - m->u.resend.count
	              ? UINT64_MAX
	              : from + m->u.resend.count;
	end = GV_MIN(end, s->next_out);
	if (from < oldest) {
		sess_send_unseq(sh, s, U_SEQ_GAP);
		from = oldest;
	}
	for (seq = from; seq < end; seq++) {
		sess_put_seq(sh, s, seq, hist_slot(sh, s, seq));
		sh->cnt[GV_SH_RESENT_MSGS]++;
	}
}

/* L O H Q, in order. */
static void rx_unsequenced(struct gv_shard *sh, struct sess *s,
                           const struct gv_addr *src)
{
	uint32_t i;

	for (i = 0; i < sh->dg.count; i++) {
		const struct gv_goe_msg *m = &sh->dg.msg[i];

		if (m->type == GV_GOE_LOGON) {
			on_logon(sh, s, m, src);
			continue;
		}
		if (!s->logged_on) {
			sh->cnt[GV_SH_IGNORED]++;
			continue;
		}
		if (m->type == GV_GOE_LOGOUT) {
			sh->cnt[GV_SH_LOGOUTS]++;
			s->logged_on = false;
			cancel_on_disconnect(sh, s);
		} else if (m->type == GV_GOE_RESEND) {
			on_resend(sh, s, m);
		}
		/* 'H': its datagram has refreshed the deadline already. */
	}
}

/* N C R M of a logged-on session: duplicates, gap, then apply in order. */
static void rx_sequenced(struct gv_shard *sh, struct sess *s)
{
	uint64_t skip;
	uint32_t i;

	if (sh->dg.count == 0)
		return;
	if (sh->dg.seq > s->expected_in) {
		sh->cnt[GV_SH_GAPS]++;
		sess_send_unseq(sh, s, U_SEQ_GAP);
		return;
	}
	GV_ASSERT(s->logged_on && sh->dg.seq != 0);
	skip = GV_MIN(s->expected_in - sh->dg.seq, (uint64_t)sh->dg.count);
	sh->cnt[GV_SH_DUPLICATES] += skip;
	for (i = (uint32_t)skip; i < sh->dg.count; i++) {
		struct gv_cmd *c = &sh->dg.msg[i].u.cmd;

		c->session = s->id;
		c->flags = 0;
		if (!take_token(sh, s)) {
			c->flags = GV_CMD_F_THROTTLED;
			sh->cnt[GV_SH_THROTTLED]++;
		}
		apply(sh, c);
		sh->cnt[GV_SH_MSGS_IN]++;
		s->expected_in++;
	}
}

/* Sources are IPv4: an IPv6 prefix admits none. One mask and compare per
 * datagram (precomputed from `allowed` by sess_prefix). */
static inline bool source_ok(const struct sess *s, const struct gv_addr *src)
{
	return s->src_v4 && (src->ip & s->src_mask) == s->src_net;
}

/* ---- timers -------------------------------------------------------------- */

static uint64_t next_eod(const struct gv_config *cfg, uint64_t after_ns)
{
	uint64_t t;

	if (cfg->engine.end_of_day_s < 0)
		return NO_TIME;
	t = after_ns - after_ns % NS_PER_DAY +
	    (uint64_t)cfg->engine.end_of_day_s * NS_PER_S;
	while (t <= after_ns)
		t += NS_PER_DAY;
	return t;
}

static void eod_apply(struct gv_shard *sh)
{
	struct gv_cmd c;

	memset(&c, 0, sizeof(c));
	c.type = GV_CMD_END_OF_DAY;
	apply(sh, &c);
}

/* One session's deadlines at sh->now_ns; returns its next one. */
static uint64_t sess_timers(struct gv_shard *sh, struct sess *s)
{
	uint64_t now = sh->now_ns, dead, hb;

	if (!s->logged_on)
		return NO_TIME;
	dead = s->last_rx_ns + timeout_ns(s);
	if (now > dead) {
		sh->cnt[GV_SH_DISCONNECTS]++;
		s->logged_on = false;
		cancel_on_disconnect(sh, s);
		return NO_TIME;
	}
	hb = s->last_tx_ns + s->heartbeat_ms * NS_PER_MS;
	if (s->open) {
		/* Output is about to go: no 'h' needed. */
		hb = now + s->heartbeat_ms * NS_PER_MS;
	} else if (now >= hb) {
		sess_send_unseq(sh, s, U_HEARTBEAT);
		hb = now + s->heartbeat_ms * NS_PER_MS;
	}
	return GV_MIN(dead + 1, hb);
}

static void run_timers(struct gv_shard *sh, uint64_t now_ns)
{
	uint64_t next = NO_TIME, md_due;
	uint32_t i;

	sh->now_ns = now_ns;
	if (now_ns < sh->next_timer_ns)
		return;
	if (now_ns >= sh->eod_ns) {
		/* Once, however many instants the clock jumped over. */
		eod_apply(sh);
		sh->eod_ns += ((now_ns - sh->eod_ns) / NS_PER_DAY + 1) *
		              NS_PER_DAY;
	}
	for (i = 0; i < sh->nsess; i++)
		next = GV_MIN(next, sess_timers(sh, &sh->sess[i]));
	flush_all(sh);
	md_due = sh->md_last_ns + MD_HEARTBEAT_NS;
	if (now_ns >= md_due) {
		md_heartbeat(sh);
		md_due = now_ns + MD_HEARTBEAT_NS;
	}
	next = GV_MIN(next, md_due);
	sh->next_timer_ns = GV_MIN(next, sh->eod_ns);
}

/* ---- public: input ------------------------------------------------------- */

void gv_shard_tick(struct gv_shard *sh, uint64_t now_ns)
{
	run_timers(sh, now_ns);
	flush_all(sh);
}

/*
 * The MAC check of up to GV_BURST_MAX datagrams at once: ok[i] says
 * whether in[i] carries the right MAC for the session its header names.
 * Datagrams too short or long to be valid, or naming no session, get
 * false here and are dropped by rx_one for that reason first.
 */
static void rx_macs(struct gv_shard *sh, const struct gv_shard_in *in,
                    uint32_t n, bool *ok)
{
	struct gv_mac_job job[GV_BURST_MAX];
	uint64_t mac[GV_BURST_MAX];
	uint32_t idx[GV_BURST_MAX], i, nj = 0;

	GV_ASSERT(n <= GV_BURST_MAX);
	for (i = 0; i < n; i++) {
		const struct sess *s;

		ok[i] = false;
		if (in[i].len < GV_DGRAM_HDR_LEN || in[i].len > GV_DGRAM_MAX)
			continue;
		s = sess_find(sh, gv_get_le32(in[i].payload + 4));
		if (s == NULL)
			continue;
		job[nj] = (struct gv_mac_job){ in[i].payload, in[i].len,
		                               s->key };
		idx[nj++] = i;
	}
	if (nj > 0)
		gv_mac_burst(job, nj, mac);
	for (i = 0; i < nj; i++)
		ok[idx[i]] = (mac[i] ^ gv_get_le64(in[idx[i]].payload +
		                                  GV_GOE_MAC_OFF)) == 0;
}

/* One datagram whose MAC check (rx_macs) said mac_ok. */
static void rx_one(struct gv_shard *sh, const uint8_t *payload, uint32_t len,
                   const struct gv_addr *src, uint64_t now_ns, bool mac_ok)
{
	enum gv_goe_drop d;
	struct sess *s = NULL;

	/* Timers first (they flush what they emit); with batching on, the
	 * replies to earlier datagrams of the burst stay open. */
	run_timers(sh, now_ns);
	if (!sh->batching)
		flush_all(sh);
	sh->cnt[GV_SH_RX_DGRAMS]++;
	d = gv_goe_parse(payload, len, &sh->dg);
	if (d == GV_GOE_OK) {
		s = sess_find(sh, sh->dg.session);
		if (s == NULL)
			d = GV_GOE_DROP_SESSION;
		else if (!source_ok(s, src))
			d = GV_GOE_DROP_SOURCE;
		else if (!mac_ok)
			d = GV_GOE_DROP_MAC;
	}
	if (d != GV_GOE_OK) {
		GV_ASSERT(d < GV_GOE_DROP_MAX);
		sh->cnt[GV_SH_DROP_FIRST + d]++;
		return;
	}
	sh->cnt[GV_SH_RX_ACCEPTED]++;
	for (uint32_t i = 0; i < sh->dg.count; i++) {
		int t = gv_shard_type_index(sh->dg.msg[i].type);

		if (t >= 0)
			sh->cnt[GV_SH_IN_TYPE_FIRST + t]++;
	}
	if (sh->dg.sequenced && !s->logged_on) {
		sh->cnt[GV_SH_DROP_NOT_LOGGED_ON]++;
		return;
	}
	if (s->logged_on)
		s->last_rx_ns = now_ns;
	if (sh->dg.sequenced)
		rx_sequenced(sh, s);
	else
		rx_unsequenced(sh, s, src);
	if (!sh->batching)
		flush_all(sh);
}

void gv_shard_rx_burst(struct gv_shard *sh, const struct gv_shard_in *in,
                       uint32_t n)
{
	bool ok[GV_BURST_MAX];

	for (uint32_t at = 0; at < n; at += GV_BURST_MAX) {
		uint32_t k = GV_MIN(n - at, GV_BURST_MAX);

		rx_macs(sh, in + at, k, ok);
		for (uint32_t i = 0; i < k; i++)
			rx_one(sh, in[at + i].payload, in[at + i].len,
			       &in[at + i].src, in[at + i].now_ns, ok[i]);
	}
}

void gv_shard_rx(struct gv_shard *sh, const uint8_t *payload, uint32_t len,
                 const struct gv_addr *src, uint64_t now_ns)
{
	struct gv_shard_in in = { payload, len, *src, now_ns };

	gv_shard_rx_burst(sh, &in, 1);
}

void gv_shard_set_batching(struct gv_shard *sh, bool on)
{
	sh->batching = on;
	if (!on)
		flush_all(sh);
}

void gv_shard_flush(struct gv_shard *sh)
{
	flush_all(sh);
}

/* ---- public: operator actions ------------------------------------------- */

int gv_shard_end_of_day(struct gv_shard *sh, uint64_t now_ns)
{
	run_timers(sh, now_ns);
	eod_apply(sh);
	flush_all(sh);
	return 0;
}

/* An operator's command: timers up to now first, then it, then output. */
static int operator_cmd(struct gv_shard *sh, struct gv_cmd *c,
                        uint64_t now_ns)
{
	run_timers(sh, now_ns);
	apply(sh, c);
	flush_all(sh);
	return 0;
}

int gv_shard_halt(struct gv_shard *sh, uint32_t instrument, bool halt,
                  uint64_t now_ns)
{
	struct gv_cmd c = { .type = halt ? GV_CMD_HALT : GV_CMD_RESUME };

	if (ins_find(sh, instrument) == NULL)
		return -ENOENT;
	c.u.instrument.symbol = instrument;
	return operator_cmd(sh, &c, now_ns);
}

int gv_shard_kill(struct gv_shard *sh, uint32_t session, bool kill,
                  uint64_t now_ns)
{
	struct gv_cmd c = { .session = session };

	if (sess_find(sh, session) == NULL)
		return -ENOENT;
	if (kill) {
		c.type = GV_CMD_SESSION_CANCEL_ALL;
		c.flags = GV_CMD_F_KILL;
		c.u.cancel_all.reason = GV_CXL_KILL_SWITCH;
	} else {
		c.type = GV_CMD_SESSION_ENABLE;
	}
	return operator_cmd(sh, &c, now_ns);
}

/* ---- public: views --------------------------------------------------------- */

uint64_t gv_shard_counter(const struct gv_shard *sh, enum gv_shard_counter c)
{
	return (unsigned)c < GV_SH_MAX ? sh->cnt[c] : 0;
}

int gv_shard_type_index(uint8_t type)
{
	/* "NCRMLOHQ", as a table: gv_shard_rx looks up every message. Stored
	 * as index + 1, so that the other 248 entries are 0. */
	static const uint8_t idx1[256] = {
		['N'] = 1, ['C'] = 2, ['R'] = 3, ['M'] = 4,
		['L'] = 5, ['O'] = 6, ['H'] = 7, ['Q'] = 8,
	};

	return (int)idx1[type] - 1;
}

uint32_t gv_shard_sessions(const struct gv_shard *sh)
{
	return sh->nsess;
}

int gv_shard_session_view(const struct gv_shard *sh, uint32_t i,
                          struct gv_shard_session_view *v)
{
	const struct sess *s;

	if (i >= sh->nsess)
		return -ENOENT;
	s = &sh->sess[i];
	v->id = s->id;
	v->logged_on = s->logged_on;
	v->killed = gv_book_session_killed(sh->book, s->id);
	v->next_in = s->expected_in;
	v->next_out = s->next_out;
	return 0;
}

const struct gv_book *gv_shard_book(const struct gv_shard *sh)
{
	return sh->book;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++) {
		h ^= (uint8_t)(v >> (8 * i));
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t gv_shard_hash(const struct gv_shard *sh)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i;

	h = fnv_u64(h, gv_book_hash(sh->book));
	for (i = 0; i < sh->nsess; i++) {
		const struct sess *s = &sh->sess[i];

		h = fnv_u64(h, s->id);
		h = fnv_u64(h, (uint64_t)s->logged_on | (uint64_t)s->cod << 1);
		h = fnv_u64(h, (uint64_t)s->peer.ip << 16 | s->peer.port);
		h = fnv_u64(h, s->heartbeat_ms);
		h = fnv_u64(h, s->logon_ts_ns);
		h = fnv_u64(h, s->expected_in);
		h = fnv_u64(h, s->next_out);
		h = fnv_u64(h, s->tokens);
		h = fnv_u64(h, s->refill_ns);
		h = fnv_u64(h, s->last_rx_ns);
		h = fnv_u64(h, s->last_tx_ns);
	}
	h = fnv_u64(h, sh->md_next);
	h = fnv_u64(h, sh->md_last_ns);
	return fnv_u64(h, sh->eod_ns);
}

int gv_config_session_shard(const struct gv_config *cfg, uint32_t session)
{
	uint32_t i;

	for (i = 0; i < cfg->n_sessions; i++)
		if (cfg->sessions[i].id == session)
			return (int)cfg->sessions[i].shard;
	return -1;
}

/* ---- create / close ------------------------------------------------------- */

static int cmp_ins(const void *a, const void *b)
{
	const struct ins_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_key(const void *a, const void *b)
{
	const struct sess_key *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static struct gv_addr md_destination(const struct gv_config *cfg,
                                     uint32_t shard_id)
{
	const struct gv_endpoint *ep = &cfg->engine.market_data;
	struct gv_addr a = { 0, 0 };

	if (ep->family != AF_INET || (uint32_t)ep->port + shard_id > 65535)
		return a;
	a.ip = (uint32_t)ep->addr[0] << 24 | (uint32_t)ep->addr[1] << 16 |
	       (uint32_t)ep->addr[2] << 8 | ep->addr[3];
	a.port = (uint16_t)(ep->port + shard_id);
	return a;
}

static int add_instruments(struct gv_shard *sh, const struct gv_config *cfg)
{
	uint32_t i;
	int rc;

	for (i = 0; i < cfg->n_instruments; i++) {
		const struct gv_instrument_config *ic = &cfg->instruments[i];
		struct gv_instrument_params p;
		struct ins_entry *e;
		size_t n;

		if (ic->shard != sh->id)
			continue;
		memset(&p, 0, sizeof(p));
		p.id = ic->id;
		memcpy(p.symbol, ic->symbol, sizeof(p.symbol));
		p.min_qty_lots = ic->min_qty_lots;
		p.max_qty_lots = ic->max_qty_lots;
		p.max_price_ticks = ic->max_price_ticks;
		p.max_notional = ic->max_notional;
		p.price_band_bps = ic->price_band_bps;
		p.reference_price_ticks = ic->reference_price_ticks;
		p.stp_default = ic->stp_default;
		rc = gv_book_add_instrument(sh->book, &p);
		if (rc < 0)
			return rc;
		e = &sh->ins[sh->nins++];
		e->id = ic->id;
		memset(e->stock, ' ', sizeof(e->stock));
		n = strnlen(ic->symbol, GV_SYMBOL_LEN);
		memcpy(e->stock, ic->symbol, n);
	}
	qsort(sh->ins, sh->nins, sizeof(*sh->ins), cmp_ins);
	return 0;
}

/* The IPv4 `allowed` prefix as a mask and network, as gv_prefix_contains
 * reads it (a length of 32 or more compares all 32 bits). */
static void sess_prefix(struct sess *s)
{
	const struct gv_prefix *p = &s->allowed;
	uint32_t len = p->len;

	s->src_v4 = p->family == AF_INET;
	s->src_mask = len == 0 ? 0 : len >= 32 ? UINT32_MAX
	                                        : UINT32_MAX << (32 - len);
	s->src_net = ((uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	              (uint32_t)p->addr[2] << 8 | p->addr[3]) & s->src_mask;
}

static int add_sessions(struct gv_shard *sh, const struct gv_config *cfg,
                        uint32_t hist_n)
{
	uint32_t i;
	int rc;

	for (i = 0; i < cfg->n_sessions; i++) {
		const struct gv_session_config *sc = &cfg->sessions[i];
		struct sess *s;
		uint32_t k;

		if (sc->shard != sh->id)
			continue;
		rc = gv_book_add_session(sh->book, sc->id, sc->account);
		if (rc < 0)
			return rc;
		k = sh->nsess++;
		s = &sh->sess[k];
		s->id = sc->id;
		s->rate = sc->rate_msgs_per_s;
		s->cap = (uint64_t)sc->rate_burst * TOKEN;
		s->tokens = s->cap;
		s->allowed = sc->allowed;
		sess_prefix(s);
		memcpy(s->key, sc->key, GV_KEY_LEN);
		s->expected_in = 1;
		s->next_out = 1;
		s->dgram = sh->dgrams + (size_t)k * DGRAM_STRIDE;
		s->hist = sh->hist + (size_t)k * hist_n * GV_GOE_LEN_MAX;
		sh->by_id[k] = (struct sess_key){ .id = sc->id, .idx = k };
	}
	qsort(sh->by_id, sh->nsess, sizeof(*sh->by_id), cmp_key);
	return 0;
}

static uint32_t count_sessions(const struct gv_config *cfg, uint32_t shard)
{
	uint32_t i, n = 0;

	for (i = 0; i < cfg->n_sessions; i++)
		n += cfg->sessions[i].shard == shard;
	return n;
}

static uint32_t count_instruments(const struct gv_config *cfg,
                                  uint32_t shard)
{
	uint32_t i, n = 0;

	for (i = 0; i < cfg->n_instruments; i++)
		n += cfg->instruments[i].shard == shard;
	return n;
}

static bool shard_configured(const struct gv_config *cfg, uint32_t shard)
{
	uint32_t i;

	for (i = 0; i < cfg->engine.n_shards; i++)
		if (cfg->engine.shards[i].id == shard)
			return true;
	return false;
}

static void shard_free(struct gv_shard *sh)
{
	gv_book_free(sh->book);
	free(sh->sess);
	free(sh->by_id);
	free(sh->dirty);
	free(sh->hist);
	free(sh->dgrams);
	free(sh->ins);
	free(sh);
}

/* Book and tables, sized from the config. */
static int shard_alloc(struct gv_shard *sh, const struct gv_config *cfg)
{
	uint32_t ns = count_sessions(cfg, sh->id);
	uint32_t ni = count_instruments(cfg, sh->id);
	uint32_t opsh = cfg->engine.orders_per_shard;
	struct gv_book_params bp = {
		.shard_id = sh->id,
		.max_orders = opsh,
		.max_sessions = GV_MAX(ns, 1u),
		.max_instruments = GV_MAX(ni, 1u),
		.max_level_pages = GV_MIN(GV_MAX(LEVEL_PAGES_MIN, opsh / 16),
		                          GV_ORDERS_PER_SHARD_MAX),
		.offload = cfg->engine.offload.backend,
		.offload_params = {
			.depth = cfg->engine.offload.depth,
			.device = cfg->engine.offload.device[0] != '\0'
			                  ? cfg->engine.offload.device : NULL,
		},
	};
	size_t nss = GV_MAX(ns, 1u);

	sh->hist_n = cfg->engine.resend_history;
	if (!GV_IS_POW2(sh->hist_n) || sh->hist_n > GV_RESEND_HISTORY_MAX)
		return -EINVAL;
	sh->book = gv_book_create(&bp);
	if (sh->book == NULL)
		return -gv_errno;
	sh->sess = calloc(nss, sizeof(*sh->sess));
	sh->by_id = calloc(nss, sizeof(*sh->by_id));
	sh->dirty = calloc(nss, sizeof(*sh->dirty));
	sh->dgrams = calloc(nss + TXQ_CAP + 2, DGRAM_STRIDE);
	/* Line-aligned for hist_keep's whole-line stores. */
	sh->hist = aligned_alloc(64, nss * sh->hist_n * GV_GOE_LEN_MAX);
	sh->ins = calloc(GV_MAX(ni, 1u), sizeof(*sh->ins));
	if (sh->sess == NULL || sh->by_id == NULL || sh->dirty == NULL ||
	    sh->dgrams == NULL || sh->hist == NULL || sh->ins == NULL)
		return -ENOMEM;
	/* Every page of the rings now, as the book's tables: the memory is
	 * committed at start (not found missing mid-session), and no report
	 * waits for a page fault (one per 64 reports of a session's first
	 * pass round its ring otherwise: perf put 4 % of dp_bench's worker
	 * there). */
	memset(sh->hist, 0, nss * sh->hist_n * GV_GOE_LEN_MAX);
	/* Sessions own the first nss buffers (add_sessions), then the tx
	 * queue's spares, market data, scratch. */
	for (uint32_t i = 0; i < TXQ_CAP; i++)
		sh->txq[i].buf = sh->dgrams + (nss + i) * DGRAM_STRIDE;
	sh->md_buf = sh->dgrams + (nss + TXQ_CAP) * DGRAM_STRIDE;
	sh->scratch = sh->dgrams + (nss + TXQ_CAP + 1) * DGRAM_STRIDE;
	return 0;
}

/* The opening market data: S 'O', one R per instrument, S 'Q'. */
static void md_open_session(struct gv_shard *sh)
{
	uint32_t i;

	md_put(sh, MD_SYSTEM, NULL, GV_ITCH_SYS_START_MESSAGES, NULL);
	for (i = 0; i < sh->nins; i++)
		md_put(sh, MD_DIRECTORY, NULL, 0, &sh->ins[i]);
	md_put(sh, MD_SYSTEM, NULL, GV_ITCH_SYS_START_MARKET, NULL);
	md_flush(sh);
	tx_drain(sh);
}

struct gv_shard *gv_shard_create(const struct gv_config *cfg,
                                 uint32_t shard_id,
                                 const struct gv_shard_out *out,
                                 uint64_t start_ns)
{
	struct gv_shard *sh;
	int rc;

	if (cfg == NULL || out == NULL || out->emit == NULL ||
	    shard_id >= GV_MAX_SHARDS || !shard_configured(cfg, shard_id)) {
		gv_errno = EINVAL;
		return NULL;
	}
	sh = aligned_alloc(GV_CACHE_LINE, sizeof(*sh));
	if (sh == NULL) {
		gv_errno = ENOMEM;
		return NULL;
	}
	memset(sh, 0, sizeof(*sh));
	sh->id = shard_id;
	sh->out = *out;
	sh->now_ns = start_ns;
	rc = shard_alloc(sh, cfg);
	if (rc == 0)
		rc = add_instruments(sh, cfg);
	if (rc == 0)
		rc = add_sessions(sh, cfg, sh->hist_n);
	if (rc < 0) {
		shard_free(sh);
		gv_errno = -rc;
		return NULL;
	}
	sh->evbuf = (struct gv_evbuf){ .ev = sh->ev, .cap = EVBUF_CAP,
	                               .flush = on_events, .arg = sh };
	gv_mold_session_name(sh->mold_session, shard_id);
	sh->md_dst = md_destination(cfg, shard_id);
	sh->md_next = 1;
	sh->eod_ns = next_eod(cfg, start_ns);
	md_open_session(sh);
	sh->next_timer_ns = GV_MIN(sh->md_last_ns + MD_HEARTBEAT_NS,
	                           sh->eod_ns);
	return sh;
}

void gv_shard_close(struct gv_shard *sh, uint64_t now_ns)
{
	if (sh == NULL)
		return;
	sh->now_ns = now_ns;
	flush_all(sh);
	md_put(sh, MD_SYSTEM, NULL, GV_ITCH_SYS_END_MARKET, NULL);
	md_put(sh, MD_SYSTEM, NULL, GV_ITCH_SYS_END_MESSAGES, NULL);
	md_flush(sh);
	md_begin(sh);
	tx_push(sh, &sh->md_buf, gv_mold_end_of_session(&sh->mw), NULL,
	        &sh->md_dst);
	sh->cnt[GV_SH_MD_PKTS]++;
	sh->md_open = false;
	tx_drain(sh);
	shard_free(sh);
}
