/*
 * link.c - from a captured frame to the Remote ID payload it carries. The
 * link headers (radiotap, PPI, 802.11 header, nRF Sniffer / PHDR, HCI H4 and
 * monitor headers) are walked by the shared link layer (capture/link_int.h);
 * what is Remote ID specific is here.
 *
 * Wi-Fi (IEEE 802.11 management frame bodies):
 *   beacon (FC 0x80) or probe response (FC 0x50): 24-byte header, 12 fixed
 *     bytes, then elements
 *     id 221 (vendor) | len | OUI FA:0B:BC | type 0x0D | counter | pack
 *     id 221 (vendor) | len | OUI 26:37:12 | DJI DroneID (radio/droneid_int.h)
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

#include "capture/link_int.h"
#include "dv/radio.h"
#include "core/rd_int.h"
#include "radio/odid_int.h"

#define BLE_ADV_AA 0x8E89BED6u

bool dv_radio_linktype_supported(int lt)
{
	return (dv_linktype_caps(lt) & DV_LINKTYPE_RID) != 0;
}

const char *dv_radio_linktype_name(int lt)
{
	/* the table's names; of the others only Ethernet is named here */
	return dv_radio_linktype_supported(lt) || lt == DV_DLT_EN10MB ? dv_linktype_name(lt) : "other";
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

/* ---- Wi-Fi ---------------------------------------------------------------- */

static const uint8_t OUI_ASTM[3] = { 0xFA, 0x0B, 0xBC };
static const uint8_t OUI_PARROT[3] = { 0x90, 0x3A, 0xE6 }; /* early Parrot firmware */
static const uint8_t NAN_HDR[6] = { 0x04, 0x09, 0x50, 0x6F, 0x9A, 0x13 };
static const uint8_t NAN_ODID_SID[6] = { 0x88, 0x69, 0x19, 0x9D, 0x92, 0x09 };

static const uint8_t OUI_DJI[3] = { 0x26, 0x37, 0x12 }; /* DJI DroneID (radio/droneid_int.h) */

/* Beacon or probe response elements: ASTM Remote ID and DJI DroneID, both
 * when a DJI aircraft sends both in one frame. */
static int wifi_beacon(dv_rd *body, dv_odid_frame *f)
{
	if (dv_rd_skip(body, 12) < 0) return 0; /* timestamp, interval, capabilities */
	bool astm = false;
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
		if (id != 221 || avail < 3) continue;
		if (!memcmp(e, OUI_DJI, 3)) {
			if (f->has_droneid) continue; /* the first one counts */
			f->has_droneid = true;
			(void)dv_droneid_decode_wifi(&f->droneid, e + 3, avail - 3);
			if (cut && f->droneid.status == DV_DRONEID_OK)
				dv_odid_problem(f, "DJI DroneID element length %u past the end of the frame (%zu bytes left)",
				                elen, avail);
			continue;
		}
		if (astm || avail < 4) continue;
		if (memcmp(e, OUI_ASTM, 3) && memcmp(e, OUI_PARROT, 3)) continue;
		if (e[3] != 0x0D) continue;
		astm = true;
		f->transport = DV_RADIO_WIFI_BEACON;
		if (cut)
			dv_odid_problem(f, "vendor element length %u past the end of the frame (%zu bytes left)",
			                elen, avail);
		(void)dv_odid_decode_payload(e + 4, avail - 4, true, f);
	}
	if (!astm && f->has_droneid) f->transport = DV_RADIO_WIFI_DJI;
	return astm || f->has_droneid;
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

/* An 802.11 management frame: beacons and NAN action frames. */
static int wifi_mgmt(const dv_link *l, dv_odid_frame *f)
{
	dv_rd body = dv_link_body(l, NULL);
	uint8_t fc0 = l->wlan_fc[0];
	int found = 0;
	if (fc0 == 0x80 || fc0 == 0x50) /* beacon, probe response: the same fixed fields */
		found = wifi_beacon(&body, f);
	else if (fc0 == 0xd0 || fc0 == 0xe0)
		found = wifi_nan(&body, f);
	if (found) {
		/* after duration and addr1: the transmitter */
		memcpy(f->mac, l->wlan_hdr + 8, 6);
		f->has_mac = true;
	}
	return found;
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
	f->pack_cut_at = 0;
	f->pack_end = NULL;
	f->has_droneid = false;
	f->frame_no = no;
	f->ts_ns = ts;
	f->linktype = linktype;
	int found = 0;
	dv_link l;
	if (p && dv_link_walk(linktype, p, len, NULL, &l) == 0) {
		switch (l.kind) {
		case DV_LINK_WLAN_MGMT:
			found = wifi_mgmt(&l, f);
			break;
		case DV_LINK_BLE_LL:
			found = ble_ll(l.body, l.body_len, (l.flags & DV_LINK_CODED) != 0, f);
			break;
		case DV_LINK_HCI_EVENT:
			found = hci_event(l.body, l.body_len, f);
			break;
		default:
			break;
		}
		if (found) {
			/* what the sniffer's header says about the frame */
			if (l.flags & DV_LINK_CRC_BAD) f->crc_bad = true;
			if (l.flags & DV_LINK_RSSI) f->rssi = l.rssi;
		}
	}
	if (found && f->pack_overrun && f->pack_end >= p && f->pack_end <= p + len)
		f->pack_cut_at = (size_t)(f->pack_end - p);
	if (!found) {
		f->has_droneid = false;
		f->transport = DV_RADIO_NONE;
		f->nmsg = 0;
		f->nproblems = 0;
		f->empty = false;
	}
	return found;
}
