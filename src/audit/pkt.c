/*
 * pkt.c - the audit's IP/transport decoder on top of the shared link walk
 * (capture/link_int.h). See audit/pkt_int.h for the byte conventions.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "audit/pkt_int.h"
#include "capture/link_int.h"
#include "dv/audit.h"
#include "dv/err.h"
#include "core/rd_int.h"

bool dv_pkt_linktype_supported(int lt)
{
	return (dv_linktype_caps(lt) & DV_LINKTYPE_IP) != 0;
}

void dv_addr_str(char *buf, size_t size, int ipver, const uint8_t *addr)
{
	if (ipver == 6) {
		if (!inet_ntop(AF_INET6, addr, buf, (socklen_t)size)) snprintf(buf, size, "?");
	} else if (ipver == 4) {
		if (!inet_ntop(AF_INET, addr, buf, (socklen_t)size)) snprintf(buf, size, "?");
	} else {
		snprintf(buf, size, "-");
	}
}

static int decode_l4(dv_rd *r, uint32_t avail_decl, dv_pkt *pk)
{
	/* avail_decl: transport bytes the IP header announces. */
	pk->ip_payload = dv_rd_ptr(r);
	pk->ip_payload_cap = (uint32_t)(dv_rd_left(r) < avail_decl ? dv_rd_left(r) : avail_decl);
	if (pk->flags & DV_PKT_FRAG && !(pk->flags & DV_PKT_FRAG_FIRST))
		return 0;  /* no transport header in later fragments */
	if (pk->proto == 6) {
		uint8_t off;
		if (dv_rd_need(r, 20, "tcp header") < 0) return DV_ETRUNC;
		const uint8_t *t = dv_rd_ptr(r);
		pk->sport = (uint16_t)(t[0] << 8 | t[1]);
		pk->dport = (uint16_t)(t[2] << 8 | t[3]);
		pk->tcp_seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
		off = (uint8_t)((t[12] >> 4) * 4);
		pk->tcp_flags = t[13];
		if (off < 20)
			return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "tcp header length %u < 20", off);
		pk->has_ports = 1;
		/* in a first fragment this is the part carried here */
		pk->l4_len = avail_decl > off ? avail_decl - off : 0;
		if (dv_rd_left(r) < off) {
			pk->flags |= DV_PKT_SNAPCUT;
			pk->payload = NULL;
			pk->payload_cap = 0;
			return 0;
		}
		dv_rd_skip(r, off);
	} else if (pk->proto == 17 || pk->proto == 136 /* UDP-Lite */) {
		if (dv_rd_need(r, 8, "udp header") < 0) return DV_ETRUNC;
		const uint8_t *u = dv_rd_ptr(r);
		uint16_t ulen = (uint16_t)(u[4] << 8 | u[5]);
		pk->sport = (uint16_t)(u[0] << 8 | u[1]);
		pk->dport = (uint16_t)(u[2] << 8 | u[3]);
		pk->has_ports = 1;
		if (pk->proto == 136 || (pk->flags & DV_PKT_FRAG)) ulen = (uint16_t)(avail_decl > 0xffff ? 0xffff : avail_decl);
		if (ulen == 0 && avail_decl > 8) ulen = (uint16_t)(avail_decl > 0xffff ? 0xffff : avail_decl); /* jumbo */
		/* never more than the IP header announced */
		uint32_t l = ulen > 8 ? (uint32_t)ulen - 8 : 0;
		uint32_t ipl = avail_decl > 8 ? avail_decl - 8 : 0;
		pk->l4_len = l < ipl ? l : ipl;
		dv_rd_skip(r, 8);
	} else if (pk->proto == 132) { /* SCTP: ports in its common header, then chunks */
		if (dv_rd_need(r, 12, "sctp header") < 0) return DV_ETRUNC;
		const uint8_t *s = dv_rd_ptr(r);
		pk->sport = (uint16_t)(s[0] << 8 | s[1]);
		pk->dport = (uint16_t)(s[2] << 8 | s[3]);
		pk->has_ports = 1;
		pk->l4_len = avail_decl > 12 ? avail_decl - 12 : 0;
		dv_rd_skip(r, 12);
	} else {
		pk->l4_len = avail_decl;
		pk->payload = dv_rd_ptr(r);
		pk->payload_cap = (uint32_t)(dv_rd_left(r) < avail_decl ? dv_rd_left(r) : avail_decl);
		return 0;
	}
	size_t left = dv_rd_left(r);
	pk->payload = dv_rd_ptr(r);
	pk->payload_cap = (uint32_t)(left < pk->l4_len ? left : pk->l4_len);
	if (pk->payload_cap < pk->l4_len) pk->flags |= DV_PKT_SNAPCUT;
	return 0;
}

static int decode_ipv4(dv_rd *r, dv_pkt *pk)
{
	if (dv_rd_need(r, 20, "ipv4 header") < 0) return DV_ETRUNC;
	const uint8_t *h = dv_rd_ptr(r);
	unsigned ihl = (unsigned)(h[0] & 0x0f) * 4;
	if ((h[0] >> 4) != 4)
		return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "ip version %u in an ipv4 frame", h[0] >> 4);
	if (ihl < 20)
		return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "ipv4 header length %u < 20", ihl);
	unsigned tot = (unsigned)(h[2] << 8 | h[3]);
	if (tot == 0) /* TSO on the capturing host: use what is there */
		tot = (unsigned)(dv_rd_left(r) > 0xffff ? 0xffff : dv_rd_left(r));
	if (tot < ihl)
		return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "ipv4 total length %u < header %u", tot, ihl);
	pk->ipver = 4;
	pk->proto = h[9];
	pk->l3 = h;
	pk->l3_cap = (uint32_t)(dv_rd_left(r) < tot ? dv_rd_left(r) : tot);
	memcpy(pk->src, h + 12, 4);
	memcpy(pk->dst, h + 16, 4);
	uint16_t fo = (uint16_t)(h[6] << 8 | h[7]);
	pk->frag_id = (uint32_t)(h[4] << 8 | h[5]);
	if (fo & 0x3fff) {
		pk->flags |= DV_PKT_FRAG;
		if ((fo & 0x1fff) == 0) pk->flags |= DV_PKT_FRAG_FIRST;
		if (fo & 0x2000) pk->flags |= DV_PKT_FRAG_MORE;
		pk->frag_off = (uint32_t)(fo & 0x1fff) * 8;
	}
	if (dv_rd_need(r, ihl, "ipv4 options") < 0) return DV_ETRUNC;
	dv_rd_skip(r, ihl);
	uint32_t avail = tot - ihl;
	if (pk->proto == 51 && !(pk->flags & DV_PKT_FRAG)) {
		/* AH (RFC 4302) authenticates, it does not hide: read what follows */
		uint8_t e[2];
		if (dv_rd_bytes(r, e, 2) < 0) return DV_ETRUNC;
		size_t alen = ((size_t)e[1] + 2) * 4;
		if (alen > avail)
			return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "ipv4 AH header exceeds the packet");
		if (dv_rd_skip(r, alen - 2) < 0) return DV_ETRUNC;
		avail -= (uint32_t)alen;
		pk->proto = e[0];
	}
	pk->ip_payload_len = avail;
	return decode_l4(r, avail, pk);
}

static int decode_ipv6(dv_rd *r, dv_pkt *pk)
{
	if (dv_rd_need(r, 40, "ipv6 header") < 0) return DV_ETRUNC;
	const uint8_t *h = dv_rd_ptr(r);
	if ((h[0] >> 4) != 6)
		return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "ip version %u in an ipv6 frame", h[0] >> 4);
	uint32_t plen = (uint32_t)(h[4] << 8 | h[5]);
	uint8_t nh = h[6];
	pk->ipver = 6;
	pk->l3 = h;
	pk->l3_cap = (uint32_t)(dv_rd_left(r) < 40 + (size_t)plen ? dv_rd_left(r) : 40 + (size_t)plen);
	memcpy(pk->src, h + 8, 16);
	memcpy(pk->dst, h + 24, 16);
	dv_rd_skip(r, 40);
	if (plen == 0) plen = (uint32_t)dv_rd_left(r); /* jumbogram or TSO */
	for (int i = 0; i < 8; i++) {
		uint8_t e[8];
		size_t elen;
		if (nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 51) {
			if (dv_rd_bytes(r, e, 2) < 0) return DV_ETRUNC;
			elen = nh == 51 ? ((size_t)e[1] + 2) * 4 : ((size_t)e[1] + 1) * 8;
			if (dv_rd_skip(r, elen - 2) < 0) return DV_ETRUNC;
		} else if (nh == 44) {
			if (dv_rd_bytes(r, e, 8) < 0) return DV_ETRUNC;
			elen = 8;
			uint16_t fo = (uint16_t)(e[2] << 8 | e[3]);
			pk->flags |= DV_PKT_FRAG;
			pk->frag_id = (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 | (uint32_t)e[6] << 8 | e[7];
			if ((fo & 0xfff8) == 0) pk->flags |= DV_PKT_FRAG_FIRST;
			if (fo & 1) pk->flags |= DV_PKT_FRAG_MORE;
			pk->frag_off = fo & 0xfff8;
			if ((fo & 0xfff8) == 0 && !(fo & 1)) /* atomic fragment: a whole packet */
				pk->flags &= ~(uint32_t)(DV_PKT_FRAG | DV_PKT_FRAG_FIRST | DV_PKT_FRAG_MORE);
		} else {
			break;
		}
		if (elen > plen)
			return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "ipv6 extension headers exceed payload length %u", plen);
		plen -= (uint32_t)elen;
		nh = e[0];
	}
	pk->proto = nh;
	pk->ip_payload_len = plen;
	return decode_l4(r, plen, pk);
}

static int decode_ip_by_version(dv_rd *r, dv_pkt *pk)
{
	if (dv_rd_left(r) < 1) return dv_rd_short(r, 1, "ip header");
	uint8_t v = dv_rd_ptr(r)[0] >> 4;
	if (v == 4) return decode_ipv4(r, pk);
	if (v == 6) return decode_ipv6(r, pk);
	return DV_EUNSUPPORTED;
}

/* EtherTypes of link-local control that cannot carry IP to the Internet. */
static int ethertype_local(uint16_t et)
{
	switch (et) {
	case 0x0806: /* ARP */
	case 0x8035: /* RARP */
	case 0x0842: /* Wake-on-LAN */
	case 0x8809: /* slow protocols (LACP) */
	case 0x8863: /* PPPoE discovery */
	case 0x888e: /* EAPOL */
	case 0x88c7: /* RSN pre-authentication */
	case 0x88cc: /* LLDP */
	case 0x88e1: /* HomePlug AV */
	case 0x88f7: /* PTP */
	case 0x890d: /* 802.11r fast BSS transition */
	case 0x8912: /* HomePlug (MediaXtream) */
	case 0x893a: /* IEEE 1905.1 */
	case 0x8899: /* Realtek RRCP */
	case 0x9000: /* configuration test protocol (loopback) */
		return 1;
	default:
		return 0;
	}
}

int dv_pkt_decode(int lt, const uint8_t *data, size_t caplen, const char *name, dv_pkt *pk)
{
	memset(pk, 0, sizeof(*pk));
	dv_link l;
	int rc = dv_link_walk(lt, data, caplen, name, &l);
	if (l.flags & DV_LINK_VLAN) {
		pk->flags |= DV_PKT_VLAN;
		pk->vlan[0] = l.vlan[0];
		pk->vlan[1] = l.vlan[1];
	}
	if (l.flags & DV_LINK_PPPOE) pk->flags |= DV_PKT_PPPOE;
	/* an encrypted data frame: what hides the picture */
	if ((l.flags & DV_LINK_WLAN_PROTECTED) && ((l.wlan_fc[0] >> 2) & 3) == 2) pk->flags |= DV_PKT_WLAN_PROTECTED;
	if (rc < 0) return rc;
	dv_rd body = dv_link_body(&l, name);
	switch (l.kind) {
	case DV_LINK_ETHERTYPE:
		if (l.ethertype == 0x0800) return decode_ipv4(&body, pk);
		if (l.ethertype == 0x86dd) return decode_ipv6(&body, pk);
		if (!ethertype_local(l.ethertype)) pk->flags |= DV_PKT_UNKNOWN_L2;
		return DV_EUNSUPPORTED;
	case DV_LINK_IP:
		return decode_ip_by_version(&body, pk);
	default:
		return DV_EUNSUPPORTED;
	}
}
