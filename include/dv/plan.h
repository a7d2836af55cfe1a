/*
 * dv/plan.h - routes: planned missions and flown tracks as a list of
 * points with optional time and altitude.
 *
 * Plans: DJI Pilot 2 waypoint missions (KMZ with wpmz/waylines.wpml, else
 * wpmz/template.kml), KML/KMZ (LineString, gx:Track or Point placemarks),
 * GeoJSON (LineString, MultiLineString, MultiPoint or Point features),
 * and CSV with a header naming lat/latitude, lon/lng/longitude and
 * optionally alt/altitude/height, time/timestamp, ref/altitude_ref.
 * Tracks: the same plus GPX (trkpt/rtept/wpt with ele and time).
 *
 *     dv_route *r;
 *     if (dv_route_read(&r, "mission.kmz", DV_ROUTE_AUTO) < 0) ...
 *     ...
 *     dv_route_free(r);
 */
#ifndef DV_PLAN_H
#define DV_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "dv/zones.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DV_ROUTE_MAX_BYTES (32u << 20)
#define DV_ROUTE_MAX_POINTS 5000000u
#define DV_ROUTE_MAX_UNZIPPED (64u << 20)

typedef struct dv_route_point {
	int64_t time_ms;     /* ms since the epoch, or DV_GEO_TIME_NONE */
	double lon, lat;     /* WGS84 degrees */
	double alt;          /* metres, meaningful when ref != DV_VREF_NONE */
	dv_vref ref;         /* what alt is measured from */
	double speed;        /* planned speed to the next point, m/s; 0 = not given */
} dv_route_point;

typedef enum dv_route_format {
	DV_ROUTE_AUTO = 0,   /* by content (and name) */
	DV_ROUTE_DJI_WPML,   /* KMZ with wpmz/ */
	DV_ROUTE_KML,        /* KML or KMZ */
	DV_ROUTE_GEOJSON,
	DV_ROUTE_CSV,
	DV_ROUTE_GPX
} dv_route_format;

typedef struct dv_route {
	dv_route_format format;
	dv_route_point *pts;
	size_t npts;
	char *source;        /* file name given */
	char *name;          /* mission or track name, or NULL */
} dv_route;

/* *out belongs to the caller (dv_route_free). */
int dv_route_read(dv_route **out, const char *path, dv_route_format fmt);
int dv_route_parse(dv_route **out, const void *buf, size_t len, const char *name, dv_route_format fmt);
/*
 * A route from caller points (copied): how the lead feeds flights from the
 * catalog. Checks ranges (lat/lon, finite values) and names the first bad point.
 */
int dv_route_from_points(dv_route **out, const dv_route_point *pts, size_t n, const char *name);
void dv_route_free(dv_route *r);

/*
 * Gives a plan times: the first point at start (seconds since the epoch),
 * each next one after the leg's 3-D length (geodesic, plus the altitude
 * change when both ends have the same reference) at the point's planned
 * speed, else default_mps (0 = none). DV_EINVAL naming the leg when a leg
 * has no speed. Points that already have times are left alone only when
 * all have them (then nothing is done).
 */
int dv_route_schedule(dv_route *r, int64_t start, double default_mps);

const char *dv_route_format_name(dv_route_format f);

#ifdef __cplusplus
}
#endif
#endif
