/*
 * ocusync/turbo.c - the LTE turbo code and its rate matching, written for
 * DroneID from 3GPP TS 36.212 (Rel. 8) 5.1.3.2 and 5.1.4.1.
 *
 * Why not IT++ (libitpp-dev, Debian's only turbo codec): its Turbo_Codec
 * takes a generic interleaver and knows neither LTE's QPP interleaver,
 * LTE's trellis termination (12 tail bits spread over the three streams,
 * 5.1.3.2.2) nor the sub-block interleavers and circular buffer of the
 * rate matching; we would rebuild all of those around it, and it is
 * C++/GPL-3 for a few hundred lines of C. The decoder here is the
 * standard max-log-MAP (BCJR in the log domain with max for log-sum-exp),
 * extrinsic values scaled by 0.75, stopping as soon as the CRC24A holds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ocusync/phy_int.h"

/* TS 36.212 Table 5.1.3-3, the two block sizes used (1408: DroneID; 40:
 * the smallest, for the known-answer test). */
int os_qpp(uint16_t *pi, unsigned k)
{
	unsigned f1, f2;
	if (k == 1408) f1 = 43, f2 = 88;
	else if (k == 40) f1 = 3, f2 = 10;
	else return -1;
	for (unsigned i = 0; i < k; i++) pi[i] = (uint16_t)(((uint64_t)f1 * i + (uint64_t)f2 * i * i) % k);
	return 0;
}

/* Constituent encoder of 5.1.3.2.1: G(D) = [1, g1(D)/g0(D)],
 * g0 = 1 + D^2 + D^3 (feedback), g1 = 1 + D + D^3. State bits r1 r2 r3
 * (r1 the newest) as s = r1 << 2 | r2 << 1 | r3. */
static inline unsigned rsc_fb(unsigned s) { return ((s >> 1) ^ s) & 1; }   /* r2 ^ r3 */
static inline unsigned rsc_a(unsigned s, unsigned u) { return (u ^ rsc_fb(s)) & 1; }
static inline unsigned rsc_par(unsigned s, unsigned u)
{
	unsigned a = rsc_a(s, u);
	return (a ^ (s >> 2) ^ s) & 1;                                       /* a ^ r1 ^ r3 */
}
static inline unsigned rsc_next(unsigned s, unsigned u) { return (rsc_a(s, u) << 2) | (s >> 1); }

int os_turbo_encode(uint8_t *d0, uint8_t *d1, uint8_t *d2, const uint8_t *c, unsigned k)
{
	uint16_t pi[OS_K];
	if (k > OS_K || os_qpp(pi, k) < 0) return -1;
	unsigned s1 = 0, s2 = 0;
	for (unsigned i = 0; i < k; i++) {
		unsigned u1 = c[i] & 1, u2 = c[pi[i]] & 1;
		d0[i] = (uint8_t)u1;
		d1[i] = (uint8_t)rsc_par(s1, u1);
		d2[i] = (uint8_t)rsc_par(s2, u2);
		s1 = rsc_next(s1, u1);
		s2 = rsc_next(s2, u2);
	}
	/* 5.1.3.2.2: three tail steps per encoder with the feedback as input */
	uint8_t x[3], z[3], xp[3], zp[3];
	for (int t = 0; t < 3; t++) {
		unsigned u = rsc_fb(s1);
		x[t] = (uint8_t)u, z[t] = (uint8_t)rsc_par(s1, u), s1 = rsc_next(s1, u);
		u = rsc_fb(s2);
		xp[t] = (uint8_t)u, zp[t] = (uint8_t)rsc_par(s2, u), s2 = rsc_next(s2, u);
	}
	d0[k] = x[0], d0[k + 1] = z[1], d0[k + 2] = xp[0], d0[k + 3] = zp[1];
	d1[k] = z[0], d1[k + 1] = x[2], d1[k + 2] = zp[0], d1[k + 3] = xp[2];
	d2[k] = x[1], d2[k + 1] = z[2], d2[k + 2] = xp[1], d2[k + 3] = zp[2];
	return 0;
}

/* ---- decoder ---------------------------------------------------------------- */

#define NEG (-1e30f)

typedef struct tdec_work {
	float alpha[(OS_K + 4) * 8];
	float sys1[OS_K + 3], par1[OS_K + 3], sys2[OS_K + 3], par2[OS_K + 3];
	float la[OS_K], le[OS_K], llr[OS_K];
	uint16_t pi[OS_K];
} tdec_work;

size_t os_turbo_work_size(unsigned k)
{
	(void)k;
	return sizeof(tdec_work);
}

/* One constituent decoder over K + 3 trellis steps (the last three are the
 * termination: only the branch with a = 0 exists), ending in state 0.
 * le[k] = LLR(k) - sys[k] - la[k]; llr[k] the full a-posteriori value. */
static void siso(float *le, float *llr, const float *sys, const float *par, const float *la, unsigned k,
                 float *alpha)
{
	unsigned t = k + 3;
	for (unsigned s = 0; s < 8; s++) alpha[s] = s ? NEG : 0;
	for (unsigned i = 0; i < t; i++) {
		float *a = alpha + 8 * i, *an = a + 8;
		float ls = 0.5f * (sys[i] + (i < k ? la[i] : 0)), lp = 0.5f * par[i];
		for (unsigned s = 0; s < 8; s++) an[s] = NEG;
		for (unsigned s = 0; s < 8; s++) {
			for (unsigned u = 0; u < 2; u++) {
				if (i >= k && u != rsc_fb(s)) continue;
				float g = (u ? -ls : ls) + (rsc_par(s, u) ? -lp : lp);
				unsigned n = rsc_next(s, u);
				float m = a[s] + g;
				if (m > an[n]) an[n] = m;
			}
		}
		float norm = an[0];
		for (unsigned s = 1; s < 8; s++) if (an[s] > norm) norm = an[s];
		for (unsigned s = 0; s < 8; s++) an[s] -= norm;
	}
	float beta[8], bn[8];
	for (unsigned s = 0; s < 8; s++) beta[s] = s ? NEG : 0;
	for (unsigned i = t; i-- > 0;) {
		const float *a = alpha + 8 * i;
		float ls = 0.5f * (sys[i] + (i < k ? la[i] : 0)), lp = 0.5f * par[i];
		float m0 = NEG, m1 = NEG;
		for (unsigned s = 0; s < 8; s++) bn[s] = NEG;
		for (unsigned s = 0; s < 8; s++) {
			for (unsigned u = 0; u < 2; u++) {
				if (i >= k && u != rsc_fb(s)) continue;
				float g = (u ? -ls : ls) + (rsc_par(s, u) ? -lp : lp);
				unsigned n = rsc_next(s, u);
				float b = g + beta[n];
				if (b > bn[s]) bn[s] = b;
				float m = a[s] + b;
				if (u) { if (m > m1) m1 = m; }
				else if (m > m0) m0 = m;
			}
		}
		if (i < k) {
			llr[i] = m0 - m1;
			le[i] = llr[i] - sys[i] - la[i];
		}
		float norm = bn[0];
		for (unsigned s = 1; s < 8; s++) if (bn[s] > norm) norm = bn[s];
		for (unsigned s = 0; s < 8; s++) beta[s] = bn[s] - norm;
	}
}

int os_turbo_decode(uint8_t *c, const float *l0, const float *l1, const float *l2, unsigned k, int iters,
                    os_turbo_check check, void *arg, void *work)
{
	tdec_work *w = work;
	if (k > OS_K || os_qpp(w->pi, k) < 0) return -1;
	for (unsigned i = 0; i < k; i++) {
		w->sys1[i] = l0[i], w->par1[i] = l1[i];
		w->sys2[i] = l0[w->pi[i]], w->par2[i] = l2[i];
	}
	/* tails, 5.1.3.2.2 */
	w->sys1[k] = l0[k], w->sys1[k + 1] = l2[k], w->sys1[k + 2] = l1[k + 1];
	w->par1[k] = l1[k], w->par1[k + 1] = l0[k + 1], w->par1[k + 2] = l2[k + 1];
	w->sys2[k] = l0[k + 2], w->sys2[k + 1] = l2[k + 2], w->sys2[k + 2] = l1[k + 3];
	w->par2[k] = l1[k + 2], w->par2[k + 1] = l0[k + 3], w->par2[k + 2] = l2[k + 3];
	float la1[OS_K];
	memset(la1, 0, sizeof(float) * k);
	int it;
	for (it = 1; it <= iters; it++) {
		siso(w->le, w->llr, w->sys1, w->par1, la1, k, w->alpha);
		for (unsigned i = 0; i < k; i++) w->la[i] = 0.75f * w->le[w->pi[i]];
		siso(w->le, w->llr, w->sys2, w->par2, w->la, k, w->alpha);
		for (unsigned i = 0; i < k; i++) {
			la1[w->pi[i]] = 0.75f * w->le[i];
			c[w->pi[i]] = w->llr[i] < 0;
		}
		if (check && check(c, k, arg)) break;
	}
	return it > iters ? iters : it;
}

/* ---- rate matching, 5.1.4.1.1 - 5.1.4.1.2 -------------------------------------- */

static const uint8_t rm_perm[32] = { 0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30,
                                     1, 17, 9, 25, 5, 21, 13, 29, 3, 19, 11, 27, 7, 23, 15, 31 };

/* For each of the ne output bits: stream (top 2 bits) and index in d. */
static int rm_map(uint32_t *map, size_t ne, unsigned d, unsigned rv)
{
	unsigned r = (d + 31) / 32, kpi = 32 * r, nd = kpi - d, kw = 3 * kpi;
	if (!d || d > 6148 || rv > 3 || !ne) return -1;
	unsigned k0 = r * (2 * ((kw + 8 * r - 1) / (8 * r)) * rv + 2);
	size_t k = 0;
	for (size_t j = 0; k < ne; j++) {
		unsigned wi = (unsigned)((k0 + j) % kw), stream, y;
		if (j > (size_t)kw * 2 + ne * 2) return -1;
		if (wi < kpi) {
			stream = 0;
			y = (wi % r) * 32 + rm_perm[wi / r];
		} else {
			unsigned v = (wi - kpi) >> 1;
			stream = 1 + ((wi - kpi) & 1);
			if (stream == 1) y = (v % r) * 32 + rm_perm[v / r];
			else y = (rm_perm[v / r] + 32 * (v % r) + 1) % kpi;
		}
		if (y < nd) continue; /* <NULL> */
		map[k++] = (stream << 30) | (y - nd);
	}
	return 0;
}

int os_rate_match(uint8_t *e, size_t ne, const uint8_t *d0, const uint8_t *d1, const uint8_t *d2,
                  unsigned d, unsigned rv)
{
	uint32_t *map = malloc(ne * sizeof(*map));
	if (!map || rm_map(map, ne, d, rv) < 0) {
		free(map);
		return -1;
	}
	const uint8_t *s[3] = { d0, d1, d2 };
	for (size_t k = 0; k < ne; k++) e[k] = s[map[k] >> 30][map[k] & 0x3fffffffu];
	free(map);
	return 0;
}

int os_rate_dematch(float *l0, float *l1, float *l2, unsigned d, const float *e, size_t ne, unsigned rv)
{
	uint32_t *map = malloc(ne * sizeof(*map));
	if (!map || rm_map(map, ne, d, rv) < 0) {
		free(map);
		return -1;
	}
	float *s[3] = { l0, l1, l2 };
	for (int i = 0; i < 3; i++) memset(s[i], 0, d * sizeof(float));
	for (size_t k = 0; k < ne; k++) s[map[k] >> 30][map[k] & 0x3fffffffu] += e[k];
	free(map);
	return 0;
}

/* ---- the DroneID block ------------------------------------------------------------ */

int os_encode_bits(uint8_t *bits, const uint8_t payload[OS_PAYLOAD])
{
	uint8_t blk[OS_BLOCK], c[OS_K], d0[OS_D], d1[OS_D], d2[OS_D], g[OS_E];
	memcpy(blk, payload, OS_PAYLOAD);
	uint32_t crc = os_crc24a(payload, OS_PAYLOAD);
	blk[OS_PAYLOAD] = (uint8_t)(crc >> 16), blk[OS_PAYLOAD + 1] = (uint8_t)(crc >> 8), blk[OS_PAYLOAD + 2] = (uint8_t)crc;
	for (unsigned i = 0; i < OS_K; i++) c[i] = (blk[i / 8] >> (7 - i % 8)) & 1;
	if (os_turbo_encode(d0, d1, d2, c, OS_K) < 0 || os_rate_match(bits, OS_E, d0, d1, d2, OS_D, 0) < 0) return -1;
	os_gold(g, OS_E, OS_SCRAMBLE_INIT);
	for (unsigned i = 0; i < OS_E; i++) bits[i] ^= g[i];
	return 0;
}

static void pack_bits(uint8_t *blk, const uint8_t *c)
{
	memset(blk, 0, OS_BLOCK);
	for (unsigned i = 0; i < OS_K; i++) blk[i / 8] |= (uint8_t)((c[i] & 1) << (7 - i % 8));
}

static int crc_holds(const uint8_t *c, unsigned k, void *arg)
{
	(void)k;
	uint8_t *blk = arg;
	pack_bits(blk, c);
	return os_crc24a(blk, OS_BLOCK) == 0;
}

int os_decode_llr(uint8_t block[OS_BLOCK], int *crc_ok, const float *llr, int iters)
{
	float e[OS_E], l0[OS_D], l1[OS_D], l2[OS_D];
	uint8_t g[OS_E], c[OS_K];
	os_gold(g, OS_E, OS_SCRAMBLE_INIT);
	for (unsigned i = 0; i < OS_E; i++) {
		float v = llr[i];
		if (!isfinite(v)) v = 0;
		if (v > 1e6f) v = 1e6f;
		if (v < -1e6f) v = -1e6f;
		e[i] = g[i] ? -v : v;
	}
	if (os_rate_dematch(l0, l1, l2, OS_D, e, OS_E, 0) < 0) return -1;
	void *work = malloc(os_turbo_work_size(OS_K));
	if (!work) return -1;
	int it = os_turbo_decode(c, l0, l1, l2, OS_K, iters, crc_holds, block, work);
	free(work);
	if (it < 0) return -1;
	pack_bits(block, c);
	*crc_ok = os_crc24a(block, OS_BLOCK) == 0;
	return it;
}
