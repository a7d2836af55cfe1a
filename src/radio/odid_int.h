/*
 * radio/odid_int.h - ASTM F3411 / ASD-STAN EN 4709-002 broadcast Remote ID
 * ("Open Drone ID") messages: what a drone tells everyone within radio range.
 *
 * A Remote ID message is always 25 bytes. Byte 0 is the header:
 *
 *   bits 7..4  message type   0 Basic ID, 1 Location/Vector, 2 Authentication,
 *                             3 Self ID, 4 System, 5 Operator ID, 15 Message Pack
 *   bits 3..0  protocol version  0 F3411-19, 1 F3411-20, 2 F3411-22a
 *
 * Layouts (offsets within the 25-byte message, little endian):
 *
 *   Basic ID     1: id type (7..4) | UA type (3..0); 2..21: UAS ID (20 bytes,
 *                ASCII padded with NUL, or binary for UUID/session IDs)
 *   Location     1: status (7..4) | reserved | height type (2) | E/W (1) |
 *                speed multiplier (0); 2: direction; 3: speed; 4: vertical
 *                speed (int8); 5..8: lat (int32, deg*1e7); 9..12: lon;
 *                13..14 pressure alt; 15..16 geodetic alt; 17..18 height
 *                (uint16, (m+1000)*2); 19: vertical (7..4) | horizontal
 *                (3..0) accuracy; 20: baro (7..4) | speed (3..0) accuracy;
 *                21..22: timestamp (1/10 s since the hour); 23: ts accuracy
 *   Auth         1: auth type (7..4) | page (3..0); page 0: 2 last page index,
 *                3 length, 4..7 timestamp (s since 2019), 8..24 data;
 *                other pages: 2..24 data
 *   Self ID      1: description type; 2..24: text (23 bytes)
 *   System       1: classification type (4..2) | operator location type (1..0);
 *                2..5 operator lat; 6..9 operator lon; 10..11 area count;
 *                12 area radius (*10 m); 13..14 area ceiling; 15..16 area
 *                floor; 17 UA category (7..4) | class (3..0); 18..19 operator
 *                geodetic alt; 20..23 timestamp (s since 2019-01-01, -22a)
 *   Operator ID  1: operator id type; 2..21: operator ID (20 bytes ASCII)
 *   Message Pack 1: message size (25); 2: quantity (<= 9 in the standard);
 *                then quantity * 25 bytes of messages (not nested packs)
 *
 * The decoder keeps the raw integers (what the standard encodes and what
 * the reference Wireshark dissector prints) and offers the conversions to
 * SI units separately (dv_odid_alt_m ...). All input is hostile: a message
 * that does not fit, a pack whose size or count is wrong, an unknown type
 * are recorded as problems of the frame, never trusted.
 */
#ifndef DV_RADIO_ODID_INT_H
#define DV_RADIO_ODID_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/radio.h"
#include "radio/droneid_int.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_ODID_MSG_SIZE 25
/* Messages kept per frame: the pack itself + up to 15 inside. Larger
 * quantities (impossible in a 255-byte element) are reported. */
#define DV_ODID_MAX_MSGS 16
#define DV_ODID_MAX_PROBLEMS 4
#define DV_ODID_PROBLEM_LEN DV_RADIO_ISSUE_LEN

typedef enum dv_odid_type {
	DV_ODID_BASIC_ID = 0,
	DV_ODID_LOCATION = 1,
	DV_ODID_AUTH = 2,
	DV_ODID_SELF_ID = 3,
	DV_ODID_SYSTEM = 4,
	DV_ODID_OPERATOR_ID = 5,
	DV_ODID_PACK = 15
} dv_odid_type;

/* dv_radio_transport (how the frame carried the messages): dv/radio.h */

typedef struct dv_odid_basic_id {
	uint8_t id_type;   /* 0 none, 1 serial (CTA-2063-A), 2 CAA registration, 3 UTM UUID, 4 specific session */
	uint8_t ua_type;   /* 0 none ... 2 helicopter/multirotor ... 15 other */
	uint8_t id[20];    /* as broadcast */
} dv_odid_basic_id;

typedef struct dv_odid_location {
	uint8_t status;        /* 0 undeclared, 1 ground, 2 airborne, 3 emergency, 4 RID failure */
	uint8_t height_type;   /* 0 above takeoff, 1 AGL */
	uint8_t ew_segment;    /* 1: direction + 180 */
	uint8_t speed_mult;    /* 1: speed*0.75 + 63.75 */
	uint8_t direction;     /* raw; see dv_odid_direction_deg */
	uint8_t speed;         /* raw; see dv_odid_speed_mps */
	int8_t vspeed;         /* raw, 0.5 m/s; 63 m/s = unknown */
	int32_t lat, lon;      /* degrees * 1e7; both 0 = unknown */
	uint16_t press_alt, geo_alt, height; /* raw, see dv_odid_alt_m */
	uint8_t h_accuracy, v_accuracy, baro_accuracy, speed_accuracy;
	uint16_t timestamp;    /* 1/10 s since the full hour; 0xFFFF unknown */
	uint8_t ts_accuracy;   /* 0.1 s units */
} dv_odid_location;

typedef struct dv_odid_auth {
	uint8_t auth_type;     /* 0 none, 1 UAS ID sig, 2 operator ID sig, 3 message set sig, 4 network, 5 specific */
	uint8_t page;          /* page number */
	uint8_t last_page;     /* page 0 only: last page index (page count in -19) */
	uint8_t length;        /* page 0 only: total bytes of auth data */
	uint32_t timestamp;    /* page 0 only: s since 2019-01-01 */
	uint8_t data[23];      /* 17 bytes on page 0, 23 on the others */
	uint8_t data_len;
} dv_odid_auth;

typedef struct dv_odid_self_id {
	uint8_t desc_type;     /* 0 text, 1 emergency, 2 extended status */
	uint8_t desc[23];
} dv_odid_self_id;

typedef struct dv_odid_system {
	uint8_t class_type;    /* 0 undeclared, 1 EU */
	uint8_t op_loc_type;   /* 0 take-off, 1 live GNSS, 2 fixed */
	int32_t op_lat, op_lon;/* degrees * 1e7; both 0 = unknown */
	uint16_t area_count;
	uint8_t area_radius;   /* *10 m */
	uint16_t area_ceiling, area_floor, op_geo_alt; /* raw altitudes */
	uint8_t ua_category, ua_class; /* EU: category 1 open..3 certified, class 1 = C0 ... */
	uint32_t timestamp;    /* s since 2019-01-01 (F3411-22a; 0 before) */
} dv_odid_system;

typedef struct dv_odid_operator_id {
	uint8_t id_type;
	uint8_t id[20];
} dv_odid_operator_id;

typedef struct dv_odid_pack {
	uint8_t msg_size;      /* declared size of each message (25) */
	uint8_t quantity;      /* declared number of messages */
} dv_odid_pack;

typedef struct dv_odid_msg {
	uint8_t type;          /* dv_odid_type, or the unknown value seen */
	uint8_t version;       /* protocol version nibble */
	bool known;            /* type is one of dv_odid_type */
	bool in_pack;          /* carried inside a message pack */
	union {
		dv_odid_basic_id basic;
		dv_odid_location loc;
		dv_odid_auth auth;
		dv_odid_self_id self;
		dv_odid_system sys;
		dv_odid_operator_id op;
		dv_odid_pack pack;
	} u;
} dv_odid_msg;

/* One captured frame that carried Remote ID. */
typedef struct dv_odid_frame {
	uint64_t frame_no;     /* 1-based, as Wireshark numbers frames */
	int64_t ts_ns;         /* capture time, ns since the epoch */
	int linktype;          /* pcap LINKTYPE_* the frame came in */
	dv_radio_transport transport;
	bool coded_phy;        /* Bluetooth LE Coded PHY (Long Range) */
	bool crc_bad;          /* the sniffer marked the FCS/CRC as wrong */
	bool has_mac;
	uint8_t mac[6];        /* 802.11 transmitter or BLE advertiser address */
	int rssi;              /* dBm, 0 when unknown */
	uint8_t counter;       /* message counter before the message(s) */
	size_t nmsg;
	dv_odid_msg msgs[DV_ODID_MAX_MSGS];
	size_t nproblems;      /* malformed/empty content, in words */
	char problems[DV_ODID_MAX_PROBLEMS][DV_ODID_PROBLEM_LEN];
	bool empty;            /* a pack with quantity 0 or no message at all */
	bool pack_overrun;     /* the pack declares more bytes than the payload has */
	size_t pack_cut_at;    /* with pack_overrun: byte of the frame where its data ends */
	const uint8_t *pack_end; /* internal: where the overrunning pack's bytes end */
	bool has_droneid;      /* a DJI DroneID vendor element (decoded or not: droneid.status) */
	dv_droneid_record droneid;
} dv_odid_frame;

/*
 * Decodes one 25-byte message from p (len bytes available). Returns 0, or
 * DV_ETRUNC when len < 25 (out untouched). An unknown type is not an
 * error: it is kept with known = false. Does not set the thread's error.
 */
int dv_odid_decode_msg(const uint8_t *p, size_t len, dv_odid_msg *out);

/*
 * Decodes the Remote ID payload of one transport - the message counter
 * followed by one message or a message pack - into f->msgs, appending
 * problems (truncated, wrong pack size or count, unknown type) to f.
 * with_counter is false for payloads without the counter byte.
 * Returns the number of messages decoded (>= 0); never fails on bad bytes.
 */
int dv_odid_decode_payload(const uint8_t *p, size_t len, bool with_counter, dv_odid_frame *f);

/* Appends a problem text to f (dropped beyond DV_ODID_MAX_PROBLEMS). */
void dv_odid_problem(dv_odid_frame *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Conversions of the raw encodings (NAN for "unknown"). */
double dv_odid_latlon_deg(int32_t raw);          /* raw / 1e7 */
double dv_odid_alt_m(uint16_t raw);              /* raw*0.5 - 1000; 0 -> NAN */
double dv_odid_speed_mps(uint8_t raw, uint8_t mult); /* 255 -> NAN */
double dv_odid_vspeed_mps(int8_t raw);           /* 126 (63 m/s) -> NAN */
double dv_odid_direction_deg(uint8_t raw, uint8_t ew); /* >= 361 -> NAN */

/* Short names: "Basic ID", "F3411-22a", "Wi-Fi beacon", "serial number"... */
const char *dv_odid_type_name(int type);
const char *dv_odid_version_name(int version);
const char *dv_odid_id_type_name(int id_type);

/*
 * Copies a fixed-size text field as the reference dissector shows it
 * (ASCII up to the first NUL, bytes >= 0x80 as U+FFFD). With escape, the
 * control bytes a hostile transmitter could aim at a terminal (< 0x20,
 * 0x7f) are written as \xNN instead of raw. out needs 4*n+1 bytes.
 * Returns the length written.
 */
size_t dv_odid_text(char *out, const uint8_t *in, size_t n, bool escape);

/* dv_odid_frame_tsv (the Wireshark dissector's TSV line): dv/radio.h */

#ifdef __cplusplus
}
#endif
#endif
