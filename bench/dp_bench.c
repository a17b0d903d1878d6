/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_bench - packet-replay benchmark of gavel's packet path.
 *
 * One process, two lcores. The main lcore is the network: it copies
 * pre-built order frames (read from a capture made by gavel-pcapgen) into
 * mbufs, stamps them with the capture's clock like net_pcap does, and
 * enqueues them into the rx ring of a net_ring port (rte_eth_from_rings);
 * it drains and frees what gavel transmits on the tx ring. The worker
 * lcore runs gavel's run-to-completion loop (dp_run_rtc) on that port:
 * frame checks, MAC, sessions, book, GOE/1 and ITCH encoding, frame build.
 *
 * Pass 1 offers frames as fast as the ring takes them (back-pressure, no
 * loss): the maximum rate. Pass 2 replays the same capture from fresh
 * state, paced at half that rate: rx->tx latency under load. Each pass
 * prints gavel's summary (rates, latency percentiles, ns per datagram per
 * stage); the last line is machine-readable.
 *
 * Before the passes, the worker lcore spins for JITTER_S seconds reading
 * the TSC and records every gap of 2 µs or more: time the platform (the
 * hypervisor, interrupts) takes away from a busy core. No packet path can
 * have an rx->tx tail shorter than those gaps when they are frequent.
 *
 * With --http-load RPS, the control plane runs too (as in gavel) and a
 * client thread sends RPS requests per second, alternating GET /metrics
 * and GET /health, during both passes: the cost of being observed.
 *
 *   dp_bench [EAL options] -- --config FILE --pcap FILE [--rate PPS]
 *            [--http-load RPS] [--offload NAME] [--max-only]
 *
 * --offload overrides the config's engine.offload.backend (none, sw, ...).
 * --max-only runs the maximum-rate pass alone (no jitter measurement, no
 * paced pass), for profiling.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "dp_pvt.h"
#include "gv_errno.h"

#define RING_SIZE 4096
#define BURST 32
#define JITTER_S 2.0

/* The platform's interruptions of a spinning lcore. */
struct jitter {
	uint64_t gaps;            /* gaps >= 2 µs */
	uint64_t gaps10;          /* ... >= 10 µs */
	uint64_t lost_cyc;        /* their total */
	uint64_t max_cyc;
	uint64_t span_cyc;
};

static int jitter_lcore(void *arg)
{
	struct jitter *j = arg;
	uint64_t hz = rte_get_tsc_hz(), thr = hz / 500000, thr10 = hz / 100000;
	uint64_t t0 = rte_rdtsc(), prev = t0, now, end;

	end = t0 + (uint64_t)(JITTER_S * (double)hz);
	do {
		now = rte_rdtsc();
		if (now - prev >= thr) {
			j->gaps++;
			j->gaps10 += now - prev >= thr10;
			j->lost_cyc += now - prev;
			j->max_cyc = GV_MAX(j->max_cyc, now - prev);
		}
		prev = now;
	} while (now < end);
	j->span_cyc = now - t0;
	return 0;
}

static void measure_jitter(void)
{
	unsigned w = rte_get_next_lcore(-1, 1, 0);
	double us = 1e6 / (double)rte_get_tsc_hz();
	struct jitter j = { 0 };

	if (w >= RTE_MAX_LCORE)
		return;
	rte_eal_remote_launch(jitter_lcore, &j, w);
	rte_eal_wait_lcore(w);
	printf("--- platform: lcore %u spinning %.0f s ---\n"
	       "  interruptions >= 2 us: %" PRIu64 " (%.1f per ms), >= 10 us: %"
	       PRIu64 ", longest %.1f us, time lost %.3f %%\n", w, JITTER_S,
	       j.gaps, (double)j.gaps / (JITTER_S * 1e3), j.gaps10,
	       (double)j.max_cyc * us,
	       100.0 * (double)j.lost_cyc / (double)GV_MAX(j.span_cyc, 1));
	printf("result: jitter_gaps_per_ms=%.2f jitter_gaps10=%" PRIu64
	       " jitter_max_us=%.1f jitter_lost_pct=%.3f\n",
	       (double)j.gaps / (JITTER_S * 1e3), j.gaps10,
	       (double)j.max_cyc * us,
	       100.0 * (double)j.lost_cyc / (double)GV_MAX(j.span_cyc, 1));
}

struct frame {
	uint32_t len;
	uint64_t ts_us;
	const uint8_t *data;
};

struct capture {
	struct frame *f;
	uint32_t n;
	uint8_t *bytes;
};

static volatile bool g_stop;
static volatile bool g_http_stop;
static double g_http_rps;
static uint16_t g_http_port;
static uint64_t g_http_done, g_http_failed;

static size_t sink(void *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* The observer: GET /metrics and /health, paced at g_http_rps. */
static void *http_load(void *arg)
{
	CURL *c = curl_easy_init();
	char url[2][64];
	uint64_t i = 0, t0 = gv_clock_realtime_ns();

	(void)arg;
	snprintf(url[0], sizeof(url[0]), "http://127.0.0.1:%u/metrics",
	         g_http_port);
	snprintf(url[1], sizeof(url[1]), "http://127.0.0.1:%u/health",
	         g_http_port);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	while (!g_http_stop && c != NULL) {
		uint64_t due = t0 + (uint64_t)((double)i * 1e9 / g_http_rps);
		long code = 0;

		while (gv_clock_realtime_ns() < due && !g_http_stop) {
			struct timespec nap = { 0, 100000 };

			nanosleep(&nap, NULL);
		}
		curl_easy_setopt(c, CURLOPT_URL, url[i & 1]);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200)
			g_http_done++;
		else
			g_http_failed++;
		i++;
	}
	curl_easy_cleanup(c);
	return NULL;
}

static int load_capture(const char *path, struct capture *c)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	size_t cap = 1 << 16, used = 0, bcap = 64u << 20;
	pcap_t *pc = pcap_open_offline(path, err);
	int rc;

	if (pc == NULL) {
		fprintf(stderr, "dp_bench: %s\n", err);
		return -1;
	}
	c->f = malloc(cap * sizeof(*c->f));
	c->bytes = malloc(bcap);
	c->n = 0;
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		if (c->n == cap)
			c->f = realloc(c->f, (cap *= 2) * sizeof(*c->f));
		if (used + h->caplen > bcap)
			c->bytes = realloc(c->bytes, bcap *= 2);
		if (c->f == NULL || c->bytes == NULL)
			return -1;
		memcpy(c->bytes + used, p, h->caplen);
		c->f[c->n].len = h->caplen;
		c->f[c->n].ts_us = (uint64_t)h->ts.tv_sec * 1000000u +
		                   (uint64_t)h->ts.tv_usec;
		c->f[c->n].data = (const uint8_t *)(uintptr_t)used;
		used += h->caplen;
		c->n++;
	}
	for (uint32_t i = 0; i < c->n; i++)
		c->f[i].data = c->bytes + (uintptr_t)c->f[i].data;
	pcap_close(pc);
	return 0;
}

static int gavel_lcore(void *arg)
{
	dp_run_rtc(arg);
	return 0;
}

/* Drain gavel's transmissions; returns frames freed. */
static uint32_t drain(struct rte_ring *tx)
{
	struct rte_mbuf *m[BURST];
	uint32_t n, total = 0;

	while ((n = rte_ring_sc_dequeue_burst(tx, (void **)m, BURST, NULL)) > 0) {
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}

/* Offer the capture at `pps` (0 = as fast as the ring takes it). */
static void offer(const struct dp_ctx *ctx, const struct capture *c,
                  struct rte_ring *rx, struct rte_ring *tx, double pps)
{
	struct rte_mbuf *m[BURST];
	uint64_t t0 = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint32_t i = 0, k, n, sent;

	/* Paced: one frame at a time, each at its own instant, as a network
	 * would deliver them; unpaced: bursts, as fast as the ring takes. */
	while (i < c->n) {
		n = GV_MIN(pps > 0 ? 1u : (uint32_t)BURST, c->n - i);
		if (pps > 0)
			while (rte_rdtsc() - t0 <
			       (uint64_t)((double)i * (double)hz / pps))
				drain(tx);
		if (rte_pktmbuf_alloc_bulk(ctx->pool, m, n) != 0) {
			drain(tx);
			continue;
		}
		for (k = 0; k < n; k++) {
			const struct frame *f = &c->f[i + k];

			memcpy(rte_pktmbuf_append(m[k], (uint16_t)f->len),
			       f->data, f->len);
			*RTE_MBUF_DYNFIELD(m[k], ctx->ts_off, uint64_t *) =
			        f->ts_us;
			m[k]->ol_flags |= ctx->ts_flag;
		}
		for (sent = 0; sent < n;) {
			sent += rte_ring_sp_enqueue_burst(rx, (void **)m + sent,
			                                  n - sent, NULL);
			drain(tx);
		}
		i += n;
	}
}

struct result {
	double dgrams_s, msgs_s;
	double p50_ns, p99_ns, p999_ns;
};

static double lat_ns(const struct dp_ctx *ctx, double pct)
{
	return (double)dp_hist_pct(&ctx->lat, pct) * 1e9 /
	       (double)ctx->tsc_hz;
}

static int run_pass(struct gv_config *cfg, const struct capture *c,
                    struct rte_ring *rx, struct rte_ring *tx, double pps,
                    struct result *r)
{
	struct dp_ctx ctx = { .cfg = cfg, .layout = DP_LAYOUT_RTC,
	                      .replay = true, .stop = &g_stop, .ts_off = -1 };
	unsigned w = rte_get_next_lcore(-1, 1, 0);
	struct gv_control *ctl = NULL;
	pthread_t load;
	uint64_t dg = 0, msgs = 0;
	double s;
	uint32_t i;
	int rc;

	ctx.tsc_hz = rte_get_tsc_hz();
	ctx.tsc0 = rte_rdtsc();
	rc = dp_setup(&ctx);
	if (rc != 0 || w >= RTE_MAX_LCORE || ctx.ts_off < 0) {
		fprintf(stderr, "dp_bench: set-up: %s (need 2 lcores)\n",
		        gv_strerror(rc ? rc : -EINVAL));
		return -1;
	}
	ctx.role.role = GV_ROLE_PRIMARY;
	if (dp_control_setup(&ctx) != 0)
		return -1;
	if (g_http_rps > 0) {
		struct gv_control_params cp = { .address = "127.0.0.1" };
		struct gv_ctl_provider prov;

		dp_control_provider(&ctx, &prov);
		ctl = gv_control_start(&cp, &prov);
		if (ctl == NULL)
			return -1;
		g_http_port = gv_control_port(ctl);
		g_http_stop = false;
		g_http_done = g_http_failed = 0;
		pthread_create(&load, NULL, http_load, NULL);
	}
	rte_eal_remote_launch(gavel_lcore, &ctx, w);
	offer(&ctx, c, rx, tx, pps);
	while (rte_eal_get_lcore_state(w) == RUNNING)
		drain(tx);
	rte_eal_wait_lcore(w);
	drain(tx);
	if (ctl != NULL) {
		g_http_stop = true;
		pthread_join(load, NULL);
		gv_control_stop(ctl);
	}
	printf("--- %s ---\n", pps > 0 ? "paced" : "maximum rate");
	if (pps > 0)
		printf("  offered: %.0f datagrams/s\n", pps);
	if (g_http_rps > 0)
		printf("  control plane: %" PRIu64 " requests answered, %" PRIu64
		       " failed (target %.0f/s)\n", g_http_done, g_http_failed,
		       g_http_rps);
	dp_summary(&ctx);
	for (i = 0; i < ctx.nshards; i++) {
		dg += gv_shard_counter(ctx.shards[i].sh, GV_SH_RX_DGRAMS);
		msgs += gv_shard_counter(ctx.shards[i].sh, GV_SH_MSGS_IN);
	}
	s = (double)(ctx.last_tsc - ctx.first_tsc) / (double)ctx.tsc_hz;
	r->dgrams_s = s > 0 ? (double)dg / s : 0;
	r->msgs_s = s > 0 ? (double)msgs / s : 0;
	r->p50_ns = lat_ns(&ctx, 50);
	r->p99_ns = lat_ns(&ctx, 99);
	r->p999_ns = lat_ns(&ctx, 99.9);
	dp_finish(&ctx, ctx.last_ns);
	drain(tx);
	rte_eth_dev_stop(ctx.port_oe);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "http-load", required_argument, NULL, 'H' },
		{ "offload", required_argument, NULL, 'O' },
		{ "max-only", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *pcap = NULL, *offload = NULL;
	struct result max, half;
	struct rte_ring *rx, *tx;
	struct gv_config *cfg;
	struct capture c;
	double rate = 0;
	char err[512];
	bool max_only = false;
	int n, o;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	argc -= n;
	argv += n;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 'c')
			conf = optarg;
		else if (o == 'p')
			pcap = optarg;
		else if (o == 'r')
			rate = atof(optarg);
		else if (o == 'H')
			g_http_rps = atof(optarg);
		else if (o == 'O')
			offload = optarg;
		else if (o == 'M')
			max_only = true; /* profiling: no jitter pass, no pacing */
		else
			return 2;
	}
	if (conf == NULL || pcap == NULL) {
		fprintf(stderr, "usage: dp_bench [EAL] -- --config F --pcap F "
		        "[--rate PPS] [--offload NAME] [--http-load RPS] "
		        "[--max-only]\n");
		return 2;
	}
	cfg = gv_config_load(conf, err, sizeof(err));
	if (cfg == NULL || load_capture(pcap, &c) != 0) {
		fprintf(stderr, "dp_bench: %s\n", cfg ? "bad capture" : err);
		return 1;
	}
	rx = rte_ring_create("gvb_rx", RING_SIZE, rte_socket_id(),
	                     RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create("gvb_tx", RING_SIZE, rte_socket_id(),
	                     RING_F_SP_ENQ | RING_F_SC_DEQ);
	o = rx && tx ? rte_eth_from_rings("gvbench", &rx, 1, &tx, 1,
	                                  rte_socket_id()) : -1;
	if (o < 0 || rte_eth_dev_get_name_by_port((uint16_t)o,
	                                          cfg->engine.ports[0]) != 0)
		return 1;
	cfg->engine.n_ports = 1;
	if (offload != NULL)
		snprintf(cfg->engine.offload.backend,
		         sizeof(cfg->engine.offload.backend), "%s", offload);
	printf("dp_bench: offload %s\n", cfg->engine.offload.backend);
	gv_clock_init(0);
	printf("dp_bench: %u frames from %s, net_ring port, run-to-completion\n",
	       c.n, pcap);
	if (!max_only)
		measure_jitter();
	if (run_pass(cfg, &c, rx, tx, rate, &max) != 0)
		return 1;
	if (max_only)
		half = max;
	else if (rate == 0 && run_pass(cfg, &c, rx, tx, max.dgrams_s / 2, &half) != 0)
		return 1;
	else if (rate != 0)
		half = max;
	printf("result: max_dgrams_per_s=%.0f max_msgs_per_s=%.0f "
	       "half_rate_dgrams_per_s=%.0f half_p50_ns=%.0f half_p99_ns=%.0f "
	       "half_p999_ns=%.0f\n", max.dgrams_s, max.msgs_s, half.dgrams_s,
	       half.p50_ns, half.p99_ns, half.p999_ns);
	rte_eal_cleanup();
	return 0;
}
