/*
 * ocusync_bits_fuzzer - libFuzzer target for the DroneID decoder from
 * demodulated bits on. First byte 0: the rest are soft bits (int8, up to
 * 7200; missing ones are erasures) through descrambling, rate
 * de-matching, the turbo decoder, both CRCs and the payload fields;
 * otherwise the rest is a decoded 176-byte block for the payload parser.
 * Either way the frame goes through the text, JSON and GeoJSON reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/ocusync.h"
#include "ocusync/rx_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	dv_ocusync_frame f;
	memset(&f, 0, sizeof(f));
	if (data[0] == 0) {
		static float llr[OS_E];
		for (size_t i = 0; i < OS_E; i++) llr[i] = i + 1 < size ? (float)(int8_t)data[i + 1] * 0.25f : 0.f;
		if (os_frame_from_llr(&f, llr) < 0) return 0;
	} else {
		uint8_t blk[OS_BLOCK] = { 0 };
		memcpy(blk, data + 1, size - 1 < OS_BLOCK ? size - 1 : OS_BLOCK);
		os_payload_parse(&f, blk);
	}
	if (f.decoded && !(f.crc24_ok && f.crc16_ok)) __builtin_trap();
	dv_ocusync_result r;
	memset(&r, 0, sizeof(r));
	snprintf(r.path, sizeof(r.path), "fuzz");
	r.frames = &f;
	r.nframes = 1;
	r.sample_rate = 15.36e6;
	const dv_ocusync_result *const rr[1] = { &r };
	char *s = NULL;
	if (dv_ocusync_json(&s, rr, 1) == 0) free(s);
	s = NULL;
	if (dv_ocusync_geojson(&s, rr, 1) == 0) free(s);
	FILE *out = fopen("/dev/null", "w");
	if (out) {
		dv_ocusync_print(rr, 1, out);
		fclose(out);
	}
	dv_error_clear();
	return 0;
}
