/*
 * dv/geofence.h - checks points, planned routes and flown tracks against
 * zones. GEOS (reentrant API) holds each polygon as a prepared geometry in
 * an STRtree; circles are tested by geodesic distance on WGS84.
 *
 *     dv_geofence *gf;
 *     dv_geofence_new(&gf, zones);               // zones stay owned by the caller
 *     dv_fence_report *rep;
 *     dv_geofence_check(gf, route, NULL, &rep);  // every entry and exit
 *     for (size_t i = 0; i < rep->nevents; i++) ...
 *     dv_fence_report_free(rep);
 *     dv_geofence_free(gf);
 *
 * Routes are taken segment by segment: a segment that cuts a zone between
 * two waypoints outside it is an entry and an exit. Along a segment the
 * position moves linearly in longitude/latitude, altitude and time
 * linearly between its points.
 *
 * Vertical: a zone limit is compared only when the route point's altitude
 * has the limit's reference (AGL, AMSL, WGS84), when it can be converted
 * with a DEM (dv_geofence_set_dem), or when the limit is trivial (lower
 * <= 0 AGL, upper unlimited). Otherwise the check is horizontal only and
 * the event says so (vertical = DV_FENCE_V_UNCHECKED).
 *
 * Time: with point times, a zone counts only while it applies; without,
 * time-limited zones are reported with timing = DV_FENCE_T_UNKNOWN.
 */
#ifndef DV_GEOFENCE_H
#define DV_GEOFENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/plan.h"
#include "dv/zones.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_geofence dv_geofence;

/* a report holds at most this many events (DV_ENOMEM beyond) */
#define DV_FENCE_MAX_EVENTS 2000000u

/* Builds the index. zs must outlive gf (borrowed). */
int dv_geofence_new(dv_geofence **out, const dv_zones *zs);
void dv_geofence_free(dv_geofence *gf);

/*
 * Horizontal point query: calls fn(zone_index, payload) for every zone
 * containing (lon, lat), boundary included. Returns the number of zones
 * found, or a negative dv_code.
 */
int dv_geofence_point(dv_geofence *gf, double lon, double lat,
                      void (*fn)(size_t zone, void *payload), void *payload);

typedef enum dv_fence_kind {
	DV_FENCE_ENTRY = 1,  /* the route goes into the zone (or starts inside it) */
	DV_FENCE_EXIT = 2    /* the route leaves it */
} dv_fence_kind;

typedef enum dv_fence_vertical {
	DV_FENCE_V_CHECKED = 1,    /* altitude compared with the zone's limits */
	DV_FENCE_V_UNCHECKED = 2   /* horizontal only: references differ, AGL without DEM, or no altitude */
} dv_fence_vertical;

typedef enum dv_fence_timing {
	DV_FENCE_T_ACTIVE = 1,     /* the zone applies at that time (or always) */
	DV_FENCE_T_UNKNOWN = 2     /* time-limited zone, route without times */
} dv_fence_timing;

typedef struct dv_fence_event {
	dv_fence_kind kind;
	size_t zone;          /* index into dv_zones.zones */
	size_t segment;       /* route segment i (points i, i+1) */
	double frac;          /* 0..1 along the segment */
	double lon, lat, alt; /* position (alt in the route's reference) */
	dv_vref alt_ref;
	int64_t time_ms;      /* DV_GEO_TIME_NONE when the route has no times */
	dv_fence_vertical vertical;
	dv_fence_timing timing;
	bool at_start;        /* an ENTRY because the route starts inside */
} dv_fence_event;

typedef struct dv_fence_report {
	dv_fence_event *events;   /* in route order */
	size_t nevents;
	size_t nentries;
	size_t nzones_entered;    /* distinct zones */
	bool horizontal_only;     /* some event could not be checked vertically */
} dv_fence_report;

typedef struct dv_fence_opts {
	int64_t at;           /* seconds since the epoch used for points without time; DV_GEO_TIME_NONE */
} dv_fence_opts;

/*
 * Ground elevation for AGL limits (dv/dem.h; borrowed, must outlive gf;
 * NULL to drop it). With a DEM, AMSL routes are compared with AGL limits
 * and AGL routes with AMSL limits through the ground under each point,
 * and take-off-relative heights become AMSL from the ground at the
 * route's first point. WGS84 ellipsoid heights are converted to AMSL with
 * the EGM96 geoid (PROJ's egm96_15.gtx, Debian proj-data) when present.
 */
struct dv_dem;
void dv_geofence_set_dem(dv_geofence *gf, struct dv_dem *dem);

/* Checks a route (plan or track); *out belongs to the caller. */
int dv_geofence_check(dv_geofence *gf, const dv_route *r, const dv_fence_opts *opts,
                      dv_fence_report **out);
void dv_fence_report_free(dv_fence_report *rep);

/*
 * JSON of a check: {"zones": {...}, "route": {...}, "events": [...]} with
 * each event's kind, time (ISO 8601 or null), position, altitude and its
 * reference, zone identifier, name, restriction, limits and the vertical
 * and timing notes. Caller frees the string (free). NULL on out of memory.
 */
char *dv_fence_report_json(const dv_zones *zs, const dv_route *r, const dv_fence_report *rep);

/* The catalog side table where `zones check --case/--flight` keeps, per
 * custody entry (row id = its seq), the zones entered and the entry/exit
 * points as GeoJSON features: {"case", "custody_entry", "flights": [{"flight",
 * "features": [...]}]}; dronevault serve draws them on the case map. */
#define DV_ZONES_MAP_TABLE "zones_map"

/*
 * GeoJSON FeatureCollection for maps: the zones entered (circles drawn
 * as 72-gons, properties say they are circles), the route as a
 * LineString, and one Point per event. Caller frees (free).
 */
char *dv_fence_geojson(const dv_zones *zs, const dv_route *r, const dv_fence_report *rep);

/* JSON of a zone file's validation: counts and every issue. Caller frees. */
char *dv_zones_issues_json(const dv_zones *zs);

#ifdef __cplusplus
}
#endif
#endif
