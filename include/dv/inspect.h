/*
 * dv/inspect.h - one call that understands a file: what it is, and where,
 * when and by what it was taken, as one JSON object. This is what
 * `dronevault inspect` prints and what ingest can store per file.
 *
 * JSON shape (every key present; null when the file does not say):
 *   {"file":..., "kind":"photo"|"srt"|"video"|"flight_record"|"unknown",
 *    "position":{"lat","lon","alt","source"}|null, "time":..., "time_kind":
 *    "utc"|"local"|"none", "warnings":[...], then per kind:
 *    photo: "make","model","software","serial","width","height",
 *           "focal_length","focal_length_35mm","exif":{...},"xmp":{...}
 *    srt:   "cues","fixes","zero_fixes","formats":[...],"duration_ms",
 *           "first_fix","last_fix","bbox","home","alt_range","height_range",
 *           and "points":[...] with DV_INSPECT_POINTS: per cue "i","start_ms",
 *           "time","time_kind","time_us" (when timed),"lat","lon" (only when
 *           there is a fix: a point without a fix has no lat/lon keys),
 *           "alt","height","no_fix","sats","home","gimbal","flight","format"
 *    video: "creation_time","duration_ms","codec","width","height","fps",
 *           "streams","size","major_brand","encoder","make","model",
 *           "location" (ISO 6709 as written),"sidecar" (paired .SRT); the
 *           position comes from the container, else the sidecar's first fix
 *    flight_record: "format_version","encrypted","details":{aircraft,
 *           serials, app, home, totals},"records","osd_records","fixes",
 *           "thumbnails","thumbnail_bytes","skipped_bytes","bbox","time_end",
 *           and "points" (OSD records: "time","time_kind","time_us" (UTC),
 *           "lat","lon" only with a fix,"height","attitude","gimbal","sats")
 *           with DV_INSPECT_POINTS}
 */
#ifndef DV_INSPECT_H
#define DV_INSPECT_H

#include <stddef.h>
#include <stdio.h>

#include <stdbool.h>
#include "dv/telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dv_media_kind {
	DV_MEDIA_UNKNOWN = 0,
	DV_MEDIA_PHOTO = 1,
	DV_MEDIA_SRT = 2,
	DV_MEDIA_VIDEO = 3,
	DV_MEDIA_FLIGHT_RECORD = 4
} dv_media_kind;

/* From the name and the first bytes of the file (opened and read: up to 16 bytes). */
dv_media_kind dv_media_kind_of(const char *path);
const char *dv_media_kind_name(dv_media_kind k);

enum {
	DV_INSPECT_POINTS = 1u << 0  /* SRT cues / flight record OSD points in "points" (in memory with
	                                dv_inspect_json*, streamed with dv_inspect_write) */
};

/*
 * Inspects path and returns its JSON object as a NUL-terminated string in
 * *out (caller frees with free()). A damaged file still yields an object
 * (with "warnings"); the return is negative only when the file cannot be
 * read at all or memory runs out.
 */
int dv_inspect_json(char **out, const char *path, unsigned flags);

/* Options beyond the flags. */
typedef struct dv_inspect_opts {
	unsigned flags;        /* DV_INSPECT_* */
	bool has_utc_offset;   /* the user gave the zone of local times */
	int utc_offset_min;    /* local = UTC + this many minutes (CEST: +120) */
} dv_inspect_opts;

/*
 * dv_inspect_json with options. With has_utc_offset, an object whose time
 * is local also gets "time_utc" (and "time_end_utc") = local - offset, and a
 * "time_utc_note" saying the offset came from the user: UTC is derived only
 * when asked, and says so.
 */
int dv_inspect_json_opts(char **out, const char *path, const dv_inspect_opts *opts);

/*
 * Writes the object of path as one line to stream (JSON Lines). With
 * DV_INSPECT_POINTS, SRT cues and flight record points are streamed as they
 * are parsed ("points" first), so memory stays constant for any file size.
 * Returns 0 or a negative dv_code (nothing written when the file cannot be
 * read at all).
 */
int dv_inspect_write(FILE *stream, const char *path, const dv_inspect_opts *opts);

/*
 * The same for bytes already in memory (borrowed), e.g. a file decrypted
 * from the vault during reindex: name gives the kind (by extension, as
 * well as the bytes) and labels warnings; "file" is name. A video in
 * memory is not paired with a sidecar.
 */
int dv_inspect_json_mem(char **out, const void *buf, size_t len, const char *name, unsigned flags);

/*
 * Every cue of an SRT file as track points, in file order (caller frees
 * *out with free()). At most max points are kept (0 = no cap); *n says how
 * many. For dronevault track and ingest.
 */
int dv_srt_points(dv_track_point **out, size_t *n, const char *path, size_t max);

/* The same for a flight record's OSD points (v <= 12; none for v13+). */
int dv_flightrec_points(dv_track_point **out, size_t *n, const char *path, size_t max);

#ifdef __cplusplus
}
#endif
#endif
