/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_mac.c - SipHash-2-4 of several GOE/1 datagrams at once (gv_mac.h).
 *
 * Lane layout: lane l hashes job[l]. A datagram of len bytes is nw =
 * len / 8 whole words followed by the final word (the len % 8 tail bytes,
 * len in the top byte). Compression step i takes word i in every lane
 * where i < nw, the final word where i == nw, and leaves the lane alone
 * where i > nw (its hash is done). Words are fetched 8 (or 4) at a time
 * per lane with one masked load each, then transposed, so that vector j
 * holds word i + j of every lane. Word 3 is the MAC field: zero.
 * Finalisation (v2 ^= 0xff, four rounds) runs on all lanes together.
 *
 * Only x86-64 has lane code here; elsewhere, and on CPUs without AVX2,
 * every datagram goes through libsodium (gv_goe_mac).
 */
#include <errno.h>
#include <string.h>

#include "gv_goe.h"
#include "gv_mac.h"
#include "gv_wire_pvt.h"

#define SIP_C0 0x736f6d6570736575ull
#define SIP_C1 0x646f72616e646f6dull
#define SIP_C2 0x6c7967656e657261ull
#define SIP_C3 0x7465646279746573ull

GV_STATIC_ASSERT(GV_GOE_MAC_OFF == 3 * 8, "the MAC field is word 3");
GV_STATIC_ASSERT(GV_DGRAM_HDR_LEN >= GV_GOE_MAC_OFF + 8,
                 "every job has a whole word 3");

#define LANES_MIN 3u                  /* fewer jobs go to libsodium */
/*
 * Lines of each datagram fetched ahead of the lane that reads them. A
 * received datagram is not in this core's caches (the NIC, or another
 * lcore, wrote it), and 8 to 32 lanes reading side by side are more
 * streams than the hardware prefetchers follow: 2 lines ahead made
 * shard_bench 4 % faster (8 of 8 interleaved pairs; 1, 4 and 8 lines ahead
 * were slower than 2), and fetching each lane's first 2 lines before the
 * loop 4 % more (shard_bench and dp_bench, 8 pairs each).
 */
#define PF_AHEAD 2

static void mac_scalar(const struct gv_mac_job *job, uint32_t n,
                       uint64_t *mac)
{
	for (uint32_t i = 0; i < n; i++)
		mac[i] = gv_goe_mac(job[i].buf, job[i].len, job[i].key);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The per-lane scalars of a job: key words, whole words, final word. */
struct lane {
	uint64_t k0, k1, nw, last;
};

static void lane_of(const struct gv_mac_job *j, struct lane *l)
{
	uint64_t tail = 0;
	uint32_t nw = j->len / 8, rem = j->len % 8;

	GV_ASSERT(j->len >= GV_DGRAM_HDR_LEN && j->len <= GV_DGRAM_MAX);
	l->k0 = gv_get_le64(j->key);
	l->k1 = gv_get_le64(j->key + 8);
	l->nw = nw;
	if (rem != 0) {
		uint8_t b[8] = { 0 };

		memcpy(b, j->buf + (size_t)nw * 8, rem);
		tail = gv_get_le64(b);
	}
	l->last = tail | (uint64_t)(j->len & 0xff) << 56;
}

#define HAVE_LANES 1

/*
 * SipHash's rounds are a chain of dependent operations, and on Zen 5 a
 * vector add, rotate or xor takes two cycles: one group of 8 lanes would
 * wait on itself (measured: one group costs the same per step whatever
 * its number of live lanes). So up to four groups (32 lanes) go through
 * each step side by side; G, the number of groups, is a constant in each
 * inlined copy, and the compiler interleaves their instructions.
 */
#define FOR_G for (int g = 0; g < G; g++)

/* ---- AVX-512: groups of 8 lanes, every step merge-masked ------------- */

#define ROUND512(k)                                                          \
	do {                                                                 \
		FOR_G v0[g] = _mm512_mask_add_epi64(v0[g], k, v0[g], v1[g]); \
		FOR_G v2[g] = _mm512_mask_add_epi64(v2[g], k, v2[g], v3[g]); \
		FOR_G v1[g] = _mm512_mask_rol_epi64(v1[g], k, v1[g], 13);    \
		FOR_G v3[g] = _mm512_mask_rol_epi64(v3[g], k, v3[g], 16);    \
		FOR_G v1[g] = _mm512_mask_xor_epi64(v1[g], k, v1[g], v0[g]); \
		FOR_G v3[g] = _mm512_mask_xor_epi64(v3[g], k, v3[g], v2[g]); \
		FOR_G v0[g] = _mm512_mask_rol_epi64(v0[g], k, v0[g], 32);    \
		FOR_G v2[g] = _mm512_mask_add_epi64(v2[g], k, v2[g], v1[g]); \
		FOR_G v0[g] = _mm512_mask_add_epi64(v0[g], k, v0[g], v3[g]); \
		FOR_G v1[g] = _mm512_mask_rol_epi64(v1[g], k, v1[g], 17);    \
		FOR_G v3[g] = _mm512_mask_rol_epi64(v3[g], k, v3[g], 21);    \
		FOR_G v1[g] = _mm512_mask_xor_epi64(v1[g], k, v1[g], v2[g]); \
		FOR_G v3[g] = _mm512_mask_xor_epi64(v3[g], k, v3[g], v0[g]); \
		FOR_G v2[g] = _mm512_mask_rol_epi64(v2[g], k, v2[g], 32);    \
	} while (0)

/* w[l] = 8 words of lane l  ->  w[j] = word j of lanes 0..7. */
__attribute__((target("avx512f")))
static inline void transpose8(__m512i w[8])
{
	const __m512i lo2 = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
	const __m512i hi2 = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
	const __m512i lo4 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
	const __m512i hi4 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
	__m512i a[8], b[8];

	for (int i = 0; i < 8; i += 2) {
		a[i] = _mm512_unpacklo_epi64(w[i], w[i + 1]);
		a[i + 1] = _mm512_unpackhi_epi64(w[i], w[i + 1]);
	}
	/* a[0] = w0_0 w1_0 w0_2 w1_2 w0_4 w1_4 w0_6 w1_6, a[1] the odd words */
	b[0] = _mm512_permutex2var_epi64(a[0], lo2, a[2]);
	b[2] = _mm512_permutex2var_epi64(a[0], hi2, a[2]);
	b[1] = _mm512_permutex2var_epi64(a[1], lo2, a[3]);
	b[3] = _mm512_permutex2var_epi64(a[1], hi2, a[3]);
	b[4] = _mm512_permutex2var_epi64(a[4], lo2, a[6]);
	b[6] = _mm512_permutex2var_epi64(a[4], hi2, a[6]);
	b[5] = _mm512_permutex2var_epi64(a[5], lo2, a[7]);
	b[7] = _mm512_permutex2var_epi64(a[5], hi2, a[7]);
	/* b[0] = w0_0 w1_0 w2_0 w3_0 w0_4 w1_4 w2_4 w3_4 */
	for (int j = 0; j < 4; j++) {
		w[j] = _mm512_permutex2var_epi64(b[j], lo4, b[j + 4]);
		w[j + 4] = _mm512_permutex2var_epi64(b[j], hi4, b[j + 4]);
	}
}

/* 8 * (G - 1) < n <= 8 * G jobs, G <= 4. */
__attribute__((target("avx512f"), always_inline))
static inline void x8(const struct gv_mac_job *job, uint32_t n,
                      uint64_t *mac, const int G)
{
	struct lane ln[32];
	uint64_t k0[32] = { 0 }, k1[32] = { 0 }, nw[32] = { 0 };
	uint64_t last[32] = { 0 }, out[32];
	uint32_t maxw = 0;
	__m512i v0[4], v1[4], v2[4], v3[4], vnw[4], vlast[4], w[4][8];
	__mmask8 live[4], on[4];

	for (uint32_t l = 0; l < n; l++) {
		lane_of(&job[l], &ln[l]);
		k0[l] = ln[l].k0;
		k1[l] = ln[l].k1;
		nw[l] = ln[l].nw;
		last[l] = ln[l].last;
		maxw = GV_MAX(maxw, (uint32_t)ln[l].nw);
		/* The lines before the loop's first prefetch. */
		for (uint32_t k = 0; k < PF_AHEAD && 8 * k < ln[l].nw; k++)
			_mm_prefetch((const char *)job[l].buf + 64 * k,
			             _MM_HINT_T0);
	}
	FOR_G {
		uint32_t lo = 8u * (uint32_t)g;

		live[g] = (__mmask8)(n >= lo + 8 ? 0xff
		                                 : (1u << (n - lo)) - 1);
		v0[g] = _mm512_xor_si512(_mm512_loadu_si512(k0 + lo),
		                         _mm512_set1_epi64((long long)SIP_C0));
		v1[g] = _mm512_xor_si512(_mm512_loadu_si512(k1 + lo),
		                         _mm512_set1_epi64((long long)SIP_C1));
		v2[g] = _mm512_xor_si512(_mm512_loadu_si512(k0 + lo),
		                         _mm512_set1_epi64((long long)SIP_C2));
		v3[g] = _mm512_xor_si512(_mm512_loadu_si512(k1 + lo),
		                         _mm512_set1_epi64((long long)SIP_C3));
		vnw[g] = _mm512_loadu_si512(nw + lo);
		vlast[g] = _mm512_loadu_si512(last + lo);
	}
	/* Steps 0..maxw: maxw whole words of the longest, then its final. */
	for (uint32_t base = 0; base <= maxw; base += 8) {
		FOR_G {
			for (uint32_t e = 0; e < 8; e++) {
				uint32_t l = 8u * (uint32_t)g + e;
				uint32_t have = l < n && nw[l] > base
				        ? (uint32_t)GV_MIN(nw[l] - base, 8u) : 0;

				if (have == 0) {
					w[g][e] = _mm512_setzero_si512();
					continue;
				}
				w[g][e] = _mm512_maskz_loadu_epi64(
					(__mmask8)((1u << have) - 1),
					job[l].buf + (size_t)base * 8);
				if (nw[l] > base + 8 * PF_AHEAD)
					_mm_prefetch((const char *)job[l].buf +
					             (size_t)(base + 8 * PF_AHEAD) * 8,
					             _MM_HINT_T0);
			}
			transpose8(w[g]);
			if (base == 0)
				w[g][3] = _mm512_setzero_si512();
		}
		for (uint32_t j = 0; j < 8 && base + j <= maxw; j++) {
			__m512i vi = _mm512_set1_epi64(base + j), m[4];

			FOR_G {
				__mmask8 fin = _mm512_cmpeq_epu64_mask(vi, vnw[g]);

				on[g] = _mm512_mask_cmple_epu64_mask(live[g], vi,
				                                     vnw[g]);
				m[g] = _mm512_mask_mov_epi64(w[g][j], fin,
				                             vlast[g]);
				v3[g] = _mm512_mask_xor_epi64(v3[g], on[g], v3[g],
				                              m[g]);
			}
			ROUND512(on[g]);
			ROUND512(on[g]);
			FOR_G v0[g] = _mm512_mask_xor_epi64(v0[g], on[g], v0[g],
			                                    m[g]);
		}
	}
	FOR_G v2[g] = _mm512_xor_si512(v2[g], _mm512_set1_epi64(0xff));
	ROUND512(0xff);
	ROUND512(0xff);
	ROUND512(0xff);
	ROUND512(0xff);
	FOR_G _mm512_storeu_si512(out + 8 * g,
	                          _mm512_xor_si512(_mm512_xor_si512(v0[g], v1[g]),
	                                           _mm512_xor_si512(v2[g], v3[g])));
	memcpy(mac, out, n * sizeof(*mac));
}

__attribute__((target("avx512f")))
static void mac_avx512(const struct gv_mac_job *job, uint32_t n,
                       uint64_t *mac)
{
	for (uint32_t i = 0; i < n; i += 32) {
		uint32_t k = GV_MIN(n - i, 32u);

		if (k <= 8)
			x8(job + i, k, mac + i, 1);
		else if (k <= 16)
			x8(job + i, k, mac + i, 2);
		else if (k <= 24)
			x8(job + i, k, mac + i, 3);
		else
			x8(job + i, k, mac + i, 4);
	}
}

/* ---- AVX2: groups of 4 lanes, new state blended into the live lanes --- */

__attribute__((target("avx2")))
static inline __m256i rol256(__m256i x, int r)
{
	return _mm256_or_si256(_mm256_slli_epi64(x, r),
	                       _mm256_srli_epi64(x, 64 - r));
}

/* Rotations by 16 and 32 are byte and dword shuffles. */
#define ROL16_256(x) _mm256_shuffle_epi8(x, rot16)
#define ROL32_256(x) _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1))

#define ROUND256()                                                           \
	do {                                                                 \
		FOR_G v0[g] = _mm256_add_epi64(v0[g], v1[g]);                \
		FOR_G v2[g] = _mm256_add_epi64(v2[g], v3[g]);                \
		FOR_G v1[g] = rol256(v1[g], 13);                             \
		FOR_G v3[g] = ROL16_256(v3[g]);                              \
		FOR_G v1[g] = _mm256_xor_si256(v1[g], v0[g]);                \
		FOR_G v3[g] = _mm256_xor_si256(v3[g], v2[g]);                \
		FOR_G v0[g] = ROL32_256(v0[g]);                              \
		FOR_G v2[g] = _mm256_add_epi64(v2[g], v1[g]);                \
		FOR_G v0[g] = _mm256_add_epi64(v0[g], v3[g]);                \
		FOR_G v1[g] = rol256(v1[g], 17);                             \
		FOR_G v3[g] = rol256(v3[g], 21);                             \
		FOR_G v1[g] = _mm256_xor_si256(v1[g], v2[g]);                \
		FOR_G v3[g] = _mm256_xor_si256(v3[g], v0[g]);                \
		FOR_G v2[g] = ROL32_256(v2[g]);                              \
	} while (0)

/* 4 * (G - 1) < n <= 4 * G jobs, G <= 2. */
__attribute__((target("avx2"), always_inline))
static inline void x4(const struct gv_mac_job *job, uint32_t n,
                      uint64_t *mac, const int G)
{
	const __m256i rot16 = _mm256_set_epi8(
		13, 12, 11, 10, 9, 8, 15, 14, 5, 4, 3, 2, 1, 0, 7, 6,
		13, 12, 11, 10, 9, 8, 15, 14, 5, 4, 3, 2, 1, 0, 7, 6);
	struct lane ln[8];
	uint64_t k0[8] = { 0 }, k1[8] = { 0 }, last[8] = { 0 }, out[8];
	int64_t nw[8] = { -1, -1, -1, -1, -1, -1, -1, -1 }; /* empty: idle */
	uint32_t maxw = 0;
	__m256i v0[2], v1[2], v2[2], v3[2], vnw[2], vlast[2], w[2][4];

	for (uint32_t l = 0; l < n; l++) {
		lane_of(&job[l], &ln[l]);
		k0[l] = ln[l].k0;
		k1[l] = ln[l].k1;
		nw[l] = (int64_t)ln[l].nw;
		last[l] = ln[l].last;
		maxw = GV_MAX(maxw, (uint32_t)ln[l].nw);
		for (uint32_t k = 0; k < PF_AHEAD && 8 * k < ln[l].nw; k++)
			_mm_prefetch((const char *)job[l].buf + 64 * k,
			             _MM_HINT_T0);
	}
	FOR_G {
		const uint64_t *a = k0 + 4 * g, *b = k1 + 4 * g;

		v0[g] = _mm256_xor_si256(_mm256_loadu_si256((const void *)a),
		                     _mm256_set1_epi64x((long long)SIP_C0));
		v1[g] = _mm256_xor_si256(_mm256_loadu_si256((const void *)b),
		                     _mm256_set1_epi64x((long long)SIP_C1));
		v2[g] = _mm256_xor_si256(_mm256_loadu_si256((const void *)a),
		                     _mm256_set1_epi64x((long long)SIP_C2));
		v3[g] = _mm256_xor_si256(_mm256_loadu_si256((const void *)b),
		                     _mm256_set1_epi64x((long long)SIP_C3));
		vnw[g] = _mm256_loadu_si256((const void *)(nw + 4 * g));
		vlast[g] = _mm256_loadu_si256((const void *)(last + 4 * g));
	}
	for (uint32_t base = 0; base <= maxw; base += 4) {
		FOR_G {
			__m256i a[4];

			for (uint32_t e = 0; e < 4; e++) {
				uint32_t l = 4u * (uint32_t)g + e;
				int64_t have = l < n
				        ? GV_MIN(nw[l] - (int64_t)base, 4) : 0;

				if (have <= 0) {
					w[g][e] = _mm256_setzero_si256();
					continue;
				}
				/* Element e of the mask is set when e < have. */
				w[g][e] = _mm256_maskload_epi64(
					(const long long *)(const void *)
						(job[l].buf + (size_t)base * 8),
					_mm256_cmpgt_epi64(
						_mm256_set1_epi64x(have),
						_mm256_set_epi64x(3, 2, 1, 0)));
				if ((base & 7) == 0 &&
				    nw[l] > (int64_t)(base + 8 * PF_AHEAD))
					_mm_prefetch((const char *)job[l].buf +
					             (size_t)(base + 8 * PF_AHEAD) * 8,
					             _MM_HINT_T0);
			}
			/* 4x4 transpose: w[l] = lane l's words -> w[j]. */
			a[0] = _mm256_unpacklo_epi64(w[g][0], w[g][1]);
			a[1] = _mm256_unpackhi_epi64(w[g][0], w[g][1]);
			a[2] = _mm256_unpacklo_epi64(w[g][2], w[g][3]);
			a[3] = _mm256_unpackhi_epi64(w[g][2], w[g][3]);
			w[g][0] = _mm256_permute2x128_si256(a[0], a[2], 0x20);
			w[g][1] = _mm256_permute2x128_si256(a[1], a[3], 0x20);
			w[g][2] = _mm256_permute2x128_si256(a[0], a[2], 0x31);
			w[g][3] = _mm256_permute2x128_si256(a[1], a[3], 0x31);
			if (base == 0)
				w[g][3] = _mm256_setzero_si256();
		}
		for (uint32_t j = 0; j < 4 && base + j <= maxw; j++) {
			__m256i vi = _mm256_set1_epi64x(base + j);
			__m256i m[2], off[2], s0[2], s1[2], s2[2], s3[2];

			FOR_G {
				/* idle: i > nw */
				off[g] = _mm256_cmpgt_epi64(vi, vnw[g]);
				m[g] = _mm256_blendv_epi8(w[g][j], vlast[g],
				           _mm256_cmpeq_epi64(vi, vnw[g]));
				s0[g] = v0[g];
				s1[g] = v1[g];
				s2[g] = v2[g];
				s3[g] = v3[g];
				v3[g] = _mm256_xor_si256(v3[g], m[g]);
			}
			ROUND256();
			ROUND256();
			FOR_G {
				v0[g] = _mm256_xor_si256(v0[g], m[g]);
				v0[g] = _mm256_blendv_epi8(v0[g], s0[g], off[g]);
				v1[g] = _mm256_blendv_epi8(v1[g], s1[g], off[g]);
				v2[g] = _mm256_blendv_epi8(v2[g], s2[g], off[g]);
				v3[g] = _mm256_blendv_epi8(v3[g], s3[g], off[g]);
			}
		}
	}
	FOR_G v2[g] = _mm256_xor_si256(v2[g], _mm256_set1_epi64x(0xff));
	ROUND256();
	ROUND256();
	ROUND256();
	ROUND256();
	FOR_G _mm256_storeu_si256((void *)(out + 4 * g),
	                          _mm256_xor_si256(_mm256_xor_si256(v0[g], v1[g]),
	                                           _mm256_xor_si256(v2[g], v3[g])));
	memcpy(mac, out, n * sizeof(*mac));
}

__attribute__((target("avx2")))
static void mac_avx2(const struct gv_mac_job *job, uint32_t n, uint64_t *mac)
{
	for (uint32_t i = 0; i < n; i += 8) {
		uint32_t k = GV_MIN(n - i, 8u);

		if (k <= 4)
			x4(job + i, k, mac + i, 1);
		else
			x4(job + i, k, mac + i, 2);
	}
}
#endif /* x86-64 */

bool gv_mac_impl_supported(enum gv_mac_impl impl)
{
	switch (impl) {
#ifdef HAVE_LANES
	case GV_MAC_AVX512:
		return __builtin_cpu_supports("avx512f");
	case GV_MAC_AVX2:
		return __builtin_cpu_supports("avx2");
#endif
	case GV_MAC_SCALAR:
		return true;
	default:
		return false;
	}
}

static enum gv_mac_impl g_impl = GV_MAC_IMPL_MAX; /* not chosen yet */

enum gv_mac_impl gv_mac_impl(void)
{
	if (g_impl == GV_MAC_IMPL_MAX) {
		enum gv_mac_impl i = GV_MAC_AVX512;

		while (!gv_mac_impl_supported(i))
			i++;
		g_impl = i;
	}
	return g_impl;
}

const char *gv_mac_impl_name(enum gv_mac_impl impl)
{
	static const char *const name[GV_MAC_IMPL_MAX] = {
		[GV_MAC_AVX512] = "avx512",
		[GV_MAC_AVX2] = "avx2",
		[GV_MAC_SCALAR] = "scalar",
	};

	return (unsigned)impl < GV_MAC_IMPL_MAX ? name[impl] : "?";
}

int gv_mac_set_impl(enum gv_mac_impl impl)
{
	if (!gv_mac_impl_supported(impl))
		return -ENOTSUP;
	g_impl = impl;
	return 0;
}

void gv_mac_burst(const struct gv_mac_job *job, uint32_t n, uint64_t *mac)
{
	/* One group of lanes costs about what it costs with one live lane,
	 * 2.5 scalar hashes (bench/mac_bench): below 3 jobs, hash alone. */
	if (n < LANES_MIN) {
		mac_scalar(job, n, mac);
		return;
	}
	switch (gv_mac_impl()) {
#ifdef HAVE_LANES
	case GV_MAC_AVX512:
		mac_avx512(job, n, mac);
		break;
	case GV_MAC_AVX2:
		mac_avx2(job, n, mac);
		break;
#endif
	default:
		mac_scalar(job, n, mac);
		break;
	}
}
