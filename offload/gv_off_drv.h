/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_off_drv.h - the register-level driver of the matching core (hw/,
 * docs/offload.md "Register map"). One driver for every place the core
 * lives: "fpga-sim" gives it the Verilated model's bus, "fpga" a PCIe BAR
 * mapped through VFIO. It only ever does 32-bit reads and writes.
 *
 * Commands go into the command ring (4 words a slot) and the doorbell
 * (CMD_TAIL) is rung once per burst; events are read from the event ring
 * and EVT_HEAD is written once per burst. Ring indices are free-running
 * 32-bit counts; a slot is count mod ring size.
 */
#ifndef GV_OFF_DRV_H
#define GV_OFF_DRV_H

#include "gv_offload.h"

/* The bus: how the driver reaches the registers. */
struct gv_off_bus {
	uint32_t (*read32)(void *arg, uint32_t addr);
	void (*write32)(void *arg, uint32_t addr, uint32_t val);
	void *arg;
};

/* Register map (byte offsets in BAR0). RO read-only, WO write-only,
 * RW read-write, W1C write 1 to clear. */
#define GV_OFF_REG_ID          0x0000u  /* RO  GV_OFF_HW_ID */
#define GV_OFF_REG_VERSION     0x0004u  /* RO  major << 16 | minor */
#define GV_OFF_REG_CAPS        0x0008u  /* RO  GV_OFF_CAP_* */
#define GV_OFF_REG_DEPTH       0x000Cu  /* RO  levels per side (synthesis) */
#define GV_OFF_REG_QSIZE       0x0010u  /* RO  evt slots << 16 | cmd slots */
#define GV_OFF_REG_CONTROL     0x0014u  /* WO  bit 0: soft reset */
#define GV_OFF_REG_STATUS      0x0018u  /* RO  GV_OFF_ST_* */
#define GV_OFF_REG_ERROR       0x001Cu  /* W1C GV_OFF_ERR_* (sticky) */
#define GV_OFF_REG_CMD_TAIL    0x0020u  /* RW  the doorbell: commands written */
#define GV_OFF_REG_CMD_HEAD    0x0024u  /* RO  commands taken by the core */
#define GV_OFF_REG_EVT_TAIL    0x0028u  /* RO  events written by the core */
#define GV_OFF_REG_EVT_HEAD    0x002Cu  /* RW  events consumed by the host */
#define GV_OFF_REG_DEPTH_LIMIT 0x0030u  /* RW  run-time depth, 1..DEPTH */
#define GV_OFF_REG_CNT_CMDS    0x0034u  /* RO  commands completed */
#define GV_OFF_REG_CNT_EVTS    0x0038u  /* RO  events written */
#define GV_OFF_REG_CNT_ERRS    0x003Cu  /* RO  ERROR events written */
#define GV_OFF_REG_CNT_STALLS  0x0040u  /* RO  cycles stalled on a full ring */
#define GV_OFF_REG_CYCLES_LO   0x0044u  /* RO  cycle counter; latches _HI */
#define GV_OFF_REG_CYCLES_HI   0x0048u  /* RO  high half, as of _LO's read */
#define GV_OFF_REG_LAST_CYCLES 0x004Cu  /* RO  cycles of the last command */
#define GV_OFF_WIN_CMD         0x1000u  /* WO  command ring, 16 bytes a slot */
#define GV_OFF_WIN_EVT         0x2000u  /* RO  event ring, 16 bytes a slot */
#define GV_OFF_SLOT_BYTES      16u

#define GV_OFF_HW_ID           0x47564F46u  /* "GVOF" */
#define GV_OFF_HW_VERSION_MAJOR 1u

#define GV_OFF_ST_BUSY         0x01u  /* a command queued or executing */
#define GV_OFF_ST_CMD_FULL     0x02u
#define GV_OFF_ST_EVT_EMPTY    0x04u
#define GV_OFF_ST_EVT_FULL     0x08u
#define GV_OFF_ST_ERROR        0x10u  /* ERROR != 0 */

#define GV_OFF_ERR_DOORBELL    0x1u  /* CMD_TAIL write past the ring: ignored */
#define GV_OFF_ERR_EVT_HEAD    0x2u  /* EVT_HEAD write past EVT_TAIL: ignored */
#define GV_OFF_ERR_BAD_ADDR    0x4u  /* write to an unmapped offset */

/* How many STATUS reads poll_burst spends waiting for in-flight work. */
#define GV_OFF_DRV_SPIN_MAX    4096u

struct gv_off_drv {
	struct gv_off_bus bus;
	uint32_t cq, eq;             /* ring slots (powers of two) */
	uint32_t depth_hw;           /* DEPTH register */
	uint32_t cmd_tail, cmd_head; /* host copies of the ring indices */
	uint32_t evt_head, evt_tail;
	uint32_t version, caps;
	bool inflight;               /* submitted since the core was last idle */
};

/*
 * Read ID, VERSION, CAPS, DEPTH and QSIZE and check them. Returns 0 or
 * -ENODEV (not our core, an unsupported major version, or a bad ring
 * geometry; `why` says which).
 */
int gv_off_drv_probe(struct gv_off_drv *d, const struct gv_off_bus *bus,
                     char *why, size_t whylen);

/*
 * Probe, soft-reset the core (empty rings and mirror) and set its run-time
 * depth. Returns 0, -ENODEV (probe failed) or -EINVAL (depth 0 or above the
 * core's DEPTH; `why` says so).
 */
int gv_off_drv_init(struct gv_off_drv *d, const struct gv_off_bus *bus,
                    uint32_t depth, char *why, size_t whylen);

/* Queue up to n commands and ring the doorbell once. Returns how many were
 * taken (0 when the ring is full), -EINVAL (c NULL), -EIO (the device's
 * indices make no sense: it is gone or broken). */
int gv_off_drv_submit_burst(struct gv_off_drv *d, const struct gv_off_cmd *c,
                            uint32_t n);

/* Take up to n events. If none are ready but commands are in flight, wait
 * (at most GV_OFF_DRV_SPIN_MAX status reads) until the core is idle or has
 * events. Returns how many, -EINVAL, -EIO (as above). */
int gv_off_drv_poll_burst(struct gv_off_drv *d, struct gv_off_ev *ev,
                          uint32_t n);

#endif /* GV_OFF_DRV_H */
