/*
 * audit/tunnel_int.h - what an IP packet carries inside it: the tunnels the
 * audit opens (IP-in-IP, 6in4/6to4, 4in6, GRE incl. keyed and transparent
 * Ethernet bridging, PPTP's enhanced GRE, GTP-U, VXLAN, Teredo) and the
 * encrypted tunnels it can only name (IPsec ESP/IKE, WireGuard, OpenVPN).
 *
 * dv_tunnel_find looks only at a decoded packet's own bytes (dv_rd, never
 * outside pk->ip_payload / pk->payload); the caller decodes the inner
 * packet with dv_pkt_decode(t.inner_link, t.inner, t.inner_cap, ...).
 */
#ifndef DV_AUDIT_TUNNEL_INT_H
#define DV_AUDIT_TUNNEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "audit/pkt_int.h"

/* Nesting the audit follows at most (outer packet = depth 0). */
#define DV_TUNNEL_MAX_DEPTH 4

typedef enum dv_tunnel_kind {
	DV_TUN_NONE = 0,
	DV_TUN_IPIP,      /* IPv4 in IPv4 (protocol 4) */
	DV_TUN_6IN4,      /* IPv6 in IPv4 (protocol 41: 6in4, 6to4, ISATAP) */
	DV_TUN_4IN6,      /* IPv4 in IPv6 (next header 4) */
	DV_TUN_6IN6,      /* IPv6 in IPv6 (next header 41) */
	DV_TUN_GRE,       /* GRE (47) carrying IPv4/IPv6, optionally keyed */
	DV_TUN_GRE_TEB,   /* GRE transparent Ethernet bridging (0x6558) */
	DV_TUN_PPTP,      /* enhanced GRE (version 1) carrying PPP */
	DV_TUN_GTPU,      /* GTP-U G-PDU (UDP 2152) */
	DV_TUN_VXLAN,     /* VXLAN (UDP 4789) */
	DV_TUN_TEREDO,    /* Teredo (UDP 3544) */
	DV_TUN_KINDS
} dv_tunnel_kind;

typedef struct dv_tunnel {
	dv_tunnel_kind kind;
	int inner_link;           /* DV_DLT_RAW (an IP packet) or DV_DLT_EN10MB */
	const uint8_t *inner;     /* borrowed from the outer packet */
	size_t inner_cap;         /* captured bytes of it */
	uint32_t inner_len;       /* bytes the outer headers announce for it */
	uint32_t key;             /* GRE key / VXLAN VNI / GTP TEID / PPTP call id */
	uint8_t has_key;
} dv_tunnel;

/*
 * What pk carries: 1 with *t filled for a tunnel to open; 0 when pk is no
 * tunnel (the common case, decided from the protocol and ports alone);
 * DV_EUNSUPPORTED for a tunnel protocol whose payload the audit cannot
 * open (GRE of another protocol type, PPP control, a fragment), DV_ETRUNC
 * when its header is cut. UDP ports are only a hint: a UDP packet on a
 * tunnel port whose header does not check out is not a tunnel (0).
 */
int dv_tunnel_find(const dv_pkt *pk, dv_tunnel *t);

/* The cheap test in front of dv_tunnel_find, inline for the common case
 * (plain TCP/UDP): 0 when pk certainly carries no tunnel. */
static inline int dv_tunnel_maybe(const dv_pkt *pk)
{
	if (pk->proto == 4 || pk->proto == 41 || pk->proto == 47) return 1;
	if (pk->proto != 17 || !pk->payload || pk->payload_cap < 8) return 0;
	uint16_t s = pk->sport, d = pk->dport;
	if (s == 2152 || d == 2152 || s == 4789 || d == 4789 || s == 3544 || d == 3544) return 1;
	/* Teredo through a relay: an IPv6 header (after an origin indication) */
	const uint8_t *p = pk->payload;
	return (p[0] >> 4) == 6 || (p[0] == 0 && p[1] == 0);
}
const char *dv_tunnel_name(dv_tunnel_kind k);

/* Encrypted tunnels: content hidden, only the peer is known. */
typedef enum dv_vpn_kind {
	DV_VPN_NONE = 0,
	DV_VPN_ESP,        /* IPsec ESP (protocol 50) */
	DV_VPN_ESP_UDP,    /* ESP in UDP 4500 (NAT traversal) */
	DV_VPN_IKE,        /* IKE key exchange (UDP 500/4500) */
	DV_VPN_WIREGUARD,
	DV_VPN_OPENVPN,
	DV_VPN_KINDS
} dv_vpn_kind;

/* The encrypted tunnel one packet belongs to, from its bytes (and ports). */
dv_vpn_kind dv_vpn_detect(const dv_pkt *pk);
const char *dv_vpn_name(dv_vpn_kind k);

/* True for the IP protocols the audit reads or knows to be link-local
 * control (ICMP, IGMP, TCP, UDP, tunnels, ESP/AH, SCTP, OSPF, PIM, VRRP ...). */
int dv_ip_proto_known(unsigned proto);
/* "icmp", "gre", "esp", ...; NULL when the audit has no name for it. */
const char *dv_ip_proto_name(unsigned proto);

#endif
