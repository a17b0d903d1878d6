// SPDX-License-Identifier: Apache-2.0
//
// gv_hw_sim.cpp - the extern "C" shim around the Verilated gv_top.
//
// One VerilatedContext per model, so that several models (one per shard or
// test) can live in one process. No exception leaves this file: allocation
// failure is a NULL return.
#include "gv_hw_sim.h"

#include <new>

#include "Vgv_top.h"
#include "verilated.h"

#ifndef GV_HW_SIM_DEPTH
#error "GV_HW_SIM_DEPTH must match the -GDEPTH the model was verilated with"
#endif

struct gv_hw_sim {
	VerilatedContext *ctx;
	Vgv_top *top;
	uint64_t cycles;
};

// One rising edge: the design samples its inputs, then settles.
static void tick(gv_hw_sim *s)
{
	s->top->clk = 0;
	s->top->eval();
	s->top->clk = 1;
	s->top->eval();
	s->cycles++;
}

extern "C" struct gv_hw_sim *gv_hw_sim_create(void)
{
	gv_hw_sim *s = new (std::nothrow) gv_hw_sim();

	if (s == nullptr)
		return nullptr;
	try {
		s->ctx = new VerilatedContext;
		s->top = new Vgv_top(s->ctx, "gv_top");
	} catch (...) {
		delete s->ctx;
		delete s;
		return nullptr;
	}
	s->top->we = 0;
	s->top->re = 0;
	s->top->addr = 0;
	s->top->wdata = 0;
	gv_hw_sim_reset(s);
	return s;
}

extern "C" void gv_hw_sim_free(struct gv_hw_sim *s)
{
	if (s == nullptr)
		return;
	s->top->final();
	delete s->top;
	delete s->ctx;
	delete s;
}

extern "C" void gv_hw_sim_reset(struct gv_hw_sim *s)
{
	s->top->rst = 1;
	for (int i = 0; i < 4; i++)
		tick(s);
	s->top->rst = 0;
	tick(s);
}

extern "C" uint32_t gv_hw_sim_read32(void *arg, uint32_t addr)
{
	gv_hw_sim *s = static_cast<gv_hw_sim *>(arg);

	s->top->addr = static_cast<uint16_t>(addr);
	s->top->re = 1;
	tick(s);
	s->top->re = 0;
	// rvalid is a register: it is high now, for the read sampled above.
	uint32_t v = s->top->rdata;
	if (!s->top->rvalid)
		v = 0xffffffffu;    // as a PCIe read that completes with an error
	return v;
}

extern "C" void gv_hw_sim_write32(void *arg, uint32_t addr, uint32_t val)
{
	gv_hw_sim *s = static_cast<gv_hw_sim *>(arg);

	s->top->addr = static_cast<uint16_t>(addr);
	s->top->wdata = val;
	s->top->we = 1;
	tick(s);
	s->top->we = 0;
}

extern "C" void gv_hw_sim_tick(struct gv_hw_sim *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		tick(s);
}

extern "C" uint64_t gv_hw_sim_cycles(const struct gv_hw_sim *s)
{
	return s->cycles;
}

extern "C" int gv_hw_sim_irq(const struct gv_hw_sim *s)
{
	return s->top->irq ? 1 : 0;
}

extern "C" uint32_t gv_hw_sim_depth(void)
{
	return GV_HW_SIM_DEPTH;
}
