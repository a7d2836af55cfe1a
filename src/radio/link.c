/*
 * link.c - from a captured frame to the Remote ID payload it carries.
 *
 * Wi-Fi (IEEE 802.11 management frames, after radiotap/PPI):
 *   beacon (FC 0x80): 24-byte header, 12 fixed bytes, then elements
 *     id 221 (vendor) | len | OUI FA:0B:BC | type 0x0D | counter | pack
 *   NAN service discovery (action FC 0xD0): category 4, action 9,
 *     OUI 50:6F:9A type 0x13, then NAN attributes (id, len16le, body);
 *     the Service Descriptor attribute (id 3) with service ID
 *     88:69:19:9D:92:09 (hash of "org.opendroneid.remoteid") holds the
 *     service info: counter | pack.
 * Bluetooth LE (advertising access address 0x8E89BED6):
 *   legacy ADV_NONCONN_IND/ADV_SCAN_IND/...: AdvA(6) | AD structures
 *   extended (PDU type 7, AUX_ADV_IND): extended header (length, flags,
 *     AdvA, TargetA, CTEInfo, ADI, AuxPtr, SyncInfo, TxPower) | AD
 *   AD structure: len | 0x16 | UUID 0xFFFA (LE) | app code 0x0D | counter | msg
 *   Coded PHY (Long Range) packets have a coding indicator byte after the
 *   access address.
 * Bluetooth HCI: LE Advertising Report (subevent 2) and LE Extended
 *   Advertising Report (subevent 0x0D) carry the same AD structures.
 */
#include <string.h>

#include "dv/odid.h"
#include "dv/radio.h"
#include "dv/rd.h"

enum {
	LT_IEEE802_11 = 105,
	LT_RADIOTAP = 127,
	LT_HCI_H4 = 187,
	LT_PPI = 192,
	LT_HCI_H4_PHDR = 201,
	LT_BLE_LL = 251,
	LT_BT_MONITOR = 254,
	LT_BLE_LL_PHDR = 256,
	LT_NORDIC_BLE = 272
};

#define BLE_ADV_AA 0x8E89BED6u

bool dv_radio_linktype_supported(int lt)
{
	switch (lt) {
	case LT_IEEE802_11: case LT_RADIOTAP: case LT_HCI_H4: case LT_PPI:
	case LT_HCI_H4_PHDR: case LT_BLE_LL: case LT_BT_MONITOR:
	case LT_BLE_LL_PHDR: case LT_NORDIC_BLE:
		return true;
	default:
		return false;
	}
}

const char *dv_radio_linktype_name(int lt)
{
	switch (lt) {
	case LT_IEEE802_11: return "IEEE 802.11";
	case LT_RADIOTAP: return "IEEE 802.11 + radiotap";
	case LT_HCI_H4: return "Bluetooth HCI H4";
	case LT_PPI: return "PPI";
	case LT_HCI_H4_PHDR: return "Bluetooth HCI H4 with direction";
	case LT_BLE_LL: return "Bluetooth LE link layer";
	case LT_BT_MONITOR: return "Linux Bluetooth monitor";
	case LT_BLE_LL_PHDR: return "Bluetooth LE link layer with PHDR";
	case LT_NORDIC_BLE: return "nRF Sniffer for Bluetooth LE";
	case 1: return "Ethernet";
	default: return "other";
	}
}

/* ---- Bluetooth ------------------------------------------------------------ */

/* Walks AD structures; returns 1 when the Remote ID service data was found
 * and decoded into f. */
static int ble_ad(const uint8_t *p, size_t len, dv_odid_frame *f, size_t *at)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	while (dv_rd_left(&r) > 0) {
		uint8_t adlen, type;
		uint16_t uuid;
		dv_rd ad;
		if (at) *at = r.pos;
		if (dv_rd_u8(&r, &adlen) < 0 || adlen == 0) return 0; /* padding */
		if (dv_rd_left(&r) < adlen) {
			/* Only worth a report when it is ours. */
			if (dv_rd_left(&r) >= 3 && r.p[r.pos] == 0x16 && r.p[r.pos + 1] == 0xFA &&
			    r.p[r.pos + 2] == 0xFF) {
				dv_odid_problem(f, "advertising data length %u past the end of the packet (%zu bytes left)",
				                adlen, dv_rd_left(&r));
				(void)dv_rd_sub(&r, dv_rd_left(&r), &ad);
			} else {
				return 0;
			}
		} else {
			(void)dv_rd_sub(&r, adlen, &ad);
		}
		if (dv_rd_u8(&ad, &type) < 0 || type != 0x16) continue;
		if (dv_rd_u16le(&ad, &uuid) < 0 || uuid != 0xFFFA) continue;
		uint8_t app;
		if (dv_rd_u8(&ad, &app) < 0) {
			dv_odid_problem(f, "ASTM service data without application code");
			f->empty = true;
			return 1;
		}
		if (app != 0x0D) continue;
		(void)dv_odid_decode_payload(dv_rd_ptr(&ad), dv_rd_left(&ad), true, f);
		return 1;
	}
	return 0;
}

static void ble_mac(dv_odid_frame *f, const uint8_t *le)
{
	for (int i = 0; i < 6; i++) f->mac[i] = le[5 - i];
	f->has_mac = true;
}

/* A link-layer packet starting at the access address. */
static int ble_ll(const uint8_t *p, size_t len, bool coded, dv_odid_frame *f)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint32_t aa;
	uint8_t h0, plen;
	if (dv_rd_u32le(&r, &aa) < 0 || aa != BLE_ADV_AA) return 0;
	if (coded && dv_rd_skip(&r, 1) < 0) return 0; /* coding indicator */
	if (dv_rd_u8(&r, &h0) < 0 || dv_rd_u8(&r, &plen) < 0) return 0;
	f->coded_phy = coded;
	dv_rd pdu;
	bool cut = false;
	if (dv_rd_left(&r) < plen) {
		cut = true;
		(void)dv_rd_sub(&r, dv_rd_left(&r), &pdu);
	} else {
		(void)dv_rd_sub(&r, plen, &pdu);
	}
	unsigned type = h0 & 0x0f;
	int found = 0;
	if (type == 0 || type == 2 || type == 4 || type == 6) {
		/* ADV_IND, ADV_NONCONN_IND, SCAN_RSP, ADV_SCAN_IND: AdvA | data */
		const uint8_t *adva;
		if (dv_rd_view(&pdu, 6, &adva) < 0) return 0;
		f->transport = DV_RADIO_BT_LEGACY;
		found = ble_ad(dv_rd_ptr(&pdu), dv_rd_left(&pdu), f, NULL);
		if (found) ble_mac(f, adva);
	} else if (type == 7) {
		/* extended advertising: common extended header format */
		uint8_t b, flags = 0;
		if (dv_rd_u8(&pdu, &b) < 0) return 0;
		size_t ehl = b & 0x3f;
		dv_rd eh;
		if (dv_rd_sub(&pdu, ehl, &eh) < 0) return 0;
		const uint8_t *adva = NULL;
		if (ehl > 0) {
			(void)dv_rd_u8(&eh, &flags);
			if ((flags & 0x01) && dv_rd_view(&eh, 6, &adva) < 0) return 0;
			static const size_t fsz[7] = { 0, 6, 1, 2, 3, 18, 1 }; /* after AdvA */
			for (int bit = 1; bit < 7; bit++)
				if ((flags & (1u << bit)) && dv_rd_skip(&eh, fsz[bit]) < 0) return 0;
		}
		f->transport = DV_RADIO_BT_EXTENDED;
		/* The ACAD (rest of the extended header) is AD-formatted like the
		 * advertising data right after it: walk both as one run, so that
		 * a corrupt header length does not hide the data. */
		size_t acad = dv_rd_left(&eh), at = 0;
		const uint8_t *run = dv_rd_ptr(&eh);
		found = ble_ad(run, acad + dv_rd_left(&pdu), f, &at);
		if (found && at < acad && (size_t)run[at] + 1 > acad - at)
			dv_odid_problem(f, "Remote ID data straddles the extended header (length %zu) and the advertising data",
			                ehl);
		if (found && adva) ble_mac(f, adva);
	}
	if (found && cut)
		dv_odid_problem(f, "packet length %u past the end of the capture", plen);
	return found;
}

/* HCI event starting at the event code. The reports of one event follow
 * each other (as Linux reads them); the first with Remote ID is taken. */
static int hci_event(const uint8_t *p, size_t len, dv_odid_frame *f)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t code, plen, sub, num;
	if (dv_rd_u8(&r, &code) < 0 || code != 0x3E) return 0;
	if (dv_rd_u8(&r, &plen) < 0 || dv_rd_u8(&r, &sub) < 0 || dv_rd_u8(&r, &num) < 0) return 0;
	if (sub != 0x02 && sub != 0x0D) return 0;
	for (unsigned n = 0; n < num; n++) {
		const uint8_t *addr, *data;
		uint8_t dlen, pphy = 0, sphy = 0, rssi = 0;
		if (sub == 0x02) {
			/* event type, address type, address, data length, data, rssi */
			if (dv_rd_skip(&r, 2) < 0 || dv_rd_view(&r, 6, &addr) < 0 || dv_rd_u8(&r, &dlen) < 0)
				return 0;
		} else {
			/* event type(2), address type, address, primary PHY, secondary
			 * PHY, SID, TX power, RSSI, interval(2), direct type, direct
			 * address, data length, data */
			if (dv_rd_skip(&r, 3) < 0 || dv_rd_view(&r, 6, &addr) < 0 || dv_rd_u8(&r, &pphy) < 0 ||
			    dv_rd_u8(&r, &sphy) < 0 || dv_rd_skip(&r, 2) < 0 || dv_rd_u8(&r, &rssi) < 0 ||
			    dv_rd_skip(&r, 9) < 0 || dv_rd_u8(&r, &dlen) < 0)
				return 0;
		}
		size_t avail = dv_rd_left(&r) < dlen ? dv_rd_left(&r) : dlen;
		(void)dv_rd_view(&r, avail, &data);
		if (!ble_ad(data, avail, f, NULL)) {
			if (sub == 0x02 && dv_rd_skip(&r, 1) < 0) return 0; /* rssi */
			continue;
		}
		f->transport = sub == 0x02 ? DV_RADIO_BT_LEGACY : DV_RADIO_BT_EXTENDED;
		if (sub == 0x0D) {
			f->coded_phy = pphy == 3 || sphy == 3;
			f->rssi = (int8_t)rssi;
		} else if (dv_rd_u8(&r, &rssi) == 0) {
			f->rssi = (int8_t)rssi;
		}
		ble_mac(f, addr);
		if (avail < dlen)
			dv_odid_problem(f, "advertising report data length %u past the end of the event", dlen);
		return 1;
	}
	return 0;
}

static int nordic_ble(const uint8_t *p, size_t len, dv_odid_frame *f)
{
	/* board | payload length (2) | protocol version | packet counter (2) |
	 * packet id | header length | flags | channel | rssi | event counter (2)
	 * | timestamp (4) | BLE packet */
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t hlen, flags, rssi;
	if (dv_rd_skip(&r, 7) < 0 || dv_rd_u8(&r, &hlen) < 0 || hlen < 4) return 0;
	if (dv_rd_u8(&r, &flags) < 0 || dv_rd_skip(&r, 1) < 0 || dv_rd_u8(&r, &rssi) < 0) return 0;
	if (dv_rd_seek(&r, 7 + (size_t)hlen) < 0) return 0;
	bool coded = ((flags >> 4) & 7) == 2;
	int found = ble_ll(dv_rd_ptr(&r), dv_rd_left(&r), coded, f);
	if (found) {
		f->crc_bad = !(flags & 1);
		f->rssi = -(int)rssi;
	}
	return found;
}

static int ble_ll_phdr(const uint8_t *p, size_t len, dv_odid_frame *f)
{
	/* channel | signal | noise | AA offenses | ref AA (4) | flags (2 LE) */
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t sig;
	uint16_t flags;
	if (dv_rd_skip(&r, 1) < 0 || dv_rd_u8(&r, &sig) < 0 || dv_rd_skip(&r, 6) < 0 ||
	    dv_rd_u16le(&r, &flags) < 0)
		return 0;
	bool coded = ((flags >> 14) & 3) == 2;
	int found = ble_ll(dv_rd_ptr(&r), dv_rd_left(&r), coded, f);
	if (found) {
		f->crc_bad = (flags & 0x0400) && !(flags & 0x0800);
		if (flags & 0x0002) f->rssi = (int8_t)sig;
	}
	return found;
}

/* ---- Wi-Fi ---------------------------------------------------------------- */

static const uint8_t OUI_ASTM[3] = { 0xFA, 0x0B, 0xBC };
static const uint8_t OUI_PARROT[3] = { 0x90, 0x3A, 0xE6 }; /* early Parrot firmware */
static const uint8_t NAN_HDR[6] = { 0x04, 0x09, 0x50, 0x6F, 0x9A, 0x13 };
static const uint8_t NAN_ODID_SID[6] = { 0x88, 0x69, 0x19, 0x9D, 0x92, 0x09 };

static int wifi_beacon(dv_rd *body, dv_odid_frame *f)
{
	if (dv_rd_skip(body, 12) < 0) return 0; /* timestamp, interval, capabilities */
	while (dv_rd_left(body) >= 2) {
		uint8_t id = 0, elen = 0;
		(void)dv_rd_u8(body, &id);
		(void)dv_rd_u8(body, &elen);
		size_t avail = elen;
		bool cut = false;
		if (dv_rd_left(body) < elen) {
			avail = dv_rd_left(body);
			cut = true;
		}
		const uint8_t *e;
		(void)dv_rd_view(body, avail, &e);
		if (id != 221 || avail < 4) continue;
		if (memcmp(e, OUI_ASTM, 3) && memcmp(e, OUI_PARROT, 3)) continue;
		if (e[3] != 0x0D) continue;
		f->transport = DV_RADIO_WIFI_BEACON;
		if (cut)
			dv_odid_problem(f, "vendor element length %u past the end of the frame (%zu bytes left)",
			                elen, avail);
		(void)dv_odid_decode_payload(e + 4, avail - 4, true, f);
		return 1;
	}
	return 0;
}

static int wifi_nan(dv_rd *body, dv_odid_frame *f)
{
	const uint8_t *h;
	if (dv_rd_view(body, 6, &h) < 0 || memcmp(h, NAN_HDR, 6)) return 0;
	while (dv_rd_left(body) >= 3) {
		uint8_t id = 0;
		uint16_t alen = 0;
		(void)dv_rd_u8(body, &id);
		(void)dv_rd_u16le(body, &alen);
		dv_rd a;
		bool cut = false;
		if (dv_rd_left(body) < alen) {
			cut = true;
			(void)dv_rd_sub(body, dv_rd_left(body), &a);
		} else {
			(void)dv_rd_sub(body, alen, &a);
		}
		const uint8_t *sid;
		uint8_t ctl, n;
		if (id != 0x03 || dv_rd_view(&a, 6, &sid) < 0 || memcmp(sid, NAN_ODID_SID, 6)) continue;
		f->transport = DV_RADIO_WIFI_NAN;
		if (cut)
			dv_odid_problem(f, "NAN attribute length %u past the end of the frame", alen);
		/* instance id, requestor instance id, service control */
		if (dv_rd_skip(&a, 2) < 0 || dv_rd_u8(&a, &ctl) < 0) {
			dv_odid_problem(f, "truncated NAN service descriptor");
			f->empty = true;
			return 1;
		}
		int bad = 0;
		if (ctl & 0x40) bad |= dv_rd_skip(&a, 2);        /* binding bitmap */
		if (!bad && (ctl & 0x04)) bad |= dv_rd_u8(&a, &n) < 0 || dv_rd_skip(&a, n) < 0; /* matching filter */
		if (!bad && (ctl & 0x08)) bad |= dv_rd_u8(&a, &n) < 0 || dv_rd_skip(&a, n) < 0; /* response filter */
		if (bad || !(ctl & 0x10) || dv_rd_u8(&a, &n) < 0) {
			dv_odid_problem(f, "NAN service descriptor without service info");
			f->empty = true;
			return 1;
		}
		size_t avail = n;
		if (dv_rd_left(&a) < n) {
			avail = dv_rd_left(&a);
			dv_odid_problem(f, "NAN service info length %u past the attribute (%zu bytes left)", n, avail);
		}
		(void)dv_odid_decode_payload(dv_rd_ptr(&a), avail, true, f);
		return 1;
	}
	return 0;
}

static int ieee80211(const uint8_t *p, size_t len, dv_odid_frame *f)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t fc0, fc1;
	const uint8_t *hdr;
	if (dv_rd_u8(&r, &fc0) < 0 || dv_rd_u8(&r, &fc1) < 0) return 0;
	if ((fc0 & 0x0c) != 0) return 0;   /* management frames only */
	if (fc1 & 0x40) return 0;          /* protected: nothing readable */
	if (dv_rd_view(&r, 22, &hdr) < 0) return 0;
	/* hdr: duration(2) addr1(6) addr2(6) addr3(6) seq(2) */
	if (fc1 & 0x80 && dv_rd_skip(&r, 4) < 0) return 0; /* +HTC */
	int found = 0;
	if (fc0 == 0x80)
		found = wifi_beacon(&r, f);
	else if (fc0 == 0xd0 || fc0 == 0xe0)
		found = wifi_nan(&r, f);
	if (found) {
		memcpy(f->mac, hdr + 8, 6);
		f->has_mac = true;
	}
	return found;
}

static size_t align_up(size_t off, size_t a)
{
	return (off + a - 1) & ~(a - 1);
}

static int radiotap(const uint8_t *p, size_t len, dv_odid_frame *f)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t ver;
	uint16_t rlen;
	uint32_t present, word;
	if (dv_rd_u8(&r, &ver) < 0 || ver != 0 || dv_rd_skip(&r, 1) < 0 || dv_rd_u16le(&r, &rlen) < 0)
		return 0;
	if (rlen < 8 || rlen > len) return 0;
	dv_rd h = dv_rd_init(p, rlen, NULL, 0);
	(void)dv_rd_skip(&h, 4);
	if (dv_rd_u32le(&h, &present) < 0) return 0;
	word = present;
	while (word & 0x80000000u)
		if (dv_rd_u32le(&h, &word) < 0) return 0;
	/* fields in bit order, each aligned to its natural size */
	uint8_t flags = 0, sig = 0;
	bool have_sig = false;
	size_t off = h.pos;
	if (present & 0x01) off = align_up(off, 8) + 8;                   /* TSFT */
	if (present & 0x02) { if (off < rlen) flags = p[off]; off += 1; } /* flags */
	if (present & 0x04) off += 1;                                      /* rate */
	if (present & 0x08) off = align_up(off, 2) + 4;                   /* channel */
	if (present & 0x10) off = align_up(off, 2) + 2;                   /* FHSS */
	if ((present & 0x20) && off < rlen) { sig = p[off]; have_sig = true; } /* dBm signal */
	size_t flen = len - rlen;
	if (flags & 0x10) { /* frame ends with the FCS */
		if (flen < 4) return 0;
		flen -= 4;
	}
	int found = ieee80211(p + rlen, flen, f);
	if (found) {
		f->crc_bad = (flags & 0x40) != 0;
		if (have_sig) f->rssi = (int8_t)sig;
	}
	return found;
}

static int ppi(const uint8_t *p, size_t len, dv_odid_frame *f)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint16_t plen;
	uint32_t dlt;
	if (dv_rd_skip(&r, 2) < 0 || dv_rd_u16le(&r, &plen) < 0 || dv_rd_u32le(&r, &dlt) < 0) return 0;
	if (plen < 8 || plen > len || dlt != LT_IEEE802_11) return 0;
	return ieee80211(p + plen, len - plen, f);
}

int dv_radio_decode_frame(int linktype, const uint8_t *p, size_t len, dv_odid_frame *f)
{
	uint64_t no = f->frame_no;
	int64_t ts = f->ts_ns;
	memset(f, 0, offsetof(dv_odid_frame, msgs));
	f->nmsg = 0;
	f->nproblems = 0;
	f->empty = false;
	f->pack_overrun = false;
	f->frame_no = no;
	f->ts_ns = ts;
	f->linktype = linktype;
	int found = 0;
	if (!p) return 0;
	switch (linktype) {
	case LT_IEEE802_11: found = ieee80211(p, len, f); break;
	case LT_RADIOTAP: found = radiotap(p, len, f); break;
	case LT_PPI: found = ppi(p, len, f); break;
	case LT_BLE_LL: found = ble_ll(p, len, false, f); break;
	case LT_BLE_LL_PHDR: found = ble_ll_phdr(p, len, f); break;
	case LT_NORDIC_BLE: found = nordic_ble(p, len, f); break;
	case LT_HCI_H4:
		found = len > 1 && p[0] == 0x04 ? hci_event(p + 1, len - 1, f) : 0;
		break;
	case LT_HCI_H4_PHDR:
		found = len > 5 && p[4] == 0x04 ? hci_event(p + 5, len - 5, f) : 0;
		break;
	case LT_BT_MONITOR: /* adapter (2 BE) | opcode (2 BE): 3 = event */
		found = len > 4 && p[2] == 0 && p[3] == 3 ? hci_event(p + 4, len - 4, f) : 0;
		break;
	default: break;
	}
	if (!found) {
		f->transport = DV_RADIO_NONE;
		f->nmsg = 0;
		f->nproblems = 0;
		f->empty = false;
	}
	return found;
}
