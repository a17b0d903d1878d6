/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_config.h - the engine's configuration: engine, instruments, sessions
 * (protocol.md section 4), read from one libconfig file.
 *
 * The file is checked whole at load: every field's type and range, unknown
 * fields (a typo must not silently fall back to a default), duplicates, and
 * cross references (an instrument's shard must exist). The first problem
 * found is reported as "FILE:LINE: PATH: what is wrong", e.g.
 *   gavel.conf:14: instruments[1].max_qty: must be between 1 and 4294967295
 *
 * All numbers are integers: prices in ticks, quantities in lots. Tick and
 * lot sizes are exact decimals kept as mantissa and power of ten, for
 * display and conversion at the edges only.
 */
#ifndef GV_CONFIG_H
#define GV_CONFIG_H

#include <stdio.h>

#include "gv_common.h"
#include "gv_limits.h"

/* An exact decimal: value = mantissa / 10^scale. */
struct gv_decimal {
	uint64_t mantissa;
	uint8_t scale; /* 0..18 */
};

/* An IPv4 or IPv6 prefix, e.g. 10.1.0.0/16 or ::1/128. */
struct gv_prefix {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes */
	uint8_t len;       /* prefix length in bits */
};

struct gv_instrument_config {
	uint32_t id;                      /* 1..65535, the ITCH stock locate */
	char symbol[GV_SYMBOL_LEN + 1];   /* 1..8 chars [A-Z0-9._-], NUL-ended */
	struct gv_decimal tick_size;      /* quote currency per tick, > 0 */
	struct gv_decimal lot_size;       /* base units per lot, > 0 */
	uint64_t min_qty_lots;            /* 1..max_qty_lots; default 1 */
	uint64_t max_qty_lots;            /* ..GV_QTY_MAX */
	uint64_t max_price_ticks;         /* 1..GV_PRICE_MAX */
	uint64_t max_notional;            /* price_ticks x qty_lots; 0 = none */
	uint32_t price_band_bps;          /* 0 = off, ..GV_BAND_BPS_MAX */
	uint64_t reference_price_ticks;   /* 0 = none (required if band > 0) */
	uint32_t shard;                   /* an id in engine.shards */
	uint8_t stp_default;              /* 1..4 as on the wire (GOE/1 stp),
	                                     5 = none (no prevention) */
	int line;                         /* where it was defined */
};

struct gv_session_config {
	uint32_t id;                      /* non-zero, unique */
	uint32_t account;                 /* non-zero; STP scope */
	uint8_t key[GV_KEY_LEN];          /* SipHash-2-4 key, 32 hex digits */
	uint32_t rate_msgs_per_s;         /* 0 = unlimited */
	uint32_t rate_burst;              /* bucket size; >= 1 if rate set */
	struct gv_prefix allowed;         /* source prefix; default 0.0.0.0/0 */
	uint32_t shard;                   /* the shard serving it; default the
	                                     first of engine.shards */
	int line;
};

struct gv_shard_config {
	uint32_t id;                      /* 0..GV_MAX_SHARDS-1, unique */
	uint32_t lcore;                   /* 0..GV_MAX_LCORES-1, unique */
};

struct gv_endpoint {
	int family;                       /* AF_INET or AF_INET6; 0 = unset */
	uint8_t addr[16];
	uint16_t port;
};

/* engine.offload: the price-level matching offload (docs/offload.md). */
struct gv_offload_config {
	char backend[16];                 /* none|auto|sw|fpga-sim|fpga */
	uint32_t depth;                   /* levels per side; default 64 */
	char device[16];                  /* fpga: "vendor:device" (hex) */
};

struct gv_engine_config {
	int32_t end_of_day_s;             /* seconds after 00:00 UTC; -1 = none */
	uint32_t orders_per_shard;        /* order pool size; default 1<<20 */
	uint32_t resend_history;          /* per session, power of two */
	uint32_t n_shards;
	struct gv_shard_config shards[GV_MAX_SHARDS];
	uint32_t n_ports;
	char ports[GV_MAX_PORTS][64];     /* DPDK device names */
	struct gv_endpoint order_entry;   /* gavel's GOE/1 address and port */
	struct gv_endpoint market_data;   /* MoldUDP64 destination (shard 0;
	                                     shard k sends to port + k) */
	struct gv_offload_config offload; /* default: backend "none" */
};

struct gv_config {
	char path[256];
	struct gv_engine_config engine;
	uint32_t n_instruments;
	struct gv_instrument_config instruments[GV_MAX_INSTRUMENTS];
	uint32_t n_sessions;
	struct gv_session_config sessions[GV_MAX_SESSIONS];
};

/*
 * Load and check a config file.
 * Returns a config to free with gv_config_free, or NULL with gv_errno set
 * (ENOENT/EACCES: unreadable, GV_ECONFIG: invalid, ENOMEM) and a one-line
 * message in `err` (always NUL-terminated when errlen > 0).
 */
struct gv_config *gv_config_load(const char *path, char *err, size_t errlen);

/*
 * The same from text in memory; `name` stands for the file name in
 * messages. Errors as gv_config_load (never ENOENT).
 */
struct gv_config *gv_config_parse(const char *text, const char *name,
                                  char *err, size_t errlen);

/* NULL is a no-op. */
void gv_config_free(struct gv_config *cfg);

/* Lookups by id; NULL when absent. */
const struct gv_instrument_config *
gv_config_instrument(const struct gv_config *cfg, uint32_t id);
const struct gv_session_config *
gv_config_session(const struct gv_config *cfg, uint32_t id);

/* True if `addr` (network order, 4 or 16 bytes per family) is in `p`. */
bool gv_prefix_contains(const struct gv_prefix *p, int family,
                        const uint8_t *addr);

/*
 * Print the config in the file's own syntax with every default filled in.
 * Session keys are printed only if `show_keys`, else as 32 'x'. With keys
 * shown, the output loads back to an equal config (line numbers aside).
 * Returns 0 or -EIO.
 */
int gv_config_dump(const struct gv_config *cfg, FILE *out, bool show_keys);

#endif /* GV_CONFIG_H */
