/*
 * pcapread.c - capture files through libpcap, and the link/IP/transport
 * decoder. See dv/pcapread.h for the byte conventions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/pcapread.h"
#include "dv/rd.h"

struct dv_pcap {
	pcap_t *pc;
	int linktype;
	int nsec;
	uint64_t number;
	char path[512];
};

int dv_pcap_open(dv_pcap **out, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return dv_error_errno(errno, path, -1, "cannot open capture");
	/* A large stdio buffer: libpcap reads record by record. */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	/* Ask for nanoseconds; libpcap scales microsecond files up. */
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		fclose(f);
		return dv_error_set(DV_EINVAL, path, 0, "not a readable pcap or pcapng capture: %s", errbuf);
	}
	dv_pcap *p = calloc(1, sizeof(*p));
	if (!p) {
		pcap_close(pc);
		return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	}
	p->pc = pc;
	p->linktype = pcap_datalink(pc);
	p->nsec = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
	snprintf(p->path, sizeof(p->path), "%s", path);
	*out = p;
	return 0;
}

int dv_pcap_next(dv_pcap *p, dv_frame *out)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(p->pc, &h, &d);
	if (rc == 1) {
		p->number++;
		out->number = p->number;
		/* Hostile files carry any time: clamp to 1970..2096 so that
		 * nanoseconds and differences of them stay inside int64. */
		int64_t sec = (int64_t)h->ts.tv_sec;
		if (sec < 0) sec = 0;
		if (sec > 4000000000) sec = 4000000000;
		out->ts_ns = sec * 1000000000 + (int64_t)h->ts.tv_usec * (p->nsec ? 1 : 1000);
		out->caplen = h->caplen;
		out->wirelen = h->len < h->caplen ? h->caplen : h->len;
		out->data = d;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	/* libpcap reports a cut last record as an error: name where. */
	return dv_error_set(DV_ETRUNC, p->path, -1, "capture damaged or cut after frame %llu: %s",
	                    (unsigned long long)p->number, pcap_geterr(p->pc));
}

int dv_pcap_linktype(const dv_pcap *p) { return p->linktype; }
const char *dv_pcap_path(const dv_pcap *p) { return p->path; }

void dv_pcap_free(dv_pcap *p)
{
	if (!p) return;
	pcap_close(p->pc);
	free(p);
}

/* ---- decoder --------------------------------------------------------- */

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

bool dv_pkt_linktype_supported(int lt)
{
	switch (lt) {
	case DLT_EN10MB: case DLT_RAW: case 14: case 101: case DLT_IPV4: case DLT_IPV6:
	case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL: case DLT_LOOP:
	case DLT_IEEE802_11: case DLT_IEEE802_11_RADIO:
		return true;
	default:
		return false;
	}
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
	pk->ip_payload_len = tot - ihl;
	return decode_l4(r, tot - ihl, pk);
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

static int decode_ethertype(dv_rd *r, uint16_t et, dv_pkt *pk)
{
	for (int depth = 0; depth < 8; depth++) {
		switch (et) {
		case 0x0800: return decode_ipv4(r, pk);
		case 0x86dd: return decode_ipv6(r, pk);
		case 0x8100: case 0x88a8: case 0x9100: {
			uint16_t tci;
			if (dv_rd_u16be(r, &tci) < 0 || dv_rd_u16be(r, &et) < 0) return DV_ETRUNC;
			if (!(pk->flags & DV_PKT_VLAN)) pk->vlan[0] = tci & 0x0fff;
			else pk->vlan[1] = tci & 0x0fff;
			pk->flags |= DV_PKT_VLAN;
			continue;
		}
		case 0x8864: { /* PPPoE session: ver/type, code, session, length, PPP protocol */
			uint8_t h[6];
			uint16_t ppp;
			if (dv_rd_bytes(r, h, 6) < 0 || dv_rd_u16be(r, &ppp) < 0) return DV_ETRUNC;
			pk->flags |= DV_PKT_PPPOE;
			if (ppp == 0x0021) return decode_ipv4(r, pk);
			if (ppp == 0x0057) return decode_ipv6(r, pk);
			return DV_EUNSUPPORTED;
		}
		default:
			return DV_EUNSUPPORTED;
		}
	}
	return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "too many nested tags");
}

static int decode_ip_by_version(dv_rd *r, dv_pkt *pk)
{
	if (dv_rd_left(r) < 1) return dv_rd_short(r, 1, "ip header");
	uint8_t v = dv_rd_ptr(r)[0] >> 4;
	if (v == 4) return decode_ipv4(r, pk);
	if (v == 6) return decode_ipv6(r, pk);
	return DV_EUNSUPPORTED;
}

static int decode_80211(dv_rd *r, dv_pkt *pk)
{
	uint8_t fc0, fc1;
	const uint8_t *h;
	if (dv_rd_need(r, 24, "802.11 header") < 0) return DV_ETRUNC;
	h = dv_rd_ptr(r);
	fc0 = h[0];
	fc1 = h[1];
	if (((fc0 >> 2) & 3) != 2) return DV_EUNSUPPORTED; /* not a data frame */
	if (fc1 & 0x40) {                                   /* protected: encrypted */
		pk->flags |= DV_PKT_WLAN_PROTECTED;
		return DV_EUNSUPPORTED;
	}
	uint8_t sub = (uint8_t)(fc0 >> 4);
	if (sub & 0x4) return DV_EUNSUPPORTED;              /* null data, no body */
	size_t hl = 24;
	if ((fc1 & 3) == 3) hl += 6;                        /* ToDS and FromDS: addr4 */
	if (sub & 0x8) {                                    /* QoS */
		hl += 2;
		if (fc1 & 0x80) hl += 4;                    /* HT control */
	}
	if (dv_rd_skip(r, hl) < 0) return DV_ETRUNC;
	uint8_t llc[8];
	if (dv_rd_bytes(r, llc, 8) < 0) return DV_ETRUNC;
	if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03) return DV_EUNSUPPORTED;
	return decode_ethertype(r, (uint16_t)(llc[6] << 8 | llc[7]), pk);
}

int dv_pkt_decode(int lt, const uint8_t *data, size_t caplen, const char *name, dv_pkt *pk)
{
	dv_rd r = dv_rd_init(data, caplen, name, 0);
	memset(pk, 0, sizeof(*pk));
	uint16_t et;
	switch (lt) {
	case DLT_EN10MB:
		if (dv_rd_skip(&r, 12) < 0 || dv_rd_u16be(&r, &et) < 0) return DV_ETRUNC;
		if (et < 0x0600) return DV_EUNSUPPORTED; /* 802.3 length + LLC */
		return decode_ethertype(&r, et, pk);
	case DLT_RAW: case 14: case 101: case DLT_IPV4: case DLT_IPV6:
		return decode_ip_by_version(&r, pk);
	case DLT_LINUX_SLL:
		if (dv_rd_skip(&r, 14) < 0 || dv_rd_u16be(&r, &et) < 0) return DV_ETRUNC;
		return decode_ethertype(&r, et, pk);
	case DLT_LINUX_SLL2:
		if (dv_rd_u16be(&r, &et) < 0 || dv_rd_skip(&r, 18) < 0) return DV_ETRUNC;
		return decode_ethertype(&r, et, pk);
	case DLT_NULL: case DLT_LOOP:
		if (dv_rd_skip(&r, 4) < 0) return DV_ETRUNC;
		return decode_ip_by_version(&r, pk);
	case DLT_IEEE802_11:
		return decode_80211(&r, pk);
	case DLT_IEEE802_11_RADIO: {
		uint16_t rlen;
		if (dv_rd_skip(&r, 2) < 0 || dv_rd_u16le(&r, &rlen) < 0) return DV_ETRUNC;
		if (rlen < 4) return dv_error_set(DV_EINVAL, name, 2, "radiotap length %u < 4", rlen);
		if (dv_rd_skip(&r, (size_t)rlen - 4) < 0) return DV_ETRUNC;
		return decode_80211(&r, pk);
	}
	default:
		return DV_EUNSUPPORTED;
	}
}
