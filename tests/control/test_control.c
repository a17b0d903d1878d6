/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_control.c - the control plane end to end: a server on 127.0.0.1
 * (port 0) over a fake provider, driven with libcurl; JSON checked with
 * jansson; the Prometheus exposition checked by this file's own parser
 * (and by `promtool check metrics` when it is installed); the role state
 * machine tested directly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "gv_common.h"
#include "gv_control.h"
#include "gv_errno.h"
#include "gv_test.h"

#define TOKEN "s3cret-T0ken_for.tests"
#define AUTH_OK "Authorization: Bearer " TOKEN
#define AUTH_BAD "Authorization: Bearer s3cret-T0ken_for.testz"
#define MAX_BODY 1024

/* ---- the fake provider -------------------------------------------------- */

enum { BIG_SHARDS = GV_MAX_SHARDS, BIG_INSTRUMENTS = GV_MAX_INSTRUMENTS };

struct fake {
	struct gv_role_state role;
	bool caught_up, port1_up, shard1_polling, big;
	int snap_rc, admin_rc, book_rc;
	struct gv_ctl_instrument ins[3];
	struct gv_ctl_session ses[4];
	/* What the admin calls received. */
	int halt_calls, kill_calls, promote_calls, demote_calls, book_calls;
	char halt_symbol[32];
	bool halt_flag, kill_flag;
	uint32_t kill_session, book_depth;
};

static struct fake g_fake;
static struct gv_ctl_instrument g_big_ins[BIG_INSTRUMENTS];
static struct gv_control *g_srv;
static uint16_t g_port;
static char g_dir[64];
static char g_token_path[128];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_instrument(struct gv_ctl_instrument *in, uint32_t id,
                           const char *sym, uint32_t shard, bool halted,
                           int64_t last)
{
	memset(in, 0, sizeof(*in));
	in->id = id;
	snprintf(in->symbol, sizeof(in->symbol), "%s", sym);
	in->shard = shard;
	in->halted = halted;
	in->last_price = last;
	in->bid_levels = 5 * id;
	in->ask_levels = 3 * id;
	in->bid_orders = 7 * id;
	in->ask_orders = 4 * id;
}

static void fake_reset(void)
{
	uint32_t i;

	memset(&g_fake, 0, sizeof(g_fake));
	g_fake.role.role = GV_ROLE_PRIMARY;
	g_fake.role.epoch = 3;
	g_fake.caught_up = true;
	g_fake.port1_up = true;
	g_fake.shard1_polling = true;
	set_instrument(&g_fake.ins[0], 1, "AAPL", 0, false, 18950);
	set_instrument(&g_fake.ins[1], 2, "MSFT", 1, true, 0);
	set_instrument(&g_fake.ins[2], 3, "GOOG", 0, false, -5);
	for (i = 0; i < 4; i++) {
		g_fake.ses[i].id = 11 + i;
		g_fake.ses[i].account = 900 + i;
		g_fake.ses[i].shard = i % 2;
		g_fake.ses[i].logged_in = i < 2;
		g_fake.ses[i].killed = i == 3;
		g_fake.ses[i].next_in = 100 + i;
		g_fake.ses[i].next_out = 200 + i;
	}
}

/* Shard i's counters: every value is a known function of i and index. */
static void fill_shard(struct gv_ctl_shard *sh, uint32_t i)
{
	uint32_t k;

	sh->id = i;
	sh->lcore = 2 + i;
	sh->polling = i != 1 || g_fake.shard1_polling;
	snprintf(sh->offload, sizeof(sh->offload), "%s",
	         i == 0 ? "sw" : "verilator");
	sh->orders = 1000 + i;
	sh->trades = 200 + i;
	sh->volume = 5000 + i;
	for (k = 0; k < GV_CTL_REASONS; k++) {
		sh->rejects[k] = 10 * i + k;
		sh->cancels[k] = 100 + k + i;
	}
	for (k = 0; k < GV_CTL_MSG_TYPES; k++)
		sh->msgs[k] = 1000 * (k + 1) + i;
	for (k = 0; k < GV_CTL_LAT_BUCKETS; k++)
		sh->lat_count[k] = k + 1 + i;
	sh->lat_sum_ns = 123456789 + i;
	sh->ring_used = 7 + i;
	sh->ring_size = 1024;
	sh->ring_waits = 3 + i;
	sh->drops = 4 + i;
	sh->offload_ops = 999 + i;
	sh->offload_faults = i;
	sh->offload_matches = 500 + i;
	sh->offload_fallbacks = i;
	sh->sessions_logged_in = 2;
	sh->live_orders = 50 + i;
}

static int fake_snapshot(void *arg, struct gv_ctl_snapshot *s)
{
	uint32_t i;

	if (g_fake.snap_rc != 0)
		return g_fake.snap_rc;
	s->uptime_ns = 42500000000ull;
	s->version = "0.1.0-test";
	s->role = g_fake.role;
	s->caught_up = g_fake.caught_up;
	s->nshards = g_fake.big ? BIG_SHARDS : 2;
	for (i = 0; i < s->nshards; i++)
		fill_shard(&s->shards[i], i);
	s->nports = 2;
	snprintf(s->ports[0].name, sizeof(s->ports[0].name), "0000:01:00.0");
	s->ports[0].link_up = true;
	s->ports[0].rx = 111;
	s->ports[0].tx = 222;
	s->ports[0].missed = 3;
	snprintf(s->ports[1].name, sizeof(s->ports[1].name), "net_\"tap\\0");
	s->ports[1].link_up = g_fake.port1_up;
	s->ports[1].rx = 444;
	s->ports[1].tx = 555;
	s->ports[1].missed = 6;
	s->ninstruments = g_fake.big ? BIG_INSTRUMENTS : 3;
	s->instruments = g_fake.big ? g_big_ins : g_fake.ins;
	s->nsessions = 4;
	s->sessions = g_fake.ses;
	return 0;
}

static const struct gv_ctl_instrument *fake_find(const char *symbol)
{
	uint32_t i;

	for (i = 0; i < 3; i++)
		if (strcmp(g_fake.ins[i].symbol, symbol) == 0)
			return &g_fake.ins[i];
	return NULL;
}

/* AAPL: 5 bids 100, 99, ...; 3 asks 101, 102, ...; others empty. */
static int fake_book(void *arg, const char *symbol, uint32_t depth,
                     struct gv_ctl_book *out)
{
	uint32_t i;

	g_fake.book_calls++;
	g_fake.book_depth = depth;
	if (g_fake.book_rc != 0)
		return g_fake.book_rc;
	if (fake_find(symbol) == NULL)
		return -ENOENT;
	if (strcmp(symbol, "AAPL") != 0)
		return 0;
	out->nbids = GV_MIN(5u, depth);
	out->nasks = GV_MIN(3u, depth);
	for (i = 0; i < out->nbids; i++)
		out->bids[i] = (struct gv_ctl_level){ 100 - (int64_t)i,
		                                      10 * (i + 1), i + 1 };
	for (i = 0; i < out->nasks; i++)
		out->asks[i] = (struct gv_ctl_level){ 101 + (int64_t)i,
		                                      20 * (i + 1), i + 2 };
	return 0;
}

static int fake_halt(void *arg, const char *symbol, bool halt)
{
	g_fake.halt_calls++;
	snprintf(g_fake.halt_symbol, sizeof(g_fake.halt_symbol), "%s", symbol);
	g_fake.halt_flag = halt;
	if (g_fake.admin_rc != 0)
		return g_fake.admin_rc;
	return fake_find(symbol) != NULL ? 0 : -ENOENT;
}

static int fake_kill(void *arg, uint32_t session, bool kill)
{
	g_fake.kill_calls++;
	g_fake.kill_session = session;
	g_fake.kill_flag = kill;
	if (g_fake.admin_rc != 0)
		return g_fake.admin_rc;
	return session >= 11 && session <= 14 ? 0 : -ENOENT;
}

static int fake_promote(void *arg)
{
	g_fake.promote_calls++;
	if (g_fake.admin_rc != 0)
		return g_fake.admin_rc;
	return gv_role_promote(&g_fake.role, now_ns());
}

static int fake_demote(void *arg)
{
	g_fake.demote_calls++;
	if (g_fake.admin_rc != 0)
		return g_fake.admin_rc;
	return gv_role_demote(&g_fake.role, now_ns());
}

static const struct gv_ctl_provider g_prov = {
	.snapshot = fake_snapshot,
	.book = fake_book,
	.halt = fake_halt,
	.kill = fake_kill,
	.promote = fake_promote,
	.demote = fake_demote,
	.arg = &g_fake,
};

/* ---- HTTP client ---------------------------------------------------------- */

static long g_curl_timeout_ms = 10000;

struct resp {
	long status;
	CURLcode cc;
	char ctype[128], www_auth[128], allow[64];
	char *body;
	size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	char *nb = realloc(r->body, r->len + sz * n + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + r->len, p, sz * n);
	r->body = nb;
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static void header_value(const char *line, size_t n, const char *name,
                         char *dst, size_t cap)
{
	size_t k = strlen(name), len;

	if (n <= k || strncasecmp(line, name, k) != 0)
		return;
	line += k;
	n -= k;
	while (n > 0 && *line == ' ') {
		line++;
		n--;
	}
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	len = GV_MIN(n, cap - 1);
	memcpy(dst, line, len);
	dst[len] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;

	header_value(p, sz * n, "Content-Type:", r->ctype, sizeof(r->ctype));
	header_value(p, sz * n, "WWW-Authenticate:", r->www_auth,
	             sizeof(r->www_auth));
	header_value(p, sz * n, "Allow:", r->allow, sizeof(r->allow));
	return sz * n;
}

struct upload {
	size_t left;
};

static size_t on_read(char *p, size_t sz, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = GV_MIN(u->left, sz * n);

	memset(p, 'x', k);
	u->left -= k;
	return k;
}

/*
 * One request to port `port`. `auth` is a whole header line or NULL;
 * `blen` bytes of body are sent with POST (chunked when `chunked`).
 */
static long http_on(uint16_t port, const char *method, const char *path,
                    const char *auth, size_t blen, bool chunked,
                    struct resp *r)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct upload up = { blen };
	char url[4096];
	char *body = calloc(1, blen + 1);

	memset(r, 0, sizeof(*r));
	CU_ASSERT_FATAL(h != NULL && body != NULL);
	memset(body, 'x', blen);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, g_curl_timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (auth != NULL)
		hdrs = curl_slist_append(hdrs, auth);
	if (strcmp(method, "POST") == 0 && chunked) {
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)blen);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	r->cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(body);
	return r->status;
}

static long http(const char *method, const char *path, const char *auth,
                 struct resp *r)
{
	return http_on(g_port, method, path, auth, 0, false, r);
}

static void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* The body as JSON, asserting the JSON content type; NULL if it is not. */
static json_t *resp_json(const struct resp *r)
{
	json_error_t err;
	json_t *j;

	CU_ASSERT_STRING_EQUAL(r->ctype, "application/json");
	if (r->body == NULL)
		return NULL;
	j = json_loadb(r->body, r->len, 0, &err);
	CU_ASSERT_PTR_NOT_NULL(j);
	return j;
}

/* Request, expect `status`, return the parsed JSON body (never NULL). */
static json_t *call_json(const char *method, const char *path,
                         const char *auth, long status)
{
	struct resp r;
	json_t *j;

	http(method, path, auth, &r);
	CU_ASSERT_EQUAL(r.cc, CURLE_OK);
	CU_ASSERT_EQUAL(r.status, status);
	if (r.status != status)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, r.status,
		        r.body ? r.body : "");
	j = resp_json(&r);
	resp_free(&r);
	return j != NULL ? j : json_object();
}

static const char *jget_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "(missing)";
}

static json_int_t jget_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	CU_ASSERT(json_is_integer(v));
	return json_integer_value(v);
}

static bool jget_bool(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	CU_ASSERT(json_is_boolean(v));
	return json_is_true(v);
}

/* An error reply: the status and a JSON {"error": "..."}. */
static void expect_error(const char *method, const char *path,
                         const char *auth, long status)
{
	json_t *j = call_json(method, path, auth, status);

	CU_ASSERT(json_is_string(json_object_get(j, "error")));
	json_decref(j);
}

/* ---- the exposition parser ------------------------------------------------ */

struct sample {
	char name[96];
	char labels[256];
	double value;
	int family;
};

struct family {
	char name[96];
	char type[16];
	bool help;
};

struct expo {
	struct sample *s;
	size_t ns, cap;
	struct family f[96];
	size_t nf;
};

static int family_find(struct expo *e, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < e->nf; i++)
		if (strlen(e->f[i].name) == n && strncmp(e->f[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || (!first && c >= '0' && c <= '9');
}

/* "# HELP name text" or "# TYPE name type"; other comments are ignored. */
static bool parse_meta(struct expo *e, const char *line, size_t n,
                       int *cur)
{
	bool help = n > 7 && strncmp(line, "# HELP ", 7) == 0;
	bool type = n > 7 && strncmp(line, "# TYPE ", 7) == 0;
	const char *name = line + 7, *end = name;
	int f;

	if (!help && !type)
		return true;
	while (end < line + n && name_char(*end, end == name))
		end++;
	if (end == name || end >= line + n || *end != ' ' ||
	    (size_t)(end - name) >= sizeof(e->f[0].name))
		return false;
	f = family_find(e, name, (size_t)(end - name));
	if (f < 0) {
		if (e->nf == GV_ARRAY_SIZE(e->f))
			return false;
		f = (int)e->nf++;
		memcpy(e->f[f].name, name, (size_t)(end - name));
		e->f[f].name[end - name] = '\0';
	} else if (f != *cur) {
		return false;           /* a family declared twice */
	}
	*cur = f;
	end++;
	if (help) {
		if (e->f[f].help || e->f[f].type[0] != '\0')
			return false;   /* HELP once, before TYPE */
		e->f[f].help = true;
		return end < line + n;
	}
	if (e->f[f].type[0] != '\0' || (size_t)(line + n - end) >= 16)
		return false;
	memcpy(e->f[f].type, end, (size_t)(line + n - end));
	return strcmp(e->f[f].type, "counter") == 0 ||
	       strcmp(e->f[f].type, "gauge") == 0 ||
	       strcmp(e->f[f].type, "histogram") == 0 ||
	       strcmp(e->f[f].type, "summary") == 0 ||
	       strcmp(e->f[f].type, "untyped") == 0;
}

/* {a="x",b="y\"z"}: returns the byte after '}' or NULL. */
static const char *parse_labels(const char *p, const char *end)
{
	if (p >= end || *p != '{')
		return NULL;
	p++;
	while (p < end && *p != '}') {
		const char *ln = p;

		while (p < end && name_char(*p, p == ln) && *p != ':')
			p++;
		if (p == ln || p + 1 >= end || p[0] != '=' || p[1] != '"')
			return NULL;
		for (p += 2; p < end && *p != '"'; p++)
			if (*p == '\\') {
				if (p + 1 >= end ||
				    (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
					return NULL;
				p++;
			}
		if (p >= end)
			return NULL;
		p++;
		if (p < end && *p == ',')
			p++;
		else if (p < end && *p != '}')
			return NULL;
	}
	return p < end ? p + 1 : NULL;
}

/* The family a sample belongs to: itself, or a histogram's suffix. */
static int sample_family(struct expo *e, const char *name, size_t n)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	int f = family_find(e, name, n);
	size_t k;

	if (f >= 0)
		return strcmp(e->f[f].type, "histogram") == 0 ? -1 : f;
	for (k = 0; k < GV_ARRAY_SIZE(sfx); k++) {
		size_t l = strlen(sfx[k]);

		if (n > l && strncmp(name + n - l, sfx[k], l) == 0) {
			f = family_find(e, name, n - l);
			if (f >= 0 && strcmp(e->f[f].type, "histogram") == 0)
				return f;
		}
	}
	return -1;
}

static bool parse_sample(struct expo *e, const char *line, size_t n,
                         int cur)
{
	const char *end = line + n, *p = line, *lb = NULL, *le = NULL;
	struct sample *s;
	char num[64], *stop;

	while (p < end && name_char(*p, p == line))
		p++;
	if (p == line || (size_t)(p - line) >= sizeof(s->name))
		return false;
	if (e->ns == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 1024;
		e->s = realloc(e->s, e->cap * sizeof(*e->s));
		CU_ASSERT_FATAL(e->s != NULL);
	}
	s = &e->s[e->ns];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, line, (size_t)(p - line));
	s->family = sample_family(e, line, (size_t)(p - line));
	/* Samples follow their own family's HELP and TYPE, contiguously. */
	if (s->family < 0 || s->family != cur || !e->f[cur].help)
		return false;
	if (p < end && *p == '{') {
		lb = p + 1;
		p = parse_labels(p, end);
		if (p == NULL || (size_t)(p - 1 - lb) >= sizeof(s->labels))
			return false;
		le = p - 1;
		memcpy(s->labels, lb, (size_t)(le - lb));
	}
	if (p >= end || *p != ' ' || (size_t)(end - p) >= sizeof(num))
		return false;
	memcpy(num, p + 1, (size_t)(end - p - 1));
	num[end - p - 1] = '\0';
	s->value = strtod(num, &stop);
	if (num[0] == '\0' || *stop != '\0' || strchr(num, ' ') != NULL)
		return false;
	e->ns++;
	return true;
}

/* Parse an exposition; returns 0 or the 1-based number of a bad line. */
static int parse_expo(const char *text, size_t len, struct expo *e)
{
	const char *p = text, *end = text + len;
	int line = 0, cur = -1;

	memset(e, 0, sizeof(*e));
	if (len == 0 || text[len - 1] != '\n')
		return 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		line++;
		if (n == 0)
			return line;
		if (p[0] == '#' ? !parse_meta(e, p, n, &cur)
		                : !parse_sample(e, p, n, cur))
			return line;
		p = nl + 1;
	}
	return 0;
}

static void expo_free(struct expo *e)
{
	free(e->s);
	e->s = NULL;
}

static const struct sample *find_sample(const struct expo *e,
                                        const char *name,
                                        const char *labels)
{
	size_t i;

	for (i = 0; i < e->ns; i++)
		if (strcmp(e->s[i].name, name) == 0 &&
		    strcmp(e->s[i].labels, labels) == 0)
			return &e->s[i];
	return NULL;
}

static double val(const struct expo *e, const char *name, const char *labels)
{
	const struct sample *s = find_sample(e, name, labels);

	if (s == NULL)
		fprintf(stderr, "missing sample %s{%s}\n", name, labels);
	return s != NULL ? s->value : NAN;
}

static size_t count_samples(const struct expo *e, const char *name,
                            const char *label_prefix)
{
	size_t i, n = 0;

	for (i = 0; i < e->ns; i++)
		n += strcmp(e->s[i].name, name) == 0 &&
		     strncmp(e->s[i].labels, label_prefix,
		             strlen(label_prefix)) == 0;
	return n;
}

/*
 * Every histogram: per label set (le last), le strictly increasing,
 * counts cumulative, the last bucket +Inf and equal to _count, a _sum.
 * Returns the number of histogram series checked, or -1.
 */
static int check_histograms(const struct expo *e)
{
	size_t i = 0;
	int series = 0;

	while (i < e->ns) {
		const struct sample *s = &e->s[i];
		char key[256], name[96], want[160];
		const char *le = strstr(s->labels, "le=\"");
		double prev_le = -INFINITY, prev = -1;
		size_t klen, nlen = strlen(s->name);

		if (nlen < 7 || strcmp(s->name + nlen - 7, "_bucket") != 0) {
			i++;
			continue;
		}
		if (le == NULL)
			return -1;
		klen = (size_t)(le - s->labels);
		memcpy(key, s->labels, klen);
		key[klen] = '\0';
		memcpy(name, s->name, nlen - 7);
		name[nlen - 7] = '\0';
		for (; i < e->ns && strcmp(e->s[i].name, s->name) == 0 &&
		       strncmp(e->s[i].labels, key, klen) == 0 &&
		       strncmp(e->s[i].labels + klen, "le=\"", 4) == 0;
		     i++) {
			double b = strtod(e->s[i].labels + klen + 4, NULL);

			if (!(b > prev_le) || e->s[i].value < prev)
				return -1;
			prev_le = b;
			prev = e->s[i].value;
		}
		if (!isinf(prev_le))
			return -1;
		/* The key ends in ',' when there are other labels. */
		snprintf(want, sizeof(want), "%.*s", klen ? (int)klen - 1 : 0,
		         key);
		snprintf(key, sizeof(key), "%s_count", name);
		if (val(e, key, want) != prev)
			return -1;
		snprintf(key, sizeof(key), "%s_sum", name);
		if (isnan(val(e, key, want)))
			return -1;
		series++;
	}
	return series;
}

static const char *const required_families[] = {
	"matching_engine_orders_processed_total",
	"matching_engine_trades_executed_total",
	"matching_engine_order_latency_seconds",
	"matching_engine_orderbook_depth",
	"gavel_rejects_total", "gavel_cancels_total", "gavel_messages_total",
	"gavel_ring_used", "gavel_ring_waits_total",
	"gavel_frames_dropped_total", "gavel_port_rx_packets_total",
	"gavel_port_tx_packets_total", "gavel_port_missed_packets_total",
	"gavel_port_link_up", "gavel_offload_ops_total",
	"gavel_offload_faults_total", "gavel_offload_matches_total",
	"gavel_offload_fallbacks_total", "gavel_sessions_logged_in",
	"gavel_role", "gavel_role_primary", "gavel_epoch",
	"gavel_uptime_seconds", "gavel_instrument_halted",
	"gavel_last_price_ticks",
};

/* Parse, check structure, and require every family with HELP and TYPE. */
static void check_expo(const char *text, size_t len, struct expo *e)
{
	int bad = parse_expo(text, len, e);
	size_t i;

	CU_ASSERT_EQUAL(bad, 0);
	if (bad != 0)
		fprintf(stderr, "exposition: bad line %d\n", bad);
	for (i = 0; i < e->nf; i++) {
		CU_ASSERT(e->f[i].help && e->f[i].type[0] != '\0');
		if (strcmp(e->f[i].type, "counter") == 0)
			CU_ASSERT(strlen(e->f[i].name) > 6 &&
			          strcmp(e->f[i].name + strlen(e->f[i].name) - 6,
			                 "_total") == 0);
	}
	for (i = 0; i < GV_ARRAY_SIZE(required_families); i++) {
		int f = family_find(e, required_families[i],
		                    strlen(required_families[i]));

		CU_ASSERT(f >= 0);
		if (f < 0)
			fprintf(stderr, "missing family %s\n",
			        required_families[i]);
	}
	CU_ASSERT(check_histograms(e) > 0);
}

/* ---- suite setup ------------------------------------------------------------ */

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	if (n != (ssize_t)strlen(text) || chmod(path, mode) != 0)
		return -1;
	return 0;
}

static struct gv_control_params params(const char *token_file)
{
	return (struct gv_control_params){
		.address = "127.0.0.1",
		.port = 0,
		.token_file = token_file,
		.max_connections = 16,
		.timeout_s = 5,
		.max_body = MAX_BODY,
	};
}

static int setup(void)
{
	struct gv_control_params p;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	snprintf(g_dir, sizeof(g_dir), "/tmp/gv_ctl_XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	snprintf(g_token_path, sizeof(g_token_path), "%s/token", g_dir);
	if (write_file(g_token_path, "  " TOKEN "\n", 0600) != 0)
		return -1;
	fake_reset();
	p = params(g_token_path);
	g_srv = gv_control_start(&p, &g_prov);
	if (g_srv == NULL) {
		fprintf(stderr, "start: %s\n", gv_strerror(gv_errno));
		return -1;
	}
	g_port = gv_control_port(g_srv);
	return g_port != 0 ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];

	gv_control_stop(g_srv);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests: roles ------------------------------------------------------------ */

static void test_role_state_machine(void)
{
	struct gv_role_state r = { 0 };

	CU_ASSERT_STRING_EQUAL(gv_role_name(GV_ROLE_STANDBY), "standby");
	CU_ASSERT_STRING_EQUAL(gv_role_name(GV_ROLE_PRIMARY), "primary");
	CU_ASSERT_STRING_EQUAL(gv_role_name(7), "unknown");
	CU_ASSERT_EQUAL(r.role, GV_ROLE_STANDBY);
	CU_ASSERT_EQUAL(gv_role_demote(&r, 5), -EALREADY);
	CU_ASSERT_EQUAL(r.changed_ns, 0);
	CU_ASSERT_EQUAL(gv_role_promote(&r, 10), 0);
	CU_ASSERT_EQUAL(r.role, GV_ROLE_PRIMARY);
	CU_ASSERT_EQUAL(r.epoch, 1);
	CU_ASSERT_EQUAL(r.changed_ns, 10);
	CU_ASSERT_EQUAL(gv_role_promote(&r, 11), -EALREADY);
	CU_ASSERT_EQUAL(r.epoch, 1);
	CU_ASSERT_EQUAL(r.changed_ns, 10);
	CU_ASSERT_EQUAL(gv_role_demote(&r, 20), 0);
	CU_ASSERT_EQUAL(r.role, GV_ROLE_STANDBY);
	CU_ASSERT_EQUAL(r.epoch, 1);            /* demotion keeps the epoch */
	CU_ASSERT_EQUAL(r.changed_ns, 20);
	CU_ASSERT_EQUAL(gv_role_promote(&r, 30), 0);
	CU_ASSERT_EQUAL(r.epoch, 2);
}

static void test_reason_names(void)
{
	uint32_t c, n = 0;

	CU_ASSERT_PTR_NULL(gv_ctl_reject_name(0));
	CU_ASSERT_STRING_EQUAL(gv_ctl_reject_name(1), "unknown_symbol");
	CU_ASSERT_STRING_EQUAL(gv_ctl_reject_name(2), "bad_side");
	CU_ASSERT_PTR_NULL(gv_ctl_reject_name(13));
	CU_ASSERT_STRING_EQUAL(gv_ctl_reject_name(19), "killed");
	CU_ASSERT_PTR_NULL(gv_ctl_reject_name(20));
	CU_ASSERT_PTR_NULL(gv_ctl_reject_name(UINT32_MAX));
	for (c = 0; c < GV_CTL_REASONS; c++)
		n += gv_ctl_reject_name(c) != NULL;
	CU_ASSERT_EQUAL(n, 18);
	CU_ASSERT_STRING_EQUAL(gv_ctl_cancel_name(1), "user");
	CU_ASSERT_STRING_EQUAL(gv_ctl_cancel_name(10), "admin");
	CU_ASSERT_PTR_NULL(gv_ctl_cancel_name(0));
	CU_ASSERT_PTR_NULL(gv_ctl_cancel_name(11));
	CU_ASSERT_STRING_EQUAL(gv_ctl_msg_type_name(0), "new_order");
	CU_ASSERT_STRING_EQUAL(gv_ctl_msg_type_name(7), "resend_request");
	CU_ASSERT_PTR_NULL(gv_ctl_msg_type_name(8));
}

/* ---- tests: start-up ---------------------------------------------------------- */

static void expect_start_fails(const struct gv_control_params *p,
                               const struct gv_ctl_provider *prov, int err)
{
	struct gv_control *c;

	gv_errno = 0;
	c = gv_control_start(p, prov);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(gv_errno, err);
	if (c != NULL)
		gv_control_stop(c);
}

static void test_start_token_file_checks(void)
{
	char path[160];
	struct gv_control_params p;

	snprintf(path, sizeof(path), "%s/t0644", g_dir);
	CU_ASSERT_FATAL(write_file(path, TOKEN "\n", 0644) == 0);
	p = params(path);
	expect_start_fails(&p, &g_prov, EACCES);
	CU_ASSERT_FATAL(write_file(path, TOKEN "\n", 0640) == 0);
	expect_start_fails(&p, &g_prov, EACCES);
	CU_ASSERT_FATAL(write_file(path, "", 0600) == 0);
	expect_start_fails(&p, &g_prov, EINVAL);
	CU_ASSERT_FATAL(write_file(path, " \n\t\n", 0600) == 0);
	expect_start_fails(&p, &g_prov, EINVAL);
	snprintf(path, sizeof(path), "%s/absent", g_dir);
	expect_start_fails(&p, &g_prov, EACCES);
	p = params(g_dir);                      /* a directory */
	expect_start_fails(&p, &g_prov, EACCES);
}

static void test_start_bad_args(void)
{
	struct gv_control_params p = params(g_token_path);
	struct gv_ctl_provider prov = g_prov;

	p.address = "not-an-address";
	expect_start_fails(&p, &g_prov, EINVAL);
	p.address = "127.0.0.1";
	expect_start_fails(NULL, &g_prov, EINVAL);
	expect_start_fails(&p, NULL, EINVAL);
	prov.halt = NULL;
	expect_start_fails(&p, &prov, EINVAL);
	p.port = g_port;                        /* the suite's server has it */
	expect_start_fails(&p, &g_prov, EADDRINUSE);
	gv_control_stop(NULL);
	CU_ASSERT_EQUAL(gv_control_port(NULL), 0);
}

/* ---- tests: health ------------------------------------------------------------- */

static void test_health(void)
{
	json_t *j, *a, *s;

	fake_reset();
	j = call_json("GET", "/health", NULL, 200);
	CU_ASSERT_STRING_EQUAL(jget_str(j, "role"), "primary");
	CU_ASSERT_EQUAL(jget_int(j, "epoch"), 3);
	CU_ASSERT_STRING_EQUAL(jget_str(j, "version"), "0.1.0-test");
	CU_ASSERT_EQUAL(jget_int(j, "uptime_ns"), 42500000000ll);
	CU_ASSERT(fabs(json_real_value(json_object_get(j, "uptime_seconds")) -
	               42.5) < 1e-9);
	CU_ASSERT(jget_bool(j, "ready"));
	CU_ASSERT(jget_bool(j, "link_up"));
	a = json_object_get(j, "shards");
	CU_ASSERT_FATAL(json_array_size(a) == 2);
	s = json_array_get(a, 1);
	CU_ASSERT_EQUAL(jget_int(s, "id"), 1);
	CU_ASSERT_EQUAL(jget_int(s, "lcore"), 3);
	CU_ASSERT(jget_bool(s, "polling"));
	CU_ASSERT_STRING_EQUAL(jget_str(s, "offload"), "verilator");
	CU_ASSERT_STRING_EQUAL(jget_str(json_array_get(a, 0), "offload"), "sw");
	a = json_object_get(j, "ports");
	CU_ASSERT_FATAL(json_array_size(a) == 2);
	CU_ASSERT_STRING_EQUAL(jget_str(json_array_get(a, 0), "name"),
	                       "0000:01:00.0");
	CU_ASSERT_STRING_EQUAL(jget_str(json_array_get(a, 1), "name"),
	                       "net_\"tap\\0");
	CU_ASSERT(jget_bool(json_array_get(a, 0), "link_up"));
	CU_ASSERT_EQUAL(jget_int(json_array_get(a, 1), "rx"), 444);
	json_decref(j);

	g_fake.port1_up = false;
	j = call_json("GET", "/health", NULL, 200);
	CU_ASSERT(!jget_bool(j, "link_up"));
	CU_ASSERT(!jget_bool(j, "ready"));
	CU_ASSERT_STRING_EQUAL(jget_str(j, "status"), "not_ready");
	json_decref(j);
}

static void test_health_live(void)
{
	json_t *j;

	fake_reset();
	j = call_json("GET", "/health/live", NULL, 200);
	CU_ASSERT_STRING_EQUAL(jget_str(j, "status"), "live");
	json_decref(j);
	/* Live does not depend on the provider. */
	g_fake.snap_rc = -EBUSY;
	json_decref(call_json("GET", "/health/live", NULL, 200));
	fake_reset();
}

static void expect_not_ready(const char *why)
{
	json_t *j = call_json("GET", "/health/ready", NULL, 503);

	CU_ASSERT(!jget_bool(j, "ready"));
	CU_ASSERT_PTR_NOT_NULL(strstr(jget_str(j, "reason"), why));
	json_decref(j);
}

static void test_health_ready(void)
{
	json_t *j;

	fake_reset();
	j = call_json("GET", "/health/ready", NULL, 200);
	CU_ASSERT(jget_bool(j, "ready"));
	CU_ASSERT_STRING_EQUAL(jget_str(j, "role"), "primary");
	json_decref(j);

	g_fake.port1_up = false;
	expect_not_ready("link down");
	fake_reset();
	g_fake.shard1_polling = false;
	expect_not_ready("shard 1 not polling");
	fake_reset();
	g_fake.role.role = GV_ROLE_STANDBY;
	g_fake.caught_up = false;
	expect_not_ready("standby not caught up");
	g_fake.caught_up = true;            /* a caught-up standby is ready */
	j = call_json("GET", "/health/ready", NULL, 200);
	CU_ASSERT_STRING_EQUAL(jget_str(j, "role"), "standby");
	json_decref(j);
	g_fake.snap_rc = -EBUSY;
	expect_not_ready("snapshot");
	fake_reset();
}

/* ---- tests: read views ----------------------------------------------------------- */

static void test_shards(void)
{
	json_t *j, *s, *o;

	fake_reset();
	j = call_json("GET", "/v1/shards", NULL, 200);
	CU_ASSERT_FATAL(json_array_size(json_object_get(j, "shards")) == 2);
	s = json_array_get(json_object_get(j, "shards"), 1);
	CU_ASSERT_EQUAL(jget_int(s, "id"), 1);
	CU_ASSERT_EQUAL(jget_int(s, "orders"), 1001);
	CU_ASSERT_EQUAL(jget_int(s, "trades"), 201);
	CU_ASSERT_EQUAL(jget_int(s, "volume"), 5001);
	CU_ASSERT_EQUAL(jget_int(s, "ring_used"), 8);
	CU_ASSERT_EQUAL(jget_int(s, "ring_size"), 1024);
	CU_ASSERT_EQUAL(jget_int(s, "drops"), 5);
	CU_ASSERT_EQUAL(jget_int(s, "offload_faults"), 1);
	CU_ASSERT_EQUAL(jget_int(s, "offload_matches"), 501);
	CU_ASSERT_EQUAL(jget_int(s, "offload_fallbacks"), 1);
	CU_ASSERT_EQUAL(jget_int(s, "latency_count"), 136 + 16);
	o = json_object_get(s, "rejects");
	CU_ASSERT_EQUAL(json_object_size(o), 18);
	CU_ASSERT_EQUAL(jget_int(o, "unknown_symbol"), 11);
	CU_ASSERT_EQUAL(jget_int(o, "killed"), 29);
	o = json_object_get(s, "cancels");
	CU_ASSERT_EQUAL(json_object_size(o), 10);
	CU_ASSERT_EQUAL(jget_int(o, "admin"), 111);
	o = json_object_get(s, "messages");
	CU_ASSERT_EQUAL(json_object_size(o), 8);
	CU_ASSERT_EQUAL(jget_int(o, "new_order"), 1001);
	json_decref(j);

	g_fake.snap_rc = -EBUSY;
	expect_error("GET", "/v1/shards", NULL, 503);
	fake_reset();
}

static void test_instruments(void)
{
	json_t *j, *a;

	fake_reset();
	j = call_json("GET", "/v1/instruments", NULL, 200);
	a = json_object_get(j, "instruments");
	CU_ASSERT_FATAL(json_array_size(a) == 3);
	CU_ASSERT_STRING_EQUAL(jget_str(json_array_get(a, 0), "symbol"), "AAPL");
	CU_ASSERT_EQUAL(jget_int(json_array_get(a, 0), "last_price"), 18950);
	CU_ASSERT_EQUAL(jget_int(json_array_get(a, 0), "bid_levels"), 5);
	CU_ASSERT(jget_bool(json_array_get(a, 1), "halted"));
	CU_ASSERT_EQUAL(jget_int(json_array_get(a, 1), "shard"), 1);
	CU_ASSERT_EQUAL(jget_int(json_array_get(a, 2), "last_price"), -5);
	json_decref(j);
}

static void test_book(void)
{
	json_t *j, *b;

	fake_reset();
	j = call_json("GET", "/v1/instruments/AAPL/book", NULL, 200);
	CU_ASSERT_EQUAL(g_fake.book_depth, 10);
	CU_ASSERT_EQUAL(jget_int(j, "depth"), 10);
	CU_ASSERT_STRING_EQUAL(jget_str(j, "symbol"), "AAPL");
	CU_ASSERT_FATAL(json_array_size(json_object_get(j, "bids")) == 5);
	CU_ASSERT_FATAL(json_array_size(json_object_get(j, "asks")) == 3);
	b = json_array_get(json_object_get(j, "bids"), 1);
	CU_ASSERT_EQUAL(jget_int(b, "price"), 99);
	CU_ASSERT_EQUAL(jget_int(b, "qty"), 20);
	CU_ASSERT_EQUAL(jget_int(b, "orders"), 2);
	b = json_array_get(json_object_get(j, "asks"), 0);
	CU_ASSERT_EQUAL(jget_int(b, "price"), 101);
	json_decref(j);

	j = call_json("GET", "/v1/instruments/AAPL/book?depth=1", NULL, 200);
	CU_ASSERT_EQUAL(g_fake.book_depth, 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "bids")), 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "asks")), 1);
	json_decref(j);
	j = call_json("GET", "/v1/instruments/MSFT/book?depth=256", NULL, 200);
	CU_ASSERT_EQUAL(g_fake.book_depth, 256);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "bids")), 0);
	json_decref(j);

	expect_error("GET", "/v1/instruments/AAPL/book?depth=0", NULL, 400);
	expect_error("GET", "/v1/instruments/AAPL/book?depth=257", NULL, 400);
	expect_error("GET", "/v1/instruments/AAPL/book?depth=abc", NULL, 400);
	expect_error("GET", "/v1/instruments/AAPL/book?depth=", NULL, 400);
	expect_error("GET", "/v1/instruments/AAPL/book?depth=-1", NULL, 400);
	expect_error("GET", "/v1/instruments/NOPE/book", NULL, 404);
	expect_error("GET", "/v1/instruments/WAYTOOLONGSYMBOL/book", NULL, 404);
	g_fake.book_rc = -EBUSY;
	expect_error("GET", "/v1/instruments/AAPL/book", NULL, 503);
	fake_reset();
}

static void test_sessions(void)
{
	struct resp r;
	json_t *j, *a, *s;
	const char *key;
	json_t *v;
	size_t i;

	fake_reset();
	j = call_json("GET", "/v1/sessions", NULL, 200);
	a = json_object_get(j, "sessions");
	CU_ASSERT_FATAL(json_array_size(a) == 4);
	s = json_array_get(a, 3);
	CU_ASSERT_EQUAL(jget_int(s, "id"), 14);
	CU_ASSERT_EQUAL(jget_int(s, "account"), 903);
	CU_ASSERT(jget_bool(s, "killed"));
	CU_ASSERT(!jget_bool(s, "logged_in"));
	CU_ASSERT_EQUAL(jget_int(s, "next_in"), 103);
	CU_ASSERT_EQUAL(jget_int(s, "next_out"), 203);
	json_array_foreach(a, i, s)
		json_object_foreach(s, key, v)
			CU_ASSERT_PTR_NULL(strstr(key, "key"));
	json_decref(j);
	http("GET", "/v1/sessions", NULL, &r);
	CU_ASSERT_PTR_NULL(strstr(r.body, "key"));
	resp_free(&r);
}

/* ---- tests: auth and admin ------------------------------------------------------- */

static void expect_401(const char *path, const char *auth)
{
	struct resp r;
	json_t *j;

	http("POST", path, auth, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_EQUAL(strncmp(r.www_auth, "Bearer", 6), 0);
	j = resp_json(&r);
	CU_ASSERT(json_is_string(json_object_get(j, "error")));
	json_decref(j);
	resp_free(&r);
}

static void test_auth(void)
{
	static const char *const paths[] = {
		"/v1/admin/promote", "/v1/admin/demote", "/admin/promote",
		"/admin/demote", "/v1/instruments/AAPL/halt",
		"/v1/instruments/AAPL/resume", "/v1/sessions/11/kill",
		"/v1/sessions/11/enable",
	};
	size_t i;

	fake_reset();
	for (i = 0; i < GV_ARRAY_SIZE(paths); i++) {
		expect_401(paths[i], NULL);
		expect_401(paths[i], AUTH_BAD);
		expect_401(paths[i], "Authorization: Bearer " TOKEN "x");
		expect_401(paths[i], "Authorization: Bearer s3cret");
		expect_401(paths[i], "Authorization: Basic " TOKEN);
		expect_401(paths[i], "Authorization: Bearer");
	}
	CU_ASSERT_EQUAL(g_fake.halt_calls + g_fake.kill_calls +
	                        g_fake.promote_calls + g_fake.demote_calls, 0);
	json_decref(call_json("POST", "/v1/instruments/AAPL/halt", AUTH_OK,
	                      200));
	json_decref(call_json("POST", "/v1/instruments/AAPL/halt",
	                      "authorization: bearer " TOKEN, 200));
	CU_ASSERT_EQUAL(g_fake.halt_calls, 2);
}

/* Without a token file every admin call is refused. */
static void test_auth_without_token_file(void)
{
	struct gv_control_params p = params(NULL);
	struct gv_control *c = gv_control_start(&p, &g_prov);
	struct resp r;

	CU_ASSERT_FATAL(c != NULL);
	fake_reset();
	http_on(gv_control_port(c), "POST", "/v1/admin/demote", AUTH_OK, 0,
	        false, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_EQUAL(strncmp(r.www_auth, "Bearer", 6), 0);
	resp_free(&r);
	http_on(gv_control_port(c), "GET", "/health", NULL, 0, false, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	resp_free(&r);
	CU_ASSERT_EQUAL(g_fake.demote_calls, 0);
	gv_control_stop(c);
}

static void test_halt_resume(void)
{
	json_t *j;

	fake_reset();
	j = call_json("POST", "/v1/instruments/MSFT/halt", AUTH_OK, 200);
	CU_ASSERT(jget_bool(j, "ok"));
	CU_ASSERT(jget_bool(j, "halted"));
	CU_ASSERT_STRING_EQUAL(jget_str(j, "symbol"), "MSFT");
	CU_ASSERT_EQUAL(g_fake.halt_calls, 1);
	CU_ASSERT_STRING_EQUAL(g_fake.halt_symbol, "MSFT");
	CU_ASSERT(g_fake.halt_flag);
	json_decref(j);
	j = call_json("POST", "/v1/instruments/GOOG/resume", AUTH_OK, 200);
	CU_ASSERT(!jget_bool(j, "halted"));
	CU_ASSERT_STRING_EQUAL(g_fake.halt_symbol, "GOOG");
	CU_ASSERT(!g_fake.halt_flag);
	CU_ASSERT_EQUAL(g_fake.halt_calls, 2);
	json_decref(j);

	expect_error("POST", "/v1/instruments/NOPE/halt", AUTH_OK, 404);
	CU_ASSERT_STRING_EQUAL(g_fake.halt_symbol, "NOPE");
	/* Longer than any symbol: refused before reaching the provider. */
	expect_error("POST", "/v1/instruments/ABCDEFGHI/halt", AUTH_OK, 404);
	CU_ASSERT_EQUAL(g_fake.halt_calls, 3);
	g_fake.admin_rc = -EBUSY;
	expect_error("POST", "/v1/instruments/AAPL/halt", AUTH_OK, 503);
	g_fake.admin_rc = -EINVAL;
	expect_error("POST", "/v1/instruments/AAPL/resume", AUTH_OK, 400);
	g_fake.admin_rc = -EIO;
	expect_error("POST", "/v1/instruments/AAPL/resume", AUTH_OK, 500);
	fake_reset();
}

static void test_kill_enable(void)
{
	json_t *j;

	fake_reset();
	j = call_json("POST", "/v1/sessions/12/kill", AUTH_OK, 200);
	CU_ASSERT(jget_bool(j, "ok"));
	CU_ASSERT(jget_bool(j, "killed"));
	CU_ASSERT_EQUAL(jget_int(j, "session"), 12);
	CU_ASSERT_EQUAL(g_fake.kill_session, 12);
	CU_ASSERT(g_fake.kill_flag);
	json_decref(j);
	j = call_json("POST", "/v1/sessions/14/enable", AUTH_OK, 200);
	CU_ASSERT(!jget_bool(j, "killed"));
	CU_ASSERT_EQUAL(g_fake.kill_session, 14);
	CU_ASSERT(!g_fake.kill_flag);
	json_decref(j);
	CU_ASSERT_EQUAL(g_fake.kill_calls, 2);

	expect_error("POST", "/v1/sessions/99/kill", AUTH_OK, 404);
	CU_ASSERT_EQUAL(g_fake.kill_session, 99);
	expect_error("POST", "/v1/sessions/abc/kill", AUTH_OK, 400);
	expect_error("POST", "/v1/sessions/-1/kill", AUTH_OK, 400);
	expect_error("POST", "/v1/sessions/4294967296/kill", AUTH_OK, 400);
	CU_ASSERT_EQUAL(g_fake.kill_calls, 3);
	g_fake.admin_rc = -EBUSY;
	expect_error("POST", "/v1/sessions/11/enable", AUTH_OK, 503);
	fake_reset();
}

static void expect_role(const char *path, const char *role, long epoch)
{
	json_t *j = call_json("POST", path, AUTH_OK, 200);

	CU_ASSERT(jget_bool(j, "ok"));
	CU_ASSERT_STRING_EQUAL(jget_str(j, "role"), role);
	CU_ASSERT_EQUAL(jget_int(j, "epoch"), epoch);
	json_decref(j);
}

static void test_promote_demote_cycle(void)
{
	json_t *j;

	fake_reset();
	g_fake.role.role = GV_ROLE_STANDBY;
	g_fake.role.epoch = 0;
	expect_role("/v1/admin/promote", "primary", 1);
	j = call_json("POST", "/v1/admin/promote", AUTH_OK, 409);
	CU_ASSERT(json_is_string(json_object_get(j, "error")));
	CU_ASSERT_EQUAL(jget_int(j, "epoch"), 1);
	json_decref(j);
	expect_role("/v1/admin/demote", "standby", 1);
	expect_error("POST", "/v1/admin/demote", AUTH_OK, 409);
	expect_role("/admin/promote", "primary", 2);
	expect_role("/admin/demote", "standby", 2);
	expect_role("/v1/admin/promote", "primary", 3);
	CU_ASSERT_EQUAL(g_fake.promote_calls, 4);
	CU_ASSERT_EQUAL(g_fake.demote_calls, 3);
	CU_ASSERT_EQUAL(g_fake.role.epoch, 3);
	g_fake.admin_rc = -EBUSY;
	expect_error("POST", "/v1/admin/demote", AUTH_OK, 503);
	CU_ASSERT_EQUAL(g_fake.role.role, GV_ROLE_PRIMARY);
	fake_reset();
}

/* ---- tests: protocol errors and limits ------------------------------------------ */

static void test_not_found_and_method(void)
{
	struct resp r;
	json_t *j;

	fake_reset();
	expect_error("GET", "/", NULL, 404);
	expect_error("GET", "/nope", NULL, 404);
	expect_error("GET", "/health/", NULL, 404);
	expect_error("GET", "/v1/instruments/AAPL", NULL, 404);
	expect_error("GET", "/v1/instruments//book", NULL, 404);
	expect_error("GET", "/v1/instruments/AAPL/book/x", NULL, 404);
	expect_error("POST", "/v1/admin/nope", AUTH_OK, 404);
	expect_error("POST", "/health", AUTH_OK, 405);
	expect_error("DELETE", "/metrics", NULL, 405);
	expect_error("PUT", "/v1/sessions", NULL, 405);
	expect_error("GET", "/v1/instruments/AAPL/halt", AUTH_OK, 405);
	http("GET", "/v1/admin/promote", AUTH_OK, &r);
	CU_ASSERT_EQUAL(r.status, 405);
	CU_ASSERT_STRING_EQUAL(r.allow, "POST");
	j = resp_json(&r);
	CU_ASSERT(json_is_string(json_object_get(j, "error")));
	json_decref(j);
	resp_free(&r);
	http("POST", "/health/ready", NULL, &r);
	CU_ASSERT_EQUAL(r.status, 405);
	CU_ASSERT_STRING_EQUAL(r.allow, "GET, HEAD");
	resp_free(&r);
	http("HEAD", "/health", NULL, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(r.len, 0);
	resp_free(&r);
	CU_ASSERT_EQUAL(g_fake.promote_calls, 0);
}

static void test_body_and_url_limits(void)
{
	struct resp r;
	char path[3000];

	fake_reset();
	http_on(g_port, "POST", "/v1/instruments/AAPL/halt", AUTH_OK,
	        MAX_BODY, false, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	resp_free(&r);
	http_on(g_port, "POST", "/v1/instruments/AAPL/halt", AUTH_OK,
	        MAX_BODY + 1, false, &r);
	CU_ASSERT_EQUAL(r.status, 413);
	CU_ASSERT_STRING_EQUAL(r.ctype, "application/json");
	resp_free(&r);
	http_on(g_port, "POST", "/v1/instruments/AAPL/halt", AUTH_OK,
	        64 * 1024, true, &r);
	CU_ASSERT_EQUAL(r.status, 413);
	resp_free(&r);
	http_on(g_port, "POST", "/v1/instruments/AAPL/halt", AUTH_OK, 100,
	        true, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	resp_free(&r);
	CU_ASSERT_EQUAL(g_fake.halt_calls, 2);

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	http("GET", path, NULL, &r);
	CU_ASSERT_EQUAL(r.status, 414);
	resp_free(&r);
	path[1000] = '\0';
	http("GET", path, NULL, &r);
	CU_ASSERT_EQUAL(r.status, 404);
	resp_free(&r);
}

/* Connect to `port` and start a request that holds the connection. */
static int hold_connection(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* Send bytes: the listener may defer accepting a silent one. */
	CU_ASSERT(write(fd, "GET /health HTTP/1.1\r\n", 22) == 22);
	return fd;
}

/*
 * Beyond max_connections a new connection waits (unserved) until one
 * closes; stopping the server while at the limit does not hang.
 */
static void test_connection_limit(void)
{
	struct gv_control_params p = params(g_token_path);
	struct gv_control *c;
	struct resp r;
	bool waited = false, served = false;
	int fd, i;

	p.max_connections = 1;
	p.timeout_s = 30;
	c = gv_control_start(&p, &g_prov);
	CU_ASSERT_FATAL(c != NULL);
	fd = hold_connection(gv_control_port(c));
	g_curl_timeout_ms = 300;
	/* The daemon accepts asynchronously: retry until it has. */
	for (i = 0; i < 20 && !waited; i++) {
		usleep(20000);
		http_on(gv_control_port(c), "GET", "/health/live", NULL, 0,
		        false, &r);
		waited = r.cc != CURLE_OK && r.status == 0;
		resp_free(&r);
	}
	CU_ASSERT(waited);
	close(fd);
	g_curl_timeout_ms = 10000;
	for (i = 0; i < 40 && !served; i++) {
		http_on(gv_control_port(c), "GET", "/health/live", NULL, 0,
		        false, &r);
		served = r.status == 200;
		resp_free(&r);
		if (!served)
			usleep(50000);
	}
	CU_ASSERT(served);
	fd = hold_connection(gv_control_port(c));
	usleep(50000);
	gv_control_stop(c);
	close(fd);
}

/* An idle connection is closed after timeout_s. */
static void test_connection_timeout(void)
{
	struct gv_control_params p = params(g_token_path);
	struct timeval tv = { .tv_sec = 6 };
	struct gv_control *c;
	char b[16];
	int fd;

	p.timeout_s = 1;
	c = gv_control_start(&p, &g_prov);
	CU_ASSERT_FATAL(c != NULL);
	fd = hold_connection(gv_control_port(c));
	CU_ASSERT(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	/* Closed by the server (0), not by our own receive timeout (-1). */
	CU_ASSERT_EQUAL(read(fd, b, sizeof(b)), 0);
	close(fd);
	gv_control_stop(c);
}

/* ---- tests: metrics -------------------------------------------------------------- */

static void check_metric_values(const struct expo *e)
{
	CU_ASSERT_EQUAL(val(e, "matching_engine_orders_processed_total",
	                    "shard=\"0\""), 1000);
	CU_ASSERT_EQUAL(val(e, "matching_engine_orders_processed_total",
	                    "shard=\"1\""), 1001);
	CU_ASSERT_EQUAL(val(e, "matching_engine_trades_executed_total",
	                    "shard=\"1\""), 201);
	CU_ASSERT_EQUAL(val(e, "gavel_rejects_total",
	                    "shard=\"1\",reason=\"unknown_symbol\""), 11);
	CU_ASSERT_EQUAL(val(e, "gavel_rejects_total",
	                    "shard=\"0\",reason=\"bad_flags\""), 14);
	CU_ASSERT_EQUAL(count_samples(e, "gavel_rejects_total", "shard=\"0\""),
	                18);
	CU_ASSERT_EQUAL(val(e, "gavel_cancels_total",
	                    "shard=\"0\",reason=\"kill_switch\""), 107);
	CU_ASSERT_EQUAL(count_samples(e, "gavel_cancels_total", "shard=\"1\""),
	                10);
	CU_ASSERT_EQUAL(val(e, "gavel_messages_total",
	                    "shard=\"1\",type=\"resend_request\""), 8001);
	CU_ASSERT_EQUAL(count_samples(e, "gavel_messages_total", "shard=\"0\""),
	                8);
	CU_ASSERT_EQUAL(val(e, "matching_engine_order_latency_seconds_bucket",
	                    "shard=\"0\",le=\"1e-06\""), 1);
	CU_ASSERT_EQUAL(val(e, "matching_engine_order_latency_seconds_bucket",
	                    "shard=\"0\",le=\"2e-06\""), 3);
	CU_ASSERT_EQUAL(val(e, "matching_engine_order_latency_seconds_bucket",
	                    "shard=\"1\",le=\"+Inf\""), 152);
	CU_ASSERT_EQUAL(val(e, "matching_engine_order_latency_seconds_count",
	                    "shard=\"0\""), 136);
	CU_ASSERT(fabs(val(e, "matching_engine_order_latency_seconds_sum",
	                   "shard=\"1\"") - 0.12345679) < 1e-9);
	CU_ASSERT_EQUAL(val(e, "matching_engine_orderbook_depth",
	                    "symbol=\"AAPL\",side=\"bid\""), 5);
	CU_ASSERT_EQUAL(val(e, "matching_engine_orderbook_depth",
	                    "symbol=\"GOOG\",side=\"ask\""), 9);
	CU_ASSERT_EQUAL(val(e, "gavel_ring_used", "shard=\"1\""), 8);
	CU_ASSERT_EQUAL(val(e, "gavel_ring_waits_total", "shard=\"0\""), 3);
	CU_ASSERT_EQUAL(val(e, "gavel_frames_dropped_total", "shard=\"1\""), 5);
	CU_ASSERT_EQUAL(val(e, "gavel_port_rx_packets_total",
	                    "port=\"0000:01:00.0\""), 111);
	CU_ASSERT_EQUAL(val(e, "gavel_port_tx_packets_total",
	                    "port=\"net_\\\"tap\\\\0\""), 555);
	CU_ASSERT_EQUAL(val(e, "gavel_port_missed_packets_total",
	                    "port=\"net_\\\"tap\\\\0\""), 6);
	CU_ASSERT_EQUAL(val(e, "gavel_port_link_up", "port=\"0000:01:00.0\""),
	                1);
	CU_ASSERT_EQUAL(val(e, "gavel_offload_ops_total", "shard=\"1\""), 1000);
	CU_ASSERT_EQUAL(val(e, "gavel_offload_faults_total", "shard=\"1\""), 1);
	CU_ASSERT_EQUAL(val(e, "gavel_offload_matches_total", "shard=\"1\""),
	                501);
	CU_ASSERT_EQUAL(val(e, "gavel_offload_fallbacks_total",
	                    "shard=\"1\""), 1);
	CU_ASSERT_EQUAL(val(e, "gavel_offload_backend",
	                    "shard=\"1\",backend=\"verilator\""), 1);
	CU_ASSERT_EQUAL(val(e, "gavel_sessions_logged_in", "shard=\"0\""), 2);
	CU_ASSERT_EQUAL(val(e, "gavel_role", "role=\"primary\""), 1);
	CU_ASSERT_EQUAL(val(e, "gavel_role", "role=\"standby\""), 0);
	CU_ASSERT_EQUAL(val(e, "gavel_role_primary", ""), 1);
	CU_ASSERT_EQUAL(val(e, "gavel_epoch", ""), 3);
	CU_ASSERT_EQUAL(val(e, "gavel_uptime_seconds", ""), 42.5);
	CU_ASSERT_EQUAL(val(e, "gavel_instrument_halted", "symbol=\"MSFT\""), 1);
	CU_ASSERT_EQUAL(val(e, "gavel_instrument_halted", "symbol=\"AAPL\""), 0);
	CU_ASSERT_EQUAL(val(e, "gavel_last_price_ticks", "symbol=\"AAPL\""),
	                18950);
	CU_ASSERT_EQUAL(val(e, "gavel_last_price_ticks", "symbol=\"GOOG\""), -5);
	CU_ASSERT_EQUAL(val(e, "gavel_build_info", "version=\"0.1.0-test\""), 1);
}

static void test_metrics_http(void)
{
	struct resp r;
	struct expo e;

	fake_reset();
	http("GET", "/metrics", NULL, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(strncmp(r.ctype, "text/plain; version=0.0.4", 25), 0);
	CU_ASSERT_FATAL(r.body != NULL);
	check_expo(r.body, r.len, &e);
	check_metric_values(&e);
	CU_ASSERT(strstr(r.body, "reason=\"13\"") == NULL);
	CU_ASSERT(strstr(r.body, "reserved") == NULL);
	expo_free(&e);
	resp_free(&r);

	g_fake.snap_rc = -EBUSY;
	expect_error("GET", "/metrics", NULL, 503);
	fake_reset();
}

/* Run `promtool check metrics` on the text if it is installed. */
static void promtool_check(const char *text, size_t len)
{
	char path[160], cmd[400];
	FILE *f;
	int st;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		printf("promtool not installed: check skipped\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/metrics.txt", g_dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fwrite(text, 1, len, f) == len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", path);
	st = system(cmd);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_metrics_promtool(void)
{
	struct resp r;

	fake_reset();
	http("GET", "/metrics", NULL, &r);
	CU_ASSERT_FATAL(r.status == 200 && r.body != NULL);
	promtool_check(r.body, r.len);
	resp_free(&r);
}

/* Every limit at once: 64 shards, 1024 instruments, hostile names. */
static void test_metrics_worst_case(void)
{
	static struct gv_ctl_snapshot s;
	size_t cap = 8u << 20;
	char *buf = malloc(cap);
	struct expo e;
	uint32_t i;
	int n;

	CU_ASSERT_FATAL(buf != NULL);
	fake_reset();
	g_fake.big = true;
	for (i = 0; i < BIG_INSTRUMENTS; i++) {
		char sym[9];

		snprintf(sym, sizeof(sym), "\\\"%05u\n", i);
		set_instrument(&g_big_ins[i], i + 1, sym, i % 64, i & 1,
		               INT64_MIN + i);
	}
	memset(&s, 0, sizeof(s));
	CU_ASSERT_FATAL(fake_snapshot(NULL, &s) == 0);
	for (i = 0; i < GV_MAX_PORTS; i++) {
		memset(s.ports[i].name, '"', sizeof(s.ports[i].name) - 1);
		s.ports[i].name[0] = (char)('A' + i);
		s.ports[i].rx = UINT64_MAX;
	}
	s.nports = GV_MAX_PORTS;
	for (i = 0; i < s.nshards; i++)
		memset(s.shards[i].rejects, 0xff, sizeof(s.shards[i].rejects));
	n = gv_control_metrics(&s, buf, cap);
	CU_ASSERT_FATAL(n > 0);
	printf("worst-case exposition: %d bytes\n", n);
	check_expo(buf, (size_t)n, &e);
	CU_ASSERT_EQUAL(count_samples(&e, "gavel_instrument_halted", ""),
	                BIG_INSTRUMENTS);
	CU_ASSERT_EQUAL(count_samples(&e, "gavel_port_rx_packets_total", ""),
	                GV_MAX_PORTS);
	CU_ASSERT_EQUAL(val(&e, "gavel_last_price_ticks",
	                    "symbol=\"\\\\\\\"00000\\n\""), (double)INT64_MIN);
	expo_free(&e);
	promtool_check(buf, (size_t)n);
	/* Short buffers: -ENOSPC, including the one without room for NUL. */
	CU_ASSERT_EQUAL(gv_control_metrics(&s, buf, (size_t)n), -ENOSPC);
	CU_ASSERT_EQUAL(gv_control_metrics(&s, buf, 1), -ENOSPC);
	CU_ASSERT_EQUAL(gv_control_metrics(&s, buf, (size_t)n + 1), n);
	CU_ASSERT_EQUAL(gv_control_metrics(&s, buf, 0), -EINVAL);
	CU_ASSERT_EQUAL(gv_control_metrics(NULL, buf, cap), -EINVAL);
	s.nshards = GV_MAX_SHARDS + 1;
	CU_ASSERT_EQUAL(gv_control_metrics(&s, buf, cap), -EINVAL);
	free(buf);
	fake_reset();
}

/* The server's buffer grows past its first size for a large snapshot. */
static void test_metrics_http_large(void)
{
	struct resp r;
	struct expo e;
	uint32_t i;

	fake_reset();
	g_fake.big = true;
	for (i = 0; i < BIG_INSTRUMENTS; i++) {
		char sym[9];

		snprintf(sym, sizeof(sym), "S%07u", i);
		set_instrument(&g_big_ins[i], i + 1, sym, i % 64, false, i);
	}
	http("GET", "/metrics", NULL, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_FATAL(r.body != NULL);
	CU_ASSERT(r.len > 256 * 1024);
	check_expo(r.body, r.len, &e);
	CU_ASSERT_EQUAL(val(&e, "gavel_last_price_ticks",
	                    "symbol=\"S0001023\""), 1023);
	CU_ASSERT_EQUAL(val(&e, "matching_engine_orders_processed_total",
	                    "shard=\"63\""), 1063);
	expo_free(&e);
	resp_free(&r);
	fake_reset();
}

/* The parser itself rejects what the format forbids. */
static void test_expo_parser_rejects(void)
{
	static const char *const bad[] = {
		"x 1\n",                                   /* no HELP/TYPE */
		"# HELP x h\n# TYPE x gauge\nx{a=\"b} 1\n", /* open quote */
		"# HELP x h\n# TYPE x gauge\nx 1 2 3\n",
		"# HELP x h\n# TYPE x gauge\nx one\n",
		"# HELP x h\n# TYPE x wrong\nx 1\n",
		"# HELP x h\n# TYPE x gauge\n# HELP y h\n# TYPE y gauge\nx 1\n",
		"# HELP x h\n# TYPE x gauge\nx 1",         /* no final newline */
		"# HELP x h\n# TYPE x gauge\nx{a=\"\\q\"} 1\n",
	};
	static const char good[] =
		"# HELP x h\n# TYPE x gauge\nx{a=\"\\\"\",b=\"\"} 1.5\n";
	struct expo e;
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(bad); i++) {
		CU_ASSERT(parse_expo(bad[i], strlen(bad[i]), &e) != 0);
		expo_free(&e);
	}
	CU_ASSERT_EQUAL(parse_expo(good, strlen(good), &e), 0);
	CU_ASSERT_EQUAL(e.ns, 1);
	CU_ASSERT_EQUAL(val(&e, "x", "a=\"\\\"\",b=\"\""), 1.5);
	expo_free(&e);
}

static const struct gv_test tests[] = {
	GV_TEST(test_role_state_machine),
	GV_TEST(test_reason_names),
	GV_TEST(test_start_token_file_checks),
	GV_TEST(test_start_bad_args),
	GV_TEST(test_health),
	GV_TEST(test_health_live),
	GV_TEST(test_health_ready),
	GV_TEST(test_shards),
	GV_TEST(test_instruments),
	GV_TEST(test_book),
	GV_TEST(test_sessions),
	GV_TEST(test_auth),
	GV_TEST(test_auth_without_token_file),
	GV_TEST(test_halt_resume),
	GV_TEST(test_kill_enable),
	GV_TEST(test_promote_demote_cycle),
	GV_TEST(test_not_found_and_method),
	GV_TEST(test_body_and_url_limits),
	GV_TEST(test_connection_timeout),
	GV_TEST(test_connection_limit),
	GV_TEST(test_metrics_http),
	GV_TEST(test_metrics_promtool),
	GV_TEST(test_metrics_worst_case),
	GV_TEST(test_metrics_http_large),
	GV_TEST(test_expo_parser_rejects),
};

int main(void)
{
	return gv_test_main("control", tests, GV_ARRAY_SIZE(tests), setup,
	                    teardown);
}
