/*
 * radio/droneid_int.h - DJI DroneID: the broadcast DJI aircraft send beside
 * or instead of ASTM F3411 Remote ID. One record type for every carrier, so
 * that a decoder of another carrier (OcuSync, decoded from an SDR capture:
 * src/ocusync) feeds the same per-aircraft report:
 * dv_radio_report_add_droneid().
 *
 * Wi-Fi carrier (DJI "enhanced Wi-Fi" models: Spark, Mavic Air, Mini ...):
 * an 802.11 beacon (or probe response) vendor-specific element
 *
 *   221 | len | OUI 26:37:12 | vendor type (0x58) | 2 bytes | subcommand | record
 *
 * as the open-source receivers document it (Kismet's
 * dot11_ie_221_dji_droneid, after the decoding by Freek van Tienen and Jan
 * Dumon; the NDSS 2023 paper "Drone Security and the Mysterious Case of
 * DJI's DroneID" and its receiver, RUB-SysSec/DroneSecurity, for version 2).
 * Little endian throughout.
 *
 *   subcommand 0x10, flight information:
 *     u8 version | u16 sequence | u16 state | serial[16] (ASCII, NUL padded)
 *     | s32 lon | s32 lat            (radians * 1e7: deg = raw / 174533.0)
 *     | s16 altitude | s16 height   (m)
 *     | s16 v_north | s16 v_east | s16 v_up  (cm/s)
 *     version 1: | s16 pitch | s16 roll | s16 yaw   (0.01 deg)
 *                | s32 home lon | s32 home lat
 *                | u8 product type | u8 uuid length | uuid[20]      (75 bytes)
 *     version 2: | s16 yaw (0.01 deg) | u64 GPS time (ms since 1970, UTC)
 *                | s32 app (pilot) lat | s32 app (pilot) lon
 *                | s32 home lon | s32 home lat
 *                | u8 device type | u8 uuid length | uuid[20]       (87 bytes)
 *   subcommand 0x11, flight purpose (user-entered):
 *     serial[16] | u64 drone id length | drone id[10] | u64 purpose length
 *     | purpose (rest, at most 100)
 *
 *   state bits: 0 serial valid, 1 private mode off (positions broadcast),
 *   2 home point set, 3 UUID set, 4 motors on, 5 in the air, 6 GPS valid,
 *   7 altitude valid, 8 height valid, 9 horizontal speed valid, 10 vertical
 *   speed valid, 11 attitude valid (bits 6-11 as the receivers guess them).
 *
 * OcuSync frames carry the version 2 record after a length and an unknown
 * byte and end with a CRC-16 (poly 0x1021, init 0x3692); their decoder sets
 * has_crc/crc_ok. A record whose bytes do not decode (cut, unknown
 * subcommand or version, positions out of range) keeps status != OK and a
 * problem text: it is reported as "looks like DroneID, not decodable",
 * never dropped.
 */
#ifndef DV_RADIO_DRONEID_INT_H
#define DV_RADIO_DRONEID_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/radio.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_DRONEID_SUB_FLIGHT_INFO 0x10
#define DV_DRONEID_SUB_PURPOSE 0x11

typedef enum dv_droneid_carrier {
	DV_DRONEID_WIFI = 1,       /* 802.11 vendor element OUI 26:37:12 */
	DV_DRONEID_OCUSYNC = 2     /* OcuSync burst (SDR), src/ocusync */
} dv_droneid_carrier;

typedef enum dv_droneid_status {
	DV_DRONEID_OK = 0,
	DV_DRONEID_CUT = 1,        /* fewer bytes than the layout needs */
	DV_DRONEID_UNKNOWN = 2,    /* subcommand or version not documented */
	DV_DRONEID_BAD_VALUES = 3, /* decoded, but positions out of range */
	DV_DRONEID_CRC_BAD = 4     /* OcuSync: CRC mismatch, content not used */
} dv_droneid_status;

/* One DroneID record, decoded. Doubles are NAN when not broadcast or not
 * valid; has_* say which positions are there (0,0 is "no position"). */
typedef struct dv_droneid_record {
	dv_droneid_carrier carrier;
	uint8_t subcommand;        /* 0x10 flight information, 0x11 flight purpose */
	uint8_t version;           /* of the flight information record */
	uint16_t seq;
	uint16_t state;            /* state bits, see above */
	char serial[17];           /* aircraft serial number (printable ASCII) */
	bool has_pos;
	double lat, lon;           /* aircraft, degrees */
	double alt_m, height_m;    /* altitude (reference undocumented), height above take-off */
	double v_north_mps, v_east_mps, v_up_mps;
	double pitch_deg, roll_deg, yaw_deg;
	bool has_home;
	double home_lat, home_lon;
	bool has_pilot;            /* version 2: the app's (pilot's phone) position */
	double pilot_lat, pilot_lon;
	int64_t gps_time_ms;       /* version 2: UTC ms since 1970, or -1 */
	uint8_t device_type;       /* product code as broadcast */
	uint8_t uuid_len;
	char uuid[41];             /* printable, or hex when binary */
	char purpose[101];         /* flight purpose (0x11), printable */
	char drone_id[11];         /* user-set drone id (0x11) */
	bool has_crc, crc_ok;      /* OcuSync only */
	uint16_t crc;
	dv_droneid_status status;
	char problem[DV_RADIO_ISSUE_LEN]; /* why status != OK, or "" */
} dv_droneid_record;

/*
 * Decodes the bytes of a Wi-Fi vendor element after the OUI (vendor type,
 * 2 bytes, subcommand, record; len of them). Always fills out; returns
 * out->status (0 = decoded). Never reads beyond len.
 */
int dv_droneid_decode_wifi(dv_droneid_record *out, const uint8_t *p, size_t len);

/* "flight information", "flight purpose" ... and the state/status names. */
const char *dv_droneid_status_name(dv_droneid_status s);
/* DJI's DroneID device type names (the receivers' table), or "". */
const char *dv_droneid_device_name(unsigned type);

/*
 * Adds one DroneID record to the report, as a frame of the given capture
 * (frame number, capture time) from transmitter mac (NULL: unknown, then
 * the aircraft is keyed by the serial number). Records with a bad CRC or
 * an undecodable status are counted and listed as issues; decoded ones
 * feed the aircraft's track, pilot positions (the same exposure analysis
 * as ASTM operator positions) and home point.
 */
int dv_radio_report_add_droneid(dv_radio_report *r, size_t capture, uint64_t frame_no, int64_t ts_ns,
                                const uint8_t *mac, const dv_droneid_record *rec);

/* One record as the tab-separated row of `radio --frames=droneid`
 * (dv_droneid_tsv_header names the columns). Returns 0 or DV_ENOMEM. */
extern const char dv_droneid_tsv_header[];
int dv_droneid_tsv(const dv_droneid_record *rec, uint64_t frame_no, char *out, size_t size, bool escape);

#ifdef __cplusplus
}
#endif
#endif
