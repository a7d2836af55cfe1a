/*
 * bench/geofence - points per second of the geofence engine against
 * PostGIS, on the same zones and points, in one run.
 *
 *   bench_geofence [NPOINTS] [ZONEFILE]
 *
 * Zones: 1,000 synthetic ones over Switzerland (700 star polygons with 10 to
 * 500 vertices, 300 geodesic circles of 100 m to 20 km), or ZONEFILE.
 * Points: NPOINTS (default 10,000,000) uniform over the zones' area.
 * Ours: dv_geofence_point on one thread. PostGIS: a throwaway PostgreSQL 15
 * cluster (Unix socket, parallel workers off = one core), GiST indexes,
 * ST_Contains(polygon, point) on geometry and ST_DWithin(geography,
 * geography, r, true) for circles; the query time only (not the load).
 * Prints both rates and whether the hit counts agree.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/geofence.h"
#include "dv/zones.h"
#include "geo/pg_throwaway.h"


static uint64_t rng = 0x2545F4914F6CDD1DULL;
static double rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

static char *synthetic(void)
{
	size_t cap = 16 << 20, n = 0;
	char *s = malloc(cap);
	if (!s) return NULL;
	n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"FeatureCollection\",\"features\":[");
	for (int i = 0; i < 1000; i++) {
		double cx = 6.0 + rnd() * 4.4, cy = 45.9 + rnd() * 1.8;
		if (i) s[n++] = ',';
		if (i % 10 >= 7) {
			double r = 100 + rnd() * rnd() * 20000;
			n += (size_t)snprintf(s + n, cap - n,
			                      "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"C%d\",\"type\":\"PROHIBITED\"},"
			                      "\"geometry\":{\"type\":\"Circle\",\"center\":[%.9f,%.9f],\"radius\":%.3f}}", i, cx, cy, r);
		} else {
			int nv = 10 + (int)(rnd() * 491);
			double rad = 0.005 + rnd() * rnd() * 0.25;
			n += (size_t)snprintf(s + n, cap - n,
			                      "{\"type\":\"Feature\",\"properties\":{\"identifier\":\"P%d\",\"type\":\"PROHIBITED\"},"
			                      "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", i);
			char first[64] = "";
			for (int k = 0; k < nv; k++) {
				double a = 2 * M_PI * k / nv, rr = rad * (0.5 + 0.5 * rnd());
				char pt[64];
				snprintf(pt, sizeof(pt), "[%.9f,%.9f]", cx + rr * cos(a), cy + rr * sin(a) * 0.68);
				if (!k) snprintf(first, sizeof(first), "%s", pt);
				n += (size_t)snprintf(s + n, cap - n, "%s,", pt);
			}
			n += (size_t)snprintf(s + n, cap - n, "%s]]}}", first);
		}
	}
	snprintf(s + n, cap - n, "]}");
	return s;
}

/* CPU seconds of the postmaster and its reaped children (the finished backends) */
static double pg_cpu(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/data/postmaster.pid", pg.dir);
	FILE *f = fopen(p, "r");
	long pid = 0;
	if (!f || fscanf(f, "%ld", &pid) != 1) { if (f) fclose(f); return -1; }
	fclose(f);
	snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
	f = fopen(p, "r");
	if (!f) return -1;
	char buf[2048];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *q = strrchr(buf, ')');
	if (!q) return -1;
	unsigned long long v[15] = { 0 };
	/* fields after "(comm)": state is 3; utime 14, stime 15, cutime 16, cstime 17 */
	char *save = NULL;
	int field = 3;
	for (char *tok = strtok_r(q + 2, " ", &save); tok && field <= 17; tok = strtok_r(NULL, " ", &save), field++)
		if (field >= 14) v[field - 14] = strtoull(tok, NULL, 10);
	return (double)(v[0] + v[1] + v[2] + v[3]) / (double)sysconf(_SC_CLK_TCK);
}

static void count_hit(size_t zone, void *payload)
{
	(*(size_t *)payload)++;
}

int main(int argc, char **argv)
{
	size_t npts = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	const char *zfile = argc > 2 ? argv[2] : NULL;
	dv_zones *zs = NULL;
	if (zfile) {
		if (dv_zones_read(&zs, zfile, DV_ZONES_REPAIR) < 0) { fprintf(stderr, "%s\n", dv_error_text()); return 1; }
	} else {
		char *s = synthetic();
		if (!s || dv_zones_parse(&zs, s, strlen(s), "synthetic", 0) < 0) { fprintf(stderr, "%s\n", dv_error_text()); return 1; }
		free(s);
	}
	size_t npoly = 0, ncirc = 0, nvert = 0;
	double x0 = 180, y0 = 90, x1 = -180, y1 = -90;
	for (size_t i = 0; i < zs->nzones; i++) {
		const dv_zone *z = &zs->zones[i];
		if (z->shape == DV_ZONE_CIRCLE) ncirc++;
		else { npoly++; for (size_t k = 0; k < z->nrings; k++) nvert += z->ring_len[k]; }
		x0 = fmin(x0, z->min_lon); y0 = fmin(y0, z->min_lat);
		x1 = fmax(x1, z->max_lon); y1 = fmax(y1, z->max_lat);
	}
	printf("zones: %zu (%zu polygons, %zu vertices; %zu circles), %zu rejected\n", zs->nzones, npoly, nvert, ncirc,
	       zs->nrejected);

	/* points, written at 1e-9 degree so both sides read the same doubles */
	if (pg_open("dv-pgbench") < 0) return 1;
	const char *dir = pg.dir;
	double *px = malloc(npts * sizeof(double)), *py = malloc(npts * sizeof(double));
	char path[512];
	snprintf(path, sizeof(path), "%s/pts.tsv", dir);
	FILE *pf = fopen(path, "w");
	if (!px || !py || !pf) return 1;
	for (size_t i = 0; i < npts; i++) {
		char b[64];
		snprintf(b, sizeof(b), "%.9f\t%.9f\n", x0 + rnd() * (x1 - x0), y0 + rnd() * (y1 - y0));
		fputs(b, pf);
		char *e;
		px[i] = strtod(b, &e);
		py[i] = strtod(e + 1, NULL);
	}
	fclose(pf);

	/* ours */
	double t = now();
	dv_geofence *gf = NULL;
	if (dv_geofence_new(&gf, zs) < 0) { fprintf(stderr, "%s\n", dv_error_text()); return 1; }
	double tbuild = now() - t;
	size_t hits = 0;
	t = now();
	double c0 = cpu();
	for (size_t i = 0; i < npts; i++) dv_geofence_point(gf, px[i], py[i], count_hit, &hits);
	double tours = now() - t, cours = cpu() - c0;
	printf("dronevault: index %.3f s; %zu points in %.2f s wall, %.2f s CPU = %.0f points/s per CPU second (one thread); %zu point-zone hits\n",
	       tbuild, npts, tours, cours, npts / cours, hits);
	dv_geofence_free(gf);

	/* PostGIS */
	if (getenv("DV_BENCH_NO_PG")) return 0;
	if (!pg_installed()) {
		printf("PostGIS: not installed, skipped\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/poly.tsv", dir);
	FILE *poly = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/circ.tsv", dir);
	FILE *circ = fopen(path, "w");
	if (!poly || !circ) return 1;
	pg_write_zones(poly, circ, zs, 0);
	fclose(poly);
	fclose(circ);
	snprintf(path, sizeof(path), "%s/load.sql", dir);
	FILE *q = fopen(path, "w");
	if (!q) return 1;
	fprintf(q,
	        "\\set ON_ERROR_STOP 1\nCREATE EXTENSION postgis;\n"
	        "CREATE TABLE zp (id int, geom geometry(Polygon,4326));\n"
	        "CREATE TABLE zc (id int, center geography(Point,4326), r float8);\n"
	        "CREATE UNLOGGED TABLE raw (x float8, y float8);\n"
	        "\\copy zp FROM '%s/poly.tsv'\n\\copy zc FROM '%s/circ.tsv'\n\\copy raw FROM '%s/pts.tsv'\n"
	        "CREATE UNLOGGED TABLE p AS SELECT ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom FROM raw;\n"
	        "DROP TABLE raw;\n"
	        "CREATE INDEX ON zp USING gist (geom);\nCREATE INDEX ON zc USING gist (center);\n"
	        "CREATE INDEX ON p USING gist (geom);\nCREATE INDEX ON p USING gist ((geom::geography));\n"
	        "VACUUM ANALYZE;\n", dir, dir, dir);
	fclose(q);
	snprintf(path, sizeof(path), "%s/query.sql", dir);
	q = fopen(path, "w");
	if (!q) return 1;
	fprintf(q, "\\set ON_ERROR_STOP 1\nSET max_parallel_workers_per_gather = 0;\n"
	           "SELECT (SELECT count(*) FROM zp JOIN p ON ST_Contains(zp.geom, p.geom))"
	           " + (SELECT count(*) FROM zc JOIN p ON ST_DWithin(zc.center, p.geom::geography, zc.r, true));\n");
	fclose(q);
	if (pg_start("-c fsync=off -c shared_buffers=1GB -c work_mem=256MB -c maintenance_work_mem=1GB "
	             "-c max_wal_size=8GB -c autovacuum=off") < 0)
		return 1;
	t = now();
	if (pg_psql("load.sql", "load.log") < 0) return 1;
	double tload = now() - t;
	sleep(1); /* let the postmaster reap the loading backend first */
	double pc0 = pg_cpu();
	t = now();
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s %s/psql -X -q -At -h %s -U postgres -d postgres -f %s/query.sql", pg.runas, PG_BIN, dir, dir);
	FILE *pp = popen(cmd, "r");
	unsigned long long pg_hits = 0;
	if (!pp || fscanf(pp, "%llu", &pg_hits) != 1) { fprintf(stderr, "query failed\n"); if (pp) pclose(pp); return 1; }
	pclose(pp);
	double tpg = now() - t;
	usleep(500000); /* let the postmaster reap the backend */
	double cpg = pg_cpu() - pc0;
	printf("PostGIS: load+index %.1f s (not counted); query %.2f s wall, %.2f s CPU = %.0f points/s per CPU second (one worker); %llu point-zone hits\n",
	       tload, tpg, cpg, npts / cpg, pg_hits);
	printf("speed-up %.1fx (CPU), %.1fx (wall); hits %s\n", cpg / cours, tpg / tours, pg_hits == hits ? "agree" : "DIFFER");
	return pg_hits == hits ? 0 : 1;
}
