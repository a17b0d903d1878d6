/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the session layer and everything behind it: a
 * shard engine (sessions, book, encoders) fed with datagrams built from
 * the fuzz input. Every session is logged on first, and the input's
 * control bytes can repair a datagram's header (magic, version, session,
 * sequence, time) and sign it with the session's key, so that fuzzed
 * messages get past the MAC into the sequencing, the rate limit and the
 * book. Oracles, on every input:
 *  - everything the shard emits must decode (GOE/1 replies, MoldUDP64/ITCH);
 *  - gv_book_check() must pass after every datagram;
 *  - a second shard fed the same input must end in the same state hash;
 *  - the matching step goes through the "sw" offload (depth 4), which
 *    must never be found at fault (the book's mirror bookkeeping).
 *
 * Input: records of [op][len lo][len hi][len bytes] (len taken modulo
 * 1473, cut to what is left). op bits 0-1: session (0 = an
 * unknown one), bit 2: repair the header, bit 3: sign, bits 4-6: advance
 * the engine clock (0, 1 ms, 10 ms, 100 ms, 1 s, 3 s, 10 s, 100 s),
 * bit 7: then run an operator action chosen by the first payload byte.
 * Records that do not advance the clock join the burst before them, up
 * to 8, handed over by gv_shard_rx_burst (the others by gv_shard_rx).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_book.h"
#include "gv_config.h"
#include "gv_goe.h"
#include "gv_itch.h"
#include "gv_shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char conf_text[] =
	"engine = { orders_per_shard = 128; resend_history = 1024;\n"
	"  end_of_day = \"21:00\";\n"
	"  shards = ( { id = 0; lcore = 1; } );\n"
	"  order_entry = { address = \"10.0.0.1\"; port = 9000; };\n"
	"  market_data = { address = \"239.1.1.1\"; port = 26400; };\n"
	"  offload = { backend = \"sw\"; depth = 4; }; };\n"
	"instruments = (\n"
	"  { id = 1; symbol = \"FZA\"; tick_size = \"1\"; lot_size = \"1\";\n"
	"    max_qty = 1000; max_price = 2000; price_band_bps = 2000;\n"
	"    reference_price = 1000; max_notional = 500000; shard = 0;\n"
	"    stp = \"cancel_both\"; },\n"
	"  { id = 2; symbol = \"FZB\"; tick_size = \"1\"; lot_size = \"1\";\n"
	"    min_qty = 2; max_qty = 50; max_price = 300; shard = 0;\n"
	"    stp = \"decrement_and_cancel\"; } );\n"
	"sessions = (\n"
	"  { id = 1; account = 1; key = \"000102030405060708090a0b0c0d0e0f\";\n"
	"    rate_msgs_per_s = 1000; rate_burst = 20; allow = \"10.0.0.0/8\"; },\n"
	"  { id = 2; account = 1; key = \"101112131415161718191a1b1c1d1e1f\"; },\n"
	"  { id = 3; account = 2; key = \"202122232425262728292a2b2c2d2e2f\"; } );\n";

static struct gv_config *g_cfg;
static const uint64_t T0 = 1767364200000000000ull; /* 2026-01-02 14:30Z */
static const uint64_t g_steps[8] = { 0, 1000000ull, 10000000ull,
	                             100000000ull, 1000000000ull, 3000000000ull,
	                             10000000000ull, 100000000000ull };

static void on_mold_msg(void *arg, const uint8_t *m, uint32_t len)
{
	struct gv_itch_msg im;

	(void)arg;
	if (gv_itch_decode(m, len, &im) != 0)
		abort();
}

/* Everything gavel sends must decode. */
static void emit(void *arg, const struct gv_addr *dst, const uint8_t *p,
                 uint32_t len)
{
	static struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	struct gv_mold_hdr h;

	(void)arg;
	if (len >= 2 && p[0] == 'G' && p[1] == 'V') {
		if (gv_goe_parse_replies(p, len, r, GV_DGRAM_MSGS_MAX) < 0)
			abort();
	} else if (gv_mold_parse(p, len, &h, on_mold_msg, NULL) < 0) {
		abort();
	}
	(void)dst;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	g_cfg = gv_config_parse(conf_text, "fuzz.conf", err, sizeof(err));
	if (g_cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

static void logon_all(struct gv_shard *sh, uint64_t now)
{
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;
	struct gv_addr src = { 0x0a000002, 40000 };
	uint32_t i, len;

	for (i = 0; i < g_cfg->n_sessions; i++) {
		gv_goe_begin(&w, buf, g_cfg->sessions[i].id, 0, now);
		gv_goe_put_logon(&w, 1000, i != 1);
		len = gv_goe_finish(&w, g_cfg->sessions[i].key);
		gv_shard_rx(sh, buf, len, &src, now);
	}
}

static void operator_action(struct gv_shard *sh, uint8_t what, uint64_t now)
{
	switch (what % 4) {
	case 0:
		gv_shard_end_of_day(sh, now);
		break;
	case 1:
		gv_shard_halt(sh, 1 + (what >> 2) % 2, (what >> 3) & 1, now);
		break;
	case 2:
		gv_shard_kill(sh, 1 + (what >> 2) % 3, (what >> 4) & 1, now);
		break;
	default:
		gv_shard_tick(sh, now);
		break;
	}
}

/* Datagrams held for one gv_shard_rx_burst (no clock advance). */
#define PEND_MAX 8
static uint8_t g_pend[PEND_MAX][GV_DGRAM_MAX];
static struct gv_shard_in g_pin[PEND_MAX];
static uint32_t g_npend;

static void pend_flush(struct gv_shard *sh)
{
	if (g_npend > 0)
		gv_shard_rx_burst(sh, g_pin, g_npend);
	g_npend = 0;
}

/* Feed one input to a fresh shard; returns its final state hash. */
static uint64_t run(const uint8_t *d, size_t n)
{
	struct gv_shard_out out = { emit, NULL };
	struct gv_shard *sh = gv_shard_create(g_cfg, 0, &out, T0);
	uint64_t now = T0, seq[4] = { 0, 1, 1, 1 }, h;
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_book_offload_info oi;
	char why[256];

	if (sh == NULL)
		abort();
	logon_all(sh, now);
	while (n >= 3) {
		uint8_t op = d[0];
		uint32_t len = GV_MIN(((uint32_t)d[1] | (uint32_t)d[2] << 8) %
		                              (GV_DGRAM_MAX + 1),
		                      (uint32_t)(n - 3));
		uint32_t si = op & 3;
		const struct gv_session_config *sc =
		        si ? &g_cfg->sessions[si - 1] : NULL;
		struct gv_addr src = { 0x0a000002, 40000 };

		memcpy(buf, d + 3, len);
		d += 3 + len;
		n -= 3 + len;
		now += g_steps[(op >> 4) & 7];
		if ((op & 4) && len >= GV_DGRAM_HDR_LEN) {
			buf[0] = 'G';
			buf[1] = 'V';
			buf[2] = GV_GOE_VERSION;
			memcpy(buf + 4, sc ? &sc->id : &(uint32_t){ 99 }, 4);
			if (buf[8] | buf[9]) /* sequenced: the next number */
				memcpy(buf + 8, &seq[si], 8), seq[si] += buf[3];
			memcpy(buf + 16, &now, 8);
		}
		if ((op & 8) && sc != NULL && len >= GV_DGRAM_HDR_LEN) {
			uint64_t mac = gv_goe_mac(buf, len, sc->key);

			memcpy(buf + GV_GOE_MAC_OFF, &mac, 8);
		}
		if ((op & 0x70) == 0) {
			/* No clock advance: it arrives with the datagrams
			 * before it, as one burst (MACs side by side). */
			uint32_t k = g_npend++;

			memcpy(g_pend[k], buf, len);
			g_pin[k] = (struct gv_shard_in){ g_pend[k], len, src,
			                                 now };
			if (g_npend == PEND_MAX || (op & 0x80))
				pend_flush(sh);
		} else {
			pend_flush(sh);
			gv_shard_rx(sh, buf, len, &src, now);
		}
		if ((op & 0x80) && len > 0)
			operator_action(sh, buf[0], now);
		if (gv_book_check(gv_shard_book(sh), why, sizeof(why)) != 0) {
			fprintf(stderr, "book invariant: %s\n", why);
			abort();
		}
	}
	pend_flush(sh);
	/* The matching step went through the sw offload (depth 4: matches
	 * often run past the mirror), which never gives a wrong answer: a
	 * fault means the book's mirror bookkeeping lost a level change. */
	gv_book_offload_info(gv_shard_book(sh), &oi);
	if (oi.faults != 0 || strcmp(oi.backend, "sw") != 0) {
		fprintf(stderr, "offload: %s, %llu faults\n", oi.backend,
		        (unsigned long long)oi.faults);
		abort();
	}
	h = gv_shard_hash(sh);
	gv_shard_close(sh, now);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	/* Same input, same state: the engine is deterministic. */
	if (run(d, n) != run(d, n))
		abort();
	return 0;
}
