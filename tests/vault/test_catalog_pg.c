/*
 * The PostgreSQL catalog backend against a throwaway PostgreSQL 15 cluster
 * (tests/geo/pg_throwaway.h: initdb in a temporary directory, Unix socket
 * only, stopped at exit; skipped when PostgreSQL is absent):
 *   - the catalog's promises (the same calls as test_catalog on SQLite);
 *   - nothing sensitive in clear in the database (pg_dump of it);
 *   - tampering through the operations table is caught;
 *   - schema versions: older and newer databases refused naming both,
 *     'upgrade' brings an older one forward, another vault's refused;
 *   - a reader's snapshot holds while a writer commits;
 *   - DV_PG_WRITERS processes (4) writing one catalog at once, with
 *     overlapping blobs and one shared case: every blob row once, every
 *     file row there, the check clean;
 *   - two 'db upgrade's at once apply each version once;
 *   - two writers taking two blobs in opposite orders: PostgreSQL breaks
 *     the deadlock, the victim gets DV_EBUSY and its retry succeeds.
 */
#include <signal.h>
#include <sys/wait.h>

#include "check.h"
#include "dv/catalog.h"
#include "dv/err.h"
#include "geo/pg_throwaway.h"
#include "tamper_ops.h"

static int problems_seen;
static void on_problem(const char *m, void *p)
{
	(void)p;
	problems_seen++;
	fprintf(stderr, "  (expected) %s\n", m);
}

static char conn_base[600];

static void conninfo(char *out, size_t n, const char *db)
{
	snprintf(out, n, "host=%s user=postgres dbname=%s", pg.dir, db);
}

static int make_db(const char *db)
{
	return pg_sh("%s/psql -X -q -h %s -U postgres -d postgres -c 'CREATE DATABASE %s' >/dev/null", PG_BIN, pg.dir, db);
}

static int psql_c(const char *db, const char *sql)
{
	return pg_sh("%s/psql -X -q -v ON_ERROR_STOP=1 -h %s -U postgres -d %s -c \"%s\" >/dev/null", PG_BIN, pg.dir, db, sql);
}

static int count_files(const dv_file_rec *f, void *p)
{
	(void)f;
	(*(int *)p)++;
	return 0;
}

static int count_blobs(const dv_blob_rec *b, void *p)
{
	(void)b;
	(*(int *)p)++;
	return 0;
}

static int count_cases(const dv_case *c, void *p)
{
	(void)c;
	(*(int *)p)++;
	return 0;
}

static int open_pg(dv_catalog **cat, const char *ci, const uint8_t k1[32], const uint8_t k2[32], unsigned flags)
{
	dv_catalog_backend *be;
	const dv_catalog_backend_ops *ops;
	int rc = dv_catalog_pg_backend(&be, &ops, ci, "vault-under-test", flags);
	if (rc < 0) return rc;
	return dv_catalog_open_backend(cat, ops, be, k1, k2);
}

/* A new database holding a fresh catalog (made, then closed). */
static void new_catalog(const char *db, const char *ci, const uint8_t k1[32], const uint8_t k2[32])
{
	dv_catalog *cat;
	CHECK_EQ(make_db(db), 0);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, DV_CATALOG_PG_CREATE), 0);
	dv_catalog_close(cat);
}

static void basics(const uint8_t k1[32], const uint8_t k2[32])
{
	char ci[700];
	conninfo(ci, sizeof(ci), "basics");
	CHECK_EQ(make_db("basics"), 0);
	dv_catalog *cat;
	/* an empty database is not opened as a catalog, unless asked to make one */
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), DV_ENOTFOUND);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, DV_CATALOG_PG_CREATE), 0);
	dv_case c, c2;
	CHECK_EQ(dv_catalog_case_find(&c, cat, "2026-0042"), DV_ENOTFOUND);
	CHECK_EQ(dv_catalog_case_create(&c, cat, "2026-0042"), 0);
	CHECK_EQ(dv_catalog_case_create(&c2, cat, "2026-0042"), DV_EEXIST);
	CHECK_EQ(dv_catalog_case_find(&c2, cat, "2026-0042"), 0);
	CHECK_EQ(c.id, c2.id);
	CHECK_STR(c2.name, "2026-0042");

	static dv_ingest_rec r, r2;
	uint8_t tag[32];
	CHECK_EQ(dv_catalog_tag(tag, cat, "source", "dir|/media/card", 15), 0);
	r.case_id = c.id;
	snprintf(r.source, sizeof(r.source), "/media/card");
	snprintf(r.operator_name, sizeof(r.operator_name), "Insp. Muster");
	CHECK_EQ(dv_catalog_begin(cat), 0);
	CHECK_EQ(dv_catalog_ingest_create(cat, &r, tag), 0);
	CHECK_EQ(dv_catalog_ingest_find_open(cat, c.id, tag, &r2), 0);
	CHECK_EQ(r2.id, r.id);
	CHECK_STR(r2.operator_name, "Insp. Muster");
	uint8_t sha[32] = { 1, 2, 3 };
	int64_t bid, bid2;
	const char *bn = "ab00000000000000000000000000000000000000000000000000000000000000";
	CHECK_EQ(dv_catalog_blob_put(cat, bn, sha, 10, &bid), 0);
	CHECK_EQ(dv_catalog_blob_put(cat, bn, sha, 10, &bid2), 0);
	CHECK_EQ(bid, bid2);
	static dv_file_rec f, g;
	f.ingest_id = r.id;
	f.blob_id = bid;
	f.size = 10;
	f.crtime_ns = INT64_MIN;
	memcpy(f.sha256, sha, 32);
	snprintf(f.path, sizeof(f.path), "DCIM/100MEDIA/DJI_0001.JPG");
	CHECK_EQ(dv_catalog_file_add(cat, &f), 0);
	snprintf(f.path, sizeof(f.path), "DCIM/100MEDIA/DJI_0002.JPG");
	CHECK_EQ(dv_catalog_file_add(cat, &f), 0);
	/* the same path twice: refused, and the transaction goes on */
	CHECK_EQ(dv_catalog_file_add(cat, &f), DV_EEXIST);
	CHECK_EQ(dv_catalog_commit(cat), 0);
	/* a rolled back transaction leaves nothing */
	CHECK_EQ(dv_catalog_begin(cat), 0);
	snprintf(f.path, sizeof(f.path), "DCIM/100MEDIA/DJI_0003.JPG");
	CHECK_EQ(dv_catalog_file_add(cat, &f), 0);
	dv_catalog_rollback(cat);
	CHECK_EQ(dv_catalog_file_count(cat, r.id), 2);
	CHECK_EQ(dv_catalog_file_find(&g, cat, r.id, "DCIM/100MEDIA/DJI_0001.JPG"), 0);
	CHECK_EQ(g.crtime_ns, INT64_MIN);
	CHECK_STR(g.blob_name, bn);
	CHECK_EQ(dv_catalog_file_find(&g, cat, r.id, "nope"), DV_ENOTFOUND);
	int n = 0;
	CHECK_EQ(dv_catalog_file_list(cat, r.id, count_files, &n), 0);
	CHECK_EQ(n, 2);
	r.state = DV_INGEST_COMPLETE;
	CHECK_EQ(dv_catalog_ingest_update(cat, &r), 0);
	CHECK_EQ(dv_catalog_ingest_find_open(cat, c.id, tag, &r2), DV_ENOTFOUND);
	dv_ingest_rec missing = { .id = 999 };
	CHECK_EQ(dv_catalog_ingest_update(cat, &missing), DV_ENOTFOUND);
	uint8_t hh[32] = { 9 }, hh2[32];
	uint64_t seq;
	CHECK_EQ(dv_catalog_head_get(cat, &seq, hh2), 0);
	CHECK_EQ(seq, 0);
	CHECK_EQ(dv_catalog_head_set(cat, 7, hh), 0);
	CHECK_EQ(dv_catalog_head_set(cat, 8, hh), 0);
	CHECK_EQ(dv_catalog_head_get(cat, &seq, hh2), 0);
	CHECK_EQ(seq, 8);
	CHECK(memcmp(hh, hh2, 32) == 0);
	uint8_t *buf;
	size_t len;
	CHECK_EQ(dv_catalog_side_get(&buf, &len, cat, "notes", 3), DV_ENOTFOUND);
	CHECK_EQ(dv_catalog_side_put(cat, "notes", 3, "Marktplatz", 10), 0);
	CHECK_EQ(dv_catalog_side_put(cat, "notes", 3, "Marktplatz 2", 12), 0);
	CHECK_EQ(dv_catalog_side_get(&buf, &len, cat, "notes", 3), 0);
	CHECK_EQ(len, 12);
	free(buf);
	CHECK_EQ(dv_catalog_check(cat, on_problem, NULL), 0);
	dv_catalog_close(cat);

	/* nothing sensitive in clear: the whole database, dumped */
	CHECK_EQ(pg_sh("%s/pg_dump -h %s -U postgres -d basics -f %s/basics.sql", PG_BIN, pg.dir, pg.dir), 0);
	char dump[400];
	snprintf(dump, sizeof(dump), "%s/basics.sql", pg.dir);
	FILE *fp = fopen(dump, "rb");
	CHECK(fp != NULL);
	uint8_t *raw = malloc(4 << 20);
	size_t got = fp ? fread(raw, 1, 4 << 20, fp) : 0;
	if (fp) fclose(fp);
	CHECK(got > 1000); /* a dump of the tables, not an empty file */
	CHECK(memmem(raw, got, "CREATE TABLE", 12) != NULL);
	CHECK(memmem(raw, got, "2026-0042", 9) == NULL);
	CHECK(memmem(raw, got, "DJI_0001", 8) == NULL);
	CHECK(memmem(raw, got, "Muster", 6) == NULL);
	CHECK(memmem(raw, got, "/media/card", 11) == NULL);
	CHECK(memmem(raw, got, "Marktplatz", 10) == NULL);
	free(raw);

	/* tampering, through the operations table as on SQLite */
	tamper tb;
	CHECK_EQ(tamper_open(&tb, "postgresql", ci), 0);
	CHECK_EQ(tamper_copy_sealed(&tb, DV_CT_FILES, NULL, 2, 1), 0);
	tamper_close(&tb);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), 0);
	problems_seen = 0;
	CHECK(dv_catalog_check(cat, on_problem, NULL) >= 1);
	CHECK(problems_seen >= 1);
	CHECK_EQ(dv_catalog_file_find(&g, cat, r.id, "DCIM/100MEDIA/DJI_0001.JPG"), DV_ECORRUPT);
	dv_catalog_close(cat);
	CHECK_EQ(tamper_open(&tb, "postgresql", ci), 0);
	CHECK_EQ(tamper_set(&tb, DV_CT_INGESTS, r.id, "state", 0), 0);
	CHECK_EQ(tamper_flip_sealed(&tb, DV_CT_CASES, NULL, c.id, 30), 0);
	CHECK_EQ(tamper_delete(&tb, DV_CT_BLOBS, NULL, bid), 0); /* past the foreign keys */
	CHECK_EQ(tamper_delete(&tb, DV_CT_CASES, NULL, 999), DV_ENOTFOUND);
	tamper_close(&tb);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), 0);
	CHECK_EQ(dv_catalog_ingest_get(&r2, cat, r.id), DV_ECORRUPT);
	CHECK_EQ(dv_catalog_case_find(&c2, cat, "2026-0042"), DV_ECORRUPT);
	problems_seen = 0;
	int np = dv_catalog_check(cat, on_problem, NULL);
	CHECK(np >= 4); /* case, ingest, two files (and their missing blob) */
	dv_catalog_close(cat);
	/* a wrong key opens nothing */
	uint8_t bad[32];
	memcpy(bad, k1, 32);
	bad[0] ^= 1;
	CHECK_EQ(open_pg(&cat, ci, bad, k2, 0), 0);
	CHECK(dv_catalog_head_get(cat, &seq, hh2) == DV_ECORRUPT);
	dv_catalog_close(cat);
}

static void versions(const uint8_t k1[32], const uint8_t k2[32])
{
	char ci[700], other[700];
	conninfo(ci, sizeof(ci), "versions");
	CHECK_EQ(make_db("versions"), 0);
	int latest = dv_catalog_pg_schema_version(), from = -1, to = -1;
	CHECK(latest >= 2);
	/* an older database (the first version only) */
	CHECK_EQ(dv_catalog_pg_upgrade(&from, &to, ci, "vault-under-test", 1), 0);
	CHECK_EQ(from, 0);
	CHECK_EQ(to, 1);
	dv_catalog *cat;
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), DV_EUNSUPPORTED);
	char want[200];
	snprintf(want, sizeof(want), "version 1, this dronevault needs version %d", latest);
	CHECK(strstr(dv_error_text(), want) != NULL);
	CHECK(strstr(dv_error_text(), "db upgrade") != NULL);
	/* CREATE does not silently upgrade an existing catalog either */
	CHECK_EQ(open_pg(&cat, ci, k1, k2, DV_CATALOG_PG_CREATE), DV_EUNSUPPORTED);
	/* another vault's database is refused, upgrade or open */
	CHECK_EQ(dv_catalog_pg_upgrade(&from, &to, ci, "some-other-vault", 0), DV_EINVAL);
	CHECK(strstr(dv_error_text(), "belongs to vault vault-under-test") != NULL);
	CHECK_EQ(dv_catalog_pg_upgrade(&from, &to, ci, "vault-under-test", 0), 0);
	CHECK_EQ(from, 1);
	CHECK_EQ(to, latest);
	CHECK_EQ(dv_catalog_pg_upgrade(&from, &to, ci, "vault-under-test", 0), 0); /* nothing left to do */
	CHECK_EQ(from, latest);
	CHECK_EQ(to, latest);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), 0);
	dv_catalog_close(cat);
	dv_catalog_backend *be;
	const dv_catalog_backend_ops *ops;
	CHECK_EQ(dv_catalog_pg_backend(&be, &ops, ci, "some-other-vault", 0), DV_EINVAL);
	/* a newer database */
	char sql[200];
	snprintf(sql, sizeof(sql), "INSERT INTO dv_schema(version, what) VALUES(%d, 'from the future')", latest + 7);
	CHECK_EQ(psql_c("versions", sql), 0);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), DV_EUNSUPPORTED);
	snprintf(want, sizeof(want), "version %d, newer than this dronevault's (%d)", latest + 7, latest);
	CHECK(strstr(dv_error_text(), want) != NULL);
	CHECK_EQ(dv_catalog_pg_upgrade(&from, &to, ci, "vault-under-test", 0), DV_EUNSUPPORTED);
	/* connection strings */
	CHECK_EQ(dv_catalog_pg_check_conninfo("postgresql:///dv?host=/tmp/x"), 0);
	CHECK_EQ(dv_catalog_pg_check_conninfo("postgresql://u:secret@/dv?host=/tmp/x"), DV_EINVAL);
	CHECK(strstr(dv_error_text(), "PGPASSFILE") != NULL);
	CHECK_EQ(dv_catalog_pg_check_conninfo("host=/tmp/x password=secret"), DV_EINVAL);
	CHECK_EQ(dv_catalog_pg_check_conninfo("host=/tmp/x bogus_keyword=1"), DV_EINVAL);
	snprintf(other, sizeof(other), "host=%s/nowhere user=postgres dbname=x", pg.dir);
	CHECK_EQ(open_pg(&cat, other, k1, k2, 0), DV_EIO);
	CHECK(strstr(dv_error_text(), "cannot connect") != NULL);
}

/* The exact-schema check (catalog_pg.c schema_exact): each object an
 * insider adds or changes is named by the next open, reader or writer, and
 * the catalog opens again once it is undone. */
static void exact_schema(const uint8_t k1[32], const uint8_t k2[32])
{
	char ci[700];
	conninfo(ci, sizeof(ci), "exact");
	new_catalog("exact", ci, k1, k2);
	dv_catalog *cat;
	/* a side table as the backend makes it is part of the schema */
	CHECK_EQ(psql_c("exact", "CREATE TABLE side_extra(id bigint PRIMARY KEY, sealed bytea NOT NULL)"), 0);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, DV_CATALOG_READONLY), 0);
	dv_catalog_close(cat);
	static const struct {
		const char *edit, *undo, *named;
	} cases[] = {
		{ "CREATE SCHEMA ext; CREATE FUNCTION ext.hide() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';"
		  " CREATE TRIGGER hide BEFORE INSERT ON files FOR EACH ROW EXECUTE FUNCTION ext.hide()",
		  "DROP SCHEMA ext CASCADE", "'trigger hide on files'" },
		{ "CREATE VIEW recent AS SELECT id FROM files", "DROP VIEW recent", "'column recent.id bigint'" },
		{ "ALTER TABLE ingests ALTER COLUMN state TYPE bigint", "ALTER TABLE ingests ALTER COLUMN state TYPE integer",
		  "'column ingests.state bigint not null'" },
		{ "CREATE INDEX extra ON files(blob_id)", "DROP INDEX extra", "'index extra CREATE INDEX extra ON files" },
		{ "ALTER TABLE files ENABLE ROW LEVEL SECURITY; CREATE POLICY nothing ON files USING (false)",
		  "DROP POLICY nothing ON files; ALTER TABLE files DISABLE ROW LEVEL SECURITY", "'policy nothing on files'" },
		{ "ALTER TABLE side_extra ADD COLUMN note text", "ALTER TABLE side_extra DROP COLUMN note",
		  "'column side_extra.note text" },
		{ "ALTER TABLE cases DROP CONSTRAINT cases_tag_key", "ALTER TABLE cases ADD CONSTRAINT cases_tag_key UNIQUE(tag)",
		  "'constraint cases cases_tag_key UNIQUE (tag)' (missing" },
		{ "CREATE TABLE side_Bad(id bigint)", "DROP TABLE side_Bad", "'column side_bad.id bigint'" },
		{ "CREATE SCHEMA postgres", "DROP SCHEMA postgres", "search_path names 2 schemas" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(psql_c("exact", cases[i].edit), 0);
		CHECK_EQ(open_pg(&cat, ci, k1, k2, DV_CATALOG_READONLY), DV_ECORRUPT);
		if (!strstr(dv_error_text(), cases[i].named)) fprintf(stderr, "case %zu: %s\n", i, dv_error_text());
		CHECK(strstr(dv_error_text(), cases[i].named) != NULL);
		CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), DV_ECORRUPT); /* a writer too */
		CHECK_EQ(psql_c("exact", cases[i].undo), 0);
		CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), 0);
		dv_catalog_close(cat);
	}
	/* the check leaves nothing behind: the schema is still exactly this */
	CHECK_EQ(open_pg(&cat, ci, k1, k2, DV_CATALOG_READONLY), 0);
	dv_catalog_close(cat);
}

/* A reader's snapshot holds while a writer commits. */
static void snapshot(const uint8_t k1[32], const uint8_t k2[32])
{
	char ci[700];
	conninfo(ci, sizeof(ci), "snap");
	CHECK_EQ(make_db("snap"), 0);
	dv_catalog *w, *r;
	CHECK_EQ(open_pg(&w, ci, k1, k2, DV_CATALOG_PG_CREATE), 0);
	dv_case c;
	CHECK_EQ(dv_catalog_case_create(&c, w, "one"), 0);
	CHECK_EQ(open_pg(&r, ci, k1, k2, DV_CATALOG_READONLY), 0);
	CHECK_EQ(dv_catalog_begin_read(r), 0);
	int n = 0;
	CHECK_EQ(dv_catalog_case_list(r, count_cases, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(dv_catalog_begin(w), 0);
	CHECK_EQ(dv_catalog_case_create(&c, w, "two"), 0);
	CHECK_EQ(dv_catalog_commit(w), 0);
	n = 0;
	CHECK_EQ(dv_catalog_case_list(r, count_cases, &n), 0);
	CHECK_EQ(n, 1); /* still the snapshot */
	CHECK(dv_catalog_case_create(&c, r, "three") < 0); /* a reader writes nothing */
	dv_catalog_rollback(r);
	CHECK_EQ(dv_catalog_begin_read(r), 0);
	n = 0;
	CHECK_EQ(dv_catalog_case_list(r, count_cases, &n), 0);
	CHECK_EQ(n, 2);
	dv_catalog_rollback(r);
	dv_catalog_close(r);
	dv_catalog_close(w);
}

/* ---- concurrent writers ---------------------------------------------------------- */
#define SHARED_BLOBS 40  /* every writer records these */
#define OWN_BLOBS 20     /* and these of its own */
#define BATCH 7

static void blob_name(char out[65], int writer, int i)
{
	snprintf(out, 65, "%02x%062d", writer < 0 ? 0xff : writer, i);
}

/* One station: its ingest in the shared case, files naming shared and own blobs. */
static int writer(const char *ci, const uint8_t k1[32], const uint8_t k2[32], int w)
{
	dv_catalog *cat;
	int rc = open_pg(&cat, ci, k1, k2, 0);
	if (rc < 0) return 10;
	dv_case c;
	dv_ingest_rec *r = calloc(1, sizeof(*r));
	dv_file_rec *f = calloc(1, sizeof(*f));
	uint8_t tag[32], sha[32] = { 0 };
	char name[65];
	if ((rc = dv_catalog_begin(cat)) < 0) goto out;
	rc = dv_catalog_case_find(&c, cat, "shared-case");
	if (rc == DV_ENOTFOUND) rc = dv_catalog_case_create(&c, cat, "shared-case");
	if (rc == DV_EEXIST) rc = dv_catalog_case_find(&c, cat, "shared-case");
	if (rc < 0) goto out;
	r->case_id = c.id;
	snprintf(r->source, sizeof(r->source), "/media/station-%d", w);
	if ((rc = dv_catalog_tag(tag, cat, "source", r->source, strlen(r->source))) < 0 ||
	    (rc = dv_catalog_ingest_create(cat, r, tag)) < 0 || (rc = dv_catalog_commit(cat)) < 0)
		goto out;
	int total = SHARED_BLOBS + OWN_BLOBS;
	if ((rc = dv_catalog_begin(cat)) < 0) goto out;
	int si = 0, oi = 0;
	for (int i = 0; i < total && rc == 0; i++) {
		/* stations walk the shared blobs in the same order (as cards of
		 * the same content would), two of them to one of their own */
		bool shared = (i % 3 != 2 && si < SHARED_BLOBS) || oi >= OWN_BLOBS;
		int k = shared ? si++ : oi++;
		blob_name(name, shared ? -1 : w, k);
		sha[0] = (uint8_t)k;
		memset(f, 0, sizeof(*f));
		f->ingest_id = r->id;
		f->crtime_ns = INT64_MIN;
		snprintf(f->path, sizeof(f->path), "DCIM/%s/%d.JPG", shared ? "S" : "O", k);
		if ((rc = dv_catalog_blob_put(cat, name, sha, 100, &f->blob_id)) < 0 || (rc = dv_catalog_file_add(cat, f)) < 0)
			break;
		if ((i + 1) % BATCH == 0 && ((rc = dv_catalog_commit(cat)) < 0 || (rc = dv_catalog_begin(cat)) < 0)) break;
	}
	if (rc == 0) rc = dv_catalog_commit(cat);
	if (rc == 0) {
		r->state = DV_INGEST_COMPLETE;
		rc = dv_catalog_ingest_update(cat, r);
	}
out:
	if (rc < 0) fprintf(stderr, "writer %d: %s\n", w, dv_error_text());
	dv_catalog_close(cat);
	free(r);
	free(f);
	return rc < 0 ? 1 : 0;
}

struct ingest_seen {
	dv_catalog *cat;
	int n, complete, files_ok;
};

static int on_ingest(const dv_ingest_rec *r, void *p)
{
	struct ingest_seen *s = p;
	s->n++;
	if (r->state == DV_INGEST_COMPLETE) s->complete++;
	if (dv_catalog_file_count(s->cat, r->id) == SHARED_BLOBS + OWN_BLOBS) s->files_ok++;
	return 0;
}

static void concurrent(const uint8_t k1[32], const uint8_t k2[32])
{
	char ci[700];
	conninfo(ci, sizeof(ci), "conc");
	new_catalog("conc", ci, k1, k2);
	dv_catalog *cat;
	const char *e = getenv("DV_PG_WRITERS");
	int nw = e && atoi(e) > 0 && atoi(e) <= 32 ? atoi(e) : 4;
	pid_t pids[32];
	for (int w = 0; w < nw; w++) {
		fflush(NULL);
		pids[w] = fork();
		if (pids[w] == 0) _exit(writer(ci, k1, k2, w));
	}
	int ok = 0;
	for (int w = 0; w < nw; w++) {
		int st;
		if (waitpid(pids[w], &st, 0) == pids[w] && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
	}
	CHECK_EQ(ok, nw);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), 0);
	int nb = 0, nc = 0;
	CHECK_EQ(dv_catalog_blob_list(cat, count_blobs, &nb), 0);
	CHECK_EQ(nb, SHARED_BLOBS + nw * OWN_BLOBS); /* every content recorded once */
	CHECK_EQ(dv_catalog_case_list(cat, count_cases, &nc), 0);
	CHECK_EQ(nc, 1); /* the case all of them made, once */
	struct ingest_seen s = { cat, 0, 0, 0 };
	CHECK_EQ(dv_catalog_ingest_list(cat, 0, on_ingest, &s), 0);
	CHECK_EQ(s.n, nw);
	CHECK_EQ(s.complete, nw);
	CHECK_EQ(s.files_ok, nw);
	CHECK_EQ(dv_catalog_check(cat, on_problem, NULL), 0);
	dv_catalog_close(cat);
}

/* Two upgrades at once take turns: each version applied once. */
static void upgrade_race(void)
{
	char ci[700];
	conninfo(ci, sizeof(ci), "race");
	CHECK_EQ(make_db("race"), 0);
	CHECK_EQ(dv_catalog_pg_upgrade(NULL, NULL, ci, "vault-under-test", 1), 0);
	pid_t p[2];
	for (int i = 0; i < 2; i++) {
		fflush(NULL);
		if ((p[i] = fork()) == 0) _exit(dv_catalog_pg_upgrade(NULL, NULL, ci, "vault-under-test", 0) == 0 ? 0 : 1);
	}
	int ok = 0;
	for (int i = 0; i < 2; i++) {
		int st;
		if (waitpid(p[i], &st, 0) == p[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
	}
	CHECK_EQ(ok, 2);
	char sql[200];
	snprintf(sql, sizeof(sql), "DO \\$\\$BEGIN IF (SELECT count(*) FROM dv_schema) <> %d THEN RAISE EXCEPTION 'twice'; END IF; END\\$\\$",
	         dv_catalog_pg_schema_version());
	CHECK_EQ(psql_c("race", sql), 0);
}

/* Two writers taking two blobs in opposite orders deadlock: PostgreSQL
 * breaks it, one gets DV_EBUSY (its transaction rolled back whole), the
 * other commits; a retry of the first then finds the other's rows. */
static void deadlock(const uint8_t k1[32], const uint8_t k2[32])
{
	char ci[700];
	conninfo(ci, sizeof(ci), "dead");
	new_catalog("dead", ci, k1, k2);
	dv_catalog *cat;
	int go[2][2];
	CHECK_EQ(pipe(go[0]), 0);
	CHECK_EQ(pipe(go[1]), 0);
	pid_t p[2];
	for (int w = 0; w < 2; w++) {
		fflush(NULL);
		if ((p[w] = fork()) == 0) {
			dv_catalog *c;
			uint8_t sha[32] = { 7 };
			int64_t id;
			const char *a = w ? "bb00000000000000000000000000000000000000000000000000000000000000"
			                  : "aa00000000000000000000000000000000000000000000000000000000000000";
			const char *b = w ? "aa00000000000000000000000000000000000000000000000000000000000000"
			                  : "bb00000000000000000000000000000000000000000000000000000000000000";
			if (open_pg(&c, ci, k1, k2, 0) < 0) {
				fprintf(stderr, "deadlock: writer %d cannot open: %s\n", w, dv_error_text());
				_exit(10);
			}
			int rc = dv_catalog_begin(c);
			if (rc == 0) rc = dv_catalog_blob_put(c, a, sha, 1, &id);
			char x = 1;
			/* both hold their first blob before either asks for its second */
			if (write(go[w][1], &x, 1) != 1 || read(go[1 - w][0], &x, 1) != 1) _exit(11);
			if (rc == 0) rc = dv_catalog_blob_put(c, b, sha, 1, &id);
			if (rc == 0) rc = dv_catalog_commit(c);
			int victim = 0;
			/* the victim retries as a writer does (a few times: a retry can
			 * meet the other's still open transaction); the other's rows are
			 * then found, not added twice */
			for (int tries = 0; rc == DV_EBUSY && tries < 5; tries++) {
				victim = 1;
				dv_catalog_rollback(c);
				rc = dv_catalog_begin(c);
				if (rc == 0) rc = dv_catalog_blob_put(c, a, sha, 1, &id);
				if (rc == 0) rc = dv_catalog_blob_put(c, b, sha, 1, &id);
				if (rc == 0) rc = dv_catalog_commit(c);
			}
			if (rc != 0) fprintf(stderr, "deadlock: writer %d%s: %s\n", w, victim ? "'s retry" : "", dv_error_text());
			dv_catalog_close(c);
			_exit(rc != 0 ? 12 + victim : victim ? 2 : 0);
		}
	}
	int codes[2] = { -1, -1 };
	for (int w = 0; w < 2; w++) {
		int st;
		if (waitpid(p[w], &st, 0) == p[w] && WIFEXITED(st)) codes[w] = WEXITSTATUS(st);
	}
	/* both end with their rows stored, and at least one of them was the
	 * deadlock's victim (DV_EBUSY, its transaction rolled back) and retried;
	 * PostgreSQL picks one victim, but which one, and whether a retry meets
	 * the other again, is its business */
	bool both_stored = (codes[0] == 0 || codes[0] == 2) && (codes[1] == 0 || codes[1] == 2);
	if (!both_stored || (codes[0] != 2 && codes[1] != 2))
		fprintf(stderr, "deadlock: writer exit codes %d and %d (0 straight, 2 retried, 10 open, 12/13 failed)\n", codes[0],
		        codes[1]);
	CHECK(both_stored);
	CHECK(codes[0] == 2 || codes[1] == 2);
	CHECK_EQ(open_pg(&cat, ci, k1, k2, 0), 0);
	int nb = 0;
	CHECK_EQ(dv_catalog_blob_list(cat, count_blobs, &nb), 0);
	CHECK_EQ(nb, 2);
	dv_catalog_close(cat);
	for (int i = 0; i < 2; i++) {
		close(go[i][0]);
		close(go[i][1]);
	}
}

int main(void)
{
	if (!pg_installed()) return check_skip("PostgreSQL 15 (initdb, pg_ctl) not installed");
	if (pg_open("dv-catpg") < 0 || pg_start("-c fsync=off") < 0) {
		fprintf(stderr, "cannot start the throwaway PostgreSQL cluster\n");
		return 1;
	}
	conninfo(conn_base, sizeof(conn_base), "postgres");
	uint8_t k1[32], k2[32];
	dv_crypto_init();
	dv_random(k1, 32);
	dv_random(k2, 32);
	basics(k1, k2);
	versions(k1, k2);
	exact_schema(k1, k2);
	snapshot(k1, k2);
	concurrent(k1, k2);
	upgrade_race();
	deadlock(k1, k2);
	return check_done();
}
