/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_config.c - load and check the configuration file (gv_config.h).
 *
 * libconfig parses the text into a tree; this file walks the tree once,
 * section by section (engine, instruments, sessions), with one small helper
 * per kind of field (integer in a range, string, exact decimal, address
 * prefix, endpoint, hex key, time of day) and an unknown-field check on
 * every group. The first problem stops the walk and becomes the one-line
 * message "FILE:LINE: PATH: what"; PATH is rebuilt from the setting's
 * parents, so no helper carries a path around. Duplicate checks scan the
 * entries read so far: O(n^2) for at most GV_MAX_SESSIONS entries, a few
 * million compares, control plane only. No floating point: decimals are
 * parsed by hand into mantissa / 10^scale.
 *
 * libconfig 1.5 and large integers (tested on Debian's 1.5-0.4): a literal
 * without the L suffix is read with atoi() and silently truncated to 32
 * bits, never promoted: 5000000000 reads as 705032704 and 4294967295 as -1,
 * both of type CONFIG_TYPE_INT. Hex literals are cut the same way, and
 * 64-bit ones (suffix L or LL) saturate. Only the text can tell, so before
 * the tree is walked a small scanner, which knows comments, strings, names
 * and number tokens but none of the grammar, finds the first integer
 * literal libconfig would store wrongly. The setting holding it is found by
 * line, name and stored value and reported, e.g.
 *   gavel.conf:9: instruments[0].max_qty: 5000000000 does not fit in 32
 *   bits; write 5000000000L
 * So a value above 2147483647 must carry the L suffix; gv_config_dump
 * writes it so.
 *
 * Other libconfig 1.5 behaviour: a '#' or '//' comment on a last line
 * with no newline is a syntax error (a newline is appended to the text);
 * @include is refused here (a config is one self-contained file, and an
 * included setting's line would point into another file); and a syntax
 * error just after a string leaks that string inside libconfig
 * (hyperrealm/libconfig#142, fixed upstream in 2019 by PR #155), which
 * nothing here can free. Since the scanner needs the text, gv_config_load
 * reads the file itself and parses it with config_read_string, as
 * gv_config_parse does.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libconfig.h>

#include "gv_config.h"
#include "gv_errno.h"

#define REQUIRED UINT64_MAX /* as a field's default: it must be present */
#define ORDERS_PER_SHARD_DEFAULT (1u << 20)
#define OFFLOAD_DEPTH_DEFAULT 64u
#define OFFLOAD_DEPTH_MAX 256u     /* GV_OFFLOAD_DEPTH_MAX (offload/) */
#define RESEND_HISTORY_MIN 1024u
#define PORT_NAME_MAX 63
#define DECIMAL_SCALE_MAX 18
#define STP_DEFAULT 1
#define STP_MAX 5 /* 5 = none: no self-trade prevention by default */
#define TEXT_MAX (16u << 20)  /* a bigger config file is a mistake */
#define READ_CHUNK (64u << 10)
#define DEPTH_MAX 16          /* the schema nests 4 deep */

#define PRINTF(f, a) __attribute__((format(printf, f, a)))

GV_STATIC_ASSERT(ORDERS_PER_SHARD_DEFAULT <= GV_ORDERS_PER_SHARD_MAX,
                 "default order pool within the maximum");
GV_STATIC_ASSERT(RESEND_HISTORY_MIN <= GV_RESEND_HISTORY_DEFAULT &&
                         GV_IS_POW2(RESEND_HISTORY_MIN),
                 "default resend history within the range");
GV_STATIC_ASSERT(sizeof(((struct gv_engine_config *)0)->ports[0]) ==
                         PORT_NAME_MAX + 1,
                 "port names are NUL-ended in ports[]");
GV_STATIC_ASSERT(GV_SYMBOL_LEN == 8, "symbol rule in docs/config.md");

static const char *const stp_names[STP_MAX + 1] = {
	[1] = "cancel_newest",
	[2] = "cancel_oldest",
	[3] = "cancel_both",
	[4] = "decrement_and_cancel",
	[5] = "none",
};

/* Allowed fields per group, NULL-ended. */
static const char *const root_keys[] = { "engine", "instruments",
	                                 "sessions", NULL };
static const char *const engine_keys[] = {
	"end_of_day", "orders_per_shard", "resend_history", "shards", "ports",
	"order_entry", "market_data", "offload", NULL,
};
static const char *const offload_keys[] = { "backend", "depth", "device",
	                                    NULL };
/* What engine.offload.backend may say (the registry lives in offload/). */
static const char *const offload_backends[] = { "none", "auto", "sw",
	                                        "fpga-sim", "fpga", NULL };
static const char *const shard_keys[] = { "id", "lcore", NULL };
static const char *const endpoint_keys[] = { "address", "port", NULL };
static const char *const instrument_keys[] = {
	"id", "symbol", "tick_size", "lot_size", "min_qty", "max_qty",
	"max_price", "max_notional", "price_band_bps", "reference_price",
	"shard", "stp", NULL,
};
static const char *const session_keys[] = {
	"id", "account", "key", "rate_msgs_per_s", "rate_burst", "allow",
	"shard", NULL,
};

struct ctx {
	const char *file;        /* FILE in messages */
	char *err;
	size_t errlen;
	struct gv_config *cfg;
};

/* The first integer literal libconfig 1.5 would store wrongly. */
struct bad_literal {
	unsigned line;           /* the setting's line; 0: none */
	bool is64;               /* written with the L suffix */
	char name[64];           /* its setting's name; "" in a list */
	char text[32];           /* as written */
	long long stored;        /* what libconfig keeps */
};

/* ---- messages ---------------------------------------------------------- */

static PRINTF(4, 5) void append(char *buf, size_t len, size_t *off,
                                const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = GV_MIN(*off + (size_t)n, len - 1);
}

/* "engine.shards[1].lcore": where `s` is in the file, then ".field". */
static void path_of(const config_setting_t *s, const char *field, char *buf,
                    size_t len)
{
	const config_setting_t *chain[DEPTH_MAX];
	size_t n = 0, off = 0;

	buf[0] = '\0';
	for (; s != NULL && !config_setting_is_root(s) && n < DEPTH_MAX;
	     s = config_setting_parent(s))
		chain[n++] = s;
	while (n > 0) {
		const config_setting_t *e = chain[--n];

		if (config_setting_is_group(config_setting_parent(e)))
			append(buf, len, &off, "%s%s", off > 0 ? "." : "",
			       config_setting_name(e));
		else
			append(buf, len, &off, "[%d]", config_setting_index(e));
	}
	if (field != NULL)
		append(buf, len, &off, "%s%s", off > 0 ? "." : "", field);
}

static PRINTF(4, 0) int vreport(struct ctx *c, unsigned line,
                                const char *path, const char *fmt,
                                va_list ap)
{
	char msg[512];
	size_t i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->err == NULL || c->errlen == 0)
		return -GV_ECONFIG;
	if (path != NULL)
		snprintf(c->err, c->errlen, "%s:%u: %s: %s", c->file, line,
		         path, msg);
	else
		snprintf(c->err, c->errlen, "%s:%u: %s", c->file, line, msg);
	/* One line, whatever the file held: a string may span lines. */
	for (i = 0; c->err[i] != '\0'; i++)
		if ((unsigned char)c->err[i] < 0x20 || c->err[i] == 0x7f)
			c->err[i] = '?';
	return -GV_ECONFIG;
}

/*
 * Report a problem with setting `s`, or with its missing member `field`
 * (then at the group's line). Returns -GV_ECONFIG.
 */
static PRINTF(4, 5) int fail(struct ctx *c, const config_setting_t *s,
                             const char *field, const char *fmt, ...)
{
	unsigned line;
	char path[256];
	va_list ap;
	int rc;

	GV_VERIFY(s != NULL);
	line = config_setting_source_line(s);
	path_of(s, field, path, sizeof(path));
	va_start(ap, fmt);
	rc = vreport(c, line > 0 ? line : 1, path, fmt, ap); /* root: 0 */
	va_end(ap);
	return rc;
}

/* A problem at a line that no setting stands for. */
static PRINTF(3, 4) int fail_at(struct ctx *c, unsigned line,
                                const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(c, line, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* "FILE: what: strerror"; sets gv_errno to `err`. */
static void fail_sys(struct ctx *c, int err, const char *what)
{
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s: %s: %s", c->file, what,
		         gv_strerror(err));
	gv_errno = err;
}

/* ---- the literal scanner (see the top of the file) --------------------- */

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int hex_val(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool is_name_start(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       ch == '*';
}

static bool is_name_char(char ch)
{
	return is_name_start(ch) || is_digit(ch) || ch == '-' || ch == '_';
}

/* Skip a comment or a string at p, counting newlines; NULL if neither. */
static const char *skip_comment_or_string(const char *p, unsigned *line)
{
	if (p[0] == '#' || (p[0] == '/' && p[1] == '/')) {
		while (*p != '\0' && *p != '\n')
			p++;
		return p;
	}
	if (p[0] == '/' && p[1] == '*') {
		for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
			if (*p == '\n')
				(*line)++;
		return *p != '\0' ? p + 2 : p;
	}
	if (p[0] != '"')
		return NULL;
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\n')
			(*line)++;
	}
	return *p != '\0' ? p + 1 : p;
}

/*
 * What libconfig 1.5 stores for an integer literal (decimal: atoi or
 * atoll, hex: strtoul or strtoull, then cast) and whether it is the value
 * written. The casts wrap as libconfig's own do.
 */
static bool literal_fits(const char *text, bool hex, bool is64,
                         long long *stored)
{
	unsigned long long u;
	long v;

	errno = 0;
	if (!hex && !is64) {
		v = strtol(text, NULL, 10);
		*stored = (int)v;
		return errno == 0 && v >= INT_MIN && v <= INT_MAX;
	}
	if (!hex) {
		*stored = strtoll(text, NULL, 10);
		return errno == 0;
	}
	u = is64 ? strtoull(text, NULL, 16) : strtoul(text, NULL, 16);
	*stored = is64 ? (long long)u : (int)u;
	return errno == 0 && u <= (is64 ? (unsigned long long)LLONG_MAX
	                                : (unsigned long long)INT_MAX);
}

/* Scan the number token at p; note it in *bad if libconfig mangles it. */
static const char *scan_number(const char *p, unsigned line,
                               const char *name, struct bad_literal *bad)
{
	const char *start = p, *end;
	bool hex = false, is64 = false;
	long long stored;

	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hex_val(p[2]) >= 0) {
		hex = true;
		for (p += 2; hex_val(*p) >= 0; p++)
			;
	} else {
		while (is_digit(*p))
			p++;
		if (*p == '.' || *p == 'e' || *p == 'E') { /* a float */
			while (is_digit(*p) || *p == '.' || *p == 'e' ||
			       *p == 'E' || *p == '+' || *p == '-')
				p++;
			return p;
		}
	}
	end = p;
	if (*p == 'L') {
		is64 = true;
		p += p[1] == 'L' ? 2 : 1;
	}
	if (bad->line != 0 || literal_fits(start, hex, is64, &stored))
		return p;
	bad->line = line;
	bad->is64 = is64;
	bad->stored = stored;
	snprintf(bad->name, sizeof(bad->name), "%s", name);
	snprintf(bad->text, sizeof(bad->text), "%.*s", (int)(end - start),
	         start);
	return p;
}

/*
 * Look at the raw text for what libconfig 1.5 cannot report: @include
 * (refused) and integer literals it would store wrongly (the first goes to
 * *bad). Tracks "name =" so that a literal can be tied to its setting.
 */
static int scan_text(struct ctx *c, const char *p, struct bad_literal *bad)
{
	char name[sizeof(bad->name)] = "";
	unsigned line = 1, name_line = 0, n;
	bool bol = true;       /* only blanks so far on this line */
	int assign = 0;        /* 1: after a name, 2: after "name =" */
	const char *q;

	memset(bad, 0, sizeof(*bad));
	while (*p != '\0') {
		if (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\f') {
			bol = bol || *p == '\n';
			line += *p++ == '\n';
			continue;
		}
		if (bol && strncmp(p, "@include", 8) == 0)
			return fail_at(c, line, "@include is not supported; "
			               "keep the whole config in one file");
		bol = false;
		if (*p == '"')
			assign = 0;
		q = skip_comment_or_string(p, &line);
		if (q != NULL) {
			p = q;
		} else if (is_name_start(*p)) {
			for (n = 0; is_name_char(*p); p++)
				if (n + 1 < sizeof(name))
					name[n++] = *p;
			name[n] = '\0';
			name_line = line;
			assign = 1;
		} else if ((*p == '=' || *p == ':') && assign == 1) {
			assign = 2;
			p++;
		} else if (is_digit(*p) || ((*p == '+' || *p == '-' ||
		                             *p == '.') && is_digit(p[1]))) {
			/* libconfig dates a member by its name's line */
			p = scan_number(p, assign == 2 ? name_line : line,
			                assign == 2 ? name : "", bad);
			assign = 0;
		} else {
			assign = 0;
			p++;
		}
	}
	return 0;
}

/* The integer setting that holds the literal in *bad, or NULL. */
static const config_setting_t *find_literal(const config_setting_t *s,
                                            const struct bad_literal *bad,
                                            unsigned depth)
{
	const char *name = config_setting_name(s);
	const config_setting_t *r;
	int i, n;

	if (config_setting_is_aggregate(s)) {
		n = depth < DEPTH_MAX ? config_setting_length(s) : 0;
		for (i = 0; i < n; i++) {
			r = find_literal(config_setting_get_elem(s,
			                                         (unsigned)i),
			                 bad, depth + 1);
			if (r != NULL)
				return r;
		}
		return NULL;
	}
	if ((config_setting_type(s) != CONFIG_TYPE_INT &&
	     config_setting_type(s) != CONFIG_TYPE_INT64) ||
	    config_setting_source_line(s) != bad->line ||
	    config_setting_get_int64(s) != bad->stored)
		return NULL;
	return strcmp(name != NULL ? name : "", bad->name) == 0 ? s : NULL;
}

static int report_literal(struct ctx *c, const config_t *cf,
                          const struct bad_literal *bad)
{
	const config_setting_t *s = find_literal(config_root_setting(cf), bad,
	                                         0);
	char msg[128];

	if (bad->is64)
		snprintf(msg, sizeof(msg), "%s does not fit in 64 bits",
		         bad->text);
	else
		snprintf(msg, sizeof(msg), "%s does not fit in 32 bits; "
		         "write %sL", bad->text, bad->text);
	if (s == NULL)
		return fail_at(c, bad->line, "integer %s", msg);
	return fail(c, s, NULL, "%s", msg);
}

/* ---- one helper per kind of field -------------------------------------- */

static const config_setting_t *member(const config_setting_t *g,
                                      const char *name)
{
	return config_setting_get_member(g, name);
}

static unsigned line_of(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

/* Every member of group `g` must be named in `keys`. */
static int check_unknown_keys(struct ctx *c, const config_setting_t *g,
                              const char *const *keys)
{
	int i, n = config_setting_length(g);
	const config_setting_t *m;
	size_t k;

	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g, (unsigned)i);
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(keys[k], config_setting_name(m)) == 0)
				break;
		if (keys[k] == NULL)
			return fail(c, m, NULL, "unknown field");
	}
	return 0;
}

/*
 * Integer member `name` of `g` within [min, max] into *out; when absent,
 * `dflt`, or an error if `dflt` is REQUIRED.
 */
static int get_u64_range(struct ctx *c, const config_setting_t *g,
                         const char *name, uint64_t min, uint64_t max,
                         uint64_t dflt, uint64_t *out)
{
	const config_setting_t *s = member(g, name);
	long long v;

	if (s == NULL) {
		if (dflt == REQUIRED)
			return fail(c, g, name, "missing required field");
		*out = dflt;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(c, s, NULL, "must be an integer");
	v = config_setting_get_int64(s);
	if (v < 0 || (uint64_t)v < min || (uint64_t)v > max)
		return fail(c, s, NULL,
		            "must be between %" PRIu64 " and %" PRIu64
		            ", got %lld", min, max, v);
	*out = (uint64_t)v;
	return 0;
}

static int get_u32_range(struct ctx *c, const config_setting_t *g,
                         const char *name, uint32_t min, uint32_t max,
                         uint64_t dflt, uint32_t *out)
{
	uint64_t v = 0;
	int rc = get_u64_range(c, g, name, min, max, dflt, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

/* String member `name` of `g` into *s; *s is NULL when absent. */
static int get_string(struct ctx *c, const config_setting_t *g,
                      const char *name, bool required,
                      const config_setting_t **s)
{
	*s = member(g, name);
	if (*s == NULL)
		return required ? fail(c, g, name, "missing required field")
		                : 0;
	if (config_setting_type(*s) != CONFIG_TYPE_STRING)
		return fail(c, *s, NULL, "must be a string");
	return 0;
}

/* Group member `name` of `g`, its fields checked against `keys`. */
static int get_group(struct ctx *c, const config_setting_t *g,
                     const char *name, bool required,
                     const char *const *keys, const config_setting_t **s)
{
	*s = member(g, name);
	if (*s == NULL)
		return required ? fail(c, g, name, "missing required field")
		                : 0;
	if (!config_setting_is_group(*s))
		return fail(c, *s, NULL, "must be a group { ... }");
	return check_unknown_keys(c, *s, keys);
}

/* Element i of `list`, which must be a group with fields from `keys`. */
static int get_elem_group(struct ctx *c, const config_setting_t *list,
                          unsigned i, const char *const *keys,
                          const config_setting_t **g)
{
	*g = config_setting_get_elem(list, i);
	if (!config_setting_is_group(*g))
		return fail(c, *g, NULL, "must be a group { ... }");
	return check_unknown_keys(c, *g, keys);
}

/* List (or array) member `name` with min..max entries; min 0: optional. */
static int get_list(struct ctx *c, const config_setting_t *g,
                    const char *name, unsigned min, unsigned max,
                    const char *of, const config_setting_t **s)
{
	unsigned n;

	*s = member(g, name);
	if (*s == NULL)
		return min > 0 ? fail(c, g, name, "missing required field") : 0;
	if (!config_setting_is_list(*s) && !config_setting_is_array(*s))
		return fail(c, *s, NULL, "must be a list of %s ( ... )", of);
	n = (unsigned)config_setting_length(*s);
	if (n < min || n > max)
		return fail(c, *s, NULL, "must have between %u and %u entries"
		            ", got %u", min, max, n);
	return 0;
}

/* "123" or "0.001": NULL, or why not. Trailing fraction zeros dropped. */
static const char *parse_decimal(const char *s, struct gv_decimal *d)
{
	const char *dot = strchr(s, '.');
	size_t int_len = dot != NULL ? (size_t)(dot - s) : strlen(s);
	size_t frac_len = dot != NULL ? strlen(dot + 1) : 0, i;
	uint64_t m = 0;
	unsigned digit;

	for (i = 0; i < int_len + (dot != NULL) + frac_len; i++)
		if (!is_digit(s[i]) && s + i != dot)
			break;
	if (i < int_len + (dot != NULL) + frac_len || int_len == 0 ||
	    (dot != NULL && frac_len == 0))
		return "must be digits with at most one '.', such as \"0.01\"";
	while (frac_len > 0 && dot[frac_len] == '0')
		frac_len--;
	if (frac_len > DECIMAL_SCALE_MAX)
		return "must have at most 18 decimal places";
	for (i = 0; i < int_len + frac_len; i++) {
		digit = (unsigned)((i < int_len ? s[i] : dot[1 + i - int_len]) -
		                   '0');
		if (m > (UINT64_MAX - digit) / 10)
			return "has too many digits (the mantissa must fit 64 "
			       "bits)";
		m = m * 10 + digit;
	}
	if (m == 0)
		return "must be greater than 0";
	d->mantissa = m;
	d->scale = (uint8_t)frac_len;
	return NULL;
}

/* A decimal member: a string such as "0.01", or a positive integer. */
static int get_decimal(struct ctx *c, const config_setting_t *g,
                       const char *name, struct gv_decimal *d)
{
	const config_setting_t *s = member(g, name);
	const char *why, *text;
	long long v;

	if (s == NULL)
		return fail(c, g, name, "missing required field");
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		if (v <= 0)
			return fail(c, s, NULL, "must be greater than 0, got "
			            "%lld", v);
		d->mantissa = (uint64_t)v;
		d->scale = 0;
		return 0;
	case CONFIG_TYPE_STRING:
		text = config_setting_get_string(s);
		why = parse_decimal(text, d);
		if (why != NULL)
			return fail(c, s, NULL, "%s, got \"%s\"", why, text);
		return 0;
	default:
		return fail(c, s, NULL, "must be a decimal string such as "
		            "\"0.01\" or an integer (floats are not exact)");
	}
}

/* An IPv4 or IPv6 literal; the family follows from a ':' in it. */
static bool parse_address(const char *s, int *family, uint8_t addr[16])
{
	int fam = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;

	memset(addr, 0, 16);
	if (inet_pton(fam, s, addr) != 1)
		return false;
	*family = fam;
	return true;
}

/* The bits of byte `byte` that a prefix of `len` bits covers. */
static uint8_t byte_mask(unsigned len, unsigned byte)
{
	unsigned bits = len > 8 * byte ? len - 8 * byte : 0;

	return bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
}

/* "ADDR/LEN" or "ADDR": 0, or -EINVAL with the reason in why. */
static int parse_prefix(const char *s, struct gv_prefix *p, char *why,
                        size_t whylen)
{
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	char addr[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	unsigned max, len = 0, i;
	uint8_t masked[16];

	memset(p, 0, sizeof(*p));
	if (n < sizeof(addr)) {
		memcpy(addr, s, n);
		addr[n] = '\0';
	}
	if (n >= sizeof(addr) || !parse_address(addr, &p->family, p->addr)) {
		snprintf(why, whylen, "\"%s\" is not an IPv4 or IPv6 address "
		         "or prefix", s);
		return -EINVAL;
	}
	max = p->family == AF_INET ? 32 : 128;
	for (i = 0; slash != NULL && is_digit(slash[1 + i]) && i < 4; i++)
		len = len * 10 + (unsigned)(slash[1 + i] - '0');
	if (slash != NULL && (i == 0 || i > 3 || slash[1 + i] != '\0' ||
	                      len > max)) {
		snprintf(why, whylen, "prefix length in \"%s\" must be between "
		         "0 and %u", s, max);
		return -EINVAL;
	}
	p->len = (uint8_t)(slash != NULL ? len : max);
	for (i = 0; i < 16; i++)
		masked[i] = p->addr[i] & byte_mask(p->len, i);
	if (memcmp(masked, p->addr, 16) != 0) {
		inet_ntop(p->family, masked, net, sizeof(net));
		snprintf(why, whylen, "host bits set in \"%s\" (the network is "
		         "%s/%u)", s, net, p->len);
		return -EINVAL;
	}
	return 0;
}

/* A prefix member; absent: 0.0.0.0/0. */
static int get_prefix(struct ctx *c, const config_setting_t *g,
                      const char *name, struct gv_prefix *p)
{
	const config_setting_t *s;
	char why[256];
	int rc;

	rc = get_string(c, g, name, false, &s);
	if (rc < 0)
		return rc;
	if (s == NULL) {
		memset(p, 0, sizeof(*p));
		p->family = AF_INET;
		return 0;
	}
	if (parse_prefix(config_setting_get_string(s), p, why, sizeof(why)))
		return fail(c, s, NULL, "%s", why);
	return 0;
}

/* An optional { address = "..."; port = N; } group; absent: family 0. */
static int get_endpoint(struct ctx *c, const config_setting_t *engine,
                        const char *name, struct gv_endpoint *ep)
{
	const config_setting_t *g, *s;
	uint32_t port = 0;
	int rc;

	rc = get_group(c, engine, name, false, endpoint_keys, &g);
	if (rc < 0 || g == NULL)
		return rc;
	rc = get_string(c, g, "address", true, &s);
	if (rc < 0)
		return rc;
	if (!parse_address(config_setting_get_string(s), &ep->family,
	                   ep->addr))
		return fail(c, s, NULL, "\"%s\" is not an IPv4 or IPv6 address",
		            config_setting_get_string(s));
	rc = get_u32_range(c, g, "port", 1, 65535, REQUIRED, &port);
	ep->port = (uint16_t)port;
	return rc;
}

/* "HH:MM" or "HH:MM:SS", two digits each: seconds, or -1. */
static int32_t parse_time(const char *s)
{
	static const int max[3] = { 23, 59, 59 };
	int v[3] = { 0, 0, 0 }, n;

	for (n = 0; n < 3; n++) {
		if (!is_digit(s[0]) || !is_digit(s[1]))
			return -1;
		v[n] = (s[0] - '0') * 10 + (s[1] - '0');
		if (v[n] > max[n])
			return -1;
		s += 2;
		if (*s == '\0')
			break;
		if (*s != ':' || n == 2)
			return -1;
		s++;
	}
	if (n == 0)
		return -1;
	return v[0] * 3600 + v[1] * 60 + v[2];
}

/* A time-of-day member; absent: -1. */
static int get_time(struct ctx *c, const config_setting_t *g,
                    const char *name, int32_t *out)
{
	const config_setting_t *s;
	int rc;

	*out = -1;
	rc = get_string(c, g, name, false, &s);
	if (rc < 0 || s == NULL)
		return rc;
	*out = parse_time(config_setting_get_string(s));
	if (*out < 0)
		return fail(c, s, NULL, "must be \"HH:MM\" or \"HH:MM:SS\" "
		            "(UTC), got \"%s\"", config_setting_get_string(s));
	return 0;
}

/* The session key: exactly 32 hex digits. The value is never echoed. */
static int get_key(struct ctx *c, const config_setting_t *g,
                   uint8_t key[GV_KEY_LEN])
{
	const config_setting_t *s;
	const char *hex;
	size_t i, n;
	int rc;

	rc = get_string(c, g, "key", true, &s);
	if (rc < 0)
		return rc;
	hex = config_setting_get_string(s);
	n = strlen(hex);
	if (n != 2 * GV_KEY_LEN)
		return fail(c, s, NULL, "must be %d hex digits, got %zu "
		            "characters", 2 * GV_KEY_LEN, n);
	for (i = 0; i < n; i++)
		if (hex_val(hex[i]) < 0)
			return fail(c, s, NULL, "character %zu is not a hex "
			            "digit", i + 1);
	for (i = 0; i < GV_KEY_LEN; i++)
		key[i] = (uint8_t)(hex_val(hex[2 * i]) << 4 |
		                   hex_val(hex[2 * i + 1]));
	return 0;
}

/* Default STP mode: a name, the wire value 1..4, or 5 (none); absent: 1. */
static int get_stp(struct ctx *c, const config_setting_t *g, uint8_t *stp)
{
	const config_setting_t *s = member(g, "stp");
	const char *name;
	long long v;
	uint8_t i;

	*stp = STP_DEFAULT;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		name = config_setting_get_string(s);
		for (i = 1; i <= STP_MAX; i++)
			if (strcmp(name, stp_names[i]) == 0)
				break;
		*stp = i;
		if (i <= STP_MAX)
			return 0;
		return fail(c, s, NULL, "must be cancel_newest, cancel_oldest, "
		            "cancel_both, decrement_and_cancel, none or 1..5, "
		            "got "
		            "\"%s\"", name);
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(c, s, NULL, "must be a string or an integer");
	v = config_setting_get_int64(s);
	if (v < 1 || v > STP_MAX)
		return fail(c, s, NULL, "must be between 1 and %d, got %lld",
		            STP_MAX, v);
	*stp = (uint8_t)v;
	return 0;
}

/* ---- sections ---------------------------------------------------------- */

static int read_shards(struct ctx *c, const config_setting_t *engine)
{
	struct gv_engine_config *e = &c->cfg->engine;
	const config_setting_t *list, *g = NULL;
	struct gv_shard_config *sh;
	unsigned i, j, n = 0;
	int rc;

	rc = get_list(c, engine, "shards", 1, GV_MAX_SHARDS, "groups", &list);
	if (rc == 0)
		n = (unsigned)config_setting_length(list);
	for (i = 0; rc == 0 && i < n; i++) {
		sh = &e->shards[i];
		rc = get_elem_group(c, list, i, shard_keys, &g);
		if (rc == 0)
			rc = get_u32_range(c, g, "id", 0, GV_MAX_SHARDS - 1,
			                   REQUIRED, &sh->id);
		if (rc == 0)
			rc = get_u32_range(c, g, "lcore", 0, GV_MAX_LCORES - 1,
			                   REQUIRED, &sh->lcore);
		for (j = 0; rc == 0 && j < i; j++) {
			if (e->shards[j].id == sh->id)
				rc = fail(c, member(g, "id"), NULL, "duplicate "
				          "shard id %u (also "
				          "engine.shards[%u])", sh->id, j);
			else if (e->shards[j].lcore == sh->lcore)
				rc = fail(c, member(g, "lcore"), NULL,
				          "duplicate lcore %u (also "
				          "engine.shards[%u])", sh->lcore, j);
		}
	}
	e->n_shards = n;
	return rc;
}

/* DPDK device arguments: printable, no blanks, quotes or backslashes. */
static bool port_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > PORT_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static int read_ports(struct ctx *c, const config_setting_t *engine)
{
	struct gv_engine_config *e = &c->cfg->engine;
	const config_setting_t *list, *s;
	const char *name;
	unsigned i, j, n;
	int rc;

	rc = get_list(c, engine, "ports", 0, GV_MAX_PORTS, "strings", &list);
	if (rc < 0 || list == NULL)
		return rc;
	n = (unsigned)config_setting_length(list);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(list, i);
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return fail(c, s, NULL, "must be a string");
		name = config_setting_get_string(s);
		if (!port_name_ok(name))
			return fail(c, s, NULL, "must be 1 to %d printable "
			            "characters without blanks, quotes or "
			            "backslashes, got \"%s\"", PORT_NAME_MAX,
			            name);
		for (j = 0; j < i; j++)
			if (strcmp(e->ports[j], name) == 0)
				return fail(c, s, NULL, "duplicate port \"%s\" "
				            "(also engine.ports[%u])", name, j);
		memcpy(e->ports[i], name, strlen(name) + 1);
		e->n_ports = i + 1;
	}
	return 0;
}

/* "vvvv:dddd", hex: a PCI vendor and device id. */
static bool pci_id_ok(const char *s)
{
	unsigned i;

	if (strlen(s) != 9 || s[4] != ':')
		return false;
	for (i = 0; i < 9; i++)
		if (i != 4 && !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int read_offload(struct ctx *c, const config_setting_t *engine)
{
	struct gv_offload_config *o = &c->cfg->engine.offload;
	const config_setting_t *g, *s;
	unsigned i;
	int rc;

	strcpy(o->backend, "none");
	o->depth = OFFLOAD_DEPTH_DEFAULT;
	rc = get_group(c, engine, "offload", false, offload_keys, &g);
	if (rc != 0 || g == NULL)
		return rc;
	rc = get_string(c, g, "backend", false, &s);
	if (rc == 0 && s != NULL) {
		const char *v = config_setting_get_string(s);

		for (i = 0; offload_backends[i] != NULL; i++)
			if (strcmp(v, offload_backends[i]) == 0)
				break;
		if (offload_backends[i] == NULL)
			return fail(c, s, NULL, "unknown backend \"%s\" (none, "
			            "auto, sw, fpga-sim or fpga)", v);
		strcpy(o->backend, v);
	}
	if (rc == 0)
		rc = get_u32_range(c, g, "depth", 1, OFFLOAD_DEPTH_MAX,
		                   OFFLOAD_DEPTH_DEFAULT, &o->depth);
	if (rc == 0)
		rc = get_string(c, g, "device", false, &s);
	if (rc == 0 && s != NULL) {
		const char *v = config_setting_get_string(s);

		if (!pci_id_ok(v))
			return fail(c, s, NULL, "must be \"vendor:device\" in "
			            "hex, e.g. \"1234:5678\", got \"%s\"", v);
		strcpy(o->device, v);
	}
	return rc;
}

static int read_engine(struct ctx *c, const config_setting_t *root)
{
	struct gv_engine_config *e = &c->cfg->engine;
	const config_setting_t *g;
	int rc;

	rc = get_group(c, root, "engine", true, engine_keys, &g);
	if (rc == 0)
		rc = get_time(c, g, "end_of_day", &e->end_of_day_s);
	if (rc == 0)
		rc = get_u32_range(c, g, "orders_per_shard", 1,
		                   GV_ORDERS_PER_SHARD_MAX,
		                   ORDERS_PER_SHARD_DEFAULT,
		                   &e->orders_per_shard);
	if (rc == 0)
		rc = get_u32_range(c, g, "resend_history", RESEND_HISTORY_MIN,
		                   GV_RESEND_HISTORY_MAX,
		                   GV_RESEND_HISTORY_DEFAULT,
		                   &e->resend_history);
	if (rc == 0 && !GV_IS_POW2(e->resend_history))
		rc = fail(c, member(g, "resend_history"), NULL, "must be a "
		          "power of two, got %u", e->resend_history);
	if (rc == 0)
		rc = read_shards(c, g);
	if (rc == 0)
		rc = read_ports(c, g);
	if (rc == 0)
		rc = get_endpoint(c, g, "order_entry", &e->order_entry);
	if (rc == 0)
		rc = get_endpoint(c, g, "market_data", &e->market_data);
	if (rc == 0)
		rc = read_offload(c, g);
	return rc;
}

/* 1..8 of [A-Z0-9._-]: what an ITCH stock field can carry. */
static bool symbol_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > GV_SYMBOL_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !is_digit(s[i]) &&
		    s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* id and symbol, both unique. */
static int read_instrument_names(struct ctx *c, const config_setting_t *g,
                                 uint32_t idx)
{
	struct gv_instrument_config *in = &c->cfg->instruments[idx];
	const config_setting_t *s = NULL;
	const char *sym;
	uint32_t j;
	int rc;

	rc = get_u32_range(c, g, "id", 1, GV_INSTRUMENT_ID_MAX, REQUIRED,
	                   &in->id);
	for (j = 0; rc == 0 && j < idx; j++)
		if (c->cfg->instruments[j].id == in->id)
			rc = fail(c, member(g, "id"), NULL, "duplicate "
			          "instrument id %u (also instruments[%u])",
			          in->id, j);
	if (rc == 0)
		rc = get_string(c, g, "symbol", true, &s);
	if (rc < 0)
		return rc;
	sym = config_setting_get_string(s);
	if (!symbol_ok(sym))
		return fail(c, s, NULL, "must be 1 to %d characters of A-Z 0-9 "
		            ". _ -, got \"%s\"", GV_SYMBOL_LEN, sym);
	for (j = 0; j < idx; j++)
		if (strcmp(c->cfg->instruments[j].symbol, sym) == 0)
			return fail(c, s, NULL, "duplicate symbol \"%s\" (also "
			            "instruments[%u])", sym, j);
	memcpy(in->symbol, sym, strlen(sym) + 1);
	return 0;
}

/* Quantities, prices and the band, each checked against the others. */
static int read_instrument_limits(struct ctx *c, const config_setting_t *g,
                                  struct gv_instrument_config *in)
{
	const config_setting_t *ref;
	int rc;

	rc = get_u64_range(c, g, "max_qty", 1, GV_QTY_MAX, REQUIRED,
	                   &in->max_qty_lots);
	if (rc == 0)
		rc = get_u64_range(c, g, "min_qty", 1, in->max_qty_lots, 1,
		                   &in->min_qty_lots);
	if (rc == 0)
		rc = get_u64_range(c, g, "max_price", 1, GV_PRICE_MAX,
		                   REQUIRED, &in->max_price_ticks);
	if (rc == 0)
		rc = get_u64_range(c, g, "max_notional", 0, INT64_MAX, 0,
		                   &in->max_notional);
	if (rc == 0)
		rc = get_u32_range(c, g, "price_band_bps", 0, GV_BAND_BPS_MAX,
		                   0, &in->price_band_bps);
	if (rc == 0)
		rc = get_u64_range(c, g, "reference_price", 0,
		                   in->max_price_ticks, 0,
		                   &in->reference_price_ticks);
	if (rc < 0 || in->price_band_bps == 0 || in->reference_price_ticks > 0)
		return rc;
	ref = member(g, "reference_price");
	if (ref == NULL)
		return fail(c, g, "reference_price", "missing; required when "
		            "price_band_bps is set");
	return fail(c, ref, NULL, "must be greater than 0 when "
	            "price_band_bps is set");
}

/*
 * An instrument's or session's shard must be one of engine.shards.
 * Required for instruments; a session defaults to the first shard.
 */
static int get_shard_ref(struct ctx *c, const config_setting_t *g,
                         bool required, uint32_t *shard)
{
	const struct gv_engine_config *e = &c->cfg->engine;
	uint32_t i;
	int rc;

	rc = get_u32_range(c, g, "shard", 0, GV_MAX_SHARDS - 1,
	                   required ? REQUIRED : e->shards[0].id, shard);
	if (rc < 0)
		return rc;
	for (i = 0; i < e->n_shards; i++)
		if (e->shards[i].id == *shard)
			return 0;
	return fail(c, member(g, "shard"), NULL, "no shard %u in "
	            "engine.shards", *shard);
}

static int read_instrument(struct ctx *c, const config_setting_t *g,
                           uint32_t idx)
{
	struct gv_instrument_config *in = &c->cfg->instruments[idx];
	int rc;

	in->line = (int)line_of(g);
	rc = read_instrument_names(c, g, idx);
	if (rc == 0)
		rc = get_decimal(c, g, "tick_size", &in->tick_size);
	if (rc == 0)
		rc = get_decimal(c, g, "lot_size", &in->lot_size);
	if (rc == 0)
		rc = read_instrument_limits(c, g, in);
	if (rc == 0)
		rc = get_shard_ref(c, g, true, &in->shard);
	if (rc == 0)
		rc = get_stp(c, g, &in->stp_default);
	return rc;
}

static int read_instruments(struct ctx *c, const config_setting_t *root)
{
	const config_setting_t *list, *g;
	unsigned i, n;
	int rc;

	rc = get_list(c, root, "instruments", 1, GV_MAX_INSTRUMENTS, "groups",
	              &list);
	if (rc < 0)
		return rc;
	n = (unsigned)config_setting_length(list);
	for (i = 0; i < n; i++) {
		rc = get_elem_group(c, list, i, instrument_keys, &g);
		if (rc == 0)
			rc = read_instrument(c, g, i);
		if (rc < 0)
			return rc;
		c->cfg->n_instruments = i + 1;
	}
	return 0;
}

static int read_session(struct ctx *c, const config_setting_t *g,
                        uint32_t idx)
{
	struct gv_session_config *ss = &c->cfg->sessions[idx];
	uint32_t j;
	int rc;

	ss->line = (int)line_of(g);
	rc = get_u32_range(c, g, "id", 1, UINT32_MAX, REQUIRED, &ss->id);
	for (j = 0; rc == 0 && j < idx; j++)
		if (c->cfg->sessions[j].id == ss->id)
			rc = fail(c, member(g, "id"), NULL, "duplicate session "
			          "id %u (also sessions[%u])", ss->id, j);
	if (rc == 0)
		rc = get_u32_range(c, g, "account", 1, UINT32_MAX, REQUIRED,
		                   &ss->account);
	if (rc == 0)
		rc = get_key(c, g, ss->key);
	if (rc == 0)
		rc = get_u32_range(c, g, "rate_msgs_per_s", 0, UINT32_MAX, 0,
		                   &ss->rate_msgs_per_s);
	if (rc == 0)
		rc = get_u32_range(c, g, "rate_burst", 0, UINT32_MAX,
		                   ss->rate_msgs_per_s, &ss->rate_burst);
	if (rc == 0 && ss->rate_msgs_per_s > 0 && ss->rate_burst == 0)
		rc = fail(c, member(g, "rate_burst"), NULL, "must be at least "
		          "1 when rate_msgs_per_s is set");
	if (rc == 0)
		rc = get_prefix(c, g, "allow", &ss->allowed);
	if (rc == 0)
		rc = get_shard_ref(c, g, false, &ss->shard);
	return rc;
}

static int read_sessions(struct ctx *c, const config_setting_t *root)
{
	const config_setting_t *list, *g;
	unsigned i, n;
	int rc;

	rc = get_list(c, root, "sessions", 0, GV_MAX_SESSIONS, "groups",
	              &list);
	if (rc < 0 || list == NULL)
		return rc;
	n = (unsigned)config_setting_length(list);
	for (i = 0; i < n; i++) {
		rc = get_elem_group(c, list, i, session_keys, &g);
		if (rc == 0)
			rc = read_session(c, g, i);
		if (rc < 0)
			return rc;
		c->cfg->n_sessions = i + 1;
	}
	return 0;
}

static int read_root(struct ctx *c, const config_setting_t *root)
{
	int rc = check_unknown_keys(c, root, root_keys);

	if (rc == 0)
		rc = read_engine(c, root);
	if (rc == 0)
		rc = read_instruments(c, root);
	if (rc == 0)
		rc = read_sessions(c, root);
	return rc;
}

/* ---- entry points ------------------------------------------------------ */

static int parse_text(struct ctx *c, const char *text)
{
	struct bad_literal bad;
	const char *why;
	config_t cf;
	int rc;

	rc = scan_text(c, text, &bad);
	if (rc < 0)
		return rc;
	config_init(&cf);
	if (config_read_string(&cf, text) != CONFIG_TRUE) {
		why = config_error_text(&cf);
		rc = fail_at(c, (unsigned)config_error_line(&cf),
		             "syntax error: %s", why != NULL ? why : "?");
	} else if (bad.line != 0) {
		rc = report_literal(c, &cf, &bad);
	} else {
		rc = read_root(c, config_root_setting(&cf));
	}
	config_destroy(&cf);
	return rc;
}

/* Parse buf[0..len), which has room for two more bytes; buf is kept. */
static struct gv_config *parse_buf(struct ctx *c, char *buf, size_t len)
{
	struct gv_config *cfg;
	int rc;

	/* libconfig 1.5 refuses a comment on an unterminated last line. */
	if (len > 0 && buf[len - 1] != '\n')
		buf[len++] = '\n';
	buf[len] = '\0';
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		fail_sys(c, ENOMEM, "cannot load");
		return NULL;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", c->file);
	c->cfg = cfg;
	rc = parse_text(c, buf);
	if (rc < 0) {
		gv_errno = -rc;
		free(cfg);
		return NULL;
	}
	return cfg;
}

struct gv_config *gv_config_parse(const char *text, const char *name,
                                  char *err, size_t errlen)
{
	struct ctx c = { .file = name != NULL ? name : "(string)",
	                 .err = err, .errlen = errlen };
	struct gv_config *cfg;
	size_t len;
	char *buf;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL) {
		fail_sys(&c, EINVAL, "cannot parse");
		return NULL;
	}
	len = strlen(text);
	if (len > TEXT_MAX) {
		fail_sys(&c, EFBIG, "cannot parse");
		return NULL;
	}
	buf = calloc(1, len + 2);
	if (buf == NULL) {
		fail_sys(&c, ENOMEM, "cannot parse");
		return NULL;
	}
	memcpy(buf, text, len);
	cfg = parse_buf(&c, buf, len);
	free(buf);
	return cfg;
}

/* The whole stream into *buf (2 spare bytes at the end); 0 or -errno. */
static int read_all(FILE *f, char **buf, size_t *len)
{
	size_t cap = READ_CHUNK, n = 0, got;
	char *b = calloc(1, cap + 2), *nb;

	while (b != NULL) {
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0 || n < cap) {
			if (!ferror(f))
				break;
			free(b);
			return errno != 0 ? -errno : -EIO;
		}
		if (cap >= TEXT_MAX) {
			free(b);
			return -EFBIG;
		}
		nb = calloc(1, 2 * cap + 2);
		if (nb != NULL)
			memcpy(nb, b, n);
		free(b);
		b = nb;
		cap *= 2;
	}
	if (b == NULL)
		return -ENOMEM;
	*buf = b;
	*len = n;
	return 0;
}

struct gv_config *gv_config_load(const char *path, char *err, size_t errlen)
{
	struct ctx c = { .file = path != NULL ? path : "(null)", .err = err,
	                 .errlen = errlen };
	struct gv_config *cfg;
	const char *nul;
	size_t len = 0, i;
	unsigned line = 1;
	char *buf = NULL;
	FILE *f;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	f = path != NULL ? fopen(path, "r") : NULL;
	if (f == NULL) {
		fail_sys(&c, path != NULL ? errno : EINVAL, "cannot open");
		return NULL;
	}
	errno = 0;
	rc = read_all(f, &buf, &len);
	fclose(f);
	if (rc < 0) {
		fail_sys(&c, -rc, "cannot read");
		return NULL;
	}
	nul = memchr(buf, '\0', len);
	if (nul != NULL) {
		for (i = 0; buf + i < nul; i++)
			line += buf[i] == '\n';
		gv_errno = -fail_at(&c, line, "NUL byte in a text file");
		free(buf);
		return NULL;
	}
	cfg = parse_buf(&c, buf, len);
	free(buf);
	return cfg;
}

void gv_config_free(struct gv_config *cfg)
{
	free(cfg);
}

const struct gv_instrument_config *
gv_config_instrument(const struct gv_config *cfg, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < cfg->n_instruments; i++)
		if (cfg->instruments[i].id == id)
			return &cfg->instruments[i];
	return NULL;
}

const struct gv_session_config *
gv_config_session(const struct gv_config *cfg, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < cfg->n_sessions; i++)
		if (cfg->sessions[i].id == id)
			return &cfg->sessions[i];
	return NULL;
}

bool gv_prefix_contains(const struct gv_prefix *p, int family,
                        const uint8_t *addr)
{
	unsigned i, n;

	if (family != p->family || (family != AF_INET && family != AF_INET6))
		return false;
	n = family == AF_INET ? 4 : 16;
	for (i = 0; i < n && 8 * i < p->len; i++)
		if ((addr[i] ^ p->addr[i]) & byte_mask(p->len, i))
			return false;
	return true;
}

/* ---- dump -------------------------------------------------------------- */

/* libconfig 1.5 truncates a literal over 32 bits unless it ends in L. */
static void put_uint(FILE *out, const char *indent, const char *name,
                     uint64_t v)
{
	fprintf(out, "%s%s = %" PRIu64 "%s;\n", indent, name, v,
	        v > INT32_MAX ? "L" : "");
}

static void put_decimal(FILE *out, const char *name,
                        const struct gv_decimal *d)
{
	uint64_t p = 1;
	uint8_t i;

	for (i = 0; i < d->scale; i++)
		p *= 10;
	if (d->scale == 0)
		fprintf(out, "    %s = \"%" PRIu64 "\";\n", name, d->mantissa);
	else
		fprintf(out, "    %s = \"%" PRIu64 ".%0*" PRIu64 "\";\n", name,
		        d->mantissa / p, (int)d->scale, d->mantissa % p);
}

static void dump_endpoint(FILE *out, const char *name,
                          const struct gv_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN];

	if (ep->family == 0)
		return;
	inet_ntop(ep->family, ep->addr, addr, sizeof(addr));
	fprintf(out, "  %s = { address = \"%s\"; port = %u; };\n", name, addr,
	        ep->port);
}

static void dump_engine(const struct gv_engine_config *e, FILE *out)
{
	uint32_t i;

	fputs("engine = {\n", out);
	if (e->end_of_day_s >= 0)
		fprintf(out, "  end_of_day = \"%02d:%02d:%02d\";\n",
		        e->end_of_day_s / 3600, e->end_of_day_s / 60 % 60,
		        e->end_of_day_s % 60);
	put_uint(out, "  ", "orders_per_shard", e->orders_per_shard);
	put_uint(out, "  ", "resend_history", e->resend_history);
	fputs("  shards = (\n", out);
	for (i = 0; i < e->n_shards; i++)
		fprintf(out, "    { id = %u; lcore = %u; }%s\n",
		        e->shards[i].id, e->shards[i].lcore,
		        i + 1 < e->n_shards ? "," : "");
	fputs("  );\n  ports = (", out);
	for (i = 0; i < e->n_ports; i++)
		fprintf(out, "%s \"%s\"", i > 0 ? "," : "", e->ports[i]);
	fputs(" );\n", out);
	dump_endpoint(out, "order_entry", &e->order_entry);
	dump_endpoint(out, "market_data", &e->market_data);
	fprintf(out, "  offload = { backend = \"%s\"; depth = %u;",
	        e->offload.backend, e->offload.depth);
	if (e->offload.device[0] != '\0')
		fprintf(out, " device = \"%s\";", e->offload.device);
	fputs(" };\n};\n", out);
}

static void dump_instrument(const struct gv_instrument_config *in,
                            FILE *out, bool last)
{
	fputs("  {\n", out);
	put_uint(out, "    ", "id", in->id);
	fprintf(out, "    symbol = \"%s\";\n", in->symbol);
	put_decimal(out, "tick_size", &in->tick_size);
	put_decimal(out, "lot_size", &in->lot_size);
	put_uint(out, "    ", "min_qty", in->min_qty_lots);
	put_uint(out, "    ", "max_qty", in->max_qty_lots);
	put_uint(out, "    ", "max_price", in->max_price_ticks);
	put_uint(out, "    ", "max_notional", in->max_notional);
	put_uint(out, "    ", "price_band_bps", in->price_band_bps);
	put_uint(out, "    ", "reference_price", in->reference_price_ticks);
	put_uint(out, "    ", "shard", in->shard);
	fprintf(out, "    stp = \"%s\";\n",
	        in->stp_default >= 1 && in->stp_default <= STP_MAX
	                ? stp_names[in->stp_default] : "?");
	fprintf(out, "  }%s\n", last ? "" : ",");
}

static void dump_session(const struct gv_session_config *s, FILE *out,
                         bool show_keys, bool last)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned i;

	fputs("  {\n", out);
	put_uint(out, "    ", "id", s->id);
	put_uint(out, "    ", "account", s->account);
	fputs("    key = \"", out);
	for (i = 0; i < GV_KEY_LEN; i++)
		if (show_keys)
			fprintf(out, "%02x", s->key[i]);
		else
			fputs("xx", out);
	fputs("\";\n", out);
	put_uint(out, "    ", "rate_msgs_per_s", s->rate_msgs_per_s);
	put_uint(out, "    ", "rate_burst", s->rate_burst);
	put_uint(out, "    ", "shard", s->shard);
	inet_ntop(s->allowed.family, s->allowed.addr, addr, sizeof(addr));
	fprintf(out, "    allow = \"%s/%u\";\n", addr, s->allowed.len);
	fprintf(out, "  }%s\n", last ? "" : ",");
}

int gv_config_dump(const struct gv_config *cfg, FILE *out, bool show_keys)
{
	uint32_t i;

	fputs("# gavel configuration, every default filled in\n", out);
	dump_engine(&cfg->engine, out);
	fputs("instruments = (\n", out);
	for (i = 0; i < cfg->n_instruments; i++)
		dump_instrument(&cfg->instruments[i], out,
		                i + 1 == cfg->n_instruments);
	fputs(");\nsessions = (\n", out);
	for (i = 0; i < cfg->n_sessions; i++)
		dump_session(&cfg->sessions[i], out, show_keys,
		             i + 1 == cfg->n_sessions);
	fputs(");\n", out);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
