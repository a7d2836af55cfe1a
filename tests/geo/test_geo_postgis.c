/*
 * test_geo_postgis - the geofence against PostGIS on 100,000 random points.
 *
 * Starts a throwaway PostgreSQL 15 cluster (initdb in a temporary
 * directory, Unix socket only, no TCP, stopped and deleted at the end),
 * loads the same zones (the Swiss ED-318 set when ../shared is there, plus
 * synthetic polygons and geodesic circles) and asks PostGIS which zones
 * hold each point: ST_Intersects on geometry for polygons (boundary
 * included, as ours), ST_DWithin on geography with the spheroid for
 * circles. Every point must get the same set of zones from both.
 * Skipped (77) when PostgreSQL or PostGIS is not installed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dv/err.h"
#include "dv/geofence.h"
#include "dv/zones.h"
#include "geo/pg_throwaway.h"

#define NPOINTS 100000
#define NSEGS 5000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* synthetic zones appended as ED-318 GeoJSON text */
static char *synthetic_zones(void)
{
	size_t cap = 4 << 20, n = 0;
	char *s = malloc(cap);
	if (!s) return NULL;
	n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"FeatureCollection\",\"features\":[");
	for (int i = 0; i < 300; i++) {
		double cx = 6.0 + rnd() * 4.5, cy = 45.9 + rnd() * 1.8;
		if (i) s[n++] = ',';
		if (i % 3 == 0) {
			double r = 200 + rnd() * 15000;
			n += (size_t)snprintf(s + n, cap - n,
			                      "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"SC%d\",\"type\":\"PROHIBITED\"},"
			                      "\"geometry\":{\"type\":\"Circle\",\"center\":[%.17g,%.17g],\"radius\":%.17g}}",
			                      i, cx, cy, r);
		} else {
			/* a star-shaped polygon: simple by construction */
			int nv = 10 + (int)(rnd() * 200);
			double rad = 0.01 + rnd() * 0.2;
			n += (size_t)snprintf(s + n, cap - n,
			                      "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"SP%d\",\"type\":\"PROHIBITED\"},"
			                      "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", i);
			double fx = 0, fy = 0;
			for (int k = 0; k < nv; k++) {
				double a = 2 * M_PI * k / nv, rr = rad * (0.4 + 0.6 * rnd());
				double x = cx + rr * cos(a), y = cy + rr * sin(a) * 0.7;
				if (k == 0) { fx = x; fy = y; }
				n += (size_t)snprintf(s + n, cap - n, "[%.17g,%.17g],", x, y);
			}
			n += (size_t)snprintf(s + n, cap - n, "[%.17g,%.17g]]]}}", fx, fy);
		}
		if (cap - n < 100000) break;
	}
	snprintf(s + n, cap - n, "]}");
	return s;
}

typedef struct pair { uint32_t pt, zone; } pair;

static int cmp_pair(const void *a, const void *b)
{
	const pair *x = a, *y = b;
	if (x->pt != y->pt) return x->pt < y->pt ? -1 : 1;
	return x->zone < y->zone ? -1 : x->zone > y->zone;
}

typedef struct collect { pair *v; size_t n, cap; uint32_t pt; uint32_t base; } collect;

static void on_zone(size_t zone, void *payload)
{
	collect *c = payload;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 65536;
		pair *nv = realloc(c->v, c->cap * sizeof(pair));
		if (!nv) abort();
		c->v = nv;
	}
	c->v[c->n].pt = c->pt;
	c->v[c->n].zone = c->base + (uint32_t)zone;
	c->n++;
}

int main(void)
{
	if (!pg_installed())
		return check_skip("PostgreSQL 15 with PostGIS 3 is not installed (postgresql-15-postgis-3), or runuser is missing");
	if (pg_open("dv-pgtest") < 0) return 1;
	const char *dir = pg.dir;

	/* zones: ours first, so that what PostGIS gets is exactly what we hold */
	dv_zones *sets[2] = { NULL, NULL };
	const char *shared = check_shared_dir();
	if (shared) {
		char p[1024];
		snprintf(p, sizeof(p), "%s/geo/che_swiss_geozones_2025-03.ed318.json", shared);
		if (access(p, R_OK) == 0 && dv_zones_read(&sets[0], p, 0) < 0) {
			fprintf(stderr, "%s\n", dv_error_text());
			return 1;
		}
	}
	char *syn = synthetic_zones();
	CHECK(syn != NULL);
	if (!syn || dv_zones_parse(&sets[1], syn, strlen(syn), "synthetic", 0) < 0) {
		fprintf(stderr, "synthetic: %s\n", dv_error_text());
		return 1;
	}
	free(syn);
	CHECK_EQ(dv_zones_nerrors(sets[1]), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/poly.tsv", dir);
	FILE *poly = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/circ.tsv", dir);
	FILE *circ = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/pts.tsv", dir);
	FILE *pts = fopen(path, "w");
	if (!poly || !circ || !pts) { perror("fopen"); return 1; }
	uint32_t base1 = sets[0] ? (uint32_t)sets[0]->nzones : 0;
	if (sets[0]) pg_write_zones(poly, circ, sets[0], 0);
	pg_write_zones(poly, circ, sets[1], base1);
	fclose(poly);
	fclose(circ);
	static double px[NPOINTS], py[NPOINTS];
	for (int i = 0; i < NPOINTS; i++) {
		px[i] = 5.9 + rnd() * 4.8;
		py[i] = 45.8 + rnd() * 2.0;
		fprintf(pts, "%d\tSRID=4326;POINT(%.17g %.17g)\n", i, px[i], py[i]);
	}
	fclose(pts);
	/* route legs: 5,000 random segments of up to ~10 km */
	static double sx0[NSEGS], sy0[NSEGS], sx1[NSEGS], sy1[NSEGS];
	snprintf(path, sizeof(path), "%s/segs.tsv", dir);
	FILE *sf = fopen(path, "w");
	if (!sf) return 1;
	for (int i = 0; i < NSEGS; i++) {
		sx0[i] = 6.0 + rnd() * 4.5;
		sy0[i] = 45.9 + rnd() * 1.8;
		sx1[i] = sx0[i] + (rnd() - 0.5) * 0.25;
		sy1[i] = sy0[i] + (rnd() - 0.5) * 0.15;
		fprintf(sf, "%d\tSRID=4326;LINESTRING(%.17g %.17g,%.17g %.17g)\n", i, sx0[i], sy0[i], sx1[i], sy1[i]);
	}
	fclose(sf);
	snprintf(path, sizeof(path), "%s/q.sql", dir);
	FILE *q = fopen(path, "w");
	if (!q) return 1;
	fprintf(q,
	        "\\set ON_ERROR_STOP 1\n"
	        "CREATE EXTENSION postgis;\n"
	        "CREATE TABLE zp (id int, geom geometry(Polygon,4326));\n"
	        "CREATE TABLE zc (id int, center geography(Point,4326), r float8);\n"
	        "CREATE TABLE p (id int, geom geometry(Point,4326));\n"
	        "CREATE TABLE s (id int, geom geometry(LineString,4326));\n"
	        "\\copy s FROM '%s/segs.tsv'\n"
	        "\\copy zp FROM '%s/poly.tsv'\n"
	        "\\copy zc FROM '%s/circ.tsv'\n"
	        "\\copy p FROM '%s/pts.tsv'\n"
	        "CREATE INDEX ON zp USING gist (geom);\n"
	        "CREATE INDEX ON zc USING gist (center);\n"
	        "CREATE INDEX ON p USING gist (geom);\n"
	        "CREATE INDEX ON p USING gist ((geom::geography));\n"
	        "ANALYZE;\n"
	        "\\copy (SELECT p.id, zp.id FROM zp JOIN p ON ST_Intersects(zp.geom, p.geom) UNION ALL SELECT p.id, zc.id FROM zc JOIN p ON ST_DWithin(zc.center, p.geom::geography, zc.r, true)) TO '%s/pairs.tsv'\n"
	        "\\copy (SELECT s.id, zp.id FROM zp JOIN s ON ST_Intersects(zp.geom, s.geom)) TO '%s/segpairs.tsv'\n",
	        dir, dir, dir, dir, dir, dir);
	fclose(q);

	if (pg_start("-c fsync=off -c full_page_writes=off") < 0 || pg_psql("q.sql", "psql.log") < 0) return 1;

	/* PostGIS' answer */
	snprintf(path, sizeof(path), "%s/pairs.tsv", dir);
	FILE *pf = fopen(path, "r");
	if (!pf) { perror(path); return 1; }
	collect theirs = { 0 };
	unsigned a, b;
	while (fscanf(pf, "%u\t%u\n", &a, &b) == 2) {
		theirs.pt = a;
		theirs.base = 0;
		on_zone(b, &theirs);
	}
	fclose(pf);

	/* ours */
	collect ours = { 0 };
	for (int s = 0; s < 2; s++) {
		if (!sets[s]) continue;
		dv_geofence *gf = NULL;
		CHECK_EQ(dv_geofence_new(&gf, sets[s]), 0);
		if (!gf) return 1;
		ours.base = s ? base1 : 0;
		for (int i = 0; i < NPOINTS; i++) {
			ours.pt = (uint32_t)i;
			if (dv_geofence_point(gf, px[i], py[i], on_zone, &ours) < 0) { fprintf(stderr, "%s\n", dv_error_text()); return 1; }
		}
		dv_geofence_free(gf);
	}
	qsort(ours.v, ours.n, sizeof(pair), cmp_pair);
	qsort(theirs.v, theirs.n, sizeof(pair), cmp_pair);

	/* per point: same set of zones? */
	size_t io = 0, it = 0, agree = 0, inside_any = 0;
	for (uint32_t ptn = 0; ptn < NPOINTS; ptn++) {
		size_t so = io, st = it;
		while (io < ours.n && ours.v[io].pt == ptn) io++;
		while (it < theirs.n && theirs.v[it].pt == ptn) it++;
		bool same = io - so == it - st;
		for (size_t k = 0; same && k < io - so; k++) same = ours.v[so + k].zone == theirs.v[st + k].zone;
		if (io > so || it > st) inside_any++;
		if (same) agree++;
		else if (agree + 10 > ptn)
			fprintf(stderr, "point %u (%.9f, %.9f): ours %zu zones, PostGIS %zu\n", ptn, px[ptn], py[ptn], io - so, it - st);
	}
	size_t nzones = (sets[0] ? sets[0]->nzones : 0) + sets[1]->nzones;
	printf("PostGIS cross-check: %zu zones (%s), %d points, %zu inside some zone, %zu point-zone pairs ours, %zu PostGIS, %zu/%d points agree\n",
	       nzones, sets[0] ? "Swiss ED-318 + synthetic" : "synthetic only", NPOINTS, inside_any, ours.n, theirs.n, agree, NPOINTS);
	CHECK_EQ(agree, NPOINTS);
	CHECK_EQ(ours.n, theirs.n);
	CHECK(inside_any > 1000);

	/* legs: every polygon a leg enters (dv_geofence_check) vs ST_Intersects(polygon, line) */
	collect sours = { 0 }, stheirs = { 0 };
	snprintf(path, sizeof(path), "%s/segpairs.tsv", dir);
	pf = fopen(path, "r");
	if (!pf) { perror(path); return 1; }
	while (fscanf(pf, "%u\t%u\n", &a, &b) == 2) {
		stheirs.pt = a;
		stheirs.base = 0;
		on_zone(b, &stheirs);
	}
	fclose(pf);
	for (int s2 = 0; s2 < 2; s2++) {
		if (!sets[s2]) continue;
		dv_geofence *gf = NULL;
		if (dv_geofence_new(&gf, sets[s2]) < 0) return 1;
		sours.base = s2 ? base1 : 0;
		unsigned char *seen = calloc(sets[s2]->nzones, 1);
		for (int i = 0; i < NSEGS && seen; i++) {
			dv_route_point rp[2] = { { DV_GEO_TIME_NONE, sx0[i], sy0[i], 0, DV_VREF_NONE, 0 },
			                         { DV_GEO_TIME_NONE, sx1[i], sy1[i], 0, DV_VREF_NONE, 0 } };
			dv_route *r = NULL;
			dv_fence_report *rep = NULL;
			if (dv_route_from_points(&r, rp, 2, "leg") < 0 || dv_geofence_check(gf, r, NULL, &rep) < 0) return 1;
			sours.pt = (uint32_t)i;
			for (size_t e = 0; e < rep->nevents; e++) {
				size_t z = rep->events[e].zone;
				if (rep->events[e].kind != DV_FENCE_ENTRY || seen[z] || sets[s2]->zones[z].shape != DV_ZONE_POLYGON) continue;
				seen[z] = 1;
				on_zone(z, &sours);
			}
			for (size_t e = 0; e < rep->nevents; e++) seen[rep->events[e].zone] = 0;
			dv_fence_report_free(rep);
			dv_route_free(r);
		}
		free(seen);
		dv_geofence_free(gf);
	}
	qsort(sours.v, sours.n, sizeof(pair), cmp_pair);
	qsort(stheirs.v, stheirs.n, sizeof(pair), cmp_pair);
	size_t sagree = 0, crossing = 0;
	io = it = 0;
	for (uint32_t sn = 0; sn < NSEGS; sn++) {
		size_t so = io, st = it;
		while (io < sours.n && sours.v[io].pt == sn) io++;
		while (it < stheirs.n && stheirs.v[it].pt == sn) it++;
		bool same = io - so == it - st;
		for (size_t k = 0; same && k < io - so; k++) same = sours.v[so + k].zone == stheirs.v[st + k].zone;
		if (io > so || it > st) crossing++;
		if (same) sagree++;
		else fprintf(stderr, "leg %u: ours %zu polygons, PostGIS %zu\n", sn, io - so, it - st);
	}
	printf("PostGIS leg cross-check: %d random legs, %zu meet some polygon, %zu leg-polygon pairs ours, %zu PostGIS, %zu/%d legs agree\n",
	       NSEGS, crossing, sours.n, stheirs.n, sagree, NSEGS);
	CHECK_EQ(sagree, NSEGS);
	CHECK(crossing > 500);
	free(sours.v);
	free(stheirs.v);
	free(ours.v);
	free(theirs.v);
	dv_zones_free(sets[0]);
	dv_zones_free(sets[1]);
	return check_done();
}
