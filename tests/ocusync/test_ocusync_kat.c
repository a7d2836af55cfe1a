/*
 * test_ocusync_kat - known answers for every stage DroneID borrows from
 * LTE, each computed here independently of the module's code:
 *   Zadoff-Chu roots 600 and 147 (TS 36.211 5.5.1.1, in long double, no
 *   modular shortcut) and their CAZAC property; the Gold sequence c(n)
 *   (36.211 7.2, as two bit arrays exactly as the formula reads);
 *   CRC24A and the reflected CRC-16 against the CRC catalogue's check
 *   values; the QPP interleaver for K = 40 (Table 5.1.3-3: f1 3, f2 10);
 *   the constituent encoder's impulse response by GF(2) long division;
 *   rate matching against the reference receiver's published layout (the
 *   systematic stream at e[4148..5559] for E = 7200); turbo decoding.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ocusync/encode_int.h"
#include "ocusync/phy_int.h"
#include "ocusync/rx_int.h"

static void test_zc(void)
{
	static const unsigned roots[2] = { 600, 147 };
	for (int r = 0; r < 2; r++) {
		float complex z[OS_NZC];
		os_zc(z, roots[r]);
		double maxerr = 0;
		for (int n = 0; n < OS_NZC; n++) {
			long double ph = -3.14159265358979323846264338327950288L * roots[r] * n * (n + 1) / 601.0L;
			double complex ref = (double)cosl(ph) + I * (double)sinl(ph);
			double e = cabs(z[n] - ref);
			if (e > maxerr) maxerr = e;
		}
		CHECK(maxerr < 1e-5);
		/* CAZAC: zero periodic autocorrelation at every non-zero lag */
		double worst = 0;
		for (int lag = 1; lag < OS_NZC; lag++) {
			double complex acc = 0;
			for (int n = 0; n < OS_NZC; n++) acc += z[n] * conjf(z[(n + lag) % OS_NZC]);
			if (cabs(acc) / OS_NZC > worst) worst = cabs(acc) / OS_NZC;
		}
		CHECK(worst < 1e-4);
	}
	/* root 600 = N - 1: the conjugate of root 1 (n (n + 1) is even) */
	float complex a[OS_NZC], b[OS_NZC];
	os_zc(a, 600);
	os_zc(b, 1);
	int same = 1;
	for (int n = 0; n < OS_NZC; n++) same &= cabsf(a[n] - conjf(b[n])) < 1e-5f;
	CHECK(same);
	/* carriers: n = 0..600 on -300..+300, the DC element (n = 300) left out */
	float complex c[OS_NCAR];
	os_zc_carriers(c, 147);
	os_zc(a, 147);
	CHECK(cabsf(c[0] - a[0]) < 1e-6f && cabsf(c[299] - a[299]) < 1e-6f && cabsf(c[300] - a[301]) < 1e-6f &&
	      cabsf(c[599] - a[600]) < 1e-6f);
}

static void gold_ref(uint8_t *c, size_t n, uint32_t cinit)
{
	size_t len = 1600 + n + 31;
	uint8_t *x1 = calloc(len, 1), *x2 = calloc(len, 1);
	x1[0] = 1;
	for (int i = 0; i < 31; i++) x2[i] = (cinit >> i) & 1;
	for (size_t k = 0; k + 31 < len; k++) {
		x1[k + 31] = (x1[k + 3] + x1[k]) % 2;
		x2[k + 31] = (x2[k + 3] + x2[k + 2] + x2[k + 1] + x2[k]) % 2;
	}
	for (size_t k = 0; k < n; k++) c[k] = (x1[k + 1600] + x2[k + 1600]) % 2;
	free(x1);
	free(x2);
}

static void test_gold(void)
{
	static const uint32_t inits[] = { 0, 1, 0x12345678, 0x7fffffff, 510 };
	static uint8_t a[OS_E], b[OS_E];
	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
		os_gold(a, OS_E, inits[i]);
		gold_ref(b, OS_E, inits[i]);
		CHECK(memcmp(a, b, OS_E) == 0);
	}
	/* balanced: an m-sequence pair gives about as many ones as zeros */
	os_gold(a, OS_E, OS_SCRAMBLE_INIT);
	int ones = 0;
	for (int i = 0; i < OS_E; i++) ones += a[i];
	CHECK(ones > 3400 && ones < 3800);
}

static void test_crc(void)
{
	const uint8_t *chk = (const uint8_t *)"123456789";
	CHECK_EQ(os_crc24a(chk, 9), 0xcde703);      /* CRC-24/LTE-A */
	CHECK_EQ(os_crc16(chk, 9, 0x0000), 0x2189); /* CRC-16/KERMIT */
	CHECK_EQ(os_crc16(chk, 9, 0xffff), 0x6f91); /* CRC-16/MCRF4XX */
	uint8_t m[12];
	memcpy(m, chk, 9);
	uint32_t c = os_crc24a(m, 9);
	m[9] = (uint8_t)(c >> 16), m[10] = (uint8_t)(c >> 8), m[11] = (uint8_t)c;
	CHECK_EQ(os_crc24a(m, 12), 0); /* the receiver's check: the remainder vanishes */
}

static void test_qpp(void)
{
	static const uint16_t k40[40] = { 0,  13, 6,  19, 12, 25, 18, 31, 24, 37, 30, 3,  36, 9,
	                                  2,  15, 8,  21, 14, 27, 20, 33, 26, 39, 32, 5,  38, 11,
	                                  4,  17, 10, 23, 16, 29, 22, 35, 28, 1,  34, 7 };
	uint16_t pi[OS_K];
	CHECK(os_qpp(pi, 40) == 0);
	CHECK(memcmp(pi, k40, sizeof(k40)) == 0);
	CHECK(os_qpp(pi, 1408) == 0);
	static uint8_t seen[OS_K];
	int perm = 1;
	for (int i = 0; i < OS_K; i++) perm &= !seen[pi[i]]++;
	CHECK(perm);
	CHECK(pi[1] == 43 + 88 && pi[2] == (2 * 43 + 4 * 88) % 1408);
	CHECK(os_qpp(pi, 41) < 0);
}

/* impulse response of (1 + D + D^3) / (1 + D^2 + D^3) by long division */
static void rsc_impulse(uint8_t *out, int n)
{
	uint8_t num[64] = { 0 }, q[64] = { 0 };
	num[0] = num[1] = num[3] = 1;
	for (int i = 0; i < n; i++) {
		q[i] = num[i];
		if (q[i]) num[i] ^= 1, num[i + 2] ^= 1, num[i + 3] ^= 1;
		out[i] = q[i];
	}
}

static void test_turbo(void)
{
	uint8_t c[OS_K] = { 0 }, d0[OS_D], d1[OS_D], d2[OS_D], ref[40];
	c[0] = 1;
	CHECK(os_turbo_encode(d0, d1, d2, c, 40) == 0);
	rsc_impulse(ref, 40);
	CHECK(memcmp(d1, ref, 40) == 0);
	CHECK(d0[0] == 1 && d0[1] == 0);
	/* the second encoder sees the impulse where pi(i) = 0, i.e. at i = 0 */
	CHECK(memcmp(d2, ref, 40) == 0);
	/* all-zero input: all-zero output, tails included */
	memset(c, 0, sizeof(c));
	CHECK(os_turbo_encode(d0, d1, d2, c, OS_K) == 0);
	int z = 1;
	for (int i = 0; i < OS_D; i++) z &= !d0[i] && !d1[i] && !d2[i];
	CHECK(z);

	/* decode through BPSK + AWGN at Eb/N0 = 1 dB (rate 1/3; max-log-MAP
	 * with 8 iterations: about 15 % of blocks still fail at 0.5 dB) */
	uint64_t rng = 42;
	void *work = malloc(os_turbo_work_size(OS_K));
	int ok = 0, trials = 20;
	static float l0[OS_D], l1[OS_D], l2[OS_D];
	for (int t = 0; t < trials; t++) {
		for (int i = 0; i < OS_K; i++) c[i] = (uint8_t)(os_rand_normal(&rng) > 0);
		os_turbo_encode(d0, d1, d2, c, OS_K);
		double ebn0 = pow(10, 0.1), sigma = sqrt(1 / (2 * ebn0 / 3));
		for (int i = 0; i < OS_D; i++) {
			double y0 = (1 - 2 * d0[i]) + sigma * os_rand_normal(&rng);
			double y1 = (1 - 2 * d1[i]) + sigma * os_rand_normal(&rng);
			double y2 = (1 - 2 * d2[i]) + sigma * os_rand_normal(&rng);
			l0[i] = (float)(2 * y0 / (sigma * sigma));
			l1[i] = (float)(2 * y1 / (sigma * sigma));
			l2[i] = (float)(2 * y2 / (sigma * sigma));
		}
		uint8_t dec[OS_K];
		os_turbo_decode(dec, l0, l1, l2, OS_K, 8, NULL, NULL, work);
		ok += memcmp(dec, c, OS_K) == 0;
	}
	free(work);
	fprintf(stderr, "turbo: %d of %d blocks at Eb/N0 1 dB\n", ok, trials);
	CHECK(ok == trials);
}

static const uint8_t perm32[32] = { 0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30,
                                    1, 17, 9, 25, 5, 21, 13, 29, 3, 19, 11, 27, 7, 23, 15, 31 };

static void test_rate_match(void)
{
	uint8_t d0[OS_D], d1[OS_D], d2[OS_D], e[OS_E];
	uint64_t rng = 7;
	for (int i = 0; i < OS_D; i++) {
		d0[i] = (uint8_t)(os_rand_normal(&rng) > 0);
		d1[i] = (uint8_t)(os_rand_normal(&rng) > 0);
		d2[i] = (uint8_t)(os_rand_normal(&rng) > 0);
	}
	CHECK(os_rate_match(e, OS_E, d0, d1, d2, OS_D, 0) == 0);
	/* 45 x 32 matrix, 28 dummy bits; read column by column in perm32
	 * order, dummies skipped: the 1412 systematic bits start at e[4148]
	 * (the second pass of the circular buffer) */
	int r = 45, nd = 28, p = 4148, same = 1;
	for (int col = 0; col < 32; col++)
		for (int row = 0; row < r; row++) {
			int y = row * 32 + perm32[col];
			if (y < nd) continue;
			same &= e[p++] == d0[y - nd];
		}
	CHECK(same && p == 4148 + OS_D);
	/* the first pass starts at k0 = 2 R = 90: column 2 (perm 8), row 0 */
	CHECK(e[0] == d0[1 * 32 + 8 - nd]); /* row 0 of column 8 is a dummy: row 1 */
	/* soft inverse: every position gets its repetitions summed */
	static float le[OS_E], l0[OS_D], l1[OS_D], l2[OS_D];
	for (int i = 0; i < OS_E; i++) le[i] = e[i] ? -1.f : 1.f;
	CHECK(os_rate_dematch(l0, l1, l2, OS_D, le, OS_E, 0) == 0);
	int agree = 1;
	double total = 0;
	for (int i = 0; i < OS_D; i++) {
		agree &= (l0[i] < 0) == d0[i] && (l1[i] < 0) == d1[i] && (l2[i] <= 0) == d2[i];
		total += fabsf(l0[i]) + fabsf(l1[i]) + fabsf(l2[i]);
	}
	CHECK(agree);
	CHECK(fabs(total - OS_E) < 0.5);
}

static void test_block(void)
{
	uint8_t payload[OS_PAYLOAD], bits[OS_E], block[OS_BLOCK];
	for (int i = 0; i < OS_PAYLOAD; i++) payload[i] = (uint8_t)(i * 37 + 11);
	CHECK(os_encode_bits(bits, payload) == 0);
	static float llr[OS_E];
	for (int i = 0; i < OS_E; i++) llr[i] = bits[i] ? -4.f : 4.f;
	int ok = 0;
	CHECK(os_decode_llr(block, &ok, llr, 8) >= 1);
	CHECK(ok);
	CHECK(memcmp(block, payload, OS_PAYLOAD) == 0);
	/* a block whose CRC24A is wrong decodes to its bits but fails */
	uint8_t c[OS_K], d0[OS_D], d1[OS_D], d2[OS_D], g[OS_E];
	uint8_t blk[OS_BLOCK];
	memcpy(blk, payload, OS_PAYLOAD);
	blk[173] = 1, blk[174] = 2, blk[175] = 3;
	for (int i = 0; i < OS_K; i++) c[i] = (blk[i / 8] >> (7 - i % 8)) & 1;
	os_turbo_encode(d0, d1, d2, c, OS_K);
	os_rate_match(bits, OS_E, d0, d1, d2, OS_D, 0);
	os_gold(g, OS_E, OS_SCRAMBLE_INIT);
	for (int i = 0; i < OS_E; i++) llr[i] = (bits[i] ^ g[i]) ? -4.f : 4.f;
	dv_ocusync_frame f;
	memset(&f, 0, sizeof(f));
	CHECK(os_frame_from_llr(&f, llr) == 0);
	CHECK(!f.crc24_ok && !f.decoded);
}

static void test_payload(void)
{
	dv_ocusync_frame a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	snprintf(a.serial, sizeof(a.serial), "1WNBH3900201N1");
	a.sequence = 591, a.state_info = 8183, a.lat = 51.44633393111904, a.lon = 7.26721594197086;
	a.altitude_m = 42.97, a.height_m = 12.8, a.v_north = -2, a.v_east = 2, a.v_up = 26, a.yaw = -13295;
	a.gps_time_ms = 1650542026258ull, a.app_lat = 51.44620788045814, a.app_lon = 7.267101350460944;
	a.home_lat = 51.4462594466376, a.home_lon = 7.267353451782758, a.device_type = 58;
	snprintf(a.uuid, sizeof(a.uuid), "1143635532171534336");
	uint8_t p[OS_BLOCK] = { 0 };
	os_payload_build(p, &a);
	uint32_t crc = os_crc24a(p, OS_PAYLOAD);
	p[173] = (uint8_t)(crc >> 16), p[174] = (uint8_t)(crc >> 8), p[175] = (uint8_t)crc;
	os_payload_parse(&b, p);
	CHECK(b.decoded && b.crc16_ok && b.crc24_ok);
	CHECK(!strcmp(b.serial, a.serial) && !strcmp(b.uuid, a.uuid) && b.uuid_len == 19);
	CHECK(fabs(b.lat - a.lat) < 1e-7 && fabs(b.lon - a.lon) < 1e-7 && fabs(b.app_lat - a.app_lat) < 1e-7);
	CHECK(fabs(b.altitude_m - 42.97) < 0.006 && fabs(b.height_m - 12.8) < 0.006);
	CHECK(b.v_north == -2 && b.v_up == 26 && b.yaw == -13295 && b.gps_time_ms == a.gps_time_ms);
	CHECK(b.device_name && !strcmp(b.device_name, "Mavic Air 2"));
	/* the reference frame's CRC-16 */
	CHECK_EQ(b.crc_packet, 0xb048);
	p[10] ^= 1;
	os_payload_parse(&b, p);
	CHECK(!b.crc16_ok && !b.decoded);
}

int main(void)
{
	test_zc();
	test_gold();
	test_crc();
	test_qpp();
	test_turbo();
	test_rate_match();
	test_block();
	test_payload();
	return check_done();
}
