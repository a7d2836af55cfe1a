/*
 * radio_droneid_fuzzer - libFuzzer target for the DJI DroneID decoder.
 *
 * Input: the bytes of a vendor element after the OUI 26:37:12 (vendor
 * type, 2 bytes, subcommand, record). The record is decoded, formatted as
 * a --frames=droneid row and merged into a report (track, pilot position,
 * home point, issues), which is finished, printed and serialised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/radio.h"
#include "radio/droneid_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_droneid_record d;
	(void)dv_droneid_decode_wifi(&d, data, size);
	char row[1024];
	(void)dv_droneid_tsv(&d, 1, row, sizeof(row), true);
	(void)dv_droneid_tsv(&d, 1, row, 8, false); /* too small: refused, not overrun */
	dv_radio_report *r;
	if (dv_radio_report_new(&r) < 0) return 0;
	if (dv_radio_report_begin_capture(r, "fuzz") >= 0) {
		static const uint8_t mac[6] = { 0x60, 0x60, 0x1f, 1, 2, 3 };
		(void)dv_radio_report_add_droneid(r, 0, 1, 1, mac, &d);
		(void)dv_radio_report_add_droneid(r, 0, 2, 2, NULL, &d);
		dv_radio_report_finish(r);
		char *s = NULL;
		if (dv_radio_report_json(r, &s) == 0) free(s);
		s = NULL;
		if (dv_radio_report_geojson(r, &s) == 0) free(s);
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			dv_radio_report_print(r, null);
			fclose(null);
		}
	}
	dv_radio_report_free(r);
	return 0;
}
