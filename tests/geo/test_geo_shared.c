/*
 * test_geo_shared - the real zone files in ../shared/geo (see its
 * MANIFEST.md): the ED-269 and ED-318 samples of a Swiss CIS and FOCA's
 * national ED-318 set. Skipped (77) when ../shared is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dv/err.h"
#include "dv/geofence.h"
#include "dv/zones.h"
#include "walk_check.h"

static dv_zones *load(const char *shared, const char *name, unsigned flags)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/geo/%s", shared, name);
	dv_zones *zs = NULL;
	if (dv_zones_read(&zs, p, flags) < 0) fprintf(stderr, "%s\n", dv_error_text());
	return zs;
}

static const dv_zone *by_id(const dv_zones *zs, const char *id)
{
	for (size_t i = 0; i < zs->nzones; i++)
		if (!strcmp(zs->zones[i].identifier, id)) return &zs->zones[i];
	return NULL;
}

static uint64_t rng = 88172645463325252ULL;
static double rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static void on_zone(size_t zone, void *payload)
{
	unsigned char *hit = payload;
	hit[zone] = 1;
}

int main(void)
{
	const char *shared = check_shared_dir();
	if (!shared) return check_skip("../shared is absent (DV_SHARED)");

	/* ED-269 sample: UASZoneList, "0" as a string, null ceiling, permanent YES */
	dv_zones *zs = load(shared, "che_cis_sample.ed269.json", 0);
	CHECK(zs != NULL);
	if (zs) {
		CHECK_EQ(zs->format, DV_ZONES_ED269);
		CHECK_EQ(zs->nzones, 1);
		CHECK_EQ(zs->nissues, 0);
		const dv_zone *z = by_id(zs, "LSXX");
		CHECK(z != NULL);
		if (z) {
			CHECK_STR(z->restriction, "REQ_AUTHORISATION");
			CHECK_STR(z->type, "COMMON");
			CHECK_NEAR(z->lower_m, 0, 0);
			CHECK_EQ(z->lower_ref, DV_VREF_AGL);
			CHECK(z->upper_m >= DV_ALT_NONE_HIGH);
			CHECK(z->permanent);
			CHECK_EQ(z->ring_len[0], 5);
		}
		dv_zones_free(zs);
	}

	/* ED-318 sample: 3 zones, vertical limits in geometry.layer */
	zs = load(shared, "che_cis_sample.ed318.json", 0);
	CHECK(zs != NULL);
	if (zs) {
		CHECK_EQ(zs->format, DV_ZONES_ED318);
		CHECK_EQ(zs->nzones, 3);
		CHECK_EQ(dv_zones_nerrors(zs), 0);
		const dv_zone *z = by_id(zs, "LSZB003");
		CHECK(z != NULL);
		if (z) {
			CHECK_NEAR(z->lower_m, 60, 0);
			CHECK_EQ(z->lower_ref, DV_VREF_AGL);
			CHECK(z->upper_m >= DV_ALT_NONE_HIGH);   /* 99999 = unlimited */
			CHECK_STR(z->restriction, "REQ_AUTHORIZATION");
			CHECK_STR(z->type, "COMMON");
			CHECK_STR(z->name, "LSZB Bern-Belp 2");
		}
		dv_zones_free(zs);
	}

	/* the national set: 1,179 polygons, 220,126 vertices; one of them (VBS_8-0,
	 * feature 758, 394 vertices) has a self-intersecting ring */
	zs = load(shared, "che_swiss_geozones_2025-03.ed318.json", 0);
	CHECK(zs != NULL);
	if (!zs) return check_done();
	CHECK_EQ(zs->nfeatures, 1179);
	CHECK_EQ(zs->nzones, 1178);
	CHECK_EQ(zs->nrejected, 1);
	CHECK_EQ(dv_zones_nerrors(zs), 1);
	if (zs->nissues) {
		CHECK_STR(zs->issues[0].feature, "VBS_8-0");
		CHECK_STR(zs->issues[0].path, "$.features[758].geometry.coordinates");
		CHECK(strstr(zs->issues[0].message, "Self-intersection") != NULL);
	}
	size_t verts = 0, amsl_ceiling = 0, holes = 0;
	for (size_t i = 0; i < zs->nzones; i++) {
		for (size_t k = 0; k < zs->zones[i].nrings; k++) verts += zs->zones[i].ring_len[k];
		holes += zs->zones[i].nrings > 1;
		amsl_ceiling += zs->zones[i].upper_ref == DV_VREF_AMSL;
	}
	CHECK_EQ(verts, 220126 - 394);
	CHECK(amsl_ceiling <= 66);
	printf("swiss set: %zu zones, %zu vertices, %zu with holes, %zu with an AMSL ceiling\n",
	       zs->nzones, verts, holes, amsl_ceiling);

	/* the GEOS engine and the plain point-in-polygon of dv_zone_contains_xy
	 * agree on 20,000 random points over Switzerland */
	dv_geofence *gf = NULL;
	CHECK_EQ(dv_geofence_new(&gf, zs), 0);
	unsigned char *hit = calloc(zs->nzones, 1);
	size_t agree = 0, inside = 0;
	for (int i = 0; i < 20000 && gf && hit; i++) {
		double lon = 5.9 + rnd() * 4.7, lat = 45.8 + rnd() * 2.0;
		memset(hit, 0, zs->nzones);
		int n = dv_geofence_point(gf, lon, lat, on_zone, hit);
		bool same = n >= 0;
		for (size_t z = 0; z < zs->nzones && same; z++)
			same = (hit[z] != 0) == dv_zone_contains_xy(&zs->zones[z], lon, lat);
		agree += same;
		inside += n > 0;
	}
	printf("engine vs plain point-in-polygon: %zu/20000 agree (%zu inside some zone)\n", agree, inside);
	CHECK_EQ(agree, 20000);
	CHECK(inside > 2000);
	/* Bern-Belp airport (46.9122 N, 7.4994 E) is in LSZB001 */
	const dv_zone *belp = by_id(zs, "LSZB001");
	CHECK(belp != NULL);
	if (belp && gf) {
		memset(hit, 0, zs->nzones);
		dv_geofence_point(gf, 7.4994, 46.9122, on_zone, hit);
		CHECK(hit[belp - zs->zones]);
	}
	free(hit);
	/* random tracks over Bern and Zurich (dense zones, holes): events agree with point queries */
	size_t total_entries = 0, total_bad = 0;
	for (int t = 0; t < 10 && gf; t++) {
		size_t np = 2000;
		dv_route_point *pts = malloc(np * sizeof(*pts));
		double lon = t % 2 ? 7.45 : 8.55, lat = t % 2 ? 46.95 : 47.45;
		for (size_t i = 0; i < np && pts; i++) {
			double step = rnd() < 0.05 ? 0.05 : 0.003;
			lon += (rnd() - 0.5) * step;
			lat += (rnd() - 0.5) * step;
			pts[i] = (dv_route_point){ DV_GEO_TIME_NONE, lon, lat, 0, DV_VREF_NONE, 0 };
		}
		dv_route *r = NULL;
		if (pts && dv_route_from_points(&r, pts, np, "walk") == 0) {
			size_t entries = 0;
			total_bad += walk_disagreements(gf, zs, r, &entries);
			total_entries += entries;
			dv_route_free(r);
		}
		free(pts);
	}
	printf("walk property on the Swiss set: 10 random tracks, %zu entries, %zu points disagree\n", total_entries, total_bad);
	CHECK_EQ(total_bad, 0);
	CHECK(total_entries > 20);
	dv_geofence_free(gf);
	dv_zones_free(zs);

	/* with --repair all 1,179 load; 57 are time-limited, 38 of them by dates
	 * that ended before 2026 */
	zs = load(shared, "che_swiss_geozones_2025-03.ed318.json", DV_ZONES_REPAIR);
	CHECK(zs != NULL);
	if (zs) {
		CHECK_EQ(zs->nzones, 1179);
		CHECK_EQ(zs->nrepaired, 1);
		CHECK_EQ(dv_zones_nerrors(zs), 0);
		int64_t t2025, t2026;
		dv_geo_parse_time("2025-01-15T12:00:00Z", &t2025);
		dv_geo_parse_time("2026-11-24T12:00:00Z", &t2026);
		size_t limited = 0, active25 = 0, inactive26 = 0;
		for (size_t i = 0; i < zs->nzones; i++) {
			limited += !zs->zones[i].permanent;
			active25 += dv_zone_active(&zs->zones[i], t2025) == 1;
			inactive26 += dv_zone_active(&zs->zones[i], t2026) == 0;
		}
		CHECK_EQ(limited, 57);
		CHECK_EQ(active25, 1179);
		CHECK_EQ(inactive26, 38);
		dv_zones_free(zs);
	}
	return check_done();
}
