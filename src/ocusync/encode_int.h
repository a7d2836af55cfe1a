/*
 * ocusync/encode_int.h - a DroneID transmitter for the tests and the
 * benchmark: payload -> CRC24A -> turbo -> rate matching -> scrambling ->
 * QPSK -> OFDM with the ZC and c(n) symbols -> baseband IQ at any rate,
 * with a frequency offset, a fractional start and a sample-rate error,
 * plus white noise of a given Es/N0 over the occupied subcarriers.
 */
#ifndef DV_OCUSYNC_ENCODE_INT_H
#define DV_OCUSYNC_ENCODE_INT_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "ocusync/phy_int.h"

typedef struct os_enc {
	double fs;        /* output sample rate */
	double start;     /* burst start in output samples (fractional) */
	double freq_hz;   /* carrier offset */
	double ppm;       /* transmitter clock error */
	float amp;        /* 1: Es = 1 per carrier */
} os_enc;

/* The 9880-sample burst at 15.36 Msps (no impairments). */
int os_encode_burst(float complex burst[OS_BURST_LEN], const uint8_t payload[OS_PAYLOAD]);
/* Adds the burst into out[0..n-1] as e describes. */
int os_encode_iq(float complex *out, size_t n, const uint8_t payload[OS_PAYLOAD], const os_enc *e);
/* Adds complex white noise such that a burst of amp 1 has Es/N0 = snr_db
 * over its occupied carriers after the receiver's resampling. */
void os_add_noise(float complex *out, size_t n, double fs, double snr_db, uint64_t *rng);
double os_rand_normal(uint64_t *rng);

#endif
