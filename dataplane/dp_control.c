/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_control.c - the gavel program's side of the control plane: the
 * provider the REST server (control/) reads through, and the per-shard
 * control rings that carry admin actions to the shards.
 *
 * Reads (health, metrics, views) take the per-shard counters and scalar
 * state without locks: each is written by one lcore and read with plain
 * aligned loads, so a reading is at worst a moment old, never torn, and
 * the data path never waits for the control thread. Anything that walks
 * engine structures (an L2 book) and every change (halt, kill, roles) is a
 * message on the shard's control ring, applied by the shard's own lcore
 * between bursts as an engine event at the engine's current time; the
 * control thread waits for the answer (at most CTL_WAIT_MS).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dp_pvt.h"
#include "gv_errno.h"

#define CTL_RING_SIZE 64
#define CTL_WAIT_MS 500
#define CTL_BURST 8

int dp_control_setup(struct dp_ctx *ctx)
{
	char name[RTE_RING_NAMESIZE];
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++) {
		struct dp_shard *s = &ctx->shards[i];

		snprintf(name, sizeof(name), "gv_ctl%u", s->id);
		s->ctl_ring = rte_ring_lookup(name);
		if (s->ctl_ring == NULL)
			s->ctl_ring = rte_ring_create(name, CTL_RING_SIZE,
			                              rte_socket_id(),
			                              RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (s->ctl_ring == NULL)
			return -rte_errno;
		s->transmit = ctx->role.role == GV_ROLE_PRIMARY;
	}
	return 0;
}

static int apply_book(struct dp_shard *s, struct dp_ctl_msg *m)
{
	struct gv_level_view lv[256];
	const struct gv_book *b = gv_shard_book(s->sh);
	int n, i;

	n = gv_book_depth(b, m->arg, GV_SIDE_BUY, lv, m->depth);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		m->book->bids[i] = (struct gv_ctl_level){ lv[i].price,
		                                          lv[i].visible_qty,
		                                          lv[i].orders };
	m->book->nbids = (uint32_t)n;
	n = gv_book_depth(b, m->arg, GV_SIDE_SELL, lv, m->depth);
	for (i = 0; i < n; i++)
		m->book->asks[i] = (struct gv_ctl_level){ lv[i].price,
		                                          lv[i].visible_qty,
		                                          lv[i].orders };
	m->book->nasks = n > 0 ? (uint32_t)n : 0;
	return 0;
}

void dp_ctl_poll(struct dp_ctx *ctx, struct dp_shard *s, uint64_t now_ns)
{
	struct dp_ctl_msg *msgs[CTL_BURST];
	uint32_t n, i;

	s->poll_tsc = rte_rdtsc();
	if (s->ctl_ring == NULL || rte_ring_empty(s->ctl_ring))
		return;
	n = rte_ring_sc_dequeue_burst(s->ctl_ring, (void **)msgs, CTL_BURST,
	                              NULL);
	for (i = 0; i < n; i++) {
		struct dp_ctl_msg *m = msgs[i];
		int rc = -EBUSY;

		if (m->op == DP_CTL_ROLE) {
			s->transmit = m->arg == GV_ROLE_PRIMARY;
			rc = 0;
		} else if (s->sh != NULL) {
			if (m->op == DP_CTL_HALT)
				rc = gv_shard_halt(s->sh, m->arg, m->on, now_ns);
			else if (m->op == DP_CTL_KILL)
				rc = gv_shard_kill(s->sh, m->arg, m->on, now_ns);
			else
				rc = apply_book(s, m);
		}
		m->rc = rc;
		__atomic_store_n(&m->done, true, __ATOMIC_RELEASE);
	}
	(void)ctx;
}

/*
 * Requests live in a small static pool: one the shard has not answered in
 * time stays taken until it has (the shard may still write to it), so a
 * slow shard can never write into memory that was reused. The server calls
 * the provider from one thread.
 */
static struct dp_ctl_msg g_slots[16];
static struct gv_ctl_book g_books[16];   /* answers to DP_CTL_BOOK */
static bool g_taken[16];

static struct dp_ctl_msg *take_slot(void)
{
	uint32_t i;

	for (i = 0; i < GV_ARRAY_SIZE(g_slots); i++) {
		if (g_taken[i] &&
		    __atomic_load_n(&g_slots[i].done, __ATOMIC_ACQUIRE))
			g_taken[i] = false; /* answered after we gave up */
		if (!g_taken[i]) {
			g_taken[i] = true;
			memset(&g_slots[i], 0, sizeof(g_slots[i]));
			return &g_slots[i];
		}
	}
	return NULL;
}

/* Post a request to a shard and wait for its lcore to answer. */
static int ask(struct dp_shard *s, const struct dp_ctl_msg *req,
               struct gv_ctl_book *book)
{
	struct timespec nap = { 0, 100000 };
	struct dp_ctl_msg *m = take_slot();
	uint32_t waited = 0;
	int rc;

	if (m == NULL)
		return -EBUSY;
	*m = *req;
	m->done = false;
	m->book = &g_books[m - g_slots]; /* ours: copied out when answered */
	if (rte_ring_sp_enqueue(s->ctl_ring, m) != 0) {
		g_taken[m - g_slots] = false;
		return -EBUSY;
	}
	while (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE)) {
		if (waited++ > CTL_WAIT_MS * 10)
			return -EBUSY; /* the slot stays taken */
		nanosleep(&nap, NULL);
	}
	rc = m->rc;
	if (rc == 0 && book != NULL)
		*book = *m->book;
	g_taken[m - g_slots] = false;
	return rc;
}

static struct dp_shard *shard_by_id(struct dp_ctx *ctx, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < ctx->nshards; i++)
		if (ctx->shards[i].id == id)
			return &ctx->shards[i];
	return NULL;
}

static const struct gv_instrument_config *ins_by_symbol(const struct dp_ctx *ctx,
                                                         const char *symbol)
{
	uint32_t i;

	for (i = 0; i < ctx->cfg->n_instruments; i++)
		if (strcmp(ctx->cfg->instruments[i].symbol, symbol) == 0)
			return &ctx->cfg->instruments[i];
	return NULL;
}

/* ---- the provider ------------------------------------------------------ */

static int prov_book(void *arg, const char *symbol, uint32_t depth,
                     struct gv_ctl_book *out)
{
	struct dp_ctx *ctx = arg;
	const struct gv_instrument_config *ic = ins_by_symbol(ctx, symbol);
	struct dp_ctl_msg req = { .op = DP_CTL_BOOK };
	struct dp_shard *s;

	if (ic == NULL || (s = shard_by_id(ctx, ic->shard)) == NULL)
		return -ENOENT;
	if (depth < 1 || depth > GV_ARRAY_SIZE(out->bids))
		return -EINVAL;
	req.arg = ic->id;
	req.depth = depth;
	return ask(s, &req, out);
}

static int prov_halt(void *arg, const char *symbol, bool halt)
{
	struct dp_ctx *ctx = arg;
	const struct gv_instrument_config *ic = ins_by_symbol(ctx, symbol);
	struct dp_ctl_msg req = { .op = DP_CTL_HALT, .on = halt };
	struct dp_shard *s;

	if (ic == NULL || (s = shard_by_id(ctx, ic->shard)) == NULL)
		return -ENOENT;
	req.arg = ic->id;
	return ask(s, &req, NULL);
}

static int prov_kill(void *arg, uint32_t session, bool kill)
{
	struct dp_ctx *ctx = arg;
	const struct gv_session_config *sc = gv_config_session(ctx->cfg, session);
	struct dp_ctl_msg req = { .op = DP_CTL_KILL, .arg = session, .on = kill };
	struct dp_shard *s;

	if (sc == NULL || (s = shard_by_id(ctx, sc->shard)) == NULL)
		return -ENOENT;
	return ask(s, &req, NULL);
}

/* Tell every shard the role; each switches between two of its bursts. */
static int tell_role(struct dp_ctx *ctx)
{
	struct dp_ctl_msg req = { .op = DP_CTL_ROLE, .arg = ctx->role.role };
	uint32_t i;
	int rc, first = 0;

	for (i = 0; i < ctx->nshards; i++) {
		rc = ask(&ctx->shards[i], &req, NULL);
		if (rc != 0 && first == 0)
			first = rc;
	}
	return first;
}

static int prov_promote(void *arg)
{
	struct dp_ctx *ctx = arg;
	int rc = gv_role_promote(&ctx->role, gv_clock_realtime_ns());

	return rc != 0 ? rc : tell_role(ctx);
}

static int prov_demote(void *arg)
{
	struct dp_ctx *ctx = arg;
	int rc = gv_role_demote(&ctx->role, gv_clock_realtime_ns());

	return rc != 0 ? rc : tell_role(ctx);
}

/* Our fine rx->tx histogram (TSC cycles) into the exposition's buckets. */
static void fill_latency(const struct dp_ctx *ctx, struct gv_ctl_shard *cs)
{
	unsigned lg, sub, b;

	for (lg = 0; lg < DP_HIST_BUCKETS; lg++)
		for (sub = 0; sub < 8; sub++) {
			uint64_t n = ctx->lat.bucket[lg][sub], mid;
			double sec;

			if (n == 0)
				continue;
			mid = lg >= 3 ? ((8ull | sub) << (lg - 3)) +
			                        (1ull << (lg - 3)) / 2
			              : sub;
			sec = (double)mid / (double)ctx->tsc_hz;
			for (b = 0; b < GV_CTL_LAT_BUCKETS - 1 &&
			            sec > gv_ctl_lat_bounds[b]; b++)
				;
			cs->lat_count[b] += n;
			cs->lat_sum_ns += n * (uint64_t)(sec * 1e9);
		}
}

static void fill_shard(const struct dp_ctx *ctx, const struct dp_shard *s,
                       struct gv_ctl_shard *cs)
{
	struct gv_book_offload_info oi;
	const struct gv_book *b;
	unsigned r, t;

	memset(cs, 0, sizeof(*cs));
	cs->id = s->id;
	cs->lcore = ctx->layout == DP_LAYOUT_PIPELINE ? s->lcore
	                                              : rte_get_main_lcore();
	cs->polling = rte_rdtsc() - s->poll_tsc < ctx->tsc_hz;
	/* Until the shard starts: the configured backend. */
	snprintf(cs->offload, sizeof(cs->offload), "%s",
	         ctx->cfg->engine.offload.backend);
	cs->ring_size = s->rx_ring ? rte_ring_get_capacity(s->rx_ring) : 0;
	cs->ring_used = s->rx_ring ? rte_ring_count(s->rx_ring) : 0;
	cs->ring_waits = ctx->cnt[DP_RING_FULL_WAITS];
	cs->drops = s->cnt[DP_TX_DROP] + s->cnt[DP_TX_NOMBUF];
	if (s->sh == NULL)
		return;
	b = gv_shard_book(s->sh);
	gv_book_offload_info(b, &oi);
	snprintf(cs->offload, sizeof(cs->offload), "%s", oi.backend);
	cs->offload_ops = oi.ops;
	cs->offload_matches = oi.matches;
	cs->offload_faults = oi.faults;
	cs->offload_fallbacks = oi.fallbacks;
	cs->orders = gv_shard_counter(s->sh, GV_SH_MSGS_IN);
	cs->trades = gv_book_counter(b, GV_CNT_FILLS);
	cs->volume = gv_book_counter(b, GV_CNT_VOLUME);
	for (r = 0; r < GV_CTL_REASONS; r++) {
		cs->rejects[r] = gv_book_rejects(b, r);
		cs->cancels[r] = gv_book_cancels(b, r);
	}
	for (t = 0; t < GV_CTL_MSG_TYPES; t++)
		cs->msgs[t] = gv_shard_counter(s->sh, GV_SH_IN_TYPE_FIRST + t);
	cs->live_orders = gv_book_live_orders(b);
	for (t = 0; t < gv_shard_sessions(s->sh); t++) {
		struct gv_shard_session_view v;

		if (gv_shard_session_view(s->sh, t, &v) == 0 && v.logged_on)
			cs->sessions_logged_in++;
	}
}

static void fill_port(uint16_t port, struct gv_ctl_port *p)
{
	struct rte_eth_link link;
	struct rte_eth_stats st;

	memset(p, 0, sizeof(*p));
	rte_eth_dev_get_name_by_port(port, p->name);
	if (rte_eth_link_get_nowait(port, &link) == 0)
		p->link_up = link.link_status == RTE_ETH_LINK_UP;
	if (rte_eth_stats_get(port, &st) == 0) {
		p->rx = st.ipackets;
		p->tx = st.opackets;
		p->missed = st.imissed;
	}
}

static void fill_instruments(const struct dp_ctx *ctx,
                             struct gv_ctl_snapshot *snap)
{
	static struct gv_ctl_instrument ins[GV_MAX_INSTRUMENTS];
	uint32_t i;

	for (i = 0; i < ctx->cfg->n_instruments; i++) {
		const struct gv_instrument_config *ic = &ctx->cfg->instruments[i];
		struct dp_shard *s = shard_by_id((struct dp_ctx *)ctx, ic->shard);
		struct gv_instrument_view v = { 0 };

		if (s != NULL && s->sh != NULL)
			gv_book_instrument_view(gv_shard_book(s->sh), ic->id, &v);
		ins[i] = (struct gv_ctl_instrument){
			.id = ic->id, .shard = ic->shard, .halted = v.halted,
			.last_price = v.last_price,
			.bid_levels = v.levels[0], .ask_levels = v.levels[1],
			.bid_orders = v.orders[0], .ask_orders = v.orders[1],
			.orders = v.accepted, .trades = v.fills,
			.volume = v.volume,
		};
		memcpy(ins[i].symbol, ic->symbol, sizeof(ins[i].symbol));
	}
	snap->instruments = ins;
	snap->ninstruments = ctx->cfg->n_instruments;
}

static void fill_sessions(const struct dp_ctx *ctx,
                          struct gv_ctl_snapshot *snap)
{
	static struct gv_ctl_session ss[GV_MAX_SESSIONS];
	uint32_t i, k = 0;

	for (i = 0; i < ctx->cfg->n_sessions; i++) {
		const struct gv_session_config *sc = &ctx->cfg->sessions[i];
		struct dp_shard *s = shard_by_id((struct dp_ctx *)ctx, sc->shard);
		uint32_t j;

		ss[k] = (struct gv_ctl_session){ .id = sc->id,
		                                 .account = sc->account,
		                                 .shard = sc->shard };
		for (j = 0; s != NULL && s->sh != NULL &&
		            j < gv_shard_sessions(s->sh); j++) {
			struct gv_shard_session_view v;

			if (gv_shard_session_view(s->sh, j, &v) == 0 &&
			    v.id == sc->id) {
				ss[k].logged_in = v.logged_on;
				ss[k].killed = v.killed;
				ss[k].next_in = v.next_in;
				ss[k].next_out = v.next_out;
			}
		}
		k++;
	}
	snap->sessions = ss;
	snap->nsessions = k;
}

static int prov_snapshot(void *arg, struct gv_ctl_snapshot *snap)
{
	struct dp_ctx *ctx = arg;
	uint32_t i;

	memset(snap, 0, sizeof(*snap));
	snap->uptime_ns = gv_clock_realtime_ns() - ctx->start_wall_ns;
	snap->version = "gavel 0.1.0";
	snap->role = ctx->role;
	snap->caught_up = true;
	snap->nshards = ctx->nshards;
	for (i = 0; i < ctx->nshards; i++) {
		fill_shard(ctx, &ctx->shards[i], &snap->shards[i]);
		if (ctx->shards[i].rx_ring && !rte_ring_empty(ctx->shards[i].rx_ring))
			snap->caught_up = false;
	}
	if (ctx->nshards > 0)
		fill_latency(ctx, &snap->shards[0]); /* measured per port burst */
	fill_port(ctx->port_oe, &snap->ports[0]);
	snap->nports = 1;
	if (ctx->port_md != ctx->port_oe) {
		fill_port(ctx->port_md, &snap->ports[1]);
		snap->nports = 2;
	}
	fill_instruments(ctx, snap);
	fill_sessions(ctx, snap);
	return 0;
}

void dp_control_provider(struct dp_ctx *ctx, struct gv_ctl_provider *p)
{
	*p = (struct gv_ctl_provider){
		.snapshot = prov_snapshot,
		.book = prov_book,
		.halt = prov_halt,
		.kill = prov_kill,
		.promote = prov_promote,
		.demote = prov_demote,
		.arg = ctx,
	};
}
