#include "check.h"
#include "dv/catalog.h"
#include "tamper_ops.h"

static int problems_seen;
static void on_problem(const char *m, void *p)
{
	(void)p;
	problems_seen++;
	fprintf(stderr, "  (expected) %s\n", m);
}

static int count_files(const dv_file_rec *f, void *p)
{
	(void)f;
	(*(int *)p)++;
	return 0;
}

/* Tampering goes through the backend's operations, never its SQL. */
static tamper tb;
static void tamper_begin(const char *db) { CHECK_EQ(tamper_open(&tb, "sqlite", db), 0); }
static void tamper_end(void) { tamper_close(&tb); }

/* What every catalog backend and the front end promise. */
static dv_catalog_backend_ops bad_ops;

static void backend_contract(const char *dir, const uint8_t k1[32], const uint8_t k2[32])
{
	char db[4200];
	snprintf(db, sizeof(db), "%s/contract.db", dir);
	dv_catalog_backend *be;
	const dv_catalog_backend_ops *ops;
	dv_catalog *cat;
	/* another version is refused at open (and the backend freed) */
	CHECK_EQ(dv_catalog_sqlite_backend(&be, &ops, db, 0), 0);
	bad_ops = *ops;
	bad_ops.version = DV_CATALOG_BACKEND_VERSION + 1;
	CHECK_EQ(dv_catalog_open_backend(&cat, &bad_ops, be, k1, k2), DV_EUNSUPPORTED);
	CHECK(cat == NULL);
	ops->free(be);
	/* a NULL operation is DV_EUNSUPPORTED naming it */
	CHECK_EQ(dv_catalog_sqlite_backend(&be, &ops, db, 0), 0);
	bad_ops = *ops;
	bad_ops.query = NULL;
	bad_ops.begin = NULL;
	bad_ops.check = NULL;
	CHECK_EQ(dv_catalog_open_backend(&cat, &bad_ops, be, k1, k2), 0);
	dv_case c;
	CHECK_EQ(dv_catalog_case_find(&c, cat, "x"), DV_EUNSUPPORTED);
	CHECK(strstr(dv_error_text(), "no query") != NULL);
	CHECK_EQ(dv_catalog_begin(cat), DV_EUNSUPPORTED);
	CHECK(strstr(dv_error_text(), "no begin") != NULL);
	problems_seen = 0;
	CHECK(dv_catalog_check(cat, on_problem, NULL) >= 1); /* cannot check: said, not silent */
	dv_catalog_close(cat);
	/* not found is not an error */
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);
	CHECK_EQ(dv_catalog_case_get(&c, cat, 42), DV_ENOTFOUND);
	uint8_t *buf;
	size_t n;
	CHECK_EQ(dv_catalog_side_get(&buf, &n, cat, "nothing_here", 1), DV_ENOTFOUND);
	CHECK_EQ(dv_catalog_side_get(&buf, &n, cat, "Bad-Name", 1), DV_EINVAL);
	CHECK_EQ(dv_catalog_side_put(cat, "notes", 3, "abc", 3), 0);
	CHECK_EQ(dv_catalog_side_get(&buf, &n, cat, "notes", 4), DV_ENOTFOUND);
	CHECK_EQ(dv_catalog_side_get(&buf, &n, cat, "notes", 3), 0);
	CHECK_EQ(n, 3);
	free(buf);
	CHECK_EQ(dv_catalog_file_count(cat, 77), 0);
	dv_ingest_rec r = { .id = 5 };
	CHECK_EQ(dv_catalog_ingest_update(cat, &r), DV_ENOTFOUND);
	dv_catalog_close(cat);
	/* a reader: a snapshot, no writes, absent side tables are empty */
	CHECK_EQ(dv_catalog_open_ex(&cat, db, k1, k2, DV_CATALOG_READONLY), 0);
	CHECK_EQ(dv_catalog_begin_read(cat), 0);
	CHECK_EQ(dv_catalog_side_get(&buf, &n, cat, "notes", 3), 0);
	free(buf);
	CHECK_EQ(dv_catalog_side_get(&buf, &n, cat, "other", 3), DV_ENOTFOUND);
	CHECK(dv_catalog_side_put(cat, "notes", 4, "x", 1) < 0);
	CHECK(dv_catalog_case_create(&c, cat, "new") < 0);
	CHECK_EQ(dv_catalog_check(cat, on_problem, NULL), 0);
	dv_catalog_rollback(cat);
	dv_catalog_close(cat);
	/* the tag is checked, not silently zero */
	uint8_t tag[32];
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);
	CHECK_EQ(dv_catalog_tag(tag, cat, "case", "x", 1), 0);
	uint8_t zero[32] = { 0 };
	CHECK(memcmp(tag, zero, 32) != 0);
	dv_catalog_close(cat);
}

int main(void)
{
	char dir[4096], db[4200];
	check_tmpdir(dir, sizeof(dir), "catalog");
	snprintf(db, sizeof(db), "%s/catalog.db", dir);
	uint8_t k1[32], k2[32];
	dv_crypto_init();
	dv_random(k1, 32);
	dv_random(k2, 32);
	dv_catalog *cat;
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);

	dv_case c, c2;
	CHECK_EQ(dv_catalog_case_find(&c, cat, "2026-0042"), DV_ENOTFOUND);
	CHECK_EQ(dv_catalog_case_create(&c, cat, "2026-0042"), 0);
	CHECK_EQ(dv_catalog_case_find(&c2, cat, "2026-0042"), 0);
	CHECK_EQ(c.id, c2.id);
	CHECK_STR(c2.name, "2026-0042");

	static dv_ingest_rec r, r2;
	uint8_t tag[32];
	CHECK_EQ(dv_catalog_tag(tag, cat, "source", "dir|/media/card", 15), 0);
	r.case_id = c.id;
	snprintf(r.source, sizeof(r.source), "/media/card");
	snprintf(r.operator_name, sizeof(r.operator_name), "Insp. Muster");
	CHECK_EQ(dv_catalog_ingest_create(cat, &r, tag), 0);
	CHECK_EQ(dv_catalog_ingest_find_open(cat, c.id, tag, &r2), 0);
	CHECK_EQ(r2.id, r.id);
	CHECK_STR(r2.operator_name, "Insp. Muster");

	uint8_t sha[32] = { 1, 2, 3 };
	int64_t bid, bid2;
	CHECK_EQ(dv_catalog_blob_put(cat, "ab00000000000000000000000000000000000000000000000000000000000000", sha, 10, &bid), 0);
	CHECK_EQ(dv_catalog_blob_put(cat, "ab00000000000000000000000000000000000000000000000000000000000000", sha, 10, &bid2), 0);
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
	CHECK_EQ(dv_catalog_file_add(cat, &f), DV_EEXIST); /* same path twice */
	CHECK_EQ(dv_catalog_file_find(&g, cat, r.id, "DCIM/100MEDIA/DJI_0001.JPG"), 0);
	CHECK_EQ(g.crtime_ns, INT64_MIN);
	CHECK_STR(g.blob_name, "ab00000000000000000000000000000000000000000000000000000000000000");
	CHECK_EQ(dv_catalog_file_find(&g, cat, r.id, "nope"), DV_ENOTFOUND);
	int n = 0;
	CHECK_EQ(dv_catalog_file_list(cat, r.id, count_files, &n), 0);
	CHECK_EQ(n, 2);
	r.state = DV_INGEST_COMPLETE;
	CHECK_EQ(dv_catalog_ingest_update(cat, &r), 0);
	CHECK_EQ(dv_catalog_ingest_find_open(cat, c.id, tag, &r2), DV_ENOTFOUND);
	uint8_t hh[32] = { 9 }, hh2[32];
	uint64_t seq;
	CHECK_EQ(dv_catalog_head_set(cat, 7, hh), 0);
	CHECK_EQ(dv_catalog_head_get(cat, &seq, hh2), 0);
	CHECK_EQ(seq, 7);
	CHECK(memcmp(hh, hh2, 32) == 0);
	CHECK_EQ(dv_catalog_check(cat, on_problem, NULL), 0);
	dv_catalog_close(cat);

	/* Nothing sensitive in clear: the case name and paths are not in the file. */
	uint8_t *raw;
	FILE *fp = fopen(db, "rb");
	CHECK(fp != NULL);
	raw = malloc(1 << 20);
	size_t len = fread(raw, 1, 1 << 20, fp);
	fclose(fp);
	CHECK(memmem(raw, len, "2026-0042", 9) == NULL);
	CHECK(memmem(raw, len, "DJI_0001", 8) == NULL);
	CHECK(memmem(raw, len, "Muster", 6) == NULL);
	free(raw);

	/* Tampering with a row: swapped sealed records, an edited clear column, a flipped byte. */
	tamper_begin(db);
	CHECK_EQ(tamper_copy_sealed(&tb, DV_CT_FILES, NULL, 2, 1), 0);
	tamper_end();
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);
	problems_seen = 0;
	CHECK(dv_catalog_check(cat, on_problem, NULL) >= 1);
	CHECK(problems_seen >= 1);
	CHECK_EQ(dv_catalog_file_find(&g, cat, r.id, "DCIM/100MEDIA/DJI_0001.JPG"), DV_ECORRUPT);
	dv_catalog_close(cat);
	tamper_begin(db);
	CHECK_EQ(tamper_set(&tb, DV_CT_INGESTS, r.id, "state", 0), 0);
	tamper_end();
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);
	CHECK_EQ(dv_catalog_ingest_get(&r2, cat, r.id), DV_ECORRUPT);
	dv_catalog_close(cat);
	tamper_begin(db);
	CHECK_EQ(tamper_set(&tb, DV_CT_INGESTS, r.id, "state", 1), 0);
	CHECK_EQ(tamper_flip_sealed(&tb, DV_CT_CASES, NULL, c.id, 30), 0);
	CHECK_EQ(tamper_delete(&tb, DV_CT_CASES, NULL, 999), DV_ENOTFOUND);
	CHECK_EQ(tamper_set(&tb, DV_CT_CASES, 999, "state", 1), DV_ENOTFOUND);
	tamper_end();
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);
	CHECK_EQ(dv_catalog_ingest_get(&r2, cat, r.id), 0);
	CHECK_EQ(dv_catalog_case_find(&c2, cat, "2026-0042"), DV_ECORRUPT);
	/* a wrong key opens nothing */
	dv_catalog_close(cat);
	k1[0] ^= 1;
	CHECK_EQ(dv_catalog_open(&cat, db, k1, k2), 0);
	CHECK_EQ(dv_catalog_ingest_get(&r2, cat, r.id), DV_ECORRUPT);
	dv_catalog_close(cat);
	k1[0] ^= 1;
	backend_contract(dir, k1, k2);
	return check_done();
}
