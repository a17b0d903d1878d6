/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_pvt.h - the DPDK side of the gavel program: ports, the packet path
 * (dp_node.c) and its start-up (dp_port.c, gavel_main.c). The only place
 * that includes DPDK headers.
 *
 * Layouts (same code, chosen at start):
 *  - rtc: one lcore runs rx -> parse -> shard engine(s) -> tx, bursts of
 *    GV_BURST_MAX;
 *  - pipeline: the main lcore does rx, parse and steering (by session ->
 *    shard) into one SPSC ring per shard, and drains the shards' tx rings
 *    to the port; each shard runs on its own lcore (config shard -> lcore).
 */
#ifndef DP_PVT_H
#define DP_PVT_H

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "gv_clock.h"
#include "gv_common.h"
#include "gv_config.h"
#include "gv_control.h"
#include "gv_shard.h"

#define DP_RING_SIZE   4096
#define DP_TXBUF_MAX   512
#define DP_MAC_CACHE   256   /* peer IPv4 -> MAC, direct mapped */
#define DP_HIST_BUCKETS 64   /* log2-linear latency histogram */

enum dp_layout { DP_LAYOUT_RTC, DP_LAYOUT_PIPELINE };

/* Per-shard and per-rx-core data-path counters (enum-indexed). */
enum dp_counter {
	DP_RX_PKTS,
	DP_RX_GOE,            /* UDP to the order-entry endpoint */
	DP_DROP_NOT_IPV4,     /* not Ethernet/IPv4 (ARP, IPv6, ...) */
	DP_DROP_MALFORMED,    /* bad IPv4/UDP header, truncated, fragment */
	DP_DROP_OTHER_DST,    /* UDP not for our order-entry address/port */
	DP_DROP_MULTISEG,     /* chained mbufs (never with our mbuf size) */
	DP_DROP_UNKNOWN_SESSION, /* no shard serves the datagram's session */
	DP_RING_FULL_WAITS,   /* pipeline: packets that waited for a full ring */
	DP_TX_PKTS,
	DP_TX_DROP,           /* the port refused them after retries */
	DP_TX_NOMBUF,         /* mbuf pool empty when building a reply */
	DP_TX_NO_ROUTE,       /* no destination (e.g. market data unset) */
	DP_TX_SUPPRESSED,     /* not sent: this engine is a standby */
	DP_BURSTS,
	DP_CYC_PARSE,         /* cycles spent per stage, summed over bursts */
	DP_CYC_SHARD,
	DP_CYC_TX,
	DP_COUNTER_MAX,
};

/* rx -> tx latency of each packet's burst, in TSC cycles. */
struct dp_hist {
	uint64_t n;
	uint64_t max;
	uint64_t bucket[DP_HIST_BUCKETS][8]; /* [log2][3 mantissa bits] */
};

struct dp_mac_entry {
	uint32_t ip;
	struct rte_ether_addr mac;
};

struct dp_ctx;

struct dp_shard {
	struct gv_shard *sh;
	struct dp_ctx *ctx;
	uint32_t id;
	unsigned lcore;
	struct rte_ring *rx_ring;   /* pipeline: rx lcore -> shard */
	struct rte_ring *tx_ring;   /* pipeline: shard -> tx (main) lcore */
	/* Output of the engine call in progress. */
	struct rte_mbuf *txbuf[DP_TXBUF_MAX];
	uint32_t ntx;
	/* Mbufs taken from the pool in bulk ahead of need, so that the next
	 * one's header and data lines are already on their way (prefetch). */
	struct rte_mbuf *stash[GV_BURST_MAX];
	uint32_t nstash;
	/* Frame being processed: its sender, to answer without a lookup. */
	struct rte_ether_addr cur_mac;
	uint32_t cur_ip;
	uint64_t cur_rx_tsc;        /* pipeline: rx stamp of that frame */
	struct dp_mac_entry macs[DP_MAC_CACHE];
	uint64_t cnt[DP_COUNTER_MAX];
	volatile bool busy;         /* pipeline: a burst is in progress */
	/* Control plane: admin messages in, applied as engine events. */
	struct rte_ring *ctl_ring;
	volatile bool transmit;     /* role primary as seen by this shard */
	volatile uint64_t poll_tsc; /* last loop iteration (health) */
	uint64_t last_now_ns;       /* engine time of the last input */
} __rte_cache_aligned;

struct dp_ctx {
	const struct gv_config *cfg;
	enum dp_layout layout;
	bool replay;               /* engine clock = capture timestamps */
	uint16_t port_oe;          /* order entry: rx and replies */
	uint16_t port_md;          /* market data out */
	struct rte_ether_addr mac_oe, mac_md;
	uint32_t oe_ip;            /* host order; 0 = accept any */
	uint16_t oe_port;
	uint32_t md_ip;
	uint16_t md_port;          /* base: shard k sends to md_port + k */
	struct rte_mempool *pool;
	int ts_off;                /* rx timestamp dynfield, -1 if none */
	uint64_t ts_flag;
	int meta_off;              /* pipeline: per-packet metadata field */
	uint32_t nshards;
	struct dp_shard *shards;   /* nshards entries */
	/* Session id -> shard index, sorted by id. */
	uint32_t nsess;
	uint32_t *sess_id;
	uint16_t *sess_shard;
	uint64_t cnt[DP_COUNTER_MAX]; /* rx core's */
	struct dp_hist lat;        /* rx -> tx, in TSC cycles */
	uint64_t tsc_hz;
	uint64_t wall0_ns, tsc0;   /* live clock: wall time at tsc0 */
	uint64_t first_ns, last_ns; /* engine time span seen */
	uint64_t first_tsc, last_tsc; /* when the first/last packet came */
	volatile bool *stop;
	struct gv_role_state role;  /* changed by the control thread only */
	uint64_t start_wall_ns;
};

/* A control-plane request to one shard (dp_control.c). */
enum dp_ctl_op { DP_CTL_HALT, DP_CTL_KILL, DP_CTL_ROLE, DP_CTL_BOOK };

struct dp_ctl_msg {
	enum dp_ctl_op op;
	uint32_t arg;               /* instrument id, session id, role */
	bool on;                    /* halt / kill: true; resume / enable */
	uint32_t depth;
	struct gv_ctl_book *book;
	volatile int rc;
	volatile bool done;         /* set (release) by the shard's lcore */
};

/* dp_port.c */
int dp_port_init(uint16_t port, struct rte_mempool *pool, uint16_t nrx,
                 uint16_t ntx);
int dp_ctx_sessions(struct dp_ctx *ctx);
/* Ports, pool, rings, steering for ctx->cfg and ctx->layout. 0 or -errno. */
int dp_setup(struct dp_ctx *ctx);
/* Print what happened: counters, rates, latency, stage costs. */
void dp_summary(const struct dp_ctx *ctx);

/* dp_control.c */
int dp_control_setup(struct dp_ctx *ctx);
void dp_control_provider(struct dp_ctx *ctx, struct gv_ctl_provider *p);
/* On the shard's lcore: apply queued control requests (bounded). */
void dp_ctl_poll(struct dp_ctx *ctx, struct dp_shard *s, uint64_t now_ns);

/* dp_node.c */
int dp_shard_start(struct dp_ctx *ctx, struct dp_shard *s, uint64_t now_ns);
int dp_start_all(struct dp_ctx *ctx, uint64_t now_ns);
void dp_run_rtc(struct dp_ctx *ctx);
void dp_run_pipeline(struct dp_ctx *ctx);
void dp_finish(struct dp_ctx *ctx, uint64_t now_ns);
int dp_register_meta(struct dp_ctx *ctx);
uint64_t dp_hist_pct(const struct dp_hist *h, double pct);
void dp_hist_merge(struct dp_hist *into, const struct dp_hist *from);

#endif /* DP_PVT_H */
