/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_common.h"
#include "gv_errno.h"

_Thread_local int gv_errno;

static const char *const gv_error_text[GV_EMAX - GV_EBASE] = {
	[0] = "gavel error base",
	[GV_ECONFIG - GV_EBASE] = "invalid configuration",
	[GV_ENOTSC - GV_EBASE] = "no usable invariant TSC",
};

const char *gv_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	if (err >= GV_EBASE && err < GV_EMAX)
		return gv_error_text[err - GV_EBASE];
	/* strerrordesc_np is the thread-safe, locale-free glibc table. */
	s = strerrordesc_np(err);
	return s != NULL ? s : "unknown error";
}

void gv_panic(const char *file, int line, const char *func, const char *expr)
{
	fprintf(stderr, "gavel: %s:%d: %s: invariant failed: %s\n", file, line,
	        func, expr);
	fflush(stderr);
	abort();
}
