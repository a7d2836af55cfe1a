/*
 * dv/flightrec.h - DJI app flight records (DJIFlightRecord_*.txt, binary),
 * decoded offline only. Nothing here ever contacts DJI: a keychain fetched
 * from DJI's servers would itself send the flight's details out.
 *
 * Layout (all little-endian):
 *
 *   v1-5   [prefix 12 B][records ....................][details]
 *   v6-11  [prefix 100 B][records (XOR from v7) ......][details]
 *   v12    [prefix 100 B][details 436 B][records (XOR)...........]
 *   v13+   [prefix 100 B][aux blocks: details (XOR), version][records
 *           (XOR + AES-256-CBC with per-feature keys from DJI)]
 *
 *   prefix: u64 detail_offset, u16 detail_length, u8 version, ...
 *   record: u8 type, length (u8 up to v12, u16 from v13), payload[length],
 *           u8 0xFF; or an embedded JPEG (FF D8 ... FF D9).
 *   XOR:    the payload's first byte seeds an 8-byte key,
 *           key = CRC-64/Jones(init = (seed + type) mod 256,
 *                              le64(0x123456789ABCDEF0 * seed)),
 *           applied to the bytes after the seed.
 *
 * Details (the header written at the end of the flight) carry the start
 * time (UTC), home point, totals and serial numbers; they are readable for
 * every version. Records (OSD position/attitude, home, gimbal, custom
 * timestamps) are decoded for versions up to 12; from 13 on they are
 * counted and reported as encrypted.
 */
#ifndef DV_FLIGHTREC_H
#define DV_FLIGHTREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_FLIGHTREC_MAX_BYTES (512u << 20) /* larger files are refused */

typedef struct dv_flightrec_details {
	int64_t start_time_ms;     /* UTC ms since the epoch */
	double home_lat, home_lon; /* degrees; has_home false when 0,0 */
	bool has_home;
	double total_distance_m, total_time_s, max_height_m;
	double max_hspeed_ms, max_vspeed_ms, takeoff_altitude_m;
	int32_t capture_num;
	int64_t video_time_s;
	int32_t record_line_count;
	unsigned product_type;     /* DJI's product code */
	char product_name[32];     /* our name for it, or "" */
	char aircraft_name[40], aircraft_sn[20], camera_sn[20], rc_sn[20], battery_sn[20];
	char app_platform[16];     /* "iOS", "Android", "DJI Fly", ... */
	char app_version[16];      /* "2.4.3" */
	char city[24], area[24];   /* as the app wrote them (often "Map Loading") */
} dv_flightrec_details;

typedef struct dv_flightrec {
	unsigned version;          /* format version from the prefix */
	uint64_t detail_offset;
	bool has_details;
	dv_flightrec_details details;
	bool encrypted;            /* v13+: records need DJI's keys; not decoded */
	uint64_t records;          /* records walked (any type) */
	uint64_t osd, home, gimbal, custom; /* decoded records per kind */
	uint64_t jpegs, jpeg_bytes;/* embedded thumbnails */
	uint64_t skipped_bytes;    /* bytes skipped to resynchronise */
	bool trailer;              /* the regular u32 12345 before details/thumbnails */
	bool has_home_record;      /* from the first home record */
	double home_lat, home_lon, home_alt;
	unsigned warnings;
	char first_warning[256];   /* "offset N: what", or "" */
} dv_flightrec;

/* One OSD record with the latest custom time and gimbal angles. */
typedef struct dv_flightrec_point {
	dv_track_point pt;         /* UTC time from the custom record; height = OSD height */
	double pitch, roll, yaw;   /* aircraft, degrees */
	double gimbal_pitch, gimbal_roll, gimbal_yaw;
	double speed_x, speed_y, speed_z; /* m/s */
	double fly_time_s;
	int gps_num;
} dv_flightrec_point;

/* Called per OSD point (borrowed); non-zero stops the walk. */
typedef int (*dv_flightrec_cb)(const dv_flightrec_point *p, void *payload);

/* Decodes a whole flight record in memory (borrowed). cb may be NULL.
 * out is caller-allocated, always initialised. Returns 0 (warnings may be
 * set), DV_EINVAL when it is not a flight record, or a callback's value. */
int dv_flightrec_parse_mem(dv_flightrec *out, const void *buf, size_t len, const char *name,
                           dv_flightrec_cb cb, void *payload);

/* The same for a file (read whole, up to DV_FLIGHTREC_MAX_BYTES). */
int dv_flightrec_read_file(dv_flightrec *out, const char *path, dv_flightrec_cb cb, void *payload);

/* Whether the first got bytes of a file of file_len bytes are a flight
 * record's: version byte, details offset within the file, first record or
 * aux block framed right. head should hold DV_FLIGHTREC_SNIFF bytes. */
#define DV_FLIGHTREC_SNIFF 1024
bool dv_flightrec_sniff(const uint8_t *head, size_t got, uint64_t file_len);

/* DJI's name of a product code (details "product type"), or "". */
const char *dv_flightrec_product_name(unsigned code);

#ifdef __cplusplus
}
#endif
#endif
