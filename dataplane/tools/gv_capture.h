/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_capture.h - the UDP payload of a captured frame, for the programs
 * that replay GOE/1 captures without DPDK (tests/dataplane/replay_ref,
 * bench/shard_bench).
 */
#ifndef GV_CAPTURE_H
#define GV_CAPTURE_H

#include <stdint.h>

#include "gv_shard.h"

/*
 * The UDP payload of an Ethernet [one 802.1Q tag] IPv4 frame of `len`
 * captured bytes, its length in *plen and its source in *src; NULL when
 * the frame is not that or is cut short.
 */
static inline const uint8_t *gv_capture_udp_payload(const uint8_t *p,
                                                    uint32_t len,
                                                    struct gv_addr *src,
                                                    uint32_t *plen)
{
	uint32_t off = 14, ihl;

	if (len >= 18 && p[12] == 0x81 && p[13] == 0x00)
		off = 18;
	if (len < off + 28 || p[off - 2] != 0x08 || p[off - 1] != 0x00 ||
	    p[off + 9] != 17)
		return NULL;
	ihl = (p[off] & 15u) * 4;
	if (len < off + ihl + 8)
		return NULL;
	src->ip = (uint32_t)p[off + 12] << 24 | (uint32_t)p[off + 13] << 16 |
	          (uint32_t)p[off + 14] << 8 | p[off + 15];
	src->port = (uint16_t)(p[off + ihl] << 8 | p[off + ihl + 1]);
	*plen = (uint32_t)(p[off + ihl + 4] << 8 | p[off + ihl + 5]) - 8;
	if (off + ihl + 8 + *plen > len)
		return NULL;
	return p + off + ihl + 8;
}

#endif /* GV_CAPTURE_H */
