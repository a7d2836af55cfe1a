/*
 * test_droneid - DJI DroneID over Wi-Fi and `radio --frames` listing every
 * counted frame. The captures are built here from the documented layout
 * (radio/droneid_int.h): pcap, radiotap, 802.11 beacon / probe response,
 * vendor element OUI 26:37:12.
 *
 * 1. A version 2 flight information record decodes to the serial, the
 *    aircraft position, altitude and height, speeds, yaw, GPS time, home
 *    point and the pilot app's position; version 1 to attitude and home.
 * 2. The report keys it by transmitter, builds the track and lists the
 *    pilot position with the same exposure distances as an ASTM operator
 *    position; JSON and GeoJSON carry it.
 * 3. A frame that looks like DroneID but does not decode (cut, unknown
 *    subcommand) is reported as such, never dropped.
 * 4. A pack cut short gets its row and "# frame N: message pack cut at
 *    byte K"; a DroneID-only frame a comment in the ASTM layout and a row
 *    in the DroneID layout.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dv/err.h"
#include "dv/radio.h"
#include "radio/droneid_int.h"
#include "radio/odid_int.h"

typedef struct bb {
	uint8_t b[65536];
	size_t n;
} bb;

static void p8(bb *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void p16(bb *b, unsigned v) { p8(b, v & 0xff); p8(b, (v >> 8) & 0xff); }
static void p32(bb *b, uint32_t v) { p16(b, v & 0xffff); p16(b, v >> 16); }
static void p64(bb *b, uint64_t v) { p32(b, (uint32_t)v); p32(b, (uint32_t)(v >> 32)); }
static void pbytes(bb *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static int32_t rad7(double deg) { return (int32_t)lround(deg * 174533.0); }

#define SERIAL "1581F4XEB2200AB1"
#define LAT 52.5200
#define LON 13.4050
#define PILOT_LAT 52.5180
#define PILOT_LON 13.4020
#define HOME_LAT 52.5185
#define HOME_LON 13.4025

/* The flight information record (after the subcommand): version 1 or 2,
 * cut to keep bytes when keep > 0. */
static void flight_info(bb *e, int version, double lat, double lon, uint16_t seq)
{
	p8(e, (unsigned)version);
	p16(e, seq);
	p16(e, 0x0ff7); /* serial valid, private off, home set, motors, in air, valid bits */
	char sn[16] = { 0 };
	memcpy(sn, SERIAL, 16);
	pbytes(e, sn, 16);
	p32(e, (uint32_t)rad7(lon));
	p32(e, (uint32_t)rad7(lat));
	p16(e, 120);             /* altitude m */
	p16(e, 45);              /* height m */
	p16(e, 300);             /* v_north cm/s */
	p16(e, 400);             /* v_east */
	p16(e, (uint16_t)-50);   /* v_up */
	if (version == 1) {
		p16(e, (uint16_t)-250); /* pitch -2.5 */
		p16(e, 130);            /* roll 1.3 */
		p16(e, 9000);           /* yaw 90 */
	} else {
		p16(e, (uint16_t)-4500); /* yaw -45 */
		p64(e, 1700000000123ULL);
		p32(e, (uint32_t)rad7(PILOT_LAT));
		p32(e, (uint32_t)rad7(PILOT_LON));
	}
	p32(e, (uint32_t)rad7(HOME_LON));
	p32(e, (uint32_t)rad7(HOME_LAT));
	p8(e, 63);               /* device type: Mini 2 */
	p8(e, 6);
	char uuid[20] = "abc123";
	pbytes(e, uuid, 20);
}

/* radiotap (8 bytes, nothing present) + management frame fc0 from
 * transmitter 60:60:1f:aa:bb:cc + fixed fields + SSID + elements. */
static void frame(bb *f, unsigned fc0, const uint8_t *ies, size_t nies)
{
	f->n = 0;
	p8(f, 0); p8(f, 0); p16(f, 8); p32(f, 0);
	p8(f, fc0); p8(f, 0); p16(f, 0);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t ta[6] = { 0x60, 0x60, 0x1f, 0xaa, 0xbb, 0xcc };
	pbytes(f, bcast, 6);
	pbytes(f, ta, 6);
	pbytes(f, ta, 6);
	p16(f, 0);
	for (int i = 0; i < 12; i++) p8(f, 0);
	p8(f, 0); p8(f, 9); pbytes(f, "MAVIC-AIR", 9);
	pbytes(f, ies, nies);
}

/* vendor element 221 with the DJI OUI: vendor type, 2 bytes, subcommand, record */
static void dji_ie(bb *ies, unsigned sub, const bb *rec)
{
	p8(ies, 221);
	p8(ies, (unsigned)(3 + 4 + rec->n));
	p8(ies, 0x26); p8(ies, 0x37); p8(ies, 0x12);
	p8(ies, 0x58); p8(ies, 0x62); p8(ies, 0x13); p8(ies, sub);
	pbytes(ies, rec->b, rec->n);
}

static void pcap_begin(bb *c)
{
	c->n = 0;
	p32(c, 0xa1b2c3d4u);
	p16(c, 2); p16(c, 4);
	p32(c, 0); p32(c, 0);
	p32(c, 65535);
	p32(c, 127); /* 802.11 + radiotap */
}

static void pcap_add(bb *c, const bb *f, uint32_t sec)
{
	p32(c, sec); p32(c, 0);
	p32(c, (uint32_t)f->n); p32(c, (uint32_t)f->n);
	pbytes(c, f->b, f->n);
}

static bb cap, fr, ies, rec;

static void test_decode(void)
{
	dv_droneid_record d;
	rec.n = 0;
	flight_info(&rec, 2, LAT, LON, 7);
	CHECK_EQ(rec.n, 87);
	uint8_t el[200];
	el[0] = 0x58; el[1] = 0x62; el[2] = 0x13; el[3] = 0x10;
	memcpy(el + 4, rec.b, rec.n);
	CHECK_EQ(dv_droneid_decode_wifi(&d, el, 4 + rec.n), DV_DRONEID_OK);
	CHECK_STR(d.serial, SERIAL);
	CHECK_EQ(d.version, 2);
	CHECK_EQ(d.seq, 7);
	CHECK(d.has_pos && d.has_home && d.has_pilot);
	CHECK_NEAR(d.lat, LAT, 3e-6);
	CHECK_NEAR(d.lon, LON, 3e-6);
	CHECK_NEAR(d.pilot_lat, PILOT_LAT, 3e-6);
	CHECK_NEAR(d.pilot_lon, PILOT_LON, 3e-6);
	CHECK_NEAR(d.home_lat, HOME_LAT, 3e-6);
	CHECK_NEAR(d.home_lon, HOME_LON, 3e-6);
	CHECK_NEAR(d.alt_m, 120, 1e-9);
	CHECK_NEAR(d.height_m, 45, 1e-9);
	CHECK_NEAR(d.v_north_mps, 3, 1e-9);
	CHECK_NEAR(d.v_east_mps, 4, 1e-9);
	CHECK_NEAR(d.v_up_mps, -0.5, 1e-9);
	CHECK_NEAR(d.yaw_deg, -45, 1e-9);
	CHECK_EQ(d.gps_time_ms, 1700000000123LL);
	CHECK_EQ(d.device_type, 63);
	CHECK_STR(dv_droneid_device_name(d.device_type), "Mini 2");
	CHECK_STR(d.uuid, "abc123");

	rec.n = 0;
	flight_info(&rec, 1, LAT, LON, 8);
	CHECK_EQ(rec.n, 75);
	memcpy(el + 4, rec.b, rec.n);
	CHECK_EQ(dv_droneid_decode_wifi(&d, el, 4 + rec.n), DV_DRONEID_OK);
	CHECK(d.has_pos && d.has_home && !d.has_pilot);
	CHECK_NEAR(d.pitch_deg, -2.5, 1e-9);
	CHECK_NEAR(d.roll_deg, 1.3, 1e-9);
	CHECK_NEAR(d.yaw_deg, 90, 1e-9);
	CHECK_EQ(d.gps_time_ms, -1);

	/* every cut: never a read past the end, always "cut" below the layout */
	for (size_t n = 0; n < 4 + rec.n; n++) {
		CHECK_EQ(dv_droneid_decode_wifi(&d, el, n), DV_DRONEID_CUT);
		CHECK(d.problem[0] != 0);
		CHECK(!d.has_pos);
	}
	el[4] = 9; /* version 9 */
	CHECK_EQ(dv_droneid_decode_wifi(&d, el, 4 + rec.n), DV_DRONEID_UNKNOWN);
	el[3] = 0x42;
	CHECK_EQ(dv_droneid_decode_wifi(&d, el, 4 + rec.n), DV_DRONEID_UNKNOWN);
	/* flight purpose */
	bb pu = { .n = 0 };
	char sn[16] = { 0 };
	memcpy(sn, SERIAL, 16);
	pbytes(&pu, sn, 16);
	p64(&pu, 10);
	pbytes(&pu, "FIRE-07\0\0\0", 10);
	p64(&pu, 18);
	pbytes(&pu, "search and rescue", 17);
	el[3] = 0x11;
	memcpy(el + 4, pu.b, pu.n);
	CHECK_EQ(dv_droneid_decode_wifi(&d, el, 4 + pu.n), DV_DRONEID_OK);
	CHECK_STR(d.drone_id, "FIRE-07");
	CHECK_STR(d.purpose, "search and rescue");
}

/* A beacon capture: 3 v2 frames moving north, a probe response, a cut
 * record, a record of unknown subcommand. */
static size_t build_capture(void)
{
	pcap_begin(&cap);
	for (int i = 0; i < 3; i++) {
		rec.n = 0;
		flight_info(&rec, 2, LAT + i * 0.001, LON, (uint16_t)i);
		ies.n = 0;
		dji_ie(&ies, 0x10, &rec);
		frame(&fr, 0x80, ies.b, ies.n);
		pcap_add(&cap, &fr, 1700000000u + (uint32_t)i);
	}
	rec.n = 0;
	flight_info(&rec, 2, LAT + 0.003, LON, 3);
	ies.n = 0;
	dji_ie(&ies, 0x10, &rec);
	frame(&fr, 0x50, ies.b, ies.n); /* probe response */
	pcap_add(&cap, &fr, 1700000003u);
	rec.n = 0;
	flight_info(&rec, 2, LAT, LON, 4);
	rec.n = 40; /* cut */
	ies.n = 0;
	dji_ie(&ies, 0x10, &rec);
	frame(&fr, 0x80, ies.b, ies.n);
	pcap_add(&cap, &fr, 1700000004u);
	rec.n = 10;
	ies.n = 0;
	dji_ie(&ies, 0x7e, &rec);
	frame(&fr, 0x80, ies.b, ies.n);
	pcap_add(&cap, &fr, 1700000005u);
	return cap.n;
}

static void test_report(void)
{
	size_t n = build_capture();
	dv_radio_report *r;
	CHECK_EQ(dv_radio_report_new(&r), 0);
	CHECK_EQ(dv_radio_report_add_capture_mem(r, "dji.pcap", cap.b, n), 0);
	dv_radio_report_finish(r);
	CHECK_EQ(r->ncaptures, 1);
	CHECK_EQ(r->captures[0].stats.odid_frames, 6);
	CHECK_EQ(r->naircraft, 1); /* "no broadcasting aircraft found" was the false all-clear */
	const dv_radio_aircraft *a = &r->aircraft[0];
	CHECK_STR(a->key, "60:60:1f:aa:bb:cc");
	CHECK(a->transports & DV_RADIO_WIFI_DJI);
	CHECK_EQ(a->droneid_frames, 6);
	CHECK_EQ(a->droneid_undecoded, 2);
	CHECK_EQ(a->ndroneid_serials, 1);
	CHECK_STR(a->droneid_serials[0].text, SERIAL);
	CHECK_EQ(a->droneid_device_type, 63);
	CHECK(a->droneid_has_home);
	CHECK_NEAR(a->droneid_home_lat, HOME_LAT, 3e-6);
	CHECK_EQ(a->ntrack, 4);
	CHECK_EQ(a->track[0].source, DV_RADIO_SRC_DRONEID);
	CHECK_NEAR(a->track[0].height_m, 45, 1e-9);
	CHECK_NEAR(a->track[0].speed_mps, 5, 1e-9);
	CHECK_NEAR(a->track[0].direction_deg, atan2(4, 3) * 180 / M_PI, 1e-6);
	CHECK_NEAR(a->track[3].lat, LAT + 0.003, 3e-6);
	/* the pilot's position, with the same exposure analysis as ASTM */
	CHECK_EQ(a->noperators, 1);
	const dv_radio_operator_pos *o = &a->operators[0];
	CHECK_EQ(o->source, DV_RADIO_SRC_DRONEID);
	CHECK_EQ(o->frames, 4);
	CHECK_NEAR(o->lat, PILOT_LAT, 3e-6);
	CHECK(o->has_distance);
	double d0 = dv_radio_distance_m(PILOT_LAT, PILOT_LON, LAT, LON);
	double d3 = dv_radio_distance_m(PILOT_LAT, PILOT_LON, LAT + 0.003, LON);
	CHECK_NEAR(o->dist_min_m, d0, 0.5);
	CHECK_NEAR(o->dist_max_m, d3, 0.5);
	/* undecodable frames are issues, named as DroneID */
	size_t undec = 0;
	for (size_t i = 0; i < r->nissues; i++)
		if (strstr(r->issues[i].text, "looks like DJI DroneID, not decodable")) undec++;
	CHECK_EQ(undec, 2);

	char *js = NULL, *gj = NULL;
	CHECK_EQ(dv_radio_report_json(r, &js), 0);
	CHECK(js && strstr(js, "\"dji_droneid\""));
	CHECK(js && strstr(js, "\"pilot app position (DJI DroneID)\""));
	CHECK(js && strstr(js, SERIAL));
	CHECK_EQ(dv_radio_report_geojson(r, &gj), 0);
	CHECK(gj && strstr(gj, "\"home point (DJI DroneID broadcast)\""));
	CHECK(gj && strstr(gj, "\"operator position (broadcast)\""));
	free(js);
	free(gj);
	char *text = NULL;
	size_t tl = 0;
	FILE *m = open_memstream(&text, &tl);
	dv_radio_report_print(r, m);
	fclose(m);
	CHECK(text && strstr(text, "DJI DroneID    serial " SERIAL));
	CHECK(text && strstr(text, "the pilot app's position"));
	CHECK(text && strstr(text, "learned where the pilot stood"));
	CHECK(text && !strstr(text, "no broadcasting aircraft found"));
	free(text);
	dv_radio_report_free(r);

	/* the same record fed as another carrier would (OcuSync: no address) */
	CHECK_EQ(dv_radio_report_new(&r), 0);
	int c = dv_radio_report_begin_capture(r, "sdr");
	dv_droneid_record d;
	uint8_t el[200] = { 0x58, 0x62, 0x13, 0x10 };
	rec.n = 0;
	flight_info(&rec, 2, LAT, LON, 1);
	memcpy(el + 4, rec.b, rec.n);
	dv_droneid_decode_wifi(&d, el, 4 + rec.n);
	d.carrier = DV_DRONEID_OCUSYNC;
	d.has_crc = true;
	d.crc_ok = true;
	CHECK_EQ(dv_radio_report_add_droneid(r, (size_t)c, 1, 1, NULL, &d), 0);
	CHECK_EQ(dv_radio_report_add_droneid(r, (size_t)c, 2, 2, NULL, &d), 0);
	d.crc_ok = false;
	CHECK_EQ(dv_radio_report_add_droneid(r, (size_t)c, 3, 3, NULL, &d), 0);
	dv_radio_report_finish(r);
	CHECK_EQ(r->naircraft, 1);
	CHECK(r->aircraft[0].by_serial);
	CHECK_STR(r->aircraft[0].key, "dji:" SERIAL);
	CHECK_EQ(r->aircraft[0].noperators, 1);
	CHECK_EQ(r->crc_bad_frames, 1);
	dv_radio_report_free(r);
}

typedef struct lines {
	char text[16384];
	size_t n;
	unsigned flags;
} lines;

static int on_frame(const dv_odid_frame *f, void *payload)
{
	lines *l = payload;
	char buf[4096];
	CHECK_EQ(dv_radio_frame_lines(f, l->flags, buf, sizeof(buf)), 0);
	size_t k = strlen(buf);
	if (l->n + k < sizeof(l->text)) {
		memcpy(l->text + l->n, buf, k + 1);
		l->n += k;
	}
	return 0;
}

/* An ASTM pack that declares 3 messages and carries 2. */
static void test_frames(void)
{
	pcap_begin(&cap);
	uint8_t pack[4 + 3 * 25];
	memset(pack, 0, sizeof(pack));
	pack[0] = 1;     /* counter */
	pack[1] = 0xF2;  /* pack, version 2 */
	pack[2] = 25;
	pack[3] = 3;
	uint8_t *m = pack + 4;
	m[0] = 0x02; m[1] = 0x12; memcpy(m + 2, "SN-CUT-0001", 11);           /* Basic ID */
	m += 25;
	m[0] = 0x12; m[1] = 0x20; m[5] = 0x15; m[6] = 0xcd; m[7] = 0x5b; m[8] = 0x07; /* Location */
	ies.n = 0;
	p8(&ies, 221);
	p8(&ies, 4 + 4 + 2 * 25);
	p8(&ies, 0xfa); p8(&ies, 0x0b); p8(&ies, 0xbc); p8(&ies, 0x0d);
	pbytes(&ies, pack, 4 + 2 * 25);
	frame(&fr, 0x80, ies.b, ies.n);
	size_t cut_at = fr.n; /* the pack's bytes end with the frame */
	pcap_add(&cap, &fr, 1);
	/* a DroneID-only frame */
	rec.n = 0;
	flight_info(&rec, 2, LAT, LON, 1);
	ies.n = 0;
	dji_ie(&ies, 0x10, &rec);
	frame(&fr, 0x80, ies.b, ies.n);
	pcap_add(&cap, &fr, 2);

	lines l;
	memset(&l, 0, sizeof(l));
	CHECK_EQ(dv_radio_scan_mem(cap.b, cap.n, "cut.pcap", on_frame, &l, NULL), 0);
	char want[128];
	snprintf(want, sizeof(want), "\n# frame 1: message pack cut at byte %zu\n", cut_at);
	CHECK(strncmp(l.text, "1\t15,0,1\t", 9) == 0); /* the row, in the dissector's layout */
	CHECK(strstr(l.text, want) != NULL);
	CHECK(strstr(l.text, "SN-CUT-0001") != NULL);
	CHECK(strstr(l.text, "# frame 2: DJI DroneID (decoded), see --frames=droneid\n") != NULL);
	/* without DV_ODID_TSV_CUT the dissector's own behaviour: no row */
	dv_odid_frame *f = calloc(1, sizeof(*f));
	CHECK(f != NULL);
	frame(&fr, 0x80, ies.b, 0);
	ies.n = 0;
	p8(&ies, 221);
	p8(&ies, 4 + 4 + 2 * 25);
	p8(&ies, 0xfa); p8(&ies, 0x0b); p8(&ies, 0xbc); p8(&ies, 0x0d);
	pbytes(&ies, pack, 4 + 2 * 25);
	frame(&fr, 0x80, ies.b, ies.n);
	CHECK_EQ(dv_radio_decode_frame(127, fr.b, fr.n, f), 1);
	CHECK(f->pack_overrun);
	CHECK_EQ(f->pack_cut_at, cut_at);
	char row[2048];
	CHECK_EQ(dv_odid_frame_tsv(f, row, sizeof(row), 0), 1);
	CHECK_EQ(dv_odid_frame_tsv(f, row, sizeof(row), DV_ODID_TSV_CUT), 0);
	free(f);

	memset(&l, 0, sizeof(l));
	l.flags = DV_RADIO_FRAMES_DRONEID;
	CHECK_EQ(dv_radio_scan_mem(cap.b, cap.n, "cut.pcap", on_frame, &l, NULL), 0);
	CHECK(strncmp(l.text, "2\t0x10\t2\t1\t0x0ff7\t" SERIAL "\t52.52", 32) == 0);
	char pilot[64]; /* the format's resolution: 1e-7 rad, about 0.6 m */
	snprintf(pilot, sizeof(pilot), "\t%.7f\t%.7f\t", rad7(PILOT_LAT) / 174533.0, rad7(PILOT_LON) / 174533.0);
	CHECK(strstr(l.text, pilot) != NULL);
	CHECK(strstr(l.text, "\tdecoded\n") != NULL);
	CHECK(strchr(l.text, '\n') == l.text + strlen(l.text) - 1); /* one row only */
}

int main(void)
{
	test_decode();
	test_report();
	test_frames();
	return check_done();
}
