/*
 * ocusync/sigmf_int.h - SigMF recording metadata (sigmf-spec 1.0, the
 * fields a decoder needs) and raw IQ sample formats.
 */
#ifndef DV_OCUSYNC_SIGMF_INT_H
#define DV_OCUSYNC_SIGMF_INT_H

#include <stddef.h>
#include <stdint.h>

#define OS_META_MAX (1u << 20) /* a .sigmf-meta larger than 1 MiB is refused */

typedef enum os_iq_fmt { OS_IQ_NONE, OS_IQ_CF32, OS_IQ_CI16, OS_IQ_CU8, OS_IQ_CI8 } os_iq_fmt;

typedef struct os_sigmf {
	os_iq_fmt fmt;
	char datatype[16];
	double sample_rate;   /* 0: not given */
	double center_freq;   /* 0: not given */
	char dataset[256];    /* core:dataset, a plain file name, or "" */
	uint64_t declared;    /* samples the captures/annotations reach, 0: none */
} os_sigmf;

/* Parses metadata bytes (json-c, bounded). name for errors. */
int os_sigmf_parse(os_sigmf *out, const char *buf, size_t len, const char *name);
/* "cf32", "cf32_le", "ci16_le", "cu8", "ci8", ... -> format, or OS_IQ_NONE */
os_iq_fmt os_iq_format(const char *name);
size_t os_iq_size(os_iq_fmt f);
/* n raw samples -> complex floats; NaN/Inf become 0 (counted in *bad),
 * integer samples at full scale are counted in *clipped. */
void os_iq_convert(float _Complex *out, const uint8_t *in, size_t n, os_iq_fmt f, uint64_t *bad, uint64_t *clipped);

#endif
