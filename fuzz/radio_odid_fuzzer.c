/*
 * radio_odid_fuzzer - libFuzzer target for the Remote ID decoder.
 *
 * Input: a whole pcap/pcapng capture (recognised by its magic number; the
 * sample captures are the extra corpus), or else one frame: the first byte
 * picks the link type, the rest is the frame. Either way every decoded
 * frame is formatted and merged into a report, which is printed and
 * serialised, so the whole path from bytes to JSON is exercised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "radio/odid_int.h"
#include "dv/radio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = { 105, 127, 187, 192, 201, 251, 254, 256, 272 };

static int on_frame(const dv_odid_frame *f, void *payload)
{
	char line[4096];
	(void)dv_odid_frame_tsv(f, line, sizeof(line), 0);
	(void)dv_odid_frame_tsv(f, line, sizeof(line), DV_ODID_TSV_ESCAPE);
	return dv_radio_report_add_frame(payload, 0, f) < 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_radio_report *r;
	if (dv_radio_report_new(&r) < 0) return 0;
	if (dv_radio_report_begin_capture(r, "fuzz") < 0) {
		dv_radio_report_free(r);
		return 0;
	}
	bool pcap = size >= 4 && (!memcmp(data, "\xd4\xc3\xb2\xa1", 4) || !memcmp(data, "\xa1\xb2\xc3\xd4", 4) ||
	                          !memcmp(data, "\x4d\x3c\xb2\xa1", 4) || !memcmp(data, "\xa1\xb2\x3c\x4d", 4) ||
	                          !memcmp(data, "\x0a\x0d\x0d\x0a", 4));
	if (pcap) {
		(void)dv_radio_scan_mem(data, size, "fuzz", on_frame, r, NULL);
	} else if (size >= 1) {
		dv_odid_frame f;
		memset(&f, 0, sizeof(f));
		f.frame_no = 1;
		int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
		/* copy so that reads past the frame are caught by ASan */
		uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
		if (buf) {
			memcpy(buf, data + 1, size - 1);
			if (dv_radio_decode_frame(lt, buf, size - 1, &f)) (void)on_frame(&f, r);
			/* the payload decoder on its own, as a BLE/NAN/beacon payload */
			memset(&f, 0, sizeof(f));
			(void)dv_odid_decode_payload(buf, size - 1, true, &f);
			(void)on_frame(&f, r);
			free(buf);
		}
	}
	dv_radio_report_finish(r);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		dv_radio_report_print(r, null);
		fclose(null);
	}
	char *js = NULL;
	if (dv_radio_report_json(r, &js) == 0) free(js);
	js = NULL;
	if (dv_radio_report_geojson(r, &js) == 0) free(js);
	dv_radio_report_free(r);
	return 0;
}
