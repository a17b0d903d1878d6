/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_errno.h - error codes.
 *
 * Functions return 0 or -errno; constructors return NULL and set gv_errno
 * (a positive code, like errno). gavel's own codes start at GV_EBASE so they
 * never collide with the C library's.
 */
#ifndef GV_ERRNO_H
#define GV_ERRNO_H

#include <errno.h>

enum gv_error {
	GV_EBASE = 1000,
	GV_ECONFIG,  /* a configuration file is invalid */
	GV_ENOTSC,   /* no usable invariant TSC */
	GV_EMAX,
};

/* Last error of a constructor in this thread. */
extern _Thread_local int gv_errno;

/*
 * Describe an error code, given as either sign (so `gv_strerror(rc)` works
 * on a -errno return). Thread-safe; never returns NULL; an unknown code
 * gives "unknown error".
 */
const char *gv_strerror(int err);

#endif /* GV_ERRNO_H */
