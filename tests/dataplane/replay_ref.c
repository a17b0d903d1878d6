/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_ref - the reference for the end-to-end tests: replays a GOE/1
 * capture straight into the shard engines (no DPDK), with the capture's
 * clock, and writes every emitted payload as an Ethernet/IPv4/UDP frame to
 * an output pcap. gavel's output for the same capture must decode to the
 * same messages in the same order (tests/dataplane/test_e2e.sh).
 *
 *   replay_ref CONFIG IN.pcap OUT.pcap
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_clock.h"
#include "gv_config.h"
#include "gv_errno.h"
#include "gv_shard.h"
#include "tools/gv_capture.h"

struct out {
	pcap_dumper_t *d;
	uint64_t now_ns;
	uint16_t sport;
	uint32_t sip;
	uint64_t frames;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void emit(void *arg, const struct gv_addr *dst, const uint8_t *pl,
                 uint32_t len)
{
	struct out *o = arg;
	uint8_t f[14 + 20 + 8 + GV_DGRAM_MAX] = { 0 };
	struct pcap_pkthdr h;
	uint32_t sum = 0, i;

	if (dst->ip == 0 || dst->port == 0 || len > GV_DGRAM_MAX)
		return;
	f[12] = 0x08;
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(28 + len));
	f[22] = 64;
	f[23] = 17;
	put32(f + 26, o->sip);
	put32(f + 30, dst->ip);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)f[14 + i] << 8 | f[15 + i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(f + 24, (uint16_t)~sum);
	put16(f + 34, o->sport);
	put16(f + 36, dst->port);
	put16(f + 38, (uint16_t)(8 + len));
	memcpy(f + 42, pl, len);
	h.ts.tv_sec = (time_t)(o->now_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(o->now_ns % 1000000000u / 1000);
	h.caplen = h.len = 42 + len;
	pcap_dump((u_char *)o->d, &h, f);
	o->frames++;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE > 512 ? PCAP_ERRBUF_SIZE : 512];
	struct gv_shard *sh[GV_MAX_SHARDS] = { 0 };
	struct out o = { 0 };
	struct pcap_pkthdr *h;
	const u_char *pkt;
	struct gv_config *cfg;
	pcap_t *in, *dead;
	uint64_t cyc = 0, dgrams = 0, t;
	uint32_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: replay_ref CONFIG IN.pcap OUT.pcap\n");
		return 2;
	}
	gv_clock_init(0);
	cfg = gv_config_load(argv[1], err, sizeof(err));
	in = cfg ? pcap_open_offline(argv[2], err) : NULL;
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	o.d = in ? pcap_dump_open(dead, argv[3]) : NULL;
	if (cfg == NULL || in == NULL || o.d == NULL) {
		fprintf(stderr, "replay_ref: %s\n", err);
		return 1;
	}
	o.sip = (uint32_t)cfg->engine.order_entry.addr[0] << 24 |
	        (uint32_t)cfg->engine.order_entry.addr[1] << 16 |
	        (uint32_t)cfg->engine.order_entry.addr[2] << 8 |
	        cfg->engine.order_entry.addr[3];
	o.sport = cfg->engine.order_entry.port;
	while (pcap_next_ex(in, &h, &pkt) == 1) {
		struct gv_addr src;
		uint32_t plen;
		const uint8_t *pl = gv_capture_udp_payload(pkt, h->caplen,
		                                           &src, &plen);
		int s;

		/* The capture's clock, at the microsecond like net_pcap's. */
		o.now_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
		           (uint64_t)h->ts.tv_usec * 1000u;
		if (pl == NULL || plen < 8)
			continue;
		s = gv_config_session_shard(cfg, (uint32_t)pl[4] |
		                                         (uint32_t)pl[5] << 8 |
		                                         (uint32_t)pl[6] << 16 |
		                                         (uint32_t)pl[7] << 24);
		if (s < 0)
			continue;
		if (sh[0] == NULL)
			for (i = 0; i < cfg->engine.n_shards; i++) {
				struct gv_shard_out so = { emit, &o };

				sh[i] = gv_shard_create(cfg, cfg->engine.shards[i].id,
				                        &so, o.now_ns);
				if (sh[i] == NULL) {
					fprintf(stderr, "replay_ref: shard: %s\n",
					        gv_strerror(gv_errno));
					return 1;
				}
			}
		t = gv_clock_cycles();
		for (i = 0; i < cfg->engine.n_shards; i++)
			if (cfg->engine.shards[i].id == (uint32_t)s)
				gv_shard_rx(sh[i], pl, plen, &src, o.now_ns);
		cyc += gv_clock_cycles() - t;
		dgrams++;
	}
	for (i = 0; i < cfg->engine.n_shards; i++)
		gv_shard_close(sh[i], o.now_ns);
	fprintf(stderr, "replay_ref: %" PRIu64 " datagrams in, %" PRIu64
	        " frames out; shard engine %.0f ns per datagram in (frame "
	        "writing included)\n", dgrams, o.frames,
	        dgrams ? (double)gv_clock_cycles_to_ns(cyc) / (double)dgrams : 0.0);
	pcap_dump_close(o.d);
	pcap_close(in);
	pcap_close(dead);
	gv_config_free(cfg);
	return 0;
}
