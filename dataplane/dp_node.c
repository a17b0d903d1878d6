/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_node.c - gavel's packet path: rx burst -> frame checks -> steer by
 * session to a shard -> shard engine (sessions, book, encoders) -> reply
 * and market-data frames -> tx burst.
 *
 * Per burst of <= GV_BURST_MAX packets: one pass parses and steers every
 * frame (prefetching the next), one pass runs the engine, one pass sends.
 * Four TSC stamps per burst give the per-stage cycle totals and each
 * packet's rx->tx latency (that of its burst). Nothing here allocates
 * (mbufs come from the pool made at start), locks, logs or makes a system
 * call; every drop is a counter.
 */
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "dp_pvt.h"
#include "gv_errno.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP4_LEN 20
#define UDP_LEN 8
#define TX_RETRIES 64
#define REPLAY_IDLE_MS 100      /* a replay ends this long after rx dries */
#define REPLAY_EMPTY_MS 5000    /* ... or if nothing ever arrives */
#define TICK_US 1000            /* live mode: run engine timers each ms */

/* What the rx side learned about a frame. */
struct pinfo {
	const uint8_t *payload;
	uint32_t len;
	struct gv_addr src;
	const uint8_t *src_mac;
	uint64_t now_ns;
	uint32_t shard;
};

/*
 * Pipeline: the same, carried in the mbuf to the shard's lcore (16 bytes:
 * the dynamic field area is small). The rx TSC stamp rides in the rx
 * timestamp field, free once the engine time is taken from it.
 */
struct dp_meta {
	uint64_t now_ns;
	uint32_t src_ip;
	uint16_t src_port;
	uint16_t off;              /* payload offset in the frame */
};

GV_STATIC_ASSERT(sizeof(struct dp_meta) == 16, "fits the dynfield area");

static inline uint64_t *rx_tsc_of(const struct dp_ctx *ctx, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, ctx->ts_off, uint64_t *);
}

static inline struct dp_meta *meta(const struct dp_ctx *ctx,
                                   struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, ctx->meta_off, struct dp_meta *);
}

int dp_register_meta(struct dp_ctx *ctx)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "gavel_rx_meta",
		.size = sizeof(struct dp_meta),
		.align = __alignof__(struct dp_meta),
	};

	ctx->meta_off = rte_mbuf_dynfield_register(&desc);
	return ctx->meta_off < 0 ? -rte_errno : 0;
}

/* ---- latency histogram ------------------------------------------------- */

static inline void hist_add(struct dp_hist *h, uint64_t v, uint64_t n)
{
	unsigned lg = v ? 63 - (unsigned)__builtin_clzll(v) : 0;
	unsigned sub = lg >= 3 ? (unsigned)(v >> (lg - 3)) & 7 : (unsigned)v & 7;

	h->bucket[lg][sub] += n;
	h->n += n;
	if (v > h->max)
		h->max = v;
}

/* The value below which pct % of the samples fall (bucket midpoint). */
uint64_t dp_hist_pct(const struct dp_hist *h, double pct)
{
	uint64_t want = (uint64_t)((double)h->n * pct / 100.0), seen = 0;
	unsigned lg, sub;

	if (h->n == 0)
		return 0;
	for (lg = 0; lg < DP_HIST_BUCKETS; lg++)
		for (sub = 0; sub < 8; sub++) {
			seen += h->bucket[lg][sub];
			if (seen > want || (seen == h->n && seen > 0)) {
				uint64_t lo = lg >= 3 ? ((8ull | sub) << (lg - 3))
				                      : sub;
				uint64_t w = lg >= 3 ? 1ull << (lg - 3) : 1;

				return GV_MIN(lo + w / 2, h->max);
			}
		}
	return h->max;
}

void dp_hist_merge(struct dp_hist *into, const struct dp_hist *from)
{
	unsigned lg, sub;

	for (lg = 0; lg < DP_HIST_BUCKETS; lg++)
		for (sub = 0; sub < 8; sub++)
			into->bucket[lg][sub] += from->bucket[lg][sub];
	into->n += from->n;
	into->max = GV_MAX(into->max, from->max);
}

/* ---- frames -------------------------------------------------------------- */

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Check an Ethernet [802.1Q] IPv4 UDP frame addressed to our order-entry
 * endpoint. Returns -1 and fills pi, or the drop counter.
 */
static inline int parse(const struct dp_ctx *ctx, struct rte_mbuf *m,
                        struct pinfo *pi)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip, *udp;
	uint32_t len = rte_pktmbuf_data_len(m), off = ETH_LEN, ihl, tot, ulen;
	uint16_t et;

	if (gv_unlikely(m->nb_segs != 1))
		return DP_DROP_MULTISEG;
	if (len < ETH_LEN + 2)
		return DP_DROP_MALFORMED;
	et = be16(p + 12);
	if (et == RTE_ETHER_TYPE_VLAN) {
		et = be16(p + 16);
		off += VLAN_LEN;
	}
	if (et != RTE_ETHER_TYPE_IPV4)
		return DP_DROP_NOT_IPV4;
	ip = p + off;
	if (len < off + IP4_LEN + UDP_LEN || (ip[0] >> 4) != 4)
		return DP_DROP_MALFORMED;
	ihl = (ip[0] & 15u) * 4;
	tot = be16(ip + 2);
	if (ihl < IP4_LEN || tot < ihl + UDP_LEN || off + tot > len ||
	    (be16(ip + 6) & 0x3fff) != 0 || /* MF or a fragment offset */
	    rte_raw_cksum(ip, ihl) != 0xffff)
		return DP_DROP_MALFORMED;
	if (ip[9] != IPPROTO_UDP)
		return DP_DROP_OTHER_DST;
	udp = ip + ihl;
	ulen = be16(udp + 4);
	if (ulen < UDP_LEN || ulen > tot - ihl)
		return DP_DROP_MALFORMED;
	if (be16(udp + 2) != ctx->oe_port ||
	    (ctx->oe_ip != 0 && be32(ip + 16) != ctx->oe_ip))
		return DP_DROP_OTHER_DST;
	pi->payload = udp + UDP_LEN;
	pi->len = ulen - UDP_LEN;
	pi->src.ip = be32(ip + 12);
	pi->src.port = be16(udp);
	pi->src_mac = p + 6;
	return -1;
}

/* Shard serving the datagram's session (LE u32 at offset 4), or -1. */
static inline int steer(const struct dp_ctx *ctx, const uint8_t *pl,
                        uint32_t len)
{
	uint32_t id, lo = 0, hi = ctx->nsess;

	if (len < 8)
		return -1;
	id = (uint32_t)pl[4] | (uint32_t)pl[5] << 8 | (uint32_t)pl[6] << 16 |
	     (uint32_t)pl[7] << 24;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (ctx->sess_id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ctx->nsess && ctx->sess_id[lo] == id ? ctx->sess_shard[lo]
	                                                : -1;
}

/* Engine time: the capture's clock in a replay, else the wall clock. */
static inline uint64_t rx_time(const struct dp_ctx *ctx,
                               const struct rte_mbuf *m, uint64_t tsc)
{
	if (ctx->replay && ctx->ts_off >= 0 && (m->ol_flags & ctx->ts_flag))
		/* net_pcap stamps microseconds */
		return *RTE_MBUF_DYNFIELD(m, ctx->ts_off, uint64_t *) * 1000;
	return ctx->wall0_ns + gv_clock_cycles_to_ns(tsc - ctx->tsc0);
}

/* ---- output -------------------------------------------------------------- */

static inline uint32_t mac_slot(uint32_t ip)
{
	return (ip * 2654435761u) >> 24;
}

/* The peer's MAC: the frame being answered, else learned, else broadcast. */
static void dst_mac(const struct dp_shard *s, uint32_t ip,
                    struct rte_ether_addr *mac)
{
	const struct dp_mac_entry *e = &s->macs[mac_slot(ip)];

	if (ip == s->cur_ip)
		*mac = s->cur_mac;
	else if (e->ip == ip && ip != 0)
		*mac = e->mac;
	else if ((ip >> 28) == 0xe) /* IPv4 multicast -> 01:00:5e + 23 bits */
		*mac = (struct rte_ether_addr){ { 0x01, 0x00, 0x5e,
		                                  (ip >> 16) & 0x7f,
		                                  (ip >> 8) & 0xff, ip & 0xff } };
	else
		memset(mac, 0xff, sizeof(*mac));
}

static void tx_port(struct dp_shard *s, uint16_t port, struct rte_mbuf **p,
                    uint32_t n)
{
	uint32_t sent = 0, tries = 0;

	while (sent < n && tries++ < TX_RETRIES)
		sent += rte_eth_tx_burst(port, 0, p + sent, (uint16_t)(n - sent));
	s->cnt[DP_TX_PKTS] += sent;
	if (sent < n) {
		s->cnt[DP_TX_DROP] += n - sent;
		rte_pktmbuf_free_bulk(p + sent, n - sent);
	}
}

/* Send (rtc) or hand to the tx lcore (pipeline) what the engine emitted. */
static void flush_tx(struct dp_shard *s)
{
	uint32_t i = 0, j;

	if (s->ntx == 0)
		return;
	if (s->tx_ring != NULL) {
		while (i < s->ntx)
			i += rte_ring_sp_enqueue_burst(s->tx_ring,
			                               (void **)s->txbuf + i,
			                               s->ntx - i, NULL);
	} else {
		/* Runs of the same port keep each port's order. */
		while (i < s->ntx) {
			for (j = i; j < s->ntx && s->txbuf[j]->port ==
			                          s->txbuf[i]->port; j++)
				;
			tx_port(s, s->txbuf[i]->port, s->txbuf + i, j - i);
			i = j;
		}
	}
	s->ntx = 0;
}

/*
 * The IPv4 header checksum of put_frame's header, from the values rather
 * than the bytes: RFC 1071's one's-complement sum of the 16-bit words
 * (0x4500, total length, id 0, 0x4000 DF, TTL 64 << 8 | UDP, the
 * addresses). Summing the header just written would read it back across
 * a dozen narrow stores, a load the CPU cannot forward from the store
 * buffer: it waited for them to reach L1 (perf: 39 % of emit's samples).
 */
static inline uint16_t ip4_cksum(uint16_t total_len, uint32_t src,
                                 uint32_t dst)
{
	uint32_t sum = 0x4500u + total_len + 0x4000u +
	               (64u << 8 | IPPROTO_UDP) + (src >> 16) + (src & 0xffff) +
	               (dst >> 16) + (dst & 0xffff);

	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

static void put_frame(struct dp_shard *s, uint8_t *p, const struct gv_addr *dst,
                      const uint8_t *payload, uint32_t len, bool md)
{
	const struct dp_ctx *ctx = s->ctx;
	uint8_t *ip = p + ETH_LEN, *udp = ip + IP4_LEN;
	uint16_t total = (uint16_t)(IP4_LEN + UDP_LEN + len);
	struct rte_ether_addr dmac;

	dst_mac(s, dst->ip, &dmac);
	memcpy(p, &dmac, 6);
	memcpy(p + 6, md ? &ctx->mac_md : &ctx->mac_oe, 6);
	p[12] = 0x08;
	p[13] = 0x00;
	*(struct rte_ipv4_hdr *)ip = (struct rte_ipv4_hdr){
		.version_ihl = 0x45,
		.total_length = rte_cpu_to_be_16(total),
		.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_UDP,
		.hdr_checksum = rte_cpu_to_be_16(ip4_cksum(total, ctx->oe_ip,
		                                           dst->ip)),
		.src_addr = rte_cpu_to_be_32(ctx->oe_ip),
		.dst_addr = rte_cpu_to_be_32(dst->ip),
	};
	*(struct rte_udp_hdr *)udp = (struct rte_udp_hdr){
		.src_port = rte_cpu_to_be_16(ctx->oe_port),
		.dst_port = rte_cpu_to_be_16(dst->port),
		.dgram_len = rte_cpu_to_be_16((uint16_t)(UDP_LEN + len)),
	};
	memcpy(udp + UDP_LEN, payload, len);
}

/* An mbuf for output: from the stash, refilled in bulk; prefetch the next. */
static inline struct rte_mbuf *take_mbuf(struct dp_shard *s)
{
	struct rte_mbuf *m, *next;

	if (gv_unlikely(s->nstash == 0)) {
		if (rte_pktmbuf_alloc_bulk(s->ctx->pool, s->stash,
		                           GV_BURST_MAX) != 0)
			return NULL;
		s->nstash = GV_BURST_MAX;
	}
	m = s->stash[--s->nstash];
	if (s->nstash > 0) {
		next = s->stash[s->nstash - 1];
		rte_prefetch0(next);
		rte_prefetch0(rte_pktmbuf_mtod(next, void *));
	}
	return m;
}

/* The shard engine's output callback: one UDP payload -> one frame. */
static void emit(void *arg, const struct gv_addr *dst, const uint8_t *payload,
                 uint32_t len)
{
	struct dp_shard *s = arg;
	const struct dp_ctx *ctx = s->ctx;
	bool md = dst->port != 0 && dst->ip == ctx->md_ip &&
	          dst->port == (uint16_t)(ctx->md_port + s->id);
	struct rte_mbuf *m;
	uint8_t *p;

	if (dst->ip == 0 || dst->port == 0 || len > GV_DGRAM_MAX) {
		s->cnt[DP_TX_NO_ROUTE]++;
		return;
	}
	if (!s->transmit) { /* a standby computes everything, sends nothing */
		s->cnt[DP_TX_SUPPRESSED]++;
		return;
	}
	m = take_mbuf(s);
	if (gv_unlikely(m == NULL)) {
		s->cnt[DP_TX_NOMBUF]++;
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH_LEN + IP4_LEN +
	                                                UDP_LEN + len));
	if (gv_unlikely(p == NULL)) {
		rte_pktmbuf_free(m);
		s->cnt[DP_TX_NOMBUF]++;
		return;
	}
	put_frame(s, p, dst, payload, len, md);
	m->port = md ? ctx->port_md : ctx->port_oe;
	if (s->tx_ring != NULL && ctx->ts_off >= 0)
		*rx_tsc_of(ctx, m) = s->cur_rx_tsc;
	if (s->ntx == DP_TXBUF_MAX)
		flush_tx(s);
	s->txbuf[s->ntx++] = m;
}

int dp_shard_start(struct dp_ctx *ctx, struct dp_shard *s, uint64_t now_ns)
{
	struct gv_shard_out out = { .emit = emit, .arg = s };

	s->ctx = ctx;
	s->cur_ip = 0;
	s->sh = gv_shard_create(ctx->cfg, s->id, &out, now_ns);
	if (s->sh == NULL)
		return -gv_errno;
	gv_shard_set_batching(s->sh, true); /* one flush per burst */
	flush_tx(s); /* the opening market-data messages */
	return 0;
}

/* Remember who sent this frame, and answer it without a lookup. */
static inline void learn(struct dp_shard *s, const struct pinfo *pi)
{
	struct dp_mac_entry *e = &s->macs[mac_slot(pi->src.ip)];

	s->cur_ip = pi->src.ip;
	memcpy(&s->cur_mac, pi->src_mac, 6);
	e->ip = pi->src.ip;
	e->mac = s->cur_mac;
}

/* ---- run to completion --------------------------------------------------- */

/* Create every shard at the first packet: a replay's clock starts there. */
int dp_start_all(struct dp_ctx *ctx, uint64_t now_ns)
{
	uint32_t i;
	int rc;

	for (i = 0; i < ctx->nshards; i++) {
		rc = dp_shard_start(ctx, &ctx->shards[i], now_ns);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Parse and steer a burst; keeps the frames to process in pi[] / pk[]. */
static uint32_t rx_stage(struct dp_ctx *ctx, struct rte_mbuf **pkts,
                         uint32_t n, uint64_t tsc, struct pinfo *pi,
                         struct rte_mbuf **pk)
{
	uint32_t i, k = 0;
	int rc;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rc = parse(ctx, pkts[i], &pi[k]);
		if (rc < 0) {
			rc = steer(ctx, pi[k].payload, pi[k].len);
			if (rc >= 0) {
				pi[k].shard = (uint32_t)rc;
				pi[k].now_ns = rx_time(ctx, pkts[i], tsc);
				pk[k++] = pkts[i];
				continue;
			}
			rc = DP_DROP_UNKNOWN_SESSION;
		}
		ctx->cnt[rc]++;
		rte_pktmbuf_free(pkts[i]);
	}
	ctx->cnt[DP_RX_PKTS] += n;
	ctx->cnt[DP_RX_GOE] += k;
	return k;
}

/* Idle poll: end a replay once input dries up; run timers when live. */
static bool idle(struct dp_ctx *ctx, uint64_t tsc, uint64_t *last_tick)
{
	uint32_t i;

	if (ctx->replay) {
		uint64_t since = ctx->first_tsc ? ctx->last_tsc : ctx->tsc0;
		uint64_t ms = ctx->first_tsc ? REPLAY_IDLE_MS : REPLAY_EMPTY_MS;

		return tsc - since > ctx->tsc_hz / 1000 * ms;
	}
	if (tsc - *last_tick > ctx->tsc_hz / 1000000 * TICK_US) {
		uint64_t now = rx_time(ctx, NULL, tsc);

		*last_tick = tsc;
		for (i = 0; i < ctx->nshards; i++) {
			gv_shard_tick(ctx->shards[i].sh, now);
			flush_tx(&ctx->shards[i]);
		}
	}
	return false;
}

static void note_times(struct dp_ctx *ctx, uint64_t tsc, uint64_t now_ns)
{
	if (ctx->first_tsc == 0) {
		ctx->first_tsc = tsc;
		ctx->first_ns = now_ns;
	}
	ctx->last_tsc = tsc;
	ctx->last_ns = now_ns;
}

/* Engine time for an admin action: the last input's in a replay. */
static inline uint64_t ctl_time(const struct dp_ctx *ctx, uint64_t tsc)
{
	return ctx->replay ? ctx->last_ns : rx_time(ctx, NULL, tsc);
}

void dp_run_rtc(struct dp_ctx *ctx)
{
	struct rte_mbuf *pkts[GV_BURST_MAX], *pk[GV_BURST_MAX];
	struct pinfo pi[GV_BURST_MAX];
	uint64_t t0, t1, t2, t3, last_tick = 0;
	uint32_t n, k, i;

	while (!*ctx->stop) {
		n = rte_eth_rx_burst(ctx->port_oe, 0, pkts, GV_BURST_MAX);
		t0 = rte_rdtsc();
		for (i = 0; i < ctx->nshards; i++)
			dp_ctl_poll(ctx, &ctx->shards[i], ctl_time(ctx, t0));
		if (n == 0) {
			if (idle(ctx, t0, &last_tick))
				break;
			continue;
		}
		k = rx_stage(ctx, pkts, n, t0, pi, pk);
		if (k == 0)
			continue;
		if (ctx->shards[0].sh == NULL) {
			if (dp_start_all(ctx, pi[0].now_ns) != 0)
				break;
			/* Start-up, not packet handling (a live gavel creates
			 * its shards before any traffic): time from here. */
			t0 = rte_rdtsc();
		}
		note_times(ctx, t0, pi[k - 1].now_ns);
		t1 = rte_rdtsc();
		for (i = 0; i < k; i++)
			learn(&ctx->shards[pi[i].shard], &pi[i]);
		/* Each shard gets its datagrams as one burst, in order. */
		for (i = 0; i < ctx->nshards; i++) {
			struct gv_shard_in in[GV_BURST_MAX];
			uint32_t j, m = 0;

			for (j = 0; j < k; j++)
				if (pi[j].shard == i)
					in[m++] = (struct gv_shard_in){
						pi[j].payload, pi[j].len,
						pi[j].src, pi[j].now_ns };
			if (m > 0)
				gv_shard_rx_burst(ctx->shards[i].sh, in, m);
			gv_shard_flush(ctx->shards[i].sh);
		}
		rte_pktmbuf_free_bulk(pk, k);
		t2 = rte_rdtsc();
		for (i = 0; i < ctx->nshards; i++)
			flush_tx(&ctx->shards[i]);
		t3 = rte_rdtsc();
		ctx->cnt[DP_BURSTS]++;
		ctx->cnt[DP_CYC_PARSE] += t1 - t0;
		ctx->cnt[DP_CYC_SHARD] += t2 - t1;
		ctx->cnt[DP_CYC_TX] += t3 - t2;
		hist_add(&ctx->lat, t3 - t0, k);
	}
}

/* ---- pipeline ------------------------------------------------------------ */

/* A shard's lcore: its rx ring in, its tx ring out. */
static int shard_main(void *arg)
{
	struct dp_shard *s = arg;
	struct dp_ctx *ctx = s->ctx;
	struct rte_mbuf *pk[GV_BURST_MAX];
	struct gv_shard_in in[GV_BURST_MAX];
	uint64_t last_tick = rte_rdtsc(), t0, t1;
	uint32_t n, i;

	while (__atomic_load_n(&s->sh, __ATOMIC_ACQUIRE) == NULL)
		if (*ctx->stop)
			return 0;
	while (!*ctx->stop) {
		s->busy = true;
		dp_ctl_poll(ctx, s, ctx->replay ? s->last_now_ns
		                                : rx_time(ctx, NULL, rte_rdtsc()));
		n = rte_ring_sc_dequeue_burst(s->rx_ring, (void **)pk,
		                              GV_BURST_MAX, NULL);
		if (n == 0) {
			s->busy = false;
			if (!ctx->replay &&
			    rte_rdtsc() - last_tick > ctx->tsc_hz / 1000) {
				last_tick = rte_rdtsc();
				gv_shard_tick(s->sh, rx_time(ctx, NULL, last_tick));
				flush_tx(s);
			}
			continue;
		}
		t0 = rte_rdtsc();
		for (i = 0; i < n; i++) {
			const struct dp_meta *md = meta(ctx, pk[i]);
			const uint8_t *pl = rte_pktmbuf_mtod(pk[i], uint8_t *) +
			                    md->off;
			struct pinfo pi = {
				.payload = pl,
				.len = (uint32_t)be16(pl - UDP_LEN + 4) - UDP_LEN,
				.src = { md->src_ip, md->src_port },
				.src_mac = rte_pktmbuf_mtod(pk[i], uint8_t *) + 6,
			};

			learn(s, &pi);
			in[i] = (struct gv_shard_in){ pi.payload, pi.len, pi.src,
			                              md->now_ns };
			s->last_now_ns = md->now_ns;
		}
		/* Replies leave after the whole burst: they carry the
		 * earliest rx stamp of it (latency is not understated). */
		s->cur_rx_tsc = ctx->ts_off >= 0 ? *rx_tsc_of(ctx, pk[0]) : 0;
		gv_shard_rx_burst(s->sh, in, n);
		gv_shard_flush(s->sh);
		rte_pktmbuf_free_bulk(pk, n);
		t1 = rte_rdtsc();
		flush_tx(s);
		s->cnt[DP_CYC_SHARD] += t1 - t0;
		s->cnt[DP_CYC_TX] += rte_rdtsc() - t1;
		s->cnt[DP_BURSTS]++;
		s->busy = false;
	}
	return 0;
}

/* Main lcore: drain every shard's tx ring to the ports. */
static uint32_t drain_tx(struct dp_ctx *ctx)
{
	struct rte_mbuf *pk[GV_BURST_MAX];
	uint32_t i, j, n, total = 0;
	uint64_t now;

	for (i = 0; i < ctx->nshards; i++) {
		struct dp_shard *s = &ctx->shards[i];

		n = rte_ring_sc_dequeue_burst(s->tx_ring, (void **)pk,
		                              GV_BURST_MAX, NULL);
		if (n == 0)
			continue;
		now = rte_rdtsc();
		for (j = 0; j < n && ctx->ts_off >= 0; j++)
			if (*rx_tsc_of(ctx, pk[j]) != 0) /* 0: not a reply */
				hist_add(&ctx->lat, now - *rx_tsc_of(ctx, pk[j]),
				         1);
		for (j = 0; j < n; j++) {
			uint32_t e = j;

			while (e < n && pk[e]->port == pk[j]->port)
				e++;
			tx_port(s, pk[j]->port, pk + j, e - j);
			j = e - 1;
		}
		total += n;
	}
	return total;
}

/* Hand a parsed burst to the shards' rings. */
static void to_rings(struct dp_ctx *ctx, struct pinfo *pi,
                     struct rte_mbuf **pk, uint32_t k, uint64_t tsc)
{
	uint32_t i;

	for (i = 0; i < k; i++) {
		struct dp_meta *md = meta(ctx, pk[i]);

		*md = (struct dp_meta){
			.now_ns = pi[i].now_ns,
			.src_ip = pi[i].src.ip,
			.src_port = pi[i].src.port,
			.off = (uint16_t)(pi[i].payload -
			                  rte_pktmbuf_mtod(pk[i], uint8_t *)),
		};
		if (ctx->ts_off >= 0)
			*rx_tsc_of(ctx, pk[i]) = tsc;
		/*
		 * A full ring pushes back: rx stops pulling until the shard
		 * catches up, and the port's own queue absorbs (or, on a real
		 * NIC, counts as missed) what comes meanwhile. Dropping here
		 * would only make every client resend.
		 */
		if (rte_ring_full(ctx->shards[pi[i].shard].rx_ring))
			ctx->cnt[DP_RING_FULL_WAITS]++;
		while (rte_ring_sp_enqueue(ctx->shards[pi[i].shard].rx_ring,
		                           pk[i]) != 0) {
			drain_tx(ctx);
			if (*ctx->stop) {
				rte_pktmbuf_free(pk[i]);
				break;
			}
		}
	}
}

/* A replay is over when rx is dry, every ring is empty and no shard works. */
static bool pipeline_drained(const struct dp_ctx *ctx)
{
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++) {
		const struct dp_shard *s = &ctx->shards[i];

		if (!rte_ring_empty(s->rx_ring) || !rte_ring_empty(s->tx_ring) ||
		    s->busy)
			return false;
	}
	return true;
}

void dp_run_pipeline(struct dp_ctx *ctx)
{
	struct rte_mbuf *pkts[GV_BURST_MAX], *pk[GV_BURST_MAX];
	struct pinfo pi[GV_BURST_MAX];
	uint64_t t0, last_tick = 0;
	uint32_t n, k, i;

	for (i = 0; i < ctx->nshards; i++)
		rte_eal_remote_launch(shard_main, &ctx->shards[i],
		                      ctx->shards[i].lcore);
	while (!*ctx->stop) {
		n = rte_eth_rx_burst(ctx->port_oe, 0, pkts, GV_BURST_MAX);
		t0 = rte_rdtsc();
		if (n == 0) {
			if (drain_tx(ctx) == 0 && ctx->replay &&
			    idle(ctx, t0, &last_tick) && pipeline_drained(ctx))
				break;
			continue;
		}
		k = rx_stage(ctx, pkts, n, t0, pi, pk);
		if (k > 0 && ctx->shards[0].sh == NULL) {
			/* Publish the shards: their lcores wait for them. */
			for (i = 0; i < ctx->nshards; i++) {
				struct dp_shard *s = &ctx->shards[i];
				struct gv_shard_out out = { .emit = emit, .arg = s };
				struct gv_shard *sh = gv_shard_create(
				        ctx->cfg, s->id, &out, pi[0].now_ns);

				if (sh == NULL) {
					*ctx->stop = true;
					break;
				}
				gv_shard_set_batching(sh, true);
				__atomic_store_n(&s->sh, sh, __ATOMIC_RELEASE);
			}
			t0 = rte_rdtsc(); /* start-up is not in the rate */
		}
		if (k > 0) {
			note_times(ctx, t0, pi[k - 1].now_ns);
			to_rings(ctx, pi, pk, k, t0);
		}
		ctx->cnt[DP_CYC_PARSE] += rte_rdtsc() - t0;
		ctx->cnt[DP_BURSTS]++;
		drain_tx(ctx);
	}
	*ctx->stop = true;
	rte_eal_mp_wait_lcore();
	drain_tx(ctx);
}

/* Closing market data, sent from the main lcore once the loops are done. */
void dp_finish(struct dp_ctx *ctx, uint64_t now_ns)
{
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++) {
		struct dp_shard *s = &ctx->shards[i];

		if (s->sh == NULL)
			continue;
		s->tx_ring = NULL; /* send directly from here on */
		gv_shard_close(s->sh, now_ns);
		s->sh = NULL;
		flush_tx(s);
		if (s->nstash > 0)
			rte_pktmbuf_free_bulk(s->stash, s->nstash);
		s->nstash = 0;
	}
}
