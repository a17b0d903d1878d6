/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_control.h - the control plane: a REST server (libmicrohttpd, JSON by
 * jansson) on gavel's control thread, never a dataplane lcore. It serves
 * health, Prometheus metrics, roles and failover state, read views of
 * shards, instruments, books and sessions, and authenticated admin
 * actions.
 *
 * The server knows nothing of DPDK or of the engine's structures: it reads
 * through a provider (struct gv_ctl_provider) that the gavel program
 * implements on top of lock-free per-shard counters and snapshots, and it
 * asks for admin actions through the same provider, which turns them into
 * messages on the shards' control rings (applied there as sequenced engine
 * events). Tests drive the server with a fake provider.
 *
 * Endpoints (docs/control.md):
 *   GET  /health /health/live /health/ready /metrics
 *   GET  /v1/shards /v1/instruments /v1/instruments/{symbol}/book?depth=N
 *        /v1/sessions
 *   POST /v1/admin/promote /v1/admin/demote (also /admin/promote, /demote)
 *        /v1/instruments/{symbol}/halt /resume
 *        /v1/sessions/{id}/kill /enable
 * POSTs need "Authorization: Bearer <token>", the token read at start from
 * a file that must be mode 0600 (else the server refuses to start).
 */
#ifndef GV_CONTROL_H
#define GV_CONTROL_H

#include "gv_common.h"
#include "gv_limits.h"

/* ---- roles ------------------------------------------------------------- */

enum gv_role { GV_ROLE_STANDBY = 0, GV_ROLE_PRIMARY = 1 };

/*
 * The engine's role and its fencing epoch. Promotion standby -> primary
 * increments the epoch; demotion keeps it. A standby suppresses all output
 * (the dataplane reads `role` before transmitting). Transitions are made
 * by the control thread only; the dataplane reads with relaxed loads.
 */
struct gv_role_state {
	volatile uint32_t role;    /* enum gv_role */
	volatile uint64_t epoch;   /* starts at 0; +1 on every promotion */
	uint64_t changed_ns;       /* wall clock of the last transition */
};

/* Returns 0, or -EALREADY if already primary (epoch unchanged). */
int gv_role_promote(struct gv_role_state *r, uint64_t now_ns);
/* Returns 0, or -EALREADY if already standby. */
int gv_role_demote(struct gv_role_state *r, uint64_t now_ns);
const char *gv_role_name(uint32_t role);

/* ---- what the provider reports ----------------------------------------- */

#define GV_CTL_REASONS 20          /* reject and cancel reasons, by code */
#define GV_CTL_MSG_TYPES 8         /* N C R M L O H Q */
#define GV_CTL_LAT_BUCKETS 16      /* rx->tx histogram, upper bounds below */

/* Upper bounds (seconds) of the latency histogram buckets; the last is +Inf.
 * Defined in gv_control.c; the provider fills counts per bucket. */
extern const double gv_ctl_lat_bounds[GV_CTL_LAT_BUCKETS - 1];

/*
 * Label values for the reason and type indices above (gv_metrics.c):
 * protocol.md 1.4 reject reasons 1..19 (13 reserved) and cancel reasons
 * 1..10 as lower-case names ("unknown_symbol", "kill_switch"), message
 * types by index 0..7 = N C R M L O H Q ("new_order" .. "resend_request").
 * NULL for an undefined code; such counters are never exported.
 */
const char *gv_ctl_reject_name(uint32_t code);
const char *gv_ctl_cancel_name(uint32_t code);
const char *gv_ctl_msg_type_name(uint32_t type);

struct gv_ctl_shard {
	uint32_t id;
	uint32_t lcore;
	bool polling;                 /* its loop ran within the last second */
	char offload[16];             /* offload backend, e.g. "sw" */
	uint64_t orders;              /* orders processed (N C R M applied) */
	uint64_t trades;              /* fills (aggressor/resting pairs) */
	uint64_t volume;              /* lots traded */
	uint64_t rejects[GV_CTL_REASONS];   /* by reject reason code */
	uint64_t cancels[GV_CTL_REASONS];   /* by cancel reason code */
	uint64_t msgs[GV_CTL_MSG_TYPES];    /* client messages by type */
	uint64_t lat_count[GV_CTL_LAT_BUCKETS]; /* non-cumulative */
	uint64_t lat_sum_ns;
	uint32_t ring_used, ring_size; /* rx ring occupancy (pipeline) */
	uint64_t ring_waits;          /* packets that waited on a full ring */
	uint64_t drops;               /* frames dropped (all reasons) */
	uint64_t offload_ops, offload_faults;
	uint64_t offload_matches, offload_fallbacks;
	uint32_t sessions_logged_in;
	uint32_t live_orders;
};

struct gv_ctl_instrument {
	uint32_t id;
	char symbol[GV_SYMBOL_LEN + 1];
	uint32_t shard;
	bool halted;
	int64_t last_price;           /* 0 if no trade yet */
	uint32_t bid_levels, ask_levels;
	uint32_t bid_orders, ask_orders;
	uint64_t orders;              /* orders accepted */
	uint64_t trades;              /* fills */
	uint64_t volume;              /* lots traded */
};

struct gv_ctl_port {
	char name[64];
	bool link_up;
	uint64_t rx, tx, missed;      /* packets */
};

struct gv_ctl_session {
	uint32_t id;
	uint32_t account;
	uint32_t shard;
	bool logged_in;
	bool killed;
	uint64_t next_in, next_out;   /* expected inbound / next outbound seq */
};

struct gv_ctl_snapshot {
	uint64_t uptime_ns;
	const char *version;
	struct gv_role_state role;    /* copied */
	bool caught_up;               /* standby: replay is current */
	uint32_t nshards, ninstruments, nports, nsessions;
	struct gv_ctl_shard shards[GV_MAX_SHARDS];
	struct gv_ctl_port ports[GV_MAX_PORTS];
	struct gv_ctl_instrument *instruments; /* ninstruments, provider-owned */
	struct gv_ctl_session *sessions;       /* nsessions, provider-owned */
};

struct gv_ctl_level {
	int64_t price;
	uint64_t qty;                 /* displayed */
	uint32_t orders;
};

/* An L2 view of one instrument, best first, at most `depth` per side. */
struct gv_ctl_book {
	uint32_t nbids, nasks;
	struct gv_ctl_level bids[256], asks[256];
};

/*
 * The provider: called on the control thread only. Every function returns
 * 0 or -errno: -ENOENT (unknown symbol/session), -EBUSY (a shard did not
 * answer in time or its control ring is full), -EINVAL.
 */
struct gv_ctl_provider {
	/* Fill *s (the arrays stay valid until the next call). */
	int (*snapshot)(void *arg, struct gv_ctl_snapshot *s);
	/* L2 of `symbol`, depth 1..256. */
	int (*book)(void *arg, const char *symbol, uint32_t depth,
	            struct gv_ctl_book *out);
	/* Admin actions, applied as sequenced engine events. */
	int (*halt)(void *arg, const char *symbol, bool halt);
	int (*kill)(void *arg, uint32_t session, bool kill);
	/* Role changes (the provider tells the shards, then returns). */
	int (*promote)(void *arg);
	int (*demote)(void *arg);
	void *arg;
};

struct gv_control_params {
	const char *address;          /* default "127.0.0.1" */
	uint16_t port;                /* default 8080; 0 = any (tests) */
	const char *token_file;       /* NULL: admin endpoints answer 401 */
	uint32_t max_connections;     /* default 64 */
	uint32_t timeout_s;           /* per connection, default 10 */
	uint32_t max_body;            /* request body bytes, default 4096 */
};

struct gv_control;

/*
 * Start the server on its own thread (libmicrohttpd's internal thread).
 * Returns NULL and sets gv_errno: EACCES (token file not mode 0600 or
 * unreadable), EINVAL (empty token, bad address), EADDRINUSE, ENOMEM.
 */
struct gv_control *gv_control_start(const struct gv_control_params *p,
                                    const struct gv_ctl_provider *prov);
/* The port actually bound (when params.port was 0). */
uint16_t gv_control_port(const struct gv_control *c);
void gv_control_stop(struct gv_control *c);

/*
 * Render the Prometheus text exposition of a snapshot into buf (for tests
 * and for /metrics). Returns the length, or -ENOSPC.
 */
int gv_control_metrics(const struct gv_ctl_snapshot *s, char *buf,
                       size_t len);

#endif /* GV_CONTROL_H */
