/*
 * audit.c - from frames to flows, names, findings, destinations and the
 * verdict. One pass over the frame sources; everything is bounded.
 *
 * The running state (flow table, names, the destinations of evicted flows,
 * warnings) only ever grows with frames. A snapshot (view) is built from
 * it without changing it: live flows are copied, destinations are the
 * evicted ones plus the live flows, judged and sorted in the view. The
 * final one (dv_audit_finish) is the same without the copies.
 */
#include <stdarg.h>
#include <strings.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "ndpi_adapter.h"
#include "reasm.h"
#include "audit/dns_int.h"
#include "audit/flow_int.h"
#include "audit/http_int.h"
#include "audit/netloc_int.h"
#include "audit/pkt_int.h"
#include "audit/scan_int.h"
#include "audit/code_int.h"
#include "audit/tls_int.h"
#include "audit/tunnel_int.h"
#include "dv/audit.h"
#include "dv/capture.h"
#include "dv/err.h"

#define DEFAULT_MAX_FLOWS 262144
#define MAX_DNSQ 65536
#define MAX_DNSMAP 65536
#define MAX_HELLOS 16384
#define MAX_HTTP 16384
#define MAX_FINDINGS 10000
#define MAX_FINDINGS_PER_FLOW 16
#define MAX_DESTS 65536
#define MAX_QUIC_STATES 256
#define MAX_WARN_LINES 200
#define HELLO_BUF 18432
#define FRAG_SLOTS 1024
#define NDPI_MAX_PKTS 24
#define SCAN_TAIL 32

typedef struct dnsmap_ent {
	uint8_t used, ipver;
	uint8_t addr[16];
	char name[128];
} dnsmap_ent;

typedef struct frag_ent {
	uint8_t used, ipver, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	uint16_t sport, dport;
} frag_ent;

/* Warning lines "file: frame N: text", the first MAX_WARN_LINES kept. */
typedef struct warnbuf {
	char *s;
	size_t len, cap, n, lines;
} warnbuf;

/* Destinations with an open-addressing index (2*cap slots). */
typedef struct dest_set {
	dv_audit_dest *v;
	size_t n, cap;
	uint32_t *idx;
	size_t slots;
} dest_set;

/* A snapshot's results. */
typedef struct view {
	int valid;
	dv_flow *copies;             /* live flows copied (snapshots only) */
	const dv_flow **sorted;      /* by id */
	size_t nsorted;
	dest_set dests;
	dv_audit_stats st;
	warnbuf warn;
	size_t ndnsq, nhellos, nhttp, nfinds; /* list lengths at the snapshot */
	dv_verdict verdict;
	char reasons[1024];
} view;

struct dv_audit {
	dv_audit_opts opts;
	dv_flowtab *ft;
	dv__ndpi *ndpi;
	dv__reasm *reasm;
	dv_netloc *loc;
	char geo_src[256];
	dv__eplist eps;
	dv__policy pol;

	dv_audit_dnsq *dnsq;
	size_t ndnsq, capdnsq;
	uint32_t *dnsq_idx;          /* open addressing, 2*MAX_DNSQ slots, lazily */

	dnsmap_ent *dnsmap;          /* open addressing, power of two */
	size_t ndnsmap, capdnsmap;

	dv_audit_hello *hellos;
	size_t nhellos, caphellos;
	dv_audit_http *http;
	size_t nhttp, caphttp;
	dv_audit_finding *finds;
	size_t nfinds, capfinds;

	dest_set dests;              /* of evicted flows, while running */

	frag_ent frags[FRAG_SLOTS];
	size_t frag_next;

	dv_audit_stats st;
	uint64_t global_frame;
	size_t quic_states;
	uint64_t wlan_protected, ip_packets;
	uint32_t seen_doh, seen_dot, seen_ech;
	uint32_t warned_depth;
	uint16_t undecoded_proto;    /* first IP protocol not decoded, + 1 */

	warnbuf warn;

	int finished;
	view view;
};

const char *dv_verdict_name(dv_verdict v)
{
	switch (v) {
	case DV_VERDICT_CLEAN: return "clean";
	case DV_VERDICT_LEAK: return "leak";
	case DV_VERDICT_INCONCLUSIVE: return "inconclusive";
	}
	return "?";
}

/* Bounded string copy that always terminates (truncation is intended). */
static void copystr(char *dst, size_t size, const char *src)
{
	size_t l = strlen(src);
	if (l >= size) l = size - 1;
	memcpy(dst, src, l);
	dst[l] = 0;
}

static void *vec_push(void *vp, size_t *n, size_t *cap, size_t el, size_t max)
{
	void **v = vp;
	if (*n >= max) return NULL;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		if (nc > max) nc = max;
		void *nv = realloc(*v, nc * el);
		if (!nv) return NULL;
		*v = nv;
		*cap = nc;
	}
	void *slot = (char *)*v + (*n)++ * el;
	memset(slot, 0, el);
	return slot;
}

static void wb_vadd(warnbuf *w, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void wb_vadd(warnbuf *w, const char *fmt, va_list ap)
{
	w->n++;
	if (w->lines >= MAX_WARN_LINES) return;
	char line[600];
	int l = vsnprintf(line, sizeof(line), fmt, ap);
	if (l < 0) return;
	if ((size_t)l >= sizeof(line)) l = sizeof(line) - 1;
	if (w->len + (size_t)l + 2 > w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 4096;
		while (nc < w->len + (size_t)l + 2) nc *= 2;
		char *n = realloc(w->s, nc);
		if (!n) return;
		w->s = n;
		w->cap = nc;
	}
	memcpy(w->s + w->len, line, (size_t)l);
	w->len += (size_t)l;
	w->s[w->len++] = '\n';
	w->s[w->len] = 0;
	w->lines++;
}

static void wb_add(warnbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wb_add(warnbuf *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	wb_vadd(w, fmt, ap);
	va_end(ap);
}

static void warnf(dv_audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(dv_audit *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	wb_vadd(&a->warn, fmt, ap);
	va_end(ap);
}

static int wb_copy(warnbuf *dst, const warnbuf *src)
{
	*dst = *src;
	dst->s = NULL;
	dst->cap = 0;
	if (!src->s) return 0;
	dst->s = malloc(src->cap);
	if (!dst->s) return -1;
	memcpy(dst->s, src->s, src->len + 1);
	dst->cap = src->cap;
	return 0;
}

/* ---- destinations ---------------------------------------------------- */

static uint64_t addr_hash(int ipver, const uint8_t *addr)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)ipver;
	for (int i = 0; i < 16; i++) h = (h ^ addr[i]) * 1099511628211ull;
	return h ^ (h >> 31);
}

static void reindex_dests(dest_set *ds)
{
	memset(ds->idx, 0xff, ds->slots * sizeof(uint32_t));
	for (size_t i = 0; i < ds->n; i++) {
		size_t s = addr_hash(ds->v[i].ipver, ds->v[i].addr) & (ds->slots - 1);
		while (ds->idx[s] != UINT32_MAX) s = (s + 1) & (ds->slots - 1);
		ds->idx[s] = (uint32_t)i;
	}
}

static int dest_grow(dest_set *ds)
{
	size_t nc = ds->cap ? ds->cap * 2 : 256;
	if (nc > MAX_DESTS) nc = MAX_DESTS;
	dv_audit_dest *nd = realloc(ds->v, nc * sizeof(*nd));
	if (!nd) return -1;
	ds->v = nd;
	ds->cap = nc;
	size_t slots = nc * 2;
	uint32_t *idx = malloc(slots * sizeof(uint32_t));
	if (!idx) return -1;
	free(ds->idx);
	ds->idx = idx;
	ds->slots = slots;
	reindex_dests(ds);
	return 0;
}

static void dest_dispose(dest_set *ds)
{
	free(ds->v);
	free(ds->idx);
	memset(ds, 0, sizeof(*ds));
}

static int dest_copy(dest_set *dst, const dest_set *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->v = malloc((src->cap ? src->cap : 1) * sizeof(*dst->v));
	dst->idx = malloc((src->slots ? src->slots : 1) * sizeof(uint32_t));
	if (!dst->v || !dst->idx) {
		dest_dispose(dst);
		return -1;
	}
	if (src->n) memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	if (src->slots) memcpy(dst->idx, src->idx, src->slots * sizeof(uint32_t));
	dst->n = src->n;
	dst->cap = src->cap;
	dst->slots = src->slots;
	return 0;
}

static const dv_audit_dest *dest_find(const dest_set *ds, int ipver, const uint8_t *key)
{
	if (!ds->slots) return NULL;
	size_t s = addr_hash(ipver, key) & (ds->slots - 1);
	while (ds->idx[s] != UINT32_MAX) {
		const dv_audit_dest *d = &ds->v[ds->idx[s]];
		if (d->ipver == ipver && !memcmp(d->addr, key, 16)) return d;
		s = (s + 1) & (ds->slots - 1);
	}
	return NULL;
}

/* The destination for an address, created if new; over the cap the last
 * slot takes it (counted in *dropped). */
static dv_audit_dest *dest_get(dest_set *ds, uint64_t *dropped, int ipver, const uint8_t *addr)
{
	uint8_t key[16] = { 0 };
	memcpy(key, addr, ipver == 6 ? 16 : 4);
	dv_audit_dest *found = (dv_audit_dest *)dest_find(ds, ipver, key);
	if (found) return found;
	if (ds->n == ds->cap) {
		if (ds->cap >= MAX_DESTS || dest_grow(ds) < 0) {
			/* over the cap: fold into the last slot, reported as such */
			(*dropped)++;
			return ds->n ? &ds->v[ds->n - 1] : NULL;
		}
	}
	dv_audit_dest *d = &ds->v[ds->n];
	memset(d, 0, sizeof(*d));
	d->ipver = (uint8_t)ipver;
	memcpy(d->addr, key, 16);
	d->first_ns = INT64_MAX;
	d->last_ns = INT64_MIN;
	size_t s = addr_hash(ipver, key) & (ds->slots - 1);
	while (ds->idx[s] != UINT32_MAX) s = (s + 1) & (ds->slots - 1);
	ds->idx[s] = (uint32_t)ds->n++;
	return d;
}

static void dest_add_name(dv_audit_dest *d, const char *name)
{
	if (!name || !name[0]) return;
	for (unsigned i = 0; i < d->nnames; i++)
		if (!strcmp(d->names[i], name)) return;
	if (d->nnames < DV_DEST_NAMES)
		copystr(d->names[d->nnames++], sizeof(d->names[0]), name);
}

/* ---- DNS map: address -> the name that was asked for ---------------- */

static dnsmap_ent *dnsmap_find(const dv_audit *a, int ipver, const uint8_t *addr)
{
	if (!a->capdnsmap) return NULL;
	size_t n = ipver == 6 ? 16 : 4;
	size_t s = addr_hash(ipver, addr) & (a->capdnsmap - 1);
	while (a->dnsmap[s].used) {
		if (a->dnsmap[s].ipver == ipver && !memcmp(a->dnsmap[s].addr, addr, n)) return &a->dnsmap[s];
		s = (s + 1) & (a->capdnsmap - 1);
	}
	return NULL;
}

static void dnsmap_put(dv_audit *a, int ipver, const uint8_t *addr16, const char *name)
{
	uint8_t addr[16] = { 0 };
	size_t n = ipver == 6 ? 16 : 4;
	memcpy(addr, addr16, n);
	dnsmap_ent *e = dnsmap_find(a, ipver, addr);
	if (e) {
		copystr(e->name, sizeof(e->name), name);
		return;
	}
	if (a->ndnsmap >= MAX_DNSMAP) {
		a->st.names_dropped++;
		return;
	}
	if ((a->ndnsmap + 1) * 2 > a->capdnsmap) {
		size_t nc = a->capdnsmap ? a->capdnsmap * 2 : 1024;
		dnsmap_ent *nm = calloc(nc, sizeof(*nm));
		if (!nm) return;
		for (size_t i = 0; i < a->capdnsmap; i++) {
			if (!a->dnsmap[i].used) continue;
			size_t s = addr_hash(a->dnsmap[i].ipver, a->dnsmap[i].addr) & (nc - 1);
			while (nm[s].used) s = (s + 1) & (nc - 1);
			nm[s] = a->dnsmap[i];
		}
		free(a->dnsmap);
		a->dnsmap = nm;
		a->capdnsmap = nc;
	}
	size_t s = addr_hash(ipver, addr) & (a->capdnsmap - 1);
	while (a->dnsmap[s].used) s = (s + 1) & (a->capdnsmap - 1);
	e = &a->dnsmap[s];
	e->used = 1;
	e->ipver = (uint8_t)ipver;
	memcpy(e->addr, addr, 16);
	copystr(e->name, sizeof(e->name), name);
	a->ndnsmap++;
}

static void dnsq_add(dv_audit *a, const char *qname, uint16_t qtype)
{
	const size_t slots = 2 * MAX_DNSQ;
	if (!a->dnsq_idx) {
		a->dnsq_idx = malloc(slots * sizeof(uint32_t));
		if (!a->dnsq_idx) return;
		memset(a->dnsq_idx, 0xff, slots * sizeof(uint32_t));
	}
	uint64_t h = 1469598103934665603ull ^ qtype;
	for (const char *c = qname; *c; c++) h = (h ^ (uint8_t)*c) * 1099511628211ull;
	size_t s = (h ^ (h >> 29)) & (slots - 1);
	while (a->dnsq_idx[s] != UINT32_MAX) {
		dv_audit_dnsq *q = &a->dnsq[a->dnsq_idx[s]];
		if (q->qtype == qtype && !strcmp(q->qname, qname)) {
			q->count++;
			return;
		}
		s = (s + 1) & (slots - 1);
	}
	dv_audit_dnsq *q = vec_push(&a->dnsq, &a->ndnsq, &a->capdnsq, sizeof(*q), MAX_DNSQ);
	if (!q) { a->st.names_dropped++; return; }
	copystr(q->qname, sizeof(q->qname), qname);
	q->qtype = qtype;
	q->count = 1;
	a->dnsq_idx[s] = (uint32_t)(a->ndnsq - 1);
}

/* ---- per-packet analysis ------------------------------------------- */

static const char *const doh_names[] = {
	"cloudflare-dns.com", "mozilla.cloudflare-dns.com", "chrome.cloudflare-dns.com",
	"1dot1dot1dot1.cloudflare-dns.com", "one.one.one.one", "security.cloudflare-dns.com",
	"family.cloudflare-dns.com", "dns.google", "dns.google.com", "dns64.dns.google",
	"dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net",
	"doh.opendns.com", "doh.familyshield.opendns.com", "dns.nextdns.io", "doh.cleanbrowsing.org",
	"dns.adguard.com", "dns.adguard-dns.com", "doh.mullvad.net", "dns.alidns.com",
	"doh.pub", "doh.360.cn", "dns.twnic.tw", "doh.dns.sb", "dns.controld.com",
	"doh.xfinity.com", "doh-fi.blahdns.com", "dns.switch.ch", NULL
};

static int is_doh_name(const char *n)
{
	for (int i = 0; doh_names[i]; i++)
		if (!strcasecmp(n, doh_names[i])) return 1;
	static const char sfx[] = ".cloudflare-dns.com";
	size_t l = strlen(n), sl = sizeof(sfx) - 1;
	return l > sl && !strcasecmp(n + l - sl, sfx);
}

/* Public resolvers that answer DNS over HTTPS on their anycast addresses. */
static int is_doh_addr(int ipver, const uint8_t *a)
{
	static const uint8_t v4[][4] = { { 1, 1, 1, 1 }, { 1, 0, 0, 1 }, { 8, 8, 8, 8 }, { 8, 8, 4, 4 },
		{ 9, 9, 9, 9 }, { 149, 112, 112, 112 }, { 208, 67, 222, 222 }, { 208, 67, 220, 220 },
		{ 94, 140, 14, 14 }, { 94, 140, 15, 15 }, { 223, 5, 5, 5 }, { 223, 6, 6, 6 } };
	static const uint8_t v6[][16] = {
		{ 0x26, 0x06, 0x47, 0x00, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11 },
		{ 0x26, 0x06, 0x47, 0x00, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x01 },
		{ 0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x88 },
		{ 0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x44 },
		{ 0x26, 0x20, 0x00, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xfe } };
	if (ipver == 4) {
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if (!memcmp(a, v4[i], 4)) return 1;
	} else {
		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
			if (!memcmp(a, v6[i], 16)) return 1;
	}
	return 0;
}

static void record_hello(dv_audit *a, dv_flow *f, int dir, const dv_pkt *pk, uint64_t frame,
                         int kind, const dv_hello *h)
{
	if (!f->sni[0] && h->has_sni) copystr(f->sni, sizeof(f->sni), h->sni);
	if (!f->alpn[0] && h->alpn[0]) copystr(f->alpn, sizeof(f->alpn), h->alpn);
	if (h->has_sni && !h->sni[0]) f->flags |= DV_FLOW_NOSNI;
	if (!h->has_sni) f->flags |= DV_FLOW_NOSNI;
	f->flags |= kind == DV_HELLO_TLS ? DV_FLOW_TLS : kind == DV_HELLO_QUIC ? DV_FLOW_QUIC : DV_FLOW_GQUIC;
	if (h->has_ech || h->has_esni) {
		f->flags |= DV_FLOW_ECH;
		a->seen_ech++;
	}
	if (h->has_sni && is_doh_name(h->sni)) {
		f->flags |= DV_FLOW_DOH;
		a->seen_doh++;
	}
	(void)dir;
	dv_audit_hello *e = vec_push(&a->hellos, &a->nhellos, &a->caphellos, sizeof(*e), MAX_HELLOS);
	if (!e) { a->st.names_dropped++; return; }
	e->kind = (uint8_t)kind;
	e->ipver = pk->ipver;
	e->ech = (uint8_t)(h->has_ech || h->has_esni);
	memcpy(e->src, pk->src, 16);
	memcpy(e->dst, pk->dst, 16);
	e->sport = pk->sport;
	e->dport = pk->dport;
	e->frame = frame;
	e->flow_id = f->id;
	copystr(e->sni, sizeof(e->sni), h->sni);
	copystr(e->alpn, sizeof(e->alpn), h->alpn);
}

static void tcp_hello(dv_audit *a, dv_flow *f, int dir, const dv_pkt *pk, uint64_t frame)
{
	dv_hello h;
	const uint8_t *p = pk->payload;
	size_t n = pk->payload_cap;
	if (f->hello) {
		/* continuing a ClientHello cut across segments: in order only */
		if (pk->tcp_seq != f->hello_next_seq) return;
		size_t room = HELLO_BUF - f->hello_len;
		size_t take = n < room ? n : room;
		memcpy(f->hello + f->hello_len, p, take);
		f->hello_len = (uint16_t)(f->hello_len + take);
		f->hello_next_seq += (uint32_t)n;
		int rc = dv_tls_parse_records(f->hello, f->hello_len, &h);
		if (rc == DV_ETRUNC && take == n && f->hello_len < HELLO_BUF) return;
		if (rc == 0) record_hello(a, f, dir, pk, frame, DV_HELLO_TLS, &h);
		free(f->hello);
		f->hello = NULL;
		f->hello_done = 1;
		return;
	}
	f->hello_done = 1;
	if (!dv_tls_looks_like_handshake(p, n)) return;
	int rc = dv_tls_parse_records(p, n, &h);
	if (rc == 0) {
		record_hello(a, f, dir, pk, frame, DV_HELLO_TLS, &h);
	} else if (rc == DV_ETRUNC && n < HELLO_BUF && pk->payload_cap == pk->l4_len) {
		f->hello = malloc(HELLO_BUF);
		if (!f->hello) return;
		memcpy(f->hello, p, n);
		f->hello_len = (uint16_t)n;
		f->hello_next_seq = pk->tcp_seq + (uint32_t)n;
		f->hello_done = 0;
		f->flags |= DV_FLOW_TLS;
	}
}

static void udp_hello(dv_audit *a, dv_flow *f, int dir, const dv_pkt *pk, uint64_t frame)
{
	dv_hello h;
	const uint8_t *p = pk->payload;
	size_t n = pk->payload_cap;
	if (dv_quic_is_initial(p, n) && (dir == f->client || n >= 1200)) {
		dv_quic_state *st = (dv_quic_state *)(void *)f->hello;
		if (!st) {
			if (a->quic_states >= MAX_QUIC_STATES) return;
			st = calloc(1, sizeof(*st));
			if (!st) return;
			f->hello = (uint8_t *)st;
			a->quic_states++;
		}
		f->flags |= DV_FLOW_QUIC;
		int rc = dv_quic_add_datagram(st, p, n);
		if (rc > 0 && dv_quic_hello(st, &h) == 0) {
			record_hello(a, f, dir, pk, frame, DV_HELLO_QUIC, &h);
			free(f->hello);
			f->hello = NULL;
			a->quic_states--;
			f->hello_done = 1;
		}
		return;
	}
	if (dv_gquic_parse_chlo(p, n, &h) == 0) {
		record_hello(a, f, dir, pk, frame, DV_HELLO_GQUIC, &h);
		/* gQUIC repeats the CHLO after a REJ; keep listing them (tshark does) */
	}
}

static void handle_dns(dv_audit *a, dv_flow *f, const uint8_t *p, size_t n)
{
	static _Thread_local dv_dns_msg m;
	f->flags |= DV_FLOW_DNS;
	if (dv_dns_parse(p, n, &m) < 0) return;
	if (!dv_dns_is_response(&m)) {
		if (m.qdcount > 0) dnsq_add(a, m.qname, m.qtype);
		return;
	}
	for (unsigned i = 0; i < m.nans; i++) {
		const dv_dns_rr *rr = &m.ans[i];
		if (rr->type == 1) dnsmap_put(a, 4, rr->addr, m.qname[0] ? m.qname : rr->name);
		else if (rr->type == 28) dnsmap_put(a, 6, rr->addr, m.qname[0] ? m.qname : rr->name);
	}
}

static void handle_http(dv_audit *a, dv_flow *f, const dv_pkt *pk, uint64_t frame)
{
	dv_http_req r;
	if (dv_http_parse_request(pk->payload, pk->payload_cap, &r) != 0) return;
	f->flags |= DV_FLOW_HTTP;
	if (!f->http_host[0] && r.host[0]) copystr(f->http_host, sizeof(f->http_host), r.host);
	if (!f->http_url[0]) {
		char u[sizeof(r.method) + sizeof(r.uri) + 1];
		size_t ml = strlen(r.method);
		memcpy(u, r.method, ml);
		u[ml] = ' ';
		copystr(u + ml + 1, sizeof(u) - ml - 1, r.uri);
		copystr(f->http_url, sizeof(f->http_url), u);
	}
	if (r.host[0] && is_doh_name(r.host)) { f->flags |= DV_FLOW_DOH; a->seen_doh++; }
	dv_audit_http *e = vec_push(&a->http, &a->nhttp, &a->caphttp, sizeof(*e), MAX_HTTP);
	if (!e) { a->st.names_dropped++; return; }
	e->ipver = pk->ipver;
	e->proto = pk->proto;
	memcpy(e->src, pk->src, 16);
	memcpy(e->dst, pk->dst, 16);
	e->sport = pk->sport;
	e->dport = pk->dport;
	e->frame = frame;
	e->flow_id = f->id;
	copystr(e->method, sizeof(e->method), r.method);
	copystr(e->host, sizeof(e->host), r.host);
	copystr(e->uri, sizeof(e->uri), r.uri);
}

int dv_audit_flow_remote(const dv_flow *f)
{
	int e0 = dv_addr_scope(f->ipver, f->addr[0]) == DV_SCOPE_EXTERNAL;
	int e1 = dv_addr_scope(f->ipver, f->addr[1]) == DV_SCOPE_EXTERNAL;
	if (e0 && !e1) return 0;
	if (e1 && !e0) return 1;
	return dv_flow_server(f);
}

/* Records one content finding on flow f (sent by the local side). */
static void add_finding(dv_audit *a, dv_flow *f, uint64_t frame, const dv_scan_hit *h, int spans, uint32_t seq)
{
	if (f->scan_hits >= MAX_FINDINGS_PER_FLOW) return;
	if (f->proto == 6 && f->last_hit_set && (int32_t)(seq - f->last_hit_seq) <= 0 && !spans) {
		/* a retransmitted segment: already reported */
		return;
	}
	dv_audit_finding *e = vec_push(&a->finds, &a->nfinds, &a->capfinds, sizeof(*e), MAX_FINDINGS);
	if (!e) { a->st.names_dropped++; return; }
	e->flow_id = f->id;
	e->frame = frame;
	e->outbound = 1;
	e->spans_segments = (uint8_t)spans;
	e->hit = *h;
	f->scan_hits++;
	f->scan_hits_out++;
	f->flags |= DV_FLOW_CONTENT;
	if (f->proto == 6) {
		f->last_hit_seq = seq;
		f->last_hit_set = 1;
	}
}

static void scan_payload(dv_audit *a, dv_flow *f, int dir, const dv_pkt *pk, uint64_t frame)
{
	dv_scan_hit hits[8];
	if (f->flags & (DV_FLOW_TLS | DV_FLOW_QUIC | DV_FLOW_GQUIC)) return;
	const uint8_t *p = pk->payload;
	size_t n = pk->payload_cap;
	if (n >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03 && p[2] <= 0x04) return; /* TLS record */
	f->flags |= DV_FLOW_CLEARTEXT;
	if (f->scan_hits >= MAX_FINDINGS_PER_FLOW) return;
	/* Only what the local side sends can leak: received content is not
	 * scanned (it also keeps the scanner off large downloads). */
	int outbound = dir != dv_audit_flow_remote(f);
	if (!outbound) {
		/* downloads of code (issue 13): the start of an HTTP response body */
		dv_scan_hit ch;
		if (f->code_in < 4 && dv__code_magic(p, n, &ch)) {
			dv_audit_finding *e = vec_push(&a->finds, &a->nfinds, &a->capfinds, sizeof(*e), MAX_FINDINGS);
			if (!e) { a->st.names_dropped++; return; }
			*e = (dv_audit_finding){ .flow_id = f->id, .frame = frame, .outbound = 0, .hit = ch };
			f->code_in++;
		}
		return;
	}
	size_t k = dv_scan_payload(p, n, hits, 8);
	for (size_t i = 0; i < k; i++)
		add_finding(a, f, frame, &hits[i], 0, pk->proto == 6 ? pk->tcp_seq + (uint32_t)hits[i].offset : 0);

	/* TCP: what straddles the previous in-order segment and this one. The
	 * last SCAN_TAIL bytes of that segment plus the first SCAN_TAIL of this
	 * are scanned again; only hits starting in the old part count (those in
	 * the new part were found above), and never one already reported. */
	if (pk->proto != 6) return;
	if (f->tail_len && pk->tcp_seq == f->tail_next_seq && f->scan_hits < MAX_FINDINGS_PER_FLOW) {
		uint8_t win[2 * SCAN_TAIL];
		size_t take = n < SCAN_TAIL ? n : SCAN_TAIL;
		memcpy(win, f->tail, f->tail_len);
		memcpy(win + f->tail_len, p, take);
		k = dv_scan_payload(win, f->tail_len + take, hits, 8);
		for (size_t i = 0; i < k; i++) {
			if (hits[i].offset >= f->tail_len) continue;
			uint32_t at = f->tail_next_seq - f->tail_len + (uint32_t)hits[i].offset;
			if (f->last_hit_set && (int32_t)(at - f->last_hit_seq) <= 0) continue;
			hits[i].offset = 0;
			add_finding(a, f, frame, &hits[i], 1, at);
		}
	}
	size_t keep = n < SCAN_TAIL ? n : SCAN_TAIL;
	if (pk->payload_cap == pk->l4_len && keep) {
		memcpy(f->tail, p + n - keep, keep);
		f->tail_len = (uint8_t)keep;
		f->tail_next_seq = pk->tcp_seq + (uint32_t)n;
	} else {
		f->tail_len = 0;
	}
}

static void frag_remember(dv_audit *a, const dv_pkt *pk)
{
	frag_ent *e = &a->frags[a->frag_next++ % FRAG_SLOTS];
	e->used = 1;
	e->ipver = pk->ipver;
	e->proto = pk->proto;
	memcpy(e->src, pk->src, 16);
	memcpy(e->dst, pk->dst, 16);
	e->id = pk->frag_id;
	e->sport = pk->sport;
	e->dport = pk->dport;
}

static int frag_lookup(const dv_audit *a, dv_pkt *pk)
{
	for (size_t i = 0; i < FRAG_SLOTS; i++) {
		const frag_ent *e = &a->frags[i];
		if (e->used && e->ipver == pk->ipver && e->proto == pk->proto && e->id == pk->frag_id &&
		    !memcmp(e->src, pk->src, 16) && !memcmp(e->dst, pk->dst, 16)) {
			pk->sport = e->sport;
			pk->dport = e->dport;
			return 1;
		}
	}
	return 0;
}

static void on_evict(dv_flow *f, void *payload);

/* Names and content from one packet's (or reassembled datagram's) payload. */
static void analyse(dv_audit *a, dv_flow *f, int dir, const dv_pkt *pk, uint64_t frame)
{
	if (pk->payload_cap == 0) return;
	if (pk->proto == 17 && (pk->sport == 53 || pk->dport == 53)) {
		handle_dns(a, f, pk->payload, pk->payload_cap);
		return;
	}
	if (pk->proto == 6 && (pk->sport == 53 || pk->dport == 53) && pk->payload_cap > 2) {
		size_t l = (size_t)pk->payload[0] << 8 | pk->payload[1];
		if (l <= pk->payload_cap - 2) handle_dns(a, f, pk->payload + 2, l);
		return;
	}
	if (pk->sport == 853 || pk->dport == 853) {
		if (!(f->flags & DV_FLOW_DOT)) a->seen_dot++;
		f->flags |= DV_FLOW_DOT;
	}
	if (pk->proto == 6) {
		if (!f->hello_done && dir == f->client) tcp_hello(a, f, dir, pk, frame);
		handle_http(a, f, pk, frame);
	} else {
		if (!f->hello_done) udp_hello(a, f, dir, pk, frame);
		if (pk->sport == 1900 || pk->dport == 1900) handle_http(a, f, pk, frame);
	}
	scan_payload(a, f, dir, pk, frame);
}

/* A dv_pkt for a reassembled transport datagram dg[0..dl). */
static int reassembled_pkt(const dv_pkt *frag, const uint8_t *dg, size_t dl, dv_pkt *out)
{
	*out = *frag;
	out->flags &= ~(uint32_t)(DV_PKT_FRAG | DV_PKT_FRAG_FIRST | DV_PKT_FRAG_MORE | DV_PKT_SNAPCUT);
	size_t hl;
	if (frag->proto == 17) {
		if (dl < 8) return DV_ETRUNC;
		hl = 8;
	} else if (frag->proto == 6) {
		if (dl < 20) return DV_ETRUNC;
		hl = (size_t)(dg[12] >> 4) * 4;
		if (hl < 20 || hl > dl) return DV_EINVAL;
		out->tcp_seq = (uint32_t)dg[4] << 24 | (uint32_t)dg[5] << 16 | (uint32_t)dg[6] << 8 | dg[7];
		out->tcp_flags = dg[13];
	} else {
		return DV_EUNSUPPORTED;
	}
	out->sport = (uint16_t)(dg[0] << 8 | dg[1]);
	out->dport = (uint16_t)(dg[2] << 8 | dg[3]);
	out->payload = dg + hl;
	out->payload_cap = out->l4_len = (uint32_t)(dl - hl);
	return 0;
}

/* The tunnel an inner packet came through (NULL for the outer packet). */
typedef dv_flow_zone via;

static void process_pkt(dv_audit *a, int lt, int rc, dv_pkt *pk, const dv_frame *fr, const char *name, uint32_t wirelen,
                        const via *v);

/*
 * Opens the tunnel pk may carry (after pk was counted on flow f). Returns 1
 * when pk was a tunnel packet (its payload is the inner packet: not to be
 * analysed as the flow's own content), else 0.
 */
static int open_tunnel(dv_audit *a, dv_flow *f, const dv_pkt *pk, const dv_frame *fr, const char *name, const via *v)
{
	dv_tunnel t;
	int tr = dv_tunnel_find(pk, &t);
	if (tr == 0) return 0;
	if (tr < 0) {
		a->st.tunnel_undecoded++;
		f->flags |= DV_FLOW_UNDECODED;
		return 1;
	}
	f->flags |= DV_FLOW_TUNNEL;
	if (!f->carries) f->carries = (uint8_t)t.kind;
	unsigned depth = v ? v->depth : 0;
	if (depth + 1 > DV_TUNNEL_MAX_DEPTH) {
		a->st.tunnel_undecoded++;
		f->flags |= DV_FLOW_UNDECODED;
		if (!a->warned_depth++)
			warnf(a, "%s: frame %llu: tunnels nested deeper than %d are not opened", name, (unsigned long long)fr->number,
			      DV_TUNNEL_MAX_DEPTH);
		return 1;
	}
	f->inner_pkts++;
	a->st.tunnel_packets++;
	via nv = { .depth = (uint8_t)(depth + 1), .kind = (uint8_t)t.kind, .ipver = f->ipver,
	           .has_key = t.has_key, .key = t.key };
	memcpy(nv.peer, f->addr[dv_audit_flow_remote(f)], 16);
	dv_pkt in;
	int irc = dv_pkt_decode(t.inner_link, t.inner, t.inner_cap, name, &in);
	process_pkt(a, t.inner_link, irc, &in, fr, name, t.inner_len, &nv);
	return 1;
}

static void process_pkt(dv_audit *a, int lt, int rc, dv_pkt *pkp, const dv_frame *fr, const char *name, uint32_t wirelen,
                        const via *v)
{
	dv_pkt pk = *pkp;
	if (rc == DV_EUNSUPPORTED) {
		if (pk.flags & DV_PKT_WLAN_PROTECTED) a->wlan_protected++;
		if (pk.flags & DV_PKT_UNKNOWN_L2) a->st.l2_undecoded++;
		if (v) return; /* non-IP inside a tunnel (ARP over GRE/VXLAN ...) */
		if (!dv_pkt_linktype_supported(lt)) a->st.unsupported_link++;
		else a->st.non_ip++;
		return;
	}
	if (rc < 0) {
		a->st.damaged++;
		if (v)
			warnf(a, "%s: frame %llu: inside a %s tunnel: %s", name, (unsigned long long)fr->number, dv_tunnel_name(v->kind),
			      dv_error_last()->message);
		else
			warnf(a, "%s: frame %llu: %s", name, (unsigned long long)fr->number, dv_error_last()->message);
		/* Still counted: when the addresses could be read, the frame goes
		 * to a port-0 flow between them, so its bytes reach the destination. */
		if (pk.ipver == 0) return;
		pk.has_ports = 0;
		pk.sport = pk.dport = 0;
		pk.l4_len = pk.ip_payload_len;
		pk.payload = NULL;
		pk.payload_cap = 0;
		pk.flags &= ~(uint32_t)DV_PKT_FRAG;
	}
	a->ip_packets++;
	if (pk.flags & DV_PKT_SNAPCUT) a->st.snapcut++;
	int ported = pk.proto == 6 || pk.proto == 17 || pk.proto == 136 || pk.proto == 132;
	if (pk.proto != 6 && pk.proto != 17) a->st.ip_other++;
	if (pk.flags & DV_PKT_FRAG) {
		a->st.fragments++;
		if (pk.has_ports) {
			frag_remember(a, &pk);
		} else if (ported && frag_lookup(a, &pk)) {
			pk.has_ports = 1;
			pk.l4_len = pk.ip_payload_len;
			pk.payload = NULL;
			pk.payload_cap = 0;
		} else if (ported) {
			/* a fragment before its first part: counted on a port-0 flow */
			pk.has_ports = 1;
			pk.sport = pk.dport = 0;
			pk.l4_len = pk.ip_payload_len;
			pk.payload = NULL;
			pk.payload_cap = 0;
		}
	}
	if (!pk.has_ports) {
		/* ICMP, GRE, ESP, any other protocol (or a damaged header): a flow
		 * between the two addresses, so every byte reaches a destination */
		pk.sport = pk.dport = 0;
	}
	int dir = 0;
	dv_flow *f = dv_flowtab_get(a->ft, &pk, v, fr->ts_ns, a->global_frame, &dir);
	if (!f) {
		warnf(a, "%s: frame %llu: out of memory for the flow table", name, (unsigned long long)fr->number);
		return;
	}
	dv_flow_count(f, dir, &pk, wirelen, fr->ts_ns);
	if (pk.proto != 6 && pk.proto != 17 && !dv_ip_proto_known(pk.proto)) {
		a->st.ip_undecoded++;
		if (!a->undecoded_proto) a->undecoded_proto = (uint16_t)(pk.proto + 1);
		f->flags |= DV_FLOW_UNDECODED;
	}
	if (f->pkts[0] + f->pkts[1] <= 16 && !(f->flags & DV_FLOW_VPN)) {
		dv_vpn_kind k = dv_vpn_detect(&pk);
		if (k) {
			f->flags |= DV_FLOW_VPN;
			f->vpn = (uint8_t)k;
		}
	}
	if (f->pkts[0] + f->pkts[1] == 1) {
		int r = dv_audit_flow_remote(f);
		if (f->port[r] == 443 && is_doh_addr(f->ipver, f->addr[r])) {
			f->flags |= DV_FLOW_DOH; /* a resolver's address on 443: DNS over HTTPS */
			a->seen_doh++;
		}
	}
	if (a->ndpi && !f->app[0] && pk.l3 && !(pk.flags & DV_PKT_FRAG) && f->ndpi_pkts < NDPI_MAX_PKTS) {
		if (!f->ndpi) f->ndpi = dv__ndpi_flow_new(a->ndpi);
		if (f->ndpi) {
			f->ndpi_pkts++;
			if (dv__ndpi_packet(a->ndpi, f->ndpi, pk.l3, pk.l3_cap, fr->ts_ns, f->ndpi_pkts >= NDPI_MAX_PKTS,
			                    f->app, sizeof(f->app), f->app_category, sizeof(f->app_category))) {
				dv__ndpi_flow_free(f->ndpi);
				f->ndpi = NULL;
			}
		}
	}
	if (pk.flags & DV_PKT_FRAG) {
		/* the pieces are counted above; their content is analysed once whole */
		const uint8_t *dg;
		size_t dl;
		dv_pkt whole;
		if (ported && a->reasm && dv__reasm_add(a->reasm, &pk, &dg, &dl) == 1 && reassembled_pkt(&pk, dg, dl, &whole) == 0) {
			a->st.fragments_reassembled++;
			if (dv_tunnel_maybe(&whole) && open_tunnel(a, f, &whole, fr, name, v)) return;
			analyse(a, f, dir, &whole, a->global_frame);
		}
		return;
	}
	if (dv_tunnel_maybe(&pk)) {
		if (open_tunnel(a, f, &pk, fr, name, v) || pk.proto != 17) return;
	} else if (pk.proto != 6 && pk.proto != 17 && pk.proto != 136) {
		return; /* ICMP, ESP, SCTP ...: counted, no names or content read */
	}
	if (f->flags & DV_FLOW_VPN) return; /* encrypted: no names, no cleartext */
	analyse(a, f, dir, &pk, a->global_frame);
}

void dv_audit_add_frame(dv_audit *a, int lt, const dv_frame *fr, const char *name)
{
	dv_pkt pk;
	if (a->finished) return; /* the final snapshot points at the live flows */
	a->global_frame++;
	a->st.frames++;
	a->st.frame_bytes += fr->wirelen;
	if (a->st.first_ns == 0 || fr->ts_ns < a->st.first_ns) a->st.first_ns = fr->ts_ns;
	if (fr->ts_ns > a->st.last_ns) a->st.last_ns = fr->ts_ns;
	int rc = dv_pkt_decode(lt, fr->data, fr->caplen, name, &pk);
	process_pkt(a, lt, rc, &pk, fr, name, fr->wirelen, NULL);
}

int dv_audit_add_source(dv_audit *a, dv_capture *c)
{
	const char *name = dv_capture_name(c);
	int lt = dv_capture_linktype(c);
	if (lt < 0) return lt;
	a->st.files++;
	if (!dv_pkt_linktype_supported(lt))
		warnf(a, "%s: link type %d is not decoded; frames are counted only", name, lt);
	dv_frame fr;
	for (;;) {
		int rc = dv_capture_next(c, &fr);
		if (rc == 0) break;
		if (rc < 0) {
			a->st.capture_errors++;
			warnf(a, "%s", dv_error_text());
			break;
		}
		dv_audit_add_frame(a, lt, &fr, name);
	}
	return 0;
}

int dv_audit_add_capture(dv_audit *a, const char *path)
{
	dv_capture *c;
	int rc = dv_capture_open_file(&c, path);
	if (rc < 0) return rc;
	rc = dv_audit_add_source(a, c);
	dv_capture_close(c);
	return rc;
}

/* ---- setup ----------------------------------------------------------- */

int dv_audit_new(dv_audit **out, const dv_audit_opts *opts)
{
	*out = NULL;
	dv_audit *a = calloc(1, sizeof(*a));
	if (!a) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (opts) a->opts = *opts;
	size_t mf = a->opts.max_flows ? a->opts.max_flows : DEFAULT_MAX_FLOWS;
	a->ft = dv_flowtab_new(mf, on_evict, a);
	int rc = 0;
	a->reasm = dv__reasm_new();
	if (!a->ft || !a->reasm || dest_grow(&a->dests) < 0) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto fail;
	}
	rc = dv__eplist_load_text(&a->eps, (const char *)dv__endpoints_tsv, dv__endpoints_tsv_len, "endpoints.tsv (built in)");
	if (rc < 0) goto fail;
	if (a->opts.endpoints_path && (rc = dv__eplist_load_file(&a->eps, a->opts.endpoints_path)) < 0) goto fail;
	if (a->opts.policy_path && (rc = dv__policy_load(&a->pol, a->opts.policy_path)) < 0) goto fail;
	if (!a->opts.no_ndpi && !(a->ndpi = dv__ndpi_new()))
		warnf(a, "nDPI did not start: flows are not classified by application");
	if (!a->opts.no_geo) {
		if (dv_netloc_open(&a->loc, a->opts.locdb_path) < 0) {
			if (a->opts.locdb_path) { rc = DV_ENOTFOUND; goto fail; }
			warnf(a, "no location database: %s (countries and ASNs left out)", dv_error_text());
			a->loc = NULL;
		} else {
			char when[32];
			time_t t = dv_netloc_created(a->loc);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d", &tm);
			snprintf(a->geo_src, sizeof(a->geo_src), "%s (%s, %s, built %s)", dv_netloc_path(a->loc),
			         dv_netloc_vendor(a->loc) ? dv_netloc_vendor(a->loc) : "?",
			         dv_netloc_license(a->loc) ? dv_netloc_license(a->loc) : "?", when);
		}
	}
	*out = a;
	return 0;
fail:
	dv_audit_free(a);
	return rc;
}

static void view_dispose(view *v)
{
	free(v->copies);
	free(v->sorted);
	dest_dispose(&v->dests);
	free(v->warn.s);
	memset(v, 0, sizeof(*v));
}

static void drop_ndpi(dv_flow *f, void *payload)
{
	(void)payload;
	dv__ndpi_flow_free(f->ndpi);
	f->ndpi = NULL;
}

void dv_audit_free(dv_audit *a)
{
	if (!a) return;
	if (a->ft) dv_flowtab_each(a->ft, drop_ndpi, NULL);
	dv_flowtab_free(a->ft);
	dv__ndpi_free(a->ndpi);
	dv__reasm_free(a->reasm);
	dv_netloc_free(a->loc);
	dv__eplist_dispose(&a->eps);
	dv__policy_dispose(&a->pol);
	free(a->dnsq);
	free(a->dnsq_idx);
	free(a->dnsmap);
	free(a->hellos);
	free(a->http);
	free(a->finds);
	dest_dispose(&a->dests);
	free(a->warn.s);
	view_dispose(&a->view);
	free(a);
}

/* ---- finishing: destinations and verdicts --------------------------- */

const char *dv_audit_flow_name(const dv_audit *a, const dv_flow *f)
{
	if (f->sni[0]) return f->sni;
	if (f->http_host[0]) return f->http_host;
	const dnsmap_ent *e = dnsmap_find(a, f->ipver, f->addr[dv_audit_flow_remote(f)]);
	return e ? e->name : "";
}

/* nDPI's master protocol ("TLS" of "TLS.Google") into buf. */
static const char *ndpi_master(const dv_flow *f, char *buf, size_t size)
{
	copystr(buf, size, f->app);
	char *dot = strchr(buf, '.');
	if (dot) *dot = 0;
	return buf;
}

const char *dv_flow_app_dronevault(const dv_flow *f)
{
	if (f->flags & DV_FLOW_VPN) return dv_vpn_name(f->vpn);
	if (f->flags & DV_FLOW_TUNNEL) return dv_tunnel_name(f->carries);
	if (f->flags & DV_FLOW_QUIC) return "QUIC";
	if (f->flags & DV_FLOW_GQUIC) return "gQUIC";
	if (f->flags & DV_FLOW_TLS) return "TLS";
	if (f->flags & DV_FLOW_DNS) return "DNS";
	if (f->flags & DV_FLOW_HTTP) return "HTTP";
	return NULL;
}

/* The wire protocols both engines name: nDPI naming another one of these
 * than dronevault's parser recognised is a disagreement, dronevault wins. */
static int wire_protocol(const char *m)
{
	static const char *const w[] = { "TLS", "QUIC", "DNS", "HTTP", "WireGuard", "OpenVPN", "IPsec", "IPSec", "GRE",
	                                 "Unknown", "DTLS", "SSH", "STUN", "RTP", "NTP", "MQTT", "" };
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (!strcasecmp(m, w[i])) return 1;
	return 0;
}

static int same_family(const char *dvp, const char *m)
{
	if (!strcasecmp(dvp, m)) return 1;
	if (!strcmp(dvp, "gQUIC") && !strcasecmp(m, "QUIC")) return 1; /* nDPI names Google QUIC "QUIC" */
	if (!strncmp(dvp, "IPsec", 5) && !strncasecmp(m, "IPsec", 5)) return 1;
	return 0;
}

const char *dv_flow_app(const dv_flow *f, const char **engine)
{
	const char *dvp = dv_flow_app_dronevault(f);
	char m[sizeof(f->app)];
	ndpi_master(f, m, sizeof(m));
	if (dvp && (!f->app[0] || (wire_protocol(m) && !same_family(dvp, m)))) {
		*engine = "dronevault";
		return dvp;
	}
	*engine = f->app[0] ? "ndpi" : NULL;
	return f->app[0] ? f->app : NULL;
}

/* The encrypted tunnel a flow is, by dronevault's look at it or nDPI's name. */
static const char *flow_vpn(const dv_flow *f)
{
	if (f->flags & DV_FLOW_VPN) return dv_vpn_name(f->vpn);
	char m[sizeof(f->app)];
	ndpi_master(f, m, sizeof(m));
	static const char *const v[] = { "WireGuard", "OpenVPN", "IPsec", "Tor", "Tailscale", "Psiphon", "TINC", "SoftEther",
	                                 "ZeroTier", "ProtonVPN", "Hotspot_Shield", "CloudflareWarp", "NordVPN", "Mullvad" };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcasecmp(m, v[i])) return v[i];
	return NULL;
}

static void dest_add_flow(const dv_audit *a, dest_set *ds, uint64_t *dropped, const dv_flow *f)
{
	int r = dv_audit_flow_remote(f), l = r ^ 1;
	dv_audit_dest *d = dest_get(ds, dropped, f->ipver, f->addr[r]);
	if (!d) return;
	d->flows++;
	d->pkts_out += f->pkts[l];
	d->pkts_in += f->pkts[r];
	d->bytes_out += f->frame_bytes[l];
	d->bytes_in += f->frame_bytes[r];
	d->payload_bytes_out += f->payload_bytes[l];
	d->payload_bytes_in += f->payload_bytes[r];
	if (f->first_ns < d->first_ns) d->first_ns = f->first_ns;
	if (f->last_ns > d->last_ns) d->last_ns = f->last_ns;
	dest_add_name(d, f->sni);
	dest_add_name(d, f->http_host);
	const dnsmap_ent *e = dnsmap_find(a, f->ipver, f->addr[r]);
	if (e) dest_add_name(d, e->name);
	if (f->flags & (DV_FLOW_DOH | DV_FLOW_DOT | DV_FLOW_ECH)) d->flags |= DV_DEST_HIDDEN;
	d->findings_out += f->scan_hits_out;
	const char *vpn = flow_vpn(f);
	if (vpn) {
		d->flags |= DV_DEST_VPN;
		if (!d->hidden_by[0]) copystr(d->hidden_by, sizeof(d->hidden_by), vpn);
	}
	if (f->flags & DV_FLOW_UNDECODED) d->flags |= DV_DEST_UNDECODED;
	if (f->flags & DV_FLOW_TUNNEL) {
		d->flags |= DV_DEST_TUNNEL;
		if (!d->tunnel[0]) copystr(d->tunnel, sizeof(d->tunnel), dv_tunnel_name(f->carries));
	}
	if (f->flags & DV_FLOW_INNER) d->flags |= DV_DEST_VIA_TUNNEL;
	unsigned k = 0;
	while (k < d->nprotos && d->protos[k] != f->proto) k++;
	if (k == d->nprotos && k < sizeof(d->protos)) d->protos[d->nprotos++] = f->proto;
	d->code_in += f->code_in;
}

static void ndpi_finish_flow(dv_audit *a, dv_flow *f)
{
	if (!f->ndpi) return;
	if (!f->app[0]) dv__ndpi_giveup(a->ndpi, f->ndpi, f->app, sizeof(f->app), f->app_category, sizeof(f->app_category));
	dv__ndpi_flow_free(f->ndpi);
	f->ndpi = NULL;
}

static void on_evict(dv_flow *f, void *payload)
{
	dv_audit *a = payload;
	if (f->hello && f->proto == 17 && a->quic_states > 0)
		a->quic_states--; /* its QUIC state goes with it (freed by the table) */
	ndpi_finish_flow(payload, f);
	dest_add_flow(a, &a->dests, &a->st.names_dropped, f);
}

static void collect(dv_flow *f, void *payload)
{
	dv_audit *a = payload;
	view *v = &a->view;
	if (v->copies) {
		dv_flow *c = &v->copies[v->nsorted];
		*c = *f;
		/* the running flow's buffers stay with it */
		c->hello = NULL;
		c->ndpi = NULL;
		if (f->ndpi && !c->app[0])
			dv__ndpi_guess(a->ndpi, f->ndpi, c->app, sizeof(c->app), c->app_category, sizeof(c->app_category));
		v->sorted[v->nsorted++] = c;
	} else {
		v->sorted[v->nsorted++] = f;
	}
}

static int by_id(const void *x, const void *y)
{
	const dv_flow *a = *(const dv_flow *const *)x, *b = *(const dv_flow *const *)y;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int by_bytes_out(const void *x, const void *y)
{
	const dv_audit_dest *a = x, *b = y;
	/* leak > inconclusive > clean */
	static const int rank[3] = { [DV_VERDICT_LEAK] = 0, [DV_VERDICT_INCONCLUSIVE] = 1, [DV_VERDICT_CLEAN] = 2 };
	if (a->verdict != b->verdict) return rank[a->verdict] < rank[b->verdict] ? -1 : 1;
	return a->bytes_out > b->bytes_out ? -1 : a->bytes_out < b->bytes_out;
}

static void addreason(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void addreason(char *buf, size_t size, const char *fmt, ...)
{
	size_t l = strlen(buf);
	if (l + 3 >= size) return;
	if (l) { memcpy(buf + l, "; ", 3); l += 2; }
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + l, size - l, fmt, ap);
	va_end(ap);
}

static void judge_dest(dv_audit *a, dv_audit_dest *d)
{
	dv_netloc_lookup(a->loc, d->ipver, d->addr, &d->place);
	for (unsigned i = 0; i < d->nnames; i++) {
		const dv__endpoint *e = dv__eplist_match(&a->eps, d->names[i]);
		if (e && !d->endpoint[0]) {
			char ep[sizeof(e->pattern) + 2] = "*.";
			copystr(ep + 2, sizeof(ep) - 2, e->pattern);
			copystr(d->endpoint, sizeof(d->endpoint), e->suffix ? ep : ep + 2);
			copystr(d->endpoint_owner, sizeof(d->endpoint_owner), e->owner);
			copystr(d->endpoint_category, sizeof(d->endpoint_category), e->category);
			d->flags |= e->maker ? DV_DEST_MAKER : DV_DEST_KNOWN;
		}
		const dv__endpoint *al = dv__policy_name(&a->pol, d->names[i]);
		if (al) {
			d->flags |= DV_DEST_ALLOWED;
			addreason(d->reasons, sizeof(d->reasons), "allowed by policy: name %s matches %s%s (%s)", d->names[i],
			          al->suffix ? "*." : "", al->pattern, al->owner);
		}
	}
	const dv__allow_net *an = dv__policy_net(&a->pol, d->ipver, d->addr);
	if (an) {
		d->flags |= DV_DEST_ALLOWED;
		addreason(d->reasons, sizeof(d->reasons), "allowed by policy: network /%u %s", an->bits, an->comment);
	}
	if (d->place.asn && dv__policy_asn(&a->pol, d->place.asn)) {
		d->flags |= DV_DEST_ALLOWED;
		addreason(d->reasons, sizeof(d->reasons), "allowed by policy: network AS%u", d->place.asn);
	}
	if (d->place.cc[0] && !d->place.anycast && dv__policy_country(&a->pol, d->place.cc)) {
		d->flags |= DV_DEST_ALLOWED;
		addreason(d->reasons, sizeof(d->reasons), "allowed by policy: located in %s", d->place.cc);
	}
	if (d->nnames == 0) d->flags |= DV_DEST_IP_ONLY;
	if (d->findings_out) d->flags |= DV_DEST_CONTENT;
	char addr[64];
	dv_addr_str(addr, sizeof(addr), d->ipver, d->addr);
	if (d->code_in) {
		d->flags |= DV_DEST_CODE;
		addreason(d->reasons, sizeof(d->reasons), "executable content downloaded from it (%u)", d->code_in);
	}
	if (d->place.scope != DV_SCOPE_EXTERNAL) {
		d->verdict = DV_VERDICT_CLEAN;
		addreason(d->reasons, sizeof(d->reasons), "%s address, not the Internet", dv_scope_name(d->place.scope));
		if ((d->flags & DV_DEST_VPN) && d->pkts_out) {
			/* what the tunnel carries may go on from there */
			d->verdict = DV_VERDICT_INCONCLUSIVE;
			addreason(d->reasons, sizeof(d->reasons), "content hidden: a VPN (%s) to %s", d->hidden_by, addr);
		}
		return;
	}
	if (d->flags & DV_DEST_ALLOWED) {
		d->verdict = DV_VERDICT_CLEAN;
		if ((d->flags & DV_DEST_VPN) && d->pkts_out) {
			d->verdict = DV_VERDICT_INCONCLUSIVE;
			addreason(d->reasons, sizeof(d->reasons), "content hidden: a VPN (%s) to %s, an allowed peer: what it carries cannot be checked",
			          d->hidden_by, addr);
		}
		return;
	}
	if (d->pkts_out == 0) {
		d->verdict = DV_VERDICT_CLEAN;
		addreason(d->reasons, sizeof(d->reasons), "nothing was sent to it (%llu packets received only)",
		          (unsigned long long)d->pkts_in);
		return;
	}
	d->verdict = DV_VERDICT_LEAK;
	addreason(d->reasons, sizeof(d->reasons), "%llu bytes (%llu payload) in %llu packets sent to an external address not allowed by the policy",
	          (unsigned long long)d->bytes_out, (unsigned long long)d->payload_bytes_out, (unsigned long long)d->pkts_out);
	if (d->flags & DV_DEST_VPN)
		addreason(d->reasons, sizeof(d->reasons), "content hidden: a VPN (%s) to %s", d->hidden_by, addr);
	if (d->flags & DV_DEST_TUNNEL)
		addreason(d->reasons, sizeof(d->reasons), "outer end of a %s tunnel (its inner traffic is listed on its own)", d->tunnel);
	if (d->flags & DV_DEST_UNDECODED)
		addreason(d->reasons, sizeof(d->reasons), "packets of a protocol the audit cannot read");
	if (d->flags & DV_DEST_VIA_TUNNEL)
		addreason(d->reasons, sizeof(d->reasons), "reached through a tunnel");
	if (d->flags & DV_DEST_MAKER)
		addreason(d->reasons, sizeof(d->reasons), "drone maker endpoint %s (%s, %s)", d->endpoint, d->endpoint_owner, d->endpoint_category);
	else if (d->flags & DV_DEST_KNOWN)
		addreason(d->reasons, sizeof(d->reasons), "known SDK/partner endpoint %s (%s, %s)", d->endpoint, d->endpoint_owner, d->endpoint_category);
	if (d->flags & DV_DEST_CONTENT)
		addreason(d->reasons, sizeof(d->reasons), "readable content sent in clear (%u findings)", d->findings_out);
	if (d->flags & DV_DEST_HIDDEN)
		addreason(d->reasons, sizeof(d->reasons), "encrypted DNS or ECH: the names behind it are hidden");
	if (d->flags & DV_DEST_IP_ONLY)
		addreason(d->reasons, sizeof(d->reasons), "named only by its address (no DNS answer, SNI or Host seen)");
	if (d->place.anycast)
		addreason(d->reasons, sizeof(d->reasons), "anycast network: country not determinable");
	else if (d->place.cc[0])
		addreason(d->reasons, sizeof(d->reasons), "located in %s", d->place.cc);
	if (d->place.asn)
		addreason(d->reasons, sizeof(d->reasons), "network AS%u %s", d->place.asn, d->place.as_name);
}

/*
 * Builds a->view from the running state. final: in place (flows are the
 * live ones, nDPI gives up on them, the running destinations move into
 * the view); otherwise everything the view changes is a copy.
 */
static int build_view(dv_audit *a, int final)
{
	view_dispose(&a->view);
	view *v = &a->view;
	size_t n = dv_flowtab_size(a->ft);
	v->sorted = malloc((n ? n : 1) * sizeof(*v->sorted));
	if (!final) v->copies = malloc((n ? n : 1) * sizeof(*v->copies));
	int bad = !v->sorted || (!final && !v->copies);
	if (!bad && final) {
		v->dests = a->dests;
		memset(&a->dests, 0, sizeof(a->dests));
		v->warn = a->warn;
		memset(&a->warn, 0, sizeof(a->warn));
	} else if (!bad) {
		bad = dest_copy(&v->dests, &a->dests) < 0 || wb_copy(&v->warn, &a->warn) < 0;
	}
	if (bad) {
		view_dispose(v);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	v->st = a->st;
	v->ndnsq = a->ndnsq;
	v->nhellos = a->nhellos;
	v->nhttp = a->nhttp;
	v->nfinds = a->nfinds;
	dv_flowtab_each(a->ft, collect, a);
	qsort(v->sorted, v->nsorted, sizeof(*v->sorted), by_id);
	if (final)
		for (size_t i = 0; i < v->nsorted; i++) ndpi_finish_flow(a, (dv_flow *)v->sorted[i]);
	for (size_t i = 0; i < v->nsorted; i++) dest_add_flow(a, &v->dests, &v->st.names_dropped, v->sorted[i]);
	v->st.flows = dv_flowtab_created(a->ft);
	v->st.flows_evicted = dv_flowtab_evicted(a->ft);
	if (dv__reasm_dropped(a->reasm))
		wb_add(&v->warn, "%llu fragmented datagrams were not complete in the capture (their fragments are counted, their content not analysed)",
		      (unsigned long long)dv__reasm_dropped(a->reasm));
	if (dv__reasm_overlaps(a->reasm))
		wb_add(&v->warn, "%llu overlapping IP fragments (the later copy was used)", (unsigned long long)dv__reasm_overlaps(a->reasm));
	if (v->st.flows_evicted)
		wb_add(&v->warn, "flow table full: %llu flows evicted (their bytes are kept in the destination totals)",
		      (unsigned long long)v->st.flows_evicted);

	size_t leaks = 0, maker = 0, known = 0, content = 0, hidden = 0, code = 0;
	uint64_t leak_bytes = 0;
	char hid[400] = "";
	for (size_t i = 0; i < v->dests.n; i++) {
		dv_audit_dest *d = &v->dests.v[i];
		judge_dest(a, d);
		if (d->verdict == DV_VERDICT_INCONCLUSIVE && hidden++ < 3) {
			char as[64];
			dv_addr_str(as, sizeof(as), d->ipver, d->addr);
			addreason(hid, sizeof(hid), "content hidden: a VPN (%s) to %s (%s)", d->hidden_by, as,
			          d->flags & DV_DEST_ALLOWED ? "allowed by the policy" : dv_scope_name(d->place.scope));
		}
		if (d->flags & DV_DEST_CODE) code++;
		if (d->verdict == DV_VERDICT_LEAK) {
			leaks++;
			leak_bytes += d->bytes_out;
			if (d->flags & DV_DEST_MAKER) maker++;
			if (d->flags & DV_DEST_KNOWN) known++;
			if (d->flags & DV_DEST_CONTENT) content++;
		}
	}
	qsort(v->dests.v, v->dests.n, sizeof(*v->dests.v), by_bytes_out);
	reindex_dests(&v->dests);

	char *r = v->reasons;
	size_t rs = sizeof(v->reasons);
	int inconclusive = 0;
	if (a->seen_doh) { inconclusive = 1; addreason(r, rs, "DNS over HTTPS in use: the names it resolved are hidden from this audit"); }
	if (a->seen_dot) { inconclusive = 1; addreason(r, rs, "DNS over TLS/QUIC (port 853) in use: names hidden"); }
	if (a->seen_ech) { inconclusive = 1; addreason(r, rs, "Encrypted Client Hello in use: only the outer server name is visible"); }
	if (v->st.capture_errors) { inconclusive = 1; addreason(r, rs, "%llu capture file(s) cut or damaged part-way", (unsigned long long)v->st.capture_errors); }
	if (v->st.damaged) { inconclusive = 1; addreason(r, rs, "%llu damaged frames", (unsigned long long)v->st.damaged); }
	if (a->wlan_protected) { inconclusive = 1; addreason(r, rs, "%llu encrypted 802.11 data frames could not be read", (unsigned long long)a->wlan_protected); }
	if (a->ip_packets == 0) { inconclusive = 1; addreason(r, rs, "the capture holds no IP traffic"); }
	if (hidden) { inconclusive = 1; addreason(r, rs, "%s%s", hid, hidden > 3 ? " ..." : ""); }
	if (v->st.unsupported_link) {
		inconclusive = 1;
		addreason(r, rs, "%llu frames of a link type the audit does not decode (they may carry IP)", (unsigned long long)v->st.unsupported_link);
	}
	if (v->st.l2_undecoded) {
		inconclusive = 1;
		addreason(r, rs, "%llu frames of an EtherType the audit cannot read (they may carry IP)", (unsigned long long)v->st.l2_undecoded);
	}
	if (v->st.ip_undecoded) {
		inconclusive = 1;
		addreason(r, rs, "%llu packets of an IP protocol the audit cannot decode (protocol %u first)", (unsigned long long)v->st.ip_undecoded,
		          (unsigned)(a->undecoded_proto - 1));
	}
	if (v->st.tunnel_undecoded) {
		inconclusive = 1;
		addreason(r, rs, "%llu tunnel packets whose payload could not be opened", (unsigned long long)v->st.tunnel_undecoded);
	}
	if (code) addreason(r, rs, "executable content (APK/DEX/ELF/PE/firmware) was downloaded from %zu destination(s)", code);
	if (leaks) {
		v->verdict = DV_VERDICT_LEAK;
		char head[600] = "";
		snprintf(head, sizeof(head), "%zu external destination(s) not allowed by the policy received %llu bytes", leaks,
		         (unsigned long long)leak_bytes);
		if (maker) addreason(head, sizeof(head), "%zu of them are drone maker (DJI) endpoints", maker);
		if (known) addreason(head, sizeof(head), "%zu are known SDK/partner endpoints", known);
		if (content) addreason(head, sizeof(head), "readable content went in clear to %zu", content);
		char tail[1024];
		copystr(tail, sizeof(tail), r);
		copystr(r, rs, head);
		if (tail[0]) addreason(r, rs, "%s", tail);
	} else if (inconclusive) {
		v->verdict = DV_VERDICT_INCONCLUSIVE;
	} else {
		v->verdict = DV_VERDICT_CLEAN;
		addreason(r, rs, "no packet was sent to an external destination outside the policy");
	}
	v->valid = 1;
	return 0;
}

int dv_audit_snapshot(dv_audit *a)
{
	if (a->finished) return 0; /* the final view stands */
	return build_view(a, 0);
}

int dv_audit_finish(dv_audit *a)
{
	if (a->finished) return 0;
	int rc = build_view(a, 1);
	if (rc == 0) a->finished = 1;
	return rc;
}

static const dv_audit_stats *view_stats(const dv_audit *a) { return a->view.valid ? &a->view.st : &a->st; }
static const warnbuf *view_warn(const dv_audit *a) { return a->view.valid ? &a->view.warn : &a->warn; }

dv_verdict dv_audit_verdict(const dv_audit *a) { return a->view.valid ? a->view.verdict : DV_VERDICT_CLEAN; }
const char *dv_audit_reasons(const dv_audit *a) { return a->view.reasons; }
const dv_audit_stats *dv_audit_get_stats(const dv_audit *a) { return view_stats(a); }
const char *dv_audit_geo_source(const dv_audit *a) { return a->geo_src; }

const dv_flow *const *dv_audit_flows(const dv_audit *a, size_t *n) { *n = a->view.nsorted; return a->view.sorted; }
const dv_audit_dest *dv_audit_dests(const dv_audit *a, size_t *n) { *n = a->view.dests.n; return a->view.dests.v; }
const dv_audit_dnsq *dv_audit_dns_queries(const dv_audit *a, size_t *n) { *n = a->view.ndnsq; return a->dnsq; }
const dv_audit_hello *dv_audit_hellos(const dv_audit *a, size_t *n) { *n = a->view.nhellos; return a->hellos; }
const dv_audit_http *dv_audit_http_requests(const dv_audit *a, size_t *n) { *n = a->view.nhttp; return a->http; }
const dv_audit_finding *dv_audit_findings(const dv_audit *a, size_t *n) { *n = a->view.nfinds; return a->finds; }

const char *dv_audit_warnings(const dv_audit *a, size_t *count)
{
	const warnbuf *w = view_warn(a);
	*count = w->n;
	return w->s ? w->s : "";
}

const dv_audit_dest *dv_audit_flow_dest(const dv_audit *a, const dv_flow *f)
{
	int r = dv_audit_flow_remote(f);
	uint8_t key[16] = { 0 };
	memcpy(key, f->addr[r], f->ipver == 6 ? 16 : 4);
	return dest_find(&a->view.dests, f->ipver, key);
}

dv_verdict dv_audit_flow_verdict(const dv_audit *a, const dv_flow *f)
{
	const dv_audit_dest *d = dv_audit_flow_dest(a, f);
	return d ? d->verdict : DV_VERDICT_CLEAN;
}
