/*
 * audit/pkt_int.h - the audit's packet decoder: from one captured frame
 * (link headers walked by capture/link_int.h) to the addresses, ports and
 * transport payload the audit needs: IPv4/IPv6 (extension headers,
 * fragments), TCP, UDP, UDP-Lite.
 *
 * Byte conventions follow tshark so results can be checked against it:
 * `wirelen` is the whole original frame (frame.len, link header included);
 * `l4_len` is the transport payload the headers announce (tcp.len, or
 * udp.length - 8), which may exceed what a snaplen-cut frame holds;
 * `payload`/`payload_cap` is what was actually captured of it.
 */
#ifndef DV_AUDIT_PKT_INT_H
#define DV_AUDIT_PKT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/capture.h"

/* True when the decoder understands this DLT_* link type. */
bool dv_pkt_linktype_supported(int linktype);

enum {
	DV_PKT_FRAG = 1u << 0,      /* an IP fragment (any part) */
	DV_PKT_FRAG_FIRST = 1u << 1,/* the fragment with offset 0 */
	DV_PKT_SNAPCUT = 1u << 2,   /* headers announce more than was captured */
	DV_PKT_VLAN = 1u << 3,      /* carried one or more 802.1Q/ad tags */
	DV_PKT_PPPOE = 1u << 4,     /* carried in a PPPoE session */
	DV_PKT_WLAN_PROTECTED = 1u << 5,/* an encrypted 802.11 data frame (unreadable) */
	DV_PKT_FRAG_MORE = 1u << 6, /* more fragments follow (MF set) */
	DV_PKT_UNKNOWN_L2 = 1u << 7 /* an EtherType the audit cannot read (MPLS pseudowire, MACsec ...):
	                               it may hide IP, so it is no proof of "clean" */
};

/* What the decoder found in one frame. */
typedef struct dv_pkt {
	uint8_t ipver;            /* 4 or 6; 0 when no IP was found */
	uint8_t proto;            /* IP protocol: 6 TCP, 17 UDP, others */
	uint8_t has_ports;        /* 1 when sport/dport/l4 fields are valid */
	uint8_t tcp_flags;        /* TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 ACK 0x10) */
	uint8_t src[16], dst[16]; /* addresses; IPv4 uses the first 4 bytes */
	uint16_t sport, dport;
	uint32_t tcp_seq;         /* TCP sequence number */
	uint32_t frag_id;         /* IPv4/IPv6 fragment identification */
	uint32_t frag_off;        /* fragment offset in bytes */
	const uint8_t *ip_payload;/* what follows the IP (and extension) headers (borrowed) */
	uint32_t ip_payload_cap;  /* captured bytes of it, <= ip_payload_len */
	uint32_t flags;           /* DV_PKT_* */
	uint16_t vlan[2];         /* outer VLAN IDs, when DV_PKT_VLAN */
	uint32_t ip_payload_len;  /* what the IP header announces after itself */
	uint32_t l4_len;          /* tcp.len or udp.length-8 (announced) */
	const uint8_t *l3;        /* the IP header (borrowed) */
	uint32_t l3_cap;          /* captured bytes from l3 on, within the IP packet */
	const uint8_t *payload;   /* captured transport payload (borrowed) */
	uint32_t payload_cap;     /* captured bytes of it, <= l4_len */
} dv_pkt;

/*
 * Decodes one frame of the given link type. Returns 0 when an IP packet was
 * found (has_ports says whether TCP/UDP ports were), DV_EUNSUPPORTED for
 * frames that carry no IP (ARP, EAPOL, encrypted 802.11, unknown link
 * types), or DV_ETRUNC/DV_EINVAL for a damaged frame (error text names
 * `name` and offset within the frame). Never reads outside data[0..caplen).
 */
int dv_pkt_decode(int linktype, const uint8_t *data, size_t caplen, const char *name, dv_pkt *out);

#endif
