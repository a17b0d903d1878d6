/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_wire_pvt.h - fixed-width integer loads and stores for the wire codecs
 * (GOE/1 little-endian, ITCH/MoldUDP64 big-endian). Private to dataplane/.
 *
 * Each access is one memcpy of the whole word (alignment-safe: compilers
 * turn it into a single unaligned load or store on x86 and arm64) plus an
 * explicit byte swap where the host's order is not the wire's, so the bytes
 * on the wire are the same on every host. Byte-by-byte shifts and stores
 * say the same thing, but GCC does not always merge them (measured: a GOE/1
 * header written with byte stores was ~100 instructions, ~20 this way).
 */
#ifndef GV_WIRE_PVT_H
#define GV_WIRE_PVT_H

#include <string.h>

#include "gv_common.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define GV_HOST_LE 0
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GV_HOST_LE 1
#else
#error "unknown host byte order"
#endif

static inline uint16_t gv_le16(uint16_t v)
{
	return GV_HOST_LE ? v : __builtin_bswap16(v);
}

static inline uint32_t gv_le32(uint32_t v)
{
	return GV_HOST_LE ? v : __builtin_bswap32(v);
}

static inline uint64_t gv_le64(uint64_t v)
{
	return GV_HOST_LE ? v : __builtin_bswap64(v);
}

static inline uint16_t gv_be16(uint16_t v)
{
	return GV_HOST_LE ? __builtin_bswap16(v) : v;
}

static inline uint32_t gv_be32(uint32_t v)
{
	return GV_HOST_LE ? __builtin_bswap32(v) : v;
}

static inline uint64_t gv_be64(uint64_t v)
{
	return GV_HOST_LE ? __builtin_bswap64(v) : v;
}

/* ---- little-endian (GOE/1) --------------------------------------------- */

static inline uint16_t gv_get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return gv_le16(v);
}

static inline uint32_t gv_get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return gv_le32(v);
}

static inline uint64_t gv_get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return gv_le64(v);
}

static inline void gv_put_le16(uint8_t *p, uint16_t v)
{
	v = gv_le16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void gv_put_le32(uint8_t *p, uint32_t v)
{
	v = gv_le32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void gv_put_le64(uint8_t *p, uint64_t v)
{
	v = gv_le64(v);
	memcpy(p, &v, sizeof(v));
}

/* ---- big-endian (ITCH, MoldUDP64) --------------------------------------- */

static inline uint16_t gv_get_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return gv_be16(v);
}

static inline uint32_t gv_get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return gv_be32(v);
}

static inline uint64_t gv_get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return gv_be64(v);
}

static inline void gv_put_be16(uint8_t *p, uint16_t v)
{
	v = gv_be16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void gv_put_be32(uint8_t *p, uint32_t v)
{
	v = gv_be32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void gv_put_be64(uint8_t *p, uint64_t v)
{
	v = gv_be64(v);
	memcpy(p, &v, sizeof(v));
}

#endif /* GV_WIRE_PVT_H */
