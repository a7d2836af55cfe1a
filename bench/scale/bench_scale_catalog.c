/*
 * bench/scale/bench_scale_catalog - catalog inserts per second into one
 * PostgreSQL catalog with 1, 4 and 16 concurrent writers (stations), at a
 * fixed transaction size, beside pgbench doing plain INSERTs of rows of the
 * same shape and size with the same number of clients.
 *
 *   bench_scale_catalog [SECONDS] [FILES_PER_TRANSACTION]    (5, 50)
 *
 * A writer is a process with its own connection: its ingest row, then
 * transactions of N files, each file a blob row (dv_catalog_blob_put, a
 * distinct content) and a file row (dv_catalog_file_add), sealed by the
 * front end as in an ingest. pgbench (-n -c W -j W -T SECONDS) runs one
 * script: BEGIN, N times an INSERT into a blob-shaped and a file-shaped
 * table (ids from sequences, unique name, bytea of the sealed sizes),
 * COMMIT. Both against a throwaway PostgreSQL 15 cluster (Unix socket,
 * default durability: fsync and synchronous_commit on). Prints files per
 * second for each, per core, and the ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dv/catalog.h"
#include "dv/err.h"
#include "geo/pg_throwaway.h"

static uint8_t k1[32], k2[32];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_cat(dv_catalog **cat, const char *ci, unsigned flags)
{
	dv_catalog_backend *be;
	const dv_catalog_backend_ops *ops;
	int rc = dv_catalog_pg_backend(&be, &ops, ci, "bench", flags);
	return rc < 0 ? rc : dv_catalog_open_backend(cat, ops, be, k1, k2);
}

/* files stored by writer w until the deadline */
static long writer(const char *ci, int w, int tx, double until)
{
	dv_catalog *cat;
	if (open_cat(&cat, ci, 0) < 0) return -1;
	dv_case c;
	static dv_ingest_rec r;
	static dv_file_rec f;
	uint8_t tag[32], sha[32];
	char name[80];
	long files = 0;
	int rc = dv_catalog_begin(cat);
	snprintf(name, sizeof(name), "case-%d", w);
	if (rc == 0) rc = dv_catalog_case_create(&c, cat, name);
	r.case_id = c.id;
	snprintf(r.source, sizeof(r.source), "/media/station-%d", w);
	if (rc == 0) rc = dv_catalog_tag(tag, cat, "source", r.source, strlen(r.source));
	if (rc == 0) rc = dv_catalog_ingest_create(cat, &r, tag);
	if (rc == 0) rc = dv_catalog_commit(cat);
	while (rc == 0 && now() < until) {
		if ((rc = dv_catalog_begin(cat)) < 0) break;
		for (int k = 0; k < tx && rc == 0; k++, files++) {
			snprintf(name, sizeof(name), "%02x%014lx%048d", w, files, 0);
			dv_random(sha, 32);
			memset(&f, 0, sizeof(f));
			f.ingest_id = r.id;
			f.size = 4000000;
			f.mtime_ns = f.atime_ns = f.ctime_ns = 1764600000000000000LL;
			f.crtime_ns = INT64_MIN;
			f.mode = 0644;
			memcpy(f.sha256, sha, 32);
			snprintf(f.path, sizeof(f.path), "DCIM/%03dMEDIA/DJI_%06ld.JPG", 100 + w, files);
			if ((rc = dv_catalog_blob_put(cat, name, sha, f.size, &f.blob_id)) == 0) rc = dv_catalog_file_add(cat, &f);
		}
		if (rc == 0) rc = dv_catalog_commit(cat);
	}
	if (rc < 0) fprintf(stderr, "writer %d: %s\n", w, dv_error_text());
	dv_catalog_close(cat);
	return rc < 0 ? -1 : files;
}

static double run_ours(int nw, int tx, double secs)
{
	char ci[600], db[32];
	snprintf(db, sizeof(db), "ours%d", nw);
	if (pg_sh("%s/psql -X -q -h %s -U postgres -d postgres -c 'CREATE DATABASE %s' >/dev/null", PG_BIN, pg.dir, db)) return -1;
	snprintf(ci, sizeof(ci), "host=%s user=postgres dbname=%s", pg.dir, db);
	dv_catalog *cat;
	if (open_cat(&cat, ci, DV_CATALOG_PG_CREATE) < 0) {
		fprintf(stderr, "%s\n", dv_error_text());
		return -1;
	}
	dv_catalog_close(cat);
	long *counts = mmap(NULL, 64 * sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) return -1;
	double t0 = now(), until = t0 + secs;
	pid_t pids[64];
	for (int w = 0; w < nw; w++) {
		fflush(NULL);
		if ((pids[w] = fork()) == 0) {
			counts[w] = writer(ci, w, tx, until);
			_exit(counts[w] < 0);
		}
	}
	long total = 0;
	int bad = 0;
	for (int w = 0; w < nw; w++) {
		int st;
		waitpid(pids[w], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) bad++;
		else total += counts[w];
	}
	double wall = now() - t0;
	munmap(counts, 64 * sizeof(long));
	return bad ? -1 : (double)total / wall;
}

static double run_pgbench(int nw, int tx, double secs)
{
	char db[32], path[600];
	snprintf(db, sizeof(db), "plain%d", nw);
	snprintf(path, sizeof(path), "%s/plain.sql", pg.dir);
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	/* the sealed sizes of a blob row (~140 bytes) and a file row (~300) */
	fprintf(f, "BEGIN;\n");
	for (int k = 0; k < tx; k++) {
		fprintf(f, "INSERT INTO blobs(id, name, sealed) VALUES (nextval('blobs_ids'), md5(random()::text) || md5(random()::text), "
		           "decode(repeat('ab', 140), 'hex'));\n");
		fprintf(f, "INSERT INTO files(id, ingest_id, path_tag, blob_id, sealed) VALUES (nextval('files_ids'), 1, "
		           "sha256(random()::text::bytea), currval('blobs_ids'), decode(repeat('cd', 300), 'hex'));\n");
	}
	fprintf(f, "COMMIT;\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/plain_schema.sql", pg.dir);
	if (!(f = fopen(path, "w"))) return -1;
	fprintf(f, "CREATE DATABASE %s;\n\\c %s\n"
	           "CREATE TABLE blobs(id bigint PRIMARY KEY, name text NOT NULL UNIQUE, sealed bytea NOT NULL);\n"
	           "CREATE TABLE ingests(id bigint PRIMARY KEY);\nINSERT INTO ingests VALUES (1);\n"
	           "CREATE TABLE files(id bigint PRIMARY KEY, ingest_id bigint NOT NULL REFERENCES ingests(id), path_tag bytea NOT NULL,"
	           " blob_id bigint NOT NULL REFERENCES blobs(id), sealed bytea NOT NULL, UNIQUE(ingest_id, path_tag));\n"
	           "CREATE SEQUENCE blobs_ids; CREATE SEQUENCE files_ids;\n", db, db);
	fclose(f);
	if (pg_sh("%s/psql -X -q -h %s -U postgres -d postgres -f %s/plain_schema.sql >/dev/null", PG_BIN, pg.dir, pg.dir)) return -1;
	char out[600];
	snprintf(out, sizeof(out), "%s/pgbench.out", pg.dir);
	if (pg_sh("%s/pgbench -n -h %s -U postgres -c %d -j %d -T %d -f %s/plain.sql %s >%s 2>&1", PG_BIN, pg.dir, nw, nw,
	          (int)(secs + 0.5), pg.dir, db, out)) {
		pg_sh("cat %s >&2", out);
		return -1;
	}
	if (!(f = fopen(out, "r"))) return -1;
	char line[512];
	double tps = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "tps = ", 6)) tps = atof(line + 6);
	fclose(f);
	return tps < 0 ? -1 : tps * tx;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	int tx = argc > 2 ? atoi(argv[2]) : 50;
	if (secs <= 0 || secs > 60 || tx < 1 || tx > 10000) {
		fprintf(stderr, "usage: bench_scale_catalog [SECONDS (<= 60)] [FILES_PER_TRANSACTION]\n");
		return 2;
	}
	if (!pg_installed()) {
		printf("skipped: PostgreSQL 15 not installed\n");
		return 77;
	}
	if (pg_open("dv-benchscale") < 0 || pg_start("-c max_connections=60") < 0) return 1;
	dv_crypto_init();
	dv_random(k1, 32);
	dv_random(k2, 32);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("catalog inserts into PostgreSQL 15: %d files per transaction (a blob row and a file row each), %.0f s per run, "
	       "%ld cores\n", tx, secs, cores);
	printf("%-8s %16s %16s %16s %8s\n", "writers", "dronevault f/s", "per core", "pgbench f/s", "ratio");
	static const int ws[] = { 1, 4, 16 };
	double one = 0;
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		double ours = run_ours(ws[i], tx, secs), plain = run_pgbench(ws[i], tx, secs);
		if (ours < 0 || plain < 0) {
			fprintf(stderr, "run with %d writers failed\n", ws[i]);
			return 1;
		}
		if (i == 0) one = ours;
		printf("%-8d %16.0f %16.0f %16.0f %7.2fx\n", ws[i], ours, ours / (double)cores, plain, ours / plain);
		fflush(stdout);
	}
	(void)one;
	return 0;
}
