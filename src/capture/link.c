/*
 * link.c - the one link-type table and the one link-header walk, for the
 * audit (IP over Ethernet, cooked, raw, loopback and 802.11 data) and the
 * Remote ID reader (802.11 management frames, Bluetooth LE and HCI).
 * See capture/link_int.h for what each link type yields.
 */
#include <string.h>

#include "capture/link_int.h"
#include "dv/err.h"

typedef int (*walk_fn)(dv_rd *r, dv_link *l);

/* the walks of the busiest link types go inline into dv_link_walk */
#define HOT static inline __attribute__((always_inline))

typedef struct linktype {
	int dlt;
	unsigned caps;        /* DV_LINKTYPE_* */
	const char *name;
	walk_fn walk;
} linktype;

static inline void set_body(dv_link *l, const dv_rd *r)
{
	l->body = dv_rd_ptr(r);
	l->body_len = dv_rd_left(r);
	l->body_off = dv_rd_offset(r);
}

/* ---- EtherType: VLAN tags, QinQ, PPPoE ---------------------------------- */

static int walk_ethertype(dv_rd *r, uint16_t et, dv_link *l)
{
	for (int depth = 0; depth < 8; depth++) {
		switch (et) {
		case 0x8100: case 0x88a8: case 0x9100: {
			uint16_t tci;
			if (dv_rd_u16be(r, &tci) < 0 || dv_rd_u16be(r, &et) < 0) return DV_ETRUNC;
			if (!(l->flags & DV_LINK_VLAN)) l->vlan[0] = tci & 0x0fff;
			else l->vlan[1] = tci & 0x0fff;
			l->flags |= DV_LINK_VLAN;
			continue;
		}
		case 0x8864: { /* PPPoE session: ver/type, code, session, length, PPP protocol */
			uint8_t h[6];
			uint16_t ppp;
			if (dv_rd_bytes(r, h, 6) < 0 || dv_rd_u16be(r, &ppp) < 0) return DV_ETRUNC;
			l->flags |= DV_LINK_PPPOE;
			if (ppp == 0x0021) et = 0x0800;
			else if (ppp == 0x0057) et = 0x86dd;
			else return 0; /* LCP, IPCP ...: kind stays DV_LINK_OTHER */
			break;
		}
		case 0x8847: case 0x8848: { /* MPLS: labels down to the bottom of the stack, then IP */
			const uint8_t *lab;
			int bottom = 0;
			for (int k = 0; k < 8 && !bottom; k++) {
				if (dv_rd_view(r, 4, &lab) < 0) return DV_ETRUNC;
				bottom = lab[2] & 1;
			}
			if (!bottom) return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "too many MPLS labels");
			if (dv_rd_left(r) >= 1 && (dv_rd_ptr(r)[0] >> 4) == 4) et = 0x0800;
			else if (dv_rd_left(r) >= 1 && (dv_rd_ptr(r)[0] >> 4) == 6) et = 0x86dd;
			break; /* else a pseudowire: stays 0x8847, not read */
		}
		default:
			break;
		}
		l->kind = DV_LINK_ETHERTYPE;
		l->ethertype = et;
		set_body(l, r);
		return 0;
	}
	return dv_error_set(DV_EINVAL, r->name, dv_rd_offset(r), "too many nested tags");
}

static int walk_en10mb(dv_rd *r, dv_link *l)
{
	uint16_t et;
	if (dv_rd_skip(r, 12) < 0 || dv_rd_u16be(r, &et) < 0) return DV_ETRUNC;
	if (et < 0x0600) return 0; /* 802.3 length + LLC */
	return walk_ethertype(r, et, l);
}

static int walk_sll(dv_rd *r, dv_link *l)
{
	uint16_t et;
	if (dv_rd_skip(r, 14) < 0 || dv_rd_u16be(r, &et) < 0) return DV_ETRUNC;
	return walk_ethertype(r, et, l);
}

static int walk_sll2(dv_rd *r, dv_link *l)
{
	uint16_t et;
	if (dv_rd_u16be(r, &et) < 0 || dv_rd_skip(r, 18) < 0) return DV_ETRUNC;
	return walk_ethertype(r, et, l);
}

static int walk_raw(dv_rd *r, dv_link *l)
{
	l->kind = DV_LINK_IP;
	set_body(l, r);
	return 0;
}

static int walk_loopback(dv_rd *r, dv_link *l)
{
	if (dv_rd_skip(r, 4) < 0) return DV_ETRUNC; /* address family, host byte order */
	return walk_raw(r, l);
}

/* ---- IEEE 802.11 ---------------------------------------------------------- */

HOT int walk_80211(dv_rd *r, dv_link *l)
{
	if (dv_rd_left(r) < 2) return dv_rd_short(r, 2, "802.11 frame control");
	const uint8_t *h = dv_rd_ptr(r);
	uint8_t fc0 = h[0], fc1 = h[1];
	unsigned type = (fc0 >> 2) & 3;
	l->flags |= DV_LINK_WLAN;
	l->wlan_fc[0] = fc0;
	l->wlan_fc[1] = fc1;
	if (type == 1 || type == 3) return 0; /* control, extension: no body we read */
	if (dv_rd_need(r, 24, "802.11 header") < 0) return DV_ETRUNC;
	l->wlan_hdr = h + 2;
	if (fc1 & 0x40) { /* protected: encrypted, unreadable */
		l->flags |= DV_LINK_WLAN_PROTECTED;
		return 0;
	}
	if (type == 0) { /* management */
		size_t hl = 24;
		if (fc1 & 0x80) hl += 4; /* +HTC */
		if (dv_rd_skip(r, hl) < 0) return DV_ETRUNC;
		l->kind = DV_LINK_WLAN_MGMT;
		set_body(l, r);
		return 0;
	}
	/* data */
	uint8_t sub = (uint8_t)(fc0 >> 4);
	if (sub & 0x4) return 0;        /* null data, no body */
	size_t hl = 24;
	if ((fc1 & 3) == 3) hl += 6;    /* ToDS and FromDS: addr4 */
	if (sub & 0x8) {                /* QoS */
		hl += 2;
		if (fc1 & 0x80) hl += 4; /* HT control */
	}
	if (dv_rd_skip(r, hl) < 0) return DV_ETRUNC;
	uint8_t llc[8];
	if (dv_rd_bytes(r, llc, 8) < 0) return DV_ETRUNC;
	if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03) return 0;
	return walk_ethertype(r, (uint16_t)(llc[6] << 8 | llc[7]), l);
}

static size_t align_up(size_t off, size_t a)
{
	return (off + a - 1) & ~(a - 1);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

HOT int walk_radiotap(dv_rd *r, dv_link *l)
{
	/* version | pad | length (2 LE) | present (4 LE) [| present ...] | fields */
	const uint8_t *h;
	if (dv_rd_view(r, 8, &h) < 0) return DV_ETRUNC;
	uint8_t ver = h[0];
	size_t rlen = (size_t)h[2] | (size_t)h[3] << 8;
	uint32_t present = le32(h + 4), word = present;
	if (ver != 0) return dv_error_set(DV_EINVAL, r->name, 0, "radiotap version %u", ver);
	if (rlen < 8) return dv_error_set(DV_EINVAL, r->name, 2, "radiotap length %zu < 8", rlen);
	/* the whole header must be there; from here on every index is < rlen */
	if (dv_rd_seek(r, rlen) < 0) return DV_ETRUNC;
	size_t off = 8;
	while (word & 0x80000000u) { /* extended presence bitmaps */
		if (rlen - off < 4) return dv_error_set(DV_ETRUNC, r->name, (int64_t)off, "radiotap presence bitmaps past the header");
		word = le32(h + off);
		off += 4;
	}
	/* fields in bit order, each aligned to its natural size from the start */
	uint8_t flags = 0;
	if (present & 0x01) off = align_up(off, 8) + 8;                  /* TSFT */
	if (present & 0x02) { if (off < rlen) flags = h[off]; off += 1; } /* flags */
	if (present & 0x04) off += 1;                                     /* rate */
	if (present & 0x08) off = align_up(off, 2) + 4;                  /* channel */
	if (present & 0x10) off = align_up(off, 2) + 2;                  /* FHSS */
	if ((present & 0x20) && off < rlen) {                            /* dBm antenna signal */
		l->flags |= DV_LINK_RSSI;
		l->rssi = (int8_t)h[off];
	}
	if (flags & 0x40) l->flags |= DV_LINK_CRC_BAD;
	size_t flen = dv_rd_left(r);
	if (flags & 0x10) { /* the frame ends with its FCS */
		if (flen < 4) return dv_rd_short(r, 4, "802.11 FCS");
		flen -= 4;
	}
	dv_rd f;
	(void)dv_rd_sub(r, flen, &f);
	return walk_80211(&f, l);
}

static int walk_ppi(dv_rd *r, dv_link *l)
{
	uint16_t plen;
	uint32_t dlt;
	if (dv_rd_skip(r, 2) < 0 || dv_rd_u16le(r, &plen) < 0 || dv_rd_u32le(r, &dlt) < 0) return DV_ETRUNC;
	if (plen < 8) return dv_error_set(DV_EINVAL, r->name, 2, "PPI header length %u < 8", plen);
	if (dv_rd_seek(r, plen) < 0) return DV_ETRUNC;
	if (dlt != DV_DLT_IEEE802_11) return 0; /* PPI around something else */
	return walk_80211(r, l);
}

/* ---- Bluetooth ------------------------------------------------------------ */

HOT int walk_ble_ll(dv_rd *r, dv_link *l)
{
	l->kind = DV_LINK_BLE_LL;
	set_body(l, r);
	return 0;
}

static int walk_ble_ll_phdr(dv_rd *r, dv_link *l)
{
	/* channel | signal | noise | AA offenses | ref AA (4) | flags (2 LE) */
	uint8_t sig;
	uint16_t flags;
	if (dv_rd_skip(r, 1) < 0 || dv_rd_u8(r, &sig) < 0 || dv_rd_skip(r, 6) < 0 || dv_rd_u16le(r, &flags) < 0)
		return DV_ETRUNC;
	if (((flags >> 14) & 3) == 2) l->flags |= DV_LINK_CODED;
	if ((flags & 0x0400) && !(flags & 0x0800)) l->flags |= DV_LINK_CRC_BAD; /* CRC checked, not valid */
	if (flags & 0x0002) {
		l->flags |= DV_LINK_RSSI;
		l->rssi = (int8_t)sig;
	}
	return walk_ble_ll(r, l);
}

HOT int walk_nordic_ble(dv_rd *r, dv_link *l)
{
	/* board | payload length (2) | protocol version | packet counter (2) |
	 * packet id | header length | flags | channel | rssi | event counter (2)
	 * | timestamp (4) | BLE packet */
	const uint8_t *h;
	if (dv_rd_need(r, 8, "nRF Sniffer header") < 0) return DV_ETRUNC;
	uint8_t hlen = dv_rd_ptr(r)[7];
	if (hlen < 4) return dv_error_set(DV_EINVAL, r->name, 7, "nRF Sniffer header length %u < 4", hlen);
	if (dv_rd_view(r, 7 + (size_t)hlen, &h) < 0) return DV_ETRUNC;
	uint8_t flags = h[8], rssi = h[10];
	if (((flags >> 4) & 7) == 2) l->flags |= DV_LINK_CODED;
	if (!(flags & 1)) l->flags |= DV_LINK_CRC_BAD;
	l->flags |= DV_LINK_RSSI;
	l->rssi = -(int)rssi;
	return walk_ble_ll(r, l);
}

static int hci_h4_body(dv_rd *r, dv_link *l)
{
	uint8_t type;
	if (dv_rd_u8(r, &type) < 0) return DV_ETRUNC;
	if (type != 0x04) return 0; /* command, ACL, SCO: no advertising */
	l->kind = DV_LINK_HCI_EVENT;
	set_body(l, r);
	return 0;
}

static int walk_hci_h4(dv_rd *r, dv_link *l)
{
	return hci_h4_body(r, l);
}

static int walk_hci_h4_phdr(dv_rd *r, dv_link *l)
{
	if (dv_rd_skip(r, 4) < 0) return DV_ETRUNC; /* direction */
	return hci_h4_body(r, l);
}

static int walk_bt_monitor(dv_rd *r, dv_link *l)
{
	uint16_t adapter, opcode; /* big endian in the pcap pseudo-header */
	if (dv_rd_u16be(r, &adapter) < 0 || dv_rd_u16be(r, &opcode) < 0) return DV_ETRUNC;
	if (opcode != 3) return 0; /* 3 = event */
	l->kind = DV_LINK_HCI_EVENT;
	set_body(l, r);
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

#define IP DV_LINKTYPE_IP
#define RID DV_LINKTYPE_RID
static const linktype table[] = {
	{ DV_DLT_NULL, IP, "BSD loopback", walk_loopback },
	{ DV_DLT_EN10MB, IP, "Ethernet", walk_en10mb },
	{ DV_DLT_RAW, IP, "raw IP", walk_raw },
	{ DV_DLT_RAW_BSD, IP, "raw IP", walk_raw },
	{ DV_DLT_RAW_LINKTYPE, IP, "raw IP", walk_raw },
	{ DV_DLT_IEEE802_11, IP | RID, "IEEE 802.11", walk_80211 },
	{ DV_DLT_LOOP, IP, "OpenBSD loopback", walk_loopback },
	{ DV_DLT_LINUX_SLL, IP, "Linux cooked (SLL)", walk_sll },
	{ DV_DLT_RADIOTAP, IP | RID, "IEEE 802.11 + radiotap", walk_radiotap },
	{ DV_DLT_HCI_H4, RID, "Bluetooth HCI H4", walk_hci_h4 },
	{ DV_DLT_PPI, IP | RID, "PPI", walk_ppi },
	{ DV_DLT_HCI_H4_PHDR, RID, "Bluetooth HCI H4 with direction", walk_hci_h4_phdr },
	{ DV_DLT_IPV4, IP, "raw IPv4", walk_raw },
	{ DV_DLT_IPV6, IP, "raw IPv6", walk_raw },
	{ DV_DLT_BLE_LL, RID, "Bluetooth LE link layer", walk_ble_ll },
	{ DV_DLT_BT_MONITOR, RID, "Linux Bluetooth monitor", walk_bt_monitor },
	{ DV_DLT_BLE_LL_PHDR, RID, "Bluetooth LE link layer with PHDR", walk_ble_ll_phdr },
	{ DV_DLT_NORDIC_BLE, RID, "nRF Sniffer for Bluetooth LE", walk_nordic_ble },
	{ DV_DLT_LINUX_SLL2, IP, "Linux cooked (SLL2)", walk_sll2 },
};
#undef IP
#undef RID

/* DLT -> index into table + 1: one load per frame instead of a search. */
#define DLT_INDEX_MAX 280
static uint8_t dlt_index[DLT_INDEX_MAX];
static int dlt_index_ready;

static void build_index(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].dlt >= 0 && table[i].dlt < DLT_INDEX_MAX) dlt_index[table[i].dlt] = (uint8_t)(i + 1);
	__atomic_store_n(&dlt_index_ready, 1, __ATOMIC_RELEASE);
}

static const linktype *find(int dlt)
{
	/* benign race: every thread writes the same bytes */
	if (!__atomic_load_n(&dlt_index_ready, __ATOMIC_ACQUIRE)) build_index();
	if (dlt < 0 || dlt >= DLT_INDEX_MAX || !dlt_index[dlt]) return NULL;
	return &table[dlt_index[dlt] - 1];
}

unsigned dv_linktype_caps(int dlt)
{
	const linktype *t = find(dlt);
	return t ? t->caps : 0;
}

const char *dv_linktype_name(int dlt)
{
	const linktype *t = find(dlt);
	return t ? t->name : "other";
}

int dv_link_walk(int dlt, const uint8_t *data, size_t caplen, const char *name, dv_link *out)
{
	out->kind = DV_LINK_OTHER;
	out->flags = 0;
	out->ethertype = 0;
	out->vlan[0] = out->vlan[1] = 0;
	out->rssi = 0;
	out->wlan_fc[0] = out->wlan_fc[1] = 0;
	out->wlan_hdr = NULL;
	dv_rd r = dv_rd_init(data, data ? caplen : 0, name, 0);
	out->body = data;
	out->body_len = 0;
	out->body_off = 0;
	/* the hot link types dispatched directly (inlined), the rest by the table */
	switch (dlt) {
	case DV_DLT_EN10MB: return walk_en10mb(&r, out);
	case DV_DLT_RADIOTAP: return walk_radiotap(&r, out);
	case DV_DLT_NORDIC_BLE: return walk_nordic_ble(&r, out);
	default: break;
	}
	const linktype *t = find(dlt);
	if (!t) return DV_EUNSUPPORTED;
	return t->walk(&r, out);
}
