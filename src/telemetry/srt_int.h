/*
 * dv/srt.h - DJI video telemetry sidecars (.SRT), every generation.
 *
 * A streaming parser: feed it bytes in any chunking, it calls back once per
 * cue. Memory is constant (one line of at most DV_SRT_LINE_MAX bytes and one
 * cue body of at most DV_SRT_BODY_MAX bytes), whatever the file size.
 *
 * Generations (detected per cue, since files mix them):
 *
 *   HOME_GPS  HOME(lon,lat) 2017.08.05 14:11:51           (Phantom 3/4,
 *             GPS(lon,lat,sats) BAROMETER:1.9 | Hb: Hs:     Mavic Pro)
 *   M300      2022.06.21 16:06:17                           (Matrice 300:
 *             GPS(lat,lon,0.0M) BAROMETER:0.3M              LATITUDE first)
 *   BRACKET   <font> FrameCnt : n, DiffTime : ms           (Mavic 2, Air,
 *             2019-09-27 10:28:08,438,904                   Air 2)
 *             [iso : ] ... [latitude : ] [longtitude : ] [altitude: ]
 *   ONELINE   F/2.8, SS 30.15, ISO 260, EV -1.7, GPS (lon, lat, sats),
 *             [HOME (lon, lat, alt m),] D 221.21m, H 200.70m, H.S, V.S,
 *             [F.PRY (p, r, y), G.PRY (p, r, y)]            (P4P/RTK, Mini)
 *   RELABS    FrameCnt: n, DiffTime: 20ms / 2021-12-25 12:27:52.373 /
 *             [latitude: ] [longitude: ] [rel_alt: x abs_alt: y] (Mavic 3+)
 *
 * Times in SRT files are local wall-clock without a zone: they are reported
 * as DV_TIME_LOCAL, never converted. A cue without a date has no time (the
 * video offset is in media_ms). A 0,0 position is "no fix", not a position.
 * A UTF-8 BOM, CRLF or CR line ends, blank-line runs, missing blank lines
 * between cues, truncated last cues and binary garbage are all accepted;
 * oddities become warnings naming the file and byte offset.
 */
#ifndef DV_SRT_H
#define DV_SRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_SRT_LINE_MAX 8192   /* longer lines are cut (with a warning) */
#define DV_SRT_BODY_MAX 16384  /* text kept per cue */

typedef enum dv_srt_format {
	DV_SRT_UNKNOWN = 0,
	DV_SRT_HOME_GPS = 1,
	DV_SRT_M300 = 2,
	DV_SRT_BRACKET = 3,
	DV_SRT_ONELINE = 4,
	DV_SRT_RELABS = 5
} dv_srt_format;

/* "home_gps", "m300", ... ("unknown" for anything else). */
const char *dv_srt_format_name(dv_srt_format f);

/* One cue. Doubles are NAN and integers -1 when the cue does not say. */
typedef struct dv_srt_cue {
	uint64_t seq;          /* 0-based order in the file */
	int64_t index;         /* cue number as written, or -1 */
	int64_t start_ms;      /* timecode start (also pt.media_ms), or -1 */
	int64_t end_ms;        /* timecode end, or -1 */
	int64_t offset;        /* byte offset of the cue's first line */
	dv_srt_format format;  /* generation detected for this cue */
	dv_track_point pt;     /* time (LOCAL or NONE), position, alt, height */
	bool zero_fix;         /* the cue said 0,0: no GPS fix yet */
	bool has_home;         /* home_* are valid */
	double home_lat, home_lon, home_alt;
	double gps_alt;        /* Matrice 300 GPS(lat,lon,altM) third value */
	double sonar_height;   /* Hs: of old firmware */
	int sats;              /* satellites, or -1 */
	double flight_pitch, flight_roll, flight_yaw;  /* F.PRY, degrees */
	double gimbal_pitch, gimbal_roll, gimbal_yaw;  /* G.PRY, degrees */
	double hspeed, vspeed; /* H.S / V.S, m/s */
	double distance;       /* D: distance from home, m */
	int64_t frame_cnt;     /* FrameCnt / SrtCnt, or -1 */
	int64_t diff_ms;       /* DiffTime, or -1 */
	double iso, fnum, ev, ct, focal_len;
	char shutter[24];      /* as written ("1/8000.0", "400"), or "" */
} dv_srt_cue;

/* Called for every cue (borrowed, valid during the call). Non-zero stops
 * the parse; dv_srt_feed/finish then return that value. */
typedef int (*dv_srt_cue_cb)(const dv_srt_cue *cue, void *payload);

typedef struct dv_srt_stats {
	uint64_t bytes;        /* bytes fed */
	uint64_t cues;         /* cues reported */
	uint64_t fixes;        /* cues with a position */
	uint64_t zero_fixes;   /* cues that said 0,0 */
	uint64_t warnings;     /* oddities found */
	unsigned formats;      /* bit (1 << dv_srt_format) for each seen */
	char first_warning[256]; /* "offset N: what" of the first warning, or "" */
} dv_srt_stats;

typedef struct dv_srt_parser dv_srt_parser;

/* Creates a parser; name (copied) labels warnings. Caller frees with dv_srt_free. */
int dv_srt_new(dv_srt_parser **out, const char *name);
void dv_srt_free(dv_srt_parser *p);

/* Feeds the next len bytes. Returns 0, a callback's non-zero value, or a
 * negative dv_code. */
int dv_srt_feed(dv_srt_parser *p, const void *buf, size_t len, dv_srt_cue_cb cb, void *payload);

/* End of input: reports the last cue (flagging a truncated one). */
int dv_srt_finish(dv_srt_parser *p, dv_srt_cue_cb cb, void *payload);

/* Counters so far (borrowed). */
const dv_srt_stats *dv_srt_stats_get(const dv_srt_parser *p);

/* Reads a whole file through a parser in 64 KiB chunks; stats may be NULL. */
int dv_srt_read_file(const char *path, dv_srt_cue_cb cb, void *payload, dv_srt_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
