/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_offload.h - the price-level matching offload (docs/offload.md).
 *
 * The host (book/) owns the truth: every order, its queue position, its
 * owner. A backend owns a mirror of the price levels near the touch of
 * one instrument's book: aggregate open quantity per price, per side, for
 * at most `depth` levels per side, and answers the question that dominates
 * matching: given an aggressive order (side, limit, quantity), which
 * levels cross and how much trades at each? The host then allocates each
 * level's quantity to the resting orders in FIFO order.
 *
 * Backends ("sw" reference, "fpga-sim" = the RTL in hw/ under Verilator,
 * "fpga" = a PCIe card through VFIO, "fault" = fault injection around
 * another backend) register a `static const struct gv_offload_ops` with
 * GV_OFFLOAD_REGISTER (a constructor). The framework allocates each
 * backend instance's state from ctx_size(); hot-path pointers are copied
 * where they are used.
 *
 * Commands and results go through bursts: submit_burst queues commands,
 * poll_burst returns results, both return counts (DPDK style). A command
 * that changes the mirror returns no result unless it fails; a MATCH
 * returns one GV_OFF_EV_LEVEL per crossed level (price, quantity), then
 * one GV_OFF_EV_DONE with the remainder and whether the match ran past the
 * levels the mirror holds (`beyond`: the host must continue itself).
 *
 * Mirror rules (every backend, bit for bit; the conformance suite checks):
 *  - Per side, the mirror holds at most `depth` levels: the best prices it
 *    has been given. A SET/ADD for a new price worse than the worst held
 *    level of a full side is not held; the side becomes "truncated".
 *    A SET/ADD of a better price into a full side evicts the worst held
 *    level, and the side becomes truncated.
 *  - On a truncated side, a SET/ADD of a new price worse than the worst
 *    held level is never held, whether or not the side is full (the host
 *    may hold better prices the mirror dropped); a truncated side with no
 *    level held holds no new price until CLEAR. A new price better than
 *    the worst held level of a truncated side that is not full is
 *    inserted. So the held levels are always the host's best ones.
 *  - ADD to a price not held inserts it (as SET); REDUCE below zero or of
 *    a price not held is an error (GV_OFF_EV_ERROR, -EINVAL); SET 0,
 *    REDUCE to 0 remove the level. Quantities are u32; an ADD that would
 *    overflow is an error (-ERANGE).
 *  - MATCH does not change the mirror: the host sends the REDUCEs for what
 *    it allocates. It walks the opposite side's held levels best first
 *    while the level crosses the limit (a buy crosses asks at price <=
 *    limit, a sell bids at price >= limit) and quantity remains, emitting
 *    LEVEL(price, min(level qty, remaining)). DONE carries the remainder,
 *    and beyond = 1 iff the remainder is > 0, every held level of that
 *    side was crossed, and the side is truncated.
 *  - CLEAR empties both sides and clears the truncated flags.
 * Results come back in command order; tags are echoed.
 */
#ifndef GV_OFFLOAD_H
#define GV_OFFLOAD_H

#include "gv_common.h"

#define GV_OFFLOAD_ABI 1
#define GV_OFFLOAD_MAX_BACKENDS 8
#define GV_OFFLOAD_DEPTH_MAX 256

enum gv_off_cmd_type {
	GV_OFF_CMD_SET = 1,        /* level (side, price) := qty (0 = remove) */
	GV_OFF_CMD_ADD,            /* level += qty */
	GV_OFF_CMD_REDUCE,         /* level -= qty (to 0 = remove) */
	GV_OFF_CMD_MATCH,          /* aggressive order: side, limit, qty */
	GV_OFF_CMD_CLEAR,          /* drop every level (re-seed follows) */
};

enum gv_off_ev_type {
	GV_OFF_EV_LEVEL = 1,       /* a crossed level: price, qty traded */
	GV_OFF_EV_DONE,            /* end of a match: remainder, beyond */
	GV_OFF_EV_ERROR,           /* a command failed: code = -errno */
};

/* side: 1 buy, 2 sell (as GOE/1). For MATCH, `side` is the aggressor's:
 * a buy matches the ask levels at or below `price`. */
struct gv_off_cmd {
	uint8_t type;
	uint8_t side;
	uint16_t reserved;
	uint32_t tag;              /* echoed in results */
	uint32_t price;            /* ticks */
	uint32_t qty;              /* lots */
};

struct gv_off_ev {
	uint8_t type;
	uint8_t beyond;            /* DONE: levels past the mirror may cross */
	uint16_t reserved;
	uint32_t tag;
	uint32_t price;            /* LEVEL */
	uint32_t qty;              /* LEVEL: traded here; DONE: remainder */
	int32_t code;              /* ERROR */
};

/* Capability bits. */
#define GV_OFF_CAP_MATCH   0x1u    /* answers MATCH */
#define GV_OFF_CAP_LEVELS  0x2u    /* keeps a level mirror */
#define GV_OFF_CAP_HW      0x4u    /* real or simulated hardware */

struct gv_offload_params {
	uint32_t depth;            /* levels per side, 1..GV_OFFLOAD_DEPTH_MAX */
	const char *device;        /* backend-specific (fpga: "vendor:device") */
	/* fault backend: the wrapped backend and which call fails */
	const char *inner;
	uint64_t fail_at;          /* the Nth submit/poll call (1-based) */
	bool fail_forever;         /* from then on, else once */
};

/*
 * The ops table. Members are only ever appended; `abi` says which exist.
 * Every function returns 0 or -errno; the bursts return counts or -errno.
 * An op a backend does not support is NULL or returns -ENOTSUP.
 */
struct gv_offload_ops {
	uint32_t abi;              /* GV_OFFLOAD_ABI */
	const char *name;
	int prio;                  /* "auto" picks the highest that probes */
	uint32_t caps;
	/* Is the backend usable here? 0, or -errno with a message in why. */
	int (*probe)(const struct gv_offload_params *p, char *why, size_t n);
	size_t (*ctx_size)(const struct gv_offload_params *p);
	int (*init)(void *ctx, const struct gv_offload_params *p);
	void (*fini)(void *ctx);
	/* Queue up to n commands; returns how many were taken. */
	int (*submit_burst)(void *ctx, const struct gv_off_cmd *c, uint32_t n);
	/* Take up to n results; returns how many. */
	int (*poll_burst)(void *ctx, struct gv_off_ev *ev, uint32_t n);
};

/* Registration (called by GV_OFFLOAD_REGISTER's constructor). */
void gv_offload_register(const struct gv_offload_ops *ops);

#define GV_OFFLOAD_REGISTER(ops)                                         \
	__attribute__((constructor)) static void gv_offload_reg_##ops(void) \
	{                                                                 \
		gv_offload_register(&(ops));                              \
	}

/* An instance: the ops, counters, and the backend's state after it. */
struct gv_offload {
	const struct gv_offload_ops *ops;
	uint64_t submitted, polled, errors;
	void *ctx;
};

/*
 * Make an instance of backend `name` ("auto": the highest-priority one
 * whose probe passes). Returns NULL and sets gv_errno: ENOENT (no such
 * backend), ENODEV (probe failed; `why` says why), EINVAL, ENOMEM.
 */
struct gv_offload *gv_offload_create(const char *name,
                                     const struct gv_offload_params *p,
                                     char *why, size_t whylen);
void gv_offload_free(struct gv_offload *o);

/* Registered backends, for listing. */
uint32_t gv_offload_count(void);
const struct gv_offload_ops *gv_offload_at(uint32_t i);

/*
 * Queue `n` mirror commands (SET/ADD/REDUCE/CLEAR), all of them: a backend
 * that takes fewer is retried a bounded number of times (a hardware queue
 * drains on its own). Tags are the running submit count. The commands'
 * ERROR results, if any, surface at the next gv_offload_match().
 * Returns 0 or -errno (-ETIMEDOUT: the queue never drained; a backend
 * error). Any error means the mirror is lost: re-seed or fall back.
 */
int gv_offload_submit(struct gv_offload *o, struct gv_off_cmd *c, uint32_t n);

/*
 * Convenience for the host: run one MATCH to completion (submit, poll
 * until DONE) and return the crossed levels in `lv` (price, qty), their
 * count in *nlv, the remainder and `beyond`. Returns 0 or -errno (a
 * backend fault: the caller falls back to "sw" after re-seeding).
 */
int gv_offload_match(struct gv_offload *o, uint8_t side, uint32_t limit,
                     uint32_t qty, struct gv_off_ev *lv, uint32_t maxlv,
                     uint32_t *nlv, uint32_t *remainder, bool *beyond);

#endif /* GV_OFFLOAD_H */
