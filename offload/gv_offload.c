/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_offload.c - the offload framework: backend registry, selection,
 * instance allocation, and the host's one-shot MATCH helper.
 *
 * Structure: a fixed table of GV_OFFLOAD_MAX_BACKENDS ops pointers, kept
 * sorted by priority (highest first, ties by name) so that "auto" is a
 * linear scan and listing order is deterministic whatever order the
 * constructors ran in. Registration happens before main() (constructors);
 * the table is read-only afterwards, so lookups need no lock.
 *
 * An instance is one cache-aligned allocation: struct gv_offload, then the
 * backend's state (ctx_size() bytes) on the next cache line.
 *
 * Bounds: registry scans are at most GV_OFFLOAD_MAX_BACKENDS; the MATCH
 * helper polls at most MATCH_POLL_MAX times.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_errno.h"
#include "gv_offload.h"

/* Polls (and submit retries) gv_offload_match allows before -ETIMEDOUT. */
#define MATCH_POLL_MAX 1000000u
#define MATCH_EV_BURST 32u

GV_STATIC_ASSERT(sizeof(struct gv_off_cmd) == 16, "gv_off_cmd is 16 bytes");
GV_STATIC_ASSERT(sizeof(struct gv_off_ev) == 20, "gv_off_ev is 20 bytes");
GV_STATIC_ASSERT(offsetof(struct gv_offload_ops, abi) == 0,
                 "the ABI version is the first member");

static const struct gv_offload_ops *g_backends[GV_OFFLOAD_MAX_BACKENDS];
static uint32_t g_nbackends;

__attribute__((format(printf, 3, 4)))
static void set_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || n == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

/* Ordering of the table: higher prio first, then by name. */
static bool goes_before(const struct gv_offload_ops *a,
                        const struct gv_offload_ops *b)
{
	if (a->prio != b->prio)
		return a->prio > b->prio;
	return strcmp(a->name, b->name) < 0;
}

static const struct gv_offload_ops *find_backend(const char *name)
{
	uint32_t i;

	GV_ASSERT(g_nbackends <= GV_OFFLOAD_MAX_BACKENDS);
	for (i = 0; i < g_nbackends; i++)
		if (strcmp(g_backends[i]->name, name) == 0)
			return g_backends[i];
	return NULL;
}

void gv_offload_register(const struct gv_offload_ops *ops)
{
	uint32_t i;

	/* A malformed ops table is a bug in gavel, not bad input. */
	GV_VERIFY(ops != NULL && ops->abi >= 1 && ops->name != NULL);
	GV_VERIFY(ops->ctx_size != NULL && ops->init != NULL);
	if (find_backend(ops->name) != NULL) {
		fprintf(stderr, "offload: backend \"%s\" registered twice; "
		        "the second is refused\n", ops->name);
		return;
	}
	GV_VERIFY(g_nbackends < GV_OFFLOAD_MAX_BACKENDS);

	i = g_nbackends;
	while (i > 0 && goes_before(ops, g_backends[i - 1])) {
		g_backends[i] = g_backends[i - 1];
		i--;
	}
	g_backends[i] = ops;
	g_nbackends++;
	GV_ASSERT(i + 1 == g_nbackends ||
	          goes_before(g_backends[i], g_backends[i + 1]));
}

uint32_t gv_offload_count(void)
{
	GV_ASSERT(g_nbackends <= GV_OFFLOAD_MAX_BACKENDS);
	return g_nbackends;
}

const struct gv_offload_ops *gv_offload_at(uint32_t i)
{
	GV_ASSERT(g_nbackends <= GV_OFFLOAD_MAX_BACKENDS);
	return i < g_nbackends ? g_backends[i] : NULL;
}

static int probe(const struct gv_offload_ops *ops,
                 const struct gv_offload_params *p, char *why, size_t n)
{
	int rc;

	if (ops->probe == NULL)
		return 0;
	rc = ops->probe(p, why, n);
	GV_VERIFY(rc <= 0);
	if (rc < 0 && why != NULL && n > 0 && why[0] == '\0')
		set_why(why, n, "%s: %s", ops->name, gv_strerror(rc));
	return rc;
}

static struct gv_offload *instantiate(const struct gv_offload_ops *ops,
                                      const struct gv_offload_params *p,
                                      char *why, size_t n)
{
	size_t head = GV_ALIGN_UP(sizeof(struct gv_offload),
	                          (size_t)GV_CACHE_LINE);
	size_t ctx = ops->ctx_size(p);
	struct gv_offload *o;
	int rc;

	if (ctx > ((size_t)1 << 40)) {
		gv_errno = ENOMEM;
		set_why(why, n, "%s: state size: %s", ops->name,
		        gv_strerror(ENOMEM));
		return NULL;
	}
	ctx = GV_ALIGN_UP(ctx, (size_t)GV_CACHE_LINE);
	o = aligned_alloc(GV_CACHE_LINE, head + ctx);
	if (o == NULL) {
		gv_errno = ENOMEM;
		set_why(why, n, "%s: %s", ops->name, gv_strerror(ENOMEM));
		return NULL;
	}
	memset(o, 0, head + ctx);
	o->ops = ops;
	o->ctx = (char *)o + head;
	GV_ASSERT(((uintptr_t)o->ctx % GV_CACHE_LINE) == 0);

	rc = ops->init(o->ctx, p);
	if (rc < 0) {
		gv_errno = -rc;
		set_why(why, n, "%s: init: %s", ops->name, gv_strerror(rc));
		free(o);
		return NULL;
	}
	GV_VERIFY(rc == 0);
	return o;
}

/*
 * "auto": the highest-priority backend (prio >= 0) whose probe passes. One
 * whose probe passes but whose init then fails is skipped too, so that a
 * half-working card degrades to the next backend ("sw" at worst) rather
 * than to no offload at all; `why` keeps the last reason.
 */
static struct gv_offload *create_auto(const struct gv_offload_params *p,
                                      char *why, size_t n)
{
	struct gv_offload *o;
	uint32_t i;

	for (i = 0; i < g_nbackends; i++) {
		if (g_backends[i]->prio < 0)
			continue;
		if (why != NULL && n > 0)
			why[0] = '\0';
		if (probe(g_backends[i], p, why, n) < 0)
			continue;
		o = instantiate(g_backends[i], p, why, n);
		if (o != NULL)
			return o;
	}
	gv_errno = ENODEV;
	return NULL;
}

struct gv_offload *gv_offload_create(const char *name,
                                     const struct gv_offload_params *p,
                                     char *why, size_t whylen)
{
	const struct gv_offload_ops *ops;
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (name == NULL || p == NULL) {
		gv_errno = EINVAL;
		set_why(why, whylen, "no backend name or parameters");
		return NULL;
	}
	if (p->depth < 1 || p->depth > GV_OFFLOAD_DEPTH_MAX) {
		gv_errno = EINVAL;
		set_why(why, whylen, "depth %u is out of 1..%u", p->depth,
		        (unsigned)GV_OFFLOAD_DEPTH_MAX);
		return NULL;
	}
	if (strcmp(name, "auto") == 0)
		return create_auto(p, why, whylen);
	ops = find_backend(name);
	if (ops == NULL) {
		gv_errno = ENOENT;
		set_why(why, whylen, "no offload backend \"%s\"", name);
		return NULL;
	}
	rc = probe(ops, p, why, whylen);
	if (rc < 0) {
		gv_errno = ENODEV;
		return NULL;
	}
	return instantiate(ops, p, why, whylen);
}

void gv_offload_free(struct gv_offload *o)
{
	if (o == NULL)
		return;
	GV_VERIFY(o->ops != NULL);
	if (o->ops->fini != NULL)
		o->ops->fini(o->ctx);
	free(o);
}

struct match_state {
	uint32_t tag;
	struct gv_off_ev *lv;
	uint32_t maxlv, nlv;
	int err;                  /* first error seen, 0 if none */
	bool done;
};

/* Take one event. Events with other tags belong to earlier commands:
 * their ERRORs are reported (the host must re-seed), the rest dropped. */
static void match_take(struct gv_offload *o, struct match_state *m,
                       const struct gv_off_ev *e)
{
	if (e->type == GV_OFF_EV_ERROR) {
		o->errors++;
		if (m->err == 0)
			m->err = e->code < 0 ? e->code : -EIO;
		if (e->tag == m->tag)
			m->done = true;
		return;
	}
	if (e->tag != m->tag)
		return;
	if (e->type == GV_OFF_EV_DONE) {
		m->done = true;
		return;
	}
	if (e->type != GV_OFF_EV_LEVEL) {
		if (m->err == 0)
			m->err = -EPROTO;
		return;
	}
	if (m->nlv < m->maxlv)
		m->lv[m->nlv++] = *e;
	else if (m->err == 0)
		m->err = -ENOSPC;
}

/*
 * Queue all n commands, tagged with the running submit count. A full
 * command queue may drain on its own (hardware): retries are bounded by
 * *budget (shared with the caller's polls), then -ETIMEDOUT.
 */
static int submit_all(struct gv_offload *o, struct gv_off_cmd *c, uint32_t n,
                      uint32_t *budget)
{
	uint32_t i;
	int rc;

	for (i = 0; i < n; i++)
		c[i].tag = (uint32_t)(o->submitted + i);
	while (n > 0) {
		rc = o->ops->submit_burst(o->ctx, c, n);
		if (rc < 0) {
			o->errors++;
			return rc;
		}
		GV_VERIFY((uint32_t)rc <= n);
		o->submitted += (uint32_t)rc;
		c += rc;
		n -= (uint32_t)rc;
		if (rc == 0 && (*budget)-- == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

int gv_offload_submit(struct gv_offload *o, struct gv_off_cmd *c, uint32_t n)
{
	uint32_t budget = MATCH_POLL_MAX;

	if (o == NULL || (c == NULL && n > 0))
		return -EINVAL;
	if (o->ops->submit_burst == NULL ||
	    !(o->ops->caps & GV_OFF_CAP_LEVELS))
		return -ENOTSUP;
	return submit_all(o, c, n, &budget);
}

int gv_offload_match(struct gv_offload *o, uint8_t side, uint32_t limit,
                     uint32_t qty, struct gv_off_ev *lv, uint32_t maxlv,
                     uint32_t *nlv, uint32_t *remainder, bool *beyond)
{
	struct gv_off_ev ev[MATCH_EV_BURST];
	struct gv_off_cmd c = {
		.type = GV_OFF_CMD_MATCH, .side = side,
		.price = limit, .qty = qty,
	};
	struct match_state m = { .lv = lv, .maxlv = maxlv };
	uint32_t budget = MATCH_POLL_MAX;
	int rc, i;

	if (o == NULL || (lv == NULL && maxlv > 0) || nlv == NULL ||
	    remainder == NULL || beyond == NULL)
		return -EINVAL;
	if (o->ops->submit_burst == NULL || o->ops->poll_burst == NULL ||
	    !(o->ops->caps & GV_OFF_CAP_MATCH))
		return -ENOTSUP;
	*nlv = 0;
	rc = submit_all(o, &c, 1, &budget);
	if (rc < 0)
		return rc;
	m.tag = c.tag;

	while (!m.done) {
		if (budget-- == 0)
			return -ETIMEDOUT;
		rc = o->ops->poll_burst(o->ctx, ev, MATCH_EV_BURST);
		if (rc < 0) {
			o->errors++;
			return rc;
		}
		GV_VERIFY((uint32_t)rc <= MATCH_EV_BURST);
		o->polled += (uint32_t)rc;
		for (i = 0; i < rc && !m.done; i++) {
			match_take(o, &m, &ev[i]);
			if (m.done && ev[i].type == GV_OFF_EV_DONE) {
				*remainder = ev[i].qty;
				*beyond = ev[i].beyond != 0;
			}
		}
		/* Results come in command order: nothing may follow our
		 * DONE. A backend that says otherwise is faulty. */
		if (i < rc && m.err == 0)
			m.err = -EPROTO;
	}
	*nlv = m.nlv;
	return m.err;
}
