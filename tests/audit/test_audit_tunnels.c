/*
 * test_audit_tunnels - "nothing that reaches the Internet may be called
 * clean" (issue 12), on captures this test writes: every tunnel the audit
 * opens (IP-in-IP, 6in4, 4in6, GRE plain/keyed/Ethernet, PPTP GRE, GTP-U,
 * VXLAN, Teredo, nested, too deep) shows the inner flow with its SNI and
 * tunnel and the outer peer as a destination of its own; every IP protocol
 * (ICMP, ICMPv6, ESP, AH, SCTP, GRE, an unknown one) to a public address is
 * a destination with bytes each way; encrypted tunnels are leaks to a
 * non-allowed peer and inconclusive to an allowed one; undecodable link
 * types, EtherTypes and protocols are never clean; the verdict order is
 * leak > inconclusive > clean; and a QUIC v2 Initial is named by
 * dronevault's parser with both engines' answers in the JSON.
 */
#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "audit/flow_int.h"
#include "audit/tunnel_int.h"
#include "dv/audit.h"
#include "dv/err.h"
#include "frame_buf.h"

static const uint8_t PHONE[4] = { 10, 0, 0, 2 }, ROUTER[4] = { 10, 1, 1, 1 };
static const uint8_t PEER[4] = { 45, 67, 89, 10 };   /* a tunnel server on the Internet */
static const uint8_t DJI[4] = { 47, 88, 0, 1 };      /* inner destination */
static const uint8_t PHONE6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t PEER6[16] = { 0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
static const uint8_t DJI6[16] = { 0x2a, 0x03, 0x28, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t TEREDO6[16] = { 0x20, 0x01, 0, 0, 0x4d, 0x4d, 0x4d, 0x4d, 0, 0, 0, 0, 0, 0, 0, 7 };

/* ---- packet builders (each returns a whole packet in *o) ------------ */

static void ip4(buf *o, const uint8_t *s, const uint8_t *d, unsigned proto, const buf *pl)
{
	o->n = 0;
	put8(o, 0x45); put8(o, 0); put16(o, (unsigned)(20 + pl->n)); put16(o, 1); put16(o, 0);
	put8(o, 64); put8(o, proto); put16(o, 0); put(o, s, 4); put(o, d, 4);
	put(o, pl->b, pl->n);
}

static void ip6(buf *o, const uint8_t *s, const uint8_t *d, unsigned nh, const buf *pl)
{
	o->n = 0;
	put32(o, 0x60000000); put16(o, (unsigned)pl->n); put8(o, nh); put8(o, 64); put(o, s, 16); put(o, d, 16);
	put(o, pl->b, pl->n);
}

static void udp(buf *o, unsigned sp, unsigned dp, const void *d, size_t n)
{
	o->n = 0;
	put16(o, sp); put16(o, dp); put16(o, (unsigned)(8 + n)); put16(o, 0);
	put(o, d, n);
}

static void tcp(buf *o, unsigned sp, unsigned dp, const void *d, size_t n)
{
	o->n = 0;
	put16(o, sp); put16(o, dp); put32(o, 1000); put32(o, 1); put8(o, 5 << 4); put8(o, 0x18);
	put16(o, 65535); put16(o, 0); put16(o, 0);
	put(o, d, n);
}

static void eth(buf *o, unsigned et, const buf *pl)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	o->n = 0;
	put(o, macs, 12); put16(o, et);
	put(o, pl->b, pl->n);
}

static size_t client_hello(uint8_t *o, const char *sni, int record)
{
	buf e = { .n = 0 }, h = { .n = 0 }, r = { .n = 0 };
	size_t sl = strlen(sni);
	put16(&e, 0); put16(&e, (unsigned)(sl + 5)); put16(&e, (unsigned)(sl + 3)); put8(&e, 0); put16(&e, (unsigned)sl); put(&e, sni, sl);
	put16(&e, 16); put16(&e, 5); put16(&e, 3); put8(&e, 2); put(&e, "h3", 2);
	put16(&h, 0x0303);
	for (int i = 0; i < 32; i++) put8(&h, 0x42);
	put8(&h, 0); put16(&h, 2); put16(&h, 0x1301); put8(&h, 1); put8(&h, 0);
	put16(&h, (unsigned)e.n); put(&h, e.b, e.n);
	if (record) { put8(&r, 0x16); put16(&r, 0x0301); put16(&r, (unsigned)(h.n + 4)); }
	put8(&r, 1); put8(&r, 0); put16(&r, (unsigned)h.n); put(&r, h.b, h.n);
	memcpy(o, r.b, r.n);
	return r.n;
}

/* The inner packet of every tunnel case: a TLS ClientHello to the maker. */
static void inner_tls4(buf *o)
{
	uint8_t ch[512];
	buf t;
	tcp(&t, 50000, 443, ch, client_hello(ch, "mydjiflight.dji.com", 1));
	ip4(o, PHONE, DJI, 6, &t);
}

static void inner_tls6(buf *o, const uint8_t *src)
{
	uint8_t ch[512];
	buf t;
	tcp(&t, 50000, 443, ch, client_hello(ch, "mydjiflight.dji.com", 1));
	ip6(o, src, DJI6, 6, &t);
}

/* ---- captures ---------------------------------------------------------- */

static char dir[512];

static const char *tmpdir(void)
{
	const char *t = getenv("DV_TMP");
	if (!t || !*t) return "/tmp";
	if (mkdir(t, 0700) < 0 && errno != EEXIST) return "/tmp";
	return t;
}

/* Writes frames[0..n) (all of link type lt) as a pcap file; returns its path. */
static const char *write_pcap(const char *name, unsigned lt, const buf *const *frames, size_t n)
{
	static char path[700];
	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) { perror(path); exit(1); }
	uint8_t h[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 };
	h[20] = (uint8_t)lt; h[21] = (uint8_t)(lt >> 8);
	fwrite(h, 1, 24, f);
	for (size_t i = 0; i < n; i++) {
		uint32_t r[4] = { 1700000000u + (uint32_t)i, 0, (uint32_t)frames[i]->n, (uint32_t)frames[i]->n };
		fwrite(r, 4, 4, f);
		fwrite(frames[i]->b, 1, frames[i]->n, f);
	}
	fclose(f);
	return path;
}

static dv_audit *audit_file(const char *path, const char *policy, int ndpi)
{
	dv_audit_opts o = { .no_geo = 1, .no_ndpi = !ndpi, .policy_path = policy };
	dv_audit *a = NULL;
	if (dv_audit_new(&a, &o) < 0) { fprintf(stderr, "audit_new: %s\n", dv_error_text()); exit(1); }
	CHECK(dv_audit_add_capture(a, path) == 0);
	CHECK(dv_audit_finish(a) == 0);
	return a;
}

static const dv_audit_dest *dest_of(const dv_audit *a, int ipver, const uint8_t *addr)
{
	size_t n;
	const dv_audit_dest *d = dv_audit_dests(a, &n);
	for (size_t i = 0; i < n; i++)
		if (d[i].ipver == ipver && !memcmp(d[i].addr, addr, ipver == 6 ? 16 : 4)) return &d[i];
	return NULL;
}

static const dv_flow *flow_to(const dv_audit *a, int ipver, const uint8_t *addr, unsigned proto)
{
	size_t n;
	const dv_flow *const *f = dv_audit_flows(a, &n);
	for (size_t i = 0; i < n; i++) {
		int r = dv_audit_flow_remote(f[i]);
		if (f[i]->ipver == ipver && f[i]->proto == proto && !memcmp(f[i]->addr[r], addr, ipver == 6 ? 16 : 4)) return f[i];
	}
	return NULL;
}

static int has_name(const dv_audit_dest *d, const char *name)
{
	for (unsigned i = 0; d && i < d->nnames; i++)
		if (!strcmp(d->names[i], name)) return 1;
	return 0;
}

/* "key": "value" in a JSON text (either spacing json-c writes). */
static int js_has(const char *js, const char *key, const char *val)
{
	char a[128], b[128];
	snprintf(a, sizeof(a), "\"%s\":\"%s\"", key, val);
	snprintf(b, sizeof(b), "\"%s\": \"%s\"", key, val);
	return js && (strstr(js, a) || strstr(js, b));
}

static int reasons_have(const char *r, const char *s) { return r && strstr(r, s) != NULL; }

/* ---- tunnels --------------------------------------------------------- */

typedef struct tcase {
	const char *name;
	dv_tunnel_kind kind;
	int outer6;                /* outer IPv6 */
	int inner6;                /* inner IPv6 */
	int outer_local;           /* the outer peer is a private address */
} tcase;

/* The outer frame (Ethernet) of tunnel case c, carrying inner. */
static void tunnel_frame(buf *fr, const tcase *c, const buf *inner)
{
	buf g = { .n = 0 }, ip, u;
	const uint8_t *peer4 = c->outer_local ? ROUTER : PEER;
	switch (c->kind) {
	case DV_TUN_IPIP: ip4(&ip, PHONE, peer4, 4, inner); break;
	case DV_TUN_6IN4: ip4(&ip, PHONE, peer4, 41, inner); break;
	case DV_TUN_4IN6: ip6(&ip, PHONE6, PEER6, 4, inner); break;
	case DV_TUN_GRE:
		if (!strcmp(c->name, "gre-keyed")) { put16(&g, 0x2000); put16(&g, 0x0800); put32(&g, 4242); }
		else { put16(&g, 0); put16(&g, inner->b[0] >> 4 == 6 ? 0x86dd : 0x0800); }
		put(&g, inner->b, inner->n);
		ip4(&ip, PHONE, peer4, 47, &g);
		break;
	case DV_TUN_GRE_TEB: {
		buf e;
		eth(&e, 0x0800, inner);
		put16(&g, 0x2000); put16(&g, 0x6558); put32(&g, 7);
		put(&g, e.b, e.n);
		ip4(&ip, PHONE, peer4, 47, &g);
		break;
	}
	case DV_TUN_PPTP:
		put16(&g, 0x3001); put16(&g, 0x880b); put16(&g, (unsigned)(inner->n + 4)); put16(&g, 9); put32(&g, 1);
		put8(&g, 0xff); put8(&g, 0x03); put16(&g, 0x0021);
		put(&g, inner->b, inner->n);
		ip4(&ip, PHONE, peer4, 47, &g);
		break;
	case DV_TUN_GTPU:
		/* with the sequence flag and one PDU session container extension */
		put8(&g, 0x36); put8(&g, 0xff); put16(&g, (unsigned)(inner->n + 4 + 8)); put32(&g, 0x11223344);
		put16(&g, 0); put8(&g, 0); put8(&g, 0x85);
		put8(&g, 2); put16(&g, 0x0009); put8(&g, 0); put32(&g, 0);
		put(&g, inner->b, inner->n);
		udp(&u, 2152, 2152, g.b, g.n);
		ip4(&ip, PHONE, peer4, 17, &u);
		break;
	case DV_TUN_VXLAN: {
		buf e;
		eth(&e, 0x0800, inner);
		put8(&g, 0x08); put8(&g, 0); put16(&g, 0); put32(&g, 0x00123400);
		put(&g, e.b, e.n);
		udp(&u, 55555, 4789, g.b, g.n);
		ip4(&ip, PHONE, peer4, 17, &u);
		break;
	}
	case DV_TUN_TEREDO:
		/* from a relay's ephemeral port, with an origin indication */
		put16(&g, 0); put16(&g, 0x1234); put32(&g, 0x01020304);
		put(&g, inner->b, inner->n);
		udp(&u, 40001, 51000, g.b, g.n);
		ip4(&ip, PHONE, peer4, 17, &u);
		break;
	default:
		ip.n = 0;
	}
	eth(fr, c->outer6 ? 0x86dd : 0x0800, &ip);
}

static void test_tunnels(void)
{
	static const tcase cases[] = {
		{ "ipip", DV_TUN_IPIP, 0, 0, 0 },
		{ "ipip-local-peer", DV_TUN_IPIP, 0, 0, 1 },
		{ "6in4", DV_TUN_6IN4, 0, 1, 0 },
		{ "4in6", DV_TUN_4IN6, 1, 0, 0 },
		{ "gre", DV_TUN_GRE, 0, 0, 0 },
		{ "gre-keyed", DV_TUN_GRE, 0, 0, 1 },
		{ "gre-ipv6", DV_TUN_GRE, 0, 1, 0 },
		{ "gre-eth", DV_TUN_GRE_TEB, 0, 0, 0 },
		{ "pptp", DV_TUN_PPTP, 0, 0, 0 },
		{ "gtpu", DV_TUN_GTPU, 0, 0, 1 },
		{ "vxlan", DV_TUN_VXLAN, 0, 0, 0 },
		{ "teredo", DV_TUN_TEREDO, 0, 1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const tcase *c = &cases[i];
		buf inner, fr;
		if (c->inner6) inner_tls6(&inner, c->kind == DV_TUN_TEREDO ? TEREDO6 : PHONE6);
		else inner_tls4(&inner);
		tunnel_frame(&fr, c, &inner);
		const buf *frames[] = { &fr };
		dv_audit *a = audit_file(write_pcap(c->name, 1, frames, 1), NULL, 0);
		const dv_audit_stats *st = dv_audit_get_stats(a);
		printf("%-16s verdict=%s inner=%llu: %s\n", c->name, dv_verdict_name(dv_audit_verdict(a)),
		       (unsigned long long)st->tunnel_packets, dv_audit_reasons(a));
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
		CHECK_EQ(st->tunnel_packets, 1);
		CHECK_EQ(st->tunnel_undecoded, 0);
		/* the inner destination, named by the inner SNI, reached through the tunnel */
		const dv_audit_dest *in = c->inner6 ? dest_of(a, 6, DJI6) : dest_of(a, 4, DJI);
		CHECK(in != NULL);
		CHECK(has_name(in, "mydjiflight.dji.com"));
		CHECK(in && (in->flags & DV_DEST_VIA_TUNNEL) && (in->flags & DV_DEST_MAKER));
		CHECK(in && in->verdict == DV_VERDICT_LEAK);
		CHECK(in && in->bytes_out == inner.n + (c->kind == DV_TUN_GRE_TEB || c->kind == DV_TUN_VXLAN ? 14 : 0));
		const dv_flow *f = c->inner6 ? flow_to(a, 6, DJI6, 6) : flow_to(a, 4, DJI, 6);
		CHECK(f && (f->flags & DV_FLOW_INNER) && f->tunnel == c->kind && f->tunnel_depth == 1);
		CHECK(f && !strcmp(f->sni, "mydjiflight.dji.com"));
		/* the outer peer: a destination of its own, marked as the tunnel's end */
		const dv_audit_dest *out = c->outer6 ? dest_of(a, 6, PEER6) : dest_of(a, 4, c->outer_local ? ROUTER : PEER);
		CHECK(out != NULL);
		CHECK(out && (out->flags & DV_DEST_TUNNEL) && !strcmp(out->tunnel, dv_tunnel_name(c->kind)));
		CHECK(out && out->pkts_out == 1 && out->bytes_out == fr.n);
		CHECK(out && out->verdict == (c->outer_local ? DV_VERDICT_CLEAN : DV_VERDICT_LEAK));
		if (!strcmp(c->name, "gre-keyed")) CHECK(f && f->tunnel_has_key && f->tunnel_key == 4242);
		if (c->kind == DV_TUN_VXLAN) CHECK(f && f->tunnel_has_key && f->tunnel_key == 0x1234);
		/* the JSON names the tunnel on the flow and the outer end on the destination */
		char *js = NULL;
		CHECK(dv_audit_to_json(a, &js) == 0);
		CHECK(js_has(js, "kind", dv_tunnel_name(c->kind)));
		CHECK(js_has(js, "tunnel_endpoint", dv_tunnel_name(c->kind)));
		free(js);
		dv_audit_free(a);
	}

	/* nested: VXLAN inside GRE inside IP-in-IP, all the way to the SNI */
	{
		buf inner, e, g, u, x, ip1, ip2, fr;
		inner_tls4(&inner);
		eth(&e, 0x0800, &inner);
		g.n = 0; put8(&g, 0x08); put8(&g, 0); put16(&g, 0); put32(&g, 0x100);
		put(&g, e.b, e.n);
		udp(&u, 55555, 4789, g.b, g.n);
		ip4(&ip1, ROUTER, PEER, 17, &u);
		x.n = 0; put16(&x, 0); put16(&x, 0x0800); put(&x, ip1.b, ip1.n);
		ip4(&ip2, PHONE, ROUTER, 47, &x);
		buf ipip;
		ip4(&ipip, PHONE, ROUTER, 4, &ip2);
		eth(&fr, 0x0800, &ipip);
		const buf *frames[] = { &fr };
		dv_audit *a = audit_file(write_pcap("nested", 1, frames, 1), NULL, 0);
		const dv_flow *f = flow_to(a, 4, DJI, 6);
		CHECK(f && f->tunnel == DV_TUN_VXLAN && f->tunnel_depth == 3 && !strcmp(f->sni, "mydjiflight.dji.com"));
		CHECK_EQ(dv_audit_get_stats(a)->tunnel_packets, 3);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
		CHECK(dest_of(a, 4, PEER) && (dest_of(a, 4, PEER)->flags & DV_DEST_TUNNEL));
		dv_audit_free(a);
	}
	/* deeper than the bound: counted, never opened, never clean */
	{
		buf p[7];
		inner_tls4(&p[0]);
		for (int i = 1; i < 7; i++) ip4(&p[i], PHONE, ROUTER, 4, &p[i - 1]);
		buf fr;
		eth(&fr, 0x0800, &p[6]);
		const buf *frames[] = { &fr };
		dv_audit *a = audit_file(write_pcap("too-deep", 1, frames, 1), NULL, 0);
		CHECK_EQ(dv_audit_get_stats(a)->tunnel_packets, DV_TUNNEL_MAX_DEPTH);
		CHECK(dv_audit_get_stats(a)->tunnel_undecoded > 0);
		CHECK(dv_audit_verdict(a) != DV_VERDICT_CLEAN);
		CHECK(flow_to(a, 4, DJI, 6) == NULL);
		dv_audit_free(a);
	}
	/* GRE of a protocol type the audit cannot open, between local hosts: inconclusive */
	{
		buf g = { .n = 0 }, ip, fr;
		put16(&g, 0); put16(&g, 0x880b); put32(&g, 0xdeadbeef);
		ip4(&ip, PHONE, ROUTER, 47, &g);
		eth(&fr, 0x0800, &ip);
		const buf *frames[] = { &fr };
		dv_audit *a = audit_file(write_pcap("gre-unknown", 1, frames, 1), NULL, 0);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_INCONCLUSIVE);
		CHECK(reasons_have(dv_audit_reasons(a), "could not be opened"));
		dv_audit_free(a);
	}
}

/* ---- every IP protocol counts ------------------------------------------ */

typedef struct pcase {
	const char *name;
	unsigned proto;
	int v6;
	dv_verdict to_public, to_local, to_allowed;
	const char *reason;        /* in the public destination's reasons, or NULL */
} pcase;

static void proto_payload(buf *pl, const pcase *c, int reply)
{
	pl->n = 0;
	switch (c->proto) {
	case 1: put8(pl, reply ? 0 : 8); put8(pl, 0); put16(pl, 0); put32(pl, 0x00010001); put(pl, "ping-data-ping", 14); break;
	case 58: put8(pl, reply ? 129 : 128); put8(pl, 0); put16(pl, 0); put32(pl, 0x00010001); put(pl, "ping6", 5); break;
	case 50: put32(pl, 0x1000 + (unsigned)reply); put32(pl, 1); for (int i = 0; i < 48; i++) put8(pl, (unsigned)(i * 37)); break;
	case 51: { /* AH carrying UDP */
		put8(pl, 17); put8(pl, 4); put16(pl, 0); put32(pl, 0x2000); put32(pl, 1); put32(pl, 0); put32(pl, 0); put32(pl, 0);
		buf u;
		udp(&u, reply ? 7000 : 40000, reply ? 40000 : 7000, "hello", 5);
		put(pl, u.b, u.n);
		break;
	}
	case 132: put16(pl, reply ? 38412 : 50000); put16(pl, reply ? 50000 : 38412); put32(pl, 7); put32(pl, 0);
		put8(pl, 0); put8(pl, 3); put16(pl, 20); put32(pl, 1); put16(pl, 0); put16(pl, 0); put32(pl, 46); put(pl, "sctp", 4); break;
	case 47: put16(pl, 0); put16(pl, 0x88be); put32(pl, 0); break; /* ERSPAN: not opened */
	default: for (int i = 0; i < 32; i++) put8(pl, (unsigned)i); break;
	}
}

static void proto_capture(const pcase *c, const uint8_t *peer4, const uint8_t *peer6, const char *tag, buf *f1, buf *f2, const char **path)
{
	buf pl, ip;
	char name[64];
	proto_payload(&pl, c, 0);
	if (c->v6) ip6(&ip, PHONE6, peer6, c->proto, &pl);
	else ip4(&ip, PHONE, peer4, c->proto, &pl);
	eth(f1, c->v6 ? 0x86dd : 0x0800, &ip);
	proto_payload(&pl, c, 1);
	if (c->v6) ip6(&ip, peer6, PHONE6, c->proto, &pl);
	else ip4(&ip, peer4, PHONE, c->proto, &pl);
	eth(f2, c->v6 ? 0x86dd : 0x0800, &ip);
	snprintf(name, sizeof(name), "proto-%s-%s", c->name, tag);
	const buf *frames[] = { f1, f2 };
	*path = write_pcap(name, 1, frames, 2);
}

static void test_protocols(const char *allow_policy)
{
	const pcase cases[] = {
		{ "icmp", 1, 0, DV_VERDICT_LEAK, DV_VERDICT_CLEAN, DV_VERDICT_CLEAN, NULL },
		{ "icmpv6", 58, 1, DV_VERDICT_LEAK, DV_VERDICT_CLEAN, DV_VERDICT_CLEAN, NULL },
		{ "esp", 50, 0, DV_VERDICT_LEAK, DV_VERDICT_INCONCLUSIVE, DV_VERDICT_INCONCLUSIVE, "content hidden: a VPN (IPsec ESP)" },
		{ "ah", 51, 0, DV_VERDICT_LEAK, DV_VERDICT_CLEAN, DV_VERDICT_CLEAN, NULL },
		{ "sctp", 132, 0, DV_VERDICT_LEAK, DV_VERDICT_CLEAN, DV_VERDICT_CLEAN, NULL },
		{ "sctp6", 132, 1, DV_VERDICT_LEAK, DV_VERDICT_CLEAN, DV_VERDICT_CLEAN, NULL },
		{ "gre-erspan", 47, 0, DV_VERDICT_LEAK, DV_VERDICT_INCONCLUSIVE, DV_VERDICT_INCONCLUSIVE, "cannot read" },
		{ "proto-99", 99, 0, DV_VERDICT_LEAK, DV_VERDICT_INCONCLUSIVE, DV_VERDICT_INCONCLUSIVE, "cannot read" },
		{ "l2tpv3", 115, 1, DV_VERDICT_LEAK, DV_VERDICT_INCONCLUSIVE, DV_VERDICT_INCONCLUSIVE, "cannot read" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const pcase *c = &cases[i];
		buf f1, f2;
		const char *path;
		/* to a public address: a leak with bytes each way */
		proto_capture(c, PEER, PEER6, "public", &f1, &f2, &path);
		dv_audit *a = audit_file(path, NULL, 0);
		const dv_audit_dest *d = c->v6 ? dest_of(a, 6, PEER6) : dest_of(a, 4, PEER);
		printf("%-12s public: %s (%s)\n", c->name, dv_verdict_name(dv_audit_verdict(a)), d ? d->reasons : "no destination");
		CHECK_EQ(dv_audit_verdict(a), c->to_public);
		CHECK(d != NULL);
		CHECK(d && d->pkts_out == 1 && d->pkts_in == 1 && d->bytes_out == f1.n && d->bytes_in == f2.n);
		CHECK(d && d->verdict == DV_VERDICT_LEAK);
		CHECK(d && d->nprotos == 1 && d->protos[0] == (c->proto == 51 ? 17 : c->proto));
		if (c->reason) CHECK(d && reasons_have(d->reasons, c->reason));
		dv_audit_free(a);
		/* to a local address */
		static const uint8_t LOCAL6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
		proto_capture(c, ROUTER, LOCAL6, "local", &f1, &f2, &path);
		a = audit_file(path, NULL, 0);
		printf("%-12s local:  %s (%s)\n", c->name, dv_verdict_name(dv_audit_verdict(a)), dv_audit_reasons(a));
		CHECK_EQ(dv_audit_verdict(a), c->to_local);
		dv_audit_free(a);
		/* to the public address, allowed by the policy */
		proto_capture(c, PEER, PEER6, "allowed", &f1, &f2, &path);
		a = audit_file(path, allow_policy, 0);
		printf("%-12s allowed: %s (%s)\n", c->name, dv_verdict_name(dv_audit_verdict(a)), dv_audit_reasons(a));
		CHECK_EQ(dv_audit_verdict(a), c->to_allowed);
		dv_audit_free(a);
	}
}

/* ---- encrypted tunnels over UDP/TCP ------------------------------------ */

static void test_vpns(const char *allow_policy)
{
	typedef struct vcase {
		const char *name;
		unsigned proto, sport, dport;
		size_t len;
		uint8_t first[4];
		const char *vpn;
	} vcase;
	static const vcase cases[] = {
		{ "wireguard", 17, 40000, 51820, 148, { 1, 0, 0, 0 }, "WireGuard" },
		{ "wireguard-any-port", 17, 40000, 9999, 148, { 1, 0, 0, 0 }, "WireGuard" },
		{ "esp-in-udp", 17, 4500, 4500, 96, { 0x00, 0x00, 0x12, 0x34 }, "IPsec ESP over UDP" },
		{ "ike", 17, 500, 500, 300, { 0x11, 0x22, 0x33, 0x44 }, "IPsec IKE" },
		{ "openvpn-udp", 17, 40000, 1194, 54, { 7 << 3, 1, 2, 3 }, "OpenVPN" },
		{ "openvpn-tcp", 6, 40000, 1194, 54, { 0, 52, 7 << 3, 1 }, "OpenVPN" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const vcase *c = &cases[i];
		uint8_t pl[400];
		memset(pl, 0x5a, sizeof(pl));
		memcpy(pl, c->first, 4);
		if (!strcmp(c->name, "ike")) pl[17] = 0x20;
		buf l4, ip, fr;
		if (c->proto == 17) udp(&l4, c->sport, c->dport, pl, c->len);
		else tcp(&l4, c->sport, c->dport, pl, c->len);
		ip4(&ip, PHONE, PEER, c->proto, &l4);
		eth(&fr, 0x0800, &ip);
		const buf *frames[] = { &fr };
		const char *path = write_pcap(c->name, 1, frames, 1);
		char want[80];
		snprintf(want, sizeof(want), "content hidden: a VPN (%s) to 45.67.89.10", c->vpn);
		dv_audit *a = audit_file(path, NULL, 0);
		const dv_audit_dest *d = dest_of(a, 4, PEER);
		printf("%-20s %s (%s)\n", c->name, dv_verdict_name(dv_audit_verdict(a)), d ? d->reasons : "-");
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
		CHECK(d && (d->flags & DV_DEST_VPN) && !strcmp(d->hidden_by, c->vpn) && reasons_have(d->reasons, want));
		const dv_flow *f = flow_to(a, 4, PEER, c->proto);
		CHECK(f && (f->flags & DV_FLOW_VPN) && !(f->flags & DV_FLOW_CLEARTEXT));
		dv_audit_free(a);
		a = audit_file(path, allow_policy, 0);
		d = dest_of(a, 4, PEER);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_INCONCLUSIVE);
		CHECK(d && d->verdict == DV_VERDICT_INCONCLUSIVE);
		CHECK(reasons_have(dv_audit_reasons(a), want));
		dv_audit_free(a);
	}
}

/* ---- undecodable links, EtherTypes; verdict order ---------------------- */

static void test_undecodable(void)
{
	buf u, ip, local, fr;
	udp(&u, 40000, 5000, "local", 5);
	ip4(&ip, PHONE, ROUTER, 17, &u);
	eth(&local, 0x0800, &ip);
	/* ARP and LLDP next to local traffic: harmless, clean */
	buf arp = { .n = 0 }, arpf;
	put16(&arp, 1); put16(&arp, 0x0800); put8(&arp, 6); put8(&arp, 4); put16(&arp, 1);
	for (int i = 0; i < 20; i++) put8(&arp, 0);
	eth(&arpf, 0x0806, &arp);
	{
		const buf *frames[] = { &local, &arpf };
		dv_audit *a = audit_file(write_pcap("arp-local", 1, frames, 2), NULL, 0);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_CLEAN);
		dv_audit_free(a);
	}
	/* MACsec (0x88e5) hides its EtherType: inconclusive */
	{
		buf ms = { .n = 0 };
		for (int i = 0; i < 40; i++) put8(&ms, (unsigned)i);
		eth(&fr, 0x88e5, &ms);
		const buf *frames[] = { &local, &fr };
		dv_audit *a = audit_file(write_pcap("macsec", 1, frames, 2), NULL, 0);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_INCONCLUSIVE);
		CHECK(reasons_have(dv_audit_reasons(a), "EtherType the audit cannot read"));
		dv_audit_free(a);
	}
	/* a link type the audit does not decode (USER0 = 147): inconclusive */
	{
		buf x = { .n = 0 };
		put(&x, ip.b, ip.n);
		const buf *frames[] = { &x };
		dv_audit *a = audit_file(write_pcap("user0", 147, frames, 1), NULL, 0);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_INCONCLUSIVE);
		CHECK(reasons_have(dv_audit_reasons(a), "link type the audit does not decode"));
		dv_audit_free(a);
	}
	/* MPLS is walked: the labelled packet to the Internet is a leak */
	{
		buf m = { .n = 0 }, u2, ip2;
		udp(&u2, 40000, 443, "x", 1);
		ip4(&ip2, PHONE, PEER, 17, &u2);
		put32(&m, (100u << 12) | 0x000); put32(&m, (200u << 12) | 0x100 | 64);
		put(&m, ip2.b, ip2.n);
		eth(&fr, 0x8847, &m);
		const buf *frames[] = { &fr };
		dv_audit *a = audit_file(write_pcap("mpls", 1, frames, 1), NULL, 0);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
		CHECK(dest_of(a, 4, PEER) != NULL);
		dv_audit_free(a);
	}
	/* leak > inconclusive: a leak with an unknown protocol beside it stays a
	 * leak and still lists what could not be read */
	{
		buf u2, ip2, leak, raw = { .n = 0 }, ip3, unk;
		udp(&u2, 40000, 443, "x", 1);
		ip4(&ip2, PHONE, PEER, 17, &u2);
		eth(&leak, 0x0800, &ip2);
		put(&raw, "????", 4);
		ip4(&ip3, PHONE, ROUTER, 99, &raw);
		eth(&unk, 0x0800, &ip3);
		const buf *frames[] = { &unk, &leak };
		dv_audit *a = audit_file(write_pcap("order", 1, frames, 2), NULL, 0);
		CHECK_EQ(dv_audit_verdict(a), DV_VERDICT_LEAK);
		CHECK(reasons_have(dv_audit_reasons(a), "IP protocol the audit cannot decode"));
		size_t n;
		const dv_audit_dest *d = dv_audit_dests(a, &n);
		CHECK(n >= 1 && d[0].verdict == DV_VERDICT_LEAK);
		dv_audit_free(a);
	}
}

/* ---- QUIC v2: dronevault's parser against nDPI ------------------------ */

static void hkdf_label(const uint8_t *secret, const char *label, uint8_t *out, size_t n)
{
	uint8_t info[80], t[32], in[32 + 80 + 1];
	size_t ll = strlen(label), il = 0, done = 0, tl = 0;
	info[il++] = 0; info[il++] = (uint8_t)n; info[il++] = (uint8_t)(6 + ll);
	memcpy(info + il, "tls13 ", 6); il += 6;
	memcpy(info + il, label, ll); il += ll;
	info[il++] = 0;
	for (uint8_t i = 1; done < n; i++) {
		unsigned int ml = 32;
		memcpy(in, t, tl);
		memcpy(in + tl, info, il);
		in[tl + il] = i;
		HMAC(EVP_sha256(), secret, 32, in, tl + il + 1, t, &ml);
		tl = 32;
		size_t take = n - done < 32 ? n - done : 32;
		memcpy(out + done, t, take);
		done += take;
	}
}

static int hexeq(const uint8_t *b, size_t n, const char *hex)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || v != b[i]) return 0;
	}
	return 1;
}

/* A QUIC v2 (RFC 9369) client Initial carrying a ClientHello for sni. */
static size_t quic_v2_initial(uint8_t *out, const char *sni)
{
	static const uint8_t salt[20] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	                                  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 };
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	uint8_t initial[32], client[32], key[16], iv[12], hp[16];
	unsigned int ml = 32;
	HMAC(EVP_sha256(), salt, 20, dcid, 8, initial, &ml);
	hkdf_label(initial, "client in", client, 32);
	hkdf_label(client, "quicv2 key", key, 16);
	hkdf_label(client, "quicv2 iv", iv, 12);
	hkdf_label(client, "quicv2 hp", hp, 16);
	/* RFC 9369 Appendix A.1: the client Initial keys for this DCID */
	CHECK(hexeq(key, 16, "8b1a0bc121284290a29e0971b5cd045d"));
	CHECK(hexeq(iv, 12, "91f73e2351d8fa91660e909f"));
	CHECK(hexeq(hp, 16, "45b95e15235d6f45a6b19cbcb0294ba9"));
	uint8_t pt[1200];
	size_t chn = client_hello(pt + 4, sni, 0);
	pt[0] = 0x06; pt[1] = 0x00; pt[2] = (uint8_t)(0x40 | chn >> 8); pt[3] = (uint8_t)chn;
	size_t hl = 1 + 4 + 1 + 8 + 1 + 1 + 2 + 4;
	size_t ptn = 1200 - hl - 16;
	memset(pt + 4 + chn, 0, ptn - 4 - chn); /* PADDING */
	buf h = { .n = 0 };
	put8(&h, 0xc0 | 0x10 | 0x03); put32(&h, 0x6b3343cf); put8(&h, 8); put(&h, dcid, 8); put8(&h, 0); put8(&h, 0);
	put16(&h, 0x4000 | (unsigned)(4 + ptn + 16)); put32(&h, 0);
	memcpy(out, h.b, h.n);
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int l = 0;
	EVP_EncryptInit_ex(cx, EVP_aes_128_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(cx, NULL, &l, h.b, (int)h.n);
	EVP_EncryptUpdate(cx, out + h.n, &l, pt, (int)ptn);
	EVP_EncryptFinal_ex(cx, out + h.n + ptn, &l);
	EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, 16, out + h.n + ptn);
	EVP_CIPHER_CTX_free(cx);
	/* header protection: sample 4 bytes after the packet number's start */
	size_t pn_off = h.n - 4;
	uint8_t mask[32];
	cx = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(cx, EVP_aes_128_ecb(), NULL, hp, NULL);
	EVP_EncryptUpdate(cx, mask, &l, out + pn_off + 4, 16);
	EVP_CIPHER_CTX_free(cx);
	out[0] ^= mask[0] & 0x0f;
	for (int i = 0; i < 4; i++) out[pn_off + i] ^= mask[1 + i];
	return h.n + ptn + 16;
}

static void test_engines(void)
{
	uint8_t q[1300];
	size_t qn = quic_v2_initial(q, "flysafe-api.dji.com");
	CHECK_EQ(qn, 1200);
	buf u, ip, fr;
	udp(&u, 50002, 443, q, qn);
	ip4(&ip, PHONE, DJI, 17, &u);
	eth(&fr, 0x0800, &ip);
	const buf *frames[] = { &fr };
	dv_audit *a = audit_file(write_pcap("quic-v2", 1, frames, 1), NULL, 1);
	const dv_flow *f = flow_to(a, 4, DJI, 17);
	CHECK(f && (f->flags & DV_FLOW_QUIC) && !strcmp(f->sni, "flysafe-api.dji.com"));
	const char *eng = NULL, *app = f ? dv_flow_app(f, &eng) : NULL;
	printf("quic v2: app=%s engine=%s nDPI=%s\n", app ? app : "-", eng ? eng : "-", f && f->app[0] ? f->app : "-");
	CHECK(app && !strncmp(app, "QUIC", 4));
	/* nDPI 4.2 does not know QUIC v2: dronevault's answer is the one reported */
	if (f && (!f->app[0] || strncmp(f->app, "QUIC", 4))) CHECK(eng && !strcmp(eng, "dronevault"));
	char *js = NULL;
	CHECK(dv_audit_to_json(a, &js) == 0);
	json_object *root = js ? json_tokener_parse(js) : NULL, *flows = NULL, *fl0 = NULL, *en = NULL, *v = NULL;
	CHECK(root && json_object_object_get_ex(root, "flows", &flows) && json_object_array_length(flows) == 1);
	fl0 = flows ? json_object_array_get_idx(flows, 0) : NULL;
	CHECK(fl0 && json_object_object_get_ex(fl0, "app_engines", &en));
	CHECK(en && json_object_object_get_ex(en, "dronevault", &v) && !strcmp(json_object_get_string(v), "QUIC"));
	CHECK(en && json_object_object_get_ex(en, "ndpi", &v));
	CHECK(fl0 && json_object_object_get_ex(fl0, "app_protocol", &v) && !strncmp(json_object_get_string(v), "QUIC", 4));
	json_object_put(root);
	free(js);
	/* the HTML report says which engine said what */
	char html[700];
	snprintf(html, sizeof(html), "%s/quic-v2.html", dir);
	CHECK(dv_audit_write_html(a, html) == 0);
	FILE *hf = fopen(html, "r");
	char page[65536];
	size_t pn = hf ? fread(page, 1, sizeof(page) - 1, hf) : 0;
	page[pn] = 0;
	if (hf) fclose(hf);
	CHECK(strstr(page, "dronevault: QUIC, nDPI: ") != NULL);
	dv_audit_free(a);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/audit-tunnels", tmpdir());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) { perror(dir); return 1; }
	char policy[600];
	snprintf(policy, sizeof(policy), "%s/allow.policy", dir);
	FILE *p = fopen(policy, "w");
	if (!p) { perror(policy); return 1; }
	fputs("allow-net 45.67.89.0/24 our VPN and tunnel servers\nallow-net 2a01:4f8::/32 the same, IPv6\n", p);
	fclose(p);
	test_tunnels();
	test_protocols(policy);
	test_vpns(policy);
	test_undecodable();
	test_engines();
	return check_done();
}
