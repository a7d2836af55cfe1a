/*
 * test_audit - unit tests of the audit area on synthetic input built here
 * (runs without ../shared): the decoder on every link type and on cut or
 * bogus headers, DNS/TLS/QUIC/HTTP parsers, the payload scanner, and whole
 * captures written by the test (DNS answer naming an IP-only flow, a
 * ClientHello split over two segments, IPv4 fragments, coordinates in
 * clear, a cut capture, flow-table eviction, policy).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dv/audit.h"
#include "audit/dns_int.h"
#include "audit/flow_int.h"
#include "audit/pkt_int.h"
#include "dv/err.h"
#include "audit/http_int.h"
#include "audit/scan_int.h"
#include "audit/tls_int.h"

/* ---- frame builders --------------------------------------------------- */

#include "frame_buf.h"


static const uint8_t PHONE[4] = { 192, 168, 2, 20 }, GW[4] = { 192, 168, 2, 1 };
static const uint8_t DJI[4] = { 47, 88, 0, 1 }, CN[4] = { 120, 55, 0, 1 };

static void eth_hdr(buf *b, unsigned et)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(b, macs, 12);
	put16(b, et);
}

static void ip4_hdr(buf *b, const uint8_t *src, const uint8_t *dst, unsigned proto, size_t plen, unsigned id, unsigned frag)
{
	put8(b, 0x45); put8(b, 0); put16(b, (unsigned)(20 + plen)); put16(b, id); put16(b, frag);
	put8(b, 64); put8(b, proto); put16(b, 0); put(b, src, 4); put(b, dst, 4);
}

static void udp_frame(buf *b, const uint8_t *src, const uint8_t *dst, unsigned sp, unsigned dp, const void *d, size_t n)
{
	b->n = 0;
	eth_hdr(b, 0x0800);
	ip4_hdr(b, src, dst, 17, 8 + n, 1, 0);
	put16(b, sp); put16(b, dp); put16(b, (unsigned)(8 + n)); put16(b, 0);
	put(b, d, n);
}

static void tcp_frame(buf *b, const uint8_t *src, const uint8_t *dst, unsigned sp, unsigned dp, uint32_t seq,
                      unsigned flags, const void *d, size_t n)
{
	b->n = 0;
	eth_hdr(b, 0x0800);
	ip4_hdr(b, src, dst, 6, 20 + n, 1, 0);
	put16(b, sp); put16(b, dp); put32(b, seq); put32(b, 1); put8(b, 5 << 4); put8(b, flags);
	put16(b, 65535); put16(b, 0); put16(b, 0);
	put(b, d, n);
}

typedef struct pcapw {
	FILE *f;
	uint32_t t;
} pcapw;

static void pcap_begin(pcapw *w, const char *path)
{
	w->f = fopen(path, "wb");
	if (!w->f) {
		perror(path);
		exit(1);
	}
	w->t = 1700000000;
	uint8_t h[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0 };
	fwrite(h, 1, 24, w->f);
}

static void pcap_frame(pcapw *w, const buf *b)
{
	uint32_t r[4] = { w->t++, 0, (uint32_t)b->n, (uint32_t)b->n };
	fwrite(r, 4, 4, w->f); /* little-endian host, as the magic says */
	fwrite(b->b, 1, b->n, w->f);
}

static size_t dns_name(uint8_t *o, const char *n)
{
	size_t k = 0;
	while (*n) {
		const char *d = strchr(n, '.');
		size_t l = d ? (size_t)(d - n) : strlen(n);
		o[k++] = (uint8_t)l;
		memcpy(o + k, n, l);
		k += l;
		n += l + (d ? 1 : 0);
	}
	o[k++] = 0;
	return k;
}

/* response: name CNAME cname, cname A addr */
static size_t dns_answer(uint8_t *o, const char *name, const char *cname, const uint8_t *addr)
{
	buf b = { .n = 0 };
	uint8_t nm[256];
	put16(&b, 7); put16(&b, 0x8180); put16(&b, 1); put16(&b, 2); put16(&b, 0); put16(&b, 0);
	put(&b, nm, dns_name(nm, name)); put16(&b, 1); put16(&b, 1);
	put16(&b, 0xc00c); put16(&b, 5); put16(&b, 1); put32(&b, 60);
	size_t cl = dns_name(nm, cname);
	put16(&b, (unsigned)cl);
	size_t coff = b.n;
	put(&b, nm, cl);
	put16(&b, 0xc000 | (unsigned)coff); put16(&b, 1); put16(&b, 1); put32(&b, 60); put16(&b, 4); put(&b, addr, 4);
	memcpy(o, b.b, b.n);
	return b.n;
}

static size_t client_hello_record(uint8_t *o, const char *sni, int ech)
{
	buf e = { .n = 0 }, h = { .n = 0 }, r = { .n = 0 };
	size_t sl = strlen(sni);
	put16(&e, 0); put16(&e, (unsigned)(sl + 5)); put16(&e, (unsigned)(sl + 3)); put8(&e, 0); put16(&e, (unsigned)sl); put(&e, sni, sl);
	put16(&e, 16); put16(&e, 5); put16(&e, 3); put8(&e, 2); put(&e, "h2", 2);
	if (ech) { put16(&e, 0xfe0d); put16(&e, 4); put32(&e, 0); }
	put16(&h, 0x0303);
	for (int i = 0; i < 32; i++) put8(&h, 0x42);
	put8(&h, 0); put16(&h, 2); put16(&h, 0x1301); put8(&h, 1); put8(&h, 0);
	put16(&h, (unsigned)e.n); put(&h, e.b, e.n);
	put8(&r, 0x16); put16(&r, 0x0301); put16(&r, (unsigned)(h.n + 4));
	put8(&r, 1); put8(&r, 0); put16(&r, (unsigned)h.n); put(&r, h.b, h.n);
	memcpy(o, r.b, r.n);
	return r.n;
}

/* ---- parser tests ------------------------------------------------------ */

static void test_decoder(void)
{
	buf b;
	dv_pkt pk;
	static const char dnsq[] = "x";
	udp_frame(&b, PHONE, GW, 40000, 53, dnsq, 1);
	CHECK_EQ(dv_pkt_decode(1, b.b, b.n, "t", &pk), 0);
	CHECK_EQ(pk.ipver, 4);
	CHECK_EQ(pk.sport, 40000);
	CHECK_EQ(pk.l4_len, 1);
	/* every shorter cut: an error or a snaplen-cut packet, never a crash */
	for (size_t n = 0; n < b.n; n++) {
		int rc = dv_pkt_decode(1, b.b, n, "t", &pk);
		CHECK(rc < 0 || (pk.flags & DV_PKT_SNAPCUT) || pk.payload_cap <= n);
	}
	/* QinQ + PPPoE */
	buf q = { .n = 0 };
	static const uint8_t macs[12] = { 0 };
	put(&q, macs, 12); put16(&q, 0x88a8); put16(&q, 10); put16(&q, 0x8100); put16(&q, 785); put16(&q, 0x8864);
	put8(&q, 0x11); put8(&q, 0); put16(&q, 1); put16(&q, 30); put16(&q, 0x0021);
	ip4_hdr(&q, PHONE, DJI, 17, 9, 1, 0);
	put16(&q, 1); put16(&q, 2); put16(&q, 9); put16(&q, 0); put8(&q, 'z');
	CHECK_EQ(dv_pkt_decode(1, q.b, q.n, "t", &pk), 0);
	CHECK(pk.flags & DV_PKT_VLAN);
	CHECK(pk.flags & DV_PKT_PPPOE);
	CHECK_EQ(pk.vlan[1], 785);
	CHECK_EQ(pk.payload_cap, 1);
	/* SLL2 and raw IP */
	buf s = { .n = 0 };
	put16(&s, 0x0800); put16(&s, 0); put32(&s, 1); put16(&s, 1); put8(&s, 4); put8(&s, 6); put(&s, macs, 8);
	ip4_hdr(&s, PHONE, DJI, 17, 8, 1, 0);
	put16(&s, 5); put16(&s, 6); put16(&s, 8); put16(&s, 0);
	CHECK_EQ(dv_pkt_decode(276, s.b, s.n, "t", &pk), 0);
	CHECK_EQ(pk.dport, 6);
	CHECK_EQ(dv_pkt_decode(101, s.b + 20, s.n - 20, "t", &pk), 0);
	/* IPv4 header length below 20, total length below header: errors */
	udp_frame(&b, PHONE, GW, 1, 2, "a", 1);
	b.b[14] = 0x44;
	CHECK_EQ(dv_pkt_decode(1, b.b, b.n, "t", &pk), DV_EINVAL);
	udp_frame(&b, PHONE, GW, 1, 2, "a", 1);
	b.b[16] = 0; b.b[17] = 10;
	CHECK_EQ(dv_pkt_decode(1, b.b, b.n, "t", &pk), DV_EINVAL);
	/* a UDP length larger than the IP packet is clamped to it */
	udp_frame(&b, PHONE, GW, 1, 2, "abc", 3);
	b.b[38] = 0xff; b.b[39] = 0xff;
	CHECK_EQ(dv_pkt_decode(1, b.b, b.n, "t", &pk), 0);
	CHECK_EQ(pk.l4_len, 3);
	/* radiotap + 802.11 QoS data (FromDS) + LLC/SNAP + IPv4/UDP; then the same frame protected */
	buf w = { .n = 0 };
	put8(&w, 0); put8(&w, 0); put8(&w, 8); put8(&w, 0); put32(&w, 0);     /* radiotap, no fields */
	size_t fc = w.n;
	put8(&w, 0x88); put8(&w, 0x02); put16(&w, 0);                          /* QoS data, FromDS */
	put(&w, macs, 12); put(&w, macs, 6); put16(&w, 0); put16(&w, 0);       /* addr1-3, seq, QoS */
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	put(&w, snap, 8);
	ip4_hdr(&w, PHONE, DJI, 17, 9, 1, 0);
	put16(&w, 7); put16(&w, 8); put16(&w, 9); put16(&w, 0); put8(&w, 'w');
	CHECK_EQ(dv_pkt_decode(127, w.b, w.n, "t", &pk), 0);
	CHECK_EQ(pk.dport, 8);
	CHECK_EQ(dv_pkt_decode(105, w.b + 8, w.n - 8, "t", &pk), 0);
	w.b[fc + 1] |= 0x40;
	CHECK_EQ(dv_pkt_decode(127, w.b, w.n, "t", &pk), DV_EUNSUPPORTED);
	CHECK(pk.flags & DV_PKT_WLAN_PROTECTED);
	/* IPv6 with a fragment header: first fragment, then a later one */
	static const uint8_t s6[16] = { 0xfd, 0, [15] = 1 }, d6[16] = { 0x2a, 0, 0x14, 0x50, [15] = 7 };
	buf v = { .n = 0 };
	eth_hdr(&v, 0x86dd);
	put32(&v, 0x60000000); put16(&v, 8 + 8 + 4); put8(&v, 44); put8(&v, 64); put(&v, s6, 16); put(&v, d6, 16);
	put8(&v, 17); put8(&v, 0); put16(&v, 0x0001); put32(&v, 0xabcd);         /* offset 0, M=1 */
	put16(&v, 1000); put16(&v, 2000); put16(&v, 8 + 12); put16(&v, 0); put32(&v, 0x41424344);
	CHECK_EQ(dv_pkt_decode(1, v.b, v.n, "t", &pk), 0);
	CHECK(pk.flags & DV_PKT_FRAG_FIRST);
	CHECK(pk.flags & DV_PKT_FRAG_MORE);
	CHECK_EQ(pk.frag_id, 0xabcd);
	CHECK_EQ(pk.sport, 1000);
	v.b[14 + 40 + 2] = 0; v.b[14 + 40 + 3] = 0x10;                          /* offset 16, M=0 */
	CHECK_EQ(dv_pkt_decode(1, v.b, v.n, "t", &pk), 0);
	CHECK(!(pk.flags & DV_PKT_FRAG_FIRST));
	CHECK_EQ(pk.frag_off, 16);
	CHECK_EQ(pk.has_ports, 0);
	CHECK_EQ(pk.ip_payload_cap, 12);
	/* ARP is not IP */
	buf arp = { .n = 0 };
	eth_hdr(&arp, 0x0806);
	put32(&arp, 0);
	CHECK_EQ(dv_pkt_decode(1, arp.b, arp.n, "t", &pk), DV_EUNSUPPORTED);
	CHECK_EQ(dv_pkt_decode(147, arp.b, arp.n, "t", &pk), DV_EUNSUPPORTED);
}

static void test_dns(void)
{
	uint8_t m[512];
	dv_dns_msg msg;
	size_t n = dns_answer(m, "mydjiflight.dji.com", "edge.example.net", DJI);
	CHECK_EQ(dv_dns_parse(m, n, &msg), 0);
	CHECK_STR(msg.qname, "mydjiflight.dji.com");
	CHECK_EQ(msg.nans, 2);
	CHECK_STR(msg.ans[0].target, "edge.example.net");
	CHECK_STR(msg.ans[1].name, "edge.example.net");
	CHECK_EQ(msg.ans[1].addr[0], 47);
	for (size_t k = 0; k < n; k++) CHECK(dv_dns_parse(m, k, &msg) < 0 || k >= n - 16);
	/* a pointer to itself */
	static const uint8_t loop[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	CHECK_EQ(dv_dns_parse(loop, sizeof(loop), &msg), DV_EINVAL);
}

static void test_tls_quic_http_scan(void)
{
	uint8_t r[1024];
	dv_hello h;
	size_t n = client_hello_record(r, "flysafe-api.dji.com", 1);
	CHECK_EQ(dv_tls_parse_records(r, n, &h), 0);
	CHECK_STR(h.sni, "flysafe-api.dji.com");
	CHECK_STR(h.alpn, "h2");
	CHECK_EQ(h.has_ech, 1);
	CHECK_EQ(dv_tls_parse_records(r, n - 10, &h), DV_ETRUNC);
	r[5] = 2; /* ServerHello */
	CHECK_EQ(dv_tls_parse_records(r, n, &h), DV_EINVAL);

	/* RFC 9001 A.1: Initial keys for DCID 8394c8f03e515708 */
	uint8_t ini[1200] = { 0xc3, 0, 0, 0, 1, 8, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0, 0, 0x44, 0x9e };
	dv_quic_state *st = calloc(1, sizeof(*st));
	CHECK(dv_quic_is_initial(ini, sizeof(ini)));
	CHECK(dv_quic_add_datagram(st, ini, sizeof(ini)) >= 0);
	static const uint8_t key[16] = { 0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46, 0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2, 0x2d };
	static const uint8_t iv[12] = { 0xfa, 0x04, 0x4b, 0x2f, 0x42, 0xa3, 0xfd, 0x3b, 0x46, 0xfb, 0x25, 0x5c };
	static const uint8_t hp[16] = { 0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10, 0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed, 0xd2 };
	CHECK(st->have_keys && !memcmp(st->key, key, 16) && !memcmp(st->iv, iv, 12) && !memcmp(st->hp, hp, 16));
	CHECK_EQ(dv_quic_hello(st, &h), DV_ETRUNC); /* garbage payload: nothing decrypted */
	free(st);

	dv_http_req q;
	static const char req[] = "POST /up?a=1 HTTP/1.1\r\nHost: mydjiflight.dji.com\r\nContent-Length: 12\r\n\r\n";
	CHECK_EQ(dv_http_parse_request((const uint8_t *)req, sizeof(req) - 1, &q), 0);
	CHECK_STR(q.method, "POST");
	CHECK_STR(q.uri, "/up?a=1");
	CHECK_STR(q.host, "mydjiflight.dji.com");
	CHECK_EQ(q.content_length, 12);
	CHECK_EQ(dv_http_parse_request((const uint8_t *)"GETX / HTTP/1.1\r\n", 17, &q), DV_ENOTFOUND);
	CHECK_EQ(dv_http_parse_request((const uint8_t *)"GET / HTT", 9, &q), DV_ETRUNC);

	dv_scan_hit hits[8];
	static const char js[] = "{\"lat\":37.774912,\"lon\":-122.419415}";
	CHECK_EQ(dv_scan_payload((const uint8_t *)js, sizeof(js) - 1, hits, 8), 1);
	CHECK_EQ(hits[0].kind, DV_SCAN_COORD);
	CHECK_NEAR(hits[0].lat, 37.774912, 1e-9);
	CHECK_NEAR(hits[0].lon, -122.419415, 1e-9);
	static const char srt[] = "[latitude: 48.858370] [longtitude: 2.294481]";
	CHECK(dv_scan_payload((const uint8_t *)srt, sizeof(srt) - 1, hits, 8) >= 1);
	static const char none[] = "version 1.2.3 took 12.5 s, build 20261124.1234";
	CHECK_EQ(dv_scan_payload((const uint8_t *)none, sizeof(none) - 1, hits, 8), 0);
	static const uint8_t jpg[] = { 0, 0xff, 0xd8, 0xff, 0xe1, 0, 16, 'E', 'x', 'i', 'f', 0, 0 };
	CHECK_EQ(dv_scan_payload(jpg, sizeof(jpg), hits, 8), 2);
	CHECK_EQ(hits[0].kind, DV_SCAN_JPEG);
	CHECK_EQ(hits[0].offset, 1);
	CHECK_EQ(hits[1].kind, DV_SCAN_EXIF);
}

/* ---- whole captures ---------------------------------------------------- */

/* $DV_TMP (created when missing, as in a fresh build tree), else /tmp. */
static const char *tmpdir(void)
{
	const char *t = getenv("DV_TMP");
	if (!t || !*t) return "/tmp";
	if (mkdir(t, 0700) < 0 && errno != EEXIST) return "/tmp";
	return t;
}

static void write_capture(const char *path)
{
	pcapw w;
	buf b;
	uint8_t d[2048];
	pcap_begin(&w, path);
	/* 1-2: DNS query and answer (CNAME chain) for the maker's flight-log host */
	static const uint8_t q[] = { 0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 'm', 'y', 'd', 'j', 'i', 'f', 'l', 'i', 'g', 'h', 't',
		3, 'd', 'j', 'i', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	udp_frame(&b, PHONE, GW, 40000, 53, q, sizeof(q));
	pcap_frame(&w, &b);
	size_t n = dns_answer(d, "mydjiflight.dji.com", "edge.example.net", DJI);
	udp_frame(&b, GW, PHONE, 53, 40000, d, n);
	pcap_frame(&w, &b);
	/* 3-6: TCP to that address; the ClientHello arrives in two segments, no SYN seen */
	n = client_hello_record(d, "mydjiflight.dji.com", 0);
	tcp_frame(&b, PHONE, DJI, 50000, 443, 1000, 0x18, d, 20);
	pcap_frame(&w, &b);
	tcp_frame(&b, PHONE, DJI, 50000, 443, 1020, 0x18, d + 20, n - 20);
	pcap_frame(&w, &b);
	tcp_frame(&b, DJI, PHONE, 443, 50000, 1, 0x10, NULL, 0);
	pcap_frame(&w, &b);
	/* 6-7: plain HTTP POST with coordinates to a Chinese address (handshake seen) */
	tcp_frame(&b, PHONE, CN, 50001, 80, 5000, 0x02, NULL, 0);
	pcap_frame(&w, &b);
	static const char post[] = "POST /log HTTP/1.1\r\nHost: api.share.mob.com\r\nContent-Length: 40\r\n\r\n"
	                           "{\"lat\":37.774912,\"lon\":-122.419415}";
	tcp_frame(&b, PHONE, CN, 50001, 80, 5001, 0x18, post, sizeof(post) - 1);
	pcap_frame(&w, &b);
	/* 8-9: a UDP datagram in two IPv4 fragments, coordinates across the cut */
	uint8_t big[1600];
	memset(big, 'a', sizeof(big));
	memcpy(big + 1460, " 47.397906,8.545095 ", 20);
	b.n = 0;
	eth_hdr(&b, 0x0800);
	ip4_hdr(&b, PHONE, CN, 17, 1480, 99, 0x2000);
	put16(&b, 40002); put16(&b, 9000); put16(&b, 1608); put16(&b, 0);
	put(&b, big, 1472);
	pcap_frame(&w, &b);
	b.n = 0;
	eth_hdr(&b, 0x0800);
	ip4_hdr(&b, PHONE, CN, 17, 128, 99, 1480 / 8);
	put(&b, big + 1472, 128);
	pcap_frame(&w, &b);
	fclose(w.f);
}

static void test_capture(void)
{
	char path[1024], pol[1024];
	snprintf(path, sizeof(path), "%s/test_audit_%d.pcap", tmpdir(), (int)getpid());
	write_capture(path);
	dv_audit_opts o = { .no_geo = 1 };
	dv_audit *a;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	size_t n;
	const dv_flow *const *fl = dv_audit_flows(a, &n);
	CHECK_EQ(n, 4);
	if (n == 4) {
		CHECK_STR(fl[1]->sni, "mydjiflight.dji.com");         /* joined across segments */
		CHECK_EQ(fl[1]->client, 0);
		CHECK_EQ(fl[1]->pkts[0], 2);
		CHECK_STR(fl[2]->http_host, "api.share.mob.com");
		CHECK_EQ(fl[3]->pkts[0], 2);                           /* both fragments on the flow */
		CHECK_EQ(fl[3]->payload_bytes[0], 1472 + 128);
		CHECK(fl[3]->flags & DV_FLOW_FRAGS);
	}
	const dv_audit_dest *d = dv_audit_dests(a, &n);
	int seen_dji = 0, seen_cn = 0;
	for (size_t i = 0; i < n; i++) {
		if (d[i].addr[0] == 47) {
			seen_dji = 1;
			CHECK_EQ(d[i].verdict, DV_VERDICT_LEAK);
			CHECK(d[i].flags & DV_DEST_MAKER);
			CHECK_STR(d[i].endpoint_owner, "DJI");
		}
		if (d[i].addr[0] == 120) {
			seen_cn = 1;
			CHECK(d[i].flags & DV_DEST_KNOWN);
			CHECK(d[i].flags & DV_DEST_CONTENT);
			CHECK_EQ(d[i].flows, 2);
		}
	}
	CHECK(seen_dji && seen_cn);
	const dv_audit_finding *f = dv_audit_findings(a, &n);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK_EQ(f[0].hit.kind, DV_SCAN_COORD);
		CHECK_EQ(f[0].outbound, 1);
		/* only visible in the reassembled datagram */
		CHECK_EQ(f[1].hit.kind, DV_SCAN_COORD);
		CHECK_EQ(f[1].frame, 9);
		CHECK_EQ(f[1].hit.offset, 1461);
		CHECK_NEAR(f[1].hit.lat, 47.397906, 1e-9);
	}
	CHECK_EQ(dv_audit_get_stats(a)->fragments_reassembled, 1);
	CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
	CHECK_EQ(dv_audit_get_stats(a)->fragments, 2);
	char *js = NULL;
	CHECK_EQ(dv_audit_to_json(a, &js), 0);
	CHECK(js && strstr(js, "\"verdict\": \"leak\"") && strstr(js, "\"bytes_out\"") && strstr(js, "mydjiflight.dji.com"));
	free(js);
	char html[1100];
	snprintf(html, sizeof(html), "%s.html", path);
	CHECK_EQ(dv_audit_write_html(a, html), 0);
	unlink(html);
	dv_audit_free(a);

	/* the same capture with a policy that allows both: clean */
	snprintf(pol, sizeof(pol), "%s/test_audit_%d.policy", tmpdir(), (int)getpid());
	FILE *pf = fopen(pol, "w");
	fputs("# agency policy\nallow-net 47.88.0.0/16 test\nallow-name *.mob.com test\n", pf);
	fclose(pf);
	o.policy_path = pol;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	/* a destination allowed by one of its names is allowed as a whole
	 * (the nameless fragments to 120.55.0.1 included) */
	CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_CLEAN);
	d = dv_audit_dests(a, &n);
	for (size_t i = 0; i < n; i++)
		if (d[i].addr[0] == 47) CHECK_EQ(d[i].verdict, DV_VERDICT_CLEAN);
	dv_audit_free(a);
	pf = fopen(pol, "w");
	fputs("allow-net 47.88.0.0/16\nallow-net 120.55.0.0/17\n", pf);
	fclose(pf);
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_CLEAN);
	dv_audit_free(a);
	pf = fopen(pol, "w");
	fputs("allow-nett 1.2.3.4\n", pf);
	fclose(pf);
	CHECK(dv_audit_new(&a, &o) < 0);
	unlink(pol);

	/* cut inside the last record: counted up to there, warned, inconclusive only if nothing else */
	FILE *in = fopen(path, "rb");
	static uint8_t all[65536];
	size_t len = fread(all, 1, sizeof(all), in);
	fclose(in);
	FILE *out = fopen(path, "wb");
	fwrite(all, 1, len - 50, out);
	fclose(out);
	o.policy_path = NULL;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	CHECK_EQ(dv_audit_get_stats(a)->frames, 8);
	CHECK_EQ(dv_audit_get_stats(a)->capture_errors, 1);
	CHECK(strstr(dv_audit_reasons(a), "cut or damaged") != NULL);
	size_t nw;
	CHECK(strstr(dv_audit_warnings(a, &nw), "after frame 8") != NULL);
	dv_audit_free(a);
	unlink(path);

	/* not a capture at all */
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK(dv_audit_add_capture(a, "/nonexistent/x.pcap") < 0);
	dv_audit_free(a);
}

static void test_eviction(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/test_audit_ev_%d.pcap", tmpdir(), (int)getpid());
	pcapw w;
	buf b;
	pcap_begin(&w, path);
	for (unsigned i = 0; i < 100; i++) {
		udp_frame(&b, PHONE, DJI, 10000 + i, 443, "0123456789", 10);
		pcap_frame(&w, &b);
	}
	fclose(w.f);
	dv_audit_opts o = { .no_geo = 1, .max_flows = 16 };
	dv_audit *a;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	const dv_audit_stats *st = dv_audit_get_stats(a);
	CHECK_EQ(st->flows, 100);
	CHECK_EQ(st->flows_evicted, 84);
	size_t n;
	const dv_audit_dest *d = dv_audit_dests(a, &n);
	CHECK_EQ(n, 1);
	if (n) {
		CHECK_EQ(d[0].flows, 100);
		CHECK_EQ(d[0].pkts_out, 100);
		CHECK_EQ(d[0].payload_bytes_out, 1000);
	}
	dv_audit_free(a);
	unlink(path);
}

/* A resolver's address on 443 without any name: DNS over HTTPS hides names. */
static void test_doh_by_address(void)
{
	char path[1024], pol[1024];
	static const uint8_t CF[4] = { 1, 1, 1, 1 };
	snprintf(path, sizeof(path), "%s/test_audit_doh_%d.pcap", tmpdir(), (int)getpid());
	snprintf(pol, sizeof(pol), "%s/test_audit_doh_%d.policy", tmpdir(), (int)getpid());
	pcapw w;
	buf b;
	pcap_begin(&w, path);
	tcp_frame(&b, PHONE, CF, 50000, 443, 1, 0x02, NULL, 0);
	pcap_frame(&w, &b);
	fclose(w.f);
	FILE *pf = fopen(pol, "w");
	fputs("allow-net 1.1.1.1/32 resolver\n", pf);
	fclose(pf);
	dv_audit_opts o = { .no_geo = 1, .policy_path = pol };
	dv_audit *a;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_INCONCLUSIVE);
	CHECK(strstr(dv_audit_reasons(a), "DNS over HTTPS") != NULL);
	dv_audit_free(a);

	/* a TCP header cut short: damaged, but its bytes still reach 1.1.1.1 */
	pcap_begin(&w, path);
	tcp_frame(&b, PHONE, CF, 50000, 443, 1, 0x02, NULL, 0);
	b.n -= 8; /* cut inside the TCP header */
	pcap_frame(&w, &b);
	fclose(w.f);
	o.policy_path = NULL;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
	CHECK_EQ(dv_audit_get_stats(a)->damaged, 1);
	size_t n;
	const dv_audit_dest *d = dv_audit_dests(a, &n);
	CHECK_EQ(n, 1);
	if (n) CHECK_EQ(d[0].bytes_out, b.n);
	CHECK(strstr(dv_audit_reasons(a), "damaged") != NULL);
	dv_audit_free(a);
	unlink(path);
	unlink(pol);
}

/* Coordinates cut by a TCP segment boundary are found once, retransmissions not again. */
static void test_across_segments(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/test_audit_seg_%d.pcap", tmpdir(), (int)getpid());
	static const char s1[] = "POST /osd HTTP/1.1\r\nHost: x.example\r\n\r\n{\"sn\":\"0000\",\"lat\":37.77";
	static const char s2[] = "4912,\"lon\":-122.419415,\"alt\":80}";
	pcapw w;
	buf b;
	pcap_begin(&w, path);
	tcp_frame(&b, PHONE, DJI, 50010, 80, 100, 0x18, s1, sizeof(s1) - 1);
	pcap_frame(&w, &b);
	tcp_frame(&b, PHONE, DJI, 50010, 80, 100 + (uint32_t)(sizeof(s1) - 1), 0x18, s2, sizeof(s2) - 1);
	pcap_frame(&w, &b);
	pcap_frame(&w, &b); /* retransmitted */
	fclose(w.f);
	dv_audit_opts o = { .no_geo = 1 };
	dv_audit *a;
	CHECK_EQ(dv_audit_new(&a, &o), 0);
	CHECK_EQ(dv_audit_add_capture(a, path), 0);
	CHECK_EQ(dv_audit_finish(a), 0);
	size_t n;
	const dv_audit_finding *f = dv_audit_findings(a, &n);
	CHECK_EQ(n, 1);
	if (n) {
		CHECK_EQ(f[0].spans_segments, 1);
		CHECK_EQ(f[0].frame, 2);
		CHECK_NEAR(f[0].hit.lat, 37.774912, 1e-9);
		CHECK_NEAR(f[0].hit.lon, -122.419415, 1e-9);
	}
	dv_audit_free(a);
	unlink(path);
}

int main(void)
{
	test_decoder();
	test_dns();
	test_tls_quic_http_scan();
	test_capture();
	test_eviction();
	test_doh_by_address();
	test_across_segments();
	return check_done();
}
