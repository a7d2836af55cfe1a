/*
 * capture.c - the radio capture loop: libpcap reads pcap and pcapng (its
 * own bounds checks on record headers), every frame goes through
 * dv_radio_decode_frame. libpcap reports the file's link type; a file
 * whose link type carries no Remote ID is read to the end and counted.
 */
#include <errno.h>
#include <stdint.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "dv/err.h"
#include "dv/radio.h"

/* Capture time in ns; hostile pcapng timestamps are clamped, not overflowed. */
static int64_t ts_ns(const struct pcap_pkthdr *h)
{
	const int64_t lim = INT64_MAX / 1000000000 - 1;
	int64_t s = (int64_t)h->ts.tv_sec, us = (int64_t)h->ts.tv_usec;
	if (s > lim) s = lim;
	if (s < -lim) s = -lim;
	if (us < 0 || us > 999999) us = 0;
	return s * 1000000000 + us * 1000;
}

static int scan(pcap_t *pc, const char *name, dv_radio_frame_fn fn, void *payload, dv_radio_stats *stats)
{
	dv_radio_stats st = { 0 };
	st.linktype = pcap_datalink(pc);
	st.linktype_supported = dv_radio_linktype_supported(st.linktype);
	dv_odid_frame f;
	int rc = 0;
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int n = pcap_next_ex(pc, &h, &data);
		if (n == PCAP_ERROR_BREAK) break; /* end of file */
		if (n < 0) {
			rc = dv_error_set(DV_ECORRUPT, name, -1, "capture breaks off after frame %llu: %s",
			                  (unsigned long long)st.frames, pcap_geterr(pc));
			break;
		}
		if (n == 0) continue;
		st.frames++;
		if (!st.linktype_supported) continue;
		f.frame_no = st.frames;
		f.ts_ns = ts_ns(h);
		size_t caplen = h->caplen;
		if (!dv_radio_decode_frame(st.linktype, data, caplen, &f)) continue;
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
	char err[PCAP_ERRBUF_SIZE] = "";
	FILE *fp = fopen(path, "rb");
	if (!fp) return dv_error_errno(errno, path, -1, "cannot open capture");
	/* libpcap reads record by record through stdio: a large buffer saves
	 * most of the read(2) calls of the default 4 KiB one. */
	(void)setvbuf(fp, NULL, _IOFBF, 1u << 20);
	/* pcap_fopen_offline takes the FILE and closes it with pcap_close */
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!pc) {
		fclose(fp);
		return dv_error_set(DV_EINVAL, path, 0, "not a pcap or pcapng capture: %s", err);
	}
	int rc = scan(pc, path, fn, payload, stats);
	pcap_close(pc);
	return rc;
}

int dv_radio_scan_mem(const void *buf, size_t len, const char *name, dv_radio_frame_fn fn,
                      void *payload, dv_radio_stats *stats)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	if (len == 0) return dv_error_set(DV_EINVAL, name, 0, "empty capture");
	FILE *fp = fmemopen((void *)buf, len, "rb");
	if (!fp) return dv_error_errno(errno, name, -1, "cannot open capture in memory");
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!pc) {
		fclose(fp);
		return dv_error_set(DV_EINVAL, name, 0, "not a pcap or pcapng capture: %s", err);
	}
	int rc = scan(pc, name, fn, payload, stats);
	pcap_close(pc);
	return rc;
}
