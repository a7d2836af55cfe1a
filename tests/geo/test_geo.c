/*
 * test_geo - zones, routes and the geofence on hand-built cases whose
 * answers are known exactly.
 */
#include <gdal.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "check.h"
#include "dv/dem.h"
#include "dv/err.h"
#include "dv/geo_track.h"
#include "dv/geofence.h"
#include "dv/telemetry.h"
#include "dv/plan.h"
#include "dv/zones.h"
#include "walk_check.h"

static dv_zones *zones_of(const char *json, unsigned flags)
{
	dv_zones *zs = NULL;
	int rc = dv_zones_parse(&zs, json, strlen(json), "test.json", flags);
	if (rc < 0) fprintf(stderr, "parse: %s\n", dv_error_text());
	return zs;
}

static dv_route *route_of(const char *text)
{
	dv_route *r = NULL;
	if (dv_route_parse(&r, text, strlen(text), "route", DV_ROUTE_AUTO) < 0)
		fprintf(stderr, "route: %s\n", dv_error_text());
	return r;
}

static bool has_issue(const dv_zones *zs, const char *path_part, const char *msg_part)
{
	for (size_t i = 0; i < zs->nissues; i++)
		if (strstr(zs->issues[i].path, path_part) && strstr(zs->issues[i].message, msg_part)) return true;
	for (size_t i = 0; i < zs->nissues; i++)
		fprintf(stderr, "  issue: %s %s: %s\n", zs->issues[i].feature, zs->issues[i].path, zs->issues[i].message);
	return false;
}

/* a square [8.00, 8.01] x [47.00, 47.01] with the given extra geometry members */
static char *square_zone(const char *limits, const char *applicability)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf),
	         "{\"UASZoneList\":[{\"identifier\":\"SQ1\",\"type\":\"COMMON\",\"restriction\":\"PROHIBITED\","
	         "\"applicability\":%s,"
	         "\"geometry\":[{%s\"horizontalProjection\":{\"type\":\"Polygon\",\"coordinates\":"
	         "[[[8.0,47.0],[8.01,47.0],[8.01,47.01],[8.0,47.01],[8.0,47.0]]]}}]}]}",
	         applicability, limits);
	return buf;
}

static void test_circle_crossing_time(void)
{
	/* ED-269 circle, 1000 m around 8E 47N; track due north along 8E */
	const char *z = "{\"UASZoneList\":[{\"identifier\":\"C1\",\"restriction\":\"PROHIBITED\",\"geometry\":[{"
	                "\"uomDimensions\":\"M\",\"lowerLimit\":0,\"lowerVerticalReference\":\"AGL\","
	                "\"upperLimit\":null,\"upperVerticalReference\":\"AGL\",\"horizontalProjection\":"
	                "{\"type\":\"Circle\",\"center\":[8.0,47.0],\"radius\":1000}}]}]}";
	dv_zones *zs = zones_of(z, 0);
	CHECK(zs != NULL);
	if (!zs) return;
	CHECK_EQ(zs->nzones, 1);
	CHECK_EQ(zs->zones[0].shape, DV_ZONE_CIRCLE);
	/* expected crossings from PROJ's direct problem (independent of the engine's inverse) */
	struct geod_geodesic g;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	double lat_in, lon_in, lat_out, lon_out;
	geod_direct(&g, 47.0, 8.0, 180, 1000, &lat_in, &lon_in, NULL);
	geod_direct(&g, 47.0, 8.0, 0, 1000, &lat_out, &lon_out, NULL);
	/* 10 minutes from 46.98 to 47.02, starting 2026-11-23T10:00:00Z */
	const int64_t t0 = 1795428000000LL, t1 = t0 + 600000;
	dv_route_point pts[2] = {
		{ t0, 8.0, 46.98, 100, DV_VREF_AGL, 0 },
		{ t1, 8.0, 47.02, 100, DV_VREF_AGL, 0 },
	};
	dv_route *r = NULL;
	CHECK_EQ(dv_route_from_points(&r, pts, 2, "track"), 0);
	dv_geofence *gf = NULL;
	CHECK_EQ(dv_geofence_new(&gf, zs), 0);
	dv_fence_report *rep = NULL;
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents == 2) {
		double f_in = (lat_in - 46.98) / 0.04, f_out = (lat_out - 46.98) / 0.04;
		int64_t want_in = t0 + (int64_t)llround(f_in * 600000), want_out = t0 + (int64_t)llround(f_out * 600000);
		CHECK_EQ(rep->events[0].kind, DV_FENCE_ENTRY);
		CHECK(llabs(rep->events[0].time_ms - want_in) <= 1);
		CHECK_NEAR(rep->events[0].lat, lat_in, 1e-8);
		CHECK_EQ(rep->events[1].kind, DV_FENCE_EXIT);
		CHECK(llabs(rep->events[1].time_ms - want_out) <= 1);
		CHECK_NEAR(rep->events[1].lat, lat_out, 1e-8);
		/* vertical limits are trivial (0 AGL .. unlimited): checked */
		CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_CHECKED);
	}
	/* point test on both sides of the edge, 1 cm in and out */
	double la, lo;
	geod_direct(&g, 47.0, 8.0, 37, 999.99, &la, &lo, NULL);
	CHECK_EQ(dv_geofence_point(gf, lo, la, NULL, NULL), 1);
	CHECK(dv_zone_contains_xy(&zs->zones[0], lo, la));
	geod_direct(&g, 47.0, 8.0, 37, 1000.01, &la, &lo, NULL);
	CHECK_EQ(dv_geofence_point(gf, lo, la, NULL, NULL), 0);
	CHECK(!dv_zone_contains_xy(&zs->zones[0], lo, la));
	/* a segment passing the centre at 900 m east-west: cuts the circle */
	double la9, lo9;
	geod_direct(&g, 47.0, 8.0, 0, 900, &la9, &lo9, NULL);
	dv_route_point chord[2] = { { DV_GEO_TIME_NONE, 7.98, la9, 0, DV_VREF_NONE, 0 },
	                            { DV_GEO_TIME_NONE, 8.02, la9, 0, DV_VREF_NONE, 0 } };
	dv_route *r2 = NULL;
	dv_fence_report *rep2 = NULL;
	dv_route_from_points(&r2, chord, 2, "chord");
	CHECK_EQ(dv_geofence_check(gf, r2, NULL, &rep2), 0);
	CHECK_EQ(rep2->nentries, 1);
	if (rep2->nevents == 2) {
		CHECK_NEAR(dv_geo_distance(8.0, 47.0, rep2->events[0].lon, rep2->events[0].lat), 1000, 1e-3);
		CHECK_NEAR(dv_geo_distance(8.0, 47.0, rep2->events[1].lon, rep2->events[1].lat), 1000, 1e-3);
	}
	dv_fence_report_free(rep2);
	dv_route_free(r2);
	dv_fence_report_free(rep);
	dv_geofence_free(gf);
	dv_route_free(r);
	dv_zones_free(zs);
}

static void test_polygon_corner(void)
{
	dv_zones *zs = zones_of(square_zone("", "null"), 0);
	CHECK(zs && zs->nzones == 1);
	if (!zs) return;
	dv_geofence *gf = NULL;
	CHECK_EQ(dv_geofence_new(&gf, zs), 0);
	/* two waypoints outside; the segment cuts the top-left corner:
	 * enters through x = 8.0 at y = 47.009 (frac 0.4), leaves through y = 47.01 at x = 8.001 (frac 0.6) */
	dv_route *r = route_of("lat,lon,alt\n47.007,7.998,50\n47.012,8.003,50\n");
	CHECK(r != NULL);
	if (!r) return;
	CHECK_EQ(r->npts, 2);
	CHECK_EQ(dv_geofence_point(gf, 7.998, 47.007, NULL, NULL), 0);
	CHECK_EQ(dv_geofence_point(gf, 8.003, 47.012, NULL, NULL), 0);
	dv_fence_report *rep = NULL;
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	CHECK_EQ(rep->nzones_entered, 1);
	if (rep->nevents == 2) {
		CHECK_EQ(rep->events[0].kind, DV_FENCE_ENTRY);
		CHECK_NEAR(rep->events[0].frac, 0.4, 1e-9);
		CHECK_NEAR(rep->events[0].lon, 8.0, 1e-12);
		CHECK_NEAR(rep->events[0].lat, 47.009, 1e-12);
		CHECK_EQ(rep->events[1].kind, DV_FENCE_EXIT);
		CHECK_NEAR(rep->events[1].frac, 0.6, 1e-9);
		CHECK_NEAR(rep->events[1].lon, 8.001, 1e-12);
		CHECK(!rep->events[0].at_start);
	}
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* a route inside over several segments: one entry, one exit */
	r = route_of("lat,lon\n47.005,7.99\n47.005,8.002\n47.006,8.005\n47.004,8.008\n47.005,8.03\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents == 2) {
		CHECK_EQ(rep->events[0].segment, 0);
		CHECK_EQ(rep->events[1].segment, 3);
		CHECK_NEAR(rep->events[1].lon, 8.01, 1e-12);
	}
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* a route starting inside: entry at start */
	r = route_of("lat,lon\n47.005,8.005\n47.005,8.03\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents) CHECK(rep->events[0].at_start);
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* passing by outside: nothing */
	r = route_of("lat,lon\n47.02,7.99\n47.02,8.03\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 0);
	dv_fence_report_free(rep);
	dv_route_free(r);
	dv_geofence_free(gf);
	dv_zones_free(zs);
}

static void test_altitude(void)
{
	/* upper limit 120 m AMSL */
	dv_zones *zs = zones_of(square_zone("\"uomDimensions\":\"M\",\"lowerLimit\":0,\"lowerVerticalReference\":\"AGL\","
	                                    "\"upperLimit\":120,\"upperVerticalReference\":\"AMSL\",", "null"), 0);
	CHECK(zs && zs->nzones == 1);
	if (!zs) return;
	CHECK_NEAR(zs->zones[0].upper_m, 120, 0);
	dv_geofence *gf = NULL;
	dv_geofence_new(&gf, zs);
	dv_fence_report *rep = NULL;
	/* level at 150 m AMSL: above the zone */
	dv_route *r = route_of("lat,lon,alt_msl\n47.005,7.99,150\n47.005,8.02,150\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 0);
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* climbing 90 -> 150 across it: inside horizontally on [1/3, 2/3], below 120 until 0.5 */
	r = route_of("lat,lon,alt_msl\n47.005,7.99,90\n47.005,8.02,150\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents == 2) {
		CHECK_NEAR(rep->events[0].frac, 1.0 / 3, 1e-9);
		CHECK_NEAR(rep->events[1].frac, 0.5, 1e-9);
		CHECK_NEAR(rep->events[1].alt, 120, 1e-6);
		CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_CHECKED);
	}
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* above the ellipsoid (DJI WPML "WGS84"): through the EGM96 geoid of
	 * proj-data. N read independently from the same grid with GDAL: a route
	 * 1 m under the ceiling enters, 1 m over it does not. */
	dv_dem *egm = NULL;
	double n0 = 0, n1 = 0;
	if (access("/usr/share/proj/egm96_15.gtx", R_OK) == 0 && dv_dem_open(&egm, "/usr/share/proj/egm96_15.gtx") == 0 &&
	    dv_dem_elevation(egm, 7.99, 47.005, &n0) == 0 && dv_dem_elevation(egm, 8.02, 47.005, &n1) == 0) {
		CHECK(n0 > 40 && n0 < 60);   /* about 49 m in Switzerland */
		char csv[200];
		/* linear in N between the ends is close enough over 2.3 km (grid 15'): +-1 m margin */
		snprintf(csv, sizeof(csv), "lat,lon,alt_wgs84\n47.005,7.99,%.3f\n47.005,8.02,%.3f\n", n0 + 119, n1 + 119);
		r = route_of(csv);
		CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
		CHECK_EQ(rep->nevents, 2);
		if (rep->nevents) CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_CHECKED);
		CHECK(!rep->horizontal_only);
		dv_fence_report_free(rep);
		dv_route_free(r);
		snprintf(csv, sizeof(csv), "lat,lon,alt_wgs84\n47.005,7.99,%.3f\n47.005,8.02,%.3f\n", n0 + 121, n1 + 121);
		r = route_of(csv);
		CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
		CHECK_EQ(rep->nevents, 0);
		dv_fence_report_free(rep);
		dv_route_free(r);
	} else {
		printf("note: egm96_15.gtx (proj-data) absent, WGS84 conversion not tested\n");
	}
	dv_dem_free(egm);
	/* take-off relative without a DEM: horizontal only */
	r = route_of("lat,lon,height\n47.005,7.99,150\n47.005,8.02,150\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	CHECK(rep->horizontal_only);
	if (rep->nevents) CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_UNCHECKED);
	dv_fence_report_free(rep);
	dv_route_free(r);
	dv_geofence_free(gf);
	dv_zones_free(zs);
	/* ED-269 Circle in feet: the radius is in the volume's unit too */
	zs = zones_of("{\"UASZoneList\":[{\"identifier\":\"CF\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"FT\","
	              "\"upperLimit\":400,\"upperVerticalReference\":\"AGL\",\"horizontalProjection\":{\"type\":\"Circle\","
	              "\"center\":[8,47],\"radius\":1000}}]}]}", 0);
	CHECK(zs && zs->nzones == 1);
	if (zs && zs->nzones) CHECK_NEAR(zs->zones[0].radius_m, 304.8, 1e-9);
	dv_zones_free(zs);
	/* feet: 400 ft = 121.92 m */
	zs = zones_of(square_zone("\"uomDimensions\":\"FT\",\"upperLimit\":\"400\",\"upperVerticalReference\":\"AGL\",", "null"), 0);
	CHECK(zs && zs->nzones == 1);
	if (zs && zs->nzones) CHECK_NEAR(zs->zones[0].upper_m, 121.92, 1e-9);
	dv_zones_free(zs);
}

static void test_weekdays(void)
{
	const char *app = "[{\"permanent\":\"NO\",\"startDateTime\":\"2026-01-01T00:00:00Z\",\"endDateTime\":\"2027-01-01T00:00:00Z\","
	                  "\"dailyPeriod\":[{\"day\":[\"MON\",\"TUE\",\"WED\",\"THU\",\"FRI\"],\"startTime\":\"08:00:00Z\",\"endTime\":\"18:00:00Z\"}]}]";
	dv_zones *zs = zones_of(square_zone("", app), 0);
	CHECK(zs && zs->nzones == 1);
	if (!zs) return;
	const dv_zone *z = &zs->zones[0];
	CHECK(!z->permanent);
	int64_t sat_noon, mon_noon, mon_7, mon_18, fri_1759;
	dv_geo_parse_time("2026-11-21T12:00:00Z", &sat_noon);
	dv_geo_parse_time("2026-11-23T12:00:00Z", &mon_noon);
	dv_geo_parse_time("2026-11-23T07:59:59Z", &mon_7);
	dv_geo_parse_time("2026-11-23T18:00:00Z", &mon_18);
	dv_geo_parse_time("2026-11-27T17:59:59Z", &fri_1759);
	CHECK_EQ(dv_zone_active(z, sat_noon), 0);
	CHECK_EQ(dv_zone_active(z, mon_noon), 1);
	CHECK_EQ(dv_zone_active(z, mon_7), 0);
	CHECK_EQ(dv_zone_active(z, mon_18), 0);
	CHECK_EQ(dv_zone_active(z, fri_1759), 1);
	CHECK_EQ(dv_zone_active(z, DV_GEO_TIME_NONE), -1);
	/* same window in local time +01:00 */
	int64_t t;
	CHECK_EQ(dv_geo_parse_time("2025-03-13T13:58:00+01:00", &t), 0);
	CHECK_EQ(t, 1741870680);
	dv_geofence *gf = NULL;
	dv_geofence_new(&gf, zs);
	dv_fence_report *rep = NULL;
	dv_route *r = route_of("time,lat,lon\n2026-11-21T12:00:00Z,47.005,7.99\n2026-11-21T12:01:00Z,47.005,8.02\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 0);   /* Saturday */
	dv_fence_report_free(rep);
	dv_route_free(r);
	r = route_of("time,lat,lon\n2026-11-23T12:00:00Z,47.005,7.99\n2026-11-23T12:01:00Z,47.005,8.02\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);   /* Monday */
	if (rep->nevents == 2) {
		CHECK_EQ(rep->events[0].timing, DV_FENCE_T_ACTIVE);
		CHECK_EQ(rep->events[0].time_ms, 1795435200000LL + 20000);
	}
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* a plan without times: reported, timing unknown; with --at Saturday: nothing */
	r = route_of("lat,lon\n47.005,7.99\n47.005,8.02\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents) CHECK_EQ(rep->events[0].timing, DV_FENCE_T_UNKNOWN);
	dv_fence_report_free(rep);
	dv_fence_opts o = { sat_noon };
	CHECK_EQ(dv_geofence_check(gf, r, &o, &rep), 0);
	CHECK_EQ(rep->nevents, 0);
	dv_fence_report_free(rep);
	dv_route_free(r);
	dv_geofence_free(gf);
	dv_zones_free(zs);
}

static void test_bad_zones(void)
{
	dv_zones *zs = NULL;
	CHECK_EQ(dv_zones_parse(&zs, "{\"features\":[", 13, "x", 0), DV_ETRUNC);
	CHECK_EQ(dv_zones_parse(&zs, "{\"features\":]", 13, "x", 0), DV_EINVAL);
	CHECK_EQ(dv_zones_parse(&zs, "[1,2]", 5, "x", 0), DV_EINVAL);
	CHECK_EQ(dv_zones_parse(&zs, "{\"a\":1}", 7, "x", 0), DV_EINVAL);
	CHECK_EQ(dv_zones_parse(&zs, "{\"features\":[]} x", 17, "x", 0), DV_EINVAL);
	/* over the size cap: refused before a byte is read */
	CHECK_EQ(dv_zones_parse(&zs, "{}", (size_t)DV_ZONES_MAX_BYTES + 1, "huge", 0), DV_ENOMEM);
	CHECK(strstr(dv_error_text(), "limit") != NULL);
	/* a 200,000-vertex ring is fine (a circle-like polygon) */
	{
		size_t cap = 200000 * 48 + 256, n = 0;
		char *big = malloc(cap);
		CHECK(big != NULL);
		if (big) {
			n += (size_t)snprintf(big + n, cap - n, "{\"features\":[{\"type\":\"Feature\",\"properties\":{\"identifier\":\"BIG\",\"type\":\"PROHIBITED\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[");
			for (int i = 0; i < 200000; i++) {
				double a = 2 * M_PI * i / 200000;
				n += (size_t)snprintf(big + n, cap - n, "[%.9f,%.9f],", 8 + 0.1 * cos(a), 47 + 0.1 * sin(a));
			}
			n += (size_t)snprintf(big + n, cap - n, "[%.9f,%.9f]]]}}]}", 8.1, 47.0);
			zs = zones_of(big, 0);
			CHECK(zs && zs->nzones == 1);
			if (zs && zs->nzones) {
				CHECK_EQ(zs->zones[0].ring_len[0], 200001);
				dv_geofence *gf = NULL;
				CHECK_EQ(dv_geofence_new(&gf, zs), 0);
				if (gf) {
					CHECK_EQ(dv_geofence_point(gf, 8.0, 47.0, NULL, NULL), 1);
					CHECK_EQ(dv_geofence_point(gf, 8.2, 47.0, NULL, NULL), 0);
					dv_geofence_free(gf);
				}
			}
			dv_zones_free(zs);
			free(big);
		}
	}
	/* deep nesting */
	char deep[1000];
	memset(deep, '[', 500);
	memset(deep + 500, ']', 499);
	deep[999] = 0;
	char *d2 = malloc(2000);
	snprintf(d2, 2000, "{\"features\":%s}", deep);
	CHECK(dv_zones_parse(&zs, d2, strlen(d2), "x", 0) < 0);
	free(d2);

	/* unclosed ring, latitude out of range, unknown unit, bow-tie, antimeridian, pole */
	const char *bad =
		"{\"type\":\"FeatureCollection\",\"features\":["
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"OPEN\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8,47],[8.1,47],[8.1,47.1],[8,47.1]]]}},"
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"LAT\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8,47],[8.1,97],[8.1,47.1],[8,47]]]}},"
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"UOM\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Polygon\",\"layer\":{\"upper\":100,\"upperReference\":\"AGL\",\"uom\":\"furlong\"},"
		"  \"coordinates\":[[[8,47],[8.1,47],[8.1,47.1],[8,47]]]}},"
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"BOW\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8,47],[8.1,47.1],[8.1,47],[8,47.1],[8,47]]]}},"
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"AM\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[179.9,0],[-179.9,0],[-179.9,1],[179.9,0]]]}},"
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"POLE\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Circle\",\"center\":[0,89.9],\"radius\":5000}},"
		"{\"type\":\"Feature\",\"properties\":{\"identifier\":\"OK\",\"type\":\"PROHIBITED\"},"
		" \"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8,47],[8.1,47],[8.1,47.1],[8,47]]]}}"
		"]}";
	zs = zones_of(bad, 0);
	CHECK(zs != NULL);
	if (zs) {
		CHECK_EQ(zs->nfeatures, 7);
		CHECK_EQ(zs->nzones, 1);
		CHECK_EQ(zs->nrejected, 6);
		CHECK(has_issue(zs, "$.features[0].geometry.coordinates[0]", "not closed"));
		CHECK(has_issue(zs, "$.features[1].geometry.coordinates[0][1]", "out of range"));
		CHECK(has_issue(zs, "$.features[2].geometry.layer.uom", "unknown unit"));
		CHECK(has_issue(zs, "$.features[3].geometry.coordinates", "Self-intersection"));
		CHECK(has_issue(zs, "$.features[4].geometry.coordinates", "antimeridian"));
		CHECK(has_issue(zs, "$.features[5].geometry", "pole"));
		CHECK_STR(zs->issues[0].feature, "OPEN");
		CHECK_EQ(zs->format, DV_ZONES_ED318);
		dv_zones_free(zs);
	}
	/* repair on request */
	zs = zones_of(bad, DV_ZONES_REPAIR);
	CHECK(zs != NULL);
	if (zs) {
		CHECK_EQ(zs->nrepaired, 1);
		CHECK_EQ(zs->nzones, 3);   /* the bow-tie in two triangles, and OK */
		dv_zones_free(zs);
	}
	/* the same identifier on two features: a warning on the later one */
	const char *dup = "{\"features\":[{\"type\":\"Feature\",\"properties\":{\"identifier\":\"D\",\"type\":\"PROHIBITED\"},"
	                  "\"geometry\":{\"type\":\"Circle\",\"center\":[8,47],\"radius\":10}},"
	                  "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"D\",\"type\":\"PROHIBITED\"},"
	                  "\"geometry\":{\"type\":\"Circle\",\"center\":[9,47],\"radius\":10}}]}";
	zs = zones_of(dup, 0);
	CHECK(zs && zs->nzones == 2);
	if (zs) {
		CHECK(has_issue(zs, "$.features[1]", "also used by feature 0"));
		dv_zones_free(zs);
	}
	/* enormous coordinate count is bounded by the file cap and vertex cap; a
	 * Point zone with radius in properties; unknown day */
	const char *misc =
		"{\"features\":[{\"type\":\"Feature\",\"properties\":{\"identifier\":\"P\",\"type\":\"PROHIBITED\",\"radius\":50,"
		"\"limitedApplicability\":[{\"schedule\":[{\"day\":[\"FUNDAY\"]}]}]},"
		"\"geometry\":{\"type\":\"Point\",\"coordinates\":[8,47]}}]}";
	zs = zones_of(misc, 0);
	CHECK(zs && zs->nzones == 0);
	if (zs) {
		CHECK(has_issue(zs, "limitedApplicability[0].schedule[0].day[0]", "unknown day"));
		dv_zones_free(zs);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) { fputs(text, f); fclose(f); }
}

static void test_routes(void)
{
	const char *tmp = getenv("DV_TMP");
	char dir[512], kmz[600];
	snprintf(dir, sizeof(dir), "%s", tmp && *tmp ? tmp : "/tmp");
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	if (system(cmd) != 0) fprintf(stderr, "mkdir failed\n");
	/* DJI WPML KMZ */
	snprintf(kmz, sizeof(kmz), "%s/test_geo_mission.kmz", dir);
	remove(kmz);
	int err = 0;
	zip_t *za = zip_open(kmz, ZIP_CREATE | ZIP_TRUNCATE, &err);
	CHECK(za != NULL);
	if (za) {
		static const char wpml[] =
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<kml xmlns=\"http://www.opengis.net/kml/2.2\" xmlns:wpml=\"http://www.dji.com/wpmz/1.0.2\">"
			"<Document><wpml:missionConfig><wpml:flyToWaylineMode>safely</wpml:flyToWaylineMode></wpml:missionConfig>"
			"<Folder><wpml:templateId>0</wpml:templateId><wpml:executeHeightMode>WGS84</wpml:executeHeightMode><wpml:autoFlightSpeed>12</wpml:autoFlightSpeed>"
			"<Placemark><Point><coordinates>8.003,47.012</coordinates></Point><wpml:index>1</wpml:index>"
			"<wpml:executeHeight>150.5</wpml:executeHeight></Placemark>"
			"<Placemark><Point><coordinates>\n 7.998,47.007\n</coordinates></Point><wpml:index>0</wpml:index>"
			"<wpml:executeHeight>150</wpml:executeHeight></Placemark>"
			"</Folder></Document></kml>";
		zip_source_t *s = zip_source_buffer(za, wpml, sizeof(wpml) - 1, 0);
		zip_file_add(za, "wpmz/waylines.wpml", s, ZIP_FL_OVERWRITE);
		zip_close(za);
		dv_route *r = NULL;
		CHECK_EQ(dv_route_read(&r, kmz, DV_ROUTE_AUTO), 0);
		if (r) {
			CHECK_EQ(r->format, DV_ROUTE_DJI_WPML);
			CHECK_EQ(r->npts, 2);
			CHECK_NEAR(r->pts[0].lon, 7.998, 0);   /* sorted by wpml:index */
			CHECK_NEAR(r->pts[1].alt, 150.5, 0);
			CHECK_EQ(r->pts[0].ref, DV_VREF_WGS84);
			/* 12 m/s from the mission: the leg's 3-D length / 12 */
			CHECK_NEAR(r->pts[0].speed, 12, 0);
			double d = hypot(dv_geo_distance(7.998, 47.007, 8.003, 47.012), 0.5);
			CHECK_EQ(dv_route_schedule(r, 1795435200, 0), 0);
			CHECK_EQ(r->pts[0].time_ms, 1795435200000LL);
			CHECK_EQ(r->pts[1].time_ms, 1795435200000LL + llround(d / 12 * 1000));
			dv_route_free(r);
		}
	}
	remove(kmz);
	/* KML LineString */
	dv_route *r = route_of("<?xml version=\"1.0\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><name>R</name>"
	                       "<Placemark><LineString><altitudeMode>relativeToGround</altitudeMode>"
	                       "<coordinates>8,47,10 8.1,47.1,20</coordinates></LineString></Placemark></Document></kml>");
	CHECK(r && r->npts == 2 && r->format == DV_ROUTE_KML);
	if (r) { CHECK_EQ(r->pts[1].ref, DV_VREF_AGL); CHECK_NEAR(r->pts[1].alt, 20, 0); CHECK_STR(r->name, "R"); }
	dv_route_free(r);
	/* GPX */
	r = route_of("<gpx><trk><trkseg><trkpt lat=\"47\" lon=\"8\"><ele>500</ele><time>2026-11-23T12:00:00Z</time></trkpt>"
	             "<trkpt lat=\"47.1\" lon=\"8.1\"><ele>510</ele><time>2026-11-23T12:00:01.5Z</time></trkpt></trkseg></trk></gpx>");
	CHECK(r && r->npts == 2 && r->format == DV_ROUTE_GPX);
	if (r && r->npts == 2) { CHECK_EQ(r->pts[1].time_ms, 1795435201500LL); CHECK_EQ(r->pts[0].ref, DV_VREF_AMSL); }
	dv_route_free(r);
	/* GeoJSON with times */
	r = route_of("{\"type\":\"Feature\",\"properties\":{\"altitudeReference\":\"AMSL\",\"times\":[\"2026-11-23T12:00:00Z\",\"2026-11-23T12:00:10Z\"]},"
	             "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[8,47,400],[8.1,47.1,410]]}}");
	CHECK(r && r->npts == 2 && r->format == DV_ROUTE_GEOJSON);
	if (r && r->npts == 2) { CHECK_EQ(r->pts[1].time_ms, 1795435210000LL); CHECK_EQ(r->pts[1].ref, DV_VREF_AMSL); }
	dv_route_free(r);
	/* a CSV plan has no speeds: scheduling needs a default */
	r = route_of("lat,lon\n47,8\n47.01,8\n");
	if (r) {
		CHECK_EQ(dv_route_schedule(r, 1795435200, 0), DV_EINVAL);
		CHECK_EQ(dv_route_schedule(r, 1795435200, 5), 0);
		CHECK_EQ(r->pts[1].time_ms, 1795435200000LL + llround(dv_geo_distance(8, 47, 8, 47.01) / 5 * 1000));
		dv_route_free(r);
	}
	/* bad routes: named errors */
	dv_route *bad = NULL;
	CHECK_EQ(dv_route_parse(&bad, "lat,lon\n47,200\n", 15, "b.csv", DV_ROUTE_AUTO), DV_EINVAL);
	CHECK(strstr(dv_error_text(), "out of range") != NULL);
	CHECK_EQ(dv_route_parse(&bad, "a,b\n1,2\n", 8, "b.csv", DV_ROUTE_AUTO), DV_EINVAL);
	CHECK_EQ(dv_route_parse(&bad, "PK\x03\x04garbage", 11, "b.kmz", DV_ROUTE_AUTO), DV_EINVAL);
	CHECK(dv_route_parse(&bad, "<kml><Document>", 15, "b.kml", DV_ROUTE_AUTO) < 0);
	CHECK_EQ(dv_route_parse(&bad, "lat,lon\n", 8, "b.csv", DV_ROUTE_AUTO), DV_EINVAL);
	/* times far outside any flight (found by fuzz_check: ns overflowed in the report) */
	const char *far = "time,lat,lon\n65729880000,47,8\n", *far2 = "time,lat,lon\n9999-01-01T00:00:00Z,47,8\n";
	CHECK_EQ(dv_route_parse(&bad, far, strlen(far), "t.csv", DV_ROUTE_AUTO), DV_EINVAL);
	CHECK(strstr(dv_error_text(), "1900-2200") != NULL);
	CHECK_EQ(dv_route_parse(&bad, far2, strlen(far2), "t.csv", DV_ROUTE_AUTO), DV_EINVAL);
	/* entity expansion: any DTD is refused */
	const char *lol = "<?xml version=\"1.0\"?><!DOCTYPE kml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	                  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><kml><Placemark><name>&c;</name><Point><coordinates>8,47</coordinates></Point></Placemark></kml>";
	CHECK(dv_route_parse(&bad, lol, strlen(lol), "lol.kml", DV_ROUTE_AUTO) < 0);
	fprintf(stderr, "entity expansion refused: %s\n", dv_error_text());
	char p[600];
	snprintf(p, sizeof(p), "%s/test_geo_route.csv", dir);
	write_file(p, "latitude;longitude;height\n47;8;10\n");
	CHECK_EQ(dv_route_read(&bad, p, DV_ROUTE_AUTO), 0);
	if (bad) { CHECK_EQ(bad->pts[0].ref, DV_VREF_TAKEOFF); dv_route_free(bad); }
	remove(p);
}

static void test_ed269_sample_shape(void)
{
	/* the real-world ED-269 quirks: UASZoneList, "0" as string, null upper, permanent YES */
	const char *z = "{\"UASZoneList\":[{\"identifier\":\"LSXX\",\"type\":\"COMMON\",\"restriction\":\"REQ_AUTHORISATION\","
	                "\"applicability\":[{\"permanent\":\"YES\",\"startDateTime\":null,\"endDateTime\":null,"
	                "\"dailyPeriod\":[{\"day\":[],\"startTime\":null,\"endTime\":null}]}],"
	                "\"geometry\":[{\"uomDimensions\":\"M\",\"lowerLimit\":\"0\",\"lowerVerticalReference\":\"AGL\","
	                "\"upperLimit\":null,\"upperVerticalReference\":\"AGL\",\"horizontalProjection\":{\"type\":\"Polygon\","
	                "\"coordinates\":[[[6.1664,46.2170],[6.1679,46.2122],[6.1708,46.2147],[6.1664,46.2170]]]}}]}]}";
	dv_zones *zs = zones_of(z, 0);
	CHECK(zs && zs->nzones == 1 && dv_zones_nerrors(zs) == 0);
	if (zs && zs->nzones) {
		CHECK(zs->zones[0].permanent);
		CHECK_NEAR(zs->zones[0].lower_m, 0, 0);
		CHECK(zs->zones[0].upper_m >= DV_ALT_NONE_HIGH);
		CHECK_STR(zs->zones[0].restriction, "REQ_AUTHORISATION");
		CHECK_EQ(zs->format, DV_ZONES_ED269);
	}
	dv_zones_free(zs);
}

/* flights: telemetry track points, directly and through every track file format */
static void test_tracks_from_telemetry(void)
{
	dv_zones *zs = zones_of(square_zone("", "null"), 0);
	dv_geofence *gf = NULL;
	if (!zs || dv_geofence_new(&gf, zs) < 0) { CHECK(0); return; }
	const int64_t t0 = 1795435200000000LL; /* 2026-11-23T12:00:00Z in us */
	dv_track_point tp[5] = {
		{ t0, DV_TIME_UTC, 0, true, 47.005, 7.99, 500, 100 },
		{ 0, DV_TIME_NONE, -1, false, 0, 0, NAN, NAN },          /* no fix: left out */
		{ t0 + 10000000, DV_TIME_UTC, 1000, true, 47.005, 8.005, 500, 100 },
		{ t0 + 20000000, DV_TIME_UTC, 2000, true, 47.005, 8.02, 500, 100 },
		{ t0 + 30000000, DV_TIME_LOCAL, 3000, true, 47.005, 8.03, NAN, 100 },
	};
	size_t nlocal = 0;
	dv_route *r = NULL;
	CHECK_EQ(dv_route_from_track(&r, tp, 5, "flight", &nlocal), 0);
	CHECK_EQ(nlocal, 1);
	if (r) {
		CHECK_EQ(r->npts, 4);
		CHECK_EQ(r->pts[3].time_ms, DV_GEO_TIME_NONE);
		CHECK_EQ(r->pts[3].ref, DV_VREF_TAKEOFF);
		dv_fence_report *rep = NULL;
		CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
		CHECK_EQ(rep->nevents, 2);
		/* enters x = 8.0 at 2/3 of the first 10 s, leaves x = 8.01 at 1/3 of the next */
		if (rep->nevents == 2) {
			CHECK_EQ(rep->events[0].time_ms, 1795435200000LL + 6667);
			CHECK_EQ(rep->events[1].time_ms, 1795435200000LL + 13333);
		}
		dv_fence_report_free(rep);
		dv_route_free(r);
	}
	/* the same through the telemetry writers: GeoJSON, GPX, KML, CSV */
	for (int f = 0; f < 4; f++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&buf, &len);
		CHECK(mf != NULL);
		if (!mf) continue;
		CHECK_EQ(dv_track_write(mf, (dv_track_format)f, "flight", tp, 4), 0);
		fclose(mf);
		r = NULL;
		int rc = dv_route_parse(&r, buf, len, "track", DV_ROUTE_AUTO);
		if (rc < 0) fprintf(stderr, "format %d: %s\n", f, dv_error_text());
		CHECK_EQ(rc, 0);
		if (r) {
			CHECK_EQ(r->npts, 3);
			if (f != DV_TRACK_KML) CHECK_EQ(r->pts[2].time_ms, 1795435220000LL);
			dv_fence_report *rep = NULL;
			CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
			if (rep) CHECK_EQ(rep->nentries, 1);
			dv_fence_report_free(rep);
			dv_route_free(r);
		}
		free(buf);
	}
	dv_geofence_free(gf);
	dv_zones_free(zs);
}

/*
 * A DEM whose ground rises 10 m per 0.001 degree east: g = 400 + 10000 (lon - 8).
 * Bilinear interpolation of a plane is exact, so the answers are too.
 */
static void test_dem(void)
{
	const char *tmp = getenv("DV_TMP");
	char path[600];
	snprintf(path, sizeof(path), "%s/test_geo_dem.tif", tmp && *tmp ? tmp : "/tmp");
	GDALAllRegister();
	GDALDriverH drv = GDALGetDriverByName("GTiff");
	CHECK(drv != NULL);
	if (!drv) return;
	const int w = 120, h = 60;
	GDALDatasetH ds = GDALCreate(drv, path, w, h, 1, GDT_Float64, NULL);
	CHECK(ds != NULL);
	if (!ds) return;
	/* 0.0005 degree pixels from 7.98 E, 47.02 N */
	double gt[6] = { 7.98, 0.0005, 0, 47.02, 0, -0.0005 };
	GDALSetGeoTransform(ds, gt);
	GDALSetProjection(ds, "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433],AUTHORITY[\"EPSG\",\"4326\"]]");
	double *row = malloc(sizeof(double) * w);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) row[x] = 400 + 10000 * (7.98 + (x + 0.5) * 0.0005 - 8.0);
		if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, y, w, 1, row, w, 1, GDT_Float64, 0, 0) != CE_None) CHECK(0);
	}
	free(row);
	GDALClose(ds);

	dv_dem *dem = NULL;
	CHECK_EQ(dv_dem_open(&dem, path), 0);
	if (!dem) return;
	double g;
	CHECK_EQ(dv_dem_elevation(dem, 8.005, 47.005, &g), 0);
	CHECK_NEAR(g, 450, 1e-6);
	CHECK_EQ(dv_dem_elevation(dem, 9.0, 47.005, &g), DV_ENOTFOUND);

	/* the square, ceiling 120 m AGL */
	dv_zones *zs = zones_of(square_zone("\"uomDimensions\":\"M\",\"upperLimit\":120,\"upperVerticalReference\":\"AGL\",", "null"), 0);
	dv_geofence *gf = NULL;
	CHECK(zs && dv_geofence_new(&gf, zs) == 0);
	if (!gf) { dv_dem_free(dem); dv_zones_free(zs); return; }
	/* level at 570 m AMSL from 7.99 to 8.02 E: AGL = 170 - 10000 (lon - 8) is <= 120 from 8.005 E;
	 * without a DEM: the whole crossing, horizontal only */
	dv_route *r = route_of("lat,lon,alt_msl\n47.005,7.99,570\n47.005,8.02,570\n");
	dv_fence_report *rep = NULL;
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents) { CHECK_NEAR(rep->events[0].frac, 1.0 / 3, 1e-9); CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_UNCHECKED); }
	dv_fence_report_free(rep);
	dv_geofence_set_dem(gf, dem);
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents == 2) {
		CHECK_NEAR(rep->events[0].frac, 0.5, 1e-7);
		CHECK_NEAR(rep->events[0].lon, 8.005, 1e-7);
		CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_CHECKED);
		CHECK_NEAR(rep->events[1].frac, 2.0 / 3, 1e-9);
	}
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* 100 m above take-off at 7.99 E (ground 300 m): AMSL 400, AGL 100 - 10000 (lon - 8) + ... stays under 120 AGL
	 * only where ground >= 280: everywhere here, so the whole crossing counts, checked */
	r = route_of("lat,lon,height\n47.005,7.99,100\n47.005,8.02,100\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents == 2) {
		CHECK_NEAR(rep->events[0].frac, 1.0 / 3, 1e-9);
		CHECK_EQ(rep->events[0].vertical, DV_FENCE_V_CHECKED);
	}
	dv_fence_report_free(rep);
	dv_route_free(r);
	/* 250 m above take-off: AMSL 550, AGL = 150 - 10000 (lon - 8) <= 120 from 8.003 E */
	r = route_of("lat,lon,height\n47.005,7.99,250\n47.005,8.02,250\n");
	CHECK_EQ(dv_geofence_check(gf, r, NULL, &rep), 0);
	CHECK_EQ(rep->nevents, 2);
	if (rep->nevents == 2) CHECK_NEAR(rep->events[0].lon, 8.003, 1e-7);
	dv_fence_report_free(rep);
	dv_route_free(r);
	dv_geofence_free(gf);
	dv_zones_free(zs);
	dv_dem_free(dem);
	remove(path);
	/* not a DEM */
	CHECK(dv_dem_open(&dem, "/nonexistent.tif") < 0);
}

/* random tracks through random polygons and circles: events and point queries agree */
static void test_walk_property(void)
{
	uint64_t x = 12345;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, (double)(x >> 11) / 9007199254740992.0)
	size_t cap = 2 << 20, n = 0;
	char *s = malloc(cap);
	if (!s) return;
	n += (size_t)snprintf(s + n, cap - n, "{\"features\":[");
	for (int i = 0; i < 120; i++) {
		double cx = 8 + RND() * 0.5, cy = 47 + RND() * 0.3;
		if (i) s[n++] = ',';
		if (i % 2) {
			n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"C%d\",\"type\":\"PROHIBITED\"},"
			                      "\"geometry\":{\"type\":\"Circle\",\"center\":[%.9f,%.9f],\"radius\":%.3f}}", i, cx, cy, 200 + RND() * 3000);
		} else {
			int nv = 5 + (int)(RND() * 60);
			n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"P%d\",\"type\":\"PROHIBITED\"},"
			                      "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", i);
			double fx = 0, fy = 0, rad = 0.005 + RND() * 0.04;
			for (int k = 0; k < nv; k++) {
				double a = 2 * M_PI * k / nv, rr = rad * (0.3 + 0.7 * RND());
				double px = cx + rr * cos(a), py = cy + rr * sin(a);
				if (!k) { fx = px; fy = py; }
				n += (size_t)snprintf(s + n, cap - n, "[%.9f,%.9f],", px, py);
			}
			n += (size_t)snprintf(s + n, cap - n, "[%.9f,%.9f]]]}}", fx, fy);
		}
	}
	snprintf(s + n, cap - n, "]}");
	dv_zones *zs = zones_of(s, 0);
	free(s);
	CHECK(zs && zs->nzones == 120);
	dv_geofence *gf = NULL;
	if (!zs || dv_geofence_new(&gf, zs) < 0) { dv_zones_free(zs); return; }
	size_t total_entries = 0, total_bad = 0;
	for (int t = 0; t < 20; t++) {
		size_t np = 500;
		dv_route_point *pts = malloc(np * sizeof(*pts));
		double lon = 8 + RND() * 0.5, lat = 47 + RND() * 0.3;
		for (size_t i = 0; i < np; i++) {
			/* mostly short legs, sometimes long ones crossing several zones */
			double step = RND() < 0.1 ? 0.05 : 0.002;
			lon += (RND() - 0.5) * step;
			lat += (RND() - 0.5) * step;
			pts[i] = (dv_route_point){ DV_GEO_TIME_NONE, lon, lat, 0, DV_VREF_NONE, 0 };
		}
		dv_route *r = NULL;
		if (dv_route_from_points(&r, pts, np, "walk") == 0) {
			size_t entries = 0;
			total_bad += walk_disagreements(gf, zs, r, &entries);
			total_entries += entries;
			dv_route_free(r);
		}
		free(pts);
	}
#undef RND
	printf("walk property: 20 random tracks, %zu entries, %zu points disagree\n", total_entries, total_bad);
	CHECK_EQ(total_bad, 0);
	CHECK(total_entries > 50);
	dv_geofence_free(gf);
	dv_zones_free(zs);
}

int main(void)
{
	test_circle_crossing_time();
	test_polygon_corner();
	test_altitude();
	test_weekdays();
	test_bad_zones();
	test_routes();
	test_ed269_sample_shape();
	test_tracks_from_telemetry();
	test_dem();
	test_walk_property();
	return check_done();
}
