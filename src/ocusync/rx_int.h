/*
 * ocusync/rx_int.h - the receiver: a wideband recording streamed in, bursts
 * found by energy, each burst's band cut out and resampled to 15.36 Msps
 * by FFT, then timing, frequency offset, OFDM demodulation, equalisation
 * and soft QPSK bits (demod.c), turbo decoding and the payload
 * (turbo.c, payload.c).
 */
#ifndef DV_OCUSYNC_RX_INT_H
#define DV_OCUSYNC_RX_INT_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/ocusync.h"
#include "ocusync/phy_int.h"

/* ---- one burst at 15.36 Msps (demod.c) ------------------------------------ */
typedef struct os_demod os_demod;
int os_demod_new(os_demod **out);
void os_demod_free(os_demod *d);

typedef struct os_burst_info {
	double start;       /* burst start, samples into the 15.36 Msps buffer */
	double cfo_hz;      /* frequency offset found and removed */
	double snr_db;      /* Es/N0 estimated from the two pilot symbols */
	double zc_score;    /* normalised pilot correlation, 0..1 */
	double sym0_match;  /* fraction of symbol 0's bits equal to c(n) */
} os_burst_info;

/* x[0..n-1]: samples around a burst expected near approx_start. Fills the
 * 7200 soft bits (positive = 0, still scrambled). < 0 (DV_EINVAL) when no
 * DroneID pilots are found. */
int os_demod_burst(float *llr, os_burst_info *info, os_demod *d, const float complex *x, size_t n,
                   double approx_start);

/* ---- the payload (payload.c) --------------------------------------------- */
/* Fields of the OcuSync 2 DroneID payload from the decoded block. */
void os_payload_parse(dv_ocusync_frame *f, const uint8_t block[OS_BLOCK]);
/* The 173-byte payload for a frame's fields (encoder of the tests). */
void os_payload_build(uint8_t payload[OS_PAYLOAD], const dv_ocusync_frame *f);
/* From soft bits on: turbo, CRCs, fields; what the fuzz target drives. */
int os_frame_from_llr(dv_ocusync_frame *f, const float *llr);

/* ---- the stream (rx.c) ---------------------------------------------------- */
typedef struct os_rx os_rx;
typedef int (*os_frame_cb)(const dv_ocusync_frame *f, void *arg);
typedef int (*os_warn_cb)(uint64_t sample, const char *what, void *arg);
int os_rx_new(os_rx **out, double sample_rate, os_frame_cb on_frame, os_warn_cb on_warn, void *arg);
void os_rx_free(os_rx *rx);
/* Feeds n samples; frames are reported through the callbacks. */
int os_rx_push(os_rx *rx, const float complex *x, size_t n);
/* End of input: bursts still pending are decoded or reported as cut. */
int os_rx_finish(os_rx *rx);
uint64_t os_rx_candidates(const os_rx *rx);
/* Bursts of half to twice DroneID's length: a wrong sample rate shows here. */
uint64_t os_rx_near_misses(const os_rx *rx);

#endif
