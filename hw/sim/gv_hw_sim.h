/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_hw_sim.h - the Verilated matching core (hw/gv_regs.sv, gv_top) behind
 * a C interface: the register bus a PCIe BAR would expose, driven by the
 * simulation. C++ stays inside gv_hw_sim.cpp.
 *
 * Every bus access advances the simulated clock: a write is one cycle (the
 * core runs during it), a read is one cycle (rvalid follows re by one).
 * The model's mirror depth is fixed when it is verilated (gv_hw_sim_depth);
 * the DEPTH_LIMIT register lowers it at run time.
 */
#ifndef GV_HW_SIM_H
#define GV_HW_SIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gv_hw_sim;

/* A model held in reset for a few cycles, then released. NULL: ENOMEM. */
struct gv_hw_sim *gv_hw_sim_create(void);
void gv_hw_sim_free(struct gv_hw_sim *s);

/* Pulse the reset input (every register, ring and the mirror). */
void gv_hw_sim_reset(struct gv_hw_sim *s);

/* Bus accesses; `s` is a struct gv_hw_sim * (void * to fit gv_off_bus). */
uint32_t gv_hw_sim_read32(void *s, uint32_t addr);
void gv_hw_sim_write32(void *s, uint32_t addr, uint32_t val);

/* Run n idle clock cycles. */
void gv_hw_sim_tick(struct gv_hw_sim *s, uint32_t n);

/* Clock cycles simulated since create. */
uint64_t gv_hw_sim_cycles(const struct gv_hw_sim *s);

/* The events-pending interrupt line (an MSI on a card). */
int gv_hw_sim_irq(const struct gv_hw_sim *s);

/* The DEPTH the model was verilated with. */
uint32_t gv_hw_sim_depth(void);

#ifdef __cplusplus
}
#endif

#endif /* GV_HW_SIM_H */
