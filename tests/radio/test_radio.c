/*
 * test_radio - Remote ID decoding.
 *
 * 1. Golden: every frame of the three Open Drone ID captures in
 *    $DV_SHARED/audit/pcaps must give exactly the line of
 *    expected/<capture>.odid.tsv (made by tshark with the Open Drone ID
 *    project's own Lua dissector), and no other frame may carry Remote ID.
 * 2. Synthetic frames for what the samples lack: every message type,
 *    F3411-22a fields, Bluetooth 4 legacy, LE LL with PHDR (coded PHY),
 *    HCI reports, plain 802.11, NAN with optional SDA fields.
 * 3. Malformed input: truncation, lengths past the frame, wrong pack sizes
 *    and counts, unknown types and versions.
 * 4. Conversions, WGS84 distance, per-aircraft report and exposure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dv/err.h"
#include "radio/odid_int.h"
#include "dv/radio.h"

/* ---- golden ------------------------------------------------------------------ */

typedef struct golden {
	char **lines; /* produced lines, in frame order */
	size_t n, cap;
} golden;

static int collect(const dv_odid_frame *f, void *payload)
{
	golden *g = payload;
	char line[4096];
	int rc = dv_odid_frame_tsv(f, line, sizeof(line), 0);
	CHECK(rc >= 0);
	if (rc != 0) return 0;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->lines = realloc(g->lines, g->cap * sizeof(char *));
		if (!g->lines) abort();
	}
	g->lines[g->n++] = strdup(line);
	return 0;
}

static size_t count_fields(const char *s)
{
	size_t n = 1;
	for (; *s; s++) n += *s == '\t';
	return n;
}

/* Compares field by field; returns the number of equal fields. */
static size_t equal_fields(const char *a, const char *b, size_t *total)
{
	size_t eq = 0, n = 0;
	for (;;) {
		const char *ea = strchr(a, '\t'), *eb = strchr(b, '\t');
		size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
		n++;
		if (la == lb && !memcmp(a, b, la)) eq++;
		if (!ea || !eb) break;
		a = ea + 1;
		b = eb + 1;
	}
	*total = n;
	return eq;
}

static void golden_capture(const char *shared, const char *name, size_t *frames_ok, size_t *frames_all,
                           size_t *fields_ok, size_t *fields_all)
{
	char path[4096], exp[4096];
	snprintf(path, sizeof(path), "%s/audit/pcaps/%s", shared, name);
	snprintf(exp, sizeof(exp), "%s/audit/pcaps/expected/%s.odid.tsv", shared, name);
	golden g = { 0 };
	dv_radio_stats st;
	int rc = dv_radio_scan_file(path, collect, &g, &st);
	CHECK_EQ(rc, 0);
	if (rc < 0) fprintf(stderr, "%s\n", dv_error_text());
	FILE *f = fopen(exp, "r");
	CHECK(f != NULL);
	if (!f) return;
	char line[8192];
	size_t i = 0, mism = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') continue;
		line[strcspn(line, "\n")] = '\0';
		(*frames_all)++;
		if (i >= g.n) {
			fprintf(stderr, "%s: expected frame line missing: %s\n", name, line);
			mism++;
			*fields_all += count_fields(line);
			continue;
		}
		size_t tot;
		size_t eq = equal_fields(g.lines[i], line, &tot);
		*fields_ok += eq;
		*fields_all += tot;
		if (!strcmp(g.lines[i], line)) {
			(*frames_ok)++;
		} else if (mism++ < 5) {
			fprintf(stderr, "%s: mismatch\n  want: %s\n  got:  %s\n", name, line, g.lines[i]);
		}
		i++;
	}
	fclose(f);
	CHECK_EQ(i, g.n); /* no extra Remote ID frames */
	CHECK_EQ(mism, 0);
	printf("%s: %zu frames read, %zu with Remote ID, %zu reference lines, %zu mismatches\n", name,
	       (size_t)st.frames, (size_t)st.odid_frames, i, mism);
	for (size_t k = 0; k < g.n; k++) free(g.lines[k]);
	free(g.lines);
}

static void test_golden(const char *shared)
{
	static const char *caps[] = { "opendroneid_odid_wifi_bcn_sample.pcap", "opendroneid_odid_wifi_sample.pcap",
	                              "opendroneid_odid_bt5_lr_sample.pcapng" };
	size_t fok = 0, fall = 0, dok = 0, dall = 0;
	for (size_t i = 0; i < 3; i++) golden_capture(shared, caps[i], &fok, &fall, &dok, &dall);
	printf("golden: %zu/%zu frames and %zu/%zu fields equal to the reference dissector\n", fok, fall, dok, dall);
	CHECK_EQ(fok, fall);
	CHECK_EQ(dok, dall);
	CHECK_EQ(fall, 21 + 42 + 271);
}

static void test_report_samples(const char *shared)
{
	char path[4096];
	dv_radio_report *r;
	CHECK_EQ(dv_radio_report_new(&r), 0);
	snprintf(path, sizeof(path), "%s/audit/pcaps/opendroneid_odid_wifi_bcn_sample.pcap", shared);
	CHECK_EQ(dv_radio_report_add_capture(r, path), 0);
	snprintf(path, sizeof(path), "%s/audit/pcaps/opendroneid_odid_bt5_lr_sample.pcapng", shared);
	{
		/* the same capture from memory gives the same aircraft */
		uint8_t *buf = NULL;
		size_t len = 0;
		FILE *fp = fopen(path, "rb");
		CHECK(fp != NULL);
		if (fp) {
			buf = malloc(200000);
			len = buf ? fread(buf, 1, 200000, fp) : 0;
			fclose(fp);
		}
		CHECK_EQ(dv_radio_report_add_capture_mem(r, "bt5 (memory)", buf, len), 0);
		free(buf);
	}
	CHECK_EQ(dv_radio_report_add_capture(r, path), 0);
	dv_radio_report_finish(r);
	CHECK_EQ(r->ncaptures, 3);
	CHECK_EQ(r->naircraft, 2);
	const dv_radio_aircraft *w = NULL, *b = NULL;
	for (size_t i = 0; i < r->naircraft; i++) {
		if (!strcmp(r->aircraft[i].key, "84:cc:a8:60:43:24")) w = &r->aircraft[i];
		if (!strcmp(r->aircraft[i].key, "e0:7d:ea:eb:2f:1c")) b = &r->aircraft[i];
	}
	CHECK(w && b);
	if (!w || !b) goto out;
	CHECK_EQ(w->nids, 1);
	CHECK_STR(w->ids[0].text, "MFG1A0123456789");
	CHECK_EQ(w->transports, DV_RADIO_WIFI_BEACON);
	CHECK_EQ(w->noperators, 1);
	CHECK_NEAR(w->operators[0].lat, 45.5443876, 1e-9);
	CHECK_NEAR(w->operators[0].lon, -122.9726866, 1e-9);
	CHECK_EQ(w->operators[0].frames, 21);
	CHECK(w->ntrack >= 10 && w->ntrack <= 21);
	CHECK(w->operators[0].has_distance);
	/* first position 45.5457468,-122.9681496: about 385 m east-north-east */
	CHECK_NEAR(w->operators[0].dist_first_m, 385.0, 15.0);
	CHECK(w->operators[0].dist_min_m <= w->operators[0].dist_max_m);
	CHECK_NEAR(w->track[0].geo_alt_m, 2474 * 0.5 - 1000, 1e-9);
	CHECK_NEAR(w->track[0].height_m, 100.0, 1e-9);
	CHECK_NEAR(w->track[0].speed_mps, 20.5, 1e-9);
	CHECK_STR(w->operator_ids[0].text, "GBR-OP-123ABCD");
	CHECK_STR(w->self_ids[0].text, "Recreational");

	CHECK_STR(b->ids[0].text, "SSEVTFG93700070");
	CHECK_EQ(b->ids[0].id_type, 1);
	CHECK_EQ(b->transports, DV_RADIO_BT_EXTENDED);
	CHECK(b->coded_phy);
	CHECK_EQ(b->ntrack, 0);     /* lat/lon 0: no position, nothing invented */
	CHECK_EQ(b->noperators, 0);
	CHECK_EQ(b->empty_frames, 2 * 19);   /* read twice; + 6 empty packs with a bad CRC each time */
	CHECK_EQ(r->crc_bad_frames, 2 * 29); /* 30 bad CRC minus frame 92 (UUID hit) */
	size_t empties = 0;
	for (size_t i = 0; i < r->nissues; i++) empties += strstr(r->issues[i].text, "empty message pack") != NULL;
	CHECK_EQ(empties, 2 * 25);
	char *js = NULL;
	CHECK_EQ(dv_radio_report_json(r, &js), 0);
	CHECK(js && strstr(js, "\"MFG1A0123456789\""));
	free(js);
	CHECK_EQ(dv_radio_report_geojson(r, &js), 0);
	CHECK(js && strstr(js, "LineString") && strstr(js, "operator position"));
	free(js);
out:
	dv_radio_report_free(r);
}

/* ---- synthetic frames ----------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

static void msg_basic(uint8_t *m, int ver, int idt, int uat, const char *id)
{
	memset(m, 0, 25);
	m[0] = (uint8_t)(0x00 | ver);
	m[1] = (uint8_t)(idt << 4 | uat);
	memcpy(m + 2, id, strlen(id) < 20 ? strlen(id) : 20);
}

static void msg_loc(uint8_t *m, int ver, int32_t lat, int32_t lon)
{
	memset(m, 0, 25);
	m[0] = (uint8_t)(0x10 | ver);
	m[1] = 2 << 4 | 1 << 2 | 1 << 1 | 1; /* airborne, AGL, west, x0.75 */
	m[2] = 10;                           /* 190 deg */
	m[3] = 20;                           /* 20*0.75+63.75 = 78.75 m/s */
	m[4] = (uint8_t)(int8_t)-4;          /* -2 m/s */
	put32(m + 5, (uint32_t)lat);
	put32(m + 9, (uint32_t)lon);
	put16(m + 13, 2200);                 /* 100 m */
	put16(m + 15, 2474);                 /* 237 m */
	put16(m + 17, 2100);                 /* 50 m */
	m[19] = 0x4b;                        /* vertical 4, horizontal 11 */
	m[20] = 0x34;
	put16(m + 21, 36000);
	m[23] = 3;
}

static void msg_auth(uint8_t *m, int ver, int page)
{
	memset(m, 0, 25);
	m[0] = (uint8_t)(0x20 | ver);
	m[1] = (uint8_t)(1 << 4 | page);
	if (page == 0) {
		m[2] = 1;
		m[3] = 40;
		put32(m + 4, 123456789);
		memset(m + 8, 0xAA, 17);
	} else {
		memset(m + 2, 0xBB, 23);
	}
}

static void msg_self(uint8_t *m, int ver, int t, const char *s)
{
	memset(m, 0, 25);
	m[0] = (uint8_t)(0x30 | ver);
	m[1] = (uint8_t)t;
	memcpy(m + 2, s, strlen(s) < 23 ? strlen(s) : 23);
}

static void msg_sys(uint8_t *m, int ver, int32_t lat, int32_t lon)
{
	memset(m, 0, 25);
	m[0] = (uint8_t)(0x40 | ver);
	m[1] = 1 << 2 | 1; /* EU, live GNSS */
	put32(m + 2, (uint32_t)lat);
	put32(m + 6, (uint32_t)lon);
	put16(m + 10, 3);
	m[12] = 5;
	put16(m + 13, 2400);
	put16(m + 15, 2000);
	m[17] = 1 << 4 | 2; /* open, class 1 (C1) */
	put16(m + 18, 2010);
	put32(m + 20, 250000000);
}

static void msg_op(uint8_t *m, int ver, const char *id)
{
	memset(m, 0, 25);
	m[0] = (uint8_t)(0x50 | ver);
	memcpy(m + 2, id, strlen(id) < 20 ? strlen(id) : 20);
}

/* BLE LL advertising packet (from the access address) with service data. */
static size_t ble_packet(uint8_t *out, int pdu_type, bool coded, const uint8_t *svc, size_t svclen)
{
	size_t o = 0;
	put32(out, 0x8E89BED6);
	o = 4;
	if (coded) out[o++] = 0;
	size_t hdr = o;
	out[o++] = (uint8_t)pdu_type;
	out[o++] = 0;
	size_t pstart = o;
	if (pdu_type == 7) {
		out[o++] = 9;     /* ext header length 9, non-connectable */
		out[o++] = 0x09;  /* AdvA + ADI */
		for (int i = 0; i < 6; i++) out[o++] = (uint8_t)(0x10 + i);
		out[o++] = 0x75;
		out[o++] = 0x0e;
	} else {
		for (int i = 0; i < 6; i++) out[o++] = (uint8_t)(0x10 + i);
	}
	out[o++] = (uint8_t)(svclen + 4);
	out[o++] = 0x16;
	out[o++] = 0xFA;
	out[o++] = 0xFF;
	out[o++] = 0x0D;
	memcpy(out + o, svc, svclen);
	o += svclen;
	out[hdr + 1] = (uint8_t)(o - pstart);
	out[o++] = 1; /* CRC */
	out[o++] = 2;
	out[o++] = 3;
	return o;
}

static void test_ble_legacy_all_types(void)
{
	uint8_t svc[26], pkt[128];
	dv_odid_frame f;
	/* Basic ID, F3411-22a, CAA registration, multirotor */
	svc[0] = 7;
	msg_basic(svc + 1, 2, 2, 2, "FIN87astrdge12k");
	size_t n = ble_packet(pkt, 2, false, svc, 26);
	memset(&f, 0, sizeof(f));
	f.frame_no = 1;
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(f.transport, DV_RADIO_BT_LEGACY);
	CHECK_EQ(f.counter, 7);
	CHECK_EQ(f.nmsg, 1);
	CHECK_EQ(f.nproblems, 0);
	CHECK_EQ(f.msgs[0].type, DV_ODID_BASIC_ID);
	CHECK_EQ(f.msgs[0].version, 2);
	CHECK_EQ(f.msgs[0].u.basic.id_type, 2);
	CHECK_EQ(f.msgs[0].u.basic.ua_type, 2);
	CHECK(f.has_mac && f.mac[0] == 0x15 && f.mac[5] == 0x10);
	char line[1024];
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t0\t2\t2\tFIN87astrdge12k\t\t\t\t\t\t\t\t\t\t\t");

	/* Location, F3411-19 */
	msg_loc(svc + 1, 0, 455457468, -1229681496);
	n = ble_packet(pkt, 6, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	const dv_odid_location *l = &f.msgs[0].u.loc;
	CHECK_EQ(l->status, 2);
	CHECK_EQ(l->height_type, 1);
	CHECK_NEAR(dv_odid_direction_deg(l->direction, l->ew_segment), 190, 1e-9);
	CHECK_NEAR(dv_odid_speed_mps(l->speed, l->speed_mult), 78.75, 1e-9);
	CHECK_NEAR(dv_odid_vspeed_mps(l->vspeed), -2.0, 1e-9);
	CHECK_NEAR(dv_odid_latlon_deg(l->lat), 45.5457468, 1e-9);
	CHECK_NEAR(dv_odid_alt_m(l->press_alt), 100, 1e-9);
	CHECK_NEAR(dv_odid_alt_m(l->geo_alt), 237, 1e-9);
	CHECK_NEAR(dv_odid_alt_m(l->height), 50, 1e-9);
	CHECK_EQ(l->h_accuracy, 11);
	CHECK_EQ(l->v_accuracy, 4);
	CHECK_EQ(l->baro_accuracy, 3);
	CHECK_EQ(l->speed_accuracy, 4);
	CHECK_EQ(l->timestamp, 36000);
	CHECK_EQ(l->ts_accuracy, 3);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t1\t\t\t\t2\t455457468\t-1229681496\t2474\t2100\t20\t10\t\t\t\t");

	/* Authentication page 0 and page 1 */
	msg_auth(svc + 1, 2, 0);
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(f.msgs[0].type, DV_ODID_AUTH);
	CHECK_EQ(f.msgs[0].u.auth.auth_type, 1);
	CHECK_EQ(f.msgs[0].u.auth.last_page, 1);
	CHECK_EQ(f.msgs[0].u.auth.length, 40);
	CHECK_EQ(f.msgs[0].u.auth.timestamp, 123456789);
	CHECK_EQ(f.msgs[0].u.auth.data_len, 17);
	CHECK_EQ(f.msgs[0].u.auth.data[16], 0xAA);
	msg_auth(svc + 1, 2, 1);
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(f.msgs[0].u.auth.page, 1);
	CHECK_EQ(f.msgs[0].u.auth.data_len, 23);
	CHECK_EQ(f.msgs[0].u.auth.data[22], 0xBB);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t2\t\t\t\t\t\t\t\t\t\t\t\t\t\t");

	/* Self ID (emergency, -22a) */
	msg_self(svc + 1, 2, 1, "lost link, returning");
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(f.msgs[0].u.self.desc_type, 1);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t3\t\t\t\t\t\t\t\t\t\t\t\t\t\tlost link, returning");

	/* System with -22a fields */
	msg_sys(svc + 1, 2, 455443876, -1229726866);
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	const dv_odid_system *s = &f.msgs[0].u.sys;
	CHECK_EQ(s->class_type, 1);
	CHECK_EQ(s->op_loc_type, 1);
	CHECK_EQ(s->area_count, 3);
	CHECK_EQ(s->area_radius, 5);
	CHECK_NEAR(dv_odid_alt_m(s->area_ceiling), 200, 1e-9);
	CHECK_NEAR(dv_odid_alt_m(s->area_floor), 0, 1e-9);
	CHECK_EQ(s->ua_category, 1);
	CHECK_EQ(s->ua_class, 2);
	CHECK_NEAR(dv_odid_alt_m(s->op_geo_alt), 5, 1e-9);
	CHECK_EQ(s->timestamp, 250000000);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t4\t\t\t\t\t\t\t\t\t\t\t455443876\t-1229726866\t\t");

	/* Operator ID */
	msg_op(svc + 1, 1, "FIN87astrdge12k");
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t5\t\t\t\t\t\t\t\t\t\t\t\t\tFIN87astrdge12k\t");

	/* Basic ID with a binary session ID: not a text field for the reference */
	msg_basic(svc + 1, 2, 4, 2, "\x01\x80\x81");
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t0\t4\t2\t\t\t\t\t\t\t\t\t\t\t\t");
	/* non-ASCII text bytes show as U+FFFD like Wireshark's ENC_ASCII */
	msg_basic(svc + 1, 2, 1, 2, "AB\xff" "C");
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t0\t1\t2\tAB\xef\xbf\xbd" "C\t\t\t\t\t\t\t\t\t\t\t");
	/* control bytes: raw like tshark, or escaped for a terminal */
	msg_basic(svc + 1, 2, 1, 2, "A\x1b[2J\\");
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "1\t0\t1\t2\tA\x1b[2J\\\t\t\t\t\t\t\t\t\t\t\t");
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), DV_ODID_TSV_ESCAPE), 0);
	CHECK_STR(line, "1\t0\t1\t2\tA\\x1b[2J\\x5c\t\t\t\t\t\t\t\t\t\t\t");
}

static size_t make_pack(uint8_t *out, uint8_t counter, int qty)
{
	out[0] = counter;
	out[1] = 0xF2;
	out[2] = 25;
	out[3] = (uint8_t)qty;
	uint8_t *m = out + 4;
	for (int i = 0; i < qty; i++, m += 25) {
		switch (i % 7) {
		case 0: msg_basic(m, 2, 1, 2, "1581F5FKD229400DR3X"); break;
		case 1: msg_loc(m, 2, 523456789, 49876543); break;
		case 2: msg_auth(m, 2, 0); break;
		case 3: msg_self(m, 2, 0, "survey"); break;
		case 4: msg_sys(m, 2, 523450000, 49870000); break;
		case 5: msg_op(m, 2, "NLD-OP-0001"); break;
		default: msg_auth(m, 2, 1); break;
		}
	}
	return 4 + (size_t)qty * 25;
}

static void test_ble5_phdr_pack(void)
{
	uint8_t svc[260], pkt[400], fr[420];
	size_t sl = make_pack(svc, 9, 7);
	size_t n = ble_packet(pkt, 7, true, svc, sl);
	/* LE LL with PHDR: channel, signal, noise, offenses, ref AA, flags (coded, CRC checked+valid, signal valid) */
	memset(fr, 0, 10);
	fr[1] = (uint8_t)(int8_t)-61;
	put16(fr + 8, 0x8000 | 0x0400 | 0x0800 | 0x0002);
	memcpy(fr + 10, pkt, n);
	dv_odid_frame f;
	memset(&f, 0, sizeof(f));
	f.frame_no = 5;
	CHECK_EQ(dv_radio_decode_frame(256, fr, n + 10, &f), 1);
	CHECK_EQ(f.transport, DV_RADIO_BT_EXTENDED);
	CHECK(f.coded_phy);
	CHECK(!f.crc_bad);
	CHECK_EQ(f.rssi, -61);
	CHECK_EQ(f.nmsg, 8);
	CHECK_EQ(f.nproblems, 0);
	char line[2048];
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "5\t15,0,1,2,3,4,5,2\t1\t2\t1581F5FKD229400DR3X\t2\t523456789\t49876543\t2474\t2100\t20\t10"
	                "\t523450000\t49870000\tNLD-OP-0001\tsurvey");
	/* CRC checked but wrong */
	put16(fr + 8, 0x8000 | 0x0400);
	CHECK_EQ(dv_radio_decode_frame(256, fr, n + 10, &f), 1);
	CHECK(f.crc_bad);

	/* The same packet on LE 1M via plain LL: no coding indicator */
	n = ble_packet(pkt, 7, false, svc, sl);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK_EQ(f.nmsg, 8);
	CHECK(!f.coded_phy);
}

static void test_hci(void)
{
	uint8_t svc[30], fr[128];
	svc[0] = 3;
	msg_basic(svc + 1, 2, 1, 2, "SERIAL1");
	/* H4: 04 3e len 02 01 evt addrtype addr(6) dlen data rssi */
	size_t o = 0;
	fr[o++] = 0x04; fr[o++] = 0x3e; fr[o++] = 0; fr[o++] = 0x02; fr[o++] = 1;
	fr[o++] = 0x03; fr[o++] = 0x01;
	for (int i = 0; i < 6; i++) fr[o++] = (uint8_t)(0xa0 + i);
	fr[o++] = 30;
	fr[o++] = 30 - 1; fr[o++] = 0x16; fr[o++] = 0xfa; fr[o++] = 0xff; fr[o++] = 0x0d;
	memcpy(fr + o, svc, 26 - 1 + 1);
	o += 26 - 1;
	/* AD length 29 = type + uuid + app + counter + 24 bytes: one short */
	dv_odid_frame f;
	memset(&f, 0, sizeof(f));
	CHECK_EQ(dv_radio_decode_frame(187, fr, o, &f), 1);
	CHECK_EQ(f.nmsg, 0);
	CHECK(f.nproblems >= 1);
	CHECK(f.has_mac && f.mac[0] == 0xa5);
	/* complete it */
	fr[o++] = svc[25];
	fr[13] = 31; /* data length */
	fr[14] = 30; /* AD length */
	CHECK_EQ(dv_radio_decode_frame(187, fr, o, &f), 1);
	CHECK_EQ(f.nmsg, 1);
	CHECK_EQ(f.nproblems, 0);
	CHECK_EQ(f.transport, DV_RADIO_BT_LEGACY);

	/* two legacy reports in one event, Remote ID in the second */
	{
		uint8_t two[160];
		size_t t = 0;
		two[t++] = 0x04; two[t++] = 0x3e; two[t++] = 0; two[t++] = 0x02; two[t++] = 2;
		two[t++] = 0x00; two[t++] = 0x00;
		for (int i = 0; i < 6; i++) two[t++] = (uint8_t)(0xc0 + i);
		two[t++] = 3; two[t++] = 2; two[t++] = 0x01; two[t++] = 0x06; /* flags AD */
		two[t++] = 0xb0;                                                /* rssi */
		memcpy(two + t, fr + 5, o - 5);                                 /* the report above */
		t += o - 5;
		two[t++] = 0xc4;                                                /* its rssi */
		memset(&f, 0, sizeof(f));
		CHECK_EQ(dv_radio_decode_frame(187, two, t, &f), 1);
		CHECK_EQ(f.nmsg, 1);
		CHECK(f.mac[0] == 0xa5);
		CHECK_EQ(f.rssi, -60);
	}

	/* extended report, coded PHY, via H4 with direction header */
	uint8_t ex[200];
	size_t e = 0;
	put32(ex, 1); e = 4;
	ex[e++] = 0x04; ex[e++] = 0x3e; ex[e++] = 0; ex[e++] = 0x0d; ex[e++] = 1;
	ex[e++] = 0x00; ex[e++] = 0x00;         /* event type */
	ex[e++] = 0x00;                         /* address type */
	for (int i = 0; i < 6; i++) ex[e++] = (uint8_t)(0xb0 + i);
	ex[e++] = 3; ex[e++] = 3;               /* coded, coded */
	ex[e++] = 0; ex[e++] = 0x7f; ex[e++] = (uint8_t)(int8_t)-70;
	ex[e++] = 0; ex[e++] = 0; ex[e++] = 0;
	for (int i = 0; i < 6; i++) ex[e++] = 0;
	ex[e++] = 31;
	ex[e++] = 30; ex[e++] = 0x16; ex[e++] = 0xfa; ex[e++] = 0xff; ex[e++] = 0x0d;
	memcpy(ex + e, svc, 26);
	e += 26;
	ex[e++] = 0; /* trailing byte */
	CHECK_EQ(dv_radio_decode_frame(201, ex, e, &f), 1);
	CHECK_EQ(f.transport, DV_RADIO_BT_EXTENDED);
	CHECK(f.coded_phy);
	CHECK_EQ(f.rssi, -70);
	CHECK_EQ(f.nmsg, 1);
	CHECK(f.mac[0] == 0xb5);
	/* the monitor link type: same event without H4 byte */
	uint8_t mon[200];
	mon[0] = 0; mon[1] = 0; mon[2] = 0; mon[3] = 3;
	memcpy(mon + 4, ex + 5, e - 5);
	CHECK_EQ(dv_radio_decode_frame(254, mon, e - 1, &f), 1);
	CHECK_EQ(f.nmsg, 1);
}

/* 802.11 beacon (no radiotap) with a pack in the ASTM vendor element. */
static size_t beacon(uint8_t *out, const uint8_t *pl, size_t plen, int ie_len_delta)
{
	size_t o = 0;
	out[o++] = 0x80; out[o++] = 0;
	out[o++] = 0; out[o++] = 0;
	memset(out + o, 0xff, 6); o += 6;
	for (int i = 0; i < 6; i++) out[o++] = (uint8_t)(0x60 + i);
	for (int i = 0; i < 6; i++) out[o++] = (uint8_t)(0x60 + i);
	out[o++] = 0; out[o++] = 0;
	memset(out + o, 0, 12); o += 12;
	out[o++] = 0; out[o++] = 4; memcpy(out + o, "RID1", 4); o += 4; /* SSID */
	out[o++] = 221;
	out[o++] = (uint8_t)((int)plen + 4 + ie_len_delta);
	out[o++] = 0xfa; out[o++] = 0x0b; out[o++] = 0xbc; out[o++] = 0x0d;
	memcpy(out + o, pl, plen);
	return o + plen;
}

static void test_wifi_synthetic(void)
{
	uint8_t pl[300], fr[400];
	size_t pn = make_pack(pl, 1, 7);
	size_t n = beacon(fr, pl, pn, 0);
	dv_odid_frame f;
	memset(&f, 0, sizeof(f));
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK_EQ(f.transport, DV_RADIO_WIFI_BEACON);
	CHECK_EQ(f.nmsg, 8);
	CHECK_EQ(f.nproblems, 0);
	CHECK(f.mac[0] == 0x60);

	/* PPI wrapping the same frame */
	uint8_t pp[420];
	pp[0] = 0; pp[1] = 0; put16(pp + 2, 8); put32(pp + 4, 105);
	memcpy(pp + 8, fr, n);
	CHECK_EQ(dv_radio_decode_frame(192, pp, n + 8, &f), 1);
	CHECK_EQ(f.nmsg, 8);

	/* radiotap with TSFT + flags(FCS at end) */
	uint8_t rt[440];
	memset(rt, 0, 24);
	put16(rt + 2, 24);
	put32(rt + 4, 0x03);  /* TSFT, flags */
	rt[16] = 0x10;        /* FCS present */
	memcpy(rt + 24, fr, n);
	memset(rt + 24 + n, 0xEE, 4);
	CHECK_EQ(dv_radio_decode_frame(127, rt, 24 + n + 4, &f), 1);
	CHECK_EQ(f.nmsg, 8);
	CHECK_EQ(f.nproblems, 0);
	CHECK(!f.crc_bad);
	rt[16] = 0x50;        /* FCS present and bad */
	CHECK_EQ(dv_radio_decode_frame(127, rt, 24 + n + 4, &f), 1);
	CHECK(f.crc_bad);

	/* NAN with binding bitmap and a matching filter before the service info */
	uint8_t nan[200];
	size_t o = 0;
	nan[o++] = 0xd0; nan[o++] = 0; nan[o++] = 0; nan[o++] = 0;
	memset(nan + o, 0xff, 6); o += 6;
	for (int i = 0; i < 6; i++) nan[o++] = (uint8_t)(0x70 + i);
	memset(nan + o, 0x51, 6); o += 6;
	nan[o++] = 0; nan[o++] = 0;
	static const uint8_t hdr[6] = { 4, 9, 0x50, 0x6f, 0x9a, 0x13 };
	memcpy(nan + o, hdr, 6); o += 6;
	size_t plen = make_pack(pl, 4, 1); /* one Basic ID */
	nan[o++] = 0x03;
	put16(nan + o, (uint16_t)(6 + 3 + 2 + 3 + 1 + plen)); o += 2;
	static const uint8_t sid[6] = { 0x88, 0x69, 0x19, 0x9d, 0x92, 0x09 };
	memcpy(nan + o, sid, 6); o += 6;
	nan[o++] = 1; nan[o++] = 0; nan[o++] = 0x10 | 0x40 | 0x04;
	nan[o++] = 0; nan[o++] = 0;           /* binding bitmap */
	nan[o++] = 2; nan[o++] = 0xaa; nan[o++] = 0xbb; /* matching filter */
	nan[o++] = (uint8_t)plen;
	memcpy(nan + o, pl, plen); o += plen;
	CHECK_EQ(dv_radio_decode_frame(105, nan, o, &f), 1);
	CHECK_EQ(f.transport, DV_RADIO_WIFI_NAN);
	CHECK_EQ(f.nmsg, 2);
	CHECK_EQ(f.nproblems, 0);
	CHECK_EQ(f.msgs[1].type, DV_ODID_BASIC_ID);
	/* NAN service info longer than the attribute */
	nan[o - plen - 1] = (uint8_t)(plen + 20);
	CHECK_EQ(dv_radio_decode_frame(105, nan, o, &f), 1);
	CHECK(f.nproblems >= 1);
	CHECK_EQ(f.nmsg, 2); /* what is there is still decoded */
	/* other service ID: not Remote ID */
	nan[o - plen - 1 - 3 - 2 - 3 - 3 - 6] ^= 1;
	CHECK_EQ(dv_radio_decode_frame(105, nan, o, &f), 0);

	/* protected frames and data frames are not looked into */
	fr[1] = 0x40;
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 0);
	fr[1] = 0;
	fr[0] = 0x88;
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 0);
}

static bool has_problem(const dv_odid_frame *f, const char *needle)
{
	for (size_t i = 0; i < f->nproblems; i++)
		if (strstr(f->problems[i], needle)) return true;
	return false;
}

static void test_malformed(void)
{
	uint8_t pl[400], fr[500];
	dv_odid_frame f;
	memset(&f, 0, sizeof(f));
	char line[2048];

	/* element length past the frame: the messages that are there decode */
	size_t pn = make_pack(pl, 1, 3);
	size_t n = beacon(fr, pl, pn, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n - 30, &f), 1);
	CHECK(has_problem(&f, "past the end"));
	CHECK(has_problem(&f, "message pack truncated"));
	CHECK_EQ(f.nmsg, 2); /* pack + first message */

	/* pack with quantity 9 but 3 messages */
	pn = make_pack(pl, 1, 3);
	pl[3] = 9;
	n = beacon(fr, pl, pn, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK_EQ(f.nmsg, 4);
	CHECK(has_problem(&f, "message 4 of 9"));

	/* wrong message size */
	pn = make_pack(pl, 1, 2);
	pl[2] = 24;
	n = beacon(fr, pl, pn, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK_EQ(f.nmsg, 1);
	CHECK(has_problem(&f, "message size 24"));
	pl[2] = 26; /* larger: decoded with the declared stride, reported */
	pn = make_pack(pl, 1, 2);
	pl[2] = 26;
	n = beacon(fr, pl, pn + 2, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK(has_problem(&f, "message size 26"));

	/* empty pack */
	pn = make_pack(pl, 1, 0);
	n = beacon(fr, pl, pn, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK(f.empty);
	CHECK(has_problem(&f, "empty message pack"));
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK_STR(line, "0\t15\t\t\t\t\t\t\t\t\t\t\t\t\t\t");

	/* unknown type, unknown version, nested pack, in a pack */
	pn = make_pack(pl, 1, 4);
	pl[4] = 0x72;        /* type 7 */
	pl[4 + 25] = 0x1a;   /* Location version 10 */
	pl[4 + 50] = 0xF2;   /* pack in a pack */
	n = beacon(fr, pl, pn, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK(has_problem(&f, "unknown message type 7"));
	CHECK(has_problem(&f, "unknown protocol version 10"));
	CHECK(has_problem(&f, "itself a pack"));
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 0);
	CHECK(!strncmp(line, "0\t15,1,15,3\t", 12));

	/* huge quantity: capped, reported */
	memset(pl, 0, sizeof(pl));
	pl[0] = 1; pl[1] = 0xF2; pl[2] = 25; pl[3] = 200;
	for (int i = 0; i < 15; i++) msg_self(pl + 4 + 25 * i, 2, 0, "x");
	memset(&f, 0, sizeof(f));
	CHECK_EQ(dv_odid_decode_payload(pl, 4 + 25 * 15, true, &f), 16); /* pack + 15 */
	CHECK(has_problem(&f, "at most 9"));

	/* too short for anything */
	memset(&f, 0, sizeof(f));
	CHECK_EQ(dv_odid_decode_payload(pl, 1, true, &f), 0);
	CHECK(f.empty);
	memset(&f, 0, sizeof(f));
	pl[1] = 0x00;
	CHECK_EQ(dv_odid_decode_payload(pl, 10, true, &f), 0);
	CHECK(has_problem(&f, "truncated message"));
	memset(&f, 0, sizeof(f));
	pl[1] = 0xF0;
	CHECK_EQ(dv_odid_decode_payload(pl, 3, true, &f), 0);
	CHECK(has_problem(&f, "truncated message pack header"));
	memset(&f, 0, sizeof(f));
	CHECK_EQ(dv_odid_decode_payload(pl, 0, false, &f), 0);

	/* single unknown message: frame carries Remote ID, no line for tshark */
	uint8_t svc[26], pkt[80];
	svc[0] = 0;
	memset(svc + 1, 0, 25);
	svc[1] = 0x90;
	n = ble_packet(pkt, 2, false, svc, 26);
	CHECK_EQ(dv_radio_decode_frame(251, pkt, n, &f), 1);
	CHECK(has_problem(&f, "unknown message type 9"));
	CHECK_EQ(dv_odid_frame_tsv(&f, line, sizeof(line), 0), 1);

	/* BLE packet length past the capture; truncated AD; tiny buffers */
	n = ble_packet(pkt, 2, false, svc, 26);
	for (size_t cut = 0; cut < n; cut++) {
		(void)dv_radio_decode_frame(251, pkt, cut, &f);
		(void)dv_radio_decode_frame(272, pkt, cut, &f);
		(void)dv_radio_decode_frame(256, pkt, cut, &f);
		(void)dv_radio_decode_frame(127, pkt, cut, &f);
		(void)dv_radio_decode_frame(187, pkt, cut, &f);
	}
	CHECK_EQ(dv_radio_decode_frame(251, NULL, 0, &f), 0);
	CHECK_EQ(dv_radio_decode_frame(1, pkt, n, &f), 0); /* Ethernet: not ours */
	CHECK(!dv_radio_linktype_supported(1));

	/* TSV buffer too small */
	pn = make_pack(pl, 1, 7);
	n = beacon(fr, pl, pn, 0);
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK_EQ(dv_odid_frame_tsv(&f, line, 20, 0), DV_ENOMEM);
}

static void test_conversions_and_distance(void)
{
	CHECK(isnan(dv_odid_alt_m(0)));
	CHECK_NEAR(dv_odid_alt_m(2000), 0, 1e-12);
	CHECK(isnan(dv_odid_speed_mps(255, 0)));
	CHECK_NEAR(dv_odid_speed_mps(254, 1), 254 * 0.75 + 63.75, 1e-12);
	CHECK(isnan(dv_odid_direction_deg(181, 1)));
	CHECK_NEAR(dv_odid_direction_deg(179, 1), 359, 1e-12);
	CHECK(isnan(dv_odid_vspeed_mps(126)));
	CHECK_STR(dv_odid_version_name(2), "F3411-22a");
	CHECK_STR(dv_odid_type_name(15), "Message Pack");
	/* Vincenty's own test: Flinders Peak - Buninyong, 54 972.271 m */
	double d = dv_radio_distance_m(-(37 + 57 / 60.0 + 3.72030 / 3600), 144 + 25 / 60.0 + 29.52440 / 3600,
	                               -(37 + 39 / 60.0 + 10.15610 / 3600), 143 + 55 / 60.0 + 35.38390 / 3600);
	CHECK_NEAR(d, 54972.271, 0.01);
	/* one degree of latitude at the equator on WGS84 */
	CHECK_NEAR(dv_radio_distance_m(0, 0, 1, 0), 110574.389, 0.01);
	CHECK_NEAR(dv_radio_distance_m(10, 20, 10, 20), 0, 0);
	/* near-antipodal falls back to the sphere but stays sane */
	d = dv_radio_distance_m(0, 0, 0.5, 179.7);
	CHECK(d > 19900000 && d < 20050000);
	CHECK(isnan(dv_radio_distance_m(NAN, 0, 0, 0)));
	double lat[2] = { 45.5457468, 45.5443876 }, lon[2] = { -122.9681496, -122.9726866 };
	double mn, mx;
	CHECK_EQ(dv_radio_exposure(45.5443876, -122.9726866, lat, lon, 2, &mn, &mx), 0);
	CHECK_NEAR(mn, 0, 1e-9);
	CHECK(mx > 370 && mx < 400);
	CHECK_EQ(dv_radio_exposure(0, 0, lat, lon, 0, &mn, &mx), DV_EINVAL);
}

static void test_report_synthetic(void)
{
	dv_radio_report *r;
	CHECK_EQ(dv_radio_report_new(&r), 0);
	int c = dv_radio_report_begin_capture(r, "synthetic");
	CHECK_EQ(c, 0);
	uint8_t pl[300], fr[400];
	size_t pn = make_pack(pl, 1, 7);
	size_t n = beacon(fr, pl, pn, 0);
	dv_odid_frame f;
	memset(&f, 0, sizeof(f));
	for (int i = 1; i <= 3; i++) {
		f.frame_no = (uint64_t)i;
		f.ts_ns = (int64_t)i * 1000000000;
		/* move the aircraft north */
		pl[4 + 25 + 5] = (uint8_t)(pl[4 + 25 + 5] + 100);
		n = beacon(fr, pl, pn, 0);
		CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
		CHECK_EQ(dv_radio_report_add_frame(r, 0, &f), 0);
	}
	dv_radio_report_finish(r);
	CHECK_EQ(r->naircraft, 1);
	const dv_radio_aircraft *a = &r->aircraft[0];
	CHECK_EQ(a->ntrack, 3);
	CHECK_EQ(a->noperators, 1);
	CHECK_EQ(a->auth_pages, 6);
	CHECK_EQ(a->versions, 1u << 2);
	CHECK(a->has_class && a->ua_class == 2);
	CHECK(a->has_area);
	CHECK_EQ(a->area_count, 3);
	CHECK_NEAR(a->area_radius_m, 50, 1e-9);
	CHECK_NEAR(a->area_ceiling_m, 200, 1e-9);
	CHECK_NEAR(a->area_floor_m, 0, 1e-9);
	CHECK_EQ(a->track[0].height_type, 1);
	CHECK(a->operators[0].has_distance);
	CHECK(a->operators[0].dist_min_m > 70 && a->operators[0].dist_max_m < 90);
	/* the same UAS ID from a second transmitter (e.g. its Bluetooth side) */
	fr[10] = 0x99;
	f.frame_no = 9;
	CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
	CHECK_EQ(dv_radio_report_add_frame(r, 0, &f), 0);
	dv_radio_report_finish(r);
	CHECK_EQ(r->naircraft, 2);
	char *js = NULL;
	CHECK_EQ(dv_radio_report_json(r, &js), 0);
	/* listed as the transmitter of one and as "same UAS ID" of the other */
	const char *p1 = js ? strstr(js, "\"99:61:62:63:64:65\"") : NULL;
	CHECK(p1 && strstr(p1 + 1, "\"99:61:62:63:64:65\""));
	CHECK(js && strstr(js, "\"same_uas_id_as\""));
	free(js);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		dv_radio_report_print(r, null);
		fclose(null);
	}
	dv_radio_report_free(r);

	/* a capture that is not one */
	CHECK_EQ(dv_radio_report_new(&r), 0);
	CHECK(dv_radio_report_add_capture(r, "/nonexistent/x.pcap") < 0);
	CHECK_EQ(r->ncaptures, 1);
	CHECK(r->captures[0].error < 0);
	static const uint8_t junk[64] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	CHECK(dv_radio_scan_mem(junk, sizeof(junk), "junk", NULL, NULL, NULL) < 0 ||
	      dv_radio_scan_mem(junk, sizeof(junk), "junk", NULL, NULL, NULL) == 0);
	CHECK_EQ(dv_radio_scan_mem(junk, 3, "junk", NULL, NULL, NULL), DV_EINVAL);
	dv_radio_report_free(r);
}

/* The report's exposure (candidate filter + Vincenty) equals brute force. */
static void test_exposure_random(void)
{
	uint8_t pl[300], fr[400];
	srand(7);
	for (int rep = 0; rep < 40; rep++) {
		dv_radio_report *r;
		CHECK_EQ(dv_radio_report_new(&r), 0);
		CHECK_EQ(dv_radio_report_begin_capture(r, "random"), 0);
		double olat = -78 + 156.0 * rand() / RAND_MAX, olon = -180 + 360.0 * rand() / RAND_MAX;
		double spread = rep % 4 == 0 ? 0.5 : 0.1; /* some tracks beyond 20 km */
		size_t pn = make_pack(pl, 1, 7);
		double lat[200], lon[200];
		dv_odid_frame f;
		memset(&f, 0, sizeof(f));
		for (int i = 0; i < 200; i++) {
			lat[i] = olat + spread * (2.0 * rand() / RAND_MAX - 1);
			lon[i] = olon + spread * (2.0 * rand() / RAND_MAX - 1);
			if (lon[i] > 180) lon[i] -= 360;
			if (lon[i] < -180) lon[i] += 360;
			int32_t la = (int32_t)lrint(lat[i] * 1e7), lo = (int32_t)lrint(lon[i] * 1e7);
			lat[i] = la / 1e7;
			lon[i] = lo / 1e7;
			put32(pl + 4 + 25 + 5, (uint32_t)la);
			put32(pl + 4 + 25 + 9, (uint32_t)lo);
			put32(pl + 4 + 100 + 2, (uint32_t)(int32_t)lrint(olat * 1e7));
			put32(pl + 4 + 100 + 6, (uint32_t)(int32_t)lrint(olon * 1e7));
			put16(pl + 4 + 25 + 21, (uint16_t)i);
			size_t n = beacon(fr, pl, pn, 0);
			f.frame_no = (uint64_t)i + 1;
			CHECK_EQ(dv_radio_decode_frame(105, fr, n, &f), 1);
			CHECK_EQ(dv_radio_report_add_frame(r, 0, &f), 0);
		}
		dv_radio_report_finish(r);
		CHECK_EQ(r->naircraft, 1);
		if (r->naircraft == 1 && r->aircraft[0].noperators == 1) {
			const dv_radio_operator_pos *o = &r->aircraft[0].operators[0];
			double mn, mx;
			CHECK_EQ(dv_radio_exposure(o->lat, o->lon, lat, lon, 200, &mn, &mx), 0);
			CHECK_EQ(r->aircraft[0].ntrack, 200);
			CHECK_NEAR(o->dist_min_m, mn, 1e-6);
			CHECK_NEAR(o->dist_max_m, mx, 1e-6);
		}
		dv_radio_report_free(r);
	}
}

/* Many transmitter addresses (spoofed or a busy scene): each is one
 * aircraft, found again in constant time. */
static void test_many_transmitters(void)
{
	dv_radio_report *r;
	CHECK_EQ(dv_radio_report_new(&r), 0);
	CHECK_EQ(dv_radio_report_begin_capture(r, "many"), 0);
	uint8_t pl[300], fr[400];
	size_t pn = make_pack(pl, 1, 5); /* Basic ID, Location, Auth, Self ID, System */
	size_t n = beacon(fr, pl, pn, 0);
	dv_odid_frame f;
	memset(&f, 0, sizeof(f));
	int ok = 1;
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < 20000; i++) {
			fr[10] = (uint8_t)(i >> 16);
			fr[11] = (uint8_t)(i >> 8);
			fr[12] = (uint8_t)i;
			f.frame_no = i + 1;
			ok &= dv_radio_decode_frame(105, fr, n, &f) == 1;
			ok &= dv_radio_report_add_frame(r, 0, &f) == 0;
		}
	CHECK(ok);
	CHECK_EQ(r->naircraft, 20000);
	/* one aircraft whose pilot moves: distinct operator positions, capped */
	fr[10] = fr[11] = fr[12] = 0xEE;
	for (uint32_t i = 0; i < DV_RADIO_MAX_OPERATORS + 10; i++) {
		put32(pl + 4 + 100 + 2, (uint32_t)(523450000 + (int32_t)i));
		n = beacon(fr, pl, pn, 0);
		fr[10] = fr[11] = fr[12] = 0xEE;
		ok &= dv_radio_decode_frame(105, fr, n, &f) == 1;
		ok &= dv_radio_report_add_frame(r, 0, &f) == 0;
	}
	CHECK(ok);
	dv_radio_report_finish(r);
	const dv_radio_aircraft *mv = &r->aircraft[r->naircraft - 1];
	CHECK_EQ(mv->noperators, DV_RADIO_MAX_OPERATORS);
	CHECK_EQ(mv->operators_dropped, 10);
	/* and one that broadcasts more positions than the track keeps */
	for (uint32_t i = 0; i < DV_RADIO_MAX_TRACK + 10; i++) {
		put32(pl + 4 + 25 + 5, (uint32_t)(523450000 + (int32_t)i));
		n = beacon(fr, pl, pn, 0);
		fr[10] = fr[11] = fr[12] = 0xDD;
		ok &= dv_radio_decode_frame(105, fr, n, &f) == 1;
		ok &= dv_radio_report_add_frame(r, 0, &f) == 0;
	}
	CHECK(ok);
	mv = &r->aircraft[r->naircraft - 1];
	CHECK_EQ(mv->ntrack, DV_RADIO_MAX_TRACK);
	CHECK_EQ(mv->track_dropped, 10);
	dv_radio_report_finish(r);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		dv_radio_report_print(r, null);
		fclose(null);
	}
	size_t twice = 0;
	for (size_t i = 0; i < r->naircraft; i++) twice += r->aircraft[i].frames == 2;
	CHECK_EQ(twice, 20000);
	dv_radio_report_free(r);
}

int main(void)
{
	test_many_transmitters();
	test_exposure_random();
	test_ble_legacy_all_types();
	test_ble5_phdr_pack();
	test_hci();
	test_wifi_synthetic();
	test_malformed();
	test_conversions_and_distance();
	test_report_synthetic();
	const char *shared = check_shared_dir();
	if (!shared) {
		if (check_failed) return check_done();
		return check_skip("DV_SHARED (../shared) absent: golden Remote ID captures not checked");
	}
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/audit/pcaps/expected/opendroneid_odid_wifi_sample.pcap.odid.tsv", shared);
	FILE *pf = fopen(probe, "r");
	if (!pf) {
		if (check_failed) return check_done();
		return check_skip("no audit/pcaps/expected in DV_SHARED: golden Remote ID captures not checked");
	}
	fclose(pf);
	test_golden(shared);
	test_report_samples(shared);
	return check_done();
}
