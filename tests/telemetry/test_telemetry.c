/*
 * Unit tests of the telemetry area on synthetic inputs (no ../shared
 * needed): the number parser, every SRT generation, chunking, BOM/CRLF,
 * garbage, truncation, EXIF GPS signs, broken IFDs, hostile JPEG segment
 * walks, malformed XMP and the track writers.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "telemetry/flightrec_int.h"
#include "dv/inspect.h"
#include "telemetry/photo_int.h"
#include "telemetry/srt_int.h"
#include "dv/telemetry.h"
#include "telemetry/video_int.h"
#include "telemetry/tele_int.h"

/* ---- numbers ----------------------------------------------------------- */

static void test_num(void)
{
	double v;
	CHECK(dv__num_parse_str("+40.5637811", &v));
	CHECK(v == 40.5637811);
	CHECK(dv__num_parse_str("-79.7649628", &v) && v == -79.7649628);
	CHECK(dv__num_parse_str(" 0.000 ", &v) && v == 0);
	CHECK(dv__num_parse_str("5.", &v) && v == 5);
	CHECK(!dv__num_parse_str("N/A", &v));
	CHECK(!dv__num_parse_str("", &v));
	CHECK(!dv__num_parse_str("+", &v));
	CHECK(!dv__num_parse_str("1.5x", &v));
	char big[400];
	memset(big, '9', sizeof(big) - 1);
	big[300] = 0; /* 300 digits: about 1e300, no overflow in the digits */
	CHECK(dv__num_parse_str(big, &v) && v > 1e299 && isfinite(v));
	big[300] = '9';
	big[sizeof(big) - 1] = 0; /* 399 digits: infinite, callers check isfinite */
	CHECK(dv__num_parse_str(big, &v) && !isfinite(v));
	big[0] = '0';
	big[1] = '.';
	CHECK(dv__num_parse_str(big, &v) && v <= 1.0 && v > 0.99);
}

/* ---- SRT --------------------------------------------------------------- */

typedef struct got {
	dv_srt_cue c[64];
	size_t n;
} got;

static int keep(const dv_srt_cue *c, void *payload)
{
	got *g = payload;
	if (g->n < 64) g->c[g->n] = *c;
	g->n++;
	return 0;
}

/* Parses text whole, then byte by byte: both must agree. */
static void srt_parse(const char *text, size_t len, got *g, dv_srt_stats *st)
{
	dv_srt_parser *p;
	memset(g, 0, sizeof(*g));
	CHECK_EQ(dv_srt_new(&p, "test.SRT"), 0);
	CHECK_EQ(dv_srt_feed(p, text, len, keep, g), 0);
	CHECK_EQ(dv_srt_finish(p, keep, g), 0);
	if (st) *st = *dv_srt_stats_get(p);
	dv_srt_free(p);

	got g2;
	memset(&g2, 0, sizeof(g2));
	CHECK_EQ(dv_srt_new(&p, "test.SRT"), 0);
	for (size_t i = 0; i < len; i++) dv_srt_feed(p, text + i, 1, keep, &g2);
	dv_srt_finish(p, keep, &g2);
	dv_srt_free(p);
	CHECK_EQ(g2.n, g->n);
	for (size_t i = 0; i < g->n && i < 64; i++) {
		CHECK_EQ(g2.c[i].pt.has_pos, g->c[i].pt.has_pos);
		CHECK(g2.c[i].pt.lat == g->c[i].pt.lat || (isnan(g2.c[i].pt.lat) && isnan(g->c[i].pt.lat)));
		CHECK_EQ(g2.c[i].pt.time_us, g->c[i].pt.time_us);
		CHECK_EQ(g2.c[i].offset, g->c[i].offset);
	}
}

#define SRT(g, st, s) srt_parse((s), sizeof(s) - 1, (g), (st))

static void test_srt_generations(void)
{
	got g;
	dv_srt_stats st;

	/* G1: longitude first, local date */
	SRT(&g, &st, "\xEF\xBB\xBF" "1\r\n00:00:01,000 --> 00:00:02,000\r\n"
	    "HOME(149.0251,-20.2532) 2017.08.05 14:11:51\r\n"
	    "GPS(149.0251,-20.2533,16) BAROMETER:1.9\r\nISO:100 Shutter:60 EV: Fnum:2.2\r\n\r\n");
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.c[0].format, DV_SRT_HOME_GPS);
	CHECK_EQ(g.c[0].index, 1);
	CHECK_EQ(g.c[0].start_ms, 1000);
	CHECK(g.c[0].pt.has_pos);
	CHECK_NEAR(g.c[0].pt.lat, -20.2533, 1e-9);
	CHECK_NEAR(g.c[0].pt.lon, 149.0251, 1e-9);
	CHECK_NEAR(g.c[0].pt.height, 1.9, 1e-9);
	CHECK_EQ(g.c[0].sats, 16);
	CHECK(g.c[0].has_home);
	CHECK_NEAR(g.c[0].home_lat, -20.2532, 1e-9);
	CHECK(isnan(g.c[0].ev)); /* "EV: Fnum:2.2" has no EV */
	CHECK_NEAR(g.c[0].fnum, 2.2, 1e-9);
	CHECK_EQ(g.c[0].pt.time_kind, DV_TIME_LOCAL);
	char t[48];
	dv_telemetry_time_text(t, sizeof(t), g.c[0].pt.time_us, g.c[0].pt.time_kind);
	CHECK_STR(t, "2017-08-05T14:11:51");

	/* M300: latitude first, altitude with M */
	SRT(&g, NULL, "1\r\n00:00:59,000 --> 00:00:60,000\r\n2022.06.21 16:06:17\r\n"
	    "GPS(36.6146,-6.1120,0.0M) BAROMETER:0.3M\r\n");
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.c[0].format, DV_SRT_M300);
	CHECK_NEAR(g.c[0].pt.lat, 36.6146, 1e-9);
	CHECK_NEAR(g.c[0].pt.lon, -6.112, 1e-9);
	CHECK_EQ(g.c[0].end_ms, 60000);
	CHECK_NEAR(g.c[0].pt.height, 0.3, 1e-9);

	/* Mavic 2: typo'd longtitude, us in the date */
	SRT(&g, NULL, "1\n00:00:00,000 --> 00:00:00,016\n<font size=\"36\">FrameCnt : 1, DiffTime : 16ms\n"
	    "2020-04-02 15:19:58,720,764\n[iso : 120] [shutter : 1/2500.0] [fnum : 280] [ev : 0] "
	    "[latitude : 31.452012] [longtitude : 74.398751] [altitude: 213.983002] </font>\n");
	CHECK_EQ(g.c[0].format, DV_SRT_BRACKET);
	CHECK_NEAR(g.c[0].pt.lon, 74.398751, 1e-9);
	CHECK_NEAR(g.c[0].pt.alt, 213.983002, 1e-9);
	CHECK_NEAR(g.c[0].fnum, 2.8, 1e-9);
	CHECK_EQ(g.c[0].frame_cnt, 1);
	CHECK_STR(g.c[0].shutter, "1/2500.0");
	dv_telemetry_time_text(t, sizeof(t), g.c[0].pt.time_us, g.c[0].pt.time_kind);
	CHECK_STR(t, "2020-04-02T15:19:58.720764");

	/* one-line with HOME, PRY; no date -> no time */
	SRT(&g, NULL, "1\r\n00:15:04,904 --> 00:15:05,905\r\nF/5.6, SS 400, ISO 100, EV +0.7, "
	    "GPS (-59.409424, -34.650200, 16), HOME (-59.407880, -34.650736, 7.60m), D 153.32m, "
	    "H 17.39m, H.S 1.84m/s, V.S 0.00m/s, F.PRY (-8.9\xC2\xB0, 2.9\xC2\xB0, -75.0\xC2\xB0), "
	    "G.PRY (-27.3\xC2\xB0, 0.0\xC2\xB0, -76.0\xC2\xB0)\r\n\r\n");
	CHECK_EQ(g.c[0].format, DV_SRT_ONELINE);
	CHECK_NEAR(g.c[0].pt.lat, -34.6502, 1e-9);
	CHECK_NEAR(g.c[0].home_alt, 7.6, 1e-9);
	CHECK_NEAR(g.c[0].pt.height, 17.39, 1e-9);
	CHECK_NEAR(g.c[0].flight_yaw, -75.0, 1e-9);
	CHECK_NEAR(g.c[0].gimbal_pitch, -27.3, 1e-9);
	CHECK_NEAR(g.c[0].ev, 0.7, 1e-9);
	CHECK_EQ(g.c[0].pt.time_kind, DV_TIME_NONE);

	/* Mavic 3: rel/abs in one bracket, 0,0 before the fix */
	SRT(&g, &st, "1\n00:00:00,000 --> 00:00:00,020\n<font size=\"28\">FrameCnt: 1, DiffTime: 20ms\n"
	    "2021-12-25 12:27:52.373\n[iso: 220] [latitude: 0.000000] [longitude: 0.000000] "
	    "[rel_alt: -2.400 abs_alt: 0.401] </font>\n\n"
	    "2\n00:00:00,020 --> 00:00:00,040\n<font size=\"28\">FrameCnt: 2, DiffTime: 20ms\n"
	    "2021-12-25 12:27:52.391\n[latitude: 3.41531] [longitude: -3.37440] [rel_alt: -2.400 abs_alt: 0.401] </font>\n");
	CHECK_EQ(g.n, 2);
	CHECK_EQ(g.c[0].format, DV_SRT_RELABS);
	CHECK(!g.c[0].pt.has_pos && g.c[0].zero_fix);
	CHECK(g.c[1].pt.has_pos);
	CHECK_NEAR(g.c[1].pt.alt, 0.401, 1e-9);
	CHECK_NEAR(g.c[1].pt.height, -2.4, 1e-9);
	CHECK_EQ(st.zero_fixes, 1);
	CHECK_EQ(st.fixes, 1);
	CHECK_EQ(g.c[1].pt.time_us - g.c[0].pt.time_us, 18000);

	/* N/A before a fix is no position, sats still read */
	SRT(&g, NULL, "15\r\n00:00:15,000 --> 00:00:16,000\r\nHOME(-1.2218,42.4668) 2018.08.19 08:00:50\r\n"
	    "GPS(N/A,N/A,3) BAROMETER:0.0\r\n");
	CHECK(!g.c[0].pt.has_pos);
	CHECK_EQ(g.c[0].sats, 3);
	CHECK(g.c[0].has_home);
}

/* Enterprise sidecars (Matrice 30/300/350 style): a blank line and a line
 * "0" inside each cue, before the camera/vsync fields. A cue is bounded by
 * its timecode line: two cues here, never four half cues. */
static void test_srt_enterprise(void)
{
	got g;
	dv_srt_stats st;
	SRT(&g, &st, "1\r\n00:00:00,000 --> 00:00:00,033\r\n"
	    "<font size=\"28\">FrameCnt: 1, DiffTime: 33ms\r\n2023-05-04 10:11:12.345\r\n"
	    "[latitude: 52.520001] [longitude: 13.404954] [rel_alt: 30.100 abs_alt: 80.200]\r\n"
	    "\r\n0\r\n[iso: 100] [shutter: 1/1000.0] [fnum: 2.8] [ev: 0] [ct: 5500] [focal_len: 24.00] "
	    "[vsync: 1]</font>\r\n\r\n"
	    "2\r\n00:00:00,033 --> 00:00:00,066\r\n"
	    "<font size=\"28\">FrameCnt: 2, DiffTime: 33ms\r\n2023-05-04 10:11:12.378\r\n"
	    "[latitude: 52.520011] [longitude: 13.404964] [rel_alt: 30.200 abs_alt: 80.300]\r\n"
	    "\r\n0\r\n[iso: 200] [shutter: 1/500.0] [fnum: 2.8] [ev: 0] [ct: 5500] [focal_len: 24.00] "
	    "[vsync: 2]</font>\r\n");
	CHECK_EQ(g.n, 2);
	CHECK_EQ(st.cues, 2);
	CHECK_EQ(st.fixes, 2);
	CHECK(!(st.formats & 1u)); /* never "unknown" */
	CHECK_EQ(g.c[0].index, 1);
	CHECK_EQ(g.c[1].index, 2);
	CHECK_EQ(g.c[1].start_ms, 33);
	CHECK_EQ(g.c[1].offset, 291);
	for (size_t i = 0; i < 2; i++) {
		CHECK(g.c[i].pt.has_pos);
		CHECK_EQ(g.c[i].pt.time_kind, DV_TIME_LOCAL);
		CHECK_EQ(g.c[i].format, DV_SRT_RELABS);
		CHECK_NEAR(g.c[i].fnum, 2.8, 1e-9);   /* the fields after the "0" belong to the cue */
	}
	CHECK_NEAR(g.c[0].iso, 100, 1e-9);
	CHECK_NEAR(g.c[1].iso, 200, 1e-9);
	CHECK_NEAR(g.c[1].pt.lat, 52.520011, 1e-9);
	CHECK_EQ(st.warnings, 0);

	/* the same without the index lines and with a trailing number: still two */
	SRT(&g, &st, "00:00:00,000 --> 00:00:00,033\n2023-05-04 10:11:12.345\n"
	    "[latitude: 1.5] [longitude: 2.5] [rel_alt: 1 abs_alt: 2]\n\n0\n[iso: 100]\n\n"
	    "00:00:00,033 --> 00:00:00,066\n2023-05-04 10:11:12.378\n"
	    "[latitude: 1.6] [longitude: 2.6] [rel_alt: 1 abs_alt: 2]\n\n7\n");
	CHECK_EQ(g.n, 2);
	CHECK_NEAR(g.c[0].iso, 100, 1e-9);

	/* a text block with no timecode, date or position is no point */
	SRT(&g, &st, "hello\nworld\n\n1\n00:00:01,000 --> 00:00:02,000\nGPS(1.5,2.5,9) BAROMETER:1\n");
	CHECK_EQ(g.n, 1);
	CHECK(g.c[0].pt.has_pos);
}

static int stop(const dv_srt_cue *c, void *pl)
{
	(void)c;
	(void)pl;
	return 7;
}

static void test_srt_damage(void)
{
	got g;
	dv_srt_stats st;

	/* empty and lone index */
	SRT(&g, &st, "");
	CHECK_EQ(g.n, 0);
	SRT(&g, &st, "1\r\n");
	CHECK_EQ(g.n, 0);
	CHECK(st.warnings >= 1);

	/* no blank line between cues, CR-only line ends */
	SRT(&g, NULL, "1\r00:00:01,000 --> 00:00:02,000\rGPS(1.5,2.5,9) BAROMETER:1\r"
	    "00:00:02,000 --> 00:00:03,000\rGPS(1.6,2.6,9) BAROMETER:1\r");
	CHECK_EQ(g.n, 2);
	CHECK_NEAR(g.c[1].pt.lat, 2.6, 1e-9);

	/* cut mid-cue and mid-line: kept, flagged */
	SRT(&g, &st, "1\n00:00:01,000 --> 00:00:02,000\nHOME(1,2) 2017.07.03 10:15:03\nGPS(1,2,19) BAROMETER:2\n"
	    "ISO:1\n\n2\n00:00:02,000 --> 00:00:03,000\nHOME(1,2) 2017.07.03 10:15:04\nGPS(1.1,2");
	CHECK_EQ(g.n, 2);
	CHECK(st.warnings >= 1);
	CHECK(strstr(st.first_warning, "offset ") != NULL);

	/* out-of-range positions are not positions */
	SRT(&g, &st, "1\n00:00:01,000 --> 00:00:02,000\nGPS(200.0,95.0,9)\n");
	CHECK(!g.c[0].pt.has_pos);
	CHECK(st.warnings >= 1);

	/* garbage: every byte value, NULs, unbalanced brackets and parens */
	char garbage[4096];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(garbage); i++) {
		x = x * 1103515245u + 12345u;
		garbage[i] = (char)(x >> 16);
	}
	srt_parse(garbage, sizeof(garbage), &g, &st);
	CHECK(1);
	SRT(&g, NULL, "1\n00:00:01,000 --> 00:00:02,000\n[latitude: [longitude: GPS((((( HOME( F.PRY (1,\n[rel_alt:");
	CHECK_EQ(g.n, 1);
	CHECK(!g.c[0].pt.has_pos);

	/* a line over DV_SRT_LINE_MAX is cut with a warning, memory bounded */
	size_t big = DV_SRT_LINE_MAX * 3 + 100;
	char *s = malloc(big + 64);
	strcpy(s, "1\n00:00:01,000 --> 00:00:02,000\n");
	size_t l = strlen(s);
	memset(s + l, 'A', big);
	strcpy(s + l + big, "\n\n");
	srt_parse(s, strlen(s), &g, &st);
	CHECK_EQ(g.n, 1);
	CHECK(st.warnings >= 1);
	free(s);

	/* a callback's non-zero return stops the parse */
	dv_srt_parser *p;
	CHECK_EQ(dv_srt_new(&p, "x"), 0);
	static const char two[] = "1\n00:00:01,000 --> 00:00:02,000\nGPS(1,2,3)\n\n2\n00:00:02,000 --> 00:00:03,000\nGPS(1,2,3)\n\n";
	CHECK_EQ(dv_srt_feed(p, two, sizeof(two) - 1, stop, NULL), 7);
	dv_srt_free(p);
}


/* ---- EXIF / JPEG ------------------------------------------------------- */

typedef struct buf {
	uint8_t b[4096];
	size_t n;
} buf;

static void put16(buf *b, unsigned v) { b->b[b->n++] = v & 0xff; b->b[b->n++] = (v >> 8) & 0xff; }
static void put32(buf *b, uint32_t v) { put16(b, v & 0xffff); put16(b, v >> 16); }
static void at32(buf *b, size_t at, uint32_t v)
{
	b->b[at] = v & 0xff; b->b[at + 1] = (v >> 8) & 0xff; b->b[at + 2] = (v >> 16) & 0xff; b->b[at + 3] = v >> 24;
}

/*
 * A little-endian TIFF: IFD0 {Make "DJI", GPS pointer}, GPS IFD with
 * lat ref/lat, lon ref/lon, alt ref/alt. Returns offsets for tampering.
 */
static void make_tiff(buf *t, const char *lat_ref, const char *lon_ref, uint8_t alt_ref, uint32_t next_ifd_self)
{
	memset(t, 0, sizeof(*t));
	t->b[0] = 'I'; t->b[1] = 'I'; t->n = 2;
	put16(t, 42);
	put32(t, 8);
	/* IFD0 at 8: 2 entries */
	put16(t, 2);
	put16(t, 0x010f); put16(t, 2); put32(t, 4); t->b[t->n++] = 'D'; t->b[t->n++] = 'J'; t->b[t->n++] = 'I'; t->b[t->n++] = 0;
	put16(t, 0x8825); put16(t, 4); put32(t, 1); size_t gps_ptr = t->n; put32(t, 0);
	put32(t, next_ifd_self ? 8 : 0); /* next IFD: a loop back to itself when asked */
	size_t gps = t->n;
	at32(t, gps_ptr, (uint32_t)gps);
	put16(t, 6);
	size_t data = gps + 2 + 6 * 12 + 4;
	put16(t, 1); put16(t, 2); put32(t, 2); t->b[t->n++] = (uint8_t)lat_ref[0]; t->b[t->n++] = 0; put16(t, 0);
	put16(t, 2); put16(t, 5); put32(t, 3); put32(t, (uint32_t)data);
	put16(t, 3); put16(t, 2); put32(t, 2); t->b[t->n++] = (uint8_t)lon_ref[0]; t->b[t->n++] = 0; put16(t, 0);
	put16(t, 4); put16(t, 5); put32(t, 3); put32(t, (uint32_t)data + 24);
	put16(t, 5); put16(t, 1); put32(t, 1); t->b[t->n++] = alt_ref; t->b[t->n++] = 0; put16(t, 0);
	put16(t, 6); put16(t, 5); put32(t, 1); put32(t, (uint32_t)data + 48);
	put32(t, 0);
	/* 36 deg 43' 46.8985" ; 119 deg 50' 36.0295" ; 29.4 m */
	put32(t, 36); put32(t, 1); put32(t, 43); put32(t, 1); put32(t, 468985); put32(t, 10000);
	put32(t, 119); put32(t, 1); put32(t, 50); put32(t, 1); put32(t, 360295); put32(t, 10000);
	put32(t, 294); put32(t, 10);
}

/* SOI, APP1 Exif(tiff), optional APP1 XMP, SOF0 640x512, SOS, data. */
static size_t make_jpeg(uint8_t *out, const buf *tiff, const char *xmp, size_t xmp_len)
{
	size_t n = 0;
	out[n++] = 0xFF; out[n++] = 0xD8;
	size_t l = 2 + 6 + tiff->n;
	out[n++] = 0xFF; out[n++] = 0xE1; out[n++] = (uint8_t)(l >> 8); out[n++] = (uint8_t)l;
	memcpy(out + n, "Exif\0\0", 6); n += 6;
	memcpy(out + n, tiff->b, tiff->n); n += tiff->n;
	if (xmp) {
		static const char sig[] = "http://ns.adobe.com/xap/1.0/";
		l = 2 + sizeof(sig) + xmp_len;
		out[n++] = 0xFF; out[n++] = 0xE1; out[n++] = (uint8_t)(l >> 8); out[n++] = (uint8_t)l;
		memcpy(out + n, sig, sizeof(sig)); n += sizeof(sig);
		memcpy(out + n, xmp, xmp_len); n += xmp_len;
	}
	static const uint8_t sof[] = { 0xFF, 0xC0, 0, 17, 8, 0x02, 0x00, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1 };
	memcpy(out + n, sof, sizeof(sof)); n += sizeof(sof);
	static const uint8_t sos[] = { 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0 };
	memcpy(out + n, sos, sizeof(sos)); n += sizeof(sos);
	memset(out + n, 0x55, 64); n += 64;
	out[n++] = 0xFF; out[n++] = 0xD9;
	return n;
}

static const char XTS_XMP[] =
	"<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
	"<rdf:Description rdf:about=\"DJI Meta Data\"\nxmlns:DJI=\"http://www.dji.com\"\nxmlns:DJI=\"http://www.dji.com\"\n"
	"DJI:AbsoluteAltitude=\"-29.44\"\nDJI:RelativeAltitude=\"+37.70\"\nDJI:GimbalYawDegree=\"+91.30\">\n"
	"<DJI:BandName>\n<rdf:Seq>\n<rdf:li>LWIR</rdf:li>\n<rdf:li>MWIR</rdf:li>\n</rdf:Seq>\n</DJI:BandName>\n"
	"</rdf:Description>\n</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?\0\0";

static void test_photo(void)
{
	static uint8_t jpg[8192];
	buf t;
	dv_photo p;

	/* S/W refs negate, AltitudeRef 1 is below sea level */
	make_tiff(&t, "S", "W", 1, 0);
	size_t n = make_jpeg(jpg, &t, XTS_XMP, sizeof(XTS_XMP) - 1);
	CHECK_EQ(dv_photo_parse_mem(&p, jpg, n, "syn.jpg"), 0);
	CHECK(p.has_exif);
	CHECK_STR(p.exif.make, "DJI");
	CHECK(p.exif.has_pos);
	CHECK_NEAR(p.exif.lat, -(36 + 43 / 60.0 + 46.8985 / 3600), 1e-9);
	CHECK_NEAR(p.exif.lon, -(119 + 50 / 60.0 + 36.0295 / 3600), 1e-9);
	CHECK_NEAR(p.exif.alt, -29.4, 1e-9);
	CHECK_EQ(p.exif.alt_ref, 1);
	CHECK_EQ(p.width, 640);
	CHECK_EQ(p.height, 512);
	/* the malformed XTS-style packet: every value kept */
	CHECK(p.has_xmp);
	CHECK(p.xmp.recovered);
	CHECK_STR(dv_xmp_get(&p.xmp, "DJI", "RelativeAltitude"), "+37.70");
	CHECK_STR(dv_xmp_get(&p.xmp, "DJI", "BandName"), "LWIR, MWIR");
	CHECK_NEAR(p.xmp.abs_alt, -29.44, 1e-9);
	CHECK_NEAR(p.xmp.gimbal_yaw, 91.3, 1e-9);
	CHECK(!p.xmp.has_pos); /* no GpsLatitude in this packet */
	dv_track_point pt;
	CHECK(dv_photo_point(&p, &pt));
	CHECK(pt.has_pos);
	CHECK_NEAR(pt.alt, -29.4, 1e-9); /* from EXIF, sign kept */
	dv_photo_dispose(&p);

	/* N/E positive, AltitudeRef 0 */
	make_tiff(&t, "N", "E", 0, 0);
	n = make_jpeg(jpg, &t, NULL, 0);
	CHECK_EQ(dv_photo_parse_mem(&p, jpg, n, "syn.jpg"), 0);
	CHECK(p.exif.lat > 0 && p.exif.lon > 0 && p.exif.alt > 0);
	dv_photo_dispose(&p);

	/* an invalid Ref ("X") means no position, not a guessed sign */
	make_tiff(&t, "X", "E", 0, 0);
	n = make_jpeg(jpg, &t, NULL, 0);
	CHECK_EQ(dv_photo_parse_mem(&p, jpg, n, "syn.jpg"), 0);
	CHECK(!p.exif.has_pos);
	dv_photo_dispose(&p);

	/* IFD loop: IFD0's next pointer is IFD0 itself */
	make_tiff(&t, "N", "E", 0, 1);
	n = make_jpeg(jpg, &t, NULL, 0);
	CHECK_EQ(dv_photo_parse_mem(&p, jpg, n, "loop.jpg"), 0);
	CHECK(p.exif.has_pos);
	dv_photo_dispose(&p);

	/* giant counts: GPS IFD entry count 0xFFFF, component counts 2^32-1 */
	make_tiff(&t, "N", "E", 0, 0);
	size_t gps = 8 + 2 + 2 * 12 + 4;
	t.b[gps] = 0xFF; t.b[gps + 1] = 0xFF;
	n = make_jpeg(jpg, &t, NULL, 0);
	CHECK_EQ(dv_photo_parse_mem(&p, jpg, n, "giant.jpg"), 0);
	dv_photo_dispose(&p);
	make_tiff(&t, "N", "E", 0, 0);
	for (int e = 0; e < 6; e++) at32(&t, gps + 2 + (size_t)e * 12 + 4, 0xFFFFFFFFu);
	n = make_jpeg(jpg, &t, NULL, 0);
	CHECK_EQ(dv_photo_parse_mem(&p, jpg, n, "giant.jpg"), 0);
	CHECK(!p.exif.has_pos);
	dv_photo_dispose(&p);

	/* every truncation of a valid file: no crash, warnings, nothing invented */
	make_tiff(&t, "S", "W", 1, 0);
	n = make_jpeg(jpg, &t, XTS_XMP, sizeof(XTS_XMP) - 1);
	unsigned warned = 0;
	for (size_t cut = 0; cut < n; cut++) {
		int rc = dv_photo_parse_mem(&p, jpg, cut, "cut.jpg");
		if (rc == 0 && p.warnings) warned++;
		if (p.exif.has_pos) CHECK(p.exif.lat < 0);
		dv_photo_dispose(&p);
	}
	CHECK(warned > 100);

	/* segment length below 2, garbage between segments */
	static const uint8_t bad_len[] = { 0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xDA };
	CHECK_EQ(dv_photo_parse_mem(&p, bad_len, sizeof(bad_len), "badlen.jpg"), 0);
	CHECK(p.warnings == 1 && strstr(p.first_warning, "offset 2") != NULL);
	dv_photo_dispose(&p);
	static const uint8_t junk[] = { 0xFF, 0xD8, 0x12, 0x34 };
	CHECK_EQ(dv_photo_parse_mem(&p, junk, sizeof(junk), "junk.jpg"), 0);
	CHECK(p.warnings == 1);
	dv_photo_dispose(&p);
	/* many fill bytes and empty segments: bounded walk */
	static uint8_t fill[20000];
	fill[0] = 0xFF; fill[1] = 0xD8;
	for (size_t i = 2; i + 4 <= sizeof(fill); i += 4) {
		fill[i] = 0xFF; fill[i + 1] = 0xFE; fill[i + 2] = 0; fill[i + 3] = 2;
	}
	CHECK_EQ(dv_photo_parse_mem(&p, fill, sizeof(fill), "fill.jpg"), 0);
	CHECK(p.warnings >= 1);
	dv_photo_dispose(&p);
	/* not a photo */
	CHECK_EQ(dv_photo_parse_mem(&p, "GIF89a", 6, "x.gif"), DV_EUNSUPPORTED);
	dv_photo_dispose(&p);
}

/* IFD0 {DateTime = ModifyDate, ExifIFD pointer}, ExifIFD {DateTimeOriginal
 * when orig, DateTimeDigitized when dig, SubSecTimeDigitized "5"}. */
static void make_tiff_times(buf *t, const char *modify, const char *orig, const char *dig)
{
	memset(t, 0, sizeof(*t));
	t->b[0] = 'I'; t->b[1] = 'I'; t->n = 2;
	put16(t, 42);
	put32(t, 8);
	put16(t, 2);
	size_t data = 8 + 2 + 2 * 12 + 4; /* strings after IFD0 */
	put16(t, 0x0132); put16(t, 2); put32(t, 20); put32(t, (uint32_t)data);
	put16(t, 0x8769); put16(t, 4); put32(t, 1); size_t exif_ptr = t->n; put32(t, 0);
	put32(t, 0);
	memcpy(t->b + t->n, modify, 19); t->n += 20;
	size_t exif = t->n;
	at32(t, exif_ptr, (uint32_t)exif);
	unsigned n = (orig ? 1 : 0) + (dig ? 1 : 0) + 1;
	put16(t, n);
	size_t sdata = exif + 2 + n * 12 + 4;
	if (orig) { put16(t, 0x9003); put16(t, 2); put32(t, 20); put32(t, (uint32_t)sdata); sdata += 20; }
	if (dig) { put16(t, 0x9004); put16(t, 2); put32(t, 20); put32(t, (uint32_t)sdata); }
	put16(t, 0x9292); put16(t, 2); put32(t, 2); t->b[t->n++] = '5'; t->b[t->n++] = 0; put16(t, 0);
	put32(t, 0);
	if (orig) { memcpy(t->b + t->n, orig, 19); t->n += 20; }
	if (dig) { memcpy(t->b + t->n, dig, 19); t->n += 20; }
}

/* The APP1 payload: "Exif\0\0" + TIFF. */
static int exif_of(dv_exif *e, const buf *t)
{
	uint8_t app1[4096 + 6];
	memcpy(app1, "Exif\0\0", 6);
	memcpy(app1 + 6, t->b, t->n);
	return dv_exif_parse(e, app1, t->n + 6, "t.jpg");
}

/* A modification time is never a capture time; every time under its name. */
static void test_exif_times(void)
{
	buf t;
	dv_exif e;
	make_tiff_times(&t, "2024:02:02 09:00:00", NULL, NULL);
	CHECK_EQ(exif_of(&e, &t), 0);
	CHECK(!e.has_time);
	CHECK_EQ(e.time_source, DV_EXIF_TIME_NONE);
	CHECK_STR(e.datetime_original, "");
	CHECK_STR(e.modify_date, "2024:02:02 09:00:00");

	make_tiff_times(&t, "2024:02:02 09:00:00", NULL, "2023:01:01 08:00:00");
	CHECK_EQ(exif_of(&e, &t), 0);
	CHECK(e.has_time);
	CHECK_EQ(e.time_source, DV_EXIF_TIME_DIGITIZED);
	CHECK_STR(e.datetime_digitized, "2023:01:01 08:00:00");
	CHECK_EQ(e.time_us, (dv_telemetry_days_from_civil(2023, 1, 1) * 86400 + 8 * 3600) * 1000000LL + 500000);

	make_tiff_times(&t, "2024:02:02 09:00:00", "2022:12:31 23:59:59", "2023:01:01 08:00:00");
	CHECK_EQ(exif_of(&e, &t), 0);
	CHECK_EQ(e.time_source, DV_EXIF_TIME_ORIGINAL);
	CHECK_STR(e.datetime_original, "2022:12:31 23:59:59");

	/* inspect: "time" says where it comes from, ModifyDate has its own key */
	static const char *srcs[3] = { NULL, "exif DateTimeDigitized", "exif DateTimeOriginal" };
	for (int k = 0; k < 3; k++) {
		make_tiff_times(&t, "2024:02:02 09:00:00", k == 2 ? "2022:12:31 23:59:59" : NULL,
		                k >= 1 ? "2023:01:01 08:00:00" : NULL);
		uint8_t jpg[8192];
		size_t n = make_jpeg(jpg, &t, NULL, 0);
		char *json = NULL;
		CHECK_EQ(dv_inspect_json_mem(&json, jpg, n, "t.jpg", 0), 0);
		json_object *o = json_tokener_parse(json), *v, *ex;
		CHECK(o != NULL);
		CHECK(json_object_object_get_ex(o, "time", &v));
		if (k == 0) CHECK(v == NULL);
		else CHECK(v && !strncmp(json_object_get_string(v), k == 1 ? "2023-01-01T08:00:00" : "2022-12-31T23:59:59", 19));
		CHECK(json_object_object_get_ex(o, "time_source", &v));
		if (srcs[k]) CHECK(v && !strcmp(json_object_get_string(v), srcs[k]));
		else CHECK(v == NULL);
		CHECK(json_object_object_get_ex(o, "exif", &ex) && ex);
		CHECK(json_object_object_get_ex(ex, "modify_date", &v) && v &&
		      !strcmp(json_object_get_string(v), "2024:02:02 09:00:00"));
		CHECK(json_object_object_get_ex(ex, "datetime_original", &v));
		CHECK(k == 2 ? v != NULL : v == NULL);
		json_object_put(o);
		free(json);
	}
}

static void test_xmp(void)
{
	dv_xmp x;
	/* drone-dji with '+' signs, element form, undeclared-prefix recovery */
	static const char a[] =
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
		"<rdf:Description xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\" drone-dji:GpsLatitude=\"+22.693992478\" "
		"drone-dji:GpsLongitude=\"+114.965866095\" drone-dji:AbsoluteAltitude=\"+94.182\">"
		"<drone-dji:UTCAtExposure>2022-07-23T07:12:22.872778</drone-dji:UTCAtExposure>"
		"<drone-dji:DroneSerialNumber>1581F5FJD22740010156</drone-dji:DroneSerialNumber>"
		"</rdf:Description></rdf:RDF></x:xmpmeta>";
	CHECK_EQ(dv_xmp_parse(&x, a, sizeof(a) - 1, "a"), 0);
	CHECK(x.has_pos);
	CHECK_NEAR(x.lat, 22.693992478, 1e-12);
	CHECK_STR(dv_xmp_get(&x, "drone-dji", "GpsLatitude"), "+22.693992478");
	CHECK_STR(x.drone_serial, "1581F5FJD22740010156");
	CHECK_STR(x.utc_at_exposure, "2022-07-23T07:12:22.872778");
	dv_xmp_dispose(&x);

	/* 0,0 is no position; the GpsLongtitude typo is read */
	static const char b[] = "<r xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\" drone-dji:GpsLatitude=\"0.0\" "
	                        "drone-dji:GpsLongtitude=\"0.0\"/>";
	CHECK_EQ(dv_xmp_parse(&x, b, sizeof(b) - 1, "b"), 0);
	CHECK(!x.has_pos);
	CHECK(x.lon == 0);
	dv_xmp_dispose(&x);

	/* undeclared prefix (recover keeps the attribute as "prefix:name") */
	static const char c[] = "<r drone-dji:RelativeAltitude=\"+16.508\"><unclosed>";
	CHECK_EQ(dv_xmp_parse(&x, c, sizeof(c) - 1, "c"), 0);
	CHECK(x.recovered);
	CHECK_NEAR(x.rel_alt, 16.508, 1e-12);
	dv_xmp_dispose(&x);

	/* nothing XML at all */
	CHECK(dv_xmp_parse(&x, "\0\0\0garbage", 10, "d") < 0);
	dv_xmp_dispose(&x);

	/* entity expansion is not performed; no network; many props capped */
	static const char e[] = "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	                        "<!ENTITY c SYSTEM \"http://example.invalid/x\">]>"
	                        "<r xmlns:DJI=\"http://www.dji.com\" DJI:X=\"&b;\" DJI:Y=\"&c;\"/>";
	CHECK_EQ(dv_xmp_parse(&x, e, sizeof(e) - 1, "e"), 0);
	dv_xmp_dispose(&x);
	char *many = malloc(400 * 40 + 100);
	size_t n = (size_t)sprintf(many, "<r xmlns:DJI=\"http://www.dji.com\"");
	for (int i = 0; i < 400; i++) n += (size_t)sprintf(many + n, " DJI:P%d=\"%d\"", i, i);
	n += (size_t)sprintf(many + n, "/>");
	CHECK_EQ(dv_xmp_parse(&x, many, n, "many"), 0);
	CHECK_EQ(x.n_props, DV_XMP_MAX_PROPS);
	CHECK_EQ(x.n_dropped, 400 - DV_XMP_MAX_PROPS);
	dv_xmp_dispose(&x);
	free(many);
}

/* ---- track writers ----------------------------------------------------- */

/* --track csv never writes a row that says nothing (the split enterprise
 * cues did: no time, no position, no altitude) */
static void test_track_csv_no_empty_rows(void)
{
	dv_track_point pts[2];
	memset(pts, 0, sizeof(pts));
	pts[0].media_ms = -1;
	pts[0].alt = pts[0].height = NAN;
	pts[1] = pts[0];
	pts[1].has_pos = true;
	pts[1].lat = 1.5;
	pts[1].lon = 2.5;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	CHECK_EQ(dv_track_write(f, DV_TRACK_CSV, "x", pts, 2), 0);
	fclose(f);
	CHECK(text && strstr(text, "\n0,") == NULL);
	CHECK(text && strstr(text, "\n1,,none,1.50000000,2.50000000,") != NULL);
	free(text);
}

static void test_track(void)
{
	dv_track_point pts[3];
	memset(pts, 0, sizeof(pts));
	for (int i = 0; i < 3; i++) {
		pts[i].has_pos = i != 1;
		pts[i].lat = -34.5 - i * 0.001;
		pts[i].lon = -58.8 + i * 0.001;
		pts[i].alt = i == 2 ? NAN : 100 + i;
		pts[i].height = NAN;
		pts[i].media_ms = i * 1000;
		pts[i].time_kind = i == 0 ? DV_TIME_UTC : DV_TIME_LOCAL;
		pts[i].time_us = (int64_t)1501906311000000 + i * 1000000;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	CHECK_EQ(dv_track_write(f, DV_TRACK_GEOJSON, "a \"b\"", pts, 3), 0);
	fclose(f);
	json_object *o = json_tokener_parse(text);
	CHECK(o != NULL);
	json_object *feats, *geom, *coords;
	CHECK(json_object_object_get_ex(o, "features", &feats));
	CHECK_EQ(json_object_array_length(feats), 3); /* line + 2 points */
	json_object *line = json_object_array_get_idx(feats, 0);
	CHECK(json_object_object_get_ex(line, "geometry", &geom));
	CHECK(json_object_object_get_ex(geom, "coordinates", &coords));
	CHECK_EQ(json_object_array_length(coords), 2);
	/* RFC 7946: [longitude, latitude, altitude] */
	CHECK_NEAR(json_object_get_double(json_object_array_get_idx(json_object_array_get_idx(coords, 0), 0)), -58.8, 1e-9);
	CHECK_NEAR(json_object_get_double(json_object_array_get_idx(json_object_array_get_idx(coords, 0), 1)), -34.5, 1e-9);
	json_object_put(o);
	free(text);

	f = open_memstream(&text, &len);
	CHECK_EQ(dv_track_write(f, DV_TRACK_GPX, "<x>", pts, 3), 0);
	fclose(f);
	CHECK(strstr(text, "<trkpt lat=\"-34.50000000\" lon=\"-58.80000000\"><ele>100.000</ele><time>2017-08-05T04:11:51Z</time>") != NULL);
	CHECK(strstr(text, "&lt;x&gt;") != NULL);
	CHECK(strstr(text, "local time 2017-08-05T04:11:53 (zone unknown)") != NULL);
	free(text);

	f = open_memstream(&text, &len);
	CHECK_EQ(dv_track_write(f, DV_TRACK_KML, NULL, pts, 3), 0);
	fclose(f);
	CHECK(strstr(text, "<kml xmlns=\"http://www.opengis.net/kml/2.2\">") != NULL);
	CHECK(strstr(text, "-58.80000000,-34.50000000,100.000") != NULL);
	free(text);

	f = open_memstream(&text, &len);
	CHECK_EQ(dv_track_write(f, DV_TRACK_CSV, NULL, pts, 3), 0);
	fclose(f);
	int lines = 0;
	for (char *q = text; *q; q++) lines += *q == '\n';
	CHECK_EQ(lines, 4);
	CHECK(strstr(text, "1,2017-08-05T04:11:52,local,,,101.000,,1000\n") != NULL);
	free(text);

	dv_track_point loc[2] = { pts[0], pts[1] };
	dv_track_local_to_utc(loc, 2, 120);
	CHECK_EQ(loc[0].time_us, pts[0].time_us);          /* already UTC: untouched */
	CHECK_EQ(loc[1].time_kind, DV_TIME_UTC);
	CHECK_EQ(loc[1].time_us, pts[1].time_us - 7200000000LL);

	dv_track_format fmt;
	CHECK_EQ(dv_track_format_parse(&fmt, "kml"), 0);
	CHECK_EQ(fmt, DV_TRACK_KML);
	CHECK_EQ(dv_track_format_parse(&fmt, "shp"), DV_EINVAL);
	char t[48];
	dv_telemetry_time_text(t, sizeof(t), -1, DV_TIME_UTC);
	CHECK_STR(t, "1969-12-31T23:59:59.999999Z");
}

/* ---- MP4 (libavformat glue) -------------------------------------------- */

static size_t be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v;
	return 4;
}

/* ftyp + moov { mvhd (2021-12-25T08:00:00Z, 2.5 s) + udta { (c)xyz loc } } */
static size_t make_mp4(uint8_t *b, const char *loc)
{
	size_t n = 0;
	n += be32(b + n, 24); memcpy(b + n, "ftypisom", 8); n += 8;
	n += be32(b + n, 512); memcpy(b + n, "isommp41", 8); n += 8;
	size_t moov = n;
	n += 4; memcpy(b + n, "moov", 4); n += 4;
	n += be32(b + n, 108); memcpy(b + n, "mvhd", 4); n += 4;
	n += be32(b + n, 0);
	n += be32(b + n, 3723264000u); n += be32(b + n, 3723264000u);
	n += be32(b + n, 1000); n += be32(b + n, 2500);
	n += be32(b + n, 0x00010000); b[n++] = 1; b[n++] = 0;
	memset(b + n, 0, 10); n += 10;
	static const uint32_t matrix[9] = { 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000 };
	for (int i = 0; i < 9; i++) n += be32(b + n, matrix[i]);
	memset(b + n, 0, 24); n += 24;
	n += be32(b + n, 2);
	size_t ll = strlen(loc);
	n += be32(b + n, (uint32_t)(8 + 8 + 4 + ll)); memcpy(b + n, "udta", 4); n += 4;
	n += be32(b + n, (uint32_t)(8 + 4 + ll)); memcpy(b + n, "\xA9xyz", 4); n += 4;
	b[n++] = (uint8_t)(ll >> 8); b[n++] = (uint8_t)ll; b[n++] = 0x15; b[n++] = 0xc7;
	memcpy(b + n, loc, ll); n += ll;
	be32(b + moov, (uint32_t)(n - moov));
	return n;
}

static void test_video(void)
{
	double lat, lon, alt;
	CHECK(dv_iso6709_parse("+22.6940+114.9659+12.3/", &lat, &lon, &alt));
	CHECK_NEAR(lat, 22.694, 1e-12);
	CHECK_NEAR(lon, 114.9659, 1e-12);
	CHECK_NEAR(alt, 12.3, 1e-12);
	CHECK(dv_iso6709_parse("-34.6502-059.4094/", &lat, &lon, &alt) && lon < -59 && isnan(alt));
	CHECK(!dv_iso6709_parse("+00.0000+000.0000/", &lat, &lon, &alt)); /* 0,0 is no position */
	CHECK(!dv_iso6709_parse("+95.0+10.0/", &lat, &lon, &alt));
	CHECK(!dv_iso6709_parse("garbage", &lat, &lon, &alt));
	CHECK(!dv_iso6709_parse("+", &lat, &lon, &alt));

	static uint8_t mp4[512];
	size_t n = make_mp4(mp4, "+22.6940+114.9659+12.3/");
	dv_video v;
	CHECK_EQ(dv_video_parse_mem(&v, mp4, n, "syn.mp4"), 0);
	CHECK(v.has_pos);
	CHECK_NEAR(v.lat, 22.694, 1e-9);
	CHECK_EQ(v.duration_ms, 2500);
	CHECK_EQ(v.time_kind, DV_TIME_UTC);
	char t[48];
	dv_telemetry_time_text(t, sizeof(t), v.time_us, v.time_kind);
	CHECK_STR(t, "2021-12-25T08:00:00Z");
	CHECK_STR(v.major_brand, "isom");
	/* every truncation and a bit-flipped copy: no crash */
	for (size_t cut = 0; cut < n; cut++) dv_video_parse_mem(&v, mp4, cut, "cut.mp4");
	for (size_t i = 0; i < n; i++) {
		mp4[i] ^= 0xFF;
		dv_video_parse_mem(&v, mp4, n, "flip.mp4");
		mp4[i] ^= 0xFF;
	}
	CHECK(dv_video_parse_mem(&v, "not a movie at all", 18, "x.mp4") < 0);
}

/* ---- flight records (synthetic) --------------------------------------- */

static uint64_t t_crc64(uint64_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x95AC9329AC4BC9B5ULL : crc >> 1;
	}
	return crc;
}

typedef struct fbuf {
	uint8_t b[8192];
	size_t n;
} fbuf;

static void fput(fbuf *f, const void *p, size_t n) { memcpy(f->b + f->n, p, n); f->n += n; }

/* a record: type, len, payload (XOR'd with seed 0x5A from v7), 0xFF */
static void frec(fbuf *f, unsigned version, uint8_t type, const uint8_t *pl, size_t n)
{
	uint8_t enc[256];
	size_t len = n;
	if (version >= 7) {
		uint8_t seed = 0x5A, m[8];
		uint64_t prod = 0x123456789ABCDEF0ULL * seed;
		for (int i = 0; i < 8; i++) m[i] = (uint8_t)(prod >> (8 * i));
		uint64_t k = t_crc64((uint8_t)(seed + type), m, 8);
		enc[0] = seed;
		for (size_t i = 0; i < n; i++) enc[i + 1] = pl[i] ^ (uint8_t)(k >> (8 * (i % 8)));
		len = n + 1;
	} else {
		memcpy(enc, pl, n);
	}
	f->b[f->n++] = type;
	if (version >= 13) { f->b[f->n++] = (uint8_t)len; f->b[f->n++] = (uint8_t)(len >> 8); }
	else f->b[f->n++] = (uint8_t)len;
	fput(f, enc, len);
	f->b[f->n++] = 0xFF;
}

static void osd_payload(uint8_t *pl, double lat, double lon, int16_t h10)
{
	memset(pl, 0, 53);
	double rl = lon * M_PI / 180, ra = lat * M_PI / 180;
	memcpy(pl, &rl, 8);
	memcpy(pl + 8, &ra, 8);
	pl[16] = (uint8_t)h10; pl[17] = (uint8_t)((uint16_t)h10 >> 8);
	pl[36] = 12; /* satellites */
}

/* details: start time, home lon/lat, serials at the v6+ offsets */
static void details(uint8_t *d, unsigned version)
{
	memset(d, 0, 436);
	uint64_t st = 1630895027611ULL;
	double lon = -122.6266233523604, lat = 47.572697652412586;
	for (int i = 0; i < 8; i++) d[91 + i] = (uint8_t)(st >> (8 * i));
	memcpy(d + 99, &lon, 8);
	memcpy(d + 107, &lat, 8);
	if (version <= 5) { memcpy(d + 278, "P3", 2); memcpy(d + 267, "SN123", 5); }
	else { d[271] = 76; memcpy(d + 280, "DJI Mini 2", 10); memcpy(d + 312, "3NZCJ270048FFC", 14); }
}

static void build_flightrec(fbuf *f, unsigned version)
{
	memset(f, 0, sizeof(*f));
	uint8_t det[436], pl[64];
	size_t prefix = version < 6 ? 12 : 100;
	f->n = prefix;
	f->b[10] = (uint8_t)version;
	if (version == 12) { details(det, version); fput(f, det, 436); }
	if (version >= 13) {
		/* aux details block: kind 0, len, seed + XOR(u8 vdata, u16 ilen, info) */
		details(det, version);
		uint8_t plain[3 + 436], blk[1 + 3 + 436];
		plain[0] = 0; plain[1] = 436 & 0xff; plain[2] = 436 >> 8;
		memcpy(plain + 3, det, 436);
		uint8_t seed = 0x1f, m[8];
		uint64_t prod = 0x123456789ABCDEF0ULL * seed;
		for (int i = 0; i < 8; i++) m[i] = (uint8_t)(prod >> (8 * i));
		uint64_t k = t_crc64(seed, m, 8);
		blk[0] = seed;
		for (size_t i = 0; i < sizeof(plain); i++) blk[i + 1] = plain[i] ^ (uint8_t)(k >> (8 * (i % 8)));
		f->b[f->n++] = 0; f->b[f->n++] = sizeof(blk) & 0xff; f->b[f->n++] = sizeof(blk) >> 8;
		fput(f, blk, sizeof(blk));
		uint8_t ver[6] = { 1, 3, 0, 14, 0, 3 }; /* version block: u16 version, u8 department */
		fput(f, ver, 6);
		size_t at = f->n;
		for (int i = 0; i < 8; i++) f->b[i] = (uint8_t)((uint64_t)at >> (8 * i));
	}
	osd_payload(pl, 0, 0, 0); /* before the fix */
	frec(f, version, 1, pl, 53);
	osd_payload(pl, 53.7358, -1.7665, 46);
	frec(f, version, 1, pl, 53);
	uint8_t custom[18] = { 0 };
	uint64_t t = 1451415958899ULL;
	for (int i = 0; i < 8; i++) custom[10 + i] = (uint8_t)(t >> (8 * i));
	frec(f, version, 5, custom, 18);
	static const uint8_t jpg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 0xFF, 0xD9 };
	fput(f, jpg, sizeof(jpg));
	if (version < 12) {
		size_t at = f->n;
		for (int i = 0; i < 8; i++) f->b[i] = (uint8_t)((uint64_t)at >> (8 * i));
		details(det, version);
		fput(f, det, 436);
	}
}

typedef struct frgot {
	dv_flightrec_point p[8];
	size_t n;
} frgot;

static int fr_keep(const dv_flightrec_point *p, void *payload)
{
	frgot *g = payload;
	if (g->n < 8) g->p[g->n] = *p;
	g->n++;
	return 0;
}

static void test_flightrec(void)
{
	static const unsigned versions[] = { 4, 6, 7, 11, 12, 13, 14 };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		unsigned v = versions[i];
		fbuf f;
		build_flightrec(&f, v);
		dv_flightrec fr;
		frgot g = { .n = 0 };
		CHECK_EQ(dv_flightrec_parse_mem(&fr, f.b, f.n, "syn.txt", fr_keep, &g), 0);
		CHECK_EQ(fr.version, v);
		CHECK(fr.has_details);
		CHECK_EQ(fr.details.start_time_ms, 1630895027611LL);
		CHECK_NEAR(fr.details.home_lat, 47.572697652412586, 1e-12);
		CHECK_EQ(fr.jpegs, 1);
		CHECK_EQ(fr.skipped_bytes, 0);
		CHECK_EQ(fr.warnings, 0);
		if (v >= 6) CHECK_STR(fr.details.aircraft_sn, "3NZCJ270048FFC");
		if (v >= 13) {
			CHECK(fr.encrypted);
			CHECK_EQ(g.n, 0);
			CHECK_EQ(fr.records, 4); /* 3 records + the thumbnail, counted */
		} else {
			CHECK(!fr.encrypted);
			CHECK_EQ(g.n, 2);
			CHECK(!g.p[0].pt.has_pos); /* 0,0 before the fix */
			CHECK(g.p[1].pt.has_pos);
			CHECK_NEAR(g.p[1].pt.lat, 53.7358, 1e-9);
			CHECK_NEAR(g.p[1].pt.height, 4.6, 1e-9);
			CHECK_EQ(g.p[1].gps_num, 12);
			CHECK_EQ(g.p[1].pt.time_kind, DV_TIME_UTC);
			CHECK_EQ(g.p[1].pt.time_us, 1451415958899000LL);
		}
		/* cut in half, and every other cut: no crash, warnings */
		unsigned warned = 0;
		for (size_t cut = 0; cut < f.n; cut += 7) {
			int rc = dv_flightrec_parse_mem(&fr, f.b, cut, "cut.txt", NULL, NULL);
			if (rc == 0 && fr.warnings) warned++;
		}
		CHECK(warned > 0);
	}
	/* garbage and giant offsets */
	uint8_t junk[4096];
	uint32_t x = 99;
	for (size_t i = 0; i < sizeof(junk); i++) { x = x * 1103515245u + 12345u; junk[i] = (uint8_t)(x >> 16); }
	junk[10] = 3;
	dv_flightrec fr;
	CHECK_EQ(dv_flightrec_parse_mem(&fr, junk, sizeof(junk), "junk.txt", NULL, NULL), 0);
	CHECK(fr.warnings > 0);
	memset(junk, 0xFF, 8);
	junk[10] = 14;
	CHECK_EQ(dv_flightrec_parse_mem(&fr, junk, sizeof(junk), "junk.txt", NULL, NULL), 0);
	CHECK(fr.warnings > 0);
	CHECK(dv_flightrec_parse_mem(&fr, junk, 5, "tiny.txt", NULL, NULL) < 0);
	junk[10] = 0;
	CHECK(dv_flightrec_parse_mem(&fr, junk, sizeof(junk), "v0.txt", NULL, NULL) < 0);
}

/* Format 8 and 11 as DJI GO writes them: the highest point mid-flight, a
 * landing at 0 m, the u32 12345 trailer before the details, a product code
 * the old table lacked (28, Phantom 4 Advanced). Then renamed: the bytes,
 * not the name, say it is a flight record. */
static void build_flightrec_go(fbuf *f, unsigned version, bool trailer)
{
	memset(f, 0, sizeof(*f));
	uint8_t det[436], pl[64];
	f->n = 100;
	f->b[10] = (uint8_t)version;
	static const int16_t h10[3] = { 46, 1234, 0 };
	for (int i = 0; i < 3; i++) {
		osd_payload(pl, 53.7358 + i * 1e-4, -1.7665, h10[i]);
		frec(f, version, 1, pl, 53);
	}
	if (trailer) fput(f, "\x39\x30\0\0", 4);
	size_t at = f->n;
	for (int i = 0; i < 8; i++) f->b[i] = (uint8_t)((uint64_t)at >> (8 * i));
	details(det, version);
	det[271] = 28;
	float mh = 123.4f;
	memcpy(det + 123, &mh, 4);
	fput(f, det, 436);
	f->b[8] = 436 & 0xff;
	f->b[9] = 436 >> 8;
}

static void test_flightrec_go(void)
{
	char dir[] = "/tmp/dvtele.XXXXXX";
	if (!mkdtemp(dir)) return;
	static const unsigned versions[] = { 8, 11 };
	for (size_t i = 0; i < 2; i++) {
		fbuf f;
		build_flightrec_go(&f, versions[i], true);
		dv_flightrec fr;
		CHECK_EQ(dv_flightrec_parse_mem(&fr, f.b, f.n, "go.txt", NULL, NULL), 0);
		CHECK_EQ(fr.warnings, 0); /* the trailer is regular */
		CHECK_EQ(fr.skipped_bytes, 0);
		CHECK(fr.trailer);
		CHECK_EQ(fr.osd, 3);
		CHECK_STR(fr.details.product_name, "Phantom 4 Advanced");
		CHECK(dv_flightrec_sniff(f.b, f.n, f.n));
		CHECK(!dv_flightrec_sniff(f.b, f.n, f.n - 500)); /* details offset beyond the file */

		char path[96];
		snprintf(path, sizeof(path), "%s/flight_%u.dat", dir, versions[i]); /* renamed */
		FILE *w = fopen(path, "wb");
		fwrite(f.b, 1, f.n, w);
		fclose(w);
		CHECK_EQ(dv_media_kind_of(path), DV_MEDIA_FLIGHT_RECORD);
		char *json = NULL;
		CHECK_EQ(dv_inspect_json(&json, path, 0), 0);
		json_object *o = json_tokener_parse(json), *v, *d;
		CHECK(o && json_object_object_get_ex(o, "kind", &v) && !strcmp(json_object_get_string(v), "flight_record"));
		CHECK(json_object_object_get_ex(o, "max_height_m", &v));
		CHECK_NEAR(json_object_get_double(v), 123.4, 1e-9);
		CHECK(json_object_object_get_ex(o, "details", &d) && json_object_object_get_ex(d, "max_height_m", &v));
		CHECK_NEAR(json_object_get_double(v), 123.4, 1e-4);
		CHECK(json_object_object_get_ex(o, "warnings", &v) && json_object_array_length(v) == 0);
		json_object_put(o);
		free(json);
		unlink(path);
	}
	/* every kind by content, whatever the name */
	char path[96];
	snprintf(path, sizeof(path), "%s/noext", dir);
	FILE *w = fopen(path, "wb");
	fputs("\xEF\xBB\xBF" "1\r\n00:00:01,000 --> 00:00:02,000\r\nGPS(1.5,2.5,9) BAROMETER:1\r\n", w);
	fclose(w);
	CHECK_EQ(dv_media_kind_of(path), DV_MEDIA_SRT);
	w = fopen(path, "wb");
	fwrite("\xFF\xD8\xFF\xE0", 1, 4, w);
	fclose(w);
	CHECK_EQ(dv_media_kind_of(path), DV_MEDIA_PHOTO);
	w = fopen(path, "wb");
	fwrite("\0\0\0\x18" "ftypisom", 1, 12, w);
	fclose(w);
	CHECK_EQ(dv_media_kind_of(path), DV_MEDIA_VIDEO);
	w = fopen(path, "wb");
	fputs("just some notes about the flight, 12:00:00 --> nothing\n", w);
	fclose(w);
	CHECK_EQ(dv_media_kind_of(path), DV_MEDIA_UNKNOWN);
	unlink(path);
	rmdir(dir);
}

/* the streamed object (points first) equals the in-memory one */
static void test_inspect_stream(void)
{
	char dir[] = "/tmp/dvtele.XXXXXX";
	if (!mkdtemp(dir)) return;
	char srt[64], fr[80];
	snprintf(srt, sizeof(srt), "%s/a.SRT", dir);
	snprintf(fr, sizeof(fr), "%s/DJIFlightRecord_x.txt", dir);
	FILE *f = fopen(srt, "w");
	fputs("1\n00:00:00,000 --> 00:00:00,020\nFrameCnt: 1, DiffTime: 20ms\n2021-12-25 12:27:52.373\n"
	      "[latitude: 0.0] [longitude: 0.0] [rel_alt: 1.0 abs_alt: 2.0]\n\n2\n00:00:00,020 --> 00:00:00,040\n"
	      "2021-12-25 12:27:52.393\n[latitude: 3.41531] [longitude: -3.37440] [rel_alt: 1.0 abs_alt: 2.0]\n", f);
	fclose(f);
	fbuf b;
	build_flightrec(&b, 7);
	f = fopen(fr, "wb");
	fwrite(b.b, 1, b.n, f);
	fclose(f);
	const char *paths[2] = { srt, fr };
	for (int i = 0; i < 2; i++)
		for (unsigned flags = 0; flags <= DV_INSPECT_POINTS; flags++) {
			dv_inspect_opts o = { flags, true, 120 };
			char *mem = NULL, *streamed = NULL;
			size_t sl = 0;
			CHECK_EQ(dv_inspect_json_opts(&mem, paths[i], &o), 0);
			FILE *ms = open_memstream(&streamed, &sl);
			CHECK_EQ(dv_inspect_write(ms, paths[i], &o), 0);
			fclose(ms);
			json_object *a = json_tokener_parse(mem), *c = json_tokener_parse(streamed);
			CHECK(a && c && json_object_equal(a, c));
			CHECK(sl > 0 && streamed[sl - 1] == '\n');
			json_object_put(a);
			json_object_put(c);
			free(mem);
			free(streamed);
		}
	unlink(srt);
	unlink(fr);
	rmdir(dir);
}

/* FIFOs are refused by every reader, never waited on */
static void test_fifo(void)
{
	char dir[] = "/tmp/dvtele.XXXXXX";
	if (!mkdtemp(dir)) return;
	char path[64];
	snprintf(path, sizeof(path), "%s/f.SRT", dir);
	if (mkfifo(path, 0600) == 0) {
		dv_photo p;
		dv_video v;
		dv_flightrec f;
		char *json = NULL;
		CHECK_EQ(dv_srt_read_file(path, NULL, NULL, NULL), DV_EINVAL);
		CHECK_EQ(dv_photo_read_file(&p, path), DV_EINVAL);
		CHECK_EQ(dv_video_read_file(&v, path), DV_EINVAL);
		CHECK_EQ(dv_flightrec_read_file(&f, path, NULL, NULL), DV_EINVAL);
		CHECK_EQ(dv_inspect_json(&json, path, 0), DV_EINVAL);
		CHECK_EQ(dv_media_kind_of(path), DV_MEDIA_SRT);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	test_num();
	test_srt_generations();
	test_srt_damage();
	test_srt_enterprise();
	test_photo();
	test_exif_times();
	test_xmp();
	test_track();
	test_track_csv_no_empty_rows();
	test_video();
	test_flightrec();
	test_flightrec_go();
	test_fifo();
	test_inspect_stream();
	return check_done();
}
