/*
 * dv/telemetry.h - where and when: the track point every telemetry parser
 * (SRT cues, photo positions, flight records) produces, and the writers
 * that turn an array of them into GeoJSON, GPX, KML or CSV.
 *
 * Conventions for every field below:
 *   - "absent" is explicit: a position is valid only when has_pos is true
 *     (never 0,0 as a stand-in), a double field is NAN when not recorded;
 *   - latitudes and longitudes are WGS-84 decimal degrees, south and west
 *     negative; altitudes in metres;
 *   - time_us is microseconds since 1970-01-01 of either a UTC instant
 *     (DV_TIME_UTC) or a local wall-clock reading without a zone
 *     (DV_TIME_LOCAL: the digits the drone wrote, counted as if they were
 *     UTC). A local time is never silently presented as UTC.
 */
#ifndef DV_TELEMETRY_H
#define DV_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dv_time_kind {
	DV_TIME_NONE = 0,   /* the source carries no date */
	DV_TIME_UTC = 1,    /* an instant */
	DV_TIME_LOCAL = 2   /* local wall-clock, zone unknown */
} dv_time_kind;

typedef struct dv_track_point {
	int64_t time_us;        /* see dv_time_kind; 0 when time_kind is NONE */
	dv_time_kind time_kind; /* what time_us means */
	int64_t media_ms;       /* offset into the video (SRT cue start), or -1 */
	bool has_pos;           /* lat/lon are a real fix */
	double lat, lon;        /* degrees, valid when has_pos */
	double alt;             /* absolute altitude (MSL/ellipsoid as the drone says), or NAN */
	double height;          /* height above the take-off point, or NAN */
} dv_track_point;

typedef enum dv_track_format {
	DV_TRACK_GEOJSON = 0,   /* RFC 7946 FeatureCollection */
	DV_TRACK_GPX = 1,       /* GPX 1.1 track */
	DV_TRACK_KML = 2,       /* KML 2.2 LineString + Placemarks */
	DV_TRACK_CSV = 3        /* time,time_kind,lat,lon,alt,height,media_ms */
} dv_track_format;

/* "geojson", "gpx", "kml", "csv" -> format; DV_EINVAL for anything else. */
int dv_track_format_parse(dv_track_format *out, const char *name);

/*
 * Writes n points (borrowed; points without a position are left out of the
 * geometry but kept in CSV) as one track called name (may be NULL) to f.
 * GeoJSON: a FeatureCollection with one LineString feature (when >= 2
 * fixes) and one Point feature per fix, coordinates [lon, lat(, alt)].
 * GPX/KML: a track whose times are written only when they are UTC (a local
 * time is given in a description, never as a UTC <time>).
 * Returns 0, or DV_EIO when writing fails.
 */
int dv_track_write(FILE *f, dv_track_format format, const char *name,
                   const dv_track_point *points, size_t n);

/*
 * Formats a time for people and for JSON: "2017-08-05T14:11:51.393" for a
 * local time (no zone suffix: we do not know it), "...Z" for UTC, "" for
 * none. buf needs >= 40 bytes.
 */
void dv_telemetry_time_text(char *buf, size_t size, int64_t time_us, dv_time_kind kind);

/*
 * Turns the local times among n points into UTC, given the zone the user
 * says they were in (local = UTC + offset_min minutes). Other points are
 * left alone.
 */
void dv_track_local_to_utc(dv_track_point *points, size_t n, int offset_min);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (no range checks
 * beyond what the arithmetic needs; callers validate month/day).
 */
int64_t dv_telemetry_days_from_civil(int64_t y, unsigned m, unsigned d);

#ifdef __cplusplus
}
#endif
#endif
