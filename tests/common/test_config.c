/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - gv_config: every field of a full file, defaults, every
 * class of error with its exact "FILE:LINE: PATH: " prefix, libconfig 1.5's
 * truncated integer literals, decimals, keys, prefixes, lookups and the
 * dump -> parse round trip.
 *
 * argv[1] is the data directory (tests/common/data). Most cases parse text
 * built from the CONF() template below, in which line 1 is the engine,
 * line 2 the instruments and line 3 the sessions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gv_config.h"
#include "gv_errno.h"
#include "gv_test.h"

static const char *g_data_dir = "tests/common/data";

#define E_SHARDS "shards = ( { id = 0; lcore = 1; } );"
#define I_ID "id = 1;"
#define I_SYM "symbol = \"BTCUSD\";"
#define I_TICK "tick_size = \"0.01\";"
#define I_LOT "lot_size = \"0.0001\";"
#define I_QTY "max_qty = 1000;"
#define I_PRICE "max_price = 100000;"
#define I_SHARD "shard = 0;"
#define I_REQ                                                            \
	I_ID " " I_SYM " " I_TICK " " I_LOT " " I_QTY " " I_PRICE " " I_SHARD
#define S_KEY "key = \"000102030405060708090a0b0c0d0e0f\";"
#define S_REQ "id = 1; account = 100; " S_KEY

/* Line 1: engine, line 2: instruments, line 3: sessions. */
#define CONF(e, i, s)                                                    \
	"engine = { " e " };\ninstruments = ( { " i " } );\n"            \
	"sessions = ( { " s " } );\n"
#define CONF_E(e) CONF(E_SHARDS " " e, I_REQ, S_REQ)
#define CONF_I(i) CONF(E_SHARDS, I_REQ " " i, S_REQ)
#define CONF_S(s) CONF(E_SHARDS, I_REQ, S_REQ " " s)

/* ---- helpers ----------------------------------------------------------- */

static void path_in_data(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", g_data_dir, file);
}

/* Parse `text` as "t.conf"; assert success. */
static struct gv_config *parse_ok_at(const char *text, int line)
{
	struct gv_config *cfg;
	char err[512] = "";

	cfg = gv_config_parse(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n  line %d: unexpected error: %s\n", line,
		        err);
	CU_assertImplementation(cfg != NULL, (unsigned)line, "parse ok",
	                        __FILE__, "", CU_FALSE);
	return cfg;
}

/*
 * Parse `text`; assert it fails with GV_ECONFIG, a one-line message that
 * starts with `prefix` and, after it, contains `needle` (if not NULL).
 */
static void expect_err_at(const char *text, const char *prefix,
                          const char *needle, int line)
{
	struct gv_config *cfg;
	char err[512] = "";
	bool ok;

	gv_errno = 0;
	cfg = gv_config_parse(text, "t.conf", err, sizeof(err));
	ok = cfg == NULL && gv_errno == GV_ECONFIG &&
	     strncmp(err, prefix, strlen(prefix)) == 0 &&
	     strchr(err, '\n') == NULL &&
	     (needle == NULL || strstr(err + strlen(prefix), needle) != NULL);
	if (!ok)
		fprintf(stderr, "\n  line %d: want \"%s...%s\"\n"
		        "  got  \"%s\" (gv_errno %d)\n", line, prefix,
		        needle != NULL ? needle : "",
		        cfg != NULL ? "(parsed fine)" : err, gv_errno);
	CU_assertImplementation(ok, (unsigned)line, "expected error",
	                        __FILE__, "", CU_FALSE);
	gv_config_free(cfg);
}

#define PARSE_OK(text) parse_ok_at((text), __LINE__)
#define EXPECT_ERR(text, prefix, needle)                                 \
	expect_err_at((text), (prefix), (needle), __LINE__)

/* A text built at run time (for tables and large configs). */
struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	GV_VERIFY(t->f != NULL);
	return t->f;
}

static const char *text_close(struct text *t)
{
	GV_VERIFY(fclose(t->f) == 0);
	return t->buf;
}

/* CONF with the instrument's fields given at run time. */
static const char *conf_instrument(struct text *t, const char *fields)
{
	fprintf(text_open(t), CONF(E_SHARDS, "%s", S_REQ), fields);
	return text_close(t);
}

/* CONF with the session's extra fields given at run time. */
static const char *conf_session(struct text *t, const char *fields)
{
	fprintf(text_open(t), CONF(E_SHARDS, I_REQ, "%s"), fields);
	return text_close(t);
}

static bool addr_is(const uint8_t *addr, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	GV_VERIFY(inet_pton(family, text, want) == 1);
	return memcmp(addr, want, 16) == 0;
}

static bool key_is(const uint8_t *key, const char *hex)
{
	unsigned i, byte;

	for (i = 0; i < GV_KEY_LEN; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1 || key[i] != byte)
			return false;
	}
	return true;
}

/* ---- a full file ------------------------------------------------------- */

static void check_good_engine(const struct gv_engine_config *e)
{
	CU_ASSERT_EQUAL(e->end_of_day_s, 21 * 3600);
	CU_ASSERT_EQUAL(e->orders_per_shard, 262144);
	CU_ASSERT_EQUAL(e->resend_history, 131072);
	CU_ASSERT_EQUAL(e->n_shards, 2);
	CU_ASSERT_EQUAL(e->shards[0].id, 0);
	CU_ASSERT_EQUAL(e->shards[0].lcore, 2);
	CU_ASSERT_EQUAL(e->shards[1].id, 1);
	CU_ASSERT_EQUAL(e->shards[1].lcore, 3);
	CU_ASSERT_EQUAL(e->n_ports, 2);
	CU_ASSERT_STRING_EQUAL(e->ports[0], "net_pcap0");
	CU_ASSERT_STRING_EQUAL(e->ports[1], "0000:03:00.0");
	CU_ASSERT_EQUAL(e->order_entry.family, AF_INET);
	CU_ASSERT(addr_is(e->order_entry.addr, AF_INET, "10.0.0.1"));
	CU_ASSERT_EQUAL(e->order_entry.port, 9000);
	CU_ASSERT_EQUAL(e->market_data.family, AF_INET6);
	CU_ASSERT(addr_is(e->market_data.addr, AF_INET6, "ff15::1:2"));
	CU_ASSERT_EQUAL(e->market_data.port, 26400);
}

static void check_good_instruments(const struct gv_config *cfg)
{
	const struct gv_instrument_config *btc = &cfg->instruments[0];
	const struct gv_instrument_config *eth = &cfg->instruments[1];
	const struct gv_instrument_config *sol = &cfg->instruments[2];

	CU_ASSERT_EQUAL_FATAL(cfg->n_instruments, 3);
	CU_ASSERT_EQUAL(btc->id, 1);
	CU_ASSERT_STRING_EQUAL(btc->symbol, "BTCUSD");
	CU_ASSERT(btc->tick_size.mantissa == 1 && btc->tick_size.scale == 2);
	CU_ASSERT(btc->lot_size.mantissa == 1 && btc->lot_size.scale == 4);
	CU_ASSERT_EQUAL(btc->min_qty_lots, 1);
	CU_ASSERT_EQUAL(btc->max_qty_lots, 10000000);
	CU_ASSERT_EQUAL(btc->max_price_ticks, 1000000000);
	CU_ASSERT_EQUAL(btc->max_notional, 10000000000000ull);
	CU_ASSERT_EQUAL(btc->price_band_bps, 500);
	CU_ASSERT_EQUAL(btc->reference_price_ticks, 6500000);
	CU_ASSERT_EQUAL(btc->shard, 0);
	CU_ASSERT_EQUAL(btc->stp_default, 1);
	CU_ASSERT_EQUAL(btc->line, 22);

	CU_ASSERT_EQUAL(eth->id, 2);
	CU_ASSERT_STRING_EQUAL(eth->symbol, "ETHUSD");
	CU_ASSERT(eth->lot_size.mantissa == 1 && eth->lot_size.scale == 3);
	CU_ASSERT_EQUAL(eth->min_qty_lots, 10);
	CU_ASSERT_EQUAL(eth->max_qty_lots, 1000000);
	CU_ASSERT_EQUAL(eth->max_notional, 0);
	CU_ASSERT_EQUAL(eth->price_band_bps, 1000);
	CU_ASSERT_EQUAL(eth->reference_price_ticks, 350000);
	CU_ASSERT_EQUAL(eth->shard, 1);
	CU_ASSERT_EQUAL(eth->stp_default, 3);
	CU_ASSERT_EQUAL(eth->line, 36);

	CU_ASSERT_STRING_EQUAL(sol->symbol, "SOLUSD");
	CU_ASSERT(sol->tick_size.mantissa == 1 && sol->tick_size.scale == 3);
	CU_ASSERT(sol->lot_size.mantissa == 1 && sol->lot_size.scale == 2);
	CU_ASSERT_EQUAL(sol->min_qty_lots, 1);
	CU_ASSERT_EQUAL(sol->max_qty_lots, 4294967295u);
	CU_ASSERT_EQUAL(sol->max_price_ticks, 10000000);
	CU_ASSERT_EQUAL(sol->price_band_bps, 0);
	CU_ASSERT_EQUAL(sol->reference_price_ticks, 0);
	CU_ASSERT_EQUAL(sol->stp_default, 4);
	CU_ASSERT_EQUAL(sol->line, 49);
}

static void check_good_sessions(const struct gv_config *cfg)
{
	const struct gv_session_config *s = cfg->sessions;

	CU_ASSERT_EQUAL_FATAL(cfg->n_sessions, 3);
	CU_ASSERT_EQUAL(s[0].id, 1);
	CU_ASSERT_EQUAL(s[0].account, 100);
	CU_ASSERT(key_is(s[0].key, "000102030405060708090a0b0c0d0e0f"));
	CU_ASSERT_EQUAL(s[0].key[0], 0x00);
	CU_ASSERT_EQUAL(s[0].key[15], 0x0f);
	CU_ASSERT_EQUAL(s[0].rate_msgs_per_s, 100000);
	CU_ASSERT_EQUAL(s[0].rate_burst, 1000);
	CU_ASSERT_EQUAL(s[0].allowed.family, AF_INET);
	CU_ASSERT(addr_is(s[0].allowed.addr, AF_INET, "127.0.0.0"));
	CU_ASSERT_EQUAL(s[0].allowed.len, 8);
	CU_ASSERT_EQUAL(s[0].line, 62);

	CU_ASSERT_EQUAL(s[1].id, 2);
	CU_ASSERT_EQUAL(s[1].account, 100);
	CU_ASSERT(key_is(s[1].key, "ffeeddccbbaa99887766554433221100"));
	CU_ASSERT_EQUAL(s[1].rate_msgs_per_s, 5000);
	CU_ASSERT_EQUAL(s[1].rate_burst, 5000);
	CU_ASSERT_EQUAL(s[1].allowed.family, AF_INET6);
	CU_ASSERT(addr_is(s[1].allowed.addr, AF_INET6, "2001:db8::"));
	CU_ASSERT_EQUAL(s[1].allowed.len, 32);
	CU_ASSERT_EQUAL(s[1].line, 64);

	CU_ASSERT_EQUAL(s[2].id, 3000000000u);
	CU_ASSERT_EQUAL(s[2].account, 200);
	CU_ASSERT(key_is(s[2].key, "0123456789abcdeffedcba9876543210"));
	CU_ASSERT_EQUAL(s[2].rate_msgs_per_s, 0);
	CU_ASSERT_EQUAL(s[2].rate_burst, 0);
	CU_ASSERT_EQUAL(s[2].allowed.family, AF_INET);
	CU_ASSERT_EQUAL(s[2].allowed.len, 0);
	CU_ASSERT_EQUAL(s[2].line, 66);
	CU_ASSERT_EQUAL(s[0].shard, 0);
	CU_ASSERT_EQUAL(s[1].shard, 1);
	CU_ASSERT_EQUAL(s[2].shard, 0);
}

static void test_good_file(void)
{
	struct gv_config *cfg;
	char path[512], err[512];

	path_in_data(path, sizeof(path), "good.conf");
	cfg = gv_config_load(path, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->path, path);
	check_good_engine(&cfg->engine);
	check_good_instruments(cfg);
	check_good_sessions(cfg);
	gv_config_free(cfg);
}

static void test_defaults(void)
{
	struct gv_config *cfg = PARSE_OK(CONF(E_SHARDS, I_REQ, S_REQ));
	const struct gv_instrument_config *in;
	const struct gv_session_config *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->path, "t.conf");
	CU_ASSERT_EQUAL(cfg->engine.end_of_day_s, -1);
	CU_ASSERT_EQUAL(cfg->engine.orders_per_shard, 1u << 20);
	CU_ASSERT_EQUAL(cfg->engine.resend_history, GV_RESEND_HISTORY_DEFAULT);
	CU_ASSERT_EQUAL(cfg->engine.n_ports, 0);
	CU_ASSERT_EQUAL(cfg->engine.order_entry.family, 0);
	CU_ASSERT_EQUAL(cfg->engine.market_data.family, 0);
	CU_ASSERT_STRING_EQUAL(cfg->engine.offload.backend, "none");
	CU_ASSERT_EQUAL(cfg->engine.offload.depth, 64);
	CU_ASSERT_STRING_EQUAL(cfg->engine.offload.device, "");
	in = &cfg->instruments[0];
	CU_ASSERT_EQUAL(in->min_qty_lots, 1);
	CU_ASSERT_EQUAL(in->max_notional, 0);
	CU_ASSERT_EQUAL(in->price_band_bps, 0);
	CU_ASSERT_EQUAL(in->reference_price_ticks, 0);
	CU_ASSERT_EQUAL(in->stp_default, 1);
	CU_ASSERT_EQUAL(in->line, 2);
	s = &cfg->sessions[0];
	CU_ASSERT_EQUAL(s->rate_msgs_per_s, 0);
	CU_ASSERT_EQUAL(s->rate_burst, 0);
	CU_ASSERT_EQUAL(s->allowed.family, AF_INET);
	CU_ASSERT_EQUAL(s->allowed.len, 0);
	CU_ASSERT(addr_is(s->allowed.addr, AF_INET, "0.0.0.0"));
	CU_ASSERT_EQUAL(s->shard, cfg->engine.shards[0].id);
	CU_ASSERT_EQUAL(s->line, 3);
	gv_config_free(cfg);

	/* sessions is optional and may be empty; a list or an empty array */
	cfg = PARSE_OK("engine = { " E_SHARDS " };\n"
	               "instruments = ( { " I_REQ " } );\n");
	CU_ASSERT(cfg != NULL && cfg->n_sessions == 0);
	gv_config_free(cfg);
	cfg = PARSE_OK("engine = { " E_SHARDS " ports = []; };\n"
	               "instruments = ( { " I_REQ " } );\nsessions = ();\n");
	CU_ASSERT(cfg != NULL && cfg->n_sessions == 0);
	gv_config_free(cfg);
	/* a comment on a last line without a newline (libconfig 1.5 quirk) */
	cfg = PARSE_OK(CONF(E_SHARDS, I_REQ, S_REQ) "# the end");
	gv_config_free(cfg);
}

/* ---- files ------------------------------------------------------------- */

static void test_missing_file(void)
{
	char path[512], err[512], want[600];

	path_in_data(path, sizeof(path), "no-such-file.conf");
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_config_load(path, err, sizeof(err)));
	CU_ASSERT_EQUAL(gv_errno, ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: ", path);
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));

	/* a directory opens but does not read */
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_config_load(g_data_dir, err, sizeof(err)));
	CU_ASSERT_EQUAL(gv_errno, EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: ", g_data_dir);
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
}

static void expect_file_err(const char *file, const char *rest)
{
	char path[512], err[512], want[1024];

	path_in_data(path, sizeof(path), file);
	snprintf(want, sizeof(want), "%s:%s", path, rest);
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_config_load(path, err, sizeof(err)));
	CU_ASSERT_EQUAL(gv_errno, GV_ECONFIG);
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
	if (strncmp(err, want, strlen(want)) != 0)
		fprintf(stderr, "\n  want %s\n  got  %s\n", want, err);
}

static void test_bad_files(void)
{
	expect_file_err("bad_range.conf", "16: instruments[1].max_qty: must be "
	                "between 1 and 4294967295, got 0");
	expect_file_err("bad_syntax.conf", "4: syntax error: ");
}

static void test_nul_byte(void)
{
	static const char text[] = "engine = {\n\0 };\n";
	char path[] = "/tmp/gv_test_config_XXXXXX", err[512], want[600];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, text, sizeof(text) - 1) == sizeof(text) - 1);
	close(fd);
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_config_load(path, err, sizeof(err)));
	CU_ASSERT_EQUAL(gv_errno, GV_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: NUL byte", path);
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
	unlink(path);
}

/* ---- syntax and structure ---------------------------------------------- */

static void test_syntax_errors(void)
{
	EXPECT_ERR("engine = {\n  shards = ( { id = 0; } ;\n};\n",
	           "t.conf:2: syntax error: ", NULL);
	EXPECT_ERR("engine = {\n\n shards = (); shards = ();\n};\n",
	           "t.conf:3: syntax error: ", "duplicate setting name");
	EXPECT_ERR("a = [ 1, \"x\" ];\n", "t.conf:1: syntax error: ",
	           "mismatched element type");
	EXPECT_ERR("engine = { " E_SHARDS " };\n@include \"other.conf\"\n",
	           "t.conf:2: @include is not supported", NULL);
	/* but the words inside a comment or a string are fine */
	gv_config_free(PARSE_OK("# @include \"x\"\n" CONF(E_SHARDS,
	                        I_REQ, S_REQ)));
}

static void test_unknown_fields(void)
{
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, S_REQ) "foo = 1;\n",
	           "t.conf:4: foo: unknown field", NULL);
	EXPECT_ERR(CONF_E("workers = 4;"), "t.conf:1: engine.workers: "
	           "unknown field", NULL);
	EXPECT_ERR(CONF("shards = ( { id = 0; lcore = 1; cpu = 1; } );",
	                I_REQ, S_REQ),
	           "t.conf:1: engine.shards[0].cpu: unknown field", NULL);
	EXPECT_ERR(CONF_E("order_entry = { address = \"10.0.0.1\"; port = 1; "
	                  "host = \"x\"; };"),
	           "t.conf:1: engine.order_entry.host: unknown field", NULL);
	EXPECT_ERR(CONF_I("tick = 1;"), "t.conf:2: instruments[0].tick: "
	           "unknown field", NULL);
	EXPECT_ERR(CONF_S("secret = \"x\";"), "t.conf:3: sessions[0].secret: "
	           "unknown field", NULL);
}

static void test_wrong_types(void)
{
	EXPECT_ERR("engine = 5;\n", "t.conf:1: engine: must be a group", NULL);
	EXPECT_ERR(CONF("shards = 5;", I_REQ, S_REQ),
	           "t.conf:1: engine.shards: must be a list", NULL);
	EXPECT_ERR(CONF("shards = ( 1 );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[0]: must be a group", NULL);
	EXPECT_ERR(CONF_E("ports = \"p0\";"), "t.conf:1: engine.ports: must be "
	           "a list of strings", NULL);
	EXPECT_ERR(CONF_E("ports = ( 1 );"), "t.conf:1: engine.ports[0]: must "
	           "be a string", NULL);
	EXPECT_ERR(CONF_E("order_entry = \"10.0.0.1:9000\";"),
	           "t.conf:1: engine.order_entry: must be a group", NULL);
	EXPECT_ERR(CONF_E("end_of_day = 2100;"), "t.conf:1: engine.end_of_day: "
	           "must be a string", NULL);
	EXPECT_ERR(CONF("shards = ( { id = \"0\"; lcore = 1; } );", I_REQ,
	                S_REQ),
	           "t.conf:1: engine.shards[0].id: must be an integer", NULL);
	EXPECT_ERR(CONF_E("orders_per_shard = 1.0;"), "t.conf:1: "
	           "engine.orders_per_shard: must be an integer", NULL);
	EXPECT_ERR(CONF_E("resend_history = true;"), "t.conf:1: "
	           "engine.resend_history: must be an integer", NULL);
	EXPECT_ERR("engine = { " E_SHARDS " };\ninstruments = { a = 1; };\n",
	           "t.conf:2: instruments: must be a list of groups", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, S_REQ) "x = 1;\n", "t.conf:4: x: "
	           "unknown field", NULL);
	EXPECT_ERR("engine = { " E_SHARDS " };\ninstruments = ( { " I_REQ
	           " } );\nsessions = 5;\n", "t.conf:3: sessions: must be a "
	           "list of groups", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " symbol = 5; " I_TICK " " I_LOT " "
	                I_QTY " " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].symbol: must be a string", NULL);
	EXPECT_ERR(CONF_I("stp = true;"), "t.conf:2: instruments[0].stp: "
	           "must be a string or an integer", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "id = 1; account = 100; key = 5;"),
	           "t.conf:3: sessions[0].key: must be a string", NULL);
	EXPECT_ERR(CONF_S("allow = 5;"), "t.conf:3: sessions[0].allow: must be "
	           "a string", NULL);
	EXPECT_ERR(CONF_S("shard = 63;"), "t.conf:3: sessions[0].shard: no "
	           "shard 63 in engine.shards", NULL);
	EXPECT_ERR(CONF_S("shard = 64;"), "t.conf:3: sessions[0].shard: must "
	           "be between 0 and 63, got 64", NULL);
	EXPECT_ERR(CONF_S("rate_msgs_per_s = \"100\";"), "t.conf:3: "
	           "sessions[0].rate_msgs_per_s: must be an integer", NULL);
}

static void test_missing_fields(void)
{
	EXPECT_ERR("instruments = ( { " I_REQ " } );\n",
	           "t.conf:1: engine: missing required field", NULL);
	EXPECT_ERR("\n\nengine = { " E_SHARDS " };\n",
	           "t.conf:1: instruments: missing required field", NULL);
	EXPECT_ERR("engine = { ports = ( \"p0\" ); };\n",
	           "t.conf:1: engine.shards: missing required field", NULL);
	EXPECT_ERR(CONF("shards = ( { id = 0; } );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[0].lcore: missing", NULL);
	EXPECT_ERR(CONF_E("market_data = { port = 26400; };"),
	           "t.conf:1: engine.market_data.address: missing", NULL);
	EXPECT_ERR(CONF_E("market_data = { address = \"239.1.1.1\"; };"),
	           "t.conf:1: engine.market_data.port: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_SYM " " I_TICK " " I_LOT " " I_QTY " "
	                I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].id: missing required field", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_TICK " " I_LOT " " I_QTY " "
	                I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].symbol: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_LOT " " I_QTY " "
	                I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].tick_size: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_QTY " "
	                I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].lot_size: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT " "
	                I_QTY " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].max_price: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT " "
	                I_QTY " " I_PRICE, S_REQ),
	           "t.conf:2: instruments[0].shard: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "account = 100; " S_KEY),
	           "t.conf:3: sessions[0].id: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "id = 1; " S_KEY),
	           "t.conf:3: sessions[0].account: missing", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "id = 1; account = 100;"),
	           "t.conf:3: sessions[0].key: missing", NULL);
	/* a missing field is reported at its enclosing group's line */
	EXPECT_ERR("engine = { " E_SHARDS " };\ninstruments = (\n"
	           "  { " I_REQ " },\n"
	           "  {\n"
	           "    id = 2; symbol = \"ETHUSD\"; tick_size = \"1\";\n"
	           "    lot_size = \"1\"; max_price = 10; shard = 0;\n"
	           "  }\n);\n",
	           "t.conf:4: instruments[1].max_qty: missing required field",
	           NULL);
}

/* ---- integers ---------------------------------------------------------- */

static void test_int_ranges(void)
{
	EXPECT_ERR(CONF("shards = ( { id = 64; lcore = 1; } );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[0].id: must be between 0 and 63, "
	           "got 64", NULL);
	EXPECT_ERR(CONF("shards = ( { id = 0; lcore = -1; } );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[0].lcore: must be between 0 and "
	           "127, got -1", NULL);
	EXPECT_ERR(CONF_E("orders_per_shard = 0;"), "t.conf:1: "
	           "engine.orders_per_shard: must be between 1 and 16777216, "
	           "got 0", NULL);
	EXPECT_ERR(CONF_E("orders_per_shard = 16777217;"), "t.conf:1: "
	           "engine.orders_per_shard: must be between 1 and 16777216",
	           NULL);
	EXPECT_ERR(CONF_E("resend_history = 512;"), "t.conf:1: "
	           "engine.resend_history: must be between 1024 and 1048576, "
	           "got 512", NULL);
	EXPECT_ERR(CONF_E("resend_history = 3000;"), "t.conf:1: "
	           "engine.resend_history: must be a power of two, got 3000",
	           NULL);
	EXPECT_ERR(CONF_E("order_entry = { address = \"::1\"; port = 0; };"),
	           "t.conf:1: engine.order_entry.port: must be between 1 and "
	           "65535, got 0", NULL);
	EXPECT_ERR(CONF_E("order_entry = { address = \"::1\"; "
	                  "port = 65536; };"),
	           "t.conf:1: engine.order_entry.port: must be between 1 and "
	           "65535, got 65536", NULL);
	EXPECT_ERR(CONF(E_SHARDS, "id = 0; " I_SYM " " I_TICK " " I_LOT " "
	                I_QTY " " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].id: must be between 1 and 65535, "
	           "got 0", NULL);
	EXPECT_ERR(CONF(E_SHARDS, "id = 65536; " I_SYM " " I_TICK " " I_LOT
	                " " I_QTY " " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].id: must be between 1 and 65535",
	           NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT
	                " max_qty = 0; " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].max_qty: must be between 1 and "
	           "4294967295, got 0", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT
	                " max_qty = 4294967296L; " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].max_qty: must be between 1 and "
	           "4294967295, got 4294967296", NULL);
	EXPECT_ERR(CONF_I("min_qty = 1001;"), "t.conf:2: instruments[0]."
	           "min_qty: must be between 1 and 1000, got 1001", NULL);
	EXPECT_ERR(CONF_I("min_qty = 0;"), "t.conf:2: instruments[0].min_qty: "
	           "must be between 1 and 1000, got 0", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT " "
	                I_QTY " max_price = 4294967296L; " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].max_price: must be between 1 and "
	           "4294967295, got 4294967296", NULL);
	EXPECT_ERR(CONF_I("max_notional = -1;"), "t.conf:2: instruments[0]."
	           "max_notional: must be between 0 and 9223372036854775807, "
	           "got -1", NULL);
	EXPECT_ERR(CONF_I("price_band_bps = 10001; reference_price = 5;"),
	           "t.conf:2: instruments[0].price_band_bps: must be between 0 "
	           "and 10000, got 10001", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "id = 0; account = 1; " S_KEY),
	           "t.conf:3: sessions[0].id: must be between 1 and 4294967295"
	           ", got 0", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "id = 1; account = 0; " S_KEY),
	           "t.conf:3: sessions[0].account: must be between 1 and "
	           "4294967295, got 0", NULL);
	EXPECT_ERR(CONF_S("rate_msgs_per_s = -5;"), "t.conf:3: sessions[0]."
	           "rate_msgs_per_s: must be between 0 and 4294967295, got -5",
	           NULL);
}

static void test_int_bounds_accepted(void)
{
	struct gv_config *cfg;

	cfg = PARSE_OK(CONF("shards = ( { id = 63; lcore = 127; } );",
	                    "id = 65535; " I_SYM " " I_TICK " " I_LOT
	                    " max_qty = 4294967295L; max_price = 4294967295L;"
	                    " max_notional = 9223372036854775807L;"
	                    " price_band_bps = 10000; reference_price = 0x10;"
	                    " shard = 63; min_qty = 4294967295L;",
	                    "id = 4294967295L; account = 4294967295L; " S_KEY
	                    " rate_msgs_per_s = 4294967295L;"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->engine.shards[0].id, 63);
	CU_ASSERT_EQUAL(cfg->engine.shards[0].lcore, 127);
	CU_ASSERT_EQUAL(cfg->instruments[0].id, 65535);
	CU_ASSERT_EQUAL(cfg->instruments[0].min_qty_lots, 4294967295u);
	CU_ASSERT_EQUAL(cfg->instruments[0].max_qty_lots, 4294967295u);
	CU_ASSERT_EQUAL(cfg->instruments[0].max_price_ticks, 4294967295u);
	CU_ASSERT_EQUAL(cfg->instruments[0].max_notional, INT64_MAX);
	CU_ASSERT_EQUAL(cfg->instruments[0].price_band_bps, 10000);
	CU_ASSERT_EQUAL(cfg->instruments[0].reference_price_ticks, 16);
	CU_ASSERT_EQUAL(cfg->sessions[0].id, 4294967295u);
	CU_ASSERT_EQUAL(cfg->sessions[0].account, 4294967295u);
	CU_ASSERT_EQUAL(cfg->sessions[0].rate_burst, 4294967295u);
	gv_config_free(cfg);
	cfg = PARSE_OK(CONF_E("orders_per_shard = 16777216; "
	                      "resend_history = 1048576;"));
	CU_ASSERT(cfg != NULL && cfg->engine.orders_per_shard == 16777216 &&
	          cfg->engine.resend_history == 1048576);
	gv_config_free(cfg);
	cfg = PARSE_OK(CONF_E("resend_history = 1024;"));
	CU_ASSERT(cfg != NULL && cfg->engine.resend_history == 1024);
	gv_config_free(cfg);
}

/* libconfig 1.5 truncates an int literal over 32 bits (see gv_config.c). */
static void test_large_literals(void)
{
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT
	                " max_qty = 5000000000; " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].max_qty: 5000000000 does not fit "
	           "in 32 bits; write 5000000000L", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT
	                " max_qty = 4294967295; " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].max_qty: 4294967295 does not fit "
	           "in 32 bits; write 4294967295L", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, "id = 2147483648; account = 1; "
	                S_KEY), "t.conf:3: sessions[0].id: 2147483648 does not "
	           "fit in 32 bits", NULL);
	EXPECT_ERR(CONF_S("rate_msgs_per_s = -5000000000;"), "t.conf:3: "
	           "sessions[0].rate_msgs_per_s: -5000000000 does not fit in "
	           "32 bits", NULL);
	EXPECT_ERR(CONF_S("rate_msgs_per_s = 0xffffffff;"), "t.conf:3: "
	           "sessions[0].rate_msgs_per_s: 0xffffffff does not fit in 32 "
	           "bits; write 0xffffffffL", NULL);
	EXPECT_ERR(CONF_I("max_notional = 99999999999999999999L;"), "t.conf:2: "
	           "instruments[0].max_notional: 99999999999999999999 does not "
	           "fit in 64 bits", NULL);
	/* the right one of two same-named settings on one line */
	EXPECT_ERR(CONF("shards = ( { id = 0; lcore = 1; }, "
	                "{ id = 1; lcore = 5000000000; } );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[1].lcore: 5000000000 does not fit",
	           NULL);
	/* the value on the line after its name: libconfig gives the name's */
	EXPECT_ERR("engine = { " E_SHARDS " };\ninstruments = ( { " I_ID " "
	           I_SYM " " I_TICK " " I_LOT " " I_PRICE " " I_SHARD
	           "\n max_qty =\n 5000000000; } );\n",
	           "t.conf:3: instruments[0].max_qty: 5000000000 does not fit",
	           NULL);
	/* numbers in comments, strings and names are not literals */
	gv_config_free(PARSE_OK(CONF_E("ports = ( \"x5000000000\" ); "
	                               "/* 5000000000 */") "# 5000000000\n"
	                        "// 99999999999999999999L\n"));
	/* a float is a type error, not a truncated integer */
	EXPECT_ERR(CONF_I("max_notional = 5e10;"), "t.conf:2: instruments[0]."
	           "max_notional: must be an integer", NULL);
}

/* ---- duplicates and cross references ----------------------------------- */

static void test_duplicates(void)
{
	EXPECT_ERR(CONF("shards = ( { id = 0; lcore = 1; }, "
	                "{ id = 0; lcore = 2; } );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[1].id: duplicate shard id 0 (also "
	           "engine.shards[0])", NULL);
	EXPECT_ERR(CONF("shards = ( { id = 0; lcore = 1; }, "
	                "{ id = 1; lcore = 1; } );", I_REQ, S_REQ),
	           "t.conf:1: engine.shards[1].lcore: duplicate lcore 1 (also "
	           "engine.shards[0])", NULL);
	EXPECT_ERR(CONF_E("ports = ( \"a\", \"b\", \"a\" );"), "t.conf:1: "
	           "engine.ports[2]: duplicate port \"a\" (also "
	           "engine.ports[0])", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ " }, { id = 1; symbol = \"ETHUSD\"; "
	                I_TICK " " I_LOT " " I_QTY " " I_PRICE " " I_SHARD,
	                S_REQ),
	           "t.conf:2: instruments[1].id: duplicate instrument id 1 "
	           "(also instruments[0])", NULL);
	EXPECT_ERR("engine = { " E_SHARDS " };\ninstruments = (\n"
	           " { id = 1; symbol = \"ETHUSD\"; " I_TICK " " I_LOT " " I_QTY
	           " " I_PRICE " " I_SHARD " },\n"
	           " { id = 2; symbol = \"BTCUSD\"; " I_TICK " " I_LOT " " I_QTY
	           " " I_PRICE " " I_SHARD " },\n"
	           " { id = 3; symbol = \"SOLUSD\"; " I_TICK " " I_LOT " " I_QTY
	           " " I_PRICE " " I_SHARD " },\n"
	           " { id = 4; symbol = \"ETHUSD\"; " I_TICK " " I_LOT " " I_QTY
	           " " I_PRICE " " I_SHARD " }\n);\n",
	           "t.conf:6: instruments[3].symbol: duplicate symbol "
	           "\"ETHUSD\" (also instruments[0])", NULL);
	EXPECT_ERR(CONF(E_SHARDS, I_REQ, S_REQ " }, { id = 2; account = 100; "
	                S_KEY " }, { id = 1; account = 7; " S_KEY),
	           "t.conf:3: sessions[2].id: duplicate session id 1 (also "
	           "sessions[0])", NULL);
}

static void test_shard_reference(void)
{
	struct gv_config *cfg;

	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " " I_LOT " "
	                I_QTY " " I_PRICE " shard = 1;", S_REQ),
	           "t.conf:2: instruments[0].shard: no shard 1 in "
	           "engine.shards", NULL);
	cfg = PARSE_OK(CONF("shards = ( { id = 5; lcore = 1; }, "
	                    "{ id = 0; lcore = 9; } );",
	                    I_ID " " I_SYM " " I_TICK " " I_LOT " " I_QTY " "
	                    I_PRICE " shard = 5;", S_REQ));
	CU_ASSERT(cfg != NULL && cfg->instruments[0].shard == 5);
	gv_config_free(cfg);
}

static void test_band_reference(void)
{
	struct gv_config *cfg;

	EXPECT_ERR(CONF_I("price_band_bps = 500;"), "t.conf:2: instruments[0]."
	           "reference_price: missing; required when price_band_bps is "
	           "set", NULL);
	EXPECT_ERR(CONF_I("price_band_bps = 500; reference_price = 0;"),
	           "t.conf:2: instruments[0].reference_price: must be greater "
	           "than 0 when price_band_bps is set", NULL);
	EXPECT_ERR(CONF_I("reference_price = 100001;"), "t.conf:2: "
	           "instruments[0].reference_price: must be between 0 and "
	           "100000, got 100001", NULL);
	cfg = PARSE_OK(CONF_I("reference_price = 100000;"));
	CU_ASSERT(cfg != NULL &&
	          cfg->instruments[0].reference_price_ticks == 100000 &&
	          cfg->instruments[0].price_band_bps == 0);
	gv_config_free(cfg);
}

static void test_counts(void)
{
	struct text t;
	FILE *f;
	int i;

	EXPECT_ERR(CONF("shards = ( );", I_REQ, S_REQ), "t.conf:1: "
	           "engine.shards: must have between 1 and 64 entries, got 0",
	           NULL);
	EXPECT_ERR("engine = { " E_SHARDS " };\ninstruments = ( );\n",
	           "t.conf:2: instruments: must have between 1 and 1024 "
	           "entries, got 0", NULL);

	f = text_open(&t);
	fputs("engine = { shards = (", f);
	for (i = 0; i < GV_MAX_SHARDS + 1; i++)
		fprintf(f, "%s { id = %d; lcore = %d; }", i ? "," : "", i, i);
	fputs("); };\ninstruments = ( { " I_REQ " } );\n", f);
	EXPECT_ERR(text_close(&t), "t.conf:1: engine.shards: must have "
	           "between 1 and 64 entries, got 65", NULL);
	free(t.buf);

	f = text_open(&t);
	fputs("engine = { " E_SHARDS " ports = (", f);
	for (i = 0; i < GV_MAX_PORTS + 1; i++)
		fprintf(f, "%s \"p%d\"", i ? "," : "", i);
	fputs("); };\ninstruments = ( { " I_REQ " } );\n", f);
	EXPECT_ERR(text_close(&t), "t.conf:1: engine.ports: must have between "
	           "0 and 16 entries, got 17", NULL);
	free(t.buf);
}

/* n instruments and m sessions, all distinct. */
static const char *conf_many(struct text *t, int n, int m)
{
	FILE *f = text_open(t);
	int i;

	fputs("engine = { " E_SHARDS " };\ninstruments = (\n", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{ id = %d; symbol = \"S%d\"; " I_TICK " "
		        I_LOT " " I_QTY " " I_PRICE " " I_SHARD " }\n",
		        i ? "," : "", i + 1, i);
	fputs(");\nsessions = (\n", f);
	for (i = 0; i < m; i++)
		fprintf(f, "%s{ id = %d; account = 1; " S_KEY " }\n",
		        i ? "," : "", i + 1);
	fputs(");\n", f);
	return text_close(t);
}

static void test_capacity(void)
{
	struct gv_config *cfg;
	struct text t;

	cfg = PARSE_OK(conf_many(&t, GV_MAX_INSTRUMENTS, GV_MAX_SESSIONS));
	free(t.buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->n_instruments, GV_MAX_INSTRUMENTS);
	CU_ASSERT_EQUAL(cfg->n_sessions, GV_MAX_SESSIONS);
	CU_ASSERT_STRING_EQUAL(cfg->instruments[GV_MAX_INSTRUMENTS - 1].symbol,
	                       "S1023");
	gv_config_free(cfg);
	EXPECT_ERR(conf_many(&t, GV_MAX_INSTRUMENTS + 1, 0), "t.conf:2: "
	           "instruments: must have between 1 and 1024 entries, got "
	           "1025", NULL);
	free(t.buf);
	EXPECT_ERR(conf_many(&t, 1, GV_MAX_SESSIONS + 1), "t.conf:",
	           "sessions: must have between 0 and 4096 entries, got 4097");
	free(t.buf);
}

/* ---- strings ----------------------------------------------------------- */

static void test_symbols(void)
{
	static const char *const good[] = { "A", "BTC-USD", "BRK.B", "X_1",
		                            "ABCDEFGH", "0DTE" };
	static const char *const bad[] = { "", "btcusd", "BTCUSDT1X",
		                           "BTC USD", "BTC/USD", "Btc" };
	char fields[256], want[128];
	struct gv_config *cfg;
	struct text t;
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(good); i++) {
		snprintf(fields, sizeof(fields), "%s symbol = \"%s\"; %s %s %s "
		         "%s %s", I_ID, good[i], I_TICK, I_LOT, I_QTY, I_PRICE,
		         I_SHARD);
		cfg = PARSE_OK(conf_instrument(&t, fields));
		CU_ASSERT(cfg != NULL &&
		          strcmp(cfg->instruments[0].symbol, good[i]) == 0);
		gv_config_free(cfg);
		free(t.buf);
	}
	for (i = 0; i < GV_ARRAY_SIZE(bad); i++) {
		snprintf(fields, sizeof(fields), "%s symbol = \"%s\"; %s %s %s "
		         "%s %s", I_ID, bad[i], I_TICK, I_LOT, I_QTY, I_PRICE,
		         I_SHARD);
		snprintf(want, sizeof(want), "got \"%s\"", bad[i]);
		EXPECT_ERR(conf_instrument(&t, fields), "t.conf:2: "
		           "instruments[0].symbol: must be 1 to 8 characters "
		           "of A-Z 0-9 . _ -", want);
		free(t.buf);
	}
}

struct decimal_case {
	const char *value;     /* as written after "tick_size = " */
	uint64_t mantissa;     /* 0: an error containing `why` */
	uint8_t scale;
	const char *why;
};

static const struct decimal_case decimal_cases[] = {
	{ "\"0.01\"", 1, 2, NULL },
	{ "\"1\"", 1, 0, NULL },
	{ "\"0.0001\"", 1, 4, NULL },
	{ "\"0.00000001\"", 1, 8, NULL },
	{ "\"0.010\"", 1, 2, NULL },
	{ "\"1.50\"", 15, 1, NULL },
	{ "\"1.0\"", 1, 0, NULL },
	{ "\"10\"", 10, 0, NULL },
	{ "\"007.5\"", 75, 1, NULL },
	{ "\"0.000000000000000001\"", 1, 18, NULL },
	{ "\"18446744073709551615\"", UINT64_MAX, 0, NULL },
	{ "\"1.8446744073709551615\"", 0, 0, "at most 18 decimal places" },
	{ "\"2.000000000000000000000\"", 2, 0, NULL },
	{ "1", 1, 0, NULL },
	{ "25L", 25, 0, NULL },
	{ "\"0\"", 0, 0, "must be greater than 0, got \"0\"" },
	{ "\"0.000\"", 0, 0, "must be greater than 0" },
	{ "\"1.2.3\"", 0, 0, "must be digits with at most one '.'" },
	{ "\"-1\"", 0, 0, "must be digits" },
	{ "\"\"", 0, 0, "must be digits" },
	{ "\".5\"", 0, 0, "must be digits" },
	{ "\"5.\"", 0, 0, "must be digits" },
	{ "\"1e3\"", 0, 0, "must be digits" },
	{ "\" 1\"", 0, 0, "must be digits" },
	{ "\"0.0000000000000000001\"", 0, 0, "at most 18 decimal places" },
	{ "\"18446744073709551616\"", 0, 0, "too many digits" },
	{ "\"99999999999999999999.5\"", 0, 0, "too many digits" },
	{ "0", 0, 0, "must be greater than 0, got 0" },
	{ "-1", 0, 0, "must be greater than 0, got -1" },
	{ "0.01", 0, 0, "must be a decimal string such as \"0.01\"" },
};

static void check_decimal(const struct gv_config *cfg,
                          const struct decimal_case *dc)
{
	const struct gv_decimal *d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	d = &cfg->instruments[0].tick_size;
	CU_ASSERT(d->mantissa == dc->mantissa && d->scale == dc->scale);
	if (d->mantissa != dc->mantissa || d->scale != dc->scale)
		fprintf(stderr, "\n  decimal %s\n", dc->value);
}

static void test_decimals(void)
{
	const struct decimal_case *dc;
	char fields[256];
	struct gv_config *cfg;
	struct text t;
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(decimal_cases); i++) {
		dc = &decimal_cases[i];
		snprintf(fields, sizeof(fields), "%s %s tick_size = %s; %s %s "
		         "%s %s", I_ID, I_SYM, dc->value, I_LOT, I_QTY, I_PRICE,
		         I_SHARD);
		if (dc->why != NULL) {
			EXPECT_ERR(conf_instrument(&t, fields), "t.conf:2: "
			           "instruments[0].tick_size: ", dc->why);
		} else {
			cfg = PARSE_OK(conf_instrument(&t, fields));
			check_decimal(cfg, dc);
			gv_config_free(cfg);
		}
		free(t.buf);
	}
	/* lot_size goes through the same helper */
	EXPECT_ERR(CONF(E_SHARDS, I_ID " " I_SYM " " I_TICK " lot_size = "
	                "\"0,01\"; " I_QTY " " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].lot_size: must be digits", NULL);
}

static void test_keys(void)
{
	struct gv_config *cfg;
	struct text t;

	cfg = PARSE_OK(conf_session(&t, "id = 1; account = 1; key = "
	                            "\"A0b1C2d3E4f5A6b7C8d9EaFbAcBdCeDf\";"));
	free(t.buf);
	CU_ASSERT(cfg != NULL && key_is(cfg->sessions[0].key,
	                                "a0b1c2d3e4f5a6b7c8d9eafbacbdcedf"));
	CU_ASSERT(cfg != NULL && cfg->sessions[0].key[0] == 0xa0 &&
	          cfg->sessions[0].key[15] == 0xdf);
	gv_config_free(cfg);
	EXPECT_ERR(conf_session(&t, "id = 1; account = 1; key = "
	                        "\"000102030405060708090a0b0c0d0e0\";"),
	           "t.conf:3: sessions[0].key: must be 32 hex digits, got 31 "
	           "characters", NULL);
	free(t.buf);
	EXPECT_ERR(conf_session(&t, "id = 1; account = 1; key = "
	                        "\"000102030405060708090a0b0c0d0e0f0\";"),
	           "t.conf:3: sessions[0].key: must be 32 hex digits, got 33",
	           NULL);
	free(t.buf);
	EXPECT_ERR(conf_session(&t, "id = 1; account = 1; key = "
	                        "\"0001g2030405060708090a0b0c0d0e0f\";"),
	           "t.conf:3: sessions[0].key: character 5 is not a hex digit",
	           NULL);
	free(t.buf);
	EXPECT_ERR(conf_session(&t, "id = 1; account = 1; key = \"\";"),
	           "t.conf:3: sessions[0].key: must be 32 hex digits, got 0",
	           NULL);
	free(t.buf);
}

static void test_keys_not_echoed(void)
{
	static const char text[] = CONF(E_SHARDS, I_REQ, "id = 1; account = 1;"
	                                " key = \"SECRET0102030405060708090a"
	                                "0b0c0d\";");
	char err[512];

	CU_ASSERT_PTR_NULL(gv_config_parse(text, "t.conf", err, sizeof(err)));
	CU_ASSERT_PTR_NULL(strstr(err, "SECRET"));
}

struct prefix_case {
	const char *text;
	int family;            /* 0: an error containing `why` */
	const char *addr;
	uint8_t len;
	const char *why;
};

static const struct prefix_case prefix_cases[] = {
	{ "127.0.0.0/8", AF_INET, "127.0.0.0", 8, NULL },
	{ "10.1.0.0/16", AF_INET, "10.1.0.0", 16, NULL },
	{ "10.0.0.1", AF_INET, "10.0.0.1", 32, NULL },
	{ "10.0.0.1/32", AF_INET, "10.0.0.1", 32, NULL },
	{ "0.0.0.0/0", AF_INET, "0.0.0.0", 0, NULL },
	{ "192.168.1.128/25", AF_INET, "192.168.1.128", 25, NULL },
	{ "::/0", AF_INET6, "::", 0, NULL },
	{ "::1", AF_INET6, "::1", 128, NULL },
	{ "2001:db8::/32", AF_INET6, "2001:db8::", 32, NULL },
	{ "fe80::/10", AF_INET6, "fe80::", 10, NULL },
	{ "10.0.0.1/8", 0, NULL, 0,
	  "host bits set in \"10.0.0.1/8\" (the network is 10.0.0.0/8)" },
	{ "192.168.1.129/25", 0, NULL, 0, "host bits set" },
	{ "2001:db8::1/32", 0, NULL, 0,
	  "host bits set in \"2001:db8::1/32\" "
	  "(the network is 2001:db8::/32)" },
	{ "fe80::/8", 0, NULL, 0, "host bits set" },
	{ "fe80::/9", AF_INET6, "fe80::", 9, NULL },
	{ "10.0.0.0/33", 0, NULL, 0,
	  "prefix length in \"10.0.0.0/33\" must be between 0 and 32" },
	{ "::/129", 0, NULL, 0, "must be between 0 and 128" },
	{ "10.0.0.0/", 0, NULL, 0, "prefix length" },
	{ "10.0.0.0/-1", 0, NULL, 0, "prefix length" },
	{ "10.0.0.0/8x", 0, NULL, 0, "prefix length" },
	{ "10.0.0.0/0008", 0, NULL, 0, "prefix length" },
	{ "300.0.0.0/8", 0, NULL, 0, "is not an IPv4 or IPv6 address" },
	{ "10.0.0/8", 0, NULL, 0, "is not an IPv4 or IPv6 address" },
	{ "localhost", 0, NULL, 0, "is not an IPv4 or IPv6 address" },
	{ "", 0, NULL, 0, "is not an IPv4 or IPv6 address" },
	{ "/8", 0, NULL, 0, "is not an IPv4 or IPv6 address" },
	{ "1:2:3:4:5:6:7:8:9/64", 0, NULL, 0, "is not an IPv4 or IPv6" },
};

static void check_prefix(const struct gv_config *cfg,
                         const struct prefix_case *pc)
{
	const struct gv_prefix *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	p = &cfg->sessions[0].allowed;
	CU_ASSERT(p->family == pc->family && p->len == pc->len &&
	          addr_is(p->addr, pc->family, pc->addr));
}

static void test_prefixes(void)
{
	const struct prefix_case *pc;
	char fields[256];
	struct gv_config *cfg;
	struct text t;
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(prefix_cases); i++) {
		pc = &prefix_cases[i];
		snprintf(fields, sizeof(fields), "%s allow = \"%s\";", S_REQ,
		         pc->text);
		if (pc->family == 0) {
			EXPECT_ERR(conf_session(&t, fields), "t.conf:3: "
			           "sessions[0].allow: ", pc->why);
		} else {
			cfg = PARSE_OK(conf_session(&t, fields));
			check_prefix(cfg, pc);
			gv_config_free(cfg);
		}
		free(t.buf);
	}
}

static void test_endpoints(void)
{
	struct gv_config *cfg;

	cfg = PARSE_OK(CONF_E("order_entry = { address = \"::1\"; port = 1; };"
	                      " market_data = { address = \"239.1.1.1\"; "
	                      "port = 65535; };"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->engine.order_entry.family, AF_INET6);
	CU_ASSERT(addr_is(cfg->engine.order_entry.addr, AF_INET6, "::1"));
	CU_ASSERT_EQUAL(cfg->engine.order_entry.port, 1);
	CU_ASSERT_EQUAL(cfg->engine.market_data.family, AF_INET);
	CU_ASSERT(addr_is(cfg->engine.market_data.addr, AF_INET, "239.1.1.1"));
	CU_ASSERT_EQUAL(cfg->engine.market_data.port, 65535);
	gv_config_free(cfg);
	EXPECT_ERR(CONF_E("order_entry = { address = \"10.0.0.256\"; "
	                  "port = 1; };"), "t.conf:1: engine.order_entry."
	           "address: \"10.0.0.256\" is not an IPv4 or IPv6 address",
	           NULL);
	EXPECT_ERR(CONF_E("market_data = { address = \"mcast.example\"; "
	                  "port = 1; };"), "t.conf:1: engine.market_data."
	           "address: \"mcast.example\" is not an IPv4", NULL);
	EXPECT_ERR(CONF_E("market_data = { address = \"239.1.1.0/24\"; "
	                  "port = 1; };"), "t.conf:1: engine.market_data."
	           "address: ", "is not an IPv4");
}

static void test_offload(void)
{
	struct gv_config *cfg;

	cfg = PARSE_OK(CONF_E("offload = { backend = \"fpga\"; depth = 16; "
	                      "device = \"10ee:903F\"; };"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->engine.offload.backend, "fpga");
	CU_ASSERT_EQUAL(cfg->engine.offload.depth, 16);
	CU_ASSERT_STRING_EQUAL(cfg->engine.offload.device, "10ee:903F");
	gv_config_free(cfg);
	cfg = PARSE_OK(CONF_E("offload = { backend = \"auto\"; };"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->engine.offload.backend, "auto");
	CU_ASSERT_EQUAL(cfg->engine.offload.depth, 64);
	gv_config_free(cfg);
	EXPECT_ERR(CONF_E("offload = { backend = \"gpu\"; };"),
	           "t.conf:1: engine.offload.backend: unknown backend \"gpu\" "
	           "(none, auto, sw, fpga-sim or fpga)", NULL);
	EXPECT_ERR(CONF_E("offload = { backend = 1; };"),
	           "t.conf:1: engine.offload.backend: must be a string", NULL);
	EXPECT_ERR(CONF_E("offload = { depth = 0; };"),
	           "t.conf:1: engine.offload.depth: must be between 1 and 256",
	           NULL);
	EXPECT_ERR(CONF_E("offload = { depth = 257; };"),
	           "t.conf:1: engine.offload.depth: must be between 1 and 256",
	           NULL);
	EXPECT_ERR(CONF_E("offload = { device = \"1234-5678\"; };"),
	           "t.conf:1: engine.offload.device: must be \"vendor:device\"",
	           NULL);
	EXPECT_ERR(CONF_E("offload = { device = \"12345:678\"; };"),
	           "t.conf:1: engine.offload.device: must be", NULL);
	EXPECT_ERR(CONF_E("offload = { backend = \"sw\"; lanes = 2; };"),
	           "t.conf:1: engine.offload.lanes: ", NULL);
	EXPECT_ERR(CONF_E("offload = \"sw\";"),
	           "t.conf:1: engine.offload: must be a group", NULL);
}

static void test_end_of_day(void)
{
	static const struct { const char *text; int32_t s; } cases[] = {
		{ "00:00", 0 }, { "23:59:59", 86399 }, { "21:00", 75600 },
		{ "09:30:15", 9 * 3600 + 30 * 60 + 15 }, { "24:00", -1 },
		{ "21:60", -1 }, { "21:00:60", -1 }, { "9:00", -1 },
		{ "21", -1 }, { "21:00:00:00", -1 }, { "21:00:", -1 },
		{ "", -1 }, { "2100", -1 }, { "21:00 ", -1 }, { "ab:cd", -1 },
	};
	char engine[128], text[512];
	struct gv_config *cfg;
	size_t i;

	for (i = 0; i < GV_ARRAY_SIZE(cases); i++) {
		snprintf(engine, sizeof(engine), "end_of_day = \"%s\";",
		         cases[i].text);
		snprintf(text, sizeof(text), "engine = { %s %s };\n"
		         "instruments = ( { %s } );\n", E_SHARDS, engine,
		         I_REQ);
		if (cases[i].s < 0) {
			EXPECT_ERR(text, "t.conf:1: engine.end_of_day: must "
			           "be \"HH:MM\" or \"HH:MM:SS\" (UTC), got ",
			           NULL);
			continue;
		}
		cfg = PARSE_OK(text);
		CU_ASSERT(cfg != NULL &&
		          cfg->engine.end_of_day_s == cases[i].s);
		gv_config_free(cfg);
	}
}

static void test_stp(void)
{
	static const char *const names[] = { "cancel_newest", "cancel_oldest",
		                             "cancel_both",
		                             "decrement_and_cancel", "none" };
	char fields[256];
	struct gv_config *cfg;
	struct text t;
	unsigned i;

	for (i = 0; i < GV_ARRAY_SIZE(names); i++) {
		snprintf(fields, sizeof(fields), I_REQ " stp = \"%s\";",
		         names[i]);
		cfg = PARSE_OK(conf_instrument(&t, fields));
		CU_ASSERT(cfg != NULL &&
		          cfg->instruments[0].stp_default == i + 1);
		gv_config_free(cfg);
		free(t.buf);
		snprintf(fields, sizeof(fields), I_REQ " stp = %u;", i + 1);
		cfg = PARSE_OK(conf_instrument(&t, fields));
		CU_ASSERT(cfg != NULL &&
		          cfg->instruments[0].stp_default == i + 1);
		gv_config_free(cfg);
		free(t.buf);
	}
	EXPECT_ERR(CONF_I("stp = \"cancel\";"), "t.conf:2: instruments[0].stp: "
	           "must be cancel_newest, cancel_oldest, cancel_both, "
	           "decrement_and_cancel, none or 1..5, got \"cancel\"", NULL);
	EXPECT_ERR(CONF_I("stp = \"CANCEL_NEWEST\";"), "t.conf:2: "
	           "instruments[0].stp: must be cancel_newest", NULL);
	EXPECT_ERR(CONF_I("stp = 0;"), "t.conf:2: instruments[0].stp: must be "
	           "between 1 and 5, got 0", NULL);
	EXPECT_ERR(CONF_I("stp = 6;"), "t.conf:2: instruments[0].stp: must be "
	           "between 1 and 5, got 6", NULL);
}

static void test_rates(void)
{
	struct gv_config *cfg;

	cfg = PARSE_OK(CONF_S("rate_msgs_per_s = 100;"));
	CU_ASSERT(cfg != NULL && cfg->sessions[0].rate_msgs_per_s == 100 &&
	          cfg->sessions[0].rate_burst == 100);
	gv_config_free(cfg);
	cfg = PARSE_OK(CONF_S("rate_msgs_per_s = 100; rate_burst = 1;"));
	CU_ASSERT(cfg != NULL && cfg->sessions[0].rate_burst == 1);
	gv_config_free(cfg);
	cfg = PARSE_OK(CONF_S("rate_burst = 5;"));
	CU_ASSERT(cfg != NULL && cfg->sessions[0].rate_msgs_per_s == 0 &&
	          cfg->sessions[0].rate_burst == 5);
	gv_config_free(cfg);
	EXPECT_ERR(CONF_S("rate_msgs_per_s = 100; rate_burst = 0;"),
	           "t.conf:3: sessions[0].rate_burst: must be at least 1 when "
	           "rate_msgs_per_s is set", NULL);
	EXPECT_ERR(CONF_S("rate_burst = -1;"), "t.conf:3: sessions[0]."
	           "rate_burst: must be between 0 and 4294967295, got -1",
	           NULL);
}

static void test_ports(void)
{
	struct gv_config *cfg;

	cfg = PARSE_OK(CONF_E("ports = [ \"net_pcap0\", \"net_ring0,x=1\" ];"));
	CU_ASSERT(cfg != NULL && cfg->engine.n_ports == 2 &&
	          strcmp(cfg->engine.ports[1], "net_ring0,x=1") == 0);
	gv_config_free(cfg);
	EXPECT_ERR(CONF_E("ports = ( \"\" );"), "t.conf:1: engine.ports[0]: "
	           "must be 1 to 63 printable characters", NULL);
	EXPECT_ERR(CONF_E("ports = ( \"ok\", \"a b\" );"), "t.conf:1: "
	           "engine.ports[1]: must be 1 to 63", NULL);
	EXPECT_ERR(CONF_E("ports = ( \"0123456789012345678901234567890123456789"
	                  "012345678901234567890123\" );"),
	           "t.conf:1: engine.ports[0]: must be 1 to 63", NULL);
	cfg = PARSE_OK(CONF_E("ports = ( \"012345678901234567890123456789012345"
	                      "678901234567890123456789012\" );"));
	CU_ASSERT(cfg != NULL && strlen(cfg->engine.ports[0]) == 63);
	gv_config_free(cfg);
}

/* ---- API --------------------------------------------------------------- */

static void test_prefix_contains(void)
{
	struct gv_prefix p = { .family = AF_INET, .len = 8 };
	uint8_t a[16] = { 0 };

	inet_pton(AF_INET, "10.0.0.0", p.addr);
	inet_pton(AF_INET, "10.255.1.2", a);
	CU_ASSERT(gv_prefix_contains(&p, AF_INET, a));
	inet_pton(AF_INET, "11.0.0.0", a);
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET, a));
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET6, a));

	p.len = 0; /* 0.0.0.0/0 */
	memset(p.addr, 0, sizeof(p.addr));
	CU_ASSERT(gv_prefix_contains(&p, AF_INET, a));
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET6, a));

	p.len = 25;
	inet_pton(AF_INET, "192.168.1.128", p.addr);
	inet_pton(AF_INET, "192.168.1.255", a);
	CU_ASSERT(gv_prefix_contains(&p, AF_INET, a));
	inet_pton(AF_INET, "192.168.1.127", a);
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET, a));
	p.len = 32;
	inet_pton(AF_INET, "192.168.1.128", a);
	CU_ASSERT(gv_prefix_contains(&p, AF_INET, a));
	a[3] ^= 1;
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET, a));

	p.family = AF_INET6;
	p.len = 32;
	inet_pton(AF_INET6, "2001:db8::", p.addr);
	inet_pton(AF_INET6, "2001:db8:ffff::1", a);
	CU_ASSERT(gv_prefix_contains(&p, AF_INET6, a));
	inet_pton(AF_INET6, "2001:db9::", a);
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET6, a));
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET, a));
	p.len = 10;
	inet_pton(AF_INET6, "fe80::", p.addr);
	inet_pton(AF_INET6, "febf::1", a);
	CU_ASSERT(gv_prefix_contains(&p, AF_INET6, a));
	inet_pton(AF_INET6, "fec0::", a);
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET6, a));
	p.len = 128;
	inet_pton(AF_INET6, "::1", p.addr);
	inet_pton(AF_INET6, "::1", a);
	CU_ASSERT(gv_prefix_contains(&p, AF_INET6, a));
	a[15] = 2;
	CU_ASSERT_FALSE(gv_prefix_contains(&p, AF_INET6, a));
	p.len = 0;
	CU_ASSERT(gv_prefix_contains(&p, AF_INET6, a));
}

static void test_lookups(void)
{
	const struct gv_instrument_config *in;
	const struct gv_session_config *s;
	struct gv_config *cfg;
	char path[512], err[512];

	path_in_data(path, sizeof(path), "good.conf");
	cfg = gv_config_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	in = gv_config_instrument(cfg, 2);
	CU_ASSERT(in != NULL && strcmp(in->symbol, "ETHUSD") == 0);
	CU_ASSERT_PTR_EQUAL(gv_config_instrument(cfg, 3), &cfg->instruments[2]);
	CU_ASSERT_PTR_NULL(gv_config_instrument(cfg, 0));
	CU_ASSERT_PTR_NULL(gv_config_instrument(cfg, 99));
	s = gv_config_session(cfg, 3000000000u);
	CU_ASSERT(s != NULL && s->account == 200);
	CU_ASSERT_PTR_EQUAL(gv_config_session(cfg, 1), &cfg->sessions[0]);
	CU_ASSERT_PTR_NULL(gv_config_session(cfg, 4));
	CU_ASSERT_PTR_NULL(gv_config_session(cfg, 0));
	gv_config_free(cfg);
}

/* Equal but for line numbers and path. */
static bool config_equal(struct gv_config *a, struct gv_config *b)
{
	uint32_t i;

	for (i = 0; i < GV_MAX_INSTRUMENTS; i++)
		a->instruments[i].line = b->instruments[i].line = 0;
	for (i = 0; i < GV_MAX_SESSIONS; i++)
		a->sessions[i].line = b->sessions[i].line = 0;
	memset(a->path, 0, sizeof(a->path));
	memset(b->path, 0, sizeof(b->path));
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Dump `cfg` and parse the text back; the text is left in *t. */
static struct gv_config *round_trip(const struct gv_config *cfg,
                                    bool show_keys, struct text *t)
{
	char err[512];
	struct gv_config *back;

	CU_ASSERT_EQUAL(gv_config_dump(cfg, text_open(t), show_keys), 0);
	back = gv_config_parse(text_close(t), "dump.conf", err, sizeof(err));
	if (back == NULL && show_keys)
		fprintf(stderr, "\n  %s\n%s", err, t->buf);
	return back;
}

static void test_dump_round_trip(void)
{
	struct gv_config *cfg, *back, *again;
	char path[512], err[512];
	struct text t, t2;

	path_in_data(path, sizeof(path), "good.conf");
	cfg = gv_config_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	back = round_trip(cfg, true, &t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT(strstr(t.buf, "max_qty = 4294967295L;") != NULL);
	CU_ASSERT(strstr(t.buf, "tick_size = \"0.001\";") != NULL);
	CU_ASSERT(strstr(t.buf, "end_of_day = \"21:00:00\";") != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "key = \"ffeeddccbbaa998877665544"
	                                     "33221100\""));
	/* the dump of the dump is the same text */
	again = round_trip(back, true, &t2);
	CU_ASSERT(again != NULL && strcmp(t.buf, t2.buf) == 0);
	CU_ASSERT(config_equal(cfg, back));
	gv_config_free(again);
	gv_config_free(back);
	free(t.buf);
	free(t2.buf);

	/* keys hidden: 32 'x', which does not load back */
	back = round_trip(cfg, false, &t);
	CU_ASSERT_PTR_NULL(back);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "key = \"xxxxxxxxxxxxxxxxxxxxxxxx"
	                                     "xxxxxxxx\";"));
	CU_ASSERT_PTR_NULL(strstr(t.buf, "000102030405060708090a0b0c0d0e0f"));
	free(t.buf);
	gv_config_free(cfg);

	/* every default written out loads back to the same */
	cfg = PARSE_OK(CONF(E_SHARDS, I_REQ, S_REQ));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	back = round_trip(cfg, true, &t);
	CU_ASSERT(strstr(t.buf, "end_of_day") == NULL);
	CU_ASSERT(strstr(t.buf, "allow = \"0.0.0.0/0\";") != NULL);
	CU_ASSERT(back != NULL && config_equal(cfg, back));
	gv_config_free(back);
	gv_config_free(cfg);
	free(t.buf);
}

static void test_dump_eio(void)
{
	struct gv_config *cfg = PARSE_OK(CONF(E_SHARDS, I_REQ, S_REQ));
	FILE *f = fopen("/dev/full", "w");

	if (f != NULL && cfg != NULL)
		CU_ASSERT_EQUAL(gv_config_dump(cfg, f, true), -EIO);
	if (f != NULL)
		fclose(f);
	gv_config_free(cfg);
}

static void test_api_edges(void)
{
	char err[16];
	char small[24];

	gv_config_free(NULL);
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_config_parse(NULL, "t.conf", err, sizeof(err)));
	CU_ASSERT_EQUAL(gv_errno, EINVAL);
	/* no buffer for the message */
	gv_errno = 0;
	CU_ASSERT_PTR_NULL(gv_config_parse("engine = 5;", "t.conf", NULL, 0));
	CU_ASSERT_EQUAL(gv_errno, GV_ECONFIG);
	/* a short buffer: truncated, still NUL-ended */
	memset(small, 'z', sizeof(small));
	CU_ASSERT_PTR_NULL(gv_config_parse("engine = 5;", "t.conf", small,
	                                   sizeof(small)));
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_NSTRING_EQUAL(small, "t.conf:1: engine: ", 18);
	/* no name */
	CU_ASSERT_PTR_NULL(gv_config_parse("engine = 5;", NULL, small,
	                                   sizeof(small)));
	CU_ASSERT_NSTRING_EQUAL(small, "(string):1: ", 12);
	/* a string spanning lines still gives a one-line message */
	EXPECT_ERR(CONF(E_SHARDS, I_ID " symbol = \"AB\nCD\"; " I_TICK " " I_LOT
	                " " I_QTY " " I_PRICE " " I_SHARD, S_REQ),
	           "t.conf:2: instruments[0].symbol: ", "got \"AB?CD\"");
}

static const struct gv_test tests[] = {
	GV_TEST(test_good_file),
	GV_TEST(test_defaults),
	GV_TEST(test_missing_file),
	GV_TEST(test_bad_files),
	GV_TEST(test_nul_byte),
	GV_TEST(test_syntax_errors),
	GV_TEST(test_unknown_fields),
	GV_TEST(test_wrong_types),
	GV_TEST(test_missing_fields),
	GV_TEST(test_int_ranges),
	GV_TEST(test_int_bounds_accepted),
	GV_TEST(test_large_literals),
	GV_TEST(test_duplicates),
	GV_TEST(test_shard_reference),
	GV_TEST(test_band_reference),
	GV_TEST(test_counts),
	GV_TEST(test_capacity),
	GV_TEST(test_symbols),
	GV_TEST(test_decimals),
	GV_TEST(test_keys),
	GV_TEST(test_keys_not_echoed),
	GV_TEST(test_prefixes),
	GV_TEST(test_endpoints),
	GV_TEST(test_end_of_day),
	GV_TEST(test_stp),
	GV_TEST(test_rates),
	GV_TEST(test_ports),
	GV_TEST(test_offload),
	GV_TEST(test_prefix_contains),
	GV_TEST(test_lookups),
	GV_TEST(test_dump_round_trip),
	GV_TEST(test_dump_eio),
	GV_TEST(test_api_edges),
};

int main(int argc, char **argv)
{
	if (argc > 1)
		g_data_dir = argv[1];
	return gv_test_main("config", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
