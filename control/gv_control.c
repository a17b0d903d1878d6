/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_control.c - the REST control plane on libmicrohttpd and jansson.
 *
 * Threading: one libmicrohttpd daemon with its internal polling thread
 * (no thread per connection), so every access handler, and therefore
 * every provider call, runs on that one control thread. That is what lets
 * the server keep a single snapshot, book and metrics buffer in struct
 * gv_control and reuse them for every request without locks.
 *
 * A request: the first handler call checks the URL length (414) and a
 * declared Content-Length (413); body bytes are counted, never kept, and
 * a chunked body that outgrows max_body is answered 413 once it is read.
 * The last call routes: exact paths from a table, then the two
 * parameterised families /v1/instruments/{symbol}/... and
 * /v1/sessions/{id}/...; unknown path 404, known path with another method
 * 405 (with Allow), admin routes check the bearer token (401), then the
 * handler takes one provider snapshot and renders JSON or the Prometheus
 * text from it.
 *
 * Errors from the provider map to statuses: -ENOENT 404, -EBUSY 503,
 * -EINVAL 400, -EALREADY 409; anything else 500. Every body is JSON
 * ({"error": "..."} on failure) except /metrics.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "gv_control.h"
#include "gv_errno.h"

/* rx->tx latency buckets: 1 us .. 1 s, roughly 1-2-5 per decade. */
const double gv_ctl_lat_bounds[GV_CTL_LAT_BUCKETS - 1] = {
	1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6,
	1e-3, 2e-3, 5e-3, 10e-3, 100e-3, 1.0,
};

#define CTL_ADDRESS_DEFAULT   "127.0.0.1"
#define CTL_CONNS_DEFAULT     64
#define CTL_TIMEOUT_DEFAULT   10
#define CTL_BODY_DEFAULT      4096
#define CTL_TOKEN_MAX         512          /* bytes of a bearer token */
#define CTL_URL_MAX           2048         /* longer paths: 414 */
#define CTL_CONN_MEMORY       (64 * 1024)  /* per connection (MHD) */
#define CTL_METRICS_INIT      (256 * 1024)
#define CTL_METRICS_MAX       (64u << 20)
#define CTL_DEPTH_DEFAULT     10
#define CTL_ARG_MAX           64           /* a path parameter */

GV_STATIC_ASSERT(CTL_URL_MAX + 4096 < CTL_CONN_MEMORY,
                 "a URL at the cap and its headers fit MHD's buffer");
GV_STATIC_ASSERT(GV_ARRAY_SIZE(((struct gv_ctl_book *)0)->bids) == 256 &&
                         GV_ARRAY_SIZE(((struct gv_ctl_book *)0)->asks) ==
                                 256,
                 "book depth 1..256 fits the book struct");
GV_STATIC_ASSERT(GV_SYMBOL_LEN < CTL_ARG_MAX, "a symbol fits a path arg");

struct gv_control {
	struct MHD_Daemon *daemon;
	struct gv_ctl_provider prov;
	uint32_t max_body;
	uint16_t port;
	bool has_token;
	size_t token_len;
	char token[CTL_TOKEN_MAX];
	struct sockaddr_in sa;
	char *metrics;                /* grows on -ENOSPC, up to the max */
	size_t metrics_cap;
	struct gv_ctl_snapshot snap;  /* one per request, reused */
	struct gv_ctl_book book;
};

/* Per-request state, freed by the completion callback. */
struct request {
	size_t body;
	bool too_large;
};

/* A routed request: the handler and its path parameter, if any. */
struct match;
typedef enum MHD_Result (*handler_fn)(struct gv_control *c,
                                      struct MHD_Connection *conn,
                                      const struct match *m);
struct match {
	handler_fn fn;
	bool post;          /* else GET (and HEAD) */
	bool flag;          /* halt vs resume, kill vs enable */
	bool arg_too_long;
	char arg[CTL_ARG_MAX];
};

/* ---- replies ------------------------------------------------------------ */

static enum MHD_Result send_response(struct MHD_Connection *conn,
                                     unsigned status,
                                     struct MHD_Response *r,
                                     const char *ctype, const char *hname,
                                     const char *hval)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
	            MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	                            "no-store") != MHD_YES ||
	    (hname != NULL &&
	     MHD_add_response_header(r, hname, hval) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Send `obj` (stolen; NULL means it could not be built: 500) as JSON. */
static enum MHD_Result reply_json_hdr(struct MHD_Connection *conn,
                                      unsigned status, json_t *obj,
                                      const char *hname, const char *hval)
{
	static const char oom[] = "{\"error\":\"out of memory\"}";
	struct MHD_Response *r;
	char *text = NULL;

	if (obj != NULL)
		text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (text == NULL) {
		r = MHD_create_response_from_buffer(sizeof(oom) - 1,
		                                    (void *)oom,
		                                    MHD_RESPMEM_PERSISTENT);
		return send_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, r,
		                     "application/json", NULL, NULL);
	}
	/* jansson allocates with malloc: MHD frees the text with free(). */
	r = MHD_create_response_from_buffer(strlen(text), text,
	                                    MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		free(text);
	return send_response(conn, status, r, "application/json", hname,
	                     hval);
}

static enum MHD_Result reply_json(struct MHD_Connection *conn,
                                  unsigned status, json_t *obj)
{
	return reply_json_hdr(conn, status, obj, NULL, NULL);
}

static enum MHD_Result reply_error(struct MHD_Connection *conn,
                                   unsigned status, const char *msg)
{
	return reply_json(conn, status, json_pack("{s:s}", "error", msg));
}

static unsigned status_of(int rc)
{
	switch (rc) {
	case -ENOENT:
		return MHD_HTTP_NOT_FOUND;
	case -EBUSY:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	case -EINVAL:
		return MHD_HTTP_BAD_REQUEST;
	case -EALREADY:
		return MHD_HTTP_CONFLICT;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* A provider error: its status, and `what` for -ENOENT. */
static enum MHD_Result reply_rc(struct MHD_Connection *conn, int rc,
                                const char *what)
{
	if (rc == -ENOENT && what != NULL)
		return reply_error(conn, MHD_HTTP_NOT_FOUND, what);
	if (rc == -EPROTO)
		return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                   "provider returned an invalid snapshot");
	return reply_error(conn, status_of(rc), gv_strerror(rc));
}

/* ---- JSON helpers ------------------------------------------------------- */

static json_int_t ji(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

/*
 * A JSON string of at most `max` bytes of `s`; bytes outside printable
 * ASCII become '?' (names come from configuration: keep the JSON valid).
 */
static json_t *jstr(const char *s, size_t max)
{
	char b[256];
	size_t i, n = strnlen(s, GV_MIN(max, sizeof(b) - 1));

	for (i = 0; i < n; i++)
		b[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	return json_stringn(b, n);
}

/* Append v (stolen) to arr; false if either is NULL or on failure. */
static bool append(json_t *arr, json_t *v)
{
	if (arr == NULL || v == NULL) {
		json_decref(v);
		return false;
	}
	return json_array_append_new(arr, v) == 0;
}

/* {name: count} of the defined codes of one counter array. */
static json_t *coded_json(const uint64_t *v, uint32_t n,
                          const char *(*name)(uint32_t))
{
	json_t *o = json_object();
	uint32_t i;

	for (i = 0; o != NULL && i < n; i++) {
		if (name(i) == NULL)
			continue;
		if (json_object_set_new(o, name(i), json_integer(ji(v[i]))) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

/* ---- snapshot ----------------------------------------------------------- */

static int take_snapshot(struct gv_control *c)
{
	struct gv_ctl_snapshot *s = &c->snap;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = c->prov.snapshot(c->prov.arg, s);
	if (rc != 0)
		return rc < 0 ? rc : -EPROTO;
	if (s->nshards > GV_MAX_SHARDS || s->nports > GV_MAX_PORTS ||
	    s->ninstruments > GV_MAX_INSTRUMENTS ||
	    s->nsessions > GV_MAX_SESSIONS ||
	    (s->ninstruments > 0 && s->instruments == NULL) ||
	    (s->nsessions > 0 && s->sessions == NULL))
		return -EPROTO;
	return 0;
}

/* Ready: all ports up, every shard polling, primary or caught-up standby. */
static bool is_ready(const struct gv_ctl_snapshot *s, char *why, size_t len)
{
	uint32_t i;

	for (i = 0; i < s->nports; i++)
		if (!s->ports[i].link_up) {
			snprintf(why, len, "port %.64s link down",
			         s->ports[i].name);
			return false;
		}
	if (s->nshards == 0) {
		snprintf(why, len, "no shards");
		return false;
	}
	for (i = 0; i < s->nshards; i++)
		if (!s->shards[i].polling) {
			snprintf(why, len, "shard %" PRIu32 " not polling",
			         s->shards[i].id);
			return false;
		}
	if (s->role.role == GV_ROLE_PRIMARY)
		return true;
	if (s->role.role == GV_ROLE_STANDBY && s->caught_up)
		return true;
	snprintf(why, len, s->role.role == GV_ROLE_STANDBY
	                           ? "standby not caught up"
	                           : "role unknown");
	return false;
}

/* ---- GET handlers --------------------------------------------------------- */

static json_t *health_shards(const struct gv_ctl_snapshot *s)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; a != NULL && i < s->nshards; i++) {
		const struct gv_ctl_shard *sh = &s->shards[i];

		if (!append(a, json_pack("{s:I,s:I,s:b,s:o}", "id",
		                         (json_int_t)sh->id, "lcore",
		                         (json_int_t)sh->lcore, "polling",
		                         (int)sh->polling, "offload",
		                         jstr(sh->offload,
		                              sizeof(sh->offload))))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *health_ports(const struct gv_ctl_snapshot *s, bool *all_up)
{
	json_t *a = json_array();
	uint32_t i;

	*all_up = true;
	for (i = 0; a != NULL && i < s->nports; i++) {
		const struct gv_ctl_port *p = &s->ports[i];

		*all_up = *all_up && p->link_up;
		if (!append(a, json_pack("{s:o,s:b,s:I,s:I,s:I}", "name",
		                         jstr(p->name, sizeof(p->name)),
		                         "link_up", (int)p->link_up, "rx",
		                         ji(p->rx), "tx", ji(p->tx), "missed",
		                         ji(p->missed)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static enum MHD_Result get_health(struct gv_control *c,
                                  struct MHD_Connection *conn,
                                  const struct match *m)
{
	const struct gv_ctl_snapshot *s = &c->snap;
	char why[128] = "";
	bool ready, link_up;
	json_t *shards, *ports;
	int rc = take_snapshot(c);

	if (rc != 0)
		return reply_rc(conn, rc, NULL);
	ready = is_ready(s, why, sizeof(why));
	shards = health_shards(s);
	ports = health_ports(s, &link_up);
	return reply_json(conn, MHD_HTTP_OK, json_pack(
		"{s:s,s:b,s:s,s:s,s:I,s:I,s:b,s:o,s:b,s:o,s:f,s:I,s:s}",
		"status", ready ? "ok" : "not_ready",
		"ready", (int)ready,
		"reason", why,
		"role", gv_role_name(s->role.role),
		"epoch", ji(s->role.epoch),
		"role_changed_ns", ji(s->role.changed_ns),
		"caught_up", (int)s->caught_up,
		"shards", shards,
		"link_up", (int)link_up,
		"ports", ports,
		"uptime_seconds", (double)s->uptime_ns / 1e9,
		"uptime_ns", ji(s->uptime_ns),
		"version", s->version ? s->version : "unknown"));
}

static enum MHD_Result get_live(struct gv_control *c,
                                struct MHD_Connection *conn,
                                const struct match *m)
{
	/* Answering at all is the proof: no provider call. */
	return reply_json(conn, MHD_HTTP_OK,
	                  json_pack("{s:s}", "status", "live"));
}

static enum MHD_Result get_ready(struct gv_control *c,
                                 struct MHD_Connection *conn,
                                 const struct match *m)
{
	const struct gv_ctl_snapshot *s = &c->snap;
	char why[128] = "";
	int rc = take_snapshot(c);

	if (rc != 0)
		return reply_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                  json_pack("{s:b,s:s}", "ready", 0, "reason",
		                            "snapshot unavailable"));
	if (!is_ready(s, why, sizeof(why)))
		return reply_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                  json_pack("{s:b,s:s,s:s,s:I}", "ready", 0,
		                            "reason", why, "role",
		                            gv_role_name(s->role.role),
		                            "epoch", ji(s->role.epoch)));
	return reply_json(conn, MHD_HTTP_OK,
	                  json_pack("{s:b,s:s,s:I}", "ready", 1, "role",
	                            gv_role_name(s->role.role), "epoch",
	                            ji(s->role.epoch)));
}

static enum MHD_Result get_metrics(struct gv_control *c,
                                   struct MHD_Connection *conn,
                                   const struct match *m)
{
	struct MHD_Response *r;
	int n, rc = take_snapshot(c);

	if (rc != 0)
		return reply_rc(conn, rc, NULL);
	for (;;) {
		char *bigger;

		n = gv_control_metrics(&c->snap, c->metrics, c->metrics_cap);
		if (n != -ENOSPC || c->metrics_cap >= CTL_METRICS_MAX)
			break;
		bigger = realloc(c->metrics, c->metrics_cap * 2);
		if (bigger == NULL)
			break;
		c->metrics = bigger;
		c->metrics_cap *= 2;
	}
	if (n < 0)
		return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                   gv_strerror(n));
	r = MHD_create_response_from_buffer((size_t)n, c->metrics,
	                                    MHD_RESPMEM_MUST_COPY);
	return send_response(conn, MHD_HTTP_OK, r,
	                     "text/plain; version=0.0.4; charset=utf-8",
	                     NULL, NULL);
}

static json_t *shard_json(const struct gv_ctl_shard *sh)
{
	uint64_t n = 0;
	uint32_t b;

	for (b = 0; b < GV_CTL_LAT_BUCKETS; b++)
		n += sh->lat_count[b];
	return json_pack(
		"{s:I,s:I,s:b,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		"s:I,s:I,s:I,s:o,s:o,s:o,s:I,s:f}",
		"id", (json_int_t)sh->id, "lcore", (json_int_t)sh->lcore,
		"polling", (int)sh->polling,
		"offload", jstr(sh->offload, sizeof(sh->offload)),
		"orders", ji(sh->orders), "trades", ji(sh->trades),
		"volume", ji(sh->volume),
		"live_orders", (json_int_t)sh->live_orders,
		"sessions_logged_in", (json_int_t)sh->sessions_logged_in,
		"ring_used", (json_int_t)sh->ring_used,
		"ring_size", (json_int_t)sh->ring_size,
		"ring_waits", ji(sh->ring_waits), "drops", ji(sh->drops),
		"offload_ops", ji(sh->offload_ops),
		"offload_faults", ji(sh->offload_faults),
		"offload_matches", ji(sh->offload_matches),
		"offload_fallbacks", ji(sh->offload_fallbacks),
		"rejects", coded_json(sh->rejects, GV_CTL_REASONS,
		                      gv_ctl_reject_name),
		"cancels", coded_json(sh->cancels, GV_CTL_REASONS,
		                      gv_ctl_cancel_name),
		"messages", coded_json(sh->msgs, GV_CTL_MSG_TYPES,
		                       gv_ctl_msg_type_name),
		"latency_count", ji(n),
		"latency_sum_seconds", (double)sh->lat_sum_ns / 1e9);
}

/* A JSON array of n elements made by `one`, as {"key": [...]}. */
static enum MHD_Result reply_list(struct MHD_Connection *conn,
                                  const char *key, const void *base,
                                  size_t stride, uint32_t n,
                                  json_t *(*one)(const void *elem))
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (!append(a, one((const uint8_t *)base + i * stride))) {
			json_decref(a);
			a = NULL;
		}
	return reply_json(conn, MHD_HTTP_OK, json_pack("{s:o}", key, a));
}

static json_t *shard_elem(const void *e)
{
	return shard_json(e);
}

static enum MHD_Result get_shards(struct gv_control *c,
                                  struct MHD_Connection *conn,
                                  const struct match *m)
{
	int rc = take_snapshot(c);

	if (rc != 0)
		return reply_rc(conn, rc, NULL);
	return reply_list(conn, "shards", c->snap.shards,
	                  sizeof(c->snap.shards[0]), c->snap.nshards,
	                  shard_elem);
}

static json_t *instrument_json(const struct gv_ctl_instrument *in)
{
	return json_pack("{s:I,s:o,s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	                 "id", (json_int_t)in->id,
	                 "symbol", jstr(in->symbol, sizeof(in->symbol)),
	                 "shard", (json_int_t)in->shard,
	                 "halted", (int)in->halted,
	                 "last_price", (json_int_t)in->last_price,
	                 "bid_levels", (json_int_t)in->bid_levels,
	                 "ask_levels", (json_int_t)in->ask_levels,
	                 "bid_orders", (json_int_t)in->bid_orders,
	                 "ask_orders", (json_int_t)in->ask_orders,
	                 "orders", (json_int_t)in->orders,
	                 "trades", (json_int_t)in->trades,
	                 "traded_lots", (json_int_t)in->volume);
}

static json_t *instrument_elem(const void *e)
{
	return instrument_json(e);
}

static enum MHD_Result get_instruments(struct gv_control *c,
                                       struct MHD_Connection *conn,
                                       const struct match *m)
{
	int rc = take_snapshot(c);

	if (rc != 0)
		return reply_rc(conn, rc, NULL);
	return reply_list(conn, "instruments", c->snap.instruments,
	                  sizeof(c->snap.instruments[0]),
	                  c->snap.ninstruments, instrument_elem);
}

/* Sessions: identities, state and sequence numbers; never keys. */
static json_t *session_elem(const void *e)
{
	const struct gv_ctl_session *ss = e;

	return json_pack("{s:I,s:I,s:I,s:b,s:b,s:I,s:I}",
	                 "id", (json_int_t)ss->id,
	                 "account", (json_int_t)ss->account,
	                 "shard", (json_int_t)ss->shard,
	                 "logged_in", (int)ss->logged_in,
	                 "killed", (int)ss->killed,
	                 "next_in", ji(ss->next_in),
	                 "next_out", ji(ss->next_out));
}

static enum MHD_Result get_sessions(struct gv_control *c,
                                    struct MHD_Connection *conn,
                                    const struct match *m)
{
	int rc = take_snapshot(c);

	if (rc != 0)
		return reply_rc(conn, rc, NULL);
	return reply_list(conn, "sessions", c->snap.sessions,
	                  sizeof(c->snap.sessions[0]), c->snap.nsessions,
	                  session_elem);
}

/* ---- the book ------------------------------------------------------------- */

/* Strict decimal in [lo, hi]: no sign, no spaces, no leading '+'. */
static bool parse_u32(const char *s, size_t n, uint32_t lo, uint32_t hi,
                      uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* ?depth=N: absent gives the default; present must be 1..256. */
static bool book_depth(struct MHD_Connection *conn, uint32_t *depth)
{
	const char *v = NULL;
	size_t n = 0;

	*depth = CTL_DEPTH_DEFAULT;
	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND,
	                                  "depth", 5, &v, &n) != MHD_YES)
		return true;
	return v != NULL &&
	       parse_u32(v, n, 1, GV_ARRAY_SIZE(((struct gv_ctl_book *)0)->bids),
	                 depth);
}

static const struct gv_ctl_instrument *find_instrument(
	const struct gv_ctl_snapshot *s, const char *symbol)
{
	uint32_t i;

	for (i = 0; i < s->ninstruments; i++)
		if (strncmp(s->instruments[i].symbol, symbol,
		            sizeof(s->instruments[i].symbol)) == 0)
			return &s->instruments[i];
	return NULL;
}

static json_t *levels_json(const struct gv_ctl_level *lv, uint32_t n)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (!append(a, json_pack("{s:I,s:I,s:I}", "price",
		                         (json_int_t)lv[i].price, "qty",
		                         ji(lv[i].qty), "orders",
		                         (json_int_t)lv[i].orders))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static enum MHD_Result get_book(struct gv_control *c,
                                struct MHD_Connection *conn,
                                const struct match *m)
{
	const struct gv_ctl_instrument *in;
	struct gv_ctl_book *b = &c->book;
	uint32_t depth;
	int rc;

	if (!book_depth(conn, &depth))
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
		                   "depth must be an integer 1..256");
	rc = take_snapshot(c);
	if (rc != 0)
		return reply_rc(conn, rc, NULL);
	in = m->arg_too_long ? NULL : find_instrument(&c->snap, m->arg);
	if (in == NULL)
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "unknown symbol");
	memset(b, 0, sizeof(*b));
	rc = c->prov.book(c->prov.arg, m->arg, depth, b);
	if (rc != 0)
		return reply_rc(conn, rc, "unknown symbol");
	if (b->nbids > depth || b->nasks > depth)
		return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                   "provider returned too many levels");
	return reply_json(conn, MHD_HTTP_OK, json_pack(
		"{s:o,s:I,s:b,s:I,s:I,s:o,s:o}",
		"symbol", jstr(in->symbol, sizeof(in->symbol)),
		"shard", (json_int_t)in->shard, "halted", (int)in->halted,
		"last_price", (json_int_t)in->last_price,
		"depth", (json_int_t)depth,
		"bids", levels_json(b->bids, b->nbids),
		"asks", levels_json(b->asks, b->nasks)));
}

/* ---- admin handlers --------------------------------------------------------- */

static enum MHD_Result role_change(struct gv_control *c,
                                   struct MHD_Connection *conn, bool up)
{
	const struct gv_ctl_snapshot *s = &c->snap;
	int rc = up ? c->prov.promote(c->prov.arg) : c->prov.demote(c->prov.arg);
	int snap_rc;

	if (rc != 0 && rc != -EALREADY)
		return reply_rc(conn, rc, NULL);
	snap_rc = take_snapshot(c);
	if (rc == -EALREADY)
		return reply_json(conn, MHD_HTTP_CONFLICT, snap_rc != 0
			? json_pack("{s:s}", "error", up ? "already primary"
			                                 : "already standby")
			: json_pack("{s:s,s:s,s:I}", "error",
			            up ? "already primary" : "already standby",
			            "role", gv_role_name(s->role.role),
			            "epoch", ji(s->role.epoch)));
	/* The change is made; a failed snapshot only loses the details. */
	if (snap_rc != 0)
		return reply_json(conn, MHD_HTTP_OK,
		                  json_pack("{s:b}", "ok", 1));
	return reply_json(conn, MHD_HTTP_OK,
	                  json_pack("{s:b,s:s,s:I}", "ok", 1, "role",
	                            gv_role_name(s->role.role), "epoch",
	                            ji(s->role.epoch)));
}

static enum MHD_Result post_promote(struct gv_control *c,
                                    struct MHD_Connection *conn,
                                    const struct match *m)
{
	return role_change(c, conn, true);
}

static enum MHD_Result post_demote(struct gv_control *c,
                                   struct MHD_Connection *conn,
                                   const struct match *m)
{
	return role_change(c, conn, false);
}

static bool symbol_ok(const struct match *m)
{
	size_t i, n = strlen(m->arg);

	if (m->arg_too_long || n == 0 || n > GV_SYMBOL_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (m->arg[i] <= 0x20 || m->arg[i] >= 0x7f)
			return false;
	return true;
}

static enum MHD_Result post_halt(struct gv_control *c,
                                 struct MHD_Connection *conn,
                                 const struct match *m)
{
	int rc;

	if (!symbol_ok(m))
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "unknown symbol");
	rc = c->prov.halt(c->prov.arg, m->arg, m->flag);
	if (rc != 0)
		return reply_rc(conn, rc, "unknown symbol");
	return reply_json(conn, MHD_HTTP_OK,
	                  json_pack("{s:b,s:s,s:b}", "ok", 1, "symbol", m->arg,
	                            "halted", (int)m->flag));
}

static enum MHD_Result post_kill(struct gv_control *c,
                                 struct MHD_Connection *conn,
                                 const struct match *m)
{
	uint32_t id;
	int rc;

	if (m->arg_too_long ||
	    !parse_u32(m->arg, strlen(m->arg), 0, UINT32_MAX, &id))
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
		                   "session id must be a decimal u32");
	rc = c->prov.kill(c->prov.arg, id, m->flag);
	if (rc != 0)
		return reply_rc(conn, rc, "unknown session");
	return reply_json(conn, MHD_HTTP_OK,
	                  json_pack("{s:b,s:I,s:b}", "ok", 1, "session",
	                            (json_int_t)id, "killed", (int)m->flag));
}

/* ---- routing ------------------------------------------------------------- */

static const struct {
	const char *path;
	handler_fn fn;
	bool post;
} exact_routes[] = {
	{ "/health", get_health, false },
	{ "/health/live", get_live, false },
	{ "/health/ready", get_ready, false },
	{ "/metrics", get_metrics, false },
	{ "/v1/shards", get_shards, false },
	{ "/v1/instruments", get_instruments, false },
	{ "/v1/sessions", get_sessions, false },
	{ "/v1/admin/promote", post_promote, true },
	{ "/v1/admin/demote", post_demote, true },
	{ "/admin/promote", post_promote, true },
	{ "/admin/demote", post_demote, true },
};

static const struct {
	const char *prefix, *action;
	handler_fn fn;
	bool post, flag;
} param_routes[] = {
	{ "/v1/instruments/", "book", get_book, false, false },
	{ "/v1/instruments/", "halt", post_halt, true, true },
	{ "/v1/instruments/", "resume", post_halt, true, false },
	{ "/v1/sessions/", "kill", post_kill, true, true },
	{ "/v1/sessions/", "enable", post_kill, true, false },
};

/* prefix + "{arg}/" + action, arg non-empty and without '/'. */
static bool match_param(const char *url, size_t k, struct match *m)
{
	size_t plen = strlen(param_routes[k].prefix), alen;
	const char *arg = url + plen, *slash;

	if (strncmp(url, param_routes[k].prefix, plen) != 0)
		return false;
	slash = strchr(arg, '/');
	if (slash == NULL || slash == arg ||
	    strcmp(slash + 1, param_routes[k].action) != 0)
		return false;
	alen = (size_t)(slash - arg);
	m->fn = param_routes[k].fn;
	m->post = param_routes[k].post;
	m->flag = param_routes[k].flag;
	m->arg_too_long = alen >= sizeof(m->arg);
	if (!m->arg_too_long) {
		memcpy(m->arg, arg, alen);
		m->arg[alen] = '\0';
	}
	return true;
}

static bool route(const char *url, struct match *m)
{
	size_t k;

	memset(m, 0, sizeof(*m));
	for (k = 0; k < GV_ARRAY_SIZE(exact_routes); k++)
		if (strcmp(url, exact_routes[k].path) == 0) {
			m->fn = exact_routes[k].fn;
			m->post = exact_routes[k].post;
			return true;
		}
	for (k = 0; k < GV_ARRAY_SIZE(param_routes); k++)
		if (match_param(url, k, m))
			return true;
	return false;
}

/* ---- auth ------------------------------------------------------------------ */

/* Compare in time that depends only on the lengths, never on the bytes. */
static bool token_equal(const char *a, size_t alen, const char *b,
                        size_t blen)
{
	volatile unsigned char diff = (unsigned char)(alen != blen);
	size_t i;

	for (i = 0; i < alen; i++)
		diff |= (unsigned char)(a[i] ^ (i < blen ? b[i] : 0));
	return diff == 0;
}

static bool authorized(const struct gv_control *c,
                       struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!c->has_token || h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return token_equal(c->token, c->token_len, h, strnlen(h, CTL_TOKEN_MAX));
}

/* ---- the access handler ----------------------------------------------------- */

static enum MHD_Result dispatch(struct gv_control *c,
                                struct MHD_Connection *conn,
                                const char *url, const char *method)
{
	struct match m;
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	              strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	if (!route(url, &m))
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
	if (m.post ? !is_post : !is_get)
		return reply_json_hdr(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                      json_pack("{s:s}", "error",
		                                "method not allowed"),
		                      MHD_HTTP_HEADER_ALLOW,
		                      m.post ? "POST" : "GET, HEAD");
	if (m.post && !authorized(c, conn))
		return reply_json_hdr(conn, MHD_HTTP_UNAUTHORIZED,
		                      json_pack("{s:s}", "error",
		                                "unauthorized"),
		                      MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                      "Bearer realm=\"gavel\"");
	return m.fn(c, conn, &m);
}

/* A declared Content-Length over the limit (malformed ones MHD rejects). */
static bool declared_too_large(struct MHD_Connection *conn, uint32_t max)
{
	const char *v = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return v != NULL && strtoull(v, NULL, 10) > max;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	struct gv_control *c = cls;
	struct request *rq = *con_cls;

	if (rq == NULL) {
		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		if (strlen(url) > CTL_URL_MAX)
			return reply_error(conn, MHD_HTTP_URI_TOO_LONG,
			                   "URL too long");
		if (declared_too_large(conn, c->max_body))
			return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			                   "request body too large");
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* Bodies are counted, not kept: no endpoint reads one. */
		rq->body += *upload_size;
		rq->too_large = rq->too_large || rq->body > c->max_body;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_large)
		return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		                   "request body too large");
	return dispatch(c, conn, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode tc)
{
	free(*con_cls);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	fputs("gavel control: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- start and stop -------------------------------------------------------- */

/*
 * Read the bearer token: a regular file of mode exactly 0600 (EACCES
 * otherwise, or if it cannot be opened), holding one token; surrounding
 * whitespace is trimmed, and an empty or oversized token is EINVAL.
 * Symlinks are followed (secret stores mount files that way); the mode
 * checked is the target's, on the descriptor actually read.
 */
static int read_token(const char *path, char *tok, size_t cap, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t b = 0, e;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EACCES;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 07777) != 0600) {
		rc = -EACCES;
		goto out_close;
	}
	n = read(fd, tok, cap);
	if (n < 0) {
		rc = -EACCES;
		goto out_close;
	}
	e = (size_t)n;
	if (e == cap) {
		rc = -EINVAL;   /* no room for the terminator: too long */
		goto out_close;
	}
	while (b < e && (tok[b] == ' ' || tok[b] == '\t' || tok[b] == '\n' ||
	                 tok[b] == '\r'))
		b++;
	while (e > b && (tok[e - 1] == ' ' || tok[e - 1] == '\t' ||
	                 tok[e - 1] == '\n' || tok[e - 1] == '\r'))
		e--;
	memmove(tok, tok + b, e - b);
	*len = e - b;
	tok[*len] = '\0';
	if (*len == 0 || strlen(tok) != *len)
		rc = -EINVAL;   /* empty, or holds a NUL byte */
out_close:
	close(fd);
	return rc;
}

static int check_args(const struct gv_control_params *p,
                      const struct gv_ctl_provider *prov)
{
	if (p == NULL || prov == NULL || prov->snapshot == NULL ||
	    prov->book == NULL || prov->halt == NULL || prov->kill == NULL ||
	    prov->promote == NULL || prov->demote == NULL)
		return -EINVAL;
	return 0;
}

static int start_daemon(struct gv_control *c, uint32_t conns,
                        uint32_t timeout_s)
{
	const union MHD_DaemonInfo *info;

	errno = 0;
	c->daemon = MHD_start_daemon(
		/* ITC: without it a daemon at its connection limit has no
		 * listening socket to wake it and MHD_stop_daemon() hangs. */
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			MHD_USE_ITC | MHD_USE_ERROR_LOG,
		ntohs(c->sa.sin_port), NULL, NULL, on_request, c,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, c,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&c->sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)conns,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CTL_CONN_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, c,
		MHD_OPTION_END);
	if (c->daemon == NULL)
		return errno == EADDRINUSE || errno == EACCES ||
		                       errno == EADDRNOTAVAIL
		               ? -errno
		               : -ENOMEM;
	info = MHD_get_daemon_info(c->daemon, MHD_DAEMON_INFO_BIND_PORT);
	c->port = info != NULL ? info->port : ntohs(c->sa.sin_port);
	return 0;
}

struct gv_control *gv_control_start(const struct gv_control_params *p,
                                    const struct gv_ctl_provider *prov)
{
	struct gv_control *c;
	int rc = check_args(p, prov);

	if (rc != 0)
		goto out;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	c->prov = *prov;
	c->max_body = p->max_body ? p->max_body : CTL_BODY_DEFAULT;
	c->sa.sin_family = AF_INET;
	/* Port 0 is "any" (tests); 8080 is the config's default. */
	c->sa.sin_port = htons(p->port);
	if (inet_pton(AF_INET, p->address ? p->address : CTL_ADDRESS_DEFAULT,
	              &c->sa.sin_addr) != 1) {
		rc = -EINVAL;
		goto out_free_ctl;
	}
	if (p->token_file != NULL) {
		rc = read_token(p->token_file, c->token, sizeof(c->token),
		                &c->token_len);
		if (rc != 0)
			goto out_free_ctl;
		c->has_token = true;
	}
	c->metrics_cap = CTL_METRICS_INIT;
	c->metrics = malloc(c->metrics_cap);
	if (c->metrics == NULL) {
		rc = -ENOMEM;
		goto out_free_ctl;
	}
	rc = start_daemon(c, p->max_connections ? p->max_connections
	                                        : CTL_CONNS_DEFAULT,
	                  p->timeout_s ? p->timeout_s : CTL_TIMEOUT_DEFAULT);
	if (rc != 0)
		goto out_free_metrics;
	return c;

out_free_metrics:
	free(c->metrics);
out_free_ctl:
	explicit_bzero(c->token, sizeof(c->token));
	free(c);
out:
	gv_errno = -rc;
	return NULL;
}

uint16_t gv_control_port(const struct gv_control *c)
{
	return c != NULL ? c->port : 0;
}

void gv_control_stop(struct gv_control *c)
{
	if (c == NULL)
		return;
	MHD_stop_daemon(c->daemon);
	free(c->metrics);
	explicit_bzero(c->token, sizeof(c->token));
	free(c);
}
