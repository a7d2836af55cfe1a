/*
 * test_radio_source - the Remote ID reader over any frame source: the same
 * frames as a capture file and as records (the seam a sandboxed reader
 * feeds) give the same report. Synthetic beacons always; the Open Drone ID
 * sample captures of $DV_SHARED when present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dv/capture.h"
#include "dv/err.h"
#include "dv/radio.h"

/* A capture's frames as one records buffer. */
static uint8_t *to_records(dv_capture *c, size_t *len, int *lt)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	*lt = dv_capture_linktype(c);
	dv_frame f;
	while (dv_capture_next(c, &f) == 1) {
		while (cap - n < DV_CAPTURE_RECORD_HDR + f.caplen) b = realloc(b, cap *= 2);
		n += dv_capture_record_put(b + n, cap - n, &f);
	}
	*len = n;
	return b;
}

static char *report_json(dv_radio_report *r)
{
	char *js = NULL;
	dv_radio_report_finish(r);
	CHECK_EQ(dv_radio_report_json(r, &js), 0);
	return js ? js : strdup("");
}

/* "path" in the JSON names the capture: give the records the same name */
static void check_file(const char *path)
{
	dv_capture *c;
	CHECK_EQ(dv_capture_open_file(&c, path), 0);
	if (!c) return;
	size_t len;
	int lt;
	uint8_t *rec = to_records(c, &len, &lt);
	dv_capture_close(c);

	dv_radio_report *a, *b;
	CHECK_EQ(dv_radio_report_new(&a), 0);
	CHECK_EQ(dv_radio_report_new(&b), 0);
	CHECK_EQ(dv_radio_report_add_capture(a, path), 0);
	CHECK_EQ(dv_capture_open_records(&c, rec, len, lt, path), 0);
	CHECK_EQ(dv_radio_report_add_source(b, c), 0);
	dv_capture_close(c);
	CHECK_EQ(a->captures[0].stats.frames, b->captures[0].stats.frames);
	CHECK_EQ(a->captures[0].stats.odid_frames, b->captures[0].stats.odid_frames);
	CHECK(a->captures[0].stats.odid_frames > 0);
	char *ja = report_json(a), *jb = report_json(b);
	CHECK(!strcmp(ja, jb));
	printf("%s: %llu frames, %llu with Remote ID, same report from records\n", path,
	       (unsigned long long)a->captures[0].stats.frames, (unsigned long long)a->captures[0].stats.odid_frames);
	free(ja);
	free(jb);
	dv_radio_report_free(a);
	dv_radio_report_free(b);
	free(rec);
}

/* a beacon with one Basic ID message in the ASTM vendor element */
static size_t beacon(uint8_t *p, uint8_t counter)
{
	static const uint8_t hdr[24] = { 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                 0x84, 0xcc, 0xa8, 0x60, 0x43, 0x24, 0x84, 0xcc, 0xa8, 0x60, 0x43, 0x24, 0, 0 };
	size_t n = 0;
	memcpy(p, hdr, 24);
	n = 24;
	memset(p + n, 0, 12);
	n += 12;
	p[n++] = 221;
	p[n++] = 4 + 1 + 25;
	p[n++] = 0xFA; p[n++] = 0x0B; p[n++] = 0xBC; p[n++] = 0x0D;
	p[n++] = counter;
	uint8_t msg[25] = { 0x02, 0x12 };
	memcpy(msg + 2, "SYNTH0123456789", 15);
	memcpy(p + n, msg, 25);
	return n + 25;
}

static int count(const dv_odid_frame *f, void *payload)
{
	(void)f;
	(*(int *)payload)++;
	return 0;
}

static void check_synthetic(void)
{
	uint8_t rec[4096], fr[128];
	size_t len = 0;
	for (int i = 0; i < 5; i++) {
		dv_frame f = { .ts_ns = 1700000000000000000LL + i * 100000000LL, .data = fr };
		f.caplen = f.wirelen = (uint32_t)beacon(fr, (uint8_t)i);
		len += dv_capture_record_put(rec + len, sizeof(rec) - len, &f);
	}
	dv_capture *c;
	CHECK_EQ(dv_capture_open_records(&c, rec, len, 105, "fed beacons"), 0);
	if (!c) return;
	int n = 0;
	dv_radio_stats st;
	CHECK_EQ(dv_radio_scan_capture(c, count, &n, &st), 0);
	CHECK_EQ(n, 5);
	CHECK_EQ(st.frames, 5);
	CHECK_EQ(st.odid_frames, 5);
	CHECK_EQ(st.linktype, 105);
	dv_capture_close(c);
	/* into a report, then cut short: the frames before count, the error names the source */
	dv_radio_report *r;
	CHECK_EQ(dv_radio_report_new(&r), 0);
	CHECK_EQ(dv_capture_open_records(&c, rec, len - 3, 105, "fed beacons"), 0);
	CHECK_EQ(dv_radio_report_add_source(r, c), DV_ETRUNC);
	dv_capture_close(c);
	CHECK_EQ(r->ncaptures, 1);
	CHECK_STR(r->captures[0].path, "fed beacons");
	CHECK_EQ(r->captures[0].error, DV_ETRUNC);
	CHECK(strstr(r->captures[0].error_text, "fed beacons") != NULL);
	CHECK_EQ(r->naircraft, 1);
	if (r->naircraft) {
		CHECK_STR(r->aircraft[0].ids[0].text, "SYNTH0123456789");
		CHECK_EQ(r->aircraft[0].frames, 4);
	}
	dv_radio_report_free(r);
}

int main(void)
{
	check_synthetic();
	const char *sh = check_shared_dir();
	if (!sh) {
		printf("synthetic frames only: DV_SHARED is absent\n");
		return check_done();
	}
	static const char *caps[] = { "opendroneid_odid_wifi_bcn_sample.pcap", "opendroneid_odid_wifi_sample.pcap",
	                              "opendroneid_odid_bt5_lr_sample.pcapng" };
	for (size_t i = 0; i < 3; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/audit/pcaps/%s", sh, caps[i]);
		check_file(path);
	}
	return check_done();
}
