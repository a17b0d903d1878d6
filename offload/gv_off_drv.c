/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_off_drv.c - the register-level driver of the matching core.
 *
 * Design: the host keeps its own copies of the four ring indices and
 * touches the device only when they say it must: submit_burst re-reads
 * CMD_HEAD only when its copy shows too little room, poll_burst re-reads
 * EVT_TAIL only when its copy shows no events. A burst is 4 writes a
 * command plus one doorbell; 3 or 4 reads an event plus one EVT_HEAD
 * write. Every index read from the device is checked against the ring
 * size: a device that has gone (PCIe reads complete as all-ones) or is
 * broken shows up as -EIO, which makes the framework fail over to "sw".
 *
 * Bounds: bursts are capped by the ring sizes; the only wait is the
 * poll_burst spin, capped at GV_OFF_DRV_SPIN_MAX status reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gv_off_drv.h"

static inline uint32_t rd(const struct gv_off_drv *d, uint32_t reg)
{
	return d->bus.read32(d->bus.arg, reg);
}

static inline void wr(const struct gv_off_drv *d, uint32_t reg, uint32_t v)
{
	d->bus.write32(d->bus.arg, reg, v);
}

int gv_off_drv_probe(struct gv_off_drv *d, const struct gv_off_bus *bus,
                     char *why, size_t whylen)
{
	uint32_t id, qsize;

	GV_VERIFY(d != NULL && bus != NULL && bus->read32 && bus->write32);
	memset(d, 0, sizeof(*d));
	d->bus = *bus;
	id = rd(d, GV_OFF_REG_ID);
	if (id != GV_OFF_HW_ID) {
		snprintf(why, whylen, "not a gavel matching core (ID %08x, "
		         "expected %08x)", id, GV_OFF_HW_ID);
		return -ENODEV;
	}
	d->version = rd(d, GV_OFF_REG_VERSION);
	if (d->version >> 16 != GV_OFF_HW_VERSION_MAJOR) {
		snprintf(why, whylen, "core version %u.%u, driver speaks %u.x",
		         d->version >> 16, d->version & 0xffffu,
		         GV_OFF_HW_VERSION_MAJOR);
		return -ENODEV;
	}
	d->caps = rd(d, GV_OFF_REG_CAPS);
	d->depth_hw = rd(d, GV_OFF_REG_DEPTH);
	qsize = rd(d, GV_OFF_REG_QSIZE);
	d->cq = qsize & 0xffffu;
	d->eq = qsize >> 16;
	if (!GV_IS_POW2(d->cq) || !GV_IS_POW2(d->eq) || d->depth_hw == 0 ||
	    d->depth_hw > GV_OFFLOAD_DEPTH_MAX ||
	    (d->caps & GV_OFF_CAP_MATCH) == 0) {
		snprintf(why, whylen, "core reports caps %x depth %u rings "
		         "%u/%u: unusable", d->caps, d->depth_hw, d->cq, d->eq);
		return -ENODEV;
	}
	return 0;
}

int gv_off_drv_init(struct gv_off_drv *d, const struct gv_off_bus *bus,
                    uint32_t depth, char *why, size_t whylen)
{
	int rc = gv_off_drv_probe(d, bus, why, whylen);

	if (rc < 0)
		return rc;
	if (depth == 0 || depth > d->depth_hw) {
		snprintf(why, whylen, "depth %u: the core holds 1..%u levels",
		         depth, d->depth_hw);
		return -EINVAL;
	}
	wr(d, GV_OFF_REG_CONTROL, 1);           /* soft reset */
	wr(d, GV_OFF_REG_DEPTH_LIMIT, depth);
	if (rd(d, GV_OFF_REG_DEPTH_LIMIT) != depth ||
	    rd(d, GV_OFF_REG_CMD_HEAD) != 0 || rd(d, GV_OFF_REG_EVT_TAIL) != 0) {
		snprintf(why, whylen, "core did not come out of reset");
		return -ENODEV;
	}
	d->cmd_tail = d->cmd_head = d->evt_head = d->evt_tail = 0;
	GV_ASSERT(GV_IS_POW2(d->cq) && GV_IS_POW2(d->eq));
	return 0;
}

static void put_cmd(const struct gv_off_drv *d, uint32_t idx,
                    const struct gv_off_cmd *c)
{
	uint32_t a = GV_OFF_WIN_CMD + (idx & (d->cq - 1)) * GV_OFF_SLOT_BYTES;

	wr(d, a + 0, (uint32_t)c->type | (uint32_t)c->side << 8);
	wr(d, a + 4, c->tag);
	wr(d, a + 8, c->price);
	wr(d, a + 12, c->qty);
}

int gv_off_drv_submit_burst(struct gv_off_drv *d, const struct gv_off_cmd *c,
                            uint32_t n)
{
	uint32_t room, i;

	if (c == NULL && n > 0)
		return -EINVAL;
	room = d->cq - (d->cmd_tail - d->cmd_head);
	if (room < n) {
		uint32_t head = rd(d, GV_OFF_REG_CMD_HEAD);

		/* The core's head lies between ours and our tail. */
		if (head - d->cmd_head > d->cmd_tail - d->cmd_head)
			return -EIO;
		d->cmd_head = head;
		room = d->cq - (d->cmd_tail - d->cmd_head);
	}
	GV_ASSERT(room <= d->cq);
	n = GV_MIN(n, room);
	for (i = 0; i < n; i++)
		put_cmd(d, d->cmd_tail + i, &c[i]);
	if (n > 0) {
		d->cmd_tail += n;
		d->inflight = true;
		wr(d, GV_OFF_REG_CMD_TAIL, d->cmd_tail);
	}
	return (int)n;
}

static void get_ev(const struct gv_off_drv *d, uint32_t idx,
                   struct gv_off_ev *e)
{
	uint32_t a = GV_OFF_WIN_EVT + (idx & (d->eq - 1)) * GV_OFF_SLOT_BYTES;
	uint32_t w0 = rd(d, a);

	memset(e, 0, sizeof(*e));
	e->type = (uint8_t)w0;
	e->beyond = (uint8_t)((w0 >> 8) & 1u);
	e->tag = rd(d, a + 4);
	/* Fields a type does not use stay 0 (as in "sw"): skip their reads. */
	if (e->type == GV_OFF_EV_LEVEL)
		e->price = rd(d, a + 8);
	if (e->type == GV_OFF_EV_ERROR)
		e->code = (int32_t)rd(d, a + 12);
	else
		e->qty = rd(d, a + 12);
}

/*
 * Wait (bounded) until the core is idle or its event ring is full, then
 * read EVT_TAIL. Waiting for idle rather than for the first event makes a
 * poll after a submit return every event of the burst, as "sw" does.
 */
static int refresh_evt_tail(struct gv_off_drv *d)
{
	uint32_t tail, i;

	for (i = 0; d->inflight && i < GV_OFF_DRV_SPIN_MAX; i++) {
		uint32_t st = rd(d, GV_OFF_REG_STATUS);

		if (st == 0xffffffffu)
			return -EIO;        /* STATUS[31:5] read as 0 */
		if (!(st & GV_OFF_ST_BUSY)) {
			d->cmd_head = d->cmd_tail;
			d->inflight = false;
			break;
		}
		if (st & GV_OFF_ST_EVT_FULL)
			break;
	}
	tail = rd(d, GV_OFF_REG_EVT_TAIL);
	if (tail - d->evt_head > d->eq)
		return -EIO;
	d->evt_tail = tail;
	return 0;
}

int gv_off_drv_poll_burst(struct gv_off_drv *d, struct gv_off_ev *ev,
                          uint32_t n)
{
	uint32_t avail, i;
	int rc;

	if (ev == NULL && n > 0)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (d->evt_tail == d->evt_head) {
		rc = refresh_evt_tail(d);
		if (rc < 0)
			return rc;
	}
	avail = d->evt_tail - d->evt_head;
	GV_ASSERT(avail <= d->eq);
	n = GV_MIN(n, avail);
	for (i = 0; i < n; i++)
		get_ev(d, d->evt_head + i, &ev[i]);
	if (n > 0) {
		d->evt_head += n;
		wr(d, GV_OFF_REG_EVT_HEAD, d->evt_head);
	}
	return (int)n;
}
