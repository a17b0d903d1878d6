/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shard_bench - the shard engine alone (docs/benchmarks.md): GOE/1 MAC
 * check and decoding, sessions, the book, execution reports and ITCH
 * encoding, MACs of the replies; no DPDK, no frames, one thread.
 *
 *   shard_bench CONFIG CAPTURE.pcap [--runs K] [--burst B] [--cpu N]
 *               [--offload NAME]
 *
 * The capture (a gavel-pcapgen file) is read into memory first. Each run
 * creates fresh shards and hands them the datagrams in bursts of B
 * (default 32, GV_BURST_MAX) through gv_shard_rx_burst with batching on,
 * then gv_shard_flush: what dp_run_rtc does with each rx burst. Emitted
 * payloads go to a consumer that counts them and folds their bytes into
 * a hash, which must be the same in every run. Time is taken
 * around the whole replay; the result is the median over K runs (default
 * 5) of orders/s (client messages applied) and ns per order.
 *
 * Without DPDK's rx/tx and the traffic thread it is steadier than
 * dp_bench, and valgrind can run it: the instruction count per order of
 * the engine as the packet path drives it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_clock.h"
#include "gv_config.h"
#include "gv_errno.h"
#include "gv_shard.h"
#include "tools/gv_capture.h"

struct dgram {
	uint8_t *pl;
	uint32_t len;
	struct gv_addr src;
	uint64_t now_ns;
	int shard;                   /* index into cfg->engine.shards */
};

struct sink {
	uint64_t payloads, bytes, hash;
	uint64_t s1, s2;             /* Fletcher-style sums of the words */
};

/*
 * The consumer: about what building a frame costs (every byte read once),
 * order-sensitive. Per payload, a Fletcher-style pair of sums over its
 * 8-byte words and the destination, folded into `hash`.
 */
static void sink_emit(void *arg, const struct gv_addr *dst,
                      const uint8_t *pl, uint32_t len)
{
	struct sink *k = arg;
	uint64_t s1 = dst->ip ^ (uint64_t)dst->port << 32, s2 = len, w;
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, pl + i, 8);
		s1 += w;
		s2 += s1;
	}
	w = 0;
	memcpy(&w, pl + i, len - i);
	s1 += w;
	s2 += s1;
	k->hash = (k->hash ^ s1 ^ (s2 << 1 | s2 >> 63)) * 0x100000001b3ull;
	k->payloads++;
	k->bytes += len;
}

static int load(const char *path, const struct gv_config *cfg,
                struct dgram **out, uint32_t *n)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	struct dgram *d = NULL;
	uint32_t cap = 0, k = 0;
	pcap_t *in = pcap_open_offline(path, err);

	if (in == NULL) {
		fprintf(stderr, "shard_bench: %s\n", err);
		return -1;
	}
	while (pcap_next_ex(in, &h, &pkt) == 1) {
		struct gv_addr src;
		uint32_t plen, id;
		const uint8_t *pl = gv_capture_udp_payload(pkt, h->caplen,
		                                           &src, &plen);
		int s = -1;

		if (pl == NULL || plen < 8)
			continue;
		id = (uint32_t)pl[4] | (uint32_t)pl[5] << 8 |
		     (uint32_t)pl[6] << 16 | (uint32_t)pl[7] << 24;
		for (uint32_t i = 0; i < cfg->engine.n_shards; i++)
			if ((int)cfg->engine.shards[i].id ==
			    gv_config_session_shard(cfg, id))
				s = (int)i;
		if (s < 0)
			continue;
		if (k == cap) {
			cap = cap ? 2 * cap : 4096;
			d = realloc(d, cap * sizeof(*d));
			if (d == NULL)
				return -1;
		}
		d[k] = (struct dgram){ malloc(plen), plen, src,
		                       (uint64_t)h->ts.tv_sec * 1000000000u +
		                       (uint64_t)h->ts.tv_usec * 1000u, s };
		if (d[k].pl == NULL)
			return -1;
		memcpy(d[k].pl, pl, plen);
		k++;
	}
	pcap_close(in);
	*out = d;
	*n = k;
	return 0;
}

struct run {
	double ns;
	uint64_t msgs;
	struct sink sink;
};

static int one_run(const struct gv_config *cfg, const struct dgram *d,
                   uint32_t n, uint32_t burst, struct run *r)
{
	struct gv_shard *sh[GV_MAX_SHARDS] = { 0 };
	struct gv_shard_in in[GV_BURST_MAX];
	struct gv_shard_out so = { sink_emit, &r->sink };
	uint32_t ns = cfg->engine.n_shards;
	uint64_t t0, t1;

	memset(r, 0, sizeof(*r));
	r->sink.hash = 0xcbf29ce484222325ull;
	for (uint32_t i = 0; i < ns; i++) {
		sh[i] = gv_shard_create(cfg, cfg->engine.shards[i].id, &so,
		                        n ? d[0].now_ns : 0);
		if (sh[i] == NULL) {
			fprintf(stderr, "shard_bench: shard: %s\n",
			        gv_strerror(gv_errno));
			return -1;
		}
		gv_shard_set_batching(sh[i], true);
	}
	t0 = gv_clock_ns();
	for (uint32_t at = 0; at < n; at += burst) {
		uint32_t k = GV_MIN(burst, n - at);

		for (uint32_t s = 0; s < ns; s++) {
			uint32_t m = 0;

			for (uint32_t j = at; j < at + k; j++)
				if (d[j].shard == (int)s)
					in[m++] = (struct gv_shard_in){
						d[j].pl, d[j].len, d[j].src,
						d[j].now_ns };
			if (m > 0)
				gv_shard_rx_burst(sh[s], in, m);
			gv_shard_flush(sh[s]);
		}
	}
	t1 = gv_clock_ns();
	r->ns = (double)(t1 - t0);
	for (uint32_t i = 0; i < ns; i++) {
		r->msgs += gv_shard_counter(sh[i], GV_SH_MSGS_IN);
		gv_shard_close(sh[i], n ? d[n - 1].now_ns : 0);
	}
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: shard_bench CONFIG CAPTURE.pcap [--runs K] "
	        "[--burst B] [--cpu N] [--offload NAME]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "offload", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	int runs = 5, burst = GV_BURST_MAX, cpu = -1, o;
	const char *offload = NULL;
	struct gv_config *cfg;
	struct dgram *d = NULL;
	struct run r[99];
	double rate[99], nsper[99];
	char err[512];
	uint32_t n = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 'r')
			runs = atoi(optarg);
		else if (o == 'b')
			burst = atoi(optarg);
		else if (o == 'c')
			cpu = atoi(optarg);
		else if (o == 'O')
			offload = optarg;
		else {
			usage();
			return 2;
		}
	}
	if (argc - optind != 2 || runs < 1 || runs > 99 || burst < 1 ||
	    burst > GV_BURST_MAX) {
		usage();
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			perror("shard_bench: sched_setaffinity");
	}
	gv_clock_init(0);
	cfg = gv_config_load(argv[optind], err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "shard_bench: %s\n", err);
		return 1;
	}
	if (offload != NULL)
		snprintf(cfg->engine.offload.backend,
		         sizeof(cfg->engine.offload.backend), "%s", offload);
	if (load(argv[optind + 1], cfg, &d, &n) != 0)
		return 1;
	printf("shard_bench: %u datagrams, bursts of %d, offload %s\n", n,
	       burst, cfg->engine.offload.backend);
	for (int i = 0; i < runs; i++) {
		if (one_run(cfg, d, n, (uint32_t)burst, &r[i]) != 0)
			return 1;
		if (r[i].msgs == 0 || r[i].sink.hash != r[0].sink.hash ||
		    r[i].msgs != r[0].msgs) {
			fprintf(stderr, "shard_bench: run %d differs\n", i);
			return 1;
		}
		rate[i] = (double)r[i].msgs * 1e9 / r[i].ns;
		nsper[i] = r[i].ns / (double)r[i].msgs;
		printf("  run %d: %.3f M orders/s, %.1f ns per order\n", i + 1,
		       rate[i] / 1e6, nsper[i]);
	}
	qsort(rate, (size_t)runs, sizeof(rate[0]), cmp_dbl);
	qsort(nsper, (size_t)runs, sizeof(nsper[0]), cmp_dbl);
	printf("result: orders=%" PRIu64 " payloads=%" PRIu64 " bytes=%" PRIu64
	       " hash=%016" PRIx64 " orders_per_s=%.0f ns_per_order=%.1f\n",
	       r[0].msgs, r[0].sink.payloads, r[0].sink.bytes, r[0].sink.hash,
	       rate[runs / 2], nsper[runs / 2]);
	for (uint32_t i = 0; i < n; i++)
		free(d[i].pl);
	free(d);
	gv_config_free(cfg);
	return 0;
}
