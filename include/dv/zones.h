/*
 * dv/zones.h - UAS geographical zones: EUROCAE ED-269 JSON, ED-318
 * (GeoJSON with geometry.layer) and plain GeoJSON carrying the same
 * properties, read into one model.
 *
 *     dv_zones *zs;
 *     if (dv_zones_read(&zs, "zones.json", 0) < 0)        // unreadable or not JSON
 *         fprintf(stderr, "%s\n", dv_error_text());
 *     for (size_t i = 0; i < zs->nissues; i++)           // every problem, named
 *         printf("%s %s: %s\n", zs->issues[i].feature, zs->issues[i].path,
 *                zs->issues[i].message);
 *     dv_zones_free(zs);
 *
 * A file that is valid JSON always yields a dv_zones: features with errors
 * are left out of zones[] and each problem is listed in issues[] with the
 * feature (identifier or index) and the JSON path. Hard failures (file too
 * big, not JSON, nesting too deep, no zone list) return a negative dv_code.
 *
 * One dv_zone is one volume: ED-269 zones with several geometry elements
 * and GeoJSON MultiPolygons become several dv_zone sharing identifier.
 * Coordinates are WGS84 longitude/latitude in degrees; polygon edges are
 * straight lines in longitude/latitude (as in GeoJSON, RFC 7946). Circles
 * are exact: a point is inside when its geodesic distance on the WGS84
 * ellipsoid from the centre is at most the radius. Zones that cross the
 * antimeridian or reach a pole (|lat| > 89.5) are rejected with an issue.
 *
 * Limits: DV_ZONES_MAX_BYTES per file, DV_ZONES_MAX_DEPTH JSON nesting,
 * DV_ZONES_MAX_VERTICES in all, DV_ZONES_MAX_ZONES volumes. json-c holds
 * the whole document while reading: peak memory is about 13 times the file
 * (the 10 MB Swiss national set: 134 MB), at worst ~30 times for a file
 * that is nothing but coordinates, so under 1 GB at the 32 MiB cap.
 */
#ifndef DV_ZONES_H
#define DV_ZONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DV_ZONES_MAX_BYTES (32u << 20)
#define DV_ZONES_MAX_DEPTH 64
#define DV_ZONES_MAX_VERTICES 5000000u
#define DV_ZONES_MAX_ZONES 200000u
#define DV_ZONES_MAX_ISSUES 10000u

/* "no limit" sentinels for dv_zone.lower_m / upper_m */
#define DV_ALT_NONE_LOW (-1e9)
#define DV_ALT_NONE_HIGH (1e9)
/* upper limits at or above this (ED-318 data uses 99999) mean unlimited */
#define DV_ALT_UNLIMITED 99999.0

/* "no time" for int64_t seconds since the epoch */
#define DV_GEO_TIME_NONE INT64_MIN

typedef enum dv_vref {
	DV_VREF_NONE = 0,  /* not given */
	DV_VREF_AGL,       /* above ground level */
	DV_VREF_AMSL,      /* above mean sea level (geoid) */
	DV_VREF_WGS84,     /* above the WGS84 ellipsoid */
	DV_VREF_TAKEOFF    /* relative to the take-off point (DJI relative altitude) */
} dv_vref;

typedef enum dv_zone_shape { DV_ZONE_POLYGON = 1, DV_ZONE_CIRCLE = 2 } dv_zone_shape;

/* Weekday bits: bit 0 Monday ... bit 6 Sunday. */
#define DV_DAY_MON 0x01u
#define DV_DAY_ANY 0x7fu

typedef struct dv_zone_daily {
	uint8_t days;       /* DV_DAY_* bits (0x7f for ANY) */
	int32_t start_s;    /* seconds after local midnight */
	int32_t end_s;      /* end (exclusive); == start_s means all day; < start_s wraps */
	int32_t utc_off_s;  /* offset of the local time the times are written in */
} dv_zone_daily;

/* One applicability window: [start, end) and, if ndaily > 0, one of the daily periods. */
typedef struct dv_zone_period {
	int64_t start;      /* seconds since the epoch, DV_GEO_TIME_NONE = open */
	int64_t end;        /* DV_GEO_TIME_NONE = open */
	dv_zone_daily *daily;
	size_t ndaily;
} dv_zone_period;

typedef struct dv_zone {
	char *identifier;   /* never NULL ("#<index>" when the file has none) */
	char *name;         /* first name text, or NULL */
	char *type;         /* ED-269 type / ED-318 variant, or NULL */
	char *restriction;  /* PROHIBITED, REQ_AUTHORISATION, CONDITIONAL, NO_RESTRICTION, ... */
	size_t feature;     /* index of the feature in the file */

	dv_zone_shape shape;
	/* polygon: rings[0] is the exterior, the others holes; each ring is
	 * ring_len[i] (lon, lat) pairs, closed (first == last). */
	double **rings;
	size_t *ring_len;
	size_t nrings;
	/* circle */
	double lon, lat, radius_m;
	/* bounding box in degrees (circles: a box that surely contains them) */
	double min_lon, min_lat, max_lon, max_lat;

	double lower_m, upper_m;    /* metres; DV_ALT_NONE_LOW/HIGH when absent */
	dv_vref lower_ref, upper_ref;

	bool permanent;             /* true: no time limits (periods ignored) */
	dv_zone_period *periods;
	size_t nperiods;
} dv_zone;

typedef enum dv_zone_severity { DV_ZONE_ERROR = 1, DV_ZONE_WARNING = 2 } dv_zone_severity;

typedef struct dv_zone_issue {
	dv_zone_severity severity;
	char feature[96];   /* "LSZB003" or "#12" */
	char path[160];     /* JSON path: "$.features[12].geometry.coordinates[0][5]" */
	char message[256];
} dv_zone_issue;

typedef enum dv_zones_format {
	DV_ZONES_ED269 = 1,   /* UASZoneList / features with geometry[].horizontalProjection */
	DV_ZONES_ED318,       /* GeoJSON features with geometry.layer */
	DV_ZONES_GEOJSON      /* GeoJSON with ED-269 style properties */
} dv_zones_format;

typedef struct dv_zones {
	dv_zones_format format;
	dv_zone *zones;
	size_t nzones;
	size_t nfeatures;     /* features in the file */
	size_t nrejected;     /* features left out because of errors */
	dv_zone_issue *issues;
	size_t nissues;
	size_t nissues_dropped; /* issues beyond DV_ZONES_MAX_ISSUES */
	size_t nrepaired;
	char *source;         /* file name given */
} dv_zones;

/* Flags for dv_zones_read / dv_zones_parse. */
#define DV_ZONES_REPAIR 0x1u  /* repair invalid polygons with GEOS MakeValid (else reject) */

/* Reads and checks a zone file. *out belongs to the caller (dv_zones_free). */
int dv_zones_read(dv_zones **out, const char *path, unsigned flags);
/* The same from memory; name is used in messages. */
int dv_zones_parse(dv_zones **out, const void *buf, size_t len, const char *name, unsigned flags);
void dv_zones_free(dv_zones *zs);

/* Counts of issues by severity. */
size_t dv_zones_nerrors(const dv_zones *zs);

/*
 * 1 when the zone applies at time t (seconds since the epoch), 0 when not,
 * and 1 when t is DV_GEO_TIME_NONE and the zone is permanent; -1 when t is
 * DV_GEO_TIME_NONE and the zone is time-limited (unknown).
 */
int dv_zone_active(const dv_zone *z, int64_t t);

/* Geodesic distance in metres on WGS84 between two lon/lat points. */
double dv_geo_distance(double lon1, double lat1, double lon2, double lat2);

/* true when the point is inside the zone horizontally (boundary counts as inside). */
bool dv_zone_contains_xy(const dv_zone *z, double lon, double lat);

const char *dv_vref_name(dv_vref r);

/*
 * Parses an ISO 8601 date-time ("2025-03-13T13:58:00+01:00", "...Z",
 * fractions allowed; a date alone is midnight UTC) to seconds since the epoch.
 */
int dv_geo_parse_time(const char *s, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
