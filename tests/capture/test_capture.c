/*
 * test_capture - the frame sources (file, memory image, records, a test
 * double through dv_capture_open_ops) and the shared link walk, every link
 * type with its valid frame, every cut of it, and giant lengths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/link_int.h"
#include "check.h"
#include "dv/capture.h"
#include "dv/err.h"

#include "frame_buf.h"

static void zeros(buf *b, size_t n) { memset(b->b + b->n, 0, n); b->n += n; }

/* an IPv4/UDP packet with a 4-byte payload: 32 bytes */
static void ip4_udp(buf *b)
{
	static const uint8_t src[4] = { 192, 168, 2, 20 }, dst[4] = { 47, 88, 0, 1 };
	put8(b, 0x45); put8(b, 0); put16(b, 32); put16(b, 1); put16(b, 0);
	put8(b, 64); put8(b, 17); put16(b, 0); put(b, src, 4); put(b, dst, 4);
	put16(b, 1000); put16(b, 53); put16(b, 12); put16(b, 0);
	put(b, "ping", 4);
}

static void snap(buf *b, unsigned et)
{
	static const uint8_t llc[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };
	put(b, llc, 6);
	put16(b, et);
}

/* 802.11 QoS data (FromDS) + LLC/SNAP + IPv4 */
static void wlan_data(buf *b)
{
	put8(b, 0x88); put8(b, 0x02); put16(b, 0);
	zeros(b, 18); put16(b, 0); put16(b, 0);   /* addr1-3, seq, QoS */
	snap(b, 0x0800);
	ip4_udp(b);
}

/* 802.11 beacon: header, fixed fields, one SSID element */
static void wlan_beacon(buf *b)
{
	static const uint8_t ta[6] = { 0x84, 0xcc, 0xa8, 0x60, 0x43, 0x24 };
	put8(b, 0x80); put8(b, 0); put16(b, 0);
	zeros(b, 6); put(b, ta, 6); put(b, ta, 6); put16(b, 0);
	zeros(b, 12);
	put8(b, 0); put8(b, 3); put(b, "rid", 3);
}

typedef struct expect {
	const char *what;
	int dlt;
	buf frame;
	size_t header;       /* bytes of link headers: any cut below is DV_ETRUNC */
	dv_link_kind kind;
	size_t body_off, body_len;
	uint32_t flags;      /* DV_LINK_* expected (at least) */
} expect;

static void check_walk(const expect *e)
{
	dv_link l;
	int rc = dv_link_walk(e->dlt, e->frame.b, e->frame.n, "t", &l);
	if (rc != 0) fprintf(stderr, "%s: %s\n", e->what, dv_error_text());
	CHECK_EQ(rc, 0);
	CHECK_EQ(l.kind, e->kind);
	CHECK_EQ(l.body - e->frame.b, e->body_off);
	CHECK_EQ(l.body_len, e->body_len);
	CHECK_EQ(l.body_off, e->body_off); /* errors name offsets within the frame */
	dv_rd b = dv_link_body(&l, "t");
	CHECK_EQ(dv_rd_offset(&b), e->body_off);
	CHECK_EQ(dv_rd_left(&b), e->body_len);
	CHECK_EQ(l.flags & e->flags, e->flags);
	/* every cut: an error, or a body inside what is there; never a read past it */
	for (size_t n = 0; n < e->frame.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, e->frame.b, n);
		rc = dv_link_walk(e->dlt, copy, n, "t", &l);
		if (rc == 0 && l.kind != DV_LINK_OTHER) {
			CHECK(l.body >= copy);
			CHECK((size_t)(l.body - copy) + l.body_len <= n);
		} else if (rc != 0) {
			CHECK(rc == DV_ETRUNC || rc == DV_EINVAL);
		}
		if (n < e->header && rc != DV_ETRUNC) {
			fprintf(stderr, "%s: cut at %zu of %zu header bytes: rc %d\n", e->what, n, e->header, rc);
			CHECK_EQ(rc, DV_ETRUNC);
		}
		free(copy);
	}
}

static void test_link_types(void)
{
	static expect ex[20];
	size_t k = 0;
	expect *e;

	e = &ex[k++]; e->what = "ethernet"; e->dlt = 1;
	zeros(&e->frame, 12); put16(&e->frame, 0x0800); ip4_udp(&e->frame);
	e->header = 14; e->kind = DV_LINK_ETHERTYPE; e->body_off = 14; e->body_len = 32;

	e = &ex[k++]; e->what = "qinq+pppoe"; e->dlt = 1;
	zeros(&e->frame, 12); put16(&e->frame, 0x88a8); put16(&e->frame, 10); put16(&e->frame, 0x8100);
	put16(&e->frame, 785); put16(&e->frame, 0x8864);
	put8(&e->frame, 0x11); put8(&e->frame, 0); put16(&e->frame, 1); put16(&e->frame, 34); put16(&e->frame, 0x0021);
	ip4_udp(&e->frame);
	e->header = 30; e->kind = DV_LINK_ETHERTYPE; e->body_off = 30; e->body_len = 32;
	e->flags = DV_LINK_VLAN | DV_LINK_PPPOE;

	e = &ex[k++]; e->what = "sll"; e->dlt = 113;
	put16(&e->frame, 0); put16(&e->frame, 1); put16(&e->frame, 6); zeros(&e->frame, 8); put16(&e->frame, 0x0800);
	ip4_udp(&e->frame);
	e->header = 16; e->kind = DV_LINK_ETHERTYPE; e->body_off = 16; e->body_len = 32;

	e = &ex[k++]; e->what = "sll2"; e->dlt = 276;
	put16(&e->frame, 0x0800); put16(&e->frame, 0); put32(&e->frame, 1); put16(&e->frame, 1);
	put8(&e->frame, 4); put8(&e->frame, 6); zeros(&e->frame, 8);
	ip4_udp(&e->frame);
	e->header = 20; e->kind = DV_LINK_ETHERTYPE; e->body_off = 20; e->body_len = 32;

	e = &ex[k++]; e->what = "raw"; e->dlt = 12;
	ip4_udp(&e->frame);
	e->header = 0; e->kind = DV_LINK_IP; e->body_off = 0; e->body_len = 32;

	e = &ex[k++]; e->what = "raw (LINKTYPE_RAW)"; e->dlt = 101;
	ip4_udp(&e->frame);
	e->header = 0; e->kind = DV_LINK_IP; e->body_off = 0; e->body_len = 32;

	e = &ex[k++]; e->what = "null"; e->dlt = 0;
	put32le(&e->frame, 2); ip4_udp(&e->frame);
	e->header = 4; e->kind = DV_LINK_IP; e->body_off = 4; e->body_len = 32;

	e = &ex[k++]; e->what = "loop"; e->dlt = 108;
	put32(&e->frame, 2); ip4_udp(&e->frame);
	e->header = 4; e->kind = DV_LINK_IP; e->body_off = 4; e->body_len = 32;

	e = &ex[k++]; e->what = "802.11 data"; e->dlt = 105;
	wlan_data(&e->frame);
	e->header = 34; e->kind = DV_LINK_ETHERTYPE; e->body_off = 34; e->body_len = 32; e->flags = DV_LINK_WLAN;

	e = &ex[k++]; e->what = "802.11 beacon"; e->dlt = 105;
	wlan_beacon(&e->frame);
	e->header = 24; e->kind = DV_LINK_WLAN_MGMT; e->body_off = 24; e->body_len = 17; e->flags = DV_LINK_WLAN;

	/* radiotap: TSFT, flags (FCS at end, bad FCS), rate, channel, dBm signal */
	e = &ex[k++]; e->what = "radiotap"; e->dlt = 127;
	put8(&e->frame, 0); put8(&e->frame, 0); put16le(&e->frame, 24); put32le(&e->frame, 0x2f);
	zeros(&e->frame, 8); put8(&e->frame, 0x50); put8(&e->frame, 2); put16le(&e->frame, 2412); put16le(&e->frame, 0xa0);
	put8(&e->frame, (uint8_t)-47); put8(&e->frame, 0);
	wlan_beacon(&e->frame);
	put32(&e->frame, 0xdeadbeef); /* FCS */
	e->header = 24 + 24; e->kind = DV_LINK_WLAN_MGMT; e->body_off = 48; e->body_len = 17;
	e->flags = DV_LINK_WLAN | DV_LINK_RSSI | DV_LINK_CRC_BAD;

	e = &ex[k++]; e->what = "ppi"; e->dlt = 192;
	put8(&e->frame, 0); put8(&e->frame, 0); put16le(&e->frame, 8); put32le(&e->frame, 105);
	wlan_data(&e->frame);
	e->header = 8 + 34; e->kind = DV_LINK_ETHERTYPE; e->body_off = 42; e->body_len = 32; e->flags = DV_LINK_WLAN;

	e = &ex[k++]; e->what = "ble ll"; e->dlt = 251;
	put32le(&e->frame, 0x8E89BED6); put8(&e->frame, 2); put8(&e->frame, 6); zeros(&e->frame, 6);
	e->header = 0; e->kind = DV_LINK_BLE_LL; e->body_off = 0; e->body_len = 12;

	e = &ex[k++]; e->what = "ble ll phdr"; e->dlt = 256;
	put8(&e->frame, 37); put8(&e->frame, (uint8_t)-60); put8(&e->frame, 0); put8(&e->frame, 0);
	put32le(&e->frame, 0x8E89BED6); put16le(&e->frame, 0x0402 | (2u << 14));
	put32le(&e->frame, 0x8E89BED6); put8(&e->frame, 2); put8(&e->frame, 0);
	e->header = 10; e->kind = DV_LINK_BLE_LL; e->body_off = 10; e->body_len = 6;
	e->flags = DV_LINK_RSSI | DV_LINK_CRC_BAD | DV_LINK_CODED;

	e = &ex[k++]; e->what = "nordic ble"; e->dlt = 272;
	put8(&e->frame, 0); put16le(&e->frame, 20); put8(&e->frame, 3); put16le(&e->frame, 1); put8(&e->frame, 6);
	put8(&e->frame, 10); put8(&e->frame, 0x21); put8(&e->frame, 37); put8(&e->frame, 55);
	put16le(&e->frame, 0); put32le(&e->frame, 0);
	put32le(&e->frame, 0x8E89BED6); put8(&e->frame, 2); put8(&e->frame, 0);
	e->header = 17; e->kind = DV_LINK_BLE_LL; e->body_off = 17; e->body_len = 6;
	e->flags = DV_LINK_RSSI | DV_LINK_CODED;

	e = &ex[k++]; e->what = "hci h4"; e->dlt = 187;
	put8(&e->frame, 4); put8(&e->frame, 0x3e); put8(&e->frame, 2); put8(&e->frame, 2); put8(&e->frame, 0);
	e->header = 1; e->kind = DV_LINK_HCI_EVENT; e->body_off = 1; e->body_len = 4;

	e = &ex[k++]; e->what = "hci h4 phdr"; e->dlt = 201;
	put32(&e->frame, 1); put8(&e->frame, 4); put8(&e->frame, 0x3e); put8(&e->frame, 0);
	e->header = 5; e->kind = DV_LINK_HCI_EVENT; e->body_off = 5; e->body_len = 2;

	e = &ex[k++]; e->what = "bt monitor"; e->dlt = 254;
	put16(&e->frame, 0); put16(&e->frame, 3); put8(&e->frame, 0x3e); put8(&e->frame, 0);
	e->header = 4; e->kind = DV_LINK_HCI_EVENT; e->body_off = 4; e->body_len = 2;

	for (size_t i = 0; i < k; i++) {
		check_walk(&ex[i]);
		CHECK(dv_linktype_caps(ex[i].dlt) != 0);
		CHECK(strcmp(dv_linktype_name(ex[i].dlt), "other") != 0);
	}

	/* the radiotap frame's signal and the nRF Sniffer's */
	dv_link l;
	CHECK_EQ(dv_link_walk(127, ex[10].frame.b, ex[10].frame.n, "t", &l), 0);
	CHECK_EQ(l.rssi, -47);
	CHECK_EQ(l.wlan_hdr - ex[10].frame.b, 24 + 2);
	CHECK_EQ(dv_link_walk(272, ex[14].frame.b, ex[14].frame.n, "t", &l), 0);
	CHECK_EQ(l.rssi, -55);
	CHECK(!(l.flags & DV_LINK_CRC_BAD));
}

static void test_link_other(void)
{
	dv_link l;
	buf b = { .n = 0 };
	/* an unknown link type: unsupported, no error text needed */
	CHECK_EQ(dv_link_walk(147, (const uint8_t *)"x", 1, "t", &l), DV_EUNSUPPORTED);
	CHECK_EQ(dv_linktype_caps(147), 0);
	CHECK_STR(dv_linktype_name(147), "other");
	CHECK_EQ(dv_linktype_caps(1), DV_LINKTYPE_IP);
	CHECK_EQ(dv_linktype_caps(127), DV_LINKTYPE_IP | DV_LINKTYPE_RID);
	CHECK_EQ(dv_linktype_caps(272), DV_LINKTYPE_RID);
	/* ARP, 802.3 + LLC */
	zeros(&b, 12); put16(&b, 0x0806); zeros(&b, 28);
	CHECK_EQ(dv_link_walk(1, b.b, b.n, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_ETHERTYPE);
	CHECK_EQ(l.ethertype, 0x0806);
	b.b[12] = 0; b.b[13] = 40;
	CHECK_EQ(dv_link_walk(1, b.b, b.n, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	/* 802.11 ACK (10 bytes, control): nothing to read, not damaged */
	b.n = 0;
	put8(&b, 0xd4); put8(&b, 0); put16(&b, 0); zeros(&b, 6);
	CHECK_EQ(dv_link_walk(105, b.b, b.n, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	CHECK(l.flags & DV_LINK_WLAN);
	/* a protected data frame */
	b.n = 0;
	wlan_data(&b);
	b.b[1] |= 0x40;
	CHECK_EQ(dv_link_walk(105, b.b, b.n, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	CHECK(l.flags & DV_LINK_WLAN_PROTECTED);
	/* HCI command, monitor non-event, PPI around something else */
	CHECK_EQ(dv_link_walk(187, (const uint8_t *)"\x01\x03\x0c\x00", 4, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	CHECK_EQ(dv_link_walk(254, (const uint8_t *)"\x00\x00\x00\x02\x01", 5, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	b.n = 0;
	put8(&b, 0); put8(&b, 0); put16le(&b, 8); put32le(&b, 1); zeros(&b, 20);
	CHECK_EQ(dv_link_walk(192, b.b, b.n, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	/* PPPoE control (LCP) */
	b.n = 0;
	zeros(&b, 12); put16(&b, 0x8864); put8(&b, 0x11); put8(&b, 0); put16(&b, 1); put16(&b, 2); put16(&b, 0xc021);
	CHECK_EQ(dv_link_walk(1, b.b, b.n, "t", &l), 0);
	CHECK_EQ(l.kind, DV_LINK_OTHER);
	CHECK(l.flags & DV_LINK_PPPOE);
	/* NULL data: nothing */
	CHECK_EQ(dv_link_walk(1, NULL, 0, "t", &l), DV_ETRUNC);
}

static void test_link_giant(void)
{
	dv_link l;
	buf b = { .n = 0 };
	/* radiotap claiming 65535 header bytes */
	put8(&b, 0); put8(&b, 0); put16le(&b, 0xffff); put32le(&b, 0); wlan_beacon(&b);
	CHECK_EQ(dv_link_walk(127, b.b, b.n, "t", &l), DV_ETRUNC);
	/* ... or fewer than its own 8 */
	b.b[2] = 2; b.b[3] = 0;
	CHECK_EQ(dv_link_walk(127, b.b, b.n, "t", &l), DV_EINVAL);
	/* a version we do not know */
	b.b[0] = 1; b.b[2] = 8;
	CHECK_EQ(dv_link_walk(127, b.b, b.n, "t", &l), DV_EINVAL);
	/* presence bitmaps that never end inside the header */
	b.n = 0;
	put8(&b, 0); put8(&b, 0); put16le(&b, 16);
	put32le(&b, 0x80000000u); put32le(&b, 0x80000000u); put32le(&b, 0x80000000u);
	wlan_beacon(&b);
	CHECK_EQ(dv_link_walk(127, b.b, b.n, "t", &l), DV_ETRUNC);
	/* flags say FCS but fewer than 4 bytes follow */
	b.n = 0;
	put8(&b, 0); put8(&b, 0); put16le(&b, 9); put32le(&b, 0x02); put8(&b, 0x10); put8(&b, 0x80); put8(&b, 0);
	CHECK_EQ(dv_link_walk(127, b.b, b.n, "t", &l), DV_ETRUNC);
	/* a flags field placed past the header end is not read */
	b.n = 0;
	put8(&b, 0); put8(&b, 0); put16le(&b, 8); put32le(&b, 0x03); wlan_beacon(&b);
	CHECK_EQ(dv_link_walk(127, b.b, b.n, "t", &l), 0);
	CHECK(!(l.flags & DV_LINK_CRC_BAD));
	/* PPI header lengths 65535 and 4 */
	b.n = 0;
	put8(&b, 0); put8(&b, 0); put16le(&b, 0xffff); put32le(&b, 105); wlan_data(&b);
	CHECK_EQ(dv_link_walk(192, b.b, b.n, "t", &l), DV_ETRUNC);
	b.b[2] = 4; b.b[3] = 0;
	CHECK_EQ(dv_link_walk(192, b.b, b.n, "t", &l), DV_EINVAL);
	/* nRF Sniffer header lengths 255 and 2 */
	b.n = 0;
	zeros(&b, 7); put8(&b, 255); zeros(&b, 20);
	CHECK_EQ(dv_link_walk(272, b.b, b.n, "t", &l), DV_ETRUNC);
	b.b[7] = 2;
	CHECK_EQ(dv_link_walk(272, b.b, b.n, "t", &l), DV_EINVAL);
	/* nine nested VLAN tags */
	b.n = 0;
	zeros(&b, 12);
	for (int i = 0; i < 9; i++) { put16(&b, 0x8100); put16(&b, (unsigned)i); }
	put16(&b, 0x0800); ip4_udp(&b);
	CHECK_EQ(dv_link_walk(1, b.b, b.n, "t", &l), DV_EINVAL);
	CHECK(strstr(dv_error_text(), "nested") != NULL);
	/* 802.11 data with HT control and addr4 claiming more than is there */
	b.n = 0;
	put8(&b, 0x88); put8(&b, 0x83); zeros(&b, 26);
	CHECK_EQ(dv_link_walk(105, b.b, b.n, "t", &l), DV_ETRUNC);
}

/* ---- frame sources ---- */

static size_t pcap_image(uint8_t *out, size_t cap, int dlt, const buf *frames, size_t n, int cut_last)
{
	buf *b = malloc(sizeof(*b));
	b->n = 0;
	put32le(b, 0xa1b2c3d4); put16le(b, 2); put16le(b, 4); put32le(b, 0); put32le(b, 0);
	put32le(b, 65535); put32le(b, (uint32_t)dlt);
	for (size_t i = 0; i < n; i++) {
		put32le(b, 1700000000 + (uint32_t)i); put32le(b, 250000);
		put32le(b, (uint32_t)frames[i].n); put32le(b, (uint32_t)frames[i].n + 4);
		put(b, frames[i].b, frames[i].n);
	}
	size_t len = b->n - (cut_last ? 3 : 0);
	if (len > cap) len = cap;
	memcpy(out, b->b, len);
	free(b);
	return len;
}

static void test_file_source(void)
{
	static buf fr[3];
	for (int i = 0; i < 3; i++) {
		fr[i].n = 0;
		zeros(&fr[i], 12); put16(&fr[i], 0x0800); ip4_udp(&fr[i]);
		fr[i].b[0] = (uint8_t)i;
	}
	uint8_t img[1024];
	size_t len = pcap_image(img, sizeof(img), 1, fr, 3, 0);
	dv_capture *c;
	CHECK_EQ(dv_capture_open_mem(&c, img, len, "mem.pcap"), 0);
	if (!c) return;
	CHECK_EQ(dv_capture_linktype(c), 1);
	CHECK_STR(dv_capture_name(c), "mem.pcap");
	CHECK_STR(dv_capture_kind(c), "file");
	dv_frame f;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(dv_capture_next(c, &f), 1);
		CHECK_EQ(f.number, (uint64_t)i + 1);
		CHECK_EQ(f.caplen, 46);
		CHECK_EQ(f.wirelen, 50);
		CHECK_EQ(f.data[0], i);
		CHECK_EQ(f.ts_ns, (1700000000LL + i) * 1000000000LL + 250000000LL);
	}
	CHECK_EQ(dv_capture_next(c, &f), 0);
	CHECK_EQ(dv_capture_frames(c), 3);
	dv_capture_close(c);

	/* the last record cut: two frames, then DV_ETRUNC naming where */
	len = pcap_image(img, sizeof(img), 1, fr, 3, 1);
	CHECK_EQ(dv_capture_open_mem(&c, img, len, "cut.pcap"), 0);
	if (c) {
		CHECK_EQ(dv_capture_next(c, &f), 1);
		CHECK_EQ(dv_capture_next(c, &f), 1);
		CHECK_EQ(dv_capture_next(c, &f), DV_ETRUNC);
		CHECK(strstr(dv_error_text(), "cut.pcap") && strstr(dv_error_text(), "after frame 2"));
		dv_capture_close(c);
	}
	/* not a capture, empty, absent */
	CHECK_EQ(dv_capture_open_mem(&c, "hello world, not a pcap", 23, "x"), DV_EINVAL);
	CHECK(c == NULL);
	CHECK_EQ(dv_capture_open_mem(&c, img, 0, "x"), DV_EINVAL);
	CHECK_EQ(dv_capture_open_file(&c, "/nonexistent/dir/cap.pcap"), DV_ENOTFOUND);

	/* the same bytes as a file */
	const char *tmp = getenv("DV_TMP");
	char path[4096];
	snprintf(path, sizeof(path), "%s/test_capture.pcap", tmp ? tmp : "/tmp");
	(void)mkdir(tmp ? tmp : "/tmp", 0700);
	FILE *fp = fopen(path, "wb");
	CHECK(fp != NULL);
	if (!fp) return;
	len = pcap_image(img, sizeof(img), 1, fr, 3, 0);
	fwrite(img, 1, len, fp);
	fclose(fp);
	CHECK_EQ(dv_capture_open_file(&c, path), 0);
	if (c) {
		int n = 0;
		while (dv_capture_next(c, &f) == 1) n++;
		CHECK_EQ(n, 3);
		CHECK_STR(dv_capture_name(c), path);
		dv_capture_close(c);
	}
	remove(path);
}

static void test_records_source(void)
{
	uint8_t data[64], buf_[512];
	for (size_t i = 0; i < sizeof(data); i++) data[i] = (uint8_t)i;
	size_t len = 0;
	for (uint32_t i = 0; i < 3; i++) {
		dv_frame f = { .ts_ns = 1700000000123456789LL + i, .caplen = 10 + i, .wirelen = i == 2 ? 1 : 100, .data = data + i };
		size_t w = dv_capture_record_put(buf_ + len, sizeof(buf_) - len, &f);
		CHECK_EQ(w, DV_CAPTURE_RECORD_HDR + 10 + i);
		len += w;
	}
	dv_frame big = { .caplen = DV_CAPTURE_MAX_FRAME + 1, .data = data };
	CHECK_EQ(dv_capture_record_put(buf_, sizeof(buf_), &big), 0);
	dv_frame small = { .caplen = 20, .data = data };
	CHECK_EQ(dv_capture_record_put(buf_ + len, 20, &small), 0);

	dv_capture *c;
	CHECK_EQ(dv_capture_open_records(&c, buf_, len, 127, "fed"), 0);
	if (!c) return;
	CHECK_EQ(dv_capture_linktype(c), 127);
	CHECK_STR(dv_capture_kind(c), "records");
	dv_frame f;
	for (uint32_t i = 0; i < 3; i++) {
		CHECK_EQ(dv_capture_next(c, &f), 1);
		CHECK_EQ(f.number, i + 1);
		CHECK_EQ(f.caplen, 10 + i);
		CHECK_EQ(f.wirelen, i == 2 ? 12 : 100); /* below caplen: raised */
		CHECK_EQ(f.ts_ns, 1700000000123456789LL + i);
		CHECK(f.data == buf_ + (i == 0 ? 16 : i == 1 ? 42 : 69));
		CHECK_EQ(f.data[0], i);
	}
	CHECK_EQ(dv_capture_next(c, &f), 0);
	dv_capture_close(c);

	/* every cut of the stream: whole records, then DV_ETRUNC, never past the buffer */
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, buf_, n);
		CHECK_EQ(dv_capture_open_records(&c, copy, n, 1, "cut"), 0);
		int rc, got = 0;
		while ((rc = dv_capture_next(c, &f)) == 1) {
			CHECK((size_t)(f.data - copy) + f.caplen <= n);
			got++;
		}
		size_t whole = n >= 69 + 12 ? 3 : n >= 42 + 11 ? 2 : n >= 26 ? 1 : 0;
		CHECK_EQ(got, whole);
		CHECK_EQ(rc, n == 0 || n == 26 || n == 53 ? 0 : DV_ETRUNC);
		CHECK_EQ(dv_capture_next(c, &f), rc); /* stays failed */
		dv_capture_close(c);
		free(copy);
	}

	/* a giant record length: DV_EINVAL naming the record's offset */
	uint8_t g[DV_CAPTURE_RECORD_HDR + 4] = { 0 };
	g[0] = 0xff; g[1] = 0xff; g[2] = 0xff; g[3] = 0xff;
	CHECK_EQ(dv_capture_open_records(&c, g, sizeof(g), 1, "giant"), 0);
	CHECK_EQ(dv_capture_next(c, &f), DV_EINVAL);
	CHECK_EQ(dv_error_last()->offset, 0);
	CHECK(strstr(dv_error_text(), "giant") != NULL);
	dv_capture_close(c);
	/* a record length just over the cap, after a good record */
	uint8_t two[26 + DV_CAPTURE_RECORD_HDR];
	memcpy(two, buf_, 26);
	memset(two + 26, 0, DV_CAPTURE_RECORD_HDR);
	uint32_t over = DV_CAPTURE_MAX_FRAME + 1;
	memcpy(two + 26, &over, 4); /* little endian host */
	CHECK_EQ(dv_capture_open_records(&c, two, sizeof(two), 1, "over"), 0);
	CHECK_EQ(dv_capture_next(c, &f), 1);
	CHECK_EQ(dv_capture_next(c, &f), DV_EINVAL);
	CHECK_EQ(dv_error_last()->offset, 26);
	dv_capture_close(c);
	/* negative and huge times are clamped */
	dv_frame t = { .ts_ns = -5, .caplen = 1, .data = data };
	len = dv_capture_record_put(buf_, sizeof(buf_), &t);
	CHECK_EQ(dv_capture_open_records(&c, buf_, len, 1, "t"), 0);
	CHECK_EQ(dv_capture_next(c, &f), 1);
	CHECK_EQ(f.ts_ns, 0);
	dv_capture_close(c);
}

/* ---- a backend of the test's own, through the public seam ---- */

typedef struct counter_src {
	int left, closed;
	uint8_t byte;
} counter_src;

static int counter_next(void *st, dv_frame *out)
{
	counter_src *s = st;
	if (s->left == 0) return 0;
	s->left--;
	out->ts_ns = 1000000000LL * s->left;
	out->caplen = 1;
	out->wirelen = 0;
	out->data = &s->byte;
	return 1;
}
static int counter_lt(void *st) { (void)st; return 105; }
static void counter_close(void *st) { ((counter_src *)st)->closed++; }

static const dv_capture_ops counter_ops = {
	.version = DV_CAPTURE_OPS_VERSION, .kind = "counter",
	.next = counter_next, .linktype = counter_lt, .close = counter_close,
};
static const dv_capture_ops future_ops = { .version = 99, .kind = "future", .close = counter_close };
static const dv_capture_ops empty_ops = { .version = DV_CAPTURE_OPS_VERSION, .kind = "empty" };

static void test_ops(void)
{
	counter_src s = { .left = 2 };
	dv_capture *c;
	CHECK_EQ(dv_capture_open_ops(&c, &counter_ops, &s), 0);
	if (!c) return;
	CHECK_STR(dv_capture_name(c), "counter"); /* no name op: the kind */
	dv_frame f;
	CHECK_EQ(dv_capture_next(c, &f), 1);
	CHECK_EQ(f.number, 1);
	CHECK_EQ(f.wirelen, 1); /* raised to caplen by the dispatcher */
	CHECK_EQ(dv_capture_next(c, &f), 1);
	CHECK_EQ(f.number, 2);
	CHECK_EQ(dv_capture_next(c, &f), 0);
	dv_capture_close(c);
	CHECK_EQ(s.closed, 1);
	/* a version this library does not know: refused, state closed */
	CHECK_EQ(dv_capture_open_ops(&c, &future_ops, &s), DV_EINVAL);
	CHECK(c == NULL);
	CHECK_EQ(s.closed, 2);
	CHECK(strstr(dv_error_text(), "version 99") != NULL);
	CHECK_EQ(dv_capture_open_ops(&c, NULL, &s), DV_EINVAL);
	/* NULL operations: unsupported, never called */
	CHECK_EQ(dv_capture_open_ops(&c, &empty_ops, NULL), 0);
	if (c) {
		CHECK_EQ(dv_capture_next(c, &f), DV_EUNSUPPORTED);
		CHECK(strstr(dv_error_text(), "no next") != NULL);
		CHECK_EQ(dv_capture_linktype(c), DV_EUNSUPPORTED);
		dv_capture_close(c);
	}
}

int main(void)
{
	test_link_types();
	test_link_other();
	test_link_giant();
	test_file_source();
	test_records_source();
	test_ops();
	return check_done();
}
