/*
 * capture/link_int.h - the one link-layer walk shared by the audit and the
 * Remote ID reader: from a captured frame of a DLT_* link type to what it
 * carries, through dv_rd (nothing is read outside data[0..caplen)).
 *
 *   Ethernet (802.1Q / 802.1ad / QinQ tags, PPPoE session), Linux cooked
 *   SLL and SLL2       -> DV_LINK_ETHERTYPE (tags and PPPoE walked)
 *   raw IPv4/IPv6 (DLT_RAW, IPV4, IPV6), BSD loopback (NULL/LOOP)
 *                      -> DV_LINK_IP
 *   IEEE 802.11, with radiotap (flags, FCS, dBm signal) or PPI
 *                      -> DV_LINK_WLAN_MGMT (management frame body) or,
 *                         for unprotected data frames with LLC/SNAP,
 *                         DV_LINK_ETHERTYPE
 *   Bluetooth LE link layer (plain, with PHDR, nRF Sniffer)
 *                      -> DV_LINK_BLE_LL (from the access address)
 *   Bluetooth HCI H4 (with or without direction), Linux monitor
 *                      -> DV_LINK_HCI_EVENT (from the event code)
 *
 * What is not read by either consumer (ARP, control frames, encrypted
 * 802.11, HCI commands ...) is DV_LINK_OTHER. Errors name `name` and the
 * offset within the frame.
 */
#ifndef DV_CAPTURE_LINK_INT_H
#define DV_CAPTURE_LINK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/capture.h"
#include "core/rd_int.h"

/* pcap DLT_* values (as pcap_datalink() reports them on Linux). */
enum {
	DV_DLT_NULL = 0,
	DV_DLT_EN10MB = 1,
	DV_DLT_RAW = 12,
	DV_DLT_RAW_BSD = 14,
	DV_DLT_RAW_LINKTYPE = 101,
	DV_DLT_IEEE802_11 = 105,
	DV_DLT_LOOP = 108,
	DV_DLT_LINUX_SLL = 113,
	DV_DLT_RADIOTAP = 127,
	DV_DLT_HCI_H4 = 187,
	DV_DLT_PPI = 192,
	DV_DLT_HCI_H4_PHDR = 201,
	DV_DLT_IPV4 = 228,
	DV_DLT_IPV6 = 229,
	DV_DLT_BLE_LL = 251,
	DV_DLT_BT_MONITOR = 254,
	DV_DLT_BLE_LL_PHDR = 256,
	DV_DLT_NORDIC_BLE = 272,
	DV_DLT_LINUX_SLL2 = 276
};

typedef enum dv_link_kind {
	DV_LINK_OTHER = 0,    /* nothing either consumer reads */
	DV_LINK_ETHERTYPE,    /* body follows an EtherType (ethertype) */
	DV_LINK_IP,           /* body is an IP packet (version in its first nibble) */
	DV_LINK_WLAN_MGMT,    /* body is an 802.11 management frame body */
	DV_LINK_BLE_LL,       /* body starts at a BLE access address */
	DV_LINK_HCI_EVENT     /* body starts at an HCI event code */
} dv_link_kind;

enum {
	DV_LINK_VLAN = 1u << 0,           /* one or more 802.1Q/ad tags (vlan[]) */
	DV_LINK_PPPOE = 1u << 1,          /* carried in a PPPoE session */
	DV_LINK_WLAN = 1u << 2,           /* an 802.11 frame: wlan_fc is valid */
	DV_LINK_WLAN_PROTECTED = 1u << 3, /* 802.11 protected (encrypted) frame */
	DV_LINK_CRC_BAD = 1u << 4,        /* the sniffer marked the FCS/CRC bad */
	DV_LINK_RSSI = 1u << 5,           /* rssi is valid */
	DV_LINK_CODED = 1u << 6           /* BLE Coded PHY (Long Range) */
};

typedef struct dv_link {
	dv_link_kind kind;
	uint32_t flags;           /* DV_LINK_* */
	uint16_t ethertype;       /* DV_LINK_ETHERTYPE: after tags and PPPoE (PPP IPv4/IPv6 -> 0x0800/0x86dd) */
	uint16_t vlan[2];         /* outer VLAN IDs, when DV_LINK_VLAN */
	int rssi;                 /* dBm, when DV_LINK_RSSI */
	uint8_t wlan_fc[2];       /* 802.11 frame control, when DV_LINK_WLAN */
	const uint8_t *wlan_hdr;  /* 802.11: duration, addr1, addr2, addr3, seq (22 bytes) or NULL */
	/* What the link carries, when kind says so. Kept as pointer, length
	 * and offset rather than a dv_rd: copying a reader that was just
	 * advanced costs a store-forwarding stall per frame. */
	const uint8_t *body;
	size_t body_len;
	int64_t body_off;         /* offset of body within the frame (for errors) */
} dv_link;

/* A reader over the body (errors name `name` and offsets within the frame). */
static inline dv_rd dv_link_body(const dv_link *l, const char *name)
{
	return dv_rd_init(l->body, l->body_len, name, l->body_off);
}

/*
 * Walks the link headers of one frame. Returns 0 with *out filled (kind
 * says what the body holds), DV_EUNSUPPORTED (error not set) for a link
 * type not in the table, or DV_ETRUNC/DV_EINVAL when the headers are cut or
 * malformed (out->flags still tell what was seen before).
 */
int dv_link_walk(int linktype, const uint8_t *data, size_t caplen, const char *name, dv_link *out);

#endif
