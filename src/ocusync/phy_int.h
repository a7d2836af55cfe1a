/*
 * ocusync/phy_int.h - the physical layer of DJI's OcuSync DroneID burst,
 * built from the LTE pieces it borrows (3GPP TS 36.211 / 36.212, Rel. 8).
 *
 * Burst at 15.36 Msps (LTE 10 MHz numerology): 9 OFDM symbols of a
 * 1024-point FFT, 15 kHz subcarriers, cyclic prefixes 80, 72 x 7, 80
 * samples (644 us). 601 occupied subcarriers -300..+300 around an unused
 * DC; symbols 3 and 5 (from 0) carry Zadoff-Chu sequences of roots 600
 * and 147, symbol 0 a known QPSK sequence, symbols 1, 2, 4, 6, 7, 8 the
 * 6 x 600 QPSK data carriers = 7200 coded bits.
 *
 * Coding chain (transmitter): 173 payload bytes + CRC24A (36.212 5.1.1)
 * -> K = 1408 bits, one code block -> LTE turbo code (5.1.3.2, QPP
 * interleaver f1 = 43, f2 = 88) -> 3 streams of D = 1412 bits -> rate
 * matching (5.1.4.1, sub-block interleavers, circular buffer, rv 0) to
 * E = 7200 bits -> scrambling with the Gold sequence c(n) of 36.211 7.2,
 * c_init = 0x12345678 -> QPSK (36.211 7.1.2).
 */
#ifndef DV_OCUSYNC_PHY_INT_H
#define DV_OCUSYNC_PHY_INT_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#define OS_FS 15360000.0        /* the burst's sample rate */
#define OS_NFFT 1024
#define OS_CP_LONG 80
#define OS_CP_SHORT 72
#define OS_NSYM 9
#define OS_NZC 601              /* Zadoff-Chu length = occupied carriers incl. DC */
#define OS_NCAR 600             /* data carriers per symbol (DC left out) */
#define OS_ZC_SYM_A 3
#define OS_ZC_SYM_B 5
#define OS_ZC_ROOT_A 600
#define OS_ZC_ROOT_B 147
#define OS_NDATA_SYM 6
#define OS_E 7200               /* coded bits per burst */
#define OS_K 1408               /* turbo block: payload + CRC24A */
#define OS_D (OS_K + 4)         /* each turbo output stream, with tail */
#define OS_PAYLOAD 173          /* bytes before the CRC24A */
#define OS_BLOCK 176            /* bytes of the turbo block */
#define OS_SCRAMBLE_INIT 0x12345678u
#define OS_BURST_LEN (2 * (OS_NFFT + OS_CP_LONG) + 7 * (OS_NFFT + OS_CP_SHORT)) /* 9880 */

/* The data symbols in transmission order. */
extern const int os_data_sym[OS_NDATA_SYM];

/* Sample offset of symbol s's cyclic prefix from the burst start. */
int os_sym_start(int s);
int os_sym_cp(int s);

/* ---- Zadoff-Chu (TS 36.211 5.5.1.1): x_u(n) = exp(-j pi u n (n+1) / N_ZC) */
/* out[0..600]: the sequence for n = 0..600; the phase is reduced exactly in
 * integers before the float exponential. */
void os_zc(float complex *out, unsigned root);
/* The ZC of a pilot symbol as it sits on the subcarriers: out[k], k = 0..599
 * for carriers -300..-1, +1..+300 (n = 0..600 mapped onto -300..+300, the
 * DC element is not transmitted). */
void os_zc_carriers(float complex *out, unsigned root);

/* ---- Gold sequence c(n) (TS 36.211 7.2), Nc = 1600 ------------------------ */
/* bits[0..n-1] = c(0..n-1), one bit per byte. */
void os_gold(uint8_t *bits, size_t n, uint32_t c_init);

/* ---- CRCs ----------------------------------------------------------------- */
/* CRC24A of TS 36.212 5.1.1 (gCRC24A = 0x864CFB, register 0, MSB first). */
uint32_t os_crc24a(const uint8_t *p, size_t n);
/* CRC-16 polynomial 0x1021, reflected (LSB first, 0x8408), register init;
 * init 0 is CRC-16/KERMIT, 0xFFFF CRC-16/MCRF4XX, 0x3692 DJI's DroneID. */
uint16_t os_crc16(const uint8_t *p, size_t n, uint16_t init);
#define OS_CRC16_INIT 0x3692

/* ---- turbo code (TS 36.212 5.1.3.2) --------------------------------------- */
/* QPP interleaver of 5.1.3.2.3: pi[i] = (f1 i + f2 i^2) mod K. 0 or -1 when
 * K is not 1408/40 (the two sizes here and in the tests). */
int os_qpp(uint16_t *pi, unsigned k);
/* c[0..K-1] bits -> d0, d1, d2 of K+4 bits each (systematic, parity 1,
 * parity 2, the 12 tail bits as 5.1.3.2.2 lays them out). */
int os_turbo_encode(uint8_t *d0, uint8_t *d1, uint8_t *d2, const uint8_t *c, unsigned k);

/* Max-log-MAP decoder. L[s][0..K+3]: channel LLRs of d0, d1, d2 (positive
 * means bit 0). Writes the K hard decisions to c; iterates up to iters
 * times and stops early when check(c) says yes (a CRC). Returns the
 * number of iterations run. work must hold os_turbo_work_size(k) bytes. */
typedef int (*os_turbo_check)(const uint8_t *c, unsigned k, void *arg);
size_t os_turbo_work_size(unsigned k);
int os_turbo_decode(uint8_t *c, const float *l0, const float *l1, const float *l2, unsigned k, int iters,
                    os_turbo_check check, void *arg, void *work);

/* ---- rate matching (TS 36.212 5.1.4.1, turbo) ------------------------------ */
/* d0..d2 (D bits each) -> e[0..E-1] with redundancy version rv. */
int os_rate_match(uint8_t *e, size_t ne, const uint8_t *d0, const uint8_t *d1, const uint8_t *d2,
                  unsigned d, unsigned rv);
/* The inverse for soft values: LLRs of e are added into l0..l2 (D each,
 * zeroed first), repetitions combine. */
int os_rate_dematch(float *l0, float *l1, float *l2, unsigned d, const float *e, size_t ne, unsigned rv);

/* ---- the DroneID block ---------------------------------------------------- */
/* 173 bytes -> 7200 scrambled coded bits (one per byte). */
int os_encode_bits(uint8_t *bits, const uint8_t payload[OS_PAYLOAD]);
/* 7200 LLRs (positive = 0, before descrambling) -> the 176-byte block;
 * *crc_ok whether its CRC24A holds; returns iterations or < 0. */
int os_decode_llr(uint8_t block[OS_BLOCK], int *crc_ok, const float *llr, int iters);

#endif
