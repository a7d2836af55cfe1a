/*
 * audit/flow_int.h - bidirectional TCP/UDP flows with per-direction counters, in a
 * table of bounded size.
 *
 * A flow is identified by (IP version, protocol, the two address:port
 * ends) regardless of direction. Side 0 ("a") is the sender of the first
 * packet seen, as tshark numbers its streams; `client` says which side
 * opened the conversation (from the TCP handshake when seen, else from the
 * ports). When the table is full the least recently seen flow is evicted:
 * the caller's eviction callback gets it first (to fold its counters into
 * a summary), and dv_flowtab_evicted() counts them.
 */
#ifndef DV_AUDIT_FLOW_INT_H
#define DV_AUDIT_FLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "audit/pkt_int.h"

enum {
	DV_FLOW_TLS = 1u << 0,       /* a TLS ClientHello was seen */
	DV_FLOW_QUIC = 1u << 1,      /* IETF QUIC Initial seen */
	DV_FLOW_GQUIC = 1u << 2,     /* Google QUIC (Qxxx) CHLO seen */
	DV_FLOW_HTTP = 1u << 3,      /* a cleartext HTTP request seen */
	DV_FLOW_DNS = 1u << 4,       /* DNS messages (port 53) */
	DV_FLOW_DOH = 1u << 5,       /* DNS over HTTPS (known resolver name) */
	DV_FLOW_DOT = 1u << 6,       /* DNS over TLS (port 853) */
	DV_FLOW_ECH = 1u << 7,       /* Encrypted Client Hello / ESNI extension */
	DV_FLOW_FRAGS = 1u << 8,     /* IP fragments were counted here */
	DV_FLOW_SYN = 1u << 9,       /* the handshake was seen */
	DV_FLOW_MIDSTREAM = 1u << 10,/* TCP flow started without a SYN */
	DV_FLOW_CLEARTEXT = 1u << 11,/* payload that is not TLS/QUIC was seen */
	DV_FLOW_CONTENT = 1u << 12,  /* the payload scanner found something */
	DV_FLOW_SNAPCUT = 1u << 13,  /* some packets were cut by the snaplen */
	DV_FLOW_NOSNI = 1u << 14,    /* a ClientHello without server_name */
	DV_FLOW_TUNNEL = 1u << 15,   /* carries a tunnel whose inner packets were decoded (carries) */
	DV_FLOW_INNER = 1u << 16,    /* inside a tunnel (tunnel, tunnel_peer) */
	DV_FLOW_VPN = 1u << 17,      /* an encrypted tunnel: its content is hidden (vpn) */
	DV_FLOW_UNDECODED = 1u << 18 /* an IP protocol or tunnel payload the audit cannot read */
};

#define DV_FLOW_NAME_MAX 128

typedef struct dv_flow {
	uint8_t ipver;            /* 4 or 6 */
	uint8_t proto;            /* 6 TCP, 17 UDP */
	uint8_t client;           /* 0 or 1: which side opened it */
	uint8_t client_by_syn;    /* 1 when `client` comes from a SYN */
	uint8_t addr[2][16];      /* [0] = sender of the first packet */
	uint16_t port[2];
	uint64_t pkts[2];         /* packets sent by side i */
	uint64_t frame_bytes[2];  /* whole frames (frame.len) sent by side i */
	uint64_t payload_bytes[2];/* tcp.len / udp.length-8 sent by side i */
	int64_t first_ns, last_ns;
	uint64_t first_frame;     /* frame number of the first packet (global) */
	uint32_t flags;           /* DV_FLOW_* */
	uint32_t id;              /* creation order, from 0 */
	char sni[DV_FLOW_NAME_MAX];     /* TLS/QUIC server_name (outer, with ECH) */
	char http_host[DV_FLOW_NAME_MAX];/* first HTTP Host header */
	char http_url[192];             /* first request line target */
	char alpn[32];                  /* first ALPN offered */
	/* internal to the table and the audit: */
	uint32_t h_next, lru_prev, lru_next;
	uint8_t in_use;
	uint8_t hello_done;       /* the client's hello was parsed */
	uint16_t hello_len;       /* bytes buffered in `hello` */
	uint8_t *hello;           /* partial TLS ClientHello across segments */
	uint32_t hello_next_seq;
	void *ndpi;               /* nDPI detection state while classifying */
	uint16_t ndpi_pkts;       /* packets given to nDPI */
	char app[40];             /* application protocol from nDPI ("TLS.Google") */
	char app_category[24];    /* nDPI's category ("Web", "Cloud", ...) */
	uint8_t tail[32];         /* last outbound TCP bytes, for findings across segments */
	uint8_t tail_len;
	uint8_t last_hit_set;
	uint32_t tail_next_seq;   /* sequence number that continues tail */
	uint32_t last_hit_seq;    /* stream position of the last finding reported */
	uint32_t scan_hits;       /* content findings in this flow */
	uint32_t scan_hits_out;   /* of which sent by the local side */
	/* tunnels (audit/tunnel_int.h) */
	uint8_t tunnel;           /* DV_FLOW_INNER: dv_tunnel_kind it was found in */
	uint8_t tunnel_depth;     /* 1 = inside one tunnel */
	uint8_t tunnel_ipver;
	uint8_t tunnel_has_key;
	uint8_t tunnel_peer[16];  /* DV_FLOW_INNER: the tunnel's outer remote end */
	uint32_t tunnel_key;      /* GRE key, VXLAN VNI, GTP TEID */
	uint8_t carries;          /* DV_FLOW_TUNNEL: dv_tunnel_kind */
	uint8_t vpn;              /* DV_FLOW_VPN: dv_vpn_kind */
	uint64_t inner_pkts;      /* DV_FLOW_TUNNEL: inner packets decoded */
	uint32_t code_in;         /* executable downloads seen (audit/code.c) */
} dv_flow;

/*
 * The application protocol each engine gives a flow: dronevault's own
 * parsers (from what they recognised: "TLS", "QUIC", "DNS", "WireGuard",
 * "gre" ..., or NULL) and nDPI (f->app, or NULL). The answer reported is
 * dronevault's where nDPI says Unknown/nothing or names a different wire
 * protocol; otherwise nDPI's (it is more specific: "TLS.Google").
 * *engine is "dronevault" or "ndpi" (NULL when neither said anything).
 */
const char *dv_flow_app_dronevault(const dv_flow *f);
const char *dv_flow_app(const dv_flow *f, const char **engine);

typedef struct dv_flowtab dv_flowtab;

/* Called before a flow is evicted; may free what the caller hung on it. */
typedef void (*dv_flow_evict_fn)(dv_flow *f, void *payload);

/* A table for at most max_flows flows (>= 16). NULL when out of memory. */
dv_flowtab *dv_flowtab_new(size_t max_flows, dv_flow_evict_fn on_evict, void *payload);
void dv_flowtab_free(dv_flowtab *t);

/* The tunnel an inner packet came through: part of its flow's identity, so
 * equal addresses and ports inside two tunnels (or inside and outside one)
 * are two flows, never one. */
typedef struct dv_flow_zone {
	uint8_t depth, kind, ipver, has_key;  /* depth 1 = inside one tunnel; kind dv_tunnel_kind */
	uint8_t peer[16];                     /* the tunnel's outer remote end */
	uint32_t key;                         /* GRE key, VXLAN VNI, GTP TEID */
} dv_flow_zone;

/*
 * The flow of a decoded packet (which must have has_ports) in zone (NULL:
 * not in a tunnel), created if new; a new flow inside a tunnel is marked
 * DV_FLOW_INNER with the zone's fields. *dir is set to the sending side (0
 * or 1). Does not count the packet: see dv_flow_count. NULL only when out of
 * memory.
 */
dv_flow *dv_flowtab_get(dv_flowtab *t, const dv_pkt *pk, const dv_flow_zone *zone, int64_t ts_ns, uint64_t frame_no,
                        int *dir);

/* Adds the packet to side dir's counters (wirelen is frame.len). */
void dv_flow_count(dv_flow *f, int dir, const dv_pkt *pk, uint32_t wirelen, int64_t ts_ns);

size_t dv_flowtab_size(const dv_flowtab *t);     /* flows in the table */
uint64_t dv_flowtab_evicted(const dv_flowtab *t); /* flows pushed out */
uint64_t dv_flowtab_created(const dv_flowtab *t);

/* Calls fn for every flow in creation order... of those still present. */
void dv_flowtab_each(dv_flowtab *t, void (*fn)(dv_flow *f, void *payload), void *payload);

/* The client/server view: index of the server side. */
static inline int dv_flow_server(const dv_flow *f) { return f->client ^ 1; }

#endif
