/*
 * dv/radio.h - broadcast Remote ID in radio captures: which link types are
 * read, how a frame becomes a dv_odid_frame, and the per-aircraft report
 * (identifiers, broadcast track, operator positions, exposure).
 *
 *     dv_radio_report *r;
 *     if (dv_radio_report_new(&r) < 0) ...
 *     if (dv_radio_report_add_capture(r, "capture.pcapng") < 0)
 *         fprintf(stderr, "%s\n", dv_error_text());   // names file and frame
 *     dv_radio_report_finish(r);
 *     dv_radio_report_print(r, stdout);
 *     dv_radio_report_free(r);
 *
 * Link types read (pcap LINKTYPE_*): 105 IEEE 802.11, 127 802.11 +
 * radiotap, 192 PPI, 251 Bluetooth LE LL, 256 Bluetooth LE LL with PHDR,
 * 272 Nordic nRF Sniffer for BLE, 187/201 Bluetooth HCI H4 (LE advertising
 * reports, with or without direction header), 254 Linux Bluetooth monitor.
 * Other link types are not an error: the capture simply holds no Remote ID
 * this reader can see (stats say so). Frames come from a frame source
 * (dv/capture.h); the link headers are walked by the link layer the audit
 * shares, the Remote ID transports (beacon vendor element, NAN service
 * discovery, BLE advertising data, HCI reports) are decoded here.
 *
 * The decoded frame (dv_odid_frame: the messages of ASTM F3411) is opaque
 * to users of this header; dv_odid_frame_tsv prints it.
 */
#ifndef DV_RADIO_H
#define DV_RADIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dv/capture.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One frame with Remote ID, decoded (layout internal: radio/odid_int.h). */
typedef struct dv_odid_frame dv_odid_frame;

/* How the frame carried the messages. */
typedef enum dv_radio_transport {
	DV_RADIO_NONE = 0,
	DV_RADIO_WIFI_BEACON = 1,  /* 802.11 beacon vendor IE FA:0B:BC type 0x0D */
	DV_RADIO_WIFI_NAN = 2,     /* Wi-Fi NAN service discovery (action) frame */
	DV_RADIO_BT_LEGACY = 4,    /* Bluetooth 4 legacy advertising, service data 0xFFFA */
	DV_RADIO_BT_EXTENDED = 8,  /* Bluetooth 5 extended advertising (Long Range when coded PHY) */
	DV_RADIO_WIFI_DJI = 16     /* DJI DroneID: 802.11 beacon/probe response vendor IE OUI 26:37:12 */
} dv_radio_transport;
#define DV_RADIO_TRANSPORT_LAST DV_RADIO_WIFI_DJI

/* "Wi-Fi beacon", "Bluetooth 5 extended" ... */
const char *dv_radio_transport_name(dv_radio_transport t);

/* Length of a problem text of a frame (an issue of the report). */
#define DV_RADIO_ISSUE_LEN 112

/*
 * Formats f as one tab-separated line in the column layout of the Open
 * Drone ID Wireshark dissector ground truth (frame msgType basicID_idType
 * basicID_uaType basicID_id_asc loc_status loc_lat loc_lon loc_geoAlt
 * loc_height loc_speed loc_direction system_lat system_lon operator_id
 * self_desc; several values comma-joined), without a newline. Returns 0,
 * or DV_ENOMEM if size is too small; 1 when the dissector prints no line
 * for the frame: no message of a known type, or a pack that declares more
 * bytes than the frame holds (the Lua dissector stops on that range error;
 * the payload decoder still decodes the messages that fit).
 * flags: DV_ODID_TSV_ESCAPE escapes control bytes in texts (for a
 * terminal; without it the output is byte-identical to tshark's).
 */
#define DV_ODID_TSV_ESCAPE 1u
/* DV_ODID_TSV_CUT: also the row of a frame whose pack overruns it (the
 * messages that fit, in the same layout), where the dissector prints none. */
#define DV_ODID_TSV_CUT 2u
int dv_odid_frame_tsv(const dv_odid_frame *f, char *out, size_t size, unsigned flags);

/*
 * What `radio --frames` prints for one frame the report counts, as whole
 * lines (each ending in a newline) into out: the dissector-layout row (also
 * for a pack cut short: the messages that fit) and '#' comment lines - "#
 * frame N: message pack cut at byte K" (K: offset in the captured frame
 * where the pack's bytes end), why a frame has no row, a bad FCS. With
 * DV_RADIO_FRAMES_DRONEID instead the DJI DroneID row of a frame carrying
 * one (nothing for the others). out may be left empty. Returns 0 or
 * DV_ENOMEM. dv_radio_frames_header gives the '#' header line (no newline).
 */
#define DV_RADIO_FRAMES_DRONEID 4u
int dv_radio_frame_lines(const dv_odid_frame *f, unsigned flags, char *out, size_t size);
const char *dv_radio_frames_header(unsigned flags);

/* True when dv_radio_decode_frame understands this pcap link type. */
bool dv_radio_linktype_supported(int linktype);
const char *dv_radio_linktype_name(int linktype);

/*
 * Looks for Remote ID in one captured frame of the given link type.
 * Fills f (frame_no and ts_ns are kept as the caller set them). Returns 1
 * when the frame carries a Remote ID transport (even with no valid
 * message: see f->problems), 0 when it does not. Never fails: malformed
 * bytes are problems of the frame.
 */
int dv_radio_decode_frame(int linktype, const uint8_t *p, size_t len, dv_odid_frame *f);

typedef struct dv_radio_stats {
	uint64_t frames;        /* frames read */
	uint64_t odid_frames;   /* frames carrying a Remote ID transport */
	uint64_t crc_bad;       /* of those, marked with a bad FCS/CRC */
	int linktype;           /* of the capture */
	bool linktype_supported;
} dv_radio_stats;

/* Called for each frame that carries Remote ID; non-zero stops the scan
 * and is returned. f is borrowed for the call. */
typedef int (*dv_radio_frame_fn)(const dv_odid_frame *f, void *payload);

/*
 * Reads every frame of an open frame source and calls fn for every frame
 * with Remote ID. Returns 0, fn's non-zero value, or the source's error
 * (DV_ETRUNC when it breaks off mid-way: frames before were delivered; the
 * error names the source and the frame). The source stays the caller's.
 */
int dv_radio_scan_capture(dv_capture *c, dv_radio_frame_fn fn, void *payload, dv_radio_stats *stats);

/*
 * The same over a pcap or pcapng file (dv_capture_open_file).
 * DV_ENOTFOUND/DV_EINVAL when the file cannot be opened as a capture.
 */
int dv_radio_scan_file(const char *path, dv_radio_frame_fn fn, void *payload, dv_radio_stats *stats);
/* The same over a capture in memory (name is used in errors). */
int dv_radio_scan_mem(const void *buf, size_t len, const char *name, dv_radio_frame_fn fn,
                      void *payload, dv_radio_stats *stats);

/* Distance in metres on the WGS84 ellipsoid (Vincenty's inverse formula;
 * haversine on the mean sphere where it does not converge). */
double dv_radio_distance_m(double lat1, double lon1, double lat2, double lon2);

/* ---- per-aircraft report ------------------------------------------------ */

/* What broadcast a position: ASTM F3411 Remote ID or DJI DroneID. */
typedef enum dv_radio_source {
	DV_RADIO_SRC_ASTM = 0,
	DV_RADIO_SRC_DRONEID = 1
} dv_radio_source;

typedef struct dv_radio_point {
	uint64_t frame_no;
	uint8_t source;        /* dv_radio_source */
	double alt_m;          /* DroneID "altitude" (DJI does not say its reference), else NAN */
	double yaw_deg;        /* DroneID heading, else NAN */
	size_t capture;        /* index into the report's captures */
	int64_t ts_ns;         /* capture time */
	double lat, lon;       /* degrees */
	double geo_alt_m, press_alt_m, height_m; /* NAN when unknown */
	double speed_mps, vspeed_mps, direction_deg; /* NAN when unknown */
	uint8_t status;        /* 0 undeclared, 1 ground, 2 airborne, 3 emergency */
	uint8_t height_type;   /* height_m is above 0 take-off, 1 ground */
	uint16_t timestamp;    /* 1/10 s since the hour as broadcast */
} dv_radio_point;

typedef struct dv_radio_operator_pos {
	double lat, lon, geo_alt_m;
	uint8_t loc_type;      /* 0 take-off, 1 live GNSS, 2 fixed */
	uint8_t source;        /* dv_radio_source: DroneID = the pilot app's position */
	uint64_t frames;       /* how many frames broadcast it */
	uint64_t first_frame, last_frame;
	size_t capture;        /* of the first frame */
	/* exposure, filled by dv_radio_report_finish when the track has points */
	bool has_distance;
	double dist_min_m, dist_max_m, dist_first_m; /* to the aircraft track / its first point */
} dv_radio_operator_pos;

#define DV_RADIO_MAX_IDS 4
/* A pilot broadcasting live GNSS at 1 Hz for over an hour stays below this;
 * the cap bounds the exposure computation (positions x track points). */
#define DV_RADIO_MAX_OPERATORS 4096
/* 10 positions a second for close to three hours: more than any battery. */
#define DV_RADIO_MAX_TRACK 100000
#define DV_RADIO_TEXT 64

typedef struct dv_radio_ident {
	uint8_t id_type, ua_type;
	char text[DV_RADIO_TEXT]; /* printable text, or hex for binary IDs */
	uint64_t frames;
	uint8_t raw[23];       /* as broadcast (internal: fast repeat check) */
	uint8_t raw_len;
} dv_radio_ident;

typedef struct dv_radio_aircraft {
	char key[24];          /* transmitter address "aa:bb:cc:dd:ee:ff" or "unknown" */
	bool has_mac;
	uint8_t mac[6];
	unsigned transports;   /* dv_radio_transport bits */
	unsigned versions;     /* bit n: protocol version n seen */
	bool coded_phy;        /* seen on Bluetooth LE Coded PHY (Long Range) */
	dv_radio_ident ids[DV_RADIO_MAX_IDS];
	size_t nids;
	dv_radio_ident operator_ids[DV_RADIO_MAX_IDS];
	size_t noperator_ids;
	dv_radio_ident self_ids[DV_RADIO_MAX_IDS];  /* text descriptions */
	size_t nself_ids;
	bool has_class;
	uint8_t class_type, ua_category, ua_class;
	bool has_area;         /* operating area of a group/swarm (System message) */
	uint16_t area_count;   /* aircraft in the area */
	double area_radius_m, area_ceiling_m, area_floor_m; /* NAN when unknown */
	uint64_t auth_pages;   /* authentication messages seen */
	/* DJI DroneID (radio/droneid_int.h), beside or instead of ASTM */
	bool by_serial;        /* keyed by the DroneID serial (no transmitter address) */
	uint64_t droneid_frames;     /* frames with a DroneID record */
	uint64_t droneid_undecoded;  /* of them: looked like DroneID, not decodable */
	dv_radio_ident droneid_serials[DV_RADIO_MAX_IDS];
	size_t ndroneid_serials;
	unsigned droneid_versions;   /* bit n: flight information version n */
	int droneid_device_type;     /* last broadcast, -1 none */
	char droneid_uuid[DV_RADIO_TEXT];
	char droneid_purpose[DV_RADIO_TEXT];
	bool droneid_has_home;
	double droneid_home_lat, droneid_home_lon;
	int64_t first_ns, last_ns;
	uint64_t frames, messages, empty_frames;
	dv_radio_point *track; /* distinct consecutive positions (at most DV_RADIO_MAX_TRACK) */
	size_t ntrack;
	uint64_t track_dropped; /* positions beyond the cap */
	dv_radio_operator_pos *operators; /* distinct operator positions (at most
	                                   * DV_RADIO_MAX_OPERATORS, in order seen) */
	size_t noperators;
	uint64_t operators_dropped;   /* distinct positions beyond the cap */
	size_t track_cap, operators_cap; /* internal */
} dv_radio_aircraft;

typedef struct dv_radio_issue {
	size_t capture;
	uint64_t frame_no;
	char aircraft[24];     /* key, or "" */
	char text[DV_RADIO_ISSUE_LEN];
} dv_radio_issue;

typedef struct dv_radio_capture {
	char *path;            /* owned */
	dv_radio_stats stats;
	int error;             /* 0, or the dv_code that stopped the read */
	char error_text[256];
} dv_radio_capture;

typedef struct dv_radio_report {
	dv_radio_capture *captures;
	size_t ncaptures;
	dv_radio_aircraft *aircraft;
	size_t naircraft;
	dv_radio_issue *issues;  /* capped at DV_RADIO_MAX_ISSUES */
	size_t nissues;
	uint64_t issues_dropped;
	uint64_t crc_bad_frames;  /* Remote ID frames not used: bad CRC/FCS */
	size_t captures_cap, aircraft_cap, issues_cap; /* internal */
	size_t last_aircraft;  /* internal: index of the last match */
	size_t *index;         /* internal: open-addressing table, aircraft index + 1 */
	size_t index_cap;      /* internal: power of two, or 0 */
} dv_radio_report;

#define DV_RADIO_MAX_ISSUES 10000

int dv_radio_report_new(dv_radio_report **out);
void dv_radio_report_free(dv_radio_report *r);

/* Scans a frame source into the report under the source's name (the
 * source stays the caller's); errors as dv_radio_report_add_capture. */
int dv_radio_report_add_source(dv_radio_report *r, dv_capture *c);

/*
 * Scans a capture into the report. A capture that cannot be opened or
 * breaks off is recorded in r->captures[...].error and the code is
 * returned (the frames read before it stay in the report).
 */
int dv_radio_report_add_capture(dv_radio_report *r, const char *path);
/* The same for a capture already in memory (e.g. decrypted from the vault);
 * name labels it in the report and in errors. buf is borrowed. */
int dv_radio_report_add_capture_mem(dv_radio_report *r, const char *name, const void *buf, size_t len);

/* Adds one decoded frame (capture = index of a capture already added, or
 * 0 after dv_radio_report_begin_capture). Frames with a bad CRC are
 * counted and listed as issues, their content is not used. */
int dv_radio_report_add_frame(dv_radio_report *r, size_t capture, const dv_odid_frame *f);
/* Registers a capture name without reading it; returns its index or < 0. */
int dv_radio_report_begin_capture(dv_radio_report *r, const char *path);

/* Computes the exposure distances. Call once after the last add. */
void dv_radio_report_finish(dv_radio_report *r);

/* The human report. */
void dv_radio_report_print(const dv_radio_report *r, FILE *out);
/* JSON / GeoJSON (RFC 7946) documents; *out is malloc'd, caller frees. */
int dv_radio_report_json(const dv_radio_report *r, char **out);
int dv_radio_report_geojson(const dv_radio_report *r, char **out);

/*
 * Exposure of one broadcast operator position against any track (e.g. a
 * case's flight telemetry): min and max distance in metres to the n
 * points (lat[i], lon[i] in degrees). DV_EINVAL when n == 0.
 */
int dv_radio_exposure(double op_lat, double op_lon, const double *lat, const double *lon,
                      size_t n, double *min_m, double *max_m);

#ifdef __cplusplus
}
#endif
#endif
