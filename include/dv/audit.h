/*
 * dv/audit.h - does a capture show data leaving the agency? Reads pcap or
 * pcapng files, builds bidirectional flows, names every destination (DNS
 * answers, TLS/QUIC SNI, HTTP Host), places it (scope, country, ASN), looks
 * for readable evidence in cleartext payloads, matches the maker's known
 * endpoints, and gives a verdict per destination and overall:
 *
 *   clean         no packet was sent to a non-allowed external destination
 *   leak          bytes went to a non-allowed external destination (the
 *                 reasons say whether it is the maker's or a known data
 *                 endpoint, and whether readable content was seen)
 *   inconclusive  no leak seen, but something hides the picture: encrypted
 *                 DNS (DoH/DoT), Encrypted Client Hello, a damaged capture,
 *                 a VPN to an allowed or local peer, a link type or
 *                 protocol the audit cannot decode
 *
 * The order is fixed: leak > inconclusive > clean (docs/audit.md, Verdict).
 *
 *     dv_audit *a;
 *     dv_audit_new(&a, &opts);
 *     dv_audit_add_capture(a, "hotspot.pcapng");   // or any frame source:
 *                                                  // dv_audit_add_source
 *     dv_audit_finish(a);            // or dv_audit_snapshot(a) mid-stream
 *     int v = dv_audit_verdict(a);   // DV_VERDICT_*
 *     dv_audit_free(a);
 *
 * Results (verdict, reasons, destinations, flows, warnings, stats) are
 * those of the last dv_audit_snapshot or dv_audit_finish; frames added
 * after a snapshot show in the next one, and a snapshot does not change
 * what the audit concludes later.
 *
 * Memory is bounded: flows (max_flows, least recently seen evicted and
 * folded into their destination), destinations, names and findings all
 * have caps; what was cut is counted and reported.
 */
#ifndef DV_AUDIT_H
#define DV_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dv/capture.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A bidirectional TCP/UDP flow (opaque here; its layout is internal). */
typedef struct dv_flow dv_flow;

/* ---- where an address is (netloc.c) ---- */

typedef enum dv_scope {
	DV_SCOPE_EXTERNAL = 0, /* globally routed */
	DV_SCOPE_PRIVATE,      /* RFC 1918, fc00::/7 */
	DV_SCOPE_LOOPBACK,
	DV_SCOPE_LINKLOCAL,    /* 169.254/16, fe80::/10 */
	DV_SCOPE_MULTICAST,    /* 224/4, ff00::/8, 255.255.255.255 */
	DV_SCOPE_CGNAT,        /* 100.64/10 (carrier-grade NAT, not Internet) */
	DV_SCOPE_DOC,          /* documentation/benchmark ranges */
	DV_SCOPE_UNSPEC        /* 0.0.0.0/8, ::, reserved */
} dv_scope;

/* "external", "private", ... */
const char *dv_scope_name(dv_scope s);
/* The scope of an address (ipver 4 or 6; IPv4-mapped IPv6 is treated as IPv4). */
dv_scope dv_addr_scope(int ipver, const uint8_t *addr);
/* "192.0.2.1" or "2001:db8::1" into buf (>= 46 bytes). */
void dv_addr_str(char *buf, size_t size, int ipver, const uint8_t *addr);

typedef struct dv_place {
	dv_scope scope;
	char cc[3];            /* ISO country, "" unknown */
	uint32_t asn;          /* 0 unknown */
	char as_name[96];
	uint8_t anycast;       /* anycast network: country not determinable */
	char network[64];      /* matched prefix, "" when none */
} dv_place;

/* ---- readable evidence in cleartext payloads (scan.c) ---- */

typedef enum dv_scan_kind {
	DV_SCAN_COORD = 1,     /* latitude/longitude in text */
	DV_SCAN_JPEG,          /* FF D8 FF */
	DV_SCAN_EXIF,          /* "Exif\0\0" APP1 header (may carry GPS) */
	DV_SCAN_MP4,           /* ISO-BMFF ftyp box */
	DV_SCAN_DJI_LOG,       /* DJI flight-record / DAT log markers */
	DV_SCAN_CODE           /* executable content downloaded (APK/DEX/ELF/PE/firmware): inbound */
} dv_scan_kind;

typedef struct dv_scan_hit {
	dv_scan_kind kind;
	size_t offset;         /* in the scanned buffer */
	double lat, lon;       /* for DV_SCAN_COORD (lon may be NAN when only a lat was named) */
	char excerpt[72];      /* printable, '.' for other bytes */
} dv_scan_hit;

/* Name of a kind: "coordinates", "jpeg", ... */
const char *dv_scan_kind_name(dv_scan_kind k);

typedef enum dv_verdict {
	DV_VERDICT_CLEAN = 0,
	DV_VERDICT_LEAK = 1,
	DV_VERDICT_INCONCLUSIVE = 2
} dv_verdict;

const char *dv_verdict_name(dv_verdict v);

typedef struct dv_audit_opts {
	size_t max_flows;           /* 0: 262144 */
	const char *policy_path;    /* allowed networks/names; NULL: nothing allowed */
	const char *endpoints_path; /* extra endpoint list (data/endpoints.tsv format) */
	const char *locdb_path;     /* libloc database; NULL: Debian's default */
	int no_geo;                 /* 1: do not open the location database */
	int no_ndpi;                /* 1: no application-protocol classification */
} dv_audit_opts;

/* A DNS question seen in a query (QR=0) on port 53, with how often. */
typedef struct dv_audit_dnsq {
	char qname[256];
	uint16_t qtype;
	uint32_t count;
} dv_audit_dnsq;

enum { DV_HELLO_TLS = 1, DV_HELLO_QUIC, DV_HELLO_GQUIC };

/* Every ClientHello (TLS over TCP, QUIC Initial, gQUIC CHLO) seen. */
typedef struct dv_audit_hello {
	uint8_t kind, ipver, ech;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint64_t frame;
	uint32_t flow_id;
	char sni[256];
	char alpn[32];
} dv_audit_hello;

/* Every cleartext HTTP request (incl. SSDP over UDP). */
typedef struct dv_audit_http {
	uint8_t ipver, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint64_t frame;
	uint32_t flow_id;
	char method[16];
	char host[256];
	char uri[512];
} dv_audit_http;

/* Something readable found in a cleartext payload. */
typedef struct dv_audit_finding {
	uint32_t flow_id;
	uint64_t frame;
	uint8_t outbound;           /* sent by the local/client side */
	uint8_t spans_segments;     /* starts in the previous TCP segment (offset is 0 then) */
	dv_scan_hit hit;            /* offset is within that packet's payload */
} dv_audit_finding;

enum {
	DV_DEST_MAKER = 1u << 0,    /* matches a maker (DJI) endpoint */
	DV_DEST_KNOWN = 1u << 1,    /* matches a third-party endpoint in the list */
	DV_DEST_ALLOWED = 1u << 2,  /* allowed by the policy */
	DV_DEST_CONTENT = 1u << 3,  /* readable content was sent to it */
	DV_DEST_HIDDEN = 1u << 4,   /* DoH/DoT/ECH: names hidden */
	DV_DEST_IP_ONLY = 1u << 5,  /* no name at all (no DNS, SNI or Host) */
	DV_DEST_VPN = 1u << 6,      /* an encrypted tunnel ends there: content hidden (hidden_by) */
	DV_DEST_UNDECODED = 1u << 7,/* got packets of a protocol the audit cannot read */
	DV_DEST_TUNNEL = 1u << 8,   /* the outer end of a tunnel the audit opened */
	DV_DEST_VIA_TUNNEL = 1u << 9,/* reached inside a tunnel (its outer peer is a destination too) */
	DV_DEST_CODE = 1u << 10     /* executable content was downloaded from it */
};

#define DV_DEST_NAMES 6

/* A remote address and everything sent to / received from it. */
typedef struct dv_audit_dest {
	uint8_t ipver;
	uint8_t addr[16];
	dv_place place;
	char names[DV_DEST_NAMES][128]; /* distinct names seen for it */
	uint8_t nnames;
	char endpoint[128];         /* matching endpoint pattern, "" */
	char endpoint_owner[64];
	char endpoint_category[32];
	uint32_t flags;             /* DV_DEST_* */
	uint32_t flows;
	uint64_t pkts_out, pkts_in; /* out = sent towards this destination */
	uint64_t bytes_out, bytes_in;            /* whole frames */
	uint64_t payload_bytes_out, payload_bytes_in;
	int64_t first_ns, last_ns;
	uint32_t findings_out;      /* content hits in packets sent to it */
	uint32_t code_in;           /* executable downloads from it (DV_SCAN_CODE findings) */
	dv_verdict verdict;
	char reasons[512];          /* "; "-separated, human readable */
	char hidden_by[24];         /* DV_DEST_VPN: "WireGuard", "IPsec ESP", ... */
	char tunnel[16];            /* DV_DEST_TUNNEL: "gre", "vxlan", ... (the first seen) */
	uint8_t protos[8];          /* IP protocols sent to or received from it (first 8) */
	uint8_t nprotos;
} dv_audit_dest;

typedef struct dv_audit_stats {
	uint32_t files;
	uint64_t frames, frame_bytes;
	uint64_t non_ip;            /* ARP, EAPOL, encrypted 802.11, ... */
	uint64_t ip_other;          /* IP packets that are not TCP/UDP (ICMP, ...): flows of their own */
	uint64_t ip_undecoded;      /* IP packets of a protocol the audit cannot read */
	uint64_t l2_undecoded;      /* frames of an EtherType that could hide IP (MPLS pseudowire, MACsec ...) */
	uint64_t tunnel_packets;    /* inner packets decoded from tunnels */
	uint64_t tunnel_undecoded;  /* tunnel packets whose payload could not be opened */
	uint64_t fragments;         /* IP fragments counted */
	uint64_t fragments_reassembled; /* datagrams rebuilt from fragments and analysed */
	uint64_t damaged;           /* frames whose headers were malformed or cut */
	uint64_t snapcut;           /* frames shorter than their headers announce */
	uint64_t unsupported_link;  /* frames of a link type we do not decode */
	uint64_t capture_errors;    /* files cut or damaged part-way */
	uint64_t flows, flows_evicted;
	uint64_t names_dropped;     /* DNS/HTTP/hello records over their caps */
	int64_t first_ns, last_ns;
} dv_audit_stats;

typedef struct dv_audit dv_audit;

int dv_audit_new(dv_audit **out, const dv_audit_opts *opts);
void dv_audit_free(dv_audit *a);

/*
 * Reads one capture into the audit. Damaged or cut captures are not an
 * error: everything readable is counted and a warning names the file and
 * frame. Returns DV_ENOTFOUND/DV_EINVAL when the file cannot be opened or is
 * not a capture.
 */
int dv_audit_add_capture(dv_audit *a, const char *path);

/*
 * Reads every frame of an open frame source (dv/capture.h) into the audit,
 * like dv_audit_add_capture (a source that breaks off is a warning, not an
 * error). The source stays the caller's.
 */
int dv_audit_add_source(dv_audit *a, dv_capture *c);

/* Feeds one frame (for live capture or tests). */
void dv_audit_add_frame(dv_audit *a, int linktype, const dv_frame *fr, const char *name);

/*
 * Builds destinations and verdicts from everything added so far, without
 * disturbing the running state: more frames may follow, and a later
 * snapshot or dv_audit_finish sees them. The results below are this
 * snapshot's until the next one. Costs a copy of the live flow table.
 */
int dv_audit_snapshot(dv_audit *a);

/* The final snapshot, after the last frame: like dv_audit_snapshot but in
 * place (no copy); frames added afterwards are ignored. Idempotent. */
int dv_audit_finish(dv_audit *a);

/* The last snapshot's verdict (DV_VERDICT_CLEAN before any). */
dv_verdict dv_audit_verdict(const dv_audit *a);
/* Overall reasons, "; "-separated (borrowed). */
const char *dv_audit_reasons(const dv_audit *a);
/* The last snapshot's counters; before any snapshot, the running ones. */
const dv_audit_stats *dv_audit_get_stats(const dv_audit *a);

/* Results of the last snapshot or finish (borrowed, valid until the next
 * dv_audit_add_*, snapshot or dv_audit_free). Before any, empty. The DNS,
 * hello, HTTP and finding lists are cut at the snapshot's lengths. */
const dv_flow *const *dv_audit_flows(const dv_audit *a, size_t *n);   /* by first packet */
const dv_audit_dest *dv_audit_dests(const dv_audit *a, size_t *n);    /* by bytes out, desc */
const dv_audit_dnsq *dv_audit_dns_queries(const dv_audit *a, size_t *n);
const dv_audit_hello *dv_audit_hellos(const dv_audit *a, size_t *n);
const dv_audit_http *dv_audit_http_requests(const dv_audit *a, size_t *n);
const dv_audit_finding *dv_audit_findings(const dv_audit *a, size_t *n);
/* Warnings, one per line "file: frame N: text" (borrowed), as of the last
 * snapshot (before any: so far). */
const char *dv_audit_warnings(const dv_audit *a, size_t *count);
/* The destination a flow counts towards (its remote side): 0 or 1. */
int dv_audit_flow_remote(const dv_flow *f);
/* The name dronevault gives a flow: SNI, else Host, else DNS answer, else "". */
const char *dv_audit_flow_name(const dv_audit *a, const dv_flow *f);
/* The destination a flow counts towards, in the last snapshot (borrowed; NULL if none). */
const dv_audit_dest *dv_audit_flow_dest(const dv_audit *a, const dv_flow *f);
/* A flow's verdict (that of its destination). */
dv_verdict dv_audit_flow_verdict(const dv_audit *a, const dv_flow *f);
/* Location database in use ("" when none) for the report. */
const char *dv_audit_geo_source(const dv_audit *a);

/* ---- reports (report.c) ---- */

/* One JSON document (see docs/audit.md); *out is malloc'd, caller frees. */
int dv_audit_to_json(const dv_audit *a, char **out);
/* The terminal table. */
void dv_audit_print(const dv_audit *a, FILE *out);
/* A self-contained HTML report (no external resources). */
int dv_audit_write_html(const dv_audit *a, const char *path);
/* The same report to an open stream, which it closes (errors name path);
 * the sandboxed reader writes it to the pipe the parent gave it. */
int dv_audit_write_html_to(const dv_audit *a, FILE *f, const char *path);

#ifdef __cplusplus
}
#endif
#endif
