/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_metrics.c - the Prometheus text exposition (format 0.0.4) of one
 * provider snapshot.
 *
 * Structure: families in a fixed order, each opened by # HELP and # TYPE
 * and followed by all of its samples (one per shard, port, instrument or
 * reason), so that every family is contiguous as the format requires.
 * Simple per-shard and per-port numbers are table-driven (offset and size
 * of the field in the snapshot struct); reasons, messages, the latency
 * histogram and per-instrument gauges have their own loops.
 *
 * Bounds: O(shards * (reasons + types + buckets) + ports + instruments)
 * lines, each shorter than ~200 bytes. Nothing is allocated: the text goes
 * straight into the caller's buffer and -ENOSPC reports a short one.
 *
 * Names: the four families existing dashboards use keep their
 * matching_engine_* names; everything else is gavel_*. Label values that
 * come from configuration (symbols, port names, the version, the offload
 * backend) are escaped (\\, \", \n).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gv_control.h"
#include "gv_errno.h"

/* protocol.md 1.4; index = reason code; NULL = not defined. */
static const char *const reject_names[GV_CTL_REASONS] = {
	[1] = "unknown_symbol",
	[2] = "bad_side",
	[3] = "bad_type",
	[4] = "bad_tif",
	[5] = "bad_price",
	[6] = "price_band",
	[7] = "bad_qty",
	[8] = "cl_ord_id_not_increasing",
	[9] = "unknown_order",
	[10] = "halted",
	[11] = "post_only_would_take",
	[12] = "throttled",
	/* 13 is reserved */
	[14] = "bad_flags",
	[15] = "unsupported",
	[16] = "max_notional",
	[17] = "capacity",
	[18] = "bad_stop_price",
	[19] = "killed",
};

static const char *const cancel_names[GV_CTL_REASONS] = {
	[1] = "user",
	[2] = "ioc_remainder",
	[3] = "fok_unfilled",
	[4] = "stp",
	[5] = "mass_cancel",
	[6] = "cod",
	[7] = "kill_switch",
	[8] = "day_expiry",
	[9] = "no_liquidity",
	[10] = "admin",
};

/* Index order N C R M L O H Q, as the provider fills gv_ctl_shard.msgs. */
static const char *const msg_type_names[GV_CTL_MSG_TYPES] = {
	"new_order", "cancel", "replace", "mass_cancel",
	"logon", "logout", "heartbeat", "resend_request",
};

const char *gv_ctl_reject_name(uint32_t code)
{
	return code < GV_CTL_REASONS ? reject_names[code] : NULL;
}

const char *gv_ctl_cancel_name(uint32_t code)
{
	return code < GV_CTL_REASONS ? cancel_names[code] : NULL;
}

const char *gv_ctl_msg_type_name(uint32_t type)
{
	return type < GV_CTL_MSG_TYPES ? msg_type_names[type] : NULL;
}

/* ---- output ------------------------------------------------------------ */

struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = true;
		return;
	}
	o->pos += (size_t)n;
}

static void family(struct out *o, const char *name, const char *type,
                   const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Escape a label value (at most srclen bytes of src) into dst. A value
 * that does not fit is truncated at a character boundary of the escaped
 * form, never in the middle of an escape.
 */
static const char *esc(char *dst, size_t dlen, const char *src, size_t srclen)
{
	size_t i, j = 0;

	for (i = 0; i < srclen && src[i] != '\0'; i++) {
		const char *e = NULL;
		char one[2] = { src[i], '\0' };

		if (src[i] == '\\')
			e = "\\\\";
		else if (src[i] == '"')
			e = "\\\"";
		else if (src[i] == '\n')
			e = "\\n";
		else
			e = one;
		if (j + strlen(e) + 1 > dlen)
			break;
		memcpy(dst + j, e, strlen(e));
		j += strlen(e);
	}
	dst[j] = '\0';
	return dst;
}

/* A numeric field of a snapshot struct, by offset and size. */
struct field {
	const char *name, *type, *help;
	size_t off;
	uint8_t size;
};

#define SHARD_FIELD(n, t, f, h)                                           \
	{ n, t, h, offsetof(struct gv_ctl_shard, f),                      \
	  sizeof(((struct gv_ctl_shard *)0)->f) }
#define PORT_FIELD(n, t, f, h)                                            \
	{ n, t, h, offsetof(struct gv_ctl_port, f),                       \
	  sizeof(((struct gv_ctl_port *)0)->f) }

static const struct field shard_fields[] = {
	SHARD_FIELD("matching_engine_orders_processed_total", "counter", orders,
	            "Orders processed (new, cancel, replace, mass cancel applied)."),
	SHARD_FIELD("matching_engine_trades_executed_total", "counter", trades,
	            "Trades executed (aggressor/resting pairs)."),
	SHARD_FIELD("gavel_traded_lots_total", "counter", volume,
	            "Quantity traded, in lots."),
	SHARD_FIELD("gavel_live_orders", "gauge", live_orders,
	            "Orders resting in the shard's books."),
	SHARD_FIELD("gavel_ring_used", "gauge", ring_used,
	            "Entries in the shard's rx ring."),
	SHARD_FIELD("gavel_ring_size", "gauge", ring_size,
	            "Capacity of the shard's rx ring."),
	SHARD_FIELD("gavel_ring_waits_total", "counter", ring_waits,
	            "Packets that waited on a full rx ring."),
	SHARD_FIELD("gavel_frames_dropped_total", "counter", drops,
	            "Frames dropped, all reasons."),
	SHARD_FIELD("gavel_offload_ops_total", "counter", offload_ops,
	            "Operations submitted to the offload backend."),
	SHARD_FIELD("gavel_offload_matches_total", "counter", offload_matches,
	            "Matches planned by the offload backend."),
	SHARD_FIELD("gavel_offload_fallbacks_total", "counter",
	            offload_fallbacks,
	            "Instruments switched to the sw backend after a fault."),
	SHARD_FIELD("gavel_offload_faults_total", "counter", offload_faults,
	            "Offload backend faults (each one fails over)."),
	SHARD_FIELD("gavel_sessions_logged_in", "gauge", sessions_logged_in,
	            "Sessions logged in on the shard."),
	SHARD_FIELD("gavel_shard_polling", "gauge", polling,
	            "1 if the shard's loop ran within the last second."),
};

static const struct field port_fields[] = {
	PORT_FIELD("gavel_port_rx_packets_total", "counter", rx,
	           "Packets received on the port."),
	PORT_FIELD("gavel_port_tx_packets_total", "counter", tx,
	           "Packets transmitted on the port."),
	PORT_FIELD("gavel_port_missed_packets_total", "counter", missed,
	           "Packets the port dropped for lack of rx descriptors."),
	PORT_FIELD("gavel_port_link_up", "gauge", link_up,
	           "1 if the port's link is up."),
};

static uint64_t field_value(const void *base, const struct field *f)
{
	const uint8_t *p = (const uint8_t *)base + f->off;
	uint64_t v64;
	uint32_t v32;

	switch (f->size) {
	case 8:
		memcpy(&v64, p, 8);
		return v64;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		GV_VERIFY(f->size == 1);
		return *p != 0;
	}
}

/* ---- families ---------------------------------------------------------- */

static void shard_tables(struct out *o, const struct gv_ctl_snapshot *s)
{
	char b[2 * sizeof(s->shards[0].offload) + 1];
	size_t k;
	uint32_t i;

	for (k = 0; k < GV_ARRAY_SIZE(shard_fields); k++) {
		const struct field *f = &shard_fields[k];

		family(o, f->name, f->type, f->help);
		for (i = 0; i < s->nshards; i++)
			put(o, "%s{shard=\"%" PRIu32 "\"} %" PRIu64 "\n",
			    f->name, s->shards[i].id,
			    field_value(&s->shards[i], f));
	}
	family(o, "gavel_offload_backend", "gauge",
	       "Offload backend in use by the shard (value always 1).");
	for (i = 0; i < s->nshards; i++)
		put(o, "gavel_offload_backend{shard=\"%" PRIu32
		       "\",backend=\"%s\"} 1\n", s->shards[i].id,
		    esc(b, sizeof(b), s->shards[i].offload,
		        sizeof(s->shards[i].offload)));
}

/* One family of per-shard counters labelled by a code's name. */
static void shard_coded(struct out *o, const struct gv_ctl_snapshot *s,
                        const char *name, const char *label,
                        const char *help, size_t arr_off, uint32_t ncodes,
                        const char *(*code_name)(uint32_t))
{
	uint32_t i, c;

	family(o, name, "counter", help);
	for (i = 0; i < s->nshards; i++) {
		const uint64_t *v = (const uint64_t *)(const void *)
			((const uint8_t *)&s->shards[i] + arr_off);

		for (c = 0; c < ncodes; c++) {
			if (code_name(c) == NULL)
				continue;
			put(o, "%s{shard=\"%" PRIu32 "\",%s=\"%s\"} %" PRIu64
			       "\n", name, s->shards[i].id, label,
			    code_name(c), v[c]);
		}
	}
}

static void latency(struct out *o, const struct gv_ctl_snapshot *s)
{
	static const char *const name = "matching_engine_order_latency_seconds";
	uint64_t cum;
	uint32_t i, b;

	family(o, name, "histogram",
	       "Latency from packet receipt to the first reply's transmission.");
	for (i = 0; i < s->nshards; i++) {
		const struct gv_ctl_shard *sh = &s->shards[i];

		cum = 0;
		for (b = 0; b < GV_CTL_LAT_BUCKETS - 1; b++) {
			cum += sh->lat_count[b];
			put(o, "%s_bucket{shard=\"%" PRIu32 "\",le=\"%.9g\"} %"
			       PRIu64 "\n", name, sh->id, gv_ctl_lat_bounds[b],
			    cum);
		}
		cum += sh->lat_count[GV_CTL_LAT_BUCKETS - 1];
		put(o, "%s_bucket{shard=\"%" PRIu32 "\",le=\"+Inf\"} %" PRIu64
		       "\n", name, sh->id, cum);
		put(o, "%s_sum{shard=\"%" PRIu32 "\"} %.9f\n", name, sh->id,
		    (double)sh->lat_sum_ns / 1e9);
		put(o, "%s_count{shard=\"%" PRIu32 "\"} %" PRIu64 "\n", name,
		    sh->id, cum);
	}
}

static void ports(struct out *o, const struct gv_ctl_snapshot *s)
{
	char b[2 * sizeof(s->ports[0].name) + 1];
	size_t k;
	uint32_t i;

	for (k = 0; k < GV_ARRAY_SIZE(port_fields); k++) {
		const struct field *f = &port_fields[k];

		family(o, f->name, f->type, f->help);
		for (i = 0; i < s->nports; i++)
			put(o, "%s{port=\"%s\"} %" PRIu64 "\n", f->name,
			    esc(b, sizeof(b), s->ports[i].name,
			        sizeof(s->ports[i].name)),
			    field_value(&s->ports[i], f));
	}
}

/* A per-instrument family with a side label: bid value, ask value. */
static void book_sides(struct out *o, const struct gv_ctl_snapshot *s,
                       const char *name, const char *help, bool levels)
{
	char b[2 * (GV_SYMBOL_LEN + 1) + 1];
	uint32_t i;

	family(o, name, "gauge", help);
	for (i = 0; i < s->ninstruments; i++) {
		const struct gv_ctl_instrument *in = &s->instruments[i];

		esc(b, sizeof(b), in->symbol, sizeof(in->symbol));
		put(o, "%s{symbol=\"%s\",side=\"bid\"} %" PRIu32 "\n", name, b,
		    levels ? in->bid_levels : in->bid_orders);
		put(o, "%s{symbol=\"%s\",side=\"ask\"} %" PRIu32 "\n", name, b,
		    levels ? in->ask_levels : in->ask_orders);
	}
}

/* One counter family with a u64 field of every instrument. */
static void instrument_counter(struct out *o, const struct gv_ctl_snapshot *s,
                               const char *name, const char *help,
                               size_t field)
{
	char b[2 * (GV_SYMBOL_LEN + 1) + 1];
	uint32_t i;

	family(o, name, "counter", help);
	for (i = 0; i < s->ninstruments; i++) {
		const struct gv_ctl_instrument *in = &s->instruments[i];
		uint64_t v;

		memcpy(&v, (const uint8_t *)in + field, sizeof(v));
		put(o, "%s{symbol=\"%s\"} %" PRIu64 "\n", name,
		    esc(b, sizeof(b), in->symbol, sizeof(in->symbol)), v);
	}
}

static void instruments(struct out *o, const struct gv_ctl_snapshot *s)
{
	char b[2 * (GV_SYMBOL_LEN + 1) + 1];
	uint32_t i;

	book_sides(o, s, "matching_engine_orderbook_depth",
	           "Price levels in the book, per side.", true);
	book_sides(o, s, "gavel_orderbook_orders",
	           "Orders resting in the book, per side.", false);
	family(o, "gavel_instrument_halted", "gauge",
	       "1 if trading in the instrument is halted.");
	for (i = 0; i < s->ninstruments; i++)
		put(o, "gavel_instrument_halted{symbol=\"%s\"} %d\n",
		    esc(b, sizeof(b), s->instruments[i].symbol,
		        sizeof(s->instruments[i].symbol)),
		    s->instruments[i].halted ? 1 : 0);
	instrument_counter(o, s, "gavel_instrument_orders_total",
	                   "Orders accepted, per instrument.",
	                   offsetof(struct gv_ctl_instrument, orders));
	instrument_counter(o, s, "gavel_instrument_trades_total",
	                   "Trades (aggressor/resting pairs), per instrument.",
	                   offsetof(struct gv_ctl_instrument, trades));
	instrument_counter(o, s, "gavel_instrument_traded_lots_total",
	                   "Lots traded, per instrument.",
	                   offsetof(struct gv_ctl_instrument, volume));
	family(o, "gavel_last_price_ticks", "gauge",
	       "Price of the last trade in ticks (0 before the first trade).");
	for (i = 0; i < s->ninstruments; i++)
		put(o, "gavel_last_price_ticks{symbol=\"%s\"} %" PRId64 "\n",
		    esc(b, sizeof(b), s->instruments[i].symbol,
		        sizeof(s->instruments[i].symbol)),
		    s->instruments[i].last_price);
}

static void process(struct out *o, const struct gv_ctl_snapshot *s)
{
	char b[256];
	uint32_t role = s->role.role;

	family(o, "gavel_role", "gauge", "1 for the engine's current role.");
	put(o, "gavel_role{role=\"primary\"} %d\n",
	    role == GV_ROLE_PRIMARY ? 1 : 0);
	put(o, "gavel_role{role=\"standby\"} %d\n",
	    role == GV_ROLE_STANDBY ? 1 : 0);
	family(o, "gavel_role_primary", "gauge", "1 if the engine is primary.");
	put(o, "gavel_role_primary %d\n", role == GV_ROLE_PRIMARY ? 1 : 0);
	family(o, "gavel_epoch", "gauge",
	       "Fencing epoch (incremented on every promotion).");
	put(o, "gavel_epoch %" PRIu64 "\n", (uint64_t)s->role.epoch);
	family(o, "gavel_standby_caught_up", "gauge",
	       "1 if the standby's replay is current.");
	put(o, "gavel_standby_caught_up %d\n", s->caught_up ? 1 : 0);
	family(o, "gavel_uptime_seconds", "gauge", "Seconds since start.");
	put(o, "gavel_uptime_seconds %.3f\n", (double)s->uptime_ns / 1e9);
	family(o, "gavel_build_info", "gauge",
	       "gavel's version (value always 1).");
	put(o, "gavel_build_info{version=\"%s\"} 1\n",
	    esc(b, sizeof(b), s->version ? s->version : "unknown", SIZE_MAX));
}

int gv_control_metrics(const struct gv_ctl_snapshot *s, char *buf,
                       size_t len)
{
	struct out o = { .buf = buf, .len = len, .pos = 0, .full = false };

	if (s == NULL || buf == NULL || len == 0)
		return -EINVAL;
	if (s->nshards > GV_MAX_SHARDS || s->nports > GV_MAX_PORTS ||
	    (s->ninstruments > 0 && s->instruments == NULL))
		return -EINVAL;
	shard_tables(&o, s);
	shard_coded(&o, s, "gavel_rejects_total", "reason",
	            "Orders rejected, by protocol reject reason.",
	            offsetof(struct gv_ctl_shard, rejects), GV_CTL_REASONS,
	            gv_ctl_reject_name);
	shard_coded(&o, s, "gavel_cancels_total", "reason",
	            "Orders cancelled, by protocol cancel reason.",
	            offsetof(struct gv_ctl_shard, cancels), GV_CTL_REASONS,
	            gv_ctl_cancel_name);
	shard_coded(&o, s, "gavel_messages_total", "type",
	            "Client messages received, by type.",
	            offsetof(struct gv_ctl_shard, msgs), GV_CTL_MSG_TYPES,
	            gv_ctl_msg_type_name);
	latency(&o, s);
	ports(&o, s);
	instruments(&o, s);
	process(&o, s);
	if (o.full || o.pos > INT32_MAX)
		return -ENOSPC;
	return (int)o.pos;
}
