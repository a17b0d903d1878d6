/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_role.c - the primary/standby role and its fencing epoch.
 *
 * Only the control thread writes a gv_role_state; dataplane lcores read
 * `role` (and `epoch`) with relaxed loads. A promotion publishes the new
 * epoch before the new role (release order), so a reader that sees
 * PRIMARY and then loads the epoch with acquire semantics never sees the
 * epoch of the previous primary term.
 */
#include "gv_control.h"
#include "gv_errno.h"

int gv_role_promote(struct gv_role_state *r, uint64_t now_ns)
{
	uint64_t epoch;

	GV_VERIFY(r != NULL);
	if (__atomic_load_n(&r->role, __ATOMIC_RELAXED) == GV_ROLE_PRIMARY)
		return -EALREADY;
	epoch = __atomic_load_n(&r->epoch, __ATOMIC_RELAXED);
	GV_VERIFY(epoch != UINT64_MAX);
	__atomic_store_n(&r->epoch, epoch + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->role, (uint32_t)GV_ROLE_PRIMARY, __ATOMIC_RELEASE);
	r->changed_ns = now_ns;
	return 0;
}

int gv_role_demote(struct gv_role_state *r, uint64_t now_ns)
{
	GV_VERIFY(r != NULL);
	if (__atomic_load_n(&r->role, __ATOMIC_RELAXED) == GV_ROLE_STANDBY)
		return -EALREADY;
	/* Any role other than PRIMARY is treated as standby from here on. */
	__atomic_store_n(&r->role, (uint32_t)GV_ROLE_STANDBY, __ATOMIC_RELEASE);
	r->changed_ns = now_ns;
	return 0;
}

const char *gv_role_name(uint32_t role)
{
	switch (role) {
	case GV_ROLE_STANDBY:
		return "standby";
	case GV_ROLE_PRIMARY:
		return "primary";
	default:
		return "unknown";
	}
}
