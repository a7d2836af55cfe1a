/*
 * tunnel.c - tunnels the audit opens and encrypted tunnels it names. See
 * audit/tunnel_int.h. Header layouts: IP-in-IP RFC 2003, 6in4 RFC 4213,
 * GRE RFC 2784/2890 (key, sequence), enhanced GRE for PPTP RFC 2637,
 * GTP-U 3GPP TS 29.281 (extension header chain), VXLAN RFC 7348, Teredo
 * RFC 4380 (authentication and origin indications), ESP RFC 4303, IKEv2
 * RFC 7296 / NAT traversal RFC 3948, WireGuard's message types 1-4.
 */
#include <string.h>

#include "audit/tunnel_int.h"
#include "capture/link_int.h"
#include "core/rd_int.h"
#include "dv/err.h"

const char *dv_tunnel_name(dv_tunnel_kind k)
{
	static const char *const n[DV_TUN_KINDS] = {
		"none", "ipip", "6in4", "4in6", "6in6", "gre", "gre-eth", "pptp-gre", "gtp-u", "vxlan", "teredo"
	};
	return (unsigned)k < DV_TUN_KINDS ? n[k] : "?";
}

const char *dv_vpn_name(dv_vpn_kind k)
{
	static const char *const n[DV_VPN_KINDS] = {
		"none", "IPsec ESP", "IPsec ESP over UDP", "IPsec IKE", "WireGuard", "OpenVPN"
	};
	return (unsigned)k < DV_VPN_KINDS ? n[k] : "?";
}

const char *dv_ip_proto_name(unsigned p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmpv6";
	case 59: return "ipv6-nonxt";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 115: return "l2tp";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return NULL;
	}
}

int dv_ip_proto_known(unsigned p)
{
	/* l2tp (115) has a name but carries frames the audit does not open */
	return p != 115 && dv_ip_proto_name(p) != NULL;
}

static int set_inner(dv_tunnel *t, dv_tunnel_kind k, int link, dv_rd *r, uint32_t announced, size_t used)
{
	t->kind = k;
	t->inner_link = link;
	t->inner = dv_rd_ptr(r);
	t->inner_cap = dv_rd_left(r);
	t->inner_len = announced > used ? announced - (uint32_t)used : 0;
	if (t->inner_cap > t->inner_len) t->inner_cap = t->inner_len;
	return 1;
}

static int ip_version_ok(const uint8_t *p, size_t n, unsigned want)
{
	return n >= 1 && (p[0] >> 4) == want;
}

static int gre(const dv_pkt *pk, dv_tunnel *t)
{
	dv_rd r = dv_rd_init(pk->ip_payload, pk->ip_payload_cap, "gre", 0);
	uint16_t fv, ptype;
	if (dv_rd_u16be(&r, &fv) < 0 || dv_rd_u16be(&r, &ptype) < 0) return DV_ETRUNC;
	unsigned ver = fv & 7;
	if (ver == 0) {
		if (fv & 0x4000) return DV_EUNSUPPORTED; /* RFC 1701 source routing */
		if (fv & 0x8000 && dv_rd_skip(&r, 4) < 0) return DV_ETRUNC;
		if (fv & 0x2000) {
			if (dv_rd_u32be(&r, &t->key) < 0) return DV_ETRUNC;
			t->has_key = 1;
		}
		if (fv & 0x1000 && dv_rd_skip(&r, 4) < 0) return DV_ETRUNC;
		if (ptype == 0x0800 || ptype == 0x86dd) {
			if (!ip_version_ok(dv_rd_ptr(&r), dv_rd_left(&r), ptype == 0x0800 ? 4 : 6)) return DV_EUNSUPPORTED;
			return set_inner(t, DV_TUN_GRE, DV_DLT_RAW, &r, pk->ip_payload_len, r.pos);
		}
		if (ptype == 0x6558) return set_inner(t, DV_TUN_GRE_TEB, DV_DLT_EN10MB, &r, pk->ip_payload_len, r.pos);
		return DV_EUNSUPPORTED;
	}
	if (ver != 1 || ptype != 0x880b || !(fv & 0x2000)) return DV_EUNSUPPORTED;
	uint16_t plen, call;
	if (dv_rd_u16be(&r, &plen) < 0 || dv_rd_u16be(&r, &call) < 0) return DV_ETRUNC;
	t->key = call;
	t->has_key = 1;
	if (fv & 0x1000 && dv_rd_skip(&r, 4) < 0) return DV_ETRUNC;
	if (fv & 0x0080 && dv_rd_skip(&r, 4) < 0) return DV_ETRUNC;
	if (plen == 0) return 0; /* an acknowledgement only: nothing inside */
	/* PPP: optional address/control FF 03, protocol in 1 (compressed) or 2 bytes */
	if (dv_rd_left(&r) >= 2 && dv_rd_ptr(&r)[0] == 0xff && dv_rd_ptr(&r)[1] == 0x03) dv_rd_skip(&r, 2);
	uint8_t b0;
	uint16_t proto;
	if (dv_rd_u8(&r, &b0) < 0) return DV_ETRUNC;
	if (b0 & 1) {
		proto = b0;
	} else {
		uint8_t b1;
		if (dv_rd_u8(&r, &b1) < 0) return DV_ETRUNC;
		proto = (uint16_t)(b0 << 8 | b1);
	}
	if (proto != 0x21 && proto != 0x57) {
		/* LCP, IPCP, CCP ...: PPP's own control, no IP inside; compressed
		 * (0xfd) or encrypted (MPPE) data cannot be opened */
		return proto >= 0x8000 || proto == 0xc021 ? 0 : DV_EUNSUPPORTED;
	}
	if (!ip_version_ok(dv_rd_ptr(&r), dv_rd_left(&r), proto == 0x21 ? 4 : 6)) return DV_EUNSUPPORTED;
	return set_inner(t, DV_TUN_PPTP, DV_DLT_RAW, &r, pk->ip_payload_len, r.pos);
}

static int gtpu(const dv_pkt *pk, dv_tunnel *t)
{
	dv_rd r = dv_rd_init(pk->payload, pk->payload_cap, "gtp-u", 0);
	uint8_t h[8];
	if (dv_rd_bytes(&r, h, 8) < 0) return 0;
	if ((h[0] >> 5) != 1 || !(h[0] & 0x10) || h[1] != 0xff) return 0; /* not a G-PDU */
	t->key = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	t->has_key = 1;
	if (h[0] & 0x07) {
		uint8_t o[4];
		if (dv_rd_bytes(&r, o, 4) < 0) return DV_ETRUNC;
		uint8_t next = (h[0] & 0x04) ? o[3] : 0;
		for (int i = 0; next && i < 16; i++) {
			uint8_t l;
			if (dv_rd_u8(&r, &l) < 0) return DV_ETRUNC;
			if (l == 0) return DV_EUNSUPPORTED;
			if (dv_rd_skip(&r, (size_t)l * 4 - 2) < 0 || dv_rd_u8(&r, &next) < 0) return DV_ETRUNC;
		}
		if (next) return DV_EUNSUPPORTED;
	}
	const uint8_t *p = dv_rd_ptr(&r);
	if (dv_rd_left(&r) < 1) return 0; /* an empty G-PDU */
	if ((p[0] >> 4) != 4 && (p[0] >> 4) != 6) return DV_EUNSUPPORTED; /* a non-IP PDU */
	return set_inner(t, DV_TUN_GTPU, DV_DLT_RAW, &r, pk->l4_len, r.pos);
}

static int vxlan(const dv_pkt *pk, dv_tunnel *t)
{
	dv_rd r = dv_rd_init(pk->payload, pk->payload_cap, "vxlan", 0);
	uint8_t h[8];
	if (dv_rd_bytes(&r, h, 8) < 0 || !(h[0] & 0x08) || dv_rd_left(&r) < 14) return 0;
	t->key = (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6];
	t->has_key = 1;
	return set_inner(t, DV_TUN_VXLAN, DV_DLT_EN10MB, &r, pk->l4_len, 8);
}

static int teredo_addr(const uint8_t *a) { return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0; }

/* Off port 3544 (a relay's traffic): an IPv6 header, after an optional
 * origin indication, with a Teredo (2001::/32) address at one end. */
static int teredo_hint(const uint8_t *p, size_t n)
{
	size_t off = n >= 2 && p[0] == 0 && p[1] == 0 ? 8 : 0;
	if (n < off + 40 || (p[off] >> 4) != 6) return 0;
	return teredo_addr(p + off + 8) || teredo_addr(p + off + 24);
}

static int teredo(const dv_pkt *pk, dv_tunnel *t)
{
	dv_rd r = dv_rd_init(pk->payload, pk->payload_cap, "teredo", 0);
	int on_port = pk->sport == 3544 || pk->dport == 3544;
	for (int i = 0; i < 2 && dv_rd_left(&r) >= 2 && dv_rd_ptr(&r)[0] == 0; i++) {
		const uint8_t *p = dv_rd_ptr(&r);
		if (p[1] == 1 && dv_rd_left(&r) >= 4) { /* authentication indicator */
			if (dv_rd_skip(&r, 4 + (size_t)p[2] + p[3] + 9) < 0) return 0;
		} else if (p[1] == 0) { /* origin indication */
			if (dv_rd_skip(&r, 8) < 0) return 0;
		} else {
			return 0;
		}
	}
	const uint8_t *p = dv_rd_ptr(&r);
	size_t n = dv_rd_left(&r);
	if (n < 40 || (p[0] >> 4) != 6) return 0;
	/* the IPv6 packet must fill the datagram, and (off port 3544) one end be a Teredo address */
	if ((size_t)(p[4] << 8 | p[5]) + 40 + r.pos != pk->l4_len) return 0;
	if (!on_port && !teredo_addr(p + 8) && !teredo_addr(p + 24)) return 0;
	return set_inner(t, DV_TUN_TEREDO, DV_DLT_RAW, &r, pk->l4_len, r.pos);
}

int dv_tunnel_find(const dv_pkt *pk, dv_tunnel *t)
{
	memset(t, 0, sizeof(*t));
	switch (pk->proto) {
	case 4:
	case 41: {
		if (pk->flags & DV_PKT_FRAG) return DV_EUNSUPPORTED;
		unsigned want = pk->proto == 4 ? 4 : 6;
		if (!ip_version_ok(pk->ip_payload, pk->ip_payload_cap, want)) return pk->ip_payload_cap ? DV_EUNSUPPORTED : DV_ETRUNC;
		dv_tunnel_kind k = pk->ipver == 4 ? (want == 4 ? DV_TUN_IPIP : DV_TUN_6IN4) : (want == 4 ? DV_TUN_4IN6 : DV_TUN_6IN6);
		dv_rd r = dv_rd_init(pk->ip_payload, pk->ip_payload_cap, "ip-in-ip", 0);
		return set_inner(t, k, DV_DLT_RAW, &r, pk->ip_payload_len, 0);
	}
	case 47:
		if (pk->flags & DV_PKT_FRAG) return DV_EUNSUPPORTED;
		return gre(pk, t);
	case 17:
		if (!pk->has_ports || !pk->payload || (pk->flags & DV_PKT_FRAG)) return 0;
		if (pk->dport == 2152 || pk->sport == 2152) return gtpu(pk, t);
		if (pk->dport == 4789 || pk->sport == 4789) return vxlan(pk, t);
		/* Teredo: port 3544 to the server; relays use any port, so also an
		 * IPv6 header that fills the datagram with a 2001::/32 address */
		if (pk->dport == 3544 || pk->sport == 3544 || teredo_hint(pk->payload, pk->payload_cap)) return teredo(pk, t);
		return 0;
	default:
		return 0;
	}
}

static int wg_shape(const uint8_t *p, size_t n, uint32_t len, int weak_ok)
{
	if (n < 4 || p[1] || p[2] || p[3]) return 0;
	switch (p[0]) {
	case 1: return len == 148;
	case 2: return len == 92;
	case 3: return len == 64;
	case 4: return weak_ok && len >= 32 && len % 16 == 0;
	default: return 0;
	}
}

dv_vpn_kind dv_vpn_detect(const dv_pkt *pk)
{
	if (pk->proto == 50) return DV_VPN_ESP;
	if (!pk->has_ports || !pk->payload) return DV_VPN_NONE;
	const uint8_t *p = pk->payload;
	size_t n = pk->payload_cap;
	uint16_t sp = pk->sport, dp = pk->dport;
	if (pk->proto == 17) {
		if (sp == 4500 || dp == 4500) {
			if (n == 1 && p[0] == 0xff) return DV_VPN_ESP_UDP; /* NAT keepalive */
			if (n >= 4 && !p[0] && !p[1] && !p[2] && !p[3]) return DV_VPN_IKE; /* non-ESP marker */
			return n >= 8 ? DV_VPN_ESP_UDP : DV_VPN_NONE;
		}
		if ((sp == 500 || dp == 500) && n >= 28 && (p[17] == 0x20 || p[17] == 0x10)) return DV_VPN_IKE;
		if (wg_shape(p, n, pk->l4_len, sp == 51820 || dp == 51820)) return DV_VPN_WIREGUARD;
		if ((sp == 1194 || dp == 1194) && n >= 1 && (p[0] >> 3) >= 1 && (p[0] >> 3) <= 11) return DV_VPN_OPENVPN;
	} else if (pk->proto == 6 && (sp == 1194 || dp == 1194) && n >= 3 && (p[2] >> 3) >= 1 && (p[2] >> 3) <= 11) {
		return DV_VPN_OPENVPN;
	}
	return DV_VPN_NONE;
}
