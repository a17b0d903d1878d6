/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_mac.h - GOE/1 datagram MACs, many at once.
 *
 * A GOE/1 MAC is SipHash-2-4 of the whole datagram with bytes 24..31 (the
 * MAC field) taken as zero (../docs/protocol.md, 1). The shard needs one
 * per datagram in and one per datagram out, and gets them a burst at a
 * time: gv_mac_burst hashes independent datagrams side by side in the
 * lanes of a vector register (8 with AVX-512, 4 with AVX2), one lane per
 * datagram. SipHash's rounds are a serial chain, so one datagram cannot go
 * faster than scalar code; several can share each instruction.
 *
 * libsodium's crypto_shorthash_siphash24 stays the reference: it hashes
 * single datagrams (gv_goe_mac, gv_goe_mac_ok), it is the fallback on CPUs
 * without AVX2, and the tests hold every lane implementation to it.
 */
#ifndef GV_MAC_H
#define GV_MAC_H

#include <stdint.h>

#include "gv_limits.h"

/* One datagram to authenticate: GV_DGRAM_HDR_LEN <= len <= GV_DGRAM_MAX
 * (the MAC field must exist). Its bytes 24..31 are not read. */
struct gv_mac_job {
	const uint8_t *buf;
	uint32_t len;
	const uint8_t *key;          /* GV_KEY_LEN bytes */
};

/* mac[i] = the GOE/1 MAC of job[i], for i < n (any n). */
void gv_mac_burst(const struct gv_mac_job *job, uint32_t n, uint64_t *mac);

/* Implementations, fastest first. */
enum gv_mac_impl {
	GV_MAC_AVX512,               /* 8 lanes, masked rounds */
	GV_MAC_AVX2,                 /* 4 lanes, blends */
	GV_MAC_SCALAR,               /* libsodium, one at a time */
	GV_MAC_IMPL_MAX
};

/* The implementation gv_mac_burst uses: the fastest this CPU runs, chosen
 * on first use. */
enum gv_mac_impl gv_mac_impl(void);

const char *gv_mac_impl_name(enum gv_mac_impl impl);

/* Whether this CPU (and this build) can run `impl`. */
bool gv_mac_impl_supported(enum gv_mac_impl impl);

/* Use `impl` from now on (tests and benchmarks): -ENOTSUP when this CPU
 * cannot run it, else 0. Not thread-safe: call before traffic. */
int gv_mac_set_impl(enum gv_mac_impl impl);

#endif /* GV_MAC_H */
