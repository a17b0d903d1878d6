/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_port.c - start-up and shutdown of the packet path: ports, pool,
 * rings, the session -> shard steering table, and the summary printed at
 * the end. Control code: it may log and allocate.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "dp_pvt.h"
#include "gv_errno.h"

#define NB_MBUFS 16383
#define MBUF_CACHE 256
#define RX_DESC 1024
#define TX_DESC 1024

int dp_port_init(uint16_t port, struct rte_mempool *pool, uint16_t nrx,
                 uint16_t ntx)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t q, nb_rx = RX_DESC, nb_tx = TX_DESC;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	if (info.max_rx_queues < nrx || info.max_tx_queues < ntx) {
		fprintf(stderr, "gavel: port %u: %u rx / %u tx queues needed, "
		        "it has %u / %u\n", port, nrx, ntx, info.max_rx_queues,
		        info.max_tx_queues);
		return -ENOTSUP;
	}
	rc = rte_eth_dev_configure(port, nrx, ntx, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rx, &nb_tx);
	for (q = 0; rc == 0 && q < nrx; q++)
		rc = rte_eth_rx_queue_setup(port, q, nb_rx,
		                            rte_eth_dev_socket_id(port), NULL,
		                            pool);
	for (q = 0; rc == 0 && q < ntx; q++)
		rc = rte_eth_tx_queue_setup(port, q, nb_tx,
		                            rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc == 0) /* not every PMD has it; failing is harmless */
		(void)rte_eth_promiscuous_enable(port);
	return rc;
}

static int cmp_sess(const void *a, const void *b)
{
	const struct gv_session_config *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorted session id -> shard index table for steering. */
int dp_ctx_sessions(struct dp_ctx *ctx)
{
	const struct gv_config *cfg = ctx->cfg;
	struct gv_session_config *tmp;
	uint32_t i, j;

	tmp = malloc((cfg->n_sessions + 1) * sizeof(*tmp));
	ctx->sess_id = rte_zmalloc("gv_sess_id",
	                           (cfg->n_sessions + 1) * sizeof(uint32_t), 64);
	ctx->sess_shard = rte_zmalloc("gv_sess_shard",
	                              (cfg->n_sessions + 1) * sizeof(uint16_t),
	                              64);
	if (tmp == NULL || ctx->sess_id == NULL || ctx->sess_shard == NULL) {
		free(tmp);
		return -ENOMEM;
	}
	memcpy(tmp, cfg->sessions, cfg->n_sessions * sizeof(*tmp));
	qsort(tmp, cfg->n_sessions, sizeof(*tmp), cmp_sess);
	for (i = 0; i < cfg->n_sessions; i++) {
		ctx->sess_id[i] = tmp[i].id;
		for (j = 0; j < ctx->nshards; j++)
			if (ctx->shards[j].id == tmp[i].shard)
				ctx->sess_shard[i] = (uint16_t)j;
	}
	ctx->nsess = cfg->n_sessions;
	free(tmp);
	return 0;
}

static uint32_t v4(const struct gv_endpoint *e)
{
	return e->family == AF_INET ? (uint32_t)e->addr[0] << 24 |
	                                      (uint32_t)e->addr[1] << 16 |
	                                      (uint32_t)e->addr[2] << 8 |
	                                      e->addr[3]
	                            : 0;
}

static int find_port(const struct gv_config *cfg, uint32_t i, uint16_t *port)
{
	if (i >= cfg->engine.n_ports)
		return rte_eth_dev_count_avail() > i ? (*port = (uint16_t)i, 0)
		                                     : -ENODEV;
	if (rte_eth_dev_get_port_by_name(cfg->engine.ports[i], port) != 0) {
		fprintf(stderr, "gavel: no DPDK port named %s (engine.ports[%u])\n",
		        cfg->engine.ports[i], i);
		return -ENODEV;
	}
	return 0;
}

/* Pipeline: one SPSC ring each way per shard, on its own lcore. */
static int make_rings(struct dp_shard *s)
{
	char name[RTE_RING_NAMESIZE];

	if (!rte_lcore_is_enabled(s->lcore) ||
	    s->lcore == rte_get_main_lcore()) {
		fprintf(stderr, "gavel: shard %u: lcore %u is not an enabled "
		        "worker lcore (give EAL -l with it)\n", s->id, s->lcore);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "gv_rx%u", s->id);
	s->rx_ring = rte_ring_create(name, DP_RING_SIZE, rte_socket_id(),
	                             RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "gv_tx%u", s->id);
	s->tx_ring = rte_ring_create(name, DP_RING_SIZE, rte_socket_id(),
	                             RING_F_SP_ENQ | RING_F_SC_DEQ);
	return s->rx_ring != NULL && s->tx_ring != NULL ? 0 : -rte_errno;
}

/* Ports, pool, rings, steering: everything before the first packet. */
int dp_setup(struct dp_ctx *ctx)
{
	const struct gv_config *cfg = ctx->cfg;
	uint32_t i;
	int rc;

	if (cfg->engine.order_entry.family == AF_INET6 ||
	    cfg->engine.market_data.family == AF_INET6) {
		fprintf(stderr, "gavel: the dataplane speaks IPv4 only\n");
		return -ENOTSUP;
	}
	ctx->oe_ip = v4(&cfg->engine.order_entry);
	ctx->oe_port = cfg->engine.order_entry.port;
	ctx->md_ip = v4(&cfg->engine.market_data);
	ctx->md_port = cfg->engine.market_data.port;
	if (ctx->oe_port == 0) {
		fprintf(stderr, "gavel: engine.order_entry must be set\n");
		return -EINVAL;
	}
	rc = find_port(cfg, 0, &ctx->port_oe);
	if (rc == 0 && find_port(cfg, 1, &ctx->port_md) != 0)
		ctx->port_md = ctx->port_oe;
	if (rc != 0) {
		fprintf(stderr, "gavel: no port to receive orders on\n");
		return rc;
	}
	ctx->pool = rte_mempool_lookup("gv_mbufs"); /* a second run */
	if (ctx->pool == NULL)
		ctx->pool = rte_pktmbuf_pool_create("gv_mbufs", NB_MBUFS, MBUF_CACHE, 0,
	                                    RTE_MBUF_DEFAULT_BUF_SIZE,
	                                    rte_socket_id());
	if (ctx->pool == NULL)
		return -rte_errno;
	/* The rx timestamp field must exist before the ports start. */
	if (rte_mbuf_dyn_rx_timestamp_register(&ctx->ts_off, &ctx->ts_flag) != 0)
		ctx->ts_off = -1;
	rc = dp_register_meta(ctx);
	if (rc != 0) {
		fprintf(stderr, "gavel: mbuf field: %s\n", gv_strerror(rc));
		return rc;
	}
	rc = dp_port_init(ctx->port_oe, ctx->pool, 1, 1);
	if (rc == 0 && ctx->port_md != ctx->port_oe)
		rc = dp_port_init(ctx->port_md, ctx->pool, 1, 1);
	if (rc != 0) {
		fprintf(stderr, "gavel: port set-up: %s\n", gv_strerror(rc));
		return rc;
	}
	rte_eth_macaddr_get(ctx->port_oe, &ctx->mac_oe);
	rte_eth_macaddr_get(ctx->port_md, &ctx->mac_md);
	ctx->nshards = cfg->engine.n_shards;
	ctx->shards = rte_zmalloc("gv_shards",
	                          ctx->nshards * sizeof(*ctx->shards),
	                          RTE_CACHE_LINE_SIZE);
	if (ctx->shards == NULL)
		return -ENOMEM;
	for (i = 0; i < ctx->nshards; i++) {
		struct dp_shard *s = &ctx->shards[i];

		s->ctx = ctx;
		s->id = cfg->engine.shards[i].id;
		s->lcore = cfg->engine.shards[i].lcore;
		if (ctx->layout == DP_LAYOUT_PIPELINE) {
			rc = make_rings(s);
			if (rc != 0)
				return rc;
		}
	}
	return dp_ctx_sessions(ctx);
}

static uint64_t sum_sh(const struct dp_ctx *ctx, enum gv_shard_counter c)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++)
		if (ctx->shards[i].sh != NULL)
			v += gv_shard_counter(ctx->shards[i].sh, c);
	return v;
}

static uint64_t sum_book(const struct dp_ctx *ctx, int kind, unsigned which)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++) {
		const struct gv_book *b;

		if (ctx->shards[i].sh == NULL)
			continue;
		b = gv_shard_book(ctx->shards[i].sh);
		v += kind == 0 ? gv_book_counter(b, which)
		   : kind == 1 ? gv_book_rejects(b, which)
		               : gv_book_cancels(b, which);
	}
	return v;
}

static uint64_t sum_dp(const struct dp_ctx *ctx, enum dp_counter c)
{
	uint64_t v = ctx->cnt[c];
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++)
		v += ctx->shards[i].cnt[c];
	return v;
}

static const char *const rej_names[GV_REJ_MAX] = {
	[1] = "unknown_symbol", [2] = "bad_side", [3] = "bad_type",
	[4] = "bad_tif", [5] = "bad_price", [6] = "price_band",
	[7] = "bad_qty", [8] = "cl_ord_id_not_increasing",
	[9] = "unknown_order", [10] = "halted", [11] = "post_only_would_take",
	[12] = "throttled", [14] = "bad_flags", [15] = "unsupported",
	[16] = "max_notional", [17] = "capacity", [18] = "bad_stop_price",
	[19] = "killed",
};

static const char *const cxl_names[GV_CXL_MAX] = {
	[1] = "user", [2] = "ioc_remainder", [3] = "fok_unfilled", [4] = "stp",
	[5] = "mass_cancel", [6] = "cod", [7] = "kill_switch",
	[8] = "day_expiry", [9] = "no_liquidity", [10] = "admin",
};

static void print_reasons(const struct dp_ctx *ctx, int kind)
{
	unsigned r, max = kind == 1 ? GV_REJ_MAX : GV_CXL_MAX, any = 0;

	for (r = 1; r < max; r++) {
		uint64_t v = sum_book(ctx, kind, r);

		if (v == 0)
			continue;
		printf("%s%s=%" PRIu64, any++ ? " " : " (",
		       kind == 1 ? rej_names[r] : cxl_names[r], v);
	}
	printf("%s\n", any ? ")" : "");
}

/* The offload, summed over shards; "backend" is shard 0's (or "mixed"). */
static void print_offload(const struct dp_ctx *ctx)
{
	struct gv_book_offload_info t = { .backend = "none" }, oi;
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++) {
		if (ctx->shards[i].sh == NULL)
			continue;
		gv_book_offload_info(gv_shard_book(ctx->shards[i].sh), &oi);
		if (i == 0)
			memcpy(t.backend, oi.backend, sizeof(t.backend));
		else if (strcmp(t.backend, oi.backend) != 0)
			snprintf(t.backend, sizeof(t.backend), "mixed");
		t.matches += oi.matches;
		t.ops += oi.ops;
		t.faults += oi.faults;
		t.fallbacks += oi.fallbacks;
	}
	printf("  offload: %s, %" PRIu64 " matches planned, %" PRIu64
	       " commands, %" PRIu64 " faults, %" PRIu64 " fallbacks to sw\n",
	       t.backend, t.matches, t.ops, t.faults, t.fallbacks);
}

static double ns_of(const struct dp_ctx *ctx, uint64_t cyc)
{
	return (double)cyc * 1e9 / (double)ctx->tsc_hz;
}

void dp_summary(const struct dp_ctx *ctx)
{
	uint64_t dg = sum_sh(ctx, GV_SH_RX_DGRAMS), msgs = sum_sh(ctx, GV_SH_MSGS_IN);
	uint64_t span = ctx->last_tsc - ctx->first_tsc, bursts = sum_dp(ctx, DP_BURSTS);
	uint64_t pk = ctx->cnt[DP_RX_GOE] ? ctx->cnt[DP_RX_GOE] : 1;
	double s = span ? (double)span / (double)ctx->tsc_hz : 0;
	unsigned d;

	printf("gavel: %s, %u shard(s), %s layout\n",
	       ctx->replay ? "replay" : "live", ctx->nshards,
	       ctx->layout == DP_LAYOUT_RTC ? "run-to-completion" : "pipelined");
	printf("  input:   %" PRIu64 " frames, %" PRIu64 " GOE/1 datagrams, %"
	       PRIu64 " messages applied, over %.3f s (first to last packet)\n",
	       ctx->cnt[DP_RX_PKTS], dg, msgs, s);
	if (s > 0)
		printf("  rate:    %.0f datagrams/s, %.0f messages/s\n",
		       (double)dg / s, (double)msgs / s);
	printf("  orders:  new %" PRIu64 ", cancel %" PRIu64 ", replace %" PRIu64
	       ", mass cancel %" PRIu64 "; accepted %" PRIu64 "\n",
	       sum_book(ctx, 0, GV_CNT_NEW), sum_book(ctx, 0, GV_CNT_CANCEL),
	       sum_book(ctx, 0, GV_CNT_REPLACE),
	       sum_book(ctx, 0, GV_CNT_MASS_CANCEL),
	       sum_book(ctx, 0, GV_CNT_ACCEPTED));
	printf("  fills:   %" PRIu64 " (volume %" PRIu64 " lots)\n",
	       sum_book(ctx, 0, GV_CNT_FILLS), sum_book(ctx, 0, GV_CNT_VOLUME));
	print_offload(ctx);
	printf("  rejects: %" PRIu64, sum_book(ctx, 0, GV_CNT_REJECTED));
	print_reasons(ctx, 1);
	printf("  cancels: %" PRIu64, sum_book(ctx, 0, GV_CNT_CANCELLED));
	print_reasons(ctx, 2);
	printf("  sessions: logons %" PRIu64 ", duplicates %" PRIu64 ", gaps %"
	       PRIu64 ", throttled %" PRIu64 ", resends %" PRIu64 "; dropped:",
	       sum_sh(ctx, GV_SH_LOGONS), sum_sh(ctx, GV_SH_DUPLICATES),
	       sum_sh(ctx, GV_SH_GAPS), sum_sh(ctx, GV_SH_THROTTLED),
	       sum_sh(ctx, GV_SH_RESENT_MSGS));
	for (d = 1; d < GV_GOE_DROP_MAX; d++)
		if (sum_sh(ctx, GV_SH_DROP_FIRST + d))
			printf(" %s=%" PRIu64, gv_goe_drop_name(d),
			       sum_sh(ctx, GV_SH_DROP_FIRST + d));
	printf(" not_logged_on=%" PRIu64 "\n",
	       sum_sh(ctx, GV_SH_DROP_NOT_LOGGED_ON));
	printf("  output:  %" PRIu64 " GOE/1 datagrams, %" PRIu64 " MoldUDP64 "
	       "packets (%" PRIu64 " ITCH messages); frames sent %" PRIu64
	       ", dropped %" PRIu64 "\n", sum_sh(ctx, GV_SH_TX_DGRAMS),
	       sum_sh(ctx, GV_SH_MD_PKTS), sum_sh(ctx, GV_SH_MD_MSGS),
	       sum_dp(ctx, DP_TX_PKTS), sum_dp(ctx, DP_TX_DROP) +
	       sum_dp(ctx, DP_TX_NOMBUF));
	printf("  frames dropped: not_ipv4=%" PRIu64 " malformed=%" PRIu64
	       " other_dst=%" PRIu64 " unknown_session=%" PRIu64
	       " (%" PRIu64 " waited for a full shard ring)\n",
	       ctx->cnt[DP_DROP_NOT_IPV4], ctx->cnt[DP_DROP_MALFORMED],
	       ctx->cnt[DP_DROP_OTHER_DST], ctx->cnt[DP_DROP_UNKNOWN_SESSION],
	       ctx->cnt[DP_RING_FULL_WAITS]);
	printf("  latency rx->tx (ns): p50 %.0f  p90 %.0f  p99 %.0f  p99.9 "
	       "%.0f  max %.0f\n", ns_of(ctx, dp_hist_pct(&ctx->lat, 50)),
	       ns_of(ctx, dp_hist_pct(&ctx->lat, 90)),
	       ns_of(ctx, dp_hist_pct(&ctx->lat, 99)),
	       ns_of(ctx, dp_hist_pct(&ctx->lat, 99.9)),
	       ns_of(ctx, ctx->lat.max));
	printf("  per datagram (ns): rx+parse %.1f, engine %.1f, tx %.1f "
	       "(%" PRIu64 " bursts)\n",
	       ns_of(ctx, sum_dp(ctx, DP_CYC_PARSE)) / (double)pk,
	       ns_of(ctx, sum_dp(ctx, DP_CYC_SHARD)) / (double)pk,
	       ns_of(ctx, sum_dp(ctx, DP_CYC_TX)) / (double)pk, bursts);
}

