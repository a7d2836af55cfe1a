/*
 * The SQLite catalog backend: every SQL statement of the catalog is here.
 * Rows hold clear integers, tags and sealed bytes; keys never come here.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dv/catalog.h"
#include "dv/err.h"

struct dv_catalog_backend {
	sqlite3 *db;
	char path[4096];
	bool readonly;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cases(id INTEGER PRIMARY KEY, tag BLOB NOT NULL UNIQUE,"
	"  sealed BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ingests(id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id), source_tag BLOB NOT NULL,"
	"  state INTEGER NOT NULL, sealed BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ingests_case ON ingests(case_id, source_tag);"
	"CREATE TABLE IF NOT EXISTS blobs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  sealed BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY,"
	"  ingest_id INTEGER NOT NULL REFERENCES ingests(id), path_tag BLOB NOT NULL,"
	"  blob_id INTEGER NOT NULL REFERENCES blobs(id), sealed BLOB NOT NULL,"
	"  UNIQUE(ingest_id, path_tag));"
	"CREATE TABLE IF NOT EXISTS log_head(id INTEGER PRIMARY KEY CHECK(id = 1),"
	"  sealed BLOB NOT NULL);"
	"INSERT OR IGNORE INTO meta(k, v) VALUES('schema', '1');";

static int db_error(dv_catalog_backend *be, const char *what)
{
	int ec = sqlite3_extended_errcode(be->db);
	dv_code code = DV_EIO;
	if ((ec & 0xff) == SQLITE_FULL) code = DV_ENOSPC;
	else if ((ec & 0xff) == SQLITE_CORRUPT || (ec & 0xff) == SQLITE_NOTADB) code = DV_ECORRUPT;
	else if ((ec & 0xff) == SQLITE_BUSY || (ec & 0xff) == SQLITE_LOCKED) code = DV_EBUSY;
	else if ((ec & 0xff) == SQLITE_CONSTRAINT) code = DV_EEXIST;
	return dv_error_set(code, be->path, -1, "%s: %s", what, sqlite3_errmsg(be->db));
}

static int exec(dv_catalog_backend *be, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(be->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = db_error(be, sql);
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int prepare(dv_catalog_backend *be, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(be->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(be, "cannot prepare statement");
	return 0;
}

static int step_done(dv_catalog_backend *be, sqlite3_stmt *st, const char *what)
{
	int s = sqlite3_step(st);
	int rc = s == SQLITE_DONE ? 0 : db_error(be, what);
	sqlite3_finalize(st);
	return rc;
}

/* "side_" + a checked name, or the fixed table's name. */
static int table_sql(dv_catalog_backend *be, dv_catalog_table t, const char *side, char *out, size_t size)
{
	if (t == DV_CT_SIDE) {
		size_t n = side ? strlen(side) : 0;
		if (n == 0 || n > 32 || strspn(side, "abcdefghijklmnopqrstuvwxyz_") != n)
			return dv_error_set(DV_EINVAL, be->path, -1, "bad side table name '%s'", side ? side : "");
		snprintf(out, size, "side_%s", side);
		return 0;
	}
	const char *name = dv_catalog_table_name(t);
	if (!name) return dv_error_set(DV_EINVAL, be->path, -1, "no catalog table %d", (int)t);
	snprintf(out, size, "%s", name);
	return 0;
}

/* 1 when a side table exists, 0 when not. */
static int side_exists(dv_catalog_backend *be, const char *table)
{
	sqlite3_stmt *st;
	int rc = prepare(be, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", &st);
	if (rc < 0) return rc;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	rc = s == SQLITE_ROW ? 1 : s == SQLITE_DONE ? 0 : db_error(be, "cannot look for a side table");
	sqlite3_finalize(st);
	return rc;
}

static int side_create(dv_catalog_backend *be, const char *table)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %s(id INTEGER PRIMARY KEY, sealed BLOB NOT NULL)", table);
	return exec(be, sql);
}

static const char *sq_where(dv_catalog_backend *be) { return be->path; }
static int sq_begin(dv_catalog_backend *be) { return exec(be, "BEGIN IMMEDIATE"); }
static int sq_commit(dv_catalog_backend *be) { return exec(be, "COMMIT"); }
static void sq_rollback(dv_catalog_backend *be)
{
	if (!sqlite3_get_autocommit(be->db)) sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_begin_read(dv_catalog_backend *be)
{
	/* BEGIN is deferred: the snapshot starts at the first read, so read now */
	int rc = exec(be, "BEGIN");
	if (rc == 0 && (rc = exec(be, "SELECT count(*) FROM log_head")) < 0) sq_rollback(be);
	return rc;
}

static int sq_next_id(dv_catalog_backend *be, dv_catalog_table t, const char *side, int64_t *id_out)
{
	char table[64], sql[128];
	int rc = table_sql(be, t, side, table, sizeof(table));
	if (rc < 0) return rc;
	if (t == DV_CT_SIDE && (rc = side_exists(be, table)) <= 0) {
		*id_out = 1;
		return rc;
	}
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) + 1 FROM %s", table);
	sqlite3_stmt *st;
	if ((rc = prepare(be, sql, &st)) < 0) return rc;
	if (sqlite3_step(st) == SQLITE_ROW) *id_out = sqlite3_column_int64(st, 0);
	else rc = db_error(be, "cannot allocate an id");
	sqlite3_finalize(st);
	return rc;
}

static void bind_tag(sqlite3_stmt *st, int i, const dv_catalog_row *r)
{
	if (r->tag) sqlite3_bind_blob(st, i, r->tag, (int)r->tag_len, SQLITE_TRANSIENT);
	else sqlite3_bind_null(st, i);
}

/* Writes a row: mode 'i' insert, 'u' update by id, 'r' insert or replace. */
static int write_row(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r, char mode)
{
	char table[64], sql[256];
	int rc = table_sql(be, t, side, table, sizeof(table));
	if (rc < 0) return rc;
	if (r->sealed_len > INT32_MAX) return dv_error_set(DV_ENOMEM, be->path, -1, "record too large");
	if (t == DV_CT_SIDE && (rc = side_create(be, table)) < 0) return rc;
	const char *verb = mode == 'r' ? "INSERT OR REPLACE INTO" : "INSERT INTO";
	switch (t) {
	case DV_CT_CASES:
		snprintf(sql, sizeof(sql), mode == 'u' ? "UPDATE cases SET tag = ?2, sealed = ?3 WHERE id = ?1"
		                                       : "%s cases(id, tag, sealed) VALUES(?1, ?2, ?3)", verb);
		break;
	case DV_CT_INGESTS:
		snprintf(sql, sizeof(sql), mode == 'u'
		         ? "UPDATE ingests SET case_id = ?2, source_tag = ?3, state = ?4, sealed = ?5 WHERE id = ?1"
		         : "%s ingests(id, case_id, source_tag, state, sealed) VALUES(?1, ?2, ?3, ?4, ?5)", verb);
		break;
	case DV_CT_BLOBS:
		snprintf(sql, sizeof(sql), mode == 'u' ? "UPDATE blobs SET name = ?2, sealed = ?3 WHERE id = ?1"
		                                       : "%s blobs(id, name, sealed) VALUES(?1, ?2, ?3)", verb);
		break;
	case DV_CT_FILES:
		snprintf(sql, sizeof(sql), mode == 'u'
		         ? "UPDATE files SET ingest_id = ?2, path_tag = ?3, blob_id = ?4, sealed = ?5 WHERE id = ?1"
		         : "%s files(id, ingest_id, path_tag, blob_id, sealed) VALUES(?1, ?2, ?3, ?4, ?5)", verb);
		break;
	default: /* log_head, side tables: id | sealed */
		if (mode == 'u') snprintf(sql, sizeof(sql), "UPDATE %s SET sealed = ?2 WHERE id = ?1", table);
		else snprintf(sql, sizeof(sql), "%s %s(id, sealed) VALUES(?1, ?2)", verb, table);
		break;
	}
	sqlite3_stmt *st;
	if ((rc = prepare(be, sql, &st)) < 0) return rc;
	sqlite3_bind_int64(st, 1, r->id);
	/* STATIC: the record outlives the statement; spares a copy of a large track */
	switch (t) {
	case DV_CT_CASES:
		bind_tag(st, 2, r);
		sqlite3_bind_blob(st, 3, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
		break;
	case DV_CT_INGESTS:
		sqlite3_bind_int64(st, 2, r->ref);
		bind_tag(st, 3, r);
		sqlite3_bind_int(st, 4, r->state);
		sqlite3_bind_blob(st, 5, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
		break;
	case DV_CT_BLOBS:
		sqlite3_bind_text(st, 2, r->name ? r->name : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
		break;
	case DV_CT_FILES:
		sqlite3_bind_int64(st, 2, r->ref);
		bind_tag(st, 3, r);
		sqlite3_bind_int64(st, 4, r->ref2);
		sqlite3_bind_blob(st, 5, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_blob(st, 2, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
		break;
	}
	rc = step_done(be, st, mode == 'u' ? "cannot update row" : "cannot add row");
	if (rc == 0 && mode == 'u' && sqlite3_changes(be->db) == 0)
		return dv_error_set(DV_ENOTFOUND, be->path, -1, "table %s has no row %lld", table, (long long)r->id);
	return rc;
}

static int sq_insert(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r)
{
	return write_row(be, t, side, r, 'i');
}
static int sq_update(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r)
{
	return write_row(be, t, side, r, 'u');
}
static int sq_replace(dv_catalog_backend *be, dv_catalog_table t, const char *side, const dv_catalog_row *r)
{
	return write_row(be, t, side, r, 'r');
}

/* SELECT columns per table, in dv_catalog_row order of use below. */
static const char *select_cols(dv_catalog_table t)
{
	switch (t) {
	case DV_CT_CASES: return "SELECT id, tag, sealed FROM cases t ";
	case DV_CT_INGESTS: return "SELECT id, case_id, source_tag, state, sealed FROM ingests t ";
	case DV_CT_BLOBS: return "SELECT id, name, sealed FROM blobs t ";
	case DV_CT_FILES:
		return "SELECT t.id, t.ingest_id, t.path_tag, t.blob_id, t.sealed, b.name FROM files t "
		       "LEFT JOIN blobs b ON b.id = t.blob_id ";
	default: return NULL;
	}
}

static void row_from(sqlite3_stmt *st, dv_catalog_table t, dv_catalog_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	int sealed_col = 1;
	switch (t) {
	case DV_CT_CASES:
		r->tag = sqlite3_column_blob(st, 1);
		r->tag_len = (size_t)sqlite3_column_bytes(st, 1);
		sealed_col = 2;
		break;
	case DV_CT_INGESTS:
		r->ref = sqlite3_column_int64(st, 1);
		r->tag = sqlite3_column_blob(st, 2);
		r->tag_len = (size_t)sqlite3_column_bytes(st, 2);
		r->state = sqlite3_column_int(st, 3);
		sealed_col = 4;
		break;
	case DV_CT_BLOBS:
		r->name = (const char *)sqlite3_column_text(st, 1);
		sealed_col = 2;
		break;
	case DV_CT_FILES:
		r->ref = sqlite3_column_int64(st, 1);
		r->tag = sqlite3_column_blob(st, 2);
		r->tag_len = (size_t)sqlite3_column_bytes(st, 2);
		r->ref2 = sqlite3_column_int64(st, 3);
		r->name = (const char *)sqlite3_column_text(st, 5);
		sealed_col = 4;
		break;
	default: break;
	}
	r->sealed = sqlite3_column_blob(st, sealed_col);
	r->sealed_len = (size_t)sqlite3_column_bytes(st, sealed_col);
}

/* The WHERE clause of a query (column names per table). */
static int where_sql(dv_catalog_backend *be, const dv_catalog_query *q, char *out, size_t size)
{
	const char *ref = q->table == DV_CT_INGESTS ? "t.case_id" : "t.ingest_id";
	const char *tag = q->table == DV_CT_CASES ? "t.tag" : q->table == DV_CT_INGESTS ? "t.source_tag" : "t.path_tag";
	bool has_tag = q->table == DV_CT_CASES || q->table == DV_CT_INGESTS || q->table == DV_CT_FILES;
	bool has_ref = q->table == DV_CT_INGESTS || q->table == DV_CT_FILES;
	switch (q->by) {
	case DV_CQ_ALL: snprintf(out, size, "ORDER BY t.id"); return 0;
	case DV_CQ_ID: snprintf(out, size, "WHERE t.id = ?1"); return 0;
	case DV_CQ_TAG:
		if (!has_tag) break;
		snprintf(out, size, "WHERE %s = ?2 ORDER BY t.id", tag);
		return 0;
	case DV_CQ_NAME:
		if (q->table != DV_CT_BLOBS) break;
		snprintf(out, size, "WHERE t.name = ?3");
		return 0;
	case DV_CQ_REF:
		if (!has_ref) break;
		snprintf(out, size, "WHERE %s = ?4 ORDER BY t.id", ref);
		return 0;
	case DV_CQ_REF_TAG:
		if (!has_ref) break;
		snprintf(out, size, "WHERE %s = ?4 AND %s = ?2 ORDER BY t.id", ref, tag);
		return 0;
	case DV_CQ_OPEN:
		if (q->table != DV_CT_INGESTS) break;
		snprintf(out, size, "WHERE t.case_id = ?4 AND t.source_tag = ?2 AND t.state = 0 ORDER BY t.id DESC LIMIT 1");
		return 0;
	}
	return dv_error_set(DV_EINVAL, be->path, -1, "query %d not defined for table %s", (int)q->by,
	                    dv_catalog_table_name(q->table) ? dv_catalog_table_name(q->table) : "side");
}

static void bind_query(sqlite3_stmt *st, const dv_catalog_query *q)
{
	int n = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= n; i++) {
		const char *p = sqlite3_bind_parameter_name(st, i);
		if (!p) continue;
		if (!strcmp(p, "?1")) sqlite3_bind_int64(st, i, q->id);
		else if (!strcmp(p, "?2")) {
			if (q->tag) sqlite3_bind_blob(st, i, q->tag, 32, SQLITE_TRANSIENT);
		} else if (!strcmp(p, "?3")) sqlite3_bind_text(st, i, q->name ? q->name : "", -1, SQLITE_TRANSIENT);
		else if (!strcmp(p, "?4")) sqlite3_bind_int64(st, i, q->ref);
	}
}

static int make_query(dv_catalog_backend *be, const dv_catalog_query *q, bool count, sqlite3_stmt **st, bool *absent)
{
	char table[64], where[200], sql[512];
	*absent = false;
	int rc = table_sql(be, q->table, q->side, table, sizeof(table));
	if (rc < 0) return rc;
	if ((rc = where_sql(be, q, where, sizeof(where))) < 0) return rc;
	const char *cols = select_cols(q->table);
	char simple[128];
	if (!cols) {
		if (q->table == DV_CT_SIDE && (rc = side_exists(be, table)) <= 0) {
			*absent = rc == 0; /* an absent side table is an empty one */
			return rc;
		}
		snprintf(simple, sizeof(simple), "SELECT id, sealed FROM %s t ", table);
		cols = simple;
	}
	if (count) snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s t %s", table, where);
	else snprintf(sql, sizeof(sql), "%s%s", cols, where);
	if ((rc = prepare(be, sql, st)) < 0) return rc;
	bind_query(*st, q);
	return 0;
}

static int sq_query(dv_catalog_backend *be, const dv_catalog_query *q,
                    int (*fn)(const dv_catalog_row *row, void *payload), void *payload)
{
	sqlite3_stmt *st;
	bool absent;
	int rc = make_query(be, q, false, &st, &absent);
	if (rc < 0 || absent) return rc;
	int s = SQLITE_DONE;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		dv_catalog_row r;
		row_from(st, q->table, &r);
		rc = fn(&r, payload);
	}
	if (rc == 0 && s != SQLITE_DONE) rc = db_error(be, "cannot read rows");
	sqlite3_finalize(st);
	return rc;
}

static int sq_count(dv_catalog_backend *be, const dv_catalog_query *q, int64_t *n_out)
{
	sqlite3_stmt *st;
	bool absent;
	*n_out = 0;
	int rc = make_query(be, q, true, &st, &absent);
	if (rc < 0 || absent) return rc;
	if (sqlite3_step(st) == SQLITE_ROW) *n_out = sqlite3_column_int64(st, 0);
	else rc = db_error(be, "cannot count rows");
	sqlite3_finalize(st);
	return rc;
}

static int sq_side_tables(dv_catalog_backend *be, int (*fn)(const char *side, void *payload), void *payload)
{
	sqlite3_stmt *st;
	int rc = prepare(be, "SELECT substr(name, 6) FROM sqlite_master WHERE type = 'table' AND name LIKE 'side\\_%' ESCAPE '\\'", &st);
	if (rc < 0) return rc;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		char side[40];
		snprintf(side, sizeof(side), "%s", (const char *)sqlite3_column_text(st, 0));
		rc = fn(side, payload);
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_check(dv_catalog_backend *be, void (*fn)(const char *problem, void *payload), void *payload)
{
	int problems = 0;
	sqlite3_stmt *st;
	if (prepare(be, "PRAGMA integrity_check", &st) < 0) {
		fn(dv_error_text(), payload);
		return 1;
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (t && strcmp(t, "ok") != 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%.300s: SQLite integrity check: %.600s", be->path, t);
			fn(msg, payload);
			problems++;
		}
	}
	if (s != SQLITE_DONE) {
		db_error(be, "integrity check failed");
		fn(dv_error_text(), payload);
		problems++;
	}
	sqlite3_finalize(st);
	if (prepare(be, "PRAGMA foreign_key_check", &st) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%.300s: table %.30s row %lld refers to a missing %.30s row", be->path,
			         (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1),
			         (const char *)sqlite3_column_text(st, 2));
			fn(msg, payload);
			problems++;
		}
		sqlite3_finalize(st);
	}
	return problems;
}

static int sq_tamper_delete(dv_catalog_backend *be, dv_catalog_table t, const char *side, int64_t id)
{
	char table[64], sql[128];
	int rc = table_sql(be, t, side, table, sizeof(table));
	if (rc < 0) return rc;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?", table);
	sqlite3_stmt *st;
	if ((rc = prepare(be, sql, &st)) < 0) return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = step_done(be, st, "cannot delete row");
	if (rc == 0 && sqlite3_changes(be->db) == 0)
		return dv_error_set(DV_ENOTFOUND, be->path, -1, "table %s has no row %lld", table, (long long)id);
	return rc;
}

static void sq_free(dv_catalog_backend *be)
{
	if (!be) return;
	sqlite3_close(be->db);
	free(be);
}

static const dv_catalog_backend_ops sqlite_ops = {
	.version = DV_CATALOG_BACKEND_VERSION,
	.name = "sqlite",
	.where = sq_where,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.begin_read = sq_begin_read,
	.next_id = sq_next_id,
	.insert = sq_insert,
	.update = sq_update,
	.replace = sq_replace,
	.query = sq_query,
	.count = sq_count,
	.side_tables = sq_side_tables,
	.check = sq_check,
	.tamper_delete = sq_tamper_delete,
	.free = sq_free,
};

/* The schema version this code reads: any other (a newer dronevault's, or
 * an edited cell) is refused before a row is read or written. */
static int schema_known(dv_catalog_backend *be)
{
	sqlite3_stmt *st;
	int rc = prepare(be, "SELECT v FROM meta WHERE k = 'schema'", &st);
	if (rc < 0) return rc;
	int s = sqlite3_step(st);
	const unsigned char *v = s == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (s != SQLITE_ROW && s != SQLITE_DONE) rc = db_error(be, "cannot read the schema version");
	else if (!v) rc = dv_error_set(DV_ECORRUPT, be->path, -1, "catalog schema version missing");
	else if (strcmp((const char *)v, "1") != 0)
		rc = dv_error_set(DV_EUNSUPPORTED, be->path, -1, "catalog schema version '%.16s' is not one this dronevault reads ('1')",
		                  (const char *)v);
	sqlite3_finalize(st);
	return rc;
}

/* One object of a schema as sqlite_master holds it, compared byte for byte
 * (type, name, tbl_name, sql), so text that became a blob of the same bytes
 * counts as a change too. */
static bool master_row_equal(sqlite3_stmt *a, sqlite3_stmt *b)
{
	for (int i = 0; i < 4; i++) {
		int ta = sqlite3_column_type(a, i), tb = sqlite3_column_type(b, i);
		if (ta != tb) return false;
		if (ta == SQLITE_NULL) continue;
		const void *pa = sqlite3_column_blob(a, i), *pb = sqlite3_column_blob(b, i);
		int na = sqlite3_column_bytes(a, i), nb = sqlite3_column_bytes(b, i);
		if (na != nb || (na && memcmp(pa, pb, (size_t)na) != 0)) return false;
	}
	return true;
}

static bool side_name_ok(const unsigned char *n, int len)
{
	if (len < 6 || len > 5 + 32 || memcmp(n, "side_", 5) != 0) return false;
	for (int i = 5; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || n[i] == '_')) return false;
	return true;
}

/*
 * The schema itself is not under the rows' seals: a table's declared column
 * types decide how SQLite converts what it reads (an edit of "BLOB" into
 * "CLOB" turns a tag column's affinity to text), so every object in
 * sqlite_master must be exactly one this code creates: the fixed schema
 * and side tables of the one template, nothing more, nothing less. The
 * expected objects are made by running the same statements on an in-memory
 * database, so SQLite's own normalisation of the stored text applies alike.
 */
static int schema_exact(dv_catalog_backend *be)
{
	static const char list_sql[] = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name, type";
	sqlite3 *mem = NULL;
	sqlite3_stmt *real = NULL, *want = NULL;
	int rc = 0;
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(mem, schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = dv_error_set(DV_ENOMEM, be->path, -1, "cannot make the expected catalog schema");
		goto out;
	}
	if ((rc = prepare(be, "SELECT name FROM sqlite_master WHERE name LIKE 'side\\_%' ESCAPE '\\'", &real)) < 0)
		goto out;
	int s;
	while ((s = sqlite3_step(real)) == SQLITE_ROW) {
		const unsigned char *n = sqlite3_column_blob(real, 0);
		int len = sqlite3_column_bytes(real, 0);
		if (sqlite3_column_type(real, 0) != SQLITE_TEXT || !side_name_ok(n, len)) {
			rc = dv_error_set(DV_ECORRUPT, be->path, -1, "catalog schema has an object '%.*s' this dronevault never makes",
			                  len > 64 ? 64 : len, n ? (const char *)n : "");
			goto out;
		}
		char sql[200];
		snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %.*s(id INTEGER PRIMARY KEY, sealed BLOB NOT NULL)", len,
		         (const char *)n);
		if (sqlite3_exec(mem, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = dv_error_set(DV_ENOMEM, be->path, -1, "cannot make the expected catalog schema");
			goto out;
		}
	}
	if (s != SQLITE_DONE) {
		rc = db_error(be, "cannot read the catalog schema");
		goto out;
	}
	sqlite3_finalize(real);
	real = NULL;
	if ((rc = prepare(be, list_sql, &real)) < 0) goto out;
	if (sqlite3_prepare_v2(mem, list_sql, -1, &want, NULL) != SQLITE_OK) {
		rc = dv_error_set(DV_ENOMEM, be->path, -1, "cannot list the expected catalog schema");
		goto out;
	}
	for (;;) {
		int sr = sqlite3_step(real), sw = sqlite3_step(want);
		if (sr != SQLITE_ROW && sr != SQLITE_DONE) {
			rc = db_error(be, "cannot read the catalog schema");
			break;
		}
		if (sr == SQLITE_DONE && sw == SQLITE_DONE) break;
		if (sr != sw || !master_row_equal(real, want)) {
			const unsigned char *n = sr == SQLITE_ROW ? sqlite3_column_text(real, 1) : sqlite3_column_text(want, 1);
			rc = dv_error_set(DV_ECORRUPT, be->path, -1,
			                  "catalog schema differs from this dronevault's at '%.64s' (sqlite_master edited)",
			                  n ? (const char *)n : "?");
			break;
		}
	}
out:
	sqlite3_finalize(real);
	sqlite3_finalize(want);
	sqlite3_close(mem);
	return rc;
}

int dv_catalog_sqlite_backend(dv_catalog_backend **out, const dv_catalog_backend_ops **ops_out, const char *path,
                              unsigned flags)
{
	dv_catalog_backend *be = calloc(1, sizeof(*be));
	if (!be) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	snprintf(be->path, sizeof(be->path), "%s", path);
	be->readonly = (flags & DV_CATALOG_READONLY) != 0;
	int rc;
	if (sqlite3_open_v2(path, &be->db, SQLITE_OPEN_READWRITE | (be->readonly ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = dv_error_set(DV_EIO, path, -1, "cannot open catalog: %s", be->db ? sqlite3_errmsg(be->db) : "out of memory");
		sq_free(be);
		return rc;
	}
	/* SQLite creates files 0644; the WAL and shm files copy the db's mode. */
	if (!be->readonly) (void)chmod(path, 0600);
	sqlite3_extended_result_codes(be->db, 1);
	sqlite3_busy_timeout(be->db, 5000);
	/* A reader writes nothing, not even the schema: a writer may hold the
	 * write lock for seconds (an ingest's batch), and WAL lets us read. */
	if (be->readonly ? (rc = exec(be, "PRAGMA query_only=ON;")) < 0
	    : ((rc = exec(be, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                      "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;")) < 0 ||
	       (rc = exec(be, schema)) < 0)) {
		sq_free(be);
		return rc;
	}
	if ((rc = schema_known(be)) < 0 || (rc = schema_exact(be)) < 0) {
		sq_free(be);
		return rc;
	}
	*out = be;
	*ops_out = &sqlite_ops;
	return 0;
}
