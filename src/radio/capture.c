/*
 * capture.c - the radio capture loop: every frame of a frame source
 * (dv/capture.h: a pcap/pcapng file, a capture in memory, records ...)
 * goes through dv_radio_decode_frame. A source whose link type carries no
 * Remote ID is read to the end and counted.
 */
#include <stdint.h>
#include <string.h>

#include "dv/capture.h"
#include "dv/err.h"
#include "dv/radio.h"
#include "radio/odid_int.h"

int dv_radio_scan_capture(dv_capture *c, dv_radio_frame_fn fn, void *payload, dv_radio_stats *stats)
{
	dv_radio_stats st = { 0 };
	int rc = dv_capture_linktype(c);
	if (rc < 0) {
		if (stats) *stats = st;
		return rc;
	}
	st.linktype = rc;
	st.linktype_supported = dv_radio_linktype_supported(st.linktype);
	rc = 0;
	dv_odid_frame f;
	dv_frame fr;
	for (;;) {
		int n = dv_capture_next(c, &fr);
		if (n == 0) break; /* end of the source */
		if (n < 0) {
			rc = n;
			break;
		}
		st.frames++;
		if (!st.linktype_supported) continue;
		f.frame_no = fr.number;
		f.ts_ns = fr.ts_ns;
		if (!dv_radio_decode_frame(st.linktype, fr.data, fr.caplen, &f)) continue;
		st.odid_frames++;
		st.crc_bad += f.crc_bad;
		if (fn) {
			rc = fn(&f, payload);
			if (rc) break;
		}
	}
	if (stats) *stats = st;
	return rc;
}

int dv_radio_scan_file(const char *path, dv_radio_frame_fn fn, void *payload, dv_radio_stats *stats)
{
	dv_capture *c;
	int rc = dv_capture_open_file(&c, path);
	if (rc < 0) return rc;
	rc = dv_radio_scan_capture(c, fn, payload, stats);
	dv_capture_close(c);
	return rc;
}

int dv_radio_scan_mem(const void *buf, size_t len, const char *name, dv_radio_frame_fn fn,
                      void *payload, dv_radio_stats *stats)
{
	dv_capture *c;
	int rc = dv_capture_open_mem(&c, buf, len, name);
	if (rc < 0) return rc;
	rc = dv_radio_scan_capture(c, fn, payload, stats);
	dv_capture_close(c);
	return rc;
}
