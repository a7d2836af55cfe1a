/*
 * tests/geo/pg_throwaway.h - a throwaway PostgreSQL 15 + PostGIS cluster,
 * for test_geo_postgis (the cross-check) and bench/geofence (the race):
 * initdb in a temporary directory, Unix socket only (no TCP), run as nobody
 * when we are root, stopped and deleted at exit. One per process.
 *
 *     if (!pg_installed()) skip;
 *     if (pg_open("dv-pgtest") < 0 || pg_start("-c fsync=off") < 0) fail;
 *     pg_psql("q.sql", "psql.log");     // files in pg.dir
 */
#ifndef DV_TEST_PG_THROWAWAY_H
#define DV_TEST_PG_THROWAWAY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/zones.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

static struct {
	char dir[256];   /* the cluster's directory (data/, socket, scratch files) */
	char runas[64];  /* "runuser -u nobody --" when root, else "" */
	bool started;
} pg;

static int pg_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int pg_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0) fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* PostgreSQL 15 and PostGIS 3 are there (and runuser, when we are root). */
static __attribute__((unused)) bool pg_installed(void)
{
	return access(PG_BIN "/initdb", X_OK) == 0 && access(PG_BIN "/pg_ctl", X_OK) == 0 &&
	       access("/usr/share/postgresql/15/extension/postgis.control", R_OK) == 0 &&
	       (geteuid() != 0 || system("command -v runuser >/dev/null 2>&1") == 0);
}

static void pg_close(void)
{
	if (pg.started) pg_sh("%s %s/pg_ctl -D %s/data -m immediate -w stop >/dev/null 2>&1", pg.runas, PG_BIN, pg.dir);
	pg.started = false;
	if (pg.dir[0]) pg_sh("rm -rf '%s'", pg.dir);
	pg.dir[0] = 0;
}

/* Makes /tmp/TAG-XXXXXX for the cluster; removed at exit. */
static __attribute__((unused)) int pg_open(const char *tag)
{
	snprintf(pg.dir, sizeof(pg.dir), "/tmp/%s-XXXXXX", tag);
	if (!mkdtemp(pg.dir)) {
		perror("mkdtemp");
		pg.dir[0] = 0;
		return -1;
	}
	chmod(pg.dir, 0755);
	atexit(pg_close);
	if (geteuid() == 0) {
		snprintf(pg.runas, sizeof(pg.runas), "runuser -u nobody --");
		if (pg_sh("chown nobody '%s'", pg.dir) != 0) return -1;
	}
	return 0;
}

/* initdb and start, with extra server settings ("-c name=value ..."). */
static __attribute__((unused)) int pg_start(const char *settings)
{
	if (pg_sh("%s %s/initdb -D %s/data -A trust -U postgres --no-sync >%s/initdb.log 2>&1", pg.runas, PG_BIN, pg.dir,
	          pg.dir) != 0)
		return -1;
	if (pg_sh("%s %s/pg_ctl -D %s/data -l %s/pg.log -w -o \"-c listen_addresses='' -k %s %s\" start >/dev/null",
	          pg.runas, PG_BIN, pg.dir, pg.dir, pg.dir, settings) != 0) {
		pg_sh("cat %s/pg.log >&2", pg.dir);
		return -1;
	}
	pg.started = true;
	return 0;
}

/* Runs pg.dir/SQL with psql; its output goes to pg.dir/LOG, shown on failure. */
static __attribute__((unused)) int pg_psql(const char *sql, const char *log)
{
	if (pg_sh("%s %s/psql -X -q -h %s -U postgres -d postgres -f %s/%s >%s/%s 2>&1", pg.runas, PG_BIN, pg.dir, pg.dir,
	          sql, pg.dir, log) != 0) {
		pg_sh("cat %s/%s >&2", pg.dir, log);
		return -1;
	}
	return 0;
}

/* Zones as PostGIS COPY rows: polygons "id\tSRID=4326;POLYGON(...)" to poly,
 * circles "id\tSRID=4326;POINT(lon lat)\tradius_m" to circ; ids from base. */
static __attribute__((unused)) void pg_write_zones(FILE *poly, FILE *circ, const dv_zones *zs, uint32_t base)
{
	for (size_t i = 0; i < zs->nzones; i++) {
		const dv_zone *z = &zs->zones[i];
		if (z->shape == DV_ZONE_CIRCLE) {
			fprintf(circ, "%u\tSRID=4326;POINT(%.17g %.17g)\t%.17g\n", base + (uint32_t)i, z->lon, z->lat, z->radius_m);
			continue;
		}
		fprintf(poly, "%u\tSRID=4326;POLYGON(", base + (uint32_t)i);
		for (size_t k = 0; k < z->nrings; k++) {
			fputs(k ? ",(" : "(", poly);
			for (size_t j = 0; j < z->ring_len[k]; j++)
				fprintf(poly, "%s%.17g %.17g", j ? "," : "", z->rings[k][2 * j], z->rings[k][2 * j + 1]);
			fputc(')', poly);
		}
		fputs(")\n", poly);
	}
}

#endif
