/*
 * ocusync/phy.c - frame layout, Zadoff-Chu sequences, the Gold sequence
 * and the CRCs of the OcuSync DroneID burst (see phy_int.h).
 */
#include <math.h>
#include <string.h>

#include "ocusync/phy_int.h"

const int os_data_sym[OS_NDATA_SYM] = { 1, 2, 4, 6, 7, 8 };

int os_sym_cp(int s)
{
	return s == 0 || s == OS_NSYM - 1 ? OS_CP_LONG : OS_CP_SHORT;
}

int os_sym_start(int s)
{
	int off = 0;
	for (int i = 0; i < s; i++) off += os_sym_cp(i) + OS_NFFT;
	return off;
}

/* TS 36.211 5.5.1.1. u n (n+1) grows to 600 * 600 * 601: reduce it modulo
 * 2 N_ZC in integers so the float exponential sees a phase in [0, 2 pi). */
void os_zc(float complex *out, unsigned root)
{
	for (unsigned n = 0; n < OS_NZC; n++) {
		uint64_t m = ((uint64_t)root * n * (n + 1)) % (2 * OS_NZC);
		double ph = -M_PI * (double)m / OS_NZC;
		out[n] = (float)cos(ph) + I * (float)sin(ph);
	}
}

void os_zc_carriers(float complex *out, unsigned root)
{
	float complex z[OS_NZC];
	os_zc(z, root);
	for (int k = 0; k < OS_NCAR; k++) out[k] = z[k < OS_NCAR / 2 ? k : k + 1];
}

/*
 * TS 36.211 7.2: c(n) = (x1(n + Nc) + x2(n + Nc)) mod 2, Nc = 1600,
 * x1(n + 31) = (x1(n + 3) + x1(n)) mod 2, x1(0) = 1, x1(1..30) = 0,
 * x2(n + 31) = (x2(n + 3) + x2(n + 2) + x2(n + 1) + x2(n)) mod 2,
 * c_init = sum x2(i) 2^i. Both registers are kept as 31-bit words, bit i
 * = x(n + i), and stepped one bit at a time.
 */
void os_gold(uint8_t *bits, size_t n, uint32_t c_init)
{
	uint32_t x1 = 1, x2 = c_init & 0x7fffffffu;
	for (size_t i = 0; i < 1600 + n; i++) {
		if (i >= 1600) bits[i - 1600] = (uint8_t)((x1 ^ x2) & 1);
		uint32_t f1 = ((x1 >> 3) ^ x1) & 1;
		uint32_t f2 = ((x2 >> 3) ^ (x2 >> 2) ^ (x2 >> 1) ^ x2) & 1;
		x1 = (x1 >> 1) | (f1 << 30);
		x2 = (x2 >> 1) | (f2 << 30);
	}
}

uint32_t os_crc24a(const uint8_t *p, size_t n)
{
	uint32_t crc = 0;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint32_t)p[i] << 16;
		for (int b = 0; b < 8; b++) crc = crc & 0x800000u ? ((crc << 1) ^ 0x864cfbu) : crc << 1;
	}
	return crc & 0xffffffu;
}

uint16_t os_crc16(const uint8_t *p, size_t n, uint16_t init)
{
	uint16_t crc = init;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++) crc = crc & 1 ? (uint16_t)((crc >> 1) ^ 0x8408u) : (uint16_t)(crc >> 1);
	}
	return crc;
}
